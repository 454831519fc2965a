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
