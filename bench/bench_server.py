"""Three SPARQL servers side by side under 50 concurrent clients.

    python bench/bench_server.py [--clients 50] [--seconds 10] [--out docs]

On the same data (the built project's N-Quads export) and in one run, it starts:

- ``rustbelt-kg serve`` on the built store;
- ``oxigraph serve`` (the engine's own server, from the ``oxigraph`` package on PyPI), with
  ``--union-default-graph`` so that queries without ``GRAPH`` see every graph, as ours do;
- ``rdflib-endpoint`` (the Python SPARQL endpoint users reach for), installed by this script
  into its own virtual environment under ``build/bench-venvs/`` so that its FastAPI pins
  never touch the project's environment.

For each workload an asyncio load loop keeps ``--clients`` requests in flight for
``--seconds`` seconds (after a one-second warm-up), on the same two cores as the servers.
Its client is aiohttp's: httpx's async pool tops out near 100 requests/s at 50 connections
on this machine, aiohttp's near 5,000, so httpx would measure itself.
It reports p50, p99, throughput, failed requests and the ratio of each server to ours, and
the first request of each workload on its own (the cold figure: ours caches answers per store
build, see the README).

Workloads:

- ``stored query``: the ``founders`` stored query. Ours serves it at ``/queries/founders.json``;
  the others get the same SPARQL text at their query endpoint.
- ``ad-hoc SELECT``: one SELECT sent as ``?query=`` to every server's endpoint. Each request
  carries its own number in a comment, so that no server answers it from a cache (ours
  caches GET answers per store build; rdflib-endpoint keeps parsed queries by their text).
- ``entity page``: ``/id/wan-long`` as HTML. Only ours renders pages; the row has no ratio.
- ``IRI as Turtle``: ours dereferences ``/id/wan-long.ttl``; the others answer
  ``DESCRIBE <…/id/wan-long>`` as Turtle, which is less work (no incoming links or claims).

The report goes to stdout and ``OUT/server-performance.md``; progress shows on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import httpx

ROOT = Path(__file__).resolve().parents[1]
ENTITY = "https://w3id.org/rustbelt-kg/id/wan-long"
RDFLIB_ENDPOINT = "rdflib-endpoint[cli]==0.6.3"
SELECT_JSON = "application/sparql-results+json"

AD_HOC = """# request %d
PREFIX rbo: <https://w3id.org/rustbelt-kg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?company ?label ?park WHERE {
  ?company a rbo:Company ; rdfs:label ?label .
  OPTIONAL { ?company rbo:locatedIn ?park }
} ORDER BY ?label LIMIT 10"""


@dataclass
class Server:
    name: str
    base: str
    query_path: str
    process: subprocess.Popen[bytes] | None = None


@dataclass
class Request:
    """One request of a workload: a path with its query string, and its Accept header."""

    path: str
    params: dict[str, str] = field(default_factory=dict)
    accept: str = SELECT_JSON


@dataclass
class Outcome:
    server: str
    workload: str
    cold_ms: float
    latencies: list[float]
    failures: int
    seconds: float

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def wait_until_up(url: str, process: subprocess.Popen[bytes], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server for {url} exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"server for {url} did not answer within {seconds:.0f} s")


def rdflib_endpoint_python() -> Path:
    """The Python of a private venv holding rdflib-endpoint, made on first use."""
    venv = ROOT / "build" / "bench-venvs" / "rdflib-endpoint"
    python = venv / "bin" / "python"
    if not python.exists():
        say(f"installing {RDFLIB_ENDPOINT} into {venv.relative_to(ROOT)}")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "-q",
                "--disable-pip-version-check",
                RDFLIB_ENDPOINT,
            ],
            check=True,
        )
    return python


def tool(name: str) -> str:
    found = shutil.which(name) or str(Path(sys.executable).parent / name)
    if not Path(found).exists():
        raise SystemExit(f"{name} not found: install the project with pip install -e '.[test]'")
    return found


@contextmanager
def servers(project: Path, work: Path) -> Iterator[list[Server]]:
    nquads = project / "dist" / "rustbelt-kg.nq"
    if not nquads.exists():
        raise SystemExit(f"{nquads} is missing: run rustbelt-kg build first")
    started: list[Server] = []
    log = open(work / "servers.log", "wb")  # noqa: SIM115 - closed below
    try:
        port = free_port()
        ours = Server("rustbelt-kg serve", f"http://127.0.0.1:{port}", "/sparql")
        ours.process = subprocess.Popen(
            [tool("rustbelt-kg"), "--project", str(project), "serve", "--port", str(port)],
            stdout=log,
            stderr=log,
        )
        started.append(ours)

        location = work / "oxigraph"
        say("loading the N-Quads into oxigraph")
        subprocess.run(
            [tool("oxigraph"), "load", "--location", str(location), "--file", str(nquads)],
            check=True,
            stdout=log,
            stderr=log,
        )
        port = free_port()
        oxigraph = Server("oxigraph serve", f"http://127.0.0.1:{port}", "/query")
        oxigraph.process = subprocess.Popen(
            [
                tool("oxigraph"),
                "serve",
                "--location",
                str(location),
                "--bind",
                f"127.0.0.1:{port}",
                "--union-default-graph",
            ],
            stdout=log,
            stderr=log,
        )
        started.append(oxigraph)

        port = free_port()
        rdflib = Server("rdflib-endpoint", f"http://127.0.0.1:{port}", "/")
        rdflib.process = subprocess.Popen(
            [
                str(rdflib_endpoint_python()),
                "-m",
                "rdflib_endpoint",
                "serve",
                str(nquads),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            stdout=log,
            stderr=log,
        )
        started.append(rdflib)

        for server in started:
            assert server.process is not None
            probe = server.base + server.query_path + "?query=ASK%7B%7D"
            say(f"waiting for {server.name} at {server.base}")
            wait_until_up(probe, server.process)
        yield started
    finally:
        for server in started:
            if server.process is not None and server.process.poll() is None:
                server.process.terminate()
                try:
                    server.process.wait(10)
                except subprocess.TimeoutExpired:
                    server.process.kill()
        log.close()


def founders_text() -> str:
    lines = (ROOT / "queries" / "founders.rq").read_text(encoding="utf-8").splitlines()
    return "\n".join(line for line in lines if not line.startswith("#+"))


def workloads(server: Server) -> dict[str, Callable[[int], Request] | None]:
    """Each workload's request maker for this server (None: the server has no such thing)."""
    ours = server.name == "rustbelt-kg serve"
    founders = founders_text()
    describe = f"DESCRIBE <{ENTITY}>"
    endpoint = server.query_path
    return {
        "stored query": (
            (lambda i: Request("/queries/founders.json", accept="application/json"))
            if ours
            else (lambda i: Request(endpoint, {"query": founders}))
        ),
        "ad-hoc SELECT": lambda i: Request(endpoint, {"query": AD_HOC % i}),
        "entity page": (lambda i: Request("/id/wan-long", accept="text/html")) if ours else None,
        "IRI as Turtle": (
            (lambda i: Request("/id/wan-long.ttl", accept="text/turtle"))
            if ours
            else (lambda i: Request(endpoint, {"query": describe}, "text/turtle"))
        ),
    }


async def drive(
    server: Server, workload: str, make: Callable[[int], Request], clients: int, seconds: float
) -> Outcome:
    connector = aiohttp.TCPConnector(limit=clients)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(server.base, connector=connector, timeout=timeout) as client:

        async def one(i: int) -> float | None:
            request = make(i)
            start = time.perf_counter()
            try:
                async with client.get(
                    request.path, params=request.params, headers={"Accept": request.accept}
                ) as response:
                    await response.read()
                    if response.status != 200:
                        return None
            except (TimeoutError, aiohttp.ClientError):
                return None
            return time.perf_counter() - start

        cold = await one(0)
        if cold is None:
            raise SystemExit(f"{server.name} fails the {workload} request")
        latencies: list[float] = []
        failures = 0
        counter = 0
        stop_at = time.perf_counter() + 1 + seconds
        measure_from = stop_at - seconds

        async def worker() -> None:
            nonlocal counter, failures
            while time.perf_counter() < stop_at:
                counter += 1
                started = time.perf_counter()
                took = await one(counter)
                if started < measure_from:
                    continue
                if took is None:
                    failures += 1
                else:
                    latencies.append(took)

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        elapsed = time.perf_counter() - max(began, measure_from)
        return Outcome(server.name, workload, cold * 1000, latencies, failures, elapsed)


def machine() -> str:
    """The machine, as ``bench_build_and_query`` describes it, on one line."""
    sys.path.insert(0, str(ROOT / "bench"))
    from bench_build_and_query import machine as described

    m = described()
    return f"{m['cpu']}, {m['cores']} cores, {m['memory']}; {m['system']}; Python {m['python']}"


def report(outcomes: list[Outcome], clients: int, seconds: float) -> str:
    ours = {o.workload: o for o in outcomes if o.server == "rustbelt-kg serve"}
    lines = [
        "# Server performance",
        "",
        f"Machine: {machine()}. The load generator (asyncio with aiohttp, {clients} clients, "
        f"{seconds:.0f} s per workload after a 1 s warm-up) runs on the same cores as the "
        "servers. Generated by `python bench/bench_server.py`.",
        "",
        "| workload | server | cold (ms) | p50 (ms) | p99 (ms) | requests/s | failed "
        "| ours ÷ theirs, requests/s | their p99 ÷ ours |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for outcome in outcomes:
        mine = ours.get(outcome.workload)
        ratio = p99_ratio = "—"
        if mine is not None and outcome is not mine and outcome.throughput:
            ratio = f"{mine.throughput / outcome.throughput:.2f}"
            p99_ratio = f"{outcome.percentile(0.99) / mine.percentile(0.99):.2f}"
        lines.append(
            f"| {outcome.workload} | {outcome.server} | {outcome.cold_ms:.1f} "
            f"| {outcome.percentile(0.5):.1f} | {outcome.percentile(0.99):.1f} "
            f"| {outcome.throughput:.0f} | {outcome.failures} | {ratio} | {p99_ratio} |"
        )
    lines += [
        "",
        "Targets at 50 clients: p99 under 100 ms for stored queries and entity pages; on the "
        "ad-hoc SELECT at least half the throughput of `oxigraph serve` and a p99 within 2x "
        "of its p99; at least 10x rdflib-endpoint.",
        "",
    ]
    met = []
    stored, page = ours.get("stored query"), ours.get("entity page")
    if stored and page:
        met.append(
            f"- p99 stored query {stored.percentile(0.99):.0f} ms, entity page "
            f"{page.percentile(0.99):.0f} ms: "
            + ("met" if max(stored.percentile(0.99), page.percentile(0.99)) < 100 else "missed")
        )
    adhoc = {o.server: o for o in outcomes if o.workload == "ad-hoc SELECT"}
    mine = adhoc.get("rustbelt-kg serve")
    oxi, rdf = adhoc.get("oxigraph serve"), adhoc.get("rdflib-endpoint")
    if mine and oxi and oxi.throughput:
        share = mine.throughput / oxi.throughput
        p99 = mine.percentile(0.99) / oxi.percentile(0.99)
        met.append(
            f"- ad-hoc SELECT vs oxigraph serve: {share:.2f} of its throughput, p99 {p99:.2f}x "
            "its p99: " + ("met" if share >= 0.5 and p99 <= 2 else "missed")
        )
    if mine and rdf and rdf.throughput:
        times = mine.throughput / rdf.throughput
        met.append(
            f"- ad-hoc SELECT vs rdflib-endpoint: {times:.1f}x: "
            + ("met" if times >= 10 else "missed")
        )
    return "\n".join(lines + met) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--project", type=Path, default=ROOT)
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    parser.add_argument("--only", help="comma-separated workloads to run (default: all)")
    args = parser.parse_args(argv)
    chosen = set(args.only.split(",")) if args.only else None

    outcomes: list[Outcome] = []
    with (
        tempfile.TemporaryDirectory(prefix="bench-server-") as tmp,
        servers(args.project.resolve(), Path(tmp)) as started,
    ):
        for workload in workloads(started[0]):
            if chosen and workload not in chosen:
                continue
            for server in started:
                make = workloads(server)[workload]
                if make is None:
                    continue
                say(f"{workload}: {server.name}, {args.clients} clients, {args.seconds:.0f} s")
                outcome = asyncio.run(drive(server, workload, make, args.clients, args.seconds))
                say(
                    f"  p50 {outcome.percentile(0.5):.1f} ms, p99 {outcome.percentile(0.99):.1f}"
                    f" ms, {outcome.throughput:.0f} requests/s, {outcome.failures} failed"
                )
                outcomes.append(outcome)
    text = report(outcomes, args.clients, args.seconds)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "server-performance.md").write_text(text, encoding="utf-8")
    if statistics.fmean(o.failures for o in outcomes) > 0:
        say("some requests failed: see the 'failed' column")
    return 0


if __name__ == "__main__":
    sys.exit(main())
