"""Incremental builds: reload only the source files that changed since the last build.

Every build records, in the store's own directory (so the swap that publishes the store
publishes the record with it), a manifest (:data:`MANIFEST`): the SHA-256 of each data file
and source text, one digest of everything else a build reads (the code, the ontology, the
shapes, the queries and their expected results), the summary's counts, and whether any quad
is in two files. A copy of each data file sits beside it (:data:`INPUTS`), so that the quads
a changed file held before can be taken out again.

A published store passed every check (a build with a problem publishes nothing), so an
incremental build only checks what its change can reach (:mod:`rustbelt_kg.affected`):

- the store starts as a copy of the live one (Oxigraph's backup, hard links) that loses the
  quads the changed files no longer hold and gains their new ones;
- SHACL validates the focus nodes the change can reach, on the part of the graph they read;
- the quotes of the changed claims are checked against their texts;
- QC and stored queries run again only when a changed quad can match one of their patterns;
- exports are written again only when the content changed (else the previous ones are kept).

A full build runs instead, and the summary says why, when there is no manifest, ``--full``
is given, the code, ontology, shapes or queries changed, a source text changed or went,
a quad is in two files, or the incremental build found any problem: the full build is the
reference, and it gives the complete report.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from rustbelt_kg import namespaces

if TYPE_CHECKING:
    from rustbelt_kg.project import Project

__all__ = [
    "INPUTS",
    "MANIFEST",
    "FullBuildNeeded",
    "Manifest",
    "Plan",
    "changed_keys",
    "counts_after",
    "manifest_for",
    "plan",
    "read_manifest",
    "shapes_digest",
    "write_record",
]

#: The manifest's name in the store's directory.
MANIFEST = "rustbelt-kg-manifest.json"
#: The folder, in the store's directory, of the data files it was built from.
INPUTS = "inputs"
#: Bumped when the manifest's meaning changes: an older one gives a full build.
VERSION = 1
#: Kinds of source file whose changes an incremental build takes in.
DATA_KINDS = ("sources", "article", "claims", "links", "enrichment")
#: The summary's counts the manifest keeps.
COUNTS = ("triples", "quads", "graphs", "entities", "claims", "facts")


class FullBuildNeeded(Exception):  # noqa: N818 - a signal inside the build, never shown
    """The incremental build cannot go on; ``args[0]`` says why a full build runs."""


def _read(project: Project, path: Path) -> bytes:
    """The bytes of a file of ``project``, read as sources are (a regular file within a size
    limit: a FIFO or a device is refused, never read forever)."""
    from rustbelt_kg.reading import read_source

    return read_source(path, project.display(path))


def _sha256(project: Project, path: Path) -> str:
    return hashlib.sha256(_read(project, path)).hexdigest()


def _fixed_files(project: Project) -> list[Path]:
    """Files whose change makes a full build: the code and all a build reads but the data."""
    code = sorted(Path(__file__).parent.rglob("*.py"))
    fixed = [path for kind in ("ontology", "shapes") for path in project.files(kind)]
    queries = [*project.queries_dir.glob("*.rq"), *project.queries_dir.glob("*.srj"),
               *project.qc_dir.glob("*.rq")]
    return [*code, *fixed, *sorted(queries)]


def fixed_digest(project: Project) -> str:
    """One SHA-256 over the names and contents of :func:`_fixed_files`."""
    digest = hashlib.sha256()
    for path in _fixed_files(project):
        digest.update(path.name.encode() + b"\0" + _read(project, path) + b"\0")
    return digest.hexdigest()


def shapes_digest(project: Project) -> str:
    """One SHA-256 over the shapes files."""
    digest = hashlib.sha256()
    for path in project.files("shapes"):
        digest.update(_read(project, path) + b"\0")
    return digest.hexdigest()


def data_files(project: Project) -> dict[str, str]:
    """Each data file (relative path) with its SHA-256."""
    return {
        project.display(path): _sha256(project, path)
        for kind, path in project.sources(loaded=True) if kind.name in DATA_KINDS
    }


def text_files(project: Project) -> dict[str, str]:
    """Each source text (relative path) with its SHA-256."""
    return {project.display(path): _sha256(project, path) for path in project.source_texts()}


@dataclass
class Manifest:
    """What a store was built from (see the module docstring)."""

    fixed: str
    files: dict[str, str]
    texts: dict[str, str]
    counts: dict[str, int] = field(default_factory=dict)
    disjoint: bool = False
    exports: bool = False
    #: What :class:`rustbelt_kg.affected.Analysis` found in the queries and shapes.
    analysis: dict[str, Any] = field(default_factory=dict)
    version: int = VERSION


def read_manifest(store_dir: Path) -> Manifest | None:
    """The manifest of the store at ``store_dir``; ``None`` if there is none or it is not one
    this version reads."""
    try:
        data = json.loads((store_dir / MANIFEST).read_text(encoding="utf-8"))
        manifest = Manifest(**data)
    except (OSError, ValueError, TypeError):
        return None
    return manifest if manifest.version == VERSION else None


def manifest_for(project: Project, *, disjoint: bool, exports: bool) -> Manifest:
    """The manifest of a build of ``project`` as it is now (its counts are filled in later)."""
    return Manifest(fixed_digest(project), data_files(project), text_files(project),
                    {}, disjoint, exports)


def write_record(project: Project, store_dir: Path, manifest: Manifest,
                 previous: Path | None = None) -> None:
    """Write ``manifest`` and the copies of the data files into ``store_dir``; files the
    ``previous`` store's directory holds unchanged are hard-linked from there."""
    old = read_manifest(previous) if previous is not None else None
    for name, digest in manifest.files.items():
        target = store_dir / INPUTS / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if old is not None and previous is not None and old.files.get(name) == digest:
            os.link(previous / INPUTS / name, target)
        else:
            shutil.copyfile(project.root / name, target)
    (store_dir / MANIFEST).write_text(json.dumps(asdict(manifest), indent=1) + "\n",
                                      encoding="utf-8")


@dataclass(frozen=True)
class Plan:
    """What a build does: ``full`` says why it is a full build (``None``: incremental);
    ``changed`` are data files added or changed, ``removed`` those gone, ``new_texts``
    whether a source text was added."""

    full: str | None
    manifest: Manifest | None = None
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    new_texts: bool = False

    @property
    def nothing_changed(self) -> bool:
        """Whether the live store is what a build would make now."""
        return self.full is None and not (self.changed or self.removed or self.new_texts)


def plan(project: Project, store_dir: Path | None, *, full: bool, exports: bool) -> Plan:
    """Compare ``project`` with the manifest of the live store at ``store_dir``."""
    if full:
        return Plan("--full")
    manifest = read_manifest(store_dir) if store_dir is not None else None
    if manifest is None:
        return Plan("no record of an earlier build")
    try:
        ox.Store.read_only(str(store_dir))
    except (OSError, RuntimeError) as error:  # RuntimeError: "Corruption: ..."
        return Plan(f"the live store cannot be read: {error}")
    if manifest.fixed != fixed_digest(project):
        return Plan("the code, ontology, shapes or queries changed")
    texts = text_files(project)
    if any(texts.get(name) != digest for name, digest in manifest.texts.items()):
        return Plan("a source text changed or was removed")
    if not manifest.disjoint:
        return Plan("a quad is in more than one file")
    if exports and not manifest.exports:
        return Plan("the exports were not written last time")
    files = data_files(project)
    changed = tuple(sorted(n for n, d in files.items() if manifest.files.get(n) != d))
    removed = tuple(sorted(set(manifest.files) - set(files)))
    return Plan(None, manifest, changed, removed, texts != manifest.texts)


def changed_keys(quads: Iterable[ox.Quad]) -> set[tuple[str, str | None]]:
    """The :data:`rustbelt_kg.affected.Key` of each quad."""
    return {
        (q.predicate.value,
         q.object.value if q.predicate == _RDF_TYPE and type(q.object) is ox.NamedNode else None)
        for q in quads
    }


_RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


# -- counts ---------------------------------------------------------------------------------


def _presence(store: ox.Store, quads: list[ox.Quad]) -> dict[str, set[Any]]:
    """What, among the terms of ``quads``, ``store`` holds: union triples, named graphs,
    claims, ``rb:`` subjects, triples in claim graphs."""
    union = ox.DefaultGraph()
    found: dict[str, set[Any]] = {k: set() for k in ("triples", "graphs", "entities", "facts")}
    for quad in quads:
        triple = quad.triple
        if next(store.quads_for_pattern(triple.subject, triple.predicate, triple.object, union),
                None) is not None:
            found["triples"].add(triple)
        graph = quad.graph_name
        if not isinstance(graph, ox.DefaultGraph) and next(
                store.quads_for_pattern(None, None, None, graph), None) is not None:
            found["graphs"].add(graph)
        subject = quad.subject
        if isinstance(subject, ox.NamedNode) and subject.value.startswith(namespaces.RB) and next(
                store.quads_for_pattern(subject, None, None, union), None) is not None:
            found["entities"].add(subject)
        if any(isinstance(q.graph_name, ox.NamedNode)
               and q.graph_name.value.startswith(namespaces.CLAIM)
               for q in store.quads_for_pattern(triple.subject, triple.predicate, triple.object)):
            found["facts"].add(triple)
    return found


def counts_after(before: ox.Store, after: ox.Store, counts: dict[str, int],
                 removed: list[ox.Quad], added: list[ox.Quad]) -> dict[str, int]:
    """The summary's counts once ``removed`` and ``added`` (none of them in an unchanged
    file) turned ``before`` into ``after``, from the counts of ``before``."""
    changed = [*removed, *added]
    old, new = _presence(before, changed), _presence(after, changed)
    result = dict(counts)
    result["quads"] += len(added) - len(removed)
    for name in ("triples", "graphs", "entities", "facts"):
        result[name] += len(new[name]) - len(old[name])
    claims = {g for g in old["graphs"] | new["graphs"] if g.value.startswith(namespaces.CLAIM)}
    result["claims"] += len(claims & new["graphs"]) - len(claims & old["graphs"])
    return result
