"""RDF formats registry, canonical writers and atomic writes.

Every writer here is canonical: the same quads give the same bytes on every run and
under any ``PYTHONHASHSEED``. Terms are sorted by their N-Triples form, ``rdf:type``
comes first among predicates, and only the prefixes of :data:`namespaces.PREFIXES`
that a file uses are declared (no invented ``ns1:``). Blank nodes, should any appear,
get canonical labels (RDFC-1.0) before writing.

Triples formats (Turtle, N-Triples, RDF/XML) hold the union of all graphs; dataset
formats (N-Quads, TriG, JSON-LD) keep every named graph, so provenance survives.
:func:`write_exports` writes every format into one folder and canonicalises only once.

>>> from rdflib import URIRef
>>> rb = "https://w3id.org/rustbelt-kg/id/"
>>> print(serialize([(URIRef(rb + "a"), URIRef(rb + "p"), URIRef(rb + "b"), None)], "turtle"))
@prefix rb: <https://w3id.org/rustbelt-kg/id/> .
<BLANKLINE>
rb:a rb:p rb:b .
<BLANKLINE>
"""

from __future__ import annotations

import functools
import io
import json
import os
import re
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import pyoxigraph as ox
from rdflib.term import BNode, Literal, Node, URIRef

from rustbelt_kg import namespaces
from rustbelt_kg.catalog import RDF_FORMAT_INFO, RdfFormatInfo
from rustbelt_kg.errors import OutputError, UsageError
from rustbelt_kg.fsio import atomic_write
from rustbelt_kg.terms import (
    Quad,
    compact_iri,
    escape_string,
    from_oxigraph_quad,
    iri_ref,
    nt_term,
    split_iri,
)

__all__ = [
    "RDF_FORMATS",
    "Quad",
    "RdfFormat",
    "atomic_write",
    "compact_iri",
    "context_text",
    "export",
    "jsonld_context",
    "nt_term",
    "serialize",
    "sorted_lines",
    "write_exports",
    "xml_attr",
    "xml_escape",
]

RDF_NS = namespaces.PREFIXES["rdf"]
RDF_TYPE = RDF_NS + "type"
XSD = namespaces.PREFIXES["xsd"]
XSD_STRING = XSD + "string"
_LANG_STRING = RDF_NS + "langString"

# -- XML ----------------------------------------------------------------------------------

_XML_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"}
_XML_ATTR_ESCAPES = {**_XML_ESCAPES, '"': "&quot;", "\n": "&#10;", "\t": "&#9;"}
_XML_SPECIAL = re.compile(r"[&<>\r]")
_XML_ATTR_SPECIAL = re.compile(r'[&<>\r"\n\t]')


def xml_escape(text: str) -> str:
    """``text`` as XML element content (``&``, ``<``, ``>`` and carriage returns escaped).

    >>> xml_escape("a < b & c")
    'a &lt; b &amp; c'
    """
    return _XML_SPECIAL.sub(lambda m: _XML_ESCAPES[m.group()], text)


def xml_attr(text: str) -> str:
    """``text`` as a double-quoted XML attribute value, quotes and whitespace escaped.

    >>> print(xml_attr('say "hi"\\n'))
    "say &quot;hi&quot;&#10;"
    """
    return '"' + _XML_ATTR_SPECIAL.sub(lambda m: _XML_ATTR_ESCAPES[m.group()], text) + '"'


_BARE = {
    XSD + "integer": re.compile(r"^[+-]?[0-9]+$"),
    XSD + "decimal": re.compile(r"^[+-]?[0-9]*\.[0-9]+$"),
    XSD + "double": re.compile(r"^[+-]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)[eE][+-]?[0-9]+$"),
    XSD + "boolean": re.compile(r"^(?:true|false)$"),
}


class _Namer:
    """Writes terms in Turtle syntax and remembers which prefixes it used."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def iri(self, iri: str) -> str:
        found = split_iri(iri, namespaces.PREFIXES)
        if found is None:
            return iri_ref(iri)
        self.used.add(found[0])
        return f"{found[0]}:{found[1]}"

    def term(self, term: Node) -> str:
        if isinstance(term, URIRef):
            return self.iri(str(term))
        if isinstance(term, Literal) and not term.language and term.datatype is not None:
            datatype = str(term.datatype)
            bare = _BARE.get(datatype)
            if bare is not None and bare.match(str(term)):
                return str(term)
            if datatype != XSD + "string":
                return f'"{escape_string(str(term))}"^^{self.iri(datatype)}'
        return nt_term(term)

    def header(self, keyword: str = "@prefix") -> str:
        lines = [f"{keyword} {p}: <{namespaces.PREFIXES[p]}> .\n" for p in sorted(self.used)]
        return "".join(lines) + ("\n" if lines else "")


# -- canonical order, blank nodes ----------------------------------------------------------


def _canonical(quads: Iterable[Quad]) -> list[Quad]:
    """The quads without duplicates; blank nodes relabelled canonically (RDFC-1.0)."""
    unique = list(dict.fromkeys(quads))
    if not any(isinstance(t, BNode) for q in unique for t in q):
        return unique
    from rustbelt_kg.terms import to_oxigraph_quad

    dataset = ox.Dataset(to_oxigraph_quad(q) for q in unique)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return [from_oxigraph_quad(q) for q in dataset]


@functools.lru_cache(maxsize=1 << 16)
def _key(term: Node | None) -> tuple[int, str]:
    """Sort key: IRIs (by IRI, so ``x`` precedes ``x#y``), then blank nodes, then literals."""
    if term is None:
        return (0, "")
    if isinstance(term, URIRef):
        return (1, str(term))
    if isinstance(term, BNode):
        return (2, str(term))
    return (3, nt_term(term))


Triple = tuple[Node, Node, Node]


def _by_subject(triples: Iterable[Triple]) -> list[tuple[Node, list[tuple[Node, list[Node]]]]]:
    grouped: dict[Node, dict[Node, set[Node]]] = defaultdict(lambda: defaultdict(set))
    for s, p, o in triples:
        grouped[s][p].add(o)

    def pred_key(p: Node) -> tuple[bool, tuple[int, str]]:
        return (str(p) != RDF_TYPE, _key(p))

    return [
        (s, [(p, sorted(grouped[s][p], key=_key)) for p in sorted(grouped[s], key=pred_key)])
        for s in sorted(grouped, key=_key)
    ]


def _union(quads: Iterable[Quad]) -> list[tuple[Node, Node, Node]]:
    return list(dict.fromkeys((s, p, o) for s, p, o, _ in quads))


# -- writers ------------------------------------------------------------------------------


def _turtle_blocks(triples: Iterable[tuple[Node, Node, Node]], namer: _Namer, indent: str) -> str:
    out = []
    for s, predicates in _by_subject(triples):
        parts = []
        for p, objects in predicates:
            verb = "a" if str(p) == RDF_TYPE else namer.term(p)
            parts.append(f"{verb} " + " , ".join(namer.term(o) for o in objects))
        out.append(f"{indent}{namer.term(s)} " + f" ;\n{indent}    ".join(parts) + " .\n")
    return "\n".join(out)


def _write_turtle(quads: list[Quad], out: TextIO) -> None:
    namer = _Namer()
    body = _turtle_blocks(_union(quads), namer, "")
    out.write(namer.header() + body)


def _write_trig(quads: list[Quad], out: TextIO) -> None:
    namer = _Namer()
    graphs: dict[Node | None, list[tuple[Node, Node, Node]]] = defaultdict(list)
    for s, p, o, g in quads:
        graphs[g].append((s, p, o))
    blocks = []
    if None in graphs:
        blocks.append(_turtle_blocks(graphs.pop(None), namer, ""))
    for g in sorted(graphs, key=_key):
        inner = _turtle_blocks(graphs[g], namer, "    ")
        blocks.append(f"{namer.term(g)} {{\n{inner}}}\n")  # type: ignore[arg-type]
    out.write(namer.header() + "\n".join(blocks))


def _write_ntriples(quads: list[Quad], out: TextIO) -> None:
    lines = {f"{nt_term(s)} {nt_term(p)} {nt_term(o)} .\n" for s, p, o, _ in quads}
    out.write("".join(sorted(lines)))


def _write_nquads(quads: list[Quad], out: TextIO) -> None:
    lines = {
        f"{nt_term(s)} {nt_term(p)} {nt_term(o)}" + (f" {nt_term(g)}" if g is not None else "")
        + " .\n"
        for s, p, o, g in quads
    }
    out.write("".join(sorted(lines)))


def jsonld_context() -> dict[str, object]:
    """The JSON-LD context of the project: every prefix of :data:`namespaces.PREFIXES`.

    The repository publishes it as ``context/rustbelt.jsonld``; exports embed it.
    """
    return {"@context": dict(sorted(namespaces.PREFIXES.items()))}


def context_text() -> str:
    """The text of ``context/rustbelt.jsonld``: :func:`jsonld_context` as canonical JSON."""
    return json.dumps(jsonld_context(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _jsonld_id(term: Node) -> str:
    if isinstance(term, BNode):
        return f"_:{term}"
    compact = compact_iri(str(term), strict=False)  # JSON-LD concatenates: any suffix will do
    return compact if compact and ":/" not in compact else str(term)


def _jsonld_value(term: Node) -> dict[str, str]:
    if not isinstance(term, Literal):
        return {"@id": _jsonld_id(term)}
    value = {"@value": str(term)}
    if term.language:
        value["@language"] = term.language
    elif term.datatype is not None and str(term.datatype) != XSD + "string":
        value["@type"] = _jsonld_id(term.datatype)
    return value


def _jsonld_nodes(triples: list[tuple[Node, Node, Node]]) -> list[dict[str, object]]:
    nodes = []
    for s, predicates in _by_subject(triples):
        node: dict[str, object] = {"@id": _jsonld_id(s)}
        for p, objects in predicates:
            if str(p) == RDF_TYPE and all(isinstance(o, URIRef) for o in objects):
                node["@type"] = [_jsonld_id(o) for o in objects]
            else:
                node[_jsonld_id(p)] = [_jsonld_value(o) for o in objects]
        nodes.append(node)
    return nodes


def _write_jsonld(quads: list[Quad], out: TextIO) -> None:
    graphs: dict[Node | None, list[tuple[Node, Node, Node]]] = defaultdict(list)
    for s, p, o, g in quads:
        graphs[g].append((s, p, o))
    top: list[dict[str, object]] = _jsonld_nodes(graphs.pop(None, []))
    for g in sorted(graphs, key=_key):
        top.append({"@id": _jsonld_id(g), "@graph": _jsonld_nodes(graphs[g])})  # type: ignore[arg-type]
    doc = {**jsonld_context(), "@graph": top}
    out.write(json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


_NCNAME_TAIL = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*$")
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(text: str) -> str:
    """Element content; XML 1.0 cannot hold most control characters at all."""
    bad = _NOT_XML.search(text)
    if bad:
        raise UsageError(
            f"RDF/XML cannot hold the character U+{ord(bad.group()):04X} in {text[:40]!r}"
        )
    return xml_escape(text)


def _write_rdfxml(quads: list[Quad], out: TextIO) -> None:
    known = {ns: p for p, ns in namespaces.PREFIXES.items()}
    blocks = _by_subject(_union(quads))
    qnames: dict[str, tuple[str, str]] = {}
    for _, predicates in blocks:
        for p, _ in predicates:
            match = _NCNAME_TAIL.search(str(p))
            if match is None or match.start() == 0:
                raise UsageError(f"RDF/XML cannot write the predicate <{p}>")
            qnames[str(p)] = (str(p)[: match.start()], match.group())
    used = {ns for ns, _ in qnames.values()} | {RDF_NS}
    extra = sorted(ns for ns in used if ns not in known)
    prefix_of = {**{ns: known[ns] for ns in used if ns in known},
                 **{ns: f"ns{i}" for i, ns in enumerate(extra, 1)}}
    out.write('<?xml version="1.0" encoding="utf-8"?>\n<rdf:RDF')
    for ns in sorted(used, key=lambda n: prefix_of[n]):
        out.write(f"\n    xmlns:{prefix_of[ns]}={xml_attr(ns)}")
    out.write(">\n")
    for s, predicates in blocks:
        about = f"rdf:nodeID={xml_attr(str(s))}" if isinstance(s, BNode) else \
            f"rdf:about={xml_attr(str(s))}"
        out.write(f"  <rdf:Description {about}>\n")
        for p, objects in predicates:
            ns, local = qnames[str(p)]
            tag = f"{prefix_of[ns]}:{local}"
            for o in objects:
                if isinstance(o, URIRef):
                    out.write(f"    <{tag} rdf:resource={xml_attr(str(o))}/>\n")
                elif isinstance(o, BNode):
                    out.write(f"    <{tag} rdf:nodeID={xml_attr(str(o))}/>\n")
                else:
                    assert isinstance(o, Literal)
                    attr = ""
                    if o.language:
                        attr = f" xml:lang={xml_attr(o.language)}"
                    elif o.datatype is not None and str(o.datatype) != XSD + "string":
                        attr = f" rdf:datatype={xml_attr(str(o.datatype))}"
                    out.write(f"    <{tag}{attr}>{_xml_text(str(o))}</{tag}>\n")
        out.write("  </rdf:Description>\n")
    out.write("</rdf:RDF>\n")


# -- the registry ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RdfFormat(RdfFormatInfo):
    """An RDF serialisation (its row of :data:`catalog.RDF_FORMAT_INFO`) and its writer."""

    write: Callable[[list[Quad], TextIO], None]


#: The writer of each RDF format, by name.
_WRITERS: dict[str, Callable[[list[Quad], TextIO], None]] = {
    "turtle": _write_turtle,
    "nt": _write_ntriples,
    "nquads": _write_nquads,
    "trig": _write_trig,
    "jsonld": _write_jsonld,
    "xml": _write_rdfxml,
}

#: The registry of RDF formats, by name (names and help: :data:`catalog.RDF_FORMAT_INFO`).
RDF_FORMATS: dict[str, RdfFormat] = {
    name: RdfFormat(**vars(info), write=_WRITERS[name]) for name, info in RDF_FORMAT_INFO.items()
}


def rdf_format(name: str) -> RdfFormat:
    """The registry entry called ``name``; :class:`UsageError` listing the known ones."""
    try:
        return RDF_FORMATS[name]
    except KeyError:
        raise UsageError(
            f"unknown RDF format {name!r}; known: {', '.join(RDF_FORMATS)}"
        ) from None


def serialize(quads: Iterable[Quad], format: str) -> str:
    """The quads written canonically in the RDF format called ``format``."""
    writer = rdf_format(format).write
    out = io.StringIO()
    writer(_canonical(quads), out)  # every writer sorts what it writes
    return out.getvalue()


def sorted_lines(data: bytes) -> bytes:
    """The distinct lines of ``data`` in sorted order (UTF-8 bytes sort as code points do,
    so this is the order of :func:`_write_ntriples`)."""
    return b"".join(sorted(set(data.splitlines(keepends=True))))


def write_exports(
    quads: Iterable[Quad] | Iterable[ox.Quad],
    folder: Path,
    name: str,
    progress: Callable[[str], object] | None = None,
    *,
    union_ntriples: Callable[[set[tuple[str, str, str]]], bytes | None] | None = None,
) -> list[Path]:
    """Write ``quads`` to ``folder/<name>.<extension>`` in every format of :data:`RDF_FORMATS`.

    pyoxigraph quads (:func:`rustbelt_kg.load.load_engine_quads`) without blank nodes are
    written by the engine in N-Triples, N-Quads, Turtle and TriG
    (:mod:`rustbelt_kg.engine_export`, the same bytes); the other formats, and every format
    of quads with blank nodes or of rdflib quads, are written here, term by term. Blank nodes
    are canonicalised once for all formats. The folder is new and not yet live (the build
    swaps it in, see :mod:`rustbelt_kg.livedir`), so files are written in place and flushed
    to disk. ``progress`` is told each file name before it is written. ``union_ntriples``
    (rdflib quads only) gives the union of the same quads as N-Triples, written by the
    engine (:meth:`rustbelt_kg.store.OxigraphStore.union_ntriples`), if it holds the same
    literals; when it does and there is no blank node to canonicalise, the N-Triples export
    is those lines, sorted, without writing a term in Python.
    """
    from rustbelt_kg.engine_export import EngineLines

    given = quads if isinstance(quads, list) else list(quads)
    engine: EngineLines | None = None
    if given and all(type(q) is ox.Quad for q in given):
        engine = EngineLines(given)  # type: ignore[arg-type]
        if not engine.formats:
            engine = None
    canonical: list[Quad] | None = None

    def in_python() -> list[Quad]:
        nonlocal canonical
        if canonical is None:
            canonical = _canonical(
                from_oxigraph_quad(q) if type(q) is ox.Quad else q for q in given  # type: ignore[misc]
            )
        return canonical

    engine_lines = None
    if union_ntriples is not None and engine is None:
        engine_lines = _engine_ntriples(in_python(), union_ntriples)
    paths = []
    for fmt in RDF_FORMATS.values():
        path = Path(folder) / f"{name}.{fmt.extension}"
        if progress is not None:
            progress(path.name)
        try:
            written = None
            if engine is not None and fmt.name in engine.formats:
                written = engine.write(fmt.name)
            elif engine_lines is not None and fmt.extension == "nt":
                written = sorted_lines(engine_lines)
            if written is not None:
                with open(path, "wb") as binary:
                    binary.write(written)
                    binary.flush()
                    os.fsync(binary.fileno())
                paths.append(path)
                continue
            with open(path, "w", encoding="utf-8", newline="") as out:
                fmt.write(in_python(), out)
                out.flush()
                os.fsync(out.fileno())
        except OSError as error:
            raise OutputError(path, error.strerror or str(error)) from error
        paths.append(path)
    return paths


def _engine_ntriples(
    canonical: list[Quad], union_ntriples: Callable[[set[tuple[str, str, str]]], bytes | None]
) -> bytes | None:
    """The store's own N-Triples of the union, if it holds the literals of ``canonical``
    as written and there is no blank node; else ``None``."""
    objects = {q[2] for q in canonical}
    if any(isinstance(t, BNode) for t in objects) or any(
        isinstance(t, BNode) for q in canonical for t in (q[0], q[3])
    ):
        return None
    return union_ntriples({
        (str(o), str(o.datatype or _LANG_STRING), o.language or "")
        for o in objects
        if isinstance(o, Literal) and (o.language or str(o.datatype or XSD_STRING)
                                        != XSD_STRING)
    })


def export(
    quads: Iterable[Quad], format: str, path: Path | None = None, *, out: TextIO | None = None
) -> None:
    """Write ``quads`` in ``format`` to ``path`` atomically, or to ``out`` (default stdout).

    A file that cannot be written is an :class:`OutputError`.
    """
    text = serialize(quads, format)
    if path is None:
        (out or sys.stdout).write(text)
        return
    atomic_write(path, lambda stream: stream.write(text))
