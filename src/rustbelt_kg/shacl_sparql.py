"""SHACL-SPARQL constraints evaluated once for all their focus nodes, not once per node.

pyshacl runs a constraint's ``SELECT`` once per focus node, with ``$this`` pre-bound. On
Oxigraph a pre-bound variable (a substitution) does not narrow the engine's lookups, so each
run scans what the query touches: the cost grows with the square of the data. Inside
:func:`all_focus_nodes_at_once`, a constraint whose query allows it runs once, with the focus
nodes given as ``VALUES $this { ... }`` at the head of its ``WHERE`` group, and each focus
node gets the rows whose ``$this`` is that node, through pyshacl's own report building.

This gives the same rows as pre-binding when ``$this`` is in scope everywhere the query uses
it: so only a plain ``SELECT`` that projects ``$this`` (or ``*``), uses it only in the
outermost group and in ``EXISTS`` blocks within it (a ``FILTER`` inside a ``UNION`` branch
does not see the outer group's bindings), and has no subquery, ``MINUS``, ``SERVICE``,
aggregate, ``LIMIT`` or ``OFFSET``, and only focus nodes that are IRIs or literals, take this
path; any other constraint, or a query that reports a ``?failure``, runs
node by node as before.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any

from rdflib.term import Node

from rustbelt_kg.sparql_values import with_values

__all__ = ["BATCH", "all_focus_nodes_at_once", "with_focus_values"]

#: How many focus nodes one query run lists in its ``VALUES``.
BATCH = 20_000

_PROJECTS_THIS = re.compile(
    r"\bSELECT\s+(?:DISTINCT\s+|REDUCED\s+)?(?:\*|[^{]*?[?$]this\b)", re.IGNORECASE
)
_UNSUPPORTED = re.compile(r"[?$](?:shapesGraph|PATH)\b")


def with_focus_values(query: str, nodes: list[Node]) -> str | None:
    """``query`` with ``VALUES $this`` listing ``nodes`` at the head of its ``WHERE`` group,
    or ``None`` when the query is not one that gives the same rows that way.

    >>> from rdflib import URIRef
    >>> with_focus_values("SELECT $this WHERE { $this a ?c }", [URIRef("urn:x")])
    'SELECT $this WHERE { VALUES (?this) { (<urn:x>) } $this a ?c }'
    >>> with_focus_values("SELECT ?c WHERE { $this a ?c }", [URIRef("urn:x")]) is None
    True
    """
    if not _PROJECTS_THIS.search(query) or _UNSUPPORTED.search(query):
        return None
    return with_values(query, ["this"], [[n] for n in nodes])


def _rows_by_focus_node(
    component: Any, constraint: Any, target_graph: Any, focus_nodes: list[Node]
) -> dict[Node, list[Any]] | None:
    """The rows of ``constraint`` for every focus node, by focus node; ``None`` when the
    constraint must run node by node."""
    if not focus_nodes:
        return {}
    bindings, text = constraint.pre_bind_variables(focus_nodes[0])
    if "this" not in bindings or set(bindings) - {"this", "currentShape"}:
        return None
    shared = {k: v for k, v in bindings.items() if k != "this"}
    rows: dict[Node, list[Any]] = {}
    for start in range(0, len(focus_nodes), BATCH):
        batch = focus_nodes[start:start + BATCH]
        query = with_focus_values(text, batch)
        if query is None:
            return None
        found = component._validate_sparql_query(
            constraint.apply_prefixes(query), shared, target_graph
        )
        for row in found:
            if len(row) != 4 or row[0] is None:
                return None  # a ?failure, or a row without $this
            rows.setdefault(row[0], []).append(row)
    return rows


@contextlib.contextmanager
def all_focus_nodes_at_once() -> Iterator[None]:
    """Inside the block, pyshacl evaluates SHACL-SPARQL constraints once over all their focus
    nodes where that gives the same results (see the module docstring)."""
    from pyshacl.constraints.sparql.sparql_based_constraints import SPARQLBasedConstraint

    original = SPARQLBasedConstraint._evaluate_sparql_constraint

    def evaluate(self: Any, constraint: Any, target_graph: Any, focus_values: dict) -> Any:
        rows = _rows_by_focus_node(self, constraint, target_graph, list(focus_values))
        if rows is None:
            return original(self, constraint, target_graph, focus_values)

        def lookup(query: str, bindings: dict, graph: Any) -> list[Any]:
            return rows.get(bindings["this"], []) if "this" in bindings else []

        self._validate_sparql_query = lookup
        try:
            return original(self, constraint, target_graph, focus_values)
        finally:
            del self._validate_sparql_query

    SPARQLBasedConstraint._evaluate_sparql_constraint = evaluate  # type: ignore[method-assign]
    try:
        yield
    finally:
        SPARQLBasedConstraint._evaluate_sparql_constraint = original  # type: ignore[method-assign]
