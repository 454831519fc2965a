"""Several sources in one store: their texts and metadata, ``add-source``, shared entities,
claims that name their source, and where sources disagree.

The several-source examples use ``tests/fixtures/corpus``: fictional texts written for the
tests.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import URIRef

from rustbelt_kg.anchoring import anchor_project
from rustbelt_kg.build import build, check_sources
from rustbelt_kg.cli import cli
from rustbelt_kg.errors import CheckFailed, SourceRuleBroken
from rustbelt_kg.load import load_quads, to_dataset
from rustbelt_kg.namespaces import CLAIM, RB, SOURCES_GRAPH
from rustbelt_kg.project import Project
from rustbelt_kg.provenance import sha256, uncovered_sentences
from rustbelt_kg.query import get_query, run_query
from rustbelt_kg.sources import texts
from rustbelt_kg.store import OxigraphStore

REPO_ROOT = Path(__file__).resolve().parent.parent
FICTIONAL = "Tiny Courier\n\nA fictional fixture text. The incubator park opened in spring.\n"


def _add_source(project: Project, file: Path, *extra: str) -> object:
    return CliRunner().invoke(cli, [
        "--project", str(project.root), "add-source", str(file), "--title", "Tiny Courier",
        "--published", "2026-02-01", "--publisher", "Tiny Courier (fictional)", *extra,
    ])


def _listing(project: Project) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(project.sources_dir.iterdir())}


def test_add_source_copies_the_text_in_and_writes_its_metadata_into_rbg_sources(
    tiny_project: Project, tmp_path: Path,
) -> None:
    file = tmp_path / "tiny-courier.txt"
    file.write_text(FICTIONAL, encoding="utf-8")
    result = _add_source(tiny_project, file, "--author", "A. Writer", "--author", "B. Writer",
                         "--url", "https://example.org/courier", "--licence", "CC0-1.0")
    assert result.exit_code == 0, result.stderr
    assert (tiny_project.sources_dir / "tiny-courier.txt").read_text(encoding="utf-8") == FICTIONAL
    node = URIRef(RB + "text/tiny-courier")
    stub = {(re.split("[/#]", str(p))[-1], str(o)) for s, p, o, g in load_quads(tiny_project)
            if s == node and str(g) == SOURCES_GRAPH}
    assert {("title", "Tiny Courier"), ("publisher", "Tiny Courier (fictional)"),
            ("issued", "2026-02-01"), ("creator", "A. Writer"), ("creator", "B. Writer"),
            ("url", "https://example.org/courier"), ("license", "CC0-1.0"), ("language", "en"),
            ("sha256", sha256(FICTIONAL)), ("filePath", "data/sources/tiny-courier.txt"),
            ("wasDerivedFrom", RB + "tiny-courier")} <= stub
    assert texts(tiny_project)[str(node)] == FICTIONAL


@pytest.mark.parametrize(("change", "message"), [
    ("same text", "is already registered as data/sources/tiny-daily.txt (same SHA-256)"),
    ("name taken", "a source called 'tiny-daily' exists already"),
    ("bad date", "--published '2026-02-30' is not a date"),
])
def test_add_source_refuses_a_text_or_name_already_registered_with_a_usage_error(
    tiny_project: Project, tmp_path: Path, change: str, message: str,
) -> None:
    file = tmp_path / "tiny-daily.txt"
    daily = (tiny_project.sources_dir / "tiny-daily.txt").read_text(encoding="utf-8")
    file.write_text(daily if change == "same text" else FICTIONAL, encoding="utf-8")
    before = _listing(tiny_project)
    extra = ["--published", "2026-02-30", "--name", "tiny-courier"] if change == "bad date" else []
    result = _add_source(tiny_project, file, *extra)
    assert result.exit_code == 2
    assert message in result.stderr
    assert _listing(tiny_project) == before


def test_only_data_sources_writes_rbg_sources(tiny_project: Project) -> None:
    (tiny_project.root / "data" / "article" / "zz.trig").write_text(
        "@prefix rb: <https://w3id.org/rustbelt-kg/id/> .\n"
        "@prefix rbg: <https://w3id.org/rustbelt-kg/graph/> .\n"
        "@prefix dcterms: <http://purl.org/dc/terms/> .\n"
        'rbg:sources { rb:article-text dcterms:title "Another title" . }\n', encoding="utf-8")
    with pytest.raises(SourceRuleBroken, match="rbg:sources comes from data/sources/ only"):
        load_quads(tiny_project)


@pytest.mark.parametrize(("triple", "what"), [
    ('rb:wan-long rdfs:label "Wan Long"@en', "rb:wan-long rdfs:label"),
    ('rb:article-text rbo:age 25', "rb:article-text rbo:age"),
])
def test_rbg_sources_holds_source_metadata_only(
    tiny_project: Project, triple: str, what: str,
) -> None:
    stub = tiny_project.sources_dir / "tiny-daily.ttl"
    stub.write_text(stub.read_text(encoding="utf-8")
                    + "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
                    + f"{triple} .\n", encoding="utf-8")
    with pytest.raises(SourceRuleBroken, match=f"not source metadata in rbg:sources: {what}"):
        load_quads(tiny_project)


def test_source_metadata_is_not_accepted_in_rbg_provenance(tiny_project: Project) -> None:
    (tiny_project.root / "data" / "article" / "zz.trig").write_text(
        "@prefix rb: <https://w3id.org/rustbelt-kg/id/> .\n"
        "@prefix rbg: <https://w3id.org/rustbelt-kg/graph/> .\n"
        "@prefix dcterms: <http://purl.org/dc/terms/> .\n"
        'rbg:provenance { rb:article-text dcterms:title "Tiny Daily" . }\n', encoding="utf-8")
    with pytest.raises(SourceRuleBroken, match="source metadata goes in data/sources/"):
        load_quads(tiny_project)


def test_claims_of_several_sources_share_one_iri_per_entity(corpus_project: Project) -> None:
    quads = load_quads(corpus_project)
    wan_long = URIRef(RB + "wan-long")
    claims = {str(g).removeprefix(CLAIM) for s, _, o, g in quads
              if wan_long in (s, o) and str(g).startswith(CLAIM)}
    assert claims == {"wan-long", "wan-long-founded", "gazette-wan-long-founded",
                      "herald-wan-long"}


def test_two_sources_that_disagree_both_stand_and_the_disagreements_query_lists_them(
    corpus_project: Project,
) -> None:
    summary = build(corpus_project, exports=False)
    summary.raise_for_problems()
    result = CliRunner().invoke(cli, ["--project", str(corpus_project.root), "query",
                                      "disagreements", "-f", "csv"])
    assert result.exit_code == 0, result.stderr
    rows = result.stdout.strip().splitlines()[1:]
    assert rows == [
        "https://w3id.org/rustbelt-kg/id/incubator-park,"
        "https://w3id.org/rustbelt-kg/ontology#area,4100,"
        "https://w3id.org/rustbelt-kg/claim/gazette-park-area,"
        "https://w3id.org/rustbelt-kg/id/text/tiny-gazette,3700,"
        "https://w3id.org/rustbelt-kg/claim/park-area,"
        "https://w3id.org/rustbelt-kg/id/article-text"
    ]


def test_the_real_project_has_no_disagreement_with_itself() -> None:
    expected = (REPO_ROOT / "queries" / "disagreements.srj").read_text(encoding="utf-8")
    assert '"bindings": []' in expected


def test_a_claim_quoting_a_text_no_stub_registers_is_reported_by_check(
    corpus_project: Project,
) -> None:
    (corpus_project.sources_dir / "tiny-herald.ttl").unlink()
    with pytest.raises(CheckFailed) as caught:
        check_sources(corpus_project)
    assert ("provenance: claim herald-wan-long: its oa:hasSource "
            "https://w3id.org/rustbelt-kg/id/text/tiny-herald is not a source text of "
            "data/sources/") in caught.value.problems


def test_every_quote_of_every_source_is_checked_against_its_own_text(
    corpus_project: Project,
) -> None:
    herald = corpus_project.sources_dir / "tiny-herald.txt"
    herald.write_text(herald.read_text(encoding="utf-8").replace("25", "26"), encoding="utf-8")
    with pytest.raises(CheckFailed) as caught:
        check_sources(corpus_project)
    problems = "\n".join(caught.value.problems)
    assert "claim herald-wan-long: quote 'Wan Long, 25' breaks the rule 'not found'" in problems
    assert "the graph records" in problems and "claim wan-long:" not in problems


def test_a_sentence_counts_as_covered_only_by_quotes_from_its_own_text(
    corpus_project: Project,
) -> None:
    dataset = to_dataset(load_quads(corpus_project))
    herald = texts(corpus_project)[RB + "text/tiny-herald"]
    uncovered = [s.text for s in uncovered_sentences(dataset, herald, RB + "text/tiny-herald")]
    assert uncovered == ["Tiny Herald", "This text is a fictional fixture, written for the tests "
                         "of rustbelt-kg."]


def test_a_second_source_added_to_the_real_project_keeps_its_checks_and_shows_its_disagreement(
    echo_project: Project,
) -> None:
    project = echo_project
    assert len(anchor_project(project).moved) == 2
    assert check_sources(project) == (25, 25)
    store = OxigraphStore()
    store.replace_all(load_quads(project))
    rows = run_query(store, get_query(project, "disagreements")).rows
    assert [(str(r["value1"]), str(r["claim1"]).removeprefix(CLAIM), str(r["value2"]),
             str(r["claim2"]).removeprefix(CLAIM)) for r in rows] == [
        ("41", "echo-park-startups", "38", "hit-incubator-park-startups")]
