"""SPARQL query results: one type for every engine, and the formats they are written in.

:class:`QueryResult` is what :meth:`Store.query` returns, whichever engine ran the
query: a table (``vars`` and ``rows`` of rdflib terms), a boolean, or an rdflib
graph. Literals are normalised at the engine boundary: ``"x"^^xsd:string`` is the
simple literal ``"x"`` (see :func:`normalise`), so results of both engines compare equal.

:data:`RESULT_FORMATS` is the registry of the formats a table or boolean is written in
(``table``, ``csv``, ``tsv``, ``json``, ``xml``). The ``json`` writer is canonical
(sorted keys, two-space indent, rows in result order): the expected-result files
``queries/NAME.srj`` are exactly its output.

>>> from rdflib import Literal, URIRef
>>> r = QueryResult.select(["x"], [{"x": URIRef("https://w3id.org/rustbelt-kg/id/wan-long")}])
>>> print(render(r, "tsv"), end="")
?x
<https://w3id.org/rustbelt-kg/id/wan-long>
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from rdflib.term import BNode, Literal, Node, URIRef

from rustbelt_kg import namespaces
from rustbelt_kg.catalog import RESULT_FORMAT_INFO, ResultFormatInfo
from rustbelt_kg.errors import UsageError
from rustbelt_kg.export import xml_attr, xml_escape
from rustbelt_kg.fsio import atomic_write
from rustbelt_kg.terms import compact_iri, nt_term

if TYPE_CHECKING:
    from rdflib import Graph

__all__ = [
    "RESULT_FORMATS",
    "Answer",
    "CollectsStream",
    "QueryResult",
    "ResultFormat",
    "ResultStream",
    "normalise",
    "parse_json_result",
    "read_expected",
    "render",
    "to_json",
    "write_answer",
    "write_expected",
]

XSD_STRING = namespaces.PREFIXES["xsd"] + "string"
Row = dict[str, Node]


def normalise(term: Node) -> Node:
    """``"x"^^xsd:string`` becomes ``"x"`` and language tags are lowercased (as Oxigraph
    stores them); every other term is returned unchanged."""
    if isinstance(term, Literal):
        if term.datatype is not None and str(term.datatype) == XSD_STRING:
            return Literal(str(term))
        if term.language and term.language != term.language.lower():
            return Literal(str(term), lang=term.language.lower())
    return term


@dataclass
class QueryResult:
    """The answer to one SPARQL query.

    ``kind`` is ``"select"`` (``vars`` and ``rows``; a row maps each bound variable,
    without ``?``, to an rdflib term; unbound variables are absent), ``"ask"``
    (``boolean``) or ``"graph"`` for CONSTRUCT and DESCRIBE (``graph``).
    """

    kind: str
    vars: list[str] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    boolean: bool | None = None
    graph: Graph | None = None

    @classmethod
    def select(cls, vars: Sequence[str], rows: Sequence[Mapping[str, Node]]) -> QueryResult:
        """A table; literals in ``rows`` are normalised."""
        return cls(
            "select",
            vars=list(vars),
            rows=[{k: normalise(v) for k, v in row.items() if v is not None} for row in rows],
        )

    @classmethod
    def ask(cls, answer: bool) -> QueryResult:
        """The answer of an ASK query."""
        return cls("ask", boolean=bool(answer))

    @classmethod
    def of_graph(cls, graph: Graph) -> QueryResult:
        """The graph of a CONSTRUCT or DESCRIBE query."""
        return cls("graph", graph=graph)

    def __len__(self) -> int:
        if self.kind == "graph":
            return len(self.graph) if self.graph is not None else 0
        return len(self.rows) if self.kind == "select" else int(bool(self.boolean))


@dataclass
class ResultStream:
    """An answer whose rows are read once, as the engine gives them (what
    :meth:`Store.stream <rustbelt_kg.store.Store>` returns): the same fields as
    :class:`QueryResult`, but ``rows`` is an iterator, so a large table never sits in memory.
    :meth:`collect` makes the :class:`QueryResult`."""

    kind: str
    vars: list[str] = field(default_factory=list)
    rows: Iterator[Row] = field(default_factory=lambda: iter(()))
    boolean: bool | None = None
    graph: Graph | None = None

    @classmethod
    def select(cls, vars: Sequence[str], rows: Iterable[Mapping[str, Node | None]]) -> ResultStream:
        """A table read lazily; literals are normalised as they pass."""
        normalised = ({k: normalise(v) for k, v in row.items() if v is not None} for row in rows)
        return cls("select", vars=list(vars), rows=normalised)

    @classmethod
    def of(cls, result: QueryResult) -> ResultStream:
        """The stream over a :class:`QueryResult` already in memory."""
        return cls(result.kind, list(result.vars), iter(result.rows), result.boolean, result.graph)

    def collect(self) -> QueryResult:
        """Read every row: the :class:`QueryResult`."""
        if self.kind == "select":
            return QueryResult("select", vars=list(self.vars), rows=list(self.rows))
        return QueryResult(self.kind, boolean=self.boolean, graph=self.graph)


#: What the writers read: a :class:`QueryResult` or a :class:`ResultStream`.
Answer = QueryResult | ResultStream


class CollectsStream:
    """For a store: :meth:`query` is :meth:`stream` with every row read."""

    def stream(
        self, sparql: str, bindings: Mapping[str, Node] | None = None, *,
        services: Iterable[str] = (),
    ) -> ResultStream:
        raise NotImplementedError

    def query(
        self, sparql: str, bindings: Mapping[str, Node] | None = None, *,
        services: Iterable[str] = (),
    ) -> QueryResult:
        """Run a SPARQL query: :meth:`stream`, collected. The text is checked first
        (:func:`~rustbelt_kg.sparql.check_query`: limits, no update, a ``SERVICE`` only to
        an endpoint in ``services``)."""
        return self.stream(sparql, bindings, services=services).collect()


# -- SPARQL 1.1 Query Results JSON -------------------------------------------------------


def _json_term(term: Node) -> dict[str, str]:
    if isinstance(term, URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, BNode):
        return {"type": "bnode", "value": str(term)}
    if isinstance(term, Literal):
        out = {"type": "literal", "value": str(term)}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype is not None and str(term.datatype) != XSD_STRING:
            out["datatype"] = str(term.datatype)
        return out
    raise UsageError(f"cannot write {term!r} as a SPARQL result term")


def to_json(result: Answer) -> str:
    """The canonical SPARQL-JSON text of a table or boolean (sorted keys, 2-space indent)."""
    out = io.StringIO()
    _write_json(result, out)
    return out.getvalue()


def _indented(doc: object, by: int) -> str:
    """``doc`` as canonical JSON, its lines after the first indented by ``by`` spaces."""
    text = json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False)
    return text.replace("\n", "\n" + " " * by)


def _write_json(result: Answer, out: TextIO) -> None:
    """Canonical SPARQL-JSON, one binding at a time: the same text as ``json.dumps`` of the
    whole document with ``indent=2, sort_keys=True``."""
    if result.kind == "ask":
        out.write(_indented({"head": {}, "boolean": bool(result.boolean)}, 0) + "\n")
        return
    if result.kind != "select":
        raise UsageError("a CONSTRUCT or DESCRIBE result is a graph: use an RDF format")
    out.write('{\n  "head": ' + _indented({"vars": list(result.vars)}, 2))
    out.write(',\n  "results": {\n    "bindings": [')
    separator = "\n      "
    for row in result.rows:
        out.write(separator + _indented({k: _json_term(v) for k, v in row.items()}, 6))
        separator = ",\n      "
    out.write("]\n  }\n}\n" if separator == "\n      " else "\n    ]\n  }\n}\n")


def _from_json_term(value: Mapping[str, str]) -> Node:
    kind = value.get("type")
    if kind == "uri":
        return URIRef(value["value"])
    if kind == "bnode":
        return BNode(value["value"])
    if kind in ("literal", "typed-literal"):
        if "xml:lang" in value:
            return Literal(value["value"], lang=value["xml:lang"])
        datatype = value.get("datatype")
        typed = URIRef(datatype) if datatype else None
        # normalize=False keeps the lexical form: "01"^^xsd:integer stays "01"
        return normalise(Literal(value["value"], datatype=typed, normalize=False))
    raise UsageError(f"unknown SPARQL-JSON term type {kind!r}")


def parse_json_result(text: str) -> QueryResult:
    """Parse a SPARQL 1.1 Query Results JSON document."""
    try:
        doc = json.loads(text)
        if "boolean" in doc:
            return QueryResult.ask(bool(doc["boolean"]))
        vars = list(doc["head"].get("vars", []))
        rows = [
            {k: _from_json_term(v) for k, v in binding.items()}
            for binding in doc["results"]["bindings"]
        ]
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise UsageError(f"not a SPARQL results JSON document: {error}") from error
    return QueryResult.select(vars, rows)


def read_expected(path: Path) -> QueryResult:
    """Read an expected-result file (``queries/NAME.srj``)."""
    try:
        return parse_json_result(path.read_text(encoding="utf-8"))
    except UsageError as error:
        raise UsageError(f"{path}: {error}") from error


def write_expected(result: QueryResult, path: Path) -> None:
    """Write ``result`` to ``path`` as canonical SPARQL-JSON, atomically
    (:class:`~rustbelt_kg.errors.OutputError` if it cannot be written)."""
    text = to_json(result)
    atomic_write(path, lambda out: out.write(text))


# -- the other result formats ------------------------------------------------------------


def _csv_value(term: Node | None) -> str:
    if term is None:
        return ""
    return f"_:{term}" if isinstance(term, BNode) else str(term)


def _write_csv(result: Answer, out: TextIO) -> None:
    if result.kind == "ask":
        out.write("true\r\n" if result.boolean else "false\r\n")
        return
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(result.vars)
    for row in result.rows:
        writer.writerow([_csv_value(row.get(var)) for var in result.vars])


def _write_tsv(result: Answer, out: TextIO) -> None:
    if result.kind == "ask":
        out.write("true\n" if result.boolean else "false\n")
        return
    out.write("\t".join(f"?{v}" for v in result.vars) + "\n")
    for row in result.rows:
        out.write("\t".join(nt_term(row[v]) if v in row else "" for v in result.vars) + "\n")


def _xml_term(term: Node) -> str:
    if isinstance(term, URIRef):
        return f"<uri>{xml_escape(str(term))}</uri>"
    if isinstance(term, BNode):
        return f"<bnode>{xml_escape(str(term))}</bnode>"
    assert isinstance(term, Literal)
    if term.language:
        return f"<literal xml:lang={xml_attr(term.language)}>{xml_escape(str(term))}</literal>"
    if term.datatype is not None and str(term.datatype) != XSD_STRING:
        return f"<literal datatype={xml_attr(str(term.datatype))}>{xml_escape(str(term))}</literal>"
    return f"<literal>{xml_escape(str(term))}</literal>"


def _write_xml(result: Answer, out: TextIO) -> None:
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write('<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n  <head>\n')
    for var in result.vars:
        out.write(f"    <variable name={xml_attr(var)}/>\n")
    out.write("  </head>\n")
    if result.kind == "ask":
        out.write(f"  <boolean>{'true' if result.boolean else 'false'}</boolean>\n</sparql>\n")
        return
    out.write("  <results>\n")
    for row in result.rows:
        out.write("    <result>\n")
        for var in result.vars:
            if var in row:
                out.write(f"      <binding name={xml_attr(var)}>{_xml_term(row[var])}</binding>\n")
        out.write("    </result>\n")
    out.write("  </results>\n</sparql>\n")


def _display(term: Node) -> str:
    if isinstance(term, URIRef):
        return compact_iri(str(term), strict=False) or f"<{term}>"
    if isinstance(term, BNode):
        return f"_:{term}"
    assert isinstance(term, Literal)
    return f"{term}@{term.language}" if term.language else str(term)


#: Narrowest useful column of the table format; narrower tables print one record per row.
_MIN_COLUMN = 14


def _write_table(answer: Answer, out: TextIO) -> None:
    """A rich table (for a person at a terminal: all rows are read before it is drawn)."""
    from rich.console import Console
    from rich.table import Table

    console = Console(file=out, soft_wrap=False)
    if answer.kind == "ask":
        console.print("yes" if answer.boolean else "no")
        return
    result = answer if isinstance(answer, QueryResult) else answer.collect()
    if console.width < _MIN_COLUMN * len(result.vars):  # too narrow: one record per row
        for i, row in enumerate(result.rows, 1):
            record = Table.grid(padding=(0, 2))
            record.add_column(style="bold", no_wrap=True)
            record.add_column(overflow="fold")
            for var in result.vars:
                record.add_row(var, _display(row[var]) if var in row else "")
            console.print(f"── row {i} ──", style="dim")
            console.print(record)
    else:
        table = Table(header_style="bold")
        for var in result.vars:
            table.add_column(var, overflow="fold")
        for row in result.rows:
            table.add_row(*(_display(row[v]) if v in row else "" for v in result.vars))
        console.print(table)
    console.print(f"{len(result.rows)} row(s)", style="dim")


@dataclass(frozen=True)
class ResultFormat(ResultFormatInfo):
    """A format for SELECT and ASK results (its row of :data:`catalog.RESULT_FORMAT_INFO`)
    and its writer."""

    write: Callable[[Answer, TextIO], None]


#: The writer of each result format, by name.
_WRITERS: dict[str, Callable[[Answer, TextIO], None]] = {
    "table": _write_table,
    "csv": _write_csv,
    "tsv": _write_tsv,
    "json": _write_json,
    "xml": _write_xml,
}

#: The registry of result formats, by name (names and help: :data:`catalog.RESULT_FORMAT_INFO`).
RESULT_FORMATS: dict[str, ResultFormat] = {
    name: ResultFormat(**vars(info), write=_WRITERS[name])
    for name, info in RESULT_FORMAT_INFO.items()
}


def write_answer(result: Answer, format: str, out: TextIO) -> None:
    """Write a table or boolean to ``out`` in the result format called ``format``; a
    :class:`ResultStream` is written row by row as its rows come (except ``table``)."""
    if format not in RESULT_FORMATS:
        raise UsageError(f"unknown result format {format!r}; known: {', '.join(RESULT_FORMATS)}")
    if result.kind == "graph":
        raise UsageError("a CONSTRUCT or DESCRIBE result is a graph: use an RDF format")
    RESULT_FORMATS[format].write(result, out)


def render(result: Answer, format: str) -> str:
    """``result`` written in the result format called ``format``, as a string."""
    out = io.StringIO()
    write_answer(result, format, out)
    return out.getvalue()
