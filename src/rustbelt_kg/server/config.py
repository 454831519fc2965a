"""The settings of the server, one table: :class:`ServerConfig`.

Every limit the server enforces is here with its default, so that the README, the
``serve`` command and the tests read the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rustbelt_kg.sparql import MAX_QUERY_SIZE

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "DEFAULT_QUERY_TIMEOUT",
    "MAX_BODY",
    "MAX_ROWS",
    "MAX_URL",
    "ServerConfig",
]

#: Only this machine can connect unless ``--host`` says otherwise.
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
#: Seconds a request's query may run (``--timeout``): the default and the most a request
#: may have; a request may ask for less with ``timeout=``.
DEFAULT_QUERY_TIMEOUT = 10.0
#: Rows of a SELECT answer; past it the answer is cut and says so.
MAX_ROWS = 10_000
#: Bytes of a request body (a POSTed query, form-encoded or not): past it, 413.
MAX_BODY = 3 * MAX_QUERY_SIZE
#: Bytes of a request's path and query string: past it, 414.
MAX_URL = 8192


@dataclass(frozen=True)
class ServerConfig:
    """How one server runs. ``base_url`` is the address it is reached at (its paths stand
    for the IRIs under :data:`rustbelt_kg.namespaces.BASE`); ``store_path`` serves another
    store than the project's ``build/store`` (tests)."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    base_url: str | None = None
    timeout: float = DEFAULT_QUERY_TIMEOUT
    max_rows: int = MAX_ROWS
    max_body: int = MAX_BODY
    max_url: int = MAX_URL
    #: Worker processes that run queries (each killable on its own).
    workers: int = 3
    #: ``SERVICE`` endpoints a query may call; none by default.
    services: tuple[str, ...] = ()
    #: Answers to GET requests are kept per store build (the store changes only then).
    cache: bool = True
    store_path: Path | None = field(default=None)

    @property
    def served_base(self) -> str:
        """The base the server is reached at, with a final ``/``."""
        base = self.base_url or f"http://{self.host}:{self.port}"
        return base.rstrip("/") + "/"

    def request_timeout(self, asked: str | None) -> float:
        """The timeout of one request: ``timeout=`` when given and lower, else the server's
        (:attr:`timeout`, its maximum too)."""
        from rustbelt_kg.errors import RequestRefused

        if asked is None or asked == "":
            return self.timeout
        try:
            seconds = float(asked)
        except ValueError:
            seconds = -1.0
        if not 0 < seconds < float("inf"):
            raise RequestRefused(f"timeout={asked!r} is not a positive number of seconds")
        return min(seconds, self.timeout)
