"""RDF exports: canonical bytes, every format round-trips, atomic writes."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
import pytest
from killing import kill_when
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.term import Node

from rustbelt_kg import namespaces
from rustbelt_kg.catalog import RDF_FORMAT_INFO, RESULT_FORMAT_INFO
from rustbelt_kg.errors import OutputError, UsageError
from rustbelt_kg.export import (
    RDF_FORMATS,
    Quad,
    atomic_write,
    context_text,
    export,
    jsonld_context,
    serialize,
    xml_attr,
    xml_escape,
)
from rustbelt_kg.load import SYNTAXES, load_quads
from rustbelt_kg.project import Project
from rustbelt_kg.results import normalise
from rustbelt_kg.terms import from_oxigraph_quad

REPO_ROOT = Path(__file__).resolve().parent.parent
TINY = Path(__file__).resolve().parent / "fixtures" / "tiny"


def _as_written(term: Node) -> Node:
    return normalise(term)


def _rdflib_canonical(term: Node) -> Node:
    """rdflib's parsers rewrite typed literals to its canonical form (``Z`` becomes
    ``+00:00``); compare with what it reads back in that form."""
    if isinstance(term, Literal) and term.datatype is not None:
        return Literal(str(term), datatype=term.datatype)
    return normalise(term)


def _union(quads: list[Quad], same: Callable[[Node], Node] = _as_written) -> Graph:
    graph = Graph()
    for s, p, o, _ in quads:
        graph.add((s, p, same(o)))
    return graph


def _graphs(quads: list[Quad], same: Callable[[Node], Node] = _as_written) -> dict[str, Graph]:
    graphs: dict[str, Graph] = {}
    for s, p, o, g in quads:
        graphs.setdefault(str(g), Graph()).add((s, p, same(o)))
    return graphs


def _reparse_with_rdflib(text: str, format: str) -> list[Quad]:
    dataset = Dataset()
    dataset.parse(data=text, format=RDF_FORMATS[format].rdflib_name)
    return [
        (s, p, o, None if str(g) == "urn:x-rdflib:default" else g)
        for s, p, o, g in dataset.quads((None, None, None, None))
    ]


def _reparse_with_oxigraph(text: str, format: str) -> list[Quad]:
    return [from_oxigraph_quad(q) for q in ox.parse(text, SYNTAXES[format])]


def _check_round_trip(quads: list[Quad], format: str) -> None:
    text = serialize(quads, format)
    for reparse in (_reparse_with_rdflib, _reparse_with_oxigraph):
        back = reparse(text, format)
        same = _rdflib_canonical if reparse is _reparse_with_rdflib else _as_written
        assert isomorphic(_union(back, same), _union(quads, same)), (reparse.__name__, format)
        if RDF_FORMATS[format].keeps_graphs:
            got, want = _graphs(back, same), _graphs(quads, same)
            assert set(got) == set(want), (reparse.__name__, format)
            assert all(isomorphic(got[g], want[g]) for g in want), (reparse.__name__, format)


@pytest.mark.parametrize("format", sorted(RDF_FORMATS))
def test_every_format_reparses_isomorphic_with_rdflib_and_pyoxigraph(
    format: str, tiny_project: Project
) -> None:
    _check_round_trip(load_quads(tiny_project), format)


@pytest.mark.parametrize("format", sorted(RDF_FORMATS))
def test_the_real_graph_round_trips_in_every_format(format: str, built_project) -> None:  # type: ignore[no-untyped-def]
    _check_round_trip(list(built_project.store.quads()), format)


AWKWARD: list[Quad] = [
    (URIRef("urn:x:s"), URIRef("urn:x:p"), Literal('tab\tquote" back\\ nl\n ctl\x01 哈尔滨'), None),
    (URIRef("urn:x:s"), URIRef("urn:x:p"), Literal("1e6", datatype=URIRef(
        "http://www.w3.org/2001/XMLSchema#double")), URIRef("urn:x:g")),
    (URIRef("urn:x:s"), URIRef("urn:x:p"), Literal("-.5", datatype=URIRef(
        "http://www.w3.org/2001/XMLSchema#decimal")), URIRef("urn:x:g")),
    (URIRef("urn:x:s"), URIRef("urn:x:p"), Literal("2016-03-25", datatype=URIRef(
        "http://www.w3.org/2001/XMLSchema#date")), URIRef("urn:x:g")),
    (URIRef("urn:x:s"), URIRef("http://example.org/vocab#p-1"), Literal("x", lang="zh-Hans"),
     URIRef("urn:x:g")),
]


@pytest.mark.parametrize("format", sorted(RDF_FORMATS))
def test_awkward_literals_and_unknown_namespaces_round_trip(format: str) -> None:
    if format == "xml":  # XML 1.0 has no way to write U+0001
        with pytest.raises(UsageError, match="U\\+0001"):
            serialize(AWKWARD, format)
        quads = [(s, p, Literal(str(o).replace("\x01", "\r")) if "\x01" in str(o) else o, g)
                 for s, p, o, g in AWKWARD]
        _check_round_trip(quads, format)
        return
    _check_round_trip(AWKWARD, format)


def test_blank_nodes_get_canonical_labels(tmp_path: Path) -> None:
    def quads(a: str, b: str) -> list[Quad]:
        x, y = BNode(a), BNode(b)
        return [
            (URIRef("urn:x:s"), URIRef("urn:x:p"), x, URIRef("urn:x:g")),
            (x, URIRef("urn:x:q"), y, URIRef("urn:x:g")),
            (y, URIRef("urn:x:q"), Literal(1), None),
        ]

    first = quads("one", "two")
    shuffled = quads("zz", "aa")
    random.Random(4).shuffle(shuffled)
    for format in RDF_FORMATS:
        assert serialize(first, format) == serialize(shuffled, format), format
        _check_round_trip(first, format)


def _turtle_in_subprocess(seed: str) -> bytes:
    script = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from rustbelt_kg.export import serialize
        from rustbelt_kg.load import load_quads
        from rustbelt_kg.project import Project
        sys.stdout.buffer.write(serialize(load_quads(Project(Path({str(TINY)!r}))), "turtle")
                                .encode("utf-8"))
        """
    )
    env = {**os.environ, "PYTHONHASHSEED": seed}
    return subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, check=True
    ).stdout


def test_turtle_export_is_byte_identical_under_different_hash_seeds() -> None:
    outputs = {_turtle_in_subprocess(seed) for seed in ("0", "1", "4242")}
    assert len(outputs) == 1
    (text,) = outputs
    assert b"rb:wan-long a rbo:Person ;" in text


def test_export_does_not_depend_on_input_order(tiny_project: Project) -> None:
    quads = load_quads(tiny_project)
    shuffled = list(quads)
    random.Random(7).shuffle(shuffled)
    for format in RDF_FORMATS:
        assert serialize(quads, format) == serialize(shuffled, format), format


def test_turtle_declares_only_the_prefixes_it_uses(tiny_project: Project) -> None:
    text = serialize(load_quads(tiny_project), "turtle")
    declared = [line.split()[1].rstrip(":") for line in text.splitlines()
                if line.startswith("@prefix")]
    assert declared == sorted(declared)
    assert set(declared) <= set(namespaces.PREFIXES)
    for prefix in declared:
        assert text.count(f"{prefix}:") > 1, f"{prefix}: declared but not used"
    assert "ns1:" not in text and "rbsh:" not in text
    assert "rb:incubator-park-area a rbo:Quantity ;\n    rbo:numericValue 3700 ;" in text


def test_ntriples_and_nquads_are_sorted_lines(tiny_project: Project) -> None:
    quads = load_quads(tiny_project)
    for format in ("nt", "nquads"):
        lines = serialize(quads, format).splitlines()
        assert lines == sorted(lines) and len(lines) == len(set(lines))
    assert len(serialize(quads, "nquads").splitlines()) == len(set(quads))
    assert len(serialize(quads, "nt").splitlines()) == len({q[:3] for q in quads})


def test_dataset_formats_keep_the_provenance_graph(tiny_project: Project) -> None:
    quads = load_quads(tiny_project)
    assert {f for f, row in RDF_FORMATS.items() if row.keeps_graphs} == {"nquads", "trig", "jsonld"}
    provenance = f"<{namespaces.PROVENANCE_GRAPH}> ."
    assert provenance in serialize(quads, "nquads")
    assert "rbg:provenance {" in serialize(quads, "trig")
    graph_ids = [n["@id"] for n in json.loads(serialize(quads, "jsonld"))["@graph"]]
    assert "rbg:provenance" in graph_ids and "claim:wan-long" in graph_ids


def test_every_format_has_an_extension_and_a_media_type() -> None:
    assert set(RDF_FORMATS) == {"turtle", "nt", "nquads", "trig", "jsonld", "xml"}
    for row in RDF_FORMATS.values():
        assert ox.RdfFormat.from_extension(row.extension) is not None
        assert ox.RdfFormat.from_media_type(row.media_type) is not None
        assert row.help


def test_every_format_of_the_catalog_has_a_writer_and_no_writer_lacks_a_row() -> None:
    from rustbelt_kg.results import RESULT_FORMATS

    assert list(RDF_FORMATS) == list(RDF_FORMAT_INFO)
    assert all(RDF_FORMATS[n].help == RDF_FORMAT_INFO[n].help for n in RDF_FORMATS)
    assert list(RESULT_FORMATS) == list(RESULT_FORMAT_INFO)
    assert all(callable(f.write) for f in [*RDF_FORMATS.values(), *RESULT_FORMATS.values()])


@pytest.mark.parametrize("text", ["plain", "a < b & c > d", "line\nbreak\ttab\rreturn", "it's"])
def test_xml_escaping_reads_back_as_the_text(text: str) -> None:
    import xml.etree.ElementTree as ET

    element = ET.fromstring(f"<e a={xml_attr(text)}>{xml_escape(text)}</e>")
    assert element.get("a") == text and element.text == text


def test_published_jsonld_context_is_in_sync() -> None:
    published = REPO_ROOT / "context" / "rustbelt.jsonld"
    assert published.read_text(encoding="utf-8") == context_text(), (
        "context/rustbelt.jsonld is out of date: `rustbelt-kg build` rewrites it"
    )
    assert json.loads(context_text()) == jsonld_context()
    assert jsonld_context()["@context"] == dict(sorted(namespaces.PREFIXES.items()))


def test_export_without_a_path_writes_to_the_stream(tiny_project: Project) -> None:
    import io

    out = io.StringIO()
    export(load_quads(tiny_project), "nt", out=out)
    assert out.getvalue() == serialize(load_quads(tiny_project), "nt")


def test_export_writes_the_file_atomically(tiny_project: Project, tmp_path: Path) -> None:
    target = tmp_path / "dist" / "out.ttl"
    export(load_quads(tiny_project), "turtle", target)
    assert target.read_text(encoding="utf-8") == serialize(load_quads(tiny_project), "turtle")
    assert sorted(p.name for p in target.parent.iterdir()) == ["out.ttl"]


def test_failed_export_leaves_previous_file_and_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "out.ttl"
    target.write_text("previous\n", encoding="utf-8")

    def half_then_fail(stream):  # type: ignore[no-untyped-def]
        stream.write("half of the new file")
        raise OSError("disk full")

    with pytest.raises(OutputError, match=f"cannot write {target}: disk full"):
        atomic_write(target, half_then_fail)
    assert target.read_text(encoding="utf-8") == "previous\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.ttl"]


@pytest.mark.parametrize("where", ["under-a-file", "a-folder"])
def test_a_file_that_cannot_be_written_is_an_output_error_naming_it(
    where: str, tmp_path: Path
) -> None:
    (tmp_path / "file").write_text("x\n", encoding="utf-8")
    (tmp_path / "folder").mkdir()
    target = tmp_path / "file" / "out.ttl" if where == "under-a-file" else tmp_path / "folder"
    with pytest.raises(OutputError) as caught:
        export([], "turtle", target)
    assert str(caught.value).startswith(f"cannot write {target}: ")
    assert caught.value.path == str(target) and caught.value.exit_code == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "folder"]
    assert list((tmp_path / "folder").iterdir()) == []


def test_killed_export_leaves_previous_file_intact(tmp_path: Path) -> None:
    target = tmp_path / "out.ttl"
    target.write_text("previous\n", encoding="utf-8")
    script = textwrap.dedent(
        f"""
        import time
        from pathlib import Path
        from rustbelt_kg.export import atomic_write
        def slow(stream):
            stream.write("x" * 100000)
            stream.flush()
            print("writing", flush=True)
            time.sleep(60)
        atomic_write(Path({str(target)!r}), slow)
        """
    )
    kill_when(script, "writing")
    assert target.read_text(encoding="utf-8") == "previous\n"
    # the dead writer's temporary file is removed by the next write of the same file
    atomic_write(target, lambda stream: stream.write("new\n"))
    assert target.read_text(encoding="utf-8") == "new\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.ttl"]


@pytest.mark.parametrize("name", ["graph.txt", "graph"])
def test_export_to_an_unknown_extension_without_format_is_a_usage_error(
    tiny_project: Project, tmp_path: Path, name: str
) -> None:
    from click.testing import CliRunner

    from rustbelt_kg.cli import cli

    target = tmp_path / name
    result = CliRunner().invoke(cli, ["--project", str(tiny_project.root), "--store", "memory",
                                      "export", "-o", str(target)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: cannot tell the RDF format of {target} ")
    assert "known extensions: .ttl .nt .nq .trig .jsonld .rdf; or give --format" in result.stderr
    assert not target.exists()
    given = CliRunner().invoke(cli, ["--project", str(tiny_project.root), "--store", "memory",
                                     "export", "-o", str(target), "--format", "nt"])
    assert given.exit_code == 0 and target.read_text(encoding="utf-8").endswith(" .\n")


def test_export_format_comes_from_the_extension_in_any_case(
    tiny_project: Project, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from rustbelt_kg.cli import cli

    target = tmp_path / "GRAPH.NQ"
    result = CliRunner().invoke(cli, ["--project", str(tiny_project.root), "--store", "memory",
                                      "export", "-o", str(target)])
    assert result.exit_code == 0
    assert target.read_text(encoding="utf-8") == serialize(load_quads(tiny_project), "nquads")
