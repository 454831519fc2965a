"""SHACL validation behind a typed :class:`ValidationResult`, and readable reports.

:func:`validate` checks the union of the data's graphs, with the ontology merged in, against a
shapes graph. Subclass targeting follows ``rdfs:subClassOf`` in that merged graph, as SHACL
defines ``sh:targetClass`` and ``sh:class``, so no inference runs: RDFS inference would type
every object of ``rbo:foundedBy`` a person (its ``rdfs:range``) and make "a company's founder
is a person" impossible to violate.

The data is held once, in an in-memory Oxigraph store: its default graph the union, its named
graphs where each triple comes from (for :func:`validate_quads`, the project's graphs; a plain
graph is one graph). Node shapes compile into one SPARQL query per constraint, run once over
all the shape's focus nodes (:mod:`rustbelt_kg.shacl_core`, :mod:`rustbelt_kg.shacl_sparql`),
and their rows become the results pyshacl would give (:mod:`rustbelt_kg.shacl_report`); every
shape of the project compiles. A shape that does not is checked by pyshacl
(:mod:`rustbelt_kg.shacl_fallback`) on an rdflib copy, made only then. Prefixes declared by an
ontology that a ``sh:prefixes`` value imports (``owl:imports``) are added to that value first,
as SHACL defines and pyshacl does not. The W3C SHACL test suite runs through this path
(``tests/test_w3c_shacl.py``), and every example of the project's shapes gives the report
pyshacl gives.

:meth:`ValidationResult.render` groups violations by entity and names the claim and the
sentence of its source behind each failing fact. :class:`RudofValidator` runs a second
engine, rudof.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pyoxigraph as ox
from rdflib import OWL, RDF, RDFS, XSD, BNode, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import NamespaceManager
from rdflib.paths import AlternativePath, InvPath, MulPath, SequencePath
from rdflib.paths import Path as RdfPath
from rdflib.term import Node

from rustbelt_kg import namespaces
from rustbelt_kg.errors import RustbeltError
from rustbelt_kg.shacl_core import compile_shapes
from rustbelt_kg.shacl_fallback import Fallback
from rustbelt_kg.shacl_report import merge_report, new_report, run_checks
from rustbelt_kg.terms import from_oxigraph, to_oxigraph_quad

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
    "validate_quads",
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

    def render(
        self, dataset: Graph | Dataset, texts: Mapping[str, str] | str | None = None
    ) -> str:
        """A readable report, grouped by entity, naming the claim and sentence behind each fact.

        ``dataset`` holds the claim graphs and ``rbg:provenance``; ``texts`` maps each source
        text node to its text (:func:`rustbelt_kg.sources.texts`; one string stands for the
        text of every claim). A claim is shown by the full sentence of its own source's text
        that holds its quote, else by its quote.
        """
        return _Report(dataset, texts).render(self)


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


def validate_quads(quads: Iterable[Any], shapes: Graph) -> ValidationResult:
    """Validate the union of ``quads`` (rdflib ``(s, p, o, g)`` tuples or pyoxigraph quads, the
    ontology's graph among them) against ``shapes``; ``sh:maxCount`` counts per source."""
    ontology: list[ox.Quad] = []
    data: list[ox.Quad] = []
    for quad in quads:
        quad = quad if isinstance(quad, ox.Quad) else to_oxigraph_quad(quad)
        graph = quad.graph_name
        is_ontology = isinstance(graph, ox.NamedNode) and graph.value == namespaces.ONTOLOGY_GRAPH
        (ontology if is_ontology else data).append(quad)
    return Validator(shapes).validate_oxigraph(data, ontology)


#: The graph that holds the data of a plain graph, so that each triple has a graph.
_DATA_GRAPH = ox.NamedNode("urn:x-rustbelt-kg:validation:data")


class Validator:
    """Shapes and ontology prepared once, for validating many data graphs (as :func:`validate`).

    Node shapes that compile (:mod:`rustbelt_kg.shacl_core`) run as one SPARQL query per
    constraint on an Oxigraph store holding the data once; the others run through pyshacl on
    an rdflib copy, made only when there are such shapes.
    """

    def __init__(self, shapes: Graph, ontology: Graph | None = None) -> None:
        self.shapes = shapes = _with_imported_prefixes(shapes)
        self.ontology = [to_oxigraph_quad((s, p, o, None)) for s, p, o in ontology or ()]
        self.compiled, left = compile_shapes(shapes)
        self.rest: Fallback | None = None  # the shapes pyshacl checks, the compiled untargeted
        if left:
            compiled = {c.node for c in self.compiled}
            rest = Graph(bind_namespaces="none")
            rest += (
                (s, p, o) for s, p, o in shapes
                if s not in compiled or p not in _TARGET_PREDICATES
            )
            self.rest = Fallback(rest)

    def validate(self, data: Graph | Dataset) -> ValidationResult:
        """Validate ``data``: a graph, or a dataset standing for the union of its graphs."""
        if isinstance(data, Dataset):
            quads = [to_oxigraph_quad((s, p, o, _graph_name(g)))
                     for s, p, o, g in data.quads((None, None, None, None))]
        else:
            quads = [to_oxigraph_quad((s, p, o, URIRef(_DATA_GRAPH.value))) for s, p, o in data]
        return self.validate_oxigraph(quads, self.ontology)

    def validate_oxigraph(
        self, quads: list[ox.Quad], ontology: list[ox.Quad] = ()  # type: ignore[assignment]
    ) -> ValidationResult:
        """Validate the union of pyoxigraph ``quads`` with ``ontology`` merged in."""
        store = ox.Store()
        store.bulk_extend(q if not isinstance(q.graph_name, ox.DefaultGraph)
                          else ox.Quad(q.subject, q.predicate, q.object, _DATA_GRAPH)
                          for q in quads)
        store.bulk_extend(ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph())
                          for q in [*quads, *ontology])
        report = new_report()
        conforms = run_checks(store, self.compiled, self.shapes, report)
        del store
        if self.rest is not None:
            union = [ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph())
                     for q in [*quads, *ontology]]
            graph = Graph(bind_namespaces="none")
            graph += ((from_oxigraph(q.subject), from_oxigraph(q.predicate),
                       _plain(from_oxigraph(q.object))) for q in union)
            for rest_conforms, rest_report in self.rest.run(graph, union):
                conforms = conforms and rest_conforms
                merge_report(report, rest_report)
        report.set((report.value(None, RDF.type, SH.ValidationReport) or BNode(),
                    SH.conforms, Literal(conforms)))
        violations = sorted(
            _violations(report, self.shapes),
            key=lambda v: (str(v.focus_node), str(v.node_shape), str(v.source_shape), v.message),
        )
        return ValidationResult(conforms=conforms, violations=violations, report_graph=report)


_TARGET_PREDICATES = {SH.targetClass, SH.targetNode, SH.targetObjectsOf, SH.targetSubjectsOf}


def _graph_name(graph: Node | Graph | None) -> Node | None:
    """The name of a graph of an rdflib dataset's quads, ``None`` for its default graph."""
    name = getattr(graph, "identifier", graph)
    return None if name is None or str(name) == str(DATASET_DEFAULT_GRAPH_ID) else name


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


def _plain(term: Node) -> Node:
    """``"x"^^xsd:string`` as ``"x"`` (rdflib tells them apart; RDF 1.1 does not)."""
    return Literal(str(term)) if isinstance(term, Literal) and term.datatype == XSD.string else term


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

    def __init__(self, dataset: Graph, texts: Mapping[str, str] | str | None) -> None:
        from rustbelt_kg.provenance import evidence

        self.dataset = dataset
        self.texts = texts
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
        text = self.texts if not isinstance(self.texts, Mapping) else (
            self.texts.get(item.source or ""))
        if text is not None and item.start is not None and item.end is not None:
            sentence = sentence_at(text, item.start, item.end)
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
