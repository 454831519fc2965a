"""N-Triples, N-Quads and Turtle exports written from the engine's own terms, at the speed
of the data.

pyoxigraph serialises the quads that :func:`rustbelt_kg.load.load_engine_quads` parsed
(no store in between, so every literal keeps the lexical form of its source file); the
lines are made distinct and sorted once, as bytes; Turtle is grouped from the sorted
N-Triples lines as text, term by term only where a prefixed name or a bare number is
written. The bytes are those of the writers of :mod:`rustbelt_kg.export`, term for term
(tests/test_export_engine.py compares them on awkward literals and on the real project):
the same order (subjects and IRIs by IRI, ``rdf:type`` first, literals by their
N-Triples form), the same prefixes, the same bare numbers.

Blank nodes need canonical labels (RDFC-1.0) first: quads holding any go the way of
:mod:`rustbelt_kg.export` (:func:`has_blank_nodes` says when).

>>> import pyoxigraph as ox
>>> rb = "https://w3id.org/rustbelt-kg/id/"
>>> quad = ox.Quad(ox.NamedNode(rb + "a"), ox.NamedNode(rb + "p"), ox.Literal("1.50",
...     datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal")), ox.NamedNode(rb + "g"))
>>> print(EngineLines([quad]).turtle().decode(), end="")
@prefix rb: <https://w3id.org/rustbelt-kg/id/> .
<BLANKLINE>
rb:a rb:p 1.50 .
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import cached_property

import pyoxigraph as ox

from rustbelt_kg import namespaces
from rustbelt_kg.export import _BARE, RDF_TYPE, XSD_STRING, _Namer
from rustbelt_kg.terms import _PN_LOCAL, iri_ref

__all__ = ["ENGINE_FORMATS", "EngineLines", "has_blank_nodes", "serialized"]

#: The formats this module writes, by the names of :data:`rustbelt_kg.export.RDF_FORMATS`.
ENGINE_FORMATS = ("nt", "nquads", "turtle")

_TYPE = f"<{RDF_TYPE}>"


def has_blank_nodes(nquads: bytes) -> bool:
    """Whether the N-Quads ``nquads`` may hold a blank node (``_:`` anywhere: a literal
    holding those characters gives a needless ``True``, never a wrong ``False``)."""
    return b"_:" in nquads


def serialized(quads: Iterable[ox.Quad] | Iterable[ox.Triple], format: ox.RdfFormat) -> bytes:
    """``quads`` (or triples) in ``format``, written by the engine."""
    data = ox.serialize(quads, format=format)
    assert data is not None  # no output given: the bytes are returned
    return data


def _sorted_lines(data: bytes) -> list[bytes]:
    """The distinct lines of the N-Triples or N-Quads ``data``, sorted (as bytes: UTF-8
    sorts as code points do, so this is the order of the writers in Python)."""
    lines = set(data.split(b"\n"))
    lines.discard(b"")
    return sorted(lines)


class EngineLines:
    """The exports of one list of pyoxigraph quads, serialised by the engine once."""

    def __init__(self, quads: Sequence[ox.Quad]) -> None:
        self._quads = quads

    @cached_property
    def nquads_data(self) -> bytes:
        """Every quad as N-Quads, in the order given."""
        return serialized(self._quads, ox.RdfFormat.N_QUADS)

    @cached_property
    def blank_nodes(self) -> bool:
        """Whether the quads may hold a blank node (then use :mod:`rustbelt_kg.export`)."""
        return has_blank_nodes(self.nquads_data)

    @cached_property
    def _ntriples_lines(self) -> list[bytes]:
        union = serialized((q.triple for q in self._quads), ox.RdfFormat.N_TRIPLES)
        return _sorted_lines(union)

    def write(self, format: str) -> bytes:
        """The export in ``format``, one of :data:`ENGINE_FORMATS`."""
        if format == "nt":
            return self.ntriples()
        if format == "nquads":
            return self.nquads()
        return self.turtle()

    def ntriples(self) -> bytes:
        """The union of all graphs as sorted, distinct N-Triples lines."""
        return _joined(self._ntriples_lines)

    def nquads(self) -> bytes:
        """Every quad as sorted, distinct N-Quads lines."""
        return _joined(_sorted_lines(self.nquads_data))

    def turtle(self) -> bytes:
        """The union of all graphs in Turtle, as :func:`rustbelt_kg.export.serialize`
        writes it."""
        namer = _Namer()
        lines = b"\n".join(self._ntriples_lines).decode("utf-8").split("\n")
        body = _turtle_blocks(lines, namer) if self._ntriples_lines else ""
        return (namer.header() + body).encode("utf-8")


def _joined(lines: list[bytes]) -> bytes:
    return b"\n".join(lines) + b"\n" if lines else b""


def _prefixer(namer: _Namer) -> Callable[[str], str]:
    """``namer.iri``, faster: when every namespace ends with ``/`` or ``#`` (those of
    :data:`namespaces.PREFIXES` do), the namespaces that may hold an IRI are its own
    beginnings up to a ``/`` or ``#``, looked up in a table from the longest down, rather
    than every namespace tried in turn."""
    table: dict[str, str] = {}
    for prefix, ns in namespaces.PREFIXES.items():
        table.setdefault(ns, prefix)  # as split_iri: the first of two equal namespaces
    if any(ns[-1] not in "/#" for ns in table):
        return namer.iri

    def name(iri: str) -> str:
        end = len(iri)
        while end > 0:
            end = max(iri.rfind("/", 0, end), iri.rfind("#", 0, end))
            prefix = table.get(iri[: end + 1]) if end >= 0 else None
            if prefix is not None and _PN_LOCAL.match(iri[end + 1:]):
                namer.used.add(prefix)
                return f"{prefix}:{iri[end + 1:]}"
        return iri_ref(iri)

    return name


def _turtle_blocks(lines: list[str], namer: _Namer) -> str:
    """Turtle blocks of the sorted N-Triples ``lines`` (no blank node), one per subject."""
    grouped: dict[str, dict[str, list[str]]] = {}
    for line in lines:
        subject, predicate, rest = line.split(" ", 2)
        objects = grouped.setdefault(subject, {}).setdefault(predicate, [])
        objects.append(rest[:-2])  # without " ."
    names: dict[str, str] = {}
    prefixed = _prefixer(namer)

    def iri(term: str) -> str:
        name = names.get(term)
        if name is None:
            name = names[term] = prefixed(term[1:-1])
        return name

    def literal(term: str) -> str:
        if term[-1] != ">":
            return term  # a simple or language-tagged string: as N-Triples writes it
        lexical, datatype = term[1:].rsplit('"^^<', 1)
        datatype = datatype[:-1]
        bare = _BARE.get(datatype)
        if bare is not None and bare.match(lexical):
            return lexical
        if datatype == XSD_STRING:
            return f'"{lexical}"'
        return f'"{lexical}"^^{iri("<" + datatype + ">")}'

    def by_term(term: str) -> tuple[int, str]:  # IRIs by IRI, then literals
        return (0, term[1:-1]) if term[0] == "<" else (1, term)

    blocks = []
    for subject in sorted(grouped, key=lambda s: s[1:-1]):
        predicates = grouped[subject]
        parts = []
        for predicate in sorted(predicates, key=lambda p: (p != _TYPE, p[1:-1])):
            verb = "a" if predicate == _TYPE else iri(predicate)
            objects = sorted(predicates[predicate], key=by_term)
            parts.append(f"{verb} " + " , ".join(
                iri(o) if o[0] == "<" else literal(o) for o in objects))
        blocks.append(f"{iri(subject)} " + " ;\n    ".join(parts) + " .\n")
    return "\n".join(blocks)
