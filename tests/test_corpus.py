"""A generated corpus of several sources (``bench/gen_corpus.py``), a reduced form of the
scale bench: it builds, conforms, passes its QC queries and its quotes anchor in their own
texts. Correctness only; the timings are the bench's (``bench/bench_scale.py``)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from rustbelt_kg.build import build, check_sources
from rustbelt_kg.errors import CheckFailed
from rustbelt_kg.project import Project
from rustbelt_kg.store import COUNT_FILE, OxigraphStore

ROOT = Path(__file__).resolve().parents[1]


def _generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("gen_corpus", ROOT / "bench" / "gen_corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["gen_corpus"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Project:
    root = tmp_path_factory.mktemp("corpus")
    _generator().generate(3, root, parks=1)
    project = Project(root)
    # The article's stored queries expect the article's answers, which do not describe the
    # corpus; a build with a differing answer publishes nothing, so the corpus has none.
    for query in [*project.queries_dir.glob("*.rq"), *project.queries_dir.glob("*.srj")]:
        query.unlink()
    return project


def test_the_generated_corpus_is_the_same_for_the_same_seed(tmp_path: Path) -> None:
    generator = _generator()
    generator.generate(2, tmp_path / "a", parks=1)
    generator.generate(2, tmp_path / "b", parks=1)
    generated = sorted(p for p in (tmp_path / "a" / "data").rglob("gen-*") if p.is_file())
    assert len(generated) == 6  # a text, a metadata stub and the claims of each source
    for path in generated:
        twin = tmp_path / "b" / path.relative_to(tmp_path / "a")
        assert path.read_bytes() == twin.read_bytes(), path.name


def test_a_corpus_of_several_sources_builds_conforms_and_passes_its_checks(
    corpus: Project,
) -> None:
    assert len(corpus.source_texts()) == 4  # the article and three generated sources
    summary = build(corpus, exports=False)
    assert summary.conforms
    assert summary.qc_passed == summary.qc_total > 0
    assert summary.ok, summary.problems
    assert check_sources(corpus)[0] == summary.qc_total
    store = OxigraphStore(corpus.store_path, read_only=True)
    rows = store.query(
        "SELECT ?province (COUNT(DISTINCT ?park) AS ?parks) WHERE {"
        " ?park a rbo:IncubatorPark ; rbo:locatedIn ?province ."
        " FILTER (STRSTARTS(STR(?park), STR(rb:gen-))) } GROUP BY ?province"
    ).rows
    assert {str(r["province"]).rsplit("/", 1)[1] for r in rows} <= {
        "heilongjiang", "jilin", "liaoning"}  # one IRI per province, shared by the sources
    assert sum(int(str(r["parks"])) for r in rows) == 3


def test_a_quote_is_checked_against_the_text_its_claim_names(corpus: Project) -> None:
    text = corpus.sources_dir / "gen-00002.txt"
    original = text.read_bytes()
    try:
        text.write_bytes(original.replace(b"Start-ups", b"Startups", 1))
        with pytest.raises(CheckFailed) as failed:
            check_sources(corpus)
    finally:
        text.write_bytes(original)
    message = str(failed.value)
    assert "claim gen-00002-headline" in message
    assert "rb:text/gen-00002: the source text's SHA-256 is" in message
    assert "gen-00001" not in message and "gen-00003" not in message


def test_the_store_records_its_size_so_len_does_not_scan(corpus: Project) -> None:
    build(corpus, exports=False)
    store = OxigraphStore(corpus.store_path, read_only=True)
    counted = store._counted()
    recorded = (corpus.store_path.resolve() / COUNT_FILE).read_text()
    assert recorded.strip() == str(counted)
    assert len(store) == counted == len(set(store.quads()))
