"""One contract, every store: the embedded Oxigraph store, rdflib in memory, ``oxigraph
serve`` and Virtuoso on loopback (started here, in throwaway directories). Each test's id
names its store, so ``pytest -k virtuoso`` runs one. Where a server departs from the
standards, ``docs/known-differences.toml`` says so and the test is a strict xfail: it must
still differ, or the entry goes."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rdflib import Literal, URIRef
from triplestores import Server, oxigraph_server, virtuoso_server

from rustbelt_kg.describe import describe
from rustbelt_kg.project import Project
from rustbelt_kg.query import compare_results, list_qc_queries, list_queries, run_query
from rustbelt_kg.results import normalise, read_expected
from rustbelt_kg.stores import MemoryStore, OxigraphStore, Store
from rustbelt_kg.stores.endpoint import Endpoints
from rustbelt_kg.stores.sparql import SparqlStore
from rustbelt_kg.terms import Quad

ROOT = Path(__file__).resolve().parents[1]
PROJECT = Project(ROOT)
STORES = ["oxigraph", "memory", "oxigraph-server", "virtuoso"]
QUERIES = {q.name: q for q in list_queries(PROJECT)}
QC = {q.name: q for q in list_qc_queries(PROJECT)}
KNOWN: dict[str, dict[str, dict[str, str]]] = {
    server: {entry["query"]: entry for entry in entries}
    for server, entries in tomllib.loads(
        (ROOT / "docs" / "known-differences.toml").read_text(encoding="utf-8")).items()
}
EX = "urn:x-contract:"


def _cases(names: list[str]) -> list[Any]:
    """Every (store, name), the known differences marked as strict xfails."""
    cases = []
    for store in STORES:
        for name in names:
            known = KNOWN.get(store, {}).get(name)
            marks = [pytest.mark.xfail(strict=True, reason=known["behaviour"],
                                       run=known.get("run", True))] if known else []
            cases.append(pytest.param(store, name, id=f"{store}-{name}", marks=marks))
    return cases


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Server]]:
    """The two real servers, started once for the session."""
    with oxigraph_server(tmp_path_factory.mktemp("oxigraph-server")) as oxigraph, \
            virtuoso_server(tmp_path_factory.mktemp("virtuoso")) as virtuoso:
        yield {"oxigraph-server": oxigraph, "virtuoso": virtuoso}


def open_kind(kind: str, servers: dict[str, Server], tmp: Path) -> Store:
    """An empty store of ``kind``."""
    if kind == "oxigraph":
        return OxigraphStore(tmp / "store", for_build=True)
    if kind == "memory":
        return MemoryStore()
    server = servers[kind]
    return SparqlStore(server.endpoints, environ=server.environ(), for_build=True)


@pytest.fixture(scope="session")
def loaded(servers: dict[str, Server], built_project: Any,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Store]]:
    """Each store holding the project's quads; tests that change one put them back."""
    stores = {}
    for kind in STORES:
        store = open_kind(kind, servers, tmp_path_factory.mktemp(kind))
        store.replace_all(built_project.quads)
        stores[kind] = store
    yield stores
    for store in stores.values():
        store.close()


def _quads(store: Store) -> set[Quad]:
    return {(s, p, normalise(o), g) for s, p, o, g in store.quads()}


# -- every stored query, every QC query ---------------------------------------------------


@pytest.mark.parametrize(("kind", "name"), _cases(sorted(QUERIES)))
def test_stored_query_gives_its_expected_result(kind: str, name: str,
                                                 loaded: dict[str, Store]) -> None:
    query = QUERIES[name]
    result = run_query(loaded[kind], query)
    assert compare_results(result, read_expected(query.expected_path),
                           ordered=query.ordered) == []


@pytest.mark.parametrize(("kind", "name"), _cases(sorted(QC)))
def test_qc_query_finds_nothing_in_the_project(kind: str, name: str,
                                               loaded: dict[str, Store]) -> None:
    assert run_query(loaded[kind], QC[name]).rows == []


# -- what every store holds ----------------------------------------------------------------


@pytest.mark.parametrize("kind", STORES)
def test_the_default_graph_is_the_union_as_a_set(kind: str, loaded: dict[str, Store],
                                                  built_project: Any) -> None:
    union = {(s, p, normalise(o)) for s, p, o, _ in built_project.quads}
    count = loaded[kind].query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").rows[0]["n"]
    assert int(str(count)) == len(union)


@pytest.mark.parametrize("kind", STORES)
def test_named_graphs_are_the_data_graphs_and_nothing_else(
        kind: str, loaded: dict[str, Store], built_project: Any) -> None:
    expected = sorted({str(g) for *_, g in built_project.quads if g is not None})
    assert loaded[kind].named_graphs() == expected
    seen = loaded[kind].query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }").rows
    assert sorted(str(row["g"]) for row in seen) == expected  # no system or staging graph
    assert len(loaded[kind]) == len(set(built_project.quads))


@pytest.mark.parametrize("kind", STORES)
def test_ask_is_a_boolean(kind: str, loaded: dict[str, Store]) -> None:
    assert loaded[kind].query("ASK { ?s a rbo:Person }").boolean is True
    assert loaded[kind].query("ASK { ?s a <urn:x-contract:Nothing> }").boolean is False


@pytest.mark.parametrize(("kind", "name"), _cases(["export"]))
def test_the_export_is_the_quads_loaded(kind: str, name: str, loaded: dict[str, Store],
                                        built_project: Any) -> None:
    assert _quads(loaded[kind]) == {(s, p, normalise(o), g)
                                    for s, p, o, g in built_project.quads}


@pytest.mark.parametrize(("kind", "name"), _cases(["describe"]))
def test_describe_says_what_the_embedded_store_says(kind: str, name: str,
                                                     loaded: dict[str, Store]) -> None:
    for entity in ("rb:wan-long", "rb:hit-incubator-park"):
        assert describe(loaded[kind], entity).render() == \
            describe(loaded["oxigraph"], entity).render()


# -- writing ------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "name"), [
    case for case in _cases(["load-by-update"]) if case.values[0] in ("oxigraph-server",
                                                                       "virtuoso")])
def test_loading_by_update_gives_the_store_loading_by_gsp_gives(
        kind: str, name: str, servers: dict[str, Server], built_project: Any) -> None:
    server = servers[kind]
    ends = server.endpoints
    store = SparqlStore(Endpoints(ends.query, ends.update, None, "update"),
                        environ=server.environ(), for_build=True)
    try:
        store.replace_all(built_project.quads)  # the same quads: the session's stores agree
        assert len(store) == len(set(built_project.quads))
    finally:
        store.close()


def _small(tag: str) -> list[Quad]:
    return [(URIRef(EX + "a"), URIRef(EX + "p"), Literal(tag), URIRef(EX + "g1")),
            (URIRef(EX + "a"), URIRef(EX + "p"), Literal(tag), URIRef(EX + "g2")),
            (URIRef(EX + "b"), URIRef(EX + "p"), Literal(tag + "é", lang="fr"), None)]


@pytest.mark.parametrize("kind", STORES)
def test_replace_all_leaves_only_the_new_content_and_add_quads_adds(
        kind: str, servers: dict[str, Server], tmp_path: Path, built_project: Any) -> None:
    store = open_kind(kind, servers, tmp_path)
    try:
        store.replace_all(_small("old"))
        store.replace_all(_small("new")[:1] + [_small("new")[2]])
        assert store.named_graphs() == [EX + "g1"]
        assert _quads(store) == {_small("new")[0], _small("new")[2]}
        store.add_quads([(URIRef(EX + "c"), URIRef(EX + "p"), Literal(1), URIRef(EX + "g3"))])
        assert store.named_graphs() == [EX + "g1", EX + "g3"]
        rows = store.query(f"SELECT ?o WHERE {{ <{EX}a> ?p ?o }}").rows
        assert [str(row["o"]) for row in rows] == ["new"]  # once: the union is a set
    finally:
        if kind in servers:
            store.replace_all(built_project.quads)  # the session's stores share the server
        store.close()
