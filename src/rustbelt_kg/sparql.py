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
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from rustbelt_kg import namespaces
from rustbelt_kg.errors import QuerySyntaxError

__all__ = [
    "QueryShape",
    "has_top_level_order_by",
    "parse_sparql",
    "query_syntax_error",
    "read_sparql",
]


def read_sparql(path: Path, display: str | None = None) -> str:
    """The text of a SPARQL file. Not UTF-8: :class:`QuerySyntaxError` with the line and
    column of the first bad byte. :class:`OSError` is left to the caller."""
    data = Path(path).read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - data.rfind(b"\n", 0, error.start)
        raise QuerySyntaxError(
            f"not UTF-8: byte 0x{data[error.start]:02x} at offset {error.start}",
            path=display or str(path), line=line, column=column,
        ) from error
    return text.replace("\r\n", "\n")


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
    """Parse ``text`` as Oxigraph does (project prefixes known) without reading any data.

    A syntax error is a :class:`QuerySyntaxError` naming ``path``. The query is prepared
    against an empty store: SELECT, CONSTRUCT and DESCRIBE are evaluated lazily, so
    nothing runs; an ASK is answered at once (a SERVICE in it is called).
    """
    try:
        answer = _empty_store().query(text, prefixes=dict(namespaces.PREFIXES))
    except SyntaxError as error:
        found = query_syntax_error(error)
        raise QuerySyntaxError(
            found.message, path=path, line=found.line, column=found.column
        ) from error
    except (OSError, RuntimeError):  # it parsed; only an ASK is evaluated this early
        return QueryShape("ask")
    if isinstance(answer, ox.QuerySolutions):
        return QueryShape("select", tuple(v.value for v in answer.variables))
    if isinstance(answer, ox.QueryBoolean):
        return QueryShape("ask")
    return QueryShape("graph")


_TOKENS = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
    r'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\''
    r'|<[^<>"{}|^`\\\s]*>|#[^\n]*|(?P<open>\{)|(?P<close>\})|(?P<order>\bORDER\s+BY\b)',
    re.IGNORECASE | re.DOTALL,
)


def has_top_level_order_by(text: str) -> bool:
    """Whether ``text`` has ``ORDER BY`` outside every ``{...}`` (comments and strings aside)."""
    depth = 0
    for match in _TOKENS.finditer(text):
        if match.group("open"):
            depth += 1
        elif match.group("close"):
            depth -= 1
        elif match.group("order") and depth == 0:
            return True
    return False
