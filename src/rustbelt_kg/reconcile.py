"""Reconciliation: Wikidata candidates for the project's entities, scored, for review.

:func:`reconcile` asks a Wikidata-shaped endpoint for items whose English or Chinese label
or alias equals a local entity's label, keeps those of the expected class
(``wdt:P31/wdt:P279*`` of the local class's own link) and, for the places of the article,
in China (``wdt:P17 wd:Q148``), and scores them with visible features (:data:`FEATURES`).
:func:`review_set` turns the candidates into a review file (SSSOM/TSV, written by
:func:`write_review`); only accepted rows become links (:mod:`rustbelt_kg.link`), and a
candidate that disagrees with a curated link is a conflict, reported and never applied.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from rdflib.term import Literal

from rustbelt_kg import __version__, namespaces, sssom
from rustbelt_kg.link import (
    CURIE_MAP,
    RBO,
    RDFS_LABEL,
    SEMAPV,
    SET_METADATA,
    SKOS_EXACT,
    LocalEntity,
    by_text,
    record_id,
)
from rustbelt_kg.namespaces import sparql_prefixes
from rustbelt_kg.project import Project
from rustbelt_kg.sssom import Mapping, MappingSet
from rustbelt_kg.wikidata import WikidataClient

__all__ = [
    "FEATURES",
    "Candidate",
    "candidate_query",
    "reconcile",
    "review_path",
    "review_set",
    "write_review",
]

WD = namespaces.WD
TOOL = f"rustbelt-kg {__version__} link"
#: Local classes whose instances in this article are places or institutions in China.
COUNTRY_SCOPE = {RBO + c: WD + "Q148" for c in ("Province", "City", "University")}
#: Features of a candidate and their weights. The score is the sum of the features present
#: over label + class + country (1.0): a feature that cannot be checked (no class link, not
#: a place in China) adds nothing, so a bare label match scores 0.5.
FEATURES = {"label": 0.5, "alias": 0.35, "class": 0.3, "country": 0.2}
#: Suffixes a local label may carry that Wikidata's labels leave out.
_SUFFIXES = (" province", " city")
#: The languages labels are matched in.
LANGUAGES = ("en", "zh")
#: The review file's name in the project's build folder (``link`` without ``-o``).
REVIEW_FILE = "link-review.sssom.tsv"


@dataclass(frozen=True)
class Candidate:
    """A Wikidata item proposed for a local entity, with the features that scored it."""

    entity: LocalEntity
    item: str
    item_label: str | None
    match_string: str
    match_field: str
    features: dict[str, bool | None]
    score: float

    @property
    def passes_filters(self) -> bool:
        """False when the item is of the wrong class or in the wrong country."""
        return self.features["class"] is not False and self.features["country"] is not False

    def describe(self) -> str:
        """The features as a reader sees them, e.g. ``label(en) 0.5 + class 0.3 = 0.8``."""
        parts = []
        kind = "label" if self.match_field == RDFS_LABEL else "alias"
        parts.append(f"{kind} {self.match_string!r} {FEATURES[kind]:g}")
        for name in ("class", "country"):
            seen = self.features[name]
            if seen is not None:
                parts.append(f"{name} {FEATURES[name]:g}" if seen else f"{name} NO")
        return " + ".join(parts) + f" = {self.score:.3f}"


# -- the candidate query -----------------------------------------------------------------------

_CANDIDATES = sparql_prefixes("wd", "wdt", "rdfs", "skos") + """\
SELECT DISTINCT ?item ?field ?text ?itemLabel ?classOk ?countryOk WHERE {
  VALUES ?text { %(texts)s }
  VALUES ?field { rdfs:label skos:altLabel }
  ?item ?field ?text .
  FILTER(STRSTARTS(STR(?item), "%(items)s"))
  OPTIONAL { ?item rdfs:label ?itemLabel FILTER(LANG(?itemLabel) = "en") }
  %(class)s
  %(country)s
}"""


def _texts(entity: LocalEntity) -> list[Literal]:
    texts: set[Literal] = set()
    for lit in (*entity.labels, *entity.aliases):
        if lit.language not in LANGUAGES:
            continue
        texts.add(lit)
        lower = str(lit).lower()
        for suffix in _SUFFIXES:
            if lower.endswith(suffix):
                texts.add(Literal(str(lit)[: -len(suffix)], lang=lit.language))
    return list(by_text(texts))


_SPARQL_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})


def _sparql_literal(lit: Literal) -> str:
    """The literal as a one-line SPARQL string, every character that needs it escaped.

    >>> print(_sparql_literal(Literal('a "b" \\\\ c\\nd', lang="zh")))
    "a \\"b\\" \\\\ c\\nd"@zh
    """
    return f'"{str(lit).translate(_SPARQL_ESCAPES)}"@{lit.language}'


def candidate_query(entity: LocalEntity, classes: Sequence[str], country: str | None) -> str:
    """The SELECT query asking for the candidates of one entity."""
    klass = country_part = ""
    if classes:
        values = " ".join(f"<{c}>" for c in classes)
        klass = (f"BIND(EXISTS {{ VALUES ?class {{ {values} }} "
                 "?item wdt:P31/wdt:P279* ?class } AS ?classOk)")
    if country:
        country_part = f"BIND(EXISTS {{ ?item wdt:P17 <{country}> }} AS ?countryOk)"
    texts = " ".join(_sparql_literal(t) for t in _texts(entity))
    return _CANDIDATES % {"texts": texts, "items": WD + "Q", "class": klass,
                          "country": country_part}


# -- scoring -----------------------------------------------------------------------------------


def _score(features: dict[str, bool | None], kind: str) -> float:
    got = FEATURES[kind] + sum(FEATURES[n] for n in ("class", "country") if features[n])
    return round(got / (FEATURES["label"] + FEATURES["class"] + FEATURES["country"]), 3)


def _bool(term: object) -> bool:
    return term is not None and str(term).lower() in ("true", "1")


def reconcile(
    entities: Sequence[LocalEntity], class_links: dict[str, str], client: WikidataClient,
    *, done: Callable[[LocalEntity], object] | None = None,
) -> list[Candidate]:
    """Candidates for each entity, best first per entity; one query per entity, in turn.

    ``class_links`` maps local classes to their Wikidata items (the curated class links);
    candidates of the wrong class or country are dropped. ``done`` is called after each
    entity (a progress bar).
    """
    found: list[Candidate] = []
    for entity in entities:
        found.extend(_candidates(entity, class_links, client))
        if done is not None:
            done(entity)
    return found


def _candidates(entity: LocalEntity, class_links: dict[str, str],
                client: WikidataClient) -> list[Candidate]:
    """The candidates of one entity that pass the filters, best first."""
    if not _texts(entity):
        return []
    classes = sorted({class_links[t] for t in entity.types if t in class_links})
    country = next((COUNTRY_SCOPE[t] for t in entity.types if t in COUNTRY_SCOPE), None)
    _, rows = client.select(candidate_query(entity, classes, country))
    best: dict[str, Candidate] = {}
    for row in rows:
        features: dict[str, bool | None] = {
            "class": _bool(row.get("classOk")) if classes else None,
            "country": _bool(row.get("countryOk")) if country else None,
        }
        kind = "label" if str(row["field"]) == RDFS_LABEL else "alias"
        item_label = row.get("itemLabel")
        candidate = Candidate(
            entity, str(row["item"]), str(item_label) if item_label is not None else None,
            str(row["text"]), str(row["field"]), features, _score(features, kind),
        )
        previous = best.get(candidate.item)
        if previous is None or candidate.score > previous.score:
            best[candidate.item] = candidate
    kept = [c for c in best.values() if c.passes_filters]
    return sorted(kept, key=lambda c: (-c.score, c.item))


# -- the review file ---------------------------------------------------------------------------

REVIEW_METADATA: dict[str, object] = {
    "mapping_set_title": "rustbelt-kg: Wikidata candidates for review",
    "mapping_set_description": (
        "Candidates found by `rustbelt-kg link`; confidence is the score, the comment its "
        "features. To accept a row set reviewer_agreement to 1 and reviewer_label to your "
        "name (-1 rejects), then run `rustbelt-kg link --apply FILE`."
    ),
    "license": SET_METADATA["license"],
    "sssom_version": "1.1",
}


def review_path(project: Project) -> Path:
    """Where ``rustbelt-kg link`` writes its review file by default (the build folder)."""
    return project.build_dir / REVIEW_FILE


def review_set(
    candidates: Sequence[Candidate], curated: MappingSet, *, threshold: float | None,
    today: str | None = None,
) -> tuple[MappingSet, list[Mapping], list[str]]:
    """The review file's mapping set, the mappings accepted by ``threshold``, and conflicts.

    A candidate is accepted when it is the only best one of its entity, scores at least
    ``threshold`` and the entity has no curated link. A best candidate that differs from
    the entity's curated link is a conflict: reported, never applied.
    """
    day = today or date.today().isoformat()
    linked = {m.subject_id: m.object_id for m in curated.mappings}
    rows: list[Mapping] = []
    accepted: list[Mapping] = []
    conflicts: list[str] = []
    by_entity: dict[str, list[Candidate]] = {}
    for c in candidates:
        by_entity.setdefault(c.entity.iri, []).append(c)
    for iri, group in sorted(by_entity.items()):
        top = group[0]
        unique = len(group) == 1 or group[1].score < top.score
        for rank, c in enumerate(group, start=1):
            status = f"candidate {rank} of {len(group)}"
            current = linked.get(iri)
            if current == c.item:
                status += "; agrees with the curated link"
            elif current and rank == 1:
                status += (f"; CONFLICT: the curated link is {curated.contract(current)}; "
                           "not applied")
                conflicts.append(f"{curated.contract(iri)}: best candidate "
                                 f"{curated.contract(c.item)} ({c.score:.3f}) but curated "
                                 f"{curated.contract(current)}")
            elif rank == 1 and not unique:
                status += "; ambiguous: another candidate has the same score"
            row = Mapping(
                subject_id=iri, predicate_id=SKOS_EXACT, object_id=c.item,
                mapping_justification=SEMAPV + "CompositeMatching",
                subject_label=c.entity.label, object_label=c.item_label,
                subject_type="owl named individual", mapping_tool=TOOL, mapping_date=day,
                confidence=c.score, subject_match_field=(RDFS_LABEL,),
                object_match_field=(c.match_field,), match_string=c.match_string,
                comment=f"{c.describe()}; {status}",
            )
            if (threshold is not None and rank == 1 and unique and current is None
                    and c.score >= threshold):
                rule = f"accepted by `rustbelt-kg link --accept-threshold {threshold:g}`"
                row = row.with_(curation_rule_text=rule, comment=f"{row.comment}; {rule}")
                accepted.append(row.with_(record_id=record_id(row.subject_id)))
            rows.append(row)
    review = MappingSet(namespaces.LINKS_GRAPH + "/review", dict(CURIE_MAP), rows,
                        dict(REVIEW_METADATA))
    return review, accepted, conflicts


def write_review(review: MappingSet, path: Path) -> None:
    """Write a review file (SSSOM/TSV) atomically, with the columns a reviewer fills."""
    sssom.write_tsv(review, path, always=("reviewer_label", "reviewer_agreement"))
