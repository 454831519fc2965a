"""A real browser (Debian's chromium, driven by Playwright) reads the pages.

It opens the article, counts its highlights against the claims in the store, follows a
highlight to its claim and on to an entity, runs a stored query with a parameter through its
form and reads the table, all through the real server (``rustbelt-kg serve``'s application
under uvicorn on loopback: the ``served`` fixture). Screenshots go to ``build/screenshots/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from rustbelt_kg.namespaces import PREFIXES
from rustbelt_kg.query import get_query, run_query

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


@pytest.fixture(scope="module")
def base_url(served: str) -> str:
    """The base URL of our server on 127.0.0.1, serving the real checkout."""
    return served


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless chromium from Debian (``scripts/test-system-packages`` installs it)."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/test-system-packages")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh page the size of a laptop screen."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    yield opened
    context.close()


def _shot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def _claims_quoting_the_article(store) -> set[str]:  # type: ignore[no-untyped-def]
    rows = store.query(
        f"PREFIX oa: <{PREFIXES['oa']}> PREFIX rbo: <{PREFIXES['rbo']}> "
        "SELECT DISTINCT ?claim WHERE { GRAPH ?g { ?claim a rbo:Claim ; rbo:evidence ?t . "
        "?t oa:hasSource <https://w3id.org/rustbelt-kg/id/article-text> } }"
    ).rows
    return {str(row["claim"]).rsplit("/", 1)[-1] for row in rows}


def test_article_highlights_one_quote_per_claim_and_lead_to_claim_and_entity(
    page: Page, base_url: str, built_project
) -> None:  # type: ignore[no-untyped-def]
    expected = _claims_quoting_the_article(built_project.store)
    page.goto(f"{base_url}/article")
    starts = page.locator(".quote-start").evaluate_all("els => els.map(e => e.dataset.claim)")
    highlighted = page.locator("a.q").evaluate_all(
        "els => els.flatMap(e => e.dataset.claims.split(' '))")
    assert sorted(starts) == sorted(expected)
    assert set(highlighted) == expected
    assert page.locator(".unquoted").count() >= 1

    highlight = page.locator('a.q[href$="/claim/hit-incubator-park-area"]').first
    highlight.hover()
    popover = page.locator(f"#{highlight.get_attribute('aria-describedby')}")
    assert popover.is_visible()
    assert "3,700 square meters" in popover.inner_text()
    shot = _shot(page, "article")
    assert shot.stat().st_size > 10_000

    highlight.click()
    page.wait_for_url("**/claim/hit-incubator-park-area")
    assert "hit incubator park area" in page.locator("h1").inner_text()
    assert page.locator("blockquote.sentence mark").inner_text() == (
        "covers an area of 3,700 square meters")
    _shot(page, "claim")

    page.locator('section[aria-labelledby="h-entities"] a[href$="/id/hit-incubator-park"]').click()
    page.wait_for_url("**/id/hit-incubator-park")
    assert page.locator("h1").inner_text() == built_project.store.query(
        "SELECT ?l WHERE { <https://w3id.org/rustbelt-kg/id/hit-incubator-park> "
        "<http://www.w3.org/2000/01/rdf-schema#label> ?l }").rows[0]["l"].toPython()
    assert page.locator("blockquote.sentence mark", has_text="3,700 square meters").count() >= 1
    _shot(page, "entity")


def test_on_a_touch_screen_the_first_tap_shows_a_claim_and_the_second_opens_it(
    browser: Browser, base_url: str
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True,
                                  is_mobile=True)
    phone = context.new_page()
    phone.goto(f"{base_url}/article")
    highlight = phone.locator('a.q[href$="/claim/hit-incubator-park-area"]').first
    highlight.tap()
    popover = phone.locator(f"#{highlight.get_attribute('aria-describedby')}")
    assert popover.is_visible()
    assert phone.url == f"{base_url}/article"
    _shot(phone, "article-phone")
    highlight.tap()
    phone.wait_for_url("**/claim/hit-incubator-park-area")
    context.close()


def test_a_stored_query_runs_through_its_form_and_shows_its_table(
    page: Page, base_url: str, built_project
) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base_url}/queries")
    page.get_by_role("link", name="Funding by province").click()
    page.get_by_label("province").fill("rb:liaoning")
    page.get_by_role("button", name="Run").click()
    page.wait_for_url("**/queries/funding-by-province?province=rb%3Aliaoning")
    table = page.locator("table.results")
    headers = table.locator("thead th").all_inner_texts()
    cells = table.locator("tbody tr").evaluate_all(
        "rows => rows.map(r => Array.from(r.cells).map(c => c.innerText))")
    expected = run_query(built_project.store, get_query(built_project.project,
                                                         "funding-by-province"),
                         {"province": "rb:liaoning"})
    assert headers == expected.vars
    assert len(cells) == len(expected.rows) >= 1
    assert {row[headers.index("provinceLabel")] for row in cells} == {"Liaoning"}
    _shot(page, "query")



def test_the_sparql_form_answers_with_a_table_in_a_browser_without_javascript(
    browser: Browser, base_url: str
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900},
                                  java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{base_url}/sparql")
    query = page.get_by_label("Query")
    asked = query.input_value().replace("?person a rbo:Person", "?person a rbo:Company")
    query.fill(asked)
    page.get_by_role("button", name="Run").click()
    page.wait_for_url("**/sparql?query=*")
    assert page.get_by_label("Query").input_value() == asked
    headers = page.locator("table.results thead th").all_inner_texts()
    names = page.locator("table.results tbody tr").evaluate_all(
        "rows => rows.map(r => r.cells[1].innerText)")
    assert headers == ["person", "name"]
    assert len(names) >= 1 and names == sorted(names)
    _shot(page, "sparql")
    context.close()
