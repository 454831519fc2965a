"""The SHACL shapes: their examples, their form, SHACL-for-SHACL, and what they cover.

Every node shape in ``shapes/`` has examples in ``tests/shapes/``: ``valid/<Shape>[-what].ttl``
must conform, ``invalid/<Shape>-<what>.ttl`` must fail on that shape (a result whose source
shape is the node shape or one of its property shapes) and on no other. Examples are validated
with the real ontology merged in, as the build does.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

import pyshacl
import pytest
from rdflib import OWL, RDF, RDFS, Graph, Literal, Namespace, URIRef

import rustbelt_kg
from rustbelt_kg import namespaces
from rustbelt_kg.load import parse_file
from rustbelt_kg.validate import RudofValidator, ValidationResult, Validator, load_shapes

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
EXAMPLES = HERE / "shapes"
VALID = sorted((EXAMPLES / "valid").glob("*.ttl"))
INVALID = sorted((EXAMPLES / "invalid").glob("*.ttl"))

SH = Namespace("http://www.w3.org/ns/shacl#")
RBSH = Namespace(namespaces.RBSH)
DCTERMS = Namespace("http://purl.org/dc/terms/")
SHAPES_IRI = URIRef("https://w3id.org/rustbelt-kg/shapes")


def shape_named_by(path: Path) -> URIRef:
    """``MonetaryAmountShape-two-currencies.ttl`` -> ``rbsh:MonetaryAmountShape``."""
    return RBSH[path.stem.split("-")[0]]


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return load_shapes(sorted((ROOT / "shapes").glob("*.ttl")))


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(ROOT / "ontology" / "rustbelt.ttl")


@pytest.fixture(scope="module")
def node_shapes(shapes: Graph) -> set[URIRef]:
    return {s for s in shapes.subjects(RDF.type, SH.NodeShape) if isinstance(s, URIRef)}


@pytest.fixture(scope="module")
def results(shapes: Graph, ontology: Graph) -> dict[Path, ValidationResult]:
    """Every example validated once (with the ontology merged in), for the tests to share."""
    validator = Validator(shapes, ontology)
    return {path: validator.validate(Graph().parse(path)) for path in VALID + INVALID}


def explain(result: ValidationResult) -> str:
    return "\n".join(
        f"{v.focus_node} {v.source_shape} {v.source_constraint_component}: {v.message}"
        for v in result.violations
    )


# -- examples -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_valid_example_conforms(path: Path, results: dict[Path, ValidationResult]) -> None:
    result = results[path]
    assert result.conforms and not result.violations, explain(result)


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_example_fails_on_the_shape_its_name_gives_and_no_other(
    path: Path, results: dict[Path, ValidationResult]
) -> None:
    result = results[path]
    assert not result.conforms
    assert result.violations, "does not conform, yet reports no violation"
    assert {v.node_shape for v in result.violations} == {shape_named_by(path)}, explain(result)


def test_every_shape_has_a_valid_and_an_invalid_example(node_shapes: set[URIRef]) -> None:
    assert node_shapes - {shape_named_by(p) for p in VALID} == set()
    assert node_shapes - {shape_named_by(p) for p in INVALID} == set()


def test_every_example_is_named_after_an_existing_shape(node_shapes: set[URIRef]) -> None:
    assert {shape_named_by(p) for p in VALID + INVALID} - node_shapes == set()
    assert len(VALID) >= len(node_shapes) and len(INVALID) >= len(node_shapes)


def test_every_example_says_what_it_shows_in_a_first_comment() -> None:
    for path in VALID + INVALID:
        first = path.read_text(encoding="utf-8").splitlines()[0]
        kind = "# Valid: " if path.parent.name == "valid" else "# Invalid: "
        assert first.startswith(kind) and len(first) > len(kind) + 5, path.name


def test_violation_messages_are_the_shapes_own_with_every_placeholder_filled(
    shapes: Graph, results: dict[Path, ValidationResult]
) -> None:
    written = {str(m) for m in shapes.objects(None, SH.message)}
    for path in INVALID:
        for violation in results[path].violations:
            assert violation.message, path.name
            assert "{?" not in violation.message and "{$" not in violation.message
            if violation.source_constraint_component != SH.SPARQLConstraintComponent:
                assert violation.message in written, (path.name, violation.message)


def test_sparql_messages_name_the_values(results: dict[Path, ValidationResult]) -> None:
    [result] = [r for p, r in results.items()
                if p.stem == "CurrencyConversionConsistencyShape-dollar-off"]
    [violation] = result.violations
    for value in ("16500000", "CNY", "2700000", "USD", "0.1533", "2529450"):
        assert value in violation.message
    assert str(violation.focus_node) in violation.message


# -- a second engine: rudof -----------------------------------------------------------------
#
# pyrudof 0.3 supports everything the shapes use, SHACL-SPARQL included (sh:sparql, sh:select,
# sh:prefixes with sh:declare, {$this} and {?var} in messages), so the comparison covers every
# example and every shape. What is compared: whether the data conforms, and the set of
# (focus node, source shape, constraint component) of the results. Not compared: messages
# (rudof quotes them and words its own defaults differently) and values. Blank-node source
# shapes cannot be matched across engines; the shapes use none that report results.


@pytest.fixture(scope="module")
def rudof() -> RudofValidator:
    files = sorted((ROOT / "shapes").glob("*.ttl"))
    return RudofValidator("\n".join(path.read_text(encoding="utf-8") for path in files))


@pytest.fixture(scope="module")
def ontology_nt(ontology: Graph) -> str:
    """The ontology as N-Triples, which is also Turtle: appended to an example's Turtle."""
    return ontology.serialize(format="nt")


@pytest.mark.parametrize("path", VALID + INVALID, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_pyshacl_and_rudof_agree_on_the_example(
    path: Path, rudof: RudofValidator, ontology_nt: str, results: dict[Path, ValidationResult]
) -> None:
    ours = results[path]
    assert all(isinstance(v.source_shape, URIRef) for v in ours.violations)
    theirs = rudof.validate(path.read_text(encoding="utf-8") + "\n" + ontology_nt)
    assert theirs.conforms == ours.conforms
    assert theirs.results == {
        (str(v.focus_node), str(v.source_shape), str(v.source_constraint_component))
        for v in ours.violations
    }


# -- the shapes themselves ------------------------------------------------------------------


def test_shapes_conform_to_shacl_for_shacl(shapes: Graph) -> None:
    shsh = importlib.resources.files("pyshacl") / "assets" / "shacl-shacl.ttl"
    meta = Graph().parse(data=shsh.read_text(encoding="utf-8"), format="turtle")
    conforms, _, text = pyshacl.validate(shapes, shacl_graph=meta, inference="none")
    assert conforms, text
    broken = Graph() + shapes
    broken.add((RBSH["PersonShape-age"], SH.maxCount, Literal("one")))
    assert not pyshacl.validate(broken, shacl_graph=meta, inference="none")[0]


def test_shapes_file_has_a_header_with_title_license_and_the_package_version(
    shapes: Graph,
) -> None:
    assert (SHAPES_IRI, RDF.type, OWL.Ontology) in shapes
    assert shapes.value(SHAPES_IRI, DCTERMS.title) is not None
    assert shapes.value(SHAPES_IRI, DCTERMS.description) is not None
    license_ = URIRef("https://creativecommons.org/licenses/by/4.0/")
    assert shapes.value(SHAPES_IRI, DCTERMS.license) == license_
    assert str(shapes.value(SHAPES_IRI, OWL.versionInfo)) == rustbelt_kg.__version__


def test_every_shape_has_a_stable_iri_a_name_and_messages(
    shapes: Graph, node_shapes: set[URIRef]
) -> None:
    node_level = [SH["not"], SH["or"], SH.pattern, SH.nodeKind, SH["class"], SH.datatype]
    for shape in node_shapes:
        assert str(shape).startswith(namespaces.RBSH), shape
        label = shapes.value(shape, RDFS.label)
        assert isinstance(label, Literal) and label.language == "en", shape
        if any((shape, p, None) in shapes for p in node_level):
            assert shapes.value(shape, SH.message) is not None, shape
        for prop in shapes.objects(shape, SH.property):
            assert str(prop).startswith(str(shape) + "-"), prop
            assert (prop, RDF.type, SH.PropertyShape) in shapes, prop
            assert shapes.value(prop, SH.name) is not None, prop
            assert shapes.value(prop, SH.message) is not None, prop
        for constraint in shapes.objects(shape, SH.sparql):
            assert str(constraint).startswith(str(shape) + "-"), constraint
            assert shapes.value(constraint, RDFS.label) is not None, constraint
            assert shapes.value(constraint, SH.message) is not None, constraint
            assert shapes.value(constraint, SH.prefixes) == SHAPES_IRI, constraint


def test_every_property_shape_belongs_to_exactly_one_node_shape(shapes: Graph) -> None:
    for prop in shapes.subjects(RDF.type, SH.PropertyShape):
        assert len(list(shapes.subjects(SH.property, prop))) == 1, prop


# -- coverage of the article's data ---------------------------------------------------------


@pytest.fixture(scope="module")
def article() -> Graph:
    """The article's claims and provenance as one graph: the union of the TriG files' graphs."""
    graph = Graph()
    for path in sorted((ROOT / "data" / "article").glob("*.trig")):
        for s, p, o, _ in parse_file(path, "trig"):
            graph.add((s, p, o))
    return graph


def test_every_class_the_article_uses_is_targeted_by_a_shape(
    shapes: Graph, ontology: Graph, article: Graph
) -> None:
    targeted = set(shapes.objects(None, SH.targetClass))
    for cls in set(article.objects(None, RDF.type)):
        lineage = set(ontology.transitive_objects(cls, RDFS.subClassOf))
        assert lineage & targeted, f"no shape targets {cls} or a superclass of it"


def test_every_property_the_article_uses_has_a_shape(shapes: Graph, article: Graph) -> None:
    paths = {p for p in shapes.objects(None, SH.path) if isinstance(p, URIRef)}
    used = set(article.predicates()) - {RDF.type}
    assert used - paths == set()
