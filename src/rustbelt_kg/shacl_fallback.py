"""The shapes the compiler leaves (:mod:`rustbelt_kg.shacl_core`), checked by pyshacl.

pyshacl evaluates SHACL-SPARQL with rdflib, which parses each query again for every focus
node (about 25 ms each). So the shapes it checks run in two passes: the core constraints on an
rdflib graph, and the node shapes' ``sh:sparql`` constraints on an in-memory Oxigraph copy
(pyshacl's Oxigraph backend); each constraint is checked in one pass only. Oxigraph pre-binds
``$this`` by substitution, which differs from SHACL's pre-binding in two places
(``bound($this)`` is false, and ``BIND($this AS ?x)`` leaves ``?x`` unbound), so a node shape
whose queries do either stays in the rdflib pass. Inside :func:`all_focus_nodes_at_once`, a
constraint whose query allows it runs once, with the focus nodes given as
``VALUES $this { ... }`` at the head of its ``WHERE`` group (the conditions of
:mod:`rustbelt_kg.shacl_sparql`), and each focus node gets its rows through pyshacl's own
report building; any other runs node by node.

pyshacl's failures stop here as the project's errors (:func:`run_pyshacl`).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any, cast

import pyoxigraph as ox
from rdflib import RDF, Graph, Namespace, URIRef
from rdflib.term import Node

from rustbelt_kg.errors import ShapesTooDeep, ShapesUnusable
from rustbelt_kg.shacl_sparql import PROJECTS_THIS
from rustbelt_kg.sparql_values import with_values

__all__ = ["BATCH", "Fallback", "all_focus_nodes_at_once", "run_pyshacl", "with_focus_values"]

SH = Namespace("http://www.w3.org/ns/shacl#")

#: How many focus nodes one query run lists in its ``VALUES``.
BATCH = 20_000

_UNSUPPORTED = re.compile(r"[?$](?:shapesGraph|PATH)\b")

#: What a node shape keeps in the SHACL-SPARQL pass: its targets, its SPARQL constraints and
#: what they use (a shape may be its own constraint); its core constraints are checked in the
#: core pass.
_SPARQL_PASS_KEEPS = {
    RDF.type, SH.target, SH.targetClass, SH.targetNode, SH.targetObjectsOf, SH.targetSubjectsOf,
    SH.sparql, SH.select, SH.ask, SH.prefixes, SH.declare, SH.deactivated, SH.severity,
    SH.message,
}
#: ``bound()`` of a pre-bound variable, or ``BIND`` of one alone: see the module docstring.
_UNLIKE_SHACL_PREBINDING = re.compile(
    r"\bbound\s*\(\s*[?$](?:this|value|currentShape|shapesGraph)\s*\)"
    r"|\bBIND\s*\(\s*[?$](?:this|value|currentShape|shapesGraph)\s+AS\b",
    re.IGNORECASE,
)


def run_pyshacl(data: Any, **options: Any) -> tuple[bool, Graph]:
    """One pyshacl run: (conforms, report graph). A shape chain deeper than pyshacl follows
    is :class:`ShapesTooDeep` (exit 6), a failure it returns in the report's place is
    :class:`ShapesUnusable`."""
    import pyshacl
    from pyshacl.errors import ReportableRuntimeError

    try:
        conforms, report, text = pyshacl.validate(data, **options)
    except ReportableRuntimeError as error:
        message = str(getattr(error, "message", error))
        if message.startswith("Validation path too deep"):
            chain = message.split("\n", 1)[-1].split(" -> ")
            raise ShapesTooDeep(
                "the shapes refer to shapes deeper than the SHACL processor follows "
                f"(the chain starts {' -> '.join(chain[:4])} ...); make the chain shorter",
                limit="pyshacl validation depth",
            ) from error
        raise ShapesUnusable(f"the SHACL processor cannot use the shapes: {message}") from error
    if not isinstance(report, Graph):  # pyshacl returns a ValidationFailure in its place
        raise ShapesUnusable(f"the SHACL processor cannot use the shapes: {text}")
    return bool(conforms), report


def _prebinds_unlike_shacl(shapes: Graph, constraint: Node) -> bool:
    """Whether the query of a SPARQL constraint pre-binds differently on Oxigraph."""
    return any(
        _UNLIKE_SHACL_PREBINDING.search(str(query))
        for predicate in (SH.select, SH.ask)
        for query in shapes.objects(constraint, predicate)
    )


class Fallback:
    """The shapes pyshacl checks, split into its two passes once."""

    def __init__(self, shapes: Graph) -> None:
        self.sparql_shapes = sorted(  # node shapes: a property shape has no focus nodes alone
            str(s) for s in set(shapes.subjects(SH.sparql, None))
            if isinstance(s, URIRef) and (s, SH.path, None) not in shapes
            and not any(_prebinds_unlike_shacl(shapes, c) for c in shapes.objects(s, SH.sparql))
        )
        on_oxigraph = {URIRef(s) for s in self.sparql_shapes}
        self.core_shapes = Graph()
        self.core_shapes += (
            (s, p, o) for s, p, o in shapes if p != SH.sparql or s not in on_oxigraph
        )
        self.sparql_pass_shapes = Graph()  # the same shapes, without their core constraints
        self.sparql_pass_shapes += (
            (s, p, o) for s, p, o in shapes if s not in on_oxigraph or p in _SPARQL_PASS_KEEPS
        )

    def run(self, graph: Graph, quads: list[ox.Quad]) -> list[tuple[bool, Graph]]:
        """(conforms, report) of each pass over ``graph``, whose triples ``quads`` are too."""
        runs = [run_pyshacl(graph, shacl_graph=self.core_shapes, inference="none",
                            inplace=True)]
        if self.sparql_shapes:
            store = ox.Store()
            store.extend(quads)
            with all_focus_nodes_at_once():
                runs.append(run_pyshacl(
                    cast(Any, store), shacl_graph=self.sparql_pass_shapes, inference="none",
                    inplace=True, use_shapes=self.sparql_shapes,
                ))
        return runs


def with_focus_values(query: str, nodes: list[Node]) -> str | None:
    """``query`` with ``VALUES $this`` listing ``nodes`` at the head of its ``WHERE`` group,
    or ``None`` when the query is not one that gives the same rows that way.

    >>> from rdflib import URIRef
    >>> with_focus_values("SELECT $this WHERE { $this a ?c }", [URIRef("urn:x")])
    'SELECT $this WHERE { VALUES (?this) { (<urn:x>) } $this a ?c }'
    >>> with_focus_values("SELECT ?c WHERE { $this a ?c }", [URIRef("urn:x")]) is None
    True
    """
    if not PROJECTS_THIS.search(query) or _UNSUPPORTED.search(query):
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
