"""A query reads the store and nothing else: no local file, no network, on either store.

Two canaries watch: a TCP server on 127.0.0.1 that counts the connections it accepts, and a
FIFO whose writer end a thread holds open, so that any process opening it for reading is
noticed (whether Python, rdflib or Oxigraph's Rust code opens it).
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from rustbelt_kg.cli import cli
from rustbelt_kg.project import Project


class CanaryServer:
    """Accepts connections on a random loopback port and counts them."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}/data.ttl"
        self.connections = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:  # closed
                return
            self.connections += 1
            connection.close()

    def close(self) -> None:
        self.socket.shutdown(socket.SHUT_RDWR)  # wakes the accept() (Linux)
        self.socket.close()
        self.thread.join(timeout=10)


class CanaryFile:
    """A FIFO; a thread waits to write into it, which it can only do once a reader opens it."""

    def __init__(self, path: Path) -> None:
        os.mkfifo(path)
        self.path = path
        self.url = path.as_uri()
        self.opened = False
        self._closing = False
        self.thread = threading.Thread(target=self._wait, daemon=True)
        self.thread.start()

    def _wait(self) -> None:
        fd = os.open(self.path, os.O_WRONLY)  # blocks until someone opens it for reading
        self.opened = not self._closing
        os.close(fd)

    def close(self) -> None:
        self._closing = True
        reader = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)  # lets the writer go
        self.thread.join(timeout=10)
        os.close(reader)


@pytest.fixture
def canaries(tmp_path: Path) -> Iterator[tuple[CanaryServer, CanaryFile]]:
    server, file = CanaryServer(), CanaryFile(tmp_path / "canary.ttl")
    yield server, file
    server.close()


QUERIES = {
    "FROM": "SELECT * FROM <{iri}> {{ ?s ?p ?o }}",
    "FROM NAMED": "SELECT * FROM NAMED <{iri}> {{ GRAPH ?g {{ ?s ?p ?o }} }}",
    "GRAPH": "SELECT * {{ GRAPH <{iri}> {{ ?s ?p ?o }} }}",
    "SERVICE": "SELECT * {{ SERVICE <{iri}> {{ ?s ?p ?o }} }}",
    "SERVICE SILENT": "SELECT * {{ ?x ?y ?z SERVICE SILENT <{iri}> {{ ?s ?p ?o }} }} LIMIT 1",
    "ASK FROM": "ASK FROM <{iri}> {{ ?s ?p ?o }}",
    # a code point escape spells SERVICE; rdflib expands it before parsing (SPARQL 1.1, 19.2)
    "SERVICE escaped": "SELECT * {{ \\u0053ERVICE <{iri}> {{ ?s ?p ?o }} }}",
}


@pytest.mark.parametrize("store_name", ["oxigraph", "memory"])
@pytest.mark.parametrize("form", list(QUERIES))
def test_a_query_opens_no_file_and_no_connection(
    built_tiny: Project, canaries: tuple[CanaryServer, CanaryFile], store_name: str, form: str
) -> None:
    server, file = canaries
    for iri in (file.url, server.url):
        result = CliRunner().invoke(cli, [
            "--project", str(built_tiny.root), "--store", store_name,
            "sparql", "--timeout", "20", QUERIES[form].format(iri=iri),
        ])
        if form.startswith("SERVICE"):
            assert result.exit_code == 2, result.output
            assert "--allow-service" in result.stderr
        else:  # the store has no such graph: no rows, and no error
            assert result.exit_code == 0, result.output
            assert "canary" not in result.stdout and "127.0.0.1" not in result.stdout
    file.close()
    assert server.connections == 0
    assert not file.opened


def test_from_names_a_graph_of_the_store_on_both_stores(built_tiny: Project) -> None:
    graph = "https://w3id.org/rustbelt-kg/graph/ontology"
    outputs = []
    for store_name in ("oxigraph", "memory"):
        result = CliRunner().invoke(cli, [
            "--project", str(built_tiny.root), "--store", store_name, "sparql",
            "--format", "csv", f"SELECT (COUNT(*) AS ?n) FROM <{graph}> {{ ?s ?p ?o }}",
        ])
        assert result.exit_code == 0, result.output
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1] and outputs[0] != "n\r\n0\r\n"


def test_an_allowed_service_is_called(
    built_tiny: Project, wikidata_endpoint: str
) -> None:
    text = f"SELECT (COUNT(*) AS ?n) {{ SERVICE <{wikidata_endpoint}> {{ ?s ?p ?o }} }}"
    result = CliRunner().invoke(cli, [
        "--project", str(built_tiny.root), "sparql", "--format", "csv",
        "--allow-service", wikidata_endpoint, text,
    ])
    assert result.exit_code == 0, result.output
    assert int(result.stdout.split()[1]) > 0


def test_parsing_a_query_never_calls_its_service(
    canaries: tuple[CanaryServer, CanaryFile],
) -> None:
    from rustbelt_kg.sparql import QueryShape, parse_sparql

    server, _ = canaries
    ask = f"ASK {{ SERVICE <{server.url}> {{ ?s ?p ?o }} }}"
    select = f"SELECT ?s {{ SERVICE <{server.url}> {{ ?s ?p ?o }} }}"
    assert parse_sparql(ask) == QueryShape("ask")
    assert parse_sparql(select) == QueryShape("select", ("s",))
    assert server.connections == 0
