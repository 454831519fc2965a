"""Incremental builds: what they reload, and that they end where a full build does."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from killing import kill_when

from rustbelt_kg.build import BuildSummary, build
from rustbelt_kg.incremental import MANIFEST, read_manifest
from rustbelt_kg.project import Project
from rustbelt_kg.query import list_queries, run_query
from rustbelt_kg.store import COUNT_FILE, OxigraphStore

CORPUS = Path(__file__).resolve().parent / "fixtures" / "corpus"
CLAIM = "https://w3id.org/rustbelt-kg/claim/"
XSD = "http://www.w3.org/2001/XMLSchema#"
PROVENANCE = ox.NamedNode("https://w3id.org/rustbelt-kg/graph/provenance")

#: Examples per run of the property tests (a third of them on the generated project, which
#: builds slower): a handful by default, more with the variable.
EXAMPLES = int(os.environ.get("RUSTBELT_KG_INCREMENTAL_EXAMPLES", "3"))


def _copy_corpus(into: Path) -> Project:
    root = into / "corpus"
    shutil.copytree(CORPUS, root, ignore=shutil.ignore_patterns("build", "dist"))
    for folder in ("data/enrichment", "data/links"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    return Project(root)


def _claim_files(project: Project) -> list[Path]:
    return [*project.files("article"), *project.files("claims")]


def _read(path: Path) -> list[ox.Quad]:
    return list(ox.parse(path.read_bytes(), ox.RdfFormat.TRIG))


def _write(path: Path, quads: list[ox.Quad]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(ox.serialize(quads, format=ox.RdfFormat.TRIG) or b"")


def _claims(quads: list[ox.Quad]) -> list[str]:
    return sorted({q.graph_name.value for q in quads if isinstance(q.graph_name, ox.NamedNode)
                   and q.graph_name.value.startswith(CLAIM)})


def _of_claim(quad: ox.Quad, claim: str) -> bool:
    return any(isinstance(t, ox.NamedNode) and (t.value == claim or t.value.startswith(claim + "#"))
               for t in (quad.graph_name, quad.subject))


def _renamed(term: ox.NamedNode | ox.Literal | ox.BlankNode | ox.DefaultGraph, old: str,
             new: str) -> ox.NamedNode | ox.Literal | ox.BlankNode | ox.DefaultGraph:
    if isinstance(term, ox.NamedNode) and (term.value == old or term.value.startswith(old + "#")):
        return ox.NamedNode(new + term.value[len(old):])
    return term


def edit(project: Project, kind: str, pick: int, serial: int) -> None:
    """Apply one edit: change, remove or add a claim, or add a source."""
    if kind == "add a source":
        sources = project.sources_dir
        name = f"tiny-herald-{serial}"
        text = (sources / "tiny-herald.txt").read_text(encoding="utf-8") + f"\n\nCopy {serial}.\n"
        (sources / f"{name}.txt").write_text(text, encoding="utf-8")
        import hashlib

        stub = (sources / "tiny-herald.ttl").read_text(encoding="utf-8")
        old_digest = hashlib.sha256((sources / "tiny-herald.txt").read_bytes()).hexdigest()
        stub = stub.replace("tiny-herald", name).replace(
            old_digest, hashlib.sha256(text.encode()).hexdigest())
        (sources / f"{name}.ttl").write_text(stub, encoding="utf-8")
        folder = project.root / "data" / "claims"
        for path in sorted((folder / "tiny-herald").glob("*.trig")):
            trig = path.read_text(encoding="utf-8").replace("claim:herald-", f"claim:h{serial}-")
            trig = trig.replace("<herald-", f"<h{serial}-").replace("tiny-herald", name)
            (folder / name).mkdir(exist_ok=True)
            (folder / name / path.name).write_text(trig, encoding="utf-8")
        return
    files = [f for f in _claim_files(project) if _claims(_read(f))]
    path = files[pick % len(files)]
    quads = _read(path)
    claims = _claims(quads)
    claim = claims[pick % len(claims)]
    if kind == "remove a claim":
        quads = [q for q in quads if not _of_claim(q, claim)]
    elif kind == "add a claim":
        copy = f"{claim}-copy{serial}"
        quads += [ox.Quad(*(_renamed(t, claim, copy) for t in q))  # type: ignore[arg-type]
                  for q in quads if _of_claim(q, claim)]
    else:  # change a claim: a value of one of its facts
        facts = [q for q in quads if q.graph_name == ox.NamedNode(claim)]
        target = facts[pick % len(facts)]
        value = target.object
        if isinstance(value, ox.Literal) and value.datatype.value.endswith("#integer"):
            changed: ox.Literal | ox.NamedNode = ox.Literal(str(int(value.value) + 1),
                                                            datatype=value.datatype)
        elif isinstance(value, ox.Literal):
            changed = ox.Literal(value.value + " (changed)", language=value.language)
        else:
            changed = ox.NamedNode("https://w3id.org/rustbelt-kg/id/someone-else")
        quads = [ox.Quad(q.subject, q.predicate, changed, q.graph_name) if q == target else q
                 for q in quads]
    _write(path, quads)


def _outcome(project: Project, summary: BuildSummary) -> tuple[object, ...]:
    """What a build decided: its summary (time and how it ran apart) and problems."""
    rows = [row for row in summary.rows() if row[0] not in ("time", "build", "project")]
    return rows, [str(p) for p in summary.problems]


def _content(project: Project) -> tuple[object, ...]:
    """The live store as a set of quads, and every stored query's answer on it."""
    store = OxigraphStore(project.store_path, read_only=True)
    try:
        queries = list_queries(project)
        answers = {q.name: sorted(map(str, run_query(store, q).rows)) for q in queries}
        return set(store.quads()), answers
    finally:
        store.close()


EDITS = st.lists(
    st.tuples(st.sampled_from(["change a claim", "remove a claim", "add a claim",
                               "add a source"]), st.integers(0, 50)),
    min_size=1, max_size=2,
)


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(EDITS)
def test_an_incremental_build_ends_where_a_full_build_does(edits: list[tuple[str, int]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        project = _copy_corpus(Path(folder) / "a")
        assert build(project, exports=False).ok
        check_edits(project, Path(folder), edits, _content)


def check_edits(project: Project, folder: Path, edits: list[tuple[str, int]],
                state: Callable[[Project], object]) -> None:
    """Apply each edit, build incrementally, and compare with a full build of a fresh copy:
    the summary and problems, and ``state`` (the store, the answers) when it published."""
    for serial, (kind, pick) in enumerate(edits):
        edit(project, kind, pick, serial)
        before = state(project)
        incremental = build(project, exports=False)
        fresh = Project(folder / f"b{serial}")
        shutil.copytree(project.root, fresh.root, ignore=shutil.ignore_patterns("build", "dist"))
        full = build(fresh, exports=False, full=True)
        assert _outcome(project, incremental) == _outcome(fresh, full)
        if full.ok:
            assert state(project) == state(fresh)
        else:  # nothing was published
            assert state(project) == before
            build(project, exports=False, full=True)  # as a user would, after fixing


def test_a_second_build_with_nothing_changed_reloads_nothing(tmp_path: Path) -> None:
    project = _copy_corpus(tmp_path)
    first = build(project)
    live = project.store_path.resolve()
    again = build(project)
    assert first.incremental.startswith("full") and again.incremental.startswith("up to date")
    assert project.store_path.resolve() == live  # nothing published
    assert _outcome(project, first) == _outcome(project, again)


def test_an_added_source_is_loaded_alone(tmp_path: Path) -> None:
    project = _copy_corpus(tmp_path)
    build(project)
    edit(project, "add a source", 0, 1)
    summary = build(project)
    assert summary.ok, summary.problems
    assert summary.incremental.startswith("incremental: 2 file(s) changed")
    manifest = read_manifest(project.store_path.resolve())
    assert manifest is not None and manifest.disjoint
    assert (project.store_path / MANIFEST).is_file()


def _counted_by_the_engine(project: Project) -> int:
    store = ox.Store.read_only(str(project.store_path.resolve()))
    rows = store.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert isinstance(rows, ox.QuerySolutions)
    return int(next(rows)[0].value)  # type: ignore[union-attr]


@pytest.mark.parametrize("recorded", [True, False], ids=["recorded", "not recorded"])
def test_an_incremental_build_records_the_number_of_quads_its_store_holds(
    tmp_path: Path, recorded: bool
) -> None:
    project = _copy_corpus(tmp_path)
    before = build(project).quads
    if not recorded:  # a store written by a version that kept no count
        (project.store_path / COUNT_FILE).unlink()
    edit(project, "add a source", 0, 1)
    summary = build(project)
    assert summary.ok and summary.incremental.startswith("incremental"), summary
    assert summary.quads > before
    count = (project.store_path / COUNT_FILE).read_text(encoding="utf-8")
    assert count == f"{_counted_by_the_engine(project)}\n" == f"{summary.quads}\n"
    store = OxigraphStore(project.store_path, read_only=True)
    try:
        assert len(store) == summary.quads
    finally:
        store.close()


def _exports(project: Project) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(project.dist_dir.iterdir())}


def test_an_incremental_build_exports_what_a_full_build_does_in_the_files_lexical_forms(
    tmp_path: Path,
) -> None:
    """The store keeps ``"1.50"^^xsd:decimal`` as ``1.5``; the exports keep the file's form,
    after an incremental build too, whether it adds quads or takes them out."""
    project = _copy_corpus(tmp_path)
    build(project)
    path = [f for f in _claim_files(project) if _claims(_read(f))][0]
    quads = _read(path)
    claim = ox.NamedNode(_claims(quads)[0])
    subject = next(q.subject for q in quads if q.graph_name == claim)
    share = ox.Quad(subject, ox.NamedNode("https://w3id.org/rustbelt-kg/ontology#shareOfOutput"),
                    ox.Literal("1.50", datatype=ox.NamedNode(XSD + "decimal")), claim)
    for changed in ([*quads, share], quads):
        _write(path, changed)
        summary = build(project)
        assert summary.ok and summary.incremental.startswith("incremental: 1 file"), summary
        fresh = Project(tmp_path / f"fresh-{len(changed)}")
        shutil.copytree(project.root, fresh.root, ignore=shutil.ignore_patterns("build", "dist"))
        assert build(fresh, full=True).ok
        assert _exports(project) == _exports(fresh)
        assert (b'"1.50"^^<' + XSD.encode() + b'decimal>' in _exports(project)["rustbelt-kg.nt"]) \
            == (share in changed)


@pytest.mark.parametrize("change", ["shapes", "queries"])
def test_a_change_to_the_shapes_or_queries_makes_a_full_build(tmp_path: Path, change: str) -> None:
    project = _copy_corpus(tmp_path)
    build(project)
    folder = project.root / change
    path = sorted(p for p in folder.iterdir() if p.is_file())[0]
    path.write_text(path.read_text(encoding="utf-8") + "\n# touched\n", encoding="utf-8")
    summary = build(project)
    assert summary.incremental == "full (the code, ontology, shapes or queries changed)"


def test_build_full_forces_a_full_build(tmp_path: Path) -> None:
    project = _copy_corpus(tmp_path)
    build(project)
    assert build(project, full=True).incremental == "full (--full)"


# -- on the project's own shapes and QC queries, with generated sources ---------------------

REPO_ROOT = Path(__file__).resolve().parent.parent


def _generated(into: Path, sources: int) -> Project:
    """The project with ``sources`` generated sources (``bench/gen_corpus.py``); its stored
    queries are left out (their expected results are the article's), its QC kept."""
    sys.path.insert(0, str(REPO_ROOT / "bench"))
    try:
        import gen_corpus
    finally:
        sys.path.remove(str(REPO_ROOT / "bench"))
    gen_corpus.generate(sources, into)
    for path in [*into.glob("queries/*.rq"), *into.glob("queries/*.srj")]:
        path.unlink()
    return Project(into)


@pytest.fixture(scope="module")
def generated_built(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """A generated project, built once; copy it (:func:`_copy_built`) before changing it."""
    project = _generated(tmp_path_factory.mktemp("generated") / "project", 2)
    summary = build(project, exports=False)
    assert summary.ok, summary.problems
    touched = _claim_files(project)[0]  # an incremental build: it records what the
    touched.write_text(touched.read_text(encoding="utf-8") + "\n# read\n", encoding="utf-8")
    summary = build(project, exports=False)  # queries and shapes read, for the next ones
    assert summary.ok and summary.incremental.startswith("incremental"), summary
    return project


def _copy_built(project: Project, into: Path) -> Project:
    shutil.copytree(project.root, into, symlinks=True)
    return Project(into)


def _answers(project: Project) -> dict[str, list[str]]:
    """The project's own stored queries' answers on the live store of ``project``."""
    store = OxigraphStore(project.store_path, read_only=True)
    try:
        return {q.name: sorted(map(str, run_query(store, q).rows))
                for q in list_queries(Project(REPO_ROOT))}
    finally:
        store.close()


@settings(max_examples=max(1, EXAMPLES // 3), deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["change a claim", "remove a claim", "add a claim"]),
                          st.integers(0, 500)), min_size=1, max_size=2))
def test_an_incremental_build_under_the_project_shapes_ends_where_a_full_build_does(
    generated_built: Project, edits: list[tuple[str, int]]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        project = _copy_built(generated_built, Path(folder) / "a")
        check_edits(project, Path(folder), edits, lambda p: (_content(p), _answers(p)))


def test_a_generated_source_added_is_built_incrementally_as_a_full_build_would(
    generated_built: Project, tmp_path: Path
) -> None:
    project = _copy_built(generated_built, tmp_path / "a")
    more = _generated(tmp_path / "more", 3)
    for path in sorted(p for p in more.root.glob("data/**/gen-00003*") if p.is_file()):
        target = project.root / path.relative_to(more.root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    incremental = build(project, exports=False)
    assert incremental.ok and incremental.incremental.startswith("incremental"), incremental
    fresh = Project(tmp_path / "b")
    shutil.copytree(project.root, fresh.root, ignore=shutil.ignore_patterns("build", "dist"))
    full = build(fresh, exports=False, full=True)
    assert _outcome(project, incremental) == _outcome(fresh, full)
    assert (_content(project), _answers(project)) == (_content(fresh), _answers(fresh))


# -- all or nothing -----------------------------------------------------------------------


def _live(project: Project) -> tuple[Path, dict[str, bytes], set[object]]:
    """The live store directory, the bytes of every export, and the store's quads."""
    exports = {p.name: p.read_bytes() for p in project.dist_dir.iterdir()}
    return project.store_path.resolve(), exports, _content(project)[0]  # type: ignore[return-value]


def _leftovers(project: Project) -> list[str]:
    return sorted(p.name for p in project.build_dir.iterdir() if not p.name.startswith("."))


def test_an_incremental_build_that_crashes_leaves_the_previous_store_and_dist_live(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rustbelt_kg import delta

    project = _copy_corpus(tmp_path)
    build(project)
    before = _live(project)
    edit(project, "add a source", 0, 1)

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the disk went away")

    monkeypatch.setattr(delta, "write_record", crash)
    with pytest.raises(RuntimeError, match="the disk went away"):
        build(project)
    assert _live(project) == before
    assert _leftovers(project) == sorted([before[0].name, "store"])


def test_an_incremental_build_killed_before_its_swap_leaves_the_previous_store_whole(
    tmp_path: Path,
) -> None:
    project = _copy_corpus(tmp_path)
    build(project)
    before = _live(project)
    edit(project, "add a source", 0, 1)
    kill_when(
        f"""
        import time
        from pathlib import Path
        from rustbelt_kg import delta
        from rustbelt_kg.build import build
        from rustbelt_kg.project import Project

        def stall(*args, **kwargs):
            print("changed", flush=True)  # the fresh store holds the change, not yet live
            time.sleep(60)

        delta.write_record = stall
        build(Project(Path({str(project.root)!r})))
        """,
        "changed",
    )
    assert _live(project) == before
    summary = build(project)  # the next build finishes and clears what the killed one left
    assert summary.ok and summary.incremental.startswith("incremental"), summary
    assert _live(project)[2] != before[2]
    assert _leftovers(project) == sorted([project.store_path.resolve().name, "store"])
