"""``rustbelt-kg anchor``: write the offsets, prefix and suffix of every quote into the files.

For each quote selector in the claim files (``data/article/``, ``data/claims/*/``), the
anchor :func:`rustbelt_kg.anchor.derive` finds in the quote's source text is compared with
what the file holds. Where they differ (a new claim with only its words, or a source text
that was corrected), the file is edited *surgically*: only the ``oa:prefix`` and
``oa:suffix`` literals and the ``oa:start``/``oa:end`` numbers change (or are added, with a
position selector when there is none); every other byte of the file stays as it is. Files
are written atomically.

All or nothing: when any quote breaks an anchoring rule (an *orphan* whose words are no
longer in its text, with the closest passage and its score; an ambiguous quote), nothing is
written and :class:`CheckFailed` lists every such quote. A quote is never moved to a passage
that is not its exact words.

A source text that changed (a corrected version) has a new SHA-256: the metadata stub
(``data/sources/NAME.ttl``) of every text whose recorded ``rbo:sha256`` is not that of the
text is rewritten with the new digest, in the same way (only that literal changes), when the
quotes are written.

The editing reads the TriG as the project writes it: each selector is a statement starting
with its own IRI (``<NAME#quote> a oa:TextQuoteSelector ; ...``), its literals in
``"..."``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from rustbelt_kg import fsio, sources
from rustbelt_kg.anchor import Anchor, QuoteProblem, derive
from rustbelt_kg.errors import CheckFailed, UsageError
from rustbelt_kg.namespaces import CLAIM, PREFIXES, PROVENANCE_GRAPH, RB, RBO
from rustbelt_kg.project import Project
from rustbelt_kg.provenance import sha256
from rustbelt_kg.reading import decode_text, read_source
from rustbelt_kg.sources import turtle_string

__all__ = ["AnchorReport", "anchor_project"]

_OA = PREFIXES["oa"]
_RDF_TYPE = PREFIXES["rdf"] + "type"
_CLAIM_KINDS = ("article", "claims")


@dataclass(frozen=True)
class _Quote:
    """One quote selector as a file holds it."""

    claim: str
    node: str
    target: str
    source: str | None
    exact: str
    prefix: str | None
    suffix: str | None
    occurrence: int | None
    position: str | None
    start: int | None
    end: int | None


@dataclass
class AnchorReport:
    """What :func:`anchor_project` did: files changed, quotes moved, quotes that broke."""

    changed: list[Path] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)
    #: Source texts whose stub records another SHA-256 than theirs: ``rb:text/x: old -> new``.
    digests: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    quotes: int = 0


def _quotes(data: bytes) -> list[_Quote]:
    """The quote selectors of one TriG file, with their target, source and position."""
    values: dict[str, dict[str, list[Any]]] = {}
    for quad in ox.parse(data, ox.RdfFormat.TRIG):
        if not isinstance(quad.graph_name, ox.NamedNode) or \
                quad.graph_name.value != PROVENANCE_GRAPH:
            continue
        node = values.setdefault(str(quad.subject.value), {})
        node.setdefault(quad.predicate.value, []).append(quad.object)

    def one(node: str | None, predicate: str) -> str | None:
        found = values.get(node or "", {}).get(predicate, [])
        return str(found[0].value) if found else None

    def is_a(node: str, kind: str) -> bool:
        return any(t.value == _OA + kind for t in values.get(node, {}).get(_RDF_TYPE, []))

    found = []
    for target, props in values.items():
        selectors = [str(t.value) for t in props.get(_OA + "hasSelector", [])]
        quote = next((s for s in selectors if is_a(s, "TextQuoteSelector")), None)
        exact = one(quote, _OA + "exact")
        if quote is None or exact is None:
            continue
        position = next((s for s in selectors if is_a(s, "TextPositionSelector")), None)
        start, end, occurrence = (one(position, _OA + "start"), one(position, _OA + "end"),
                                  one(quote, RBO + "occurrence"))
        found.append(_Quote(
            claim=target.split("#", 1)[0], node=quote, target=target,
            source=one(target, _OA + "hasSource"), exact=exact,
            prefix=one(quote, _OA + "prefix"), suffix=one(quote, _OA + "suffix"),
            occurrence=int(occurrence) if occurrence and occurrence.isdigit() else None,
            position=position,
            start=int(start) if start and start.isdigit() else None,
            end=int(end) if end and end.isdigit() else None,
        ))
    return found


_STRING = r'"(?:[^"\\\n]|\\.)*"'
_TOKEN = re.compile(rf'{_STRING}|<[^>\s]*>|\.(?=\s|$)|#[^\n]*|[^"<.#]+|.', re.S)


def _statement(text: str, node: str) -> tuple[int, int] | None:
    """The span of the statement whose subject is ``node``: from the subject to its ``.``."""
    names = [node, node.removeprefix(CLAIM)] if node.startswith(CLAIM) else [node]
    for name in names:
        found = re.search(rf"(?m)^[ \t]*(<{re.escape(name)}>)", text)
        if found is None:
            continue
        for token in _TOKEN.finditer(text, found.start(1)):
            if token.group() == ".":
                return found.start(1), token.start()
    return None


def _set(statement: str, predicate: str, value: str) -> str:
    """``statement`` with the object of ``predicate`` set to ``value`` (added if absent)."""
    pattern = re.compile(rf"({re.escape(predicate)}\s+)({_STRING}|\d+)")
    if pattern.search(statement):
        return pattern.sub(lambda m: m.group(1) + value, statement, count=1)
    return statement.rstrip() + f" ;\n        {predicate} {value} "


def _edit(text: str, quote: _Quote, anchor: Anchor) -> str:
    """``text`` with the quote's prefix, suffix and position set to ``anchor``."""
    span = _statement(text, quote.node)
    if span is None:
        raise UsageError(f"cannot find the statement of <{quote.node}> to edit")
    statement = text[span[0] : span[1]]
    if quote.prefix != anchor.prefix:
        statement = _set(statement, "oa:prefix", turtle_string(anchor.prefix))
    if quote.suffix != anchor.suffix:
        statement = _set(statement, "oa:suffix", turtle_string(anchor.suffix))
    text = text[: span[0]] + statement + text[span[1] :]
    if quote.position is None:
        node = quote.node.rsplit("#", 1)[0] + "#position"
        relative = f"@base <{CLAIM}>" in text  # write IRIs the way the file's own are written
        name = node.removeprefix(CLAIM) if relative else node
        target = quote.target.removeprefix(CLAIM) if relative else quote.target
        end = span[0] + len(statement) + 1
        added = (f"\n    <{target}> oa:hasSelector <{name}> .\n    <{name}> a "
                 f"oa:TextPositionSelector ; oa:start {anchor.start} ; oa:end {anchor.end} .")
        return text[:end] + added + text[end:]
    span = _statement(text, quote.position)
    if span is None:
        raise UsageError(f"cannot find the statement of <{quote.position}> to edit")
    statement = _set(text[span[0] : span[1]], "oa:start", str(anchor.start))
    statement = _set(statement, "oa:end", str(anchor.end))
    return text[: span[0]] + statement + text[span[1] :]


def _write(path: Path, text: str) -> None:
    fsio.atomic_write(path, lambda out: out.write(text))


def _claim_files(project: Project) -> list[Path]:
    return [path for kind in _CLAIM_KINDS for path in project.files(kind)]


def _stale_digests(project: Project, texts: dict[str, str], report: AnchorReport
                   ) -> dict[Path, str]:
    """The stubs whose recorded SHA-256 is not their text's, with the digest replaced."""
    edited = {}
    for path in sorted(project.sources_dir.glob("*.ttl")):
        data = read_source(path, project.display(path))
        text = original = decode_text(data, project.display(path))
        for triple in ox.parse(data, ox.RdfFormat.TURTLE):
            node = str(triple.subject.value)
            if triple.predicate.value != RBO + "sha256" or node not in texts:
                continue
            recorded, actual = str(triple.object.value), sha256(texts[node])
            if recorded == actual:
                continue
            text, count = re.subn(rf'(rbo:sha256\s+)"{re.escape(recorded)}"',
                                  rf'\g<1>"{actual}"', text)
            if count != 1:
                raise UsageError(f"cannot find the rbo:sha256 of <{node}> to edit in "
                                 f"{project.display(path)}")
            report.digests.append(f"{node.removeprefix(RB)}: {recorded} -> {actual}")
        if text != original:
            edited[path] = text
    return edited


def anchor_project(project: Project, *, write: bool = True) -> AnchorReport:
    """Anchor every quote of the claim files in its source text; see the module docstring.

    The stubs of texts whose SHA-256 changed get the new digest (:attr:`AnchorReport.digests`).
    With ``write=False`` nothing is written; the report says what would change. Raises
    :class:`CheckFailed` (exit 1) listing every quote that breaks a rule; nothing is
    written then.
    """
    texts = sources.texts(project)
    report = AnchorReport()
    edited: dict[Path, str] = {}
    for path in _claim_files(project):
        data = read_source(path, project.display(path))
        original = text = decode_text(data, project.display(path))
        for quote in _quotes(data):
            report.quotes += 1
            name = quote.claim.removeprefix(CLAIM)
            source = texts.get(quote.source or "")
            if source is None:
                report.problems.append(f"claim {name} ({project.display(path)}): its source "
                                       f"{quote.source} is not a text of data/sources/")
                continue
            try:
                anchor = derive(source, quote.exact, prefix=quote.prefix, suffix=quote.suffix,
                                occurrence=quote.occurrence)
            except QuoteProblem as problem:
                kind = "orphan" if problem.candidate is not None else "quote"
                report.problems.append(f"{kind} claim {name} ({project.display(path)}): "
                                       f"{quote.exact!r} breaks the rule '{problem.rule}': "
                                       f"{problem}")
                continue
            if (quote.start, quote.end, quote.prefix, quote.suffix) != (
                anchor.start, anchor.end, anchor.prefix, anchor.suffix
            ):
                text = _edit(text, quote, anchor)
                report.moved.append(f"claim {name}: {quote.start}-{quote.end} -> "
                                    f"{anchor.start}-{anchor.end}")
        if text != original:
            edited[path] = text
    if report.problems:
        raise CheckFailed("quotes that cannot be anchored (no file was written)",
                          report.problems)
    edited.update(_stale_digests(project, texts, report))
    report.changed = sorted(edited)
    if write:
        for path, text in edited.items():
            _write(path, text)
    return report
