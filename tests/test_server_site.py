"""The served site as a reader and a program meet it: every link resolves, stored queries
answer with the right statuses, and the SPARQL form works without JavaScript."""

from __future__ import annotations

from collections import deque
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import httpx
import pytest

#: Pages the crawl reads at most: the site has a few hundred.
MAX_PAGES = 400
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


class _Links(HTMLParser):
    """The links (``href``, ``src``) and element ids of one HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        for name in ("href", "src", "action"):
            if found.get(name):
                self.links.append(str(found[name]))
        if found.get("id"):
            self.ids.add(str(found["id"]))


def _parsed(html: str) -> _Links:
    parser = _Links()
    parser.feed(html)
    return parser


def _crawl(client: httpx.Client, base: str) -> tuple[dict[str, int], set[str], dict[str, set[str]]]:
    """From ``/``: the status of every internal URL reached, the fragments asked for (as
    ``url#fragment``) and the ids of each HTML page."""
    statuses: dict[str, int] = {}
    fragments: set[str] = set()
    ids: dict[str, set[str]] = {}
    todo = deque([base + "/"])
    while todo and len(statuses) < MAX_PAGES:
        url = todo.popleft()
        if url in statuses:
            continue
        response = client.get(url, headers={"Accept": BROWSER})
        statuses[url] = response.status_code
        if not response.headers.get("content-type", "").startswith("text/html"):
            continue
        page = _parsed(response.text)
        ids[url] = page.ids
        for link in page.links:
            target, fragment = urldefrag(urljoin(url, link))
            if not target.startswith(base + "/"):
                continue
            if fragment:
                fragments.add(f"{target}#{fragment}")
            if target not in statuses:
                todo.append(target)
    return statuses, fragments, ids


def test_every_link_of_every_page_resolves(served: str) -> None:
    with httpx.Client(timeout=60, follow_redirects=True) as client:
        statuses, fragments, ids = _crawl(client, served)
    broken = {url: status for url, status in statuses.items() if status != 200}
    assert broken == {}
    paths = {urlsplit(url).path for url in statuses}
    for kind in ("/article", "/source/", "/id/", "/claim/", "/class/", "/ontology",
                 "/queries/", "/static/pages.css", "/static/pages.js", "/.well-known/void"):
        assert any(p.startswith(kind) for p in paths), f"the crawl reached no {kind}"
    assert len(statuses) < MAX_PAGES, "the site outgrew the crawl: raise MAX_PAGES"
    missing = {f for f in fragments
               if f.split("#")[0] in ids and f.split("#", 1)[1] not in ids[f.split("#")[0]]}
    assert missing == set()


def test_a_source_page_shows_the_named_text_and_an_unknown_source_is_404(served: str) -> None:
    name = "china-daily-2016-03-25-rust-belt"
    found = httpx.get(f"{served}/source/{name}", headers={"Accept": BROWSER})
    assert found.status_code == 200
    assert found.text == httpx.get(f"{served}/article", headers={"Accept": BROWSER}).text
    assert httpx.get(f"{served}/source/no-such-text").status_code == 404


def test_a_class_page_lists_the_instances_of_an_ontology_class(served: str) -> None:
    response = httpx.get(f"{served}/class/Person", headers={"Accept": BROWSER})
    assert response.status_code == 200
    assert "Class: " in response.text
    assert f'href="{served}/id/wan-long"' in response.text


@pytest.mark.parametrize("suffix", ["", ".json"])
def test_an_unknown_stored_query_is_404(served: str, suffix: str) -> None:
    response = httpx.get(f"{served}/queries/no-such-query{suffix}",
                         headers={"Accept": BROWSER})
    assert response.status_code == 404
    assert "no-such-query" in response.text


@pytest.mark.parametrize("suffix", ["", ".json"])
def test_a_bad_parameter_value_of_a_stored_query_is_400(served: str, suffix: str) -> None:
    response = httpx.get(f"{served}/queries/funding-by-province{suffix}",
                         params={"province": "not an IRI> }"}, headers={"Accept": BROWSER})
    assert response.status_code == 400
    assert "is not an IRI" in response.text


def test_a_stored_query_with_a_parameter_answers_its_page_and_its_json(served: str) -> None:
    params = {"province": "rb:liaoning"}
    page = httpx.get(f"{served}/queries/funding-by-province", params=params,
                     headers={"Accept": BROWSER})
    answer = httpx.get(f"{served}/queries/funding-by-province.json", params=params)
    assert page.status_code == answer.status_code == 200
    rows = answer.json()["results"]["bindings"]
    assert rows and {r["provinceLabel"]["value"] for r in rows} == {"Liaoning"}
    assert page.text.count("<tr>") == len(rows) + 1


PEOPLE = "SELECT ?name WHERE { rb:wan-long rdfs:label ?name }"


@pytest.mark.parametrize(("headers", "params"), [
    ({"Accept": BROWSER}, {}),
    ({}, {"format": "html"}),
])
def test_a_browser_submitting_the_query_form_gets_a_table_and_keeps_its_query(
    served: str, headers: dict[str, str], params: dict[str, str]
) -> None:
    response = httpx.get(f"{served}/sparql", params={"query": PEOPLE, **params},
                         headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<textarea" in response.text and "rb:wan-long rdfs:label ?name" in response.text
    table = response.text.split('<table class="results">', 1)[1].split("</table>", 1)[0]
    assert "<th scope=\"col\">name</th>" in table
    assert "Wan Long" in table


def test_a_construct_submitted_by_a_browser_is_a_table_of_triples(served: str) -> None:
    query = "CONSTRUCT { rb:wan-long rdfs:label ?l } WHERE { rb:wan-long rdfs:label ?l }"
    response = httpx.post(f"{served}/sparql", data={"query": query, "format": "html"})
    assert response.status_code == 200
    assert '<th scope="col">predicate</th>' in response.text
    assert "Wan Long" in response.text


def test_programs_keep_getting_sparql_results_from_the_query_form_route(served: str) -> None:
    for accept in ("*/*", "application/sparql-results+json", None):
        headers = {"Accept": accept} if accept else {}
        response = httpx.get(f"{served}/sparql", params={"query": PEOPLE}, headers=headers)
        assert response.headers["content-type"].startswith("application/sparql-results+json")
        assert response.json()["results"]["bindings"][0]["name"]["value"] == "Wan Long"


def test_the_query_form_offers_a_table_first(served: str) -> None:
    form = httpx.get(f"{served}/sparql", headers={"Accept": BROWSER}).text
    options = form.split('<select id="format"', 1)[1]
    assert options.index('value="html"') < options.index('value="json"')


def test_the_ontology_version_iri_leads_to_the_ontology_and_another_version_is_404(
    served: str
) -> None:
    response = httpx.get(f"{served}/ontology/0.1.0")
    assert response.status_code == 303
    assert response.headers["location"] == f"{served}/ontology"
    assert httpx.get(f"{served}/ontology/9.9.9").status_code == 404
