"""The W3C RDF 1.1 test suites (Turtle, TriG, N-Triples, N-Quads, RDF/XML) through our loader.

Every test runs through :func:`rustbelt_kg.load.parse_file`, the generic parse path (not the
rules the project's own data files must also follow): a negative syntax test must raise
:class:`RdfSyntaxError`, a positive one must parse, and an evaluation test must give a dataset
isomorphic to its expected N-Triples or N-Quads (read by the same loader).

A W3C test's base IRI is ``mf:assumedTestBase`` plus its file name. ``parse_file`` takes no
base IRI (the project's files declare their own ``@base``), so a Turtle or TriG test is parsed
from a copy that states its base in an ``@base`` directive first, as its retrieval would give
it. N-Triples and N-Quads have no relative IRIs. RDF/XML tests are parsed as they are; those
that need a base are in the skip list. The skip list is ``tests/w3c/rdf-skips.tsv``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import rdflib
from rdflib.compare import isomorphic
from w3c_suites import MF, SUITES, W3cTest, check_skip_list, params, require_suites, suite_tests

from rustbelt_kg.errors import RdfSyntaxError
from rustbelt_kg.export import Quad
from rustbelt_kg.load import parse_file

SKIPS = "rdf-skips.tsv"
#: Each suite's manifest and the loader's name for its syntax.
MANIFESTS = {
    "rdf/rdf11/rdf-turtle/manifest.ttl": "turtle",
    "rdf/rdf11/rdf-trig/manifest.ttl": "trig",
    "rdf/rdf11/rdf-n-triples/manifest.ttl": "nt",
    "rdf/rdf11/rdf-n-quads/manifest.ttl": "nquads",
    "rdf/rdf11/rdf-xml/manifest.ttl": "xml",
}
RESULT_SYNTAX = {".nt": "nt", ".nq": "nquads"}
TESTS = suite_tests(*MANIFESTS)
_QUAD = rdflib.Namespace("urn:x-quad:")


def _base(test: W3cTest) -> str:
    base = next(test.graph.objects(None, MF.assumedTestBase))
    folder = (SUITES / test.manifest).parent
    return f"{base}{test.file(MF.action).relative_to(folder).as_posix()}"


#: Comments, processing instructions and doctype, or an element's start tag and name.
_XML_PARTS = re.compile(rb"<!--.*?-->|<\?.*?\?>|<![^>]*>|<([A-Za-z_][^\s/>]*)", re.DOTALL)


def _with_base(test: W3cTest, syntax: str, text: bytes) -> bytes:
    """``text`` stating the test's base IRI: an ``@base`` directive first (Turtle, TriG), or an
    ``xml:base`` on the root element unless it has one (RDF/XML)."""
    if syntax in ("turtle", "trig"):
        return f"@base <{_base(test)}> .\n".encode() + text
    root = next((m for m in _XML_PARTS.finditer(text) if m.group(1)), None)
    if root is None or b"xml:base" in text[root.end():text.find(b">", root.end())]:
        return text
    return text[:root.end()] + f' xml:base="{_base(test)}"'.encode() + text[root.end():]


def _parse_action(test: W3cTest, tmp_path: Path) -> list[Quad]:
    syntax, action = MANIFESTS[test.manifest], test.file(MF.action)
    if syntax in ("turtle", "trig", "xml"):
        copy = tmp_path / action.name
        copy.write_bytes(_with_base(test, syntax, action.read_bytes()))
        return parse_file(copy, syntax, display=str(action))
    return parse_file(action, syntax)


def _as_graph(quads: list[Quad]) -> rdflib.Graph:
    """A dataset as one graph (each quad a node with its four terms), so that isomorphism
    covers the blank nodes shared between graphs and graph names."""
    graph = rdflib.Graph()
    for s, p, o, g in quads:
        quad = rdflib.BNode()
        graph.add((quad, _QUAD.s, s))
        graph.add((quad, _QUAD.p, p))
        graph.add((quad, _QUAD.o, o))
        if g is not None:
            graph.add((quad, _QUAD.g, g))
    return graph


def test_w3c_rdf_suites_are_there_and_the_skip_list_names_their_tests() -> None:
    require_suites(*MANIFESTS)
    assert len(TESTS) > 900
    check_skip_list(SKIPS, TESTS)


@pytest.mark.parametrize("test", params(TESTS, SKIPS))
def test_w3c_rdf(test: W3cTest, tmp_path: Path) -> None:
    if "NegativeSyntax" in test.kind:
        with pytest.raises(RdfSyntaxError):
            _parse_action(test, tmp_path)
        return
    try:
        quads = _parse_action(test, tmp_path)
    except RdfSyntaxError as error:
        raise AssertionError(f"a valid document is refused: {error}") from error
    if test.kind.endswith("Eval"):
        result = test.file(MF.result)
        expected = parse_file(result, RESULT_SYNTAX[result.suffix])
        assert isomorphic(_as_graph(quads), _as_graph(expected)), "not the expected dataset"
    else:
        assert test.kind.endswith("PositiveSyntax"), test.kind
