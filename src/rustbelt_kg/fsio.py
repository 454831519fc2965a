"""Writing files so that readers never see half of one.

:func:`atomic_write` writes beside the target and renames over it; every writer of the
project (exports, expected results, links, snapshots, the JSON-LD context) uses it, and a
file that cannot be written is an :class:`~rustbelt_kg.errors.OutputError` naming it.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from rustbelt_kg.errors import OutputError

__all__ = ["atomic_write"]


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


def atomic_write(path: Path, write: Callable[[TextIO], object]) -> None:
    """Write a UTF-8 text file so that readers see the old file or the new one, never half.

    The text goes to a hidden temporary file in the destination folder
    (``.NAME.<pid>.<random>.tmp``), is flushed to disk, then renamed over ``path`` with
    :func:`os.replace`. If ``write`` raises, the temporary file is removed and the previous
    file is left as it was; if the process is killed, the previous file is intact too and
    the next write removes the leftover temporary file.

    Any :class:`OSError` (a missing or read-only folder, a full disk, ``path`` being a
    folder) is raised as :class:`OutputError` naming ``path``.
    """
    path = Path(path)
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _remove_stale_temps(folder, path.name)
        temp = folder / f".{path.name}.{os.getpid()}.{secrets.token_hex(6)}.tmp"
        fd = os.open(temp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
    except OSError as error:
        raise OutputError(path, error.strerror or str(error)) from error
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException as error:
        temp.unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise OutputError(path, error.strerror or str(error)) from error
        raise
    try:
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:  # the file is in place; only the durability of the rename is weaker
        pass
