"""Where things are in a checkout: the source registry and project discovery."""

from __future__ import annotations

from pathlib import Path

import pytest

from rustbelt_kg import namespaces
from rustbelt_kg.errors import UsageError
from rustbelt_kg.project import SOURCES, Project, source_kind

REPO_ROOT = Path(__file__).resolve().parent.parent


def test_source_registry_names_the_graph_of_every_triples_format() -> None:
    rows = {kind.name: kind for kind in SOURCES}
    assert rows["ontology"].graph == namespaces.ONTOLOGY_GRAPH
    assert rows["links"].graph == namespaces.LINKS_GRAPH
    assert rows["article"].graph is None and rows["article"].syntax == "trig"
    assert rows["enrichment"].graph is None and rows["enrichment"].syntax == "trig"
    assert not rows["shapes"].loaded
    assert all(kind.loaded for kind in SOURCES if kind.name != "shapes")
    triples_kinds = [k for k in SOURCES if k.syntax == "turtle" and k.loaded]
    assert all(kind.graph is not None for kind in triples_kinds)


def test_unknown_source_kind_lists_the_known_ones() -> None:
    with pytest.raises(UsageError, match="ontology, article, links"):
        source_kind("nonsense")


def test_sources_are_sorted_and_shapes_are_kept_apart(tiny_project: Project) -> None:
    (tiny_project.root / "data" / "article" / "a-first.trig").write_text("", encoding="utf-8")
    loaded = [(kind.name, path.name) for kind, path in tiny_project.sources()]
    assert loaded == [
        ("ontology", "tiny.ttl"),
        ("article", "a-first.trig"),
        ("article", "tiny.trig"),
        ("links", "wikidata.ttl"),
        ("enrichment", "wikidata.trig"),
    ]
    assert [p.name for _, p in tiny_project.sources(loaded=False)] == ["tiny.ttl"]
    assert len(tiny_project.sources(loaded=None)) == 6


def test_discover_takes_the_option_first(tiny_project: Project, tmp_path: Path) -> None:
    found = Project.discover(tiny_project.root, cwd=REPO_ROOT)
    assert found.root == tiny_project.root.resolve()


def test_discover_rejects_an_option_that_is_not_a_checkout(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="needs ontology/ and data/"):
        Project.discover(tmp_path)


def test_discover_uses_the_current_directory_when_it_is_a_checkout(tiny_project: Project) -> None:
    assert Project.discover(cwd=tiny_project.root).root == tiny_project.root.resolve()


def test_discover_falls_back_to_the_installed_checkout(tmp_path: Path) -> None:
    assert Project.discover(cwd=tmp_path).root == REPO_ROOT


def test_paths_of_queries_store_and_exports(tiny_project: Project) -> None:
    root = tiny_project.root
    assert [p.name for p in tiny_project.query_files()] == ["founders.rq", "people.rq"]
    assert [p.name for p in tiny_project.qc_files()] == ["unlabelled-person-violation.rq"]
    assert tiny_project.store_path == root / "build" / "store"
    assert tiny_project.dist_dir == root / "dist"
    assert tiny_project.context_path == root / "context" / "rustbelt.jsonld"


def test_article_text_needs_exactly_one_text_file(tiny_project: Project) -> None:
    assert tiny_project.article_text().startswith("Tiny Daily")
    (tiny_project.sources_dir / "other.txt").write_text("x", encoding="utf-8")
    with pytest.raises(UsageError, match="found 2"):
        tiny_project.article_text()
