"""The W3C SPARQL 1.1 query syntax suite through the parse step of ``rustbelt-kg sparql``.

Each query is read by :func:`rustbelt_kg.sparql.read_sparql` and parsed by
:func:`rustbelt_kg.sparql.parse_sparql`, as ad-hoc and stored queries are: a positive syntax
test must parse, a negative one must raise :class:`QuerySyntaxError`. Tests our parse step
does not pass are in the skip list, ``tests/w3c/sparql-skips.tsv``, with the reason. The
shared copy of the suites holds the query syntax tests only (no update syntax tests).
"""

from __future__ import annotations

import pytest
from w3c_suites import MF, W3cTest, check_skip_list, params, require_suites, suite_tests

from rustbelt_kg.errors import QuerySyntaxError
from rustbelt_kg.sparql import parse_sparql, read_sparql

SKIPS = "sparql-skips.tsv"
MANIFESTS = ("sparql/sparql11/syntax-query/manifest.ttl",)
TESTS = suite_tests(*MANIFESTS)


def test_w3c_sparql_syntax_suite_is_there_and_the_skip_list_names_its_tests() -> None:
    require_suites(*MANIFESTS)
    assert {test.kind for test in TESTS} == {"PositiveSyntaxTest11", "NegativeSyntaxTest11"}
    assert len(TESTS) > 90
    check_skip_list(SKIPS, TESTS)


@pytest.mark.parametrize("test", params(TESTS, SKIPS))
def test_w3c_sparql_syntax(test: W3cTest) -> None:
    action = test.file(MF.action)
    if test.kind.startswith("Negative"):
        with pytest.raises(QuerySyntaxError):
            parse_sparql(read_sparql(action), path=str(action))
        return
    try:
        parse_sparql(read_sparql(action), path=str(action))
    except QuerySyntaxError as error:
        raise AssertionError(f"a valid query is refused: {error}") from error
