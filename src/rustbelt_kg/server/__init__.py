"""The linked-data server: a SPARQL 1.1 endpoint, IRIs that resolve, pages to read.

``rustbelt-kg serve`` runs :func:`serve`; :func:`create_app` builds the ASGI application
(Starlette) for tests and other servers. See the README's "Serving the graph" section for
the routes, the limits and the HTTP statuses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rustbelt_kg.server.config import ServerConfig

if TYPE_CHECKING:
    import uvicorn
    from starlette.applications import Starlette

    from rustbelt_kg.project import Project

__all__ = ["ServerConfig", "create_app", "serve", "uvicorn_server"]


def create_app(project: Project, config: ServerConfig | None = None) -> Starlette:
    """The application serving ``project``'s built store
    (:func:`rustbelt_kg.server.app.create_app`)."""
    from rustbelt_kg.server.app import create_app as create

    return create(project, config)


def uvicorn_server(project: Project, config: ServerConfig, **options: Any) -> uvicorn.Server:
    """A uvicorn server for ``project`` on ``config.host``:``config.port`` (``options``:
    more of :class:`uvicorn.Config`). Request lines may be twice the URL limit, so that a
    longer URL reaches the application and gets its 414."""
    import uvicorn

    settings: dict[str, Any] = {"log_level": "info", "proxy_headers": False,
                                "server_header": False, **options}
    return uvicorn.Server(uvicorn.Config(
        create_app(project, config), host=config.host, port=config.port,
        h11_max_incomplete_event_size=2 * config.max_url, **settings,
    ))


def serve(project: Project, config: ServerConfig) -> None:
    """Serve ``project`` on ``config.host``:``config.port`` with uvicorn until stopped."""
    uvicorn_server(project, config).run()
