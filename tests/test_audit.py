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
