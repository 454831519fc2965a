"""No unsourced fact gets in: the graph rules, checked as the sources are loaded, name the
file, the line and the triple, and stop a build before anything is written."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner

from rustbelt_kg.build import build
from rustbelt_kg.cli import cli
from rustbelt_kg.errors import SourceRuleBroken
from rustbelt_kg.load import load_quads
from rustbelt_kg.project import Project

PREFIXES = """\
@prefix claim: <https://w3id.org/rustbelt-kg/claim/> .
@prefix oa: <http://www.w3.org/ns/oa#> .
@prefix rb: <https://w3id.org/rustbelt-kg/id/> .
@prefix rbg: <https://w3id.org/rustbelt-kg/graph/> .
@prefix rbo: <https://w3id.org/rustbelt-kg/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix wd: <http://www.wikidata.org/entity/> .

"""


def _add(project: Project, folder: str, name: str, body: str) -> str:
    """Write ``folder/name`` (the prefixes, then ``body``); its path as messages show it."""
    path = project.root / folder / name
    path.write_text(PREFIXES + body, encoding="utf-8")
    return f"{folder}/{name}"


def _broken(project: Project) -> SourceRuleBroken:
    with pytest.raises(SourceRuleBroken) as caught:
        load_quads(project)
    assert caught.value.exit_code == 1
    return caught.value


#: Line 9 of each file is the first line after :data:`PREFIXES`.
UNSOURCED = {
    "in the default graph": (
        "data/article", "zz.trig",
        'rb:wan-long rdfs:comment "a fact from nowhere" .\n',
        10, 'unsourced fact in the default graph: rb:wan-long rdfs:comment "a fact from nowhere"',
    ),
    "inside rbg:provenance": (
        "data/article", "zz.trig",
        'rbg:provenance {\n    rb:wan-long rdfs:comment "a fact from nowhere" .\n}\n',
        11, 'unsourced fact in rbg:provenance: rb:wan-long rdfs:comment "a fact from nowhere"',
    ),
    "inside rbg:ontology in a data file": (
        "data/article", "zz.trig",
        'rbg:ontology {\n    rb:wan-long rdfs:comment "a fact from nowhere" .\n}\n',
        11, "rbg:ontology comes from ontology/ only: rb:wan-long rdfs:comment",
    ),
    "in a graph no one names": (
        "data/article", "zz.trig",
        'rb:my-graph {\n    rb:wan-long rdfs:comment "a fact from nowhere" .\n}\n',
        11, "rb:my-graph is not a graph the architecture names",
    ),
    "in the ontology": (
        "ontology", "zz.ttl",
        'rbo:Person rdfs:comment "a term" .\nrb:wan-long rdfs:comment "a fact from nowhere" .\n',
        11, "unsourced fact in rbg:ontology: rb:wan-long rdfs:comment",
    ),
    "in the links beside a mapping": (
        "data/links", "zz.ttl",
        'rb:wan-long skos:exactMatch wd:Q42 .\nrb:wan-long rdfs:comment "a fact from nowhere" .\n',
        11, "unsourced fact in rbg:links/wikidata: rb:wan-long rdfs:comment",
    ),
    "in the enrichment": (
        "data/enrichment", "zz.trig",
        "<https://w3id.org/rustbelt-kg/graph/enrichment/wikidata> {\n"
        '    rb:wan-long rdfs:comment "a fact from nowhere" .\n}\n',
        11, "unsourced fact in rbg:enrichment/wikidata: rb:wan-long rdfs:comment",
    ),
    "in a claim graph written by the enrichment": (
        "data/enrichment", "zz.trig",
        'claim:wan-long {\n    rb:wan-long rdfs:comment "a fact from nowhere" .\n}\n',
        11, "claim:wan-long is not a graph the architecture names: enrichment files write "
        "rbg:enrichment/wikidata",
    ),
    "a claim graph without a quote": (
        "data/article", "zz.trig",
        'claim:from-nowhere {\n    rb:wan-long rdfs:comment "a fact from nowhere" .\n}\n',
        11, "claim graph claim:from-nowhere has no quote in rbg:provenance",
    ),
    "a claim graph whose evidence has no quote": (
        "data/article", "zz.trig",
        'claim:from-nowhere {\n    rb:wan-long rdfs:comment "a fact from nowhere" .\n}\n'
        "rbg:provenance {\n    claim:from-nowhere rbo:evidence claim:from-nowhere\\#target .\n}\n",
        11, "claim graph claim:from-nowhere has no quote in rbg:provenance",
    ),
}


@pytest.mark.parametrize("case", sorted(UNSOURCED))
def test_an_unsourced_fact_is_refused_with_its_file_line_and_triple(
    case: str, tiny_project: Project
) -> None:
    folder, name, body, line, message = UNSOURCED[case]
    shown = _add(tiny_project, folder, name, body)
    error = _broken(tiny_project)
    assert (error.path, error.line) == (shown, line)
    assert message in str(error)
    assert str(error).startswith(f"{shown}:{line}: ")


def test_a_blank_node_in_data_is_refused_with_its_line(tiny_project: Project) -> None:
    items = " ".join(f"rb:item-{i}" for i in range(1000))  # a 1,000-item RDF list
    shown = _add(tiny_project, "data/article", "zz.trig",
                 f"claim:wan-long {{\n\n    rb:wan-long rbo:items ( {items} ) .\n}}\n")
    error = _broken(tiny_project)
    assert (error.path, error.line) == (shown, 12)
    assert "a blank node in data/: _:" in str(error)


def test_claim_metadata_and_selectors_in_provenance_are_accepted(tiny_project: Project) -> None:
    _add(tiny_project, "data/article", "zz.trig",
         "rbg:provenance {\n"
         "    claim:wan-long rbo:status rbo:Checked ; rbo:editorialNote \"checked twice\" .\n"
         "    <https://w3id.org/rustbelt-kg/claim/wan-long#quote> oa:refinedBy\n"
         "        <https://w3id.org/rustbelt-kg/claim/wan-long#refined> .\n"
         "}\n")
    quads = load_quads(tiny_project)
    assert any(str(p).endswith("#status") for _, p, _, _ in quads)


def test_an_unsourced_fact_stops_build_and_check_before_anything_is_written(
    tiny_project: Project,
) -> None:
    build(tiny_project)
    live = tiny_project.store_path.resolve()
    exports = {p.name: p.read_bytes() for p in tiny_project.dist_dir.iterdir()}
    _add(tiny_project, "data/article", "zz.trig", 'rb:wan-long rdfs:comment "unsourced" .\n')
    for command in ("build", "check", "validate"):
        result = CliRunner().invoke(cli, ["--project", str(tiny_project.root), command])
        assert result.exit_code == 1, (command, result.output)
        assert result.stderr.startswith("error: data/article/zz.trig:10: unsourced fact")
    assert tiny_project.store_path.resolve() == live
    assert {p.name: p.read_bytes() for p in tiny_project.dist_dir.iterdir()} == exports
    assert b"unsourced" not in b"".join(exports.values())


def _engine_cases() -> list[object]:
    import pyoxigraph as ox

    from rustbelt_kg import namespaces

    rb, claim = ox.NamedNode(namespaces.RB + "wan-long"), namespaces.CLAIM
    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    graphs: list[Any] = [ox.NamedNode(claim + "c"), ox.NamedNode(claim + "c#part"),
              ox.NamedNode(namespaces.PROVENANCE_GRAPH), ox.NamedNode(namespaces.SOURCES_GRAPH),
              ox.NamedNode(namespaces.LINKS_GRAPH), ox.NamedNode(namespaces.ONTOLOGY_GRAPH),
              ox.NamedNode("urn:x:elsewhere"), ox.DefaultGraph()]
    subjects: list[Any] = [rb, ox.NamedNode(claim + "c"), ox.NamedNode(claim + "c#quote"),
                           ox.BlankNode("b")]
    objects: list[Any] = [ox.Literal("x"), rb, ox.BlankNode("o")]
    return [ox.Quad(s, label, o, g) for g in graphs for s in subjects for o in objects]


@pytest.mark.parametrize("kind", ["article", "claims", "sources", "links", "ontology",
                                  "enrichment"])
def test_the_rules_on_the_engines_quads_find_what_they_find_on_rdflib_quads(kind: str) -> None:
    from rustbelt_kg import sourcing
    from rustbelt_kg.terms import from_oxigraph_quad

    cases = _engine_cases()
    found = 0
    for quad in cases:
        exact = sourcing.file_problem(kind, [from_oxigraph_quad(quad)])  # type: ignore[arg-type]
        assert sourcing.engine_file_problem(kind, [quad]) == exact, quad  # type: ignore[list-item]
        found += exact is not None
    assert found > 0
    ok = [q for q in cases if sourcing.file_problem(kind, [from_oxigraph_quad(q)]) is None]  # type: ignore[arg-type]
    bad = next(q for q in cases if q not in ok)
    assert sourcing.engine_file_problem(kind, [*ok, bad, *ok])[0] == len(ok)  # type: ignore[index,list-item]
    if kind in ("article", "claims"):  # most claim quads pass the screen without a closer look
        assert len(ok) >= 10
