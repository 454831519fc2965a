"""The pages a reader reads: the article, entities, claims, classes, the ontology, queries.

:class:`Pages` renders each page as a complete HTML document from the built store, with
Jinja2 templates (``templates/``, autoescaped) and the stylesheet in ``static/``. Pages work
without JavaScript; ``static/pages.js`` only adds keyboard and touch niceties. The server
maps routes onto the methods:

==============================  ==========================================
``/``                           :meth:`Pages.home`
``/article``, ``/source/NAME``  :meth:`Pages.article`, :meth:`Pages.source`
``/id/NAME``                    :meth:`Pages.entity` (``None``: 404)
``/claim/NAME``                 :meth:`Pages.claim` (``None``: 404)
``/class/NAME``                 :meth:`Pages.klass` (``None``: 404)
``/ontology``                   :meth:`Pages.ontology`
``/search?q=``                  :meth:`Pages.search`
``/queries``, ``/queries/NAME``  :meth:`Pages.queries_index`, :meth:`Pages.query`
``/sparql`` (form; HTML answer)  :meth:`Pages.sparql_form`
==============================  ==========================================
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader, select_autoescape
from rdflib.term import URIRef

from rustbelt_kg import namespaces
from rustbelt_kg.namespaces import CLAIM, LINKS_GRAPH, RB, RBO
from rustbelt_kg.query import get_query, list_queries, run_query
from rustbelt_kg.reading import read_text
from rustbelt_kg.server import pages_graph as graph
from rustbelt_kg.server.diagrams import Diagram, render_svg
from rustbelt_kg.server.pages_terms import Links, humanise
from rustbelt_kg.server.pages_text import in_context, paragraphs, unquoted_sentences

if TYPE_CHECKING:
    from rustbelt_kg.project import Project
    from rustbelt_kg.results import QueryResult
    from rustbelt_kg.store import Store

__all__ = ["Pages"]

_P = namespaces.PREFIXES
_OWL_CLASS = _P["owl"] + "Class"
_STATED_AS, _NUMERIC = RBO + "statedAs", RBO + "numericValue"
#: Properties of a quantity, a sum of money or a time reference shown beside the fact.
_VALUE_PROPERTIES = (
    _STATED_AS, _NUMERIC, RBO + "unit", RBO + "currency", RBO + "qualifier",
    RBO + "statedEquivalent", RBO + "firstDay", RBO + "lastDay",
)
#: Rows of a query shown in a page; the API routes give all of them.
MAX_ROWS = 1000
MAX_SEARCH = 200
#: Edges drawn around an entity.
MAX_EDGES = 40


@dataclass(frozen=True)
class _Snapshot:
    """Labels, ontology terms, claims, their triples and the source texts of one store.

    A store's content changes only when it is rebuilt, and the server opens a rebuilt store
    as a new :class:`Store`, so :class:`Pages` keeps one snapshot per store object (weakly:
    it goes with the store).
    """

    links: Links
    terms: list[graph.Term]
    claims: dict[str, graph.Claim]
    triples: dict[str, list[graph.Triple]]
    texts: dict[str, dict[str, Any]]


class Pages:
    """HTML pages for ``project``'s store, with links under ``base_url``."""

    def __init__(self, project: Project, base_url: str) -> None:
        self.project = project
        self.base_url = base_url.rstrip("/")
        self._snapshots: weakref.WeakKeyDictionary[Store, _Snapshot] = (
            weakref.WeakKeyDictionary())
        self._lock = threading.Lock()
        self.env = Environment(
            loader=PackageLoader("rustbelt_kg.server", "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
            trim_blocks=True, lstrip_blocks=True,
        )

    # -- shared ---------------------------------------------------------------------------

    def _snapshot(self, store: Store) -> _Snapshot:
        """What every page of ``store`` needs, read once per store (see :class:`_Snapshot`)."""
        with self._lock:
            try:
                found = self._snapshots.get(store)
            except TypeError:  # a store that cannot be weakly referenced is read each time
                found = None
        if found is not None:
            return found
        terms = graph.ontology_terms(store)
        classes = frozenset(t.iri for t in terms if _OWL_CLASS in t.kinds)
        found = _Snapshot(
            links=Links(self.base_url, graph.labels(store), classes,
                        {t.iri: t.first(_P["skos"] + "definition") for t in terms}),
            terms=terms,
            claims=graph.claims(store), triples=graph.claim_triples(store),
            texts=self._texts(store),
        )
        with self._lock, contextlib.suppress(TypeError):
            self._snapshots[store] = found
        return found

    def _links(self, store: Store) -> Links:
        return self._snapshot(store).links

    def _render(self, template: str, links: Links | None, **context: Any) -> str:
        links = links or Links(self.base_url, {})
        return self.env.get_template(template).render(
            links=links, path=links.path, humanise=humanise, P=_P, RBO=RBO, CLAIM=CLAIM,
            **context,
        )

    def _texts(self, store: Store) -> dict[str, dict[str, Any]]:
        """Every source text node: its metadata, its name and its text."""
        found: dict[str, dict[str, Any]] = {}
        for node, meta in graph.sources(store).items():
            paths = [str(p) for p in meta.get(RBO + "filePath", [])]
            if not paths or not paths[0].startswith("data/sources/"):
                continue
            path = self.project.root / paths[0]
            found[node] = {
                "node": node, "meta": meta, "name": Path(paths[0]).stem,
                "text": read_text(path, self.project.display(path)),
            }
        return found

    # -- pages ----------------------------------------------------------------------------

    def home(self, store: Store) -> str:
        """The start page: the sources, the classes with their counts, the ways in."""
        snapshot = self._snapshot(store)
        links, terms = snapshot.links, snapshot.terms
        found = graph.class_counts(store)
        counts = [(t, found.get(t.iri, 0)) for t in terms if _OWL_CLASS in t.kinds]
        return self._render(
            "home.html", links, sources=snapshot.texts, claims=snapshot.claims,
            classes=[(t, n) for t, n in counts if n], title="rustbelt-kg",
        )

    def article(self, store: Store, source: str | None = None) -> str:
        """The page of source ``source`` (default: the first, the China Daily article)."""
        texts = self._snapshot(store).texts
        names = sorted(texts.values(), key=lambda t: (t["node"] != RB + "article-text", t["name"]))
        chosen = next((t for t in names if source in (None, t["name"])), None)
        if chosen is None:
            raise LookupError(source)
        return self._source_page(store, chosen)

    def source(self, store: Store, name: str) -> str | None:
        """The page of the source ``data/sources/NAME.txt``; ``None`` when there is none."""
        try:
            return self.article(store, name)
        except LookupError:
            return None

    def _source_page(self, store: Store, source: dict[str, Any]) -> str:
        snapshot = self._snapshot(store)
        links = snapshot.links
        claims = {i: c for i, c in snapshot.claims.items() if c.source == source["node"]}
        spans = {i: c.span for i, c in claims.items() if c.span is not None}
        text = source["text"]
        bare = unquoted_sentences(text, spans.values())
        meta = source["meta"]
        work = str(meta.get(_P["prov"] + "wasDerivedFrom", [""])[0])
        credits = [f for f in graph.facts_about(store, work) if f.subject == URIRef(work)
                   and str(f.predicate) in (_P["schema"] + "author", _P["schema"] + "contributor",
                                            _P["schema"] + "publisher")] if work else []
        return self._render(
            "article.html", links, source=source, meta=meta, work=work, credits=credits,
            paragraphs=paragraphs(text, spans, bare), claims=claims, unquoted=bare,
            triples=snapshot.triples, title=str(meta.get(_P["dcterms"] + "title",
                                                                   [source["name"]])[0]),
        )

    def entity(self, store: Store, iri: str) -> str | None:
        """Every fact about ``iri`` beside its sentence; ``None`` when the graph has none."""
        facts = graph.facts_about(store, iri)
        if not facts:
            return None
        snapshot = self._snapshot(store)
        links, claims = snapshot.links, snapshot.claims
        texts = {node: t["text"] for node, t in snapshot.texts.items()}
        groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        other: list[graph.Fact] = []
        for fact in facts:
            if not fact.claims:
                if LINKS_GRAPH not in fact.graphs:  # the links are shown with Wikidata's facts
                    other.append(fact)
                continue
            incoming = fact.subject != URIRef(iri)
            groups[("in" if incoming else "out", str(fact.predicate))].append({
                "fact": fact, "other": fact.subject if incoming else fact.object,
                "evidence": [self._evidence(claims[c], texts) for c in fact.claims if c in claims],
            })
        nodes = [str(f.object) for f in facts
                 if isinstance(f.object, URIRef) and f.subject == URIRef(iri)]
        values = {URIRef(n): v for n, v in graph.values_of(store, nodes).items()
                  if _STATED_AS in v or _NUMERIC in v}
        return self._render(
            "entity.html", links, iri=iri, title=links.label(iri),
            groups=sorted(groups.items(), key=lambda g: (g[0][0] == "in", g[0][1] != _P["rdf"]
                                                         + "type", links.label(g[0][1]))),
            other=other, values=values, enrichment=graph.enrichment(store, iri),
            diagram=render_svg(self._neighbourhood(links, iri, facts)),
        )

    def _evidence(self, claim: graph.Claim, texts: dict[str, str]) -> dict[str, Any]:
        text = texts.get(claim.source)
        context = in_context(text, *claim.span) if text and claim.span else ("", claim.exact, "")
        return {"claim": claim, "before": context[0], "quote": context[1], "after": context[2]}

    def _neighbourhood(self, links: Links, iri: str, facts: list[graph.Fact]) -> Diagram:
        picture = Diagram(f"What the graph links to {links.label(iri)}")
        picture.node(iri, links.label(iri), links.href(iri), "focus")
        for fact in facts[: MAX_EDGES * 2]:
            if len(picture.edges) >= MAX_EDGES or not fact.claims:
                continue
            ends = (str(fact.subject), str(fact.object))
            if not all(isinstance(t, URIRef) for t in (fact.subject, fact.object)):
                continue
            for end in ends:
                kind = "class" if end in links.classes else ""
                picture.node(end, links.label(end), links.safe_href(end) or "", kind)
            picture.edge(*ends, links.label(str(fact.predicate)))
        return picture

    def claim(self, store: Store, iri: str) -> str | None:
        """A claim's triples, its quote in context, provenance and entities; ``None`` if unknown."""
        snapshot = self._snapshot(store)
        if iri not in snapshot.claims:
            return None
        links, found, texts = snapshot.links, snapshot.claims[iri], snapshot.texts
        triples = snapshot.triples.get(iri, [])
        touched = sorted({str(t) for triple in triples for t in (triple[0], triple[2])
                          if isinstance(t, URIRef) and str(t).startswith(RB)})
        source = texts.get(found.source)
        return self._render(
            "claim.html", links, claim=found, triples=triples, touched=touched,
            evidence=self._evidence(found, {k: v["text"] for k, v in texts.items()}),
            source=source, title=f"Claim: {humanise(found.name)}",
        )

    def klass(self, store: Store, iri: str) -> str | None:
        """The instances of an ontology class; ``None`` when ``iri`` is not one."""
        snapshot = self._snapshot(store)
        terms = {t.iri: t for t in snapshot.terms}
        if iri not in terms or _OWL_CLASS not in terms[iri].kinds:
            return None
        links = snapshot.links
        subclasses = [t for t in terms.values()
                      if URIRef(iri) in t.values.get(_P["rdfs"] + "subClassOf", [])]
        return self._render(
            "class.html", links, term=terms[iri], instances=graph.instances(store, iri),
            subclasses=subclasses, title=f"Class: {links.label(iri)}",
        )

    def ontology(self, store: Store) -> str:
        """The ontology's documentation: every term, and a class diagram."""
        snapshot = self._snapshot(store)
        links, terms = snapshot.links, snapshot.terms
        kinds = [("Classes", _OWL_CLASS), ("Object properties", _P["owl"] + "ObjectProperty"),
                 ("Datatype properties", _P["owl"] + "DatatypeProperty")]
        sections = [(name, [t for t in terms if kind in t.kinds]) for name, kind in kinds]
        listed = {t.iri for _, group in sections for t in group}
        sections.append(("Other terms", [t for t in terms if t.iri not in listed]))
        return self._render(
            "ontology.html", links, sections=sections, title="The rustbelt-kg ontology",
            header=[f for f in graph.facts_about(store, RBO.rstrip("#"))
                    if f.subject == URIRef(RBO.rstrip("#"))],
            diagram=render_svg(self._class_diagram(links, terms)),
        )

    def _class_diagram(self, links: Links, terms: list[graph.Term]) -> Diagram:
        picture = Diagram("Classes of the rustbelt-kg ontology and how they relate", "BT")
        classes = [t for t in terms if _OWL_CLASS in t.kinds]
        for term in classes:
            picture.node(term.iri, links.label(term.iri), links.href(term.iri), "class")
        for term in classes:
            for parent in term.values.get(_P["rdfs"] + "subClassOf", []):
                if str(parent) in picture.nodes:
                    picture.edge(term.iri, str(parent), "")
        for term in terms:
            domain, range_ = term.first(_P["rdfs"] + "domain"), term.first(_P["rdfs"] + "range")
            if domain in picture.nodes and range_ in picture.nodes and domain != range_:
                picture.edge(domain, range_, links.label(term.iri), "dashed")
        return picture

    def search(self, store: Store, q: str) -> str:
        """Things whose label contains ``q`` (any case)."""
        links = self._links(store)
        needle = q.strip()[:MAX_SEARCH]
        found = sorted(
            ((iri, label) for iri, label in links.labels.items()
             if needle and needle.casefold() in label.casefold()),
            key=lambda item: (item[1].casefold(), item[0]),
        )
        return self._render("search.html", links, q=needle, found=found, title="Search")

    def queries_index(self) -> str:
        """The stored queries with their titles and descriptions."""
        return self._render("queries.html", None, queries=list_queries(self.project),
                            title="Stored queries")

    def query(self, store: Store, name: str, params: dict[str, str]) -> str:
        """A stored query's form and its results; a bad parameter raises a ``UsageError``."""
        stored = get_query(self.project, name)
        given = {k: v for k, v in params.items() if v.strip()}
        result = run_query(store, stored, given)
        links = self._links(store)
        rows, columns = _table(result)
        return self._render(
            "query.html", links, query=stored, given=given, result=result,
            rows=rows[:MAX_ROWS], columns=columns,
            total=len(result), title=stored.title or stored.name, max_rows=MAX_ROWS,
            api=[(fmt, self._api(name, fmt, given)) for fmt in ("json", "csv", "tsv", "srj")],
        )

    def _api(self, name: str, fmt: str, given: dict[str, str]) -> str:
        from urllib.parse import urlencode

        query = f"?{urlencode(sorted(given.items()))}" if given else ""
        return f"{self.base_url}/queries/{name}.{fmt}{query}"

    def sparql_form(self, query: str | None = None, result: QueryResult | None = None,
                    truncated: bool = False) -> str:
        """The query page: a form with the prefixes predeclared and example queries; with
        ``query`` and its ``result``, the form keeps the query and a table shows the answer
        (``truncated``: it had more rows than the table)."""
        prefixes = namespaces.sparql_prefixes()
        examples = [q for q in list_queries(self.project) if not q.params][:8]
        rows, columns = _table(result) if result is not None else ([], [])
        return self._render(
            "sparql.html", None, prefixes=prefixes, examples=examples, title="SPARQL query",
            example=prefixes + "\nSELECT ?person ?name WHERE {\n  ?person a rbo:Person ;"
                    " rdfs:label ?name .\n}\nORDER BY ?name\n",
            query=query, result=result, rows=rows, columns=columns, truncated=truncated,
        )


def _table(result: QueryResult) -> tuple[list[Any], list[str]]:
    """The rows and columns of ``result`` as a table: a graph as its triples, sorted."""
    if result.kind == "graph" and result.graph is not None:
        rows = [{"subject": s, "predicate": p, "object": o} for s, p, o in sorted(result.graph)]
        return rows, ["subject", "predicate", "object"]
    return list(result.rows), list(result.vars)
