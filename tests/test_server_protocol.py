"""The SPARQL 1.1 Protocol at /sparql, the Service Description, VoID and the read-only
Graph Store Protocol, against our server under uvicorn on loopback."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
import rdflib
from served import running

from rustbelt_kg.project import Project
from rustbelt_kg.server import ServerConfig

pytestmark = pytest.mark.server

ROOT = Path(__file__).resolve().parents[1]
PEOPLE = "SELECT ?who WHERE { ?who a rbo:Person } ORDER BY ?who"


def test_get_query_answers_sparql_json(served: str) -> None:
    response = httpx.get(f"{served}/sparql", params={"query": PEOPLE})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/sparql-results+json")
    rows = response.json()["results"]["bindings"]
    assert {"type": "uri", "value": "https://w3id.org/rustbelt-kg/id/wan-long"} in [
        r["who"] for r in rows
    ]


@pytest.mark.parametrize("content_type", ["form", "direct"])
def test_post_query_form_encoded_and_direct_answer_alike(served: str, content_type: str) -> None:
    if content_type == "form":
        response = httpx.post(f"{served}/sparql", data={"query": PEOPLE})
    else:
        response = httpx.post(f"{served}/sparql", content=PEOPLE.encode(),
                              headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 200
    expected = httpx.get(f"{served}/sparql", params={"query": PEOPLE}).json()
    assert response.json() == expected


def test_default_graph_uri_restricts_the_default_graph(served: str) -> None:
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    everything = httpx.get(f"{served}/sparql", params={"query": query}).json()
    ontology = httpx.get(f"{served}/sparql", params={
        "query": query, "default-graph-uri": "https://w3id.org/rustbelt-kg/graph/ontology",
    }).json()

    def count(doc: dict) -> int:
        return int(doc["results"]["bindings"][0]["n"]["value"])

    assert 0 < count(ontology) < count(everything)


def test_named_graph_uri_names_the_only_graphs_graph_sees(served: str) -> None:
    query = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    provenance = "https://w3id.org/rustbelt-kg/graph/provenance"
    doc = httpx.get(f"{served}/sparql",
                    params={"query": query, "named-graph-uri": provenance}).json()
    assert [r["g"]["value"] for r in doc["results"]["bindings"]] == [provenance]


@pytest.mark.parametrize(("format", "media_type", "starts"), [
    ("json", "application/sparql-results+json", "{"),
    ("xml", "application/sparql-results+xml", "<?xml"),
    ("csv", "text/csv", "who\r\n"),
    ("tsv", "text/tab-separated-values", "?who\n"),
])
def test_select_results_by_format_parameter_and_by_accept(
    served: str, format: str, media_type: str, starts: str
) -> None:
    by_param = httpx.get(f"{served}/sparql", params={"query": PEOPLE, "format": format})
    by_accept = httpx.get(f"{served}/sparql", params={"query": PEOPLE},
                          headers={"Accept": media_type})
    for response in (by_param, by_accept):
        assert response.status_code == 200
        assert response.headers["content-type"].split(";")[0] == media_type
        assert response.text.startswith(starts)
    assert by_param.text == by_accept.text


@pytest.mark.parametrize(("media_type", "rdflib_format"), [
    ("text/turtle", "turtle"),
    ("application/n-triples", "nt"),
    ("application/ld+json", "json-ld"),
    ("application/rdf+xml", "xml"),
])
def test_construct_answers_in_each_rdf_format(
    served: str, media_type: str, rdflib_format: str
) -> None:
    query = "CONSTRUCT { rb:wan-long ?p ?o } WHERE { rb:wan-long ?p ?o }"
    response = httpx.get(f"{served}/sparql", params={"query": query},
                         headers={"Accept": media_type})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media_type
    graph = rdflib.Graph().parse(data=response.text, format=rdflib_format)
    wan_long = rdflib.URIRef("https://w3id.org/rustbelt-kg/id/wan-long")
    assert (wan_long, rdflib.RDFS.label, None) in graph


def test_ask_answers_a_boolean(served: str) -> None:
    response = httpx.get(f"{served}/sparql", params={"query": "ASK { rb:wan-long a rbo:Person }"})
    assert response.json()["boolean"] is True


def test_get_without_query_gives_the_service_description(served: str) -> None:
    response = httpx.get(f"{served}/sparql", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    graph = rdflib.Graph().parse(data=response.text, format="turtle")
    sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    service = next(graph.subjects(rdflib.RDF.type, sd.Service))
    assert (service, sd.supportedLanguage, sd.SPARQL11Query) in graph
    assert str(graph.value(service, sd.endpoint)) == f"{served}/sparql"


def test_void_counts_the_triples_and_names_the_endpoint(served: str) -> None:
    response = httpx.get(f"{served}/.well-known/void", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    graph = rdflib.Graph().parse(data=response.text, format="turtle")
    void = rdflib.Namespace("http://rdfs.org/ns/void#")
    dataset = rdflib.URIRef("https://w3id.org/rustbelt-kg/")
    count = httpx.get(f"{served}/sparql", params={
        "query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"}).json()
    assert int(graph.value(dataset, void.triples)) == int(
        count["results"]["bindings"][0]["n"]["value"])
    assert str(graph.value(dataset, void.sparqlEndpoint)) == f"{served}/sparql"
    assert len(list(graph.objects(dataset, void.exampleResource))) >= 3
    assert graph.value(dataset, rdflib.DCTERMS.license) is not None


def test_graph_store_gives_one_named_graph_and_the_default(served: str) -> None:
    ontology = httpx.get(f"{served}/rdf-graphs", headers={"Accept": "text/turtle"},
                         params={"graph": "https://w3id.org/rustbelt-kg/graph/ontology"})
    assert ontology.status_code == 200
    union = httpx.get(f"{served}/rdf-graphs?default", headers={"Accept": "application/n-triples"})
    assert union.status_code == 200
    graph = rdflib.Graph().parse(data=ontology.text, format="turtle")
    assert 0 < len(graph) < len(union.text.splitlines())


def test_graph_store_answers_404_for_a_graph_the_store_lacks(served: str) -> None:
    response = httpx.get(f"{served}/rdf-graphs", params={"graph": "https://example.org/none"})
    assert response.status_code == 404


@pytest.mark.parametrize("method", ["PUT", "POST", "DELETE"])
def test_graph_store_writes_are_refused_as_read_only(served: str, method: str) -> None:
    response = httpx.request(method, f"{served}/rdf-graphs?default",
                             content=b"<a:b> <a:c> <a:d> .",
                             headers={"Content-Type": "application/n-triples"})
    assert response.status_code == 403
    assert "built from the files in data/" in response.text


@pytest.mark.parametrize("how", ["form", "direct"])
def test_sparql_update_is_refused_as_read_only(served: str, how: str) -> None:
    update = "INSERT DATA { <urn:a> <urn:b> <urn:c> }"
    if how == "form":
        response = httpx.post(f"{served}/sparql", data={"update": update})
    else:
        response = httpx.post(f"{served}/sparql", content=update.encode(),
                              headers={"Content-Type": "application/sparql-update"})
    assert response.status_code == 403
    assert "built from the files in data/" in response.text
    after = httpx.get(f"{served}/sparql", params={"query": "ASK { <urn:a> ?p ?o }"})
    assert after.json()["boolean"] is False


def test_stored_query_answers_as_json(served: str) -> None:
    response = httpx.get(f"{served}/queries/founders.json")
    assert response.status_code == 200
    assert json.loads(response.text)["results"]["bindings"]


@pytest.mark.parametrize("params", [
    {"province": "rb:x> } DROP ALL #"},  # not an IRI
    {"nope": "rb:heilongjiang"},  # no such parameter
])
def test_stored_query_with_an_invalid_parameter_is_400(served: str, params: dict) -> None:
    response = httpx.get(f"{served}/queries/funding-by-province.csv", params=params)
    assert response.status_code == 400
    assert "DROP" not in response.text or "is not an IRI" in response.text


def test_stored_query_binds_a_parameter_given_in_the_query_string(served: str) -> None:
    every = httpx.get(f"{served}/queries/funding-by-province.json").json()
    one = httpx.get(f"{served}/queries/funding-by-province.json",
                    params={"province": "rb:heilongjiang"}).json()
    provinces = {r["province"]["value"] for r in one["results"]["bindings"]}
    assert provinces == {"https://w3id.org/rustbelt-kg/id/heilongjiang"}
    assert len(one["results"]["bindings"]) < len(every["results"]["bindings"])


def test_a_store_not_built_is_503_saying_to_build(tmp_path: Path) -> None:
    config = ServerConfig(store_path=tmp_path / "store", workers=1)
    with running(Project(ROOT), config) as base:
        response = httpx.get(f"{base}/sparql", params={"query": PEOPLE})
        page = httpx.get(f"{base}/id/wan-long.ttl")
    assert response.status_code == page.status_code == 503
    assert "rustbelt-kg build" in response.text
    assert str(tmp_path) not in response.text


def test_head_gives_the_headers_without_a_body(served: str) -> None:
    response = httpx.head(f"{served}/id/wan-long.ttl")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/turtle")
    assert response.headers["etag"]
    assert response.content == b""
