"""Validation checks each constraint once, whichever way it runs: compiled into SPARQL on
Oxigraph (every shape of the project), or through pyshacl's two passes (core constraints on
rdflib, SHACL-SPARQL on Oxigraph) for the shapes the compiler leaves.

The W3C SHACL suite (``test_w3c_shacl.py``) covers the rest of the path.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import rdflib
from conftest import REPO_ROOT

from rustbelt_kg.errors import ShapesTooDeep, ShapesUnusable
from rustbelt_kg.project import Project
from rustbelt_kg.validate import Validator, Violation, load_shapes, validate

SHAPE_WITH_BOTH = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/> .
ex:Shape a sh:NodeShape ;
    sh:targetNode ex:a ;
    sh:class ex:Thing ;
    sh:sparql [ sh:select "SELECT $this WHERE { FILTER (false) }" ] .
"""


def test_a_core_constraint_of_a_node_shape_with_sparql_constraints_is_reported_once() -> None:
    shapes = rdflib.Graph().parse(data=SHAPE_WITH_BOTH, format="turtle")
    data = rdflib.Graph().parse(data="<http://example.org/a> <http://example.org/p> 1 .",
                                format="turtle")
    result = validate(data, shapes)
    assert not result.conforms
    assert [str(v.source_constraint_component) for v in result.violations] == [
        "http://www.w3.org/ns/shacl#ClassConstraintComponent"
    ]


def test_every_shape_of_the_project_compiles_to_sparql_and_none_is_left_to_pyshacl() -> None:
    project = Project(REPO_ROOT)
    shapes = load_shapes(path for _, path in project.sources(loaded=False))
    node_shapes = set(shapes.subjects(rdflib.RDF.type, rdflib.URIRef(
        "http://www.w3.org/ns/shacl#NodeShape")))
    validator = Validator(shapes)
    assert {c.node for c in validator.compiled} == node_shapes
    assert validator.rest is None


def test_a_shape_the_compiler_leaves_runs_through_pyshacl_with_the_same_report() -> None:
    compiled = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/> .
ex:S a sh:NodeShape ; sh:targetNode ex:a ;
    sh:property [ sh:path ex:p ; sh:maxCount 1 ; sh:message "one p" ] .
"""
    left = compiled.replace('sh:message "one p"', 'sh:message "one p" ; sh:uniqueLang true')
    data = rdflib.Graph().parse(data="<http://example.org/a> <http://example.org/p> 1, 2 .",
                                format="turtle")
    ours = Validator(rdflib.Graph().parse(data=compiled, format="turtle"))
    theirs = Validator(rdflib.Graph().parse(data=left, format="turtle"))
    assert ours.rest is None and theirs.rest is not None
    found = [ours.validate(data).violations, theirs.validate(data).violations]
    assert [[(str(v.focus_node), str(v.source_constraint_component), v.message) for v in each]
            for each in found] == [[("http://example.org/a",
                                     "http://www.w3.org/ns/shacl#MaxCountConstraintComponent",
                                     "one p")]] * 2


def test_shapes_chained_deeper_than_pyshacl_follows_are_a_documented_limit() -> None:
    chain = "".join(f"ex:N{i} a sh:NodeShape ; sh:node ex:N{i + 1} .\n" for i in range(40))
    shapes = rdflib.Graph().parse(data=f"""
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/> .
ex:S a sh:NodeShape ; sh:targetNode ex:a ; sh:node ex:N0 .
{chain}ex:N40 a sh:NodeShape .
""", format="turtle")
    data = rdflib.Graph().parse(data="<http://example.org/a> <http://example.org/p> 1 .",
                                format="turtle")
    with pytest.raises(ShapesTooDeep, match=r"deeper than the SHACL processor follows") as caught:
        validate(data, shapes)
    assert caught.value.exit_code == 6
    assert "http://example.org/S" in str(caught.value)


def test_shapes_the_shacl_processor_must_refuse_are_a_data_problem_not_a_crash() -> None:
    # SHACL-SPARQL forbids VALUES in a constraint's query (it would rebind $this)
    shapes = rdflib.Graph().parse(data="""
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/> .
ex:S a sh:NodeShape ; sh:targetNode ex:a ;
    sh:sparql [ sh:select "SELECT $this WHERE { VALUES ?x { 1 } FILTER (false) }" ] .
""", format="turtle")
    data = rdflib.Graph().parse(data="<http://example.org/a> <http://example.org/p> 1 .",
                                format="turtle")
    with pytest.raises(ShapesUnusable, match="the SHACL processor cannot use the shapes") as caught:
        validate(data, shapes)
    assert caught.value.exit_code == 1


EXAMPLES = sorted((REPO_ROOT / "tests" / "shapes").glob("*/*.ttl"))


@pytest.fixture(scope="module")
def compiled_and_pyshacl() -> tuple[Validator, Validator]:
    """The project's shapes compiled, and the same shapes all left to pyshacl."""
    import rustbelt_kg.validate as module

    project = Project(REPO_ROOT)
    shapes = load_shapes(path for _, path in project.sources(loaded=False))
    ontology = rdflib.Graph().parse(REPO_ROOT / "ontology" / "rustbelt.ttl")
    compiled = Validator(shapes, ontology)
    targeted = {c.node for c in compiled.compiled}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(module, "compile_shapes", lambda shapes: ([], targeted))
        by_pyshacl = Validator(shapes, ontology)
    assert compiled.rest is None and by_pyshacl.compiled == [] and by_pyshacl.rest is not None
    return compiled, by_pyshacl


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_shape_example_gives_the_report_pyshacl_gives(
    path: Path, compiled_and_pyshacl: tuple[Validator, Validator]
) -> None:
    data = rdflib.Graph().parse(path)
    ours, theirs = (v.validate(data) for v in compiled_and_pyshacl)

    def fields(violation: Violation) -> tuple[str, ...]:
        return tuple(str(getattr(violation, f.name)) for f in dataclasses.fields(violation))

    assert ours.conforms == theirs.conforms
    assert sorted(map(fields, ours.violations)) == sorted(map(fields, theirs.violations))


def test_literal_focus_nodes_of_sh_target_objects_of_are_checked() -> None:
    shapes = rdflib.Graph().parse(data="""
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/> .
ex:S a sh:NodeShape ; sh:targetObjectsOf ex:p ; sh:nodeKind sh:IRI ;
    sh:message "an IRI" .
""", format="turtle")
    data = rdflib.Graph().parse(data='<http://example.org/a> <http://example.org/p> "x" .',
                                format="turtle")
    result = validate(data, shapes)
    assert [(str(v.focus_node), v.message) for v in result.violations] == [("x", "an IRI")]


def test_a_sparql_constraint_reading_named_graphs_sees_the_data_graph_alone() -> None:
    shapes = rdflib.Graph().parse(data="""
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/> .
ex:S a sh:NodeShape ; sh:targetSubjectsOf ex:p ;
    sh:sparql [ sh:select "SELECT $this WHERE { GRAPH ?g { $this ?p ?o } }" ;
                sh:message "in a named graph" ] .
""", format="turtle")
    data = rdflib.Graph().parse(data="<http://example.org/a> <http://example.org/p> 1 .",
                                format="turtle")
    assert validate(data, shapes).conforms
