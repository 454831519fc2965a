"""Anchoring a quote from its words: the rules, and the rule a quote breaks."""

from __future__ import annotations

import pytest

from rustbelt_kg.anchor import (
    AMBIGUOUS,
    NOT_FOUND,
    OUT_OF_RANGE,
    PREFIX_NOT_SINGLING,
    QuoteProblem,
    derive,
)

TEXT = "The park covers 3,700 square meters. Later the park covers 3,700 square meters again."


def _rule(**kwargs: object) -> str:
    with pytest.raises(QuoteProblem) as caught:
        derive(TEXT, **kwargs)  # type: ignore[arg-type]
    return caught.value.rule


def test_words_that_occur_once_give_offsets_prefix_and_suffix() -> None:
    anchor = derive("One fact. Another fact, stated once.", "Another fact")
    assert (anchor.start, anchor.end) == (10, 22)
    assert anchor.prefix == "One fact. "
    assert anchor.suffix == ", stated once."


def test_context_is_cut_to_32_characters_either_side() -> None:
    text = "x" * 50 + "WORDS" + "y" * 50
    anchor = derive(text, "WORDS")
    assert anchor.prefix == "x" * 32 and anchor.suffix == "y" * 32


def test_offsets_count_code_points_not_bytes_or_utf16_units() -> None:
    anchor = derive("𝔘nicode café — then the words", "the words")
    assert (anchor.start, anchor.end) == (20, 29)


def test_a_prefix_singles_out_one_of_several_occurrences() -> None:
    anchor = derive(TEXT, "covers 3,700 square meters", prefix="Later the park ")
    assert anchor.start == TEXT.index("covers", 20)


def test_an_occurrence_number_picks_one_of_several() -> None:
    first = derive(TEXT, "covers 3,700 square meters", occurrence=1)
    second = derive(TEXT, "covers 3,700 square meters", occurrence=2)
    assert first.start == TEXT.index("covers") and second.start == TEXT.index("covers", 20)


def test_words_found_twice_without_prefix_or_occurrence_break_the_uniqueness_rule() -> None:
    assert _rule(exact="covers 3,700 square meters") == AMBIGUOUS


def test_a_prefix_that_both_occurrences_follow_does_not_single_it_out() -> None:
    with pytest.raises(QuoteProblem, match="found 2 times and its prefix 'park ' does not"):
        derive(TEXT, "covers 3,700 square meters", prefix="park ")
    assert _rule(exact="covers 3,700 square meters", prefix="park ") == PREFIX_NOT_SINGLING


def test_a_suffix_as_written_can_single_out_an_occurrence_when_the_prefix_cannot() -> None:
    anchor = derive(TEXT, "covers 3,700 square meters", prefix="park ", suffix=" again")
    assert anchor.start == TEXT.index("covers", 20)


def test_a_context_partly_changed_still_singles_out_the_occurrence_it_mostly_fits() -> None:
    old = derive(TEXT, "covers 3,700 square meters", occurrence=2)
    corrected = TEXT.replace("Later the park", "Later on the park").replace("again", "anew")
    anchor = derive(corrected, "covers 3,700 square meters", prefix=old.prefix, suffix=old.suffix)
    assert anchor.start == corrected.index("covers", 20)


def test_an_occurrence_past_the_last_breaks_its_rule() -> None:
    assert _rule(exact="covers 3,700 square meters", occurrence=3) == OUT_OF_RANGE


def test_words_not_in_the_text_are_an_orphan_with_the_closest_passage_and_its_score() -> None:
    with pytest.raises(QuoteProblem) as caught:
        derive(TEXT, "covers 3,800 square meters")
    problem = caught.value
    assert problem.rule == NOT_FOUND
    assert problem.candidate is not None
    assert problem.candidate.text == "covers 3,700 square meters"
    assert 90 <= problem.candidate.score < 100
    assert "closest passage is 'covers 3,700 square meters'" in str(problem)
