"""Writing files so that a write never destroys what it replaces.

:func:`atomic_write` is the one writer of files: every writer of the project (exports,
validation reports, expected results, links, snapshots, the JSON-LD context) uses it. What
it does depends on what the path names:

- a regular file, or nothing yet: the text goes to a temporary file beside it, which is
  renamed over it, so readers see the old file or the new one, never half; a file that
  existed keeps its permission bits;
- a symbolic link: the same, at the file the link finally points to; the link stays a link.
  A dangling link is written through as the shell's ``>`` does: its target is created,
  provided the target's folder exists (no folders are made at the end of a link);
- a character device (``/dev/null``, a terminal) or a FIFO (a named pipe): the text is
  written straight into it, with no temporary file and no rename, so the node stays;
  a FIFO blocks until a reader opens it, as it does for any writer;
- a folder, a block device or a socket: refused, with an :class:`OutputError`.

Any :class:`OSError` (a missing or read-only folder, a full disk) is raised as
:class:`~rustbelt_kg.errors.OutputError` naming the path; a file that existed is then left
as it was. :func:`guarded_stdout` does the same for standard output: a full disk or
``/dev/full`` is "cannot write standard output", not a crash.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

from rustbelt_kg.errors import OutputError

__all__ = ["STDOUT_NAME", "atomic_write", "fsync_dir", "guarded_stdout"]

#: How :class:`OutputError` names standard output.
STDOUT_NAME = "standard output"


def _reason(error: OSError, *, replacing: bool = False) -> str:
    """Why a write failed, in words; a full disk while replacing a file says it is kept."""
    reason = error.strerror or str(error)
    if replacing and error.errno in (errno.ENOSPC, errno.EDQUOT):
        reason += " (the disk is full; the previous file, if any, is left as it was)"
    return reason


def _remove_stale_temps(folder: Path, name: str) -> None:
    """Delete temporary files a killed writer of ``name`` left behind (its process is gone)."""
    for temp in folder.glob(f".{name}.*.tmp"):
        pid = temp.name[len(name) + 2:].split(".")[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            temp.unlink(missing_ok=True)
        except PermissionError:  # alive, owned by someone else
            pass


def _node_kind(mode: int) -> str | None:
    """What a node that cannot be replaced by a file is, or ``None`` for a regular file."""
    if stat.S_ISREG(mode):
        return None
    for test, kind in ((stat.S_ISDIR, "a folder"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISFIFO, "a FIFO"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return kind
    return "not a regular file"


def atomic_write(path: Path, write: Callable[[TextIO], object]) -> None:
    """Write a UTF-8 text file at ``path`` without destroying what it replaces.

    See the module docstring for what happens to links, devices and FIFOs. For a file,
    the text goes to a hidden temporary file in the destination folder
    (``.NAME.<pid>.<random>.tmp``), is flushed to disk, then renamed over the file with
    :func:`os.replace`. If ``write`` raises, the temporary file is removed and the previous
    file is left as it was; if the process is killed, the previous file is intact too and
    the next write removes the leftover temporary file.
    """
    path = Path(path)
    try:
        mode: int | None = os.stat(path).st_mode  # follows links
    except FileNotFoundError:  # nothing there, or a dangling link
        mode = None
    except OSError as error:  # a loop of links, a folder that is a file...
        raise OutputError(path, _reason(error)) from error
    kind = _node_kind(mode) if mode is not None else None
    if kind in ("a character device", "a FIFO"):
        _write_into(path, write)
        return
    if kind is not None:
        raise OutputError(path, f"it is {kind}; give a file name")
    if path.is_symlink():
        target = Path(os.path.realpath(path))
        if not target.parent.is_dir():
            raise OutputError(path, f"it is a link to {target}, whose folder does not exist")
        _replace(path, target, write, mode)
        return
    _replace(path, path, write, mode)


#: Seconds a write onto a FIFO waits for a process to open it for reading.
FIFO_READER_WAIT = 5.0


def _write_into(path: Path, write: Callable[[TextIO], object]) -> None:
    """Write straight into a device or a FIFO: no temporary file, no rename, no truncation.

    A FIFO that no process opens for reading within :data:`FIFO_READER_WAIT` seconds is an
    :class:`OutputError`, not a wait for a reader that may never come (the open is
    non-blocking and retried; once open, the writes block as usual).
    """
    deadline = time.monotonic() + FIFO_READER_WAIT
    while True:
        try:
            # no O_CREAT: never a new file in the node's place
            fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
            break
        except OSError as error:
            if error.errno != errno.ENXIO:
                raise OutputError(path, _reason(error)) from error
            if time.monotonic() >= deadline:
                raise OutputError(
                    path, f"it is a FIFO that no process read within {FIFO_READER_WAIT:g} s; "
                    "start the reader first") from error
            time.sleep(0.05)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            os.set_blocking(fd, True)
            write(out)
    except OSError as error:
        raise OutputError(path, _reason(error)) from error


def _replace(path: Path, target: Path, write: Callable[[TextIO], object],
             mode: int | None) -> None:
    """Write ``target`` atomically (``path`` names it in errors); keep ``mode``'s bits."""
    folder = target.parent
    via = f" (writing {target}, which the link points to)" if target != path else ""
    try:
        if target == path:  # a link's target gets no folders made for it
            folder.mkdir(parents=True, exist_ok=True)
        _remove_stale_temps(folder, target.name)
        temp = folder / f".{target.name}.{os.getpid()}.{secrets.token_hex(6)}.tmp"
        fd = os.open(temp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
    except OSError as error:
        raise OutputError(path, _reason(error) + via) from error
    try:
        if mode is not None:
            os.fchmod(fd, stat.S_IMODE(mode))
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, target)
    except BaseException as error:
        temp.unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise OutputError(path, _reason(error, replacing=True) + via) from error
        raise
    fsync_dir(folder)


def fsync_dir(folder: Path) -> None:
    """Make a rename or a new link in ``folder`` durable. A failure is ignored: the change
    is made, only its durability is weaker."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# -- standard output --------------------------------------------------------------------------


class _Guarded:
    """A stream whose writes and flushes raise :class:`OutputError` for standard output.

    A closed pipe (:class:`BrokenPipeError`) passes through unchanged: the command line
    ends quietly when its reader goes away (``| head``). Everything else is delegated.
    """

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def _guard(self, method: Callable[..., Any], *args: Any) -> Any:
        try:
            return method(*args)
        except BrokenPipeError:
            raise
        except OSError as error:
            raise OutputError(STDOUT_NAME, _reason(error)) from error

    def write(self, data: Any) -> Any:
        return self._guard(self._stream.write, data)

    def writelines(self, lines: Any) -> Any:
        return self._guard(self._stream.writelines, lines)

    def flush(self) -> Any:
        return self._guard(self._stream.flush)

    @property
    def buffer(self) -> Any:
        return _Guarded(self._stream.buffer)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextlib.contextmanager
def guarded_stdout() -> Iterator[None]:
    """Within the block, a failed write to standard output is an :class:`OutputError`.

    ``sys.stdout`` is wrapped for the duration and flushed at the end, inside the guard.
    """
    original = sys.stdout
    if isinstance(original, _Guarded):
        yield
        return
    sys.stdout = _Guarded(original)  # type: ignore[assignment]
    try:
        try:
            yield
        except SystemExit:  # click's standalone mode ends with one, after --help too
            sys.stdout.flush()
            raise
        sys.stdout.flush()
    finally:
        sys.stdout = original
