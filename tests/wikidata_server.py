"""Local SPARQL servers for the Wikidata tests: a real one and a misbehaving one.

- :func:`oxigraph_server` starts the ``oxigraph`` server binary (installed in the virtualenv
  from PyPI) on a free loopback port, loaded with the Wikidata-shaped fixture, waits until
  it answers, and stops it at the end. Test modules use it through the session fixture
  ``wikidata_endpoint`` (a session fixture in ``conftest.py``).
- :class:`FaultyServer` is a tiny HTTP server on 127.0.0.1 whose answers a test scripts:
  slow, 429 with ``Retry-After``, 500, malformed JSON.

Nothing here reaches beyond the loopback interface.
"""

from __future__ import annotations

import contextlib
import http.server
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

FIXTURE = Path(__file__).parent / "fixtures" / "wikidata" / "wikidata-fixture.ttl"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (and is closed now)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _oxigraph_binary() -> str:
    beside = Path(sys.executable).with_name("oxigraph")
    found = str(beside) if beside.exists() else shutil.which("oxigraph")
    if not found:
        pytest.fail("the `oxigraph` server binary is missing: pip install oxigraph (test extra)")
    return found


@contextlib.contextmanager
def oxigraph_server(data: Path = FIXTURE, *, wait: float = 20.0) -> Iterator[str]:
    """Run ``oxigraph serve`` loaded with ``data``; yield its query endpoint URL."""
    binary = _oxigraph_binary()
    with tempfile.TemporaryDirectory(prefix="wikidata-fixture-") as location:
        subprocess.run(
            [binary, "load", "--location", location, "--file", str(data)],
            check=True, capture_output=True, timeout=60,
        )
        port = free_port()
        process = subprocess.Popen(
            [binary, "serve", "--location", location, "--bind", f"127.0.0.1:{port}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        endpoint = f"http://127.0.0.1:{port}/query"
        try:
            deadline = time.monotonic() + wait
            while True:
                try:
                    ask = urllib.request.Request(
                        endpoint + "?query=ASK%7B%7D",
                        headers={"Accept": "application/sparql-results+json"},
                    )
                    with urllib.request.urlopen(ask, timeout=1) as answer:
                        if answer.status == 200:
                            break
                except OSError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    err = process.stderr.read().decode() if process.stderr else ""
                    pytest.fail(f"oxigraph server did not start on port {port}: {err}")
                time.sleep(0.05)
            yield endpoint
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stderr:
                process.stderr.close()


# -- a server that misbehaves on purpose ---------------------------------------------------


@dataclass
class Reply:
    """One scripted answer: status, headers, body, a delay before answering, and a pause
    between two bytes of the body (``drip``: a server that never quite stops answering)."""

    status: int = 200
    body: bytes = b'{"head": {"vars": []}, "results": {"bindings": []}}'
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drip: float = 0.0


@dataclass
class FaultyServer:
    """An HTTP server on 127.0.0.1 answering each request with the next scripted reply.

    ``script`` is called with the request number (0, 1, ...) and returns a :class:`Reply`.
    """

    script: Callable[[int], Reply]
    hits: int = 0
    url: str = ""
    agents: list[str] = field(default_factory=list)
    in_flight: int = 0
    most_in_flight: int = 0
    _server: http.server.ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __enter__(self) -> FaultyServer:
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self) -> None:
                with owner._lock:
                    number = owner.hits
                    owner.hits += 1
                    owner.agents.append(self.headers.get("User-Agent", ""))
                    owner.in_flight += 1
                    owner.most_in_flight = max(owner.most_in_flight, owner.in_flight)
                reply = owner.script(number)
                if reply.delay:
                    time.sleep(reply.delay)
                with owner._lock:
                    owner.in_flight -= 1
                try:
                    self.send_response(reply.status)
                    headers = {"Content-Type": "application/sparql-results+json", **reply.headers}
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    if not reply.drip:
                        self.wfile.write(reply.body)
                    for i in range(len(reply.body) if reply.drip else 0):
                        self.wfile.write(reply.body[i:i + 1])
                        self.wfile.flush()
                        time.sleep(reply.drip)
                except OSError:  # the client gave up (timeout tests)
                    pass

            do_GET = _answer
            do_POST = _answer

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/sparql"
        threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()


# -- a small project to reconcile and enrich -----------------------------------------------

ROOT = Path(__file__).resolve().parents[1]

MINI_ARTICLE = """\
@base <https://w3id.org/rustbelt-kg/claim/> .
@prefix claim: <https://w3id.org/rustbelt-kg/claim/> .
@prefix oa: <http://www.w3.org/ns/oa#> .
@prefix rb: <https://w3id.org/rustbelt-kg/id/> .
@prefix rbg: <https://w3id.org/rustbelt-kg/graph/> .
@prefix rbo: <https://w3id.org/rustbelt-kg/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .

claim:places {
    rb:heilongjiang a rbo:Province ; rdfs:label "Heilongjiang"@en .
    rb:jilin a rbo:Province ; rdfs:label "Jilin"@en , "吉林省"@zh .
    rb:liaoning a rbo:Province ; rdfs:label "Liaoning"@en .
    rb:shenyang a rbo:City ; rdfs:label "Shenyang"@en .
    rb:changchun a rbo:City ; rdfs:label "Changchun"@en .
    rb:china a rbo:Country ; rdfs:label "China"@en .
    rb:france a rbo:Country ; rdfs:label "France"@en .
    rb:northeast-china a rbo:Region ; rdfs:label "north-east China"@en .
}

claim:others {
    rb:harbin-institute-of-technology a rbo:University ;
        rdfs:label "Harbin Institute of Technology"@en .
    rb:wan-long a rbo:Person ; rdfs:label "Wan Long"@en .
    rb:hit-incubator-park a rbo:IncubatorPark ; rdfs:label "HIT student incubator park"@en .
    rb:automobile-industry a rbo:Industry ; rdfs:label "automobile industry"@en .
    rb:pediatrician a rbo:Occupation ; rdfs:label "pediatrician"@en .
    rb:park-area a rbo:Quantity ; rdfs:label "3,700 square meters"@en .
}

rbg:provenance {
    claim:places rbo:evidence <places#target> .
    <places#target> oa:hasSelector <places#quote> .
    <places#quote> oa:exact "Heilongjiang, Jilin and Liaoning" .
    claim:others rbo:evidence <others#target> .
    <others#target> oa:hasSelector <others#quote> .
    <others#quote> oa:exact "Harbin Institute of Technology" .
}
"""

#: What reconciliation must find for the mini project's places (verified-ids.tsv).
EXPECTED_ITEMS = {
    "heilongjiang": "Q19206", "jilin": "Q45208", "liaoning": "Q43934",
    "shenyang": "Q11720", "changchun": "Q92161", "china": "Q148", "france": "Q142",
    "harbin-institute-of-technology": "Q632558", "automobile-industry": "Q190117",
    "pediatrician": "Q1919436",
}


def make_project(folder: Path, *, keep: tuple[str, ...] = ()) -> Path:
    """A project in ``folder``: the real ontology and Wikidata QC queries, the mini article,
    and the real curated links reduced to the ontology terms plus the ``rb:`` local names in
    ``keep``."""
    from rustbelt_kg import namespaces, sssom

    (folder / "ontology").mkdir(parents=True)
    shutil.copy(ROOT / "ontology" / "rustbelt.ttl", folder / "ontology")
    (folder / "data" / "article").mkdir(parents=True)
    (folder / "data" / "article" / "mini.trig").write_text(MINI_ARTICLE, encoding="utf-8")
    (folder / "queries" / "qc").mkdir(parents=True)
    for query in (ROOT / "queries" / "qc").glob("wikidata-*-violation.rq"):
        shutil.copy(query, folder / "queries" / "qc")
    from rustbelt_kg.link import write_links
    from rustbelt_kg.project import Project

    curated = sssom.read_tsv(ROOT / "data" / "links" / "wikidata.sssom.tsv")
    kept = {namespaces.RB + name for name in keep}
    curated.mappings = [
        m for m in curated.mappings
        if not m.subject_id.startswith(namespaces.RB) or m.subject_id in kept
    ]
    write_links(Project(folder), curated)
    return folder


def tree_bytes(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes: to prove that nothing was written."""
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }
