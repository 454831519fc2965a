"""The ``memory`` store: an rdflib ``Dataset`` in memory whose default graph is the union.

It answers like :class:`rustbelt_kg.stores.oxigraph.OxigraphStore` (a set union, literals
normalised at the boundary: see :func:`rustbelt_kg.results.normalise`), so results of
the two engines compare equal. It is registered in :data:`rustbelt_kg.stores.STORES`.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox
from rdflib.term import Node, URIRef

from rustbelt_kg import namespaces
from rustbelt_kg.errors import QuerySyntaxError, QueryTooComplex, RustbeltError, StoreError
from rustbelt_kg.results import CollectsStream, ResultStream, normalise
from rustbelt_kg.sparql import check_query, check_services
from rustbelt_kg.terms import from_oxigraph_quad

if TYPE_CHECKING:
    from rdflib import Dataset, Graph

    from rustbelt_kg.terms import Quad

__all__ = ["MemoryStore", "memory_dataset"]


class MemoryStore(CollectsStream):
    """An rdflib ``Dataset`` in memory whose default graph is the union of all graphs."""

    def __init__(self) -> None:
        from rdflib import Dataset

        self.dataset: Dataset = Dataset(default_union=True)

    def add_quads(self, quads: Iterable[Quad | ox.Quad]) -> None:
        """Add quads (all at once: the list is built before the dataset changes); pyoxigraph
        quads become rdflib quads here, at this store's boundary.

        ``"x"^^xsd:string`` literals are stored as ``"x"``, as Oxigraph stores them.
        """
        from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

        graphs: dict[Node | None, Graph] = {None: self.dataset.graph(DATASET_DEFAULT_GRAPH_ID)}
        batch = []
        for quad in quads:
            s, p, o, g = from_oxigraph_quad(quad) if isinstance(quad, ox.Quad) else quad
            if g not in graphs:
                graphs[g] = self.dataset.graph(g)  # type: ignore[arg-type]
            batch.append((s, p, normalise(o), graphs[g]))
        self.dataset.addN(batch)  # type: ignore[arg-type]

    def replace_all(self, quads: Iterable[Quad | ox.Quad]) -> None:
        """Fill a new dataset, then swap it in."""
        old = self.dataset
        fresh = MemoryStore()
        fresh.add_quads(quads)
        self.dataset = fresh.dataset
        del old

    def stream(
        self,
        sparql: str,
        bindings: Mapping[str, Node] | None = None,
        *,
        services: Iterable[str] = (),
    ) -> ResultStream:
        """:meth:`query` as a :class:`ResultStream`: rows as rdflib evaluates them."""
        import rdflib.plugins.sparql
        from pyparsing import ParseBaseException
        from rdflib.plugins.sparql import prepareQuery

        check_services(check_query(sparql), services)
        rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS = False  # FROM <file:...> reads no file
        try:
            prepared = prepareQuery(sparql, initNs=dict(namespaces.PREFIXES))
        except ParseBaseException as error:
            message = str(error.msg) if error.msg else str(error)
            raise QuerySyntaxError(
                message, path=None, line=error.lineno, column=error.col
            ) from error
        except RecursionError as error:
            raise _too_deep() from error
        except Exception as error:  # rdflib raises plain Exception for unknown prefixes
            raise QuerySyntaxError(str(error), path=None, line=None, column=None) from error
        try:
            with warnings.catch_warnings():
                # rdflib's SPARQL engine calls its own deprecated Dataset methods
                warnings.filterwarnings("ignore", r"Dataset\.\w+ is deprecated", DeprecationWarning)
                return self._evaluate(prepared, bindings)
        except RecursionError as error:
            raise _too_deep() from error
        except Exception as error:
            raise StoreError(f"query failed: {error}") from error

    def _evaluate(self, prepared: Any, bindings: Mapping[str, Node] | None) -> ResultStream:
        init: dict[str, Any] = dict(bindings or {})
        answer = self.dataset.query(prepared, initBindings=init)
        if answer.type == "ASK":
            return ResultStream("ask", boolean=bool(answer.askAnswer))
        if answer.type == "SELECT":
            names = [str(v) for v in answer.vars or []]
            return ResultStream.select(names, _rows(answer))
        from rdflib import Graph

        graph = Graph()
        for triple in answer.graph or []:
            graph.add(tuple(normalise(t) for t in triple))  # type: ignore[arg-type]
        return ResultStream("graph", graph=graph)

    def quads(self, graph: str | None = None) -> Iterator[Quad]:
        """Every quad, or those of one named graph."""
        from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

        if graph is not None:
            for s, p, o in self.dataset.graph(URIRef(graph)).triples((None, None, None)):
                yield (s, p, o, URIRef(graph))
            return
        for s, p, o, g in self.dataset.quads((None, None, None, None)):
            yield (s, p, o, None if g == DATASET_DEFAULT_GRAPH_ID else g)

    def named_graphs(self) -> list[str]:
        """The IRIs of the named graphs that hold triples, sorted."""
        from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

        return sorted(
            str(g.identifier) for g in self.dataset.graphs()
            if g.identifier != DATASET_DEFAULT_GRAPH_ID and len(g)
        )

    def __len__(self) -> int:
        return sum(1 for _ in self.quads())

    def writing(self) -> contextlib.AbstractContextManager[None]:
        """Nothing to lock: the store lives in this process only."""
        return contextlib.nullcontext()

    def close(self) -> None:
        """Nothing to release."""


def _rows(answer: Any) -> Iterator[dict[str, Node]]:
    """The rows of an rdflib SELECT answer as rdflib evaluates them, one at a time (rdflib
    builds its whole list first when asked for ``bindings``); errors as :meth:`stream`'s."""
    # rdflib keeps the evaluation's generator until ``bindings`` lists it all; iterating the
    # answer itself would drop empty solutions (``SELECT * {}`` has one row).
    pending = getattr(answer, "_genbindings", None)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", r"Dataset\.\w+ is deprecated", DeprecationWarning)
            for binding in pending if pending is not None else answer.bindings:
                yield {str(k): v for k, v in binding.items()}
    except RecursionError as error:
        raise _too_deep() from error
    except RustbeltError:
        raise
    except Exception as error:
        raise StoreError(f"query failed: {error}") from error


def _too_deep() -> QueryTooComplex:
    return QueryTooComplex(
        "the query is nested too deep for rdflib's SPARQL engine (the memory store)",
        limit="rdflib recursion",
    )


def memory_dataset(quads: Iterable[Quad]) -> Dataset:
    """An rdflib ``Dataset`` (default graph = union) holding ``quads``."""
    store = MemoryStore()
    store.add_quads(quads)
    return store.dataset
