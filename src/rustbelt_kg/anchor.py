"""Anchoring quotes: from the exact words of a claim to its offsets, prefix and suffix.

A claim needs only its quote (``oa:exact``): the exact words of its source text, plus an
``oa:prefix`` (the words just before) or an occurrence number (``rbo:occurrence``, 1 for the
first) where the words occur more than once. :func:`derive` finds where the words are and
gives the offsets (Unicode code points, 0-based, end exclusive) and the 32-character prefix and
suffix; :func:`rustbelt_kg.anchoring.anchor_project` writes them into the TriG files.

The rules a quote must keep, in the order they are tried (:class:`QuoteProblem` names the
one a quote breaks):

1. the words occur in the text (else *not found*: an orphan, with the closest passage the
   fuzzy matcher finds and its score, :func:`closest`);
2. they occur once, or an occurrence number picks one (*occurrence out of range* otherwise);
3. or the prefix, then the suffix, as written, leaves exactly one place; failing that, one
   place's surroundings share at least half of the prefix and suffix, and more than any other
   place's (*found N times without prefix or occurrence*, *prefix does not single it out*).

Re-anchoring after a source text is corrected uses the same rules with the prefix and suffix
the files hold: a quote whose words still occur once moves with them; one that occurs several
times moves only when what remains of its old context singles it out; one that no longer
occurs is an orphan and is never moved.

>>> derive("A cat. A dog. A cat.", "A cat", prefix="dog. ")
Anchor(start=14, end=19, prefix='A cat. A dog. ', suffix='.')
>>> try:
...     derive("A cat. A dog. A cat.", "A cat")
... except QuoteProblem as problem:
...     print(problem.rule)
found N times without prefix or occurrence
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from rustbelt_kg.errors import UsageError

__all__ = ["CONTEXT", "Anchor", "Candidate", "QuoteProblem", "closest", "derive", "occurrences"]

#: How many characters of context ``oa:prefix`` and ``oa:suffix`` keep.
CONTEXT = 32

#: The names of the rules, as :attr:`QuoteProblem.rule` gives them.
NOT_FOUND = "not found"
OUT_OF_RANGE = "occurrence out of range"
AMBIGUOUS = "found N times without prefix or occurrence"
PREFIX_NOT_SINGLING = "prefix does not single it out"


@dataclass(frozen=True)
class Anchor:
    """Where a quote is: offsets and the context either side."""

    start: int
    end: int
    prefix: str
    suffix: str


@dataclass(frozen=True)
class Candidate:
    """The passage of a text closest to a quote that is not in it, and how close (0-100)."""

    start: int
    end: int
    text: str
    score: float


class QuoteProblem(UsageError):
    """A quote breaks one of the anchoring rules; ``rule`` names it."""

    def __init__(self, rule: str, message: str, candidate: Candidate | None = None) -> None:
        super().__init__(message)
        self.rule = rule
        self.candidate = candidate


def occurrences(text: str, exact: str) -> list[int]:
    """The start offsets of every (possibly overlapping) occurrence of ``exact``."""
    if not exact:
        return []
    return [m.start() for m in re.finditer(f"(?={re.escape(exact)})", text)]


def context(text: str, start: int, end: int, width: int = CONTEXT) -> tuple[str, str]:
    """The ``oa:prefix`` and ``oa:suffix`` of the span ``[start, end)``."""
    return text[max(0, start - width) : start], text[end : end + width]


def closest(text: str, exact: str) -> Candidate | None:
    """The passage of ``text`` most like ``exact`` (rapidfuzz's partial ratio), or ``None``."""
    if not exact or not text:
        return None
    found = fuzz.partial_ratio_alignment(exact, text)
    if found is None:
        return None
    start, end = found.dest_start, found.dest_end
    return Candidate(start, end, text[start:end], round(found.score, 1))


def _shared_tail(left: str, right: str) -> int:
    """How many characters at the end of ``left`` and ``right`` agree."""
    return len(os.path.commonprefix([left[::-1], right[::-1]]))


def _pick(
    text: str, exact: str, starts: list[int], prefix: str | None, suffix: str | None
) -> list[int]:
    """The starts that the prefix and suffix as written allow.

    First exactly: the text before ends with the prefix (and, if that leaves several, the
    text after starts with the suffix). When that leaves none or several, as after the text
    around a quote was corrected, the start whose surroundings share the most characters
    with the prefix and suffix, if it shares at least half of them and more than any other.
    """
    exact_fit = [s for s in starts if text[:s].endswith(prefix or "")]
    if len(exact_fit) > 1 and suffix:
        exact_fit = [s for s in exact_fit if text[s + len(exact) :].startswith(suffix)]
    if len(exact_fit) == 1 or not (prefix or suffix):
        return exact_fit
    scores = sorted(
        ((_shared_tail(text[:s], prefix or "")
          + len(os.path.commonprefix([text[s + len(exact) :], suffix or ""])), s)
         for s in starts),
        reverse=True,
    )
    best, runner_up = scores[0][0], scores[1][0]
    if best > runner_up and 2 * best >= len(prefix or "") + len(suffix or ""):
        return [scores[0][1]]
    return exact_fit if len(exact_fit) > 1 else [s for score, s in scores if score == best]


def derive(
    text: str,
    exact: str,
    *,
    prefix: str | None = None,
    suffix: str | None = None,
    occurrence: int | None = None,
) -> Anchor:
    """Where ``exact`` is in ``text``, by the rules of this module.

    Raises :class:`QuoteProblem` naming the rule the quote breaks.
    """
    starts = occurrences(text, exact)
    if not starts:
        candidate = closest(text, exact)
        best = "" if candidate is None else (
            f"; the closest passage is {candidate.text!r} at {candidate.start}-{candidate.end} "
            f"(score {candidate.score})"
        )
        raise QuoteProblem(NOT_FOUND, f"not found in the source text{best}", candidate)
    if occurrence is not None:
        if not 1 <= occurrence <= len(starts):
            raise QuoteProblem(
                OUT_OF_RANGE,
                f"occurrence {occurrence} asked for, but the words occur {len(starts)} time(s)",
            )
        chosen = [starts[occurrence - 1]]
    elif len(starts) == 1:
        chosen = starts
    else:
        chosen = _pick(text, exact, starts, prefix, suffix)
        if not prefix and len(chosen) > 1:
            raise QuoteProblem(
                AMBIGUOUS,
                f"found {len(starts)} times without prefix or occurrence: add oa:prefix "
                "(the words just before) or rbo:occurrence",
            )
        if len(chosen) != 1:
            raise QuoteProblem(
                PREFIX_NOT_SINGLING,
                f"found {len(starts)} times and its prefix {prefix!r} does not single it out "
                f"({len(chosen)} of them fit it equally): give a longer prefix or rbo:occurrence",
            )
    start = chosen[0]
    end = start + len(exact)
    before, after = context(text, start, end)
    return Anchor(start, end, before, after)
