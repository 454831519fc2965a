"""The web application: one table of routes over the worker pool.

:func:`create_app` builds the Starlette application for a project. Every read of the store
runs in a worker process (:mod:`rustbelt_kg.server.worker`), every choice of media type in
:mod:`rustbelt_kg.server.negotiation`, every error's status in
:mod:`rustbelt_kg.server.statuses`. Each answer carries ``Vary: Accept``, an ``ETag`` made
of the store's build (the name of the directory ``build/store`` points to) and the
representation, and ``Link`` headers naming its other formats; ``If-None-Match`` with that
tag gets 304. Answers to GET requests are kept per build (:class:`AnswerCache`): the store
changes only when it is rebuilt, and a rebuild changes the build, so no answer outlives
its store.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import re
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio.to_thread
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from rustbelt_kg import namespaces
from rustbelt_kg.errors import NotFound, RequestRefused, RustbeltError, StoreError, WriteRefused
from rustbelt_kg.project import Project
from rustbelt_kg.server import negotiation as neg
from rustbelt_kg.server.config import ServerConfig
from rustbelt_kg.server.limits import Limits, read_body
from rustbelt_kg.server.protocol import READ_ONLY, read_request
from rustbelt_kg.server.service import service_description, void_description
from rustbelt_kg.server.statuses import public_message, status_for
from rustbelt_kg.server.worker import WorkerPool

__all__ = ["TRUNCATED_HEADER", "AnswerCache", "Server", "create_app"]

#: The header that says an answer was cut at the row limit (its value: the limit).
TRUNCATED_HEADER = "Results-Truncated"

Render = Callable[[neg.Representation], Awaitable[str]]
#: A name in a path that can end an IRI: no space, no character RFC 3987 leaves out.
_NAME = re.compile(r'[^\x00-\x20<>"{}|^`\\]+')


class AnswerCache:
    """The last ``size`` answers, by build and request."""

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self._answers: OrderedDict[tuple[str, ...], tuple[str, dict[str, str]]] = OrderedDict()

    def get(self, key: tuple[str, ...]) -> tuple[str, dict[str, str]] | None:
        found = self._answers.get(key)
        if found is not None:
            self._answers.move_to_end(key)
        return found

    def put(self, key: tuple[str, ...], answer: tuple[str, dict[str, str]]) -> None:
        self._answers[key] = answer
        while len(self._answers) > self.size:
            self._answers.popitem(last=False)


class Server:
    """What the routes share: the project, the settings, the workers and the cache."""

    def __init__(self, project: Project, config: ServerConfig) -> None:
        self.project = project
        self.config = config
        self.store_path = config.store_path or project.store_path
        self.pool = WorkerPool(project.root, self.store_path, config.served_base.rstrip("/"),
                               config.workers)
        self.cache = AnswerCache() if config.cache else None

    def build(self) -> str:
        """The name of the store's live directory: it changes with every build."""
        if not self.store_path.exists():
            raise StoreError("no store")
        return os.path.basename(os.path.realpath(self.store_path))

    async def job(self, job: str, /, *, timeout: float | None = None, **kwargs: Any) -> Any:
        """Run the job called ``job`` in a worker, at most ``timeout`` seconds (default: the
        server's)."""
        call = functools.partial(self.pool.call, job, timeout or self.config.timeout, **kwargs)
        return await anyio.to_thread.run_sync(call)

    async def page(self, method: str, *args: Any, with_store: bool = True) -> str:
        found = await self.job("page", method=method, args=list(args), with_store=with_store)
        if found is None:
            raise NotFound(f"nothing here by the name {args[0] if args else method}")
        return str(found)

    async def represent(
        self,
        request: Request,
        table: tuple[neg.Representation, ...],
        render: Render,
        *,
        stem: str | None = None,
        suffix: neg.Representation | None = None,
        canonical: str | None = None,
    ) -> Response:
        """The answer in the representation the request asks for, with its headers; from the
        cache when this build already gave it."""
        rep = neg.choose(table, accept=request.headers.get("accept"),
                         format=request.query_params.get("format"), suffix=suffix)
        build = self.build()
        key = (build, request.url.path, request.url.query, rep.name)
        tag = '"' + hashlib.sha256("\0".join(key).encode()).hexdigest()[:32] + '"'
        headers = {"Vary": "Accept", "ETag": tag}
        if stem is not None:
            headers["Link"] = _links(stem, table, canonical)
        if tag in _tags(request.headers.get("if-none-match")):
            return Response(status_code=304, headers=headers)
        cached = self.cache.get(key) if self.cache is not None else None
        if cached is None:
            cached = (await render(rep), {})
            if self.cache is not None:
                self.cache.put(key, cached)
        body, extra = cached
        return Response(body, media_type=rep.content_type, headers={**headers, **extra})


def _tags(header: str | None) -> set[str]:
    if not header:
        return set()
    return {t.strip().removeprefix("W/") for t in header.split(",")}


def _links(stem: str, table: tuple[neg.Representation, ...], canonical: str | None) -> str:
    links = [f'<{stem}.{r.suffix}>; rel="alternate"; type="{r.media_type}"'
             for r in table if r.suffix and r.name != "html"]
    if canonical:
        links.insert(0, f'<{canonical}>; rel="canonical"')
    return ", ".join(links)


# -- the routes ---------------------------------------------------------------------------


def _resource_route(kind: str, base: str, table: tuple[neg.Representation, ...],
                    page: str | None) -> Callable[[Request], Awaitable[Response]]:
    """A route for the IRIs ``base + name``: HTML from ``Pages.<page>``, RDF from the store."""

    async def endpoint(request: Request) -> Response:
        server: Server = request.app.state.server
        name, suffix = neg.split_suffix(request.path_params["name"], table)
        iri = base + name
        if not _NAME.fullmatch(name) or "/" in name and kind != "graph":
            raise NotFound(f"no resource {request.url.path}")

        async def render(rep: neg.Representation) -> str:
            if rep.name == "html":
                assert page is not None
                return await server.page(page, iri)
            return str(await server.job("resource", kind=kind, iri=iri, format=rep.name))

        stem = request.url.path[: len(request.url.path) - (len(suffix.suffix) + 1)] \
            if suffix and suffix.suffix else request.url.path
        return await server.represent(request, table, render, stem=stem, suffix=suffix,
                                      canonical=iri)

    return endpoint


def _document_route(
    table: tuple[neg.Representation, ...], html: str | None, rdf: Callable[[Server, str],
                                                                          Awaitable[str]],
    canonical: str,
) -> Callable[[Request], Awaitable[Response]]:
    """A route for one document (``/ontology``, ``/shapes``), also with a suffix."""

    async def endpoint(request: Request) -> Response:
        server: Server = request.app.state.server
        stem = request.url.path.split(".", 1)[0]
        suffix = None
        if "ext" in request.path_params:
            _, suffix = neg.split_suffix("x." + request.path_params["ext"], table)
            if suffix is None:
                raise NotFound(f"no resource {request.url.path}")

        async def render(rep: neg.Representation) -> str:
            if rep.name == "html":
                assert html is not None
                return await server.page(html)
            return await rdf(server, rep.name)

        return await server.represent(request, table, render, stem=stem, suffix=suffix,
                                      canonical=canonical)

    return endpoint


async def _ontology_rdf(server: Server, format: str) -> str:
    return str(await server.job("resource", kind="graph", iri=namespaces.ONTOLOGY_GRAPH,
                                format=format))


async def ontology_version(request: Request) -> Response:
    """A version IRI of the ontology (``owl:versionIRI``): 303 to ``/ontology`` when it is
    the version served, else 404."""
    server: Server = request.app.state.server
    version = request.path_params["version"]
    iri = namespaces.BASE + "ontology/" + version
    if _NAME.fullmatch(version):
        ask = f"ASK {{ <{namespaces.RBO.rstrip('#')}> owl:versionIRI <{iri}> }}"
        answer = await server.job("sparql", text=ask, format="json", max_rows=1)
        if json.loads(answer["body"])["boolean"]:
            return RedirectResponse(server.config.served_base + "ontology", status_code=303,
                                    headers={"Vary": "Accept"})
    raise NotFound(f"no version {version} of the ontology is served here")


async def _shapes_rdf(server: Server, format: str) -> str:
    return str(await server.job("shapes", format=format))


def _page_route(method: str, *, with_store: bool = True, query: str | None = None,
                path: str | None = None) -> Callable[[Request], Awaitable[Response]]:
    """An HTML-only page; its argument, if any, is the value ``query`` of the query string or
    the part ``path`` of the path."""

    async def endpoint(request: Request) -> Response:
        server: Server = request.app.state.server
        args = [request.query_params.get(query, "")] if query else []
        if path:
            args.append(request.path_params[path])

        async def render(rep: neg.Representation) -> str:
            return await server.page(method, *args, with_store=with_store)

        return await server.represent(request, (neg.HTML,), render)

    return endpoint


async def sparql(request: Request) -> Response:
    """The SPARQL 1.1 Protocol: GET, POST form-encoded, POST direct."""
    server: Server = request.app.state.server
    body = await read_body(request, server.config.max_body) if request.method == "POST" else b""
    asked = await anyio.to_thread.run_sync(  # the checks read the whole text: not in the loop
        read_request, request.method, request.headers.get("content-type"),
        request.scope.get("query_string", b""), body, server.config.services,
    )
    if asked is None:
        endpoint = server.config.served_base + "sparql"

        async def describe(rep: neg.Representation) -> str:
            if rep.name == "html":
                return await server.page("sparql_form", with_store=False)
            return await _rdf_text(service_description(endpoint), rep.name)

        return await server.represent(request, neg.RESOURCE, describe)
    # a browser (it asks for text/html by name) or format=html gets the query page's table
    table = (*(neg.GRAPH_RESULTS if asked.read.form in ("construct", "describe")
               else neg.RESULTS), neg.HTML)
    timeout = server.config.request_timeout(asked.param("timeout"))
    limit = server.config.max_rows
    query = {"text": asked.text, "max_rows": limit, "default_graphs": list(asked.default_graphs),
             "named_graphs": list(asked.named_graphs),
             "base_iri": server.config.served_base + "sparql"}

    async def run(rep: neg.Representation) -> str:
        if rep.name == "html":
            return str(await server.job("sparql_page", timeout=timeout, **query))
        return _whole(await server.job("sparql", timeout=timeout, format=rep.name, **query))

    rep = neg.choose(table, accept=request.headers.get("accept"), format=asked.param("format"))
    try:
        if request.method == "GET":
            return await server.represent(request, (rep,), run)
        return Response(await run(rep), media_type=rep.content_type, headers={"Vary": "Accept"})
    except _Truncated as cut:
        return cut.response(rep, limit)


class _Truncated(Exception):  # noqa: N818 - not an error: a cut answer, never cached
    def __init__(self, body: str) -> None:
        self.body = body

    def response(self, rep: neg.Representation, limit: int) -> Response:
        return Response(self.body, media_type=rep.content_type,
                        headers={"Vary": "Accept", TRUNCATED_HEADER: str(limit)})


def _whole(answer: dict[str, Any]) -> str:
    """The body of a worker's answer; a cut one is raised as :class:`_Truncated`."""
    if answer["truncated"]:
        raise _Truncated(answer["body"])
    return str(answer["body"])


async def _rdf_text(turtle: str, format: str) -> str:
    """A Turtle text of ours in the RDF format called ``format``."""

    def convert() -> str:
        from rdflib import Graph

        from rustbelt_kg.export import serialize

        graph = Graph().parse(data=turtle, format="turtle")
        return serialize(((s, p, o, None) for s, p, o in graph), format)

    return await anyio.to_thread.run_sync(convert)


async def void(request: Request) -> Response:
    """VoID of the dataset."""
    server: Server = request.app.state.server
    base = server.config.served_base

    async def render(rep: neg.Representation) -> str:
        stats = await server.job("stats")
        return await _rdf_text(void_description(base, base + "sparql", stats), rep.name)

    return await server.represent(request, neg.RDF, render)


async def graph_store(request: Request) -> Response:
    """The Graph Store Protocol, read-only: ``?graph=IRI`` or ``?default``."""
    server: Server = request.app.state.server
    if request.method not in ("GET", "HEAD"):
        raise WriteRefused(READ_ONLY)
    params = request.query_params
    if "graph" in params and "default" not in params:
        iri = params["graph"]

        async def render(rep: neg.Representation) -> str:
            return str(await server.job("resource", kind="graph", iri=iri, format=rep.name))
    elif "default" in params and "graph" not in params:

        async def render(rep: neg.Representation) -> str:
            return str(await server.job("default_graph", format=rep.name))
    else:
        raise RequestRefused("name one graph: ?graph=IRI or ?default")
    return await server.represent(request, neg.RDF, render)


async def stored_query(request: Request) -> Response:
    """A stored query: its page (HTML), or its answer (``.json``, ``.srj``, ``.csv``,
    ``.tsv``) with the parameters as query-string values."""
    server: Server = request.app.state.server
    raw = request.path_params["name"]
    name, suffix = neg.split_suffix(raw.removesuffix(".json") + ".srj"
                                    if raw.endswith(".json") else raw, neg.RESULTS)
    params = {k: v for k, v in request.query_params.items() if k not in ("format", "timeout")}

    async def render(rep: neg.Representation) -> str:
        if rep.name == "html":
            return await server.page("query", name, params)
        return _whole(await server.job("stored", name=name, params=params, format=rep.name,
                                       max_rows=server.config.max_rows))

    table = neg.RESULTS if suffix else (neg.HTML, *neg.RESULTS)
    try:
        return await server.represent(request, table, render, suffix=suffix)
    except _Truncated as cut:
        rep = neg.choose(table, accept=request.headers.get("accept"),
                         format=request.query_params.get("format"), suffix=suffix)
        return cut.response(rep, server.config.max_rows)


async def _error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RustbeltError)
    return PlainTextResponse(public_message(error) + "\n", status_code=status_for(error),
                             headers={"Vary": "Accept"})


async def _internal(request: Request, error: Exception) -> Response:
    return PlainTextResponse("internal error\n", status_code=500)


def create_app(project: Project, config: ServerConfig | None = None) -> Starlette:
    """The application serving ``project``'s built store with ``config``."""
    config = config or ServerConfig()
    server = Server(project, config)
    static = Path(__file__).parent / "static"
    by_suffix = "{name}"
    routes = [
        Route("/", _page_route("home")),
        Route("/article", _page_route("article")),
        Route("/source/{name}", _page_route("source", path="name")),
        Route("/sparql", sparql, methods=["GET", "POST"]),
        Route("/.well-known/void", void),
        Route(f"/id/{by_suffix}", _resource_route("entity", namespaces.RB, neg.RESOURCE,
                                                  "entity")),
        Route(f"/claim/{by_suffix}", _resource_route("claim", namespaces.CLAIM, neg.CLAIM,
                                                     "claim")),
        Route("/graph/{name:path}", _resource_route("graph", namespaces.GRAPH, neg.GRAPHS,
                                                    None)),
        Route(f"/class/{by_suffix}", _resource_route("entity", namespaces.RBO, neg.RESOURCE,
                                                     "klass")),
        Route("/ontology", _document_route(neg.RESOURCE, "ontology", _ontology_rdf,
                                           namespaces.BASE + "ontology")),
        Route("/ontology.{ext}", _document_route(neg.RESOURCE, "ontology", _ontology_rdf,
                                                 namespaces.BASE + "ontology")),
        Route("/ontology/{version}", ontology_version),
        Route("/shapes", _document_route(neg.RDF, None, _shapes_rdf, namespaces.BASE + "shapes")),
        Route("/shapes.{ext}", _document_route(neg.RDF, None, _shapes_rdf,
                                               namespaces.BASE + "shapes")),
        Route("/search", _page_route("search", query="q")),
        Route("/queries", _page_route("queries_index", with_store=False)),
        Route("/queries/{name}", stored_query),
        Route("/rdf-graphs", graph_store, methods=["GET", "PUT", "POST", "DELETE", "PATCH"]),
        *([Mount("/static", StaticFiles(directory=static), name="static")]
          if static.is_dir() else []),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await anyio.to_thread.run_sync(server.pool.start)
        try:
            yield
        finally:
            server.pool.close()

    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(Limits, max_body=config.max_body, max_url=config.max_url),
            Middleware(CORSMiddleware, allow_origins=["*"], allow_credentials=False,
                       allow_methods=["GET", "HEAD", "POST"],
                       allow_headers=["Accept", "Content-Type", "If-None-Match"],
                       expose_headers=["ETag", "Link", TRUNCATED_HEADER]),
        ],
        exception_handlers={RustbeltError: _error, Exception: _internal},
        lifespan=lifespan,
    )
    app.state.server = server
    return app
