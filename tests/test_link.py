"""Curated Wikidata links, their QC queries, and reconciliation against a local server."""

from __future__ import annotations

import csv
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from rdflib import BNode, Graph, Literal
from rdflib.compare import isomorphic
from wikidata_server import (
    EXPECTED_ITEMS,
    ROOT,
    FaultyServer,
    Reply,
    make_project,
    tree_bytes,
)

from rustbelt_kg import link, namespaces, reconcile, sssom
from rustbelt_kg.cli import cli
from rustbelt_kg.errors import (
    CheckFailed,
    OutputError,
    QuerySyntaxError,
    RustbeltError,
    SyntaxProblem,
    UsageError,
)
from rustbelt_kg.project import Project
from rustbelt_kg.wikidata import WikidataClient

RB, WD = namespaces.RB, namespaces.WD
LINKS_TSV = ROOT / "data" / "links" / "wikidata.sssom.tsv"
LINKS_TTL = ROOT / "data" / "links" / "wikidata.ttl"
#: CI clones the project beside a read-only copy of shared/: <clone>/../shared.
VERIFIED_IDS = ROOT.parent / "shared" / "wikidata" / "verified-ids.tsv"
QC_DIR = ROOT / "queries" / "qc"
INVALID_DIR = Path(__file__).parent / "fixtures" / "wikidata" / "qc"
DECOY = ("Q92277", "Q999000")


def verified_ids() -> dict[str, str]:
    """Identifier -> status (verified, likely) from ../shared/wikidata/verified-ids.tsv."""
    if not VERIFIED_IDS.is_file():
        pytest.fail(
            f"{VERIFIED_IDS} is missing. Links may only use verified Wikidata identifiers, and "
            "the list of them is expected at <clone>/../shared/wikidata/verified-ids.tsv, "
            "outside this checkout, as CI has it (.ci/run): put the shared/ folder beside the "
            "clone to run this test."
        )
    with VERIFIED_IDS.open(encoding="utf-8") as rows:
        return {row["wikidata_id"]: row["status"] for row in csv.DictReader(rows, delimiter="\t")}


def fast_client(endpoint: str) -> WikidataClient:
    return WikidataClient(endpoint, timeout=10, retries=0, min_interval=0.0)


@pytest.fixture
def fast_clients(monkeypatch: pytest.MonkeyPatch) -> None:
    import rustbelt_kg.cli.wikidata as commands

    monkeypatch.setattr(commands, "_client", lambda endpoint, timeout: fast_client(endpoint))


# -- the curated links -------------------------------------------------------------------------


def test_curated_tsv_and_turtle_say_exactly_the_same() -> None:
    from_tsv = Graph()
    for s, p, o, _ in sssom.to_quads(sssom.read_tsv(LINKS_TSV)):
        from_tsv.add((s, p, o))
    from_ttl = Graph().parse(LINKS_TTL, format="turtle")
    assert len(from_ttl) > 0
    assert isomorphic(from_tsv, from_ttl)
    assert LINKS_TTL.read_text(encoding="utf-8") == link.links_ttl(sssom.read_tsv(LINKS_TSV))


def test_every_linked_item_is_a_verified_identifier() -> None:
    known = verified_ids()
    mset = sssom.read_tsv(LINKS_TSV)
    assert mset.mappings
    for m in mset.mappings:
        assert m.object_id.startswith(WD)
        assert m.object_id[len(WD):] in known, m


def test_likely_identifiers_carry_lower_confidence_and_a_review_flag() -> None:
    known = verified_ids()
    for m in sssom.read_tsv(LINKS_TSV).mappings:
        status = known[m.object_id[len(WD):]]
        assert m.comment is not None and m.comment.startswith(status), m
        assert m.confidence == (0.7 if status == "likely" else 0.95), m
    hit = [m for m in sssom.read_tsv(LINKS_TSV).mappings
           if m.subject_id == RB + "harbin-institute-of-technology"]
    assert [m.confidence for m in hit] == [0.7]


def test_every_link_has_a_record_with_an_iri_and_no_blank_nodes() -> None:
    graph = Graph().parse(LINKS_TTL, format="turtle")
    assert not [t for t in graph if any(isinstance(term, BNode) for term in t)]
    for m in sssom.read_tsv(LINKS_TSV).mappings:
        assert m.record_id == link.record_id(m.subject_id)
        assert m.record_id.startswith(namespaces.LINKS_GRAPH + "#")


def test_curated_entities_are_the_article_entities_with_their_labels() -> None:
    project = Project(ROOT)
    entities = {e.iri: e for e in link.project_entities(project)}
    linked = [m for m in sssom.read_tsv(LINKS_TSV).mappings if m.subject_id.startswith(RB)]
    assert len(linked) == 10
    for m in linked:
        assert m.subject_id in entities, f"{m.subject_id} is not a typed entity of the article"
        assert Literal(m.subject_label, lang="en") in entities[m.subject_id].labels


def test_wikidata_qc_queries_pass_on_the_project() -> None:
    assert link.qc_violations(Project(ROOT)) == []


def add_qc_query(project: Project, name: str, text: str) -> None:
    (project.qc_dir / f"{name}.rq").write_text(f"#+ title: {name}\n{text}\n", encoding="utf-8")


def test_wikidata_qc_runs_ask_queries_and_only_the_wikidata_ones(tmp_path: Path) -> None:
    project = Project(make_project(tmp_path))
    assert link.qc_violations(project) == []
    add_qc_query(project, "wikidata-any-link-violation",
                 "ASK { ?s <http://www.w3.org/2004/02/skos/core#exactMatch> ?o }")
    add_qc_query(project, "other-violation", "SELECT ?s WHERE { ?s ?p ?o }")
    problems = link.qc_violations(project)
    assert problems == ["wikidata-any-link-violation (wikidata-any-link-violation): "
                        "violated (its ASK answered true)"]


def test_wikidata_qc_query_that_is_a_construct_is_refused(tmp_path: Path) -> None:
    project = Project(make_project(tmp_path))
    add_qc_query(project, "wikidata-graph-violation", "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
    with pytest.raises(UsageError, match="not a CONSTRUCT"):
        link.qc_violations(project)


def test_wikidata_qc_syntax_error_names_the_query_file(tmp_path: Path) -> None:
    project = Project(make_project(tmp_path))
    add_qc_query(project, "wikidata-broken-violation", 'SELECT ?s WHERE { ?s ?p "open }')
    with pytest.raises(QuerySyntaxError) as caught:
        link.qc_violations(project)
    assert caught.value.path is not None
    assert caught.value.path.endswith("wikidata-broken-violation.rq")


QC_QUERIES = sorted(QC_DIR.glob("wikidata-*-violation.rq"))


@pytest.mark.parametrize("query", QC_QUERIES, ids=lambda p: p.stem)
def test_each_invalid_example_fires_its_qc_query(query: Path) -> None:
    example = INVALID_DIR / query.name.replace("-violation.rq", "-invalid.trig")
    assert example.is_file(), f"{query.name} has no invalid example"
    assert query.read_text(encoding="utf-8").startswith("#+ title: ")
    store = ox.Store()
    store.load(path=str(example), format=ox.RdfFormat.TRIG)
    rows = list(store.query(query.read_text(encoding="utf-8"), use_default_graph_as_union=True))
    assert rows, f"{example.name} does not fire {query.name}"


def test_there_are_five_wikidata_qc_queries() -> None:
    assert [q.stem for q in QC_QUERIES] == [
        "wikidata-id-format-violation", "wikidata-jilin-city-violation",
        "wikidata-mapping-record-violation", "wikidata-one-item-per-entity-violation",
        "wikidata-shared-item-violation",
    ]


# -- todo ------------------------------------------------------------------------------------


def test_todo_lists_typed_entities_without_a_link(tmp_path: Path) -> None:
    project = Project(make_project(tmp_path, keep=tuple(EXPECTED_ITEMS)))
    assert [e.iri[len(RB):] for e in link.todo(project)] == [
        "hit-incubator-park", "northeast-china", "wan-long",
    ]


def test_todo_on_the_article_lists_the_entities_without_an_item() -> None:
    missing = {e.iri[len(RB):] for e in link.todo(Project(ROOT))}
    assert {"northeast-china", "schneider-electric", "china-daily", "harbin-world-wide-welding",
            "sanhao-street", "hit-incubator-park", "shenyang-makers-space", "wan-long",
            "ke-dongyue", "fan-feifei", "zhou-huiying", "liu-ce", "liu-mingtai"} <= missing
    assert not missing & set(EXPECTED_ITEMS)


def test_todo_command_prints_one_entity_per_line(tmp_path: Path) -> None:
    project = make_project(tmp_path, keep=tuple(EXPECTED_ITEMS))
    result = CliRunner().invoke(cli, ["--project", str(project), "link", "--todo"])
    assert result.exit_code == 0, result.output
    assert "rb:wan-long\tWan Long\tPerson" in result.stdout
    assert "3 linkable entities without a Wikidata link" in result.output


# -- reconciliation ---------------------------------------------------------------------------


def reconcile_mini(tmp_path: Path, endpoint: str) -> list[reconcile.Candidate]:
    project = Project(make_project(tmp_path))
    return reconcile.reconcile(link.project_entities(project),
                               link.class_links(link.read_links(project)), fast_client(endpoint))


def test_reconciliation_finds_the_verified_item_and_no_decoy(
    tmp_path: Path, wikidata_endpoint: str
) -> None:
    candidates = reconcile_mini(tmp_path, wikidata_endpoint)
    best: dict[str, str] = {}
    for c in candidates:
        best.setdefault(c.entity.iri[len(RB):], c.item[len(WD):])
    assert best == EXPECTED_ITEMS
    assert not [c.item for c in candidates if c.item[len(WD):].startswith(DECOY)]


def test_filters_are_what_drop_the_decoys(tmp_path: Path, wikidata_endpoint: str) -> None:
    project = Project(make_project(tmp_path))
    entities = {e.iri[len(RB):]: e for e in link.project_entities(project)}
    client = fast_client(wikidata_endpoint)
    unfiltered = {
        name: {str(r["item"])[len(WD):] for r in client.select(
            reconcile.candidate_query(entities[name], [], None))[1]}
        for name in ("jilin", "liaoning", "shenyang", "changchun", "heilongjiang", "china")
    }
    assert unfiltered["jilin"] == {"Q45208", "Q92277"}
    assert unfiltered["liaoning"] == {"Q43934", "Q999000001"}
    assert unfiltered["shenyang"] == {"Q11720", "Q999000002"}
    assert unfiltered["changchun"] == {"Q92161", "Q999000003"}
    assert unfiltered["heilongjiang"] == {"Q19206", "Q999000004"}
    assert unfiltered["china"] == {"Q148", "Q999000005"}


def test_chinese_labels_find_items_too(tmp_path: Path, wikidata_endpoint: str) -> None:
    entity = link.LocalEntity(RB + "jilin", (namespaces.RBO + "Province",),
                              (Literal("吉林省", lang="zh"),))
    found = reconcile.reconcile([entity], {namespaces.RBO + "Province": WD + "Q1615742"},
                                fast_client(wikidata_endpoint))
    assert [(c.item[len(WD):], c.match_string, c.score) for c in found] == [
        ("Q45208", "吉林省", 1.0)]


def test_scores_come_from_visible_features(tmp_path: Path, wikidata_endpoint: str) -> None:
    by_entity = {c.entity.iri[len(RB):]: c for c in reconcile_mini(tmp_path, wikidata_endpoint)}
    assert by_entity["liaoning"].describe() == \
        "label 'Liaoning' 0.5 + class 0.3 + country 0.2 = 1.000"
    assert by_entity["china"].describe() == "alias 'China' 0.35 + class 0.3 = 0.650"
    assert by_entity["pediatrician"].describe() == "label 'pediatrician' 0.5 = 0.500"


def run_link(project: Path, endpoint: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--project", str(project), "link", "--endpoint", endpoint,
                                      *args])
    return result.exit_code, result.output


def test_accept_threshold_links_the_sure_candidates_in_both_files(
    tmp_path: Path, wikidata_endpoint: str, fast_clients: None
) -> None:
    project = make_project(tmp_path / "p")
    review = tmp_path / "review.sssom.tsv"
    code, output = run_link(project, wikidata_endpoint, "--accept-threshold", "0.9",
                            "-o", str(review))
    assert code == 0, output
    mset = link.read_links(Project(project))
    added = {m.subject_id[len(RB):]: m for m in mset.mappings if m.subject_id.startswith(RB)}
    assert {k: m.object_id[len(WD):] for k, m in added.items()} == {
        k: EXPECTED_ITEMS[k] for k in ("heilongjiang", "jilin", "liaoning", "shenyang",
                                       "changchun", "harbin-institute-of-technology")}
    jilin = added["jilin"]
    assert jilin.mapping_justification.endswith("CompositeMatching")
    assert jilin.curation_rule_text == "accepted by `rustbelt-kg link --accept-threshold 0.9`"
    assert jilin.confidence == 1.0 and jilin.record_id == namespaces.LINKS_GRAPH + "#jilin"
    ttl = (project / "data" / "links" / "wikidata.ttl").read_text(encoding="utf-8")
    assert ttl == link.links_ttl(mset)
    assert link.qc_violations(Project(project)) == []
    rows = sssom.read_tsv(review).mappings
    assert len(rows) == len(EXPECTED_ITEMS)
    assert all(r.subject_id.startswith(RB) for r in rows)


def test_conflicting_candidate_is_reported_and_the_curated_link_kept(
    tmp_path: Path, wikidata_endpoint: str, fast_clients: None
) -> None:
    project = make_project(tmp_path / "p")
    links = Project(project)
    wrong = sssom.Mapping(RB + "changchun", link.SKOS_EXACT, WD + "Q92277",
                          link.SEMAPV + "ManualMappingCuration",
                          record_id=link.record_id(RB + "changchun"), confidence=0.9,
                          mapping_date="2026-01-01", subject_type="owl named individual")
    curated = link.read_links(links)
    curated.mappings.append(wrong)
    link.write_links(links, curated)
    review = tmp_path / "review.sssom.tsv"
    code, output = run_link(project, wikidata_endpoint, "--accept-threshold", "0.9",
                            "-o", str(review))
    assert code == 0, output
    assert "CONFLICT (curated link kept): rb:changchun: best candidate wd:Q92161" in output
    after = {m.subject_id: m.object_id for m in link.read_links(links).mappings}
    assert after[RB + "changchun"] == WD + "Q92277"
    row = next(r for r in sssom.read_tsv(review).mappings if r.subject_id == RB + "changchun")
    assert "CONFLICT: the curated link is wd:Q92277" in (row.comment or "")
    with pytest.raises(CheckFailed, match="curated as wd:Q92277"):
        link.apply_mappings(links, [row.with_(record_id=link.record_id(row.subject_id))])


def test_apply_adds_only_the_rows_a_reviewer_accepted(
    tmp_path: Path, wikidata_endpoint: str, fast_clients: None
) -> None:
    project = make_project(tmp_path / "p")
    review = tmp_path / "review.sssom.tsv"
    assert run_link(project, wikidata_endpoint, "-o", str(review))[0] == 0
    assert link.read_links(Project(project)).mappings == \
        sssom.read_tsv(make_project(tmp_path / "q") / "data/links/wikidata.sssom.tsv").mappings
    text = review.read_text(encoding="utf-8")
    lines = text.splitlines()
    header = next(i for i, line in enumerate(lines) if not line.startswith("#"))
    columns = lines[header].split("\t")
    agree, who = columns.index("reviewer_agreement"), columns.index("reviewer_label")
    for i in range(header + 1, len(lines)):
        cells = lines[i].split("\t")
        if cells[columns.index("subject_id")] in ("rb:china", "rb:france"):
            cells[agree], cells[who] = ("1" if "china" in cells[0] else "-1"), "A Reviewer"
            lines[i] = "\t".join(cells)
    review.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--project", str(project), "link", "--apply", str(review)])
    assert result.exit_code == 0, result.output
    assert "1 link(s) added" in result.output
    added = [m for m in link.read_links(Project(project)).mappings if m.subject_id.startswith(RB)]
    assert [(m.subject_id, m.object_id, m.reviewer_label) for m in added] == [
        (RB + "china", WD + "Q148", "A Reviewer")]


def test_apply_refuses_an_accepted_row_without_a_reviewer(
    tmp_path: Path, wikidata_endpoint: str, fast_clients: None
) -> None:
    project = make_project(tmp_path / "p")
    review = tmp_path / "review.sssom.tsv"
    assert run_link(project, wikidata_endpoint, "-o", str(review))[0] == 0
    mset = sssom.read_tsv(review)
    mset.mappings[0] = mset.mappings[0].with_(reviewer_agreement=1.0)
    sssom.write_tsv(mset, review)
    before = tree_bytes(project)
    result = CliRunner().invoke(cli, ["--project", str(project), "link", "--apply", str(review)])
    assert result.exit_code == 2 and "needs a reviewer_label" in result.output
    assert tree_bytes(project) == before


def test_review_file_that_cannot_be_written_exits_5_and_writes_nothing(
    tmp_path: Path, wikidata_endpoint: str, fast_clients: None
) -> None:
    project = make_project(tmp_path / "p")
    before = tree_bytes(project)
    code, output = run_link(project, wikidata_endpoint, "--accept-threshold", "0.9",
                            "-o", "/dev/null/review.sssom.tsv")
    assert code == 5, output
    assert "cannot write /dev/null/review.sssom.tsv" in output
    assert tree_bytes(project) == before


def test_links_that_cannot_be_written_are_an_output_error_naming_the_file(
    tmp_path: Path,
) -> None:
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    project = Project(tmp_path / "a-file" / "project")
    with pytest.raises(OutputError, match="cannot write .*wikidata.sssom.tsv") as caught:
        link.write_links(project, link.read_links(Project(ROOT)))
    assert caught.value.exit_code == 5


def test_apply_refuses_a_link_that_breaks_wikidata_qc(tmp_path: Path) -> None:
    project = Project(make_project(tmp_path))
    before = tree_bytes(project.root)
    bad = sssom.Mapping(RB + "jilin", link.SKOS_EXACT, WD + "Q92277",
                        link.SEMAPV + "CompositeMatching", record_id=link.record_id(RB + "jilin"),
                        confidence=0.9, mapping_date="2026-01-01")
    with pytest.raises(CheckFailed, match="wikidata-jilin-city-violation"):
        link.apply_mappings(project, [bad])
    assert tree_bytes(project.root) == before


# -- SSSOM/TSV -------------------------------------------------------------------------------


def test_sssom_tsv_round_trips_quotes_tabs_and_several_match_fields() -> None:
    mset = sssom.MappingSet("https://example.org/set", {"rb": RB, "wd": WD}, [
        sssom.Mapping(RB + "a", link.SKOS_EXACT, WD + "Q1", link.SEMAPV + "LexicalMatching",
                      confidence=0.123456, object_match_field=(link.RDFS_LABEL,
                      "http://www.w3.org/2004/02/skos/core#altLabel"),
                      comment='says "hi"\tthere', mapping_date="2026-01-01"),
    ], {"license": "https://creativecommons.org/licenses/by/4.0/"})
    text = sssom.dumps_tsv(mset)
    assert text.startswith("#curie_map:\n#  rb: https://w3id.org/rustbelt-kg/id/\n")
    assert "\t0.123456\t" in text and "rdfs:label|skos:altLabel" in text
    again = sssom.loads_tsv(text)
    assert again.mappings == mset.mappings
    assert again.metadata == mset.metadata


HEADER = "#curie_map:\n#  rb: https://w3id.org/rustbelt-kg/id/\n#mapping_set_id: https://e.org/s\n"
COLUMNS = ("subject_id\tpredicate_id\tobject_id\tmapping_justification\tsubject_type"
           "\tobject_type\tconfidence\treviewer_agreement\n")


def one_row(subject_type: str = "owl named individual", object_type: str = "",
            confidence: str = "0.9", agreement: str = "") -> str:
    """A one-mapping SSSOM/TSV text; its row is line 5."""
    return HEADER + COLUMNS + (f"rb:a\tskos:exactMatch\trb:b\tsemapv:X\t{subject_type}"
                               f"\t{object_type}\t{confidence}\t{agreement}\n")


@pytest.mark.parametrize("value", [1 / 3, 0.123456789, 0.95, 0.7, 1.0, 0.0, 1e-7])
def test_sssom_confidence_round_trips_exactly(value: float) -> None:
    mset = sssom.MappingSet("https://e.org/s", {"rb": RB}, [
        sssom.Mapping(RB + "a", link.SKOS_EXACT, RB + "b", link.SEMAPV + "X", confidence=value)])
    again = sssom.loads_tsv(sssom.dumps_tsv(mset))
    assert again.mappings[0].confidence == value


def test_curated_tsv_is_written_back_byte_for_byte() -> None:
    text = LINKS_TSV.read_text(encoding="utf-8")
    assert "\t0.95\t" in text and "\t0.7\t" in text
    assert sssom.dumps_tsv(sssom.read_tsv(LINKS_TSV)) == text


@pytest.mark.parametrize("confidence", ["-0.5", "1.5", "nan", "inf", "high"])
def test_confidence_outside_0_to_1_is_a_syntax_problem_at_its_line(confidence: str) -> None:
    with pytest.raises(SyntaxProblem, match="confidence") as caught:
        sssom.loads_tsv(one_row(confidence=confidence), path="f.tsv")
    assert caught.value.path == "f.tsv" and caught.value.line == 5


def test_reviewer_agreement_may_be_negative_but_not_below_minus_one() -> None:
    assert sssom.loads_tsv(one_row(agreement="-1")).mappings[0].reviewer_agreement == -1.0
    with pytest.raises(SyntaxProblem, match="reviewer_agreement") as caught:
        sssom.loads_tsv(one_row(agreement="-1.5"), path="f.tsv")
    assert caught.value.line == 5


@pytest.mark.parametrize("day", ["2026-02-30", "26-11-2026", "20261126", "soon"])
def test_mapping_date_that_is_not_a_date_is_a_syntax_problem_at_its_line(day: str) -> None:
    text = HEADER + "subject_id\tpredicate_id\tobject_id\tmapping_justification\tmapping_date\n" \
        + f"rb:a\tskos:exactMatch\trb:b\tsemapv:X\t{day}\n"
    with pytest.raises(SyntaxProblem, match="mapping_date") as caught:
        sssom.loads_tsv(text, path="f.tsv")
    assert caught.value.line == 5


@pytest.mark.parametrize("column", ["subject_type", "object_type"])
def test_unknown_entity_type_is_a_syntax_problem_naming_file_and_line(column: str) -> None:
    text = one_row(**{column: "skos concepts"})
    with pytest.raises(SyntaxProblem, match=f"{column} 'skos concepts' is not an SSSOM entity"
                       ) as caught:
        sssom.loads_tsv(text, path="links.tsv")
    assert (caught.value.path, caught.value.line) == ("links.tsv", 5)


def test_unknown_entity_type_in_the_header_is_a_syntax_problem_at_its_line() -> None:
    text = HEADER + "#subject_type: owl individual\n" + COLUMNS.replace("\tsubject_type", "") \
        .replace("\tobject_type", "") + "rb:a\tskos:exactMatch\trb:b\tsemapv:X\t0.9\t\n"
    with pytest.raises(SyntaxProblem, match="'owl individual'") as caught:
        sssom.loads_tsv(text, path="links.tsv")
    assert caught.value.line == 4


def test_every_sssom_entity_type_has_an_rdf_meaning() -> None:
    mapping = sssom.loads_tsv(one_row(subject_type="skos concept",
                                      object_type="owl data property")).mappings[0]
    record = mapping.with_(record_id=RB + "record")
    objects = {str(p): str(o) for _, p, o, _ in sssom.to_quads(
        sssom.MappingSet("https://e.org/s", {}, [record]))}
    assert objects[sssom.SSSOM + "subject_type"] == "http://www.w3.org/2004/02/skos/core#Concept"
    assert objects[sssom.SSSOM + "object_type"] == \
        "http://www.w3.org/2002/07/owl#DatatypeProperty"


def test_sync_with_an_unknown_entity_type_exits_3_naming_file_and_line(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    tsv = project / "data" / "links" / "wikidata.sssom.tsv"
    lines = tsv.read_text(encoding="utf-8").splitlines(keepends=True)
    number = next(i for i, line in enumerate(lines, start=1) if "\towl class\t" in line)
    lines[number - 1] = lines[number - 1].replace("\towl class\t", "\tskos concepts\t")
    tsv.write_text("".join(lines), encoding="utf-8")
    before = tree_bytes(project)
    result = CliRunner().invoke(cli, ["--project", str(project), "link", "--sync"])
    assert result.exit_code == 3, result.output
    assert f"wikidata.sssom.tsv:{number}: subject_type 'skos concepts'" in result.output
    assert tree_bytes(project) == before


def test_missing_links_file_is_a_runtime_error_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.sssom.tsv"
    with pytest.raises(RustbeltError, match=f"cannot read {missing}") as caught:
        sssom.read_tsv(missing)
    assert not isinstance(caught.value, SyntaxProblem)
    assert caught.value.exit_code == 5


@pytest.mark.parametrize("args", [
    ["link", "--sync"],
    ["link", "--endpoint", "http://127.0.0.1:9/sparql", "-o", "review.tsv"],
    ["enrich", "--endpoint", "http://127.0.0.1:9/sparql"],
], ids=["sync", "reconcile", "enrich"])
def test_commands_without_the_links_file_exit_5_naming_it(tmp_path: Path, args: list[str]) -> None:
    project = make_project(tmp_path / "p")
    tsv = project / "data" / "links" / "wikidata.sssom.tsv"
    tsv.unlink()
    before = tree_bytes(project)
    args = [str(tmp_path / a) if a.endswith(".tsv") else a for a in args]
    result = CliRunner().invoke(cli, ["--project", str(project), *args])
    assert result.exit_code == 5, result.output
    assert f"cannot read {tsv}" in result.output
    assert tree_bytes(project) == before


def test_links_file_that_is_not_utf8_is_a_syntax_problem_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.sssom.tsv"
    path.write_bytes(one_row().replace("rb:b", "rb:caf\u00e9").encode("latin-1"))
    with pytest.raises(SyntaxProblem, match="not UTF-8") as caught:
        sssom.read_tsv(path)
    assert caught.value.line == 5 and caught.value.exit_code == 3


def test_sssom_reader_discards_unknown_columns_and_rejects_unknown_prefixes() -> None:
    header = "#curie_map:\n#  rb: https://w3id.org/rustbelt-kg/id/\n#mapping_set_id: https://e.org/s\n"
    row = "subject_id\tpredicate_id\tobject_id\tmapping_justification\tnote\n"
    good = sssom.loads_tsv(header + row + "rb:a\tskos:exactMatch\trb:b\tsemapv:X\tignored\n")
    assert [m.object_id for m in good.mappings] == [RB + "b"]
    with pytest.raises(SyntaxProblem) as caught:
        sssom.loads_tsv(header + row + "rb:a\tskos:exactMatch\twd:Q1\tsemapv:X\t\n", path="f.tsv")
    assert caught.value.line == 5 and "wd" in str(caught.value)


def test_link_modes_do_not_mix(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    result = CliRunner().invoke(cli, ["--project", str(project), "link", "--todo",
                                      "--accept-threshold", "0.9"])
    assert result.exit_code == 2 and "use one of --todo" in result.output


def test_sync_rewrites_the_turtle_from_a_hand_edited_tsv(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    tsv = project / "data" / "links" / "wikidata.sssom.tsv"
    row = ("rbgl:china\trb:china\tChina\tskos:exactMatch\twd:Q148\tPeople's Republic of China"
           "\tsemapv:ManualMappingCuration\tsomeone\towl named individual\t2026-11-26\t0.95"
           "\tverified: added by hand\n")
    tsv.write_text(tsv.read_text(encoding="utf-8") + row, encoding="utf-8")
    result = CliRunner().invoke(cli, ["--project", str(project), "link", "--sync"])
    assert result.exit_code == 0, result.output
    ttl = (project / "data" / "links" / "wikidata.ttl").read_text(encoding="utf-8")
    assert "rb:china skos:exactMatch wd:Q148 ." in ttl
    assert ttl == link.links_ttl(link.read_links(Project(project)))


# -- a time limit for the whole command -------------------------------------------------------


def test_link_timeout_bounds_the_whole_command_not_each_request(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project")
    before = tree_bytes(project)
    assert len(link.project_entities(Project(project))) > 5  # one request each
    with FaultyServer(lambda n: Reply(delay=0.3)) as server:  # each answer well within 1 s
        result = CliRunner().invoke(cli, ["--project", str(project), "link", "--endpoint",
                                          server.url, "--timeout", "1", "--accept-threshold",
                                          "0.5"])
    assert result.exit_code == 4, result.output
    assert "--timeout" in result.stderr
    assert 1 <= server.hits < len(link.project_entities(Project(project)))
    assert tree_bytes(project) == before


def test_link_gives_up_at_once_when_the_server_asks_for_an_hour(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project")
    before = tree_bytes(project)
    with FaultyServer(lambda n: Reply(429, b"", {"Retry-After": "3600"})) as server:
        result = CliRunner().invoke(cli, ["--project", str(project), "link", "--endpoint",
                                          server.url])
    assert result.exit_code == 4, result.output
    assert result.stderr == (
        f"error: {server.url}: HTTP 429 Too Many Requests: the endpoint asks to wait 3600 s, "
        "longer than the 30 s this client waits at most; try later\n"
    )
    assert server.hits == 1
    assert tree_bytes(project) == before


def test_reconciliation_reports_each_entity_done_in_turn(
    tmp_path: Path, wikidata_endpoint: str
) -> None:
    project = Project(make_project(tmp_path))
    entities = link.project_entities(project)
    done: list[link.LocalEntity] = []
    reconcile.reconcile(entities, link.class_links(link.read_links(project)),
                        fast_client(wikidata_endpoint), done=done.append)
    assert done == entities


def test_link_shows_progress_on_a_terminal(
    tmp_path: Path, wikidata_endpoint: str, fast_clients: None
) -> None:
    project = make_project(tmp_path / "project")
    total = len(link.project_entities(Project(project)))
    result = CliRunner().invoke(
        cli, ["--project", str(project), "link", "--endpoint", wikidata_endpoint],
        env={"TTY_COMPATIBLE": "1", "TTY_INTERACTIVE": "1", "COLUMNS": "100"},
    )
    assert result.exit_code == 0, result.output
    assert "asking Wikidata" in result.stderr and f"{total}/{total}" in result.stderr
    piped = CliRunner().invoke(
        cli, ["--project", str(project), "link", "--endpoint", wikidata_endpoint],
        env={"TTY_COMPATIBLE": None, "FORCE_COLOR": None},
    )
    assert piped.exit_code == 0, piped.output
    assert "asking Wikidata" not in piped.stderr
