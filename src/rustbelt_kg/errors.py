"""The one exception hierarchy of rustbelt-kg.

Every error the library raises on purpose derives from :class:`RustbeltError`
and carries the exit code the command line uses for it::

    RustbeltError                      exit 5  (unexpected runtime failure)
    ├── UsageError                     exit 2  (bad option, unknown name)
    │   ├── UnknownQueryError          exit 2  (lists the stored queries)
    │   ├── ServiceNotAllowed          exit 2  (SERVICE endpoint not on the allow-list)
    │   └── RequestRefused             exit 2  (an HTTP request the server turns down; ``status``)
    │       ├── NotFound                       (404: no such resource, graph or page)
    │       ├── NotAcceptable                  (406: no media type in Accept is served)
    │       └── WriteRefused                   (403: the served store is read-only)
    ├── SyntaxProblem                  exit 3  (file, line and column)
    │   ├── RdfSyntaxError             exit 3  (Turtle, TriG, N-Triples ...)
    │   ├── QuerySyntaxError           exit 3  (SPARQL)
    │   └── TextEncodingError          exit 3  (a source text that is not UTF-8)
    ├── DataProblem                    exit 1  (the graph is not what it claims)
    │   ├── ValidationFailed           exit 1  (SHACL violations)
    │   ├── CheckFailed                exit 1  (quotes, offsets, coverage, QC)
    │   ├── SourceRuleBroken           exit 1  (an unsourced fact, a graph out of place, a
    │   │                                       blank node in data/; file, line and triple)
    │   ├── SourceMissing              exit 1  (the article text is missing)
    │   ├── ShapesUnusable             exit 1  (shapes a SHACL processor must refuse)
    │   └── QueryMismatch              exit 1  (stored query vs. expected result)
    ├── StoreError                     exit 5  (opening or writing a store)
    ├── OutputError                    exit 5  (a file that cannot be written)
    ├── SourceUnreadable               exit 5  (a source file that cannot be read)
    ├── LimitExceeded                  exit 6  (an input or a query past a documented limit)
    │   ├── NestingTooDeep             exit 6  (an RDF file nested deeper than its limit)
    │   ├── TooManyBlankNodes          exit 6  (more blank nodes than exports can canonicalise)
    │   ├── SourceTooLarge             exit 6  (a source file larger than its limit)
    │   ├── ShapesTooDeep              exit 6  (shapes that nest past pyshacl's depth)
    │   ├── QueryTooComplex            exit 6  (SPARQL text too large or nested too deep)
    │   ├── QueryTimeout               exit 6  (a query ran past its --timeout)
    │   └── ResultTruncated            exit 6  (a server cut its answer at its own limit)
    └── EndpointError                  exit 4  (remote SPARQL endpoint)
        ├── EndpointUnavailable        exit 4  (refused, DNS, HTTP 5xx)
        ├── EndpointTimeout            exit 4
        ├── RateLimited                exit 4  (HTTP 429 after the retries)
        ├── MalformedResponse          exit 4  (not SPARQL results JSON)
        ├── EndpointAuthFailed         exit 4  (HTTP 401/403: wrong or missing password)
        └── EndpointRejected           exit 4  (HTTP 400: the server refused the request)

The CLI catches :class:`RustbeltError` once, prints ``str(error)`` and exits
with ``error.exit_code``; any other exception is an internal error (exit 5).
"""

from __future__ import annotations

from pathlib import Path


class RustbeltError(Exception):
    """Base class of every error rustbelt-kg raises on purpose."""

    exit_code = 5


class UsageError(RustbeltError):
    """The command was called with words that do not fit."""

    exit_code = 2


class UnknownQueryError(UsageError):
    """A stored query name that does not exist; names the ones that do."""

    def __init__(self, name: str, available: list[str]) -> None:
        self.name = name
        self.available = sorted(available)
        listing = "\n".join(f"  {n}" for n in self.available)
        super().__init__(f"no stored query named {name!r}; available queries:\n{listing}")


class ServiceNotAllowed(UsageError):
    """A query calls a ``SERVICE`` whose endpoint was not allowed (``--allow-service``)."""


class RequestRefused(UsageError):
    """An HTTP request the server turns down; ``status`` is the HTTP status it answers with
    (400 unless a subclass or the caller says otherwise: 405, 413, 414, 415)."""

    status = 400

    def __init__(self, message: str, *, status: int | None = None) -> None:
        if status is not None:
            self.status = status
        super().__init__(message)


class NotFound(RequestRefused):
    """No resource, graph or page by that name."""

    status = 404


class NotAcceptable(RequestRefused):
    """None of the media types the request accepts is served for what it asks."""

    status = 406


class WriteRefused(RequestRefused):
    """A write (SPARQL Update, Graph Store PUT/POST/DELETE) to the store, which is served
    read-only."""

    status = 403


class SyntaxProblem(RustbeltError):
    """A text that does not parse. ``line`` and ``column`` are 1-based."""

    exit_code = 3

    def __init__(
        self, message: str, *, path: Path | str | None, line: int | None, column: int | None
    ) -> None:
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.column = column
        where = self.path or "<input>"
        if line is not None:
            where += f":{line}"
            if column is not None:
                where += f":{column}"
        super().__init__(f"{where}: {message}")


class RdfSyntaxError(SyntaxProblem):
    """An RDF file (Turtle, TriG, N-Triples, N-Quads ...) that does not parse."""


class QuerySyntaxError(SyntaxProblem):
    """A SPARQL query or update that does not parse."""


class TextEncodingError(SyntaxProblem):
    """A source text whose bytes are not UTF-8; the message names the first bad byte."""


class DataProblem(RustbeltError):
    """The graph parses but is not what it should be."""

    exit_code = 1


class ValidationFailed(DataProblem):
    """SHACL validation found violations; ``report`` is the readable report."""

    def __init__(self, report: str, result: object | None = None) -> None:
        self.report = report
        self.result = result
        super().__init__(report)


class CheckFailed(DataProblem):
    """A provenance or quality check found problems; one line each in ``problems``."""

    def __init__(self, what: str, problems: list[str]) -> None:
        self.what = what
        self.problems = problems
        body = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{what}: {len(problems)} problem(s)\n{body}")


class QueryMismatch(DataProblem):
    """A stored query's answer differs from its expected result file."""


class SourceRuleBroken(DataProblem):
    """A source file breaks a rule of ``docs/architecture.md`` on what goes in which graph:
    a fact outside a claim graph with a quote, a graph a file of its folder may not write,
    a blank node in ``data/``. ``path`` and ``line`` (1-based, when found) say where."""

    def __init__(self, message: str, *, path: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {message}")


class SourceMissing(DataProblem):
    """A source the graph depends on (the article text every quote points into) is missing."""


class StoreError(RustbeltError):
    """A store could not be opened, read or written."""


class OutputError(RustbeltError):
    """A file could not be written; ``path`` names it. The previous file is left as it was."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"cannot write {self.path}: {reason}")


class SourceUnreadable(RustbeltError):
    """A source file that cannot be read: a folder, a FIFO or a device where a file should
    be, no permission. ``path`` names it as shown."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"cannot read {self.path}: {reason}")


class LimitExceeded(RustbeltError):
    """An input or a query went past one of the documented limits (nesting depth, size,
    time, rows). ``limit`` names the limit, so the message can say how to raise it."""

    exit_code = 6

    def __init__(self, message: str, *, limit: str | None = None) -> None:
        self.limit = limit
        super().__init__(message)


class NestingTooDeep(LimitExceeded):
    """An RDF file nests brackets, lists or graphs deeper than the limit its message names."""

    def __init__(self, path: str, line: int, limit: int) -> None:
        self.path = path
        self.line = line
        super().__init__(
            f"{path}:{line}: nested more than {limit} levels deep ([ ], ( ) or {{ }}); "
            f"the limit keeps the parsers and canonicalisation safe: flatten the data",
            limit=f"nesting depth {limit}",
        )


class TooManyBlankNodes(LimitExceeded):
    """The files loaded into the store hold more blank nodes than the limit: canonicalising
    them for the exports would take too long."""

    def __init__(self, path: str, line: int | None, limit: int) -> None:
        self.path = path
        self.line = line
        where = f"{path}:{line}" if line is not None else path
        super().__init__(
            f"{where}: more than {limit} blank nodes in the sources loaded into the store "
            "(data/ may hold none); canonicalising more for the exports takes too long: "
            "give the nodes IRIs",
            limit=f"blank nodes {limit}",
        )


class SourceTooLarge(LimitExceeded):
    """A source file larger than the limit its message names; the rest is never read."""

    def __init__(self, path: str, limit: int) -> None:
        self.path = path
        super().__init__(
            f"{path}: larger than {limit // (1024 * 1024)} MiB, the limit for this kind of "
            "file; split it",
            limit=f"file size {limit}",
        )


class ShapesTooDeep(LimitExceeded):
    """Shapes that refer to shapes (``sh:node``, ``sh:property`` ...) deeper than the SHACL
    processor follows; the message names the first shapes of the chain."""


class QueryTooComplex(LimitExceeded):
    """A SPARQL text past a limit of :mod:`rustbelt_kg.sparql` (size, nesting depth,
    operators), found before any engine saw it; the message names the file and position,
    ``limit`` the constant (``MAX_NESTING``, ``MAX_OPERATORS``, ``MAX_PATTERNS``,
    ``MAX_QUERY_SIZE``)."""


class QueryTimeout(LimitExceeded):
    """A query ran longer than its timeout and was stopped."""


class ResultTruncated(LimitExceeded):
    """A remote server cut its answer at its own row or time limit (Virtuoso's
    ``ResultSetMaxRows``, ``MaxQueryExecutionTime``): what it sent is not the answer."""


class EndpointError(RustbeltError):
    """A remote SPARQL endpoint failed; nothing was written."""

    exit_code = 4

    def __init__(self, message: str, *, endpoint: str | None = None) -> None:
        self.endpoint = endpoint
        super().__init__(f"{endpoint}: {message}" if endpoint else message)


class EndpointUnavailable(EndpointError):
    """The endpoint refused the connection or answered with a server error."""


class EndpointTimeout(EndpointError):
    """The endpoint did not answer in time."""


class RateLimited(EndpointError):
    """The endpoint kept answering 429 Too Many Requests."""


class MalformedResponse(EndpointError):
    """The endpoint's answer was not the SPARQL results document it should be."""


class EndpointAuthFailed(EndpointError):
    """The server refused our credentials (HTTP 401 or 403), or asked for some we lack."""


class EndpointRejected(EndpointError):
    """HTTP 400: the server refused the request; ``detail`` is its message (often a syntax
    error in the server's own dialect)."""

    def __init__(self, detail: str, *, endpoint: str | None = None) -> None:
        self.detail = detail
        super().__init__(f"HTTP 400: {detail}", endpoint=endpoint)


class ShapesUnusable(DataProblem):
    """Shapes the SHACL processor refuses to use (a SHACL failure, such as a SPARQL
    constraint that binds a variable SHACL reserves); the message is the processor's."""
