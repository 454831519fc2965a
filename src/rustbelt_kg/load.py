"""Parsing the source files of a checkout into quads.

Files are parsed with pyoxigraph (fast, and exact about where a syntax error is) and
converted to rdflib quads. :func:`load_quads` parses *every* source file before it
returns, so a caller that writes a store only after it has the quads never writes
anything when one file is broken. A syntax error is an :class:`RdfSyntaxError` naming
the file, line and column (1-based, as the parser reports them).

Which files are read, in which syntax, into which graph: :data:`rustbelt_kg.project.SOURCES`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox
from rdflib.term import URIRef

from rustbelt_kg.errors import RdfSyntaxError, RustbeltError
from rustbelt_kg.project import Project, SourceKind
from rustbelt_kg.terms import Quad, from_oxigraph, from_oxigraph_quad

if TYPE_CHECKING:
    from rdflib import Dataset, Graph

__all__ = ["SYNTAXES", "load_project", "load_quads", "load_shapes", "parse_file"]

#: Source syntaxes by the name :class:`SourceKind` uses.
SYNTAXES: dict[str, ox.RdfFormat] = {
    "turtle": ox.RdfFormat.TURTLE,
    "trig": ox.RdfFormat.TRIG,
    "nt": ox.RdfFormat.N_TRIPLES,
    "nquads": ox.RdfFormat.N_QUADS,
    "jsonld": ox.RdfFormat.JSON_LD,
    "xml": ox.RdfFormat.RDF_XML,
}

_PARSER_PREFIX = re.compile(
    r"^Parser error (?:at|between) line \d+ column \d+(?: and line \d+ column \d+)?: "
)


def parse_file(
    path: Path,
    syntax: str = "turtle",
    graph: str | None = None,
    *,
    display: str | None = None,
) -> list[Quad]:
    """Parse one RDF file into rdflib quads.

    Triples (of a triples syntax, or in the default graph of a TriG file) go into
    ``graph`` when it is given, else the default graph (``None``). ``display`` is the
    name used for the file in error messages (default: the path as given).
    """
    name = display or str(path)
    target = URIRef(graph) if graph is not None else None
    try:
        with open(path, "rb") as stream:
            parsed = list(ox.parse(stream, SYNTAXES[syntax]))
    except SyntaxError as error:
        message = _PARSER_PREFIX.sub("", str(error.msg or error))
        raise RdfSyntaxError(message, path=name, line=error.lineno, column=error.offset) from error
    except OSError as error:
        raise RustbeltError(f"{name}: cannot read: {error.strerror or error}") from error
    quads: list[Quad] = []
    for quad in parsed:
        if isinstance(quad.graph_name, ox.DefaultGraph):
            quads.append(
                (from_oxigraph(quad.subject), from_oxigraph(quad.predicate),
                 from_oxigraph(quad.object), target)
            )
        else:
            quads.append(from_oxigraph_quad(quad))
    return quads


def _parse_kind(project: Project, kind: SourceKind, path: Path) -> list[Quad]:
    return parse_file(path, kind.syntax, kind.graph, display=project.display(path))


def load_quads(project: Project) -> list[Quad]:
    """Every quad of every source file that goes into the store, in :data:`SOURCES` order.

    All files are parsed before this returns; the first syntax error raises.
    """
    quads: list[Quad] = []
    for kind, path in project.sources(loaded=True):
        quads.extend(_parse_kind(project, kind, path))
    return quads


def to_dataset(quads: Iterable[Quad]) -> Dataset:
    """An rdflib ``Dataset`` (its default graph is the union of all graphs) of ``quads``."""
    from rustbelt_kg.memory_store import memory_dataset

    return memory_dataset(quads)


def load_project(project: Project) -> Dataset:
    """The whole store content of ``project`` as an rdflib ``Dataset`` (default = union)."""
    return to_dataset(load_quads(project))


def load_shapes(project: Project) -> Graph:
    """The SHACL shapes of ``project`` (``shapes/*.ttl``) as one rdflib graph."""
    from rustbelt_kg.validate import load_shapes as load_shape_files

    return load_shape_files(path for _, path in project.sources(loaded=False))
