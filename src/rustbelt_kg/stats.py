"""Counts that describe a store: graphs by kind, classes, properties.

The kind of a named graph follows from its IRI (:func:`graph_kind`): ``claim:*`` are
claims, ``rbg:ontology`` the ontology, and so on (see ``docs/architecture.md``).

>>> graph_kind("https://w3id.org/rustbelt-kg/claim/hit-park-area")
'claim'
>>> graph_kind(None)
'default'
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rustbelt_kg import namespaces
from rustbelt_kg.terms import compact_iri

if TYPE_CHECKING:
    from rdflib.term import Node

    from rustbelt_kg.store import Store

__all__ = ["GRAPH_KINDS", "Stats", "graph_kind", "stats"]

#: Named graph kinds: (name, how to recognise the graph IRI), first match wins.
GRAPH_KINDS: tuple[tuple[str, str], ...] = (
    ("ontology", namespaces.ONTOLOGY_GRAPH),
    ("provenance", namespaces.PROVENANCE_GRAPH),
    ("links", namespaces.GRAPH + "links/"),
    ("enrichment", namespaces.GRAPH + "enrichment/"),
    ("claim", namespaces.CLAIM),
)


def graph_kind(iri: str | None) -> str:
    """The kind of the graph ``iri``: a name of :data:`GRAPH_KINDS`, ``default`` or ``other``."""
    if iri is None:
        return "default"
    for kind, start in GRAPH_KINDS:
        if iri == start or (start.endswith("/") and iri.startswith(start)):
            return kind
    return "other"


@dataclass
class Stats:
    """What a store holds. ``graphs`` maps a graph kind to (graphs, quads)."""

    quads: int = 0
    triples: int = 0
    graphs: dict[str, tuple[int, int]] = field(default_factory=dict)
    classes: list[tuple[str, int]] = field(default_factory=list)
    properties: list[tuple[str, int]] = field(default_factory=list)

    def render(self) -> str:
        """A plain-text report."""
        lines = [f"{self.triples} triples (union of all graphs), {self.quads} quads", "",
                 "graphs by kind:"]
        lines += [f"  {kind:<12} {g:>5} graph(s) {q:>7} quads"
                  for kind, (g, q) in sorted(self.graphs.items())]
        lines += ["", "classes (instances):"]
        lines += [f"  {n:>6}  {_short(c)}" for c, n in self.classes]
        lines += ["", "properties (triples):"]
        lines += [f"  {n:>6}  {_short(p)}" for p, n in self.properties]
        return "\n".join(lines) + "\n"


def _short(iri: str) -> str:
    return compact_iri(iri, strict=False) or f"<{iri}>"


def _ranked(counts: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def stats(store: Store) -> Stats:
    """Count what ``store`` holds."""
    per_graph: Counter[str | None] = Counter()
    triples: set[tuple[Node, Node, Node]] = set()
    for s, p, o, g in store.quads():
        per_graph[None if g is None else str(g)] += 1
        triples.add((s, p, o))
    kinds: dict[str, list[int]] = {}
    for graph, count in per_graph.items():
        entry = kinds.setdefault(graph_kind(graph), [0, 0])
        entry[0] += 1
        entry[1] += count
    classes: Counter[str] = Counter()
    properties: Counter[str] = Counter()
    type_iri = namespaces.PREFIXES["rdf"] + "type"
    instances: set[tuple[str, str]] = set()
    for s, p, o in triples:
        properties[str(p)] += 1
        if str(p) == type_iri:
            instances.add((str(s), str(o)))
    classes.update(c for _, c in instances)
    return Stats(
        quads=sum(per_graph.values()),
        triples=len(triples),
        graphs={k: (v[0], v[1]) for k, v in kinds.items()},
        classes=_ranked(classes),
        properties=_ranked(properties),
    )
