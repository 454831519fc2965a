"""Writing never destroys what it replaces: links, devices, FIFOs, folders, full disks.

Device nodes are made here with :func:`os.mknod` inside ``tmp_path`` (the tests run as root
in CI); the system's own ``/dev/null`` is never a target. ``/dev/full`` is only ever opened
as the standard output of a child process.
"""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_build import FakeValidation

from rustbelt_kg import build as build_module
from rustbelt_kg import fsio
from rustbelt_kg.cli import cli
from rustbelt_kg.errors import OutputError
from rustbelt_kg.fsio import atomic_write
from rustbelt_kg.project import Project

SCRIPT = Path(sys.executable).with_name("rustbelt-kg")
NEEDS_ROOT = pytest.mark.skipif(os.geteuid() != 0, reason="making device nodes needs root")


def _write(text: str):  # type: ignore[no-untyped-def]
    return lambda out: out.write(text)


def _mknod(path: Path, kind: int, major: int, minor: int) -> Path:
    os.mknod(path, kind | 0o666, os.makedev(major, minor))
    return path


# -- symbolic links ------------------------------------------------------------------------


def test_writing_onto_a_symlink_writes_through_to_its_target(tmp_path: Path) -> None:
    (tmp_path / "releases").mkdir()
    target = tmp_path / "releases" / "v1.ttl"
    target.write_text("old\n", encoding="utf-8")
    link = tmp_path / "current.ttl"
    link.symlink_to(Path("releases") / "v1.ttl")
    atomic_write(link, _write("new\n"))
    assert link.is_symlink() and os.readlink(link) == str(Path("releases") / "v1.ttl")
    assert target.read_text(encoding="utf-8") == "new\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["current.ttl", "releases"]
    assert [p.name for p in target.parent.iterdir()] == ["v1.ttl"]  # no temporary file left


def test_writing_through_a_chain_of_links_replaces_the_last_target(tmp_path: Path) -> None:
    target = tmp_path / "real.ttl"
    target.write_text("old\n", encoding="utf-8")
    (tmp_path / "middle.ttl").symlink_to(target)
    (tmp_path / "first.ttl").symlink_to(tmp_path / "middle.ttl")
    atomic_write(tmp_path / "first.ttl", _write("new\n"))
    assert (tmp_path / "first.ttl").is_symlink() and (tmp_path / "middle.ttl").is_symlink()
    assert target.read_text(encoding="utf-8") == "new\n"


def test_a_dangling_link_is_written_through_creating_its_target(tmp_path: Path) -> None:
    link = tmp_path / "out.ttl"
    link.symlink_to(tmp_path / "not-yet.ttl")
    atomic_write(link, _write("new\n"))
    assert link.is_symlink()
    assert (tmp_path / "not-yet.ttl").read_text(encoding="utf-8") == "new\n"


def test_a_dangling_link_into_a_missing_folder_is_refused_and_makes_no_folder(
    tmp_path: Path,
) -> None:
    link = tmp_path / "out.ttl"
    link.symlink_to(tmp_path / "missing" / "out.ttl")
    with pytest.raises(OutputError, match="whose folder does not exist"):
        atomic_write(link, _write("new\n"))
    assert link.is_symlink() and not (tmp_path / "missing").exists()


def test_a_failed_write_through_a_link_names_link_and_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    target = tmp_path / "v1.ttl"
    target.write_text("old\n", encoding="utf-8")
    (tmp_path / "out.ttl").symlink_to(target)

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OutputError, match=f"^cannot write {tmp_path / 'out.ttl'}: No space "
                       rf".* \(writing {target}, which the link points to\)$"):
        atomic_write(tmp_path / "out.ttl", _write("new\n"))
    assert target.read_text(encoding="utf-8") == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.ttl", "v1.ttl"]


def test_a_loop_of_links_is_an_output_error(tmp_path: Path) -> None:
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    with pytest.raises(OutputError, match=f"cannot write {tmp_path / 'a'}: "):
        atomic_write(tmp_path / "a", _write("x"))
    assert (tmp_path / "a").is_symlink() and (tmp_path / "b").is_symlink()


# -- devices, FIFOs, folders ---------------------------------------------------------------


@NEEDS_ROOT
def test_writing_onto_a_character_device_writes_into_it_and_keeps_the_node(
    tmp_path: Path,
) -> None:
    null = _mknod(tmp_path / "null", stat.S_IFCHR, 1, 3)  # the same device as /dev/null
    atomic_write(null, _write("into the void\n"))
    mode = os.lstat(null).st_mode
    assert stat.S_ISCHR(mode) and os.lstat(null).st_rdev == os.makedev(1, 3)
    assert [p.name for p in tmp_path.iterdir()] == ["null"]


@NEEDS_ROOT
def test_a_full_device_is_an_output_error_and_stays_a_device(tmp_path: Path) -> None:
    full = _mknod(tmp_path / "full", stat.S_IFCHR, 1, 7)  # the same device as /dev/full
    with pytest.raises(OutputError, match=f"cannot write {full}: No space left on device"):
        atomic_write(full, _write("x" * 100_000))
    assert stat.S_ISCHR(os.lstat(full).st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["full"]


@NEEDS_ROOT
def test_writing_onto_a_symlink_to_a_device_keeps_link_and_device(tmp_path: Path) -> None:
    null = _mknod(tmp_path / "null", stat.S_IFCHR, 1, 3)
    (tmp_path / "out.ttl").symlink_to(null)
    atomic_write(tmp_path / "out.ttl", _write("x\n"))
    assert (tmp_path / "out.ttl").is_symlink() and stat.S_ISCHR(os.lstat(null).st_mode)


def test_writing_onto_a_fifo_feeds_its_reader_and_keeps_the_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[str] = []

    def read() -> None:
        with open(fifo, encoding="utf-8") as pipe:  # noqa: PTH123
            received.append(pipe.read())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    atomic_write(fifo, _write("through the pipe\n"))
    reader.join(timeout=30)
    assert received == ["through the pipe\n"]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["pipe"]


@NEEDS_ROOT
def test_a_block_device_is_refused_untouched(tmp_path: Path) -> None:
    disk = _mknod(tmp_path / "disk", stat.S_IFBLK, 7, 255)
    with pytest.raises(OutputError, match="it is a block device"):
        atomic_write(disk, _write("x"))
    assert stat.S_ISBLK(os.lstat(disk).st_mode)


@pytest.mark.parametrize("through_a_link", [False, True])
def test_a_folder_is_refused_with_an_output_error(tmp_path: Path, through_a_link: bool) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    target = folder
    if through_a_link:
        target = tmp_path / "link"
        target.symlink_to(folder)
    with pytest.raises(OutputError, match=f"cannot write {target}: it is a folder"):
        atomic_write(target, _write("x"))
    assert list(folder.iterdir()) == [] and target.exists()


# -- what a replaced file keeps ------------------------------------------------------------


def test_a_replaced_file_keeps_its_permissions(tmp_path: Path) -> None:
    private = tmp_path / "private.ttl"
    private.write_text("old\n", encoding="utf-8")
    private.chmod(0o600)
    atomic_write(private, _write("new\n"))
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert private.read_text(encoding="utf-8") == "new\n"


def test_a_full_disk_is_an_output_error_saying_so_and_the_old_file_stays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    target = tmp_path / "out.ttl"
    target.write_text("old\n", encoding="utf-8")

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OutputError) as caught:
        atomic_write(target, _write("new\n"))
    assert str(caught.value) == (
        f"cannot write {target}: No space left on device "
        "(the disk is full; the previous file, if any, is left as it was)"
    )
    assert caught.value.exit_code == 5
    assert target.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.ttl"]


# -- the commands --------------------------------------------------------------------------


def test_export_onto_a_symlink_writes_through_to_its_target(tiny_project: Project,
                                                            tmp_path: Path) -> None:
    target = tmp_path / "graph.nt"
    target.write_text("old\n", encoding="utf-8")
    link = tmp_path / "link.nt"
    link.symlink_to(target)
    command = ["--project", str(tiny_project.root), "--store", "memory", "export"]
    result = CliRunner().invoke(cli, [*command, "-o", str(link)])
    assert result.exit_code == 0, result.output
    assert link.is_symlink()
    expected = CliRunner().invoke(cli, [*command, "--format", "nt"]).stdout
    assert target.read_text(encoding="utf-8") == expected and expected.endswith(" .\n")


@NEEDS_ROOT
def test_validate_report_onto_a_device_keeps_the_device(
    tiny_project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(build_module, "validate_quads", lambda quads, shapes: FakeValidation())
    null = _mknod(tmp_path / "null", stat.S_IFCHR, 1, 3)
    link = tmp_path / "report.ttl"
    link.symlink_to(null)
    result = CliRunner().invoke(cli, ["--project", str(tiny_project.root), "validate",
                                      "--report", str(link)])
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and stat.S_ISCHR(os.lstat(null).st_mode)


@pytest.mark.parametrize("args", [
    ["export"],
    ["query", "people"],
    ["sparql", "SELECT * WHERE { ?s ?p ?o }"],
], ids=["export", "query", "sparql"])
def test_a_full_standard_output_is_a_clear_cannot_write_error(
    tiny_project: Project, args: list[str]
) -> None:
    with open("/dev/full", "w") as full:  # noqa: PTH123
        done = subprocess.run(
            [str(SCRIPT), "--project", str(tiny_project.root), "--store", "memory", *args],
            stdout=full, stderr=subprocess.PIPE, text=True, timeout=120,
        )
    assert done.returncode == 5
    assert done.stderr == "error: cannot write standard output: No space left on device\n"


def test_help_into_a_full_standard_output_is_a_clear_cannot_write_error() -> None:
    with open("/dev/full", "w") as full:  # noqa: PTH123
        done = subprocess.run([str(SCRIPT), "--help"], stdout=full, stderr=subprocess.PIPE,
                              text=True, timeout=60)
    assert (done.returncode, done.stderr) == (
        5, "error: cannot write standard output: No space left on device\n")


def test_writing_onto_a_fifo_that_no_process_reads_fails_instead_of_waiting_forever(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fsio, "FIFO_READER_WAIT", 0.2)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(OutputError, match="it is a FIFO that no process read within 0.2 s"):
        atomic_write(fifo, _write("nobody listens\n"))
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["pipe"]


def test_a_folder_given_as_the_output_is_refused_with_exit_5_as_documented(
    tiny_project: Project, tmp_path: Path
) -> None:
    folder = tmp_path / "graph.ttl"
    folder.mkdir()
    (tmp_path / "link.ttl").symlink_to(folder)
    for output in (folder, tmp_path / "link.ttl"):
        for command in (["export", "-o", str(output)], ["validate", "--report", str(output)]):
            result = CliRunner().invoke(
                cli, ["--project", str(tiny_project.root), "--store", "memory", *command])
            assert result.exit_code == 5, (command, result.output)
            assert f"cannot write {output}: it is a folder; give a file name" in result.stderr
    assert folder.is_dir() and not any(folder.iterdir())
