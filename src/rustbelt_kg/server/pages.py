"""The HTML pages of the server (a minimal placeholder: titles and links only)."""

from __future__ import annotations

from html import escape
from typing import Any

__all__ = ["Pages"]


def _page(title: str, body: str = "") -> str:
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>'
            f"{escape(title)}</title></head><body><h1>{escape(title)}</h1>{body}</body></html>\n")


class Pages:
    """Renders each page of the site for ``project``, served at ``base_url``."""

    def __init__(self, project: Any, base_url: str) -> None:
        self.project = project
        self.base_url = base_url

    def _known(self, store: Any, iri: str) -> bool:
        from rdflib import URIRef

        ask = "ASK { { ?x ?p ?o } UNION { ?s ?p ?x } UNION { GRAPH ?x { ?s ?p ?o } } }"
        return bool(store.query(ask, {"x": URIRef(iri)}).boolean)

    def article(self, store: Any) -> str:
        return _page("The article")

    def entity(self, store: Any, iri: str) -> str | None:
        return _page(iri) if self._known(store, iri) else None

    def claim(self, store: Any, iri: str) -> str | None:
        return _page(iri) if self._known(store, iri) else None

    def klass(self, store: Any, iri: str) -> str | None:
        return _page(iri) if self._known(store, iri) else None

    def ontology(self, store: Any) -> str:
        return _page("The ontology")

    def search(self, store: Any, q: str) -> str:
        return _page(f"Search: {q}")

    def queries_index(self) -> str:
        return _page("Stored queries")

    def query(self, store: Any, name: str, params: dict[str, str]) -> str:
        from rustbelt_kg.query import get_query, run_query

        result = run_query(store, get_query(self.project, name), params)
        return _page(name, f"<p>{len(result)} row(s)</p>")

    def sparql_form(self) -> str:
        return _page("SPARQL", '<form action="/sparql"><textarea name="query"></textarea>'
                     "<button>Run</button></form>")

    def home(self, store: Any) -> str:
        return _page("rustbelt-kg")
