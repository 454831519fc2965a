"""The server is safe by default: it listens on loopback, stops slow queries for real,
cuts long answers and says so, refuses oversized, nested, federated and writing requests
before any engine sees them, and answers errors in one short line."""

from __future__ import annotations

import http.client
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from served import running

from rustbelt_kg.cli.main import cli
from rustbelt_kg.project import Project
from rustbelt_kg.server import ServerConfig
from rustbelt_kg.server.jobs import TRUNCATED
from rustbelt_kg.store import OxigraphStore

pytestmark = pytest.mark.server

REPO_ROOT = Path(__file__).resolve().parents[1]
#: Four copies of every triple joined with nothing in common: about 10^16 rows to count.
CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
CHEAP = "ASK { rb:wan-long a rbo:Person }"
LIMITS = ServerConfig(timeout=1.0, workers=2, max_rows=5, max_body=2000, max_url=1000)


@pytest.fixture(scope="module")
def strict(served_store: Path) -> Iterator[str]:
    """A server with small limits: 1 s per query, 5 rows, 2,000-byte bodies, 1,000-byte URLs."""
    from dataclasses import replace

    with running(Project(REPO_ROOT), replace(LIMITS, store_path=served_store)) as base:
        yield base


def _children() -> set[int]:
    """The processes this test process started (the server's workers among them)."""
    found: set[int] = set()
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        with open(task / "children") as listing:
            found |= {int(pid) for pid in listing.read().split()}
    return found


def _cpu_ticks(pids: set[int]) -> int:
    """CPU time (user + system, in clock ticks) the processes ``pids`` have used so far."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total


def test_the_server_binds_loopback_unless_told_otherwise() -> None:
    assert ServerConfig().host == "127.0.0.1"
    host = next(p for p in cli.commands["serve"].params if p.name == "host")
    assert host.default == "127.0.0.1"


def test_read_paths_allow_any_origin_without_credentials(served: str) -> None:
    for path in ("/sparql?query=ASK%7B%7D", "/id/wan-long.ttl", "/.well-known/void"):
        response = httpx.get(served + path, headers={"Origin": "https://example.org"})
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == "*"
        assert "access-control-allow-credentials" not in response.headers


def test_a_timed_out_query_is_stopped_and_the_next_cheap_one_answers_at_once(strict: str) -> None:
    workers = _children()
    response = httpx.get(f"{strict}/sparql", params={"query": CARTESIAN}, timeout=30)
    assert response.status_code == 503
    assert "timeout of 1 s" in response.text
    killed = workers - _children()
    assert len(killed) == 1  # the worker that ran the product is gone, not left spinning
    host, port = strict.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.connect()  # a plain client: the time is the server's, not a client's set-up
    began = time.monotonic()
    connection.request("GET", "/sparql?" + urlencode({"query": CHEAP}))
    cheap = connection.getresponse().read()
    elapsed = time.monotonic() - began
    connection.close()
    assert json.loads(cheap)["boolean"] is True
    assert elapsed < 0.1
    survivors = workers & _children()
    before = _cpu_ticks(survivors)
    time.sleep(0.5)
    assert _cpu_ticks(survivors) - before <= 5  # idle: at most 50 ms of CPU in 500 ms


def test_a_request_may_ask_for_a_shorter_timeout_never_a_longer_one(served: str) -> None:
    response = httpx.get(f"{served}/sparql", params={"query": CARTESIAN, "timeout": "0.5"},
                         timeout=30)
    assert response.status_code == 503
    assert "timeout of 0.5 s" in response.text


@pytest.mark.parametrize(("format", "marked"), [
    ("json", f'"link": ["{TRUNCATED}"]'),
    ("xml", f'<link href="{TRUNCATED}"/>'),
    ("csv", None),
    ("tsv", None),
])
def test_an_answer_past_the_row_cap_is_cut_and_says_so(
    strict: str, format: str, marked: str | None
) -> None:
    response = httpx.get(f"{strict}/sparql",
                         params={"query": "SELECT * WHERE { ?s ?p ?o }", "format": format})
    assert response.status_code == 200
    assert response.headers["results-truncated"] == "5"
    if marked is not None:
        assert marked in response.text
    else:
        assert len(response.text.splitlines()) == 1 + 5


def test_an_answer_within_the_row_cap_is_not_marked(strict: str) -> None:
    response = httpx.get(f"{strict}/sparql", params={"query": "SELECT * { ?s ?p ?o } LIMIT 5"})
    assert "results-truncated" not in response.headers
    assert TRUNCATED not in response.text


def test_an_oversized_body_is_413_before_it_is_read(strict: str) -> None:
    query = "SELECT * WHERE { ?s ?p ?o } # " + "x" * 3000
    response = httpx.post(f"{strict}/sparql", content=query.encode(),
                          headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: read until the limit
        yield from (query.encode()[i:i + 500] for i in range(0, len(query), 500))

    chunked = httpx.post(f"{strict}/sparql", content=chunks(),
                         headers={"Content-Type": "application/sparql-query"})
    assert chunked.status_code == 413


def test_an_oversized_query_in_the_url_is_414(strict: str) -> None:
    query = "SELECT * WHERE { ?s ?p ?o } # " + "x" * 1500
    response = httpx.get(f"{strict}/sparql", params={"query": query})
    assert response.status_code == 414


def test_a_deeply_nested_query_is_400_not_500(served: str) -> None:
    query = "SELECT * WHERE { FILTER(" + "(" * 500 + "1" + ")" * 500 + ") }"
    response = httpx.post(f"{served}/sparql", data={"query": query})
    assert response.status_code == 400
    assert "nested deeper" in response.text


def test_service_is_refused_unless_allowed(served: str) -> None:
    query = "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"
    response = httpx.get(f"{served}/sparql", params={"query": query})
    assert response.status_code == 403
    assert "SERVICE <http://127.0.0.1:9/sparql> is not allowed" in response.text


def test_load_is_refused_on_every_path(served: str) -> None:
    load = "LOAD <file:///etc/passwd>"
    as_update = httpx.post(f"{served}/sparql", data={"update": load})
    as_query = httpx.get(f"{served}/sparql", params={"query": load})
    assert as_update.status_code == 403
    assert as_query.status_code == 400


def test_no_path_reads_a_local_file(served: str) -> None:
    passwd = "file:///etc/passwd"
    answers = [
        httpx.get(f"{served}/sparql", params={
            "query": f"SELECT * FROM <{passwd}> WHERE {{ ?s ?p ?o }}", "format": "csv"}),
        httpx.get(f"{served}/sparql", params={
            "query": "SELECT * WHERE { ?s ?p ?o }", "default-graph-uri": passwd,
            "format": "csv"}),
        httpx.get(f"{served}/rdf-graphs", params={"graph": passwd}),
        httpx.get(f"{served}/graph/..%2F..%2F..%2Fetc%2Fpasswd"),
        httpx.get(f"{served}/static/..%2F..%2F..%2F..%2Fetc%2Fpasswd"),
    ]
    for response in answers:
        assert "root:" not in response.text
    assert [r.status_code for r in answers[2:]] == [404, 404, 404]


@pytest.mark.parametrize("query", [
    "SELECT * WHERE { ?s ?p }",  # a syntax error
    "SELECT * WHERE { ?s <" + "x" * 20 + " ?o }",
])
def test_error_bodies_are_one_short_message_without_traceback_or_paths(
    served: str, served_store: Path, query: str
) -> None:
    response = httpx.get(f"{served}/sparql", params={"query": query})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/plain")
    assert len(response.text) < 400
    assert "Traceback" not in response.text
    for path in (str(REPO_ROOT), str(served_store.parent), "/tmp/"):
        assert path not in response.text


def test_a_rebuild_shows_up_without_a_restart(built_tiny: Project) -> None:
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    with running(built_tiny, ServerConfig(workers=1)) as base:
        first = httpx.get(f"{base}/sparql", params={"query": query})
        store = OxigraphStore(built_tiny.store_path, for_build=True)
        store.replace_all([])
        again = httpx.get(f"{base}/sparql", params={"query": query})
    assert int(first.json()["results"]["bindings"][0]["n"]["value"]) > 0
    assert again.json()["results"]["bindings"][0]["n"]["value"] == "0"
    assert first.headers["etag"] != again.headers["etag"]


def test_a_stored_query_past_the_row_cap_is_cut_and_says_so(strict: str) -> None:
    response = httpx.get(f"{strict}/queries/claims-in-article-order.json")
    assert response.status_code == 200
    assert response.headers["results-truncated"] == "5"
    assert len(response.json()["results"]["bindings"]) == 5
    assert response.json()["head"]["link"] == [TRUNCATED]


def test_the_readme_lists_every_status_the_server_answers() -> None:
    from rustbelt_kg.errors import NotAcceptable, NotFound, WriteRefused
    from rustbelt_kg.server.statuses import STATUSES

    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    statuses = {s for _, s, _ in STATUSES} | {
        cls.status for cls in (NotAcceptable, NotFound, WriteRefused)
    } | {200, 304, 405, 413, 414, 415}
    for status in sorted(statuses):
        assert f"\n| {status} |" in readme, status
