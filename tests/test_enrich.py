"""Wikidata enrichment: fetched facts in their own graph, with provenance, and the sample."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import BNode, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from wikidata_server import (
    FIXTURE,
    ROOT,
    FaultyServer,
    Reply,
    make_project,
    tree_bytes,
)

from rustbelt_kg import enrich, namespaces
from rustbelt_kg.cli import cli
from rustbelt_kg.project import Project
from rustbelt_kg.wikidata import WikidataClient

SAMPLE = ROOT / "data" / "enrichment" / "wikidata-sample.trig"
WD, WDT = Namespace(namespaces.WD), Namespace(namespaces.WDT)
PROV = Namespace("http://www.w3.org/ns/prov#")
RDFS = Namespace("http://www.w3.org/2000/01/rdf-schema#")
GEO_WKT = URIRef("http://www.opengis.net/ont/geosparql#wktLiteral")
GRAPH = URIRef(namespaces.ENRICHMENT_GRAPH)
ACTIVITY = URIRef(enrich.ACTIVITY)


@pytest.fixture
def fast_clients(monkeypatch: pytest.MonkeyPatch) -> None:
    import rustbelt_kg.cli.wikidata as commands

    monkeypatch.setattr(commands, "_client", lambda endpoint, timeout: WikidataClient(
        endpoint, timeout=10, retries=0, min_interval=0.0))


def enrichment_graph(path: Path) -> Graph:
    """The rbg:enrichment/wikidata graph of a snapshot; fails if the file has any other."""
    dataset = Dataset()
    dataset.parse(path, format="trig")
    names = {g.identifier for g in dataset.graphs() if len(g)}
    assert names == {GRAPH}, names
    graph = Graph()
    for triple in dataset.graph(GRAPH):
        graph.add(triple)
    return graph


def run_enrich(project: Path, endpoint: str, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--project", str(project), "enrich", "--endpoint", endpoint,
                                      *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_shipped_sample_is_what_the_fixture_gives(
    tmp_path: Path, wikidata_endpoint: str, fast_clients: None
) -> None:
    stamp = re.search(r'prov:endedAtTime "([^"]+)"', SAMPLE.read_text(encoding="utf-8"))
    assert stamp is not None
    again = tmp_path / "again.trig"
    run_enrich(ROOT, wikidata_endpoint, "--sample", "--retrieved-at", stamp.group(1),
               "-o", str(again))
    assert isomorphic(enrichment_graph(again), enrichment_graph(SAMPLE))
    assert again.read_bytes() == SAMPLE.read_bytes()


def test_sample_says_it_was_built_from_the_fixture_not_retrieved() -> None:
    graph = enrichment_graph(SAMPLE)
    assert (ACTIVITY, RDFS.comment, Literal(enrich.SAMPLE_NOTE, lang="en")) in graph
    assert "NOT live Wikidata" in SAMPLE.read_text(encoding="utf-8").splitlines()[0]
    sources = {str(o) for o in graph.objects(GRAPH, URIRef("http://purl.org/dc/terms/source"))}
    assert any("Natural Earth v4.0.0" in s for s in sources)
    assert any("Britannica" in s for s in sources) and any("Wikipedia" in s for s in sources)
    assert not [o for o in graph.objects(ACTIVITY, PROV.used) if "query.wikidata.org" in str(o)]


def test_sample_holds_only_fixture_facts_and_no_decoy() -> None:
    fixture = Graph().parse(FIXTURE, format="turtle")
    facts = [(s, p, o) for s, p, o in enrichment_graph(SAMPLE) if str(s).startswith(str(WD))]
    assert len(facts) > 40
    assert [t for t in facts if t not in fixture] == []
    named = {str(term) for t in facts for term in t}
    assert not [n for n in named if n.endswith("Q92277") or "Q999000" in n]


def test_coordinates_are_wkt_points_in_longitude_latitude_order() -> None:
    graph = enrichment_graph(SAMPLE)
    assert graph.value(WD.Q42956, WDT.P625) == Literal("Point(126.65 45.75)", datatype=GEO_WKT)
    assert graph.value(WD.Q11720, WDT.P625) == Literal("Point(123.45 41.805)", datatype=GEO_WKT)


def test_harbin_arrives_one_hop_from_the_university(
    tmp_path: Path, wikidata_endpoint: str, fast_clients: None
) -> None:
    project = make_project(tmp_path / "p", keep=("harbin-institute-of-technology",))
    out = tmp_path / "enrichment.trig"
    run_enrich(project, wikidata_endpoint, "-o", str(out))
    graph = enrichment_graph(out)
    assert (WD.Q632558, WDT.P131, WD.Q42956) in graph
    assert (WD.Q42956, WDT.P625, Literal("Point(126.65 45.75)", datatype=GEO_WKT)) in graph
    assert (WD.Q42956, WDT.P131, WD.Q19206) in graph
    # one hop only: Heilongjiang, two hops away, is named and labelled but not described
    assert (WD.Q19206, RDFS.label, Literal("Heilongjiang", lang="en")) in graph
    assert graph.value(WD.Q19206, WDT.P1082) is None


def test_provenance_names_endpoint_queries_and_time(
    tmp_path: Path, wikidata_endpoint: str, fast_clients: None
) -> None:
    project = make_project(tmp_path / "p", keep=("jilin", "changchun"))
    out = tmp_path / "enrichment.trig"
    run_enrich(project, wikidata_endpoint, "--retrieved-at", "2026-01-02T03:04:05Z", "-o", str(out))
    graph = enrichment_graph(out)
    assert not [t for t in graph if any(isinstance(term, BNode) for term in t)]
    assert (GRAPH, PROV.wasGeneratedBy, ACTIVITY) in graph
    assert (ACTIVITY, PROV.used, URIRef(wikidata_endpoint)) in graph
    assert 'prov:endedAtTime "2026-01-02T03:04:05Z"^^xsd:dateTime' in out.read_text("utf-8")
    assert 'prov:startedAtTime "2026-01-02T03:04:05Z"^^xsd:dateTime' in out.read_text("utf-8")
    queries = [q for q in graph.objects(ACTIVITY, PROV.used) if "#query-" in str(q)]
    texts = [str(graph.value(q, PROV.value)) for q in sorted(queries)]
    assert len(texts) == 2  # the statements, then the labels of the classes and country named
    assert "VALUES ?item { wd:Q45208 wd:Q92161 }" in texts[0]
    assert (WD.Q45208, WDT.P36, WD.Q92161) in graph
    assert (WD.Q45208, WDT.P1082, Literal(
        "27462297", datatype=URIRef("http://www.w3.org/2001/XMLSchema#decimal"))) in graph
    assert (WD.Q1615742, RDFS.label, Literal("province of China", lang="en")) in graph


def test_enrich_asks_for_the_items_linked_from_article_entities_only() -> None:
    items = enrich.linked_items(Project(ROOT))
    assert [i[len(str(WD)):] for i in items] == sorted([
        "Q148", "Q19206", "Q45208", "Q43934", "Q11720", "Q92161", "Q142", "Q632558",
        "Q1919436", "Q190117"])


def test_snapshot_that_cannot_be_written_exits_5_and_writes_nothing(
    tmp_path: Path, wikidata_endpoint: str, fast_clients: None
) -> None:
    project = make_project(tmp_path / "p", keep=("jilin",))
    before = tree_bytes(project)
    result = CliRunner().invoke(cli, ["--project", str(project), "enrich", "--endpoint",
                                      wikidata_endpoint, "-o", "/dev/null/x.trig"])
    assert result.exit_code == 5, result.output
    assert "cannot write /dev/null/x.trig" in result.output
    assert tree_bytes(project) == before


def test_snapshots_go_to_the_enrichment_sources_folder() -> None:
    project = Project(ROOT)
    assert enrich.snapshot_path(project, sample=True) == SAMPLE
    assert SAMPLE in project.files("enrichment")
    assert enrich.snapshot_path(project, sample=False).parent == SAMPLE.parent


def test_enrich_reports_each_wait_on_stderr_as_it_happens(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", keep=("jilin",))
    out = tmp_path / "snapshot.trig"
    script = {0: Reply(429, b"", {"Retry-After": "1"})}
    with FaultyServer(lambda n: script.get(n, Reply())) as server:
        result = CliRunner().invoke(cli, ["--project", str(project), "enrich", "--endpoint",
                                          server.url, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[0] == (
        f"{server.url}: HTTP 429 Too Many Requests; waiting 2 s (Retry-After: 1 s) "
        "before try 2 of 4"
    )
    assert server.hits == 2 and out.is_file()
