"""No unsourced fact: which graphs each folder may write, and what each graph may hold.

The rules of ``docs/architecture.md``, checked on every source file as it is loaded
(:func:`rustbelt_kg.load.load_quads`), before anything is written:

- every triple about an article entity (an ``rb:`` IRI) lives in a claim graph
  (``claim:<id>``), and every claim graph has a quote in ``rbg:provenance``;
- ``data/article/`` (the China Daily article) and ``data/claims/<source>/`` (other sources)
  write only claim graphs and ``rbg:provenance``; the provenance graph holds claim metadata
  and selectors: its subjects are claims and their ``claim:<id>#...`` nodes;
- ``rbg:sources`` comes from ``data/sources/`` only and holds source metadata only: its
  subjects are source text nodes (``rb:article-text``, ``rb:text/<name>``), its predicates
  those of :data:`SOURCE_METADATA`;
- ``rbg:ontology`` comes from ``ontology/`` only and holds terms, not article entities;
- ``rbg:links/wikidata`` comes from ``data/links/`` only; an article entity appears there
  only as the subject of a SKOS mapping to a Wikidata item;
- ``rbg:enrichment/wikidata`` comes from ``data/enrichment/`` only and says nothing about
  article entities;
- ``data/`` holds no blank nodes (every node has an IRI, so exports are stable).

:func:`file_problem` finds the first quad of one file that breaks a rule; :func:`unquoted_claims`
finds claim graphs without a quote once every file is parsed. :func:`engine_file_problem` and
:func:`quoted_claim_parts` do the same on pyoxigraph quads, the loader's own terms: only the
quads that need a closer look become rdflib terms, so the messages are the same.

>>> from rdflib import URIRef, Literal
>>> fact = (URIRef(RB + "wan-long"), URIRef(RDFS_COMMENT), Literal("x"), None)
>>> print(file_problem("article", [fact])[1])
unsourced fact in the default graph: rb:wan-long rdfs:comment "x"; every fact about the \
article goes in a claim graph with a quote (docs/architecture.md)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pyoxigraph as ox
from rdflib.term import BNode, Node, URIRef

from rustbelt_kg import namespaces, terms
from rustbelt_kg.namespaces import CLAIM, PREFIXES, RB
from rustbelt_kg.terms import Quad, from_oxigraph, from_oxigraph_quad

__all__ = [
    "SOURCE_METADATA", "SOURCE_TEXT", "claims_without_quote", "engine_file_problem",
    "file_problem", "is_text_node", "may_hold_blank_nodes", "quoted_claim_parts", "show_quad",
    "show_term", "unquoted_claims",
]

#: The text node of the China Daily article; other sources' are ``rb:text/<name>``.
SOURCE_TEXT = RB + "article-text"
_TEXTS = RB + "text/"

#: What ``rbg:sources`` may say about a source text, and nothing else.
SOURCE_METADATA = frozenset(
    PREFIXES[prefix] + local for prefix, local in (
        ("rdf", "type"), ("rdfs", "label"), ("rdfs", "comment"), ("dcterms", "title"),
        ("dcterms", "publisher"), ("dcterms", "issued"), ("dcterms", "creator"),
        ("dcterms", "license"), ("dcterms", "language"), ("schema", "url"),
        ("schema", "encodingFormat"), ("rbo", "filePath"), ("rbo", "sha256"),
        ("prov", "wasDerivedFrom"),
    )
)

RDFS_COMMENT = PREFIXES["rdfs"] + "comment"
SKOS = PREFIXES["skos"]
_MAPPINGS = {SKOS + p for p in ("exactMatch", "closeMatch", "broadMatch", "narrowMatch",
                                "relatedMatch")}
_EVIDENCE = URIRef(namespaces.RBO + "evidence")
_SELECTOR = URIRef(PREFIXES["oa"] + "hasSelector")
_EXACT = URIRef(PREFIXES["oa"] + "exact")
_QUOTING = frozenset((_EVIDENCE, _SELECTOR, _EXACT))

#: The graph each folder writes, and the folder each non-claim graph comes from.
_HOME = {
    "ontology": namespaces.ONTOLOGY_GRAPH,
    "links": namespaces.LINKS_GRAPH,
    "enrichment": namespaces.ENRICHMENT_GRAPH,
    "sources": namespaces.SOURCES_GRAPH,
}
#: Source kinds whose files hold claims (claim graphs and ``rbg:provenance``).
_CLAIM_KINDS = ("article", "claims")
_FOLDER = {
    namespaces.ONTOLOGY_GRAPH: "ontology/",
    namespaces.LINKS_GRAPH: "data/links/",
    namespaces.ENRICHMENT_GRAPH: "data/enrichment/",
    namespaces.PROVENANCE_GRAPH: "data/article/ and data/claims/",
    namespaces.SOURCES_GRAPH: "data/sources/",
}
#: Source kinds whose files live in ``data/`` (no blank nodes).
_DATA_KINDS = ("article", "claims", "sources", "links", "enrichment")
_RULES = " (docs/architecture.md)"


def show_term(term: Node | None) -> str:
    """``term`` as :func:`rustbelt_kg.terms.show_term` shows it; ``None`` is the graph of a
    quad that has none, the default graph."""
    return "the default graph" if term is None else terms.show_term(term)


def show_quad(quad: Quad) -> str:
    """The triple of ``quad``, shortened for a message."""
    text = " ".join(show_term(t) for t in quad[:3])
    return text if len(text) <= 160 else text[:157] + "..."


def _is_claim(term: Node | None) -> bool:
    return isinstance(term, URIRef) and str(term).startswith(CLAIM)


def is_text_node(term: Node | None) -> bool:
    """Whether ``term`` names a source text (``rb:article-text`` or ``rb:text/<name>``)."""
    return isinstance(term, URIRef) and (str(term) == SOURCE_TEXT or str(term).startswith(_TEXTS))


def _is_entity(term: Node) -> bool:
    return isinstance(term, URIRef) and str(term).startswith(RB) and not is_text_node(term)


def _graph_problem(kind: str, graph: Node | None) -> str | None:
    """Why a file of ``kind`` may not write ``graph`` (``None`` if it may)."""
    if kind in _CLAIM_KINDS:
        if graph is None:
            return None  # the triple's own rule says why (unsourced fact)
        if (_is_claim(graph) and "#" not in str(graph)) or \
                str(graph) == namespaces.PROVENANCE_GRAPH:
            return None
    elif str(graph) == _HOME.get(kind):
        return None
    folder = _FOLDER.get(str(graph))
    if folder is not None:
        return f"{show_term(graph)} comes from {folder} only"
    if kind in _CLAIM_KINDS:
        return (f"{show_term(graph)} is not a graph the architecture names: claim files "
                "write claim graphs (claim:<id>) and rbg:provenance")
    return f"{show_term(graph)} is not a graph the architecture names: {kind} files write " \
        f"{show_term(URIRef(_HOME[kind]))}"


_UNSOURCED = "every fact about the article goes in a claim graph with a quote"


def _triple_problem(kind: str, quad: Quad) -> tuple[str, str] | None:
    """What is wrong with the triple of ``quad`` in its graph, and the rule it breaks."""
    s, p, o, g = quad
    graph = str(g) if g is not None else None
    if kind in _DATA_KINDS and any(isinstance(t, BNode) for t in quad):
        return "a blank node in data/", "give the node an IRI, so exports stay stable"
    if kind in _CLAIM_KINDS and graph is None:
        return "unsourced fact in the default graph", _UNSOURCED
    if graph == namespaces.PROVENANCE_GRAPH and not _is_claim(s):
        return ("unsourced fact in rbg:provenance",
                "it holds claim metadata and selectors (its subjects are claims and their "
                "claim:<id>#... nodes; source metadata goes in data/sources/); " + _UNSOURCED)
    if graph == namespaces.SOURCES_GRAPH and not (is_text_node(s) and str(p) in SOURCE_METADATA):
        return ("not source metadata in rbg:sources",
                "it holds what data/sources/NAME.ttl says about a source text (subjects "
                "rb:article-text or rb:text/<name>; title, publisher, dates, authors, URL, "
                "licence, language, file path, SHA-256)")
    if graph == namespaces.LINKS_GRAPH and _is_entity(s) and not (
        str(p) in _MAPPINGS and str(o).startswith(namespaces.WD)
    ):
        return ("unsourced fact in rbg:links/wikidata",
                "it holds SKOS mappings to Wikidata items and their mapping records; "
                + _UNSOURCED)
    if graph in (namespaces.ONTOLOGY_GRAPH, namespaces.ENRICHMENT_GRAPH) and (
        _is_entity(s) or _is_claim(s)
    ):
        holds = "terms" if graph == namespaces.ONTOLOGY_GRAPH else "facts fetched from Wikidata"
        return f"unsourced fact in {show_term(g)}", f"it holds {holds}; " + _UNSOURCED
    return None


def file_problem(kind: str, quads: list[Quad]) -> tuple[int, str] | None:
    """The first quad of one file of source ``kind`` that breaks a rule: (index, message).

    The message names the triple; ``None`` when every quad keeps the rules.
    """
    for index, quad in enumerate(quads):
        graph_problem = _graph_problem(kind, quad[3])
        if graph_problem is not None:
            return index, f"{graph_problem}: {show_quad(quad)}{_RULES}"
        problem = _triple_problem(kind, quad)
        if problem is not None:
            return index, f"{problem[0]}: {show_quad(quad)}; {problem[1]}{_RULES}"
    return None


def unquoted_claims(quads: Iterable[Quad]) -> set[Node]:
    """Claim graphs that have no quote (``rbo:evidence``/``oa:hasSelector``/``oa:exact``) in
    ``rbg:provenance``: their facts are unsourced."""
    provenance = URIRef(namespaces.PROVENANCE_GRAPH)
    claims: set[Node] = set()
    quoting: list[tuple[Node, Node, Node]] = []
    for s, p, o, g in quads:
        if g == provenance:
            if p in _QUOTING:
                quoting.append((s, p, o))
        elif _is_claim(g):
            claims.add(g)  # type: ignore[arg-type]
    return _unquoted(claims, quoting)


def _unquoted(claims: set[Node], quoting: Iterable[tuple[Node, Node, Node]]) -> set[Node]:
    """Which of ``claims`` have no quote, given the quoting triples of ``rbg:provenance``."""
    evidence: dict[Node, set[Node]] = {}
    selectors: dict[Node, set[Node]] = {}
    quoted: set[Node] = set()
    for s, p, o in quoting:
        if p == _EVIDENCE:
            evidence.setdefault(s, set()).add(o)
        elif p == _SELECTOR:
            selectors.setdefault(s, set()).add(o)
        else:
            quoted.add(s)
    return {
        claim for claim in claims
        if not any(quoted & selectors.get(t, set()) for t in evidence.get(claim, set()))
    }


# -- the same rules on pyoxigraph quads ------------------------------------------------------

_OX_QUOTING = frozenset(ox.NamedNode(str(p)) for p in _QUOTING)
_OX_PROVENANCE = ox.NamedNode(namespaces.PROVENANCE_GRAPH)
_PLAIN = (ox.NamedNode, ox.Literal)  # object types that need no closer look
_EXACTLY, _CLAIM_GRAPH, _PROVENANCE = 0, 1, 2  # how the quads of one graph are screened


def _screen(kind: str, graph: object) -> int:
    """How the quads of ``graph`` in a file of ``kind`` are checked: a claim graph the file
    may write, or ``rbg:provenance``, by a screen on the engine's terms; any other, exactly."""
    if kind not in _CLAIM_KINDS or type(graph) is not ox.NamedNode:
        return _EXACTLY
    if graph == _OX_PROVENANCE:
        return _PROVENANCE
    iri = graph.value
    return _CLAIM_GRAPH if iri.startswith(CLAIM) and "#" not in iri else _EXACTLY


def may_hold_blank_nodes(kind: str) -> bool:
    """Whether files of source ``kind`` may hold blank nodes (only those outside ``data/``)."""
    return kind not in _DATA_KINDS


def engine_file_problem(kind: str, quads: Sequence[ox.Quad]) -> tuple[int, str] | None:
    """:func:`file_problem` on pyoxigraph quads: the first quad of one file of source
    ``kind`` that breaks a rule, as (index, message), or ``None``.

    The bulk of the data, claim graphs and ``rbg:provenance`` in claim files, is screened on
    the engine's terms: a quad of a claim graph passes when its subject is an IRI and its
    object an IRI or a literal, one of ``rbg:provenance`` when its subject is a claim IRI
    too. Every other quad (the few of the ontology, metadata and link files, and any that
    the screen does not pass) is checked by :func:`file_problem` as rdflib terms.
    """
    screens: dict[object, int] = {}
    named, plain = ox.NamedNode, _PLAIN
    for index, quad in enumerate(quads):
        graph = quad.graph_name
        screen = screens.get(graph)
        if screen is None:
            screen = screens[graph] = _screen(kind, graph)
        if screen:
            subject = quad.subject
            if type(subject) is named and type(quad.object) in plain and (
                screen == _CLAIM_GRAPH or subject.value.startswith(CLAIM)  # type: ignore[union-attr]
            ):
                continue
        problem = file_problem(kind, [from_oxigraph_quad(quad)])
        if problem is not None:
            return index, problem[1]
    return None


def quoted_claim_parts(quads: Iterable[ox.Quad]) -> tuple[set[object], list[ox.Triple]]:
    """The claim graphs among ``quads`` and their quoting triples in ``rbg:provenance``,
    in the engine's terms, for :func:`claims_without_quote` once every file is read."""
    graphs: set[object] = set()
    quoting: list[ox.Triple] = []
    for quad in quads:
        graph = quad.graph_name
        graphs.add(graph)
        if graph == _OX_PROVENANCE and quad.predicate in _OX_QUOTING:
            quoting.append(quad.triple)
    return {g for g in graphs if type(g) is ox.NamedNode and g.value.startswith(CLAIM)}, quoting


def claims_without_quote(claims: set[object], quoting: Iterable[ox.Triple]) -> set[Node]:
    """:func:`unquoted_claims` from the parts :func:`quoted_claim_parts` collects, as rdflib
    terms."""
    evidence, selector = (ox.NamedNode(str(p)) for p in (_EVIDENCE, _SELECTOR))
    triples = (
        (t.subject, _EVIDENCE if t.predicate == evidence else
         _SELECTOR if t.predicate == selector else _EXACT, t.object)
        for t in quoting
    )
    return {from_oxigraph(c) for c in _unquoted(claims, triples)}  # type: ignore[arg-type]
