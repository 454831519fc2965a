"""Links to Wikidata: the project's linkable entities and the curated mapping set.

The curated links live in two files that say the same thing (a test keeps them equal):

- ``data/links/wikidata.sssom.tsv``: the SSSOM mapping set, one row per link, with its
  justification, confidence, date, author and comment;
- ``data/links/wikidata.ttl``: the same set in RDF, loaded into ``rbg:links/wikidata``: each
  ``skos:exactMatch`` triple beside its mapping record (an ``owl:Axiom`` named
  ``rbg:links/wikidata#<local name>``, see :mod:`rustbelt_kg.sssom`).

This module reads and writes that set, lists the entities that could be linked
(:func:`todo`), and adds links (:func:`apply_mappings`, :func:`apply_review`) only when the
Wikidata QC queries (``queries/qc/wikidata-*-violation.rq``) still pass: a curated link is
never changed. Finding candidates is :mod:`rustbelt_kg.reconcile`.

Folder names come from the source registry (:data:`rustbelt_kg.project.SOURCES`): the links
are the folder of the ``links`` sources, the snapshots that of the ``enrichment`` sources
(:func:`source_folder`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from rdflib.term import Literal

from rustbelt_kg import namespaces, sssom
from rustbelt_kg.errors import CheckFailed, UsageError
from rustbelt_kg.export import serialize
from rustbelt_kg.fsio import atomic_write
from rustbelt_kg.load import load_quads
from rustbelt_kg.namespaces import PREFIXES
from rustbelt_kg.project import Project, source_kind
from rustbelt_kg.query import list_qc_queries, run_qc_queries
from rustbelt_kg.sssom import Mapping, MappingSet
from rustbelt_kg.store import OxigraphStore
from rustbelt_kg.terms import Quad

__all__ = [
    "LocalEntity",
    "accepted_rows",
    "apply_mappings",
    "apply_review",
    "by_text",
    "class_links",
    "link_paths",
    "links_ttl",
    "local_entities",
    "plan_mappings",
    "project_entities",
    "qc_violations",
    "read_links",
    "record_id",
    "source_folder",
    "sync_links",
    "todo",
    "write_links",
]

RBO = namespaces.RBO
WD = namespaces.WD
SKOS_EXACT = PREFIXES["skos"] + "exactMatch"
SKOS_ALT_LABEL = PREFIXES["skos"] + "altLabel"
RDFS_LABEL = PREFIXES["rdfs"] + "label"
SEMAPV = PREFIXES["semapv"]
#: Mapping records are named ``rbg:links/wikidata#<local name>``.
RECORD_BASE = namespaces.LINKS_GRAPH + "#"
#: QC queries whose name starts with this check the links (see :func:`qc_violations`).
QC_PREFIX = "wikidata-"

#: Kinds of things that can have a Wikidata item; their instances are what ``--todo`` lists.
LINKABLE_ROOTS = tuple(
    RBO + c for c in ("Agent", "Place", "Occupation", "Industry", "Policy", "Product")
)

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


# -- the project's entities ------------------------------------------------------------------


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


def by_text(labels: Iterable[Literal]) -> tuple[Literal, ...]:
    """Literals in a stable order: by language tag, then text."""
    return tuple(sorted(labels, key=lambda x: (x.language or "", str(x))))


def local_entities(store: OxigraphStore) -> list[LocalEntity]:
    """The typed ``rb:`` entities of the claim graphs whose class is linkable, by IRI."""
    roots = " ".join(f"<{r}>" for r in LINKABLE_ROOTS)
    found: dict[str, tuple[set[str], set[Literal], set[Literal]]] = {}
    for row in store.query(_ENTITIES % roots).rows:
        types, labels, aliases = found.setdefault(str(row["e"]), (set(), set(), set()))
        types.add(str(row["type"]))
        label = row.get("label")
        if isinstance(label, Literal):
            (labels if str(row["field"]) == RDFS_LABEL else aliases).add(label)
    return [
        LocalEntity(iri, tuple(sorted(types)), by_text(labels), by_text(aliases))
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


# -- the curated set ---------------------------------------------------------------------------


def source_folder(project: Project, kind: str) -> Path:
    """The folder of one kind of source file, from its pattern in the source registry.

    :class:`~rustbelt_kg.project.Project` has no property for the links' or the
    enrichment's folder, so this is the one place that derives them.

    >>> source_folder(Project(Path("/p")), "links").as_posix()
    '/p/data/links'
    """
    return project.root / PurePosixPath(source_kind(kind).pattern).parent


def link_paths(project: Project) -> tuple[Path, Path]:
    """The curated mapping set's TSV and Turtle files."""
    folder = source_folder(project, "links")
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


def class_links(mset: MappingSet) -> dict[str, str]:
    """The curated links of ontology classes: local class IRI -> Wikidata item."""
    return {m.subject_id: m.object_id for m in mset.mappings
            if m.subject_id.startswith(RBO) and m.subject_type == "owl class"}


# -- adding links ------------------------------------------------------------------------------


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
        rule = row.curation_rule_text or "accepted by a reviewer in the review file"
        rows.append(row.with_(curation_rule_text=rule, record_id=record_id(row.subject_id)))
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
    """Problems the ``wikidata-*`` QC queries find over the project with ``links``.

    The queries are the project's QC queries (:func:`~rustbelt_kg.query.list_qc_queries`)
    whose name starts with :data:`QC_PREFIX`, run by the build's own runner
    (:func:`~rustbelt_kg.query.run_qc_queries`); ``links`` replaces the links graph.
    """
    quads = list(load_quads(project))
    if links is not None:
        quads = [q for q in quads if str(q[3]) != namespaces.LINKS_GRAPH]
        quads.extend(sssom.to_quads(links, namespaces.LINKS_GRAPH))
    queries = [q for q in list_qc_queries(project) if q.name.startswith(QC_PREFIX)]
    _, _, problems = run_qc_queries(_store(quads), queries)
    return problems
