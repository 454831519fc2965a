"""Links to Wikidata: the curated mapping set, reconciliation, review and apply.

The curated links live in two files that say the same thing (a test keeps them equal):

- ``data/links/wikidata.sssom.tsv``: the SSSOM mapping set, one row per link, with its
  justification, confidence, date, author and comment;
- ``data/links/wikidata.ttl``: the same set in RDF, loaded into ``rbg:links/wikidata``: each
  ``skos:exactMatch`` triple beside its mapping record (an ``owl:Axiom`` named
  ``rbg:links/wikidata#<local name>``, see :mod:`rustbelt_kg.sssom`).

Reconciliation (:func:`reconcile`) asks a Wikidata-shaped endpoint for items whose English
or Chinese label or alias equals a local entity's label, keeps those of the expected class
(``wdt:P31/wdt:P279*`` of the local class's own link) and, for the places of the article,
in China (``wdt:P17 wd:Q148``), and scores them with visible features
(:data:`FEATURES`). The candidates go to a review file (SSSOM/TSV); only accepted rows
become links (:func:`apply_review`), and a curated link is never changed: a candidate that
disagrees with one is a conflict, reported and refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from rdflib.term import Literal

from rustbelt_kg import __version__, namespaces, sssom
from rustbelt_kg.errors import CheckFailed, UsageError
from rustbelt_kg.export import Quad, atomic_write, serialize
from rustbelt_kg.load import load_quads
from rustbelt_kg.project import Project
from rustbelt_kg.sssom import Mapping, MappingSet
from rustbelt_kg.store import OxigraphStore
from rustbelt_kg.wikidata import WikidataClient

__all__ = [
    "FEATURES",
    "Candidate",
    "LocalEntity",
    "accepted_rows",
    "apply_mappings",
    "apply_review",
    "candidate_query",
    "class_links",
    "link_paths",
    "links_ttl",
    "local_entities",
    "plan_mappings",
    "project_entities",
    "qc_violations",
    "read_links",
    "reconcile",
    "record_id",
    "review_set",
    "sync_links",
    "todo",
    "write_links",
    "write_review",
]

RBO = namespaces.RBO
WD = namespaces.WD
SKOS_EXACT = "http://www.w3.org/2004/02/skos/core#exactMatch"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SEMAPV = "https://w3id.org/semapv/vocab/"
#: Mapping records are named ``rbg:links/wikidata#<local name>``.
RECORD_BASE = namespaces.LINKS_GRAPH + "#"
TOOL = f"rustbelt-kg {__version__} link"

#: Kinds of things that can have a Wikidata item; their instances are what ``--todo`` lists.
LINKABLE_ROOTS = tuple(
    RBO + c for c in ("Agent", "Place", "Occupation", "Industry", "Policy", "Product")
)
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

CURIE_MAP = {"rb": namespaces.RB, "rbo": RBO, "wd": WD, "rbgl": RECORD_BASE}
SET_METADATA: dict[str, object] = {
    "mapping_set_title": "rustbelt-kg links to Wikidata",
    "mapping_set_description": (
        "Curated links from the entities and classes of the rustbelt-kg knowledge graph to "
        "Wikidata items. Identifiers were checked offline against public sources (two for "
        "confidence 0.95, one for 0.7: flagged for review against live Wikidata)."
    ),
    "license": "https://creativecommons.org/licenses/by/4.0/",
    "creator_label": "rustbelt-kg maintainers",
    "sssom_version": "1.1",
}
LINKS_TTL_HEADER = (
    "# Curated links from rustbelt-kg to Wikidata, loaded into rbg:links/wikidata.\n"
    "# Generated from wikidata.sssom.tsv (the same mapping set in SSSOM/TSV) by rustbelt-kg;\n"
    "# edit the TSV, then run `rustbelt-kg link --sync` (or add links with `link --apply`).\n"
    "# Each skos:exactMatch link has a mapping record (owl:Axiom, SSSOM/RDF) named\n"
    "# rbg:links/wikidata#<local name> with its justification, confidence and date.\n\n"
)


@dataclass(frozen=True)
class LocalEntity:
    """A typed ``rb:`` entity of the claim graphs that could have a Wikidata item."""

    iri: str
    types: tuple[str, ...]
    labels: tuple[Literal, ...]
    aliases: tuple[Literal, ...] = ()

    @property
    def label(self) -> str:
        """Its English ``rdfs:label`` (or its IRI's local name)."""
        english = [str(lit) for lit in self.labels if lit.language == "en"]
        return min(english) if english else self.iri.rsplit("/", 1)[-1]


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


# -- the project's entities and links --------------------------------------------------------


def _store(quads: Iterable[Quad]) -> OxigraphStore:
    store = OxigraphStore()
    store.add_quads(quads)
    return store


_ENTITIES = """
SELECT DISTINCT ?e ?type ?field ?label WHERE {
  GRAPH ?claim { ?e a ?type }
  FILTER(STRSTARTS(STR(?claim), STR(claim:)) && STRSTARTS(STR(?e), STR(rb:)))
  ?type rdfs:subClassOf* ?root .
  VALUES ?root { %s }
  OPTIONAL { VALUES ?field { rdfs:label skos:altLabel } ?e ?field ?label }
}"""


def _by_text(labels: Iterable[Literal]) -> tuple[Literal, ...]:
    return tuple(sorted(labels, key=lambda x: (x.language or "", str(x))))


def local_entities(store: OxigraphStore) -> list[LocalEntity]:
    """The typed ``rb:`` entities of the claim graphs whose class is linkable, by IRI."""
    roots = " ".join(f"<{r}>" for r in LINKABLE_ROOTS)
    found: dict[str, tuple[set[str], set[Literal], set[Literal]]] = {}
    for row in store.query(_ENTITIES % roots).rows:
        types, labels, aliases = found.setdefault(str(row["e"]), (set(), set(), set()))
        types.add(str(row["type"]))
        if isinstance(row.get("label"), Literal):
            (labels if str(row["field"]) == RDFS_LABEL else aliases).add(row["label"])
    return [
        LocalEntity(iri, tuple(sorted(types)), _by_text(labels), _by_text(aliases))
        for iri, (types, labels, aliases) in sorted(found.items())
    ]


def project_entities(project: Project) -> list[LocalEntity]:
    """The linkable entities of a project's claim graphs (see :func:`local_entities`)."""
    return local_entities(_store(load_quads(project)))


def _linked_subjects(store: OxigraphStore) -> set[str]:
    query = f"SELECT ?s WHERE {{ GRAPH <{namespaces.LINKS_GRAPH}> {{ ?s skos:exactMatch ?o }} }}"
    return {str(row["s"]) for row in store.query(query).rows}


def todo(project: Project) -> list[LocalEntity]:
    """Linkable entities of the claim graphs that have no link in ``rbg:links/wikidata``."""
    store = _store(load_quads(project))
    linked = _linked_subjects(store)
    return [e for e in local_entities(store) if e.iri not in linked]


def link_paths(project: Project) -> tuple[Path, Path]:
    """The curated mapping set's TSV and Turtle files."""
    folder = project.root / "data" / "links"
    return folder / "wikidata.sssom.tsv", folder / "wikidata.ttl"


def read_links(project: Project) -> MappingSet:
    """The curated mapping set (from its TSV file)."""
    return sssom.read_tsv(link_paths(project)[0])


def links_ttl(mset: MappingSet) -> str:
    """The Turtle file of a curated mapping set: header comment, then canonical Turtle."""
    return LINKS_TTL_HEADER + serialize(sssom.to_quads(mset.sorted()), "turtle")


def write_links(project: Project, mset: MappingSet) -> None:
    """Write the curated set as TSV and Turtle; both texts are made before either is written."""
    tsv_path, ttl_path = link_paths(project)
    ordered = mset.sorted()
    tsv, ttl = sssom.dumps_tsv(ordered), links_ttl(ordered)
    atomic_write(tsv_path, lambda out: out.write(tsv))
    atomic_write(ttl_path, lambda out: out.write(ttl))


def record_id(subject: str) -> str:
    """The mapping record IRI of a local entity or ontology term."""
    if subject.startswith(namespaces.RB):
        return RECORD_BASE + subject[len(namespaces.RB):]
    if subject.startswith(RBO):
        return RECORD_BASE + "rbo-" + subject[len(RBO):]
    raise UsageError(f"<{subject}> is neither an rb: entity nor an rbo: term")


# -- reconciliation ---------------------------------------------------------------------------

_CANDIDATES = """PREFIX wd: <http://www.wikidata.org/entity/>
PREFIX wdt: <http://www.wikidata.org/prop/direct/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT DISTINCT ?item ?field ?text ?itemLabel ?classOk ?countryOk WHERE {
  VALUES ?text { %(texts)s }
  VALUES ?field { rdfs:label skos:altLabel }
  ?item ?field ?text .
  FILTER(STRSTARTS(STR(?item), "http://www.wikidata.org/entity/Q"))
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
    return list(_by_text(texts))


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
    return _CANDIDATES % {"texts": texts, "class": klass, "country": country_part}


def _score(features: dict[str, bool | None], kind: str) -> float:
    got = FEATURES[kind] + sum(FEATURES[n] for n in ("class", "country") if features[n])
    return round(got / (FEATURES["label"] + FEATURES["class"] + FEATURES["country"]), 3)


def reconcile(
    entities: Sequence[LocalEntity], class_links: dict[str, str], client: WikidataClient
) -> list[Candidate]:
    """Candidates for each entity, best first per entity; one query per entity, in turn.

    ``class_links`` maps local classes to their Wikidata items (the curated class links);
    candidates of the wrong class or country are dropped.
    """
    found: list[Candidate] = []
    for entity in entities:
        if not _texts(entity):
            continue
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
        found.extend(sorted(kept, key=lambda c: (-c.score, c.item)))
    return found


def _bool(term: object) -> bool:
    return term is not None and str(term).lower() in ("true", "1")


# -- review and apply --------------------------------------------------------------------------

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
                accepted.append(_as_link(row))
            rows.append(row)
    review = MappingSet(namespaces.LINKS_GRAPH + "/review", dict(CURIE_MAP), rows,
                        dict(REVIEW_METADATA))
    return review, accepted, conflicts


def _as_link(row: Mapping) -> Mapping:
    return row.with_(record_id=record_id(row.subject_id))


def accepted_rows(review: MappingSet) -> list[Mapping]:
    """Rows a reviewer accepted: ``reviewer_agreement`` above 0 with a ``reviewer_label``."""
    rows = []
    for row in review.mappings:
        if row.reviewer_agreement is None or row.reviewer_agreement <= 0:
            continue
        if not row.reviewer_label:
            raise UsageError(
                f"{review.contract(row.subject_id)} -> {review.contract(row.object_id)}: "
                "an accepted row needs a reviewer_label"
            )
        rows.append(_as_link(row.with_(curation_rule_text=row.curation_rule_text
                                       or "accepted by a reviewer in the review file")))
    return rows


def plan_mappings(project: Project, new: Sequence[Mapping]) -> tuple[MappingSet, list[Mapping]]:
    """The curated set with ``new`` links added, and those actually added; writes nothing.

    Refuses (:class:`CheckFailed`) when a link would change a curated one, give one item to
    two entities, or make a ``queries/qc/wikidata-*-violation.rq`` query answer.
    """
    curated = read_links(project)
    by_subject = {m.subject_id: m for m in curated.mappings}
    by_object = {m.object_id: m for m in curated.mappings}
    added: list[Mapping] = []
    problems: list[str] = []
    c = curated.contract
    for m in new:
        old = by_subject.get(m.subject_id)
        if old is not None and old.object_id == m.object_id:
            continue
        if old is not None:
            problems.append(f"{c(m.subject_id)} is curated as {c(old.object_id)}, "
                            f"not {c(m.object_id)}: change the curated link by hand")
            continue
        holder = by_object.get(m.object_id)
        if holder is not None:
            problems.append(f"{c(m.object_id)} is already the item of {c(holder.subject_id)}")
            continue
        by_subject[m.subject_id] = by_object[m.object_id] = m
        added.append(m)
    if problems:
        raise CheckFailed("links not applied", problems)
    updated = MappingSet(curated.mapping_set_id, curated.curie_map,
                         [*curated.mappings, *added], curated.metadata)
    violations = qc_violations(project, updated) if added else []
    if violations:
        raise CheckFailed("links not applied: Wikidata QC", violations)
    return updated, added


def apply_mappings(project: Project, new: Sequence[Mapping]) -> list[Mapping]:
    """Add ``new`` links to the curated set and rewrite both files; return those added."""
    updated, added = plan_mappings(project, new)
    if added:
        write_links(project, updated)
    return added


def sync_links(project: Project) -> MappingSet:
    """Rewrite the Turtle file from a hand-edited TSV file, after the Wikidata QC queries."""
    mset = read_links(project)
    violations = qc_violations(project, mset)
    if violations:
        raise CheckFailed("links not written: Wikidata QC", violations)
    write_links(project, mset)
    return mset


def apply_review(project: Project, review_path: Path) -> list[Mapping]:
    """Apply the rows a reviewer accepted in a review file; return the links added."""
    return apply_mappings(project, accepted_rows(sssom.read_tsv(review_path)))


def qc_violations(project: Project, links: MappingSet | None = None) -> list[str]:
    """Rows of the ``wikidata-*-violation.rq`` QC queries, over the project with ``links``."""
    quads = list(load_quads(project))
    if links is not None:
        quads = [q for q in quads if str(q[3]) != namespaces.LINKS_GRAPH]
        quads.extend(sssom.to_quads(links, namespaces.LINKS_GRAPH))
    store = _store(quads)
    problems = []
    for path in sorted(project.qc_dir.glob("wikidata-*-violation.rq")):
        result = store.query(path.read_text(encoding="utf-8"))
        for row in result.rows:
            cells = ", ".join(f"{k}={v}" for k, v in sorted(row.items()))
            problems.append(f"{path.name}: {cells}")
    return problems


def class_links(mset: MappingSet) -> dict[str, str]:
    """The curated links of ontology classes: local class IRI -> Wikidata item."""
    return {m.subject_id: m.object_id for m in mset.mappings
            if m.subject_id.startswith(RBO) and m.subject_type == "owl class"}


def write_review(review: MappingSet, path: Path) -> None:
    """Write a review file (SSSOM/TSV) atomically, with the columns a reviewer fills."""
    sssom.write_tsv(review, path, always=("reviewer_label", "reviewer_agreement"))
