"""N-Triples, N-Quads, Turtle and TriG exports written from the engine's own terms, at the speed
of the data.

pyoxigraph serialises the quads that :func:`rustbelt_kg.load.load_engine_quads` parsed
(no store in between, so every literal keeps the lexical form of its source file); the
lines are made distinct and sorted once, as bytes; Turtle and TriG are grouped from the
sorted N-Triples and N-Quads lines as text, term by term only where a prefixed name or a bare
number is written. The bytes are those of the writers of :mod:`rustbelt_kg.export`, term for term
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

from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import cached_property

import pyoxigraph as ox

from rustbelt_kg import namespaces
from rustbelt_kg.export import _BARE, RDF_TYPE, XSD_STRING, _Namer
from rustbelt_kg.terms import _PN_LOCAL, iri_ref

__all__ = ["ENGINE_FORMATS", "EngineLines", "has_blank_nodes", "serialized"]

#: The formats this module writes, by the names of :data:`rustbelt_kg.export.RDF_FORMATS`.
ENGINE_FORMATS = ("nt", "nquads", "turtle", "trig")

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
        if format == "trig":
            return self.trig()
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
        return _turtle(_text_lines(self._ntriples_lines)).encode("utf-8")

    def trig(self) -> bytes:
        """Every named graph in TriG, as :func:`rustbelt_kg.export.serialize` writes it
        (quads in the default graph: :attr:`formats` leaves TriG out)."""
        return _trig(_text_lines(_sorted_lines(self.nquads_data))).encode("utf-8")

    @cached_property
    def formats(self) -> tuple[str, ...]:
        """The formats of :data:`ENGINE_FORMATS` this module writes for these quads: none
        if they may hold a blank node; not TriG if a quad is in the default graph."""
        if self.blank_nodes:
            return ()
        default = ox.DefaultGraph
        if any(type(q.graph_name) is default for q in self._quads):
            return tuple(f for f in ENGINE_FORMATS if f != "trig")
        return ENGINE_FORMATS


def _text_lines(lines: list[bytes]) -> list[str]:
    return b"\n".join(lines).decode("utf-8").split("\n") if lines else []


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


class _Writer:
    """Turtle and TriG text from N-Triples terms, as :mod:`rustbelt_kg.export` writes them."""

    def __init__(self) -> None:
        self.namer = _Namer()
        self._prefixed = _prefixer(self.namer)
        self._names: dict[str, str] = {}

    def iri(self, term: str) -> str:
        name = self._names.get(term)
        if name is None:
            name = self._names[term] = self._prefixed(term[1:-1])
        return name

    def object(self, term: str) -> str:
        if term[0] == "<":
            return self.iri(term)
        if term[-1] != ">":
            return term  # a simple or language-tagged string: as N-Triples writes it
        lexical, datatype = term[1:].rsplit('"^^<', 1)
        datatype = datatype[:-1]
        bare = _BARE.get(datatype)
        if bare is not None and bare.match(lexical):
            return lexical
        if datatype == XSD_STRING:
            return f'"{lexical}"'
        return f'"{lexical}"^^{self.iri("<" + datatype + ">")}'

    def blocks(self, grouped: Iterable[tuple[str, dict[str, list[str]]]], indent: str = ""
               ) -> str:
        """One block per subject of ``grouped`` (subject, predicate -> objects), by IRI."""
        iri, term = self.iri, self.object
        out = []
        for subject, predicates in grouped:
            parts = []
            order = sorted(predicates, key=_by_predicate) if len(predicates) > 1 else predicates
            for predicate in order:
                verb = "a" if predicate == _TYPE else iri(predicate)
                objects = predicates[predicate]
                if len(objects) > 1:
                    objects = sorted(objects, key=_by_term)
                    parts.append(f"{verb} " + " , ".join([term(o) for o in objects]))
                else:
                    parts.append(f"{verb} {term(objects[0])}")
            text = f"{indent}{iri(subject)} " + f" ;\n{indent}    ".join(parts) + " .\n"
            out.append((subject[1:-1], text))
        out.sort()  # the lines came sorted as N-Triples: nearly in this order already
        return "\n".join(text for _, text in out)


def _subjects(lines: Iterable[str]) -> Iterator[tuple[str, dict[str, list[str]]]]:
    """Each subject of the sorted N-Triples ``lines`` with its predicates and objects: the
    lines of one subject are next to each other (they share their beginning)."""
    current, predicates = "", {}  # type: tuple[str, dict[str, list[str]]]
    for line in lines:
        subject, predicate, rest = line.split(" ", 2)
        if subject != current:
            if current:
                yield current, predicates
            current, predicates = subject, {}
        objects = predicates.get(predicate)
        if objects is None:
            predicates[predicate] = [rest[:-2]]  # without " ."
        else:
            objects.append(rest[:-2])
    if current:
        yield current, predicates


def _by_iri(term: str) -> str:
    return term[1:-1]


def _by_predicate(term: str) -> tuple[bool, str]:  # rdf:type first, then by IRI
    return (term != _TYPE, term[1:-1])


def _by_term(term: str) -> tuple[int, str]:  # IRIs by IRI, then literals
    return (0, term[1:-1]) if term[0] == "<" else (1, term)


def _turtle(lines: list[str]) -> str:
    """Turtle of the sorted N-Triples ``lines`` (no blank node)."""
    writer = _Writer()
    body = writer.blocks(_subjects(lines))
    return writer.namer.header() + body


def _trig(lines: list[str]) -> str:
    """TriG of the sorted N-Quads ``lines`` (no blank node, every quad in a named graph)."""
    graphs: dict[str, dict[str, dict[str, list[str]]]] = {}
    for line in lines:
        subject, predicate, rest = line.split(" ", 2)
        cut = rest.rindex(" ", 0, len(rest) - 2)  # before the graph IRI and " ."
        graphs.setdefault(rest[cut + 1:-2], {}).setdefault(subject, {}).setdefault(
            predicate, []).append(rest[:cut])
    writer = _Writer()
    blocks = []
    for graph in sorted(graphs, key=_by_iri):
        inner = writer.blocks(graphs[graph].items(), "    ")
        blocks.append(f"{writer.iri(graph)} {{\n{inner}}}\n")
    return writer.namer.header() + "\n".join(blocks)
