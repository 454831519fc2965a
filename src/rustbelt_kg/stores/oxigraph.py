"""The ``oxigraph`` store: an embedded Oxigraph store on disk under ``build/store``.

``build/store`` is a symlink to the live directory ``build/store-<random>``
(:class:`rustbelt_kg.livedir.LiveDir`): :meth:`OxigraphStore.staging` fills a fresh
directory that the store reads until the block ends, then swaps the link with
:func:`os.replace`, so a load (or a build) that fails or is killed leaves the previous
store intact. One writer at a time: a build holds ``build/.store.lock``
(:func:`fcntl.flock`) while it replaces the store, and a second build fails at once.
Readers need no lock; one that stays open across a rebuild keeps seeing the snapshot it
opened. It is registered in :data:`rustbelt_kg.stores.STORES`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib.term import Node

from rustbelt_kg import namespaces
from rustbelt_kg.errors import StoreError
from rustbelt_kg.livedir import LiveDir
from rustbelt_kg.results import CollectsStream, ResultStream, normalise
from rustbelt_kg.sparql import check_query, check_services, query_syntax_error
from rustbelt_kg.sparql_values import bind_by_values
from rustbelt_kg.terms import (
    Quad,
    from_oxigraph,
    from_oxigraph_quad,
    to_oxigraph,
    to_oxigraph_quad,
)

__all__ = ["COUNT_FILE", "SOURCE_DEFAULT_GRAPH", "AnyQuad", "OxigraphStore", "engine_quads"]

#: A quad of either kind the stores accept: pyoxigraph's (the bulk path) or rdflib's.
AnyQuad = Quad | ox.Quad


# -- Oxigraph -----------------------------------------------------------------------------

# The default graph of an Oxigraph store built here *is* the union of all graphs, as a
# set: every triple is written there too. Oxigraph's ``use_default_graph_as_union`` gives
# a bag instead (a triple asserted by two claims matches twice, and counts twice; tests in
# tests/test_store.py pin both facts), and restricting ``named_graphs`` per query makes
# GRAPH patterns slow. Any server pointed at the store answers with the same union. Quads
# that were in the default graph of a source file are kept apart in
# :data:`SOURCE_DEFAULT_GRAPH`; the Store interface hides both tricks. The union costs the
# bulk loader about half as much again as the quads alone (three indexes, not six), and
# nothing in Python: the engine writes it (docs/architecture.md, "The union graph").
SOURCE_DEFAULT_GRAPH = ox.NamedNode("urn:x-rustbelt-kg:default-graph")

#: Every literal but plain strings, once each.
_TYPED_LITERALS = (
    "SELECT DISTINCT ?o WHERE { ?s ?p ?o FILTER (isLiteral(?o) "
    "&& datatype(?o) != <http://www.w3.org/2001/XMLSchema#string>) }"
)

#: The file in the store's directory that records its number of quads, so that ``len()``
#: does not scan the store.
COUNT_FILE = "rustbelt-kg-quads"


def engine_quads(quads: Iterable[AnyQuad]) -> list[ox.Quad]:
    """``quads`` as pyoxigraph quads (rdflib ones converted), those of the default graph
    moved to :data:`SOURCE_DEFAULT_GRAPH`."""
    out: list[ox.Quad] = []
    append, default, engine = out.append, ox.DefaultGraph, ox.Quad
    for quad in quads:
        if type(quad) is not engine:
            quad = to_oxigraph_quad(quad)  # type: ignore[arg-type]
        if type(quad.graph_name) is default:  # type: ignore[union-attr]
            quad = engine(quad.subject, quad.predicate, quad.object,  # type: ignore[union-attr]
                          SOURCE_DEFAULT_GRAPH)
        append(quad)  # type: ignore[arg-type]
    return out


def _with_union(quads: list[ox.Quad]) -> bytes:
    """One N-Quads input for the engine's bulk loader: ``quads``, then each triple in the
    store's default graph (N-Triples lines are N-Quads of the default graph). The engine
    writes both; the store keeps one copy of each."""
    from rustbelt_kg.engine_export import serialized

    return serialized(quads, ox.RdfFormat.N_QUADS) + serialized(
        (q.triple for q in quads), ox.RdfFormat.N_TRIPLES
    )


def _fill(store: ox.Store, quads: list[ox.Quad]) -> None:
    """Bulk-load ``quads`` and their union into an empty ``store``."""
    store.bulk_load(_with_union(quads), ox.RdfFormat.N_QUADS)


def _extend(store: ox.Store, quads: list[ox.Quad]) -> None:
    """Add ``quads`` (as the store holds them, :func:`engine_quads`) and their union."""
    default = ox.DefaultGraph()
    store.extend(quads + [ox.Quad(q.subject, q.predicate, q.object, default) for q in quads])


def _count_quads(store: ox.Store) -> int:
    """The number of quads in the named graphs of ``store`` (the union apart), by the engine."""
    rows = store.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert isinstance(rows, ox.QuerySolutions)
    for row in rows:
        return int(row[0].value)  # type: ignore[index,union-attr]
    return 0


def _solutions(answer: ox.QuerySolutions, names: list[str]) -> Iterator[dict[str, Node | None]]:
    """The rows of ``answer`` as rdflib terms, one at a time; an engine error while they are
    read (a failed ``SERVICE``) is a :class:`StoreError`."""
    try:
        for solution in answer:
            yield {n: from_oxigraph(t) for n, t in zip(names, solution, strict=True)
                   if t is not None}
    except (OSError, RuntimeError) as error:
        raise StoreError(f"query failed: {error}") from error


class OxigraphStore(CollectsStream):
    """An embedded Oxigraph store, on disk at ``path`` (a symlink) or in memory.

    ``read_only`` opens the live directory without a write lock (many readers, also while
    a build runs). ``for_build`` opens nothing: the store only knows its place until
    :meth:`replace_all` fills it, so a corrupt store can be rebuilt. ``create`` makes an
    empty store when ``path`` does not exist yet. Otherwise a missing store is a
    :class:`StoreError` telling to run ``rustbelt-kg build``, and so is one that cannot be
    read (a corrupt or foreign directory).
    """

    def __init__(
        self,
        path: Path | None = None,
        *,
        read_only: bool = False,
        create: bool = False,
        for_build: bool = False,
    ) -> None:
        self.path = Path(path) if path is not None else None
        self.read_only = read_only and not for_build
        self._store: ox.Store | None = None
        self._graphs: list[ox.NamedNode | ox.BlankNode] | None = None  # named graphs, cached
        self._count: int | None = None  # quads, cached
        self._live = LiveDir(self.path) if self.path is not None else None
        #: Inside :meth:`staging`, the fresh directory that goes live at its end: what else
        #: a build writes there (its exports) goes live in the same step.
        self.staged_dir: Path | None = None
        if self.path is None:
            self._store = ox.Store()
            return
        if for_build:
            return
        live = self._live_dir()
        if live is None:
            if not create:
                raise StoreError(
                    f"no store at {self.path}: run `rustbelt-kg build` to create it"
                )
            if read_only:
                raise StoreError(f"cannot create a read-only store at {self.path}")
            self.replace_all([])
            return
        try:
            self._store = ox.Store.read_only(str(live)) if read_only else ox.Store(str(live))
        except (OSError, RuntimeError) as error:  # RuntimeError: "Corruption: ..."
            raise StoreError(
                f"cannot open the store at {self.path}: {error}; "
                "run `rustbelt-kg build` to rebuild it"
            ) from error

    def _live_dir(self) -> Path | None:
        assert self.path is not None
        if not self.path.exists():
            return None
        return self.path.resolve()

    def _open(self) -> ox.Store:
        if self._store is None:
            raise StoreError(f"the store at {self.path} is not open (closed, or not built yet)")
        return self._store

    @contextlib.contextmanager
    def _reading(self) -> Iterator[ox.Store]:
        """The open store; errors while reading it become :class:`StoreError`."""
        try:
            yield self._open()
        except (OSError, RuntimeError) as error:
            raise StoreError(f"cannot read the store at {self.path}: {error}") from error

    def add_quads(self, quads: Iterable[AnyQuad]) -> None:
        """Add quads in one transaction; the recorded number of quads follows."""
        if self.read_only:
            raise StoreError(f"the store at {self.path} is open read-only")
        added = engine_quads(quads)
        store = self._open()
        before = len(self)
        count = before + len(set(added) if before == 0 else {q for q in added if q not in store})
        try:
            _extend(store, added)
            self._graphs, self._count = None, count
            self._record_count()
        except OSError as error:
            raise StoreError(f"cannot write the store: {error}") from error

    def replace_all(self, quads: Iterable[AnyQuad]) -> None:
        """Replace the whole content atomically: a failed or killed load changes nothing.

        On disk: the quads go into a fresh directory beside the live one, the link is
        swapped, and the previous directory (and any a killed load left) is removed; all
        under ``.<name>.lock``, so a second writer fails at once with :class:`StoreError`.
        """
        with self.staging(quads):
            pass

    @contextlib.contextmanager
    def staging(
        self, quads: Iterable[AnyQuad], *,
        fill: Callable[[Path], tuple[ox.Store, int]] | None = None,
    ) -> Iterator[None]:
        """Load ``quads`` into a fresh store that this object reads inside the block, and
        that becomes the live store only when the block ends without an error.

        A build runs its checks and queries inside, so that only a store they ran on goes
        live; an error or a kill before the end leaves the previous store in place.
        pyoxigraph quads (:func:`rustbelt_kg.load.load_engine_quads`) go to the engine's bulk
        loader as they are; the number of distinct ones is recorded (:data:`COUNT_FILE`).
        """
        if self.read_only:
            raise StoreError(f"the store at {self.path} is open read-only")
        loading = engine_quads(quads)
        count = len(set(loading))
        if self._live is None:
            in_memory = ox.Store()
            _fill(in_memory, loading)
            self._store, self._graphs, self._count = in_memory, None, count
            yield
            return
        previous, step = self._store, "load the store in"
        try:
            with self._live.staging() as new_dir:
                fresh: ox.Store | None = None
                try:
                    if fill is not None:  # an incremental build: a copy, then changes
                        fresh, count = fill(Path(new_dir))
                    else:
                        fresh = ox.Store(str(new_dir))
                        _fill(fresh, loading)
                    del loading
                    fresh.flush()
                    self._store, self._graphs, self._count = fresh, None, count
                    (Path(new_dir) / COUNT_FILE).write_text(f"{count}\n")
                    step = "inside"
                    self.staged_dir = Path(new_dir)
                    try:
                        yield
                    finally:
                        self.staged_dir = None
                    step = "switch to the new store at"
                except BaseException:
                    fresh = None  # release the directory before it is removed
                    self._store, self._graphs, self._count = previous, None, None
                    raise
        except OSError as error:
            if step == "inside":
                raise  # the caller's own error
            self._store, self._graphs, self._count = previous, None, None
            raise StoreError(
                f"cannot {step} {self.path}: {error.strerror or error}; "
                "the previous store is left in place"
            ) from error

    @contextlib.contextmanager
    def staging_changes(
        self, removed: Iterable[AnyQuad], added: Iterable[AnyQuad]
    ) -> Iterator[ox.Store]:
        """:meth:`staging` for an incremental build: the fresh directory starts as a copy of
        the live store (Oxigraph's backup: a checkpoint of hard links; with the changes of
        one added source 0.1-0.4 s at 100k triples, where a new load takes 2-4 s), then
        loses ``removed`` and gains ``added`` (distinct quads: the removed ones in the store,
        the added ones not), and records its new number of quads (:data:`COUNT_FILE`).

        Inside the block the caller gets the engine's store, to look at what changed; the
        union (the default graph) loses a triple only when no named graph holds it any more,
        and a named graph left empty is dropped, so the content is that of a full load.
        """
        live = self._live_dir() if self.path is not None else None
        if live is None or self._live is None:
            raise StoreError(f"no store at {self.path} to start an incremental build from")
        gone, new = engine_quads(removed), engine_quads(added)

        def copy_and_change(new_dir: Path) -> tuple[ox.Store, int]:
            new_dir.rmdir()  # the backup makes its own directory
            ox.Store.read_only(str(live)).backup(str(new_dir))
            fresh = ox.Store(str(new_dir))
            default = ox.DefaultGraph()
            for quad in gone:
                fresh.remove(quad)
            for quad in gone:
                if _only_union(fresh, quad):
                    fresh.remove(ox.Quad(quad.subject, quad.predicate, quad.object, default))
                if next(fresh.quads_for_pattern(None, None, None, quad.graph_name),
                        None) is None:
                    fresh.remove_graph(quad.graph_name)
            _extend(fresh, new)
            count_file = live / COUNT_FILE
            recorded = count_file.read_text().strip() if count_file.is_file() else ""
            if not recorded.isdigit():  # a store written by an earlier version
                return fresh, _count_quads(fresh)
            return fresh, int(recorded) + len(new) - len(gone)

        with self.staging((), fill=copy_and_change):
            assert self._store is not None
            yield self._store

    def writing(self) -> contextlib.AbstractContextManager[None]:
        """Be the only writer for a while: a build holds this across its load, swap and
        queries, so that no other build removes the directory it is still reading."""
        if self._live is None:
            return contextlib.nullcontext()
        return self._live.locked()

    def stream(
        self,
        sparql: str,
        bindings: Mapping[str, Node] | None = None,
        *,
        services: Iterable[str] = (),
    ) -> ResultStream:
        """:meth:`query`, with the rows of a SELECT read as they come."""
        check_services(check_query(sparql), services)
        substitutions: dict[ox.Variable, Any] = {}
        if bindings:
            bound = bind_by_values(sparql, bindings)
            if bound is not None:  # VALUES narrow the lookups; substitutions do not
                sparql = bound
            else:
                substitutions = {ox.Variable(k): to_oxigraph(v) for k, v in bindings.items()}
        try:
            store = self._open()
            answer = store.query(
                sparql,
                named_graphs=self._visible_named_graphs(),
                prefixes=dict(namespaces.PREFIXES),
                substitutions=substitutions or None,
            )
            if isinstance(answer, ox.QueryBoolean):
                return ResultStream("ask", boolean=bool(answer))
            if isinstance(answer, ox.QuerySolutions):
                names = [v.value for v in answer.variables]
                return ResultStream.select(names, _solutions(answer, names))
            from rdflib import Graph

            graph = Graph()
            for triple in answer:
                graph.add(tuple(normalise(from_oxigraph(t)) for t in triple))  # type: ignore[arg-type]
            return ResultStream("graph", graph=graph)
        except SyntaxError as error:
            raise query_syntax_error(error) from error
        except (OSError, RuntimeError) as error:
            raise StoreError(f"query failed: {error}") from error

    def quads(self, graph: str | None = None) -> Iterator[Quad]:
        """Every quad, or those of one named graph."""
        name = ox.NamedNode(graph) if graph is not None else None
        with self._reading() as store:
            for quad in store.quads_for_pattern(None, None, None, name):
                if isinstance(quad.graph_name, ox.DefaultGraph):
                    continue  # the union
                if quad.graph_name == SOURCE_DEFAULT_GRAPH:
                    yield from_oxigraph_quad(ox.Quad(quad.subject, quad.predicate, quad.object))
                else:
                    yield from_oxigraph_quad(quad)

    def union_ntriples(self, literals: set[tuple[str, str, str]]) -> bytes | None:
        """The union of all graphs (the store's default graph) as N-Triples, written by the
        engine, in no particular order; ``None`` unless the store holds exactly ``literals``
        (value, datatype IRI, language; strings without a language left out), as written:
        the engine stores some literals in canonical form (``"1.50"^^xsd:decimal`` as
        ``"1.5"``), and an export keeps the form of the source files."""
        with self._reading() as store:
            found = store.query(_TYPED_LITERALS)
            assert isinstance(found, ox.QuerySolutions)
            held = {(t.value, t.datatype.value, t.language or "")
                    for (t,) in found}  # type: ignore[union-attr,misc]
            if held != literals:
                return None
            return store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())

    def named_graphs(self) -> list[str]:
        """The IRIs of the named graphs, sorted."""
        return sorted(str(g.value) for g in self._named_graph_nodes())

    def _named_graph_nodes(self) -> list[ox.NamedNode | ox.BlankNode]:
        if self._graphs is None:
            with self._reading() as store:
                self._graphs = list(store.named_graphs())
        return [g for g in self._graphs if g != SOURCE_DEFAULT_GRAPH]

    def _visible_named_graphs(self) -> list[ox.NamedNode | ox.BlankNode] | None:
        """``None`` (all named graphs, the fast path) unless a hidden graph must be left out;
        only then are the named graphs listed."""
        with self._reading() as store:
            if not store.contains_named_graph(SOURCE_DEFAULT_GRAPH):
                return None
        return self._named_graph_nodes()

    def __len__(self) -> int:
        """The number of quads (the union apart): recorded when the store was loaded (and
        kept when quads are added), counted by the engine only for a store that has no
        record (one written by an earlier version)."""
        if self._count is None:
            count = self._count_file()
            recorded = count.read_text().strip() if count is not None and count.is_file() else ""
            self._count = int(recorded) if recorded.isdigit() else self._counted()
        return self._count

    def _counted(self) -> int:
        with self._reading() as store:
            return _count_quads(store)

    def _record_count(self) -> None:
        """Write the number of quads beside the store's files (nothing for one in memory)."""
        count = self._count_file()
        if count is not None and self._count is not None:
            count.write_text(f"{self._count}\n")

    def _count_file(self) -> Path | None:
        """Where the number of quads is recorded: beside the live store's files."""
        live = self._live_dir() if self.path is not None else None
        return None if live is None else live / COUNT_FILE

    def close(self) -> None:
        """Release the store (and its lock on disk)."""
        self._store = None


def _only_union(store: ox.Store, quad: ox.Quad) -> bool:
    """Whether the triple of ``quad`` is left only in the union (no named graph holds it)."""
    return all(isinstance(q.graph_name, ox.DefaultGraph)
               for q in store.quads_for_pattern(quad.subject, quad.predicate, quad.object))
