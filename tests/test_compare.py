"""A stored query's mismatch reads as a diff by row: missing versus unexpected, short lines."""

from __future__ import annotations

import json

from click.testing import CliRunner
from rdflib import Literal, URIRef

from rustbelt_kg.cli import cli
from rustbelt_kg.compare import MAX_ROWS, compare_results
from rustbelt_kg.project import Project
from rustbelt_kg.results import QueryResult

NAMES = ["statement", "speaker", "text", "quote"]
#: Longest line a difference may take: a few shortened values, never a whole quotation.
LINE_LIMIT = 320


def _row(i: int, text: str | None = None) -> dict[str, object]:
    words = " ".join(f"word{i}-{k}" for k in range(60))  # ~500 characters
    return {
        "statement": URIRef(f"https://w3id.org/rustbelt-kg/id/statement-{i}"),
        "speaker": URIRef("https://w3id.org/rustbelt-kg/id/wan-long"),
        "text": Literal(text if text is not None else f"He said: {words}.", lang="en"),
        "quote": Literal(f"the words of statement {i}: {words}"),
    }


def _result(rows: list[dict[str, object]]) -> QueryResult:
    return QueryResult.select(NAMES, rows)  # type: ignore[arg-type]


def test_one_row_missing_from_an_ordered_answer_is_one_line_not_a_shift() -> None:
    expected = [_row(i) for i in range(40)]
    actual = expected[:20] + expected[21:]
    differences = compare_results(_result(actual), _result(expected), ordered=True)
    assert len(differences) == 1
    (line,) = differences
    assert line.startswith("row 21 missing: ?statement=rb:statement-20 ?speaker=rb:wan-long ")
    assert len(line) < LINE_LIMIT


def test_a_changed_value_shows_where_it_differs_in_both_rows() -> None:
    text = "The makers' space offers me free office accommodation, equipment and " * 5
    expected = [_row(1), _row(2, text + "big-data services."), _row(3)]
    actual = [_row(1), _row(2, text + "big data services."), _row(3)]
    differences = compare_results(_result(actual), _result(expected), ordered=True)
    assert [d.split(":")[0] for d in differences] == ["row 2 missing", "row 2 unexpected"]
    missing, unexpected = differences
    assert "big-data services" in missing and "big data services" in unexpected
    assert all(len(d) < LINE_LIMIT and "…" in d for d in differences)


def test_many_differences_are_bounded_with_and_n_more() -> None:
    expected = [_row(i) for i in range(30)]
    differences = compare_results(_result([]), _result(expected))
    assert len(differences) == MAX_ROWS + 1
    assert all(d.startswith("missing row: ") for d in differences[:MAX_ROWS])
    assert differences[-1] == f"... and {30 - MAX_ROWS} more (30 missing in all)"


def test_missing_and_unexpected_rows_are_told_apart_in_an_unordered_answer() -> None:
    differences = compare_results(_result([_row(1), _row(7)]), _result([_row(1), _row(2)]))
    assert [d.split(":")[0] for d in differences] == ["missing row", "unexpected row"]
    assert "statement-2" in differences[0] and "statement-7" in differences[1]


def test_query_check_prints_a_short_diff(tiny_project: Project) -> None:
    srj = tiny_project.queries_dir / "people.srj"
    expected = json.loads(srj.read_text(encoding="utf-8"))
    binding = expected["results"]["bindings"][0]
    binding["label"]["value"] = "Wan Long, " + "founder of a welding company " * 20
    srj.write_text(json.dumps(expected), encoding="utf-8")
    result = CliRunner().invoke(cli, ["--project", str(tiny_project.root), "--store", "memory",
                                      "query", "people", "--check"])
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == "error: people: differs from its .srj:"
    assert [line.split(":")[0].strip() for line in lines[1:]] == [
        "row 1 missing", "row 1 unexpected"]
    assert all(len(line) < 200 for line in lines)
    assert '?label="Wan Long"@en' in lines[2]
