"""Names and help texts of the pluggable parts, without their implementations.

The registries :data:`rustbelt_kg.export.RDF_FORMATS`, :data:`rustbelt_kg.results.RESULT_FORMATS`
and :data:`rustbelt_kg.store.STORES` attach writers and openers to the rows here. This module
imports nothing heavy, so the command line can build its options and ``--help`` without
loading rdflib or pyoxigraph.

>>> sorted(RDF_FORMAT_INFO) == sorted(["turtle", "nt", "nquads", "trig", "jsonld", "xml"])
True
>>> sorted(STORE_HELP)
['memory', 'oxigraph', 'sparql']
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath

from rustbelt_kg.errors import UsageError

__all__ = [
    "DEFAULT_TIMEOUT",
    "RDF_FORMAT_INFO",
    "RESULT_FORMAT_INFO",
    "STORE_HELP",
    "RdfFormatInfo",
    "ResultFormatInfo",
    "rdf_format_for_path",
]


@dataclass(frozen=True)
class RdfFormatInfo:
    """An RDF serialisation: how it is named, stored and served."""

    name: str
    extension: str
    media_type: str
    keeps_graphs: bool
    rdflib_name: str
    help: str


#: RDF formats by name, in the order exports are written.
RDF_FORMAT_INFO: dict[str, RdfFormatInfo] = {
    f.name: f
    for f in (
        RdfFormatInfo("turtle", "ttl", "text/turtle", False, "turtle",
                      "Turtle, union of all graphs"),
        RdfFormatInfo("nt", "nt", "application/n-triples", False, "nt",
                      "N-Triples, union of all graphs, sorted lines"),
        RdfFormatInfo("nquads", "nq", "application/n-quads", True, "nquads",
                      "N-Quads, every named graph, sorted lines"),
        RdfFormatInfo("trig", "trig", "application/trig", True, "trig",
                      "TriG, every named graph"),
        RdfFormatInfo("jsonld", "jsonld", "application/ld+json", True, "json-ld",
                      "JSON-LD, every named graph, with the project context"),
        RdfFormatInfo("xml", "rdf", "application/rdf+xml", False, "xml",
                      "RDF/XML, union of all graphs"),
    )
}


def rdf_format_for_path(path: PurePath) -> str:
    """The RDF format a file's extension names (case ignored).

    An extension that names no format, or none at all, is a :class:`UsageError` listing
    the known extensions: a file is never written in a format its name does not say.

    >>> rdf_format_for_path(PurePath("out.NT"))
    'nt'
    >>> rdf_format_for_path(PurePath("out.txt"))
    Traceback (most recent call last):
    ...
    rustbelt_kg.errors.UsageError: cannot tell the RDF format of out.txt from its extension \
(.txt); known extensions: .ttl .nt .nq .trig .jsonld .rdf; or give --format
    """
    by_extension = {f.extension: f.name for f in RDF_FORMAT_INFO.values()}
    suffix = path.suffix.lstrip(".").lower()
    if suffix in by_extension:
        return by_extension[suffix]
    known = " ".join(f".{e}" for e in by_extension)
    found = f".{suffix}" if suffix else "none"
    raise UsageError(f"cannot tell the RDF format of {path} from its extension ({found}); "
                     f"known extensions: {known}; or give --format")


@dataclass(frozen=True)
class ResultFormatInfo:
    """A format for SELECT and ASK results."""

    name: str
    media_type: str
    help: str


#: Result formats by name.
RESULT_FORMAT_INFO: dict[str, ResultFormatInfo] = {
    f.name: f
    for f in (
        ResultFormatInfo("table", "text/plain", "a table for reading in a terminal"),
        ResultFormatInfo("csv", "text/csv", "SPARQL 1.1 CSV: plain values"),
        ResultFormatInfo("tsv", "text/tab-separated-values",
                         "SPARQL 1.1 TSV: terms in N-Triples syntax"),
        ResultFormatInfo("json", "application/sparql-results+json",
                         "SPARQL 1.1 Query Results JSON (canonical: the .srj files)"),
        ResultFormatInfo("xml", "application/sparql-results+xml", "SPARQL Query Results XML"),
    )
}

#: Stores by name, with their help text.
#: Seconds a query may run unless ``--timeout`` says otherwise
#: (:func:`rustbelt_kg.bounded.run_bounded` stops it).
DEFAULT_TIMEOUT = 30.0

STORE_HELP: dict[str, str] = {
    "oxigraph": "embedded Oxigraph on disk under build/store (default)",
    "memory": "rdflib in memory, loaded from the source files each time",
    "sparql": "a remote SPARQL server: --endpoint URL, or [stores.sparql] in rustbelt-kg.toml",
}
