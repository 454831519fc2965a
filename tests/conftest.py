"""Shared fixtures. Keep this file small: one fixture per need, each documented.

- ``tiny_project``: a private copy of ``tests/fixtures/tiny`` (a complete little checkout:
  ontology, one article, links, enrichment, shapes, stored and QC queries) that a test may
  change freely. For unit tests.
- ``corpus_project``: a private copy of ``tests/fixtures/corpus``: the tiny checkout with two
  more sources, fictional texts written for the tests, whose claims share its entities and
  disagree with it once.
- ``echo_project``: a private copy of the real checkout with a second source added, the
  fictional Harbin Evening Echo (``tests/fixtures/evening-echo``), and its claims copied in,
  not yet anchored. Its figure for the HIT incubator park disagrees with the article's.
- ``built_project`` (session): the real checkout loaded once into an Oxigraph store in a
  temporary folder; ``.project``, ``.store``, ``.dataset`` (rdflib, default graph = union)
  and ``.quads``. For tests that read the real data; do not write to its store.
- ``wikidata_endpoint`` (session): the query URL of one real Oxigraph server on loopback,
  loaded with the Wikidata-shaped fixture (``tests/wikidata_server.py``).
- ``served_store`` (session): a store of the real checkout for servers to serve;
  ``served`` (session): the base URL of our own server under uvicorn on loopback, serving
  it (``tests/served.py``).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from wikidata_server import oxigraph_server

from rustbelt_kg.load import load_quads, to_dataset
from rustbelt_kg.project import Project
from rustbelt_kg.store import OxigraphStore

if TYPE_CHECKING:
    from rdflib import Dataset

    from rustbelt_kg.export import Quad

REPO_ROOT = Path(__file__).resolve().parent.parent
TINY = Path(__file__).resolve().parent / "fixtures" / "tiny"
CORPUS = TINY.parent / "corpus"
ECHO = TINY.parent / "evening-echo"


@pytest.fixture
def tiny_project(tmp_path: Path) -> Project:
    """A fresh copy of the tiny fixture checkout, as a :class:`Project`."""
    root = tmp_path / "tiny"
    shutil.copytree(TINY, root)
    for folder in ("data/enrichment", "data/links", "queries/qc"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    return Project(root)


@pytest.fixture
def corpus_project(tmp_path: Path) -> Project:
    """A fresh copy of the fictional several-source fixture checkout, as a :class:`Project`."""
    root = tmp_path / "corpus"
    shutil.copytree(CORPUS, root)
    for folder in ("data/enrichment", "data/links"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    return Project(root)


@pytest.fixture
def echo_project(tmp_path: Path) -> Project:
    """The real checkout, copied, with the Evening Echo registered and its claims copied in."""
    from click.testing import CliRunner

    from rustbelt_kg.cli import cli

    root = tmp_path / "kg"
    for folder in ("ontology", "shapes", "data", "queries", "context"):
        shutil.copytree(REPO_ROOT / folder, root / folder)
    result = CliRunner().invoke(cli, [
        "--project", str(root), "add-source", str(ECHO / "evening-echo.txt"),
        "--title", "Harbin Evening Echo", "--published", "2026-03-01",
        "--publisher", "Evening Echo (fictional)"])
    assert result.exit_code == 0, result.stderr
    (root / "data" / "claims" / "evening-echo").mkdir(parents=True)
    shutil.copy(ECHO / "echo.trig", root / "data" / "claims" / "evening-echo" / "echo.trig")
    return Project(root)


@pytest.fixture
def built_tiny(tiny_project: Project) -> Project:
    """The tiny project with its Oxigraph store on disk, as ``build`` leaves it."""
    store = OxigraphStore(tiny_project.store_path, create=True)
    store.replace_all(load_quads(tiny_project))
    store.close()
    return tiny_project


@dataclass
class BuiltProject:
    """The real checkout, loaded once: see the module docstring."""

    project: Project
    store: OxigraphStore
    dataset: Dataset
    quads: list[Quad]


@pytest.fixture(scope="session")
def built_project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BuiltProject]:
    """The real checkout loaded into an Oxigraph store under a temporary folder."""
    project = Project(REPO_ROOT)
    quads = load_quads(project)
    store = OxigraphStore(tmp_path_factory.mktemp("built") / "store", create=True)
    store.replace_all(quads)
    yield BuiltProject(project, store, to_dataset(quads), quads)
    store.close()


@pytest.fixture(scope="session")
def wikidata_endpoint() -> Iterator[str]:
    """The query URL of a real Oxigraph server loaded with the Wikidata-shaped fixture."""
    with oxigraph_server() as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def served_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store of the real checkout, built under a temporary folder, for servers to serve."""
    store_path = tmp_path_factory.mktemp("served") / "store"
    store = OxigraphStore(store_path, create=True)
    store.replace_all(load_quads(Project(REPO_ROOT)))
    store.close()
    return store_path


@pytest.fixture(scope="session")
def served(served_store: Path) -> Iterator[str]:
    """The base URL of our server (``rustbelt-kg serve``) under uvicorn on loopback, serving
    the real checkout (``tests/served.py``)."""
    from served import running

    from rustbelt_kg.server import ServerConfig

    with running(Project(REPO_ROOT), ServerConfig(store_path=served_store)) as base:
        yield base
