"""``rustbelt-kg serve``, the installed command: it serves, and stops with its workers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from wikidata_server import free_port

from rustbelt_kg.project import Project

pytestmark = pytest.mark.server

COMMAND = Path(sys.executable).parent / "rustbelt-kg"


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(p) for p in (task / "children").read_text().split()}
    return found


def _exchange(process: subprocess.Popen[bytes], base: str) -> set[int]:
    """Wait for the server at ``base``, ask it two things, and tell its worker processes."""
    deadline = time.monotonic() + 120
    while True:
        try:
            answer = httpx.get(f"{base}/sparql", params={"query": "ASK { ?s ?p ?o }"})
            break
        except httpx.TransportError:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
    assert answer.json()["boolean"] is True
    description = httpx.get(f"{base}/sparql", headers={"Accept": "text/turtle"})
    assert "<https://kg.example.org/sparql>" in description.text
    workers = _children(process.pid)
    assert workers
    return workers


def test_serve_answers_on_loopback_and_stops_with_its_workers(built_tiny: Project) -> None:
    port = free_port()
    with subprocess.Popen(
        [str(COMMAND), "--project", str(built_tiny.root), "serve", "--port", str(port),
         "--base-url", "https://kg.example.org/"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    ) as process:
        try:
            workers = _exchange(process, f"http://127.0.0.1:{port}")
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(30)
    time.sleep(0.5)
    alive = [pid for pid in workers if os.path.exists(f"/proc/{pid}")
             and "Z" not in Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1][:3]]
    assert alive == []


def test_serve_refuses_a_port_out_of_range() -> None:
    done = subprocess.run([str(COMMAND), "serve", "--port", "70000"], capture_output=True,
                          text=True)
    assert done.returncode == 2
    assert "70000" in done.stderr
