"""Reading the W3C test suites in ``../shared/w3c/`` (see its README): manifests and skip lists.

A manifest (``mf:Manifest``) lists its tests in ``mf:entries`` and may ``mf:include`` other
manifests. Each test is a :class:`W3cTest`; its ``id`` is its IRI, written relative to the
suites' folder when the manifest names it by its own file (``shacl/tests/core/node/and-001``),
so that skip lists do not depend on where the suites lie.

A skip list (``tests/w3c/*-skips.tsv``) names, one a line, a test ``id`` and, after a tab, the
reason our code path does not pass it. :func:`params` marks those tests as expected to fail
(strictly: one that passes fails the run), and :func:`check_skip_list` fails on entries that
name no test, so that the list stays exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import unquote

import pytest
import rdflib
from rdflib.collection import Collection

ROOT = Path(__file__).resolve().parents[1]
SUITES = (ROOT.parent / "shared" / "w3c").resolve()
SKIP_LISTS = Path(__file__).resolve().parent / "w3c"
MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")


@dataclass(frozen=True)
class W3cTest:
    """One entry of a manifest: ``id``, ``kind`` (the local name of its type, such as
    ``TestTurtleEval``), its ``manifest`` (the path relative to the suites' folder), the
    ``graph`` of that manifest and the test's ``node`` there."""

    id: str
    kind: str
    manifest: str
    graph: rdflib.Graph
    node: rdflib.term.Node

    def file(self, predicate: rdflib.URIRef) -> Path:
        """The local file the test names with ``predicate`` (``mf:action``, ``mf:result``)."""
        return local_file(self.graph.value(self.node, predicate))

    @property
    def name(self) -> str:
        return str(self.graph.value(self.node, MF.name) or self.id.rsplit("/", 1)[-1])


def local_file(iri: rdflib.term.Node | None) -> Path:
    """The file a ``file:`` IRI of the suites names."""
    text = str(iri)
    if not text.startswith("file://"):
        raise ValueError(f"{text} is not a file of the suites")
    return Path(unquote(text.removeprefix("file://")))


def _id(node: rdflib.term.Node) -> str:
    prefix = SUITES.as_uri() + "/"
    text = str(node)
    return text[len(prefix):] if text.startswith(prefix) else text


@cache
def read_manifest(path: Path) -> tuple[W3cTest, ...]:
    """Every test of the manifest at ``path`` and of the manifests it includes, in order."""
    graph = rdflib.Graph().parse(path, format="turtle", publicID=path.as_uri())
    tests: list[W3cTest] = []
    for manifest in graph.subjects(rdflib.RDF.type, MF.Manifest):
        for entries in graph.objects(manifest, MF.entries):
            for node in Collection(graph, entries):
                kind = graph.value(node, rdflib.RDF.type)
                local = str(kind).rsplit("#", 1)[-1]
                manifest_path = str(path.relative_to(SUITES))
                tests.append(W3cTest(_id(node), local, manifest_path, graph, node))
        for included in sorted(graph.objects(manifest, MF.include), key=str):
            tests.extend(read_manifest(local_file(included)))
    return tuple(tests)


def suite_tests(*manifests: str) -> list[W3cTest]:
    """The tests of the manifests at these paths (relative to the suites' folder); none
    when the suites are not beside the checkout (the test module then fails, see below)."""
    tests: list[W3cTest] = []
    for manifest in manifests:
        if (SUITES / manifest).is_file():
            tests.extend(read_manifest(SUITES / manifest))
    return tests


def require_suites(*manifests: str) -> None:
    """Fail (not skip) when a manifest is missing: the suites are part of the test setup."""
    missing = [m for m in manifests if not (SUITES / m).is_file()]
    assert not missing, f"W3C test suites missing under {SUITES}: {missing}"


@cache
def _skip_list(name: str) -> dict[str, str]:
    entries: dict[str, str] = {}
    for number, line in enumerate((SKIP_LISTS / name).read_text("utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        test_id, sep, reason = line.partition("\t")
        assert sep and reason.strip(), f"{name}:{number}: an entry needs a test and a reason"
        assert test_id not in entries, f"{name}:{number}: {test_id} is listed twice"
        entries[test_id] = reason.strip()
    return entries


def check_skip_list(skip_list: str, tests: list[W3cTest]) -> None:
    """Every entry of ``skip_list`` names one of ``tests``."""
    known = {test.id for test in tests}
    unknown = sorted(set(_skip_list(skip_list)) - known)
    assert unknown == [], f"{skip_list} names tests that do not exist: {unknown}"


def params(tests: list[W3cTest], skip_list: str) -> list[object]:
    """``tests`` as pytest parameters named by their ids. A test ``skip_list`` names is
    expected to fail with an :class:`AssertionError`, strictly: should it pass, the run fails
    until its entry is removed, so the list never hides a test that works."""
    listed = _skip_list(skip_list)
    return [
        pytest.param(test, id=test.id, marks=[pytest.mark.xfail(
            strict=True, raises=AssertionError, reason=listed[test.id])]
        ) if test.id in listed else pytest.param(test, id=test.id)
        for test in tests
    ]
