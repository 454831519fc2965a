"""Comparing query answers: as multisets of rows, or in order when the order matters.

:func:`compare_results` gives a diff by row, so a stored query whose answer drifted from
its ``NAME.srj`` says which rows are missing and which are unexpected: one line each, long
values shortened to the place where they differ, at most :data:`MAX_ROWS` rows and then
``... and N more``. Numbers compare by value
within one datatype; a value that only changed datatype (``3700`` vs ``3700.0``) is named
as such. Blank nodes all compare equal.

>>> from rdflib import URIRef
>>> a = QueryResult.select(["x"], [{"x": URIRef("urn:x:a")}])
>>> compare_results(a, QueryResult.select(["x"], []))
['unexpected row: ?x=<urn:x:a>']
"""

from __future__ import annotations

import difflib
import os
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal, InvalidOperation

from rdflib.term import BNode, Literal, Node

from rustbelt_kg import namespaces
from rustbelt_kg.results import QueryResult, normalise
from rustbelt_kg.terms import nt_term, show_term

__all__ = ["MAX_ROWS", "clip", "compare_results", "show_row", "show_term"]

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


def clip(text: str, width: int, at: int | None = None) -> str:
    """``text`` cut to about ``width`` characters with ``…`` where it was cut.

    Without ``at``, the head and the tail stay (a literal keeps its closing quote and
    language tag); with ``at``, a window around that position stays, so that where two
    values part is visible.

    >>> clip("abcdefghijklmnopqrstuvwxyz", 10)
    'abcdef…xyz'
    >>> clip("abcdefghijklmnopqrstuvwxyz", 10, at=13)
    '…klmnopqrs…'
    """
    if len(text) <= width:
        return text
    if at is None or at < width // 2:
        if at is None:
            tail = width // 3
            return text[: width - tail - 1] + "…" + text[len(text) - tail:]
        return text[: width - 1] + "…"
    start = max(0, min(at - width // 3, len(text) - width + 1))
    end = start + width - 1
    return "…" + text[start:end] + ("…" if end < len(text) else "")


def _show_against(row: Mapping[str, Node], other: Mapping[str, Node] | None,
                  names: list[str]) -> str:
    """``row`` as ``?name=value`` pairs with long values shortened.

    Against ``other`` (the most similar row on the other side), a value both share is cut
    short and a value that differs keeps the place where it starts to differ.
    """
    parts = []
    for n in names:
        mine = show_term(row.get(n))
        if other is None:
            shown = clip(mine, VALUE_WIDTH)
        else:
            theirs = show_term(other.get(n))
            if mine == theirs:
                shown = clip(mine, SAME_WIDTH)
            else:
                shown = clip(mine, VALUE_WIDTH, len(os.path.commonprefix([mine, theirs])))
        parts.append(f"?{n}={shown}")
    return " ".join(parts) or "(empty row)"


def _datatype_note(a: Mapping[str, Node], e: Mapping[str, Node], names: list[str]) -> str:
    parts = [
        f"?{n}: expected {clip(show_term(e.get(n)), VALUE_WIDTH)}, "
        f"got {clip(show_term(a.get(n)), VALUE_WIDTH)}"
        for n in names if _key(a.get(n)) != _key(e.get(n))
    ]
    return "same values, different datatypes (" + "; ".join(parts) + ")"


def compare_results(
    actual: QueryResult, expected: QueryResult, *, ordered: bool = False
) -> list[str]:
    """The differences between two answers, one line each; empty when they agree.

    Rows are compared as multisets, or as sequences when ``ordered``: a row of the
    expected result that the answer lacks is a *missing* row, a row of the answer that the
    expected result lacks an *unexpected* one (for ordered results, aligned as ``diff``
    aligns lines, so one missing row is one line, not a shift of every row after it). A
    missing row is shown beside the unexpected row most like it, values shortened to where
    they differ. At most :data:`MAX_ROWS` rows are shown, then ``... and N more``.
    """
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
    rows = _RowDiff(names)
    if ordered:
        rows.ordered(actual.rows, expected.rows)
    else:
        rows.unordered(actual.rows, expected.rows)
    return problems + rows.lines()


#: Rows a comparison shows before ``... and N more``.
MAX_ROWS = 10
#: Longest value shown in a missing or unexpected row, and a value both rows share.
VALUE_WIDTH = 48
SAME_WIDTH = 20

Row = Mapping[str, Node]


class _RowDiff:
    """Collects row differences (missing, unexpected, datatype-only) and renders them."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        self.entries: list[tuple[str, str]] = []  # (kind, line)

    def key(self, row: Row, by: Callable[[Node | None], object] = _key) -> tuple[object, ...]:
        return tuple(by(row.get(n)) for n in self.names)

    def unordered(self, actual: Sequence[Row], expected: Sequence[Row]) -> None:
        got = Counter(self.key(r) for r in actual)
        want = Counter(self.key(r) for r in expected)
        only_expected, only_actual = want - got, got - want
        missing = [r for r in expected if _take(only_expected, self.key(r))]
        extra = [r for r in actual if _take(only_actual, self.key(r))]
        self._pair(missing, extra, None, None)

    def ordered(self, actual: Sequence[Row], expected: Sequence[Row]) -> None:
        got, want = [self.key(r) for r in actual], [self.key(r) for r in expected]
        if Counter(got) == Counter(want):  # the same rows, in another order
            for i, (a, e) in enumerate(zip(actual, expected, strict=True), 1):
                if got[i - 1] != want[i - 1]:
                    self.entries.append(("order", f"row {i}: expected "
                                         f"{_show_against(e, a, self.names)}, got "
                                         f"{_show_against(a, e, self.names)}"))
            return
        matcher = difflib.SequenceMatcher(None, want, got, autojunk=False)
        for op, e1, e2, a1, a2 in matcher.get_opcodes():
            if op != "equal":
                self._pair(expected[e1:e2], actual[a1:a2], e1 + 1, a1 + 1)

    def _pair(self, missing: Sequence[Row], extra: Sequence[Row], e_start: int | None,
              a_start: int | None) -> None:
        """Record ``missing`` and ``extra`` rows, each missing one beside its closest match."""
        names = self.names
        extra_left = list(enumerate(extra))
        for i, e in enumerate(missing):
            same = next(((j, a) for j, a in extra_left
                         if self.key(a, _value) == self.key(e, _value)), None)
            if same is not None:
                extra_left.remove(same)
                label = f"row {e_start + i}" if e_start is not None else \
                    f"row {_show_against(e, same[1], names)}"
                self.entries.append(("datatype", f"{label}: {_datatype_note(same[1], e, names)}"))
                continue
            partner = max(extra_left, key=lambda ja: self._likeness(e, ja[1]), default=None)
            if partner is not None and self._likeness(e, partner[1]) == 0:
                partner = None
            label = f"row {e_start + i} missing: " if e_start is not None else "missing row: "
            like = partner[1] if partner is not None else None
            self.entries.append(("missing", label + _show_against(e, like, names)))
            if partner is not None:
                extra_left.remove(partner)
                self._unexpected(partner, e, a_start)
        for pair in extra_left:
            self._unexpected(pair, None, a_start)

    def _unexpected(self, pair: tuple[int, Row], like: Row | None, a_start: int | None) -> None:
        j, a = pair
        prefix = f"row {a_start + j} unexpected: " if a_start is not None else "unexpected row: "
        self.entries.append(("unexpected", prefix + _show_against(a, like, self.names)))

    def _likeness(self, a: Row, b: Row) -> int:
        return sum(_key(a.get(n)) == _key(b.get(n)) for n in self.names)

    def lines(self) -> list[str]:
        shown = [line for _, line in self.entries[:MAX_ROWS]]
        rest = self.entries[MAX_ROWS:]
        if rest:
            counts = Counter(kind for kind, _ in self.entries)
            total = ", ".join(f"{counts[k]} {k}" for k in
                              ("missing", "unexpected", "datatype", "order") if counts[k])
            shown.append(f"... and {len(rest)} more ({total} in all)")
        return shown


def _take(counts: Counter[tuple[object, ...]], key: tuple[object, ...]) -> bool:
    """Consume one ``key`` from ``counts`` (a difference counter); whether there was one."""
    if counts[key] > 0:
        counts[key] -= 1
        return True
    return False
