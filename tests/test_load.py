"""Parsing source files: graphs from the registry, exact syntax error positions, literals
kept as written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Literal, URIRef

from rustbelt_kg import load as load_module
from rustbelt_kg import namespaces
from rustbelt_kg.errors import NestingTooDeep, RdfSyntaxError, TooManyBlankNodes
from rustbelt_kg.export import nt_term, serialize
from rustbelt_kg.load import (
    MAX_NESTING,
    check_nesting,
    load_project,
    load_quads,
    load_shapes,
    parse_file,
)
from rustbelt_kg.project import Project
from rustbelt_kg.results import parse_json_result, to_json
from rustbelt_kg.store import MemoryStore, OxigraphStore, Store

RB = namespaces.RB
RBO = namespaces.RBO


def test_turtle_syntax_error_reports_file_line_and_column(tmp_path: Path) -> None:
    broken = tmp_path / "broken.ttl"
    broken.write_text(
        "@prefix rb: <https://w3id.org/rustbelt-kg/id/> .\n"
        "rb:a rb:b rb:c .\n"
        "rb:d ) rb:e .\n",
        encoding="utf-8",
    )
    with pytest.raises(RdfSyntaxError) as caught:
        parse_file(broken, "turtle")
    error = caught.value
    assert (error.path, error.line, error.column) == (str(broken), 3, 6)
    assert str(error).startswith(f"{broken}:3:6: ")
    assert error.exit_code == 3


def test_trig_syntax_error_names_the_file_relative_to_the_project(tiny_project: Project) -> None:
    bad = tiny_project.root / "data" / "article" / "zz-bad.trig"
    bad.write_text(
        "@prefix rb: <https://w3id.org/rustbelt-kg/id/> .\n"
        "\n"
        "rb:g {\n"
        '    rb:a rb:b "unterminated .\n'
        "}\n",
        encoding="utf-8",
    )
    with pytest.raises(RdfSyntaxError) as caught:
        load_quads(tiny_project)
    assert caught.value.path == "data/article/zz-bad.trig"
    assert (caught.value.line, caught.value.column) == (4, 15)


def test_column_counts_characters_not_bytes(tmp_path: Path) -> None:
    broken = tmp_path / "wide.ttl"
    broken.write_text('<urn:x:哈尔滨> <urn:x:p> ) .\n', encoding="utf-8")
    with pytest.raises(RdfSyntaxError) as caught:
        parse_file(broken)
    assert (caught.value.line, caught.value.column) == (1, 23)


def test_turtle_triples_go_into_the_graph_the_registry_names(tiny_project: Project) -> None:
    quads = load_quads(tiny_project)
    graphs = {g for *_, g in quads}
    assert URIRef(namespaces.ONTOLOGY_GRAPH) in graphs
    assert URIRef(namespaces.LINKS_GRAPH) in graphs
    assert None not in graphs
    link = (URIRef(RB + "wan-long"), URIRef(namespaces.PREFIXES["skos"] + "exactMatch"),
            URIRef(namespaces.WD + "Q4115189"), URIRef(namespaces.LINKS_GRAPH))
    assert link in quads


def test_trig_files_keep_their_own_graphs(tiny_project: Project) -> None:
    quads = load_quads(tiny_project)
    age = (URIRef(RB + "wan-long"), URIRef(RBO + "age"), Literal(25),
           URIRef(namespaces.CLAIM + "wan-long"))
    assert age in quads
    assert any(g == URIRef(namespaces.ENRICHMENT_GRAPH) for *_, g in quads)
    assert any(g == URIRef(namespaces.PROVENANCE_GRAPH) for *_, g in quads)


def test_string_literals_are_simple_literals(tiny_project: Project) -> None:
    quads = load_quads(tiny_project)
    stated = [o for _, p, o, _ in quads if p == URIRef(RBO + "statedAs")]
    assert stated == [Literal("3,700 square meters")]
    assert stated[0].datatype is None


def test_load_project_gives_a_dataset_whose_default_graph_is_the_union(
    tiny_project: Project,
) -> None:
    dataset = load_project(tiny_project)
    people = set(dataset.subjects(URIRef(namespaces.PREFIXES["rdf"] + "type"),
                                  URIRef(RBO + "Person")))
    assert people == {URIRef(RB + "wan-long")}
    assert len(dataset.graph(URIRef(namespaces.CLAIM + "wan-long"))) == 3


def test_shapes_are_returned_apart_and_not_loaded(tiny_project: Project) -> None:
    shapes = load_shapes(tiny_project)
    shape = URIRef(namespaces.RBSH + "PersonShape")
    assert (shape, None, None) in shapes
    assert all(s != shape for s, *_ in load_quads(tiny_project))


def test_blank_nodes_are_loaded(tmp_path: Path) -> None:
    source = tmp_path / "b.ttl"
    source.write_text("<urn:x:a> <urn:x:p> [ <urn:x:q> 1 ] .\n", encoding="utf-8")
    assert len(parse_file(source, graph="urn:x:g")) == 2


#: Typed literals whose lexical form rdflib would rewrite if asked to normalise them.
AS_WRITTEN = {
    "ended": '"2026-11-26T04:20:29Z"^^<http://www.w3.org/2001/XMLSchema#dateTime>',
    "count": '"01"^^<http://www.w3.org/2001/XMLSchema#integer>',
}
#: What each engine's store gives back: Oxigraph keeps typed values in its own canonical
#: form (``"01"`` is stored as the integer 1), which for the dateTime is the form written.
STORED = {
    "memory": AS_WRITTEN,
    "oxigraph": {**AS_WRITTEN, "count": '"1"^^<http://www.w3.org/2001/XMLSchema#integer>'},
}


@pytest.mark.parametrize("engine", sorted(STORED))
def test_typed_literals_keep_their_lexical_form_from_file_to_answer(
    engine: str, tmp_path: Path
) -> None:
    source = tmp_path / "typed.trig"
    source.write_text(
        "<urn:x:g> {\n"
        + "".join(f"  <urn:x:a> <urn:x:{name}> {form} .\n" for name, form in AS_WRITTEN.items())
        + "}\n",
        encoding="utf-8",
    )
    quads = parse_file(source, "trig")
    assert sorted(nt_term(o) for *_, o, _ in quads) == sorted(AS_WRITTEN.values())
    for form in AS_WRITTEN.values():  # dist/ is written from the parsed sources
        assert form in serialize(quads, "nt") and form in serialize(quads, "nquads")
    store: Store = OxigraphStore() if engine == "oxigraph" else MemoryStore()
    store.replace_all(quads)
    exported = serialize(store.quads(), "nt")
    for name, form in STORED[engine].items():
        assert f"<urn:x:a> <urn:x:{name}> {form} .\n" in exported
        answer = store.query(f"SELECT ?v WHERE {{ <urn:x:a> <urn:x:{name}> ?v }}")
        assert [nt_term(row["v"]) for row in answer.rows] == [form]
        assert [nt_term(row["v"]) for row in parse_json_result(to_json(answer)).rows] == [form]
    for name, form in AS_WRITTEN.items():
        assert store.query(f"ASK {{ <urn:x:a> <urn:x:{name}> {form} }}").boolean is True


# -- limits ---------------------------------------------------------------------------------


def _nested(depth: int) -> str:
    """A claim graph holding blank nodes nested ``depth`` deep, on one line."""
    return (
        "@prefix rb: <https://w3id.org/rustbelt-kg/id/> .\n"
        "<https://w3id.org/rustbelt-kg/claim/wan-long> {\n"
        "    rb:wan-long rb:p " + "[ rb:p " * depth + "rb:end" + " ]" * depth + " .\n}\n"
    )


def test_a_file_nested_past_the_limit_is_refused_before_it_is_parsed(
    tiny_project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    deep = tiny_project.root / "data" / "article" / "zz-deep.trig"
    deep.write_text(_nested(10_000), encoding="utf-8")

    parse = load_module.ox.parse

    def parse_shallow(data: bytes, *args: object, **kwargs: object) -> object:
        assert b"[ rb:p [ rb:p" not in data, "the parser saw a file past the nesting limit"
        return parse(data, *args, **kwargs)

    monkeypatch.setattr(load_module.ox, "parse", parse_shallow)
    with pytest.raises(NestingTooDeep) as caught:
        load_quads(tiny_project)
    error = caught.value
    assert (error.path, error.line, error.exit_code) == ("data/article/zz-deep.trig", 3, 6)
    assert f"nested more than {MAX_NESTING} levels deep" in str(error)
    assert error.limit == f"nesting depth {MAX_NESTING}"


def test_nesting_counts_brackets_but_not_those_in_strings_iris_and_comments() -> None:
    noise = '"""[[[(((\n{{{""" \'[[[\' "((\\"(" <urn:x:[[[> # [[[[[[[[[[\n'
    text = "<urn:x:a> <urn:x:p> " + "[ <urn:x:p> " * 5 + noise + " ]" * 5 + " .\n"
    check_nesting(text.encode(), "x.ttl", limit=5)
    with pytest.raises(NestingTooDeep, match=r"^x.ttl:1: nested more than 4 levels deep"):
        check_nesting(text.encode(), "x.ttl", limit=4)


def test_an_escape_in_a_prefixed_name_neither_hides_brackets_nor_counts_as_one() -> None:
    prologue = "@prefix ex: <http://example.org/> .\n"
    nested = "ex:s ex:p " + "[ ex:p " * 5 + "ex:end" + " ]" * 5 + " .\n"
    for escape in ("\\#", "\\'", '\\"'):
        hidden = (prologue + f"ex:s ex:p ex:a{escape} ; " + nested[len("ex:s "):]).encode()
        with pytest.raises(NestingTooDeep, match=r"^x.ttl:2: nested more than 4 levels"):
            check_nesting(hidden, "x.ttl", limit=4)
    flat = prologue + "ex:s ex:p " + ", ".join(["ex:a\\(", "ex:b\\(", "ex:c\\)"] * 30) + " .\n"
    check_nesting(flat.encode(), "x.ttl", limit=4)
    assert len(list(load_module.ox.parse(flat.encode(), load_module.ox.RdfFormat.TURTLE))) == 90


def test_a_shapes_file_nested_past_the_limit_is_refused_too(tiny_project: Project) -> None:
    shapes = tiny_project.root / "shapes" / "zz-deep.ttl"
    shapes.write_text(
        "<urn:x:s> <urn:x:p> " + "( " * 5000 + "1" + " )" * 5000 + " .\n", encoding="utf-8"
    )
    with pytest.raises(NestingTooDeep, match=r"shapes/zz-deep.ttl:1: nested more than"):
        load_shapes(tiny_project)


@pytest.mark.parametrize("shape", ["list", "nested"])
def test_build_of_deep_or_long_blank_node_input_exits_cleanly_and_keeps_the_store(
    shape: str, tiny_project: Project
) -> None:
    from rustbelt_kg.build import build

    build(tiny_project)
    live = tiny_project.store_path.resolve()
    source = tiny_project.root / "data" / "article" / "zz.trig"
    if shape == "nested":
        source.write_text(_nested(10_000), encoding="utf-8")
    else:
        items = " ".join(f'"{i}"' for i in range(10_000))
        source.write_text(_nested(0).replace("rb:end", f"( {items} )"), encoding="utf-8")
    command = [sys.executable, "-m", "rustbelt_kg", "--project", str(tiny_project.root), "build"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == (6 if shape == "nested" else 1), done.stderr
    assert done.stderr.startswith("error: data/article/zz.trig:3: ")
    assert tiny_project.store_path.resolve() == live


def test_more_blank_nodes_than_exports_can_canonicalise_are_refused(
    tiny_project: Project,
) -> None:
    from rustbelt_kg.load import MAX_BLANK_NODES

    ontology = tiny_project.root / "ontology" / "zz-chain.ttl"
    chain = "".join(f"_:b{i} <urn:x:next> _:b{i + 1} .\n" for i in range(MAX_BLANK_NODES * 5))
    ontology.write_text(chain, encoding="utf-8")
    with pytest.raises(TooManyBlankNodes) as caught:
        load_quads(tiny_project)
    error = caught.value
    assert (error.path, error.line, error.exit_code) == ("ontology/zz-chain.ttl", 200, 6)
    assert f"more than {MAX_BLANK_NODES} blank nodes" in str(error)
    half = "".join(chain.splitlines(keepends=True)[: MAX_BLANK_NODES // 2])
    ontology.write_text(half, encoding="utf-8")
    assert len(load_quads(tiny_project)) > MAX_BLANK_NODES // 2


# -- the engine's quads, one file at a time -------------------------------------------------


def test_the_engines_quads_are_the_rdflib_quads_in_the_engines_terms(
    tiny_project: Project,
) -> None:
    import pyoxigraph as ox

    from rustbelt_kg.load import load_engine_quads, rdflib_quads

    engine = load_engine_quads(tiny_project)
    assert all(type(q) is ox.Quad for q in engine)
    assert rdflib_quads(engine) == load_quads(tiny_project)


def test_one_file_loads_alone_into_the_graphs_of_its_folder(tiny_project: Project) -> None:
    import pyoxigraph as ox

    from rustbelt_kg.load import load_engine_quads, load_file, source_kind

    links = tiny_project.root / "data" / "links" / "wikidata.ttl"
    assert source_kind(tiny_project, links).name == "links"
    alone = load_file(tiny_project, links)
    assert {q.graph_name for q in alone} == {ox.NamedNode(namespaces.LINKS_GRAPH)}
    assert set(alone) <= set(load_engine_quads(tiny_project))


def test_one_file_loaded_alone_keeps_the_rules_and_names_its_line(tiny_project: Project) -> None:
    from rustbelt_kg.errors import SourceRuleBroken, UsageError
    from rustbelt_kg.load import load_file

    broken = tiny_project.root / "data" / "article" / "zz.trig"
    broken.write_text(
        "@prefix rb: <https://w3id.org/rustbelt-kg/id/> .\n\n"
        "<https://w3id.org/rustbelt-kg/claim/zz> { rb:a rb:p rb:b . }\n"
        "<https://w3id.org/rustbelt-kg/claim/zz> { rb:a rb:p [ rb:q 1 ] . }\n",
        encoding="utf-8",
    )
    with pytest.raises(SourceRuleBroken) as caught:
        load_file(tiny_project, broken)
    assert (caught.value.path, caught.value.line) == ("data/article/zz.trig", 4)
    assert "a blank node in data/" in str(caught.value)
    with pytest.raises(UsageError, match="not a source file that goes into the store"):
        load_file(tiny_project, tiny_project.root / "shapes" / "x.ttl")


def test_the_engines_quads_are_told_file_by_file_as_each_is_parsed(tiny_project: Project) -> None:
    from rustbelt_kg.load import load_engine_quads, load_file

    told: list[tuple[Path, list[object]]] = []
    quads = load_engine_quads(tiny_project, parsed=lambda path, q: told.append((path, q)))
    assert [path for path, _ in told] == [p for _, p in tiny_project.sources(loaded=True)]
    assert [q for _, file_quads in told for q in file_quads] == quads
    assert all(file_quads == load_file(tiny_project, path) for path, file_quads in told)
