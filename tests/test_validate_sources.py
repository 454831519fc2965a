"""Validation of a project with several sources: each source's claims are counted apart, and a
report shows each claim in a sentence of its own source.

The second source is the fictional Harbin Evening Echo (``tests/fixtures/evening-echo``),
added to a copy of the real project (the ``echo_project`` fixture): its figure for the HIT
incubator park's start-ups (41) disagrees with the China Daily article's (38).
"""

from __future__ import annotations

import pytest

from rustbelt_kg.anchoring import anchor_project
from rustbelt_kg.build import build, validate_sources
from rustbelt_kg.project import Project

#: A second figure for the park from the Echo itself, quoting the same words.
SECOND_FIGURE = """
claim:echo-park-startups-again {
    rb:hit-incubator-park rbo:numberOfStartups rb:hit-incubator-park-startup-count-echo-2 .
    rb:hit-incubator-park-startup-count-echo-2 a rbo:Quantity ;
        rbo:numericValue 42 ;
        rbo:unit unit:NUM ;
        rbo:qualifier rbo:Exact ;
        rbo:statedAs "41 startups" .
}

rbg:provenance {
    claim:echo-park-startups-again a rbo:Claim ;
        prov:wasDerivedFrom rb:evening-echo ;
        rbo:claimStatus rbo:StatedByArticle ;
        rbo:evidence <echo-park-startups-again#target> .
    <echo-park-startups-again#target> a oa:SpecificResource ;
        oa:hasSource <https://w3id.org/rustbelt-kg/id/text/evening-echo> ;
        oa:hasSelector <echo-park-startups-again#quote> .
    <echo-park-startups-again#quote> a oa:TextQuoteSelector ;
        oa:exact "now boasts 41 startups" .
}
"""


#: The Echo's date (a news article needs one), on its title line.
ECHO_DATE = """
@prefix claim: <https://w3id.org/rustbelt-kg/claim/> .
@prefix oa: <http://www.w3.org/ns/oa#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix rb: <https://w3id.org/rustbelt-kg/id/> .
@prefix rbg: <https://w3id.org/rustbelt-kg/graph/> .
@prefix rbo: <https://w3id.org/rustbelt-kg/ontology#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@base <https://w3id.org/rustbelt-kg/claim/> .

claim:echo-date { rb:evening-echo rbo:referenceDate "2026-03-01"^^xsd:date . }

rbg:provenance {
    claim:echo-date a rbo:Claim ;
        prov:wasDerivedFrom rb:evening-echo ;
        rbo:claimStatus rbo:EditorialInference ;
        rbo:justification "the date of the Echo's stub" ;
        rbo:editorialNote "The date is the Echo's publication date, from its metadata." ;
        rbo:evidence <echo-date#target> .
    <echo-date#target> a oa:SpecificResource ;
        oa:hasSource <https://w3id.org/rustbelt-kg/id/text/evening-echo> ;
        oa:hasSelector <echo-date#quote> .
    <echo-date#quote> a oa:TextQuoteSelector ;
        oa:exact "Harbin Evening Echo" .
}
"""


@pytest.fixture
def two_sources(echo_project: Project) -> Project:
    """The real project with the Echo added, dated and anchored."""
    folder = echo_project.root / "data" / "claims" / "evening-echo"
    (folder / "date.trig").write_text(ECHO_DATE, encoding="utf-8")
    anchor_project(echo_project)
    return echo_project


def test_two_sources_giving_a_park_different_figures_both_conform(two_sources: Project) -> None:
    checked = validate_sources(two_sources)
    assert checked.result.conforms, checked.report
    summary = build(two_sources, exports=False)
    assert summary.conforms


def test_one_source_giving_two_figures_still_breaks_the_one_value_rule(
    two_sources: Project,
) -> None:
    trig = two_sources.root / "data" / "claims" / "evening-echo" / "echo.trig"
    trig.write_text(trig.read_text(encoding="utf-8") + SECOND_FIGURE, encoding="utf-8")
    anchor_project(two_sources)
    checked = validate_sources(two_sources)
    assert not checked.result.conforms
    assert [(str(v.focus_node).rsplit("/", 1)[-1], str(v.source_shape).rsplit("#", 1)[-1])
            for v in checked.result.violations] == [
        ("hit-incubator-park", "ParkShape-numberOfStartups")]


def test_a_report_shows_each_claim_in_a_sentence_of_its_own_source(two_sources: Project) -> None:
    trig = two_sources.root / "data" / "claims" / "evening-echo" / "echo.trig"
    trig.write_text(trig.read_text(encoding="utf-8") + SECOND_FIGURE, encoding="utf-8")
    anchor_project(two_sources)
    report = validate_sources(two_sources).report
    assert report is not None
    echo = ('sentence: "A fictional follow-up: the student incubator park now boasts 41 '
            'startups, its managers say."')
    assert report.count(echo) == 2  # the Echo's two claims, each in the Echo's own sentence
    assert "claim: claim:echo-park-startups-again" in report
    assert "claim: claim:hit-incubator-park-startups" in report
    china_daily = report.split("claim: claim:hit-incubator-park-startups\n")[1].splitlines()[0]
    assert china_daily.strip().startswith('sentence: "') and "41" not in china_daily
