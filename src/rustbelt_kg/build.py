"""The main job: load, validate, check, replace the store, export, run the queries.

:func:`build` parses every source file and every stored and QC query first, so a syntax
error, an input past a limit or a fact that breaks the rules of
:mod:`rustbelt_kg.sourcing` writes nothing. Then it validates the data against the SHACL
shapes (a project without shapes does not conform), checks every claim's provenance
against the article text, writes the published JSON-LD context
(``context/rustbelt.jsonld``, from :data:`namespaces.PREFIXES`), loads a new store and
writes one export per RDF format into a new ``dist`` folder, runs the QC violation queries
(:func:`rustbelt_kg.query.run_qc_queries`) on the new store and compares every stored
query's answer with its expected result. Only then do the new store and the new exports
become live, by one symlink swap (:mod:`rustbelt_kg.livedir`; the exports are written inside
the store's fresh directory and ``dist`` links to ``build/store/dist``): a build that fails,
crashes or is killed at any moment leaves the previous store and ``dist/`` whole.

A build into a server (``--store sparql``) judges the data, not the server: the QC and
stored queries run on an embedded copy in memory of the same quads, and the server is
loaded and switched (atomically, :meth:`rustbelt_kg.stores.sparql.SparqlStore.staging`)
only when they pass. Whether the server answers as SPARQL 1.1 says is what the store
contract suite checks, with each server's known differences.

Data problems (SHACL violations, failed checks or QC queries, stored queries that differ
from their expected results) publish nothing: every step still runs, so that all of them
are reported, and then the fresh store and exports are removed and the previous ones stay
live. They are collected in :attr:`BuildSummary.problems`;
:meth:`BuildSummary.raise_for_problems` raises them, saying that the previous store and
exports are kept and that ``--store memory`` queries the sources as they are now.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rustbelt_kg import incremental, namespaces
from rustbelt_kg.errors import CheckFailed, DataProblem, QueryMismatch, ValidationFailed
from rustbelt_kg.export import RDF_FORMATS, Quad, context_text, write_exports
from rustbelt_kg.fsio import atomic_write
from rustbelt_kg.livedir import LiveDir
from rustbelt_kg.load import load_engine_quads, load_quads, load_shapes, rdflib_quads, to_dataset
from rustbelt_kg.progress import QUIET, Steps
from rustbelt_kg.query import (
    StoredQuery,
    check_expected,
    check_qc_queries,
    list_qc_queries,
    list_queries,
    parse_queries,
    run_qc_queries,
)
from rustbelt_kg.store import Store, open_store, staged

if TYPE_CHECKING:
    from collections.abc import Iterable

    from rdflib import Dataset, Graph

    from rustbelt_kg.project import Project
    from rustbelt_kg.stores import AnyQuad

__all__ = [
    "EXPORT_NAME",
    "KEPT_PREVIOUS",
    "NO_SHAPES",
    "BuildSummary",
    "SourceValidation",
    "build",
    "check_provenance",
    "check_sources",
    "count_shapes",
    "run_stored_queries",
    "validate_quads",
    "validate_sources",
]

#: Exports are ``dist/<EXPORT_NAME>.<extension>``, one per RDF format.
EXPORT_NAME = "rustbelt-kg"

#: Why a project without shapes does not conform.
NO_SHAPES = (
    "no shapes: shapes/*.ttl declares no node or property shape, so nothing would be "
    "validated; restore shapes/rustbelt.shacl.ttl"
)

#: What a build into a server says its queries were checked on.
CHECKED_ON_A_COPY = (
    "an embedded copy of the data (the server's own answers: the store contract suite "
    "and docs/known-differences.toml)"
)

#: What a build with data problems says after them.
KEPT_PREVIOUS = (
    "nothing was published: the previous store and exports (build/store, dist/) are kept; "
    "to investigate, --store memory queries the sources as they are now "
    "(e.g. rustbelt-kg --store memory describe rb:...)"
)


@dataclass
class BuildSummary:
    """What a build produced and found."""

    project: Path | None = None
    triples: int = 0
    quads: int = 0
    graphs: int = 0
    entities: int = 0
    claims: int = 0
    facts: int = 0
    shapes: int = 0
    conforms: bool = True
    violations: int = 0
    queries_passed: int = 0
    queries_total: int = 0
    qc_passed: int = 0
    qc_total: int = 0
    seconds: float = 0.0
    exports: list[Path] = field(default_factory=list)
    problems: list[DataProblem] = field(default_factory=list)
    kept_previous: bool = False
    #: How the build ran: incremental (what it reloaded and checked), or full and why.
    incremental: str = ""
    checked_on_a_copy: bool = False  # a server's build: see _store_to_judge

    @property
    def ok(self) -> bool:
        """Whether nothing failed."""
        return not self.problems

    def rows(self) -> list[tuple[str, str]]:
        """The summary as (label, value) pairs."""
        if not self.conforms and self.shapes == 0:
            conforms = "no (no shapes)"
        else:
            conforms = "yes" if self.conforms else f"no ({self.violations} violation(s))"
        return [
            *([("project", str(self.project))] if self.project is not None else []),
            ("triples (union)", str(self.triples)),
            ("quads", str(self.quads)),
            ("named graphs", str(self.graphs)),
            ("entities (rb:)", str(self.entities)),
            ("claims", str(self.claims)),
            ("facts (triples in claims)", str(self.facts)),
            ("shapes", str(self.shapes)),
            ("conforms", conforms),
            ("stored queries", f"{self.queries_passed}/{self.queries_total} pass"),
            ("QC queries", f"{self.qc_passed}/{self.qc_total} pass"),
            *([("checked on", CHECKED_ON_A_COPY)] if self.checked_on_a_copy else []),
            ("exports", ", ".join(p.name for p in self.exports) or "none"),
            *([("build", self.incremental)] if self.incremental else []),
            ("time", f"{self.seconds:.2f} s"),
        ]

    def render(self) -> str:
        """A plain-text summary, one ``label: value`` line each."""
        width = max(len(label) for label, _ in self.rows())
        return "".join(f"{label:<{width}}  {value}\n" for label, value in self.rows())

    def raise_for_problems(self) -> None:
        """Raise the problem found (or one :class:`DataProblem` listing them all), with
        :data:`KEPT_PREVIOUS` after it when the build published nothing."""
        note = "\n\n" + KEPT_PREVIOUS if self.kept_previous else ""
        if len(self.problems) == 1:
            problem = self.problems[0]
            if note and not str(problem).endswith(note):
                problem.args = (f"{problem}{note}",)
            raise problem
        if self.problems:
            raise DataProblem("\n\n".join(str(p) for p in self.problems) + note)


class _Unpublished(Exception):
    """Raised inside the staging of a build with data problems, so that nothing goes live."""


# -- steps --------------------------------------------------------------------------------


def validate_quads(quads: list[Quad], shapes: Graph) -> Any:
    """SHACL-validate ``quads`` (ontology graph apart) against ``shapes``.

    Returns the :class:`rustbelt_kg.validate.ValidationResult`.
    """
    from rustbelt_kg import validate

    return validate.validate_quads(quads, shapes)


def check_provenance(project: Project, dataset: Dataset) -> list[str]:
    """Problems with the claims' quotes and offsets (:func:`rustbelt_kg.provenance.check`)."""
    from rustbelt_kg import provenance, sources

    return provenance.check(dataset, sources.texts(project))


def _report_text(project: Project) -> dict[str, str]:
    """The texts a validation report quotes sentences from, by source text node."""
    from rustbelt_kg import sources

    return sources.texts(project)


@dataclass(frozen=True)
class SourceValidation:
    """The SHACL verdict on the source files: ``report`` is the readable report, if any."""

    result: Any
    quads: int
    shapes: int
    report: str | None


def validate_sources(project: Project) -> SourceValidation:
    """SHACL-validate the source files as they are now (not ``build/store``).

    A project without shapes raises :class:`ValidationFailed` (:data:`NO_SHAPES`).
    """
    quads = load_quads(project)
    shapes = load_shapes(project)
    if count_shapes(shapes) == 0:
        raise ValidationFailed(NO_SHAPES)
    result = validate_quads(quads, shapes)
    report = None if result.conforms else result.render(to_dataset(quads), _report_text(project))
    return SourceValidation(result, len(quads), count_shapes(shapes), report)


def check_sources(project: Project) -> tuple[int, int]:
    """Check the claims' provenance and run the QC queries on the source files.

    Returns (QC queries passed, QC queries run); raises :class:`CheckFailed` listing every
    problem when there is one.
    """
    from rustbelt_kg.store import OxigraphStore

    engine_quads = load_engine_quads(project)
    qc_queries = list_qc_queries(project)
    problems = [f"provenance: {p}"
                for p in check_provenance(project, to_dataset(rdflib_quads(engine_quads)))]
    scratch = OxigraphStore()  # the QC queries read the sources, not build/store
    scratch.replace_all(engine_quads)
    passed, total, qc = run_qc_queries(scratch, qc_queries)
    problems += qc
    if problems:
        raise CheckFailed("check", problems)
    return passed, total


def run_stored_queries(
    project: Project,
    store: Store,
    queries: list[StoredQuery] | None = None,
    steps: Steps = QUIET,
) -> tuple[int, int, list[str]]:
    """Compare every stored query's answer with its ``.srj``: (passed, total, problems).

    ``queries`` defaults to every stored query of ``project``; ``steps`` hears of each.
    """
    problems: list[str] = []
    queries = list_queries(project) if queries is None else queries
    passed = 0
    for query in queries:
        steps.item(query.name)
        differences = check_expected(store, query)
        if not differences:
            passed += 1
            continue
        problems.append(f"{query.name}: {len(differences)} difference(s)")
        problems.extend(f"    {d}" for d in differences[:20])
    return passed, len(queries), problems


def count_shapes(shapes: Graph) -> int:
    """How many node and property shapes ``shapes`` declares."""
    from rdflib import RDF, URIRef

    sh = namespaces.PREFIXES["sh"]
    found = set(shapes.subjects(RDF.type, URIRef(sh + "NodeShape")))
    found |= set(shapes.subjects(RDF.type, URIRef(sh + "PropertyShape")))
    found |= set(shapes.objects(None, URIRef(sh + "property")))
    return len(found)


def _count(summary: BuildSummary, quads: list[Quad]) -> None:
    unique = set(quads)
    triples = {(s, p, o) for s, p, o, _ in unique}
    claim_graphs = {g for *_, g in unique if g is not None and str(g).startswith(namespaces.CLAIM)}
    summary.quads = len(unique)
    summary.triples = len(triples)
    summary.graphs = len({g for *_, g in unique if g is not None})
    summary.entities = len({s for s, _, _ in triples if str(s).startswith(namespaces.RB)})
    summary.claims = len(claim_graphs)
    summary.facts = len({(s, p, o) for s, p, o, g in unique if g in claim_graphs})


def _write_context(project: Project) -> None:
    """Keep ``context/rustbelt.jsonld`` in step with :data:`namespaces.PREFIXES`."""
    path = project.context_path
    text = context_text()
    try:
        current = path.read_text(encoding="utf-8") if path.is_file() else None
    except (OSError, UnicodeDecodeError):
        current = None  # rewrite it; atomic_write says why if that fails too
    if current != text:
        atomic_write(path, lambda out: out.write(text))


# -- the job ------------------------------------------------------------------------------


def build(
    project: Project,
    store_name: str = "oxigraph",
    *,
    exports: bool = True,
    full: bool = False,
    steps: Steps = QUIET,
) -> BuildSummary:
    """Build ``project`` into the store called ``store_name`` and ``dist/``.

    On the on-disk store, a build after an earlier one reloads and checks only what changed
    (:mod:`rustbelt_kg.incremental`), unless ``full``; the summary's ``build`` row says which
    it was, and why a build was full. Its result is the full build's.
    """
    started = time.perf_counter()
    reason = f"--store {store_name}" if store_name != "oxigraph" else ""
    if not reason:
        summary = BuildSummary(project=project.root)
        live = project.store_path.resolve() if project.store_path.exists() else None
        planned = incremental.plan(project, live, full=full, exports=exports)
        reason = planned.full or ""
        if not reason:
            try:
                _build_incremental(project, planned, summary, exports, steps)
            except incremental.FullBuildNeeded as why:
                reason = str(why)
            else:
                summary.seconds = time.perf_counter() - started
                return summary
    summary = _build_full(project, store_name, exports=exports, steps=steps)
    summary.incremental = f"full ({reason})"
    summary.seconds = time.perf_counter() - started
    return summary


def _build_incremental(project: Project, planned: incremental.Plan, summary: BuildSummary,
                       exports: bool, steps: Steps) -> None:
    """The incremental build, or :class:`incremental.FullBuildNeeded`; nothing is published
    before it ends well."""
    from rustbelt_kg import delta
    from rustbelt_kg.store import OxigraphStore

    assert planned.manifest is not None
    summary.shapes = count_shapes(load_shapes(project))
    if planned.nothing_changed:
        for name, value in planned.manifest.counts.items():
            setattr(summary, name, value)
        summary.qc_passed = summary.qc_total = len(list_qc_queries(project))
        summary.queries_passed = summary.queries_total = len(list_queries(project))
        if exports:
            summary.exports = [project.dist_dir / f"{EXPORT_NAME}.{f.extension}"
                               for f in RDF_FORMATS.values()]
        summary.incremental = "up to date: no source file changed since the last build"
        return
    if exports:
        _write_context(project)
    store = open_store("oxigraph", project, for_build=True)
    assert isinstance(store, OxigraphStore)
    try:
        with store.writing():
            delta.run(project, store, planned, summary, exports=exports, steps=steps)
    finally:
        store.close()


def _build_full(
    project: Project,
    store_name: str,
    *,
    exports: bool,
    steps: Steps,
) -> BuildSummary:
    """The full build: every file parsed, every check run (see :func:`build`).

    Syntax errors (RDF or SPARQL), inputs past a limit, facts that break the rules of
    :mod:`rustbelt_kg.sourcing` and a QC query that is neither SELECT nor ASK raise before
    anything is written; so does a context file that cannot be written. Data problems are
    collected in the returned summary (see :meth:`BuildSummary.raise_for_problems`). The
    new store and ``dist/`` go live together at the end, and only when there is no data
    problem (otherwise :attr:`BuildSummary.kept_previous`). ``steps`` hears of each step.
    """
    summary = BuildSummary(project=project.root)
    record = incremental.manifest_for(project, disjoint=False, exports=exports)
    if project.store_path.exists():  # what the same queries and shapes were found to read
        previous = incremental.read_manifest(project.store_path.resolve())
        if previous is not None and previous.fixed == record.fixed:
            record.analysis = previous.analysis
    distinct_per_file: list[int] = []
    with steps.step("parse"):
        engine_quads = load_engine_quads(  # store and exports
            project, progress=steps.item,
            parsed=lambda _, quads: distinct_per_file.append(len(set(quads))))
        shapes = load_shapes(project)
        queries, qc_queries = list_queries(project), list_qc_queries(project)
        parse_queries(queries)
        check_qc_queries(qc_queries)
    with steps.step("index"):  # seconds at a million quads
        quads = rdflib_quads(engine_quads)  # validation and the quote checks need rdflib
        _count(summary, quads)
        summary.shapes = count_shapes(shapes)
        dataset = to_dataset(quads)
    with steps.step("validate"):
        steps.item("SHACL shapes")
        _validate(project, summary, quads, shapes, dataset)
        steps.item("quotes against the source texts")
        provenance_problems = check_provenance(project, dataset)
    if provenance_problems:
        summary.problems.append(CheckFailed("provenance", provenance_problems))

    if exports:
        _write_context(project)  # before the store: a file that cannot be written stops here
    store = open_store(store_name, project, for_build=True)
    try:
        # No other build removes this store while it is read below. Exit order: the store
        # goes live, then dist/ (both only when everything inside ran to the end without
        # a data problem: _Unpublished removes both fresh directories).
        with store.writing(), contextlib.suppress(_Unpublished), \
                contextlib.ExitStack() as publish:
            with steps.step("load"):
                judge = _store_to_judge(store, engine_quads, publish)
                summary.checked_on_a_copy = judge is not store
            dist, dist_in_store = (
                _staged_dist(project, store, publish) if exports else (None, False))
            if dist is not None:
                with steps.step("exports"):
                    written = write_exports(
                        engine_quads, dist, EXPORT_NAME, progress=steps.item,
                        union_ntriples=getattr(judge, "union_ntriples", None),
                    )
                summary.exports = [project.dist_dir / path.name for path in written]
            with steps.step("QC queries"):
                _run_qc(summary, judge, qc_queries)
            with steps.step("stored queries"):
                summary.queries_passed, summary.queries_total, mismatches = run_stored_queries(
                    project, judge, queries, steps
                )
            if mismatches:
                summary.problems.append(
                    QueryMismatch("stored queries differ from their expected results:\n"
                                  + "\n".join(mismatches))
                )
            staged_dir = getattr(store, "staged_dir", None)
            if staged_dir is not None and not summary.problems:
                record.disjoint = sum(distinct_per_file) == summary.quads
                record.counts = {name: getattr(summary, name) for name in incremental.COUNTS}
                incremental.write_record(project, Path(staged_dir), record)
            if summary.problems:
                summary.kept_previous, summary.exports = True, []
                raise _Unpublished
            if judge is not store:
                with steps.step("publish"):
                    publish.enter_context(staged(store, engine_quads))
        if dist_in_store and not summary.kept_previous:
            _link_dist_into_the_store(project)
    finally:
        store.close()
    return summary


#: Where ``dist`` points when the exports live inside the store's directory.
_DIST_IN_STORE = "dist"


def _store_to_judge(
    store: Store, engine_quads: Iterable[AnyQuad], publish: contextlib.ExitStack
) -> Store:
    """The store the QC and stored queries judge the data on: ``store`` itself, staged; or,
    for a server (``store.checks_on_a_copy``), an embedded Oxigraph copy in memory of the
    same quads, so that the build judges the data and not the server's SPARQL (which the
    store contract suite judges, with its known differences). The server is then loaded
    only when the data passes."""
    if not getattr(store, "checks_on_a_copy", False):
        publish.enter_context(staged(store, engine_quads))
        return store
    from rustbelt_kg.store import OxigraphStore

    copy = OxigraphStore()
    copy.replace_all(engine_quads)
    publish.callback(copy.close)
    return copy


def _staged_dist(
    project: Project, store: Store, publish: contextlib.ExitStack
) -> tuple[Path, bool]:
    """The fresh folder for the exports, and whether it is inside the store's directory.

    For a store on disk it is a folder inside the store's fresh directory, so the one
    symlink swap that makes the store live makes the exports live with it: no moment, and
    no kill, can leave a new store beside old exports. Other stores stage ``dist/`` on its
    own (:class:`LiveDir`), swapped after the store.
    """
    staged_dir = getattr(store, "staged_dir", None)
    if staged_dir is not None:
        folder = Path(staged_dir) / _DIST_IN_STORE
        folder.mkdir()
        return folder, True
    return publish.enter_context(LiveDir(project.dist_dir, project.build_dir).staging()), False


def _link_dist_into_the_store(project: Project) -> None:
    """Make ``dist`` the fixed link ``build/store/dist`` (once; a ``dist`` of an earlier
    layout, a link to ``build/dist-*`` or a folder, is replaced and removed)."""
    target = project.store_path / _DIST_IN_STORE
    wanted = os.path.relpath(target, project.dist_dir.parent)
    link = project.dist_dir
    if link.is_symlink() and os.readlink(link) == wanted:
        return
    live = LiveDir(link, project.build_dir)
    with live.locked():
        live.swap(target)
        live.remove_leftovers(target)


def _validate(
    project: Project, summary: BuildSummary, quads: list[Quad], shapes: Graph, dataset: Dataset
) -> None:
    """SHACL-validate into ``summary``; a project without shapes does not conform."""
    if summary.shapes == 0:
        summary.conforms = False
        summary.problems.append(ValidationFailed(NO_SHAPES))
        return
    result = validate_quads(quads, shapes)
    summary.conforms = bool(result.conforms)
    summary.violations = len(result.violations)
    if not result.conforms:
        report = result.render(dataset, _report_text(project))
        summary.problems.append(ValidationFailed(report, result))


def _run_qc(summary: BuildSummary, store: Store, qc_queries: list[StoredQuery]) -> None:
    summary.qc_passed, summary.qc_total, qc_problems = run_qc_queries(store, qc_queries)
    if qc_problems:
        summary.problems.append(CheckFailed("QC queries", qc_problems))
