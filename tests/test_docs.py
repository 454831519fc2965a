"""Documentation that cannot drift: generated references, runnable examples, README commands."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import rustbelt_kg
from rustbelt_kg import reference
from rustbelt_kg.project import Project

ROOT = Path(__file__).resolve().parents[1]
MODULES = sorted(
    name
    for _, name, _ in pkgutil.walk_packages(rustbelt_kg.__path__, prefix="rustbelt_kg.")
    if not name.endswith("__main__")
)


@pytest.mark.parametrize("relative", sorted(reference.GENERATED))
def test_generated_reference_is_up_to_date(relative: str) -> None:
    expected = reference.render(Project(ROOT))[relative]
    actual = (ROOT / relative).read_text(encoding="utf-8")
    assert actual == expected, f"{relative} is stale: run python -m rustbelt_kg.reference"


def test_reference_check_reports_a_stale_file(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(reference.Project, "discover", staticmethod(lambda *a, **k: Project(ROOT)))
    rendered = reference.render(Project(ROOT))
    monkeypatch.setattr(reference, "render", lambda project: {**rendered, "docs/cli.md": "stale"})
    assert reference.main(["--check"]) == 1


@pytest.mark.parametrize("module", MODULES)
def test_docstring_examples_run(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_docstring_examples_exist_somewhere() -> None:
    found = sum(
        doctest.testmod(importlib.import_module(m), optionflags=doctest.ELLIPSIS).attempted
        for m in MODULES
    )
    assert found >= 3


def test_readme_setup_and_test_commands_are_what_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", readme, flags=re.S)
    setup, tests = blocks[0].strip(), blocks[1].strip()
    assert setup.startswith("python3 -m venv .venv") and setup.endswith("rustbelt-kg build")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    for part in setup.split(" && "):
        assert part.strip() in ci.replace("--quiet --disable-pip-version-check ", ""), part
    assert tests in ci


def test_readme_documents_every_command_and_exit_code() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    from rustbelt_kg.cli.main import cli

    for name in cli.list_commands(None):  # type: ignore[arg-type]
        assert f"rustbelt-kg {name}" in readme, name
    from rustbelt_kg import errors

    codes = {0, 2} | {
        cls.exit_code for cls in vars(errors).values()
        if isinstance(cls, type) and issubclass(cls, errors.RustbeltError)
    }
    for code in sorted(codes):
        assert re.search(rf"^\| {code} \|", readme, flags=re.M), code
        assert re.search(rf"^  {code}  ", cli.epilog or "", flags=re.M), code


def test_code_passes_the_type_checker() -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "mypy", "src"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_code_passes_the_linter() -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "src", "tests", "bench"],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_readme_summary_matches_the_graph(built_project) -> None:  # type: ignore[no-untyped-def]
    from rustbelt_kg.build import BuildSummary, _count
    from rustbelt_kg.query import list_qc_queries, list_queries

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = next(b for b in readme.split("```") if b.lstrip("\n").startswith("triples (union)"))
    stated = dict(re.findall(r"^(.+?)\s{2,}(\S+)(?: pass)?$", block, flags=re.M))
    summary = BuildSummary()
    _count(summary, built_project.quads)
    queries = len(list_queries(built_project.project))
    qc = len(list_qc_queries(built_project.project))
    assert stated == {
        "triples (union)": str(summary.triples),
        "named graphs": str(summary.graphs),
        "entities (rb:)": str(summary.entities),
        "claims": str(summary.claims),
        "facts (triples in claims)": str(summary.facts),
        "conforms": "yes",
        "stored queries": f"{queries}/{queries}",
        "QC queries": f"{qc}/{qc}",
    }
    assert f"{summary.claims} claims" in readme


def test_readme_claim_example_is_the_real_claim(built_project) -> None:  # type: ignore[no-untyped-def]
    import rdflib

    from rustbelt_kg.namespaces import CLAIM, PREFIXES

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    example = re.search(r"```trig\n(.*?)```", readme, flags=re.S).group(1)  # type: ignore[union-attr]
    prologue = "".join(f"@prefix {p}: <{iri}> .\n" for p, iri in PREFIXES.items())
    shown = rdflib.Dataset()
    shown.parse(data=f"{prologue}@base <{CLAIM}> .\n{example}", format="trig")
    quads = set(built_project.quads)
    missing = [q for q in shown.quads() if (q[0], q[1], q[2], q[3]) not in quads]
    assert len(list(shown.quads())) > 10
    assert missing == []
