"""Where a remote SPARQL server listens, who we are to it, and one HTTP client for it.

A remote store has up to three endpoints (W3C SPARQL 1.1 Protocol and Graph Store
Protocol): ``query`` (required), ``update`` (default: ``query``) and ``gsp`` (optional; without
it, loads go through UPDATE). They come from the command line (``--endpoint``,
``--update-endpoint``, ``--gsp-endpoint``) or from a table of ``rustbelt-kg.toml`` at the
root of the project::

    [stores.virtuoso]
    endpoint = "http://127.0.0.1:8890/sparql"
    update-endpoint = "http://127.0.0.1:8890/sparql-auth"
    gsp-endpoint = "http://127.0.0.1:8890/sparql-graph-crud-auth"
    load = "update"        # or "gsp" (the default when gsp-endpoint is given)
    timeout = 60           # seconds for each request

Credentials never come from the command line's arguments (``ps`` shows them to every user):
``RUSTBELT_KG_SPARQL_USER`` and ``RUSTBELT_KG_SPARQL_PASSWORD``, else the entry for the
endpoint's host in the netrc file (``$NETRC``, else ``~/.netrc``). The client answers the
server's challenge: HTTP Digest (Virtuoso's ``/sparql-auth``) or Basic.

Every failure is an :class:`~rustbelt_kg.errors.EndpointError` (exit 4): down or refusing
(:class:`EndpointUnavailable`), too slow (:class:`EndpointTimeout`), a wrong password
(:class:`EndpointAuthFailed`), an answer that is not what the protocol says
(:class:`MalformedResponse`).
"""

from __future__ import annotations

import netrc
import os
import tomllib
from collections.abc import Generator, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from rustbelt_kg.errors import (
    EndpointAuthFailed,
    EndpointError,
    EndpointRejected,
    EndpointTimeout,
    EndpointUnavailable,
    UsageError,
)

__all__ = ["CONFIG_FILE", "Endpoints", "HttpClient", "credentials", "named_endpoints"]

#: The project's file of named stores.
CONFIG_FILE = "rustbelt-kg.toml"
USER_VARIABLE = "RUSTBELT_KG_SPARQL_USER"
PASSWORD_VARIABLE = "RUSTBELT_KG_SPARQL_PASSWORD"
#: Seconds for one request unless the configuration says otherwise.
DEFAULT_TIMEOUT = 60.0
LOAD_METHODS = ("gsp", "update")
#: The most bytes of response headers read. Virtuoso echoes each ``named-graph-uri`` of a
#: query as an ``X-SPARQL-named-graph`` header: about 200 KB for the 2,064 graphs of the
#: scale bench's corpus, past httpcore's default of 100 KB.
MAX_HEADER_BYTES = 64 << 20


@dataclass(frozen=True)
class Endpoints:
    """The URLs of one remote store, and how it is loaded."""

    query: str
    update: str | None = None
    gsp: str | None = None
    load: str | None = None  # "gsp" or "update"; None: gsp when there is a GSP endpoint
    timeout: float = DEFAULT_TIMEOUT

    def __post_init__(self) -> None:
        for url in (self.query, self.update, self.gsp):
            if url is not None and urlsplit(url).scheme not in ("http", "https"):
                raise UsageError(f"not an http(s) endpoint URL: {url!r}")
        if self.load is not None and self.load not in LOAD_METHODS:
            raise UsageError(f"load must be one of {', '.join(LOAD_METHODS)}, not {self.load!r}")
        if self.load == "gsp" and self.gsp is None:
            raise UsageError("load = \"gsp\" needs a gsp-endpoint")

    @property
    def update_url(self) -> str:
        return self.update or self.query

    @property
    def load_method(self) -> str:
        return self.load or ("gsp" if self.gsp else "update")


def named_endpoints(root: Path, name: str) -> Endpoints | None:
    """The store ``name`` of ``root/rustbelt-kg.toml`` (table ``[stores.NAME]``), if any."""
    path = root / CONFIG_FILE
    if not path.is_file():
        return None
    try:
        config = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise UsageError(f"{path}: {error}") from error
    table = config.get("stores", {}).get(name)
    if table is None:
        return None
    known = {"endpoint", "update-endpoint", "gsp-endpoint", "load", "timeout"}
    unknown = sorted(set(table) - known)
    if unknown or "endpoint" not in table:
        raise UsageError(
            f"{path}: [stores.{name}] needs endpoint and may have only "
            f"{', '.join(sorted(known))}" + (f"; unknown: {', '.join(unknown)}" if unknown else "")
        )
    return Endpoints(
        table["endpoint"], table.get("update-endpoint"), table.get("gsp-endpoint"),
        table.get("load"), float(table.get("timeout", DEFAULT_TIMEOUT)),
    )


def credentials(url: str, environ: Mapping[str, str] = os.environ) -> tuple[str, str] | None:
    """User and password for ``url``: from the environment, else from the netrc file."""
    user, password = environ.get(USER_VARIABLE), environ.get(PASSWORD_VARIABLE)
    if user is not None and password is not None:
        return user, password
    file = environ.get("NETRC") or str(Path.home() / ".netrc")
    host = urlsplit(url).hostname or ""
    try:
        entry = netrc.netrc(file).authenticators(host)
    except FileNotFoundError:
        return None
    except (OSError, netrc.NetrcParseError) as error:
        raise UsageError(f"cannot read the netrc file {file}: {error}") from error
    if entry is None:
        return None
    login, _, secret = entry
    return (login, secret or "") if login else None


class _ChallengeAuth(httpx.Auth):
    """Answers the scheme the server asks for: Digest when it says so, Basic otherwise.
    After the first challenge, Digest requests carry their answer up front."""

    requires_request_body = True

    def __init__(self, user: str, password: str) -> None:
        self._basic = httpx.BasicAuth(user, password)
        self._digest = httpx.DigestAuth(user, password)
        self._scheme: str | None = None

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self._scheme == "basic":
            yield from self._basic.auth_flow(request)
            return
        flow = self._digest.auth_flow(request)  # without a challenge yet: the bare request
        response = yield next(flow)
        if response.status_code != 401:
            return
        scheme = response.headers.get("www-authenticate", "").split(" ", 1)[0].lower()
        if scheme != "digest":
            self._scheme = "basic"
            yield from self._basic.auth_flow(request)
            return
        try:
            retry = flow.send(response)
        except StopIteration:
            return
        yield retry


class HttpClient:
    """One connection pool to a server; every transport failure becomes an
    :class:`EndpointError` naming the URL."""

    def __init__(self, endpoints: Endpoints, environ: Mapping[str, str] = os.environ) -> None:
        self.endpoints = endpoints
        found = credentials(endpoints.update_url, environ)
        limit = httpcore.HTTP11Connection.MAX_INCOMPLETE_EVENT_SIZE
        httpcore.HTTP11Connection.MAX_INCOMPLETE_EVENT_SIZE = max(limit, MAX_HEADER_BYTES)
        self.has_credentials = found is not None
        self._client = httpx.Client(
            auth=_ChallengeAuth(*found) if found else None,
            timeout=httpx.Timeout(endpoints.timeout, connect=min(10.0, endpoints.timeout)),
            headers={"User-Agent": "rustbelt-kg"},
            follow_redirects=False,
            trust_env=False,  # no proxies from the environment, no netrc read behind our back
        )

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send one request and read its whole answer."""
        with self.stream(method, url, **kwargs) as response:
            response.read()
            return response

    def stream(self, method: str, url: str, **kwargs: Any) -> _Streaming:
        """A context manager: the response, its body read as it comes."""
        return _Streaming(self, method, url, kwargs)

    def close(self) -> None:
        self._client.close()


class _Streaming:
    def __init__(self, client: HttpClient, method: str, url: str, kwargs: dict[str, Any]) -> None:
        self.client, self.method, self.url, self.kwargs = client, method, url, kwargs
        self._context: Any = None

    def __enter__(self) -> httpx.Response:
        try:
            self._context = self.client._client.stream(self.method, self.url, **self.kwargs)
            response: httpx.Response = self._context.__enter__()
        except httpx.HTTPError as error:
            raise transport_error(error, self.url) from error
        try:
            check_status(response, self.url)
        except BaseException:
            self._context.__exit__(None, None, None)
            raise
        return response

    def __exit__(self, *exc: object) -> None:
        self._context.__exit__(*exc)


def transport_error(error: httpx.HTTPError, url: str) -> EndpointError:
    """The typed error for a failure of the connection itself."""
    if isinstance(error, httpx.TimeoutException):
        return EndpointTimeout(f"no answer in time ({type(error).__name__})", endpoint=url)
    return EndpointUnavailable(f"cannot reach the server: {error}", endpoint=url)


def check_status(response: httpx.Response, url: str) -> None:
    """Raise the typed error for an answer that is not a success."""
    status = response.status_code
    if status < 300:
        return
    response.read()
    detail = " ".join(response.text.split())[:500]
    if status in (401, 403):
        raise EndpointAuthFailed(
            f"HTTP {status}: the server refused our credentials (set {USER_VARIABLE} and "
            f"{PASSWORD_VARIABLE}, or a netrc entry for the host): {detail}", endpoint=url)
    if status == 400:
        raise EndpointRejected(detail, endpoint=url)
    raise EndpointUnavailable(f"HTTP {status}: {detail}", endpoint=url)


def lines(response: httpx.Response) -> Iterator[str]:
    """The lines of a response body as they arrive; a broken connection is an
    :class:`EndpointUnavailable`."""
    try:
        yield from response.iter_lines()
    except httpx.HTTPError as error:
        raise transport_error(error, str(response.request.url)) from error
