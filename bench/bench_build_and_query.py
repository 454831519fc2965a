"""Time `rustbelt-kg build` and a cold `rustbelt-kg query NAME` beside a plain baseline.

The baseline does the same work with plain rdflib + pyshacl, as a project without this
toolkit would: parse every source file with rdflib, validate with pyshacl, run every stored
query with rdflib's SPARQL engine, and serialise Turtle. The cold query baseline starts a
fresh interpreter that parses the data with rdflib and runs one stored query.

Every measurement is a fresh process (so imports count, as they do for a user), repeated
``--repeat`` times; the report gives the median and the ratio baseline / rustbelt-kg.

    python bench/bench_build_and_query.py [--repeat 5] [--query NAME] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

TARGETS = {"build": 3.0, "query": 1.0}

BASELINE_BUILD = r"""
import sys, glob
from pathlib import Path
import rdflib, pyshacl
root = Path(sys.argv[1])
ds = rdflib.Dataset(default_union=True)
ont = rdflib.Graph()
ont.parse(data=(root / "ontology" / "rustbelt.ttl").read_text(), format="turtle")
for s, p, o in ont:
    ds.graph(rdflib.URIRef("https://w3id.org/rustbelt-kg/graph/ontology")).add((s, p, o))
for path in sorted(root.glob("data/**/*.trig")):
    ds.parse(data=path.read_text(), format="trig")
for path in sorted(root.glob("data/links/*.ttl")):
    g = ds.graph(rdflib.URIRef("https://w3id.org/rustbelt-kg/graph/links/wikidata"))
    g.parse(data=path.read_text(), format="turtle")
shapes = rdflib.Graph()
for path in sorted(root.glob("shapes/*.ttl")):
    shapes.parse(data=path.read_text(), format="turtle")
union = rdflib.Graph()
for s, p, o, _ in ds.quads():
    union.add((s, p, o))
conforms, _, _ = pyshacl.validate(union, shacl_graph=shapes, ont_graph=ont, advanced=True)
from rustbelt_kg.project import Project
from rustbelt_kg.query import list_qc_queries, list_queries
rows = 0
project = Project(root)
for stored in list_queries(project) + list_qc_queries(project):  # with the same bindings
    rows += len(list(ds.query(stored.text, initBindings=stored.bindings())))
out = union.serialize(format="turtle")
print(len(union), conforms, rows, len(out))
"""

BASELINE_QUERY = r"""
import sys
from pathlib import Path
import rdflib
root = Path(sys.argv[1])
ds = rdflib.Dataset(default_union=True)
g = ds.graph(rdflib.URIRef("https://w3id.org/rustbelt-kg/graph/ontology"))
g.parse(data=(root / "ontology" / "rustbelt.ttl").read_text(), format="turtle")
for path in sorted(root.glob("data/**/*.trig")):
    ds.parse(data=path.read_text(), format="trig")
for path in sorted(root.glob("data/links/*.ttl")):
    g = ds.graph(rdflib.URIRef("https://w3id.org/rustbelt-kg/graph/links/wikidata"))
    g.parse(data=path.read_text(), format="turtle")
# The same bindings as `rustbelt-kg query NAME` uses (its parameters' defaults), so that
# both sides do the same work: entity-facts unbound would list every entity's facts.
from rustbelt_kg.project import Project
from rustbelt_kg.query import get_query
stored = get_query(Project(root), sys.argv[2])
print(len(list(ds.query(stored.text, initBindings=stored.bindings()))))
"""


def machine() -> dict[str, str]:
    """A description of this machine for the report."""
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kib = int(meminfo.read_text().split()[1])
        memory = f"{kib / 1024 / 1024:.1f} GiB"
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "memory": memory,
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
    }


def timed(command: list[str], cwd: Path) -> float:
    """Seconds one run of ``command`` takes; fails loudly if the command fails."""
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr}")
    return elapsed


def median_of(command: list[str], cwd: Path, repeat: int) -> float:
    return statistics.median(timed(command, cwd) for _ in range(repeat))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement")
    parser.add_argument("--query", default="entity-facts", help="stored query for the cold run")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = parser.parse_args()

    cli = shutil.which("rustbelt-kg") or str(Path(sys.executable).parent / "rustbelt-kg")
    with tempfile.TemporaryDirectory() as tmp:
        # Work on a copy so the benchmark never touches the checkout's build/ and dist/.
        work = Path(tmp) / "checkout"
        shutil.copytree(
            ROOT, work, ignore=shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.pyc")
        )
        build_ours = median_of([cli, "--project", str(work), "build"], work, args.repeat)
        query_ours = median_of(
            [cli, "--project", str(work), "query", args.query, "--format", "csv"], work, args.repeat
        )
        build_base = median_of(
            [sys.executable, "-c", BASELINE_BUILD, str(work)], work, args.repeat
        )
        query_base = median_of(
            [sys.executable, "-c", BASELINE_QUERY, str(work), args.query], work, args.repeat
        )

    results = {
        "machine": machine(),
        "repeat": args.repeat,
        "query": args.query,
        "build": {"rustbelt_kg_s": build_ours, "baseline_s": build_base},
        "query_cold": {"rustbelt_kg_s": query_ours, "baseline_s": query_base},
    }
    print("machine: " + ", ".join(f"{k} {v}" for k, v in results["machine"].items()))
    print(f"median of {args.repeat} fresh-process runs each\n")
    print(f"{'job':<22}{'rustbelt-kg':>13}{'baseline':>11}{'ratio':>8}{'target':>9}")
    for job, key, target in (
        ("build", "build", TARGETS["build"]),
        (f"query {args.query}", "query_cold", TARGETS["query"]),
    ):
        ours, base = results[key]["rustbelt_kg_s"], results[key]["baseline_s"]
        verdict = "ok" if ours < target else "MISSED"
        print(
            f"{job:<22}{ours:>12.3f}s{base:>10.3f}s{base / ours:>7.2f}x"
            f"{'< ' + str(target) + 's':>8} {verdict}"
        )
    print("\nratio = baseline time / rustbelt-kg time (above 1: rustbelt-kg is faster)")
    print("note: `build` also checks quotes, runs QC and compares every query with its expected")
    print("result, and writes six export formats; the baseline does less work.")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
