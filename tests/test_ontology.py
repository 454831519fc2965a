"""The ontology is a well-formed, consistent OWL ontology with a proper header."""

from __future__ import annotations

from pathlib import Path

import owlrl
import pytest
import rdflib
from rdflib.namespace import DCTERMS, OWL, RDF

from rustbelt_kg.namespaces import RB, RBO

ROOT = Path(__file__).resolve().parents[1]
ONTOLOGY = ROOT / "ontology" / "rustbelt.ttl"
ONTOLOGY_IRI = rdflib.URIRef("https://w3id.org/rustbelt-kg/ontology")
ERROR = rdflib.URIRef("http://www.daml.org/2002/03/agents/agent-ont#error")


def _ontology() -> rdflib.Graph:
    return rdflib.Graph().parse(data=ONTOLOGY.read_text(encoding="utf-8"), format="turtle")


def _with_article_facts(graph: rdflib.Graph) -> rdflib.Graph:
    dataset = rdflib.Dataset()
    for path in sorted((ROOT / "data" / "article").glob("*.trig")):
        dataset.parse(data=path.read_text(encoding="utf-8"), format="trig")
    for s, p, o, _ in dataset.quads():
        graph.add((s, p, o))
    return graph


def _owl_rl_errors(graph: rdflib.Graph) -> list[str]:
    owlrl.DeductiveClosure(
        owlrl.OWLRL_Semantics, rdfs_closure=False, axiomatic_triples=False, datatype_axioms=False
    ).expand(graph)
    return sorted(str(o) for o in graph.objects(None, ERROR))


def test_ontology_header_names_title_description_license_version_and_creator() -> None:
    graph = _ontology()
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in graph
    for prop in (DCTERMS.title, DCTERMS.description, DCTERMS.license, DCTERMS.creator):
        assert graph.value(ONTOLOGY_IRI, prop) is not None, prop
    version = graph.value(ONTOLOGY_IRI, OWL.versionIRI)
    assert str(version).startswith(str(ONTOLOGY_IRI) + "/")


def test_ontology_declares_the_core_classes() -> None:
    graph = _ontology()
    for name in (
        "Person", "Company", "Startup", "Park", "University", "GovernmentBody", "Province",
        "City", "Region", "Street", "Policy", "PolicyMeasure", "Industry", "NewsArticle",
        "Investment", "Funding", "Quantity", "MonetaryAmount",
    ):
        assert (rdflib.URIRef(RBO + name), RDF.type, OWL.Class) in graph, name


def test_ontology_and_facts_pass_owl2_rl_closure_without_inconsistency() -> None:
    assert _owl_rl_errors(_with_article_facts(_ontology())) == []


def test_owl2_rl_closure_detects_an_inconsistency() -> None:
    graph = _with_article_facts(_ontology())
    wan = rdflib.URIRef(RB + "wan-long")
    graph.add((wan, RDF.type, rdflib.URIRef(RBO + "Organization")))
    errors = _owl_rl_errors(graph)
    assert errors and "disjoint" in errors[0].lower()


@pytest.mark.parametrize("prefix", ["schema", "prov", "org", "foaf", "time", "oa"])
def test_ontology_aligns_to_widely_used_vocabularies(prefix: str) -> None:
    graph = _ontology()
    assert prefix in dict(graph.namespaces())
    namespace = str(dict(graph.namespaces())[prefix])
    used = {str(o) for o in graph.objects() if str(o).startswith(namespace)}
    assert used, f"no term of {prefix}: is used"
