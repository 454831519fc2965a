"""Every claim rests on the exact words of the article, at the offsets it records."""

from __future__ import annotations

from pathlib import Path

import pytest
import rdflib

from rustbelt_kg import provenance
from rustbelt_kg.errors import UsageError
from rustbelt_kg.namespaces import CLAIM, PROVENANCE_GRAPH, RBO

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "data" / "sources" / "china-daily-2016-03-25-rust-belt.txt"
PUBLISHED_SHA256 = "1eb9cb1589dd1d8b60ea84c79de0c692c5691d5ec74a1d074a2d09b9c972dc93"

#: Sentences of the text that state no fact, and why.
EXPLAINED_UNCOVERED = {
    "Heilongjiang is not alone.": "a transition to the next province; it states no fact of its own",
    "Hot Topics": "page furniture of the web page the text was taken from, not the article",
    "Editor's Picks": "page furniture of the web page the text was taken from, not the article",
}

OA = rdflib.Namespace("http://www.w3.org/ns/oa#")


def _article_dataset() -> rdflib.Dataset:
    dataset = rdflib.Dataset()
    for path in sorted((ROOT / "data" / "article").glob("*.trig")):
        dataset.parse(data=path.read_text(encoding="utf-8"), format="trig")
    return dataset


@pytest.fixture(scope="module")
def text() -> str:
    return SOURCE.read_text(encoding="utf-8")


@pytest.fixture()
def dataset() -> rdflib.Dataset:
    return _article_dataset()


def test_stored_text_is_the_article_as_received(text: str) -> None:
    assert provenance.sha256(text) == PUBLISHED_SHA256
    assert len(text) == 3799


def test_every_quote_sits_verbatim_at_its_offsets(dataset: rdflib.Dataset, text: str) -> None:
    assert provenance.check(dataset, text) == []


def test_every_claim_graph_is_a_claim_with_a_quote(dataset: rdflib.Dataset) -> None:
    claims = {str(g.identifier) for g in dataset.graphs() if str(g.identifier).startswith(CLAIM)}
    quoted = {e.claim for e in provenance.evidence(dataset) if e.exact}
    assert claims, "the article data holds no claim graphs"
    assert claims == quoted


def test_sentences_without_a_fact_are_only_the_explained_ones(
    dataset: rdflib.Dataset, text: str
) -> None:
    uncovered = [s.text for s in provenance.uncovered_sentences(dataset, text)]
    assert sorted(uncovered) == sorted(EXPLAINED_UNCOVERED)


def test_check_reports_a_quote_that_is_not_at_its_offsets(
    dataset: rdflib.Dataset, text: str
) -> None:
    provenance_graph = dataset.graph(rdflib.URIRef(PROVENANCE_GRAPH))
    selector = rdflib.URIRef(CLAIM + "wan-long#position")
    start = provenance_graph.value(selector, OA.start)
    provenance_graph.set((selector, OA.start, rdflib.Literal(int(start) + 1)))
    problems = provenance.check(dataset, text)
    assert len(problems) == 1
    assert problems[0].startswith("claim wan-long: quote 'Wan Long, 25,")


def test_check_reports_an_offset_that_is_not_an_integer(
    dataset: rdflib.Dataset, text: str
) -> None:
    provenance_graph = dataset.graph(rdflib.URIRef(PROVENANCE_GRAPH))
    selector = rdflib.URIRef(CLAIM + "wan-long#position")
    provenance_graph.set((selector, OA.start, rdflib.Literal("12a")))
    assert provenance.check(dataset, text) == ["claim wan-long: oa:start '12a' is not an integer"]


def test_check_reports_a_claim_graph_without_provenance(
    dataset: rdflib.Dataset, text: str
) -> None:
    orphan = dataset.graph(rdflib.URIRef(CLAIM + "orphan"))
    orphan.add((rdflib.URIRef("urn:x:a"), rdflib.URIRef("urn:x:b"), rdflib.Literal("c")))
    problems = provenance.check(dataset, text)
    assert problems == [f"graph {CLAIM}orphan: holds facts but is not a claim with a quote"]


def test_check_reports_a_changed_source_text(dataset: rdflib.Dataset, text: str) -> None:
    changed = text.replace("Wan Long, 25", "Wan Long, 26")
    problems = provenance.check(dataset, changed)
    assert any("SHA-256" in p for p in problems)
    assert any(p.startswith("claim wan-long:") for p in problems)


def test_source_text_records_its_sha256_and_path(dataset: rdflib.Dataset) -> None:
    graph = dataset.graph(rdflib.URIRef(PROVENANCE_GRAPH))
    rbo = rdflib.Namespace(RBO)
    texts = list(graph.subjects(rdflib.RDF.type, rbo.SourceText))
    assert len(texts) == 1
    assert str(graph.value(texts[0], rbo.sha256)) == PUBLISHED_SHA256
    assert (ROOT / str(graph.value(texts[0], rbo.filePath))).is_file()


def test_locate_refuses_a_quote_that_is_not_in_the_text(text: str) -> None:
    with pytest.raises(UsageError, match="not found"):
        provenance.locate(text, "Wan Long, 52")


def test_locate_needs_an_occurrence_for_a_repeated_quote(text: str) -> None:
    assert provenance.locate(text, "last year", occurrence=2)[0] > provenance.locate(
        text, "last year", occurrence=1
    )[0]
    with pytest.raises(UsageError, match="occurs 3 time"):
        provenance.locate(text, "last year", occurrence=5)


def test_sentence_at_names_the_whole_sentence(text: str) -> None:
    start, end = provenance.locate(text, "boasts 38 startups")
    sentence = provenance.sentence_at(text, start, end)
    assert sentence is not None
    assert sentence.text.startswith("The Harbin Institute of Technology's student incubator park")
    assert sentence.text.endswith("boasts 38 startups.")


def test_doubtful_wording_is_annotated_not_corrected(dataset: rdflib.Dataset) -> None:
    rbo = rdflib.Namespace(RBO)
    claim = rdflib.URIRef(CLAIM + "ke-dongyue-investor")
    note = dataset.graph(rdflib.URIRef(PROVENANCE_GRAPH)).value(claim, rbo.editorialNote)
    assert note is not None and "investors" in str(note)
    facts = dataset.graph(claim)
    ke = rdflib.URIRef("https://w3id.org/rustbelt-kg/id/ke-dongyue")
    assert (None, rbo.investor, ke) in facts
