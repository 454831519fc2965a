"""Content negotiation, as a matrix: every route that names a resource, every media type
we serve or not, by ``Accept`` and by suffix; plus ``Vary``, ``ETag`` and 304, and ``Link``."""

from __future__ import annotations

import httpx
import pytest
import rdflib

pytestmark = pytest.mark.server

RB = "https://w3id.org/rustbelt-kg/"

#: Media type, suffix, rdflib parser (None: HTML).
TYPES = {
    "html": ("text/html", "html", None),
    "turtle": ("text/turtle", "ttl", "turtle"),
    "nt": ("application/n-triples", "nt", "nt"),
    "jsonld": ("application/ld+json", "jsonld", "json-ld"),
    "xml": ("application/rdf+xml", "rdf", "xml"),
    "trig": ("application/trig", "trig", "trig"),
    "nquads": ("application/n-quads", "nq", "nquads"),
}
TRIPLES = ("turtle", "nt", "jsonld", "xml")

#: Each route, the IRI it stands for, and the representations it serves.
ROUTES = {
    "/id/wan-long": (RB + "id/wan-long", ("html", *TRIPLES)),
    "/claim/hit-incubator-park": (RB + "claim/hit-incubator-park",
                                  ("html", *TRIPLES, "trig", "nquads")),
    "/graph/ontology": (RB + "graph/ontology", (*TRIPLES, "trig", "nquads")),
    "/class/Person": (RB + "ontology#Person", ("html", *TRIPLES)),
    "/ontology": (RB + "ontology", ("html", *TRIPLES)),
    "/shapes": (RB + "shapes", TRIPLES),
}

MATRIX = [(route, name) for route in ROUTES for name in TYPES]


def _check(response: httpx.Response, route: str, name: str) -> None:
    iri, served = ROUTES[route]
    media_type, _, parser = TYPES[name]
    if name not in served:
        assert response.status_code in (404, 406), response.text
        return
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == media_type
    assert "Accept" in response.headers["vary"]
    assert response.headers["etag"]
    if parser is None:
        assert iri in response.text or iri.removeprefix(RB) in response.text
        return
    dataset = rdflib.Dataset()
    dataset.parse(data=response.text, format=parser)
    assert len(dataset) > 0 or any(len(g) for g in dataset.graphs())


@pytest.mark.parametrize(("route", "name"), MATRIX)
def test_each_route_answers_each_media_type_by_accept(served: str, route: str, name: str) -> None:
    response = httpx.get(served + route, headers={"Accept": TYPES[name][0]})
    _check(response, route, name)


@pytest.mark.parametrize(("route", "name"), MATRIX)
def test_each_route_answers_each_media_type_by_suffix(served: str, route: str, name: str) -> None:
    response = httpx.get(f"{served}{route}.{TYPES[name][1]}")
    _check(response, route, name)


@pytest.mark.parametrize("route", ROUTES)
def test_a_type_we_do_not_serve_is_406(served: str, route: str) -> None:
    response = httpx.get(served + route, headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert "text/turtle" in response.text


@pytest.mark.parametrize("route", ["/sparql?query=SELECT%20*%20%7B%7D", "/.well-known/void",
                                   "/rdf-graphs?graph=" + RB + "graph/ontology"])
def test_a_type_we_do_not_serve_is_406_elsewhere_too(served: str, route: str) -> None:
    assert httpx.get(served + route, headers={"Accept": "image/png"}).status_code == 406


def test_a_browser_gets_html_and_a_program_that_takes_anything_gets_turtle(served: str) -> None:
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    page = httpx.get(f"{served}/id/wan-long", headers={"Accept": browser})
    anything = httpx.get(f"{served}/id/wan-long", headers={"Accept": "*/*"})
    assert page.headers["content-type"].startswith("text/html")
    assert anything.headers["content-type"].startswith("text/turtle")


@pytest.mark.parametrize("route", [*ROUTES, "/sparql?query=ASK%7B%7D", "/.well-known/void"])
def test_if_none_match_with_the_etag_gets_304(served: str, route: str) -> None:
    first = httpx.get(served + route)
    again = httpx.get(served + route, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == first.headers["etag"]
    other = httpx.get(served + route, headers={"If-None-Match": '"another"'})
    assert other.status_code == 200


def test_each_representation_has_its_own_etag(served: str) -> None:
    tags = {httpx.get(f"{served}/id/wan-long.{TYPES[n][1]}").headers["etag"] for n in TRIPLES}
    assert len(tags) == len(TRIPLES)


def test_link_headers_name_the_alternates_and_the_canonical_iri(served: str) -> None:
    response = httpx.get(f"{served}/id/wan-long", headers={"Accept": "text/turtle"})
    links = response.headers["link"]
    assert f'<{RB}id/wan-long>; rel="canonical"' in links
    for name in TRIPLES:
        media_type, suffix, _ = TYPES[name]
        assert f'</id/wan-long.{suffix}>; rel="alternate"; type="{media_type}"' in links


def test_an_unknown_resource_is_404(served: str) -> None:
    for path in ("/id/no-such-thing", "/id/no-such-thing.ttl", "/claim/no-such-claim.trig",
                 "/id/wan-long%3E%20%3Fp%20%3Fo%20%7D%20%23", "/id/a%20b", "/id/a%5Cu0020b"):
        for accept in ("text/html", "text/turtle"):
            assert httpx.get(served + path, headers={"Accept": accept}).status_code == 404


def test_a_format_parameter_chooses_like_accept(served: str) -> None:
    response = httpx.get(f"{served}/id/wan-long", params={"format": "nt"})
    assert response.headers["content-type"].startswith("application/n-triples")
    assert httpx.get(f"{served}/id/wan-long", params={"format": "png"}).status_code == 406


@pytest.mark.parametrize("path", ["/", "/article", "/search?q=wan", "/queries",
                                  "/queries/founders", "/sparql"])
def test_pages_answer_html(served: str, path: str) -> None:
    response = httpx.get(served + path, headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
