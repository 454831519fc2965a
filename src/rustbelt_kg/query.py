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
query a parameter must be one of the result columns (Oxigraph substitutes only those).

The expected answer sits beside the query as ``NAME.srj`` (SPARQL-JSON, as written by
``rustbelt-kg query NAME --format json``). :func:`compare_results` compares answers as
multisets of rows, in order when the query has a top-level ``ORDER BY``.

>>> expand_iri("rb:wan-long")
rdflib.term.URIRef('https://w3id.org/rustbelt-kg/id/wan-long')
>>> has_top_level_order_by("SELECT * { { SELECT ?x { ?x ?p ?o } ORDER BY ?x } }")
False
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING

from rdflib.term import BNode, Literal, Node, URIRef

from rustbelt_kg import namespaces
from rustbelt_kg.errors import QuerySyntaxError, UnknownQueryError, UsageError
from rustbelt_kg.export import compact_iri, nt_term
from rustbelt_kg.results import QueryResult, normalise, read_expected

if TYPE_CHECKING:
    from rustbelt_kg.project import Project
    from rustbelt_kg.store import Store

__all__ = [
    "Param",
    "StoredQuery",
    "check_expected",
    "compare_results",
    "expand_iri",
    "get_query",
    "has_top_level_order_by",
    "list_qc_queries",
    "list_queries",
    "read_query",
    "run_query",
    "run_sparql",
]

_XSD = namespaces.PREFIXES["xsd"]


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
        term = Literal(text, datatype=datatype)
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


def read_query(path: Path) -> StoredQuery:
    """Read a query file and its ``#+ key: value`` header."""
    text = path.read_text(encoding="utf-8")
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
            params.append(_param(path, value))
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
    )


def _param(path: Path, value: str) -> Param:
    parts = [p.strip() for p in value.split("|")]
    if len(parts) < 2 or not parts[0]:
        raise UsageError(f"{path}: a param line is 'name | kind | default | help', got {value!r}")
    parts += [""] * (4 - len(parts))
    name, kind, default = parts[0].lstrip("?$"), parts[1], parts[2]
    help_text = " | ".join(parts[3:])
    return Param(name, kind, None if default in ("", "-") else default, help_text.strip())


def list_queries(project: Project) -> list[StoredQuery]:
    """The stored queries of ``project``, sorted by name."""
    return [read_query(path) for path in project.query_files()]


def list_qc_queries(project: Project) -> list[StoredQuery]:
    """The QC violation queries (``queries/qc/*-violation.rq``), sorted by name."""
    return [read_query(path) for path in project.qc_files()]


def get_query(project: Project, name: str) -> StoredQuery:
    """The stored query ``name``; :class:`UnknownQueryError` lists the names there are."""
    path = project.queries_dir / f"{name}.rq"
    if "/" in name or not path.is_file():
        raise UnknownQueryError(name, [p.stem for p in project.query_files()])
    return read_query(path)


def run_query(
    store: Store, query: StoredQuery, params: Mapping[str, str] | None = None
) -> QueryResult:
    """Run a stored query with ``params`` (text values; defaults fill the rest)."""
    return run_sparql(store, query.text, query.bindings(params), path=query.path)


def run_sparql(
    store: Store,
    text: str,
    bindings: Mapping[str, Node] | None = None,
    *,
    path: Path | str | None = None,
) -> QueryResult:
    """Run a SPARQL text; a syntax error names ``path`` (the file the text came from)."""
    try:
        return store.query(text, bindings)
    except QuerySyntaxError as error:
        if path is None or error.path is not None:
            raise
        raise QuerySyntaxError(
            error.message, path=path, line=error.line, column=error.column
        ) from error


# -- ORDER BY -----------------------------------------------------------------------------

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


# -- comparing answers --------------------------------------------------------------------

_NUMERIC = {_XSD + t for t in ("integer", "decimal", "double", "float", "int", "long",
                               "nonNegativeInteger", "positiveInteger")}


def _key(term: Node | None) -> object:
    """Equality key: blank nodes all equal, numbers by value within one datatype."""
    if term is None:
        return None
    if isinstance(term, BNode):
        return ("bnode",)
    term = normalise(term)
    if isinstance(term, Literal) and str(term.datatype) in _NUMERIC:
        try:
            return ("number", str(term.datatype), Decimal(str(term)).normalize())
        except InvalidOperation:
            pass
    return (type(term).__name__, nt_term(term))


def _value(term: Node | None) -> object:
    """Key ignoring the numeric datatype, to explain integer-vs-decimal differences."""
    if isinstance(term, Literal) and str(term.datatype) in _NUMERIC:
        try:
            return ("number", Decimal(str(term)).normalize())
        except InvalidOperation:
            pass
    return _key(term)


def _show(term: Node | None) -> str:
    if term is None:
        return "(unbound)"
    if isinstance(term, URIRef):
        return compact_iri(str(term), strict=False) or nt_term(term)
    if isinstance(term, Literal) and term.datatype is not None:
        datatype = compact_iri(str(term.datatype)) or str(term.datatype)
        return f"{nt_term(Literal(str(term)))}^^{datatype}"
    return nt_term(term)


def _show_row(row: Mapping[str, Node], names: list[str]) -> str:
    return " ".join(f"?{n}={_show(row.get(n))}" for n in names) or "(empty row)"


def _datatype_note(a: Mapping[str, Node], e: Mapping[str, Node], names: list[str]) -> str:
    parts = [
        f"?{n}: expected {_show(e.get(n))}, got {_show(a.get(n))}"
        for n in names if _key(a.get(n)) != _key(e.get(n))
    ]
    return "same values, different datatypes (" + "; ".join(parts) + ")"


def compare_results(
    actual: QueryResult, expected: QueryResult, *, ordered: bool = False
) -> list[str]:
    """The differences between two answers, one line each; empty when they agree."""
    if actual.kind != expected.kind:
        return [f"expected a {expected.kind} result, got a {actual.kind} result"]
    if actual.kind == "ask":
        if actual.boolean != expected.boolean:
            return [f"expected {expected.boolean}, got {actual.boolean}"]
        return []
    if actual.kind == "graph":
        from rdflib.compare import isomorphic

        same = isomorphic(actual.graph, expected.graph)  # type: ignore[arg-type]
        return [] if same else ["the graphs are not isomorphic"]
    problems: list[str] = []
    if actual.vars != expected.vars:
        problems.append(
            f"columns differ: expected {' '.join('?' + v for v in expected.vars)}, "
            f"got {' '.join('?' + v for v in actual.vars)}"
        )
    names = list(dict.fromkeys(expected.vars + actual.vars))

    def key(row: Mapping[str, Node], by=_key) -> tuple[object, ...]:
        return tuple(by(row.get(n)) for n in names)

    if ordered:
        if len(actual.rows) != len(expected.rows):
            problems.append(f"expected {len(expected.rows)} rows, got {len(actual.rows)}")
        for i, (a, e) in enumerate(zip(actual.rows, expected.rows, strict=False), 1):
            if key(a) == key(e):
                continue
            if key(a, _value) == key(e, _value):
                problems.append(f"row {i}: {_datatype_note(a, e, names)}")
            else:
                problems.append(
                    f"row {i}: expected {_show_row(e, names)}, got {_show_row(a, names)}"
                )
        for i, e in enumerate(expected.rows[len(actual.rows):], len(actual.rows) + 1):
            problems.append(f"row {i} missing: {_show_row(e, names)}")
        for i, a in enumerate(actual.rows[len(expected.rows):], len(expected.rows) + 1):
            problems.append(f"row {i} unexpected: {_show_row(a, names)}")
        return problems
    got = Counter(key(r) for r in actual.rows)
    want = Counter(key(r) for r in expected.rows)
    only_expected, only_actual = want - got, got - want
    missing = [r for r in expected.rows if _take(only_expected, key(r))]
    extra = [r for r in actual.rows if _take(only_actual, key(r))]
    for e in missing:
        partner = next((a for a in extra if key(a, _value) == key(e, _value)), None)
        if partner is not None:
            extra.remove(partner)
            problems.append(f"row {_show_row(e, names)}: {_datatype_note(partner, e, names)}")
        else:
            problems.append(f"missing row: {_show_row(e, names)}")
    problems.extend(f"unexpected row: {_show_row(a, names)}" for a in extra)
    return problems


def _take(counts: Counter[tuple[object, ...]], key: tuple[object, ...]) -> bool:
    """Consume one ``key`` from ``counts`` (a difference counter); whether there was one."""
    if counts[key] > 0:
        counts[key] -= 1
        return True
    return False


def check_expected(store: Store, query: StoredQuery) -> list[str]:
    """Run ``query`` with its defaults and compare with ``NAME.srj``; the differences."""
    if not query.expected_path.is_file():
        return [
            f"no expected result {query.expected_path.name}; review the answer, then write it "
            f"with `rustbelt-kg query {query.name} --write-expected`"
        ]
    actual = run_query(store, query)
    return compare_results(actual, read_expected(query.expected_path), ordered=query.ordered)
