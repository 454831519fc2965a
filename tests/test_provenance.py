"""Every claim rests on the exact words of the article, at the offsets it records."""

from __future__ import annotations

from pathlib import Path

import pytest
import rdflib

from rustbelt_kg import provenance
from rustbelt_kg.errors import UsageError
from rustbelt_kg.namespaces import CLAIM, PROVENANCE_GRAPH, RBO, SOURCES_GRAPH

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "data" / "sources" / "china-daily-2016-03-25-rust-belt.txt"
PUBLISHED_SHA256 = "1eb9cb1589dd1d8b60ea84c79de0c692c5691d5ec74a1d074a2d09b9c972dc93"

#: Sentences of the text that state no fact, and why.
EXPLAINED_UNCOVERED = {
    "Hot Topics": "page furniture of the web page the text was taken from, not the article",
    "Editor's Picks": "page furniture of the web page the text was taken from, not the article",
}

OA = rdflib.Namespace("http://www.w3.org/ns/oa#")


def _article_dataset() -> rdflib.Dataset:
    dataset = rdflib.Dataset()
    for path in sorted((ROOT / "data" / "article").glob("*.trig")):
        dataset.parse(data=path.read_text(encoding="utf-8"), format="trig")
    for path in sorted((ROOT / "data" / "sources").glob("*.ttl")):
        dataset.graph(rdflib.URIRef(SOURCES_GRAPH)).parse(path, format="turtle")
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
    graph = dataset.graph(rdflib.URIRef(SOURCES_GRAPH))
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


# -- the article's words, inside their own claim's quote -------------------------------------

RB = rdflib.Namespace("https://w3id.org/rustbelt-kg/id/")
SCHEMA = rdflib.Namespace("https://schema.org/")
RBO_NS = rdflib.Namespace(RBO)

#: One invalid example per kind of mismatch: (claim, subject, property, value, what it shows).
MISQUOTED = {
    "words from elsewhere in the article": (
        "harbin-world-wide-welding-turnover", RB["time-harbin-world-wide-welding-turnover"],
        RBO_NS.statedAs, "By the end of 2015",
    ),
    "a statement's text running past its quote": (
        "statement-ke", RB["statement-ke"], RBO_NS.text,
        "I can also find investors here,\" said Ke.\n\nAnd in Jilin province",
    ),
    "an attribution outside the quote": (
        "changchun-enterprises-engine", RB["changchun-innovation-enterprises"],
        RBO_NS.attribution, "according to Jilin officials",
    ),
    "words of another claim's quote": (
        "sanhao-street", RB["sanhao-street"], RBO_NS.description,
        "dedicated solely to entrepreneurs",
    ),
    "a paraphrase": (
        "ke-dongyue-former-pediatrician", RB["ke-dongyue"], RBO_NS.description,
        "left a secure job as a children's doctor",
    ),
    "another case": (
        "northeast-provinces", RB["northeast-china"], RBO_NS.description,
        "the northeastern provinces of Heilongjiang, Jilin and Liaoning",
    ),
    "other spacing": (
        "hit-incubator-park-area", RB["hit-incubator-park-area"], RBO_NS.statedAs,
        "3,700  square meters",
    ),
    "a language-tagged value": (
        "article-headline", RB["article"], SCHEMA.headline,
        rdflib.Literal("China's Rust Belt Edges Near Startup Boom", lang="en"),
    ),
}


def _misquote(dataset: rdflib.Dataset, claim: str, subject: rdflib.URIRef,
              prop: rdflib.URIRef, value: object) -> None:
    literal = value if isinstance(value, rdflib.Literal) else rdflib.Literal(value)
    dataset.graph(rdflib.URIRef(CLAIM + claim)).add((subject, prop, literal))


@pytest.mark.parametrize("kind", sorted(MISQUOTED))
def test_check_reports_words_a_claim_records_outside_its_quote(
    kind: str, dataset: rdflib.Dataset, text: str
) -> None:
    claim, subject, prop, value = MISQUOTED[kind]
    _misquote(dataset, claim, subject, prop, value)
    problems = provenance.check(dataset, text)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"claim {claim}: ")
    assert f"records {str(value)!r}, which is not in its quote" in problems[0]


@pytest.mark.parametrize("name", sorted(provenance.WORDING))
def test_every_wording_property_is_compared_with_the_quote(
    name: str, dataset: rdflib.Dataset, text: str
) -> None:
    prefix, local = name.split(":")
    prop = rdflib.URIRef({"rbo": RBO, "schema": str(SCHEMA)}[prefix] + local)
    _misquote(dataset, "wan-long", RB["wan-long"], prop, "words the article never wrote")
    problems = provenance.check(dataset, text)
    assert problems == [
        f"claim wan-long: {name} of rb:wan-long records 'words the article never wrote', "
        "which is not in its quote 'Wan Long, 25, a first-year PhD student in welding "
        "technology and engineering from the institute'"
    ]


def test_labels_and_typed_values_are_not_quotations(dataset: rdflib.Dataset, text: str) -> None:
    graph = dataset.graph(rdflib.URIRef(CLAIM + "wan-long"))
    graph.add((RB["wan-long"], rdflib.RDFS.label, rdflib.Literal("a name of the graph's own")))
    graph.add((RB["wan-long"], RBO_NS.age, rdflib.Literal(25)))
    assert provenance.check(dataset, text) == []


def _literal_properties(dataset: rdflib.Dataset) -> set[str]:
    found = set()
    for graph in dataset.graphs():
        if str(graph.identifier).startswith(CLAIM):
            for _, prop, value in graph:
                if isinstance(value, rdflib.Literal) and value.datatype in (
                    None, rdflib.XSD.string, rdflib.RDF.langString
                ):
                    found.add(dataset.namespace_manager.normalizeUri(prop))
    return found


def test_every_plain_text_property_of_the_claims_is_compared_or_ruled_out(
    dataset: rdflib.Dataset,
) -> None:
    dataset.bind("rbo", RBO)
    dataset.bind("schema", str(SCHEMA))
    used = _literal_properties(dataset)
    assert used - set(provenance.WORDING) - set(provenance.NOT_WORDING) == set()
    assert set(provenance.WORDING).isdisjoint(provenance.NOT_WORDING)


def test_every_ontology_property_defined_as_the_articles_words_is_compared() -> None:
    ontology = rdflib.Graph().parse(ROOT / "ontology" / "rustbelt.ttl")
    skos = rdflib.Namespace("http://www.w3.org/2004/02/skos/core#")
    words = {
        "rbo:" + str(prop).removeprefix(RBO)
        for prop, definition in ontology.subject_objects(skos.definition)
        if (prop, rdflib.RDF.type, rdflib.OWL.DatatypeProperty) in ontology
        and ("article's words" in definition or "article's own words" in definition
             or "as the article quotes" in definition)
    }
    assert words, "no ontology property is defined as the article's words"
    assert words - set(provenance.WORDING) == set()
