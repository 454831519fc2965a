"""Stored queries: files with a metadata header, parameters, expected results.

A stored query is ``queries/NAME.rq``; its header is grlc-style comment lines, so the
file stays valid SPARQL::

    #+ title: Funding by province
    #+ description: Every amount of money the article ties to a province, with its quote.
    #+ param: province | IRI | rb:heilongjiang | the province to look at (optional)

A ``param`` line is ``name | kind | default | help``: ``kind`` is ``IRI`` or a literal
datatype (``xsd:integer``, ``xsd:string``, ...); the default is ``-`` for none (the
variable is then left free). Values are bound by the engine (pyoxigraph
``substitutions``, rdflib ``initBindings``), never pasted into the text. For a SELECT
query a parameter must be one of the result columns (Oxigraph substitutes only those);
:func:`run_query` checks that against the parsed query before it runs.

The expected answer sits beside the query as ``NAME.srj`` (SPARQL-JSON, as written by
``rustbelt-kg query NAME --format json``). :func:`rustbelt_kg.compare.compare_results`
compares answers as multisets of rows, in order when the query has a top-level ``ORDER BY``.

QC queries (``queries/qc/*-violation.rq``) are SELECT or ASK queries that look for what
must not be there: any row, or an ASK answering true, is a violation
(:func:`run_qc_queries`).

>>> expand_iri("rb:wan-long")
rdflib.term.URIRef('https://w3id.org/rustbelt-kg/id/wan-long')
>>> has_top_level_order_by("SELECT * { { SELECT ?x { ?x ?p ?o } ORDER BY ?x } }")
False
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rdflib.term import Literal, Node, URIRef

from rustbelt_kg import namespaces
from rustbelt_kg.compare import compare_results, show_row
from rustbelt_kg.errors import (
    QuerySyntaxError,
    RustbeltError,
    UnknownQueryError,
    UsageError,
)
from rustbelt_kg.results import QueryResult, ResultStream, normalise, read_expected
from rustbelt_kg.sparql import (
    QueryShape,
    check_query,
    check_services,
    has_top_level_order_by,
    parse_sparql,
    read_sparql,
)

if TYPE_CHECKING:
    from rustbelt_kg.project import Project
    from rustbelt_kg.store import Store

__all__ = [
    "Param",
    "QueryShape",
    "StoredQuery",
    "check_expected",
    "check_qc_queries",
    "compare_results",
    "expand_iri",
    "get_query",
    "has_top_level_order_by",
    "list_qc_queries",
    "list_queries",
    "parse_queries",
    "parse_sparql",
    "read_query",
    "read_sparql",
    "run_qc_queries",
    "run_query",
    "run_sparql",
    "stream_query",
    "stream_sparql",
]

#: Characters an IRI may not contain (RFC 3987): a value with one is refused, never spliced.
_NOT_IN_IRI = re.compile(r'[\x00-\x20<>"{}|^`\\]')


def _checked(iri: str, given: str) -> URIRef:
    bad = _NOT_IN_IRI.search(iri)
    if bad:
        raise UsageError(f"{given!r} is not an IRI: it contains {bad.group()!r}")
    return URIRef(iri)


def expand_iri(text: str) -> URIRef:
    """An IRI from ``<full>``, ``prefix:local`` (:data:`namespaces.PREFIXES`), a full
    ``scheme:...`` IRI, or a bare local name taken to be in ``rb:``.

    >>> expand_iri("rb:wan-long")
    rdflib.term.URIRef('https://w3id.org/rustbelt-kg/id/wan-long')
    >>> expand_iri("rb:x> } ; DROP ALL #")
    Traceback (most recent call last):
    ...
    rustbelt_kg.errors.UsageError: 'rb:x> } ; DROP ALL #' is not an IRI: it contains '>'
    """
    return _checked(_expand(text.strip()), text)


def _expand(text: str) -> str:
    if text.startswith("<") and text.endswith(">"):
        return text[1:-1]
    prefix, colon, local = text.partition(":")
    if not colon:
        if not text:
            raise UsageError("an empty string is not an IRI")
        return namespaces.RB + text
    if prefix in namespaces.PREFIXES:
        return namespaces.PREFIXES[prefix] + local
    if re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*$", prefix) and (local.startswith("//") or prefix in
                                                            ("urn", "mailto", "tag")):
        return text
    raise UsageError(
        f"unknown prefix {prefix!r} in {text!r}; known: {', '.join(namespaces.PREFIXES)}"
    )


@dataclass(frozen=True)
class Param:
    """A parameter of a stored query: a variable the caller may bind."""

    name: str
    kind: str
    default: str | None
    help: str

    def value(self, text: str) -> Node:
        """The rdflib term for ``text`` given on the command line."""
        if self.kind.lower() == "iri":
            return expand_iri(text)
        if self.kind.lower() in ("literal", "string", "xsd:string"):
            return Literal(text)
        datatype = expand_iri(self.kind)
        term = Literal(text, datatype=datatype, normalize=False)  # bound as written
        if getattr(term, "ill_typed", False):
            raise UsageError(f"parameter {self.name}: {text!r} is not a valid {self.kind}")
        return normalise(term)


@dataclass(frozen=True)
class StoredQuery:
    """A query file with its header: ``queries/NAME.rq``."""

    name: str
    path: Path
    title: str
    description: str
    params: tuple[Param, ...]
    text: str
    meta: dict[str, str] = field(default_factory=dict)
    display: str = ""  # how messages name the file (relative to the project); else ``path``

    @property
    def where(self) -> str:
        """The file as messages name it."""
        return self.display or str(self.path)

    @functools.cached_property
    def shape(self) -> QueryShape:
        """The parsed query's form and result columns (:func:`parse_sparql`)."""
        return parse_sparql(self.text, path=self.where)

    @property
    def expected_path(self) -> Path:
        """Where the expected result lives: ``NAME.srj`` beside the query."""
        return self.path.with_suffix(".srj")

    @property
    def ordered(self) -> bool:
        """Whether the result order is part of the answer (a top-level ``ORDER BY``)."""
        return has_top_level_order_by(self.text)

    def bindings(self, given: Mapping[str, str] | None = None) -> dict[str, Node]:
        """Terms for the parameters: ``given`` values (text), else defaults.

        Unknown names raise :class:`UsageError` listing the parameters there are.
        """
        given = dict(given or {})
        known = {p.name for p in self.params}
        unknown = sorted(set(given) - known)
        if unknown:
            listing = ", ".join(sorted(known)) or "none"
            raise UsageError(
                f"query {self.name!r} has no parameter {', '.join(unknown)}; parameters: {listing}"
            )
        out: dict[str, Node] = {}
        for param in self.params:
            text = given.get(param.name, param.default)
            if text is not None:
                out[param.name] = param.value(text)
        return out


_HEADER = re.compile(r"^#\+\s*(?:([A-Za-z_][\w-]*)\s*:)?\s?(.*)$")


def read_query(path: Path, *, display: str | None = None) -> StoredQuery:
    """Read a query file and its ``#+ key: value`` header; ``display`` names the file in
    messages (default: ``path``)."""
    where = display or str(path)
    try:
        text = read_sparql(path, where)
    except OSError as error:
        raise RustbeltError(f"{where}: cannot read: {error.strerror or error}") from error
    meta: dict[str, str] = {}
    params: list[Param] = []
    last: str | None = None
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("#"):
            break
        match = _HEADER.match(stripped)
        if match is None:
            continue
        key, value = match.group(1), match.group(2).strip()
        if key is None:
            if last and last != "param" and value:  # a continuation line
                meta[last] = f"{meta[last]} {value}".strip()
            continue
        key = key.lower()
        if key == "param":
            params.append(_param(where, value))
        else:
            meta[key] = value
        last = key
    return StoredQuery(
        name=path.stem,
        path=path,
        title=meta.pop("title", meta.get("summary", "")),
        description=meta.pop("description", ""),
        params=tuple(params),
        text=text,
        meta=meta,
        display=display or "",
    )


def _param(path: str, value: str) -> Param:
    parts = [p.strip() for p in value.split("|")]
    if len(parts) < 2 or not parts[0]:
        raise UsageError(f"{path}: a param line is 'name | kind | default | help', got {value!r}")
    parts += [""] * (4 - len(parts))
    name, kind, default = parts[0].lstrip("?$"), parts[1], parts[2]
    help_text = " | ".join(parts[3:])
    return Param(name, kind, None if default in ("", "-") else default, help_text.strip())


def list_queries(project: Project) -> list[StoredQuery]:
    """The stored queries of ``project``, sorted by name."""
    return [read_query(path, display=project.display(path)) for path in project.query_files()]


def list_qc_queries(project: Project) -> list[StoredQuery]:
    """The QC violation queries (``queries/qc/*-violation.rq``), sorted by name."""
    return [read_query(path, display=project.display(path)) for path in project.qc_files()]


def get_query(project: Project, name: str) -> StoredQuery:
    """The stored query ``name``; :class:`UnknownQueryError` lists the names there are."""
    path = project.queries_dir / f"{name}.rq"
    if "/" in name or not path.is_file():
        raise UnknownQueryError(name, [p.stem for p in project.query_files()])
    return read_query(path, display=project.display(path))


def run_query(
    store: Store,
    query: StoredQuery,
    params: Mapping[str, str] | None = None,
    *,
    services: Iterable[str] = (),
) -> QueryResult:
    """Run a stored query with ``params`` (text values; defaults fill the rest).

    A parameter of a SELECT query that is not one of its result columns is a
    :class:`UsageError` (the engines would bind it differently, or not at all). A
    ``SERVICE`` may call only the endpoints in ``services``.
    """
    return stream_query(store, query, params, services=services).collect()


def stream_query(
    store: Store,
    query: StoredQuery,
    params: Mapping[str, str] | None = None,
    *,
    services: Iterable[str] = (),
) -> ResultStream:
    """:func:`run_query`, with the rows read as they come (:class:`ResultStream`)."""
    bindings = query.bindings(params)
    if query.params and query.shape.form == "select":
        hidden = [p.name for p in query.params if p.name not in query.shape.variables]
        if hidden:
            raise UsageError(
                f"{query.where}: parameter {', '.join('?' + n for n in hidden)} is not a "
                "result column; a parameter of a SELECT query must be one of its result columns"
            )
    return stream_sparql(store, query.text, bindings, path=query.where, services=services)


def run_sparql(
    store: Store,
    text: str,
    bindings: Mapping[str, Node] | None = None,
    *,
    path: Path | str | None = None,
    services: Iterable[str] = (),
) -> QueryResult:
    """Run a SPARQL text; errors name ``path`` (the file the text came from).

    The text is checked before the engine sees it (:func:`check_query`): past a limit it is
    :class:`~rustbelt_kg.errors.QueryTooComplex`, an update is a :class:`UsageError`, and a
    ``SERVICE`` to an endpoint not in ``services`` is
    :class:`~rustbelt_kg.errors.ServiceNotAllowed`.
    """
    return stream_sparql(store, text, bindings, path=path, services=services).collect()


def stream_sparql(
    store: Store,
    text: str,
    bindings: Mapping[str, Node] | None = None,
    *,
    path: Path | str | None = None,
    services: Iterable[str] = (),
) -> ResultStream:
    """:func:`run_sparql`, with the rows read as they come (:class:`ResultStream`)."""
    where = str(path) if path is not None else None
    allowed = tuple(services)
    check_services(check_query(text, path=where), allowed, path=where)
    try:
        return store.stream(text, bindings, services=allowed)
    except QuerySyntaxError as error:
        if where is None or error.path is not None:
            raise
        raise QuerySyntaxError(
            error.message, path=where, line=error.line, column=error.column
        ) from error


# -- parsing ------------------------------------------------------------------------------


def parse_queries(queries: Iterable[StoredQuery]) -> None:
    """Parse every query: the first syntax error raises :class:`QuerySyntaxError`."""
    for query in queries:
        query.shape  # noqa: B018 - parsed once, cached on the query


def check_qc_queries(queries: Iterable[StoredQuery]) -> None:
    """Parse every QC query; one that is neither SELECT nor ASK is a :class:`UsageError`."""
    for query in queries:
        if query.shape.form not in ("select", "ask"):
            raise UsageError(
                f"{query.where}: a QC query must be a SELECT (any row is a violation) or an "
                "ASK (true is a violation), not a CONSTRUCT or DESCRIBE"
            )


def run_qc_queries(store: Store, queries: list[StoredQuery]) -> tuple[int, int, list[str]]:
    """Run QC violation queries: ``(passed, total, problems)``.

    A SELECT fails with any row, an ASK when it answers true. Every query is parsed and
    checked (:func:`check_qc_queries`) before the first one runs. ``problems`` holds one
    line per failed query, then up to 20 of its rows, indented.
    """
    check_qc_queries(queries)
    problems: list[str] = []
    passed = 0
    for query in queries:
        result = run_query(store, query)
        intent = f" ({query.title})" if query.title else ""
        if result.kind == "ask":
            if result.boolean:
                problems.append(f"{query.name}{intent}: violated (its ASK answered true)")
            else:
                passed += 1
            continue
        if not result.rows:
            passed += 1
            continue
        problems.append(f"{query.name}{intent}: {len(result.rows)} violation(s)")
        problems.extend(f"    {show_row(row, result.vars)}" for row in result.rows[:20])
        if len(result.rows) > 20:
            problems.append(f"    ... and {len(result.rows) - 20} more")
    return passed, len(queries), problems


def check_expected(store: Store, query: StoredQuery) -> list[str]:
    """Run ``query`` with its defaults and compare with ``NAME.srj``; the differences."""
    if not query.expected_path.is_file():
        return [
            f"no expected result {query.expected_path.name}; review the answer, then write it "
            f"with `rustbelt-kg query {query.name} --write-expected`"
        ]
    actual = run_query(store, query)
    return compare_results(actual, read_expected(query.expected_path), ordered=query.ordered)
