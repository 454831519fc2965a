"""IRIs of the project: one table of namespaces and named graphs.

Every IRI the code mints or matches is derived from this module. The base is
``https://w3id.org/rustbelt-kg/`` (a w3id.org permanent identifier; see
``docs/architecture.md`` for the redirect rules the project publishes).
"""

from __future__ import annotations

from typing import Final

BASE: Final = "https://w3id.org/rustbelt-kg/"

#: The ontology's terms (classes, properties, individuals of controlled lists).
RBO: Final = BASE + "ontology#"
#: Resources the article is about: people, places, companies, amounts.
RB: Final = BASE + "id/"
#: One named graph per claim: its name is the claim's IRI.
CLAIM: Final = BASE + "claim/"
#: Named graphs that are not claims (ontology, provenance, links, enrichment).
GRAPH: Final = BASE + "graph/"
#: SHACL shapes.
RBSH: Final = BASE + "shapes#"

WD: Final = "http://www.wikidata.org/entity/"
WDT: Final = "http://www.wikidata.org/prop/direct/"

#: Prefixes used in every serialisation, sorted; exports print only those they use.
PREFIXES: Final[dict[str, str]] = {
    "claim": CLAIM,
    "dcterms": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "geo": "http://www.opengis.net/ont/geosparql#",
    "oa": "http://www.w3.org/ns/oa#",
    "org": "http://www.w3.org/ns/org#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "prov": "http://www.w3.org/ns/prov#",
    "rb": RB,
    "rbg": GRAPH,
    "rbo": RBO,
    "rbsh": RBSH,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "schema": "https://schema.org/",
    "semapv": "https://w3id.org/semapv/vocab/",
    "sh": "http://www.w3.org/ns/shacl#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "sssom": "https://w3id.org/sssom/",
    "time": "http://www.w3.org/2006/time#",
    "unit": "http://qudt.org/vocab/unit/",
    "vann": "http://purl.org/vocab/vann/",
    "wd": WD,
    "wdt": WDT,
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}

# Named graphs that are not claims.
ONTOLOGY_GRAPH: Final = GRAPH + "ontology"
PROVENANCE_GRAPH: Final = GRAPH + "provenance"
LINKS_GRAPH: Final = GRAPH + "links/wikidata"
ENRICHMENT_GRAPH: Final = GRAPH + "enrichment/wikidata"
SOURCES_GRAPH: Final = GRAPH + "sources"


def sparql_prefixes(*names: str) -> str:
    """The ``PREFIX`` lines of a query for ``names`` (all of :data:`PREFIXES` when none).

    >>> print(sparql_prefixes("wd", "rdfs"), end="")
    PREFIX wd: <http://www.wikidata.org/entity/>
    PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
    """
    return "".join(f"PREFIX {name}: <{PREFIXES[name]}>\n" for name in names or PREFIXES)
