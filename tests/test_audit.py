"""The audit record in docs/audit.md covers every claim of the data, and finds no fault.

The list of claims, their statuses and their spans are read from ``data/article/*.trig`` each
time, so a claim added, removed, moved or given another status without its audit row being
redone fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import rdflib

from rustbelt_kg.namespaces import CLAIM, PROVENANCE_GRAPH, RBO

ROOT = Path(__file__).resolve().parents[1]
AUDIT = ROOT / "docs" / "audit.md"

VERDICTS = {"supported", "overreach", "wrong", "quote mismatch"}

_ROW = re.compile(r"^\| `claim:(?P<claim>[a-z0-9-]+)` \| (?P<span>[^|]*) \| (?P<status>[^|]*) "
                  r"\| (?P<verdict>[^|]*) \| (?P<note>.*) \|$")


def audit_rows(text: str) -> dict[str, dict[str, str]]:
    """The table rows of the audit record, by claim name; a claim listed twice is an error."""
    rows: dict[str, dict[str, str]] = {}
    for line in text.splitlines():
        match = _ROW.match(line)
        if match:
            row = {k: v.strip() for k, v in match.groupdict().items()}
            assert row["claim"] not in rows, f"claim:{row['claim']} has two audit rows"
            rows[row["claim"]] = row
    return rows


def claims_in_the_data() -> dict[str, dict[str, str]]:
    """Every claim of the data with its status and span, as the audit table writes them."""
    dataset = rdflib.Dataset()
    for path in sorted((ROOT / "data" / "article").glob("*.trig")):
        dataset.parse(path, format="trig")
    graph = dataset.graph(rdflib.URIRef(PROVENANCE_GRAPH))
    oa = rdflib.Namespace("http://www.w3.org/ns/oa#")
    rbo = rdflib.Namespace(RBO)
    claims = {}
    for claim in graph.subjects(rdflib.RDF.type, rbo.Claim):
        status = graph.value(claim, rbo.claimStatus)
        target = graph.value(claim, rbo.evidence)
        span = "-"
        for selector in graph.objects(target, oa.hasSelector):
            if (selector, rdflib.RDF.type, oa.TextPositionSelector) in graph:
                span = f"{graph.value(selector, oa.start)}-{graph.value(selector, oa.end)}"
        claims[str(claim).removeprefix(CLAIM)] = {
            "status": "-" if status is None else str(status).removeprefix(RBO),
            "span": span,
        }
    return claims


@pytest.fixture(scope="module")
def rows() -> dict[str, dict[str, str]]:
    return audit_rows(AUDIT.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def claims() -> dict[str, dict[str, str]]:
    return claims_in_the_data()


def test_every_claim_has_an_audit_row(rows: dict, claims: dict) -> None:
    assert claims, "the data holds no claims"
    assert sorted(set(claims) - set(rows)) == []


def test_every_audit_row_is_a_claim_of_the_data(rows: dict, claims: dict) -> None:
    assert sorted(set(rows) - set(claims)) == []


def test_each_row_audits_the_claim_as_it_now_is(rows: dict, claims: dict) -> None:
    stale = {
        name: (rows[name]["span"], rows[name]["status"], data["span"], data["status"])
        for name, data in claims.items()
        if name in rows and (rows[name]["span"], rows[name]["status"])
        != (data["span"], data["status"])
    }
    assert stale == {}


def test_every_verdict_is_one_of_the_four(rows: dict) -> None:
    assert {name: r["verdict"] for name, r in rows.items() if r["verdict"] not in VERDICTS} == {}


def test_the_audit_finds_no_overreach_no_wrong_fact_and_no_quote_mismatch(rows: dict) -> None:
    faults = {name: r["verdict"] for name, r in rows.items() if r["verdict"] != "supported"}
    assert faults == {}


def test_every_row_says_why(rows: dict) -> None:
    assert [name for name, r in rows.items() if len(r["note"]) < 10] == []


def test_a_missing_row_and_a_fault_are_both_caught() -> None:
    table = (
        "| `claim:a` | 0-1 | StatedByArticle | supported | Checked against the words. |\n"
        "| `claim:b` | 2-3 | StatedByArticle | overreach | Says more than the quote. |\n"
    )
    found = audit_rows(table)
    assert set(found) == {"a", "b"}
    assert found["b"]["verdict"] == "overreach"
    with pytest.raises(AssertionError, match="two audit rows"):
        audit_rows(table + table)


#: What the data must keep true for each finding of the earlier audit: an ASK query each.
FINDINGS = {
    "the boom the provinces are on the cusp of is expected, not an event that happened": """
        ASK { GRAPH claim:northeast-boom { rb:northeast-entrepreneurship-boom a rbo:ExpectedEvent }
              FILTER NOT EXISTS { rb:northeast-entrepreneurship-boom a rbo:Event }
              GRAPH rbg:provenance { claim:northeast-boom rbo:claimStatus rbo:Hedged } }""",
    "the derived exchange rate is an editorial inference with its arithmetic": """
        ASK { GRAPH rbg:provenance { claim:cny-usd-conversion
                rbo:claimStatus rbo:EditorialInference ; rbo:justification ?why }
              FILTER (CONTAINS(?why, "2.53 / 16.5")) }""",
    "no one is said to grant the fee exemption": """
        ASK { GRAPH claim:heilongjiang-fee-exemption { rb:heilongjiang-fee-exemption ?p ?o }
              FILTER NOT EXISTS { ?policy rbo:hasMeasure rb:heilongjiang-fee-exemption }
              FILTER NOT EXISTS {
                rb:heilongjiang-fee-exemption rbo:funder|rbo:createdBy ?who } }""",
    "Liaoning's enterprise measures are not made part of the 41": """
        ASK { rb:liaoning-tax-cuts a rbo:PolicyMeasure
              FILTER NOT EXISTS { rb:liaoning-innovation-policy rbo:hasMeasure ?measure } }""",
    "the makers' space offers Ke services and hosts no platform the article does not place": """
        ASK { rb:shenyang-makers-space rbo:offers rb:use-of-equipment
              FILTER NOT EXISTS { rb:ke-dongyue-healthcare-platform rbo:incubatedIn ?park }
              FILTER NOT EXISTS { rb:equipment ?p ?o } }""",
    "Changchun's 30 million yuan is a threshold each enterprise passes, the other reading kept": """
        ASK { GRAPH claim:changchun-enterprises {
                rb:changchun-innovation-enterprises rbo:memberOutput ?amount }
              FILTER NOT EXISTS { rb:changchun-innovation-enterprises rbo:output ?total }
              GRAPH rbg:provenance { claim:changchun-enterprises
                rbo:claimStatus rbo:AmbiguousReading ; rbo:alternativeReading ?other } }""",
    '"Heilongjiang is not alone." places the park in Heilongjiang, as an inference': """
        ASK { GRAPH claim:heilongjiang-not-alone {
                rb:hit-incubator-park rbo:locatedIn rb:heilongjiang }
              GRAPH rbg:provenance { claim:heilongjiang-not-alone
                rbo:claimStatus rbo:EditorialInference ; rbo:justification ?why } }""",
    "Liaoning's measures have an author, as Heilongjiang's do": """
        ASK { GRAPH claim:liaoning-measures-created-by {
                rb:liaoning-innovation-policy rbo:createdBy ?government .
                ?government a rbo:GovernmentBody ; rbo:jurisdiction rb:liaoning } }""",
    "only the start of the decline is dated": """
        ASK { rb:northeast-decline rbo:startedDuring rb:time-1980s
              FILTER NOT EXISTS { rb:northeast-decline rbo:during ?period } }""",
    '"more and more graduates and youths" is a growing number, not only words': """
        ASK { GRAPH claim:graduates-and-youths-increasing {
                rb:graduates-and-youths rbo:numberTrend rbo:Increasing }
              GRAPH rbg:provenance { claim:graduates-and-youths-increasing
                rbo:claimStatus rbo:StatedByArticle } }""",
    "Wan Long's reason for starting his company is a fact of its own, on his word": """
        ASK { ?company rbo:foundedBy rb:wan-long
              GRAPH claim:harbin-world-wide-welding-founding-reason {
                ?company rbo:foundingReason ?reason }
              GRAPH rbg:provenance { claim:harbin-world-wide-welding-founding-reason
                rbo:claimStatus rbo:AttributedToSpeaker ;
                rbo:reportedSpeech rb:statement-wan-1 } }""",
    "the makers' space offers each of its services to Ke himself, on his word": """
        ASK { GRAPH rbg:provenance { claim:ke-dongyue-makers-space-services
                rbo:claimStatus rbo:AttributedToSpeaker ; rbo:reportedSpeech rb:statement-ke }
              FILTER NOT EXISTS {
                GRAPH claim:shenyang-makers-space-services {
                  rb:shenyang-makers-space rbo:offers ?service }
                FILTER NOT EXISTS { GRAPH claim:ke-dongyue-makers-space-services {
                  ?service rbo:offeredTo rb:ke-dongyue } } } }""",
}


@pytest.fixture(scope="module")
def article() -> rdflib.Dataset:
    dataset = rdflib.Dataset(default_union=True)
    for path in sorted((ROOT / "data" / "article").glob("*.trig")):
        dataset.parse(path, format="trig")
    return dataset


@pytest.mark.parametrize("finding", sorted(FINDINGS))
def test_each_finding_of_the_earlier_audit_stays_fixed(
    finding: str, article: rdflib.Dataset
) -> None:
    from rustbelt_kg.namespaces import sparql_prefixes

    assert article.query(sparql_prefixes() + FINDINGS[finding]).askAnswer, finding
