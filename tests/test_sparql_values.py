"""Bindings written as ``VALUES`` (:mod:`rustbelt_kg.sparql_values`) and SHACL-SPARQL
constraints run once for all focus nodes (:mod:`rustbelt_kg.shacl_sparql`,
:mod:`rustbelt_kg.shacl_report`): the same rows as pre-binding, and pre-binding where
``VALUES`` would differ."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pyshacl
from rdflib import BNode, Graph, Literal, URIRef

from rustbelt_kg import shacl_report
from rustbelt_kg.sparql_values import bind_by_values, with_values
from rustbelt_kg.store import OxigraphStore
from rustbelt_kg.validate import load_shapes, validate

ROOT = Path(__file__).resolve().parents[1]
RB = "https://w3id.org/rustbelt-kg/id/"
RBO = "https://w3id.org/rustbelt-kg/ontology#"
X = URIRef("urn:x")


def test_a_binding_used_in_triple_patterns_anywhere_becomes_values() -> None:
    query = "SELECT ?v WHERE { { GRAPH ?g { ?x ?p ?v } } UNION { ?v ?p ?x } }"
    assert bind_by_values(query, {"x": X}) == (
        "SELECT ?v WHERE { VALUES (?x) { (<urn:x>) } { GRAPH ?g { ?x ?p ?v } } UNION "
        "{ ?v ?p ?x } }"
    )


def test_words_in_comments_are_not_keywords() -> None:
    query = "# the entity to describe, with its MINUS and SERVICE\nSELECT ?v WHERE { ?x ?p ?v }"
    assert bind_by_values(query, {"x": X}) == (
        "# the entity to describe, with its MINUS and SERVICE\n"
        "SELECT ?v WHERE { VALUES (?x) { (<urn:x>) } ?x ?p ?v }"
    )


def test_a_binding_used_by_a_filter_in_a_nested_group_stays_a_substitution() -> None:
    assert bind_by_values("SELECT * { { ?s ?p ?o FILTER (?o != ?x) } UNION { } }",
                          {"x": X}) is None
    assert bind_by_values("SELECT * { { FILTER NOT EXISTS { ?x ?p ?o } } UNION { } }",
                          {"x": X}) is None


def test_a_filter_or_exists_of_the_outer_group_sees_the_values() -> None:
    query = "SELECT * { ?s ?p ?o FILTER (?o != ?x) FILTER NOT EXISTS { ?x a ?c } }"
    assert bind_by_values(query, {"x": X}) is not None


def test_queries_values_cannot_bind_like_substitution_are_left_alone() -> None:
    assert bind_by_values("SELECT * { { SELECT ?x { ?x ?p ?o } } }", {"x": X}) is None
    assert bind_by_values("SELECT * { ?x ?p ?o MINUS { ?x a ?c } }", {"x": X}) is None
    assert bind_by_values("CONSTRUCT { ?x ?p ?o } WHERE { ?x ?p ?o }", {"x": X}) is None
    assert bind_by_values("SELECT * { ?x ?p ?o }", {"x": BNode()}) is None
    # Many rows would mix in an aggregate or a LIMIT; one row does not.
    rows = [[X], [URIRef("urn:y")]]
    assert with_values("SELECT (COUNT(*) AS ?n) { ?x ?p ?o }", ["x"], rows) is None
    assert with_values("SELECT (COUNT(*) AS ?n) { ?x ?p ?o }", ["x"], rows[:1]) is not None


def test_a_bound_query_on_the_store_gives_the_rows_of_a_substitution() -> None:
    store = OxigraphStore()
    g = URIRef("https://w3id.org/rustbelt-kg/claim/c")
    quads = [(URIRef(f"urn:s{i}"), URIRef("urn:p"), Literal(i), g) for i in range(5)]
    quads.append((URIRef("urn:s1"), URIRef("urn:q"), URIRef("urn:s2"), g))
    store.replace_all(quads)
    query = ("SELECT ?s ?p ?v WHERE { { GRAPH ?g { ?s ?p ?v } } UNION { GRAPH ?g { ?v ?p ?s } } }"
             " ORDER BY ?p ?v")
    ours = [(str(r["p"]), str(r["v"])) for r in store.query(query, {"s": URIRef("urn:s1")}).rows]
    assert store._open() is not None
    substituted = store._open().query(
        query, substitutions={ox.Variable("s"): ox.NamedNode("urn:s1")})
    assert isinstance(substituted, ox.QuerySolutions)
    expected = sorted((r["p"].value, r["v"].value) for r in substituted)
    assert sorted(ours) == expected == [("urn:p", "1"), ("urn:q", "urn:s2")]


def _quantities(values: list[int]) -> Graph:
    data = Graph()
    for i, value in enumerate(values):
        node = URIRef(f"{RB}q{i}")
        data.add((node, URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                  URIRef(RBO + "Quantity")))
        data.add((node, URIRef(RBO + "numericValue"), Literal(value)))
        data.add((node, URIRef(RBO + "unit"), URIRef("http://qudt.org/vocab/unit/NUM")))
    return data


def test_a_sparql_constraint_runs_once_for_all_focus_nodes_with_pyshacls_answers(
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    shapes = load_shapes([ROOT / "shapes" / "rustbelt.shacl.ttl"])
    ontology = Graph().parse(ROOT / "ontology" / "rustbelt.ttl")
    data = _quantities([3, -1, 7, -5, 0])
    runs: list[str] = []
    original = shacl_report._rows

    def counting(store, check):  # type: ignore[no-untyped-def]
        runs.append(str(check.constraint))
        return original(store, check)

    monkeypatch.setattr(shacl_report, "_rows", counting)
    result = validate(data, shapes, ontology)
    negative = [v for v in result.violations
                if str(v.source_shape).endswith("NonNegativeQuantityShape")]
    assert sorted(str(v.focus_node) for v in negative) == [f"{RB}q1", f"{RB}q3"]
    assert runs.count(next(r for r in runs if r.endswith("NonNegativeQuantityShape-value"))) == 1
    # pyshacl alone, node by node on rdflib, finds the same focus nodes.
    alone = Graph()
    alone += data
    alone += ontology
    _, report, _ = pyshacl.validate(alone, shacl_graph=shapes, advanced=True)
    sh = "http://www.w3.org/ns/shacl#"
    found = {
        str(report.value(r, URIRef(sh + "focusNode")))
        for r in report.subjects(URIRef(sh + "sourceShape"),
                                 URIRef("https://w3id.org/rustbelt-kg/shapes#"
                                        "NonNegativeQuantityShape"))
    }
    assert found == {f"{RB}q1", f"{RB}q3"}


def test_keywords_in_comments_strings_and_iris_do_not_decide_the_binding() -> None:
    query = ("#+ param: x | IRI | - | the entity to describe, never a MINUS\n"
             'SELECT ?v WHERE { ?x <urn:select> ?v FILTER (?v != "SERVICE") }')
    assert bind_by_values(query, {"x": X}) == (
        "#+ param: x | IRI | - | the entity to describe, never a MINUS\n"
        'SELECT ?v WHERE { VALUES (?x) { (<urn:x>) } ?x <urn:select> ?v FILTER (?v != "SERVICE") }'
    )


def test_entity_facts_binds_its_entity_by_values() -> None:
    from rustbelt_kg.project import Project
    from rustbelt_kg.query import get_query

    query = get_query(Project(ROOT), "entity-facts")
    assert bind_by_values(query.text, query.bindings()) is not None
