"""What a worker process does for the server: every read of the store happens here.

:func:`run` calls the job by name and packs its answer (or the
:class:`~rustbelt_kg.errors.RustbeltError` it raised) for the pipe back to the server. A
worker keeps the store open; before each job it looks where ``build/store`` points, and
reopens the store when a rebuild has swapped it (:mod:`rustbelt_kg.livedir`).

Queries of the SPARQL protocol go to the engine with the dataset the request names
(``default-graph-uri``, ``named-graph-uri``) and the project's prefixes; at most
``max_rows`` rows (or triples) are written, and the answer says when it was cut.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from rustbelt_kg import namespaces
from rustbelt_kg.errors import NotFound, RustbeltError, StoreError
from rustbelt_kg.export import serialize
from rustbelt_kg.project import Project
from rustbelt_kg.results import RESULT_FORMATS, QueryResult, normalise
from rustbelt_kg.sparql import query_syntax_error
from rustbelt_kg.store import SOURCE_DEFAULT_GRAPH, OxigraphStore
from rustbelt_kg.terms import Quad, from_oxigraph, from_oxigraph_quad

__all__ = ["TRUNCATED", "WorkerState", "run"]

#: The link a cut SELECT answer carries in its head (JSON ``head.link``, XML ``<link>``).
TRUNCATED = "urn:x-rustbelt-kg:truncated"


class WorkerState:
    """The project, the open store (reopened after a rebuild) and the pages."""

    def __init__(self, root: Path, store_path: Path, base_url: str) -> None:
        self.project = Project(root)
        self.store_path = store_path
        self.base_url = base_url
        self._live: str | None = None
        self._engine: ox.Store | None = None
        self._store: OxigraphStore | None = None
        self._pages: Any = None

    def _refresh(self) -> None:
        live = os.path.realpath(self.store_path)
        if live != self._live or self._store is None:
            self._store = OxigraphStore(self.store_path, read_only=True)
            try:
                self._engine = ox.Store.read_only(live)
            except (OSError, RuntimeError) as error:
                raise StoreError(f"cannot open the store: {error}") from error
            self._live = live

    def engine(self) -> ox.Store:
        """The pyoxigraph store, current."""
        self._refresh()
        assert self._engine is not None
        return self._engine

    def store(self) -> OxigraphStore:
        """The project's :class:`~rustbelt_kg.store.OxigraphStore`, current."""
        self._refresh()
        assert self._store is not None
        return self._store

    def pages(self) -> Any:
        if self._pages is None:
            from rustbelt_kg.server.pages import Pages

            self._pages = Pages(self.project, self.base_url)
        return self._pages


def run(state: WorkerState, name: str, kwargs: dict[str, Any]) -> tuple[str, Any]:
    """``("ok", answer)`` of the job ``name``, or ``("error", report)`` for the server."""
    from rustbelt_kg.bounded import plain_attributes

    try:
        return "ok", JOBS[name](state, **kwargs)
    except RustbeltError as error:
        return "error", {"error": type(error).__name__, "message": str(error),
                         "exit": error.exit_code, "attributes": plain_attributes(vars(error))}
    except Exception as error:  # noqa: BLE001 - reported as an internal error, no traceback
        return "error", {"internal": type(error).__name__, "message": str(error)}


# -- the jobs -------------------------------------------------------------------------------


def ping(state: WorkerState) -> bool:
    """Load what jobs need, and open the store if it is built."""
    import rustbelt_kg.server.pages  # noqa: F401

    try:
        state.engine()
    except StoreError:
        return False
    return True


def _dataset(
    store: ox.Store, default_graphs: list[str], named_graphs: list[str]
) -> dict[str, Any]:
    if not default_graphs and not named_graphs:
        visible = None
        if store.contains_named_graph(SOURCE_DEFAULT_GRAPH):
            visible = [g for g in store.named_graphs() if g != SOURCE_DEFAULT_GRAPH]
        return {"named_graphs": visible}
    return {
        "default_graph": [ox.NamedNode(g) for g in default_graphs],
        "named_graphs": [ox.NamedNode(g) for g in named_graphs],
    }


@contextlib.contextmanager
def _engine_errors() -> Iterator[None]:
    """The engine's errors, while a query runs and while its answer is read, as ours."""
    try:
        yield
    except SyntaxError as error:
        raise query_syntax_error(error) from error
    except (OSError, RuntimeError) as error:
        raise StoreError(f"query failed: {error}") from error


def _evaluate(
    state: WorkerState,
    text: str,
    default_graphs: list[str] | None,
    named_graphs: list[str] | None,
    base_iri: str | None,
) -> tuple[str, Any]:
    """Start a checked query on the dataset the request names, relative IRIs resolved
    against ``base_iri`` (the endpoint): ``("ask", bool)``, ``("select", (names, rows))``
    or ``("graph", triples)``, rows and triples read lazily (inside :func:`_engine_errors`)."""
    store = state.engine()
    answer = store.query(
        text, prefixes=dict(namespaces.PREFIXES), base_iri=base_iri,
        **_dataset(store, default_graphs or [], named_graphs or []),
    )
    if isinstance(answer, ox.QueryBoolean):
        return "ask", bool(answer)
    if isinstance(answer, ox.QuerySolutions):
        names = [v.value for v in answer.variables]
        return "select", (names, _rows(answer, names))
    return "graph", ((from_oxigraph(t.subject), from_oxigraph(t.predicate),
                      normalise(from_oxigraph(t.object)), None) for t in answer)


def sparql(
    state: WorkerState,
    text: str,
    format: str,
    max_rows: int,
    default_graphs: list[str] | None = None,
    named_graphs: list[str] | None = None,
    base_iri: str | None = None,
) -> dict[str, Any]:
    """The answer of a checked query (see :func:`_evaluate`) in ``format``, at most
    ``max_rows`` rows or triples; ``{"body", "truncated"}``."""
    with _engine_errors():
        kind, answer = _evaluate(state, text, default_graphs, named_graphs, base_iri)
        if kind == "ask":
            return {"body": _write(QueryResult.ask(answer), format), "truncated": False}
        if kind == "select":
            names, rows = answer
            return _table(names, rows, format, max_rows)
        triples, truncated = _capped(answer, max_rows)
        return {"body": serialize(triples, format), "truncated": truncated}


def sparql_page(
    state: WorkerState,
    text: str,
    max_rows: int,
    default_graphs: list[str] | None = None,
    named_graphs: list[str] | None = None,
    base_iri: str | None = None,
) -> str:
    """The query page with ``text`` in its form and its answer as a table (at most
    ``max_rows`` rows or triples, and saying when there were more)."""
    truncated = False
    with _engine_errors():
        kind, answer = _evaluate(state, text, default_graphs, named_graphs, base_iri)
        if kind == "ask":
            result = QueryResult.ask(answer)
        elif kind == "select":
            rows, truncated = _capped(answer[1], max_rows)
            result = QueryResult.select(answer[0], rows)
        else:
            from rdflib import Graph

            triples, truncated = _capped(answer, max_rows)
            graph = Graph()
            for s, p, o, _ in triples:
                graph.add((s, p, o))
            result = QueryResult.of_graph(graph)
    return str(state.pages().sparql_form(text, result, truncated))


def _rows(answer: ox.QuerySolutions, names: list[str]) -> Iterator[dict[str, Any]]:
    for solution in answer:
        yield {n: from_oxigraph(t) for n, t in zip(names, solution, strict=True)
               if t is not None}


def _capped(items: Iterable[Any], cap: int) -> tuple[list[Any], bool]:
    """The first ``cap`` items, and whether there were more."""
    kept: list[Any] = []
    for item in items:
        if len(kept) == cap:
            return kept, True
        kept.append(item)
    return kept, False


def _write(result: QueryResult, format: str) -> str:
    out = io.StringIO()
    RESULT_FORMATS[format].write(result, out)
    return out.getvalue()


def _marked(body: str, format: str) -> str:
    """A cut answer that says so in its head, where the format has one (JSON, XML)."""
    if format == "json":
        return body.replace('"head": {', f'"head": {{\n    "link": ["{TRUNCATED}"],', 1)
    if format == "xml":
        return body.replace("  </head>", f'    <link href="{TRUNCATED}"/>\n  </head>', 1)
    return body


def _quads(store: ox.Store, subject: Any = None, object: Any = None,
           graph: Any = None) -> Iterator[Quad]:
    """Quads of the named graphs (the store's union graph left out; triples of the
    sources' own default graph as default-graph quads)."""
    for quad in store.quads_for_pattern(subject, None, object, graph):
        if isinstance(quad.graph_name, ox.DefaultGraph):
            continue
        if quad.graph_name == SOURCE_DEFAULT_GRAPH:
            yield from_oxigraph_quad(ox.Quad(quad.subject, quad.predicate, quad.object))
        else:
            yield from_oxigraph_quad(quad)


def _as_triples(quads: Iterable[Quad]) -> list[Quad]:
    return list(dict.fromkeys((s, p, o, None) for s, p, o, _ in quads))


def _entity(store: ox.Store, iri: str) -> list[Quad]:
    node = ox.NamedNode(iri)
    return [*_quads(store, subject=node), *_quads(store, object=node)]


def _claim(store: ox.Store, iri: str) -> list[Quad]:
    quads = list(_quads(store, graph=ox.NamedNode(iri)))
    if not quads:
        return []
    provenance = ox.NamedNode(namespaces.PROVENANCE_GRAPH)
    for quad in store.quads_for_pattern(None, None, None, provenance):
        subject = quad.subject
        if isinstance(subject, ox.NamedNode) and (
            subject.value == iri or subject.value.startswith(iri + "#")
        ):
            quads.append(from_oxigraph_quad(quad))
    return quads


def _graph(store: ox.Store, iri: str) -> list[Quad]:
    return list(_quads(store, graph=ox.NamedNode(iri)))


_DESCRIBERS: dict[str, Callable[[ox.Store, str], list[Quad]]] = {
    "entity": _entity,
    "claim": _claim,
    "graph": _graph,
}


def resource(state: WorkerState, kind: str, iri: str, format: str) -> str:
    """The RDF of one resource (``kind``: entity, claim, graph) in ``format``; triple formats
    get the union, quad formats keep the graphs. :class:`NotFound` when the store holds
    nothing about it."""
    quads = _DESCRIBERS[kind](state.engine(), iri)
    if not quads:
        raise NotFound(f"the graph holds nothing about <{iri}>")
    from rustbelt_kg.catalog import RDF_FORMAT_INFO

    if not RDF_FORMAT_INFO[format].keeps_graphs or format == "jsonld":
        quads = _as_triples(quads)
    return serialize(quads, format)


def default_graph(state: WorkerState, format: str) -> str:
    """The union of all graphs (the Graph Store Protocol's default graph)."""
    return serialize(_as_triples(_quads(state.engine())), format)


def shapes(state: WorkerState, format: str) -> str:
    """The SHACL shapes (``shapes/*.ttl``, not in the store) in ``format``."""
    from rdflib import Graph

    graph = Graph()
    for path in state.project.files("shapes"):
        graph.parse(path, format="turtle")
    return serialize(((s, p, normalise(o), None) for s, p, o in graph), format)


def stats(state: WorkerState) -> dict[str, Any]:
    """What VoID says of the dataset: the union's triples, the named graphs."""
    store = state.engine()
    answer = store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert isinstance(answer, ox.QuerySolutions)
    triples = next(int(row[0].value) for row in answer)  # type: ignore[union-attr,index]
    graphs = sorted(g.value for g in store.named_graphs()
                    if isinstance(g, ox.NamedNode) and g != SOURCE_DEFAULT_GRAPH)
    return {"triples": triples, "graphs": graphs}


def page(state: WorkerState, method: str, args: list[Any], with_store: bool = True) -> Any:
    """An HTML page: ``Pages.<method>(store, *args)`` (no store for the pages that need none)."""
    pages = state.pages()
    call = getattr(pages, method)
    return call(state.store(), *args) if with_store else call(*args)


def stored(state: WorkerState, name: str, params: dict[str, str], format: str,
           max_rows: int) -> dict[str, Any]:
    """The answer of the stored query ``name`` with ``params`` (text values, checked and
    bound by the engine, never pasted in), at most ``max_rows`` rows; as :func:`sparql`."""
    from rustbelt_kg.query import get_query, stream_query

    answer = stream_query(state.store(), get_query(state.project, name), params)
    if answer.kind != "select":
        return {"body": _write(answer.collect(), format), "truncated": False}
    return _table(answer.vars, answer.rows, format, max_rows)


def _table(names: list[str], rows: Iterable[dict[str, Any]], format: str,
           max_rows: int) -> dict[str, Any]:
    """A SELECT answer of at most ``max_rows`` rows, marked when cut."""
    kept, truncated = _capped(rows, max_rows)
    body = _write(QueryResult.select(names, kept), format)
    return {"body": _marked(body, format) if truncated else body, "truncated": truncated}


JOBS: dict[str, Callable[..., Any]] = {
    "ping": ping,
    "sparql": sparql,
    "sparql_page": sparql_page,
    "resource": resource,
    "default_graph": default_graph,
    "shapes": shapes,
    "stats": stats,
    "page": page,
    "stored": stored,
}
