"""The ``sparql`` store: a remote triplestore over the W3C SPARQL 1.1 protocols.

Queries go through the SPARQL 1.1 Protocol (a form POST to the query endpoint, answers in
SPARQL Results JSON or N-Triples); loads through the Graph Store Protocol (one POST of
N-Triples per graph and batch) or SPARQL UPDATE (``INSERT DATA`` in batches), in requests
of at most :data:`BATCH_BYTES`, never one giant request.

**The graphs it keeps.** Beside the data's named graphs, the store writes three of its own,
all under ``urn:x-rustbelt-kg:``: the union of all graphs as one graph (:data:`UNION`:
each triple once, so the default graph is a set, an RDF merge, on every server), the list
of its graphs (:data:`GRAPHS`), and, as the embedded store does, the quads that were in the
default graph of a source file (:data:`SOURCE_DEFAULT_GRAPH`). Every query is sent with
that dataset in the protocol's own parameters: ``default-graph-uri`` the union,
``named-graph-uri`` each data graph. So a query never sees a graph the store did not write
(Virtuoso's system graphs, another application's data, a load in progress), and no server
setting is needed. A query with its own ``FROM`` or ``FROM NAMED`` is sent as written.

**Atomic replace.** A load writes into fresh graphs (``urn:x-rustbelt-kg:staging:TOKEN:N``)
that no query reads, with a map graph (``...:TOKEN:map``) naming the graph each stands for;
then one UPDATE request copies the live graphs aside (``urn:x-rustbelt-kg:previous:TOKEN:N``,
through a map of their own), empties them, copies the fresh ones to their names and writes
the new list. Each of those is one step for every graph at once (an ``INSERT``/``DELETE``
joined with the map), so the request is the same handful of steps for 6 graphs or 6,000
(Virtuoso refuses an UPDATE whose SQL translation passes 10,000 lines, which one ``MOVE``
per graph reaches at about a thousand graphs). Servers run one UPDATE request as one
transaction (Oxigraph; Virtuoso commits at the end of the request), so a reader sees the old
content or the new one, never a mix; a load killed before that request leaves the old
content live, and its fresh graphs are removed by the next load.
:meth:`SparqlStore.staging` keeps the previous content until its block ends: on an error it
is put back, in one request again.
"""

from __future__ import annotations

import contextlib
import os
import re
import uuid
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING

import pyoxigraph as ox
from rdflib import Graph
from rdflib.term import BNode, Literal, Node, URIRef

from rustbelt_kg import namespaces
from rustbelt_kg.errors import (
    EndpointRejected,
    EndpointUnavailable,
    MalformedResponse,
    QuerySyntaxError,
    QueryTimeout,
    ResultTruncated,
    RustbeltError,
    StoreError,
    UsageError,
)
from rustbelt_kg.results import CollectsStream, ResultStream, normalise, parse_json_result
from rustbelt_kg.sparql import check_query, check_services, names_dataset
from rustbelt_kg.sparql_values import bind_by_values
from rustbelt_kg.stores.endpoint import Endpoints, HttpClient
from rustbelt_kg.terms import Quad, from_oxigraph, from_oxigraph_quad, iri_ref, nt_term

if TYPE_CHECKING:
    from rustbelt_kg.stores.oxigraph import AnyQuad

__all__ = ["BATCH_BYTES", "BATCH_TRIPLES", "GRAPHS", "UNION", "SparqlStore"]

_OWN = "urn:x-rustbelt-kg:"
UNION = _OWN + "union"
GRAPHS = _OWN + "graphs"
SOURCE_DEFAULT_GRAPH = _OWN + "default-graph"
_STAGING = _OWN + "staging:"
_PREVIOUS = _OWN + "previous:"
_LISTED = _OWN + "Graph"  # the class of a data graph in GRAPHS
_AT = _OWN + "heldIn"  # in a map graph: <graph> _AT <the graph that holds its triples>
#: The most N-Triples bytes one load request carries.
BATCH_BYTES = 1 << 20
#: The most triples one ``INSERT DATA`` carries: Virtuoso refuses an update whose SQL
#: translation passes 10,000 lines (about 2,000 triples).
BATCH_TRIPLES = 500
#: The most graphs one request of leftovers' removal drops.
BATCH_GRAPHS = 200

_JSON = "application/sparql-results+json"
_NTRIPLES = "application/n-triples"
#: The SQL state with which Virtuoso marks an "anytime" answer: the rows found when its
#: MaxQueryExecutionTime ran out.
_ANYTIME = "S1TAT"
#: The error with which Virtuoso answers a query stopped at its MaxQueryExecutionTime
#: before it found a row.
_TIMED_OUT = "SR171: Transaction timed out"
#: The words, variables, brackets, strings, IRIs and comments of a query, for substitution.
_TOKENS = re.compile(
    r'"{3}(?:[^"\\]|\\.|"(?!""))*"{3}' r"|'{3}(?:[^'\\]|\\.|'(?!''))*'{3}"
    r'|"(?:[^"\\\n]|\\.)*"' r"|'(?:[^'\\\n]|\\.)*'"
    r'|<[^<>"{}|^`\\\s]*>|#[^\n]*|[?$]\w+|[A-Za-z_]\w*|[{}()*]',
    re.DOTALL,
)
#: Virtuoso 7 answers ASK with a one-row table of this variable instead of a boolean.
_ASK_COLUMN = "__ASK_RETVAL"


class SparqlStore(CollectsStream):
    """A store on a remote server; ``for_build`` does not ask the server for its content."""

    #: A build checks the data on an embedded copy, then loads the server
    #: (:mod:`rustbelt_kg.build`): the server's own answers are the contract suite's to judge.
    checks_on_a_copy = True

    def __init__(self, endpoints: Endpoints, *, environ: Mapping[str, str] = os.environ,
                 for_build: bool = False) -> None:
        self.endpoints = endpoints
        self.http = HttpClient(endpoints, environ)
        self._graphs: list[str] | None = None  # data graphs, cached
        try:
            if not for_build and not self._listed():
                raise StoreError(f"no rustbelt-kg store at {endpoints.query}: "
                                 "run `rustbelt-kg --store ... build`")
        except BaseException:
            self.http.close()
            raise

    # -- reading ---------------------------------------------------------------------------

    def _listed(self) -> list[str]:
        """The graphs in :data:`GRAPHS` (data graphs and the source default graph)."""
        if self._graphs is None:
            rows = self._select(f"SELECT ?g WHERE {{ GRAPH <{GRAPHS}> {{ ?g a <{_LISTED}> }} }}")
            self._graphs = sorted(str(row["g"]) for row in rows if "g" in row)
        return self._graphs

    def named_graphs(self) -> list[str]:
        """The IRIs of the data's named graphs, sorted."""
        return [g for g in self._listed() if g != SOURCE_DEFAULT_GRAPH]

    def _select(self, text: str, dataset: bool = False) -> list[dict[str, Node]]:
        answer = self._send(text, "select", dataset)
        return list(answer.rows)

    def _send(self, text: str, form: str, dataset: bool) -> ResultStream:
        data: dict[str, str | list[str]] = {"query": text}
        if dataset:
            data["default-graph-uri"] = UNION
            if _names_a_graph(text):  # else no named graph is read: the list is not sent
                data["named-graph-uri"] = self.named_graphs()
        graph = form in ("construct", "describe")
        url = self.endpoints.query
        try:
            response = self.http.request(
                "POST", url, data=data, headers={"Accept": _NTRIPLES if graph else _JSON})
        except EndpointRejected as error:
            raise QuerySyntaxError(
                f"the server refused the query: {error.detail}", path=None, line=None,
                column=None) from error
        except EndpointUnavailable as error:
            if _TIMED_OUT not in str(error):
                raise
            raise QueryTimeout(
                f"{url}: the server stopped the query at its own time limit and sent no "
                "answer: raise its limit (Virtuoso: MaxQueryExecutionTime)",
                limit="server time limit") from error
        if response.headers.get("x-sparql-maxrows"):
            raise ResultTruncated(
                f"{url}: the server cut its answer at {response.headers['x-sparql-maxrows']} "
                "rows (its own limit, such as Virtuoso's ResultSetMaxRows): raise it",
                limit="server row limit")
        if response.headers.get("x-sql-state") == _ANYTIME:
            raise ResultTruncated(
                f"{url}: the server stopped the query at its own time limit and answered "
                f"with part of the rows ({response.headers.get('x-sql-message', '')}): "
                "raise its limit (Virtuoso: MaxQueryExecutionTime)", limit="server time limit")
        if graph:
            return ResultStream("graph", graph=_graph(response.content, url))
        return _table(response.text, form, url)

    def stream(
        self,
        sparql: str,
        bindings: Mapping[str, Node] | None = None,
        *,
        services: Iterable[str] = (),
    ) -> ResultStream:
        """Send the query with the store's dataset; the whole answer is read, then its rows
        are given one by one."""
        read = check_query(sparql)
        check_services(read, services)
        if bindings:
            sparql = (bind_by_values(sparql, bindings) or _substituted(sparql, bindings)
                      or _trailing_values(sparql, bindings))
        prologue = "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in namespaces.PREFIXES.items())
        return self._send(prologue + sparql, read.form, dataset=not names_dataset(sparql))

    def quads(self, graph: str | None = None) -> Iterator[Quad]:
        """Every quad, or those of one named graph, one graph per request."""
        names = [graph] if graph is not None else self._listed()
        for name in names:
            answer = self._send(
                f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {iri_ref(name)} {{ ?s ?p ?o }} }}",
                "construct", dataset=False)
            assert answer.graph is not None
            key = None if name == SOURCE_DEFAULT_GRAPH else URIRef(name)
            for s, p, o in answer.graph:
                yield (s, p, o, key)

    def __len__(self) -> int:
        """The number of quads (the union apart), counted by the server."""
        names = " ".join(iri_ref(g) for g in self._listed())
        rows = self._select(
            f"SELECT (COUNT(*) AS ?n) WHERE {{ VALUES ?g {{ {names} }} GRAPH ?g {{ ?s ?p ?o }} }}")
        return int(str(rows[0]["n"])) if rows and "n" in rows[0] else 0

    # -- writing ---------------------------------------------------------------------------

    def add_quads(self, quads: Iterable[AnyQuad]) -> None:
        """Add quads: written into fresh graphs, then added to the live ones in one request."""
        token = self._upload(quads)
        self._update([_copy_through(_STAGING + token, to_names=True),
                      f"ADD SILENT GRAPH <{_STAGING}{token}:union> TO GRAPH <{UNION}>",
                      *_list_through(_STAGING + token)])
        self._graphs = None
        self._drop_generation(token)

    def replace_all(self, quads: Iterable[AnyQuad]) -> None:
        """Replace the whole content atomically: a failed or killed load changes nothing."""
        with self.staging(quads):
            pass

    @contextlib.contextmanager
    def staging(self, quads: Iterable[AnyQuad]) -> Iterator[None]:
        """Load ``quads`` into fresh graphs and make them live in one request; inside the
        block they are what queries see, and when the block ends with an error the previous
        content is made live again (one request again).

        The switch is a fixed handful of steps whatever the number of graphs: each copies
        or clears every graph a map graph names (:func:`_copy_through`), so the request
        stays far below Virtuoso's limit on the size of one UPDATE at thousands of graphs.
        """
        self._remove_leftovers()
        old = self._listed_or_empty()
        token = self._upload(quads)
        new, aside = _STAGING + token, _PREVIOUS + token
        self._put(f"{aside}:map", [f"{iri_ref(g)} <{_AT}> <{aside}:{n}> .\n"
                                   for n, g in enumerate(old)])
        self._update([
            _copy_through(aside, to_names=False), _clear_through(aside, names=True),
            f"MOVE SILENT GRAPH <{UNION}> TO GRAPH <{aside}:union>",
            f"MOVE SILENT GRAPH <{GRAPHS}> TO GRAPH <{aside}:graphs>",
            _copy_through(new, to_names=True),
            f"MOVE SILENT GRAPH <{new}:union> TO GRAPH <{UNION}>",
            *_list_through(new),
        ])
        self._graphs = None
        try:
            yield
        except BaseException as failure:
            self._graphs = None
            try:
                self._update([
                    _clear_through(new, names=True),
                    f"DROP SILENT GRAPH <{UNION}>", f"DROP SILENT GRAPH <{GRAPHS}>",
                    _copy_through(aside, to_names=True),
                    f"MOVE SILENT GRAPH <{aside}:union> TO GRAPH <{UNION}>",
                    f"MOVE SILENT GRAPH <{aside}:graphs> TO GRAPH <{GRAPHS}>",
                ])
            except RustbeltError as error:
                raise StoreError(
                    f"{failure}\nand the previous content could not be put back ({error}): "
                    "the new content is live; build again") from failure
            self._drop_generation(token)
            raise
        self._drop_generation(token)

    def _listed_or_empty(self) -> list[str]:
        self._graphs = None
        return self._listed()

    def _drop_generation(self, token: str) -> None:
        """Remove the fresh and set-aside graphs of the load ``token``, in one request."""
        steps = []
        for prefix in (_STAGING + token, _PREVIOUS + token):
            steps += [_clear_through(prefix, names=False)]
            steps += [f"DROP SILENT GRAPH <{prefix}:{what}>" for what in ("union", "graphs", "map")]
        self._update(steps)

    def _remove_leftovers(self) -> None:
        """Drop the fresh and set-aside graphs of loads that were killed (in requests of
        :data:`BATCH_GRAPHS` graphs: they are not live, so their removal need not be one)."""
        rows = self._select(
            "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } "
            f'FILTER(STRSTARTS(STR(?g), "{_STAGING}") || STRSTARTS(STR(?g), "{_PREVIOUS}")) }}')
        drops = [f"DROP SILENT GRAPH {iri_ref(str(r['g']))}" for r in rows]
        for at in range(0, len(drops), BATCH_GRAPHS):
            self._update(drops[at:at + BATCH_GRAPHS])

    def _upload(self, quads: Iterable[AnyQuad]) -> str:
        """Write ``quads`` into fresh graphs, in batches, with their union and the map of
        the graph each stands for (``<graph> _AT <fresh graph>``); return the load's token.
        Quads with blank nodes go last in one request, so that each blank node stays one
        node."""
        token = uuid.uuid4().hex
        staged: dict[str, str] = {}
        union = f"{_STAGING}{token}:union"
        pending: dict[str, list[str]] = {}
        size = count = 0
        with_blank_nodes: dict[str, list[str]] = {}
        for s, p, o, g in _rdflib_quads(quads):
            if isinstance(g, BNode):
                raise StoreError("a remote store cannot hold a graph named by a blank node")
            name = SOURCE_DEFAULT_GRAPH if g is None else str(g)
            if name not in staged:
                staged[name] = f"{_STAGING}{token}:{len(staged)}"
            line = f"{nt_term(s)} {nt_term(p)} {nt_term(normalise(o))} .\n"
            target = with_blank_nodes if isinstance(s, BNode) or isinstance(o, BNode) else pending
            for graph in (staged[name], union):
                target.setdefault(graph, []).append(line)
            if target is pending:
                size, count = size + 2 * len(line), count + 2
                if size > BATCH_BYTES or count >= self._most:
                    self._write(pending)
                    pending, size, count = {}, 0, 0
        self._write(pending)
        if with_blank_nodes:
            self._insert(with_blank_nodes)
        self._put(f"{_STAGING}{token}:map",
                  [f"{iri_ref(g)} <{_AT}> <{s}> .\n" for g, s in staged.items()])
        return token

    @property
    def _most(self) -> int:
        """The most triples one load request carries."""
        return BATCH_TRIPLES if self.endpoints.load_method == "update" else 1 << 62

    def _put(self, graph: str, lines: list[str]) -> None:
        """Add ``lines`` (N-Triples) to ``graph``, in batches."""
        most = min(self._most, BATCH_BYTES // 200)
        for at in range(0, len(lines), most):
            self._write({graph: lines[at:at + most]})

    def _write(self, batch: dict[str, list[str]]) -> None:
        if not batch:
            return
        if self.endpoints.load_method == "update":
            self._insert(batch)
            return
        assert self.endpoints.gsp is not None
        for graph, lines in batch.items():
            self.http.request("POST", self.endpoints.gsp, params={"graph": graph},
                              content="".join(lines).encode("utf-8"),
                              headers={"Content-Type": _NTRIPLES})

    def _insert(self, batch: dict[str, list[str]]) -> None:
        body = " ".join(f"GRAPH <{g}> {{\n{''.join(lines)}}}" for g, lines in batch.items())
        self._update([f"INSERT DATA {{ {body} }}"])

    def _update(self, steps: list[str]) -> None:
        """Send ``steps`` as one UPDATE request (one transaction on the server)."""
        if steps:
            self.http.request("POST", self.endpoints.update_url,
                              data={"update": " ;\n".join(steps)})

    def writing(self) -> contextlib.AbstractContextManager[None]:
        """Nothing is locked on the server: two builds into one server at the same time
        each stay whole, and the last to switch wins."""
        return contextlib.nullcontext()

    def close(self) -> None:
        """Close the connections."""
        self.http.close()


def _substituted(sparql: str, bindings: Mapping[str, Node]) -> str | None:
    """``sparql`` with each bound variable replaced by its term, as pre-binding does, and
    returned as ``(term AS ?name)`` in the projection; ``None`` where that is not plain
    (``SELECT *``, a variable bound by ``AS``, ``GROUP BY``, a subquery, a blank node)."""
    if any(isinstance(term, BNode) for term in bindings.values()):
        return None
    names = {"?" + name: nt_term(term) for name, term in bindings.items()}
    names |= {"$" + name[1:]: term for name, term in names.items()}
    out, at, depth, where, previous = [], 0, 0, False, ""
    for token in _TOKENS.finditer(sparql):
        text = token.group()
        if text in "{}":
            depth += 1 if text == "{" else -1
            where = True
        upper = text.upper()
        if upper in ("*", "GROUP", "SELECT", "VALUES") and (where or upper == "*"):
            return None  # a subquery, a grouping, trailing VALUES, or SELECT *
        if text in names:
            if previous == "AS":
                return None
            if not where:
                value = f"({names[text]} AS {text})"  # the projection
            else:  # in the WHERE group, or an expression after it (ORDER BY)
                value = names[text] if depth else f"({names[text]})"
            out.append(sparql[at:token.start()] + value)
            at = token.end()
        if not text.startswith("#"):
            previous = upper
    return "".join(out) + sparql[at:]


def _trailing_values(sparql: str, bindings: Mapping[str, Node]) -> str:
    """``sparql`` with ``bindings`` as its final ``VALUES`` clause, which SPARQL joins with
    the solutions of the ``WHERE`` group before they are ordered and projected: the rows
    pre-binding gives, for a variable the query returns (as stored queries' parameters are)."""
    if any(isinstance(term, BNode) for term in bindings.values()):
        raise UsageError("a blank node cannot be sent to a remote server as a parameter")
    names = " ".join("?" + name for name in bindings)
    row = " ".join(nt_term(term) for term in bindings.values())
    return f"{sparql}\nVALUES ({names}) {{ ({row}) }}\n"


def _names_a_graph(sparql: str) -> bool:
    """Whether ``sparql`` has a ``GRAPH`` pattern (a word, not in a string, IRI or comment)."""
    return any(token.group().upper() == "GRAPH" for token in _TOKENS.finditer(sparql))


def _copy_through(prefix: str, *, to_names: bool) -> str:
    """The UPDATE step that copies each graph the map ``PREFIX:map`` names
    (``<graph> _AT <held>``): from where it is held to its name, or from its name to where
    it is to be held. One step for any number of graphs."""
    source, target = ("?held", "?g") if to_names else ("?g", "?held")
    return (f"INSERT {{ GRAPH {target} {{ ?s ?p ?o }} }} WHERE {{ "
            f"GRAPH <{prefix}:map> {{ ?g <{_AT}> ?held }} GRAPH {source} {{ ?s ?p ?o }} }}")


def _clear_through(prefix: str, *, names: bool) -> str:
    """The UPDATE step that empties every graph the map ``PREFIX:map`` names: the graphs by
    their names, or where they are held."""
    which = "?g" if names else "?held"
    return (f"DELETE {{ GRAPH {which} {{ ?s ?p ?o }} }} WHERE {{ "
            f"GRAPH <{prefix}:map> {{ ?g <{_AT}> ?held }} GRAPH {which} {{ ?s ?p ?o }} }}")


def _list_through(prefix: str) -> list[str]:
    """The UPDATE steps that add every graph the map ``PREFIX:map`` names to :data:`GRAPHS`."""
    return [f"INSERT DATA {{ GRAPH <{GRAPHS}> {{ <{GRAPHS}> a <{_OWN}GraphList> }} }}",
            f"INSERT {{ GRAPH <{GRAPHS}> {{ ?g a <{_LISTED}> }} }} WHERE {{ "
            f"GRAPH <{prefix}:map> {{ ?g <{_AT}> ?held }} }}"]


def _table(text: str, form: str, url: str) -> ResultStream:
    """A SPARQL Results JSON answer as a :class:`ResultStream`."""
    try:
        answer = parse_json_result(text)
    except UsageError as error:
        raise MalformedResponse(f"not SPARQL results JSON: {error}", endpoint=url) from error
    if form == "ask" and answer.kind == "select" and answer.vars == [_ASK_COLUMN]:
        value = answer.rows[0].get(_ASK_COLUMN) if answer.rows else None
        return ResultStream("ask", boolean=isinstance(value, Literal) and str(value) == "1")
    if (form == "ask") != (answer.kind == "ask"):
        raise MalformedResponse(f"a {answer.kind} answer to an {form} query", endpoint=url)
    return ResultStream.of(answer)


def _graph(body: bytes, url: str) -> Graph:
    """An N-Triples answer as an rdflib graph (literals normalised)."""
    graph = Graph()
    try:
        for triple in ox.parse(body, format=ox.RdfFormat.N_TRIPLES):
            graph.add(tuple(normalise(from_oxigraph(t)) for t in  # type: ignore[arg-type]
                            (triple.subject, triple.predicate, triple.object)))
    except SyntaxError as error:
        raise MalformedResponse(f"not N-Triples: {error}", endpoint=url) from error
    return graph


def _rdflib_quads(quads: Iterable[AnyQuad]) -> Iterator[Quad]:
    """``quads`` as rdflib quads (the engine's converted: the bulk path hands those over)."""
    for quad in quads:
        yield from_oxigraph_quad(quad) if isinstance(quad, ox.Quad) else quad
