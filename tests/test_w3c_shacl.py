"""The W3C SHACL test suite (core and SHACL-SPARQL) through the validation path of
``rustbelt-kg validate``: :func:`rustbelt_kg.validate.validate`, our two passes (core
constraints on rdflib, SHACL-SPARQL constraints on an in-memory Oxigraph copy).

As the suite defines it, a test passes when the report's ``sh:conforms`` is the expected one
and its results are the expected ones, each compared by focus node, result path, value,
severity, source shape and constraint component (messages are not compared). A test whose
expected result is ``sht:Failure`` must make validation fail with an error. Tests our path
does not pass are in ``tests/w3c/shacl-skips.tsv``, each with its reason.
"""

from __future__ import annotations

from collections import Counter

import pytest
import rdflib
from w3c_suites import (
    MF,
    SUITES,
    W3cTest,
    check_skip_list,
    local_file,
    params,
    require_suites,
    suite_tests,
)

from rustbelt_kg.validate import SH, Violation, _path, validate

SKIPS = "shacl-skips.tsv"
MANIFESTS = ("shacl/tests/core/manifest.ttl", "shacl/tests/sparql/manifest.ttl")
TESTS = suite_tests(*MANIFESTS)
SHT = rdflib.Namespace("http://www.w3.org/ns/shacl-test#")

#: A result as the suite compares it.
Result = tuple[object, ...]


def _graph(test: W3cTest, role: rdflib.URIRef) -> rdflib.Graph:
    """The data or shapes graph of ``test``: its own file (already read) or another one."""
    iri = test.graph.value(test.graph.value(test.node, MF.action), role)
    if str(iri) == (SUITES / test.manifest).as_uri():
        return test.graph
    return rdflib.Graph().parse(local_file(iri), format="turtle", publicID=str(iri))


def _expected(graph: rdflib.Graph, report: rdflib.term.Node) -> tuple[bool, Counter[Result]]:
    conforms = bool(graph.value(report, SH.conforms).toPython())
    results: Counter[Result] = Counter()
    for result in graph.objects(report, SH.result):
        path = graph.value(result, SH.resultPath)
        results[(
            graph.value(result, SH.focusNode),
            None if path is None else _path(graph, path),
            graph.value(result, SH.value),
            graph.value(result, SH.resultSeverity),
            graph.value(result, SH.sourceShape),
            graph.value(result, SH.sourceConstraintComponent),
        )] += 1
    return conforms, results


def _found(violation: Violation) -> Result:
    return (
        violation.focus_node,
        violation.result_path,
        violation.value,
        rdflib.URIRef(violation.severity) if ":" in violation.severity else SH[violation.severity],
        violation.source_shape,
        violation.source_constraint_component,
    )


def test_w3c_shacl_suite_is_there_and_the_skip_list_names_its_tests() -> None:
    require_suites(*MANIFESTS)
    assert {test.kind for test in TESTS} == {"Validate"}
    assert len(TESTS) > 100
    check_skip_list(SKIPS, TESTS)


@pytest.mark.parametrize("test", params(TESTS, SKIPS))
def test_w3c_shacl(test: W3cTest) -> None:
    data, shapes = _graph(test, SHT.dataGraph), _graph(test, SHT.shapesGraph)
    expected = test.graph.value(test.node, MF.result)
    if expected == SHT.Failure:
        with pytest.raises(Exception):  # noqa: B017 - any error: the suite asks for a failure
            validate(data, shapes)
        return
    conforms, results = _expected(test.graph, expected)
    try:
        outcome = validate(data, shapes)
    except Exception as error:  # any error fails the test, with its message
        raise AssertionError(f"validation failed: {type(error).__name__}: {error}") from error
    found = Counter(_found(v) for v in outcome.violations)
    assert (outcome.conforms, found) == (conforms, results)
