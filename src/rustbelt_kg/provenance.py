"""Quotes, offsets and sentences: tying every claim to the exact words of the article.

A claim's evidence is a W3C Web Annotation ``oa:SpecificResource`` on the stored article text
with two selectors: an ``oa:TextQuoteSelector`` (``exact``, ``prefix``, ``suffix``) and an
``oa:TextPositionSelector`` (``start``, ``end``; 0-based code-point offsets, end exclusive).
:func:`check` verifies both against the text, and that every value a claim records in the
article's own words (:data:`WORDING`) lies inside that claim's own quote;
:func:`uncovered_sentences` lists the article's sentences no claim quotes.

>>> text = "One fact. Another fact."
>>> locate(text, "Another")
(10, 17)
>>> [s.text for s in sentences(text)]
['One fact.', 'Another fact.']
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from rdflib import RDF, URIRef

from .anchor import CONTEXT, QuoteProblem, context, derive
from .errors import UsageError
from .namespaces import CLAIM, PREFIXES, PROVENANCE_GRAPH, RB, RBO

__all__ = [
    "CONTEXT", "NOT_WORDING", "WORDING", "Evidence", "Sentence", "check", "context",
    "evidence", "locate", "misquoted_words", "sentence_at", "sentences", "sha256",
    "uncovered_sentences",
]

#: Every property whose value records the article's own words, with what the words are. A
#: claim that asserts one of them must quote those words: the value occurs, exactly (same
#: letters, case and spacing), inside the claim's own ``oa:exact``.
WORDING: dict[str, str] = {
    "rbo:statedAs": "the article's words for a number, date or period",
    "rbo:text": "the words of a statement, as the article gives them",
    "rbo:attribution": "the article's words that attribute a statement",
    "rbo:description": "a short description in the article's words",
    "rbo:purpose": "what something is for, in the article's words",
    "rbo:studyProgramme": "what and at which level a student studies, in the article's words",
    "rbo:achievement": "achievements, in the article's words",
    "rbo:foundingReason": "why a company was started, in the article's words",
    "schema:headline": "the headline",
    "schema:articleSection": "the section the article appears in",
}

#: The only literal-valued properties of claims that do not hold the article's words, and why.
#: A test keeps :data:`WORDING` and this table covering every such property the claims use, so
#: that a new property is compared unless it is ruled out here.
NOT_WORDING: dict[str, str] = {
    "rdfs:label": "the graph's name for a thing, which may be the graph's own "
    "(\"north-east China\", \"access to investors\"); labels are not quotations",
}

OA = PREFIXES["oa"]


@dataclass(frozen=True)
class Sentence:
    """A sentence (or a heading line) of the source text, with its offsets."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Evidence:
    """What the graph says a claim rests on."""

    claim: str
    exact: str | None
    prefix: str | None
    suffix: str | None
    start: int | None
    end: int | None
    #: ``oa:start`` / ``oa:end`` as written, when they are not integers.
    bad_offsets: tuple[str, ...] = ()
    #: The text node the quote is taken from (``oa:hasSource``).
    source: str | None = None
    #: ``rbo:occurrence`` of the quote selector: which appearance of the words is meant.
    occurrence: int | None = None


def sha256(text: str) -> str:
    """The SHA-256 of ``text`` encoded as UTF-8, in lowercase hexadecimal."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def locate(text: str, exact: str, occurrence: int = 1) -> tuple[int, int]:
    """The offsets of the ``occurrence``-th appearance of ``exact`` in ``text``.

    Raises :class:`UsageError` when the quote is missing, or appears more than once and no
    occurrence was asked for explicitly (pass ``occurrence`` to choose).
    """
    positions = [m.start() for m in re.finditer(re.escape(exact), text)]
    if not positions:
        raise UsageError(f"quote not found in the source text: {exact!r}")
    if occurrence < 1 or occurrence > len(positions):
        raise UsageError(f"quote {exact!r} occurs {len(positions)} time(s), not {occurrence}")
    start = positions[occurrence - 1]
    return start, start + len(exact)


_SENTENCE_END = re.compile(r"(?<=[.!?])[\"']?\s+(?=[\"'A-Z0-9])")


def sentences(text: str) -> list[Sentence]:
    """Split the text into sentences: first into lines, then at sentence ends."""
    found: list[Sentence] = []
    offset = 0
    for line in text.split("\n"):
        if line.strip():
            begin = 0
            for match in _SENTENCE_END.finditer(line):
                cut = match.start()
                # keep a closing quote mark with the sentence it closes
                while cut < len(line) and line[cut] in "\"'":
                    cut += 1
                found.append(Sentence(offset + begin, offset + cut, line[begin:cut]))
                begin = match.end()
            found.append(Sentence(offset + begin, offset + len(line), line[begin:]))
        offset += len(line) + 1
    return found


def sentence_at(text: str, start: int, end: int | None = None) -> Sentence | None:
    """The sentence containing offset ``start`` (or the first one overlapping the span)."""
    stop = start + 1 if end is None else max(end, start + 1)
    for sentence in sentences(text):
        if sentence.start < stop and start < sentence.end:
            return sentence
    return None


def evidence(dataset) -> Iterator[Evidence]:  # type: ignore[no-untyped-def]
    """Every claim with the selectors its provenance gives (``None`` where missing).

    Reads ``rbg:provenance`` by walking triples, which is several times faster than asking
    rdflib's SPARQL engine the same question.
    """
    graph = dataset.graph(URIRef(PROVENANCE_GRAPH))
    for claim in sorted(graph.subjects(RDF.type, URIRef(RBO + "Claim"))):
        quote = position = source = None
        for target in graph.objects(claim, URIRef(RBO + "evidence")):
            source = graph.value(target, URIRef(OA + "hasSource"))
            for selector in graph.objects(target, URIRef(OA + "hasSelector")):
                kinds = set(graph.objects(selector, RDF.type))
                if URIRef(OA + "TextQuoteSelector") in kinds:
                    quote = selector
                if URIRef(OA + "TextPositionSelector") in kinds:
                    position = selector

        def value(node, name: str) -> str | None:  # type: ignore[no-untyped-def]
            found = None if node is None else graph.value(node, URIRef(OA + name))
            return None if found is None else str(found)

        start, end = value(position, "start"), value(position, "end")
        occurrence = None if quote is None else graph.value(quote, URIRef(RBO + "occurrence"))
        bad = tuple(
            f"oa:{name} {text!r}"
            for name, text in (("start", start), ("end", end))
            if text is not None and _integer(text) is None
        )
        yield Evidence(
            claim=str(claim),
            exact=value(quote, "exact"),
            prefix=value(quote, "prefix"),
            suffix=value(quote, "suffix"),
            start=None if start is None else _integer(start),
            end=None if end is None else _integer(end),
            bad_offsets=bad,
            source=None if source is None else str(source),
            occurrence=None if occurrence is None else _integer(str(occurrence)),
        )


def _integer(text: str) -> int | None:
    """``text`` as a non-negative integer, or ``None`` when it is not one."""
    return int(text) if text.strip().isdigit() else None


def _quote_problems(item: Evidence, text: str) -> list[str]:
    """What is wrong with one claim's quote against its source ``text``."""
    name = item.claim.removeprefix(CLAIM)
    if item.exact is None:
        return [f"claim {name}: no oa:TextQuoteSelector with oa:exact"]
    if item.bad_offsets:
        return [f"claim {name}: {' and '.join(item.bad_offsets)} is not an integer"]
    if item.start is None or item.end is None:
        return [f"claim {name}: no oa:TextPositionSelector with oa:start and oa:end "
                "(run rustbelt-kg anchor)"]
    try:
        derived = derive(text, item.exact, prefix=item.prefix, suffix=item.suffix,
                         occurrence=item.occurrence)
    except QuoteProblem as problem:
        return [f"claim {name}: quote {item.exact!r} breaks the rule '{problem.rule}': {problem}"]
    at = text[item.start : item.end]
    if at != item.exact:
        return [f"claim {name}: quote {item.exact!r} is not at {item.start}-{item.end} "
                f"(the text there is {at!r}; anchoring derives {derived.start}-{derived.end}, "
                "run rustbelt-kg anchor)"]
    problems = []
    if (item.start, item.end) != (derived.start, derived.end):
        problems.append(f"claim {name}: offsets disagree: {item.start}-{item.end} written, "
                        f"anchoring derives {derived.start}-{derived.end}")
    if item.prefix is not None and not derived.prefix.endswith(item.prefix):
        problems.append(f"claim {name}: oa:prefix {item.prefix!r} does not precede the quote")
    if item.suffix is not None and not derived.suffix.startswith(item.suffix):
        problems.append(f"claim {name}: oa:suffix {item.suffix!r} does not follow the quote")
    return [f"{problem} (rustbelt-kg anchor rewrites it)" for problem in problems]


def check(dataset, texts: str | Mapping[str, str]) -> list[str]:  # type: ignore[no-untyped-def]
    """Problems with the claims' provenance; an empty list means every claim is sound.

    ``texts`` maps each source text node to its text (:func:`rustbelt_kg.sources.texts`);
    a single string stands for the text of every source. Checks that every claim graph is
    declared a claim with evidence, that every quote keeps the anchoring rules of
    :mod:`rustbelt_kg.anchor` and sits verbatim at the offsets anchoring derives, with the
    recorded prefix and suffix, that every value a claim records in the article's words is
    inside its quote (:func:`misquoted_words`), that every declared claim has a non-empty
    graph, and that each source text's recorded SHA-256 matches.
    """
    problems: list[str] = []
    declared: dict[str, Evidence] = {}
    for item in evidence(dataset):
        declared.setdefault(item.claim, item)
        text = texts if isinstance(texts, str) else texts.get(item.source or "")
        if text is None:
            problems.append(f"claim {item.claim.removeprefix(CLAIM)}: its oa:hasSource "
                            f"{item.source} is not a source text of data/sources/")
            continue
        problems += _quote_problems(item, text)
    problems += misquoted_words(dataset, declared.values())

    graphs = {str(g.identifier) for g in dataset.graphs() if str(g.identifier).startswith(CLAIM)}
    for graph in sorted(graphs - set(declared)):
        problems.append(f"graph {graph}: holds facts but is not a claim with a quote")
    for claim in sorted(set(declared) - graphs):
        problems.append(f"claim {claim.removeprefix(CLAIM)}: declared but asserts no triple")
    return problems + _digest_problems(dataset, texts)


def _digest_problems(dataset, texts: str | Mapping[str, str]) -> list[str]:  # type: ignore[no-untyped-def]
    """Source texts whose recorded SHA-256 is missing or is not that of their text."""
    problems = []
    nodes = {s for s, _, _, _ in dataset.quads((None, RDF.type, URIRef(RBO + "SourceText"), None))}
    if not nodes:
        problems.append("the source text has no recorded rbo:sha256")
    for node in sorted(nodes):
        text = texts if isinstance(texts, str) else texts.get(str(node))
        recorded = dataset.quads((node, URIRef(RBO + "sha256"), None, None))
        digests = {str(d) for _, _, d, _ in recorded}
        name = "rb:" + str(node).removeprefix(RB)  # which text, when there are several
        if not digests:
            problems.append(f"{name}: the source text has no recorded rbo:sha256")
        if text is None:
            continue
        actual = sha256(text)
        for digest in sorted(digests - {actual}):
            problems.append(f"{name}: the source text's SHA-256 is {actual}, "
                            f"the graph records {digest}")
    return problems


def _expand(name: str) -> URIRef:
    prefix, local = name.split(":", 1)
    return URIRef(PREFIXES[prefix] + local)


def misquoted_words(dataset, claims: Iterable[Evidence]) -> list[str]:  # type: ignore[no-untyped-def]
    """Values of :data:`WORDING` properties that are not inside their own claim's quote.

    Each claim's graph is compared with that claim's ``oa:exact`` only: words that occur
    elsewhere in the article, in another claim's quote, or with other case or spacing are
    reported. Claims without a quote are reported by :func:`check` already.
    """
    wording = {_expand(name): name for name in WORDING}
    problems = []
    for item in claims:
        if item.exact is None:
            continue
        graph = dataset.graph(URIRef(item.claim))
        for subject, predicate, value in sorted(graph):
            if predicate in wording and str(value) not in item.exact:
                where = f"rb:{subject.removeprefix(RB)}" if subject.startswith(RB) else subject
                problems.append(
                    f"claim {item.claim.removeprefix(CLAIM)}: {wording[predicate]} of {where} "
                    f"records {str(value)!r}, which is not in its quote {item.exact!r}"
                )
    return problems


def uncovered_sentences(  # type: ignore[no-untyped-def]
    dataset, source_text: str, source: str | None = None
) -> list[Sentence]:
    """The sentences of the text that no claim's quote overlaps.

    ``source`` is the text node of ``source_text``: only quotes taken from it count. Without
    it, every quote counts (a project of one source).
    """
    spans = [
        (e.start, e.end) for e in evidence(dataset)
        if e.start is not None and e.end is not None and source in (None, e.source)
    ]
    return [
        s for s in sentences(source_text) if not any(a < s.end and s.start < b for a, b in spans)
    ]
