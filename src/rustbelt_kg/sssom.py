"""SSSOM mapping sets: the TSV format with its YAML header, and the RDF form.

Only what this project uses of SSSOM 1.1 (https://w3id.org/sssom/) is modelled: one
:class:`Mapping` per row with the slots in :data:`SLOTS`, and a :class:`MappingSet` with its
metadata (``curie_map``, ``mapping_set_id``, ``license``...). Identifiers are CURIEs in TSV
and IRIs everywhere else; every prefix a CURIE uses must be in the set's ``curie_map`` or be
one of SSSOM's built-in prefixes.

The RDF form follows the SSSOM/RDF specification: the set is a ``sssom:MappingSet`` named
by its ``mapping_set_id``; each mapping is an ``owl:Axiom`` named by its ``record_id`` (so no
blank nodes) with ``owl:annotatedSource``/``annotatedProperty``/``annotatedTarget`` and one
triple per other slot. :func:`to_quads` adds the mapping triple itself
(``subject predicate object``) beside its record.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date
from pathlib import Path

import yaml
from rdflib.term import Literal, URIRef

from rustbelt_kg.errors import DataProblem, RustbeltError, SyntaxProblem
from rustbelt_kg.fsio import atomic_write
from rustbelt_kg.namespaces import PREFIXES
from rustbelt_kg.terms import Quad

__all__ = [
    "BUILT_IN_PREFIXES", "ENTITY_TYPES", "SLOTS", "SSSOM_VERSIONS", "Mapping", "MappingSet",
    "dumps_tsv", "loads_tsv", "read_tsv", "to_quads", "write_tsv",
]

SSSOM, OWL, RDF, RDFS, SKOS, XSD, DCTERMS = (
    PREFIXES[name] for name in ("sssom", "owl", "rdf", "rdfs", "skos", "xsd", "dcterms")
)
RDF_TYPE = URIRef(RDF + "type")

#: Prefixes every SSSOM reader knows without a curie_map entry.
BUILT_IN_PREFIXES: dict[str, str] = {
    "linkml": "https://w3id.org/linkml/",
    **{name: PREFIXES[name] for name in ("owl", "rdf", "rdfs", "semapv", "skos", "sssom", "xsd")},
}

#: Mapping slots used here, in the SSSOM column order: name -> (RDF property, kind).
#: Kinds: ``id`` (CURIE in TSV, IRI in RDF), ``ids`` (several, ``|``-separated),
#: ``str``, ``date`` (xsd:date), ``float`` (xsd:double), ``enum`` (entity type, an IRI).
SLOTS: dict[str, tuple[str, str]] = {
    "record_id": ("", "id"),
    "subject_id": (OWL + "annotatedSource", "id"),
    "subject_label": (SSSOM + "subject_label", "str"),
    "predicate_id": (OWL + "annotatedProperty", "id"),
    "object_id": (OWL + "annotatedTarget", "id"),
    "object_label": (SSSOM + "object_label", "str"),
    "mapping_justification": (SSSOM + "mapping_justification", "id"),
    "author_label": (SSSOM + "author_label", "str"),
    "reviewer_label": (SSSOM + "reviewer_label", "str"),
    "subject_type": (SSSOM + "subject_type", "enum"),
    "object_type": (SSSOM + "object_type", "enum"),
    "mapping_tool": (SSSOM + "mapping_tool", "str"),
    "mapping_date": (DCTERMS + "created", "date"),
    "review_date": (SSSOM + "review_date", "date"),
    "confidence": (SSSOM + "confidence", "float"),
    "reviewer_agreement": (SSSOM + "reviewer_agreement", "float"),
    "curation_rule_text": (SSSOM + "curation_rule_text", "str"),
    "subject_match_field": (SSSOM + "subject_match_field", "ids"),
    "object_match_field": (SSSOM + "object_match_field", "ids"),
    "match_string": (SSSOM + "match_string", "str"),
    "comment": (RDFS + "comment", "str"),
}

#: Entity type enumeration values (SSSOM ``entity_type_enum``) and their meanings, the IRIs
#: the RDF form uses. ``owl data property`` means ``owl:DatatypeProperty``, the OWL term.
#: Any other value of an ``enum`` slot is refused when a file is read.
ENTITY_TYPES: dict[str, str] = {
    "owl class": OWL + "Class",
    "owl object property": OWL + "ObjectProperty",
    "owl data property": OWL + "DatatypeProperty",
    "owl annotation property": OWL + "AnnotationProperty",
    "owl named individual": OWL + "NamedIndividual",
    "skos concept": SKOS + "Concept",
    "rdfs resource": RDFS + "Resource",
    "rdfs class": RDFS + "Class",
    "rdfs literal": RDFS + "Literal",
    "rdfs datatype": RDFS + "Datatype",
    "rdf property": RDF + "Property",
}
#: The range of each ``float`` slot: a confidence is 0..1, a reviewer's agreement -1..1.
_RANGES: dict[str, tuple[float, float]] = {
    "confidence": (0.0, 1.0),
    "reviewer_agreement": (-1.0, 1.0),
}

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
#: Set-level slots that apply to every mapping when the rows leave them empty.
_PROPAGATABLE = ("mapping_date", "mapping_tool", "subject_type", "object_type")
#: Set-level slots written to RDF: name -> property.
_SET_SLOTS: dict[str, str] = {
    "mapping_set_title": DCTERMS + "title",
    "mapping_set_description": DCTERMS + "description",
    "license": DCTERMS + "license",
    "creator_label": SSSOM + "creator_label",
    "mapping_set_version": OWL + "versionInfo",
    "sssom_version": SSSOM + "sssom_version",
}
#: SSSOM specification versions (``sssom_version_enum``) and the IRIs the RDF form uses.
SSSOM_VERSIONS: dict[str, str] = {"1.0": SSSOM + "version1.0", "1.1": SSSOM + "version1.1"}


@dataclass(frozen=True)
class Mapping:
    """One mapping record; identifiers are full IRIs, absent values are ``None``."""

    subject_id: str
    predicate_id: str
    object_id: str
    mapping_justification: str
    record_id: str | None = None
    subject_label: str | None = None
    object_label: str | None = None
    author_label: str | None = None
    reviewer_label: str | None = None
    subject_type: str | None = None
    object_type: str | None = None
    mapping_tool: str | None = None
    mapping_date: str | None = None
    review_date: str | None = None
    confidence: float | None = None
    reviewer_agreement: float | None = None
    curation_rule_text: str | None = None
    subject_match_field: tuple[str, ...] = ()
    object_match_field: tuple[str, ...] = ()
    match_string: str | None = None
    comment: str | None = None

    def with_(self, **changes: object) -> Mapping:
        """A copy with some slots changed."""
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass
class MappingSet:
    """A mapping set: its metadata (YAML header) and its mappings (TSV rows)."""

    mapping_set_id: str
    curie_map: dict[str, str]
    mappings: list[Mapping] = field(default_factory=list)
    metadata: dict[str, object] = field(default_factory=dict)

    # -- identifiers ---------------------------------------------------------------------

    def _prefixes(self) -> dict[str, str]:
        return {**BUILT_IN_PREFIXES, **self.curie_map}

    def expand(self, curie: str) -> str:
        """The IRI of ``curie``; :class:`DataProblem` if its prefix is undeclared."""
        prefix, sep, local = curie.partition(":")
        prefixes = self._prefixes()
        if not sep or prefix not in prefixes:
            raise DataProblem(f"{curie!r}: prefix {prefix!r} is not in the curie_map")
        return prefixes[prefix] + local

    def contract(self, iri: str) -> str:
        """The CURIE of ``iri`` with the longest matching declared prefix."""
        best: tuple[str, str] | None = None
        for prefix, base in self._prefixes().items():
            if iri.startswith(base) and (best is None or len(base) > len(best[1])):
                best = (prefix, base)
        if best is None:
            raise DataProblem(f"<{iri}> has no prefix in the curie_map: add one")
        return f"{best[0]}:{iri[len(best[1]):]}"

    def sorted(self) -> MappingSet:
        """The same set with mappings in a stable order (subject, object, predicate)."""
        rows = sorted(self.mappings, key=lambda m: (m.subject_id, m.object_id, m.predicate_id))
        return MappingSet(self.mapping_set_id, dict(self.curie_map), rows, dict(self.metadata))


# -- TSV ------------------------------------------------------------------------------------


def _ids(value: object) -> tuple[str, ...]:
    """The identifiers of a multivalued ``ids`` slot."""
    if not isinstance(value, tuple | list):
        raise TypeError(f"{value!r} is not a sequence of identifiers")
    return tuple(str(v) for v in value)


def _number(value: object) -> str:
    """A float cell: the shortest text that reads back as the same number.

    >>> [_number(v) for v in (0.95, 0.7, 1.0, 0.123456, -1.0)]
    ['0.95', '0.7', '1', '0.123456', '-1']
    """
    if not isinstance(value, int | float):
        raise TypeError(f"{value!r} is not a number")
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def _cell(mset: MappingSet, name: str, value: object) -> str:
    kind = SLOTS[name][1]
    if value is None or value == ():
        return ""
    if kind == "id":
        return mset.contract(str(value))
    if kind == "ids":
        return "|".join(mset.contract(v) for v in _ids(value))
    if kind == "float":
        return _number(value)
    return str(value)


def dumps_tsv(mset: MappingSet, *, always: Sequence[str] = ()) -> str:
    """The SSSOM/TSV text of ``mset``: ``#``-prefixed YAML header, then one row per mapping.

    Columns are the slots in :data:`SLOTS` order that at least one mapping fills, and
    those named in ``always`` (columns left for a reviewer to fill).
    """
    header = {"curie_map": dict(sorted(mset.curie_map.items())),
              "mapping_set_id": mset.mapping_set_id, **mset.metadata}
    text = yaml.safe_dump(header, sort_keys=False, allow_unicode=True, width=1000)
    lines = ["#" + line for line in text.splitlines()]
    columns = [
        name for name in SLOTS
        if name in always or any(getattr(m, name) not in (None, ()) for m in mset.mappings)
    ]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(columns)
    for m in mset.mappings:
        writer.writerow([_cell(mset, name, getattr(m, name)) for name in columns])
    return "\n".join(lines) + "\n" + buffer.getvalue()


def write_tsv(mset: MappingSet, path: Path, *, always: Sequence[str] = ()) -> None:
    """Write ``mset`` to ``path`` as SSSOM/TSV, atomically (see :func:`dumps_tsv`)."""
    text = dumps_tsv(mset, always=always)
    atomic_write(path, lambda out: out.write(text))


def _value(mset: MappingSet, name: str, cell: str) -> object:
    """The value of one cell; ``ValueError`` (or :class:`DataProblem`) when it does not fit."""
    kind = SLOTS[name][1]
    if kind == "id":
        return mset.expand(cell)
    if kind == "ids":
        return tuple(mset.expand(v) for v in cell.split("|"))
    if kind == "float":
        try:
            number = float(cell)
        except ValueError:
            raise ValueError(f"{name} {cell!r} is not a number") from None
        low, high = _RANGES.get(name, (-math.inf, math.inf))
        if not low <= number <= high:  # NaN fails too
            raise ValueError(f"{name} {cell} is out of range {low:g}..{high:g}")
        return number
    if kind == "enum":
        if cell not in ENTITY_TYPES:
            known = ", ".join(repr(v) for v in ENTITY_TYPES)
            raise ValueError(f"{name} {cell!r} is not an SSSOM entity type; known: {known}")
        return cell
    if kind == "date":
        try:
            if not _DATE.fullmatch(cell):
                raise ValueError(cell)
            date.fromisoformat(cell)
        except ValueError:
            raise ValueError(f"{name} {cell!r} is not a date (YYYY-MM-DD)") from None
        return cell
    return cell


def _inherited(mset: MappingSet, header: list[str], path: Path | str | None) -> dict[str, object]:
    """The set-level values of propagatable slots, checked like cells (line of their key)."""
    values: dict[str, object] = {}
    for name in _PROPAGATABLE:
        if name not in mset.metadata:
            continue
        try:
            values[name] = _value(mset, name, str(mset.metadata[name]))
        except (DataProblem, ValueError) as err:
            line = next((i for i, text in enumerate(header, start=1)
                         if text.startswith(f"#{name}:")), None)
            raise SyntaxProblem(str(err), path=path, line=line, column=None) from err
    return values


def loads_tsv(text: str, *, path: Path | str | None = None) -> MappingSet:
    """Parse SSSOM/TSV text; :class:`SyntaxProblem` (with the line) when it does not fit."""
    lines = text.splitlines()
    n_header = next((i for i, line in enumerate(lines) if not line.startswith("#")), len(lines))
    try:
        meta = yaml.safe_load("\n".join(line[1:] for line in lines[:n_header])) or {}
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        raise SyntaxProblem(f"bad YAML header: {err}", path=path,
                         line=mark.line + 1 if mark else None, column=None) from err
    if not isinstance(meta, dict) or "mapping_set_id" not in meta:
        raise SyntaxProblem("the header has no mapping_set_id", path=path, line=1, column=None)
    curie_map = {str(k): str(v) for k, v in (meta.pop("curie_map", None) or {}).items()}
    mset = MappingSet(str(meta.pop("mapping_set_id")), curie_map, [], meta)
    rows = list(csv.reader(io.StringIO("\n".join(lines[n_header:])), delimiter="\t"))
    if not rows:
        return mset
    columns = rows[0]  # columns of slots not in SLOTS are discarded, as SSSOM/TSV says
    inherited = _inherited(mset, lines[:n_header], path)
    for number, row in enumerate(rows[1:], start=n_header + 2):
        if not any(row):
            continue
        if len(row) != len(columns):
            raise SyntaxProblem(f"{len(row)} cells for {len(columns)} columns", path=path,
                             line=number, column=None)
        values: dict[str, object] = dict(inherited)
        try:
            for name, cell in zip(columns, row, strict=True):
                if cell != "" and name in SLOTS:
                    values[name] = _value(mset, name, cell)
            mset.mappings.append(Mapping(**values))  # type: ignore[arg-type]
        except (DataProblem, ValueError, TypeError) as err:
            raise SyntaxProblem(str(err), path=path, line=number, column=None) from err
    return mset


def read_tsv(path: Path) -> MappingSet:
    """Read a SSSOM/TSV file.

    A file that is missing or cannot be read is a :class:`RustbeltError` (exit 5) naming
    it; a file that is not UTF-8 or does not parse is a :class:`SyntaxProblem` (exit 3).
    """
    try:
        data = Path(path).read_bytes()
    except OSError as err:
        raise RustbeltError(f"cannot read {path}: {err.strerror or err}") from err
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise SyntaxProblem(f"not UTF-8: byte {err.start} is {data[err.start]:#04x}",
                            path=path, line=line, column=None) from err
    return loads_tsv(text, path=path)


# -- RDF ------------------------------------------------------------------------------------


def _rdf_value(name: str, value: object) -> list[URIRef | Literal]:
    kind = SLOTS[name][1]
    if kind == "id":
        return [URIRef(str(value))]
    if kind == "ids":
        return [URIRef(v) for v in _ids(value)]
    if kind == "enum":
        meaning = ENTITY_TYPES.get(str(value))
        if meaning is None:
            raise DataProblem(f"{name} {value!r} is not an SSSOM entity type")
        return [URIRef(meaning)]
    if kind == "date":
        return [Literal(str(value), datatype=URIRef(XSD + "date"))]
    if kind == "float":
        if not isinstance(value, int | float):
            raise DataProblem(f"{name} {value!r} is not a number")
        return [Literal(float(value), datatype=URIRef(XSD + "double"))]
    return [Literal(str(value))]


def _set_value(name: str, value: object) -> URIRef | Literal:
    """The RDF object of a set-level slot: the licence and the SSSOM version are IRIs."""
    if name == "license":
        return URIRef(str(value))
    if name == "sssom_version":
        version = SSSOM_VERSIONS.get(str(value))
        if version is None:
            known = ", ".join(repr(v) for v in SSSOM_VERSIONS)
            raise DataProblem(f"sssom_version {value!r} is not an SSSOM version; known: {known}")
        return URIRef(version)
    return Literal(str(value))


def to_quads(mset: MappingSet, graph: str | None = None, *,
             mapping_triples: bool = True) -> Iterable[Quad]:
    """The RDF form of ``mset`` as quads in ``graph``.

    Every mapping needs a ``record_id`` (its IRI). With ``mapping_triples`` each mapping
    also asserts ``subject predicate object`` itself.
    """
    g = URIRef(graph) if graph else None
    set_iri = URIRef(mset.mapping_set_id)
    yield (set_iri, RDF_TYPE, URIRef(SSSOM + "MappingSet"), g)
    for name, prop in _SET_SLOTS.items():
        if name in mset.metadata:
            yield (set_iri, URIRef(prop), _set_value(name, mset.metadata[name]), g)
    for m in mset.mappings:
        if not m.record_id:
            raise DataProblem(f"mapping {m.subject_id} -> {m.object_id} has no record_id")
        record = URIRef(m.record_id)
        yield (set_iri, URIRef(SSSOM + "mappings"), record, g)
        yield (record, RDF_TYPE, URIRef(OWL + "Axiom"), g)
        for f in fields(m):
            value = getattr(m, f.name)
            if f.name == "record_id" or value in (None, ()):
                continue
            for term in _rdf_value(f.name, value):
                yield (record, URIRef(SLOTS[f.name][0]), term, g)
        if mapping_triples:
            yield (URIRef(m.subject_id), URIRef(m.predicate_id), URIRef(m.object_id), g)
