"""Directories replaced all at once behind a symlink: the mechanism the store and dist/ share."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rustbelt_kg.errors import StoreError
from rustbelt_kg.livedir import LiveDir


def _fill(folder: Path, text: str) -> None:
    (folder / "file.txt").write_text(text, encoding="utf-8")


def test_a_link_in_one_folder_points_at_directories_kept_in_another(tmp_path: Path) -> None:
    live = LiveDir(tmp_path / "dist", tmp_path / "build")
    for text in ("first", "second"):
        with live.staging() as folder:
            _fill(folder, text)
    assert os.readlink(tmp_path / "dist").startswith("build/dist-")
    assert (tmp_path / "dist" / "file.txt").read_text(encoding="utf-8") == "second"
    kept = sorted(p.name for p in (tmp_path / "build").iterdir())
    assert kept == [".dist.lock", (tmp_path / "dist").resolve().name]


def test_an_error_in_the_block_keeps_the_previous_directory_live(tmp_path: Path) -> None:
    live = LiveDir(tmp_path / "dist", tmp_path / "build")
    with live.staging() as folder:
        _fill(folder, "first")
    before = (tmp_path / "dist").resolve()
    with pytest.raises(ValueError, match="half way"), live.staging() as folder:
        _fill(folder, "second")
        raise ValueError("half way")
    assert (tmp_path / "dist").resolve() == before
    assert sorted(p.name for p in (tmp_path / "build").iterdir()) == [".dist.lock", before.name]


def test_a_failed_swap_puts_a_plain_directory_of_the_older_layout_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "dist").mkdir()
    _fill(tmp_path / "dist", "old layout")

    def refuse(src: object, dst: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(PermissionError), LiveDir(tmp_path / "dist", tmp_path / "build").staging() \
            as folder:
        _fill(folder, "new")
    assert not (tmp_path / "dist").is_symlink()
    assert (tmp_path / "dist" / "file.txt").read_text(encoding="utf-8") == "old layout"


def test_a_second_writer_is_refused_at_once(tmp_path: Path) -> None:
    first, second = (LiveDir(tmp_path / "dist", tmp_path / "build") for _ in range(2))
    with first.locked(), pytest.raises(StoreError, match="another build is running"), \
            second.locked():
        pass
