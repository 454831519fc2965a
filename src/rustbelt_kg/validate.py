"""SHACL validation (pyshacl) behind a typed :class:`ValidationResult`, and readable reports.

:func:`validate` checks the union of the data's graphs, with the ontology merged in, against a
shapes graph. Subclass targeting follows ``rdfs:subClassOf`` in that merged graph, as SHACL
defines ``sh:targetClass`` and ``sh:class``, so no inference runs: RDFS inference would type
every object of ``rbo:foundedBy`` a person (its ``rdfs:range``) and make "a company's founder
is a person" impossible to violate.

pyshacl evaluates SHACL-SPARQL with rdflib, which parses each query again for every focus
node (about 25 ms each: seconds for the article). So validation runs in two passes: the core
constraints on the rdflib graph, and the node shapes' ``sh:sparql`` constraints on an
in-memory Oxigraph copy of it (pyshacl's Oxigraph backend); the reports are merged into one.
Each constraint is checked in one pass only. Oxigraph pre-binds ``$this`` by substitution,
which differs from SHACL's pre-binding in two places (``bound($this)`` is false, and
``BIND($this AS ?x)`` leaves ``?x`` unbound), so a node shape whose queries do either stays in
the rdflib pass. A constraint runs once over all its focus nodes where that gives the same
rows (:mod:`rustbelt_kg.shacl_sparql`), not once per node. Prefixes declared by an ontology
that a ``sh:prefixes`` value imports (``owl:imports``) are added to that value first, as SHACL
defines and pyshacl does not.
The W3C SHACL test suite runs through this path (``tests/test_w3c_shacl.py``).

:meth:`ValidationResult.render` groups violations by entity and names the claim and article
sentence behind each failing fact. :class:`RudofValidator` runs a second engine, rudof.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pyoxigraph as ox
from rdflib import OWL, RDF, RDFS, XSD, BNode, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.namespace import NamespaceManager
from rdflib.paths import AlternativePath, InvPath, MulPath, SequencePath
from rdflib.paths import Path as RdfPath
from rdflib.term import Node

from rustbelt_kg import namespaces
from rustbelt_kg.errors import RustbeltError, ShapesTooDeep, ShapesUnusable
from rustbelt_kg.shacl_sparql import all_focus_nodes_at_once

if TYPE_CHECKING:
    from rustbelt_kg.provenance import Evidence

__all__ = [
    "RudofResult",
    "RudofValidator",
    "ValidationResult",
    "Validator",
    "Violation",
    "load_shapes",
    "validate",
    "validate_with_rudof",
]

SH = Namespace("http://www.w3.org/ns/shacl#")


@dataclass(frozen=True)
class Violation:
    """One result of a SHACL validation report, in rdflib terms.

    ``result_path`` is an IRI, an :class:`rdflib.paths.Path` for a complex path, or ``None``
    (SPARQL and node-level constraints). ``severity`` is ``"Violation"``, ``"Warning"`` or
    ``"Info"``. ``node_shape`` is the node shape ``source_shape`` belongs to (itself for a node
    shape); ``source_constraint`` is the SPARQL constraint of a SHACL-SPARQL result.
    """

    focus_node: Node
    result_path: URIRef | RdfPath | None
    value: Node | None
    severity: str
    source_shape: Node
    source_constraint_component: URIRef
    message: str
    node_shape: Node
    source_constraint: Node | None = None


@dataclass(frozen=True)
class ValidationResult:
    """The outcome of :func:`validate`: ``conforms``, the ``violations`` sorted by focus node,
    and the ``report_graph`` (one ``sh:ValidationReport`` with every ``sh:result``)."""

    conforms: bool
    violations: list[Violation]
    report_graph: Graph

    def render(self, dataset: Graph | Dataset, source_text: str | None = None) -> str:
        """A readable report, grouped by entity, naming the claim and sentence behind each fact.

        ``dataset`` holds the claim graphs and ``rbg:provenance``; with ``source_text`` (the
        article) each claim is shown by its full sentence, else by its quote.
        """
        return _Report(dataset, source_text).render(self)


def load_shapes(paths: Iterable[Path]) -> Graph:
    """Parse SHACL shapes files (Turtle) into one graph.

    A syntax error raises :class:`~rustbelt_kg.errors.RdfSyntaxError` with file, line, column.
    """
    from rustbelt_kg.load import parse_file

    graph = Graph(bind_namespaces="none")
    for prefix, iri in namespaces.PREFIXES.items():
        graph.bind(prefix, iri)
    for path in paths:
        for s, p, o, _ in parse_file(Path(path), "turtle"):
            graph.add((s, p, o))
    return graph


def validate(
    data: Graph | Dataset, shapes: Graph, ontology: Graph | None = None
) -> ValidationResult:
    """Validate ``data`` (a graph, or a dataset: the union of its graphs) against ``shapes``.

    ``ontology`` is merged into the data so that shapes reach subclass instances (an
    ``rbo:Startup`` is checked by the ``rbo:Company`` shape) and ``sh:class`` accepts them; pass
    it unless the data holds the ontology already.
    """
    return Validator(shapes, ontology).validate(data)


class Validator:
    """Shapes and ontology prepared once, for validating many data graphs (as :func:`validate`)."""

    def __init__(self, shapes: Graph, ontology: Graph | None = None) -> None:
        self.shapes = shapes = _with_imported_prefixes(shapes)
        self.ontology = [(s, p, _plain(o)) for s, p, o in ontology or ()]
        self.ontology_quads = [_to_oxigraph(triple) for triple in self.ontology]
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

    def validate(self, data: Graph | Dataset) -> ValidationResult:
        """Validate ``data``: a graph, or a dataset standing for the union of its graphs."""

        triples = [(s, p, _plain(o)) for s, p, o in _triples(data)]
        graph = Graph(bind_namespaces="none")
        graph += triples
        graph += self.ontology
        runs = [_pyshacl(graph, shacl_graph=self.core_shapes, inference="none", inplace=True)]
        if self.sparql_shapes:
            store = ox.Store()
            store.extend([*map(_to_oxigraph, triples), *self.ontology_quads])
            with all_focus_nodes_at_once():
                runs.append(_pyshacl(
                    cast(Any, store), shacl_graph=self.sparql_pass_shapes, inference="none",
                    inplace=True, use_shapes=self.sparql_shapes,
                ))
        report = _merge_reports([run[1] for run in runs])
        violations = sorted(
            _violations(report, self.shapes),
            key=lambda v: (str(v.focus_node), str(v.node_shape), str(v.source_shape), v.message),
        )
        conforms = all(bool(run[0]) for run in runs)
        return ValidationResult(conforms=conforms, violations=violations, report_graph=report)


def _pyshacl(data: Any, **options: Any) -> tuple[bool, Graph]:
    """One pyshacl run: (conforms, report graph). pyshacl's failures stop here as the
    project's errors: a shape chain deeper than it follows is :class:`ShapesTooDeep`
    (exit 6), a failure it returns in the report's place is :class:`ShapesUnusable`."""
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


def _prebinds_unlike_shacl(shapes: Graph, constraint: Node) -> bool:
    """Whether the query of a SPARQL constraint pre-binds differently on Oxigraph."""
    return any(
        _UNLIKE_SHACL_PREBINDING.search(str(query))
        for predicate in (SH.select, SH.ask)
        for query in shapes.objects(constraint, predicate)
    )


def _with_imported_prefixes(shapes: Graph) -> Graph:
    """``shapes`` with every ``sh:prefixes`` value also declaring the prefixes of the
    ontologies it imports, transitively (SHACL 5.2.1); the input graph is not changed."""
    holders = set(shapes.objects(None, SH.prefixes))
    imported: list[tuple[Node, Node, Node]] = []
    for holder in holders:
        seen, todo = {holder}, list(shapes.objects(holder, OWL.imports))
        while todo:
            ontology = todo.pop()
            if ontology in seen:
                continue
            seen.add(ontology)
            todo.extend(shapes.objects(ontology, OWL.imports))
            imported += ((holder, SH.declare, d) for d in shapes.objects(ontology, SH.declare))
    if not imported:
        return shapes
    expanded = Graph(bind_namespaces="none")
    expanded += shapes
    expanded += imported
    return expanded


# -- inputs and outputs ---------------------------------------------------------------------


def _triples(data: Graph) -> Iterator[tuple[Node, Node, Node]]:
    if isinstance(data, Dataset):
        yield from ((s, p, o) for s, p, o, _ in data.quads((None, None, None, None)))
    else:
        yield from data


def _plain(term: Node) -> Node:
    """``"x"^^xsd:string`` as ``"x"`` (rdflib tells them apart; RDF 1.1 does not)."""
    return Literal(str(term)) if isinstance(term, Literal) and term.datatype == XSD.string else term


def _to_oxigraph(triple: tuple[Node, Node, Node]) -> ox.Quad:
    from rustbelt_kg.store import to_oxigraph

    s, p, o = (to_oxigraph(term) for term in triple)
    return ox.Quad(cast(ox.NamedNode, s), cast(ox.NamedNode, p), o, ox.DefaultGraph())


def _merge_reports(reports: list[Graph]) -> Graph:
    merged = Graph(bind_namespaces="none")
    for prefix, iri in namespaces.PREFIXES.items():
        merged.bind(prefix, iri)
    report_node = BNode()
    merged.add((report_node, RDF.type, SH.ValidationReport))
    conforms = True
    for report in reports:
        nodes = set(report.subjects(RDF.type, SH.ValidationReport))
        for node in nodes:
            conforms = conforms and bool(report.value(node, SH.conforms, default=Literal(True)))
            for result in report.objects(node, SH.result):
                merged.add((report_node, SH.result, result))
        merged += ((s, p, o) for s, p, o in report if s not in nodes)
    merged.add((report_node, SH.conforms, Literal(conforms)))
    return merged


_MODIFIERS = {SH.zeroOrMorePath: "*", SH.oneOrMorePath: "+", SH.zeroOrOnePath: "?"}


def _path(graph: Graph, node: Node) -> URIRef | RdfPath:
    """The rdflib path for a SHACL property path in ``graph``."""
    if isinstance(node, URIRef):
        return node
    if (node, RDF.first, None) in graph:
        return SequencePath(*(_path(graph, n) for n in graph.items(node)))
    for predicate, inner in graph.predicate_objects(node):
        if predicate in _MODIFIERS:
            return MulPath(_path(graph, inner), cast(Any, _MODIFIERS[cast(URIRef, predicate)]))
        if predicate == SH.inversePath:
            return InvPath(_path(graph, inner))
        if predicate == SH.alternativePath:
            return AlternativePath(*(_path(graph, n) for n in graph.items(inner)))
    raise RustbeltError(f"unsupported SHACL path in the validation report: {node!r}")


def _violations(report: Graph, shapes: Graph) -> Iterator[Violation]:
    for result in report.objects(None, SH.result):
        path = report.value(result, SH.resultPath)
        shape = cast(Node, report.value(result, SH.sourceShape))
        owners = sorted(shapes.subjects(SH.property, shape), key=str)
        severity = report.value(result, SH.resultSeverity, default=SH.Violation)
        value = report.value(result, SH.value)  # from Oxigraph, "x" comes back "x"^^xsd:string
        yield Violation(
            focus_node=_plain(cast(Node, report.value(result, SH.focusNode))),
            result_path=None if path is None else _path(report, path),
            value=None if value is None else _plain(value),
            severity=str(severity).removeprefix(str(SH)),
            source_shape=shape,
            source_constraint_component=cast(
                URIRef, report.value(result, SH.sourceConstraintComponent)
            ),
            message=" ".join(sorted(str(m) for m in report.objects(result, SH.resultMessage))),
            node_shape=owners[0] if owners else shape,
            source_constraint=report.value(result, SH.sourceConstraint),
        )


# -- a second engine ------------------------------------------------------------------------


@dataclass(frozen=True)
class RudofResult:
    """What rudof reports: ``conforms``, and its results as ``(focus node, source shape,
    constraint component)`` IRIs; a source shape that is a blank node is ``None``."""

    conforms: bool
    results: frozenset[tuple[str, str | None, str]]


class RudofValidator:
    """rudof (``pyrudof``) with a shapes graph loaded once, for validating many data graphs.

    rudof supports SHACL core and SHACL-SPARQL constraints (``sh:sparql`` with ``sh:select``,
    ``sh:prefixes``). Parsing is strict: a syntax error raises, no triple is dropped.
    """

    def __init__(self, shapes_ttl: str) -> None:
        try:
            import pyrudof
        except ImportError as error:  # pragma: no cover - pyrudof is a test dependency
            raise RustbeltError("pyrudof is not installed (it is a test extra)") from error
        self._pyrudof: Any = pyrudof
        self._rudof = pyrudof.Rudof(pyrudof.RudofConfig())
        with self._errors():
            self._rudof.read_shacl(shapes_ttl, format=pyrudof.ShaclFormat.Turtle,
                                   reader_mode=pyrudof.ReaderMode.Strict)

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except self._pyrudof.RudofError as error:
            raise RustbeltError(f"rudof: {error}") from error

    def validate(self, data_ttl: str) -> RudofResult:
        """Validate Turtle ``data_ttl`` (merge the ontology in first, as :func:`validate` does)."""
        with self._errors():
            self._rudof.reset_data()
            self._rudof.read_data(data_ttl, format=self._pyrudof.RDFFormat.Turtle,
                                  reader_mode=self._pyrudof.ReaderMode.Strict)
            report = self._rudof.validate_shacl()
        results = frozenset(
            (e.focus_node, None if (e.source_shape or "_:").startswith("_:") else e.source_shape,
             e.constraint_component)
            for e in report.violations
        )
        return RudofResult(conforms=bool(report.conforms), results=results)


def validate_with_rudof(data_ttl: str, shapes_ttl: str) -> RudofResult:
    """Validate Turtle ``data_ttl`` against Turtle ``shapes_ttl`` with rudof, once."""
    return RudofValidator(shapes_ttl).validate(data_ttl)


# -- the readable report --------------------------------------------------------------------


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


class _Report:
    """Renders a :class:`ValidationResult` against the dataset its data came from."""

    def __init__(self, dataset: Graph, source_text: str | None) -> None:
        from rustbelt_kg.provenance import evidence

        self.dataset = dataset
        self.source_text = source_text
        self.manager = NamespaceManager(Graph(bind_namespaces="none"), bind_namespaces="none")
        for prefix, iri in namespaces.PREFIXES.items():
            self.manager.bind(prefix, iri)
        self.evidence: dict[str, Evidence] = {}
        if isinstance(dataset, Dataset):
            for item in evidence(dataset):
                self.evidence.setdefault(item.claim, item)

    def short(self, term: Node | RdfPath) -> str:
        """``term`` in Turtle, IRIs shortened with the project's prefixes (``rb:wan-long``)."""
        if isinstance(term, Literal):
            if term.language:
                return f"{_quoted(str(term))}@{term.language}"
            if term.datatype is None or term.datatype == XSD.string:
                return _quoted(str(term))
            if term.datatype in (XSD.integer, XSD.decimal, XSD.boolean):
                return str(term)
            return f"{_quoted(str(term))}^^{self.short(term.datatype)}"
        return term.n3(self.manager)

    def quads(self, s: Node, p: Node | None, o: Node | None) -> Iterator[tuple[Node, str | None]]:
        """(predicate, graph name or ``None``) of the matching triples."""
        if isinstance(self.dataset, Dataset):
            for _, qp, _, g in self.dataset.quads((s, p, o, None)):
                yield qp, str(getattr(g, "identifier", g))
        else:
            for _, tp, _ in self.dataset.triples((s, p, o)):
                yield tp, None

    def labels(self, focus: Node) -> list[str]:
        if isinstance(self.dataset, Dataset):
            return sorted(str(q[2]) for q in self.dataset.quads((focus, RDFS.label, None, None)))
        return sorted(str(label) for label in self.dataset.objects(focus, RDFS.label))

    def claims(self, s: Node, p: Node | None, o: Node | None) -> list[str]:
        names = {g for _, g in self.quads(s, p, o)}
        return sorted(g for g in names if g is not None and g.startswith(namespaces.CLAIM))

    def fact(self, violation: Violation) -> tuple[str, list[str], str]:
        """The failing fact, the claims behind it, and how they relate to it: ``"claim"`` (they
        assert it), ``"missing"`` (none does; these say something else about the focus node)
        or ``"about"`` (a node-level rule: these are the claims about the focus node)."""
        focus, path, value = violation.focus_node, violation.result_path, violation.value
        value = None if value == focus else value
        if path is None and value is not None:
            path = cast(URIRef | None, next((p for p, _ in self.quads(focus, None, value)), None))
        subject = self.short(focus)
        if path is None:
            text = subject if value is None else f"{subject} ... {self.short(value)}"
            return text, self.claims(focus, None, None), "about"
        shown = "(missing or miscounted)" if value is None else self.short(value)
        text = f"{subject} {self.short(path)} {shown}"
        claims = self.claims(focus, path, value) if isinstance(path, URIRef) else []
        if claims:
            return text, claims, "claim"
        return text, self.claims(focus, None, None), "missing"

    def passage(self, claim: str) -> str:
        from rustbelt_kg.provenance import sentence_at

        item = self.evidence.get(claim)
        if item is None or item.exact is None:
            return "no quote recorded for this claim"
        if self.source_text is not None and item.start is not None:
            sentence = sentence_at(self.source_text, item.start, item.end)
            if sentence is not None:
                return f"sentence: {_quoted(sentence.text)}"
        return f"quote: {_quoted(item.exact)}"

    def message(self, text: str) -> str:
        """The message with the IRIs SPARQL put in (``{$this}``) as prefixed names."""
        words = []
        for word in text.split(" "):
            iri = word.rstrip(".,:;)")
            short = self.short(URIRef(iri)) if iri.startswith(("http://", "https://")) else "<"
            words.append(word if short.startswith("<") else word.replace(iri, short, 1))
        return " ".join(words)

    def render(self, result: ValidationResult) -> str:
        if result.conforms:
            return "The data conforms to the shapes.\n"
        groups: dict[Node, list[Violation]] = {}
        for violation in result.violations:
            groups.setdefault(violation.focus_node, []).append(violation)
        entities = "entity" if len(groups) == 1 else "entities"
        lines = [f"{len(result.violations)} SHACL violation(s) on {len(groups)} {entities}"]
        for focus in sorted(groups, key=self.short):
            labels = self.labels(focus)
            lines += ["", self.short(focus) + (f"  {_quoted(labels[0])}" if labels else "")]
            for violation in groups[focus]:
                component = self.short(violation.source_constraint_component)
                text, claims, relation = self.fact(violation)
                lines.append(f"  - [{violation.severity}] {self.message(violation.message)}")
                lines.append(f"      fact:  {text}")
                lines.append(f"      shape: {self.short(violation.source_shape)} ({component})")
                if relation == "missing":
                    lines.append("      no claim asserts this fact")
                if not claims:
                    lines.append("      no claim says anything about it")
                for claim in claims:
                    role = "claim" if relation == "claim" else "claim about it"
                    lines.append(f"      {role}: {self.short(URIRef(claim))}")
                    lines.append(f"        {self.passage(claim)}")
        return "\n".join(lines) + "\n"
