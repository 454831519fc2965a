"""Real SPARQL servers on loopback for the store tests: ``oxigraph serve`` (pip ``oxigraph``)
and Virtuoso Open Source (Debian's ``virtuoso-opensource``, installed by
``scripts/test-system-packages``), each in a throwaway directory, killed and restarted on
demand. Virtuoso starts in about two seconds: a fresh database, no checkpoints, few
threads, and a 10-second limit on a query (its anytime answer is then refused as cut)."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from wikidata_server import free_port

from rustbelt_kg.stores.endpoint import PASSWORD_VARIABLE, USER_VARIABLE, Endpoints

#: Seconds Virtuoso spends on one query before it answers with what it has.
VIRTUOSO_QUERY_SECONDS = 10

_VIRTUOSO_INI = """\
[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
FileExtend = 200
Striping = 0
TempStorage = TempDatabase
[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx
Striping = 0
[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
CheckpointInterval = 0
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
ThreadsPerQuery = 2
DirsAllowed = .
[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {dir}
ServerThreads = 6
MaxKeepAlives = 10
KeepAliveTimeout = 10
Charset = UTF-8
[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = {seconds}
MaxQueryCostEstimationTime = 0
"""


@dataclass
class Server:
    """A server we started: its endpoints, credentials, and how to kill and restart it."""

    name: str
    endpoints: Endpoints
    command: list[str]
    ready_url: str
    credentials: dict[str, str] = field(default_factory=dict)
    cwd: Path | None = None
    process: subprocess.Popen[bytes] | None = None

    def start(self, wait: float = 30.0) -> None:
        self.process = subprocess.Popen(self.command, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, cwd=self.cwd)
        deadline = time.monotonic() + wait
        while True:
            try:
                ask = urllib.request.Request(
                    self.ready_url, headers={"Accept": "application/sparql-results+json"})
                with urllib.request.urlopen(ask, timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                err = self.process.stderr.read().decode() if self.process.stderr else ""
                self.kill()
                pytest.fail(f"{self.name} did not start: {err[-2000:]}")
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)
        if self.process is not None and self.process.stderr:
            self.process.stderr.close()
        self.process = None

    def environ(self) -> Mapping[str, str]:
        """What the store reads for credentials: ours, and no netrc file of the user's."""
        return {"NETRC": "/nonexistent/netrc", **self.credentials}


@contextmanager
def oxigraph_server(location: Path) -> Iterator[Server]:
    """``oxigraph serve`` on loopback, its data in ``location``."""
    binary = Path(sys.executable).with_name("oxigraph")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = Server(
        "oxigraph-server", Endpoints(f"{base}/query", f"{base}/update", f"{base}/store"),
        [str(binary), "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
        f"{base}/query?query=ASK%7B%7D",
    )
    server.start()
    try:
        yield server
    finally:
        server.kill()


def virtuoso_binary() -> str:
    found = shutil.which("virtuoso-t")
    if found is None:
        pytest.fail("virtuoso-t is missing: run `bash scripts/test-system-packages` "
                    "(it installs Debian's virtuoso-opensource)")
    return found


@contextmanager
def virtuoso_server(directory: Path) -> Iterator[Server]:
    """Virtuoso on loopback with a fresh database in ``directory``; the store writes through
    the authenticated endpoints as ``dba`` (the password of a fresh database)."""
    directory.mkdir(parents=True, exist_ok=True)
    http_port, sql_port = free_port(), free_port()
    ini = directory / "virtuoso.ini"
    ini.write_text(_VIRTUOSO_INI.format(dir=directory, sql_port=sql_port, http_port=http_port,
                                        seconds=VIRTUOSO_QUERY_SECONDS))
    base = f"http://127.0.0.1:{http_port}"
    server = Server(
        "virtuoso",
        Endpoints(f"{base}/sparql", f"{base}/sparql-auth", f"{base}/sparql-graph-crud-auth"),
        [virtuoso_binary(), "+foreground", "+configfile", str(ini)],
        f"{base}/sparql?query=ASK%7B%7D",
        {USER_VARIABLE: "dba", PASSWORD_VARIABLE: "dba"},
        directory,
    )
    server.start()
    try:
        yield server
    finally:
        server.kill()
