"""The ``Store`` interface and its implementations, looked up by name in :data:`STORES`.

- ``oxigraph`` (default): an embedded Oxigraph store on disk under ``build/store``.
  ``build/store`` is a symlink to the live directory ``build/store-<random>``;
  :meth:`OxigraphStore.replace_all` fills a fresh directory and swaps the link with
  :func:`os.replace`, so a load that fails or is killed leaves the previous store intact.
- ``memory``: an rdflib ``Dataset`` in memory, filled from the source files.

Queries see the union of all graphs as their default graph, as a set (an RDF merge:
a triple asserted by two claims matches once, in both stores). Terms crossing the interface
are rdflib terms; each store converts at its own boundary (literals normalised, see
:func:`rustbelt_kg.results.normalise`). A remote SPARQL store is one more
:class:`StoreKind` whose ``open`` builds a client; nothing else changes.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pyoxigraph as ox
from rdflib.term import BNode, Literal, Node, URIRef

from rustbelt_kg import namespaces
from rustbelt_kg.errors import QuerySyntaxError, StoreError, UsageError
from rustbelt_kg.export import Quad
from rustbelt_kg.results import QueryResult, normalise

if TYPE_CHECKING:
    from rdflib import Dataset, Graph

    from rustbelt_kg.project import Project

__all__ = [
    "STORES",
    "MemoryStore",
    "OxigraphStore",
    "Quad",
    "Store",
    "StoreKind",
    "from_oxigraph",
    "from_oxigraph_quad",
    "open_store",
    "to_oxigraph",
    "to_oxigraph_quad",
]

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


class Store(Protocol):
    """What every store offers. Quads are ``(s, p, o, g)``, ``g`` ``None`` for the default."""

    def add_quads(self, quads: Iterable[Quad]) -> None: ...  # one transaction
    def replace_all(self, quads: Iterable[Quad]) -> None: ...  # atomic swap of all content
    def query(self, sparql: str, bindings: Mapping[str, Node] | None = None) -> QueryResult: ...
    def quads(self, graph: str | None = None) -> Iterator[Quad]: ...
    def named_graphs(self) -> list[str]: ...
    def __len__(self) -> int: ...
    def close(self) -> None: ...


# -- term conversion at the Oxigraph boundary ---------------------------------------------


def from_oxigraph(term: object) -> Node:
    """An rdflib term for a pyoxigraph term; ``"x"^^xsd:string`` becomes ``"x"``."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        if datatype == _XSD_STRING:
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(datatype))
    raise StoreError(f"unsupported RDF term {term!r} (RDF-star triples are not used here)")


def to_oxigraph(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """The pyoxigraph term for an rdflib term."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None and str(term.datatype) != _XSD_STRING:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise StoreError(f"unsupported RDF term {term!r}")


def from_oxigraph_quad(quad: ox.Quad) -> Quad:
    """An rdflib quad for a pyoxigraph quad (graph ``None`` for the default graph)."""
    g = quad.graph_name
    return (
        from_oxigraph(quad.subject),
        from_oxigraph(quad.predicate),
        from_oxigraph(quad.object),
        None if isinstance(g, ox.DefaultGraph) else from_oxigraph(g),
    )


def to_oxigraph_quad(quad: Quad) -> ox.Quad:
    """The pyoxigraph quad for an rdflib quad."""
    s, p, o, g = quad
    graph = ox.DefaultGraph() if g is None else to_oxigraph(g)
    return ox.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o), graph)  # type: ignore[arg-type]


_POSITION = re.compile(r"error at (\d+):(\d+)")


def _query_syntax_error(error: SyntaxError) -> QuerySyntaxError:
    """pyoxigraph reports SPARQL errors as ``error at LINE:COLUMN: message``."""
    text = str(error.msg if error.msg else error)
    line, column = error.lineno, error.offset
    match = _POSITION.search(text)
    if line is None and match:
        line, column = int(match.group(1)), int(match.group(2))
    message = " ".join(_POSITION.sub("", text, count=1).lstrip(": ").split())
    if message.startswith("expected one of ") and len(message) > 120:
        message = message[:117].rsplit(",", 1)[0] + ", ..."
    return QuerySyntaxError(message or text, path=None, line=line, column=column)


# -- Oxigraph -----------------------------------------------------------------------------

# The default graph of an Oxigraph store built here *is* the union of all graphs, as a
# set: every triple is written there too. (Oxigraph's ``use_default_graph_as_union`` gives
# a bag, where a triple asserted by two claims matches twice, and restricting
# ``named_graphs`` per query makes GRAPH patterns slow.) Any server pointed at the store
# answers with the same union. Quads that were in the default graph of a source file are
# kept apart in :data:`SOURCE_DEFAULT_GRAPH`; the Store interface hides both tricks.
SOURCE_DEFAULT_GRAPH = ox.NamedNode("urn:x-rustbelt-kg:default-graph")


def _with_union(quads: Iterable[Quad]) -> Iterator[ox.Quad]:
    """Each quad (default-graph ones moved to :data:`SOURCE_DEFAULT_GRAPH`) and its triple
    in the store's default graph."""
    default = ox.DefaultGraph()
    for s, p, o, g in quads:
        subject, predicate, value = to_oxigraph(s), to_oxigraph(p), to_oxigraph(o)
        graph = SOURCE_DEFAULT_GRAPH if g is None else to_oxigraph(g)
        yield ox.Quad(subject, predicate, value, graph)  # type: ignore[arg-type]
        yield ox.Quad(subject, predicate, value, default)  # type: ignore[arg-type]


class OxigraphStore:
    """An embedded Oxigraph store, on disk at ``path`` (a symlink) or in memory.

    ``read_only`` opens the live directory without a write lock (many readers, also while
    a build runs). ``create`` makes an empty store when ``path`` does not exist yet;
    otherwise a missing store is a :class:`StoreError` telling to run ``rustbelt-kg build``.
    """

    def __init__(
        self, path: Path | None = None, *, read_only: bool = False, create: bool = False
    ) -> None:
        self.path = Path(path) if path is not None else None
        self.read_only = read_only
        self._store: ox.Store | None
        self._graphs: list[ox.NamedNode | ox.BlankNode] | None = None  # named graphs, cached
        if self.path is None:
            self._store = ox.Store()
            return
        live = self._live_dir()
        if live is None:
            if not create:
                raise StoreError(
                    f"no store at {self.path}: run `rustbelt-kg build` to create it"
                )
            if read_only:
                raise StoreError(f"cannot create a read-only store at {self.path}")
            self._store = None
            self.replace_all([])
            return
        try:
            self._store = ox.Store.read_only(str(live)) if read_only else ox.Store(str(live))
        except OSError as error:
            raise StoreError(f"cannot open the store at {self.path}: {error}") from error

    def _live_dir(self) -> Path | None:
        assert self.path is not None
        if not self.path.exists():
            return None
        return self.path.resolve()

    def _open(self) -> ox.Store:
        if self._store is None:
            raise StoreError("the store is closed")
        return self._store

    def add_quads(self, quads: Iterable[Quad]) -> None:
        """Add quads in one transaction."""
        if self.read_only:
            raise StoreError(f"the store at {self.path} is open read-only")
        try:
            self._open().extend(_with_union(quads))
            self._graphs = None
        except OSError as error:
            raise StoreError(f"cannot write the store: {error}") from error

    def replace_all(self, quads: Iterable[Quad]) -> None:
        """Replace the whole content atomically: a failed or killed load changes nothing."""
        if self.read_only:
            raise StoreError(f"the store at {self.path} is open read-only")
        if self.path is None:
            in_memory = ox.Store()
            in_memory.bulk_extend(_with_union(quads))
            self._store, self._graphs = in_memory, None
            return
        parent = self.path.parent
        parent.mkdir(parents=True, exist_ok=True)
        new_dir = Path(tempfile.mkdtemp(prefix=f"{self.path.name}-", dir=parent))
        fresh: ox.Store | None = None
        try:
            fresh = ox.Store(str(new_dir))
            fresh.bulk_extend(_with_union(quads))
            fresh.flush()
        except BaseException as error:
            fresh = None  # release the directory before removing it
            shutil.rmtree(new_dir, ignore_errors=True)
            if isinstance(error, OSError):
                raise StoreError(f"cannot load the store: {error}") from error
            raise
        old = self._swap_link(new_dir)
        self._store, self._graphs = fresh, None
        for stale in parent.glob(f"{self.path.name}-*"):  # this one's and killed loads'
            if stale != new_dir and (stale == old or stale.is_dir()):
                shutil.rmtree(stale, ignore_errors=True)
        for link in parent.glob(f".{self.path.name}-link-*"):
            link.unlink(missing_ok=True)

    def _swap_link(self, new_dir: Path) -> Path | None:
        """Point ``self.path`` at ``new_dir`` with one :func:`os.replace`; return the old dir."""
        assert self.path is not None
        parent = self.path.parent
        old: Path | None = None
        if self.path.is_symlink():
            old = self.path.resolve()
        elif self.path.exists():  # a plain directory left by an older layout
            old = parent / f"{self.path.name}-{secrets.token_hex(4)}-old"
            os.rename(self.path, old)
        link = parent / f".{self.path.name}-link-{secrets.token_hex(4)}"
        os.symlink(new_dir.name, link)
        os.replace(link, self.path)
        fd = os.open(parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        self._store = None  # release the old directory before it is removed
        return old

    def query(self, sparql: str, bindings: Mapping[str, Node] | None = None) -> QueryResult:
        """Run a SPARQL query over the union graph; ``bindings`` are substituted by the engine."""
        substitutions: dict[ox.Variable, Any] = {
            ox.Variable(k): to_oxigraph(v) for k, v in (bindings or {}).items()
        }
        try:
            store = self._open()
            answer = store.query(
                sparql,
                named_graphs=self._visible_named_graphs(),
                prefixes=dict(namespaces.PREFIXES),
                substitutions=substitutions or None,
            )
            if isinstance(answer, ox.QueryBoolean):
                return QueryResult.ask(bool(answer))
            if isinstance(answer, ox.QuerySolutions):
                names = [v.value for v in answer.variables]
                rows = [
                    {n: from_oxigraph(t) for n, t in zip(names, solution, strict=True)
                     if t is not None}
                    for solution in answer
                ]
                return QueryResult.select(names, rows)
            from rdflib import Graph

            graph = Graph()
            for triple in answer:
                graph.add(tuple(normalise(from_oxigraph(t)) for t in triple))  # type: ignore[arg-type]
            return QueryResult.of_graph(graph)
        except SyntaxError as error:
            raise _query_syntax_error(error) from error
        except RuntimeError as error:
            if "projection" in str(error):
                raise UsageError(
                    f"{error}: a parameter of a SELECT query must be one of its result columns"
                ) from error
            raise StoreError(f"query failed: {error}") from error
        except OSError as error:
            raise StoreError(f"query failed: {error}") from error

    def quads(self, graph: str | None = None) -> Iterator[Quad]:
        """Every quad, or those of one named graph."""
        name = ox.NamedNode(graph) if graph is not None else None
        for quad in self._open().quads_for_pattern(None, None, None, name):
            if isinstance(quad.graph_name, ox.DefaultGraph):
                continue  # the union
            if quad.graph_name == SOURCE_DEFAULT_GRAPH:
                yield from_oxigraph_quad(ox.Quad(quad.subject, quad.predicate, quad.object))
            else:
                yield from_oxigraph_quad(quad)

    def named_graphs(self) -> list[str]:
        """The IRIs of the named graphs, sorted."""
        return sorted(str(g.value) for g in self._named_graph_nodes())

    def _named_graph_nodes(self) -> list[ox.NamedNode | ox.BlankNode]:
        if self._graphs is None:
            self._graphs = list(self._open().named_graphs())
        return [g for g in self._graphs if g != SOURCE_DEFAULT_GRAPH]

    def _visible_named_graphs(self) -> list[ox.NamedNode | ox.BlankNode] | None:
        """``None`` (all named graphs, the fast path) unless a hidden graph must be left out."""
        graphs = self._named_graph_nodes()
        assert self._graphs is not None
        return graphs if len(graphs) != len(self._graphs) else None

    def __len__(self) -> int:
        store = self._open()
        union = sum(1 for _ in store.quads_for_pattern(None, None, None, ox.DefaultGraph()))
        return len(store) - union

    def close(self) -> None:
        """Release the store (and its lock on disk)."""
        self._store = None


# -- rdflib in memory ---------------------------------------------------------------------


class MemoryStore:
    """An rdflib ``Dataset`` in memory whose default graph is the union of all graphs."""

    def __init__(self) -> None:
        from rdflib import Dataset

        self.dataset: Dataset = Dataset(default_union=True)

    def add_quads(self, quads: Iterable[Quad]) -> None:
        """Add quads (all at once: the list is built before the dataset changes).

        ``"x"^^xsd:string`` literals are stored as ``"x"``, as Oxigraph stores them.
        """
        from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

        graphs: dict[Node | None, Graph] = {None: self.dataset.graph(DATASET_DEFAULT_GRAPH_ID)}
        batch = []
        for s, p, o, g in quads:
            if g not in graphs:
                graphs[g] = self.dataset.graph(g)  # type: ignore[arg-type]
            batch.append((s, p, normalise(o), graphs[g]))
        self.dataset.addN(batch)  # type: ignore[arg-type]

    def replace_all(self, quads: Iterable[Quad]) -> None:
        """Fill a new dataset, then swap it in."""
        old = self.dataset
        fresh = MemoryStore()
        fresh.add_quads(quads)
        self.dataset = fresh.dataset
        del old

    def query(self, sparql: str, bindings: Mapping[str, Node] | None = None) -> QueryResult:
        """Run a SPARQL query with rdflib; ``bindings`` go in as ``initBindings``."""
        from pyparsing import ParseBaseException
        from rdflib.plugins.sparql import prepareQuery

        try:
            prepared = prepareQuery(sparql, initNs=dict(namespaces.PREFIXES))
        except ParseBaseException as error:
            message = str(error.msg) if error.msg else str(error)
            raise QuerySyntaxError(
                message, path=None, line=error.lineno, column=error.col
            ) from error
        except Exception as error:  # rdflib raises plain Exception for unknown prefixes
            raise QuerySyntaxError(str(error), path=None, line=None, column=None) from error
        try:
            with warnings.catch_warnings():
                # rdflib's SPARQL engine calls its own deprecated Dataset methods
                warnings.filterwarnings("ignore", r"Dataset\.\w+ is deprecated", DeprecationWarning)
                return self._evaluate(prepared, bindings)
        except Exception as error:
            raise StoreError(f"query failed: {error}") from error

    def _evaluate(self, prepared: Any, bindings: Mapping[str, Node] | None) -> QueryResult:
        init: dict[str, Any] = dict(bindings or {})
        answer = self.dataset.query(prepared, initBindings=init)
        if answer.type == "ASK":
            return QueryResult.ask(bool(answer.askAnswer))
        if answer.type == "SELECT":
            names = [str(v) for v in answer.vars or []]
            rows = [{str(k): v for k, v in binding.items()} for binding in answer.bindings]
            return QueryResult.select(names, rows)
        from rdflib import Graph

        graph = Graph()
        for triple in answer.graph or []:
            graph.add(tuple(normalise(t) for t in triple))  # type: ignore[arg-type]
        return QueryResult.of_graph(graph)

    def quads(self, graph: str | None = None) -> Iterator[Quad]:
        """Every quad, or those of one named graph."""
        from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

        if graph is not None:
            for s, p, o in self.dataset.graph(URIRef(graph)).triples((None, None, None)):
                yield (s, p, o, URIRef(graph))
            return
        for s, p, o, g in self.dataset.quads((None, None, None, None)):
            yield (s, p, o, None if g == DATASET_DEFAULT_GRAPH_ID else g)

    def named_graphs(self) -> list[str]:
        """The IRIs of the named graphs that hold triples, sorted."""
        from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

        return sorted(
            str(g.identifier) for g in self.dataset.graphs()
            if g.identifier != DATASET_DEFAULT_GRAPH_ID and len(g)
        )

    def __len__(self) -> int:
        return sum(1 for _ in self.quads())

    def close(self) -> None:
        """Nothing to release."""


# -- the registry ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StoreKind:
    """A kind of store: ``open(project, for_build)`` returns a ready store.

    ``for_build=True`` opens it for :meth:`Store.replace_all` (creating it if needed);
    otherwise it is opened for reading the current content.
    """

    name: str
    help: str
    open: Callable[[Project, bool], Store]


def _open_oxigraph(project: Project, for_build: bool) -> Store:
    return OxigraphStore(project.store_path, read_only=not for_build, create=for_build)


def _open_memory(project: Project, for_build: bool) -> Store:
    store = MemoryStore()
    if not for_build:
        from rustbelt_kg.load import load_quads

        store.replace_all(load_quads(project))
    return store


#: The registry of stores, by name.
STORES: dict[str, StoreKind] = {
    "oxigraph": StoreKind(
        "oxigraph", "embedded Oxigraph on disk under build/store (default)", _open_oxigraph
    ),
    "memory": StoreKind(
        "memory", "rdflib in memory, loaded from the source files each time", _open_memory
    ),
}


def open_store(name: str, project: Project, *, for_build: bool = False) -> Store:
    """Open the store called ``name`` (a key of :data:`STORES`) for ``project``."""
    try:
        kind = STORES[name]
    except KeyError:
        raise UsageError(f"unknown store {name!r}; known: {', '.join(STORES)}") from None
    return kind.open(project, for_build)


def memory_dataset(quads: Iterable[Quad]) -> Dataset:
    """An rdflib ``Dataset`` (default graph = union) holding ``quads``."""
    store = MemoryStore()
    store.add_quads(quads)
    return store.dataset
