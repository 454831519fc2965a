"""What the server says about itself: the SPARQL 1.1 Service Description and VoID.

Both are written as Turtle here, then served in whatever RDF format the request asks for.
"""

from __future__ import annotations

from typing import Any

from rustbelt_kg import namespaces
from rustbelt_kg.terms import iri_ref

__all__ = ["EXAMPLES", "LICENSE", "service_description", "void_description"]

#: Resources VoID names as examples of the dataset.
EXAMPLES = ("id/wan-long", "id/harbin-institute-of-technology", "claim/hit-incubator-park")
DESCRIPTION = "A knowledge graph of one China Daily article, every fact traced to its words."
#: The license of the dataset (the ontology's header says the same).
LICENSE = "https://creativecommons.org/licenses/by/4.0/"

_PREFIXES = """\
@prefix sd: <http://www.w3.org/ns/sparql-service-description#> .
@prefix void: <http://rdfs.org/ns/void#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix formats: <http://www.w3.org/ns/formats/> .
"""


def service_description(endpoint: str) -> str:
    """The Service Description of the endpoint at ``endpoint`` (Turtle)."""
    return _PREFIXES + f"""
{iri_ref(endpoint)} a sd:Service ;
    sd:endpoint {iri_ref(endpoint)} ;
    sd:supportedLanguage sd:SPARQL11Query ;
    sd:resultFormat formats:SPARQL_Results_JSON, formats:SPARQL_Results_XML,
        formats:SPARQL_Results_CSV, formats:SPARQL_Results_TSV, formats:Turtle,
        formats:N-Triples, formats:JSON-LD, formats:RDF_XML ;
    sd:feature sd:UnionDefaultGraph, sd:BasicFederatedQuery ;
    sd:defaultDataset [
        a sd:Dataset ;
        sd:defaultGraph [ a sd:Graph ; dcterms:description
            "the union of every named graph, as a set" ]
    ] .
"""


def void_description(base: str, endpoint: str, stats: dict[str, Any]) -> str:
    """VoID of the dataset: triples, graphs, the endpoint, example resources, license."""
    dataset = iri_ref(namespaces.BASE)
    examples = ", ".join(iri_ref(namespaces.BASE + e) for e in EXAMPLES)
    graphs = "".join(
        f"{dataset} void:subset {iri_ref(g)} .\n{iri_ref(g)} a void:Dataset ; "
        f"sd:name {iri_ref(g)} .\n"
        for g in stats["graphs"]
    )
    return _PREFIXES + f"""
{dataset} a void:Dataset ;
    dcterms:title "rustbelt-kg" ;
    dcterms:description "{DESCRIPTION}" ;
    dcterms:license {iri_ref(LICENSE)} ;
    void:uriSpace "{namespaces.BASE}" ;
    void:sparqlEndpoint {iri_ref(endpoint)} ;
    void:rootResource {iri_ref(namespaces.RB + "article")} ;
    void:exampleResource {examples} ;
    void:vocabulary {iri_ref(namespaces.RBO)} ;
    void:triples {int(stats["triples"])} ;
    void:dataDump {iri_ref(base + "rdf-graphs?default")} .
{graphs}"""
