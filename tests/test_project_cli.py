"""The command line finds the project it is run in, says which, and shows progress only on
a terminal."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from rustbelt_kg import progress
from rustbelt_kg.build import build
from rustbelt_kg.cli import cli
from rustbelt_kg.project import Project

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def second_copy(tiny_project: Project, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A subfolder of a second checkout, as the current directory, with no --project."""
    monkeypatch.delenv("RUSTBELT_KG_PROJECT", raising=False)
    subfolder = tiny_project.root / "data" / "article"
    monkeypatch.chdir(subfolder)
    return tiny_project.root


def test_build_in_a_subfolder_of_a_second_copy_builds_that_copy_and_says_so(
    second_copy: Path,
) -> None:
    installed = (REPO_ROOT / "build" / "store").resolve()
    result = CliRunner().invoke(cli, ["build"])
    assert result.exit_code in (0, 1), result.output  # the tiny shapes need not conform
    assert result.stdout.splitlines()[0].split() == ["project", str(second_copy)]
    assert (second_copy / "build" / "store").is_symlink()
    assert (REPO_ROOT / "build" / "store").resolve() == installed


def test_stats_in_a_subfolder_names_the_project_it_read(second_copy: Path) -> None:
    build(Project(second_copy))
    command = [sys.executable, "-m", "rustbelt_kg", "stats"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.splitlines()[0] == f"project: {second_copy}"


def test_a_command_outside_any_project_fails_instead_of_using_the_installed_checkout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RUSTBELT_KG_PROJECT", raising=False)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["stats"])
    assert result.exit_code == 2
    assert "no rustbelt-kg project in" in result.stderr and "--project" in result.stderr


def test_a_missing_article_text_exits_1_as_a_data_problem(tiny_project: Project) -> None:
    shutil.rmtree(tiny_project.sources_dir)
    result = CliRunner().invoke(cli, ["--project", str(tiny_project.root), "check"])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: expected an article text in ")


def test_a_build_without_shapes_exits_1_with_a_clear_message(tiny_project: Project) -> None:
    (tiny_project.root / "shapes" / "tiny.ttl").unlink()
    for command in ("build", "validate"):
        result = CliRunner().invoke(cli, ["--project", str(tiny_project.root), command])
        assert result.exit_code == 1, command
        assert "no shapes: shapes/*.ttl declares no node or property shape" in result.stderr


def test_progress_shows_each_step_on_a_terminal(tiny_project: Project) -> None:
    screen = io.StringIO()
    steps = progress._RichSteps(Console(file=screen, force_terminal=True, width=100))
    build(tiny_project, steps=steps)
    shown = screen.getvalue()
    for step in ("parse", "index", "validate", "load", "exports", "QC queries", "stored queries"):
        assert step in shown


def test_progress_stays_off_when_stderr_is_not_a_terminal(
    tiny_project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert progress.terminal_steps() is progress.QUIET
    result = CliRunner().invoke(cli, ["--project", str(tiny_project.root), "build"])
    assert result.exit_code == 0 and result.stderr == ""
    assert result.stdout.splitlines()[0].startswith("project ")
