"""Term-level helpers: N-Triples forms, prefixed names, and the Oxigraph boundary.

A leaf module (no I/O, no registries) that the writers, the stores, the loader and the
result formats share. At the Oxigraph boundary ``"x"^^xsd:string`` becomes the simple
literal ``"x"``, as Oxigraph stores it; other typed literals keep their lexical form
exactly (rdflib would rewrite ``"01"^^xsd:integer`` as ``"1"``).

>>> import pyoxigraph as ox
>>> from_oxigraph(ox.Literal("01", datatype=ox.NamedNode(XSD + "integer")))
rdflib.term.Literal('01', datatype=rdflib.term.URIRef('http://www.w3.org/2001/XMLSchema#integer'))
>>> nt_term(from_oxigraph(ox.Literal("x", language="en")))
'"x"@en'
"""

from __future__ import annotations

import re

import pyoxigraph as ox
from rdflib.term import BNode, Literal, Node, URIRef

from rustbelt_kg import namespaces
from rustbelt_kg.errors import StoreError, UsageError

__all__ = [
    "Quad",
    "compact_iri",
    "escape_string",
    "from_oxigraph",
    "from_oxigraph_quad",
    "iri_ref",
    "nt_term",
    "show_term",
    "split_iri",
    "to_oxigraph",
    "to_oxigraph_quad",
]

#: A quad of rdflib terms; the graph is ``None`` for the default graph.
Quad = tuple[Node, Node, Node, Node | None]

XSD = namespaces.PREFIXES["xsd"]
_XSD_STRING = XSD + "string"

# -- N-Triples and prefixed names ----------------------------------------------------------

_ECHAR = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b",
          "\f": "\\f"}
_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f\x7f]')
_IRI_ESCAPE = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_PN_LOCAL = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_\-])?$")


def escape_string(text: str) -> str:
    """``text`` escaped for a quoted N-Triples or Turtle string."""
    return _NEEDS_ESCAPE.sub(lambda m: _ECHAR.get(m.group(), f"\\u{ord(m.group()):04X}"), text)


def iri_ref(iri: str) -> str:
    """``<iri>``, characters an IRI may not hold written as ``\\uXXXX``."""
    return "<" + _IRI_ESCAPE.sub(lambda m: f"\\u{ord(m.group()):04X}", iri) + ">"


def nt_term(term: Node) -> str:
    """The N-Triples form of an rdflib term (``<iri>``, ``_:b``, ``"x"@en``, ``"1"^^<dt>``)."""
    if isinstance(term, URIRef):
        return iri_ref(str(term))
    if isinstance(term, BNode):
        return f"_:{term}"
    if isinstance(term, Literal):
        text = f'"{escape_string(str(term))}"'
        if term.language:
            return f"{text}@{term.language}"
        if term.datatype is not None and str(term.datatype) != _XSD_STRING:
            return f"{text}^^{iri_ref(str(term.datatype))}"
        return text
    raise UsageError(f"cannot serialise {term!r}")


def split_iri(iri: str, prefixes: dict[str, str], strict: bool = True) -> tuple[str, str] | None:
    """``(prefix, local)`` for the longest namespace of ``prefixes`` holding ``iri``."""
    best: tuple[str, str] | None = None
    for prefix, ns in prefixes.items():
        if iri.startswith(ns) and (best is None or len(ns) > len(prefixes[best[0]])):
            local = iri[len(ns):]
            if _PN_LOCAL.match(local) if strict else local:
                best = (prefix, local)
    return best


def compact_iri(iri: str, prefixes: dict[str, str] | None = None, *, strict: bool = True
                ) -> str | None:
    """``prefix:local`` for ``iri`` using :data:`namespaces.PREFIXES`, or ``None``.

    ``strict`` (default) compacts only where Turtle allows the local name as it is; with
    ``strict=False`` any IRI under a prefix is shortened, for display to people.

    >>> compact_iri("https://w3id.org/rustbelt-kg/id/wan-long")
    'rb:wan-long'
    >>> compact_iri("https://w3id.org/rustbelt-kg/claim/a#quote") is None
    True
    >>> compact_iri("https://w3id.org/rustbelt-kg/claim/a#quote", strict=False)
    'claim:a#quote'
    """
    table = prefixes if prefixes is not None else namespaces.PREFIXES
    found = split_iri(iri, table, strict)
    return f"{found[0]}:{found[1]}" if found else None


# -- the Oxigraph boundary -----------------------------------------------------------------


def from_oxigraph(term: object) -> Node:
    """An rdflib term for a pyoxigraph term; ``"x"^^xsd:string`` becomes ``"x"``.

    Typed literals keep their lexical form (``"01"^^xsd:integer`` stays ``"01"``,
    ``"...Z"^^xsd:dateTime`` keeps its ``Z``): rdflib would otherwise rewrite it.
    """
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
        return Literal(term.value, datatype=URIRef(datatype), normalize=False)
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


def show_term(term: Node | None) -> str:
    """A term as people read it: ``rb:x``, ``"25"^^xsd:integer``, ``(unbound)``."""
    if term is None:
        return "(unbound)"
    if isinstance(term, URIRef):
        return compact_iri(str(term), strict=False) or nt_term(term)
    if isinstance(term, Literal) and term.datatype is not None:
        datatype = compact_iri(str(term.datatype)) or f"<{term.datatype}>"
        return f"{nt_term(Literal(str(term)))}^^{datatype}"
    return nt_term(term)
