"""The JSON-LD export read by an independent JSON-LD processor (PyLD), with the published context.

The export embeds the context; here it refers to the published file instead, which a document
loader serves from the checkout. The loader refuses every other URL, so no test reaches the
network, and a context the export needed but the published file lacked would fail the test.
Expanded, compacted and turned into RDF by PyLD, the export must give back the store's
dataset: every graph, compared by value as graphs (isomorphism), not as text.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from conftest import BuiltProject
from pyld import jsonld
from rdflib import Graph, Literal
from rdflib.compare import isomorphic
from rdflib.term import Node

from rustbelt_kg.export import Quad, serialize
from rustbelt_kg.results import normalise
from rustbelt_kg.terms import from_oxigraph_quad

CONTEXT = Path(__file__).resolve().parents[1] / "context" / "rustbelt.jsonld"
CONTEXT_URL = CONTEXT.as_uri()


def _load_document(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """PyLD's document loader: the published context, and nothing else."""
    if url != CONTEXT_URL:
        raise jsonld.JsonLdError(f"refusing to load {url}: only the published context is local",
                                 "jsonld.LoadDocumentError", code="loading document failed")
    return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url,
            "document": json.loads(CONTEXT.read_text(encoding="utf-8"))}


OPTIONS = {"documentLoader": _load_document}


def _value(term: Node) -> Node:
    """``term`` in rdflib's canonical form for its value: PyLD writes the export's
    ``"0.95"^^xsd:double`` as ``"9.5E-1"^^xsd:double``, the same value."""
    if isinstance(term, Literal) and term.datatype is not None:
        return Literal(str(term), datatype=term.datatype)  # rdflib normalises on creation
    return normalise(term)


def _graphs(quads: list[Quad]) -> dict[str, Graph]:
    graphs: dict[str, Graph] = {}
    for s, p, o, g in quads:
        graphs.setdefault("" if g is None else str(g), Graph()).add((s, p, _value(o)))
    return graphs


def _graphs_of_nquads(text: str) -> dict[str, Graph]:
    return _graphs([from_oxigraph_quad(q) for q in ox.parse(text, ox.RdfFormat.N_QUADS)])


def _assert_same_dataset(ours: dict[str, Graph], theirs: dict[str, Graph]) -> None:
    assert sorted(theirs) == sorted(ours)
    different = [name for name in ours if not isomorphic(ours[name], theirs[name])]
    assert different == [], f"graphs that differ after the round trip: {different[:5]}"


@pytest.fixture(scope="module")
def store_quads(built_project: BuiltProject) -> list[Quad]:
    return list(built_project.store.quads())


@pytest.fixture(scope="module")
def export_with_published_context(store_quads: list[Quad]) -> dict[str, Any]:
    """The JSON-LD export of the store, its embedded context replaced by the published one."""
    document = json.loads(serialize(store_quads, "jsonld"))
    assert document["@context"] == json.loads(CONTEXT.read_text(encoding="utf-8"))["@context"]
    document["@context"] = CONTEXT_URL
    return document


def test_jsonld_export_expands_and_converts_to_the_stores_dataset(
    export_with_published_context: dict[str, Any], store_quads: list[Quad]
) -> None:
    expanded = jsonld.expand(export_with_published_context, OPTIONS)
    nquads = jsonld.to_rdf(expanded, {**OPTIONS, "format": "application/n-quads"})
    _assert_same_dataset(_graphs(store_quads), _graphs_of_nquads(nquads))


def test_jsonld_export_compacted_with_the_published_context_keeps_the_stores_dataset(
    export_with_published_context: dict[str, Any], store_quads: list[Quad]
) -> None:
    compacted = jsonld.compact(
        jsonld.expand(export_with_published_context, OPTIONS), CONTEXT_URL, OPTIONS
    )
    assert compacted["@context"] == CONTEXT_URL
    nquads = jsonld.to_rdf(compacted, {**OPTIONS, "format": "application/n-quads"})
    _assert_same_dataset(_graphs(store_quads), _graphs_of_nquads(nquads))


def test_jsonld_round_trip_notices_a_changed_value(
    export_with_published_context: dict[str, Any], store_quads: list[Quad]
) -> None:
    document = json.loads(json.dumps(export_with_published_context))
    node = next(n for n in document["@graph"] if "@graph" in n)["@graph"][0]
    key = next(k for k in node if not k.startswith("@"))
    node[key] = [{"@value": "not what the store says"}]
    nquads = jsonld.to_rdf(document, {**OPTIONS, "format": "application/n-quads"})
    with pytest.raises(AssertionError, match="differ"):
        _assert_same_dataset(_graphs(store_quads), _graphs_of_nquads(nquads))


def test_document_loader_refuses_every_url_but_the_published_context() -> None:
    document = {"@context": "https://example.org/context.jsonld", "https://example.org/p": 1}
    with pytest.raises(jsonld.JsonLdError):
        jsonld.expand(document, OPTIONS)
