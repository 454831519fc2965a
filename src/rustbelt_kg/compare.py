"""Comparing query answers: as multisets of rows, or in order when the order matters.

:func:`compare_results` gives one readable line per difference, so a stored query whose
answer drifted from its ``NAME.srj`` says which rows changed. Numbers compare by value
within one datatype; a value that only changed datatype (``3700`` vs ``3700.0``) is named
as such. Blank nodes all compare equal.

>>> from rdflib import URIRef
>>> a = QueryResult.select(["x"], [{"x": URIRef("urn:x:a")}])
>>> compare_results(a, QueryResult.select(["x"], []))
['unexpected row: ?x=<urn:x:a>']
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from rdflib.term import BNode, Literal, Node

from rustbelt_kg import namespaces
from rustbelt_kg.results import QueryResult, normalise
from rustbelt_kg.terms import nt_term, show_term

__all__ = ["compare_results", "show_row", "show_term"]

_XSD = namespaces.PREFIXES["xsd"]

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


def show_row(row: Mapping[str, Node], names: list[str]) -> str:
    """A result row as ``?name=value`` pairs, in the order of ``names``."""
    return " ".join(f"?{n}={show_term(row.get(n))}" for n in names) or "(empty row)"


def _datatype_note(a: Mapping[str, Node], e: Mapping[str, Node], names: list[str]) -> str:
    parts = [
        f"?{n}: expected {show_term(e.get(n))}, got {show_term(a.get(n))}"
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
                    f"row {i}: expected {show_row(e, names)}, got {show_row(a, names)}"
                )
        for i, e in enumerate(expected.rows[len(actual.rows):], len(actual.rows) + 1):
            problems.append(f"row {i} missing: {show_row(e, names)}")
        for i, a in enumerate(actual.rows[len(expected.rows):], len(expected.rows) + 1):
            problems.append(f"row {i} unexpected: {show_row(a, names)}")
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
            problems.append(f"row {show_row(e, names)}: {_datatype_note(partner, e, names)}")
        else:
            problems.append(f"missing row: {show_row(e, names)}")
    problems.extend(f"unexpected row: {show_row(a, names)}" for a in extra)
    return problems


def _take(counts: Counter[tuple[object, ...]], key: tuple[object, ...]) -> bool:
    """Consume one ``key`` from ``counts`` (a difference counter); whether there was one."""
    if counts[key] > 0:
        counts[key] -= 1
        return True
    return False
