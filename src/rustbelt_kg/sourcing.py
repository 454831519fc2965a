"""No unsourced fact: which graphs each folder may write, and what each graph may hold.

The rules of ``docs/architecture.md``, checked on every source file as it is loaded
(:func:`rustbelt_kg.load.load_quads`), before anything is written:

- every triple about an article entity (an ``rb:`` IRI) lives in a claim graph
  (``claim:<id>``), and every claim graph has a quote in ``rbg:provenance``;
- ``data/article/`` writes only claim graphs and ``rbg:provenance``; the provenance graph
  holds claim metadata and selectors: its subjects are claims, their ``claim:<id>#...``
  nodes and the source text nodes (``rb:article-text``, ``rb:text/<name>``);
- ``rbg:ontology`` comes from ``ontology/`` only and holds terms, not article entities;
- ``rbg:links/wikidata`` comes from ``data/links/`` only; an article entity appears there
  only as the subject of a SKOS mapping to a Wikidata item;
- ``rbg:enrichment/wikidata`` comes from ``data/enrichment/`` only and says nothing about
  article entities;
- ``data/`` holds no blank nodes (every node has an IRI, so exports are stable).

:func:`file_problem` finds the first quad of one file that breaks a rule; :func:`unquoted_claims`
finds claim graphs without a quote once every file is parsed.

>>> from rdflib import URIRef, Literal
>>> fact = (URIRef(RB + "wan-long"), URIRef(RDFS_COMMENT), Literal("x"), None)
>>> print(file_problem("article", [fact])[1])
unsourced fact in the default graph: rb:wan-long rdfs:comment "x"; every fact about the \
article goes in a claim graph with a quote (docs/architecture.md)
"""

from __future__ import annotations

from collections.abc import Iterable

from rdflib.term import BNode, Node, URIRef

from rustbelt_kg import namespaces
from rustbelt_kg.namespaces import CLAIM, PREFIXES, RB
from rustbelt_kg.terms import Quad, nt_term, split_iri

__all__ = [
    "SOURCE_TEXT", "SOURCE_TEXTS", "file_problem", "is_source_text", "show_quad", "show_term",
    "unquoted_claims",
]

#: The node of the stored article text in ``rbg:provenance`` (path and checksum).
SOURCE_TEXT = RB + "article-text"
#: Nodes of further source texts are ``rb:text/<name>``.
SOURCE_TEXTS = RB + "text/"

RDFS_COMMENT = PREFIXES["rdfs"] + "comment"
SKOS = PREFIXES["skos"]
_MAPPINGS = {SKOS + p for p in ("exactMatch", "closeMatch", "broadMatch", "narrowMatch",
                                "relatedMatch")}
_EVIDENCE = URIRef(namespaces.RBO + "evidence")
_SELECTOR = URIRef(PREFIXES["oa"] + "hasSelector")
_EXACT = URIRef(PREFIXES["oa"] + "exact")

#: The graph each folder writes, and the folder each non-claim graph comes from.
_HOME = {
    "ontology": namespaces.ONTOLOGY_GRAPH,
    "links": namespaces.LINKS_GRAPH,
    "enrichment": namespaces.ENRICHMENT_GRAPH,
}
_FOLDER = {
    namespaces.ONTOLOGY_GRAPH: "ontology/",
    namespaces.LINKS_GRAPH: "data/links/",
    namespaces.ENRICHMENT_GRAPH: "data/enrichment/",
    namespaces.PROVENANCE_GRAPH: "data/article/",
}
#: Source kinds whose files live in ``data/`` (no blank nodes).
_DATA_KINDS = ("article", "links", "enrichment")
_RULES = " (docs/architecture.md)"


def show_term(term: Node | None) -> str:
    """``term`` as a prefixed name when a project prefix fits, else in N-Triples form."""
    if isinstance(term, URIRef):
        found = split_iri(str(term), PREFIXES, strict=False)
        if found is not None:
            return f"{found[0]}:{found[1]}"
    return "the default graph" if term is None else nt_term(term)


def show_quad(quad: Quad) -> str:
    """The triple of ``quad``, shortened for a message."""
    text = " ".join(show_term(t) for t in quad[:3])
    return text if len(text) <= 160 else text[:157] + "..."


def _is_claim(term: Node | None) -> bool:
    return isinstance(term, URIRef) and str(term).startswith(CLAIM)


def is_source_text(term: Node | None) -> bool:
    """Whether ``term`` names a source text (``rb:article-text`` or ``rb:text/<name>``)."""
    return isinstance(term, URIRef) and (
        str(term) == SOURCE_TEXT or str(term).startswith(SOURCE_TEXTS)
    )


def _is_entity(term: Node) -> bool:
    return isinstance(term, URIRef) and str(term).startswith(RB) and not is_source_text(term)


def _provenance_subject(term: Node) -> bool:
    return _is_claim(term) or is_source_text(term)


def _graph_problem(kind: str, graph: Node | None) -> str | None:
    """Why a file of ``kind`` may not write ``graph`` (``None`` if it may)."""
    if kind == "article":
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
    if kind == "article":
        return (f"{show_term(graph)} is not a graph the architecture names: data/article/ "
                "writes claim graphs (claim:<id>) and rbg:provenance")
    return f"{show_term(graph)} is not a graph the architecture names: {kind} files write " \
        f"{show_term(URIRef(_HOME[kind]))}"


_UNSOURCED = "every fact about the article goes in a claim graph with a quote"


def _triple_problem(kind: str, quad: Quad) -> tuple[str, str] | None:
    """What is wrong with the triple of ``quad`` in its graph, and the rule it breaks."""
    s, p, o, g = quad
    graph = str(g) if g is not None else None
    if kind in _DATA_KINDS and any(isinstance(t, BNode) for t in quad):
        return "a blank node in data/", "give the node an IRI, so exports stay stable"
    if kind == "article" and graph is None:
        return "unsourced fact in the default graph", _UNSOURCED
    if graph == namespaces.PROVENANCE_GRAPH and not _provenance_subject(s):
        return ("unsourced fact in rbg:provenance",
                "it holds claim metadata and selectors (its subjects are claims, their "
                "claim:<id>#... nodes and source texts); " + _UNSOURCED)
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
    evidence: dict[Node, set[Node]] = {}
    selectors: dict[Node, set[Node]] = {}
    quoted: set[Node] = set()
    for s, p, o, g in quads:
        if g == provenance:
            if p == _EVIDENCE:
                evidence.setdefault(s, set()).add(o)
            elif p == _SELECTOR:
                selectors.setdefault(s, set()).add(o)
            elif p == _EXACT:
                quoted.add(s)
        elif _is_claim(g):
            claims.add(g)  # type: ignore[arg-type]
    return {
        claim for claim in claims
        if not any(quoted & selectors.get(t, set()) for t in evidence.get(claim, set()))
    }
