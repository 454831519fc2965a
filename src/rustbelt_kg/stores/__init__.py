"""Stores: the ``Store`` interface and its kinds, looked up by name in :data:`STORES`.

- ``oxigraph`` (default): an embedded Oxigraph store on disk under ``build/store``
  (:mod:`rustbelt_kg.stores.oxigraph`).
- ``memory``: an rdflib ``Dataset`` in memory, filled from the source files
  (:mod:`rustbelt_kg.stores.memory`).
- ``sparql``: a remote server over the W3C SPARQL 1.1 Protocol and Graph Store Protocol
  (:mod:`rustbelt_kg.stores.sparql`; endpoints and credentials:
  :mod:`rustbelt_kg.stores.endpoint`), given by ``--endpoint`` or by name in
  ``rustbelt-kg.toml``.

Queries see the union of all graphs as their default graph, as a set (an RDF merge:
a triple asserted by two claims matches once, in every store). Terms crossing the interface
are rdflib terms; each store converts at its own boundary (literals normalised, see
:func:`rustbelt_kg.results.normalise`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from rdflib.term import Node

from rustbelt_kg.catalog import STORE_HELP
from rustbelt_kg.errors import UsageError
from rustbelt_kg.results import QueryResult, ResultStream
from rustbelt_kg.stores.memory import MemoryStore, memory_dataset
from rustbelt_kg.stores.oxigraph import (
    COUNT_FILE,
    SOURCE_DEFAULT_GRAPH,
    AnyQuad,
    OxigraphStore,
    engine_quads,
)
from rustbelt_kg.terms import (
    Quad,
    from_oxigraph,
    from_oxigraph_quad,
    to_oxigraph,
    to_oxigraph_quad,
)

if TYPE_CHECKING:
    from rustbelt_kg.project import Project
    from rustbelt_kg.stores.endpoint import Endpoints

__all__ = [
    "COUNT_FILE",
    "SOURCE_DEFAULT_GRAPH",
    "STORES",
    "AnyQuad",
    "MemoryStore",
    "OxigraphStore",
    "Quad",
    "Store",
    "StoreKind",
    "endpoints_given",
    "engine_quads",
    "from_oxigraph",
    "from_oxigraph_quad",
    "memory_dataset",
    "open_store",
    "staged",
    "to_oxigraph",
    "to_oxigraph_quad",
]


class Store(Protocol):
    """What every store offers. Quads are ``(s, p, o, g)``, ``g`` ``None`` for the default."""

    def add_quads(self, quads: Iterable[AnyQuad]) -> None: ...  # one transaction
    def replace_all(self, quads: Iterable[AnyQuad]) -> None: ...  # atomic swap of all content
    def writing(self) -> contextlib.AbstractContextManager[None]: ...  # one writer at a time
    def query(
        self, sparql: str, bindings: Mapping[str, Node] | None = None, *,
        services: Iterable[str] = (),
    ) -> QueryResult: ...
    def stream(
        self, sparql: str, bindings: Mapping[str, Node] | None = None, *,
        services: Iterable[str] = (),
    ) -> ResultStream: ...  # rows read as they come
    def quads(self, graph: str | None = None) -> Iterator[Quad]: ...
    def named_graphs(self) -> list[str]: ...
    def __len__(self) -> int: ...
    def close(self) -> None: ...



# -- the registry ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StoreKind:
    """A kind of store: ``open(project, for_build)`` returns a ready store.

    ``for_build=True`` gives a store for :meth:`Store.replace_all` that does not read
    the current content (a corrupt store can be rebuilt); otherwise it is opened for
    reading the current content.
    """

    name: str
    help: str
    open: Callable[[Project, bool], Store]


def _open_oxigraph(project: Project, for_build: bool) -> Store:
    if for_build:
        return OxigraphStore(project.store_path, for_build=True)
    return OxigraphStore(project.store_path, read_only=True)


def _open_memory(project: Project, for_build: bool) -> Store:
    store = MemoryStore()
    if not for_build:
        from rustbelt_kg.load import load_quads

        store.replace_all(load_quads(project))
    return store


#: The endpoints given on the command line (``--endpoint`` ...), for the ``sparql`` store.
_GIVEN_ENDPOINTS: ContextVar[Endpoints | None] = ContextVar("endpoints", default=None)


@contextlib.contextmanager
def endpoints_given(endpoints: Endpoints) -> Iterator[None]:
    """Inside the block, ``--store sparql`` opens ``endpoints``."""
    token = _GIVEN_ENDPOINTS.set(endpoints)
    try:
        yield
    finally:
        _GIVEN_ENDPOINTS.reset(token)


def _open_remote(project: Project, for_build: bool, name: str = "sparql") -> Store:
    from rustbelt_kg.stores.endpoint import CONFIG_FILE, named_endpoints
    from rustbelt_kg.stores.sparql import SparqlStore

    endpoints = _GIVEN_ENDPOINTS.get() if name == "sparql" else None
    endpoints = endpoints or named_endpoints(project.root, name)
    if endpoints is None:
        raise UsageError(
            f"--store {name} needs --endpoint URL, or a [stores.{name}] table with an "
            f"endpoint in {CONFIG_FILE}"
        )
    return SparqlStore(endpoints, for_build=for_build)


_OPENERS: dict[str, Callable[[Project, bool], Store]] = {
    "oxigraph": _open_oxigraph,
    "memory": _open_memory,
    "sparql": _open_remote,
}

#: The registry of stores, by name (names and help: :data:`catalog.STORE_HELP`).
STORES: dict[str, StoreKind] = {
    name: StoreKind(name, help, _OPENERS[name]) for name, help in STORE_HELP.items()
}


@contextlib.contextmanager
def staged(store: Store, quads: Iterable[AnyQuad]) -> Iterator[Store]:
    """``store`` filled with ``quads`` inside the block, its new content made live when the
    block ends without an error (:meth:`OxigraphStore.staging`). A store without staging
    (in memory: nothing on disk to keep whole) is simply replaced."""
    staging = getattr(store, "staging", None)
    if staging is None:
        store.replace_all(quads)
        yield store
        return
    with staging(quads):
        yield store


def open_store(name: str, project: Project, *, for_build: bool = False) -> Store:
    """Open the store called ``name`` for ``project``: a key of :data:`STORES`, or a remote
    store named in the project's ``rustbelt-kg.toml`` (``[stores.NAME]``)."""
    kind = STORES.get(name)
    if kind is not None:
        return kind.open(project, for_build)
    from rustbelt_kg.stores.endpoint import CONFIG_FILE, named_endpoints

    if named_endpoints(project.root, name) is None:
        raise UsageError(
            f"unknown store {name!r}; known: {', '.join(STORES)}, or a [stores.NAME] table "
            f"in {CONFIG_FILE}"
        )
    return _open_remote(project, for_build, name)
