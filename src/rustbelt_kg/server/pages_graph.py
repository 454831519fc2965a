"""What the pages read from the store: labels, claims with their words, facts, enrichment.

Each function asks the store a few fixed SPARQL queries (values bound by the engine, never
pasted into the text) and returns plain dataclasses the templates render. Nothing here
knows about HTML.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rdflib.term import Literal, Node, URIRef

from rustbelt_kg import namespaces
from rustbelt_kg.namespaces import CLAIM, ENRICHMENT_GRAPH, LINKS_GRAPH, RBO, sparql_prefixes

if TYPE_CHECKING:
    from rustbelt_kg.store import Store

__all__ = [
    "Claim", "Enrichment", "Fact", "Term", "Triple", "claim_triples", "claims", "class_counts",
    "enrichment", "facts_about", "instances", "labels", "ontology_terms", "select", "sources",
    "values_of",
]

RDF_TYPE = namespaces.PREFIXES["rdf"] + "type"
RDFS = namespaces.PREFIXES["rdfs"]
_PREFIXES = sparql_prefixes("claim", "dcterms", "oa", "owl", "prov", "rbg", "rbo", "rdf", "rdfs",
                            "schema", "skos")


def select(store: Store, text: str, bindings: Mapping[str, Node] | None = None,
           ) -> list[dict[str, Node]]:
    """The rows of a SELECT query (prefixes of the pages predeclared)."""
    return [dict(row) for row in store.query(_PREFIXES + text, bindings).rows]


# -- labels -------------------------------------------------------------------------------


def labels(store: Store) -> dict[str, str]:
    """Every IRI with an ``rdfs:label`` (the English one when there is one), or else with
    ``rbo:statedAs``, the article's words for it."""
    labelled: set[str] = set()
    found: dict[str, str] = {
        str(row["x"]): f"“{row['words']}”" for row in select(
            store, "SELECT ?x ?words WHERE { ?x rbo:statedAs ?words FILTER isIRI(?x) }")
    }  # a number or a time without a label goes by the article's words for it
    found.update({RDF_TYPE: "is a", RDFS + "label": "label"})
    for row in select(store, "SELECT ?x ?label WHERE { ?x rdfs:label ?label FILTER isIRI(?x) }"):
        iri, label = str(row["x"]), row["label"]
        english = isinstance(label, Literal) and (label.language or "en").startswith("en")
        if iri not in labelled or english:
            labelled.add(iri)
            found[iri] = str(label)
    return found


# -- claims -------------------------------------------------------------------------------


@dataclass
class Claim:
    """A claim graph and what ``rbg:provenance`` says about it."""

    iri: str
    status: str = ""
    source: str = ""  # the text node its quote is taken from
    exact: str = ""
    prefix: str = ""
    suffix: str = ""
    start: int | None = None
    end: int | None = None
    notes: list[str] = field(default_factory=list)
    justifications: list[str] = field(default_factory=list)
    alternatives: list[str] = field(default_factory=list)
    derived_from: list[str] = field(default_factory=list)
    #: reported speech: (statement IRI, speaker IRI or "", attribution words or "")
    speech: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The claim's local name (``hit-incubator-park-area``)."""
        return self.iri.removeprefix(CLAIM)

    @property
    def span(self) -> tuple[int, int] | None:
        """The quote's offsets in its source text, when both are known."""
        if self.start is None or self.end is None:
            return None
        return self.start, self.end


_EVIDENCE = """
SELECT ?claim ?exact ?prefix ?suffix ?start ?end ?source WHERE { GRAPH rbg:provenance {
  ?claim a rbo:Claim ; rbo:evidence ?target .
  OPTIONAL { ?target oa:hasSource ?source }
  OPTIONAL { ?target oa:hasSelector ?quote . ?quote a oa:TextQuoteSelector ; oa:exact ?exact .
             OPTIONAL { ?quote oa:prefix ?prefix } OPTIONAL { ?quote oa:suffix ?suffix } }
  OPTIONAL { ?target oa:hasSelector ?position . ?position a oa:TextPositionSelector ;
               oa:start ?start ; oa:end ?end }
} }
"""

_ABOUT = """
SELECT ?claim ?p ?value WHERE { GRAPH rbg:provenance {
  ?claim a rbo:Claim ; ?p ?value
  FILTER (?p IN (rbo:claimStatus, rbo:editorialNote, rbo:justification,
                 rbo:alternativeReading, prov:wasDerivedFrom, rbo:reportedSpeech))
} }
"""

_SPEECH = """
SELECT ?statement ?speaker ?attribution WHERE {
  ?statement a rbo:Statement .
  OPTIONAL { ?statement rbo:speaker ?speaker }
  OPTIONAL { ?statement rbo:attribution ?attribution }
}
"""

_FIELDS = {
    RBO + "editorialNote": "notes",
    RBO + "justification": "justifications",
    RBO + "alternativeReading": "alternatives",
    namespaces.PREFIXES["prov"] + "wasDerivedFrom": "derived_from",
}


def claims(store: Store) -> dict[str, Claim]:
    """Every claim, by IRI, with its status, quote, offsets, notes and reported speech."""
    found: dict[str, Claim] = {}
    for row in select(store, _EVIDENCE):
        claim = found.setdefault(str(row["claim"]), Claim(str(row["claim"])))
        if "exact" in row:
            claim.exact = str(row["exact"])
            claim.prefix = str(row.get("prefix", ""))
            claim.suffix = str(row.get("suffix", ""))
        if "start" in row and str(row["start"]).isdigit() and str(row["end"]).isdigit():
            claim.start, claim.end = int(str(row["start"])), int(str(row["end"]))
        if "source" in row:
            claim.source = str(row["source"])
    speech = {
        str(row["statement"]): (str(row.get("speaker", "")), str(row.get("attribution", "")))
        for row in select(store, _SPEECH)
    }
    for row in sorted(select(store, _ABOUT), key=lambda r: (str(r["p"]), str(r["value"]))):
        claim = found.setdefault(str(row["claim"]), Claim(str(row["claim"])))
        predicate, value = str(row["p"]), str(row["value"])
        if predicate == RBO + "claimStatus":
            claim.status = value
        elif predicate == RBO + "reportedSpeech":
            claim.speech.append((value, *speech.get(value, ("", ""))))
        elif predicate in _FIELDS:
            getattr(claim, _FIELDS[predicate]).append(value)
    return dict(sorted(found.items()))


Triple = tuple[Node, Node, Node]


def claim_triples(store: Store) -> dict[str, list[Triple]]:
    """The triples each claim graph asserts, by claim; types first."""
    rows = select(store, "SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } "
                         "FILTER (STRSTARTS(STR(?g), STR(claim:))) }")
    found: dict[str, list[Triple]] = defaultdict(list)
    for row in rows:
        found[str(row["g"])].append((row["s"], row["p"], row["o"]))
    return {
        claim: sorted(triples, key=lambda t: (str(t[0]), str(t[1]) != RDF_TYPE, str(t[1]),
                                              str(t[2])))
        for claim, triples in sorted(found.items())
    }


# -- facts about an entity -----------------------------------------------------------------


@dataclass
class Fact:
    """One triple about an entity and the graphs that hold it."""

    subject: Node
    predicate: Node
    object: Node
    graphs: list[str] = field(default_factory=list)

    @property
    def claims(self) -> list[str]:
        """The claim graphs among :attr:`graphs`."""
        return [g for g in self.graphs if g.startswith(CLAIM)]


def facts_about(store: Store, iri: str) -> list[Fact]:
    """Every triple with ``iri`` as subject or object, in any graph, with those graphs."""
    rows = select(store, """
        SELECT ?x ?s ?p ?o ?g WHERE {
          { GRAPH ?g { ?x ?p ?o } BIND (?x AS ?s) }
          UNION { GRAPH ?g { ?s ?p ?x } BIND (?x AS ?o) }
        }""", {"x": URIRef(iri)})
    grouped: dict[tuple[Node, Node, Node], list[str]] = defaultdict(list)
    for row in rows:
        grouped[(row["s"], row["p"], row["o"])].append(str(row["g"]))
    return [Fact(s, p, o, sorted(g)) for (s, p, o), g in sorted(grouped.items(), key=_fact_order)]


def _fact_order(item: tuple[tuple[Node, Node, Node], list[str]]) -> tuple[str, ...]:
    (s, p, o), _ = item
    return (str(p) != RDF_TYPE and "1" or "0", str(p), str(o), str(s))


def values_of(store: Store, nodes: Iterable[str]) -> dict[str, dict[str, list[Node]]]:
    """The outgoing triples of ``nodes`` (quantities, time references), by predicate."""
    found: dict[str, dict[str, list[Node]]] = {}
    for node in sorted(set(nodes)):
        rows = select(store, "SELECT DISTINCT ?n ?p ?o WHERE { GRAPH ?g { ?n ?p ?o } "
                             "FILTER (STRSTARTS(STR(?g), STR(claim:))) }",
                      {"n": URIRef(node)})
        values: dict[str, list[Node]] = defaultdict(list)
        for row in sorted(rows, key=lambda r: (str(r["p"]), str(r["o"]))):
            values[str(row["p"])].append(row["o"])
        found[node] = dict(values)
    return found


# -- Wikidata -----------------------------------------------------------------------------


@dataclass
class Enrichment:
    """The Wikidata items an entity is linked to, their fetched facts, and where from."""

    items: list[str]
    facts: list[tuple[str, Node, Node]]  # (item, predicate, value)
    mapping: dict[str, list[tuple[str, Node]]]  # item -> the mapping record's statements
    snapshot: list[tuple[str, Node]]  # the snapshot's provenance, (predicate, value)


def enrichment(store: Store, iri: str) -> Enrichment:
    """The ``skos:exactMatch`` links of ``iri``, the enrichment graph's facts about them,
    the mapping records (justification, confidence) and the snapshot's provenance."""
    items = sorted({str(r["item"]) for r in select(
        store, f"SELECT ?x ?item WHERE {{ GRAPH <{LINKS_GRAPH}> {{ ?x skos:exactMatch ?item }} }}",
        {"x": URIRef(iri)})})
    facts: list[tuple[str, Node, Node]] = []
    mapping: dict[str, list[tuple[str, Node]]] = {}
    for item in items:
        rows = select(store, "SELECT ?item ?p ?o WHERE "
                             f"{{ GRAPH <{ENRICHMENT_GRAPH}> {{ ?item ?p ?o }} }}",
                      {"item": URIRef(item)})
        found = ((item, r["p"], r["o"]) for r in rows)
        facts += sorted(found, key=lambda f: (str(f[1]), str(f[2])))
        record = select(store, f"""
            SELECT ?x ?item ?p ?o WHERE {{ GRAPH <{LINKS_GRAPH}> {{
              ?axiom owl:annotatedSource ?x ; owl:annotatedTarget ?item ; ?p ?o
              FILTER (?p NOT IN (owl:annotatedSource, owl:annotatedTarget, rdf:type,
                                 owl:annotatedProperty)) }} }}""",
                        {"x": URIRef(iri), "item": URIRef(item)})
        mapping[item] = sorted(((str(r["p"]), r["o"]) for r in record), key=lambda m: m[0])
    snapshot = [] if not items else sorted(
        ((str(r["p"]), r["o"]) for r in select(store, f"""
            SELECT ?p ?o WHERE {{ GRAPH <{ENRICHMENT_GRAPH}> {{
              {{ <{ENRICHMENT_GRAPH}> ?p ?o FILTER (?p != prov:wasGeneratedBy) }}
              UNION {{ <{ENRICHMENT_GRAPH}> prov:wasGeneratedBy ?activity . ?activity ?p ?o
                      FILTER (?p IN (rdfs:comment, prov:endedAtTime)) }} }} }}""")),
        key=lambda m: m[0])
    return Enrichment(items, facts, mapping, snapshot)


# -- sources, classes, ontology -----------------------------------------------------------


def sources(store: Store) -> dict[str, dict[str, list[Node]]]:
    """The metadata of every source text node in ``rbg:sources``, by node and predicate."""
    rows = select(store, """
        SELECT ?text ?p ?o WHERE { GRAPH rbg:sources { ?text a rbo:SourceText ; ?p ?o } }""")
    found: dict[str, dict[str, list[Node]]] = defaultdict(lambda: defaultdict(list))
    for row in sorted(rows, key=lambda r: (str(r["text"]), str(r["p"]), str(r["o"]))):
        found[str(row["text"])][str(row["p"])].append(row["o"])
    return {text: dict(values) for text, values in found.items()}


def instances(store: Store, klass: str) -> list[str]:
    """The IRIs typed ``klass`` (or a subclass of it) in some claim graph."""
    rows = select(store, """
        SELECT DISTINCT ?class ?x WHERE {
          GRAPH rbg:ontology { ?sub rdfs:subClassOf* ?class }
          GRAPH ?g { ?x a ?sub } FILTER (isIRI(?x)) }""", {"class": URIRef(klass)})
    return sorted(str(row["x"]) for row in rows)


def class_counts(store: Store) -> dict[str, int]:
    """How many IRIs each ontology class (with its subclasses) has in the claim graphs."""
    rows = select(store, """
        SELECT ?class (COUNT(DISTINCT ?x) AS ?n) WHERE {
          GRAPH rbg:ontology { ?sub rdfs:subClassOf* ?class }
          GRAPH ?g { ?x a ?sub } FILTER (isIRI(?x)) } GROUP BY ?class""")
    return {str(row["class"]): int(str(row["n"])) for row in rows}


@dataclass
class Term:
    """One term of the ontology and what ``rbg:ontology`` says about it."""

    iri: str
    kinds: list[str] = field(default_factory=list)
    values: dict[str, list[Node]] = field(default_factory=lambda: defaultdict(list))

    @property
    def local(self) -> str:
        """The name after ``#``."""
        return self.iri.removeprefix(RBO)

    def first(self, predicate: str) -> str:
        """The first value of ``predicate`` (a full IRI), or ``""``."""
        found = self.values.get(predicate)
        return str(found[0]) if found else ""


def ontology_terms(store: Store) -> list[Term]:
    """Every ``rbo:`` term declared in ``rbg:ontology``, sorted by name."""
    rows = select(store, """
        SELECT ?term ?p ?o WHERE { GRAPH rbg:ontology { ?term ?p ?o
          FILTER (STRSTARTS(STR(?term), STR(rbo:))) } }""")
    terms: dict[str, Term] = {}
    for row in sorted(rows, key=lambda r: (str(r["term"]), str(r["p"]), str(r["o"]))):
        term = terms.setdefault(str(row["term"]), Term(str(row["term"])))
        if str(row["p"]) == RDF_TYPE:
            term.kinds.append(str(row["o"]))
        term.values[str(row["p"])].append(row["o"])
    return sorted(terms.values(), key=lambda t: t.local.lower())
