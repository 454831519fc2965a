"""The polite Wikidata client, and what `link` and `enrich` do when the endpoint misbehaves.

Every server here is on 127.0.0.1: the real Oxigraph server loaded with the fixture, or a
small HTTP server scripted to fail. Waits are recorded, not slept, where they would be long.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Literal, URIRef
from wikidata_server import (
    FaultyServer,
    Reply,
    free_port,
    make_project,
    tree_bytes,
)

from rustbelt_kg.cli import cli
from rustbelt_kg.errors import (
    EndpointError,
    EndpointTimeout,
    EndpointUnavailable,
    MalformedResponse,
    RateLimited,
)
from rustbelt_kg.wikidata import DEFAULT_ENDPOINT, MAX_WAIT, USER_AGENT, WikidataClient

OK = json.dumps({"head": {"vars": ["x"]},
                 "results": {"bindings": [{"x": {"type": "literal", "value": "1"}}]}}).encode()
QUERY = "SELECT ?x WHERE { ?x ?p ?o } LIMIT 1"


def client(url: str, **options: object) -> tuple[WikidataClient, list[float]]:
    """A client that records its waits instead of sleeping them."""
    waits: list[float] = []
    settings = {"timeout": 2.0, "retries": 2, "backoff": 0.5, "min_interval": 0.0, **options}
    return WikidataClient(url, sleep=waits.append, **settings), waits  # type: ignore[arg-type]


def test_select_returns_rdflib_terms_with_languages_and_datatypes(wikidata_endpoint: str) -> None:
    c, _ = client(wikidata_endpoint)
    names, rows = c.select(
        "SELECT ?label ?population WHERE { <http://www.wikidata.org/entity/Q19206> "
        "<http://www.w3.org/2000/01/rdf-schema#label> ?label ; "
        "<http://www.wikidata.org/prop/direct/P1082> ?population }"
    )
    assert names == ["label", "population"]
    assert {row["label"] for row in rows} == {Literal("Heilongjiang", lang="en"),
                                             Literal("黑龙江省", lang="zh")}
    assert rows[0]["population"] == Literal(
        "38312224", datatype=URIRef("http://www.w3.org/2001/XMLSchema#decimal"))


def test_every_request_says_who_sends_it() -> None:
    with FaultyServer(lambda n: Reply(body=OK)) as server:
        client(server.url)[0].select(QUERY)
    assert server.agents == [USER_AGENT]
    assert USER_AGENT.startswith("rustbelt-kg/") and "https://w3id.org/rustbelt-kg/" in USER_AGENT


def test_closed_port_is_endpoint_unavailable_after_bounded_retries() -> None:
    c, waits = client(f"http://127.0.0.1:{free_port()}/sparql")
    with pytest.raises(EndpointUnavailable, match="cannot connect"):
        c.select(QUERY)
    assert waits == [0.5, 1.0]  # two retries, exponential backoff
    assert c.requests == 3


def test_slow_server_is_endpoint_timeout_without_retrying() -> None:
    with FaultyServer(lambda n: Reply(body=OK, delay=1.0)) as server:
        c, waits = client(server.url, timeout=0.2)
        with pytest.raises(EndpointTimeout, match="0.2 s"):
            c.select(QUERY)
    assert server.hits == 1 and waits == []


def test_429_waits_as_retry_after_says_then_succeeds() -> None:
    script = {0: Reply(429, b"slow down", {"Retry-After": "7"})}
    with FaultyServer(lambda n: script.get(n, Reply(body=OK))) as server:
        c, waits = client(server.url)
        assert c.select(QUERY)[1] == [{"x": Literal("1")}]
    assert waits == [7.0] and server.hits == 2


def test_retry_after_as_http_date_is_honoured() -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=20), usegmt=True)
    script = {0: Reply(429, b"", {"Retry-After": later})}
    with FaultyServer(lambda n: script.get(n, Reply(body=OK))) as server:
        c, waits = client(server.url)
        c.select(QUERY)
    assert len(waits) == 1 and 15.0 < waits[0] <= 20.0 and server.hits == 2


@pytest.mark.parametrize("form", ["seconds", "http-date"])
def test_retry_after_longer_than_the_cap_is_rate_limited_at_once(form: str) -> None:
    retry_after = "3600" if form == "seconds" else format_datetime(
        datetime.now(UTC) + timedelta(hours=1), usegmt=True)
    with FaultyServer(lambda n: Reply(429, b"", {"Retry-After": retry_after})) as server:
        c, waits = client(server.url)
        with pytest.raises(RateLimited, match=r"asks to wait 3[56]\d\d s, longer than the 30 s"):
            c.select(QUERY)
    assert waits == [] and server.hits == 1
    assert WikidataClient().max_wait == MAX_WAIT == 30.0


def test_retry_after_longer_than_the_time_left_is_rate_limited_at_once() -> None:
    with FaultyServer(lambda n: Reply(429, b"", {"Retry-After": "10"})) as server:
        c, waits = client(server.url, budget=5.0)
        with pytest.raises(RateLimited, match="only 5.0 s of the --timeout of 5 s are left"):
            c.select(QUERY)
    assert waits == [] and server.hits == 1


def test_each_wait_is_reported_as_it_starts() -> None:
    events: list[tuple[str, object]] = []
    script = {0: Reply(429, b"", {"Retry-After": "7"}), 1: Reply(503, b"busy")}
    with FaultyServer(lambda n: script.get(n, Reply(body=OK))) as server:
        c = WikidataClient(server.url, retries=3, backoff=0.5, min_interval=0.0,
                           on_wait=lambda message: events.append(("report", message)),
                           sleep=lambda seconds: events.append(("sleep", seconds)))
        c.select(QUERY)
    assert events == [
        ("report", f"{server.url}: HTTP 429 Too Many Requests; waiting 7 s "
                   "(Retry-After: 7 s) before try 2 of 4"),
        ("sleep", 7.0),
        ("report", f"{server.url}: HTTP 503; waiting 1 s before try 3 of 4"),
        ("sleep", 1.0),
    ]


def test_budget_bounds_all_tries_and_waits_together() -> None:
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    with FaultyServer(lambda n: Reply(503, b"busy")) as server:
        c = WikidataClient(server.url, retries=10, backoff=2.0, min_interval=0.0, budget=10.0,
                           sleep=sleep, timer=lambda: now[0])
        with pytest.raises(EndpointUnavailable,
                           match="HTTP 503: another try needs a wait of 8 s, and only 4.0 s"):
            c.select(QUERY)
    assert now[0] == 6.0 and server.hits == 3  # waited 2 s and 4 s; 8 s did not fit


def test_budget_spent_stops_before_the_next_request() -> None:
    now = [0.0]

    def answer(n: int) -> Reply:
        now[0] += 1.0  # each answer takes a second of the client's time
        return Reply(body=OK)

    with FaultyServer(answer) as server:
        c = WikidataClient(server.url, min_interval=0.0, budget=2.5, timer=lambda: now[0])
        c.select(QUERY)
        c.select(QUERY)
        for _ in range(2):  # the third answer comes too late; no fourth request is sent
            with pytest.raises(EndpointTimeout,
                               match="time limit of 2.5 s for the whole command .--timeout. "
                                     "ran out after 3 request"):
                c.select(QUERY)
    assert server.hits == 3


def test_an_answer_that_keeps_dripping_is_cut_off_by_the_budget() -> None:
    body = OK + b" " * 400  # 20 s at one byte every 0.05 s
    with FaultyServer(lambda n: Reply(body=body, drip=0.05)) as server:
        c = WikidataClient(server.url, timeout=5.0, retries=0, min_interval=0.0, budget=0.5)
        with pytest.raises(EndpointTimeout, match="--timeout"):
            c.select(QUERY)
    assert server.hits == 1


def test_429_forever_is_rate_limited() -> None:
    with FaultyServer(lambda n: Reply(429, b"", {"Retry-After": "1"})) as server:
        c, waits = client(server.url)
        with pytest.raises(RateLimited, match="429"):
            c.select(QUERY)
    assert server.hits == 3 and waits == [1.0, 1.0]


def test_server_error_is_endpoint_unavailable_after_retries() -> None:
    with FaultyServer(lambda n: Reply(500, b"boom")) as server:
        c, _ = client(server.url)
        with pytest.raises(EndpointUnavailable, match="500"):
            c.select(QUERY)
    assert server.hits == 3


def test_bad_request_is_not_retried() -> None:
    with FaultyServer(lambda n: Reply(400, b"parse error")) as server, \
            pytest.raises(EndpointError, match="rejected the query"):
        client(server.url)[0].select(QUERY)
    assert server.hits == 1


@pytest.mark.parametrize("body", [b"{not json", b'{"head": {}}', b'{"head": {"vars": []}, '
                                  b'"results": {"bindings": [{"x": {"type": "moon"}}]}}', b"\xff"])
def test_malformed_answer_is_malformed_response(body: bytes) -> None:
    with FaultyServer(lambda n: Reply(body=body)) as server, \
            pytest.raises(MalformedResponse, match="not a SPARQL results JSON"):
        client(server.url)[0].select(QUERY)


def test_at_most_one_request_is_in_flight() -> None:
    with FaultyServer(lambda n: Reply(body=OK, delay=0.05)) as server:
        clients = [client(server.url)[0] for _ in range(4)]
        threads = [threading.Thread(target=c.select, args=(QUERY,)) for c in clients]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert server.hits == 4 and server.most_in_flight == 1


def test_min_interval_spaces_consecutive_requests() -> None:
    now = [100.0]
    with FaultyServer(lambda n: Reply(body=OK)) as server:
        c, waits = client(server.url, min_interval=1.5, clock=lambda: now[0])
        c.select(QUERY)
        now[0] += 0.5
        c.select(QUERY)
    assert waits == [1.0]


# -- the commands write nothing when the endpoint fails -------------------------------------

FAULTS = {
    "down": None,
    "slow": lambda n: Reply(body=OK, delay=1.0),
    "429-forever": lambda n: Reply(429, b"", {"Retry-After": "0"}),
    "500": lambda n: Reply(500, b"boom"),
    "malformed": lambda n: Reply(body=b"<html>not json</html>"),
}
MESSAGES = {"down": "cannot connect", "slow": "no answer within", "429-forever": "429",
            "500": "HTTP 500", "malformed": "not a SPARQL results JSON"}


@pytest.fixture
def fast_clients(monkeypatch: pytest.MonkeyPatch) -> None:
    """The commands' clients retry once, quickly, and time out after 0.3 s."""
    import rustbelt_kg.cli.wikidata as commands

    monkeypatch.setattr(commands, "_client", lambda endpoint, timeout: WikidataClient(
        endpoint, timeout=0.3, retries=1, backoff=0.01, min_interval=0.0))


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("command", [
    ["link", "--accept-threshold", "0.5", "-o", "review.sssom.tsv"],
    ["enrich", "--sample"],
])
def test_failing_endpoint_gives_typed_error_and_writes_nothing(
    tmp_path: Path, fault: str, command: list[str], fast_clients: None
) -> None:
    project = make_project(tmp_path / "project", keep=("heilongjiang",))
    before = tree_bytes(project)
    script = FAULTS[fault]
    with FaultyServer(script or (lambda n: Reply(body=OK))) as server:
        url = server.url if script else f"http://127.0.0.1:{free_port()}/sparql"
        args = ["--project", str(project), *command, "--endpoint", url]
        args = [str(project / a) if a.endswith(".tsv") else a for a in args]
        result = CliRunner().invoke(cli, args)
    assert result.exit_code == 4, result.output
    assert MESSAGES[fault] in result.output
    assert tree_bytes(project) == before


# -- an endpoint URL that cannot be used ------------------------------------------------------

BAD_ENDPOINTS = ["foo", "http://[::1", "ftp://127.0.0.1/sparql", "http:///sparql",
                 "http://127.0.0.1:port/sparql", "127.0.0.1:7878/query"]


@pytest.mark.parametrize("endpoint", BAD_ENDPOINTS)
@pytest.mark.parametrize("command", [["link", "-o", "review.sssom.tsv"], ["enrich", "--sample"]])
def test_endpoint_that_is_not_an_http_url_is_a_usage_error(
    tmp_path: Path, endpoint: str, command: list[str]
) -> None:
    project = make_project(tmp_path / "project", keep=("heilongjiang",))
    before = tree_bytes(project)
    args = [str(project / a) if a.endswith(".tsv") else a for a in command]
    result = CliRunner().invoke(cli, ["--project", str(project), *args, "--endpoint", endpoint])
    assert result.exit_code == 2, result.output
    assert "Invalid value for '--endpoint'" in result.output
    assert "Traceback" not in result.output
    assert tree_bytes(project) == before


@pytest.mark.parametrize("endpoint", ["foo", "http://[::1"])
def test_client_with_an_unusable_url_is_endpoint_unavailable_without_retrying(
    endpoint: str,
) -> None:
    c, waits = client(endpoint)
    with pytest.raises(EndpointUnavailable, match="not a usable endpoint URL"):
        c.select(QUERY)
    assert c.requests == 1 and waits == []


def test_endpoint_option_defaults_to_the_public_query_service() -> None:
    from rustbelt_kg.cli.wikidata import enrich_command, link_command

    for command in (link_command, enrich_command):
        option = next(p for p in command.params if p.name == "endpoint")
        assert option.default == DEFAULT_ENDPOINT == "https://query.wikidata.org/sparql"
