"""The HTTP status of each error, in one table, and the short message a client sees.

:data:`STATUSES` maps the classes of :mod:`rustbelt_kg.errors` to statuses, most specific
first; :func:`status_for` finds an error's row. :func:`public_message` is the body of an
error response: one short paragraph, no traceback, no path of this machine.

>>> from rustbelt_kg.errors import QueryTimeout, UsageError
>>> status_for(QueryTimeout("slow")), status_for(UsageError("no"))
(503, 400)
>>> public_message(UsageError("cannot read /home/me/kg/queries/x.rq: gone"))
'cannot read …/x.rq: gone'
"""

from __future__ import annotations

import re

from rustbelt_kg import errors

__all__ = ["STATUSES", "public_message", "status_for"]

#: Error class, HTTP status, what it means; the README's table is this one.
STATUSES: tuple[tuple[type[errors.RustbeltError], int, str], ...] = (
    (errors.UnknownQueryError, 404, "no stored query by that name"),
    (errors.ServiceNotAllowed, 403, "a SERVICE endpoint that is not on the allow-list"),
    (errors.UsageError, 400, "a request that does not fit (bad parameter, update as query)"),
    (errors.SyntaxProblem, 400, "a query that does not parse"),
    (errors.QueryTimeout, 503, "the query ran past its timeout and was stopped"),
    (errors.LimitExceeded, 400, "a query past a limit (nesting, operators, patterns)"),
    (errors.StoreError, 503, "the store is not built or cannot be read"),
    (errors.EndpointError, 502, "a SERVICE endpoint failed"),
    (errors.RustbeltError, 500, "anything else"),
)


def status_for(error: errors.RustbeltError) -> int:
    """The HTTP status for ``error``: its own ``status`` (a
    :class:`~rustbelt_kg.errors.RequestRefused`), else its row of :data:`STATUSES`."""
    if isinstance(error, errors.RequestRefused):
        return error.status
    for cls, status, _ in STATUSES:
        if isinstance(error, cls):
            return status
    return 500


#: An absolute path of this machine (not the path of an IRI: no ``:`` or ``/`` before it).
_PATH = re.compile(r"(?<![\w:/.\-])/(?:[\w.\-]+/)+([\w.\-]*)")
_LONGEST = 600


def public_message(error: errors.RustbeltError) -> str:
    """What the client reads: the message, with absolute paths cut to their last part,
    and no more than a few hundred characters. A store that cannot be read says only that."""
    if isinstance(error, errors.StoreError):
        return "the store is not available: build it with `rustbelt-kg build`"
    if status_for(error) == 500:
        return "internal error"
    text = _PATH.sub(lambda m: f"…/{m.group(1)}", str(error)).strip()
    return text if len(text) <= _LONGEST else text[: _LONGEST - 1] + "…"
