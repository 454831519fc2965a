"""How rustbelt-kg's cost grows with the data, beside plain rdflib + pyshacl.

    python bench/bench_scale.py [--sizes 10k,100k,1M] [--steps load,export,count] [--cap 300]
                                [--no-baseline] [--json FILE] [--out docs]
    python bench/bench_scale.py --render 10k-100k.json 1M.json   # one report from saved runs

For each size, ``bench/gen_corpus.py`` writes a project copy with enough synthetic sources
for about that many triples, and every step runs in a fresh child process (its peak RSS is
the child's own). Each step is a function in :data:`OURS` (and the baseline's in
:func:`baseline`); ``--steps`` picks some (a quick run: ``--sizes 10k --steps load,export``):

- load: parse every source file into the engine's quads, check the graph rules, bulk-load a
  new on-disk store (quads and union); beside it, pyoxigraph's own bulk loader alone on the
  same quads (one N-Quads file, no rules, no union), the ratio's reference;
- count: ``len()`` of the built store (read from the count its load recorded);
- validate: the full SHACL validation (core constraints and SHACL-SPARQL);
- check: ``rustbelt-kg check`` (quotes against the texts, QC queries);
- one row per stored query (with its parameters' defaults) and per QC query, on the store;
- one row per export format;
- incremental: a full build, then one generated source more, built incrementally: the
  whole build and its validation step (and, apart, the first incremental build after the
  full one, which also reads the queries and shapes once); on a copy without the stored
  queries, whose expected results are the article's alone, so that the build publishes;
- the store's size on disk.

The baseline is what a project without this toolkit would run: rdflib parses the files into a
``Dataset``, one pyshacl pass (``advanced=True``) validates, rdflib's SPARQL engine runs the
same queries with the same bindings, and rdflib serialises N-Triples and Turtle. A step that
runs longer than ``--cap`` seconds (a baseline query: a tenth of it) is stopped and reported
as ``> cap``; a baseline row past its cap at one size is not run again at larger sizes.


The report (stdout and ``OUT/performance.md``) gives each step's time, the baseline's, their
ratio, the targets at a million triples, and the machine; ``OUT/performance.png`` plots each
step's time against the number of triples. Progress shows on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

#: Triples one synthetic source adds with three park reports (measured on the generator).
TRIPLES_PER_SOURCE = 494
#: Triples of the real project the corpus starts from.
BASE_TRIPLES = 2_200
SIZES = {"10k": 10_000, "100k": 100_000, "1M": 1_000_000}
#: Stored queries about one entity (their parameter binds it); the rest are corpus-wide.
ENTITY_SCOPED = {"entity-facts"}
#: The row of pyoxigraph's own bulk loader, the reference of our load.
REFERENCE = "load: pyoxigraph's own bulk loader alone, same quads"
INCREMENTAL = ("incremental validation (one added source)", "incremental build (one added source)")

# -- steps, run in a child process --------------------------------------------------------


def _emit(name: str, seconds: float, **extra: Any) -> None:
    print(json.dumps({"name": name, "seconds": seconds, **extra}), flush=True)


class _Timeout(Exception):
    pass


def _alarm(signum: int, frame: Any) -> None:
    raise _Timeout


def _timed(name: str, job: Any, cap: float, **extra: Any) -> Any:
    """Run ``job()``; emit its time, or that it passed ``cap`` seconds."""
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, cap)
    start = time.perf_counter()
    try:
        value = job()
    except _Timeout:
        _emit(name, float("inf"), **extra)
        return None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    _emit(name, time.perf_counter() - start, **extra)
    return value


def _ours_load(project: Any, cap: float) -> None:
    """Parse and check every source file, then fill a new on-disk store (the union too)."""
    from rustbelt_kg.load import load_engine_quads
    from rustbelt_kg.store import OxigraphStore

    started = time.perf_counter()
    quads = _timed("load: parse and graph rules", lambda: load_engine_quads(project), cap)
    store = OxigraphStore(project.store_path, for_build=True)
    _timed("load: bulk load into the store", lambda: store.replace_all(quads), cap)
    _emit("load", time.perf_counter() - started)


def _reference_load(project: Any, cap: float) -> None:
    """pyoxigraph's own bulk loader on the same quads (one N-Quads file, written first and
    not timed), into a fresh store: no graph rules, no union."""
    import pyoxigraph as ox

    from rustbelt_kg.load import load_engine_quads

    folder = Path(tempfile.mkdtemp())
    data = folder / "all.nq"
    ox.serialize(load_engine_quads(project), str(data), format=ox.RdfFormat.N_QUADS)

    def load() -> None:
        store = ox.Store(str(folder / "store"))
        store.bulk_load(path=str(data), format=ox.RdfFormat.N_QUADS)
        store.flush()

    _timed(REFERENCE, load, cap)
    shutil.rmtree(folder)


def _ours_validate(project: Any, cap: float) -> None:
    from rustbelt_kg.build import validate_quads
    from rustbelt_kg.load import load_quads, load_shapes

    quads = load_quads(project)
    shapes = load_shapes(project)
    _timed("validate", lambda: validate_quads(quads, shapes), cap)


def _ours_check(project: Any, cap: float) -> None:
    from rustbelt_kg.build import check_sources

    _timed("check", lambda: check_sources(project), cap)


def _ours_queries(project: Any, cap: float) -> None:
    from rustbelt_kg.query import list_qc_queries, list_queries, run_query
    from rustbelt_kg.store import OxigraphStore

    store = OxigraphStore(project.store_path, read_only=True)
    for query in list_queries(project):
        _timed(f"query {query.name}", lambda q=query: run_query(store, q), cap)
    for query in list_qc_queries(project):
        _timed(f"QC {query.name}", lambda q=query: run_query(store, q), cap)


def _ours_export(project: Any, cap: float) -> None:
    """Every format, as build writes them, from the parsed quads (parsed first, not timed)."""
    from rustbelt_kg.engine_export import ENGINE_FORMATS, EngineLines
    from rustbelt_kg.export import RDF_FORMATS, write_exports
    from rustbelt_kg.load import load_engine_quads

    quads = load_engine_quads(project)
    out = Path(tempfile.mkdtemp())
    for name in ENGINE_FORMATS:  # each on its own, from the quads to the file's bytes
        extension = RDF_FORMATS[name].extension
        _timed(f"export {extension}", lambda n=name, e=extension: (out / f"x.{e}").write_bytes(
            EngineLines(quads).write(n)), cap)
    stamps: list[tuple[str, float]] = []
    started = time.perf_counter()
    write_exports(quads, out, "x", progress=lambda n: stamps.append((n, time.perf_counter())))
    ended = time.perf_counter()
    _emit("export, every format as build writes them", ended - started)
    for (name, at), (_, until) in zip(stamps, [*stamps[1:], ("", ended)], strict=True):
        extension = name.rsplit(".", 1)[1]
        if not any(RDF_FORMATS[f].extension == extension for f in ENGINE_FORMATS):
            _emit(f"export {extension}", until - at)
    shutil.rmtree(out)


def _ours_count(project: Any, cap: float) -> None:
    """The number of quads of the built store, as ``len()`` gives it (a fresh reader)."""
    from rustbelt_kg.store import OxigraphStore

    def count() -> int:
        return len(OxigraphStore(project.store_path, read_only=True))

    _timed("count (len of the store)", count, cap)


def _ours_incremental(project: Any, cap: float) -> None:
    """A full build, then one generated source more, built incrementally: the build's time
    and its validation step's (:data:`INCREMENTAL`). The first incremental build after the
    full one reads the queries and shapes to learn what they depend on, once; its time is
    the third row."""
    import contextlib
    import random

    from gen_corpus import make_source

    from rustbelt_kg.build import build
    from rustbelt_kg.progress import Steps

    times: dict[str, float] = {}

    class Timed(Steps):
        @contextlib.contextmanager
        def step(self, name: str) -> Any:
            started = time.perf_counter()
            yield
            times[name] = time.perf_counter() - started

    copy = Path(tempfile.mkdtemp()) / "project"
    shutil.copytree(project.root, copy, ignore=shutil.ignore_patterns("build", "dist"))
    for path in [*copy.glob("queries/*.rq"), *copy.glob("queries/*.srj")]:
        path.unlink()
    project = type(project)(copy)
    full = _timed("full build (build --full)", lambda: build(project, full=True, steps=Timed()),
                  cap)
    _emit("full build: its validation step", times.get("validate", float("inf")))
    if not full.ok:
        raise SystemExit(f"the full build failed: {full.problems[0]}")
    touched = sorted(project.root.glob("data/article/*.trig"))[0]
    touched.write_text(touched.read_text(encoding="utf-8") + "\n# touched\n", encoding="utf-8")
    _timed("incremental build, first after a full one", lambda: build(project), cap)
    source = make_source(len(project.source_texts()) + 1, 3, random.Random(1))
    text_path = f"data/sources/{source.key}.txt"
    (project.root / text_path).write_text(source.text, encoding="utf-8")
    (project.sources_dir / f"{source.key}.ttl").write_text(
        source.stub(text_path, source.headline, source.issued), encoding="utf-8")
    claims = project.root / "data" / "claims" / source.key
    claims.mkdir(parents=True, exist_ok=True)
    (claims / f"{source.key}.trig").write_text(source.trig(), encoding="utf-8")
    summary = _timed(INCREMENTAL[1], lambda: build(project, steps=Timed()), cap)
    _emit(INCREMENTAL[0], times.get("validate", float("inf")))
    print(summary.incremental, file=sys.stderr)
    shutil.rmtree(copy.parent, ignore_errors=True)


#: rustbelt-kg's steps, each a function of (project, cap) that emits its rows; a new row
#: is one more entry here and in :data:`STEPS`.
OURS: dict[str, Any] = {
    "load": _ours_load,
    "reference": _reference_load,
    "validate": _ours_validate,
    "check": _ours_check,
    "queries": _ours_queries,
    "export": _ours_export,
    "count": _ours_count,
    "incremental": _ours_incremental,
}
#: The steps in the order they run (``count`` and ``queries`` read the store ``load`` built).
STEPS = ("load", "reference", "count", "validate", "check", "queries", "export", "incremental")
#: The baseline's steps (the same work, see :func:`baseline`).
BASELINE_STEPS = ("load", "validate", "queries", "export")


def ours(step: str, root: Path, cap: float) -> None:
    from rustbelt_kg.project import Project

    OURS[step](Project(root), cap)


def baseline(step: str, root: Path, cap: float) -> None:
    import pyshacl
    import rdflib

    skip = set(json.loads(os.environ.get("BENCH_SKIP", "[]")))

    from rustbelt_kg.project import Project
    from rustbelt_kg.query import list_qc_queries, list_queries

    project = Project(root)

    def parse() -> rdflib.Dataset:
        ds = rdflib.Dataset(default_union=True)
        for kind, path in project.sources(loaded=True):
            if kind.graph is not None:
                ds.graph(rdflib.URIRef(kind.graph)).parse(path, format=kind.syntax)
            else:
                ds.parse(path, format=kind.syntax)
        return ds

    if step == "load":
        _timed("load", parse, cap)
        return
    ds = parse()
    if step == "validate":
        shapes = rdflib.Graph()
        for _, path in project.sources(loaded=False):
            shapes.parse(path, format="turtle")
        union = rdflib.Graph()
        for s, p, o, _ in ds.quads():
            union.add((s, p, o))
        _timed("validate", lambda: pyshacl.validate(
            union, shacl_graph=shapes, advanced=True, inference="none"), cap)
    elif step == "queries":
        named = [(f"query {q.name}", q) for q in list_queries(project)]
        named += [(f"QC {q.name}", q) for q in list_qc_queries(project)]
        for name, query in named:
            if name in skip:  # past the cap at a smaller size already
                _emit(name, float("inf"))
                continue
            _timed(name, lambda q=query: list(ds.query(q.text, initBindings=q.bindings())),
                   cap / 10)
    elif step == "export":
        union = rdflib.Graph()
        for s, p, o, _ in ds.quads():
            union.add((s, p, o))
        _timed("export nt", lambda: union.serialize(format="nt"), cap)
        _timed("export ttl", lambda: union.serialize(format="turtle"), cap)


# -- the parent ---------------------------------------------------------------------------


@dataclass
class Step:
    """One step's rows from one child: name -> seconds, and the child's peak RSS."""

    rows: dict[str, float] = field(default_factory=dict)
    peak_rss_mb: float = 0.0
    error: str = ""


def run_child(side: str, step: str, root: Path, cap: float, hard_cap: float,
              skip: set[str] = frozenset()) -> Step:  # type: ignore[assignment]
    """Run one step in a fresh interpreter: its rows and its peak RSS."""
    command = [sys.executable, __file__, "--child", side, step, str(root), str(cap)]
    env = {**os.environ, "BENCH_SKIP": json.dumps(sorted(skip))}
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=env)
    result = Step()
    try:
        out, err = child.communicate(timeout=hard_cap)
    except subprocess.TimeoutExpired:
        child.kill()
        out, err = child.communicate()
        result.error = "> cap"
    for line in out.splitlines():
        if line.startswith("{"):
            row = json.loads(line)
            if row["name"] == "peak RSS":
                result.peak_rss_mb = row["seconds"]
            else:
                result.rows[row["name"]] = row["seconds"]
    if child.returncode != 0 and not result.error:
        result.error = err.strip().splitlines()[-1] if err.strip() else f"exit {child.returncode}"
    return result


def machine() -> str:
    """This machine and the library versions, in one line."""
    import pyoxigraph
    import pyshacl
    import rdflib
    from bench_build_and_query import machine as facts

    about = facts()
    return (f"{about['cpu']}, {about['cores']} cores, {about['memory']} RAM; "
            f"{about['system']}; Python {about['python']}, pyoxigraph {pyoxigraph.__version__}, "
            f"rdflib {rdflib.__version__}, pyshacl {pyshacl.__version__}")


def du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def count_triples(root: Path) -> int:
    from rustbelt_kg.project import Project
    from rustbelt_kg.store import OxigraphStore

    store = OxigraphStore(Project(root).store_path, read_only=True)
    rows = store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").rows
    return int(str(rows[0]["n"]))


def _fmt(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds == float("inf"):
        return "> cap"
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _ratio(ours_s: float | None, base_s: float | None) -> str:
    if ours_s is None or base_s is None or ours_s == float("inf"):
        return "—"
    if base_s == float("inf"):
        return "> cap"
    return f"{base_s / max(ours_s, 1e-6):.1f}×"


def measure(size: str, sources: int, cap: float, progress: Any, task: Any,
            capped: set[str], baseline_too: bool = True,
            steps: tuple[str, ...] = STEPS) -> dict[str, Any]:
    """Every step of ``steps`` at one size; ``capped`` names the baseline rows past the cap
    at a smaller size (not run again, reported ``> cap``), and gets this size's."""
    from gen_corpus import generate

    work = Path(tempfile.mkdtemp(prefix=f"rustbelt-bench-{size}-"))
    try:
        started = time.perf_counter()
        generate(sources, work)
        data: dict[str, Any] = {"size": size, "sources": sources, "ours": {}, "baseline": {},
                                "rss": {}, "base_rss": {},
                                "generate_seconds": time.perf_counter() - started,
                                "load_average": os.getloadavg()}
        sides: list[tuple[str, tuple[str, ...]]] = [
            ("ours", tuple(s for s in STEPS if s in steps and s != "load"))]
        sides[0] = ("ours", ("load", *sides[0][1]))  # the others read the store it builds
        if baseline_too:
            sides.append(("baseline", tuple(s for s in BASELINE_STEPS if s in steps)))
        for side, steps in sides:
            for step in steps:
                progress.update(task, description=f"{size}: {side} {step}")
                if side == "baseline" and step in capped:
                    data[side][step] = float("inf")
                    progress.advance(task)
                    continue
                hard = cap * (60 if step == "queries" else 3)
                result = run_child(side, step, work, cap, hard, capped)
                data[side].update(result.rows)
                data["rss" if side == "ours" else "base_rss"][step] = result.peak_rss_mb
                if result.error:
                    data[side].setdefault(step, float("inf"))
                    data.setdefault("errors", []).append(f"{side} {step}: {result.error}")
                if side == "baseline":
                    capped |= {n for n, t in result.rows.items() if t == float("inf")}
                    if result.error or result.rows.get(step) == float("inf"):
                        capped.add(step)
                progress.advance(task)
                if side == "ours" and step == "load":
                    data["triples"] = count_triples(work)
                    data["store_bytes"] = du(Path(os.path.realpath(work / "build" / "store")))
        return data
    finally:
        shutil.rmtree(work, ignore_errors=True)


def table(results: list[dict[str, Any]]) -> str:
    """The Markdown report: one column pair (ours, baseline) per size."""
    head = "| step | " + " | ".join(
        f"{r['size']} ({r['triples']:,} triples): rustbelt-kg | rdflib + pyshacl | ratio"
        for r in results) + " |"
    sep = "|---|" + "---|---|---|" * len(results)
    names: list[str] = []
    for r in results:
        names += [n for n in r["ours"] if n not in names]
    lines = [head, sep]
    for name in names:
        cells = []
        for r in results:
            mine, base = r["ours"].get(name), r["baseline"].get(name)
            cells += [_fmt(mine), _fmt(base), _ratio(mine, base)]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    for name in INCREMENTAL:
        if name not in names:
            lines.append(f"| {name} | " + " | ".join(["not measured", "—", "—"] * len(results))
                         + " |")
    for step in STEPS:
        if not any(step in r["rss"] for r in results):
            continue
        cells = []
        for r in results:
            base, mine = r["base_rss"].get(step), r["rss"].get(step)
            cells += ["—" if mine is None else f"{mine:,.0f} MB",
                      "—" if base is None else f"{base:,.0f} MB", "—"]
        lines.append(f"| peak RSS, {step} | " + " | ".join(cells) + " |")
    lines.append("| store size on disk | " + " | ".join(
        f"{r['store_bytes'] / 1e6:,.1f} MB | — | —" for r in results) + " |")
    return "\n".join(lines) + "\n"


def _largest(results: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    """The result of the largest size at which our ``name`` row was measured."""
    return next((r for r in reversed(results) if name in r["ours"]), None)


def targets(results: list[dict[str, Any]]) -> str:
    """Each target at the largest size where its step ran, met or missed by how much."""
    out = ["Targets (each at the largest size where its step ran):", ""]

    def line(what: str, ok: bool, detail: str, at: dict[str, Any]) -> None:
        size = f"{at['size']}, {at['triples']:,} triples"
        out.append(f"- {'met' if ok else 'MISSED'}: {what} ({size}: {detail})")

    big = _largest(results, "load")
    if big is not None:
        n, load, alone = big["triples"], big["ours"]["load"], big["ours"].get(REFERENCE)
        beside = "" if alone is None else (
            f"; pyoxigraph's own bulk loader alone on the same quads: {n / alone:,.0f} "
            f"triples/s, ours takes {load / alone:.1f}x its time")
        line("load >= 250k triples/s", n / load >= 250_000, f"{n / load:,.0f} triples/s{beside}",
             big)
    big = _largest(results, "validate")
    if big is not None:
        validate, pyshacl = big["ours"]["validate"], big["baseline"].get("validate")
        if pyshacl is None:
            line("validation no slower than one pyshacl pass", False, "baseline not run", big)
        else:
            line("validation no slower than one pyshacl pass", validate <= pyshacl,
                 f"{_fmt(validate)} against {_fmt(pyshacl)}", big)
        rss = big["rss"].get("validate", 0)
        line("validation peak RSS <= 4 GB", rss <= 4096, f"{rss:,.0f} MB", big)
    big = next((r for r in reversed(results)
                if any(n.startswith(("query ", "QC ")) for n in r["ours"])), None)
    for name, seconds in (big or {"ours": {}})["ours"].items():
        if not name.startswith(("query ", "QC ")):
            continue
        assert big is not None
        short = name.split(" ", 1)[1]
        limit = 0.1 if short in ENTITY_SCOPED else 1.0
        other = big["baseline"].get(name)
        if other is None:
            ratio, ratio_text = 0.0, "no baseline"
        elif other == float("inf"):  # past its cap: at least the cap's ratio
            ratio = big["cap"] / 10 / max(seconds, 1e-6)
            ratio_text = f"rdflib > {_fmt(big['cap'] / 10)}, >= {ratio:.0f}x"
        else:
            ratio = other / max(seconds, 1e-6)
            ratio_text = f"rdflib {_fmt(other)}, {ratio:.0f}x"
        line(f"{name} <= {_fmt(limit)} and >= 20x rdflib", seconds <= limit and ratio >= 20,
             f"{_fmt(seconds)}; {ratio_text}", big)
    for row, what, rate in (("export nt", "N-Triples export >= 1M triples/s", 1_000_000),
                            ("export ttl", "sorted Turtle export >= 200k triples/s", 200_000)):
        big = _largest(results, row)
        if big is not None:
            n, seconds = big["triples"], big["ours"][row]
            line(what, n / seconds >= rate, f"{n / seconds:,.0f} triples/s", big)
    for name, limit in zip(INCREMENTAL, (1.0, 3.0), strict=True):
        big = _largest(results, name)
        if big is None:
            out.append(f"- not measured: {name}")
        else:
            seconds = big["ours"][name]
            line(f"{name} <= {_fmt(limit)}", seconds <= limit, _fmt(seconds), big)
    return "\n".join(out) + "\n"


def plot(results: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = ["load", REFERENCE, "validate", "check", "export nt", "export ttl"]
    queries = sorted({n for r in results for n in r["ours"] if n.startswith(("query", "QC"))})
    figure, axes = plt.subplots(1, 2, figsize=(13, 5.5))
    x = [r["triples"] for r in results]
    for step in steps:
        for side, style in (("ours", "-o"), ("baseline", "--x")):
            y = [r[side].get(step) for r in results]
            if any(v is not None and v != float("inf") for v in y):
                axes[0].plot(x, [v if v != float("inf") else None for v in y], style,
                             label=step if step == REFERENCE else
                             f"{step} ({'rustbelt-kg' if side == 'ours' else 'baseline'})")
    for side, style in (("ours", "-o"), ("baseline", "--x")):
        who = "rustbelt-kg" if side == "ours" else "baseline"
        y = [max(((r[side].get(q) or 0) for q in queries), default=0) or None for r in results]
        axes[1].plot(x, [v if v != float("inf") else None for v in y], style,
                     label=f"slowest query ({who})")
        y = [sum((r[side].get(q) or 0) for q in queries if r[side].get(q) != float("inf"))
             or None for r in results]  # None: not measured at that size
        axes[1].plot(x, y, style, label=f"all queries, finished ({who})")
    for axis, title in zip(axes, ("load, validation, check, export", "stored and QC queries"),
                           strict=True):
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel("triples")
        axis.set_ylabel("seconds")
        axis.set_title(title)
        axis.grid(True, which="both", alpha=0.3)
        axis.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10k,100k,1M")
    parser.add_argument("--cap", type=float, default=300.0, help="seconds per step")
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument("--no-baseline", action="store_true", help="measure rustbelt-kg only")
    parser.add_argument("--steps", default=",".join(STEPS),
                        help=f"steps to run, of {', '.join(STEPS)} (load always runs)")
    parser.add_argument("--render", type=Path, nargs="+", metavar="JSON",
                        help="write the report and plot from saved --json results, in order")
    parser.add_argument("--child", nargs=4, metavar=("SIDE", "STEP", "ROOT", "CAP"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        side, step, root, cap = args.child
        (ours if side == "ours" else baseline)(step, Path(root), float(cap))
        _emit("peak RSS", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        return 0

    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    if args.render:
        saved = [r for path in args.render for r in json.loads(path.read_text())]
        capped_before: dict[str, float] = {}
        for r in saved:  # JSON wrote infinity as a string
            for side in ("ours", "baseline"):
                r[side] = {k: float(v) for k, v in r[side].items()}
            if not r["baseline"]:  # not run: what passed the cap at a smaller size still does
                r["baseline"] = dict(capped_before)
            capped_before = {k: v for k, v in r["baseline"].items() if v == float("inf")}
        return report(saved, args.out)
    sizes = [s.strip() for s in args.sizes.split(",")]
    results = []
    capped: set[str] = set()
    with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                  console=Console(stderr=True)) as progress:
        steps = tuple(s.strip() for s in args.steps.split(","))
        unknown = set(steps) - set(STEPS)
        if unknown:
            parser.error(f"unknown steps: {', '.join(sorted(unknown))}")
        per_size = len(set(steps) | {"load"}) + (
            0 if args.no_baseline else len(set(steps) & set(BASELINE_STEPS)))
        task = progress.add_task("bench", total=per_size * len(sizes))
        for size in sizes:
            triples = SIZES.get(size) or int(size)
            sources = max(1, (triples - BASE_TRIPLES) // TRIPLES_PER_SOURCE)
            data = measure(size, sources, args.cap, progress, task, capped,
                           baseline_too=not args.no_baseline, steps=steps)
            data["cap"] = args.cap
            results.append(data)
            if args.json:
                args.json.write_text(json.dumps(results, indent=1, default=str) + "\n")
    return report(results, args.out)


def report(results: list[dict[str, Any]], out: Path) -> int:
    """Print the report; write it and the plot into ``out``."""
    caps = sorted({f"{r['cap']:.0f} s" for r in results})
    loads = "; ".join(
        f"{r['size']}: {', '.join(f'{x:.1f}' for x in r['load_average'])}"
        for r in results if r.get("load_average"))
    text = (f"Machine: {machine()}. Step cap: {', '.join(caps)}. The machine is shared: "
            f"load average (1, 5, 15 min) when each size started: {loads or 'not recorded'}."
            "\n\n" + table(results) + "\n" + targets(results))
    unrun = [r["size"] for r in results if not any(
        v != float("inf") for v in r["baseline"].values())]
    if unrun:
        text += (f"\nThe baseline was not run at {', '.join(unrun)} (--no-baseline): the machine "
                 "is shared, and its steps past the cap at a smaller size (shown > cap) would "
                 "hold it for the whole cap again.\n")
    errors = [e for r in results for e in r.get("errors", [])]
    if errors:
        text += "\nSteps that did not finish:\n\n" + "".join(f"- {e}\n" for e in errors)
    print(text)
    out.mkdir(parents=True, exist_ok=True)
    (out / "performance.md").write_text(text, encoding="utf-8")
    plot(results, out / "performance.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
