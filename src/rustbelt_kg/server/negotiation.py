"""Content negotiation, decided in one place: which media type a request gets.

Each kind of answer has its table of :class:`Representation` rows (a name, a media type, the
suffix that asks for it in a path, and the ``?format=`` names). :func:`choose` picks a row
from a suffix, a ``format`` value, or the ``Accept`` header, in that order; nothing that
fits is :class:`~rustbelt_kg.errors.NotAcceptable` (406). The ``Accept`` header is read by
python-mimeparse (q-values, wildcards); on a tie the first row of the table wins, so a
client that accepts anything (``*/*``) gets the first one.

>>> choose(RESOURCE, accept="text/turtle;q=0.9, application/ld+json").name
'jsonld'
>>> choose(RESOURCE, accept="text/html,application/xhtml+xml,*/*;q=0.8").name
'html'
>>> choose(RESOURCE, accept="*/*").name
'turtle'
>>> choose(RESULTS, format="csv").media_type
'text/csv'
"""

from __future__ import annotations

from dataclasses import dataclass

import mimeparse

from rustbelt_kg.catalog import RDF_FORMAT_INFO, RESULT_FORMAT_INFO
from rustbelt_kg.errors import NotAcceptable

__all__ = [
    "CLAIM",
    "GRAPHS",
    "GRAPH_RESULTS",
    "HTML",
    "RDF",
    "RESOURCE",
    "RESULTS",
    "Representation",
    "choose",
    "split_suffix",
]


@dataclass(frozen=True)
class Representation:
    """One way to write an answer: ``name`` is the writer's (an RDF format of
    :data:`catalog.RDF_FORMAT_INFO`, a result format, or ``html``)."""

    name: str
    media_type: str
    suffix: str | None
    aliases: tuple[str, ...] = ()
    #: Other media types that ask for the same (``application/json`` for SPARQL JSON).
    also: tuple[str, ...] = ()

    @property
    def content_type(self) -> str:
        """The ``Content-Type`` header: text types say they are UTF-8."""
        return f"{self.media_type}; charset=utf-8"


def _rdf(name: str, *aliases: str, also: tuple[str, ...] = ()) -> Representation:
    info = RDF_FORMAT_INFO[name]
    return Representation(name, info.media_type, info.extension, (info.extension, *aliases),
                          also)


HTML = Representation("html", "text/html", "html", ("html",), ("application/xhtml+xml",))

#: RDF for one resource or a CONSTRUCT/DESCRIBE answer: union of graphs.
RDF: tuple[Representation, ...] = (
    _rdf("turtle", "turtle", "ttl", also=("application/x-turtle",)),
    _rdf("nt", "ntriples", "n-triples", also=("text/plain",)),
    _rdf("jsonld", "json-ld", also=("application/json",)),
    _rdf("xml", "rdfxml", "rdf/xml", "rdf-xml", also=("application/xml", "text/xml")),
)
#: The formats that keep named graphs (a claim with its provenance graph).
QUADS: tuple[Representation, ...] = (
    _rdf("trig", "trig"),
    _rdf("nquads", "n-quads", "nq"),
)

#: A page of the site: HTML for browsers (they ask for ``text/html`` by name), RDF for
#: programs; Turtle for a client that takes anything (``curl``: ``*/*``).
RESOURCE: tuple[Representation, ...] = (RDF[0], HTML, *RDF[1:])
#: A claim: also TriG and N-Quads, with its provenance graph.
CLAIM: tuple[Representation, ...] = (*RESOURCE, *QUADS)
#: A named graph (no page of its own): RDF, the quad formats too.
GRAPHS: tuple[Representation, ...] = (*RDF, *QUADS)
#: A CONSTRUCT or DESCRIBE answer.
GRAPH_RESULTS: tuple[Representation, ...] = RDF


def _result(name: str, suffix: str, *aliases: str, also: tuple[str, ...] = ()) -> Representation:
    return Representation(name, RESULT_FORMAT_INFO[name].media_type, suffix, (name, *aliases),
                          also)


#: A SELECT or ASK answer.
RESULTS: tuple[Representation, ...] = (
    _result("json", "srj", "srj", "application/sparql-results+json",
            also=("application/json",)),
    _result("xml", "srx", "srx", "application/sparql-results+xml",
            also=("application/xml", "text/xml")),
    _result("csv", "csv", "text/csv"),
    _result("tsv", "tsv", "text/tab-separated-values"),
)


def split_suffix(name: str, table: tuple[Representation, ...]) -> tuple[str, Representation | None]:
    """``name`` without a suffix the table knows (``wan-long.ttl``), and that suffix's row."""
    stem, dot, suffix = name.rpartition(".")
    if dot:
        for row in table:
            if row.suffix == suffix.lower():
                return stem, row
    return name, None


def choose(
    table: tuple[Representation, ...],
    *,
    accept: str | None = None,
    format: str | None = None,
    suffix: Representation | None = None,
) -> Representation:
    """The row of ``table`` a request asks for: its path ``suffix``, else its ``format``
    (a name or a media type), else its ``Accept`` header (none: the first row)."""
    if suffix is not None:
        return suffix
    if format:
        wanted = format.strip().lower()
        for row in table:
            if wanted in row.aliases or wanted == row.media_type or wanted in row.also:
                return row
        raise NotAcceptable(
            f"format={format!r} is not served here; one of: "
            + ", ".join(row.aliases[0] if row.aliases else row.name for row in table)
        )
    if not accept or not accept.strip():
        return table[0]
    offered = [(row.media_type, row) for row in table]
    offered += [(media, row) for row in table for media in row.also]
    # mimeparse prefers the later of two equally good types: offer the first row last
    best = _best_match([media for media, _ in reversed(offered)], accept)
    if best:
        return next(row for media, row in offered if media == best)
    raise NotAcceptable(
        "none of the media types in Accept is served here; available: "
        + ", ".join(row.media_type for row in table)
    )


def _best_match(offered: list[str], accept: str) -> str:
    try:
        return mimeparse.best_match(offered, accept)
    except (ValueError, mimeparse.MimeTypeParseException):
        return ""
