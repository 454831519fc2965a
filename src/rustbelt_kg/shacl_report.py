"""The SHACL validation report of compiled checks, written as the SHACL processor writes it.

:func:`run_checks` writes the compiled shapes' focus nodes into the store
(:data:`~rustbelt_kg.shacl_core.FOCUS_GRAPH`), runs each :class:`~rustbelt_kg.shacl_core.Check`
once, and adds one ``sh:ValidationResult`` per row to the report, with the fields pyshacl
gives: focus node, value, result path (a complex path copied from the shapes), severity,
source shape, constraint component, source constraint and messages. Only the rows, the
violations, become rdflib terms.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox
from rdflib import RDF, BNode, Graph, Namespace
from rdflib.term import Node

from rustbelt_kg import namespaces
from rustbelt_kg.shacl_core import FOCUS_GRAPH, FOCUS_OF, Check, CompiledShape
from rustbelt_kg.shacl_sparql import result_message
from rustbelt_kg.terms import from_oxigraph

__all__ = ["merge_report", "new_report", "run_checks"]

SH = Namespace("http://www.w3.org/ns/shacl#")


def new_report() -> Graph:
    """An empty ``sh:ValidationReport`` graph with the project's prefixes bound."""
    report = Graph(bind_namespaces="none")
    for prefix, iri in namespaces.PREFIXES.items():
        report.bind(prefix, iri)
    report.add((BNode(), RDF.type, SH.ValidationReport))
    return report


def _report_node(report: Graph) -> Node:
    return next(report.subjects(RDF.type, SH.ValidationReport))


def merge_report(report: Graph, other: Graph) -> None:
    """Add the results of the report graph ``other`` to ``report``."""
    node = _report_node(report)
    others = set(other.subjects(RDF.type, SH.ValidationReport))
    for each in others:
        for result in other.objects(each, SH.result):
            report.add((node, SH.result, result))
    report += ((s, p, o) for s, p, o in other if s not in others)


def _copy(shapes: Graph, node: Node, report: Graph) -> None:
    """Copy what ``shapes`` says about the blank node ``node`` (a path, a shape) into
    ``report``, with the blank nodes it reaches."""
    todo, seen = [node], set()
    while todo:
        current = todo.pop()
        if current in seen or not isinstance(current, BNode):
            continue
        seen.add(current)
        for p, o in shapes.predicate_objects(current):
            report.add((current, p, o))
            todo.append(o)


def run_checks(
    store: ox.Store, compiled: Iterable[CompiledShape], shapes: Graph, report: Graph
) -> bool:
    """Run every check of ``compiled`` on ``store`` (its default graph the data, its named
    graphs where each triple comes from), adding a result to ``report`` per violation;
    whether there was none."""
    compiled = list(compiled)
    for shape in compiled:
        store.update(
            f"INSERT {{ GRAPH <{FOCUS_GRAPH}> {{ ?this <{FOCUS_OF}> <{shape.key}> }} }} "
            f"WHERE {{ {{ {shape.targets} }} }}"
        )
    node = _report_node(report)
    conforms = True
    for shape in compiled:
        for check in shape.checks:
            for row in _rows(store, check):
                conforms = False
                report.add((node, SH.result, _result(report, shapes, check, row)))
    store.remove_graph(ox.NamedNode(FOCUS_GRAPH))
    return conforms


def _rows(store: ox.Store, check: Check) -> list[dict[str, Node]]:
    answer = store.query(check.query)
    assert isinstance(answer, ox.QuerySolutions)
    names = [v.value for v in answer.variables]
    rows, seen = [], set()
    for solution in answer:
        row = {n: from_oxigraph(solution[n]) for n in names if solution[n] is not None}
        key = tuple(sorted(row.items()))
        if key not in seen:  # the processor reports a repeated row once
            seen.add(key)
            rows.append(row)
    return rows


def _result(report: Graph, shapes: Graph, check: Check, row: dict[str, Node]) -> BNode:
    focus = row["this"]
    value = row.get("value")
    if value is None and (check.value_is_focus or check.constraint is not None):
        value = focus
    path = row.get("path") if check.constraint is not None else check.path
    result = BNode()
    report.add((result, RDF.type, SH.ValidationResult))
    report.add((result, SH.sourceConstraintComponent, check.component))
    report.add((result, SH.sourceShape, check.shape))
    _copy(shapes, check.shape, report)
    report.add((result, SH.resultSeverity, check.severity))
    report.add((result, SH.focusNode, focus))
    if value is not None:
        report.add((result, SH.value, value))
    if path is not None:
        report.add((result, SH.resultPath, path))
        _copy(shapes, path, report)
    if check.constraint is None:
        for message in check.messages:
            report.add((result, SH.resultMessage, message))
        return result
    report.add((result, SH.sourceConstraint, check.constraint))
    bound = {k: v for k, v in row.items() if k not in ("this", "path", "value")}
    bound["this"] = focus
    if path is not None:
        bound["path"] = path
    if value is not None:
        bound["value"] = value
    messages = [m for m in check.extra_messages if m not in check.messages]
    for message in [*messages, *check.messages]:
        report.add((result, SH.resultMessage, result_message(message, bound)))
    return result
