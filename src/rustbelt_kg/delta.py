"""The incremental build's run: the changed files' quads in and out, and the checks they reach.

:func:`run` is called by :func:`rustbelt_kg.build.build` with a :class:`~rustbelt_kg.
incremental.Plan` that found changed data files. It raises
:class:`~rustbelt_kg.incremental.FullBuildNeeded` whenever the full build must decide (a
problem found, a quad shared with an unchanged file, shapes whose reach has no bound);
before that nothing is published. See :mod:`rustbelt_kg.incremental` for the design.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox
from rdflib import RDF, RDFS, Graph, Namespace, URIRef

from rustbelt_kg import affected, namespaces, sourcing
from rustbelt_kg.incremental import (
    INPUTS,
    FullBuildNeeded,
    Plan,
    changed_keys,
    counts_after,
    manifest_for,
    read_manifest,
    shapes_digest,
    write_record,
)
from rustbelt_kg.load import load_file, load_shapes, parse_engine_file
from rustbelt_kg.progress import QUIET, Steps
from rustbelt_kg.query import list_qc_queries, list_queries, run_qc_queries
from rustbelt_kg.terms import from_oxigraph, from_oxigraph_quad

if TYPE_CHECKING:
    from rustbelt_kg.build import BuildSummary
    from rustbelt_kg.project import Project
    from rustbelt_kg.stores.oxigraph import OxigraphStore
    from rustbelt_kg.terms import Quad

__all__ = ["run"]

SH = Namespace("http://www.w3.org/ns/shacl#")


def _parse(project: Project, names: tuple[str, ...], root: Path | None) -> set[ox.Quad]:
    """The quads of the data files ``names``: as they are now (``root`` ``None``; with the
    graph rules of one file), or their copies under ``root`` (the live store's
    :data:`INPUTS`)."""
    kinds = {project.display(path): kind for kind, path in project.sources(loaded=True)}
    quads: set[ox.Quad] = set()
    for name in names:
        if root is None:
            quads.update(load_file(project, project.root / name, kinds[name]))
        else:
            kind = _kind_of(name)
            quads.update(parse_engine_file(root / name, kind.syntax, kind.graph, display=name))
    return quads


def _kind_of(name: str) -> Any:
    from rustbelt_kg.project import SOURCES

    return next(kind for kind in SOURCES if Path(name).match(kind.pattern))


def _union_triples(store: ox.Store, triples: list[ox.Triple]) -> Graph:
    graph = Graph(bind_namespaces="none")
    for triple in triples:
        graph.add((from_oxigraph(triple.subject), from_oxigraph(triple.predicate),
                   from_oxigraph(triple.object)))
    return graph


def _graph(store: ox.Store, name: str) -> Graph:
    quads = store.quads_for_pattern(None, None, None, ox.NamedNode(name))
    return _union_triples(store, [q.triple for q in quads])


def _in_union(store: ox.Store, quad: ox.Quad) -> bool:
    return next(store.quads_for_pattern(quad.subject, quad.predicate, quad.object,
                                        ox.DefaultGraph()), None) is not None


def _validate(before: ox.Store, store: ox.Store, project: Project, removed: list[ox.Quad],
              added: list[ox.Quad], analysis: affected.Analysis) -> int:
    """SHACL-validate what the change reaches; the number of focus nodes checked.

    SHACL reads the union of the graphs: a quad whose triple another graph still asserts, or
    asserted already, changes nothing there (a fact a new source repeats)."""
    from rustbelt_kg import validate

    removed = [q for q in removed if not _in_union(store, q)]
    added = [q for q in added if not _in_union(before, q)]
    keys = changed_keys([*removed, *added])

    shapes = load_shapes(project)
    reach = analysis.reach(shapes, shapes_digest(project))
    if reach is None:
        raise FullBuildNeeded("the shapes read the graph without a bound")
    ontology = _graph(store, namespaces.ONTOLOGY_GRAPH)
    touched = {q.subject for q in [*removed, *added] if isinstance(q.subject, ox.NamedNode)}
    focus = affected.focus_nodes(store, touched, reach.depth, removed)
    # Shapes that read anywhere and hold SPARQL constraints only are checked by one query
    # each on the store, so that what they read anywhere need not be copied for the others.
    queried = {shape for shape in reach.global_keys if _sparql_only(shapes, shape)}
    others = Graph(bind_namespaces="none")
    others += (t for t in shapes if t[0] not in queried)
    anywhere = frozenset().union(
        *(keys for shape, keys in reach.global_keys.items() if shape not in queried))
    runs = [(focus, reach.depth, anywhere, others)]
    triggered = set(reach.triggered(keys))
    for shape in reach.global_keys:
        if shape not in triggered and shape not in queried:
            continue  # the focus nodes' run checks it
        targets = affected.targets(store, shapes, ontology, shape)
        if shape not in triggered:  # its targets among the focus nodes only
            targets &= focus
        if targets and not (shape in queried and _sparql_conforms(store, shapes, shape, targets)):
            runs.append((targets, reach.depths[shape], reach.global_keys[shape],
                         affected.shape_alone(shapes, shape)))
    for nodes, depth, anywhere, checked_by in runs:
        if not nodes:
            continue
        data = _union_triples(store, affected.neighbourhood(store, nodes, depth, anywhere))
        # Every target in ``data`` is validated, but only ``nodes`` have all they read
        # there: the verdict on the others (at the edge of ``data``) is not kept. (pyshacl's
        # own focus_nodes option also filters the value nodes of nested shapes, which
        # changes the verdict of sh:qualifiedValueShape, sh:node and sh:not.)
        result = validate.validate(data, checked_by, ontology)
        wanted = {URIRef(n.value) for n in nodes}
        if any(v.focus_node in wanted for v in result.violations):
            raise FullBuildNeeded("the data does not conform; the full build reports it")
    return sum(len(nodes) for nodes, *_ in runs)


#: What a node shape may say besides its SPARQL constraints to be checked by
#: :func:`_sparql_conforms`.
_ONLY_SPARQL = {str(t) for t in (RDF.type, RDFS.label, RDFS.comment, SH.sparql, SH.targetClass,
                                 SH.targetSubjectsOf, SH.targetNode, SH.message, SH.name,
                                 SH.description, SH.severity)}


def _sparql_only(shapes: Graph, shape: Any) -> bool:
    """Whether ``shape`` is a node shape of SHACL-SPARQL constraints only, which no other
    shape refers to."""
    return (None, None, shape) not in shapes and all(
        str(p) in _ONLY_SPARQL for p in shapes.predicates(shape, None))


def _sparql_conforms(store: ox.Store, shapes: Graph, shape: Any,
                     targets: set[ox.NamedNode]) -> bool:
    """Whether every target conforms to ``shape`` (:func:`_sparql_only`), by one query per
    constraint on the store with the targets as ``VALUES ?this``, compiled as validation
    compiles them (:func:`rustbelt_kg.shacl_sparql.compile_constraint`); ``False`` (validate
    the usual way) for any query that does not compile. A row is a violation."""
    from rustbelt_kg.shacl_sparql import compile_constraint

    nodes = " ".join(str(n) for n in sorted(targets, key=lambda n: n.value))
    for constraint in shapes.objects(shape, SH.sparql):
        check = compile_constraint(shapes, shape, constraint, f"VALUES ?this {{ {nodes} }}",
                                   SH.Violation)
        if check is None:
            return False
        try:
            answer = store.query(check.query, prefixes=dict(namespaces.PREFIXES))
        except (SyntaxError, OSError, RuntimeError):
            return False
        if not isinstance(answer, ox.QuerySolutions) or next(answer, None) is not None:
            return False  # a violation: the usual way reports it
    return True


def _changed_claims(store: ox.Store, quads: list[ox.Quad]) -> list[Quad]:
    """The changed claims (their graphs and provenance) and the source stubs, as they are
    in ``store``."""
    provenance = ox.NamedNode(namespaces.PROVENANCE_GRAPH)
    claims = set()
    for quad in quads:
        for term in (quad.graph_name, quad.subject):
            if isinstance(term, ox.NamedNode) and term.value.startswith(namespaces.CLAIM):
                claims.add(ox.NamedNode(term.value.split("#", 1)[0]))
    picked: list[ox.Quad] = list(store.quads_for_pattern(
        None, None, None, ox.NamedNode(namespaces.SOURCES_GRAPH)))
    for claim in claims:
        picked += store.quads_for_pattern(None, None, None, claim)
        frontier, seen = {claim}, set()
        while frontier:  # claim -> evidence -> target -> selectors, in rbg:provenance
            node = frontier.pop()
            seen.add(node)
            for quad in store.quads_for_pattern(node, None, None, provenance):
                picked.append(quad)
                if isinstance(quad.object, ox.NamedNode) and quad.object.value.startswith(
                        claim.value) and quad.object not in seen:
                    frontier.add(quad.object)
    return [from_oxigraph_quad(q) for q in picked]


def _check_claims(project: Project, store: ox.Store, quads: list[ox.Quad]) -> None:
    from rustbelt_kg import provenance, sources
    from rustbelt_kg.stores.memory import memory_dataset

    subset = _changed_claims(store, quads)
    if sourcing.unquoted_claims(subset) or provenance.check(memory_dataset(subset),
                                                            sources.texts(project)):
        raise FullBuildNeeded("a claim's provenance has a problem; the full build reports it")


def _export_quads(live: Path, removed: list[ox.Quad], added: list[ox.Quad]) -> list[ox.Quad]:
    """The quads of the new store as the exports write them, in the lexical form of the
    source files (which the store does not keep: it holds ``"1.50"^^xsd:decimal`` as
    ``1.5``): those of the live store's N-Quads export, less ``removed``, with ``added``."""
    from rustbelt_kg.build import EXPORT_NAME

    path = live / "dist" / f"{EXPORT_NAME}.nq"
    try:
        previous = ox.parse(path.read_bytes(), ox.RdfFormat.N_QUADS)
        gone = set(removed)
        return [q for q in previous if q not in gone] + added
    except (OSError, SyntaxError) as error:
        raise FullBuildNeeded(f"the previous exports cannot be read ({error})") from error


def run(
    project: Project,
    store: OxigraphStore,
    plan: Plan,
    summary: BuildSummary,
    *,
    exports: bool,
    steps: Steps = QUIET,
) -> None:
    """Build ``project`` incrementally into ``store`` (open for a build, under its lock)."""
    from rustbelt_kg.build import EXPORT_NAME, run_stored_queries
    from rustbelt_kg.export import RDF_FORMATS, write_exports

    assert plan.manifest is not None
    live = project.store_path.resolve()
    if read_manifest(live) != plan.manifest:  # now under the lock: still the store planned on
        raise FullBuildNeeded("another build published a store meanwhile")
    record = manifest_for(project, disjoint=True, exports=exports)  # before anything is read
    analysis = affected.Analysis(plan.manifest.analysis)
    with steps.step("parse"):
        new = _parse(project, plan.changed, None)
        old = _parse(project, tuple(n for n in (*plan.changed, *plan.removed)
                                    if n in plan.manifest.files), live / INPUTS)
    removed, added = sorted(old - new, key=str), sorted(new - old, key=str)
    try:
        before = ox.Store.read_only(str(live))
    except (OSError, RuntimeError) as error:  # RuntimeError: "Corruption: ..."
        raise FullBuildNeeded(f"the live store cannot be read ({error})") from error
    if any(next(before.quads_for_pattern(*q), None) is not None for q in added):
        raise FullBuildNeeded("a quad of a changed file is also in another file")
    keys = changed_keys([*removed, *added])
    with contextlib.ExitStack() as publish:  # the store goes live when this block ends
        with steps.step("load"):
            steps.item("a copy of the live store, with the changes")
            fresh = publish.enter_context(store.staging_changes(removed, added))
        staged = store.staged_dir
        assert staged is not None
        with steps.step("validate"):
            steps.item("SHACL shapes, on what the change reaches")
            focus = _validate(before, fresh, project, removed, added, analysis)
            steps.item("quotes of the changed claims")
            _check_claims(project, fresh, [*removed, *added])
        counts = counts_after(before, fresh, plan.manifest.counts, removed, added)
        for name, value in counts.items():
            setattr(summary, name, value)
        with steps.step("QC queries"):
            qc = list_qc_queries(project)
            rerun = [q for q in qc if affected.matches(analysis.query_keys(q.text), keys)]
            _, _, problems = run_qc_queries(store, rerun)
            if problems:
                raise FullBuildNeeded("a QC query fails; the full build reports it")
            summary.qc_passed = summary.qc_total = len(qc)
        with steps.step("stored queries"):
            queries = list_queries(project)
            again = [q for q in queries if affected.matches(analysis.query_keys(q.text), keys)]
            _, _, mismatches = run_stored_queries(project, store, again, steps)
            if mismatches:
                raise FullBuildNeeded("a stored query's answer differs; the full build reports it")
            summary.queries_passed = summary.queries_total = len(queries)
        if exports:
            dist = staged / "dist"
            dist.mkdir()
            with steps.step("exports"):
                if removed or added:
                    written = write_exports(_export_quads(live, removed, added), dist,
                                            EXPORT_NAME, progress=steps.item)
                else:  # the same content: the same files
                    written = [dist / path.name for path in (live / "dist").iterdir()]
                    for path in written:
                        os.link(live / "dist" / path.name, path)
                    order = [f"{EXPORT_NAME}.{f.extension}" for f in RDF_FORMATS.values()]
                    written.sort(key=lambda path: order.index(path.name))
            summary.exports = [project.dist_dir / path.name for path in written]
        record.counts, record.analysis = counts, analysis.cache
        write_record(project, staged, record, previous=live)
        summary.incremental = (
            f"incremental: {len(plan.changed) + len(plan.removed)} file(s) changed, "
            f"{len(removed)} quad(s) out, {len(added)} in; {focus} focus node(s) validated, "
            f"{len(rerun)}/{len(qc)} QC and {len(again)}/{len(queries)} stored queries run"
        )
