"""The W3C SPARQL 1.1 Protocol tests, run as HTTP exchanges against our server.

Our harness reads ``sparql/sparql11/protocol/manifest.ttl``: each test has one or more
requests (method, path under ``/sparql/``, headers, a body in a given character encoding)
and, for each, the response it expects (a class of status, and for a query its format:
``boolean`` with its value, ``tabular`` or ``RDF``). The graphs the tests name
(``ut:graphData``) are loaded as named graphs into a store that a server of ours, under
uvicorn on loopback, serves. Tests our read-only server does not pass are listed with a
reason in ``tests/w3c/protocol-skips.tsv``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import rdflib
from rdflib.collection import Collection
from served import running
from w3c_suites import MF, W3cTest, check_skip_list, local_file, params, require_suites, suite_tests

from rustbelt_kg.project import Project
from rustbelt_kg.server import ServerConfig
from rustbelt_kg.store import OxigraphStore
from rustbelt_kg.terms import Quad

pytestmark = pytest.mark.server

MANIFEST = "sparql/sparql11/protocol/manifest.ttl"
SKIPS = "protocol-skips.tsv"
TESTS = suite_tests(MANIFEST)
ROOT = Path(__file__).resolve().parents[1]

HT = rdflib.Namespace("http://www.w3.org/2011/http#")
CNT = rdflib.Namespace("http://www.w3.org/2011/content#")
UT = rdflib.Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
HTS = rdflib.Namespace("http://www.w3.org/2011/http-statusCodes#")

RESULT_TYPES = {"application/sparql-results+json", "application/sparql-results+xml",
                "text/csv", "text/tab-separated-values"}
RDF_TYPES = {"text/turtle", "application/n-triples", "application/rdf+xml",
             "application/ld+json"}


def _graph_data() -> list[Quad]:
    """The quads of every ``ut:graphData`` of the suite: each file as the graph its label
    names."""
    quads: dict[Quad, None] = {}
    for test in TESTS:
        for data in test.graph.objects(test.node, UT.graphData):
            name = rdflib.URIRef(str(test.graph.value(data, rdflib.RDFS.label)))
            source = rdflib.Graph().parse(local_file(test.graph.value(data, UT.graph)),
                                          format="nt")
            quads.update(((s, p, o, name), None) for s, p, o in source)
    return list(quads)


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Our server over a store holding the suite's graphs."""
    store_path = tmp_path_factory.mktemp("protocol") / "store"
    store = OxigraphStore(store_path, create=True)
    store.replace_all(_graph_data())
    store.close()
    with running(Project(ROOT), ServerConfig(store_path=store_path, workers=1)) as base:
        yield base


def test_w3c_protocol_suite_is_there_and_the_skip_list_names_its_tests() -> None:
    require_suites(MANIFEST)
    assert len(TESTS) == 34
    check_skip_list(SKIPS, TESTS)


def _requests(test: W3cTest) -> list[rdflib.term.Node]:
    action = test.graph.value(test.node, MF.action)
    return list(Collection(test.graph, test.graph.value(action, HT.requests)))


def _send(base: str, graph: rdflib.Graph, request: rdflib.term.Node) -> httpx.Response:
    path = str(graph.value(request, HT.absolutePath))
    assert path.startswith("/sparql/")
    headers = {}
    for header in Collection(graph, graph.value(request, HT.headers) or rdflib.RDF.nil):
        headers[str(graph.value(header, HT.fieldName))] = str(graph.value(header, HT.fieldValue))
    body = graph.value(request, HT.body)
    content = None
    if body is not None:
        encoding = str(graph.value(body, CNT.characterEncoding) or "UTF-8")
        content = str(graph.value(body, CNT.chars)).encode(encoding)
    url = base + "/sparql" + path[len("/sparql/"):]  # our endpoint is /sparql
    return httpx.request(str(graph.value(request, HT.methodName)), url, headers=headers,
                         content=content, timeout=30)


def _check(graph: rdflib.Graph, expected: rdflib.term.Node, response: httpx.Response) -> None:
    classes = {str(s).rsplit("StatusCode", 1)[-1] for s in graph.objects(expected,
                                                                           MF.expectedStatus)}
    assert f"{response.status_code // 100}xx" in classes, (response.status_code, response.text)
    media_type = response.headers.get("content-type", "").split(";")[0]
    form = graph.value(expected, MF.expectedFormat)
    if form is None:
        return
    if str(form) == "RDF":
        assert media_type in RDF_TYPES
        return
    assert media_type in RESULT_TYPES
    answer = graph.value(expected, MF.expectedBoolean)
    if str(form) == "boolean":
        assert media_type in {"application/sparql-results+json", "application/sparql-results+xml"}
        if answer is not None:
            expected_text = "true" if answer.toPython() else "false"
            if media_type.endswith("json"):
                assert json.loads(response.text)["boolean"] is answer.toPython()
            else:
                assert f"<boolean>{expected_text}</boolean>" in response.text


@pytest.mark.parametrize("test", params(TESTS, SKIPS))
def test_w3c_protocol(endpoint: str, test: W3cTest) -> None:
    for request in _requests(test):
        response = _send(endpoint, test.graph, request)
        _check(test.graph, test.graph.value(request, HT.resp), response)
