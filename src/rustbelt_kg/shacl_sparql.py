"""SHACL-SPARQL constraints evaluated once for all their focus nodes, not once per node.

A SHACL processor runs a constraint's ``SELECT`` once per focus node, with ``$this``
pre-bound. On Oxigraph a pre-bound variable (a substitution) does not narrow the engine's
lookups, so each run scans what the query touches: the cost grows with the square of the
data. :func:`compile_constraint` instead joins the shape's focus nodes at the head of the
query's ``WHERE`` group (``GRAPH <focus> { ?this <focus-of> <shape> }``, see
:mod:`rustbelt_kg.shacl_core`), so one run gives every focus node's rows, and the validation
builds each result from its row as the processor would (:func:`result_message`).

This gives the same rows as pre-binding when ``$this`` is in scope everywhere the query uses
it: so only a ``SELECT`` that projects ``$this`` (or ``*``), uses it only in the outermost group
and in ``EXISTS`` blocks within it (a ``FILTER`` inside a ``UNION`` branch does not see the outer
group's bindings), and has no subquery, ``MINUS``, ``SERVICE``, aggregate, ``LIMIT`` or
``OFFSET``, nor ``$shapesGraph``, ``$currentShape``, ``$PATH``, a ``?failure`` row,
``GRAPH`` or ``FROM``, is compiled; a shape with any other SHACL-SPARQL constraint is left
whole to pyshacl, which runs it node by node.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from rdflib import Graph, Literal, Namespace
from rdflib.term import Node

from rustbelt_kg.sparql_values import at_group_head

if TYPE_CHECKING:
    from rustbelt_kg.shacl_core import Check

__all__ = ["PROJECTS_THIS", "compile_constraint", "result_message"]

SH = Namespace("http://www.w3.org/ns/shacl#")

#: A ``SELECT`` that projects ``$this`` (or ``*``).
PROJECTS_THIS = re.compile(
    r"\bSELECT\s+(?:DISTINCT\s+|REDUCED\s+)?(?:\*|[^{]*?[?$]this\b)", re.IGNORECASE
)
#: What the compiled query cannot mean as it does on the data graph alone: the store also
#: holds named graphs (each triple's own, the focus nodes), which ``GRAPH`` or ``FROM`` would
#: reach.
_UNSUPPORTED = re.compile(
    r"[?$](?:shapesGraph|currentShape|PATH|failure)\b|(?<![?$:\w])(?:GRAPH|FROM)\b", re.IGNORECASE)


def _prefixes(shapes: Graph, constraint: Node) -> str:
    """``PREFIX`` lines for the ``sh:declare`` of every ``sh:prefixes`` value."""
    lines = []
    for holder in shapes.objects(constraint, SH.prefixes):
        for declaration in shapes.objects(holder, SH.declare):
            prefix = shapes.value(declaration, SH.prefix)
            namespace = shapes.value(declaration, SH.namespace)
            if prefix is not None and namespace is not None:
                lines.append(f"PREFIX {prefix}: <{namespace}>")
    return "\n".join(sorted(set(lines)))


def _refused(text: str) -> bool:
    """Whether the SHACL processor refuses the query (``MINUS``, ``VALUES``, ``SERVICE``,
    ``AS`` of a pre-bound variable): it is left to the processor, which says so."""
    from pyshacl.helper.sparql_query_helper import SPARQLQueryHelper as Helper

    if any(r.search(text) for r in (
        Helper.has_minus_regex, Helper.has_values_regex, Helper.has_service_regex,
    )):
        return True
    rebound = Helper.has_as_var_regex.search(text)
    return rebound is not None and rebound.group(1) in ("this", "shapesGraph", "currentShape")


def compile_constraint(
    shapes: Graph, shape: Node, constraint: Node, focus: str, severity: Node
) -> Check | None:
    """The :class:`~rustbelt_kg.shacl_core.Check` of SPARQL ``constraint`` of node shape
    ``shape`` whose focus nodes ``focus`` (a graph pattern binding ``?this``) gives, or
    ``None`` when it must run node by node (module docstring)."""
    from rustbelt_kg.shacl_core import Check  # noqa: F811 - the class, at run time

    if (constraint, SH.deactivated, None) in shapes or (constraint, SH.ask, None) in shapes:
        return None
    selects = list(shapes.objects(constraint, SH.select))
    if len(selects) != 1:
        return None
    text = str(selects[0])
    if not PROJECTS_THIS.search(text) or _UNSUPPORTED.search(text) or _refused(text):
        return None
    query = at_group_head(text, ["this"], focus)
    if query is None:
        return None
    return Check(
        query=f"{_prefixes(shapes, constraint)}\n{query}",
        shape=shape,
        component=SH.SPARQLConstraintComponent,
        severity=severity,
        messages=tuple(m for m in shapes.objects(shape, SH.message) if isinstance(m, Literal)),
        constraint=constraint,
        extra_messages=tuple(
            m for m in shapes.objects(constraint, SH.message) if isinstance(m, Literal)
        ),
    )


def result_message(message: Literal, bound: Mapping[str, Node]) -> Literal:
    """``message`` with each ``{?name}`` or ``{$name}`` replaced by the text of the value
    ``bound`` gives ``name``, as the SHACL processor fills it in."""
    text = str(message)
    for name, value in bound.items():
        text = re.sub(f"{{[?$]{name}}}", str(value), text)
    return Literal(text)
