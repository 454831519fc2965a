"""Facts fetched from Wikidata for the linked entities, kept in their own graph.

:func:`fetch` asks a Wikidata-shaped endpoint, one query at a time, for the statements in
:data:`PROPERTIES` of every item linked from an ``rb:`` entity, then for the same statements
of the items those reach through :data:`FOLLOW` (one hop: the Harbin Institute of
Technology's ``P131`` brings Harbin), then for the English and Chinese labels of every item
the answers name. :func:`snapshot_quads` puts the answers, as plain ``wd:``/``wdt:``
triples, into ``rbg:enrichment/wikidata`` beside their provenance: a ``prov:Activity``
with the endpoint, the text of each query and the retrieval time. Every node has an IRI.

Nothing is written until every query has answered; the snapshot is written atomically.
A *sample* snapshot (``sample=True``) says in its provenance that it was built from the
test fixture, not retrieved from Wikidata, and names the fixture's sources.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from rdflib.term import Literal, Node, URIRef

from rustbelt_kg import __version__, namespaces
from rustbelt_kg.export import serialize
from rustbelt_kg.fsio import atomic_write
from rustbelt_kg.link import read_links, source_folder
from rustbelt_kg.namespaces import PREFIXES, sparql_prefixes
from rustbelt_kg.project import Project
from rustbelt_kg.terms import Quad
from rustbelt_kg.wikidata import HOME_PAGE, WikidataClient, utc_now

__all__ = [
    "FOLLOW",
    "PROPERTIES",
    "SAMPLE_NOTE",
    "Retrieval",
    "fetch",
    "linked_items",
    "snapshot_path",
    "snapshot_quads",
    "write_snapshot",
]

WD, WDT = namespaces.WD, namespaces.WDT
RDFS = PREFIXES["rdfs"]
PROV = PREFIXES["prov"]
DCTERMS = PREFIXES["dcterms"]
XSD = PREFIXES["xsd"]
RDF_TYPE = URIRef(PREFIXES["rdf"] + "type")

#: Statements fetched for each linked item: kind of thing, country, containing division,
#: capital, coordinates, population, inception, official website.
PROPERTIES = ("P31", "P17", "P131", "P36", "P625", "P1082", "P571", "P856")
#: Properties followed one hop to fetch the statements of the items they name.
FOLLOW = ("P131", "P36")
#: Label languages fetched.
LANGUAGES = ("en", "zh")
#: The provenance nodes, in the enrichment graph's own namespace.
ACTIVITY = namespaces.ENRICHMENT_GRAPH + "#retrieval"
SAMPLE_NOTE = (
    "Offline SAMPLE, not a live retrieval from Wikidata: built by `rustbelt-kg enrich "
    "--sample` from the Wikidata-shaped test fixture tests/fixtures/wikidata/"
    "wikidata-fixture.ttl, served by a local Oxigraph server. The fixture's identifiers come "
    "from shared/wikidata/verified-ids.tsv; its facts were read from public files, not from "
    "Wikidata: Natural Earth v4.0.0 populated places (coordinates, provinces), a region table "
    "(populations, about 2020), Britannica and Wikipedia (Shenyang as the capital of "
    "Liaoning). The types (P31) of the countries, cities and the automotive industry follow "
    "the type notes of verified-ids.tsv, and the cities' country (P17) follows from their "
    "provinces (P131). Values may differ from today's Wikidata."
)
SAMPLE_SOURCES = (
    "Natural Earth v4.0.0, populated places (coordinates and provinces of cities)",
    "a region table of Chinese provinces (populations, about 2020)",
    "Encyclopaedia Britannica (Shenyang, capital of Liaoning)",
    "Wikipedia (Shenyang, capital of Liaoning)",
    "shared/wikidata/verified-ids.tsv (Wikidata identifiers checked offline, and the type "
    "notes behind P31 of the countries, cities and the automotive industry)",
)

_STATEMENTS = sparql_prefixes("wd", "wdt", "rdfs") + """\
SELECT ?item ?property ?value WHERE {
  VALUES ?item { %(items)s }
  VALUES ?property { %(properties)s }
  ?item ?property ?value .
  FILTER(?property != rdfs:label || LANG(?value) IN (%(languages)s))
}"""


@dataclass
class Retrieval:
    """What the endpoint answered: triples, and the queries that asked for them."""

    endpoint: str
    queries: list[tuple[str, str]] = field(default_factory=list)  # (what, query text)
    triples: set[tuple[URIRef, URIRef, Node]] = field(default_factory=set)
    started: datetime | None = None
    ended: datetime | None = None


def _statements_query(items: Iterable[str], properties: Sequence[str]) -> str:
    return _STATEMENTS % {
        "items": " ".join(f"wd:{i[len(WD):]}" for i in sorted(items)),
        "properties": " ".join(properties),
        "languages": ", ".join(f'"{lang}"' for lang in LANGUAGES),
    }


def linked_items(project: Project) -> list[str]:
    """Wikidata items linked from ``rb:`` entities in the curated links, sorted."""
    mset = read_links(project)
    return sorted({m.object_id for m in mset.mappings if m.subject_id.startswith(namespaces.RB)})


def fetch(client: WikidataClient, items: Sequence[str], *,
          retrieved_at: datetime | None = None) -> Retrieval:
    """Ask the endpoint for the items' statements, one hop further, then labels.

    Three queries, sent one after the other. ``retrieved_at`` fixes the recorded time
    (reproducible snapshots); otherwise the clock is read before and after.
    """
    retrieval = Retrieval(client.endpoint, started=retrieved_at or utc_now())
    full = [f"wdt:{p}" for p in PROPERTIES] + ["rdfs:label"]

    def ask(what: str, wanted: Iterable[str], properties: Sequence[str]) -> None:
        query = _statements_query(wanted, properties)
        retrieval.queries.append((what, query))
        for row in client.select(query)[1]:
            retrieval.triples.add((URIRef(str(row["item"])), URIRef(str(row["property"])),
                                   row["value"]))

    seeds = set(items)
    if not seeds:
        retrieval.ended = retrieval.started
        return retrieval
    ask("statements of the linked items", seeds, full)
    follow = {WDT + p for p in FOLLOW}
    hop = {str(o) for _, p, o in retrieval.triples
           if str(p) in follow and str(o).startswith(WD)} - seeds
    if hop:
        ask("statements of the items one hop away (P131, P36)", hop, full)
    described = {str(s) for s, p, _ in retrieval.triples if str(p) == RDFS + "label"}
    named = {str(o) for _, _, o in retrieval.triples
             if isinstance(o, URIRef) and str(o).startswith(WD)}
    unlabelled = named - described - seeds - hop
    if unlabelled:
        ask("labels of the other items named", unlabelled, ["rdfs:label"])
    retrieval.ended = retrieved_at or utc_now()
    return retrieval


def _time(moment: datetime | None) -> Literal:
    assert moment is not None
    text = moment.isoformat().replace("+00:00", "Z")
    return Literal(text, datatype=URIRef(XSD + "dateTime"), normalize=False)


def snapshot_quads(retrieval: Retrieval, *, sample: bool = False) -> list[Quad]:
    """The enrichment graph: fetched triples and the provenance of their retrieval."""
    g = URIRef(namespaces.ENRICHMENT_GRAPH)
    activity = URIRef(ACTIVITY)
    quads: list[Quad] = [(s, p, o, g) for s, p, o in retrieval.triples]

    def add(s: URIRef, p: str, o: Node) -> None:
        quads.append((s, URIRef(p), o, g))

    add(g, str(RDF_TYPE), URIRef(PROV + "Entity"))
    add(g, PROV + "wasGeneratedBy", activity)
    add(activity, str(RDF_TYPE), URIRef(PROV + "Activity"))
    add(activity, PROV + "startedAtTime", _time(retrieval.started))
    add(activity, PROV + "endedAtTime", _time(retrieval.ended))
    add(activity, PROV + "wasAssociatedWith", URIRef(HOME_PAGE))
    add(URIRef(HOME_PAGE), str(RDF_TYPE), URIRef(PROV + "SoftwareAgent"))
    add(URIRef(HOME_PAGE), RDFS + "label", Literal(f"rustbelt-kg {__version__}"))
    if sample:
        label = "offline sample built from the test fixture"
        add(activity, RDFS + "label", Literal(label, lang="en"))
        add(activity, RDFS + "comment", Literal(SAMPLE_NOTE, lang="en"))
        for source in SAMPLE_SOURCES:
            add(g, DCTERMS + "source", Literal(source, lang="en"))
    else:
        label = "retrieval from a Wikidata SPARQL endpoint"
        add(activity, RDFS + "label", Literal(label, lang="en"))
        add(activity, PROV + "used", URIRef(retrieval.endpoint))
        add(g, DCTERMS + "source", URIRef(retrieval.endpoint))
    for number, (what, text) in enumerate(retrieval.queries, start=1):
        query = URIRef(f"{namespaces.ENRICHMENT_GRAPH}#query-{number}")
        add(activity, PROV + "used", query)
        add(query, str(RDF_TYPE), URIRef(PROV + "Entity"))
        add(query, RDFS + "label", Literal(what, lang="en"))
        add(query, PROV + "value", Literal(text))
    return quads


def snapshot_path(project: Project, *, sample: bool) -> Path:
    """Where ``rustbelt-kg enrich`` writes by default."""
    name = "wikidata-sample.trig" if sample else "wikidata.trig"
    return source_folder(project, "enrichment") / name


def snapshot_text(quads: Sequence[Quad], *, sample: bool) -> str:
    """The TriG text of a snapshot, with a header comment saying what it is."""
    what = ("an offline SAMPLE built from the test fixture, NOT live Wikidata"
            if sample else "facts retrieved from a Wikidata SPARQL endpoint")
    header = (
        f"# Wikidata enrichment snapshot: {what}.\n"
        "# Graph rbg:enrichment/wikidata; its provenance (endpoint or sources, queries, time)\n"
        "# is in the same graph. Regenerate with `rustbelt-kg enrich` (see README).\n\n"
    )
    return header + serialize(quads, "trig")


def write_snapshot(path: Path, quads: Sequence[Quad], *, sample: bool) -> None:
    """Write the snapshot atomically as TriG."""
    text = snapshot_text(quads, sample=sample)
    atomic_write(path, lambda out: out.write(text))
