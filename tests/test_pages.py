"""The HTML pages, rendered from the real checkout's store and read back."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from markupsafe import escape
from rdflib import Literal, URIRef

from rustbelt_kg.errors import UnknownQueryError, UsageError
from rustbelt_kg.load import load_quads
from rustbelt_kg.namespaces import CLAIM, PREFIXES, RB, RBO
from rustbelt_kg.query import list_queries, run_query
from rustbelt_kg.server import diagrams, pages_graph
from rustbelt_kg.server.pages import MAX_ROWS, Pages
from rustbelt_kg.server.pages_text import in_context
from rustbelt_kg.store import OxigraphStore

BASE_URL = "http://127.0.0.1:8000"
ARTICLE_TEXT = RB + "article-text"
HOSTILE = '<script>alert("x")</script> & <b>bold</b>'


@pytest.fixture(scope="module")
def pages(built_project) -> Pages:  # type: ignore[no-untyped-def]
    return Pages(built_project.project, BASE_URL)


@pytest.fixture(scope="module")
def article(pages: Pages, built_project) -> str:  # type: ignore[no-untyped-def]
    return pages.article(built_project.store)


def _claims_quoting(store, source: str) -> set[str]:  # type: ignore[no-untyped-def]
    return {c.name for c in pages_graph.claims(store).values() if c.source == source}


def _text(built_project) -> str:  # type: ignore[no-untyped-def]
    return (built_project.project.root / "data" / "sources"
            / "china-daily-2016-03-25-rust-belt.txt").read_text(encoding="utf-8")


def test_article_has_one_highlight_start_per_claim_quoting_it(
    article: str, built_project
) -> None:  # type: ignore[no-untyped-def]
    expected = _claims_quoting(built_project.store, ARTICLE_TEXT)
    starts = re.findall(r'class="quote-start" id="quote-([^"]+)"', article)
    assert len(expected) == 59
    assert sorted(starts) == sorted(expected)


def test_every_highlight_links_to_a_claim_that_quotes_its_words(
    article: str, built_project
) -> None:  # type: ignore[no-untyped-def]
    claims = pages_graph.claims(built_project.store)
    highlights = re.findall(r'<a class="q" href="([^"]+)" data-claims="([^"]+)"[^>]*>([^<]*)</a>',
                            article)
    covered = set()
    for href, names, words in highlights:
        assert href == f"{BASE_URL}/claim/{names.split()[0]}"
        for name in names.split():
            assert html.unescape(words) in claims[CLAIM + name].exact
            covered.add(name)
    assert covered == _claims_quoting(built_project.store, ARTICLE_TEXT)


def test_crossing_quotes_are_cut_so_no_highlight_nests_in_another(
    article: str, built_project
) -> None:  # type: ignore[no-untyped-def]
    text = article[article.index('<article class="text"'):article.index("</article>")]
    for highlight in re.findall(r'<a class="q"[^>]*>(.*?)</a>', text, re.DOTALL):
        assert "<" not in highlight
    claims = [c for c in pages_graph.claims(built_project.store).values() if c.span]
    crossing = [(x, y) for x in claims for y in claims
                if x.span[0] < y.span[0] < x.span[1] < y.span[1]]  # type: ignore[index]
    assert crossing  # the article has quotes that cross: each is cut where the other begins
    pieces = [set(names.split()) for names in re.findall(r'<a class="q"[^>]*data-claims="([^"]+)"',
                                                        text)]
    for x, y in crossing:
        assert {x.name, y.name} in [p & {x.name, y.name} for p in pieces]
        assert {x.name} in [p & {x.name, y.name} for p in pieces]
        assert {y.name} in [p & {x.name, y.name} for p in pieces]


def test_article_marks_the_sentences_no_claim_quotes(article: str) -> None:
    unquoted = re.findall(r'<span class="unquoted"[^>]*>([^<]*)</span>', article)
    assert "Hot Topics" in unquoted
    assert "Editor&#39;s Picks" in unquoted
    assert not any("3,700" in words for words in unquoted)


def test_article_page_gives_metadata_and_credits(article: str) -> None:
    for words in ("China Daily", "2016-03-25", "Fan Feifei", "Zhou Huiying", "Liu Ce",
                  "Liu Mingtai", "included for verification of the quotes"):
        assert words in html.unescape(article)


def test_article_pages_are_named_after_their_source_files(
    pages: Pages, built_project
) -> None:  # type: ignore[no-untyped-def]
    named = pages.source(built_project.store, "china-daily-2016-03-25-rust-belt")
    assert named is not None and 'id="quote-hit-incubator-park-area"' in named
    assert pages.source(built_project.store, "../../etc/passwd") is None


def test_each_source_has_its_own_page_with_only_its_own_quotes(
    corpus_project, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    store = OxigraphStore(tmp_path / "store", create=True)
    store.replace_all(load_quads(corpus_project))
    pages = Pages(corpus_project, BASE_URL)
    texts = pages_graph.sources(store)
    assert len(texts) == 3
    for node, meta in texts.items():
        name = Path(str(meta[RBO + "filePath"][0])).stem  # data/sources/NAME.txt
        page = pages.source(store, name) or ""
        starts = re.findall(r'class="quote-start" id="quote-([^"]+)"', page)
        assert sorted(starts) == sorted(_claims_quoting(store, node)), name
        assert starts, name
    store.close()


def test_entity_page_puts_each_fact_beside_its_sentence(
    pages: Pages, built_project
) -> None:  # type: ignore[no-untyped-def]
    page = pages.entity(built_project.store, RB + "wan-long")
    assert page is not None
    claims = pages_graph.claims(built_project.store)
    facts = pages_graph.facts_about(built_project.store, RB + "wan-long")
    text = _text(built_project)
    quoted = {c for f in facts for c in f.claims}
    assert len(quoted) >= 5
    for claim in sorted(quoted):
        span = claims[claim].span
        assert span is not None
        before, words, after = in_context(text, *span)
        block = (f'<blockquote class="sentence">{escape(before)}<mark>{escape(words)}'
                 f"</mark>{escape(after)}</blockquote>")
        assert block in page, claim


def _entity_page(pages: Pages, store, name: str) -> str:  # type: ignore[no-untyped-def]
    return html.unescape(pages.entity(store, RB + name) or "")


def test_entity_page_says_whose_words_a_fact_reports_and_shows_the_notes(
    pages: Pages, built_project
) -> None:  # type: ignore[no-untyped-def]
    page = _entity_page(pages, built_project.store, "wan-long")
    for words in ("reported as the words of", "(“said Wan”)", "Editorial note:",
                  "stated by the article", 'title="The article reports it as someone'):
        assert words in page


def test_entity_page_gives_quantities_in_words_and_values(
    pages: Pages, built_project
) -> None:  # type: ignore[no-untyped-def]
    page = _entity_page(pages, built_project.store, "hit-incubator-park")
    for words in ("in the article's words: <q>3,700 square meters</q>",
                  '<data value="3700">3700</data>', f'title="{RBO}Exact"'):
        assert words in page


def test_wikidata_facts_sit_in_their_own_box_never_among_the_article_facts(
    pages: Pages, built_project
) -> None:  # type: ignore[no-untyped-def]
    page = pages.entity(built_project.store, RB + "heilongjiang") or ""
    article_part, box = page.split('<aside class="enrichment"', 1)
    assert "38312224" in box  # the population, fetched from the snapshot
    assert "38312224" not in article_part
    assert "Q19206" in box and "Offline SAMPLE" in box
    assert "From Wikidata, not from the article" in box


def test_claim_page_gives_triples_quote_provenance_and_entities(
    pages: Pages, built_project
) -> None:  # type: ignore[no-untyped-def]
    page = pages.claim(built_project.store, CLAIM + "hit-incubator-park-area") or ""
    assert "<mark>covers an area of 3,700 square meters</mark>" in page
    assert f'href="{BASE_URL}/id/hit-incubator-park"' in page
    in_text = f"{BASE_URL}/source/china-daily-2016-03-25-rust-belt#quote-hit-incubator-park-area"
    assert f'href="{in_text}"' in page
    assert "841–878" in page
    assert "stated by the article" in page


def test_unknown_iris_have_no_page(
    pages: Pages, built_project
) -> None:  # type: ignore[no-untyped-def]
    store = built_project.store
    assert pages.entity(store, RB + "no-such-thing") is None
    assert pages.claim(store, CLAIM + "no-such-claim") is None
    assert pages.claim(store, RB + "wan-long") is None
    assert pages.klass(store, RBO + "founder") is None  # a property, not a class


def test_class_page_lists_the_instances_of_the_class_and_its_subclasses(
    pages: Pages, built_project
) -> None:  # type: ignore[no-untyped-def]
    person = pages.klass(built_project.store, RBO + "Person") or ""
    assert f'href="{BASE_URL}/id/wan-long"' in person
    organisation = pages.klass(built_project.store, RBO + "Organization") or ""
    assert f'href="{BASE_URL}/id/harbin-world-wide-welding"' in organisation  # a Startup


def test_home_page_counts_each_class_as_its_page_lists_it(
    pages: Pages, built_project
) -> None:  # type: ignore[no-untyped-def]
    page = pages.home(built_project.store)
    for name in ("Person", "Organization", "Province"):
        count = len(pages_graph.instances(built_project.store, RBO + name))
        assert count >= 3
        assert re.search(rf'href="{BASE_URL}/class/{name}"[^>]*>[^<]*</a> '
                         rf'<span class="count">{count}</span>', page)
    assert f'href="{BASE_URL}/source/china-daily-2016-03-25-rust-belt"' in page


def test_ontology_page_documents_every_term_and_draws_the_classes(
    pages: Pages, built_project
) -> None:  # type: ignore[no-untyped-def]
    page = pages.ontology(built_project.store)
    terms = pages_graph.ontology_terms(built_project.store)
    assert len(terms) > 50
    for term in terms:
        assert f'id="{term.local}"' in page
        definition = term.first(PREFIXES["skos"] + "definition")
        assert str(escape(definition)) in page
    founder = page[page.index('id="foundedBy"'):]
    founder = founder[:founder.index("</section>")]
    assert "Domain" in founder and "Range" in founder
    assert 'schema:founder</a> <span class="alignment">alignment</span>' in founder
    assert "<svg" in page


def test_label_search_ignores_case(
    pages: Pages, built_project
) -> None:  # type: ignore[no-untyped-def]
    page = pages.search(built_project.store, "WAN long")
    assert f'href="{BASE_URL}/id/wan-long"' in page
    assert "0 matches" in pages.search(built_project.store, "zzz-nothing")


def test_stored_query_page_has_a_form_and_a_table(
    pages: Pages, built_project
) -> None:  # type: ignore[no-untyped-def]
    page = pages.query(built_project.store, "funding-by-province", {"province": "rb:liaoning"})
    assert 'name="province" value="rb:liaoning"' in page
    assert "<th scope=\"col\">provinceLabel</th>" in page
    assert ">Liaoning<" in page and ">Heilongjiang<" not in page
    assert f"{BASE_URL}/queries/funding-by-province.csv?province=rb%3Aliaoning" in page
    assert "Funding by province" in pages.queries_index()


def test_every_stored_query_has_a_page_with_its_whole_answer(
    pages: Pages, built_project
) -> None:  # type: ignore[no-untyped-def]
    queries = list_queries(built_project.project)
    assert len(queries) >= 20
    for stored in queries:
        page = pages.query(built_project.store, stored.name, {})
        answer = run_query(built_project.store, stored)
        rows = page.count("<tr><td")
        if answer.kind == "ask":
            assert "The answer is <strong>" in page, stored.name
        else:
            assert rows == min(len(answer), MAX_ROWS), stored.name


def test_stored_query_page_refuses_bad_parameters(
    pages: Pages, built_project
) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UsageError, match="is not an IRI"):
        pages.query(built_project.store, "funding-by-province", {"province": "rb:x> } #"})
    with pytest.raises(UsageError, match="has no parameter"):
        pages.query(built_project.store, "funding-by-province", {"nope": "1"})
    with pytest.raises(UnknownQueryError):
        pages.query(built_project.store, "no-such-query", {})


def test_sparql_form_works_without_script_and_predeclares_the_prefixes(pages: Pages) -> None:
    page = pages.sparql_form()
    assert f'<form class="sparql" action="{BASE_URL}/sparql" method="get">' in page
    assert '<textarea id="query" name="query"' in page
    for name, iri in PREFIXES.items():
        assert f"PREFIX {name}: &lt;{iri}&gt;" in page


def test_hostile_labels_are_escaped_everywhere(
    built_project, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    store = OxigraphStore(tmp_path / "store", create=True)
    evil = URIRef(CLAIM + "wan-long")
    store.replace_all([*built_project.quads,
                       (URIRef(RB + "wan-long"), URIRef(PREFIXES["rdfs"] + "label"),
                        Literal(HOSTILE, lang="en"), evil),
                       (URIRef(RB + "wan-long"), URIRef(RBO + "memberOf"),
                        URIRef("javascript:alert(1)"), evil)])
    pages = Pages(built_project.project, BASE_URL)
    rendered = [pages.entity(store, RB + "wan-long") or "", pages.search(store, "script"),
                pages.article(store), pages.klass(store, RBO + "Person") or "",
                pages.claim(store, CLAIM + "wan-long") or ""]
    store.close()
    for page in rendered:
        assert 'href="javascript:' not in page.lower()
        assert "<script>alert" not in page
        assert "<b>bold" not in page
    assert "&lt;script&gt;alert" in rendered[0] and "&lt;script&gt;alert" in rendered[1]
    assert 'title="javascript:alert(1)"' in rendered[0]  # shown, never a link


def test_a_rebuilt_store_shows_its_own_content_through_the_same_pages(
    pages: Pages, built_project, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    before = pages.entity(built_project.store, RB + "wan-long") or ""
    rebuilt = OxigraphStore(tmp_path / "store", create=True)
    rebuilt.replace_all([q for q in built_project.quads
                         if not (q[0] == URIRef(RB + "wan-long") and str(q[2]) == "Wan Long")]
                        + [(URIRef(RB + "wan-long"), URIRef(PREFIXES["rdfs"] + "label"),
                            Literal("Wan Long, renamed", lang="en"), URIRef(CLAIM + "wan-long"))])
    after = pages.entity(rebuilt, RB + "wan-long") or ""
    rebuilt.close()
    assert "<h1>Wan Long</h1>" in before
    assert "<h1>Wan Long, renamed</h1>" in after


def test_entity_page_without_graphviz_says_so(
    pages: Pages, built_project, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PATH", "")
    page = pages.entity(built_project.store, RB + "wan-long") or ""
    assert "<svg" not in page
    assert "not available: Graphviz" in page
    assert "What the article says" in page


def test_a_failing_dot_gives_no_picture(
    tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    fake = tmp_path / "dot"
    fake.write_text("#!/bin/sh\necho broken >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    picture = diagrams.Diagram("t")
    picture.node("a", "a")
    assert diagrams.render_svg(picture) is None


def test_diagram_labels_cannot_break_out_of_dot_or_svg() -> None:
    picture = diagrams.Diagram(HOSTILE)
    picture.node("a", 'x"]; evil [label="y', "/id/a", "focus")
    picture.node("b", HOSTILE + "\\l\n")
    picture.edge("a", "b", HOSTILE)
    svg = diagrams.render_svg(picture) or ""
    assert svg.startswith("<svg")
    assert svg.count('class="node"') == 2 and svg.count('class="edge"') == 1
    assert "<script" not in svg and "<b>" not in svg
