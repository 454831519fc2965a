"""Our server under uvicorn on a free loopback port, for the server tests.

:func:`running` starts :func:`rustbelt_kg.server.uvicorn_server` in a thread on a
socket bound to 127.0.0.1 port 0 (so the port is ours), waits until it has started (its
workers too), yields its base URL and stops it at the end. Nothing here reaches beyond the
loopback interface.
"""

from __future__ import annotations

import contextlib
import dataclasses
import socket
import threading
import time
from collections.abc import Iterator

from rustbelt_kg.project import Project
from rustbelt_kg.server import ServerConfig, uvicorn_server


@contextlib.contextmanager
def running(project: Project, config: ServerConfig | None = None) -> Iterator[str]:
    """The base URL (``http://127.0.0.1:PORT``) of our server for ``project``, running."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = dataclasses.replace(config or ServerConfig(), host="127.0.0.1", port=port)
    server = uvicorn_server(project, config, log_level="warning", lifespan="on")
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()
