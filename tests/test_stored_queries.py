"""Stored queries (``queries/NAME.rq``): headers, parameters, and the expected answers.

Every stored query runs on both engines (embedded Oxigraph and rdflib in memory) over the
union default graph, and must give exactly the answer in ``queries/NAME.srj`` - one
expected file per query, the same for both engines. Those files were checked by hand
against the article; regenerate one only after checking its new answer the same way.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph
import pytest
from rdflib import Literal, URIRef
from rdflib.plugins.sparql import prepareQuery

from rustbelt_kg import namespaces
from rustbelt_kg.errors import UsageError
from rustbelt_kg.export import Quad
from rustbelt_kg.project import Project
from rustbelt_kg.query import (
    StoredQuery,
    check_expected,
    get_query,
    list_queries,
    read_query,
    run_query,
)
from rustbelt_kg.results import parse_json_result, to_json
from rustbelt_kg.store import MemoryStore, OxigraphStore, Store

REPO_ROOT = Path(__file__).resolve().parent.parent
PROJECT = Project(REPO_ROOT)
ENGINES = ["oxigraph", "memory"]
QUERIES = {q.name: q for q in list_queries(PROJECT)}
RB = namespaces.RB
RBO = namespaces.RBO

#: Questions a reader of the article asks that must have a stored query.
REQUIRED = [
    "funding-by-province",
    "parks",
    "founders",
    "province-policies",
    "customers",
    "entity-facts",
    "quantities",
    "currency-conversions",
    "timeline",
    "who-said-what",
]


@pytest.fixture(scope="module")
def project_quads(built_project: Any) -> list[Quad]:
    """Every quad of the checkout (parsed once per session, in conftest)."""
    return built_project.quads


@pytest.fixture(scope="module", params=ENGINES)
def store(request: pytest.FixtureRequest, project_quads: list[Quad]) -> Iterator[Store]:
    """The project's data in one engine; tests must not change it."""
    engine: Store = OxigraphStore() if request.param == "oxigraph" else MemoryStore()
    engine.replace_all(project_quads)
    yield engine
    engine.close()


def _projection(query: StoredQuery) -> list[str]:
    return [str(v) for v in prepareQuery(query.text).algebra["PV"]]


# -- the files ----------------------------------------------------------------------------


def test_there_are_at_least_twenty_competency_questions() -> None:
    assert len(QUERIES) >= 20
    missing = [name for name in REQUIRED if name not in QUERIES]
    assert missing == []


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_query_has_a_title_a_description_and_documented_parameters(name: str) -> None:
    query = QUERIES[name]
    assert query.title, f"{name}: no '#+ title:' line"
    assert len(query.description) >= 60, f"{name}: the description must say what is answered"
    for param in query.params:
        assert param.help, f"{name}: parameter {param.name} has no help text"
        assert param.kind == "IRI" or param.kind.startswith("xsd:"), param.kind
        if param.default is not None:
            param.value(param.default)  # a default must be a valid value of its kind


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_parameters_are_result_columns_bound_by_the_engine(name: str) -> None:
    """Oxigraph substitutes only projected variables; the text never holds a placeholder."""
    query = QUERIES[name]
    columns = _projection(query)
    for param in query.params:
        assert param.name in columns, f"{name}: ?{param.name} must be a result column"
        assert "{" + param.name + "}" not in query.text and "$" + param.name not in query.text


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_query_declares_its_prefixes_and_orders_its_rows(name: str) -> None:
    query = QUERIES[name]
    pyoxigraph.Store().query(query.text)  # no engine-supplied prefixes: SyntaxError if missing
    assert query.ordered, f"{name}: needs a top-level ORDER BY so its rows are stable"


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_expected_result_is_canonical_sparql_json_with_the_query_columns(name: str) -> None:
    query = QUERIES[name]
    text = query.expected_path.read_text(encoding="utf-8")
    expected = parse_json_result(text)
    assert to_json(expected) == text, f"{query.expected_path.name} is not in canonical layout"
    assert expected.vars == _projection(query)


# -- the answers --------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_stored_query_gives_its_expected_result(name: str, store: Store) -> None:
    assert check_expected(store, QUERIES[name]) == []


def test_entity_facts_describes_the_entity_bound_through_the_engine(store: Store) -> None:
    query = get_query(PROJECT, "entity-facts")
    rows = run_query(store, query, {"entity": "rb:ke-dongyue"}).rows
    ke, wan = URIRef(RB + "ke-dongyue"), URIRef(RB + "wan-long")
    assert rows and all(row["entity"] == ke for row in rows)
    facts = {(row["property"], row["value"]) for row in rows}
    assert (URIRef(RBO + "age"), Literal(28)) in facts
    assert (URIRef(RBO + "formerOccupation"), URIRef(RB + "pediatrician")) in facts
    assert all(wan not in row.values() for row in rows)


@pytest.mark.parametrize(
    "value", ["rb:x> } ; DROP ALL #", "rb:x> } UNION { ?entity ?p ?o } #", "<rb:x> ?p ?o } #>"]
)
def test_an_iri_parameter_that_would_break_out_of_the_iri_is_refused(
    value: str, store: Store
) -> None:
    with pytest.raises(UsageError, match="is not an IRI"):
        run_query(store, get_query(PROJECT, "entity-facts"), {"entity": value})


@pytest.mark.parametrize(
    "value", ['x" } ; DROP ALL ; SELECT * { "', '" } UNION { ?quantity ?p ?statedAs } #']
)
def test_a_literal_parameter_reaches_the_engine_as_one_value_never_as_text(
    value: str, store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "stated-as.rq"
    path.write_text(
        "#+ param: statedAs | xsd:string | - | the words of the article\n"
        "SELECT ?quantity ?statedAs WHERE { ?quantity rbo:statedAs ?statedAs }\n",
        encoding="utf-8",
    )
    query = read_query(path)
    size = len(store)
    words = run_query(store, query, {"statedAs": "around 150 million yuan"}).rows
    assert [row["quantity"] for row in words] == [
        URIRef(RB + "shenyang-makers-space-investment-cny")
    ]
    assert run_query(store, query, {"statedAs": value}).rows == []
    assert len(store) == size
    assert check_expected(store, get_query(PROJECT, "entity-facts")) == []


def test_unbound_optional_parameter_lists_every_province(store: Store) -> None:
    query = get_query(PROJECT, "funding-by-province")
    everywhere = run_query(store, query).rows
    assert {row["province"] for row in everywhere} == {
        URIRef(RB + "heilongjiang"), URIRef(RB + "liaoning")
    }
    liaoning = run_query(store, query, {"province": "rb:liaoning"}).rows
    assert [row["statedAs"] for row in liaoning] == [Literal("around 150 million yuan")]
    assert run_query(store, query, {"province": "rb:jilin"}).rows == []


def test_qualifier_parameter_picks_the_approximate_figures(store: Store) -> None:
    query = get_query(PROJECT, "quantities")
    nearly = run_query(store, query, {"qualifier": "rbo:Nearly"}).rows
    assert [row["statedAs"] for row in nearly] == [Literal("Nearly 40 new startups")]
    more = run_query(store, query, {"qualifier": "rbo:MoreThan"}).rows
    assert sorted(str(row["statedAs"]) for row in more) == [
        "more than 10,000 square meters", "more than 100 veteran doctors",
        "surpassing 30 million yuan",
    ]


def test_status_parameter_gives_the_facts_the_article_states_in_its_own_voice(
    store: Store,
) -> None:
    query = get_query(PROJECT, "facts-by-status")
    everything = run_query(store, query).rows
    own_voice = run_query(store, query, {"status": "rbo:StatedByArticle"}).rows
    assert own_voice and len(own_voice) < len(everything)
    assert {row["status"] for row in own_voice} == {URIRef(RBO + "StatedByArticle")}
    claims = {str(row["claim"]).rsplit("/", 1)[1] for row in own_voice}
    assert "hit-incubator-park-area" in claims
    assert claims.isdisjoint({"ke-dongyue-investor", "cny-usd-conversion", "northeast-boom",
                              "wan-long-achievements", "heilongjiang-not-alone"})
    investor = (URIRef(RB + "shenyang-makers-space-investment"), URIRef(RBO + "investor"),
                URIRef(RB + "ke-dongyue"))
    assert investor not in {(r["subject"], r["property"], r["value"]) for r in own_voice}


def test_not_plainly_stated_lists_every_other_fact_with_its_status_and_note(
    store: Store,
) -> None:
    rows = run_query(store, get_query(PROJECT, "not-plainly-stated")).rows
    statuses = {str(row["status"]).rsplit("#", 1)[1] for row in rows}
    assert statuses == {"AttributedToSpeaker", "Hedged", "AmbiguousReading",
                        "EditorialInference"}
    attributed = URIRef(RBO + "AttributedToSpeaker")
    assert all("note" in row for row in rows if row["status"] != attributed)
    inferred = [row for row in rows if row["status"] == URIRef(RBO + "EditorialInference")]
    assert inferred and all("justification" in row for row in inferred)
    facts = {(row["subject"], row["property"], row["value"]) for row in rows}
    assert (URIRef(RB + "shenyang-makers-space-investment"), URIRef(RBO + "investor"),
            URIRef(RB + "ke-dongyue")) in facts
    assert (URIRef(RB + "hit-incubator-park"), URIRef(RBO + "locatedIn"),
            URIRef(RB + "heilongjiang")) in facts
    # a fact some claim states in the article's own voice is not listed, whatever else says it
    china = URIRef(RB + "china")
    assert all(row["subject"] != china for row in rows)


def test_claims_in_article_order_lists_one_source_at_a_time(echo_project: Project) -> None:
    from rustbelt_kg.anchoring import anchor_project
    from rustbelt_kg.load import load_quads

    anchor_project(echo_project)
    store = OxigraphStore()
    store.replace_all(load_quads(echo_project))
    query = get_query(echo_project, "claims-in-article-order")
    article = run_query(store, query).rows
    echo = run_query(store, query, {"source": "rb:text/evening-echo"}).rows
    assert len(article) == 59
    assert {str(r["source"]) for r in article} == {RB + "article-text"}
    assert [(str(r["claim"]).removeprefix(namespaces.CLAIM), int(r["start"])) for r in echo] == [
        ("echo-headline", 0), ("echo-park-startups", 144)]
