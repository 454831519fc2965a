"""Query texts past a documented limit are refused before an engine sees them (exit 6);
updates, repeated parameters and unknown SERVICE endpoints are usage errors (exit 2)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from rustbelt_kg.cli import cli
from rustbelt_kg.errors import QueryTooComplex, ServiceNotAllowed, UsageError
from rustbelt_kg.load import load_quads
from rustbelt_kg.project import Project
from rustbelt_kg.query import list_queries, parse_queries, run_sparql
from rustbelt_kg.sparql import (
    MAX_NESTING,
    MAX_OPERATORS,
    MAX_PATTERNS,
    MAX_QUERY_SIZE,
    check_query,
    parse_sparql,
    read_sparql,
)
from rustbelt_kg.store import MemoryStore, OxigraphStore, Store

SCRIPT = Path(sys.executable).with_name("rustbelt-kg")
DEEP = "SELECT * { FILTER(" + "(" * 5000 + "1" + ")" * 5000 + ") }"
LONG_CHAIN = "SELECT * { BIND(" + "+".join(["1"] * 10000) + " AS ?x) }"


def nested(depth: int) -> str:
    """A query whose brackets nest ``depth`` levels in all (braces, FILTER, parentheses)."""
    return "SELECT * { FILTER(" + "(" * (depth - 2) + "1" + ")" * (depth - 2) + ") }"


@pytest.fixture(params=["oxigraph", "memory"])
def store(request: pytest.FixtureRequest, tiny_project: Project) -> Store:
    store: Store = OxigraphStore() if request.param == "oxigraph" else MemoryStore()
    store.replace_all(load_quads(tiny_project))
    return store


def script(
    project: Project, *args: str, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), "--project", str(project.root), *args], input=input,
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONWARNINGS": "error"},
    )


def run(project: Project, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--project", str(project.root), *args])


# -- nesting, operators, size ------------------------------------------------------------------


@pytest.mark.parametrize("store_name", ["oxigraph", "memory"])
def test_5000_nested_parentheses_exit_6_naming_the_limit_not_a_crash(
    built_tiny: Project, store_name: str
) -> None:
    done = script(built_tiny, "--store", store_name, "sparql", DEEP)
    assert done.returncode == 6, done.stderr
    assert f"<input>:1:33: brackets nested deeper than {MAX_NESTING} levels" in done.stderr


def test_a_long_operator_chain_exits_6_not_a_crash(built_tiny: Project) -> None:
    done = script(built_tiny, "sparql", LONG_CHAIN)
    assert done.returncode == 6, done.stderr
    assert f"more than {MAX_OPERATORS} operators" in done.stderr


def test_a_deep_stored_query_stops_build_before_anything_is_written(tiny_project: Project) -> None:
    (tiny_project.queries_dir / "deep.rq").write_text(
        "#+ title: too deep\n" + DEEP + "\n", encoding="utf-8"
    )
    done = script(tiny_project, "build", "--no-export")
    assert done.returncode == 6, done.stderr
    assert "queries/deep.rq:2:33: brackets nested deeper than" in done.stderr
    assert not tiny_project.store_path.exists()


def test_a_deep_stored_query_is_refused_by_query_and_names_its_file(
    built_tiny: Project,
) -> None:
    (built_tiny.queries_dir / "deep.rq").write_text(DEEP, encoding="utf-8")
    with pytest.raises(QueryTooComplex, match=r"queries/deep\.rq:1:33: brackets nested") as raised:
        parse_queries(list_queries(built_tiny))
    assert (raised.value.exit_code, raised.value.limit) == (6, "MAX_NESTING")
    result = run(built_tiny, "query", "deep")
    assert result.exit_code == 6
    assert "deep.rq:1:33" in result.stderr


def test_strings_iris_and_comments_do_not_count_toward_depth() -> None:
    hidden = "(" * 40 + "[" * 40 + "{" * 40
    text = (
        f'SELECT * {{ <http://example.org/{"(" * 40}> ?p "{hidden}" ,'
        f" '''{hidden}''' }} # {hidden}\n"
    )
    assert check_query(text).form == "select"
    parse_sparql(text)  # and the engine reads the same text


def test_a_comparison_that_looks_like_an_iri_is_counted_as_code() -> None:
    text = "SELECT * { ?s ?p ?o FILTER(?o<" + "(" * 40 + "1" + ")" * 40 + ">0) }"
    with pytest.raises(QueryTooComplex, match="nested deeper"):
        check_query(text)


@pytest.mark.parametrize("hiding", [
    "SELECT * { ?s ?p ( ?a <x#> ) . ?s ?p DEEP }",  # an IRI in a list, a comment in code
    "SELECT * { FILTER(sameTerm(?a, <x'>)) ?s ?p DEEP } # '",
    "SELECT * { FILTER(?a <x'> 1) ?s ?p DEEP } # '",
])
def test_a_quote_or_hash_in_something_read_as_an_iri_does_not_hide_brackets(hiding: str) -> None:
    text = hiding.replace("DEEP", "(" * 40 + "1" + ")" * 40)
    with pytest.raises(QueryTooComplex, match="nested deeper"):
        check_query(text)


def test_an_escaped_quote_in_a_name_does_not_hide_brackets() -> None:
    text = "SELECT * { ?s rb:a\\' " + "(" * 40 + " ?o } # '"
    with pytest.raises(QueryTooComplex, match="nested deeper"):
        check_query(text)


def test_texts_at_the_limits_run_on_both_engines(store: Store) -> None:
    assert run_sparql(store, nested(MAX_NESTING)).kind == "select"
    groups = "SELECT * " + "{" * MAX_NESTING + " ?s ?p ?o " + "}" * MAX_NESTING + " LIMIT 1"
    assert len(run_sparql(store, groups).rows) == 1
    with pytest.raises(QueryTooComplex):
        run_sparql(store, nested(MAX_NESTING + 1))


def test_the_operator_limit_is_below_oxigraphs_breaking_point(store: Store) -> None:
    chain = "SELECT * { " + "MINUS { ?s ?p 1 } " * ((MAX_OPERATORS - 1) // 2) + "} LIMIT 1"
    if isinstance(store, OxigraphStore):
        assert run_sparql(store, chain).kind == "select"
    else:  # rdflib's evaluator recurses per MINUS: its limit is the recursion limit
        with pytest.raises(QueryTooComplex, match="rdflib"):
            run_sparql(store, chain)
    with pytest.raises(QueryTooComplex, match="operators"):
        check_query("SELECT * { BIND(" + "+".join(["1"] * (MAX_OPERATORS + 2)) + " AS ?x) }")


#: Texts under 256 KiB, nested 2 deep, with no operator, that segfault Oxigraph's planner.
MANY_PATTERNS = {
    "triple patterns":
        "SELECT * {\n" + "".join(f"?s{i} rbo:p ?o{i} .\n" for i in range(9000)) + "}",
    "objects": "SELECT * { ?s ?p " + ", ".join(f"?o{i}" for i in range(30000)) + " }",
    "predicates": "SELECT * { ?s " + " ; ".join(f"?p{i} ?o{i}" for i in range(12000)) + " }",
    "collection items": "SELECT * { ?s ?p ( " + " ".join(f"?o{i}" for i in range(20000)) + " ) }",
    "dots in names": "SELECT * {\n" + "".join(f"?s{i} rbo:p rbo:o.\n" for i in range(9000)) + "}",
}


@pytest.mark.parametrize("shape", sorted(MANY_PATTERNS))
def test_thousands_of_triple_patterns_or_list_items_are_refused_before_an_engine(
    shape: str,
) -> None:
    text = MANY_PATTERNS[shape]
    assert len(text.encode()) <= MAX_QUERY_SIZE
    refused = f"more than {MAX_PATTERNS} triple patterns"
    with pytest.raises(QueryTooComplex, match=refused) as raised:
        check_query(text)
    assert raised.value.limit == "MAX_PATTERNS"
    fewer = f"SELECT * {{ ?s ?p {', '.join(f'?o{i}' for i in range(MAX_PATTERNS))} }}"
    assert check_query(fewer).form == "select"


def test_a_stored_query_of_9000_triple_patterns_stops_build_with_exit_6_not_a_segfault(
    tiny_project: Project,
) -> None:
    (tiny_project.queries_dir / "huge.rq").write_text(
        MANY_PATTERNS["triple patterns"], encoding="utf-8"
    )
    done = script(tiny_project, "build", "--no-export")
    assert done.returncode == 6, done.stderr
    assert "queries/huge.rq:" in done.stderr and "triple patterns" in done.stderr
    assert not tiny_project.store_path.exists()


def test_a_text_past_the_size_limit_is_refused_and_a_file_not_read_to_its_end(
    tmp_path: Path,
) -> None:
    padding = "#" + "x" * MAX_QUERY_SIZE + "\n"
    with pytest.raises(QueryTooComplex, match="bytes"):
        check_query(padding + "SELECT * {}")
    big = tmp_path / "big.rq"
    big.write_text(padding * 20, encoding="utf-8")
    with pytest.raises(QueryTooComplex, match="big.rq: the query text is larger than"):
        read_sparql(big)


def test_a_huge_query_on_stdin_exits_6(built_tiny: Project) -> None:
    done = script(built_tiny, "sparql", "-", input="# " + "x" * (2 * MAX_QUERY_SIZE))
    assert done.returncode == 6, done.stderr
    assert "bytes" in done.stderr


# -- updates, parameters, SERVICE ----------------------------------------------------------------


@pytest.mark.parametrize("update", [
    "INSERT DATA { rb:a rb:b rb:c }",
    "PREFIX ex: <http://example.org/>\n# a comment\ndelete where { ?s ?p ?o }",
    "LOAD <http://127.0.0.1:9/data.ttl>",
    "CLEAR ALL",
    "DROP GRAPH <http://example.org/g>",
    "WITH <http://example.org/g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
])
def test_an_update_is_not_allowed_here_exit_2(built_tiny: Project, update: str) -> None:
    result = run(built_tiny, "sparql", update)
    assert result.exit_code == 2, result.output
    assert "updates are not allowed here" in result.stderr
    assert "CONSTRUCT" in result.stderr  # what is allowed, not what the parser expected
    assert "expected" not in result.stderr


def test_a_parameter_given_twice_is_a_usage_error(built_tiny: Project) -> None:
    result = run(built_tiny, "query", "people", "--param", "person=rb:a", "-p", "person=rb:b")
    assert result.exit_code == 2
    assert "--param person is given twice" in result.stderr


@pytest.mark.parametrize("service", [
    "SERVICE <http://127.0.0.1:9/sparql>",
    "SERVICE SILENT <http://127.0.0.1:9/sparql>",
    "SERVICE ex:sparql",
    "SERVICE ?endpoint",
])
def test_a_service_not_on_the_allow_list_is_refused(store: Store, service: str) -> None:
    text = f"PREFIX ex: <http://127.0.0.1:9/>\nSELECT * {{ {service} {{ ?s ?p ?o }} }}"
    with pytest.raises(ServiceNotAllowed):
        run_sparql(store, text)
    with pytest.raises(ServiceNotAllowed):
        run_sparql(store, text, services=["http://127.0.0.1:9/other"])


def test_a_variable_named_service_or_a_service_in_a_string_is_no_call() -> None:
    text = 'SELECT ?service { ?service rb:service "SERVICE <http://x/>" } # SERVICE <http://y/>'
    assert check_query(text).services == ()


def test_refusals_are_usage_errors() -> None:
    assert issubclass(ServiceNotAllowed, UsageError)


def test_a_prefixed_name_is_tried_only_where_a_name_starts() -> None:
    """Tried inside ``a.a.a...`` it would rescan the rest at every dot: quadratic time on a
    256 KiB text (minutes). Only the first name of such a run is a prefixed-name candidate."""
    from rustbelt_kg.sparql import _TOKENS

    text = "a.b.c:d"
    assert _TOKENS.match(text, 0).group() == "a.b.c:d"  # type: ignore[union-attr]
    assert _TOKENS.match(text, 2).group() == "b"  # type: ignore[union-attr]
    assert _TOKENS.match("x-y:z", 2).group() == "y"  # type: ignore[union-attr]
    assert _TOKENS.match(" rb:x", 1).group() == "rb:x"  # type: ignore[union-attr]
