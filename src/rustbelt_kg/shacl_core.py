"""SHACL shapes compiled into SPARQL queries that each check one constraint for every focus node.

A node shape with targets whose constraints are all of the kinds below becomes a list of
:class:`Check`: one ``SELECT`` per constraint, evaluated once over all the shape's focus nodes
on the Oxigraph store that holds the data (:mod:`rustbelt_kg.validate`). The focus nodes are
written into the store first, one quad ``?this <FOCUS_OF> <shape>`` each in the graph
:data:`FOCUS_GRAPH`, so a query finds them with one index lookup at the head of its group
rather than as a list in its text. A node shape with anything else (another constraint
component, a complex path, an implicit class target, ``sh:targetObjectsOf``, whose focus nodes
may be literals that no quad can hold as a subject, a shape without ``sh:message`` that would
need the processor's generic messages) is left whole to pyshacl.

The kinds compiled, with the results pyshacl gives for them (same focus node, value, path,
severity, source shape, component and message):

- on the values of a property (an IRI, a sequence of IRIs or an inverse IRI): ``sh:minCount``,
  ``sh:maxCount``, ``sh:class``, ``sh:datatype`` (the XSD types whose lexical forms Oxigraph
  casts, strings and language strings), ``sh:nodeKind``, ``sh:languageIn``, ``sh:pattern``,
  ``sh:minLength``, ``sh:maxLength``, ``sh:minInclusive`` and the other ranges, ``sh:lessThan``,
  ``sh:disjoint``, ``sh:or`` and ``sh:not`` of simple shapes, ``sh:qualifiedValueShape`` of a
  simple shape with ``sh:qualifiedMinCount`` / ``sh:qualifiedMaxCount``;
- on the focus node itself: ``sh:class``, ``sh:nodeKind``, ``sh:pattern``, ``sh:or`` and
  ``sh:not`` of simple shapes, and SHACL-SPARQL ``sh:select`` constraints that give the same
  rows with ``$this`` joined at the head of their group (:mod:`rustbelt_kg.shacl_sparql`).

A simple shape is one that :func:`_conforms` can write as a SPARQL expression: ``sh:class``,
``sh:datatype``, ``sh:nodeKind``, or a property with ``sh:minCount 1``.

``sh:maxCount`` counts the values each source gives (:data:`PER_SOURCE`): the triples of a
claim graph count for the source its evidence quotes (``rbo:evidence`` / ``oa:hasSource``),
the triples of any other graph for that graph. Two sources that give a park different numbers
of start-ups both stand, as the loader, ``check``, QC and the ``disagreements`` query say.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import cast

from rdflib import RDF, RDFS, XSD, BNode, Graph, Literal, Namespace, URIRef
from rdflib.term import Node

from rustbelt_kg.namespaces import PREFIXES

__all__ = ["FOCUS_GRAPH", "FOCUS_OF", "Check", "CompiledShape", "compile_shapes"]

SH = Namespace("http://www.w3.org/ns/shacl#")
OWL_CLASS = URIRef("http://www.w3.org/2002/07/owl#Class")

#: The graph that holds each compiled shape's focus nodes while a validation runs.
FOCUS_GRAPH = "urn:x-rustbelt-kg:validation:focus"
#: ``?this <FOCUS_OF> <shape key>``: ``?this`` is a focus node of the shape.
FOCUS_OF = "urn:x-rustbelt-kg:validation:focus-of"
_SHAPE_KEY = "urn:x-rustbelt-kg:validation:shape/"

#: How ``sh:maxCount`` groups the values of a property it counts: by the source of the claim
#: graph that asserts them, or by the graph itself when it is not a claim.
PER_SOURCE = (
    "OPTIONAL {{ ?g <{rbo}evidence> ?evidence . ?evidence <{oa}hasSource> ?claimSource }} "
    "BIND (COALESCE(?claimSource, ?g) AS ?source)"
).format(rbo=PREFIXES["rbo"], oa=PREFIXES["oa"])

_SUBCLASS = f"<{RDF.type}>/<{RDFS.subClassOf}>*"

#: Datatypes whose well-formed lexical forms Oxigraph's cast to the type accepts.
_CASTS = {XSD[name] for name in (
    "integer", "decimal", "double", "float", "boolean", "date", "dateTime", "duration",
)}
_ALWAYS_WELL_FORMED = {XSD.string, RDF.langString}

_NODE_KINDS: dict[Node, str] = {
    SH.IRI: "isIRI({v})",
    SH.BlankNode: "isBlank({v})",
    SH.Literal: "isLiteral({v})",
    SH.BlankNodeOrIRI: "(isBlank({v}) || isIRI({v}))",
    SH.BlankNodeOrLiteral: "(isBlank({v}) || isLiteral({v}))",
    SH.IRIOrLiteral: "(isIRI({v}) || isLiteral({v}))",
}
_RANGES = {
    SH.minInclusive: ">=", SH.minExclusive: ">", SH.maxInclusive: "<=", SH.maxExclusive: "<",
}

#: What a shape may say without being a constraint.
_NOT_CONSTRAINTS = {
    RDF.type, RDFS.label, RDFS.comment, SH.name, SH.description, SH.message, SH.severity,
    SH.order, SH.group, SH.defaultValue,
}
_TARGETS = {SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode}
_NODE_PARTS = _NOT_CONSTRAINTS | _TARGETS | {
    SH.property, SH["not"], SH["or"], SH["class"], SH.nodeKind, SH.pattern, SH.flags, SH.sparql,
}
_PROPERTY_PARTS = _NOT_CONSTRAINTS | {
    SH.path, SH.minCount, SH.maxCount, SH["class"], SH.datatype, SH.nodeKind, SH.languageIn,
    SH.pattern, SH.flags, SH.minLength, SH.maxLength, SH.lessThan, SH.disjoint,
    SH.qualifiedValueShape, SH.qualifiedMinCount, SH.qualifiedMaxCount, SH["or"], SH["not"],
    *_RANGES,
}


class _Unsupported(Exception):
    """A shape the compiler leaves to pyshacl."""


@dataclass(frozen=True)
class Check:
    """One constraint as a query whose rows are its violations.

    Each row binds ``?this``; ``?value`` is the result's value (unbound: none, unless
    ``value_is_focus``); for SHACL-SPARQL, every variable of the row fills the ``{?name}``
    placeholders of ``extra_messages`` and ``?path`` gives the result path.
    """

    query: str
    shape: Node
    component: URIRef
    severity: Node
    messages: tuple[Literal, ...]
    path: Node | None = None
    value_is_focus: bool = False
    constraint: Node | None = None
    extra_messages: tuple[Literal, ...] = ()


@dataclass
class CompiledShape:
    """A node shape with targets, its focus-node query and its checks."""

    node: Node
    key: str
    targets: str
    checks: list[Check] = field(default_factory=list)


def compile_shapes(shapes: Graph) -> tuple[list[CompiledShape], set[Node]]:
    """The node shapes of ``shapes`` that compile, and every shape with targets that does not
    (pyshacl checks those)."""
    compiled: list[CompiledShape] = []
    left: set[Node] = set()
    targeted = {s for p in _TARGETS for s in shapes.subjects(p, None)}
    targeted |= {
        s for s in shapes.subjects(RDF.type, SH.NodeShape)
        if {RDFS.Class, OWL_CLASS} & set(shapes.objects(s, RDF.type))
    }
    for number, node in enumerate(sorted(targeted, key=lambda n: (isinstance(n, BNode), str(n)))):
        try:
            compiled.append(_Compiler(shapes, node, f"{_SHAPE_KEY}{number}").shape())
        except _Unsupported:
            left.add(node)
    return compiled, left


def _iri(node: Node) -> str:
    if not isinstance(node, URIRef):
        raise _Unsupported(f"not an IRI: {node!r}")
    return f"<{node}>"


def _literal(node: Node) -> str:
    if not isinstance(node, Literal):
        raise _Unsupported(f"not a literal: {node!r}")
    return node.n3()


def _one(shapes: Graph, node: Node, predicate: URIRef) -> Node:
    values = list(shapes.objects(node, predicate))
    if len(values) != 1:
        raise _Unsupported(f"{predicate} given {len(values)} times")
    return values[0]


def _count(shapes: Graph, node: Node, predicate: URIRef) -> int:
    value = _one(shapes, node, predicate)
    if not isinstance(value, Literal) or not isinstance(value.toPython(), int):
        raise _Unsupported(f"{predicate} is not an integer")
    return int(value.toPython())


def _path(shapes: Graph, node: Node) -> str:
    """The SPARQL property path of a SHACL path: an IRI, a sequence of IRIs, or an inverse."""
    if isinstance(node, URIRef):
        return _iri(node)
    if (node, RDF.first, None) in shapes:
        steps = list(shapes.items(node))
        if len(steps) < 2:
            raise _Unsupported("a sequence path of fewer than two steps")
        return "/".join(_iri(step) for step in steps)
    inverse = list(shapes.objects(node, SH.inversePath))
    if len(inverse) == 1 and len(set(shapes.predicates(node, None))) == 1:
        return "^" + _iri(inverse[0])
    raise _Unsupported("a complex path")


def _datatype(datatype: Node, v: str) -> str:
    if datatype in _ALWAYS_WELL_FORMED:
        return f"(isLiteral({v}) && DATATYPE({v}) = {_iri(datatype)})"
    if datatype in _CASTS:
        cast = f"{_iri(datatype)}(STR({v}))"
        return (f"(isLiteral({v}) && DATATYPE({v}) = {_iri(datatype)} "
                f"&& COALESCE(sameTerm({cast}, {cast}), false))")
    raise _Unsupported(f"sh:datatype {datatype}")


def _compared(v: str) -> str:
    """``v`` as pyshacl compares it for ``sh:lessThan``: IRIs and strings by their text."""
    string = f'(DATATYPE({v}) = <{XSD.string}> || LANG({v}) != "")'
    is_text = f"isIRI({v}) || (isLiteral({v}) && {string})"
    return f"IF({is_text}, STR({v}), {v})"


def _is_instance(shapes: Graph, cls: Node, v: str) -> str:
    # The node's types first, then each up to the class: a path from the class down would
    # list every instance of it for every value.
    return f"EXISTS {{ {v} <{RDF.type}> ?_type . ?_type <{RDFS.subClassOf}>* {_iri(cls)} }}"


def _conforms(shapes: Graph, shape: Node, v: str, depth: int = 0) -> str:
    """A SPARQL expression true when the node bound to ``v`` conforms to ``shape``, a simple
    shape without targets (see the module docstring)."""
    if depth > 2 or any((shape, p, None) in shapes for p in _TARGETS):
        raise _Unsupported("a nested shape too deep or with targets")
    if (shape, SH.deactivated, None) in shapes:
        raise _Unsupported("sh:deactivated")
    parts = []
    predicates = set(shapes.predicates(shape, None)) - _NOT_CONSTRAINTS
    if SH.path in predicates:
        if predicates != {SH.path, SH.minCount} or _count(shapes, shape, SH.minCount) != 1:
            raise _Unsupported("a nested property shape other than sh:minCount 1")
        path = _path(shapes, _one(shapes, shape, SH.path))
        return f"EXISTS {{ {v} {path} ?_{depth}_any }}"
    for predicate in sorted(predicates, key=str):
        value = _one(shapes, shape, cast(URIRef, predicate))
        if predicate == SH["class"]:
            parts.append(_is_instance(shapes, value, v))
        elif predicate == SH.datatype:
            parts.append(_datatype(value, v))
        elif predicate == SH.nodeKind and value in _NODE_KINDS:
            parts.append(_NODE_KINDS[value].format(v=v))
        else:
            raise _Unsupported(f"{predicate} in a nested shape")
    if not parts:
        raise _Unsupported("an empty nested shape")
    return "(" + " && ".join(parts) + ")"


class _Compiler:
    """Compiles one node shape with targets into a :class:`CompiledShape`."""

    def __init__(self, shapes: Graph, node: Node, key: str) -> None:
        self.shapes, self.node, self.key = shapes, node, key
        self.focus = f"GRAPH <{FOCUS_GRAPH}> {{ ?this <{FOCUS_OF}> <{key}> }}"

    def shape(self) -> CompiledShape:
        shapes, node = self.shapes, self.node
        if {RDFS.Class, OWL_CLASS} & set(shapes.objects(node, RDF.type)):
            raise _Unsupported("an implicit class target")
        if (node, SH.path, None) in shapes:
            raise _Unsupported("a property shape with targets")
        self._only(node, _NODE_PARTS)
        compiled = CompiledShape(node, self.key, self._targets())
        compiled.checks += self._node_checks()
        for prop in sorted(shapes.objects(node, SH.property), key=str):
            compiled.checks += self._property_checks(prop)
        for constraint in sorted(shapes.objects(node, SH.sparql), key=str):
            from rustbelt_kg.shacl_sparql import compile_constraint

            check = compile_constraint(shapes, node, constraint, self.focus, self._severity(node))
            if check is None:
                raise _Unsupported("a SHACL-SPARQL constraint that must run node by node")
            compiled.checks.append(check)
        return compiled

    def _only(self, node: Node, allowed: set[URIRef]) -> None:
        if (node, SH.deactivated, None) in self.shapes:
            raise _Unsupported("sh:deactivated")
        extra = set(self.shapes.predicates(node, None)) - allowed
        if extra:
            raise _Unsupported(f"{sorted(map(str, extra))}")

    def _targets(self) -> str:
        shapes, node = self.shapes, self.node
        branches = [f"?this {_SUBCLASS} {_iri(c)}" for c in shapes.objects(node, SH.targetClass)]
        branches += [f"?this {_iri(p)} ?_o" for p in shapes.objects(node, SH.targetSubjectsOf)]
        if (node, SH.targetObjectsOf, None) in shapes:  # its focus nodes may be literals,
            raise _Unsupported("sh:targetObjectsOf")  # which no quad of the focus graph holds
        nodes = list(shapes.objects(node, SH.targetNode))
        if nodes:
            branches.append("VALUES ?this { " + " ".join(_iri(n) for n in nodes) + " }")
        return "SELECT DISTINCT ?this WHERE { " + " UNION ".join(
            "{ " + b + " }" for b in branches) + " }"

    def _severity(self, node: Node) -> Node:
        return self.shapes.value(node, SH.severity) or SH.Violation

    def _messages(self, node: Node) -> tuple[Literal, ...]:
        messages = tuple(m for m in self.shapes.objects(node, SH.message) if isinstance(m, Literal))
        if not messages:
            raise _Unsupported("no sh:message")
        return messages

    def _check(self, shape: Node, component: str, query: str, **extra: object) -> Check:
        return Check(
            query=query, shape=shape, component=SH[component], severity=self._severity(shape),
            messages=self._messages(shape), **extra,  # type: ignore[arg-type]
        )

    def _node_checks(self) -> Iterator[Check]:
        shapes, node = self.shapes, self.node
        tests = list(self._value_tests(node, "?this", property_shape=False))
        for component, test in tests:
            query = f"SELECT ?this WHERE {{ {self.focus} FILTER ({test}) }}"
            yield self._check(node, component, query, value_is_focus=True)
        if (node, SH.pattern, None) not in shapes and (node, SH.flags, None) in shapes:
            raise _Unsupported("sh:flags without sh:pattern")

    def _value_tests(
        self, shape: Node, v: str, *, property_shape: bool
    ) -> Iterator[tuple[str, str]]:
        """(component, expression true when the value ``v`` violates it) for each constraint
        on single values."""
        shapes = self.shapes
        for cls in shapes.objects(shape, SH["class"]):
            yield "ClassConstraintComponent", f"!{_is_instance(shapes, cls, v)}"
        for kind in shapes.objects(shape, SH.nodeKind):
            if kind not in _NODE_KINDS:
                raise _Unsupported(f"sh:nodeKind {kind}")
            yield "NodeKindConstraintComponent", "!" + _NODE_KINDS[kind].format(v=v)
        for pattern in shapes.objects(shape, SH.pattern):
            flags = [str(f) for f in shapes.objects(shape, SH.flags)]
            arguments = ", ".join([f"STR({v})", _literal(Literal(str(pattern)))]
                                  + [_literal(Literal(f)) for f in flags])
            yield "PatternConstraintComponent", f"(isBlank({v}) || !REGEX({arguments}))"
        for inner in shapes.objects(shape, SH["not"]):
            yield "NotConstraintComponent", _conforms(shapes, inner, v)
        for members in shapes.objects(shape, SH["or"]):
            tests = [_conforms(shapes, m, v) for m in shapes.items(members)]
            if not tests:
                raise _Unsupported("an empty sh:or")
            yield "OrConstraintComponent", "!(" + " || ".join(tests) + ")"
        if not property_shape:
            return
        for datatype in shapes.objects(shape, SH.datatype):
            yield "DatatypeConstraintComponent", "!" + _datatype(datatype, v)
        for languages in shapes.objects(shape, SH.languageIn):
            tags = [_literal(tag) for tag in shapes.items(languages)]
            matches = " || ".join(f"langMatches(LANG({v}), {tag})" for tag in tags) or "false"
            yield "LanguageInConstraintComponent", f"!(isLiteral({v}) && ({matches}))"
        for bound, name in ((SH.minLength, "MinLength"), (SH.maxLength, "MaxLength")):
            for length in shapes.objects(shape, bound):
                op = "<" if bound == SH.minLength else ">"
                yield (f"{name}ConstraintComponent",
                       f"(isBlank({v}) || STRLEN(STR({v})) {op} {_literal(length)})")
        for bound, op in _RANGES.items():
            for limit in shapes.objects(shape, bound):
                name = str(bound).removeprefix(str(SH))
                yield (f"{name[0].upper()}{name[1:]}ConstraintComponent",
                       f"!COALESCE({v} {op} {_literal(limit)}, false)")

    def _property_checks(self, prop: Node) -> Iterator[Check]:
        shapes = self.shapes
        if any((prop, p, None) in shapes for p in _TARGETS):
            raise _Unsupported("a property shape with targets of its own")
        self._only(prop, _PROPERTY_PARTS)
        path_node = _one(shapes, prop, SH.path)
        path = _path(shapes, path_node)
        focus, check = self.focus, self._check

        def values(test: str, *, keep: str = "") -> str:
            return (f"SELECT DISTINCT ?this ?value {keep} WHERE {{ {focus} "
                    f"?this {path} ?value . FILTER ({test}) }}")

        for component, test in self._value_tests(prop, "?value", property_shape=True):
            yield check(prop, component, values(test), path=path_node)
        for other in shapes.objects(prop, SH.lessThan):
            test = f"!COALESCE({_compared('?value')} < {_compared('?other')}, false)"
            query = (f"SELECT DISTINCT ?this ?value ?other WHERE {{ {focus} ?this {path} ?value . "
                     f"?this {_iri(other)} ?other . FILTER ({test}) }}")
            yield check(prop, "LessThanConstraintComponent", query, path=path_node)
        for other in shapes.objects(prop, SH.disjoint):
            query = (f"SELECT DISTINCT ?this ?value WHERE {{ {focus} ?this {path} ?value . "
                     f"?this {_iri(other)} ?value }}")
            yield check(prop, "DisjointConstraintComponent", query, path=path_node)
        yield from self._counts(prop, path, path_node)

    def _counts(self, prop: Node, path: str, path_node: Node) -> Iterator[Check]:
        shapes, focus, check = self.shapes, self.focus, self._check
        if (prop, SH.minCount, None) in shapes:
            least = _count(shapes, prop, SH.minCount)
            if least == 1:
                query = f"SELECT ?this WHERE {{ {focus} FILTER NOT EXISTS {{ ?this {path} ?v }} }}"
                yield check(prop, "MinCountConstraintComponent", query, path=path_node)
            elif least > 1:
                yield check(prop, "MinCountConstraintComponent", self._fewer(path, "", least),
                            path=path_node)
        if (prop, SH.maxCount, None) in shapes:
            most = _count(shapes, prop, SH.maxCount)
            if isinstance(path_node, URIRef):
                query = (
                    f"SELECT DISTINCT ?this WHERE {{ {{ SELECT ?this ?source "
                    f"(COUNT(DISTINCT ?v) AS ?n) WHERE {{ {focus} GRAPH ?g {{ ?this {path} ?v }} "
                    f"{PER_SOURCE} }} GROUP BY ?this ?source }} FILTER (?n > {most}) }}"
                )
            else:
                query = (f"SELECT ?this WHERE {{ {focus} ?this {path} ?v }} GROUP BY ?this "
                         f"HAVING (COUNT(DISTINCT ?v) > {most})")
            yield check(prop, "MaxCountConstraintComponent", query, path=path_node)
        qualified = list(shapes.objects(prop, SH.qualifiedValueShape))
        bounds = [(p, c) for p, c in ((SH.qualifiedMinCount, "QualifiedMinCount"),
                                      (SH.qualifiedMaxCount, "QualifiedMaxCount"))
                  if (prop, p, None) in shapes]
        if bounds and len(qualified) != 1:
            raise _Unsupported("sh:qualifiedMinCount or MaxCount without one value shape")
        for predicate, name in bounds:
            test = _conforms(shapes, qualified[0], "?v")
            bound = _count(shapes, prop, predicate)
            if predicate == SH.qualifiedMinCount:
                query = self._fewer(path, f"FILTER ({test})", bound)
            else:
                query = (f"SELECT ?this WHERE {{ {focus} ?this {path} ?v . FILTER ({test}) }} "
                         f"GROUP BY ?this HAVING (COUNT(DISTINCT ?v) > {bound})")
            yield check(prop, f"{name}ConstraintComponent", query, path=path_node)

    def _fewer(self, path: str, test: str, least: int) -> str:
        return (f"SELECT ?this WHERE {{ {self.focus} OPTIONAL {{ ?this {path} ?v . {test} }} }} "
                f"GROUP BY ?this HAVING (COUNT(DISTINCT ?v) < {least})")
