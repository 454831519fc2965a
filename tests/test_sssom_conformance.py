"""The mapping set, judged by the SSSOM project's own validator, and its RDF form's metadata.

``sssom validate`` (sssom-py, the reference implementation) checks the TSV against the SSSOM
JSON schema: slots, their types and ranges, the ``curie_map``. It runs in a subprocess so
that its many dependencies stay out of the test process.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import rdflib

from rustbelt_kg import sssom
from rustbelt_kg.errors import DataProblem

ROOT = Path(__file__).resolve().parents[1]
LINKS_TSV = ROOT / "data" / "links" / "wikidata.sssom.tsv"
LINKS_TTL = ROOT / "data" / "links" / "wikidata.ttl"
SSSOM_VERSION = rdflib.URIRef(sssom.SSSOM + "sssom_version")


def _sssom_validate(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sssom.cli", "validate", str(path)],
        capture_output=True, text=True, timeout=300, check=False,
    )


def test_sssom_py_validates_the_mapping_set() -> None:
    run = _sssom_validate(LINKS_TSV)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "ERROR" not in run.stderr


def test_sssom_py_rejects_a_confidence_out_of_range(tmp_path: Path) -> None:
    text = LINKS_TSV.read_text(encoding="utf-8")
    assert "\t0.95\t" in text
    broken = tmp_path / "broken.sssom.tsv"
    broken.write_text(text.replace("\t0.95\t", "\t1.95\t", 1), encoding="utf-8")
    run = _sssom_validate(broken)
    assert run.returncode != 0
    assert "1.95 is greater than the maximum of 1.0" in run.stderr


def test_rdf_form_of_the_mapping_set_carries_its_sssom_version() -> None:
    mset = sssom.read_tsv(LINKS_TSV)
    assert str(mset.metadata["sssom_version"]) == "1.1"
    graph = rdflib.Graph().parse(LINKS_TTL, format="turtle")
    assert list(graph.objects(rdflib.URIRef(mset.mapping_set_id), SSSOM_VERSION)) == [
        rdflib.URIRef(sssom.SSSOM + "version1.1")
    ]


@pytest.mark.parametrize(("version", "iri"), [("1.0", "version1.0"), (1.1, "version1.1")])
def test_sssom_version_is_written_as_the_iri_of_its_enum_value(version: object, iri: str) -> None:
    mset = sssom.MappingSet("https://example.org/set", {}, [], {"sssom_version": version})
    objects = [o for _, p, o, _ in sssom.to_quads(mset) if p == SSSOM_VERSION]
    assert objects == [rdflib.URIRef(sssom.SSSOM + iri)]


def test_an_unknown_sssom_version_is_refused_in_the_rdf_form() -> None:
    mset = sssom.MappingSet("https://example.org/set", {}, [], {"sssom_version": "9.9"})
    with pytest.raises(DataProblem, match="'9.9' is not an SSSOM version"):
        list(sssom.to_quads(mset))
