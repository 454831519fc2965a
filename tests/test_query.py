"""Stored queries: headers, parameters, result formats, expected-result comparison."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD

from rustbelt_kg import namespaces
from rustbelt_kg.errors import QuerySyntaxError, UnknownQueryError, UsageError
from rustbelt_kg.load import load_quads
from rustbelt_kg.project import Project
from rustbelt_kg.query import (
    QueryShape,
    StoredQuery,
    compare_results,
    expand_iri,
    get_query,
    has_top_level_order_by,
    list_qc_queries,
    list_queries,
    parse_sparql,
    read_query,
    run_qc_queries,
    run_query,
)
from rustbelt_kg.results import (
    RESULT_FORMATS,
    QueryResult,
    parse_json_result,
    read_expected,
    render,
    to_json,
    write_expected,
)
from rustbelt_kg.store import MemoryStore, OxigraphStore, Store

RB = namespaces.RB
WAN = URIRef(RB + "wan-long")


@pytest.fixture(params=["oxigraph", "memory"])
def tiny_store(request: pytest.FixtureRequest, tiny_project: Project) -> Store:
    store: Store = OxigraphStore() if request.param == "oxigraph" else MemoryStore()
    store.replace_all(load_quads(tiny_project))
    return store


def test_header_gives_title_description_and_params(tiny_project: Project) -> None:
    people = get_query(tiny_project, "people")
    assert people.title == "People"
    assert people.description == "Every person the article names, with their age, ordered by IRI."
    (param,) = people.params
    assert (param.name, param.kind, param.default) == ("person", "IRI", None)
    assert param.help == "the person to look at (optional)"
    founders = get_query(tiny_project, "founders")
    assert founders.params[0].default == "rb:wan-long"


def test_unknown_query_lists_available_queries(tiny_project: Project) -> None:
    with pytest.raises(UnknownQueryError) as caught:
        get_query(tiny_project, "nope")
    assert caught.value.available == ["founders", "people"]
    assert "  founders\n  people" in str(caught.value)
    assert caught.value.exit_code == 2


def test_queries_and_qc_queries_are_listed_by_name(tiny_project: Project) -> None:
    assert [q.name for q in list_queries(tiny_project)] == ["founders", "people"]
    assert [q.name for q in list_qc_queries(tiny_project)] == ["unlabelled-person-violation"]


@pytest.mark.parametrize(
    ("text", "iri"),
    [
        ("rb:wan-long", RB + "wan-long"),
        ("wan-long", RB + "wan-long"),
        ("<https://example.org/x>", "https://example.org/x"),
        ("https://example.org/x", "https://example.org/x"),
        ("wd:Q42", namespaces.WD + "Q42"),
    ],
)
def test_iri_parameters_expand_through_the_prefix_table(text: str, iri: str) -> None:
    assert expand_iri(text) == URIRef(iri)


def test_unknown_prefix_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown prefix 'zz'"):
        expand_iri("zz:top")


def test_parameters_are_bound_with_defaults_and_overrides(
    tiny_project: Project, tiny_store: Store
) -> None:
    founders = get_query(tiny_project, "founders")
    assert founders.bindings() == {"founder": WAN}
    assert len(run_query(tiny_store, founders).rows) == 1
    assert run_query(tiny_store, founders, {"founder": "rb:nobody"}).rows == []
    people = get_query(tiny_project, "people")
    assert people.bindings() == {}
    rows = run_query(tiny_store, people, {"person": "wan-long"}).rows
    assert [r["person"] for r in rows] == [WAN]


def test_unknown_parameter_lists_the_parameters(tiny_project: Project) -> None:
    with pytest.raises(UsageError, match="no parameter city; parameters: founder"):
        get_query(tiny_project, "founders").bindings({"city": "x"})


def test_literal_parameters_are_typed_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "q.rq"
    path.write_text("#+ param: n | xsd:integer | 3 | how many\nSELECT ?n {}\n", encoding="utf-8")
    query = read_query(path)
    assert query.bindings() == {"n": Literal(3)}
    assert query.bindings({"n": "12"})["n"] == Literal("12", datatype=XSD.integer)
    with pytest.raises(UsageError, match="not a valid xsd:integer"):
        query.bindings({"n": "twelve"})


def test_literal_parameters_are_bound_as_written(tmp_path: Path) -> None:
    path = tmp_path / "q.rq"
    path.write_text("#+ param: n | xsd:integer | 007 | how many\nSELECT ?n {}\n", encoding="utf-8")
    (value,) = read_query(path).bindings().values()
    assert str(value) == "007" and value == Literal("007", datatype=XSD.integer, normalize=False)


def test_syntax_error_in_a_stored_query_names_its_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.rq"
    path.write_text('#+ title: Broken\nSELECT ?s WHERE {\n  ?s ?p "open\n}\n', encoding="utf-8")
    with pytest.raises(QuerySyntaxError) as caught:
        run_query(OxigraphStore(), read_query(path))
    assert (caught.value.path, caught.value.line, caught.value.column) == (str(path), 3, 14)


def test_a_query_file_that_is_not_utf8_is_a_syntax_error_at_the_bad_byte(
    tiny_project: Project,
) -> None:
    path = tiny_project.queries_dir / "latin.rq"
    path.write_bytes("#+ title: Harbin\nSELECT * { ?s ?p 'caf\u00e9' }\n".encode("latin-1"))
    with pytest.raises(QuerySyntaxError) as caught:
        list_queries(tiny_project)
    error = caught.value
    assert (error.path, error.line, error.column) == ("queries/latin.rq", 2, 22)
    assert "not UTF-8: byte 0xe9" in str(error) and error.exit_code == 3


def test_syntax_errors_of_listed_queries_name_the_file_inside_the_project(
    tiny_project: Project,
) -> None:
    (tiny_project.queries_dir / "broken.rq").write_text("SELECT ?s {", encoding="utf-8")
    (broken,) = [q for q in list_queries(tiny_project) if q.name == "broken"]
    with pytest.raises(QuerySyntaxError) as caught:
        broken.shape  # noqa: B018
    assert caught.value.path == "queries/broken.rq"


@pytest.mark.parametrize(
    ("text", "shape"),
    [
        ("SELECT ?b ?a WHERE { ?a rbo:age ?b }", QueryShape("select", ("b", "a"))),
        ("PREFIX ex: <urn:x:>\nASK { ex:a ?p ?o }", QueryShape("ask")),
        ("CONSTRUCT WHERE { ?s ?p ?o }", QueryShape("graph")),
        ("# DESCRIBE\nDESCRIBE rb:wan-long", QueryShape("graph")),
        # well-formed, though Oxigraph implements no such function: running it is what fails
        ("SELECT ?x { BIND(<urn:x:f>(1) AS ?x) }", QueryShape("select")),
        ("CONSTRUCT { ?s ?p ?x } WHERE { ?s ?p ?o BIND(<urn:x:f>(?o) AS ?x) }",
         QueryShape("graph")),
    ],
)
def test_parsing_a_query_tells_its_form_and_columns_without_data(
    text: str, shape: QueryShape
) -> None:
    assert parse_sparql(text) == shape


def test_a_parameter_that_is_not_a_result_column_is_a_usage_error_on_both_engines(
    tmp_path: Path, tiny_store: Store
) -> None:
    path = tmp_path / "hidden.rq"
    path.write_text(
        "#+ param: person | IRI | - | who\nSELECT ?age WHERE { ?person rbo:age ?age }\n",
        encoding="utf-8",
    )
    query = read_query(path)
    with pytest.raises(UsageError, match=r"parameter \?person is not a result column"):
        run_query(tiny_store, query)
    with pytest.raises(UsageError, match="result column"):
        run_query(tiny_store, query, {"person": "rb:wan-long"})


def _qc(tmp_path: Path, name: str, body: str) -> StoredQuery:
    path = tmp_path / f"{name}-violation.rq"
    path.write_text(f"#+ title: {name}\n{body}\n", encoding="utf-8")
    return read_query(path)


def test_qc_queries_fail_on_any_row_or_a_true_ask(tmp_path: Path, tiny_store: Store) -> None:
    queries = [
        _qc(tmp_path, "aged", "SELECT ?person ?age WHERE { ?person rbo:age ?age }"),
        _qc(tmp_path, "none", "SELECT ?x WHERE { ?x rbo:age 1000 }"),
        _qc(tmp_path, "asked", "ASK { ?person rbo:age 25 }"),
        _qc(tmp_path, "unasked", "ASK { ?person rbo:age 1000 }"),
    ]
    passed, total, problems = run_qc_queries(tiny_store, queries)
    assert (passed, total) == (2, 4)
    assert problems == [
        "aged-violation (aged): 1 violation(s)",
        '    ?person=rb:wan-long ?age="25"^^xsd:integer',
        "asked-violation (asked): violated (its ASK answered true)",
    ]


def test_a_qc_query_that_is_neither_select_nor_ask_is_refused_before_any_runs(
    tmp_path: Path,
) -> None:
    class NeverQueried:
        def query(self, *args: object) -> QueryResult:
            raise AssertionError("no QC query may run")

    queries = [
        _qc(tmp_path, "fine", "SELECT ?x WHERE { ?x ?p ?o }"),
        _qc(tmp_path, "graph", "CONSTRUCT WHERE { ?s ?p ?o }"),
    ]
    with pytest.raises(UsageError, match="graph-violation.rq: a QC query must be a SELECT"):
        run_qc_queries(NeverQueried(), queries)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "ordered"),
    [
        ("SELECT * { ?s ?p ?o } ORDER BY ?s", True),
        ("select * { ?s ?p ?o }\norder  by desc(?s) limit 3", True),
        ("SELECT * { { SELECT ?s { ?s ?p ?o } ORDER BY ?s LIMIT 1 } }", False),
        ("# ORDER BY ?s\nSELECT * { ?s ?p 'ORDER BY' }", False),
        ("SELECT * { ?s <urn:x:order#by> ?o }", False),
    ],
)
def test_top_level_order_by_is_found_outside_braces_comments_and_strings(
    text: str, ordered: bool
) -> None:
    assert has_top_level_order_by(text) is ordered


def _rows(*values: object) -> QueryResult:
    return QueryResult.select(["x"], [{"x": v} for v in values])  # type: ignore[misc]


def test_unordered_comparison_ignores_order_but_counts_duplicates() -> None:
    a, b = URIRef("urn:x:a"), URIRef("urn:x:b")
    assert compare_results(_rows(a, b), _rows(b, a)) == []
    assert compare_results(_rows(a, a, b), _rows(a, b)) == ["unexpected row: ?x=<urn:x:a>"]
    assert compare_results(_rows(b), _rows(a, b)) == ["missing row: ?x=<urn:x:a>"]


def test_ordered_comparison_reports_the_position() -> None:
    a, b = URIRef("urn:x:a"), URIRef("urn:x:b")
    differences = compare_results(_rows(b, a), _rows(a, b), ordered=True)
    assert differences == [
        "row 1: expected ?x=<urn:x:a>, got ?x=<urn:x:b>",
        "row 2: expected ?x=<urn:x:b>, got ?x=<urn:x:a>",
    ]


def test_integer_and_decimal_of_the_same_value_differ_clearly() -> None:
    got = _rows(Literal("3700.0", datatype=XSD.decimal))
    want = _rows(Literal("3700", datatype=XSD.integer))
    (difference,) = compare_results(got, want)
    assert "same values, different datatypes" in difference
    assert '?x: expected "3700"^^xsd:integer, got "3700.0"^^xsd:decimal' in difference


def test_literals_compare_after_normalisation_and_numbers_by_value() -> None:
    assert compare_results(_rows(Literal("x", datatype=XSD.string)), _rows(Literal("x"))) == []
    assert compare_results(_rows(Literal("1.50", datatype=XSD.decimal)),
                           _rows(Literal("1.5", datatype=XSD.decimal))) == []
    assert compare_results(_rows(Literal("x", lang="en")), _rows(Literal("x"))) != []
    assert compare_results(_rows(BNode("a")), _rows(BNode("b"))) == []


def test_columns_and_kinds_are_compared() -> None:
    other = QueryResult.select(["y"], [])
    assert compare_results(_rows(), other)[0] == "columns differ: expected ?y, got ?x"
    assert compare_results(QueryResult.ask(True), QueryResult.ask(False)) == [
        "expected False, got True"
    ]
    assert "expected a ask result" in compare_results(_rows(), QueryResult.ask(True))[0]


def test_stored_queries_of_the_tiny_project_match_their_expected_results(
    tiny_project: Project, tiny_store: Store
) -> None:
    for query in list_queries(tiny_project):
        expected = read_expected(query.expected_path)
        actual = run_query(tiny_store, query)
        assert compare_results(actual, expected, ordered=query.ordered) == [], query.name


def test_json_is_canonical_and_write_expected_writes_the_same_bytes(
    tiny_project: Project, tmp_path: Path
) -> None:
    store = OxigraphStore()
    store.replace_all(load_quads(tiny_project))
    result = run_query(store, get_query(tiny_project, "people"))
    text = to_json(result)
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    write_expected(result, tmp_path / "people.srj")
    assert (tmp_path / "people.srj").read_text(encoding="utf-8") == text
    assert text == (tiny_project.queries_dir / "people.srj").read_text(encoding="utf-8")
    assert compare_results(parse_json_result(text), result, ordered=True) == []


TABLE = QueryResult.select(
    ["who", "age", "note"],
    [
        {"who": WAN, "age": Literal(25), "note": Literal('says "hi",\tthen\nleaves', lang="en")},
        {"who": URIRef("urn:x:b")},
    ],
)


def test_csv_holds_plain_values() -> None:
    rows = list(csv.reader(io.StringIO(render(TABLE, "csv"), newline="")))
    assert rows == [
        ["who", "age", "note"],
        [str(WAN), "25", 'says "hi",\tthen\nleaves'],
        ["urn:x:b", "", ""],
    ]


def test_tsv_holds_terms_in_ntriples_syntax() -> None:
    lines = render(TABLE, "tsv").splitlines()
    assert lines[0] == "?who\t?age\t?note"
    assert lines[1] == (
        f'<{WAN}>\t"25"^^<http://www.w3.org/2001/XMLSchema#integer>\t'
        '"says \\"hi\\",\\tthen\\nleaves"@en'
    )
    assert lines[2] == "<urn:x:b>\t\t"


def test_xml_is_sparql_results_xml() -> None:
    ns = {"r": "http://www.w3.org/2005/sparql-results#"}
    root = ET.fromstring(render(TABLE, "xml"))
    assert [v.get("name") for v in root.findall("r:head/r:variable", ns)] == ["who", "age", "note"]
    results = root.findall("r:results/r:result", ns)
    assert len(results) == 2
    age = results[0].find("r:binding[@name='age']/r:literal", ns)
    assert age is not None and age.text == "25" and age.get("datatype") == str(XSD.integer)
    assert results[1].find("r:binding[@name='age']", ns) is None


def test_ask_results_in_every_format() -> None:
    yes = QueryResult.ask(True)
    assert json.loads(render(yes, "json")) == {"head": {}, "boolean": True}
    assert render(yes, "tsv") == "true\n"
    assert "<boolean>true</boolean>" in render(yes, "xml")
    assert render(yes, "table").strip() == "yes"


def test_every_result_format_has_a_media_type_and_help() -> None:
    assert set(RESULT_FORMATS) == {"table", "csv", "tsv", "json", "xml"}
    assert all(f.media_type and f.help for f in RESULT_FORMATS.values())


def test_every_real_stored_query_has_a_title_and_a_description() -> None:
    project = Project(Path(__file__).resolve().parent.parent)
    for query in list_queries(project) + list_qc_queries(project):
        assert query.title, f"{query.path} has no '#+ title:' line"
        assert query.description, f"{query.path} has no '#+ description:' line"


def test_parsing_an_ask_keeps_its_grammar_and_error_positions() -> None:
    with pytest.raises(QuerySyntaxError) as raised:
        parse_sparql("ASK\n{ ?s ?p ?o . FILTER(?s = ) }")
    assert (raised.value.line, raised.value.column) == (2, 29)
    with pytest.raises(QuerySyntaxError) as raised:
        parse_sparql("ASK { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } FILTER(?s = ) }")
    assert (raised.value.line, raised.value.column) == (1, 71)  # as Oxigraph says
    with pytest.raises(QuerySyntaxError):
        parse_sparql("ASK ?x { ?x ?p ?o }")  # a projection is no part of an ASK
