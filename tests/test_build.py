"""The build: counts, exports, store swap, and how failures are reported."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from killing import kill_when
from rdflib import Graph

from rustbelt_kg import build as build_module
from rustbelt_kg.build import BuildSummary, build, validate_sources
from rustbelt_kg.errors import (
    CheckFailed,
    DataProblem,
    OutputError,
    QueryMismatch,
    QuerySyntaxError,
    RdfSyntaxError,
    UsageError,
    ValidationFailed,
)
from rustbelt_kg.export import RDF_FORMATS, context_text
from rustbelt_kg.project import Project
from rustbelt_kg.store import OxigraphStore

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class FakeValidation:
    """Stands in for rustbelt_kg.validate.ValidationResult in unit tests of the build."""

    conforms: bool = True
    violations: list[str] = field(default_factory=list)
    report_graph: Graph = field(default_factory=Graph)

    def render(self, dataset: object, source_text: str | None = None) -> str:
        return "report: " + "; ".join(self.violations)


@pytest.fixture
def conforming(monkeypatch: pytest.MonkeyPatch) -> None:
    """The SHACL step always conforms: these tests are about the build, not the shapes."""
    monkeypatch.setattr(build_module, "validate_quads", lambda quads, shapes: FakeValidation())


@pytest.mark.usefixtures("conforming")
def test_build_summary_counts_the_tiny_project(tiny_project: Project) -> None:
    summary = build(tiny_project)
    assert summary.ok, summary.problems
    assert (summary.graphs, summary.claims, summary.facts) == (8, 3, 12)
    assert summary.entities == 5
    assert summary.shapes == 3 and summary.conforms
    assert (summary.queries_passed, summary.queries_total) == (2, 2)
    assert (summary.qc_passed, summary.qc_total) == (1, 1)
    assert summary.quads == len(OxigraphStore(tiny_project.store_path, read_only=True))
    assert summary.triples <= summary.quads
    assert 0 < summary.seconds < 30
    text = summary.render()
    assert "claims" in text and "2/2 pass" in text


@pytest.mark.usefixtures("conforming")
def test_build_writes_the_store_and_one_export_per_format(tiny_project: Project) -> None:
    summary = build(tiny_project)
    names = sorted(p.name for p in tiny_project.dist_dir.iterdir())
    assert names == sorted(f"rustbelt-kg.{f.extension}" for f in RDF_FORMATS.values())
    assert summary.exports == [tiny_project.dist_dir / f"rustbelt-kg.{f.extension}"
                               for f in RDF_FORMATS.values()]
    assert tiny_project.store_path.is_symlink()
    assert tiny_project.context_path.read_text(encoding="utf-8") == context_text()


@pytest.mark.usefixtures("conforming")
def test_rdf_syntax_error_aborts_the_build_before_anything_is_written(
    tiny_project: Project,
) -> None:
    build(tiny_project)
    live = tiny_project.store_path.resolve()
    exports = {p: p.read_bytes() for p in tiny_project.dist_dir.iterdir()}
    links = tiny_project.root / "data" / "links" / "wikidata.ttl"
    links.write_text(links.read_text(encoding="utf-8") + "rb:oops skos:exactMatch .\n",
                     encoding="utf-8")
    (tiny_project.root / "data" / "article" / "tiny.trig").unlink()  # would change every count
    with pytest.raises(RdfSyntaxError) as caught:
        build(tiny_project)
    assert caught.value.path == "data/links/wikidata.ttl" and caught.value.line == 6
    assert tiny_project.store_path.resolve() == live
    assert {p: p.read_bytes() for p in tiny_project.dist_dir.iterdir()} == exports


def _outputs(project: Project) -> tuple[Path, dict[Path, bytes]]:
    """The live store directory and the bytes of every export and the context."""
    files = [*project.dist_dir.iterdir(), project.context_path]
    return project.store_path.resolve(), {p: p.read_bytes() for p in files if p.is_file()}


@pytest.mark.usefixtures("conforming")
@pytest.mark.parametrize("folder", ["queries", "queries/qc"])
def test_sparql_syntax_error_in_a_query_file_aborts_before_anything_is_written(
    folder: str, tiny_project: Project
) -> None:
    build(tiny_project)
    before = _outputs(tiny_project)
    tiny_project.context_path.unlink()  # would be rewritten by a build that went on
    name = "zz-broken" if folder == "queries" else "zz-broken-violation"
    (tiny_project.root / folder / f"{name}.rq").write_text(
        '#+ title: Broken\nSELECT ?s WHERE {\n  ?s ?p "open\n}\n', encoding="utf-8"
    )
    (tiny_project.root / "data" / "article" / "tiny.trig").unlink()  # would change the store
    with pytest.raises(QuerySyntaxError) as caught:
        build(tiny_project)
    assert (caught.value.path, caught.value.line) == (f"{folder}/{name}.rq", 3)
    assert caught.value.exit_code == 3
    assert not tiny_project.context_path.exists()
    assert _outputs(tiny_project) == (before[0], {
        p: b for p, b in before[1].items() if p != tiny_project.context_path
    })


@pytest.mark.usefixtures("conforming")
def test_a_qc_query_that_cannot_fail_is_refused_before_anything_is_written(
    tiny_project: Project,
) -> None:
    _add_qc_query(tiny_project, "graph", "CONSTRUCT { ?s a rbo:Person } WHERE { ?s a rbo:Person }")
    with pytest.raises(UsageError, match="graph-violation.rq: a QC query must be a SELECT"):
        build(tiny_project)
    assert not tiny_project.store_path.exists() and not tiny_project.dist_dir.exists()


@pytest.mark.usefixtures("conforming")
def test_an_ask_qc_query_fails_the_build_when_it_answers_true(tiny_project: Project) -> None:
    _add_qc_query(tiny_project, "aged", "ASK { ?person rbo:age ?age }")
    _add_qc_query(tiny_project, "ageless", "ASK { ?person rbo:age 1000 }")
    summary = build(tiny_project)
    assert (summary.qc_passed, summary.qc_total) == (2, 3)
    (problem,) = summary.problems
    assert "aged-violation (aged): violated (its ASK answered true)" in str(problem)
    assert "ageless" not in str(problem)


@pytest.mark.usefixtures("conforming")
def test_a_context_that_cannot_be_written_stops_the_build_before_the_store(
    tiny_project: Project,
) -> None:
    build(tiny_project)
    live = tiny_project.store_path.resolve()
    tiny_project.context_path.unlink()
    tiny_project.context_path.mkdir()  # os.replace cannot put a file there
    (tiny_project.root / "data" / "article" / "tiny.trig").unlink()
    with pytest.raises(OutputError) as caught:
        build(tiny_project)
    assert str(caught.value).startswith(f"cannot write {tiny_project.context_path}: ")
    assert caught.value.exit_code == 5
    assert tiny_project.store_path.resolve() == live


@pytest.mark.usefixtures("conforming")
def test_a_corrupt_store_is_rebuilt(tiny_project: Project) -> None:
    build(tiny_project)
    (tiny_project.store_path.resolve() / "CURRENT").write_text("garbage\n", encoding="utf-8")
    summary = build(tiny_project)
    assert summary.ok and (summary.queries_passed, summary.queries_total) == (2, 2)
    assert len(OxigraphStore(tiny_project.store_path, read_only=True)) == summary.quads


def _add_qc_query(project: Project, name: str, body: str) -> None:
    (project.qc_dir / f"{name}-violation.rq").write_text(
        f"#+ title: {name}\n#+ description: test QC query\n{body}\n", encoding="utf-8"
    )


@pytest.mark.usefixtures("conforming")
def test_qc_rows_fail_the_build_and_publish_nothing(tiny_project: Project) -> None:
    _add_qc_query(tiny_project, "no-ages",
                  "SELECT ?person ?age WHERE { ?person rbo:age ?age }")
    summary = build(tiny_project)
    assert (summary.qc_passed, summary.qc_total) == (1, 2)
    (problem,) = summary.problems
    assert isinstance(problem, CheckFailed)
    assert "no-ages-violation (no-ages): 1 violation(s)" in str(problem)
    assert '?person=rb:wan-long ?age="25"' in str(problem)
    assert not tiny_project.store_path.exists() and not tiny_project.dist_dir.exists()
    with pytest.raises(CheckFailed) as caught:
        summary.raise_for_problems()
    assert caught.value.exit_code == 1
    assert str(caught.value).endswith(build_module.KEPT_PREVIOUS)


@pytest.mark.usefixtures("conforming")
def test_query_differing_from_its_expected_result_fails_the_build(tiny_project: Project) -> None:
    srj = tiny_project.queries_dir / "people.srj"
    srj.write_text(srj.read_text(encoding="utf-8").replace('"25"', '"26"'), encoding="utf-8")
    (tiny_project.queries_dir / "founders.srj").unlink()
    summary = build(tiny_project)
    assert (summary.queries_passed, summary.queries_total) == (0, 2)
    (problem,) = summary.problems
    assert isinstance(problem, QueryMismatch)
    assert "no expected result founders.srj" in str(problem)
    assert "row 1 missing: " in str(problem) and "row 1 unexpected: " in str(problem)


def test_validation_failure_is_reported_with_the_other_problems(
    tiny_project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    failing = FakeValidation(conforms=False, violations=["wan-long has no name"])
    monkeypatch.setattr(build_module, "validate_quads", lambda quads, shapes: failing)
    _add_qc_query(tiny_project, "everything", "SELECT ?s WHERE { ?s a rbo:Person }")
    summary = build(tiny_project)
    assert not summary.conforms and summary.violations == 1
    assert [type(p) for p in summary.problems] == [ValidationFailed, CheckFailed]
    with pytest.raises(DataProblem) as caught:
        summary.raise_for_problems()
    assert "report: wan-long has no name" in str(caught.value)
    assert "everything-violation" in str(caught.value)
    assert "no (1 violation(s))" in summary.render()


def test_broken_quote_offsets_fail_the_provenance_check(
    tiny_project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(build_module, "validate_quads", lambda quads, shapes: FakeValidation())
    article = tiny_project.root / "data" / "article" / "tiny.trig"
    article.write_text(article.read_text(encoding="utf-8").replace("oa:start 31", "oa:start 30"),
                       encoding="utf-8")
    (problem,) = build(tiny_project).problems
    assert isinstance(problem, CheckFailed) and "park-area" in str(problem)


def test_shacl_validation_names_the_entity_that_breaks_a_shape(tiny_project: Project) -> None:
    article = tiny_project.root / "data" / "article" / "tiny.trig"
    article.write_text(
        article.read_text(encoding="utf-8").replace("rbo:age 25", 'rbo:age "25"'),
        encoding="utf-8",
    )
    summary = build(tiny_project)
    assert not summary.conforms and summary.violations == 1
    failed = [p for p in summary.problems if isinstance(p, ValidationFailed)]
    assert len(failed) == 1 and "wan-long" in str(failed[0])


def test_empty_summary_is_ok() -> None:
    summary = BuildSummary()
    assert summary.ok
    summary.raise_for_problems()


def test_the_real_project_builds_in_a_copy(tmp_path: Path) -> None:
    root = tmp_path / "checkout"
    for folder in ("ontology", "data", "shapes", "queries"):
        shutil.copytree(REPO_ROOT / folder, root / folder)
    summary = build(Project(root))
    assert summary.claims > 0 and summary.facts > 0 and summary.shapes > 0
    assert summary.queries_total == len(list((root / "queries").glob("*.rq")))
    assert summary.ok, "\n\n".join(str(p) for p in summary.problems)


# -- all or nothing ---------------------------------------------------------------------------


def _live(project: Project) -> tuple[Path, Path, dict[str, bytes]]:
    """The live store directory, the live dist directory (inside it) and the bytes of every
    export."""
    exports = {p.name: p.read_bytes() for p in project.dist_dir.iterdir()}
    return project.store_path.resolve(), project.dist_dir.resolve(), exports


def _change_the_data(project: Project, expected: str = '"26"') -> None:
    """Wan Long's age becomes 26; people.srj expects ``expected``."""
    article = project.root / "data" / "article" / "tiny.trig"
    article.write_text(article.read_text(encoding="utf-8").replace("rbo:age 25", "rbo:age 26"),
                       encoding="utf-8")
    srj = project.queries_dir / "people.srj"
    srj.write_text(srj.read_text(encoding="utf-8").replace('"25"', expected), encoding="utf-8")


@pytest.mark.usefixtures("conforming")
def test_a_build_that_crashes_before_the_end_leaves_the_previous_store_and_dist_live(
    tiny_project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(tiny_project)
    before = _live(tiny_project)
    _change_the_data(tiny_project)

    def crash(*args: object) -> None:
        raise RuntimeError("the engine crashed")

    monkeypatch.setattr(build_module, "run_stored_queries", crash)
    with pytest.raises(RuntimeError, match="the engine crashed"):
        build(tiny_project)
    assert _live(tiny_project) == before
    assert sorted(p.name for p in tiny_project.build_dir.iterdir() if not p.name.startswith(".")) \
        == sorted([before[0].name, "store"])
    assert len(OxigraphStore(tiny_project.store_path, read_only=True)) > 0


@pytest.mark.parametrize("problem", ["shacl", "qc", "stored query"])
def test_a_build_with_data_problems_keeps_the_previous_store_and_dist(
    problem: str, tiny_project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(build_module, "validate_quads", lambda quads, shapes: FakeValidation())
    build(tiny_project)
    before = _live(tiny_project)
    ages = "SELECT ?age WHERE { rb:wan-long rbo:age ?age }"
    content = OxigraphStore(tiny_project.store_path, read_only=True).query(ages).rows
    _change_the_data(tiny_project, '"26"' if problem != "stored query" else '"25"')
    if problem == "shacl":
        failing = FakeValidation(conforms=False, violations=["wan-long is too old"])
        monkeypatch.setattr(build_module, "validate_quads", lambda quads, shapes: failing)
    elif problem == "qc":
        _add_qc_query(tiny_project, "old", "SELECT ?p WHERE { ?p rbo:age 26 }")
    summary = build(tiny_project)
    assert _live(tiny_project) == before
    assert not summary.ok and summary.kept_previous and summary.exports == []
    assert OxigraphStore(tiny_project.store_path, read_only=True).query(ages).rows == content
    assert sorted(p.name for p in tiny_project.build_dir.iterdir() if not p.name.startswith(".")) \
        == sorted([before[0].name, "store"])
    with pytest.raises(DataProblem) as caught:
        summary.raise_for_problems()
    assert "the previous store and exports (build/store, dist/) are kept" in str(caught.value)
    assert "--store memory" in str(caught.value)


def test_a_build_killed_while_writing_the_exports_leaves_the_previous_dist_whole(
    tiny_project: Project,
) -> None:
    build(tiny_project)
    before = _live(tiny_project)
    _change_the_data(tiny_project)
    kill_when(
        f"""
        import dataclasses, time
        from pathlib import Path
        from rustbelt_kg import export
        from rustbelt_kg.build import build
        from rustbelt_kg.project import Project

        fmt = export.RDF_FORMATS["jsonld"]  # the fifth of six formats, written in Python

        def stall(quads, out):
            fmt.write(quads, out)
            out.flush()
            print("writing", flush=True)
            time.sleep(60)

        export.RDF_FORMATS["jsonld"] = dataclasses.replace(fmt, write=stall)
        build(Project(Path({str(tiny_project.root)!r})))
        """,
        "writing",
    )
    assert _live(tiny_project) == before
    assert b'"26"' not in before[2]["rustbelt-kg.nq"]
    summary = build(tiny_project)  # the next build finishes and clears what the killed one left
    after = _live(tiny_project)
    assert after[1] != before[1] and b'"26"' in after[2]["rustbelt-kg.nq"]
    assert sorted(summary.exports) == sorted(tiny_project.dist_dir / name for name in after[2])
    left = sorted(p.name for p in tiny_project.build_dir.iterdir() if not p.name.startswith("."))
    assert left == sorted([after[0].name, "store"])


@pytest.mark.usefixtures("conforming")
def test_dist_of_the_older_layout_is_replaced_by_a_link_to_a_whole_folder(
    tiny_project: Project,
) -> None:
    tiny_project.dist_dir.mkdir()
    (tiny_project.dist_dir / "rustbelt-kg.ttl").write_text("old\n", encoding="utf-8")
    build(tiny_project)
    assert tiny_project.dist_dir.is_symlink()
    assert tiny_project.dist_dir.resolve().parent == tiny_project.store_path.resolve()
    assert (tiny_project.dist_dir / "rustbelt-kg.ttl").read_text(encoding="utf-8") != "old\n"


@pytest.mark.usefixtures("conforming")
def test_blank_nodes_are_canonicalised_once_per_build_not_once_per_format(
    tiny_project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rustbelt_kg import export as export_module

    calls = []
    canonical = export_module._canonical

    def counting(quads: object) -> object:
        calls.append(1)
        return canonical(quads)  # type: ignore[arg-type]

    monkeypatch.setattr(export_module, "_canonical", counting)
    summary = build(tiny_project)
    assert len(summary.exports) == len(RDF_FORMATS) and len(calls) == 1


# -- shapes, project ----------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["emptied", "deleted"])
def test_a_build_without_shapes_does_not_conform(how: str, tiny_project: Project) -> None:
    shapes = tiny_project.root / "shapes" / "tiny.ttl"
    if how == "emptied":
        shapes.write_text("# nothing left\n", encoding="utf-8")
    else:
        shapes.unlink()
    summary = build(tiny_project)
    assert not summary.conforms and summary.shapes == 0
    assert dict(summary.rows())["conforms"] == "no (no shapes)"
    with pytest.raises(ValidationFailed, match="no shapes: shapes/\\*.ttl declares no"):
        summary.raise_for_problems()
    with pytest.raises(ValidationFailed, match="no shapes"):
        validate_sources(tiny_project)


@pytest.mark.usefixtures("conforming")
def test_the_summary_names_the_project_folder(tiny_project: Project) -> None:
    summary = build(tiny_project)
    assert summary.render().splitlines()[0] == f"project                    {tiny_project.root}"


@pytest.mark.usefixtures("conforming")
def test_the_store_and_its_exports_go_live_in_one_swap(tiny_project: Project) -> None:
    build(tiny_project)
    first = _live(tiny_project)
    # dist is a fixed link through build/store: the one link a build swaps
    assert os.readlink(tiny_project.dist_dir) == os.path.join("build", "store", "dist")
    assert first[1].parent == first[0]
    _change_the_data(tiny_project)
    build(tiny_project)
    second = _live(tiny_project)
    assert second[0] != first[0] and second[1].parent == second[0]
    assert not first[0].exists()  # the previous generation, exports included, is gone
