"""Running a query in a child process that is killed when its time is up.

Neither engine can stop a running query: Oxigraph releases the GIL while it evaluates
(a Python thread keeps running beside a cartesian product) but offers no way to cancel,
and rdflib's evaluator is plain Python in a loop. :func:`run_bounded` therefore forks: the
child does the work and writes its output into a pipe; the parent copies that output to
``out`` as it comes (so ``| head -1`` answers at once) and kills the child with ``SIGKILL``
when it runs past ``timeout``, reaps it, and raises
:class:`~rustbelt_kg.errors.QueryTimeout`. The CPU is free again at once.

The clock starts when the child calls ``started()`` (the store is open, the query begins)
and stops while the parent waits for the reader of ``out`` (a pager, a slow pipe): the
timeout bounds the query, not the person reading its answer. A
:class:`~rustbelt_kg.errors.RustbeltError` in the child is raised again in the parent with
its class, message and exit code; so is an engine crash (a signal), as a
:class:`~rustbelt_kg.errors.StoreError`. Nothing else of the child comes back: it ends
with :func:`os._exit`, so the parent's state (open files, test runners) is never touched
twice. Where :func:`os.fork` does not exist, the work runs in this process, unbounded.
"""

from __future__ import annotations

import codecs
import contextlib
import ctypes
import io
import json
import os
import selectors
import signal
import time
from collections.abc import Callable
from typing import TextIO

from rustbelt_kg import errors
from rustbelt_kg.catalog import DEFAULT_TIMEOUT
from rustbelt_kg.errors import QueryTimeout, RustbeltError, StoreError

__all__ = [
    "DEFAULT_TIMEOUT",
    "Work",
    "call_bounded",
    "die_with",
    "plain_attributes",
    "raise_from",
    "run_bounded",
]


#: The work: it writes to the stream it is given and calls ``started()`` when the query begins.
Work = Callable[[TextIO, Callable[[], None]], None]

_CHUNK = 65536
Decoder = codecs.IncrementalDecoder


def run_bounded(work: Work, out: TextIO, *, timeout: float | None) -> None:
    """Run ``work`` in a child process, its output copied to ``out``; kill it after
    ``timeout`` seconds of query time (``None`` or 0: no limit)."""
    if not hasattr(os, "fork"):
        work(out, lambda: None)
        return
    out.flush()
    data_read, data_write = os.pipe()
    status_read, status_write = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        die_with(parent)
        os.close(data_read)
        os.close(status_read)
        _child(work, data_write, status_write)
    os.close(data_write)
    os.close(status_write)
    try:
        status = _supervise(data_read, status_read, out, timeout or None)
    except BaseException:  # the time is up, the reader left, Ctrl-C: the child goes too
        _kill(pid)
        raise
    finally:
        os.close(data_read)
        os.close(status_read)
        crash = _reap(pid)
    raise_from(status, crash)


#: Linux's prctl option that sends the calling process a signal when its parent dies.
_PR_SET_PDEATHSIG = 1


def die_with(parent: int) -> None:
    """Have the kernel kill this (child) process when ``parent`` dies, whatever kills it
    (``kill -9`` included, which no handler of the parent sees); on a system without
    ``prctl`` the parent's own clean-up is all there is."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def _child(work: Work, data_fd: int, status_fd: int) -> None:
    """Do ``work`` writing to ``data_fd``; report on ``status_fd``; exit without cleanup."""
    status = os.fdopen(status_fd, "w", encoding="utf-8")

    def send(message: dict[str, object]) -> None:
        status.write(json.dumps(message) + "\n")
        status.flush()

    stream = open(data_fd, "w", encoding="utf-8", newline="", buffering=_CHUNK)  # noqa: SIM115
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        try:
            work(stream, lambda: send({"started": True}))
        finally:  # what was written before an error is shown with it
            stream.flush()
        send({"done": True})
    except BrokenPipeError:
        send({"done": True})
    except RustbeltError as error:
        send({"error": type(error).__name__, "message": str(error), "exit": error.exit_code,
              "attributes": plain_attributes(vars(error))})
    except BaseException as error:  # noqa: BLE001 - everything goes back to the parent
        send({"internal": type(error).__name__, "message": str(error)})
    finally:
        os._exit(0)


def _supervise(
    data_fd: int, status_fd: int, out: TextIO, timeout: float | None
) -> dict[str, object]:
    """Copy the child's output to ``out`` until it ends or its time is up; its last status."""
    binary = getattr(out, "buffer", None)
    decoder = codecs.getincrementaldecoder("utf-8")()
    selector = selectors.DefaultSelector()
    selector.register(data_fd, selectors.EVENT_READ, "data")
    selector.register(status_fd, selectors.EVENT_READ, "status")
    deadline: float | None = None
    report = b""
    status: dict[str, object] = {}
    while selector.get_map():
        wait = None if deadline is None else deadline - time.monotonic()
        if wait is not None and wait <= 0:
            raise QueryTimeout(
                f"the query ran longer than its timeout of {timeout:g} s and was stopped; "
                "give more time with --timeout SECONDS (0 for none)",
                limit="--timeout",
            )
        for key, _ in selector.select(wait):
            chunk = os.read(key.fd, _CHUNK)
            if not chunk:
                selector.unregister(key.fd)
            elif key.data == "data":
                began = time.monotonic()
                _copy(chunk, out, binary, decoder)
                if deadline is not None:  # waiting for the reader is not query time
                    deadline += time.monotonic() - began
            else:
                report += chunk
                *lines, report = report.split(b"\n")
                for line in lines:
                    status = json.loads(line)
                    if status.get("started") and timeout is not None:
                        deadline = time.monotonic() + timeout
    return status


def _copy(chunk: bytes, out: TextIO, binary: io.BufferedIOBase | None, decoder: Decoder) -> None:
    if binary is not None:
        binary.write(chunk)
        binary.flush()
    else:  # a character cut in two by the pipe waits for its second half
        out.write(decoder.decode(chunk))
        out.flush()


def plain_attributes(attributes: dict[str, object]) -> dict[str, object]:
    """The attributes of an error that JSON carries as they are (paths, lines, names)."""
    plain = {}
    for name, value in attributes.items():
        try:
            json.dumps(value)
        except (TypeError, ValueError):
            continue
        plain[name] = value
    return plain


def call_bounded(compute: Callable[[], str], *, timeout: float | None) -> str:
    """The text ``compute()`` returns, computed in a child process killed after ``timeout``
    seconds (:class:`~rustbelt_kg.errors.QueryTimeout`); its errors are raised here."""
    out = io.StringIO()

    def work(stream: TextIO, started: Callable[[], None]) -> None:
        started()
        stream.write(compute())

    run_bounded(work, out, timeout=timeout)
    return out.getvalue()


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _reap(pid: int) -> int:
    """Wait for the child (after :func:`_kill`, at once); the signal that ended it, or 0."""
    try:
        _, code = os.waitpid(pid, 0)
    except ChildProcessError:
        return 0
    return os.WTERMSIG(code) if os.WIFSIGNALED(code) else 0


def raise_from(status: dict[str, object], crash: int) -> None:
    """Raise again in this process what the child reported; nothing if it was done."""
    if status.get("done"):
        return
    message = str(status.get("message", ""))
    if "error" in status:
        cls = getattr(errors, str(status["error"]), None)
        if not (isinstance(cls, type) and issubclass(cls, RustbeltError)):
            cls = RustbeltError
        error = cls.__new__(cls)
        Exception.__init__(error, message)
        error.__dict__.update(status.get("attributes") or {})  # type: ignore[call-overload]
        error.exit_code = int(str(status.get("exit", cls.exit_code)))
        raise error
    if "internal" in status:
        raise RuntimeError(f"{status['internal']}: {message}")
    name = signal.Signals(crash).name if crash else "no answer"
    raise StoreError(f"the query engine stopped without an answer ({name})")
