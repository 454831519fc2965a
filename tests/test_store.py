"""The Store interface: both engines answer alike; the on-disk swap is atomic."""

from __future__ import annotations

import fcntl
import os
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from killing import kill_when
from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from rustbelt_kg.errors import QuerySyntaxError, StoreError, UsageError
from rustbelt_kg.export import Quad
from rustbelt_kg.project import Project
from rustbelt_kg.results import normalise
from rustbelt_kg.store import STORES, MemoryStore, OxigraphStore, Store, open_store

EX = "urn:x:"
A, B, P, Q = URIRef(EX + "a"), URIRef(EX + "b"), URIRef(EX + "p"), URIRef(EX + "q")
G1, G2 = URIRef(EX + "g1"), URIRef(EX + "g2")

QUADS: list[Quad] = [
    (A, P, B, G1),
    (A, P, B, G2),  # the same triple asserted by two graphs
    (A, Q, Literal("x", datatype=XSD.string), G1),
    (B, Q, Literal("hello", lang="en"), G2),
    (B, Q, Literal(3700), G2),
    (B, P, A, None),  # a triple in the default graph of a source
]


def _disk_store(tmp_path: Path) -> Store:
    return OxigraphStore(tmp_path / "build" / "store", create=True)


FACTORIES: dict[str, Callable[[Path], Store]] = {
    "oxigraph-disk": _disk_store,
    "oxigraph-memory": lambda _: OxigraphStore(),
    "memory": lambda _: MemoryStore(),
}


@pytest.fixture(params=sorted(FACTORIES))
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    made = FACTORIES[request.param](tmp_path)
    made.replace_all(QUADS)
    yield made
    made.close()


def test_registry_has_the_embedded_the_memory_and_the_remote_store() -> None:
    assert set(STORES) == {"oxigraph", "memory", "sparql"}
    assert all(kind.help for kind in STORES.values())


def test_union_default_graph_is_a_set(store: Store) -> None:
    result = store.query("SELECT ?o WHERE { <urn:x:a> <urn:x:p> ?o }")
    assert result.rows == [{"o": B}]
    count = store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert count.rows == [{"n": Literal(5)}]


#: The shapes of the stored queries over the union (a lookup, a join, an OPTIONAL, a count,
#: a grouped count), their answer over :data:`QUADS` where the union is a set (each
#: triple once, though two graphs assert ``a p b``), and Oxigraph's answer with its own
#: ``use_default_graph_as_union`` option, a bag (``a p b`` twice).
UNION_SHAPES = {
    "SELECT ?o WHERE { <urn:x:a> <urn:x:p> ?o }": (
        [("urn:x:b",)], [("urn:x:b",)] * 2),
    "SELECT ?x WHERE { <urn:x:a> <urn:x:p> ?x . ?x ?q ?y }": (
        [("urn:x:b",)] * 3, [("urn:x:b",)] * 6),
    "SELECT ?o ?y WHERE { <urn:x:a> <urn:x:p> ?o OPTIONAL { ?o <urn:x:p> ?y } }": (
        [("urn:x:b", "urn:x:a")], [("urn:x:b", "urn:x:a")] * 2),
    "SELECT (COUNT(*) AS ?n) WHERE { ?s <urn:x:p> <urn:x:b> }": ([("1",)], [("2",)]),
    "SELECT ?s (COUNT(?o) AS ?n) WHERE { ?s <urn:x:p> ?o } GROUP BY ?s ORDER BY ?s": (
        [("urn:x:a", "1"), ("urn:x:b", "1")], [("urn:x:a", "2"), ("urn:x:b", "1")]),
}


@pytest.mark.parametrize("sparql", sorted(UNION_SHAPES))
def test_the_union_is_a_set_for_every_query_shape_where_the_engines_own_option_is_a_bag(
    sparql: str, store: Store
) -> None:
    import pyoxigraph as ox

    from rustbelt_kg.store import engine_quads

    as_set, as_bag = UNION_SHAPES[sparql]
    answer = store.query(sparql)
    assert sorted(tuple(str(row[v]) for v in answer.vars) for row in answer.rows) == as_set
    engine = ox.Store()
    engine.extend(engine_quads(QUADS))
    bag = engine.query(sparql, use_default_graph_as_union=True)
    assert isinstance(bag, ox.QuerySolutions)
    assert sorted(tuple(t.value for t in row) for row in bag) == as_bag  # type: ignore[union-attr]


def test_the_number_of_quads_stays_right_when_quads_are_added(tmp_path: Path) -> None:
    made = OxigraphStore(tmp_path / "build" / "store", create=True)
    made.replace_all(QUADS)
    made.add_quads([(A, P, B, G1), (A, Q, B, G2)])  # one already there, one new
    made.close()
    reopened = OxigraphStore(tmp_path / "build" / "store", read_only=True)
    assert len(reopened) == len(QUADS) + 1
    assert len(list(reopened.quads())) == len(QUADS) + 1


def test_the_store_takes_the_engines_own_quads_as_they_are(tmp_path: Path) -> None:
    import pyoxigraph as ox

    from rustbelt_kg.terms import to_oxigraph_quad

    made = OxigraphStore(tmp_path / "build" / "store", create=True)
    made.replace_all([to_oxigraph_quad(q) for q in QUADS])
    assert len(made) == len(QUADS)
    assert {q for q in made.quads()} == {(s, p, normalise(o), g) for s, p, o, g in QUADS}
    assert made.query("SELECT ?o WHERE { <urn:x:a> <urn:x:p> ?o }").rows == [{"o": B}]
    assert isinstance(to_oxigraph_quad(QUADS[0]), ox.Quad)


def test_graph_patterns_see_each_named_graph_and_only_them(store: Store) -> None:
    result = store.query("SELECT ?g WHERE { GRAPH ?g { <urn:x:a> <urn:x:p> <urn:x:b> } }")
    assert sorted(r["g"] for r in result.rows) == [G1, G2]
    every = store.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert sorted(r["g"] for r in every.rows) == [G1, G2]
    assert store.query("ASK { <urn:x:b> <urn:x:p> <urn:x:a> }").boolean


def test_quads_len_and_named_graphs(store: Store) -> None:
    assert len(store) == 6
    assert store.named_graphs() == [str(G1), str(G2)]
    assert sorted(store.quads(str(G2)), key=str) == sorted(
        [q for q in QUADS if q[3] == G2], key=str
    )
    assert {q for q in store.quads()} == {(s, p, normalise(o), g) for s, p, o, g in QUADS}


def test_xsd_string_literals_come_back_as_simple_literals(store: Store) -> None:
    result = store.query("SELECT ?o WHERE { <urn:x:a> <urn:x:q> ?o }")
    assert result.rows == [{"o": Literal("x")}]
    assert result.rows[0]["o"].datatype is None


def test_parameters_are_bound_by_the_engine_not_pasted(store: Store) -> None:
    hostile = Literal('x" } ; DROP ALL ; SELECT * { "')
    sparql = "SELECT ?s ?o WHERE { ?s <urn:x:q> ?o }"
    assert store.query(sparql, {"o": hostile}).rows == []
    assert store.query(sparql, {"o": Literal("x")}).rows == [{"s": A, "o": Literal("x")}]
    assert store.query(sparql, {"s": B}).rows and all(
        r["s"] == B for r in store.query(sparql, {"s": B}).rows
    )


def test_ask_and_construct(store: Store) -> None:
    assert store.query("ASK { <urn:x:b> <urn:x:q> 3700 }").boolean is True
    assert store.query("ASK { <urn:x:b> <urn:x:q> 3701 }").boolean is False
    graph = store.query("CONSTRUCT { ?s <urn:x:r> ?o } WHERE { ?s <urn:x:q> ?o }").graph
    assert graph is not None and len(graph) == 3
    assert (A, URIRef(EX + "r"), Literal("x")) in graph


def test_project_prefixes_need_no_prefix_lines(store: Store) -> None:
    assert store.query("ASK { FILTER(STRSTARTS(STR(rb:x), 'https://w3id.org/')) }").boolean


#: Where each engine's parser says the unterminated string below goes wrong.
SYNTAX_ERROR_AT = {"oxigraph-disk": (3, 14), "oxigraph-memory": (3, 14), "memory": (3, 3)}


def test_sparql_syntax_error_gives_position(
    store: Store, request: pytest.FixtureRequest
) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        store.query('SELECT ?s WHERE {\n  ?s ?p ?o .\n  ?s ?p "open\n}')
    error = caught.value
    assert (error.line, error.column) == SYNTAX_ERROR_AT[request.node.callspec.params["store"]]
    assert str(error).startswith(f"<input>:{error.line}:{error.column}: ")
    assert error.exit_code == 3


def test_missing_store_says_to_run_build(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="rustbelt-kg build"):
        OxigraphStore(tmp_path / "build" / "store", read_only=True)


def test_read_only_store_refuses_writes(tmp_path: Path) -> None:
    path = tmp_path / "build" / "store"
    OxigraphStore(path, create=True).replace_all(QUADS)
    reader = OxigraphStore(path, read_only=True)
    assert len(reader) == 6
    with pytest.raises(StoreError, match="read-only"):
        reader.replace_all([])


def test_store_is_a_symlink_to_its_live_directory(tmp_path: Path) -> None:
    path = tmp_path / "build" / "store"
    store = OxigraphStore(path, create=True)
    store.replace_all(QUADS)
    first = path.resolve()
    store.replace_all(QUADS[:2])
    assert path.is_symlink() and path.resolve() != first and not first.exists()
    left = sorted(p.name for p in path.parent.iterdir())
    assert left == [".store.lock", "store", path.resolve().name]
    assert len(OxigraphStore(path, read_only=True)) == 2


def _failing(quads: list[Quad], after: int) -> Iterator[Quad]:
    for i, quad in enumerate(quads):
        if i == after:
            raise RuntimeError("the load broke")
        yield quad


def test_store_swap_is_atomic_when_load_fails(tmp_path: Path) -> None:
    path = tmp_path / "build" / "store"
    store = OxigraphStore(path, create=True)
    store.replace_all(QUADS)
    live = path.resolve()
    with pytest.raises(RuntimeError, match="the load broke"):
        store.replace_all(_failing(QUADS * 3, after=7))
    assert path.resolve() == live
    assert sorted(p.name for p in path.parent.iterdir()) == [".store.lock", "store", live.name]
    assert len(store) == 6
    assert len(OxigraphStore(path, read_only=True)) == 6


def test_killed_load_leaves_previous_store_intact(tmp_path: Path) -> None:
    path = tmp_path / "build" / "store"
    OxigraphStore(path, create=True).replace_all(QUADS)
    live = path.resolve()
    script = textwrap.dedent(
        f"""
        import sys, time
        from rdflib import URIRef
        from rustbelt_kg.store import OxigraphStore
        def slow():
            for i in range(100000):
                if i == 500:
                    print("loading", flush=True)
                    time.sleep(60)
                yield (URIRef(f"urn:x:s{{i}}"), URIRef("urn:x:p"), URIRef("urn:x:o"), None)
        OxigraphStore({str(path)!r}).replace_all(slow())
        """
    )
    kill_when(script, "loading")
    assert path.resolve() == live
    assert len(OxigraphStore(path, read_only=True)) == 6
    leftovers = [p for p in path.parent.iterdir() if p.name not in ("store", live.name)]
    assert leftovers, "the killed load should have left its half-written directory"
    OxigraphStore(path).replace_all(QUADS)
    left = sorted(p.name for p in path.parent.iterdir())
    assert left == [".store.lock", "store", path.resolve().name]


def test_open_store_by_name(tiny_project: Project) -> None:
    with pytest.raises(UsageError, match="oxigraph, memory"):
        open_store("nope", tiny_project)
    memory = open_store("memory", tiny_project)
    assert len(memory) > 50
    built = open_store("oxigraph", tiny_project, for_build=True)
    assert not tiny_project.store_path.exists()  # nothing is opened or made before the load
    with pytest.raises(StoreError, match="not open"):
        len(built)
    built.replace_all([])
    assert len(built) == 0 and tiny_project.store_path.is_symlink()


# -- a store that cannot be read ----------------------------------------------------------


def _corrupt(path: Path) -> None:
    """Break the live directory the way a damaged disk does: garbage in RocksDB's CURRENT."""
    (path.resolve() / "CURRENT").write_text("garbage\n", encoding="utf-8")


def test_a_corrupt_store_is_a_store_error_that_says_to_rebuild(tmp_path: Path) -> None:
    path = tmp_path / "build" / "store"
    OxigraphStore(path, create=True).replace_all(QUADS)
    _corrupt(path)
    with pytest.raises(StoreError, match="cannot open the store .*rustbelt-kg build") as caught:
        OxigraphStore(path, read_only=True)
    assert caught.value.exit_code == 5


def test_a_corrupt_store_can_be_rebuilt_because_the_build_never_opens_it(tmp_path: Path) -> None:
    path = tmp_path / "build" / "store"
    OxigraphStore(path, create=True).replace_all(QUADS)
    _corrupt(path)
    OxigraphStore(path, for_build=True).replace_all(QUADS[:2])
    assert len(OxigraphStore(path, read_only=True)) == 2


# -- one writer, and what it leaves behind --------------------------------------------------


def test_a_writer_keeps_the_lock_from_its_load_until_it_has_read_its_store(
    tmp_path: Path,
) -> None:
    path = tmp_path / "build" / "store"
    first = OxigraphStore(path, for_build=True)
    with first.writing():
        first.replace_all(QUADS)  # re-entrant: the lock it already holds
        with pytest.raises(StoreError, match="another build is running"):
            OxigraphStore(path, for_build=True).replace_all(QUADS[:2])
        assert len(first) == len(QUADS)
    OxigraphStore(path, for_build=True).replace_all(QUADS[:2])  # released
    assert len(OxigraphStore(path, read_only=True)) == 2


def test_a_second_writer_fails_at_once_while_a_build_holds_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "build" / "store"
    OxigraphStore(path, create=True).replace_all(QUADS)
    live = path.resolve()
    with open(path.parent / ".store.lock", "a") as other_build:
        fcntl.flock(other_build, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(StoreError, match="another build is running"):
            OxigraphStore(path, for_build=True).replace_all(QUADS[:2])
    assert path.resolve() == live and len(OxigraphStore(path, read_only=True)) == 6
    assert sorted(p.name for p in path.parent.iterdir()) == [".store.lock", "store", live.name]
    OxigraphStore(path, for_build=True).replace_all(QUADS[:2])  # the lock was released
    assert len(OxigraphStore(path, read_only=True)) == 2


def test_cleanup_removes_only_directories_the_store_made(tmp_path: Path) -> None:
    path = tmp_path / "build" / "store"
    OxigraphStore(path, create=True).replace_all(QUADS)
    first = path.resolve()
    killed_load = path.parent / "store-k1lled_0"  # as tempfile.mkdtemp names them
    mine = [path.parent / name for name in ("store-backup", "store-K1LLED_0", "store-k1lled_0x")]
    for folder in [killed_load, *mine]:
        folder.mkdir()
    OxigraphStore(path, for_build=True).replace_all(QUADS[:2])
    left = {p.name for p in path.parent.iterdir()}
    assert first.name not in left and killed_load.name not in left
    assert {p.name for p in mine} | {"store", ".store.lock", path.resolve().name} == left


def test_the_new_store_directory_is_readable_by_other_users(tmp_path: Path) -> None:
    path = tmp_path / "build" / "store"
    previous = os.umask(0o022)
    try:
        OxigraphStore(path, for_build=True).replace_all(QUADS)
        assert path.resolve().stat().st_mode & 0o777 == 0o755
        os.umask(0o077)
        OxigraphStore(path, for_build=True).replace_all(QUADS)
        assert path.resolve().stat().st_mode & 0o777 == 0o700
    finally:
        os.umask(previous)


# -- a swap that fails ------------------------------------------------------------------------


def test_a_failed_link_swap_keeps_the_old_store_and_removes_the_new_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "build" / "store"
    OxigraphStore(path, create=True).replace_all(QUADS)
    live = path.resolve()

    def refuse(src: object, dst: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(StoreError, match="cannot switch to the new store at .* Permission denied"):
        OxigraphStore(path, for_build=True).replace_all(QUADS[:2])
    monkeypatch.undo()
    assert path.resolve() == live
    assert sorted(p.name for p in path.parent.iterdir()) == [".store.lock", "store", live.name]
    assert len(OxigraphStore(path, read_only=True)) == 6


def test_a_failed_swap_moves_an_old_layout_directory_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "build" / "store"
    made = tmp_path / "made" / "store"
    OxigraphStore(made, create=True).replace_all(QUADS)
    path.parent.mkdir()
    os.rename(made.resolve(), path)  # a plain directory, as an older layout made it

    def no_symlinks(src: object, dst: object) -> None:
        raise OSError(95, "Operation not supported")

    monkeypatch.setattr(os, "symlink", no_symlinks)
    with pytest.raises(StoreError, match="Operation not supported"):
        OxigraphStore(path, for_build=True).replace_all(QUADS[:2])
    monkeypatch.undo()
    assert path.is_dir() and not path.is_symlink()
    assert sorted(p.name for p in path.parent.iterdir()) == [".store.lock", "store"]
    assert len(OxigraphStore(path, read_only=True)) == 6
