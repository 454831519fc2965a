"""Every store side by side: load, each stored query and a full export, timed in one run.

    python bench/bench_stores.py [--sources N] [--cap SECONDS] [--repeat R]

Generates the scale bench's corpus (``bench/gen_corpus.py``, N sources; 0 for the article
alone), loads it into each store (the embedded Oxigraph store on disk, rdflib in memory,
``oxigraph serve`` and Virtuoso on loopback, started here as the tests start them), then
times each stored query (the best of R runs) and a full export (``Store.quads``). Remote
stores are loaded twice, through the Graph Store Protocol and through UPDATE, to compare
the two. Prints a Markdown table: seconds, and in brackets the ratio to the embedded store.
A query past ``--cap`` seconds, or that fails, shows why instead of a time.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "bench"), str(ROOT / "tests")]

from gen_corpus import generate  # noqa: E402
from triplestores import oxigraph_server, virtuoso_server  # noqa: E402

from rustbelt_kg.errors import RustbeltError  # noqa: E402
from rustbelt_kg.load import load_quads  # noqa: E402
from rustbelt_kg.project import Project  # noqa: E402
from rustbelt_kg.query import list_queries, run_query  # noqa: E402
from rustbelt_kg.stores import MemoryStore, OxigraphStore, Store  # noqa: E402
from rustbelt_kg.stores.endpoint import Endpoints  # noqa: E402
from rustbelt_kg.stores.sparql import SparqlStore  # noqa: E402

#: Queries a store is not asked (docs/known-differences.toml: it would stall the server).
SKIP = {"virtuoso": {"enrich-park-distances"}}


def timed(job: Callable[[], Any], repeat: int = 1) -> float | str:
    """The best time of ``repeat`` runs of ``job``, or why it failed."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        try:
            job()
        except RustbeltError as error:
            return type(error).__name__
        best = min(best, time.perf_counter() - started)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=int, default=300, help="generated sources (0: none)")
    parser.add_argument("--cap", type=float, default=60.0, help="seconds a query may take")
    parser.add_argument("--repeat", type=int, default=3, help="runs per query (best kept)")
    parser.add_argument("--no-memory", action="store_true", help="leave rdflib out")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-stores-") as temp, ExitStack() as stack:
        work = Path(temp)
        if args.sources:
            generate(args.sources, work / "corpus")
            project = Project(work / "corpus")
        else:
            project = Project(ROOT)
        quads = list(load_quads(project))
        queries = list_queries(project)
        print(f"{len(quads):,} quads, {args.sources} generated sources, "
              f"{len(queries)} stored queries", file=sys.stderr)
        oxi = stack.enter_context(oxigraph_server(work / "oxigraph-server"))
        virt = stack.enter_context(virtuoso_server(work / "virtuoso"))

        def remote(server: Any, load: str) -> Callable[[], Store]:
            ends = server.endpoints
            endpoints = Endpoints(ends.query, ends.update, ends.gsp, load, args.cap)
            return lambda: SparqlStore(endpoints, environ=server.environ(), for_build=True)

        kinds: dict[str, Callable[[], Store]] = {
            "oxigraph": lambda: OxigraphStore(work / "store", for_build=True),
            "memory": MemoryStore,
            "oxigraph-server": remote(oxi, "gsp"),
            "virtuoso": remote(virt, "gsp"),
        }
        if args.no_memory:
            del kinds["memory"]
        table: dict[str, dict[str, float | str]] = {}
        for name, make in kinds.items():
            print(f"{name} ...", file=sys.stderr)
            column = table.setdefault(name, {})
            store = make()
            if name in ("oxigraph-server", "virtuoso"):
                by_update = remote(oxi if name == "oxigraph-server" else virt, "update")()
                column["load (UPDATE)"] = timed(lambda s=by_update: s.replace_all(quads))
                by_update.close()
                column["load (GSP)"] = timed(lambda s=store: s.replace_all(quads))
            else:
                column["load"] = timed(lambda s=store: s.replace_all(quads))
            if not isinstance(column.get("load", column.get("load (GSP)")), float):
                column["export"] = "no data"  # a failed load: nothing to time
                store.close()
                continue
            for query in queries:
                if query.name in SKIP.get(name, ()):
                    column[query.name] = "not run"
                    continue
                column[query.name] = timed(lambda s=store, q=query: run_query(s, q),
                                           args.repeat)
            column["export"] = timed(lambda s=store: sum(1 for _ in s.quads()))
            store.close()
    _print(table)
    return 0


def _print(table: dict[str, dict[str, float | str]]) -> None:
    stores = list(table)
    steps: list[str] = []
    for column in table.values():
        steps += [s for s in column if s not in steps]
    base = table["oxigraph"]
    print("| step | " + " | ".join(stores) + " |")
    print("|---|" + "---:|" * len(stores))
    for step in steps:
        cells = []
        for store in stores:
            value = table[store].get(step, "")
            reference = base.get(step, base.get("load"))
            if isinstance(value, float):
                cell = f"{value:.3f}"
                if store != "oxigraph" and isinstance(reference, float) and reference > 0:
                    cell += f" ({value / reference:.1f}×)"
                cells.append(cell)
            else:
                cells.append(str(value))
        print(f"| {step} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    raise SystemExit(main())
