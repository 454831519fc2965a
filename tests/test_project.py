"""Where things are in a checkout: the source registry and project discovery."""

from __future__ import annotations

from pathlib import Path

import pytest

from rustbelt_kg import namespaces
from rustbelt_kg.errors import SourceMissing, UsageError
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
    with pytest.raises(UsageError, match="ontology, sources, article, claims, links"):
        source_kind("nonsense")


def test_sources_are_sorted_and_shapes_are_kept_apart(tiny_project: Project) -> None:
    (tiny_project.root / "data" / "article" / "a-first.trig").write_text("", encoding="utf-8")
    loaded = [(kind.name, path.name) for kind, path in tiny_project.sources()]
    assert loaded == [
        ("ontology", "tiny.ttl"),
        ("sources", "tiny-daily.ttl"),
        ("article", "a-first.trig"),
        ("article", "tiny.trig"),
        ("links", "wikidata.ttl"),
        ("enrichment", "wikidata.trig"),
    ]
    assert [p.name for _, p in tiny_project.sources(loaded=False)] == ["tiny.ttl"]
    assert len(tiny_project.sources(loaded=None)) == 7


def test_discover_takes_the_option_first(tiny_project: Project, tmp_path: Path) -> None:
    found = Project.discover(tiny_project.root, cwd=REPO_ROOT)
    assert found.root == tiny_project.root.resolve()


def test_discover_rejects_an_option_that_is_not_a_checkout(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="needs ontology/ and data/"):
        Project.discover(tmp_path)


def test_discover_uses_the_current_directory_when_it_is_a_checkout(tiny_project: Project) -> None:
    assert Project.discover(cwd=tiny_project.root).root == tiny_project.root.resolve()


def test_discover_walks_up_from_a_subfolder_of_a_second_copy(
    tiny_project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    subfolder = tiny_project.root / "data" / "article"
    assert Project.discover(cwd=subfolder).root == tiny_project.root.resolve()
    monkeypatch.chdir(subfolder)  # the default cwd is the process's, not the installed checkout
    assert Project.discover().root == tiny_project.root.resolve() != REPO_ROOT


def test_discover_outside_any_checkout_says_so_instead_of_using_the_installed_one(
    tmp_path: Path,
) -> None:
    with pytest.raises(UsageError, match="no rustbelt-kg project in .* or any folder above it"):
        Project.discover(cwd=tmp_path)


def test_paths_of_queries_store_and_exports(tiny_project: Project) -> None:
    root = tiny_project.root
    assert [p.name for p in tiny_project.query_files()] == ["founders.rq", "people.rq"]
    assert [p.name for p in tiny_project.qc_files()] == ["unlabelled-person-violation.rq"]
    assert tiny_project.store_path == root / "build" / "store"
    assert tiny_project.dist_dir == root / "dist"
    assert tiny_project.context_path == root / "context" / "rustbelt.jsonld"


def test_article_text_is_the_first_source_text_when_there_are_several(
    tiny_project: Project,
) -> None:
    assert tiny_project.article_text().startswith("Tiny Daily")
    (tiny_project.sources_dir / "zz-other.txt").write_text("x", encoding="utf-8")
    assert tiny_project.article_text().startswith("Tiny Daily")


def test_a_missing_article_text_is_a_data_problem_not_a_usage_error(
    tiny_project: Project,
) -> None:
    for text in tiny_project.source_texts():
        text.unlink()
    with pytest.raises(SourceMissing, match="expected an article text .* found none") as caught:
        tiny_project.article_text()
    assert caught.value.exit_code == 1 and not isinstance(caught.value, UsageError)
