"""Parsing the source files of a checkout into quads.

Files are parsed with pyoxigraph (fast, and exact about where a syntax error is) into the
engine's own terms: :func:`load_engine_quads` gives pyoxigraph quads, which go into the
store (:meth:`rustbelt_kg.store.OxigraphStore.staging`) and the exports
(:func:`rustbelt_kg.export.write_exports`) without becoming Python-level rdflib terms;
:func:`load_quads` gives the same quads as rdflib terms, for the callers that need them
(SHACL validation, the quote checks, the memory store). :func:`load_file` reads one file,
for a build that reloads only what changed. Each parses *every* source file before it
returns, so a caller that writes a store only after it has the quads never writes
anything when one file is broken. A syntax error is an :class:`RdfSyntaxError` naming
the file, line and column (1-based, as the parser reports them).

Before a parser sees a file, :func:`check_nesting` refuses one nested deeper than
:data:`MAX_NESTING` (:class:`NestingTooDeep`, exit 6): the parsers cope, but rdflib's
recursive Turtle parser and blank-node canonicalisation do not (a 10,000-deep nest of
blank nodes overflows the stack). As each source file is parsed, the rules of
:mod:`rustbelt_kg.sourcing` are checked (no unsourced fact, each graph from its own folder,
no blank node in ``data/``); the first quad that breaks one is a :class:`SourceRuleBroken`
naming the file, the line and the triple. The files loaded into the store may hold
:data:`MAX_BLANK_NODES` blank nodes in all (:class:`TooManyBlankNodes`, exit 6).

Which files are read, in which syntax, into which graph: :data:`rustbelt_kg.project.SOURCES`.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable
from pathlib import Path, PurePosixPath
from typing import IO, TYPE_CHECKING, Any, cast

import pyoxigraph as ox

from rustbelt_kg import sourcing
from rustbelt_kg.errors import (
    NestingTooDeep,
    RdfSyntaxError,
    SourceRuleBroken,
    TooManyBlankNodes,
    UsageError,
)
from rustbelt_kg.project import SOURCES, Project, SourceKind
from rustbelt_kg.reading import read_source
from rustbelt_kg.terms import Quad, from_oxigraph_quad

if TYPE_CHECKING:
    from rdflib import Dataset, Graph

__all__ = [
    "MAX_BLANK_NODES",
    "MAX_NESTING",
    "SYNTAXES",
    "check_nesting",
    "load_engine_quads",
    "load_file",
    "load_project",
    "load_quads",
    "load_shapes",
    "parse_engine_file",
    "parse_file",
    "rdflib_quads",
    "source_kind",
]

#: How deep ``[ ]``, ``( )`` and ``{ }`` may nest in a source file. The project's files
#: nest 2 levels at most; canonicalising blank nodes nested 400 deep takes seconds and
#: 10,000 deep crashes the process; rdflib's recursive Turtle parser, which reads the
#: exports back in the round-trip tests, raises RecursionError from about 120 levels.
MAX_NESTING = 64

#: How many blank nodes the files loaded into the store may hold in all (``data/`` may
#: hold none; the ontology may use a few for OWL lists and restrictions). Exports
#: canonicalise blank nodes (RDFC-1.0), whose time grows steeply with chains of alike ones:
#: 200 take 0.8 s at worst, 400 take 9 s, 1,000 run for minutes, 10,000 crash.
MAX_BLANK_NODES = 200

#: Source syntaxes by the name :class:`SourceKind` uses.
SYNTAXES: dict[str, ox.RdfFormat] = {
    "turtle": ox.RdfFormat.TURTLE,
    "trig": ox.RdfFormat.TRIG,
    "nt": ox.RdfFormat.N_TRIPLES,
    "nquads": ox.RdfFormat.N_QUADS,
    "jsonld": ox.RdfFormat.JSON_LD,
    "xml": ox.RdfFormat.RDF_XML,
}

_PARSER_PREFIX = re.compile(
    r"^Parser error (?:at|between) line \d+ column \d+(?: and line \d+ column \d+)?: "
)


#: Strings, IRIs, comments and escapes (whose brackets do not count), and the brackets
#: themselves. An escape outside a string (``ex:a\\#``, ``ex:a\\(`` in a prefixed name's
#: local part) is one token: it starts no comment or string and is no bracket.
_TOKENS = re.compile(
    rb"\\."  # escapes outside strings and IRIs
    rb'|"""(?:[^"\\]|\\.|"(?!""))*"""'  # long strings
    rb"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    rb'|"(?:[^"\\\n]|\\.)*"'  # short strings
    rb"|'(?:[^'\\\n]|\\.)*'"
    rb'|<[^<>"\s]*>'  # IRIs
    rb"|\#[^\n]*"  # comments
    rb"|[\[\](){}]",
    re.DOTALL,
)
_OPEN, _CLOSE = frozenset(b"[({"), frozenset(b"])}")


def check_nesting(data: bytes, name: str, limit: int = MAX_NESTING) -> None:
    """Raise :class:`NestingTooDeep` if the Turtle or TriG text ``data`` nests deeper than
    ``limit``, naming the line where it does (``name`` is the file as shown).

    >>> check_nesting(b"<a> <b> [ <c> [ <d> 1 ] ] .", "x.ttl", limit=2)
    >>> check_nesting(b"<a> <b> [ <c> ( # [[[\\n ( 1 ) ) ] .", "x.ttl", limit=2)
    Traceback (most recent call last):
    rustbelt_kg.errors.NestingTooDeep: x.ttl:2: nested more than 2 levels deep ...
    """
    if sum(data.count(bracket) for bracket in (b"[", b"(", b"{")) <= limit:
        return  # cannot nest deeper than its number of brackets
    depth = 0
    for token in _TOKENS.finditer(data):
        char = data[token.start()]
        if char in _OPEN and token.end() - token.start() == 1:
            depth += 1
            if depth > limit:
                line = data.count(b"\n", 0, token.start()) + 1
                raise NestingTooDeep(name, line, limit)
        elif char in _CLOSE:
            depth = max(0, depth - 1)


class _LineReader(io.RawIOBase):
    """Feeds a parser at most one line per read, so that :attr:`line` (1-based) is the line
    the parser is reading."""

    def __init__(self, data: bytes) -> None:
        self.lines = data.splitlines(keepends=True)
        self.line = 0
        self._offset = 0  # within the next line to hand over

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.line >= len(self.lines) and self._offset == 0:
            return 0
        index = self.line if self._offset == 0 else self.line - 1
        rest = self.lines[index][self._offset:]
        chunk = rest[: len(buffer)]
        buffer[: len(chunk)] = chunk
        self.line = index + 1
        self._offset = 0 if len(chunk) == len(rest) else self._offset + len(chunk)
        return len(chunk)


def _line_of(data: bytes, syntax: str, index: int) -> int | None:
    """The line on which the parser gives quad number ``index`` of ``data`` (1-based)."""
    reader = _LineReader(data)
    try:
        for number, _ in enumerate(ox.parse(cast("IO[bytes]", reader), SYNTAXES[syntax])):
            if number == index:
                return reader.line
    except SyntaxError:
        return None
    return None


def parse_engine_file(
    path: Path, syntax: str = "turtle", graph: str | None = None, *, display: str | None = None
) -> list[ox.Quad]:
    """Parse one RDF file into pyoxigraph quads, the engine's own terms.

    Triples (of a triples syntax, or in the default graph of a TriG file) go into
    ``graph`` when it is given, else the default graph. ``display`` is the name used for
    the file in error messages (default: the path as given).
    """
    name = display or str(path)
    data = read_source(Path(path), name)
    if syntax in ("turtle", "trig"):
        check_nesting(data, name)
    try:
        parsed = list(ox.parse(data, SYNTAXES[syntax]))
    except SyntaxError as error:
        message = _PARSER_PREFIX.sub("", str(error.msg or error))
        raise RdfSyntaxError(message, path=name, line=error.lineno, column=error.offset) from error
    if graph is None:
        return parsed
    target, default = ox.NamedNode(graph), ox.DefaultGraph
    return [
        ox.Quad(q.subject, q.predicate, q.object, target)
        if type(q.graph_name) is default else q
        for q in parsed
    ]


def parse_file(
    path: Path,
    syntax: str = "turtle",
    graph: str | None = None,
    *,
    display: str | None = None,
    rules: Callable[[list[Quad]], tuple[int, str] | None] | None = None,
) -> list[Quad]:
    """Parse one RDF file into rdflib quads (:func:`parse_engine_file`, converted).

    ``rules`` returns the index of the first quad that breaks a rule and why, or ``None``;
    such a quad raises :class:`SourceRuleBroken` naming its line.
    """
    name = display or str(path)
    quads = rdflib_quads(parse_engine_file(path, syntax, graph, display=name))
    broken = rules(quads) if rules is not None else None
    if broken is not None:
        raise SourceRuleBroken(broken[1], path=name, line=_line_of(
            read_source(Path(path), name), syntax, broken[0]))
    return quads


def rdflib_quads(quads: Iterable[ox.Quad]) -> list[Quad]:
    """``quads`` as rdflib quads, for the callers that need rdflib terms."""
    return [from_oxigraph_quad(q) for q in quads]


def source_kind(project: Project, path: Path) -> SourceKind:
    """The kind of source file ``path`` is (a row of :data:`rustbelt_kg.project.SOURCES`
    that goes into the store); :class:`UsageError` when it is none."""
    relative = PurePosixPath(project.display(Path(path)))
    for kind in SOURCES:
        pattern = PurePosixPath(kind.pattern)
        if kind.loaded and len(relative.parts) == len(pattern.parts) and \
                relative.match(kind.pattern):
            return kind
    raise UsageError(
        f"{relative} is not a source file that goes into the store "
        f"({', '.join(k.pattern for k in SOURCES if k.loaded)})"
    )


def load_file(project: Project, path: Path, kind: SourceKind | None = None) -> list[ox.Quad]:
    """The quads one source file of ``project`` puts into the store, as pyoxigraph quads.

    The rules of :mod:`rustbelt_kg.sourcing` that concern one file are checked (the first
    quad that breaks one is a :class:`SourceRuleBroken` naming the file, its line and the
    triple); the rules across files (every claim quoted, the number of blank nodes) are
    :func:`load_engine_quads`'s.
    """
    kind = kind or source_kind(project, path)
    display = project.display(path)
    quads = parse_engine_file(path, kind.syntax, kind.graph, display=display)
    broken = sourcing.engine_file_problem(kind.name, quads)
    if broken is not None:
        line = _line_of(read_source(path, display), kind.syntax, broken[0])
        raise SourceRuleBroken(broken[1], path=display, line=line)
    return quads


def load_engine_quads(
    project: Project,
    progress: Callable[[str], object] | None = None,
    parsed: Callable[[Path, list[ox.Quad]], object] | None = None,
) -> list[ox.Quad]:
    """Every quad of every source file that goes into the store, in :data:`SOURCES` order,
    as pyoxigraph quads: the bulk path into the store and the exports.

    All files are parsed before this returns; the first syntax error, or the first quad
    that breaks a rule of :mod:`rustbelt_kg.sourcing`, raises. ``progress`` is told the
    name of each file before it is parsed, ``parsed`` each file with its quads after
    (an incremental build's record, :mod:`rustbelt_kg.incremental`).
    """
    quads: list[ox.Quad] = []
    first_file: dict[object, tuple[SourceKind, Path]] = {}  # claim graph -> the file it is in
    claims: set[object] = set()
    quoting: list[ox.Triple] = []
    blank_nodes: set[ox.BlankNode] = set()
    for kind, path in project.sources(loaded=True):
        if progress is not None:
            progress(project.display(path))
        quads_of_file = load_file(project, path, kind)
        if parsed is not None:
            parsed(path, quads_of_file)
        file_claims, file_quoting = sourcing.quoted_claim_parts(quads_of_file)
        for claim in file_claims - claims:
            first_file[claim] = (kind, path)
        claims |= file_claims
        quoting += file_quoting
        if sourcing.may_hold_blank_nodes(kind.name):  # data/ holds none: a rule says so
            _count_blank_nodes(project, kind, path, quads_of_file, blank_nodes)
        quads.extend(quads_of_file)
    for claim in sorted(sourcing.claims_without_quote(claims, quoting), key=str):
        graph = ox.NamedNode(str(claim))
        kind, path = first_file[graph]
        index = next(i for i, q in enumerate(load_file(project, path, kind))
                     if q.graph_name == graph)
        line = _line_of(read_source(path, project.display(path)), kind.syntax, index)
        raise SourceRuleBroken(
            f"claim graph {sourcing.show_term(claim)} has no quote in rbg:provenance "
            "(rbo:evidence, oa:hasSelector, oa:exact): its facts are unsourced "
            "(docs/architecture.md)",
            path=project.display(path), line=line,
        )
    return quads


def _count_blank_nodes(
    project: Project, kind: SourceKind, path: Path, quads: list[ox.Quad],
    seen: set[ox.BlankNode],
) -> None:
    """Add the blank nodes of ``quads`` to ``seen``; past :data:`MAX_BLANK_NODES`, raise
    :class:`TooManyBlankNodes` naming the line."""
    for index, quad in enumerate(quads):
        seen.update(t for t in (quad.subject, quad.object, quad.graph_name)
                    if type(t) is ox.BlankNode)
        if len(seen) > MAX_BLANK_NODES:
            line = _line_of(read_source(path, project.display(path)), kind.syntax, index)
            raise TooManyBlankNodes(project.display(path), line, MAX_BLANK_NODES)


def load_quads(
    project: Project, progress: Callable[[str], object] | None = None
) -> list[Quad]:
    """Every quad of every source file that goes into the store (:func:`load_engine_quads`)
    as rdflib quads, for the callers that need rdflib terms (SHACL validation, the quote
    checks, the memory store)."""
    return rdflib_quads(load_engine_quads(project, progress))


def to_dataset(quads: Iterable[Quad]) -> Dataset:
    """An rdflib ``Dataset`` (its default graph is the union of all graphs) of ``quads``."""
    from rustbelt_kg.memory_store import memory_dataset

    return memory_dataset(quads)


def load_project(project: Project) -> Dataset:
    """The whole store content of ``project`` as an rdflib ``Dataset`` (default = union)."""
    return to_dataset(load_quads(project))


def load_shapes(project: Project) -> Graph:
    """The SHACL shapes of ``project`` (``shapes/*.ttl``) as one rdflib graph."""
    from rustbelt_kg.validate import load_shapes as load_shape_files

    return load_shape_files(path for _, path in project.sources(loaded=False))
