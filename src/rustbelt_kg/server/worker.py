"""Worker processes that run the store's work, each one killable when its time is up.

pyoxigraph cannot cancel a query, and a thread cannot be stopped; a process can. A
:class:`WorkerPool` keeps a few worker processes warm (started with ``spawn``, each with
the store open, read-only, in its own memory) and hands each job to an idle one. When a
job runs past its timeout, its worker is killed at once (``SIGKILL``: the CPU is free
again) and :class:`~rustbelt_kg.errors.QueryTimeout` is raised; a fresh worker is started
in the background while the others go on answering. A worker dies with the server, however
the server ends (the kernel's parent-death signal).

A job is ``(name, kwargs)`` for a function of :mod:`rustbelt_kg.server.jobs`; its answer
comes back as it is, and a :class:`~rustbelt_kg.errors.RustbeltError` it raises is raised
again here with its class and message (:func:`rustbelt_kg.bounded.raise_from`).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import queue
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from rustbelt_kg.bounded import raise_from
from rustbelt_kg.errors import QueryTimeout, StoreError

__all__ = ["WorkerPool"]

_CONTEXT = multiprocessing.get_context("spawn")
#: Seconds between a worker's kill and the start of its replacement.
REPLACE_AFTER = 0.5


class _Worker:
    """One worker process and the pipe to it."""

    def __init__(self, root: Path, store_path: Path, base_url: str) -> None:
        mine, theirs = _CONTEXT.Pipe()
        self.process = _CONTEXT.Process(
            target=_run_worker, args=(theirs, str(root), str(store_path), base_url),
            daemon=True, name="rustbelt-kg-worker",
        )
        self.process.start()
        theirs.close()
        self.conn: Connection = mine

    def call(self, job: tuple[str, dict[str, Any]], timeout: float | None) -> Any:
        """Send ``job`` and wait up to ``timeout`` seconds for its answer;
        :class:`TimeoutError` when none came."""
        self.conn.send(job)
        if not self.conn.poll(timeout):
            raise TimeoutError
        return self.conn.recv()

    def kill(self) -> None:
        self.process.kill()
        self.process.join(5)
        with contextlib.suppress(OSError):
            self.conn.close()


class WorkerPool:
    """``size`` worker processes serving the store at ``store_path`` of the project at
    ``root``; :meth:`call` blocks (the app runs it in a thread)."""

    def __init__(self, root: Path, store_path: Path, base_url: str, size: int) -> None:
        self._args = (root, store_path, base_url)
        self._size = max(1, size)
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._closed = False
        self._failure: BaseException | None = None
        self._wanted: queue.Queue[str] = queue.Queue()  # "start", "replace"; "" ends
        self._keeper = threading.Thread(target=self._keep, daemon=True,
                                        name="rustbelt-kg-worker-keeper")

    def start(self) -> None:
        """Start the workers and wait until each has the store open.

        Workers are started by one thread that lives as long as the pool: the kernel's
        parent-death signal fires when the *thread* that started a process ends."""
        self._keeper.start()
        for _ in range(self._size):
            self._wanted.put("start")
        self._wanted.join()
        if self._failure is not None:
            raise self._failure

    def _keep(self) -> None:
        """The keeper thread: start a worker for each request, until the pool closes. A
        replacement waits :data:`REPLACE_AFTER` seconds first, so that starting it (imports,
        opening the store) does not take the CPU from the requests the other workers answer
        right after a timeout."""
        while wanted := self._wanted.get():
            try:
                if wanted == "replace":
                    time.sleep(REPLACE_AFTER)
                if not self._closed:
                    self._warm(self._new())
            except (TimeoutError, EOFError, OSError, StoreError) as error:
                self._failure = error
            finally:
                self._wanted.task_done()
        self._wanted.task_done()

    def _new(self) -> _Worker:
        worker = _Worker(*self._args)
        with self._lock:
            self._all.add(worker)
        return worker

    def _warm(self, worker: _Worker) -> None:
        """Have ``worker`` import what jobs need, then make it available."""
        try:
            _raise_reply(worker.call(("ping", {}), 120))
        except BaseException:
            self._discard(worker)
            raise
        self._idle.put(worker)

    def _discard(self, worker: _Worker) -> None:
        worker.kill()
        with self._lock:
            self._all.discard(worker)

    def _replace(self) -> None:
        """Start a worker in place of a killed one, in the background."""
        if not self._closed:
            self._wanted.put("replace")

    def call(self, job: str, timeout: float, /, **kwargs: Any) -> Any:
        """Run the job called ``job`` with ``kwargs`` in an idle worker; after ``timeout``
        seconds the worker is killed and :class:`QueryTimeout` raised."""
        began = time.monotonic()
        try:
            worker = self._idle.get(timeout=timeout)
        except queue.Empty:
            raise _timed_out(timeout, "no worker became free") from None
        left = max(0.0, timeout - (time.monotonic() - began))
        try:
            reply = worker.call((job, kwargs), left)
        except TimeoutError:
            self._discard(worker)
            self._replace()
            raise _timed_out(timeout, "it was stopped") from None
        except (EOFError, OSError) as error:
            self._discard(worker)
            self._replace()
            raise StoreError("the query engine stopped without an answer") from error
        self._idle.put(worker)
        return _raise_reply(reply)

    @property
    def alive(self) -> int:
        """How many worker processes are running (busy or idle)."""
        with self._lock:
            return sum(1 for w in self._all if w.process.is_alive())

    def close(self) -> None:
        """Kill every worker."""
        self._closed = True
        self._wanted.put("")
        with self._lock:
            workers = list(self._all)
            self._all.clear()
        for worker in workers:
            worker.kill()


def _timed_out(timeout: float, what: str) -> QueryTimeout:
    return QueryTimeout(
        f"the request ran longer than its timeout of {timeout:g} s and {what}; "
        "ask for less (LIMIT, fewer joins)",
        limit="timeout",
    )


def _raise_reply(reply: Any) -> Any:
    kind, value = reply
    if kind == "ok":
        return value
    raise_from(value, 0)
    raise StoreError("the query engine gave no answer")  # pragma: no cover - raise_from raises


def _run_worker(conn: Connection, root: str, store_path: str, base_url: str) -> None:
    """The worker's loop: answer jobs until the pipe closes."""
    import os

    from rustbelt_kg.bounded import die_with

    die_with(os.getppid())
    from rustbelt_kg.server import jobs

    state = jobs.WorkerState(Path(root), Path(store_path), base_url)
    while True:
        try:
            name, kwargs = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        conn.send(jobs.run(state, name, kwargs))
