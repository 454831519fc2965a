"""A small Starlette app over :class:`rustbelt_kg.server.pages.Pages`, for the browser test.

It serves only the HTML pages and the static files, on the routes the pages link to, so
that a real browser can walk them. The full server (``rustbelt-kg serve``) serves the same
pages with the rest of the protocol; the browser test needs only a base URL, so either can
stand behind it.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

import rustbelt_kg.server
from rustbelt_kg.errors import UsageError
from rustbelt_kg.namespaces import CLAIM, RB, RBO
from rustbelt_kg.project import Project
from rustbelt_kg.server.pages import Pages
from rustbelt_kg.store import Store

STATIC = Path(rustbelt_kg.server.__file__).parent / "static"


def page_app(project: Project, store: Store, base_url: str) -> Starlette:
    """The pages of ``store`` on their routes under ``base_url``."""
    pages = Pages(project, base_url)

    def html(page: str | None) -> Response:
        if page is None:
            return PlainTextResponse("not found", status_code=404)
        return HTMLResponse(page)

    async def query(request: Request) -> Response:
        try:
            return html(pages.query(store, request.path_params["name"],
                                    dict(request.query_params)))
        except UsageError as error:
            return PlainTextResponse(str(error), status_code=400)

    routes = [
        Route("/", lambda r: html(pages.home(store))),
        Route("/article", lambda r: html(pages.article(store))),
        Route("/source/{name}", lambda r: html(pages.source(store, r.path_params["name"]))),
        Route("/id/{name:path}", lambda r: html(pages.entity(store, RB + r.path_params["name"]))),
        Route("/claim/{name}", lambda r: html(pages.claim(store, CLAIM + r.path_params["name"]))),
        Route("/class/{name}", lambda r: html(pages.klass(store, RBO + r.path_params["name"]))),
        Route("/ontology", lambda r: html(pages.ontology(store))),
        Route("/search", lambda r: html(pages.search(store, r.query_params.get("q", "")))),
        Route("/queries", lambda r: html(pages.queries_index())),
        Route("/queries/{name}", query),
        Route("/sparql", lambda r: html(pages.sparql_form())),
        Mount("/static", StaticFiles(directory=STATIC)),
    ]
    return Starlette(routes=routes)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(project: Project, store: Store) -> Iterator[str]:
    """Serve the pages on a free loopback port under uvicorn; yields the base URL."""
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    config = uvicorn.Config(page_app(project, store, base_url), host="127.0.0.1", port=port,
                            log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the page server did not start")
        time.sleep(0.05)
    try:
        yield base_url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
