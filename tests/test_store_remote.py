"""The remote store when things go wrong: a server that is down, killed during a load, that
answers 500 or garbage or nothing in time, a wrong password, a loader killed half-way. Each
is a typed error with its exit code, and queries afterwards see the old content or the new,
never a mix. Also: endpoints and credentials from the command line, the config file, the
environment and netrc."""

from __future__ import annotations

import http.server
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from killing import kill_when
from rdflib import Literal, URIRef
from triplestores import Server, oxigraph_server, virtuoso_server
from wikidata_server import free_port

from rustbelt_kg.cli import cli
from rustbelt_kg.errors import (
    EndpointAuthFailed,
    EndpointTimeout,
    EndpointUnavailable,
    MalformedResponse,
    QueryTimeout,
    ResultTruncated,
    StoreError,
    UsageError,
)
from rustbelt_kg.stores.endpoint import Endpoints, credentials, named_endpoints
from rustbelt_kg.stores.sparql import UNION, SparqlStore, _substituted
from rustbelt_kg.terms import Quad

EX = "urn:x-remote:"


def _content(tag: str, graphs: int = 6) -> list[Quad]:
    return [(URIRef(f"{EX}s{n}"), URIRef(EX + "p"), Literal(f"{tag}-{n}"), URIRef(f"{EX}g{n}"))
            for n in range(graphs)]


def _seen(store: SparqlStore) -> set[str]:
    """The objects every query sees, through the union and through the named graphs."""
    union = {str(r["o"]) for r in store.query("SELECT ?o WHERE { ?s ?p ?o }").rows}
    named = {str(r["o"]) for r in store.query("SELECT ?o WHERE { GRAPH ?g { ?s ?p ?o } }").rows}
    assert union == named
    return union


def _tags(store: SparqlStore) -> set[str]:
    return {value.split("-")[0] for value in _seen(store)}


_OPEN: list[SparqlStore] = []


@pytest.fixture(autouse=True)
def _closed() -> Iterator[None]:
    """Every store a test opens is closed after it."""
    yield
    while _OPEN:
        _OPEN.pop().close()


@pytest.fixture(params=["oxigraph-server", "virtuoso"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Server]:
    """A server of our own, which the test may kill and restart."""
    start = oxigraph_server if request.param == "oxigraph-server" else virtuoso_server
    with start(tmp_path / "data") as running:
        yield running


def _store(server: Server, **env: str) -> SparqlStore:
    store = SparqlStore(server.endpoints, environ={**server.environ(), **env}, for_build=True)
    _OPEN.append(store)
    return store


# -- atomic replace -------------------------------------------------------------------------


@pytest.mark.parametrize("graphs", [6, 2500])
def test_a_server_killed_during_a_load_keeps_the_old_content(server: Server, graphs: int) -> None:
    """Also at thousands of graphs, where one MOVE a graph in the switch passes Virtuoso's
    limit on one UPDATE (loaded by UPDATE: a few requests for many small graphs)."""
    store = SparqlStore(replace(server.endpoints, load="update" if graphs > 6 else None),
                        environ=server.environ(), for_build=True)
    _OPEN.append(store)
    store.replace_all(_content("old", graphs))
    sent = []
    request = store.http.request

    def kill_after_two(method: str, url: str, **kwargs: Any) -> Any:
        sent.append(url)
        if len(sent) == 3:
            server.kill()
        return request(method, url, **kwargs)

    store.http.request = kill_after_two  # type: ignore[method-assign]
    with pytest.raises(EndpointUnavailable):
        store.replace_all(_content("new", graphs + 34))
    server.start()
    store = _store(server)
    assert _tags(store) == {"old"}
    assert len(store.named_graphs()) == len(store) == graphs
    store.replace_all(_content("new", graphs + 500))
    assert _tags(store) == {"new"}
    assert len(store.named_graphs()) == len(store) == graphs + 500


def test_a_loader_killed_half_way_leaves_the_old_content_and_the_next_load_cleans_up(
        server: Server) -> None:
    store = _store(server)
    store.replace_all(_content("old"))
    kill_when(f"""
        import time
        from rdflib import Literal, URIRef
        from rustbelt_kg.stores import sparql
        from rustbelt_kg.stores.endpoint import Endpoints
        sparql.BATCH_BYTES = 200  # many small requests
        store = sparql.SparqlStore(Endpoints(*{tuple(vars(server.endpoints).values())!r}),
                                   environ={dict(server.environ())!r}, for_build=True)
        def quads():
            for n in range(1000):
                if n == 200:
                    print("ready", flush=True)
                    time.sleep(60)
                yield (URIRef("{EX}s%d" % n), URIRef("{EX}p"), Literal("new-%d" % n),
                       URIRef("{EX}g%d" % (n % 7)))
        store.replace_all(quads())
    """, "ready")
    assert _tags(store) == {"old"}
    everything = store.query("SELECT DISTINCT ?g FROM NAMED <urn:x-rustbelt-kg:union> "
                             "WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert everything.rows  # a query with its own dataset is sent as written
    store.replace_all(_content("new"))
    assert _tags(store) == {"new"}
    left = store._select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } "
                         'FILTER(STRSTARTS(STR(?g), "urn:x-rustbelt-kg:staging:")) }')
    assert left == []


def test_staging_that_fails_puts_the_previous_content_back(server: Server) -> None:
    store = _store(server)
    store.replace_all(_content("old"))
    with pytest.raises(UsageError), store.staging(_content("new")):
        assert _tags(store) == {"new"}  # inside, the new content is what queries see
        raise UsageError("a check failed")
    assert _tags(store) == {"old"}
    assert store.named_graphs() == sorted(f"{EX}g{n}" for n in range(6))


def test_staging_that_fails_and_cannot_put_the_old_content_back_says_so(
        tmp_path: Path) -> None:
    with oxigraph_server(tmp_path / "data") as server:
        store = _store(server)
        store.replace_all(_content("old"))
        with pytest.raises(StoreError, match="could not be put back") as raised, \
                store.staging(_content("new")):
            server.kill()
            raise UsageError("a check failed")
        assert "a check failed" in str(raised.value)


def test_only_a_query_with_a_graph_pattern_carries_the_list_of_graphs(tmp_path: Path) -> None:
    with oxigraph_server(tmp_path / "data") as server:
        store = _store(server)
        store.replace_all(_content("old"))
        assert len(store.named_graphs()) == 6  # read once, before the queries
        sent: list[dict[str, Any]] = []
        request = store.http.request

        def recorded(method: str, url: str, **kwargs: Any) -> Any:
            sent.append(kwargs["data"])
            return request(method, url, **kwargs)

        store.http.request = recorded  # type: ignore[method-assign]
        assert _tags(store) == {"old"}  # a query of the union, then one of GRAPH ?g
        assert [len(data.get("named-graph-uri", [])) for data in sent] == [0, 6]
        assert {data["default-graph-uri"] for data in sent} == {UNION}


def test_a_build_with_a_data_problem_sends_the_server_no_update(
        tiny_project: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with oxigraph_server(tmp_path / "data") as server:
        options = ["--project", str(tiny_project.root), "--store", "sparql",
                   "--endpoint", server.endpoints.query,
                   "--update-endpoint", server.endpoints.update_url]
        runner = CliRunner()
        assert runner.invoke(cli, [*options, "build", "--no-export"]).exit_code == 0
        every = "SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }"
        before = _store(server)._select(every)
        srj = tiny_project.queries_dir / "people.srj"
        srj.write_text(srj.read_text(encoding="utf-8").replace('"25"', '"26"'), encoding="utf-8")
        updates: list[list[str]] = []
        monkeypatch.setattr(SparqlStore, "_update", lambda self, steps: updates.append(steps))
        failed = runner.invoke(cli, [*options, "build", "--no-export"])
        assert failed.exit_code == 1, failed.output
        assert "people: " in failed.output
        assert updates == []
        assert sorted(map(str, _store(server)._select(every))) == sorted(map(str, before))


# -- faults ---------------------------------------------------------------------------------


def test_a_server_that_is_down_is_endpoint_unavailable_exit_4(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/query"
    with pytest.raises(EndpointUnavailable) as raised:
        SparqlStore(Endpoints(url), environ={})
    assert raised.value.exit_code == 4
    result = CliRunner().invoke(cli, ["--store", "sparql", "--endpoint", url, "stats"])
    assert result.exit_code == 4, result.output
    assert "cannot reach the server" in result.output


def test_a_wrong_password_is_endpoint_auth_failed_and_writes_nothing(tmp_path: Path) -> None:
    with virtuoso_server(tmp_path / "v") as server:
        _store(server).replace_all(_content("old"))
        wrong = _store(server, RUSTBELT_KG_SPARQL_PASSWORD="wrong")
        with pytest.raises(EndpointAuthFailed) as raised:
            wrong.replace_all(_content("new"))
        assert raised.value.exit_code == 4
        assert _tags(_store(server)) == {"old"}


class _Misbehaving(http.server.BaseHTTPRequestHandler):
    """A fake endpoint: /500 fails, /garbage answers what is not JSON, /slow answers after
    two seconds, /cut and /cut-rows send Virtuoso's marks of a partial answer (time, rows),
    /timed-out Virtuoso's error for a query stopped at its time limit."""

    def do_POST(self) -> None:  # noqa: N802 (the http.server API)
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path == "/slow":
            time.sleep(2)
        status = 500 if self.path in ("/500", "/timed-out") else 200
        body = b"<html>oops</html>" if not self.path.startswith("/cut") else (
            b'{"head": {"vars": ["g"]}, "results": {"bindings": []}}')
        if self.path == "/timed-out":
            body = b"Virtuoso S1T00 Error SR171: Transaction timed out\n\nSPARQL query: ..."
        self.send_response(status)
        self.send_header("Content-Type", "application/sparql-results+json")
        if self.path == "/cut":
            self.send_header("X-SQL-State", "S1TAT")
        if self.path == "/cut-rows":
            self.send_header("X-SPARQL-MaxRows", "10000")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        """Quiet."""


@pytest.fixture(scope="module")
def misbehaving() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Misbehaving)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(("path", "error"), [
    ("/500", EndpointUnavailable), ("/garbage", MalformedResponse), ("/slow", EndpointTimeout),
    ("/cut", ResultTruncated), ("/cut-rows", ResultTruncated), ("/timed-out", QueryTimeout),
])
def test_a_misbehaving_server_gives_a_typed_error(misbehaving: str, path: str,
                                                  error: type[Exception]) -> None:
    with pytest.raises(error):
        SparqlStore(Endpoints(misbehaving + path, timeout=0.5), environ={})


# -- parameters ---------------------------------------------------------------------------


def test_a_parameter_is_sent_as_its_term_where_values_cannot_go_first() -> None:
    query = ('SELECT ?e ?s WHERE { { ?e ?p ?o BIND (?e AS ?s) } UNION { ?s ?p ?e } '
             'FILTER (?o != "?e") } ORDER BY ?e')
    assert _substituted(query, {"e": URIRef("urn:e")}) == (
        'SELECT (<urn:e> AS ?e) ?s WHERE { { <urn:e> ?p ?o BIND (<urn:e> AS ?s) } UNION '
        '{ ?s ?p <urn:e> } FILTER (?o != "?e") } ORDER BY (<urn:e>)')
    for unplain in ("SELECT * { ?e ?p ?o }", "SELECT ?e { ?s ?p ?o BIND (?s AS ?e) }",
                    "SELECT ?e (COUNT(?o) AS ?n) { ?e ?p ?o } GROUP BY ?e"):
        assert _substituted(unplain, {"e": URIRef("urn:e")}) is None


# -- endpoints and credentials ----------------------------------------------------------------


def test_credentials_come_from_the_environment_else_from_netrc(tmp_path: Path) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine db.example login reader password s3cret\n")
    netrc.chmod(0o600)
    env = {"NETRC": str(netrc)}
    assert credentials("https://db.example/sparql", env) == ("reader", "s3cret")
    assert credentials("https://other.example/sparql", env) is None
    env |= {"RUSTBELT_KG_SPARQL_USER": "u", "RUSTBELT_KG_SPARQL_PASSWORD": "p"}
    assert credentials("https://db.example/sparql", env) == ("u", "p")


def test_a_named_store_comes_from_rustbelt_kg_toml(tmp_path: Path) -> None:
    (tmp_path / "rustbelt-kg.toml").write_text(
        '[stores.lab]\nendpoint = "http://127.0.0.1:1/sparql"\nload = "update"\n')
    assert named_endpoints(tmp_path, "lab") == Endpoints("http://127.0.0.1:1/sparql",
                                                         load="update")
    assert named_endpoints(tmp_path, "other") is None
    (tmp_path / "rustbelt-kg.toml").write_text('[stores.lab]\nendpoint = "x"\npassword = "p"\n')
    with pytest.raises(UsageError, match="unknown: password"):
        named_endpoints(tmp_path, "lab")


def test_store_names_a_table_of_rustbelt_kg_toml(tiny_project: Any) -> None:
    url = f"http://127.0.0.1:{free_port()}/sparql"
    (tiny_project.root / "rustbelt-kg.toml").write_text(f'[stores.lab]\nendpoint = "{url}"\n')
    runner = CliRunner()
    down = runner.invoke(cli, ["--project", str(tiny_project.root), "--store", "lab", "stats"])
    assert down.exit_code == 4, down.output  # the named server was asked, and is down
    assert url in down.output
    unknown = runner.invoke(cli, ["--project", str(tiny_project.root), "--store", "labs",
                                  "stats"])
    assert unknown.exit_code == 2
    assert "unknown store 'labs'" in unknown.output


def test_endpoint_options_need_the_sparql_store() -> None:
    result = CliRunner().invoke(cli, ["--endpoint", "http://127.0.0.1:1/q", "stats"])
    assert result.exit_code == 2
    assert "--store sparql" in result.output


@pytest.mark.parametrize(("kind", "load"), [
    ("oxigraph-server", "gsp"), ("oxigraph-server", "update"), ("virtuoso", "gsp")])
def test_build_checks_the_data_on_a_copy_then_publishes_into_the_server(
        kind: str, load: str, tmp_path: Path) -> None:
    start = oxigraph_server if kind == "oxigraph-server" else virtuoso_server
    with start(tmp_path / "data") as server:
        options = ["--store", "sparql", "--endpoint", server.endpoints.query,
                   "--update-endpoint", server.endpoints.update_url]
        if load == "gsp":
            options += ["--gsp-endpoint", str(server.endpoints.gsp)]
        runner = CliRunner(env=dict(server.environ()))
        built = runner.invoke(cli, [*options, "build", "--no-export"])
        assert built.exit_code == 0, built.output
        assert re.search(r"stored queries +(\d+)/\1 pass", built.output), built.output
        assert re.search(r"checked on +an embedded copy of the data", built.output)
        answer = runner.invoke(cli, [*options, "query", "founders", "--format", "csv"])
        assert answer.exit_code == 0, answer.output
        assert "wan-long" in answer.output
