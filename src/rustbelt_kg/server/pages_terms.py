"""Terms as HTML: links to the served pages, labels, literals; every string escaped.

An IRI under ``https://w3id.org/rustbelt-kg/`` links to the same path on the served base
(``…/id/wan-long`` -> ``{base_url}/id/wan-long``); an ontology class links to its class page
(``/class/Person``), another ontology term to its entry in the documentation
(``/ontology#founder``); any other IRI links out as it is.

>>> links = Links("http://127.0.0.1:8000", {})
>>> links.href("https://w3id.org/rustbelt-kg/id/wan-long")
'http://127.0.0.1:8000/id/wan-long'
>>> str(links.term(Literal("<b>", lang="en")))
'<span class="literal" lang="en">&lt;b&gt;</span>'
"""

from __future__ import annotations

from collections.abc import Mapping

from markupsafe import Markup
from rdflib.term import Literal, Node, URIRef

from rustbelt_kg.namespaces import BASE, RBO
from rustbelt_kg.terms import compact_iri

__all__ = ["Links", "humanise"]

_XSD = "http://www.w3.org/2001/XMLSchema#"


def humanise(name: str) -> str:
    """A local name as words: ``hit-incubator-park-area`` -> ``hit incubator park area``."""
    return name.replace("-", " ").replace("_", " ")


class Links:
    """Links and labels for the terms of one page."""

    def __init__(self, base_url: str, labels: Mapping[str, str],
                 classes: frozenset[str] = frozenset(),
                 definitions: Mapping[str, str] | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.labels = labels
        self.classes = classes
        self.definitions = definitions or {}

    def definition(self, iri: str) -> str:
        """The ontology's definition of ``iri``, or ``""``."""
        return self.definitions.get(str(iri), "")

    def href(self, iri: str) -> str:
        """The served URL of ``iri``."""
        iri = str(iri)
        if iri in self.classes:
            return self.path("/class/" + iri.removeprefix(RBO))
        if iri.startswith(BASE):
            return self.path("/" + iri.removeprefix(BASE))
        return iri

    def path(self, path: str) -> str:
        """A path of the served site as an absolute URL."""
        return self.base_url + path

    def label(self, iri: str) -> str:
        """The label of ``iri``, else its prefixed name, else the IRI."""
        iri = str(iri)  # a URIRef is not equal to the plain string the table is keyed by
        return self.labels.get(iri) or compact_iri(iri, strict=False) or iri

    def safe_href(self, iri: str) -> str | None:
        """The served URL of ``iri`` when a browser may follow it: ``http`` or ``https``
        (never ``javascript:`` or ``data:`` from hostile data), else ``None``."""
        target = self.href(iri)
        return target if target.lower().startswith(("http://", "https://")) else None

    def link(self, iri: str, text: str | None = None) -> Markup:
        """``<a>`` to ``iri`` showing its label (or ``text``), the IRI as its title; an IRI
        a browser should not follow is shown without a link."""
        target = self.safe_href(iri)
        if target is None:
            return Markup('<span class="iri" title="{}">{}</span>').format(
                iri, text if text is not None else self.label(iri))
        outside = "" if target.startswith(self.base_url) else ' rel="external"'
        return Markup('<a href="{}" title="{}"{}>{}</a>').format(
            target, iri, Markup(outside), text if text is not None else self.label(iri)
        )

    def term(self, node: Node) -> Markup:
        """An IRI as a link, a literal as its value (language or datatype noted)."""
        if isinstance(node, URIRef):
            return self.link(str(node))
        if isinstance(node, Literal):
            if node.language:
                return Markup('<span class="literal" lang="{}">{}</span>').format(
                    node.language, str(node))
            datatype = str(node.datatype or "")
            if datatype and not datatype.startswith(_XSD + "string"):
                kind = compact_iri(datatype, strict=False) or datatype
                return Markup('<span class="literal">{}</span> <small class="datatype">{}'
                              "</small>").format(str(node), kind)
            return Markup('<span class="literal">{}</span>').format(str(node))
        return Markup("<span>{}</span>").format(str(node))

    def external(self, node: Node) -> bool:
        """Whether ``node`` is an IRI of another vocabulary (an alignment, when a term's)."""
        return isinstance(node, URIRef) and not str(node).startswith(BASE)

    def text(self, node: Node) -> str:
        """A term as plain words: an IRI's label, a literal's value."""
        return self.label(str(node)) if isinstance(node, URIRef) else str(node)

    def triple(self, subject: Node, predicate: Node, obj: Node) -> Markup:
        """A triple as three terms."""
        return Markup('<span class="triple">{} <span class="predicate">{}</span> {}</span>').format(
            self.term(subject), self.term(predicate), self.term(obj))
