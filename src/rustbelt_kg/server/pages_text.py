"""A source text cut into the pieces the article page highlights.

Quotes may nest or cross ("covers an area of 3,700 square meters" inside the sentence another
claim quotes whole), so the text is cut at every quote's start and end: each piece is covered
by the same set of claims from its start to its end, and a page can highlight it once, listing
those claims, without nesting one highlight in another. Sentences no claim quotes are cut out
too, so that a page can mark them.

>>> pieces = paragraphs("Ab cd. Ef.", {"c:x": (0, 2), "c:y": (1, 5)}, [])[0]
>>> [(p.text, p.claims) for p in pieces]
[('A', ('c:x',)), ('b', ('c:x', 'c:y')), (' cd', ('c:y',)), ('. Ef.', ())]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rustbelt_kg.provenance import Sentence, sentences

__all__ = ["Piece", "in_context", "paragraphs", "unquoted_sentences"]


@dataclass(frozen=True)
class Piece:
    """Text from ``start`` to ``end`` covered by ``claims`` (shortest quote first);
    ``starts`` are the claims whose quote begins here; ``unquoted`` when no claim quotes
    the sentence it belongs to."""

    start: int
    end: int
    text: str
    claims: tuple[str, ...]
    starts: tuple[str, ...]
    unquoted: bool


def paragraphs(
    text: str, spans: Mapping[str, tuple[int, int]], unquoted: Iterable[Sentence]
) -> list[list[Piece]]:
    """The text's non-empty lines, each as its pieces (see the module docstring).

    ``spans`` maps each claim to its quote's offsets; ``unquoted`` are the sentences no
    claim quotes (:func:`rustbelt_kg.provenance.uncovered_sentences`).
    """
    bare = [(s.start, s.end) for s in unquoted]
    cuts = {0, len(text)}
    cuts.update(i for i, char in enumerate(text) if char == "\n")
    cuts.update(i + 1 for i, char in enumerate(text) if char == "\n")
    for start, end in [*spans.values(), *bare]:
        cuts.update((max(0, min(start, len(text))), max(0, min(end, len(text)))))
    by_length = sorted(spans.items(), key=lambda item: (item[1][1] - item[1][0], item[0]))
    out: list[list[Piece]] = []
    line: list[Piece] = []
    bounds = sorted(cuts)
    for start, end in zip(bounds, bounds[1:], strict=False):
        chunk = text[start:end]
        if chunk == "\n":
            if line:
                out.append(line)
            line = []
            continue
        covering = tuple(c for c, (a, b) in by_length if a < end and start < b)
        starting = tuple(c for c, (a, _) in by_length if a == start)
        lonely = any(a <= start and end <= b for a, b in bare)
        line.append(Piece(start, end, chunk, covering, starting, lonely))
    if line:
        out.append(line)
    return out


def in_context(text: str, start: int, end: int) -> tuple[str, str, str]:
    """The words before the quote in its first sentence, the quote, and the words after it
    to the end of its last sentence: a fact's sentence with the quoted words set apart."""
    found = sentences(text)
    first = next((s.start for s in found if s.start <= start < s.end), start)
    last = next((s.end for s in reversed(found) if s.start < end <= s.end), end)
    return text[first:start], text[start:end], text[end:last]


def unquoted_sentences(text: str, spans: Iterable[tuple[int, int]]) -> list[Sentence]:
    """The sentences of ``text`` that no span overlaps."""
    quoted = list(spans)
    return [s for s in sentences(text) if not any(a < s.end and s.start < b for a, b in quoted)]
