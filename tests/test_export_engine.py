"""The N-Triples export written by the engine (Oxigraph's serialiser, lines sorted) is byte
for byte the export written term by term in Python, and the same on every run; where the
engine would change a literal's form, the export is written in Python."""

from __future__ import annotations

from pathlib import Path

from rdflib import Literal, URIRef

from rustbelt_kg.export import write_exports
from rustbelt_kg.load import load_quads
from rustbelt_kg.project import Project
from rustbelt_kg.store import OxigraphStore
from rustbelt_kg.terms import Quad

ROOT = Path(__file__).resolve().parents[1]
XSD = "http://www.w3.org/2001/XMLSchema#"
G = URIRef("https://w3id.org/rustbelt-kg/claim/x")
S, P = URIRef("urn:s"), URIRef("urn:p")
ODD = [
    Literal("1", datatype=URIRef(XSD + "integer")),
    Literal("2016-03-25T08:55:00", datatype=URIRef(XSD + "dateTime")),
    Literal('quote " back \\ slash\nnew line\ttab \u00e9 \U0001f600'),
    Literal("Harbin", lang="en"),
    Literal("x", datatype=URIRef("urn:custom")),
    URIRef("urn:o?a=b#c"),
]


def _export(quads: list[Quad], folder: Path, engine: bool) -> tuple[bytes, bool]:
    """The N-Triples export, and whether the engine wrote it."""
    folder.mkdir()
    store = OxigraphStore()
    store.replace_all(quads)
    used: list[bool] = []

    def lines(literals: set[tuple[str, str, str]]) -> bytes | None:
        written = store.union_ntriples(literals)
        used.append(written is not None)
        return written

    write_exports(quads, folder, "x", union_ntriples=lines if engine else None)
    return (folder / "x.nt").read_bytes(), any(used)


def test_the_engine_written_ntriples_export_is_the_python_one(tmp_path: Path) -> None:
    quads: list[Quad] = [(S, P, o, G) for o in ODD]
    quads += [(S, P, ODD[0], URIRef("https://w3id.org/rustbelt-kg/claim/y")), (S, P, ODD[3], None)]
    quads += load_quads(Project(ROOT))
    engine, used = _export(quads, tmp_path / "engine", engine=True)
    assert used
    assert engine == _export(quads, tmp_path / "python", engine=False)[0]
    assert engine == _export(quads, tmp_path / "again", engine=True)[0]
    assert engine.count(b"<urn:s> <urn:p> ") == len(ODD)  # the union is a set


def test_a_literal_the_engine_would_rewrite_keeps_its_form_in_the_export(tmp_path: Path) -> None:
    quads: list[Quad] = [(S, P, Literal("1.50", datatype=URIRef(XSD + "decimal")), G)]
    engine, used = _export(quads, tmp_path / "engine", engine=True)
    assert not used
    assert b'"1.50"^^<http://www.w3.org/2001/XMLSchema#decimal>' in engine


AWKWARD_TTL = """\
@prefix rb: <https://w3id.org/rustbelt-kg/id/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<https://w3id.org/rustbelt-kg/claim/x> {
  rb:x a rb:T , rb:S ; rb:p "1.50"^^xsd:decimal , "01"^^xsd:integer , 7 , -2.5 , 1e6 , true ,
      "tab\\tquote\\" back\\\\ nl\\n del\\u007f \\u0085 \\u2028 哈尔滨" , "Harbin"@en-GB ,
      "x"^^<urn:custom> , "y"^^xsd:string , <urn:o?a=b#c> , rb:x , rb:x-y ,
      <https://w3id.org/rustbelt-kg/id/x#y> .
  <https://w3id.org/rustbelt-kg/id/x#y> rb:p rb:x .
  rb:x-y rb:q "z" .
}
<https://w3id.org/rustbelt-kg/claim/y> { rb:x rb:p 7 . <urn:a> <urn:b> "c" . }
"""


def _written(quads: list, folder: Path) -> dict[str, bytes]:
    folder.mkdir()
    write_exports(quads, folder, "x")
    return {path.suffix: path.read_bytes() for path in sorted(folder.iterdir())}


def test_the_engine_writes_ntriples_nquads_and_turtle_byte_for_byte_as_python_does(
    tmp_path: Path,
) -> None:
    import pyoxigraph as ox

    from rustbelt_kg.engine_export import EngineLines
    from rustbelt_kg.load import load_engine_quads, rdflib_quads

    engine = list(ox.parse(AWKWARD_TTL.encode(), ox.RdfFormat.TRIG))
    engine += load_engine_quads(Project(ROOT))
    by_engine = _written(engine, tmp_path / "engine")
    by_python = _written(rdflib_quads(engine), tmp_path / "python")
    assert by_engine == by_python
    lines = EngineLines(engine)
    assert lines.formats == ("nt", "nquads", "turtle", "trig")
    assert by_engine[".ttl"] == lines.turtle() and by_engine[".nt"] == lines.ntriples()
    assert by_engine[".trig"] == lines.trig() and by_engine[".nq"] == lines.nquads()
    # IRIs by IRI (x, x#y, x-y), then literals as written (01, not the engine's 1)
    assert b"\nrb:x a rb:S , rb:T ;\n    rb:p rb:x , <https://w3id.org/rustbelt-kg/id/x#y> , " \
        b"rb:x-y , <urn:o?a=b#c> , -2.5 , 01 , 1.50 , 1e6 , 7 , " in by_engine[".ttl"]


def test_quads_in_the_default_graph_are_written_as_python_does(tmp_path: Path) -> None:
    import pyoxigraph as ox

    from rustbelt_kg.engine_export import EngineLines
    from rustbelt_kg.load import rdflib_quads

    engine = list(ox.parse(AWKWARD_TTL.encode() + b"<urn:a> <urn:b> <urn:c> .\n",
                           ox.RdfFormat.TRIG))
    assert "trig" not in EngineLines(engine).formats
    by_engine = _written(engine, tmp_path / "engine")
    assert by_engine == _written(rdflib_quads(engine), tmp_path / "python")
    assert b"/id/> .\n\n<urn:a> <urn:b> <urn:c> .\n\nclaim:x {\n" in by_engine[".trig"]


def test_quads_with_blank_nodes_are_written_with_canonical_labels(tmp_path: Path) -> None:
    import pyoxigraph as ox

    engine = list(ox.parse(b"<urn:a> <urn:p> [ <urn:q> 1 ] .", ox.RdfFormat.TURTLE))
    written = _written(engine, tmp_path / "blank")
    assert b"_:c14n0" in written[".nt"] and b"_:c14n0" in written[".nq"]


def test_the_fast_prefixed_names_are_those_of_the_python_writer() -> None:
    from rustbelt_kg.engine_export import _prefixer
    from rustbelt_kg.export import _Namer
    from rustbelt_kg.namespaces import PREFIXES

    tails = ["a", "a#b", "a/b", "x-y", "", "1", "a.b", "a.", "#q", "/", "claim/a#q", "é"]
    iris = [ns + tail for ns in PREFIXES.values() for tail in tails]
    iris += ["urn:x", "http://example.org/a", "https://w3id.org/rustbelt-kg/claim/a#quote"]
    python, engine = _Namer(), _Namer()
    fast = _prefixer(engine)
    assert [fast(iri) for iri in iris] == [python.iri(iri) for iri in iris]
    assert engine.used == python.used and "rb" in engine.used
