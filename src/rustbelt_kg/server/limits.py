"""Size limits checked before anything is parsed: 414 for a long URL, 413 for a big body.

:class:`Limits` is ASGI middleware: a request whose path and query string are longer than
``max_url`` bytes gets 414, one whose ``Content-Length`` says more than ``max_body`` bytes
gets 413, both before the application sees them. :func:`read_body` reads a body without a
``Content-Length`` (chunked) and stops with 413 as soon as it is too long.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from rustbelt_kg.errors import RequestRefused

__all__ = ["Limits", "read_body"]


class Limits:
    """Refuses oversized requests before the application reads them."""

    def __init__(self, app: ASGIApp, *, max_body: int, max_url: int) -> None:
        self.app = app
        self.max_body = max_body
        self.max_url = max_url

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        url = len(scope.get("raw_path") or scope["path"].encode()) + len(scope["query_string"])
        if url > self.max_url:
            await _refuse(414, f"the URL is longer than {self.max_url:,} bytes; "
                               "POST the query instead", scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    length = int(value)
                except ValueError:
                    await _refuse(400, "Content-Length is not a number", scope, receive, send)
                    return
                if length > self.max_body:
                    await _refuse(413, f"the request body is larger than {self.max_body:,} "
                                       "bytes", scope, receive, send)
                    return
        await self.app(scope, receive, send)


async def _refuse(status: int, message: str, scope: Scope, receive: Receive, send: Send) -> None:
    response = PlainTextResponse(message + "\n", status_code=status,
                                 headers={"Connection": "close"})
    await response(scope, receive, send)


async def read_body(request: Request, limit: int) -> bytes:
    """The body of ``request``; more than ``limit`` bytes is a 413, raised as soon as the
    limit is passed."""
    parts: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RequestRefused(f"the request body is larger than {limit:,} bytes", status=413)
        parts.append(chunk)
    return b"".join(parts)
