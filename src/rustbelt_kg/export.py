"""RDF formats registry, canonical writers and atomic writes.

Every writer here is canonical: the same quads give the same bytes on every run and
under any ``PYTHONHASHSEED``. Terms are sorted by their N-Triples form, ``rdf:type``
comes first among predicates, and only the prefixes of :data:`namespaces.PREFIXES`
that a file uses are declared (no invented ``ns1:``). Blank nodes, should any appear,
get canonical labels (RDFC-1.0) before writing.

Triples formats (Turtle, N-Triples, RDF/XML) hold the union of all graphs; dataset
formats (N-Quads, TriG, JSON-LD) keep every named graph, so provenance survives.

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
import secrets
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO
from xml.sax.saxutils import escape, quoteattr

from rdflib.term import BNode, Literal, Node, URIRef

from rustbelt_kg import namespaces
from rustbelt_kg.errors import RustbeltError, UsageError

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
]

#: A quad of rdflib terms; the graph is ``None`` for the default graph.
Quad = tuple[Node, Node, Node, Node | None]

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XSD = "http://www.w3.org/2001/XMLSchema#"

# -- terms ------------------------------------------------------------------------------

_ECHAR = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b",
          "\f": "\\f"}
_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f\x7f]')
_IRI_ESCAPE = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_PN_LOCAL = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_\-])?$")


def _escape_string(text: str) -> str:
    return _NEEDS_ESCAPE.sub(lambda m: _ECHAR.get(m.group(), f"\\u{ord(m.group()):04X}"), text)


def _iri(iri: str) -> str:
    return "<" + _IRI_ESCAPE.sub(lambda m: f"\\u{ord(m.group()):04X}", iri) + ">"


def nt_term(term: Node) -> str:
    """The N-Triples form of an rdflib term (``<iri>``, ``_:b``, ``"x"@en``, ``"1"^^<dt>``)."""
    if isinstance(term, URIRef):
        return _iri(str(term))
    if isinstance(term, BNode):
        return f"_:{term}"
    if isinstance(term, Literal):
        text = f'"{_escape_string(str(term))}"'
        if term.language:
            return f"{text}@{term.language}"
        if term.datatype is not None and str(term.datatype) != XSD + "string":
            return f"{text}^^{_iri(str(term.datatype))}"
        return text
    raise UsageError(f"cannot serialise {term!r}")


def _split(iri: str, prefixes: dict[str, str], strict: bool = True) -> tuple[str, str] | None:
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
    found = _split(iri, table, strict)
    return f"{found[0]}:{found[1]}" if found else None


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
        found = _split(iri, namespaces.PREFIXES)
        if found is None:
            return _iri(iri)
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
                return f'"{_escape_string(str(term))}"^^{self.iri(datatype)}'
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
    import pyoxigraph as ox

    from rustbelt_kg.store import from_oxigraph_quad, to_oxigraph_quad

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
    return escape(text, {"\r": "&#13;"})


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
        out.write(f"\n    xmlns:{prefix_of[ns]}={quoteattr(ns)}")
    out.write(">\n")
    for s, predicates in blocks:
        about = f"rdf:nodeID={quoteattr(str(s))}" if isinstance(s, BNode) else \
            f"rdf:about={quoteattr(str(s))}"
        out.write(f"  <rdf:Description {about}>\n")
        for p, objects in predicates:
            ns, local = qnames[str(p)]
            tag = f"{prefix_of[ns]}:{local}"
            for o in objects:
                if isinstance(o, URIRef):
                    out.write(f"    <{tag} rdf:resource={quoteattr(str(o))}/>\n")
                elif isinstance(o, BNode):
                    out.write(f"    <{tag} rdf:nodeID={quoteattr(str(o))}/>\n")
                else:
                    assert isinstance(o, Literal)
                    attr = ""
                    if o.language:
                        attr = f" xml:lang={quoteattr(o.language)}"
                    elif o.datatype is not None and str(o.datatype) != XSD + "string":
                        attr = f" rdf:datatype={quoteattr(str(o.datatype))}"
                    out.write(f"    <{tag}{attr}>{_xml_text(str(o))}</{tag}>\n")
        out.write("  </rdf:Description>\n")
    out.write("</rdf:RDF>\n")


# -- the registry ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RdfFormat:
    """An RDF serialisation: how it is named, stored, served and written."""

    name: str
    extension: str
    media_type: str
    keeps_graphs: bool
    rdflib_name: str
    help: str
    write: Callable[[list[Quad], TextIO], None]


#: The registry of RDF formats, by name.
RDF_FORMATS: dict[str, RdfFormat] = {
    f.name: f
    for f in (
        RdfFormat("turtle", "ttl", "text/turtle", False, "turtle",
                  "Turtle, union of all graphs", _write_turtle),
        RdfFormat("nt", "nt", "application/n-triples", False, "nt",
                  "N-Triples, union of all graphs, sorted lines", _write_ntriples),
        RdfFormat("nquads", "nq", "application/n-quads", True, "nquads",
                  "N-Quads, every named graph, sorted lines", _write_nquads),
        RdfFormat("trig", "trig", "application/trig", True, "trig",
                  "TriG, every named graph", _write_trig),
        RdfFormat("jsonld", "jsonld", "application/ld+json", True, "json-ld",
                  "JSON-LD, every named graph, with the project context", _write_jsonld),
        RdfFormat("xml", "rdf", "application/rdf+xml", False, "xml",
                  "RDF/XML, union of all graphs", _write_rdfxml),
    )
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


def _remove_stale_temps(folder: Path, name: str) -> None:
    """Delete temporary files a killed writer of ``name`` left behind (its process is gone)."""
    for temp in folder.glob(f".{name}.*.tmp"):
        pid = temp.name[len(name) + 2:].split(".")[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            temp.unlink(missing_ok=True)
        except PermissionError:  # alive, owned by someone else
            pass


def atomic_write(path: Path, write: Callable[[TextIO], object]) -> None:
    """Write a UTF-8 text file so that readers see the old file or the new one, never half.

    The text goes to a hidden temporary file in the destination folder
    (``.NAME.<pid>.<random>.tmp``), is flushed to disk, then renamed over ``path`` with
    :func:`os.replace`. If ``write`` raises, the temporary file is removed and the previous
    file is left as it was; if the process is killed, the previous file is intact too and
    the next write removes the leftover temporary file.
    """
    path = Path(path)
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(folder, path.name)
    temp = folder / f".{path.name}.{os.getpid()}.{secrets.token_hex(6)}.tmp"
    fd = os.open(temp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def export(
    quads: Iterable[Quad], format: str, path: Path | None = None, *, out: TextIO | None = None
) -> None:
    """Write ``quads`` in ``format`` to ``path`` atomically, or to ``out`` (default stdout)."""
    text = serialize(quads, format)
    if path is None:
        (out or sys.stdout).write(text)
        return
    try:
        atomic_write(path, lambda stream: stream.write(text))
    except OSError as error:
        raise RustbeltError(f"cannot write {path}: {error.strerror or error}") from error
