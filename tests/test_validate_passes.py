"""The two validation passes (core constraints on rdflib, SHACL-SPARQL on Oxigraph) check each
constraint once, and the project's SPARQL constraints run on Oxigraph.

The W3C SHACL suite (``test_w3c_shacl.py``) covers the rest of the two-pass path.
"""

from __future__ import annotations

import pytest
import rdflib
from conftest import REPO_ROOT

from rustbelt_kg.errors import ShapesTooDeep, ShapesUnusable
from rustbelt_kg.project import Project
from rustbelt_kg.validate import Validator, load_shapes, validate

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


def test_the_projects_sparql_constraints_run_on_oxigraph() -> None:
    project = Project(REPO_ROOT)
    shapes = load_shapes(path for _, path in project.sources(loaded=False))
    with_sparql = {str(s) for s in shapes.subjects(rdflib.URIRef(
        "http://www.w3.org/ns/shacl#sparql"), None)}
    assert with_sparql
    assert set(Validator(shapes).sparql_shapes) == with_sparql


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
