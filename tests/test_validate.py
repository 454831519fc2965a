"""rustbelt_kg.validate: the typed result, the real article, readable reports, a second engine."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from rdflib import RDF, RDFS, Dataset, Graph, Literal, Namespace
from rdflib.paths import SequencePath

from rustbelt_kg import namespaces
from rustbelt_kg.errors import RdfSyntaxError, RustbeltError
from rustbelt_kg.load import parse_file
from rustbelt_kg.validate import (
    RudofValidator,
    ValidationResult,
    Validator,
    Violation,
    load_shapes,
    validate,
    validate_with_rudof,
)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SHAPE_FILES = sorted((ROOT / "shapes").glob("*.ttl"))

SH = Namespace("http://www.w3.org/ns/shacl#")
RB = Namespace(namespaces.RB)
RBO = Namespace(namespaces.RBO)
RBSH = Namespace(namespaces.RBSH)
CLAIM = Namespace(namespaces.CLAIM)

PREFIXES = "".join(f"@prefix {p}: <{iri}> .\n" for p, iri in namespaces.PREFIXES.items())


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return load_shapes(SHAPE_FILES)


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(ROOT / "ontology" / "rustbelt.ttl")


@pytest.fixture(scope="module")
def article() -> Dataset:
    """The article's claim graphs, rbg:provenance and its source's stub, as a dataset."""
    dataset = Dataset(default_union=True)
    for path in sorted((ROOT / "data" / "article").glob("*.trig")):
        for quad in parse_file(path, "trig"):
            dataset.add(quad)
    for path in sorted((ROOT / "data" / "sources").glob("*.ttl")):
        for quad in parse_file(path, "turtle", namespaces.SOURCES_GRAPH):
            dataset.add(quad)
    return dataset


def turtle(body: str) -> Graph:
    return Graph().parse(data=PREFIXES + body, format="turtle")


# -- the real article -----------------------------------------------------------------------


def test_the_article_conforms(article: Dataset, shapes: Graph, ontology: Graph) -> None:
    # How long this takes is measured by bench/, not asserted here.
    result = validate(article, shapes, ontology)
    assert result.conforms, result.render(article)
    assert result.violations == []


def test_a_broken_article_fact_is_reported_with_its_claim_and_sentence(
    article: Dataset, shapes: Graph, ontology: Graph
) -> None:
    broken = Dataset(default_union=True)
    for s, p, o, g in article.quads((None, None, None, None)):
        if (s, p) == (RB["hit-incubator-park-venture-investment-usd"], RBO.numericValue):
            o = Literal(2700000)
        broken.add((s, p, o, g))
    result = validate(broken, shapes, ontology)
    assert [v.node_shape for v in result.violations] == [RBSH.CurrencyConversionConsistencyShape]
    text = (ROOT / "data" / "sources" / "china-daily-2016-03-25-rust-belt.txt").read_text("utf-8")
    report = result.render(broken, text)
    assert "rb:hit-incubator-park-venture-investment-cny" in report
    assert "claim:hit-incubator-park-venture-investment" in report
    assert "By the end of 2015, the park had received 16.5 million yuan ($2.53 million)" in report


# -- the typed result -----------------------------------------------------------------------


def test_violation_carries_every_field_of_the_shacl_result(shapes: Graph, ontology: Graph) -> None:
    data = turtle('rb:wan-long a rbo:Person ; rdfs:label "Wan Long"@en ; rbo:age 250 .')
    result = validate(data, shapes, ontology)
    assert not result.conforms
    assert result.violations == [
        Violation(
            focus_node=RB["wan-long"],
            result_path=RBO.age,
            value=Literal(250),
            severity="Violation",
            source_shape=RBSH["PersonShape-age"],
            source_constraint_component=SH.MaxInclusiveConstraintComponent,
            message="A person's age (rbo:age) is at most one whole number (xsd:integer) "
            "between 0 and 130.",
            node_shape=RBSH.PersonShape,
        )
    ]


def test_result_is_frozen_and_its_report_graph_holds_one_report(
    shapes: Graph, ontology: Graph
) -> None:
    data = turtle("rb:sanhao-street a rbo:Street . rb:welding a rbo:Industry .")
    result = validate(data, shapes, ontology)
    assert isinstance(result, ValidationResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.conforms = True  # type: ignore[misc]
    [report] = result.report_graph.subjects(RDF.type, SH.ValidationReport)
    assert result.report_graph.value(report, SH.conforms) == Literal(False)
    assert len(list(result.report_graph.objects(report, SH.result))) == len(result.violations) == 2


def test_core_and_sparql_results_are_merged_into_one_report(shapes: Graph, ontology: Graph) -> None:
    data = turtle("""
        rb:t a rbo:TimeReference ; rbo:statedAs "then" ;
            rbo:firstDay "2016-01-01"^^xsd:date ; rbo:lastDay "2015-01-01"^^xsd:date .""")
    result = validate(data, shapes, ontology)
    assert {v.node_shape for v in result.violations} == {
        RBSH.TimeReferenceShape, RBSH.TimeReferenceOrderShape,
    }
    [sparql] = [v for v in result.violations if v.source_constraint is not None]
    assert sparql.source_constraint == RBSH["TimeReferenceOrderShape-days"]
    assert "2016-01-01" in sparql.message and "2015-01-01" in sparql.message
    [report] = result.report_graph.subjects(RDF.type, SH.ValidationReport)
    assert len(list(result.report_graph.objects(report, SH.result))) == 2


def test_a_complex_result_path_comes_back_as_an_rdflib_path(shapes: Graph, ontology: Graph) -> None:
    path = HERE / "shapes" / "invalid" / "MonetaryAmountShape-equivalent-in-same-currency.ttl"
    [violation] = validate(Graph().parse(path), shapes, ontology).violations
    assert violation.result_path == SequencePath(RBO.statedEquivalent, RBO.currency)


def test_a_startup_is_checked_by_the_company_shape_through_the_ontology(
    shapes: Graph, ontology: Graph
) -> None:
    data = turtle("""
        rb:w a rbo:Startup ; rdfs:label "W"@en ; rbo:foundedBy rb:hit .
        rb:hit a rbo:University ; rdfs:label "HIT"@en .""")
    with_ontology = validate(data, shapes, ontology)
    assert [v.source_shape for v in with_ontology.violations] == [RBSH["CompanyShape-foundedBy"]]
    assert validate(data, shapes).violations == []  # without it, no shape reaches a start-up


def test_a_dataset_is_validated_as_the_union_of_its_graphs(shapes: Graph, ontology: Graph) -> None:
    dataset = Dataset()
    dataset.add((RB.ke, RDF.type, RBO.Person, CLAIM.one))
    dataset.add((RB.ke, RDFS.label, Literal("Ke", lang="en"), CLAIM.one))
    dataset.add((RB.ke, RBO.age, Literal(-1), CLAIM.two))
    [violation] = validate(dataset, shapes, ontology).violations
    assert (violation.focus_node, violation.value) == (RB.ke, Literal(-1))


def test_a_prepared_validator_gives_what_validate_gives(shapes: Graph, ontology: Graph) -> None:
    validator = Validator(shapes, ontology)
    for body in ('rb:w a rbo:Person ; rdfs:label "W"@en ; rbo:age 131 .',
                 'rb:w a rbo:Person ; rdfs:label "W"@en ; rbo:age 31 .'):
        data = turtle(body)
        assert validator.validate(data).violations == validate(data, shapes, ontology).violations


def test_typed_and_plain_strings_are_the_same_literal(shapes: Graph, ontology: Graph) -> None:
    data = turtle('rb:eur a rbo:Currency ; rdfs:label "euro"@en ; rbo:isoCode "EUR"^^xsd:string .')
    assert validate(data, shapes, ontology).conforms


# -- load_shapes ----------------------------------------------------------------------------


def test_load_shapes_reads_every_file(tmp_path: Path) -> None:
    extra = tmp_path / "extra.ttl"
    extra.write_text(PREFIXES + 'rbsh:ExtraShape a sh:NodeShape ; rdfs:label "extra"@en .\n')
    graph = load_shapes([*SHAPE_FILES, extra])
    assert (RBSH.ExtraShape, RDF.type, SH.NodeShape) in graph
    assert (RBSH.PersonShape, RDF.type, SH.NodeShape) in graph


def test_load_shapes_reports_file_line_and_column_of_a_syntax_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix sh: <http://www.w3.org/ns/shacl#> .\n\n"
                   "<http://x/S> a sh:NodeShape ;\n    sh:minCount 1 1 .\n")
    with pytest.raises(RdfSyntaxError) as caught:
        load_shapes([bad])
    assert (caught.value.path, caught.value.line, caught.value.column) == (str(bad), 4, 19)


# -- the readable report --------------------------------------------------------------------

TINY_TEXT = "Parks grew. Wan Long, 250, studies welding at the institute. He likes it."

TINY_TRIG = PREFIXES + """
claim:wan-long {
    rb:wan-long a rbo:Person ;
        rdfs:label "Wan Long"@en ;
        rbo:age 250 ;
        rbo:studyProgramme "welding" .
}
claim:ke {
    rb:ke a rbo:Person ;
        rbo:age 28 .
}
rbg:provenance {
    claim:wan-long a rbo:Claim ; rbo:evidence <https://w3id.org/rustbelt-kg/claim/wan-long#t> .
    <https://w3id.org/rustbelt-kg/claim/wan-long#t> a oa:SpecificResource ;
        oa:hasSelector <https://w3id.org/rustbelt-kg/claim/wan-long#q> ,
            <https://w3id.org/rustbelt-kg/claim/wan-long#p> .
    <https://w3id.org/rustbelt-kg/claim/wan-long#q> a oa:TextQuoteSelector ;
        oa:exact "Wan Long, 250" .
    <https://w3id.org/rustbelt-kg/claim/wan-long#p> a oa:TextPositionSelector ;
        oa:start 12 ; oa:end 25 .
}
"""


@pytest.fixture(scope="module")
def tiny(shapes: Graph, ontology: Graph) -> tuple[Dataset, ValidationResult]:
    """A claim with a quote into TINY_TEXT, a claim without one, and their violations."""
    dataset = Dataset(default_union=True)
    dataset.parse(data=TINY_TRIG, format="trig")
    claims = Graph()  # validate the claims only: this provenance is deliberately incomplete
    for s, p, o, g in dataset.quads((None, None, None, None)):
        if str(g).startswith(namespaces.CLAIM):
            claims.add((s, p, o))
    return dataset, validate(claims, shapes, ontology)


def test_report_names_the_entity_its_label_the_claim_and_the_sentence(
    tiny: tuple[Dataset, ValidationResult],
) -> None:
    dataset, result = tiny
    report = result.render(dataset, TINY_TEXT)
    assert 'rb:wan-long  "Wan Long"' in report
    assert "rb:wan-long rbo:age 250" in report
    assert "claim: claim:wan-long" in report
    assert 'sentence: "Wan Long, 250, studies welding at the institute."' in report
    assert "rbsh:PersonShape-age (sh:MaxInclusiveConstraintComponent)" in report


def test_report_groups_violations_by_entity(tiny: tuple[Dataset, ValidationResult]) -> None:
    dataset, result = tiny
    report = result.render(dataset, TINY_TEXT)
    assert report.startswith("2 SHACL violation(s) on 2 entities\n")
    assert report.index("\nrb:ke\n") < report.index("\nrb:wan-long ")


def test_report_without_the_text_shows_the_quote(tiny: tuple[Dataset, ValidationResult]) -> None:
    dataset, result = tiny
    report = result.render(dataset)
    assert 'quote: "Wan Long, 250"' in report
    assert "sentence:" not in report


def test_report_says_when_no_claim_asserts_the_fact(tiny: tuple[Dataset, ValidationResult]) -> None:
    dataset, result = tiny
    section = result.render(dataset, TINY_TEXT).split("\nrb:ke\n")[1].split("\nrb:wan-long")[0]
    assert "rb:ke rdfs:label (missing or miscounted)" in section
    assert "no claim asserts this fact" in section
    assert "claim about it: claim:ke" in section
    assert "no quote recorded for this claim" in section


def test_a_conforming_result_renders_as_one_line(shapes: Graph, ontology: Graph) -> None:
    data = turtle('rb:welding a rbo:Industry ; rdfs:label "welding"@en .')
    assert validate(data, shapes, ontology).render(data) == "The data conforms to the shapes.\n"


# -- a second engine: rudof (every example is compared in test_shapes.py) ------------------


def test_rudof_helper_validates_in_one_call(ontology: Graph) -> None:
    shapes_ttl = (ROOT / "shapes" / "rustbelt.shacl.ttl").read_text(encoding="utf-8")
    data = turtle('rb:x a rbo:Person ; rdfs:label "X"@en ; rbo:age 200 .') + ontology
    result = validate_with_rudof(data.serialize(format="turtle"), shapes_ttl)
    assert not result.conforms
    assert result.results == {
        (str(RB.x), str(RBSH["PersonShape-age"]), str(SH.MaxInclusiveConstraintComponent))
    }


def test_rudof_reports_a_syntax_error_rather_than_dropping_triples() -> None:
    rudof = RudofValidator((ROOT / "shapes" / "rustbelt.shacl.ttl").read_text(encoding="utf-8"))
    with pytest.raises(RustbeltError, match="rudof"):
        rudof.validate(PREFIXES + "rb:x a rbo:Person ; rbo:age .")
