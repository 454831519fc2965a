"""A directory replaced all at once: a symlink to the live directory, swapped in one step.

A build publishes the store (``build/store -> store-<random>``) with its exports inside
(``dist`` is the fixed link ``build/store/dist``), so one swap publishes both; a store without
a directory has its exports staged on their own (``dist -> build/dist-<random>``).
:meth:`LiveDir.staging` gives a fresh directory beside the live ones; when the block ends
normally the link is pointed at it with one :func:`os.replace`, so readers see the old
content or the new, never a mix. An error or a kill before that leaves the previous
directory live; the fresh one is removed then, or by the next writer. One writer at a
time: :meth:`LiveDir.locked` holds ``.<name>.lock`` (:func:`fcntl.flock`) in the home
folder, and a second writer fails at once with :class:`StoreError`.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from rustbelt_kg.errors import StoreError
from rustbelt_kg.fsio import fsync_dir

__all__ = ["LiveDir"]


def _umask() -> int:
    """The process's umask (read by setting it and putting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


class LiveDir:
    """The symlink ``link`` to the live directory; fresh directories go into ``home``
    (default: the folder of ``link``), named ``<link name>-<random>``."""

    def __init__(self, link: Path, home: Path | None = None) -> None:
        self.link = Path(link)
        self.home = Path(home) if home is not None else self.link.parent
        self.name = self.link.name
        self._holding_lock = False

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Be the only writer: hold ``.<name>.lock`` in the home folder (re-entrant).

        :class:`StoreError` at once if another process holds it.
        """
        if self._holding_lock:
            yield
            return
        try:
            self.home.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreError(f"cannot create {self.home}: {error.strerror or error}") from error
        lock = self.home / f".{self.name}.lock"
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as error:
            raise StoreError(f"cannot open the lock {lock}: {error.strerror or error}") from error
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise StoreError(
                    f"another build is running (it holds {lock}); wait for it to finish"
                ) from None
            self._holding_lock = True
            yield
        finally:
            self._holding_lock = False
            os.close(fd)  # releases the lock

    def fresh(self) -> Path:
        """A new empty directory in the home folder, readable by others (:class:`OSError`)."""
        self.home.mkdir(parents=True, exist_ok=True)
        new_dir = Path(tempfile.mkdtemp(prefix=f"{self.name}-", dir=self.home))
        os.chmod(new_dir, 0o755 & ~_umask())  # mkdtemp makes it private (0700)
        return new_dir

    @contextlib.contextmanager
    def staging(self) -> Iterator[Path]:
        """A fresh directory to fill; live when the block ends without an error.

        Under :meth:`locked`. An error in the block (or in the swap) removes the fresh
        directory and leaves the previous one live; a failed swap raises :class:`OSError`.
        """
        with self.locked():
            new_dir = self.fresh()
            try:
                yield new_dir
                self.swap(new_dir)
            except BaseException:
                shutil.rmtree(new_dir, ignore_errors=True)
                raise
            self.remove_leftovers(new_dir)

    def swap(self, new_dir: Path) -> None:
        """Point the link at ``new_dir`` with one :func:`os.replace`.

        An :class:`OSError` leaves things as they were: a plain directory of the older
        layout (before the link) that was moved aside is moved back.
        """
        parent = self.link.parent
        moved: Path | None = None
        temp_link = parent / f".{self.name}-link-{secrets.token_hex(4)}"
        try:
            if self.link.exists() and not self.link.is_symlink():  # the older layout
                moved = self.home / f"{self.name}-{secrets.token_hex(4)}-old"
                os.rename(self.link, moved)
            os.symlink(os.path.relpath(new_dir, parent), temp_link)
            os.replace(temp_link, self.link)
        except OSError:
            with contextlib.suppress(OSError):
                temp_link.unlink(missing_ok=True)
            if moved is not None and not self.link.exists():
                with contextlib.suppress(OSError):
                    os.rename(moved, self.link)
            raise
        fsync_dir(parent)

    def remove_leftovers(self, live: Path) -> None:
        """Remove earlier directories and those of killed writers, under the lock.

        Only names this class makes are touched (``<name>-`` and the eight characters of
        :func:`tempfile.mkdtemp`, or a moved ``<name>-<hex>-old``), never ``live``, and
        nothing else in the folder (a ``store-backup`` of one's own stays).
        """
        made_here = re.compile(re.escape(self.name) + r"-(?:[a-z0-9_]{8}|[0-9a-f]{8}-old)")
        link = re.compile(re.escape(f".{self.name}-link-") + r"[0-9a-f]{8}")
        with contextlib.suppress(OSError):
            for entry in self.link.parent.iterdir():
                if entry.is_symlink() and link.fullmatch(entry.name):
                    entry.unlink(missing_ok=True)
        for entry in self.home.iterdir():
            if entry.is_symlink():
                continue
            if entry != live and made_here.fullmatch(entry.name) and entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
