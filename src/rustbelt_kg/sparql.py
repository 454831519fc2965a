"""SPARQL texts: reading query files, and what a query is, without running it.

:func:`parse_sparql` parses a query as Oxigraph does (the project prefixes known) and
tells its form and result columns; :func:`has_top_level_order_by` tells whether the order
of its rows is part of the answer.

>>> parse_sparql("SELECT ?who WHERE { ?who a rbo:Person }")
QueryShape(form='select', variables=('who',))
>>> has_top_level_order_by("SELECT * { { SELECT ?x { ?x ?p ?o } ORDER BY ?x } }")
False
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import pyoxigraph as ox

from rustbelt_kg import namespaces
from rustbelt_kg.errors import (
    QuerySyntaxError,
    QueryTimeout,
    QueryTooComplex,
    ServiceNotAllowed,
    UsageError,
)

__all__ = [
    "MAX_NESTING",
    "MAX_OPERATORS",
    "MAX_PATTERNS",
    "MAX_QUERY_SIZE",
    "PARSE_TIMEOUT",
    "QueryShape",
    "QueryText",
    "check_query",
    "check_services",
    "has_top_level_order_by",
    "parse_sparql",
    "query_syntax_error",
    "read_sparql",
]


def read_sparql(path: Path, display: str | None = None) -> str:
    """The text of a SPARQL file. Not UTF-8: :class:`QuerySyntaxError` with the line and
    column of the first bad byte; larger than :data:`MAX_QUERY_SIZE`: :class:`QueryTooComplex`
    (the rest is never read). :class:`OSError` is left to the caller, also for a folder, a
    FIFO or a device (:func:`rustbelt_kg.reading.read_capped`)."""
    from rustbelt_kg.reading import decode_utf8, read_capped

    data = read_capped(path, MAX_QUERY_SIZE)
    if len(data) > MAX_QUERY_SIZE:
        raise QueryTooComplex(
            f"{display or path}: the query text is larger than {MAX_QUERY_SIZE:,} bytes",
            limit="MAX_QUERY_SIZE",
        )
    return query_text(decode_utf8(data, display or str(path), QuerySyntaxError))


def query_text(text: str) -> str:
    """A query text as the engines should see it: without the byte-order mark an editor
    may put first (Oxigraph would read it as part of the first word), ``\r\n`` read as
    ``\n``."""
    return text.removeprefix("\ufeff").replace("\r\n", "\n")


@dataclass(frozen=True)
class QueryShape:
    """What parsing a query tells: its ``form`` (``select``, ``ask``, or ``graph`` for
    CONSTRUCT and DESCRIBE, as :attr:`QueryResult.kind <rustbelt_kg.results.QueryResult>`)
    and, for a SELECT, its result columns (``variables``, without ``?``)."""

    form: str
    variables: tuple[str, ...] = ()


_POSITION = re.compile(r"error at (\d+):(\d+)")


def query_syntax_error(error: SyntaxError) -> QuerySyntaxError:
    """The :class:`QuerySyntaxError` for a pyoxigraph ``SyntaxError`` (its messages read
    ``error at LINE:COLUMN: message``); the caller adds the path."""
    text = str(error.msg if error.msg else error)
    line, column = error.lineno, error.offset
    match = _POSITION.search(text)
    if line is None and match:
        line, column = int(match.group(1)), int(match.group(2))
    message = " ".join(_POSITION.sub("", text, count=1).lstrip(": ").split())
    if message.startswith("expected one of ") and len(message) > 120:
        message = message[:117].rsplit(",", 1)[0] + ", ..."
    return QuerySyntaxError(message or text, path=None, line=line, column=column)


@functools.lru_cache(maxsize=1)
def _empty_store() -> ox.Store:
    return ox.Store()


def parse_sparql(text: str, *, path: str | None = None) -> QueryShape:
    """Parse ``text`` as Oxigraph does (project prefixes known) without reading any data
    and without calling any ``SERVICE``.

    The text is checked first (:func:`check_query`: limits, no update). A syntax error is a
    :class:`QuerySyntaxError` naming ``path``. The query is prepared against an empty store
    with every ``SERVICE`` pointed at :data:`_NO_SERVICE` (Oxigraph calls a service as soon
    as a query is prepared); an ASK, which Oxigraph answers at once, is prepared as the
    SELECT with the same pattern. Preparing runs in a child process stopped after
    :data:`PARSE_TIMEOUT` seconds (:class:`~rustbelt_kg.errors.QueryTimeout`): Oxigraph's
    planner takes time that grows steeply with the number of patterns (24 s for 250
    ``OPTIONAL``, minutes for 500 triple patterns), data or not.
    """
    from rustbelt_kg.bounded import call_bounded

    read = check_query(text, path=path)
    try:
        found = call_bounded(lambda: _prepare(text, read, path), timeout=PARSE_TIMEOUT)
    except QueryTimeout as error:
        raise QueryTimeout(
            f"{path or '<input>'}: preparing the query took longer than {PARSE_TIMEOUT:g} s; "
            "split it, or use fewer OPTIONAL and triple patterns in one group",
            limit="PARSE_TIMEOUT",
        ) from error
    form, _, variables = found.partition(" ")
    return QueryShape(form, tuple(variables.split()))


#: Seconds Oxigraph may take to prepare a query that is only parsed.
PARSE_TIMEOUT = 20.0


def _prepare(text: str, read: QueryText, path: str | None) -> str:
    """The form and the result columns of ``text``, as ``"select a b"``, from Oxigraph."""
    edits = [(start, end, _NO_SERVICE) for start, end in read.service_spans]
    if read.form == "ask" and _pattern_follows(text[read.form_at + 3 :]):
        edits.append((read.form_at, read.form_at + 3, _ASK_AS_SELECT))
    prepared, moved = _edited(text, sorted(edits))
    try:
        answer = _empty_store().query(prepared, prefixes=dict(namespaces.PREFIXES))
    except SyntaxError as error:
        found = query_syntax_error(error)
        line, column = found.line, found.column
        if edits and line is not None and column is not None:
            line, column = _position(text, moved(_offset(prepared, line, column)))
        raise QuerySyntaxError(found.message, path=path, line=line, column=column) from error
    except (OSError, RuntimeError):
        # It parsed; Oxigraph refused to prepare it (a function it does not implement, say).
        # Running it fails with the engine's message; the form is what the text says.
        return {"construct": "graph", "describe": "graph"}.get(read.form, read.form)
    if read.form == "ask" or isinstance(answer, ox.QueryBoolean):
        return "ask"
    if isinstance(answer, ox.QuerySolutions):
        return " ".join(["select", *(v.value for v in answer.variables)])
    return "graph"


#: What stands for ``ASK`` while a query is only parsed: same grammar after it, lazy.
_ASK_AS_SELECT = "SELECT (1 AS ?rustbelt_kg_ask)"
#: What stands for ``SERVICE <endpoint>`` while a query is only parsed: no network.
_NO_SERVICE = "SERVICE SILENT <urn:x-rustbelt-kg:no-service>"


def _pattern_follows(rest: str) -> bool:
    """Whether ``rest`` starts (after spaces and comments) as the pattern of an ASK does,
    so that putting a SELECT clause before it changes nothing else."""
    first = next(_scan(rest), None)
    return first is not None and first.match.group().upper() in ("{", "WHERE", "FROM")


def _edited(
    text: str, edits: list[tuple[int, int, str]]
) -> tuple[str, Callable[[int], int]]:
    """``text`` with each ``(start, end, new)`` span replaced (in order, not overlapping),
    and the function that takes an offset in the result back to one in ``text``."""
    parts: list[str] = []
    spans: list[tuple[int, int, int, int]] = []  # new start, new end, old start, old end
    last = length = 0
    for start, end, new in edits:
        parts += [text[last:start], new]
        length += start - last
        spans.append((length, length + len(new), start, end))
        length += len(new)
        last = end
    parts.append(text[last:])

    def moved(offset: int) -> int:
        shift = 0
        for new_start, new_end, old_start, old_end in spans:
            if offset < new_start:
                break
            if offset < new_end:
                return old_start
            shift = old_end - new_end
        return offset + shift

    return "".join(parts), moved


def _offset(text: str, line: int, column: int) -> int:
    """The offset of a 1-based ``line`` and ``column`` in ``text``."""
    start = 0
    for _ in range(line - 1):
        start = text.find("\n", start) + 1
    return start + column - 1


# -- reading a text without an engine --------------------------------------------------------

#: The tokens of a SPARQL text as far as the checks below need them. Strings, IRIs and
#: comments are single tokens, so brackets and keywords inside them count for nothing.
_TOKENS = re.compile(
    r"""(?P<escape>\\.)
    |(?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
       |"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
    |(?P<iri><(?:[^<>"{}|^`\\\x00-\x20]|\\.)*>)
    |(?P<comment>\#[^\n]*)
    |(?P<var>[?$]\w+)
    |(?P<order>\bORDER\s+BY\b)
    |(?P<pname>(?<![\w.\-])(?:[^\W\d_][\w.\-]*+)?:(?:[\w\-:.%]|\\.)*+)
    |(?P<word>[^\W\d]\w*)
    |(?P<number>(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)
    |(?P<open>[({\[])|(?P<close>[)}\]])
    |(?P<op>\|\||&&|!=|<=|>=|\^\^|[-+*/!=<>|^])
    |(?P<space>\s+)|(?P<other>.)""",
    re.IGNORECASE | re.DOTALL | re.VERBOSE,
)
_QUIET = frozenset({"space", "comment"})
# A prefixed name starts only where no name goes on (``(?<!...)``) and its parts are
# possessive (``*+``): each character is looked at a bounded number of times, so a text of
# ``a.a.a...`` takes linear time, not quadratic.
#: After one of these, inside ``( )``, ``<`` is the comparison, not the start of an IRI.
_OPERAND = frozenset({"var", "string", "number", "close", "pname", "word", "iri", "escape"})

#: Largest query text, in bytes of UTF-8.
MAX_QUERY_SIZE = 256 * 1024
#: Deepest nesting of ``( )``, ``{ }`` and ``[ ]`` together. rdflib's parser gives up
#: (``RecursionError``) from 25 nested parentheses in an expression, 26 nested ``EXISTS``
#: and 37 nested groups; Oxigraph overflows its stack (a segfault) from about 2,000.
MAX_NESTING = 16
#: Most operators, groups and pattern keywords (``+``, ``||``, ``{``, ``UNION``, ``MINUS``,
#: ``BIND``, ...) in one text. Each one can deepen the engine's expression or algebra tree
#: even without brackets: Oxigraph overflows its stack from about 2,600 ``MINUS`` or ``BIND``
#: in a row, 6,300 ``UNION`` and 6,600 ``+``.
MAX_OPERATORS = 1000
#: Most triple patterns and list items in one text: each ``.``, ``,`` and ``;`` between
#: patterns or terms, and each term inside ``( )`` (a collection's items, a function's
#: arguments), counts one. Oxigraph overflows its stack (a segfault) from about 7,800
#: objects in one ``,`` list, 8,000 predicates in one ``;`` list, 8,000 triple patterns
#: in one group and 12,000 items in one collection; its planner takes longer than
#: :data:`PARSE_TIMEOUT` well before (a few hundred patterns in one group). rdflib gives up
#: (``RecursionError``, exit 6 too) from 84 triple patterns in a row in one group.
MAX_PATTERNS = 1000
_TERMS = frozenset({"var", "iri", "pname", "string", "number"})
_KEYWORDS = frozenset(
    {"UNION", "MINUS", "OPTIONAL", "BIND", "FILTER", "GRAPH", "SERVICE", "EXISTS", "VALUES"}
)
#: The words an update starts with (after its prologue).
_UPDATE_WORDS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"}
)
_QUERY_WORDS = frozenset({"SELECT", "CONSTRUCT", "DESCRIBE", "ASK"})


class _Token(NamedTuple):
    kind: str
    match: re.Match[str]
    #: For an IRI that may be read as ``< ... >`` comparisons: how deep its brackets nest
    #: and how many operators it holds, were it code.
    code_depth: int = 0
    code_operators: int = 0


def _scan(text: str) -> Iterator[_Token]:
    """The significant tokens of ``text`` (no spaces or comments).

    Inside ``( )``, after an operand, the engines read ``<`` as the comparison, so an "IRI"
    there may be code (``?a<((1))>0``): it stays one token (a quote or ``#`` in it starts
    nothing), and its brackets and operators are counted as if it were code.
    """
    groups: list[str] = []
    previous = ""
    pos = 0
    while pos < len(text):
        match = _TOKENS.match(text, pos)
        assert match is not None  # ``other`` matches any character
        kind = match.lastgroup or "other"
        pos = match.end()
        if kind in _QUIET:
            continue
        token = _Token(kind, match)
        if kind == "iri" and groups and groups[-1] == "(" and previous in _OPERAND:
            token = _Token(kind, match, *_as_code(match.group()[1:-1]))
        elif kind == "open":
            groups.append(match.group())
        elif kind == "close" and groups:
            groups.pop()
        previous = kind
        yield token


def _as_code(inside: str) -> tuple[int, int]:
    """How deep the brackets of ``inside`` nest, and how many operator characters it has."""
    depth = deepest = 0
    for char in inside:
        if char in "([":
            depth += 1
            deepest = max(deepest, depth)
        elif char in ")]":
            depth -= 1
    return deepest, sum(inside.count(c) for c in "-+*/!=<>|^&")


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _too_complex(
    text: str, offset: int, message: str, path: str | None, limit: str
) -> QueryTooComplex:
    line, column = _position(text, offset)
    return QueryTooComplex(f"{path or '<input>'}:{line}:{column}: {message}", limit=limit)


@dataclass(frozen=True)
class QueryText:
    """What :func:`check_query` read in a query text: its form (``select``, ``construct``,
    ``describe``, ``ask``; ``""`` when no form keyword was found, left to the engine), the
    offset of that keyword, and the ``SERVICE`` endpoints it calls (``None`` for one that is
    a variable or cannot be read), with where each ``SERVICE ... endpoint`` stands."""

    form: str
    form_at: int
    services: tuple[str | None, ...]
    service_spans: tuple[tuple[int, int], ...] = field(default=(), repr=False)


#: A code point escape, which SPARQL 1.1 (section 19.2) expands over the whole text before
#: it is parsed: ``\u0053ERVICE`` is ``SERVICE`` to an engine that does (rdflib).
_CODEPOINT_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def _expand_codepoint_escapes(text: str) -> str:
    """``text`` with its ``\\uXXXX`` and ``\\UXXXXXXXX`` escapes expanded (section 19.2)."""

    def expand(match: re.Match[str]) -> str:
        code = int(match.group(1) or match.group(2), 16)
        return chr(code) if code <= 0x10FFFF else match.group()

    return _CODEPOINT_ESCAPE.sub(expand, text)


def check_query(text: str, *, path: str | None = None) -> QueryText:
    """Check ``text`` against the limits before an engine sees it, and tell what it is.

    The text is read as written and, when it holds code point escapes, once more with them
    expanded, as SPARQL 1.1 expands them before parsing: an update, a ``SERVICE`` or brackets
    spelt with escapes are found too.

    Past :data:`MAX_QUERY_SIZE`, :data:`MAX_NESTING`, :data:`MAX_OPERATORS` or
    :data:`MAX_PATTERNS`: a
    :class:`~rustbelt_kg.errors.QueryTooComplex` naming ``path``, line and column. An update
    (``INSERT``, ``DELETE``, ``LOAD``, ``DROP`` ...) is a :class:`UsageError`.

    >>> check_query("SELECT * { SERVICE <https://example.org/sparql> { ?s ?p ?o } }")
    QueryText(form='select', form_at=0, services=('https://example.org/sparql',))
    >>> check_query("SELECT * { FILTER(" + "(" * 20 + "1" + ")" * 20 + ") }")
    Traceback (most recent call last):
    ...
    rustbelt_kg.errors.QueryTooComplex: <input>:1:33: brackets nested deeper than 16 levels
    >>> check_query(r"SELECT * { \\u0053ERVICE <http://127.0.0.1/> { ?s ?p ?o } }").services
    ('http://127.0.0.1/',)
    """
    read = _check_text(text, path)
    expanded = _expand_codepoint_escapes(text)
    if expanded != text:
        also = _check_text(expanded, path)
        services = read.services + tuple(s for s in also.services if s not in read.services)
        read = QueryText(read.form or also.form, read.form_at, services, read.service_spans)
    return read


def _check_text(text: str, path: str | None) -> QueryText:
    """:func:`check_query` on ``text`` as written."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_QUERY_SIZE:
        raise QueryTooComplex(
            f"{path or '<input>'}: the query text has {size:,} bytes, more than "
            f"{MAX_QUERY_SIZE:,}", limit="MAX_QUERY_SIZE",
        )
    prefixes = dict(namespaces.PREFIXES)
    depth = operators = patterns = 0
    brackets: list[str] = []
    form, form_at = "", 0
    services: list[str | None] = []
    spans: list[tuple[int, int]] = []
    service_at = 0
    after = ""  # the keyword whose argument comes next: PREFIX, SERVICE
    name = ""
    for kind, match, code_depth, code_operators in _scan(text):
        value = match.group()
        word = value.upper() if kind == "word" else ""
        if after == "PREFIX":
            name, after = (value.rstrip(":"), "PREFIX IRI") if kind == "pname" else ("", "")
        elif after == "PREFIX IRI":
            if kind == "iri":
                prefixes[name] = value[1:-1]
            after = ""
        elif after == "SERVICE" and word != "SILENT":
            services.append(_endpoint(kind, value, prefixes))
            if kind in ("iri", "pname", "var"):
                spans.append((service_at, match.end()))
            after = ""
        if kind == "open":
            depth += 1
            brackets.append(value)
        elif kind == "close":
            depth = max(0, depth - 1)
            brackets = brackets[:-1]
        if (
            value in (".", ",", ";")
            or (kind in ("pname", "number") and value.endswith("."))
            or (kind in _TERMS and brackets and brackets[-1] == "(")
        ):
            patterns += 1
            if patterns > MAX_PATTERNS:
                raise _too_complex(
                    text, match.start(),
                    f"more than {MAX_PATTERNS} triple patterns and list items", path,
                    "MAX_PATTERNS",
                )
        if depth + code_depth > MAX_NESTING:
            raise _too_complex(
                text, match.start(), f"brackets nested deeper than {MAX_NESTING} levels", path,
                "MAX_NESTING",
            )
        if kind == "op" or value == "{" or word in _KEYWORDS or code_operators:
            operators += code_operators or 1
            if operators > MAX_OPERATORS:
                raise _too_complex(
                    text, match.start(),
                    f"more than {MAX_OPERATORS} operators, groups and pattern keywords", path,
                    "MAX_OPERATORS",
                )
        if word in ("PREFIX", "SERVICE"):
            after, service_at = word, match.start()
        elif word in _UPDATE_WORDS and not form:
            raise UsageError(
                f"{path or '<input>'}: updates are not allowed here ({word} changes a store); "
                "only SELECT, ASK, CONSTRUCT and DESCRIBE queries"
            )
        elif word in _QUERY_WORDS and not form:
            form, form_at = word.lower(), match.start()
    if after == "SERVICE":
        services.append(None)
    return QueryText(form, form_at, tuple(services), tuple(spans))


def _endpoint(kind: str | None, value: str, prefixes: Mapping[str, str]) -> str | None:
    """The IRI a ``SERVICE`` calls, from the token after it; ``None`` if it is not a plain
    IRI (a variable, an escape)."""
    if "\\" in value:
        return None
    if kind == "iri":
        return value[1:-1]
    if kind == "pname":
        prefix, _, local = value.partition(":")
        if prefix in prefixes:
            return prefixes[prefix] + local
    return None


def check_services(query: QueryText, allowed: Iterable[str], *, path: str | None = None) -> None:
    """Refuse a ``SERVICE`` whose endpoint is not in ``allowed`` (compared as written):
    :class:`~rustbelt_kg.errors.ServiceNotAllowed`. A variable endpoint is never allowed."""
    allow = set(allowed)
    for endpoint in query.services:
        if endpoint is None:
            raise ServiceNotAllowed(
                f"{path or '<input>'}: a SERVICE endpoint must be an IRI written in the query"
            )
        if endpoint not in allow:
            raise ServiceNotAllowed(
                f"{path or '<input>'}: SERVICE <{endpoint}> is not allowed; to let the query "
                f"call it, pass --allow-service {endpoint}"
            )


def has_top_level_order_by(text: str) -> bool:
    """Whether ``text`` has ``ORDER BY`` outside every ``{...}`` (comments and strings aside)."""
    depth = 0
    for kind, match, _, _ in _scan(text):
        if match.group() == "{":
            depth += 1
        elif match.group() == "}":
            depth -= 1
        elif kind == "order" and depth == 0:
            return True
    return False


def names_dataset(text: str) -> bool:
    r"""Whether ``text`` has a dataset clause of its own (``FROM`` or ``FROM NAMED``); the
    word in a string, an IRI or a comment does not count.

    >>> names_dataset("SELECT * FROM <urn:g> { ?s ?p ?o }")
    True
    >>> names_dataset("# rows from the claims\nSELECT * { ?s ?p 'from' }")
    False
    """
    return any(t.kind == "word" and t.match.group().upper() == "FROM" for t in _scan(text))
