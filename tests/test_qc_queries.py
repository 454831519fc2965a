"""QC violation queries (``queries/qc/*-violation.rq``): any row they return fails the build.

Each query is run on both engines over the union default graph. On the project's own data
every QC query returns no rows; on the data plus its invalid example
(``tests/qc/NAME-invalid.trig``) it returns rows, among them the terms the example's
``# expect:`` lines name and none of those its ``# expect-not:`` lines name. The examples
of the ``wikidata-*`` queries live with the Wikidata fixtures and are tested there.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rdflib.term import Node

from rustbelt_kg.export import Quad
from rustbelt_kg.load import parse_file
from rustbelt_kg.project import Project
from rustbelt_kg.query import StoredQuery, expand_iri, list_qc_queries, run_query
from rustbelt_kg.store import MemoryStore, OxigraphStore, Store

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = Path(__file__).resolve().parent / "qc"
PROJECT = Project(REPO_ROOT)
ENGINES = ["oxigraph", "memory"]

QC_QUERIES = {q.name: q for q in list_qc_queries(PROJECT)}
#: The QC queries this file proves with invalid examples (not the Wikidata ones).
OWN_QC = sorted(name for name in QC_QUERIES if not name.startswith("wikidata-"))


def _store(engine: str, quads: list[Quad]) -> Store:
    store: Store = OxigraphStore() if engine == "oxigraph" else MemoryStore()
    store.replace_all(quads)
    return store


@pytest.fixture(scope="module")
def project_quads(built_project: Any) -> list[Quad]:
    """Every quad of the checkout (parsed once per session, in conftest)."""
    return built_project.quads


@pytest.fixture(scope="module", params=ENGINES)
def project_store(request: pytest.FixtureRequest, project_quads: list[Quad]) -> Iterator[Store]:
    """The project's data in one engine."""
    store = _store(request.param, project_quads)
    yield store
    store.close()


def _example(name: str) -> Path:
    return EXAMPLES / f"{name.removesuffix('-violation')}-invalid.trig"


def _expectations(path: Path, key: str) -> list[str]:
    """The values of ``# key: ...`` lines: IRIs (prefixed or full) or "quoted" strings."""
    values = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith(f"# {key}:"):
            text = line.split(":", 1)[1].strip()
            values.append(text[1:-1] if text.startswith('"') else str(expand_iri(text)))
    return values


def _values(rows: list[dict[str, Node]]) -> set[str]:
    return {str(term) for row in rows for term in row.values()}


def test_there_are_qc_queries_for_the_required_checks() -> None:
    required = {
        "ontology-term-without-label-violation",
        "ontology-term-without-definition-violation",
        "undeclared-term-violation",
        "claim-without-evidence-violation",
        "blank-node-violation",
        "entity-without-label-violation",
    }
    assert required <= set(QC_QUERIES)


@pytest.mark.parametrize("name", sorted(QC_QUERIES))
def test_qc_query_says_what_it_checks_and_why(name: str) -> None:
    query: StoredQuery = QC_QUERIES[name]
    assert query.title, f"{name} has no '#+ title:' line"
    assert len(query.description) >= 80, f"{name} needs a description saying what and why"
    assert not query.params, "QC queries run without parameters"


@pytest.mark.parametrize("name", OWN_QC)
def test_qc_query_has_an_invalid_example_naming_what_must_fire(name: str) -> None:
    path = _example(name)
    assert path.is_file(), f"no invalid example {path.relative_to(REPO_ROOT)}"
    assert _expectations(path, "expect"), f"{path.name} has no '# expect:' line"


def test_every_invalid_example_belongs_to_a_qc_query() -> None:
    orphans = [
        p.name for p in EXAMPLES.glob("*-invalid.trig")
        if p.name.removesuffix("-invalid.trig") + "-violation" not in QC_QUERIES
    ]
    assert orphans == []


@pytest.mark.parametrize("name", sorted(QC_QUERIES))
def test_qc_query_finds_nothing_in_the_project_data(name: str, project_store: Store) -> None:
    result = run_query(project_store, QC_QUERIES[name])
    assert result.kind == "select"
    assert result.rows == [], f"{name} fires on the project data: {result.rows[:5]}"


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", OWN_QC)
def test_qc_query_fires_on_its_invalid_example(
    name: str, engine: str, project_quads: list[Quad]
) -> None:
    path = _example(name)
    store = _store(engine, project_quads + parse_file(path, "trig"))
    try:
        rows = run_query(store, QC_QUERIES[name]).rows
    finally:
        store.close()
    assert rows, f"{name} returns no rows on {path.name}"
    found = _values(rows)
    missing = [v for v in _expectations(path, "expect") if v not in found]
    assert missing == [], f"{name} does not report {missing}; rows: {rows}"
    unexpected = [v for v in _expectations(path, "expect-not") if v in found]
    assert unexpected == [], f"{name} wrongly reports {unexpected}"
