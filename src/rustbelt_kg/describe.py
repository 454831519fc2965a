"""Everything the graph says about one entity, with the words of the article behind it.

For each triple that has the entity as subject or object, :func:`describe` lists the
graphs that hold it and, for claim graphs, the quote (``oa:exact``) the claim's
provenance in ``rbg:provenance`` points to and the claim's status (``rbo:claimStatus``: stated
by the article, attributed to a speaker, hedged, an ambiguous reading or an editorial
inference), so that a fact the article does not plainly state never reads as one.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rdflib.term import Node, URIRef

from rustbelt_kg import namespaces
from rustbelt_kg.errors import UsageError
from rustbelt_kg.query import expand_iri
from rustbelt_kg.terms import compact_iri, show_term

if TYPE_CHECKING:
    from rustbelt_kg.store import Store

__all__ = ["Description", "Fact", "describe"]

_QUERY = """\
PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX rbg: <https://w3id.org/rustbelt-kg/graph/>
PREFIX rbo: <https://w3id.org/rustbelt-kg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?entity ?s ?p ?o ?g ?quote ?status ?statusLabel WHERE {
  {
    GRAPH ?g { ?entity ?p ?o }
    BIND (?entity AS ?s)
  } UNION {
    GRAPH ?g { ?s ?p ?entity }
    BIND (?entity AS ?o)
  }
  OPTIONAL {
    GRAPH rbg:provenance {
      ?g rbo:evidence ?target .
      ?target oa:hasSelector ?selector .
      ?selector a oa:TextQuoteSelector ; oa:exact ?quote .
    }
  }
  OPTIONAL {
    GRAPH rbg:provenance { ?g rbo:claimStatus ?status }
    OPTIONAL { GRAPH rbg:ontology { ?status rdfs:label ?statusLabel } }
  }
}
"""


@dataclass
class Fact:
    """One triple about the entity, the graphs that hold it and their quotes."""

    subject: Node
    predicate: Node
    object: Node
    sources: dict[str, list[str]] = field(default_factory=dict)  # graph IRI -> quotes
    statuses: dict[str, str] = field(default_factory=dict)  # claim graph IRI -> its status


@dataclass
class Description:
    """What the store says about ``entity``: outgoing facts first, then incoming."""

    entity: URIRef
    facts: list[Fact]

    @property
    def outgoing(self) -> list[Fact]:
        """Facts whose subject is the entity."""
        return [f for f in self.facts if f.subject == self.entity]

    @property
    def incoming(self) -> list[Fact]:
        """Facts whose object is the entity (and whose subject is not)."""
        return [f for f in self.facts if f.subject != self.entity]

    def render(self) -> str:
        """A plain-text report: each fact, then its graphs and quotes, indented."""
        lines = [show_term(self.entity)]
        for fact in self.outgoing:
            lines.append(f"  {show_term(fact.predicate)} {show_term(fact.object)}")
            lines += _sources(fact)
        if self.incoming:
            lines.append("  referred to by:")
            for fact in self.incoming:
                subject, predicate = show_term(fact.subject), show_term(fact.predicate)
                lines.append(f"  {subject} {predicate} {show_term(self.entity)}")
                lines += _sources(fact)
        return "\n".join(lines) + "\n"


def _sources(fact: Fact) -> list[str]:
    lines = []
    for graph, quotes in fact.sources.items():
        where = compact_iri(graph, strict=False) or f"<{graph}>"
        if graph in fact.statuses:
            where += f" ({fact.statuses[graph]})"
        if quotes:
            lines += [f"      {where}: “{q}”" for q in quotes]
        else:
            lines.append(f"      {where}")
    return lines


def _order(term: Node) -> tuple[int, str]:
    return (0 if isinstance(term, URIRef) else 1, str(term))


def describe(store: Store, entity: str | URIRef) -> Description:
    """What ``store`` says about ``entity`` (``rb:wan-long``, a bare local name, or a full IRI).

    Raises :class:`UsageError` when the store says nothing about it.
    """
    iri = entity if isinstance(entity, URIRef) else expand_iri(entity)
    result = store.query(_QUERY, {"entity": iri})
    grouped: dict[tuple[Node, Node, Node], dict[str, set[str]]] = defaultdict(
        lambda: defaultdict(set)
    )
    statuses: dict[str, str] = {}
    for row in result.rows:
        quotes = grouped[(row["s"], row["p"], row["o"])][str(row["g"])]
        if "quote" in row:
            quotes.add(str(row["quote"]))
        if "status" in row:
            statuses[str(row["g"])] = str(row.get("statusLabel") or show_term(row["status"]))
    if not grouped:
        raise UsageError(f"the graph says nothing about {show_term(iri)}")
    rdf_type = URIRef(namespaces.PREFIXES["rdf"] + "type")
    facts = [
        Fact(
            s, p, o,
            {g: sorted(q) for g, q in sorted(graphs.items())},
            {g: statuses[g] for g in sorted(graphs) if g in statuses},
        )
        for (s, p, o), graphs in sorted(
            grouped.items(),
            key=lambda item: (item[0][1] != rdf_type, _order(item[0][1]), _order(item[0][2]),
                              _order(item[0][0])),
        )
    ]
    return Description(iri, facts)
