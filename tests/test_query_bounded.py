"""Every query is bounded: a timeout that really stops the work, and results that stream."""

from __future__ import annotations

import faulthandler
import io
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO

import pytest
from click.testing import CliRunner
from rdflib import Literal, URIRef

from rustbelt_kg.bounded import run_bounded
from rustbelt_kg.cli import cli
from rustbelt_kg.errors import OutputError, QueryMismatch, QueryTimeout, StoreError
from rustbelt_kg.load import load_quads
from rustbelt_kg.project import Project
from rustbelt_kg.results import RESULT_FORMATS, ResultStream, write_answer

SCRIPT = Path(sys.executable).with_name("rustbelt-kg")
PRODUCT = "SELECT * { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
COUNT_PRODUCT = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
#: Far more rows than any test waits for, even on the tiny project (its quads to the sixth).
ENDLESS_PRODUCT = COUNT_PRODUCT.replace("?l }", "?l . ?m ?n2 ?o . ?p ?q ?r }")


def _processes_running(marker: str) -> list[int]:
    """The processes whose command line holds ``marker`` (a forked child keeps its parent's)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def _children() -> set[int]:
    """The child processes of this process, zombies included."""
    children = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == os.getpid():
                children.add(int(entry.name))
    return children


@pytest.mark.parametrize("store_name", ["oxigraph", "memory"])
def test_a_cartesian_product_past_its_timeout_exits_6_and_its_process_is_gone(
    built_tiny: Project, store_name: str
) -> None:
    marker = f"marker-{uuid.uuid4()}"
    done = subprocess.run(
        [str(SCRIPT), "--project", str(built_tiny.root), "--store", store_name,
         "sparql", "--timeout", "1", f"{COUNT_PRODUCT} # {marker}"],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 6, done.stderr
    assert "ran longer than its timeout of 1 s and was stopped" in done.stderr
    assert "--timeout" in done.stderr
    assert _processes_running(marker) == []


def test_a_stored_query_past_its_timeout_exits_6(built_tiny: Project) -> None:
    (built_tiny.queries_dir / "product.rq").write_text(
        "#+ title: every four triples\n" + COUNT_PRODUCT + "\n", encoding="utf-8"
    )
    result = CliRunner().invoke(
        cli, ["--project", str(built_tiny.root), "query", "product", "--timeout", "1"]
    )
    assert result.exit_code == 6, result.output
    assert "timeout of 1 s" in result.stderr


def test_a_timed_out_child_is_killed_and_reaped() -> None:
    before = _children()

    def spin(out: TextIO, started: Callable[[], None]) -> None:
        started()
        while True:
            pass

    with pytest.raises(QueryTimeout) as raised:
        run_bounded(spin, io.StringIO(), timeout=0.5)
    assert raised.value.exit_code == 6
    assert _children() <= before


def test_errors_in_the_child_come_back_with_their_class_and_exit_code() -> None:
    def mismatch(out: TextIO, started: Callable[[], None]) -> None:
        out.write("partial\n")
        raise QueryMismatch("people: differs")

    out = io.StringIO()
    with pytest.raises(QueryMismatch, match="people: differs") as raised:
        run_bounded(mismatch, out, timeout=30)
    assert raised.value.exit_code == 1
    assert out.getvalue() == "partial\n"


def test_errors_in_the_child_come_back_with_the_attributes_they_were_raised_with() -> None:
    def unwritable(out: TextIO, started: Callable[[], None]) -> None:
        raise OutputError("/tmp/answer.srj", "Is a directory")

    with pytest.raises(OutputError) as raised:
        run_bounded(unwritable, io.StringIO(), timeout=30)
    assert (raised.value.path, raised.value.reason) == ("/tmp/answer.srj", "Is a directory")
    assert str(raised.value) == "cannot write /tmp/answer.srj: Is a directory"


def test_an_engine_crash_in_the_child_is_an_error_not_a_crash() -> None:
    def crash(out: TextIO, started: Callable[[], None]) -> None:
        faulthandler.disable()  # pytest's would print the child's stack
        os.kill(os.getpid(), signal.SIGSEGV)

    with pytest.raises(StoreError, match="SIGSEGV"):
        run_bounded(crash, io.StringIO(), timeout=30)


def test_the_first_rows_of_a_huge_result_come_at_once_and_a_closed_pipe_ends_with_0(
    built_tiny: Project,
) -> None:
    command = [str(SCRIPT), "--project", str(built_tiny.root), "sparql", "--timeout", "600",
               PRODUCT]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as child:
        assert child.stdout is not None and child.stderr is not None
        header, first = child.stdout.readline(), child.stdout.readline()
        child.stdout.close()  # as `| head -2` does
        stderr = child.stderr.read()
        child.wait(timeout=60)
    assert header.startswith(b"?a\t?b\t?c")
    assert first.startswith(b"<") and first.count(b"\t") == 11
    assert (child.returncode, stderr) == (0, b"")


class ClosedAfter(io.StringIO):
    """An output whose reader goes away after ``limit`` characters."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def write(self, text: str) -> int:
        if self.tell() + len(text) > self.limit:
            raise BrokenPipeError
        return super().write(text)


@pytest.mark.parametrize("format", [f for f in RESULT_FORMATS if f != "table"])
def test_writers_take_rows_one_by_one_from_a_stream(format: str) -> None:
    taken = 0

    def rows() -> Iterator[dict[str, URIRef | Literal]]:
        nonlocal taken
        while True:  # endless: only a writer that streams ever stops
            taken += 1
            yield {"s": URIRef(f"https://example.org/{taken}"), "o": Literal(taken)}

    with pytest.raises(BrokenPipeError):
        write_answer(ResultStream.select(["s", "o"], rows()), format, ClosedAfter(5000))
    assert 0 < taken < 1000  # rows are short: 5,000 characters hold a few hundred


def test_preparing_a_query_is_bounded_too(monkeypatch: pytest.MonkeyPatch) -> None:
    from rustbelt_kg import sparql

    monkeypatch.setattr(sparql, "PARSE_TIMEOUT", 1.0)
    before = _children()
    slow = "SELECT * { ?s ?p ?o " + " ".join(f"OPTIONAL {{ ?s ?p ?o{i} }}" for i in range(400))
    with pytest.raises(QueryTimeout, match=r"slow\.rq: preparing the query took longer than 1 s"):
        sparql.parse_sparql(slow + " }", path="slow.rq")
    assert _children() <= before


def test_a_syntax_error_found_in_the_child_keeps_its_file_line_and_column() -> None:
    from rustbelt_kg.errors import QuerySyntaxError
    from rustbelt_kg.sparql import parse_sparql

    with pytest.raises(QuerySyntaxError) as raised:
        parse_sparql("SELECT *\nWHERE { ?s ?p }", path="bad.rq")
    error = raised.value
    assert (error.path, error.line, error.exit_code) == ("bad.rq", 2, 3)
    assert error.column is not None and str(error).startswith("bad.rq:2:")


def test_text_from_the_child_arrives_whole_across_pipe_chunks() -> None:
    from rustbelt_kg.bounded import call_bounded

    text = "é€𝄞" * 50000  # 450,000 bytes: characters cut at every chunk boundary
    assert call_bounded(lambda: text, timeout=30) == text


def test_the_memory_store_gives_its_first_rows_before_it_has_them_all(
    tiny_project: Project,
) -> None:
    from rustbelt_kg.memory_store import MemoryStore

    store = MemoryStore()
    store.replace_all(load_quads(tiny_project))
    # every quad with every quad, four times over: far more rows than 30 s could list
    product = "SELECT * { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"

    def first_row(out: TextIO, started: Callable[[], None]) -> None:
        started()
        answer = store.stream(product)
        out.write(repr(sorted(next(answer.rows))))

    out = io.StringIO()
    run_bounded(first_row, out, timeout=30)
    assert out.getvalue() == "['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l']"


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_a_query_killed_from_outside_takes_its_child_process_with_it(
    built_tiny: Project, how: signal.Signals
) -> None:
    marker = f"marker-{uuid.uuid4()}"
    command = subprocess.Popen(
        [str(SCRIPT), "--project", str(built_tiny.root), "sparql", "--timeout", "0",
         f"{ENDLESS_PRODUCT} # {marker}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    # parsing runs in a child of its own for milliseconds; the query's child stays
    deadline = time.monotonic() + 30
    while len(_processes_running(marker)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(2)
    assert len(_processes_running(marker)) == 2  # the command and the query's child
    command.send_signal(how)
    command.wait(timeout=30)
    deadline = time.monotonic() + 10
    while _processes_running(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _processes_running(marker) == []
