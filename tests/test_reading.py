"""Source files are read as regular files within a size limit: a folder, a FIFO, a device or
bytes that are not UTF-8 are clear errors, never an internal error or a hang."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from rustbelt_kg.cli import cli
from rustbelt_kg.errors import SourceTooLarge, SourceUnreadable, TextEncodingError
from rustbelt_kg.project import Project
from rustbelt_kg.reading import read_capped, read_source, read_text

SCRIPT = Path(sys.executable).with_name("rustbelt-kg")


def run(project: Project, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--project", str(project.root), *args])


def script(project: Project, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), "--project", str(project.root), *args],
        capture_output=True, text=True, timeout=60,
    )


def _text(project: Project) -> Path:
    return project.source_texts()[0]


def test_an_article_text_that_is_a_folder_cannot_be_read_not_an_internal_error(
    tiny_project: Project,
) -> None:
    text = _text(tiny_project)
    text.unlink()
    text.mkdir()
    result = run(tiny_project, "check")
    assert result.exit_code == 5, result.output
    assert f"cannot read {tiny_project.display(text)}: it is a folder" in result.stderr
    assert "internal error" not in result.stderr


def test_an_article_text_that_is_not_utf8_names_the_file_and_byte_offset(
    tiny_project: Project,
) -> None:
    text = _text(tiny_project)
    text.write_bytes(b"line one\n\xff\xfe\x00garbage")
    result = run(tiny_project, "check")
    assert result.exit_code == 3, result.output
    assert f"{tiny_project.display(text)}:2:1: not UTF-8: byte 0xff at offset 9" in result.stderr
    with pytest.raises(TextEncodingError):
        tiny_project.article_text()


@pytest.mark.parametrize("kind", ["dev-zero", "fifo"])
def test_a_source_that_never_ends_is_refused_at_once_not_read_forever(
    tiny_project: Project, kind: str
) -> None:
    never = tiny_project.root / "data" / "article" / "zz.trig"
    if kind == "fifo":
        os.mkfifo(never)
    else:
        never.symlink_to("/dev/zero")
    done = script(tiny_project, "build", "--no-export")
    assert done.returncode == 5, done.stderr
    assert "cannot read data/article/zz.trig: not a regular file" in done.stderr
    assert not tiny_project.store_path.exists()


def test_a_query_file_that_is_a_fifo_is_refused_not_waited_on(
    tiny_project: Project, tmp_path: Path
) -> None:
    fifo = tmp_path / "zz.rq"
    os.mkfifo(fifo)
    done = script(tiny_project, "--store", "memory", "sparql", f"@{fifo}")
    assert done.returncode == 2, done.stderr
    assert f"cannot read {fifo}: not a regular file" in done.stderr


def test_a_source_larger_than_its_limit_exits_6_and_the_read_stops_at_the_limit(
    tmp_path: Path,
) -> None:
    big = tmp_path / "big.ttl"
    big.write_bytes(b"#" * 11)
    assert read_capped(big, 4) == b"#" * 5
    assert read_source(big, "big.ttl", limit=11) == b"#" * 11
    with pytest.raises(SourceTooLarge, match=r"^big.ttl: larger than") as raised:
        read_source(big, "big.ttl", limit=10)
    assert raised.value.exit_code == 6
    with pytest.raises(SourceTooLarge):
        read_text(big, "big.txt", limit=10)


def test_an_unreadable_source_says_cannot_read_and_why(tmp_path: Path) -> None:
    with pytest.raises(SourceUnreadable, match=r"^cannot read gone.ttl: No such file") as raised:
        read_source(tmp_path / "gone.ttl", "gone.ttl")
    assert raised.value.exit_code == 5


def test_a_text_is_read_with_line_ends_as_path_read_text_reads_them(tmp_path: Path) -> None:
    text = tmp_path / "t.txt"
    text.write_bytes("a\r\nb\rc\né".encode())
    assert read_text(text, "t.txt") == text.read_text(encoding="utf-8") == "a\nb\nc\né"
