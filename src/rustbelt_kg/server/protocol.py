"""Reading a SPARQL 1.1 Protocol request: which query, on which dataset, in which format.

:func:`read_request` takes the method, the headers, the raw query string and the body of a
request to ``/sparql`` and returns a :class:`ProtocolRequest`, or raises the error the
protocol asks for: an update (``update=``, ``application/sparql-update``) is
:class:`~rustbelt_kg.errors.WriteRefused` (403); a body of an unknown media type is 415;
no query, two queries, bytes that are not UTF-8 are 400. The text then goes through the
project's checks (:func:`rustbelt_kg.sparql.check_query`: size, nesting, operators; no
update, no ``LOAD``; a ``SERVICE`` only to an allowed endpoint) before any engine sees it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs

from rustbelt_kg.errors import RequestRefused, WriteRefused
from rustbelt_kg.sparql import QueryText, check_query, check_services, query_text

__all__ = ["READ_ONLY", "ProtocolRequest", "parse_params", "read_request"]

#: Why every write is refused.
READ_ONLY = (
    "this store is read-only: it is built from the files in data/ (change them and run "
    "`rustbelt-kg build`)"
)

FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"
UPDATE = "application/sparql-update"
#: Most fields in a query string or form.
_MAX_FIELDS = 100


@dataclass(frozen=True)
class ProtocolRequest:
    """A query to run: its text, what :func:`check_query` read in it, the dataset the
    request names, and the other parameters (``format``, ``timeout``)."""

    text: str
    read: QueryText
    default_graphs: tuple[str, ...]
    named_graphs: tuple[str, ...]
    params: Mapping[str, list[str]]

    def param(self, name: str) -> str | None:
        values = self.params.get(name)
        return values[-1] if values else None


def parse_params(raw: bytes | str) -> dict[str, list[str]]:
    """The fields of a query string or form; bytes that are not UTF-8 are a 400."""
    text = raw.decode("latin-1") if isinstance(raw, bytes) else raw
    try:
        return parse_qs(text, keep_blank_values=True, strict_parsing=False, encoding="utf-8",
                        errors="strict", max_num_fields=_MAX_FIELDS)
    except UnicodeDecodeError:
        raise RequestRefused("the request's parameters are not UTF-8") from None
    except ValueError:
        raise RequestRefused(f"more than {_MAX_FIELDS} parameters") from None


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def read_request(
    method: str,
    content_type: str | None,
    query_string: bytes,
    body: bytes,
    services: tuple[str, ...] = (),
) -> ProtocolRequest | None:
    """The query a request carries, checked; ``None`` for a GET without one (the service
    description)."""
    params = parse_params(query_string)
    queries = list(params.get("query", []))
    if method == "POST":
        kind = _media_type(content_type)
        if kind == UPDATE:
            raise WriteRefused(READ_ONLY)
        if kind == FORM:
            form = parse_params(body)
            if "update" in form:
                raise WriteRefused(READ_ONLY)
            for name, values in form.items():
                if name != "query":
                    params.setdefault(name, []).extend(values)
            queries += form.get("query", [])
        elif kind == DIRECT:
            try:
                queries.append(body.decode("utf-8"))
            except UnicodeDecodeError:
                raise RequestRefused("the query is not UTF-8") from None
        elif not kind:
            raise RequestRefused(f"a POSTed query needs a Content-Type: {FORM} or {DIRECT}")
        else:
            raise RequestRefused(
                f"a POSTed query is {FORM} or {DIRECT}, not {kind}", status=415
            )
    elif "update" in params:
        raise WriteRefused(READ_ONLY)
    if not queries:
        if method == "POST":
            raise RequestRefused("no query in the request")
        return None
    if len(queries) > 1:
        raise RequestRefused("more than one query in the request")
    text = query_text(queries[0])
    read = check_query(text)
    check_services(read, services)
    return ProtocolRequest(
        text, read, tuple(params.get("default-graph-uri", [])),
        tuple(params.get("named-graph-uri", [])), params,
    )
