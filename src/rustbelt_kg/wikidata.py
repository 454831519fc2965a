"""A polite SPARQL client for Wikidata and Wikidata-shaped endpoints.

The Wikidata Query Service asks its clients to say who they are, to send one query at a
time, and to back off when told to. :class:`WikidataClient` does all three:

- every request carries a descriptive ``User-Agent`` (:data:`USER_AGENT`: project name,
  version and home page);
- one process-wide lock keeps at most one request in flight, and ``min_interval`` spaces
  consecutive requests;
- HTTP 429 and 5xx answers and refused connections are retried a bounded number of times
  with exponential backoff; a ``Retry-After`` (seconds or an HTTP date) is honoured up to
  ``max_wait`` seconds (:data:`MAX_WAIT`, 30 s). A server that asks for a longer wait, or for
  more than the time left, is not waited for: the client gives up at once (429:
  :class:`RateLimited`). Each wait is reported, as it starts, to ``on_wait``;
- ``budget`` bounds the whole exchange: every request, wait and retry of the client must
  fit in it (each request also waits at most ``timeout`` seconds for its answer). When it
  runs out, the client raises :class:`EndpointTimeout`; an answer still arriving is
  abandoned.

Failures are typed (see :mod:`rustbelt_kg.errors`): :class:`EndpointUnavailable` (refused,
DNS, HTTP 5xx or another HTTP error; an endpoint URL urllib cannot use, not retried),
:class:`EndpointTimeout`, :class:`RateLimited` (429 after the retries),
:class:`MalformedResponse` (not a SPARQL results JSON document).
A timeout is not retried: a query that ran out of time once will again, and costs the
endpoint as much each time.

The transport is SPARQLWrapper; the answer is read as bytes and parsed here, so that a
broken document is a :class:`MalformedResponse` rather than a library warning.
SPARQLWrapper, rdflib and :mod:`http.client` are imported when a query is sent, so that the
command line can read :data:`DEFAULT_ENDPOINT` without loading them.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from rustbelt_kg import __version__
from rustbelt_kg.errors import (
    EndpointError,
    EndpointTimeout,
    EndpointUnavailable,
    MalformedResponse,
    RateLimited,
)
from rustbelt_kg.namespaces import PREFIXES

if TYPE_CHECKING:
    from rdflib.term import Node
    from SPARQLWrapper import SPARQLWrapper

__all__ = [
    "DEFAULT_ENDPOINT",
    "MAX_WAIT",
    "REQUEST_TIMEOUT",
    "USER_AGENT",
    "Row",
    "WikidataClient",
    "parse_select",
    "utc_now",
]

#: The public Wikidata Query Service.
DEFAULT_ENDPOINT = "https://query.wikidata.org/sparql"
#: Project home page, named in the User-Agent so operators can reach the maintainers.
HOME_PAGE = "https://w3id.org/rustbelt-kg/"
#: What every request says about its sender (Wikimedia's User-Agent policy).
USER_AGENT = (
    f"rustbelt-kg/{__version__} ({HOME_PAGE}; knowledge graph of one news article) "
    "SPARQLWrapper/2"
)
#: Longer queries go by POST: Wikidata's GET limit is about 8,000 bytes of URL.
_MAX_GET_QUERY = 4000
#: Statuses worth another try.
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
#: The longest wait between two tries, in seconds, whatever ``Retry-After`` asks for.
MAX_WAIT = 30.0
#: How long one request waits for its answer (the Wikidata Query Service stops at 60 s).
REQUEST_TIMEOUT = 65.0
#: Bytes read from an answer between two looks at the clock.
_CHUNK = 65536

#: One request in flight per process, whatever the number of clients.
_IN_FLIGHT = threading.Lock()

Row = dict[str, "Node"]
_XSD_STRING = PREFIXES["xsd"] + "string"


def _retry_after(value: str | None, now: Callable[[], float]) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date)."""
    if not value:
        return None
    import email.utils

    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now())


def _term(cell: Mapping[str, Any]) -> Node:
    from rdflib.term import Literal, URIRef

    kind, value = cell["type"], cell["value"]
    if not isinstance(value, str):
        raise TypeError(f"value {value!r} is not a string")
    if kind == "uri":
        return URIRef(value)
    if kind in ("literal", "typed-literal"):
        if "xml:lang" in cell:
            return Literal(value, lang=cell["xml:lang"])
        datatype = cell.get("datatype")
        if datatype == _XSD_STRING:
            datatype = None
        # normalize=False keeps the endpoint's lexical form ("1920-01-01T00:00:00Z").
        return Literal(value, datatype=URIRef(datatype) if datatype else None, normalize=False)
    raise ValueError(f"unsupported term type {kind!r}")


def parse_select(body: bytes) -> tuple[list[str], list[Row]]:
    """Variables and rows of a SPARQL 1.1 results JSON document for a SELECT query.

    Raises ``ValueError``/``KeyError``/``TypeError`` on anything else; the client turns
    them into :class:`MalformedResponse`. Blank nodes are refused: Wikidata has none in
    the answers this project asks for.
    """
    doc = json.loads(body.decode("utf-8"))
    variables = doc["head"]["vars"]
    bindings = doc["results"]["bindings"]
    if not isinstance(variables, list) or not isinstance(bindings, list):
        raise TypeError("head.vars and results.bindings must be lists")
    rows = [{str(k): _term(v) for k, v in binding.items()} for binding in bindings]
    return [str(v) for v in variables], rows


@dataclass
class WikidataClient:
    """Sends SELECT queries to one endpoint, politely; see the module docstring.

    ``sleep``, ``clock`` (wall time, for ``Retry-After`` dates and request spacing) and
    ``timer`` (monotonic, for ``budget``) are injectable so that tests can observe the
    waits without spending them.
    """

    endpoint: str = DEFAULT_ENDPOINT
    timeout: float = REQUEST_TIMEOUT
    retries: int = 3
    backoff: float = 2.0
    max_wait: float = MAX_WAIT
    min_interval: float = 0.25
    user_agent: str = USER_AGENT
    budget: float | None = None
    on_wait: Callable[[str], object] | None = None
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time
    timer: Callable[[], float] = time.monotonic
    requests: int = field(default=0, init=False)
    _last: float | None = field(default=None, init=False, repr=False)
    _deadline: float | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.budget is not None:
            self._deadline = self.timer() + self.budget

    def remaining(self) -> float | None:
        """Seconds left of ``budget`` (``None`` without one)."""
        return None if self._deadline is None else self._deadline - self.timer()

    def _out_of_time(self) -> EndpointTimeout:
        return EndpointTimeout(
            f"the time limit of {self.budget:g} s for the whole command (--timeout) ran out "
            f"after {self.requests} request(s)", endpoint=self.endpoint,
        )

    def select(self, query: str) -> tuple[list[str], list[Row]]:
        """Run a SELECT query; return its variables and rows (rdflib terms).

        Raises an :class:`~rustbelt_kg.errors.EndpointError` subclass on failure.
        """
        attempt = 0
        while True:
            try:
                body = self._send(query)
            except _Retryable as retry:
                if attempt >= self.retries:
                    raise retry.final from None
                self._wait(retry, attempt)
                attempt += 1
                continue
            try:
                return parse_select(body)
            except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError) as err:
                raise MalformedResponse(
                    f"not a SPARQL results JSON document: {err}", endpoint=self.endpoint
                ) from err

    def _wait(self, retry: _Retryable, attempt: int) -> None:
        """Wait before another try, or give up when the wait would be too long."""
        asked = retry.retry_after
        if asked is not None and asked > self.max_wait:
            raise retry.give_up(f"the endpoint asks to wait {asked:.0f} s, longer than the "
                                f"{self.max_wait:g} s this client waits at most; try later")
        wait = min(max(self.backoff * (2**attempt), asked or 0.0), self.max_wait)
        left = self.remaining()
        if left is not None and wait >= left:
            raise retry.give_up(f"another try needs a wait of {wait:g} s, and only "
                                f"{max(left, 0):.1f} s of the --timeout of {self.budget:g} s "
                                "are left")
        if self.on_wait is not None:
            why = f" (Retry-After: {asked:g} s)" if asked is not None else ""
            self.on_wait(f"{self.endpoint}: {retry.what}; waiting {wait:g} s{why} before "
                         f"try {attempt + 2} of {self.retries + 1}")
        self.sleep(wait)

    # -- one request ---------------------------------------------------------------------

    def _read(self, response: Any) -> bytes:
        """The answer's bytes, read in chunks with a look at ``budget`` between them."""
        chunks: list[bytes] = []
        while True:
            left = self.remaining()
            if left is not None and left <= 0:
                raise self._out_of_time()
            chunk = response.read1(_CHUNK)
            if not chunk:
                return b"".join(chunks)
            chunks.append(bytes(chunk))

    def _wrapper(self, query: str, timeout: float) -> SPARQLWrapper:
        from SPARQLWrapper import GET, JSON, POST, SPARQLWrapper

        wrapper = SPARQLWrapper(self.endpoint, agent=self.user_agent)
        wrapper.setOnlyConneg(True)
        wrapper.setReturnFormat(JSON)
        wrapper.setMethod(POST if len(query) > _MAX_GET_QUERY else GET)
        wrapper.setQuery(query)
        # setTimeout() truncates to whole seconds; the attribute takes a float as is.
        wrapper.timeout = timeout  # type: ignore[assignment]
        return wrapper

    def _send(self, query: str) -> bytes:
        import http.client

        from SPARQLWrapper.SPARQLExceptions import EndPointInternalError, SPARQLWrapperException

        with _IN_FLIGHT:
            if self._last is not None and self.min_interval > 0:
                pause = self._last + self.min_interval - self.clock()
                if pause > 0:
                    self.sleep(pause)
            left = self.remaining()
            if left is not None and left <= 0:
                raise self._out_of_time()
            timeout = self.timeout if left is None else min(self.timeout, left)
            clipped = " (what was left of the --timeout)" if timeout < self.timeout else ""
            try:
                self.requests += 1
                response = self._wrapper(query, timeout).query().response
                try:
                    return self._read(response)
                finally:
                    response.close()
            except urllib.error.HTTPError as err:
                err.close()
                raise self._http_error(err.code, err.headers.get("Retry-After")) from err
            except EndPointInternalError as err:  # SPARQLWrapper's name for HTTP 500
                _close_cause(err)
                raise _Retryable(
                    EndpointUnavailable("HTTP 500 Internal Server Error", endpoint=self.endpoint)
                ) from err
            except SPARQLWrapperException as err:  # 400, 401, 404, 414 as SPARQLWrapper maps them
                _close_cause(err)
                raise EndpointError(
                    f"the endpoint rejected the query: {str(err)[:300]}",
                    endpoint=self.endpoint,
                ) from err
            except TimeoutError as err:
                raise EndpointTimeout(
                    f"no answer within {timeout:.3g} s{clipped}", endpoint=self.endpoint
                ) from err
            except urllib.error.URLError as err:
                if isinstance(err.reason, TimeoutError):
                    raise EndpointTimeout(
                        f"no answer within {timeout:.3g} s{clipped}", endpoint=self.endpoint
                    ) from err
                raise _Retryable(
                    EndpointUnavailable(f"cannot connect: {err.reason}", endpoint=self.endpoint)
                ) from err
            except (OSError, http.client.HTTPException) as err:
                raise _Retryable(
                    EndpointUnavailable(f"connection failed: {err!r}", endpoint=self.endpoint)
                ) from err
            except ValueError as err:  # urllib: "unknown url type", "Invalid IPv6 URL"...
                raise EndpointUnavailable(
                    f"not a usable endpoint URL: {err}", endpoint=self.endpoint
                ) from err
            finally:
                self._last = self.clock()

    def _http_error(self, status: int, retry_after: str | None) -> Exception:
        after = _retry_after(retry_after, self.clock)
        if status == 429:
            return _Retryable(
                RateLimited(
                    f"HTTP 429 Too Many Requests after {self.retries} retries",
                    endpoint=self.endpoint,
                ),
                after, "HTTP 429 Too Many Requests",
            )
        error = EndpointUnavailable(f"HTTP {status}", endpoint=self.endpoint)
        if status in _RETRY_STATUSES:
            return _Retryable(error, after, f"HTTP {status}")
        return error


def _close_cause(err: BaseException) -> None:
    """Close the HTTP response SPARQLWrapper left open inside the error it replaced."""
    cause = err.__context__
    if isinstance(cause, urllib.error.HTTPError):
        cause.close()


class _Retryable(Exception):
    """Internal: a failure worth another try; ``final`` is raised when tries run out.

    ``what`` says what happened, for the report of a wait and for :meth:`give_up`.
    """

    def __init__(self, final: EndpointError, retry_after: float | None = None,
                 what: str | None = None) -> None:
        super().__init__(str(final))
        self.final = final
        self.retry_after = retry_after
        self.what = what or str(final).removeprefix(f"{final.endpoint}: ")

    def give_up(self, why: str) -> EndpointError:
        """The error of ``final``'s kind that stops without another try, saying ``why``."""
        return type(self.final)(f"{self.what}: {why}", endpoint=self.final.endpoint)


def utc_now() -> datetime:
    """The current time in UTC, to the second (retrieval times are stamped with it)."""
    return datetime.now(UTC).replace(microsecond=0)
