"""``rustbelt-kg anchor``: quotes written by their words, anchored and re-anchored by the tool.

On ``tests/fixtures/corpus`` (fictional sources written for the tests).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from rustbelt_kg.anchoring import anchor_project
from rustbelt_kg.build import check_sources
from rustbelt_kg.cli import cli
from rustbelt_kg.errors import CheckFailed
from rustbelt_kg.project import Project
from rustbelt_kg.provenance import sha256

WORDS_ONLY = Path(__file__).resolve().parent / "fixtures" / "gazette-words-only.trig"
GAZETTE = "data/claims/tiny-gazette/gazette.trig"


def _files(project: Project) -> dict[str, bytes]:
    return {project.display(p): p.read_bytes() for p in sorted(project.root.rglob("*.trig"))}


def _correct(project: Project, name: str, old: str, new: str) -> None:
    """Replace ``old`` by ``new`` in source ``name``'s text and record its new SHA-256."""
    text_path = project.sources_dir / f"{name}.txt"
    before = text_path.read_text(encoding="utf-8")
    after = before.replace(old, new)
    assert after != before
    text_path.write_text(after, encoding="utf-8")
    stub = project.sources_dir / f"{name}.ttl"
    stub.write_text(stub.read_text(encoding="utf-8").replace(sha256(before), sha256(after)),
                    encoding="utf-8")


def test_a_claim_written_with_its_words_only_is_anchored_and_the_rest_of_the_file_kept(
    corpus_project: Project,
) -> None:
    expected = (corpus_project.root / GAZETTE).read_bytes()
    (corpus_project.root / GAZETTE).write_bytes(WORDS_ONLY.read_bytes())
    with pytest.raises(CheckFailed, match="no oa:TextPositionSelector"):
        check_sources(corpus_project)
    report = anchor_project(corpus_project)
    assert [corpus_project.display(p) for p in report.changed] == [GAZETTE]
    assert (corpus_project.root / GAZETTE).read_bytes() == expected
    assert check_sources(corpus_project)[0] == 2


def test_anchoring_an_anchored_project_changes_no_byte(corpus_project: Project) -> None:
    before = _files(corpus_project)
    report = anchor_project(corpus_project)
    assert report.changed == [] and report.moved == [] and report.quotes == 6
    assert _files(corpus_project) == before


def test_a_corrected_source_text_that_moves_quotes_re_anchors_every_one(
    corpus_project: Project,
) -> None:
    _correct(corpus_project, "tiny-gazette", "The incubator park covers",
             "According to its managers, the incubator park covers")
    with pytest.raises(CheckFailed, match="gazette-park-area: quote 'covers 4,100 square meters'"):
        check_sources(corpus_project)
    report = anchor_project(corpus_project)
    assert sorted(m.split(":")[0] for m in report.moved) == [
        "claim gazette-park-area", "claim gazette-wan-long-founded"]
    text = (corpus_project.root / GAZETTE).read_text(encoding="utf-8")
    assert 'oa:prefix "ts managers, the incubator park "' in text
    assert check_sources(corpus_project)[0] == 2


def test_a_corrected_source_text_that_breaks_a_quote_reports_an_orphan_and_changes_no_file(
    corpus_project: Project,
) -> None:
    _correct(corpus_project, "tiny-gazette", "Wan Long, who founded", "Wan Long, who started")
    _correct(corpus_project, "tiny-gazette", "The incubator park covers",
             "Today the incubator park covers")
    before = _files(corpus_project)
    with pytest.raises(CheckFailed) as caught:
        anchor_project(corpus_project)
    assert caught.value.problems == [
        "orphan claim gazette-wan-long-founded (data/claims/tiny-gazette/gazette.trig): "
        "'Wan Long, who founded a welding company' breaks the rule 'not found': not found in "
        "the source text; the closest passage is 'Wan Long, who started a welding company' "
        "at 155-194 (score 87.2)"
    ]
    assert _files(corpus_project) == before


def test_words_found_twice_without_prefix_are_reported_by_check_with_the_rule(
    corpus_project: Project,
) -> None:
    path = corpus_project.root / GAZETTE
    text = path.read_text(encoding="utf-8")
    start = text.index('oa:exact "covers 4,100 square meters"')
    end = text.index(" .\n", start)
    path.write_text(text[:start] + 'oa:exact "covers 4,100 square meters"' + text[end:],
                    encoding="utf-8")
    with pytest.raises(CheckFailed) as caught:
        check_sources(corpus_project)
    assert any(
        "gazette-park-area: quote 'covers 4,100 square meters' breaks the rule 'found N times "
        "without prefix or occurrence'" in p for p in caught.value.problems
    )


def test_anchor_check_exits_1_naming_a_quote_the_files_do_not_anchor_as_derived(
    corpus_project: Project,
) -> None:
    path = corpus_project.root / GAZETTE
    path.write_text(path.read_text(encoding="utf-8").replace("oa:start 106 ; oa:end 132",
                                                               "oa:start 105 ; oa:end 131"),
                    encoding="utf-8")
    before = _files(corpus_project)
    result = CliRunner().invoke(cli, ["--project", str(corpus_project.root), "anchor", "--check"])
    assert result.exit_code == 1
    assert "claim gazette-park-area: 105-131 -> 106-132" in result.stderr
    assert _files(corpus_project) == before
    result = CliRunner().invoke(cli, ["--project", str(corpus_project.root), "anchor"])
    assert result.exit_code == 0, result.stderr
    assert "1 re-anchored: data/claims/tiny-gazette/gazette.trig" in result.stdout


def test_a_position_selector_is_added_with_full_iris_in_a_file_without_a_claim_base(
    corpus_project: Project,
) -> None:
    path = corpus_project.root / GAZETTE
    words = WORDS_ONLY.read_text(encoding="utf-8").replace(
        "@base <https://w3id.org/rustbelt-kg/claim/> .\n", "").replace(
        "<gazette-", "<https://w3id.org/rustbelt-kg/claim/gazette-")
    path.write_text(words, encoding="utf-8")
    anchor_project(corpus_project)
    text = path.read_text(encoding="utf-8")
    assert ("<https://w3id.org/rustbelt-kg/claim/gazette-park-area#position> a "
            "oa:TextPositionSelector ; oa:start 106 ; oa:end 132 .") in text
    assert check_sources(corpus_project)[0] == 2


def test_check_names_a_context_that_no_longer_fits_and_anchor_rewrites_it(
    corpus_project: Project,
) -> None:
    _correct(corpus_project, "tiny-gazette", "the park says", "the park's managers say")
    with pytest.raises(CheckFailed) as caught:
        check_sources(corpus_project)
    assert ("provenance: claim gazette-park-area: oa:suffix ', the park says. Wan Long, who f' "
            "does not follow the quote (rustbelt-kg anchor rewrites it)") in caught.value.problems
    anchor_project(corpus_project)
    assert check_sources(corpus_project)[0] == 2


def test_anchoring_against_a_corrected_text_records_its_new_sha256_in_the_stub(
    corpus_project: Project,
) -> None:
    text_path = corpus_project.sources_dir / "tiny-gazette.txt"
    stub_path = corpus_project.sources_dir / "tiny-gazette.ttl"
    before, stub = text_path.read_text(encoding="utf-8"), stub_path.read_text(encoding="utf-8")
    after = before.replace("The incubator park covers",
                           "According to its managers, the incubator park covers")
    text_path.write_text(after, encoding="utf-8")
    with pytest.raises(CheckFailed, match=f"the graph records {sha256(before)}"):
        check_sources(corpus_project)
    report = anchor_project(corpus_project)
    assert report.digests == [f"text/tiny-gazette: {sha256(before)} -> {sha256(after)}"]
    assert stub_path in report.changed
    assert stub_path.read_text(encoding="utf-8") == stub.replace(sha256(before), sha256(after))
    assert check_sources(corpus_project)[0] == 2
    assert anchor_project(corpus_project).changed == []


def test_anchor_check_names_a_stub_whose_sha256_is_not_its_texts(corpus_project: Project) -> None:
    text_path = corpus_project.sources_dir / "tiny-herald.txt"
    text_path.write_text(text_path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--project", str(corpus_project.root), "anchor", "--check"])
    assert result.exit_code == 1
    assert "SHA-256 of text/tiny-herald:" in result.output
