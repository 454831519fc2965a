"""The ontology is a well-formed, consistent OWL 2 DL ontology with a proper header.

Besides our own checks, two independent tools judge it: HermiT (through owlready2; needs Java)
for consistency, and the OWL API's OWL 2 DL profile check (Debian's ``libowlapi-java``, driven
by ``tests/owl/DlProfile.java``; needs a JDK). ``.ci/run`` installs both.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections import defaultdict
from pathlib import Path

import owlready2
import owlrl
import pytest
import rdflib
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, XSD

from rustbelt_kg.namespaces import RB, RBO

ROOT = Path(__file__).resolve().parents[1]
ONTOLOGY = ROOT / "ontology" / "rustbelt.ttl"
ONTOLOGY_IRI = rdflib.URIRef("https://w3id.org/rustbelt-kg/ontology")
ERROR = rdflib.URIRef("http://www.daml.org/2002/03/agents/agent-ont#error")
#: The kinds of entity OWL 2 declares; a term of the ontology has exactly one.
KINDS = {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty,
         OWL.NamedIndividual, RDFS.Datatype}
#: The reserved vocabulary: built in, never declared.
RESERVED = (str(RDF), str(RDFS), str(OWL), str(XSD))
#: The OWL 2 datatype map (OWL 2 Structural Specification, section 4), with rdfs:Literal.
DATATYPE_MAP = {RDFS.Literal, RDF.PlainLiteral, RDF.XMLLiteral, OWL.real, OWL.rational} | {
    XSD[name] for name in [
        "decimal", "integer", "nonNegativeInteger", "nonPositiveInteger", "positiveInteger",
        "negativeInteger", "long", "int", "short", "byte", "unsignedLong", "unsignedInt",
        "unsignedShort", "unsignedByte", "double", "float", "string", "normalizedString",
        "token", "language", "Name", "NCName", "NMTOKEN", "boolean", "hexBinary",
        "base64Binary", "anyURI", "dateTime", "dateTimeStamp",
    ]
}


def _ontology() -> rdflib.Graph:
    return rdflib.Graph().parse(data=ONTOLOGY.read_text(encoding="utf-8"), format="turtle")


def _ontology_with(turtle: str) -> rdflib.Graph:
    """The ontology with some more Turtle (its prefixes apply)."""
    text = ONTOLOGY.read_text(encoding="utf-8") + "\n" + turtle
    return rdflib.Graph().parse(data=text, format="turtle")


def _with_article_facts(graph: rdflib.Graph) -> rdflib.Graph:
    dataset = rdflib.Dataset()
    for path in sorted((ROOT / "data" / "article").glob("*.trig")):
        dataset.parse(data=path.read_text(encoding="utf-8"), format="trig")
    for s, p, o, _ in dataset.quads():
        graph.add((s, p, o))
    return graph


def _owl_rl_errors(graph: rdflib.Graph) -> list[str]:
    owlrl.DeductiveClosure(
        owlrl.OWLRL_Semantics, rdfs_closure=False, axiomatic_triples=False, datatype_axioms=False
    ).expand(graph)
    return sorted(str(o) for o in graph.objects(None, ERROR))


def test_ontology_header_names_title_description_license_version_and_creator() -> None:
    graph = _ontology()
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in graph
    for prop in (DCTERMS.title, DCTERMS.description, DCTERMS.license, DCTERMS.creator):
        assert graph.value(ONTOLOGY_IRI, prop) is not None, prop
    version = graph.value(ONTOLOGY_IRI, OWL.versionIRI)
    assert str(version).startswith(str(ONTOLOGY_IRI) + "/")


def test_ontology_declares_the_core_classes() -> None:
    graph = _ontology()
    for name in (
        "Person", "Company", "Startup", "Park", "University", "GovernmentBody", "Province",
        "City", "Region", "Street", "Policy", "PolicyMeasure", "Industry", "NewsArticle",
        "Investment", "Funding", "Quantity", "MonetaryAmount",
    ):
        assert (rdflib.URIRef(RBO + name), RDF.type, OWL.Class) in graph, name


def test_ontology_and_facts_pass_owl2_rl_closure_without_inconsistency() -> None:
    assert _owl_rl_errors(_with_article_facts(_ontology())) == []


def test_owl2_rl_closure_detects_an_inconsistency() -> None:
    graph = _with_article_facts(_ontology())
    wan = rdflib.URIRef(RB + "wan-long")
    graph.add((wan, RDF.type, rdflib.URIRef(RBO + "Organization")))
    errors = _owl_rl_errors(graph)
    assert errors and "disjoint" in errors[0].lower()


@pytest.mark.parametrize("prefix", ["schema", "prov", "org", "foaf", "time", "oa"])
def test_ontology_aligns_to_widely_used_vocabularies(prefix: str) -> None:
    graph = _ontology()
    assert prefix in dict(graph.namespaces())
    namespace = str(dict(graph.namespaces())[prefix])
    used = {str(o) for o in graph.objects() if str(o).startswith(namespace)}
    assert used, f"no term of {prefix}: is used"


# -- every term declared, with one kind ---------------------------------------------------------


def _kinds(graph: rdflib.Graph, term: rdflib.term.Node) -> set[rdflib.term.Node]:
    return set(graph.objects(term, RDF.type)) & KINDS


def _reserved(term: rdflib.term.Node) -> bool:
    return str(term).startswith(RESERVED)


def _roles(graph: rdflib.Graph) -> dict[rdflib.term.Node, set[str]]:
    """What each IRI is used as: ``class``, ``property`` or ``datatype`` (by its position)."""
    roles: dict[rdflib.term.Node, set[str]] = defaultdict(set)
    for s, p, o in graph:
        roles[p].add("property")
        if p in (RDFS.subClassOf, OWL.equivalentClass, OWL.disjointWith):
            roles[s].add("class")
            roles[o].add("class")
        elif p == RDF.type and not _reserved(o):
            roles[o].add("class")
        elif p == RDFS.subPropertyOf:
            roles[s].add("property")
            roles[o].add("property")
        elif (p == RDFS.domain and _kinds(graph, s) & {OWL.ObjectProperty, OWL.DatatypeProperty}
              or p == RDFS.range and OWL.ObjectProperty in _kinds(graph, s)):
            roles[o].add("class")
        elif p == RDFS.range and OWL.DatatypeProperty in _kinds(graph, s):
            roles[o].add("datatype")
    return {t: r for t, r in roles.items() if isinstance(t, rdflib.URIRef) and not _reserved(t)}


#: The kinds that fit each use of a term.
ROLE_KINDS = {
    "class": {OWL.Class},
    "property": {OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty},
    "datatype": {RDFS.Datatype},
}


def _declaration_problems(graph: rdflib.Graph) -> list[str]:
    """Terms used but not declared, declared with more than one kind, sub-properties of
    another kind than their parent, and data ranges outside the OWL 2 datatype map."""
    problems = []
    for term, roles in sorted(_roles(graph).items()):
        kinds = _kinds(graph, term)
        if len(kinds) != 1 or not all(kinds <= ROLE_KINDS[role] for role in roles):
            found = ", ".join(sorted(graph.qname(k) for k in kinds)) or "none"
            problems.append(f"{term} (used as {'/'.join(sorted(roles))}): kinds {found}")
    for s, o in graph.subject_objects(RDFS.subPropertyOf):
        if _kinds(graph, s) != _kinds(graph, o):
            problems.append(f"{s} rdfs:subPropertyOf {o}: a property of another kind")
    for prop in graph.subjects(RDF.type, OWL.DatatypeProperty):
        for datatype in graph.objects(prop, RDFS.range):
            if datatype not in DATATYPE_MAP and (
                _reserved(datatype) or RDFS.Datatype not in _kinds(graph, datatype)
            ):
                problems.append(f"{prop} rdfs:range {datatype}: not in the OWL 2 datatype map")
    return problems


def test_every_term_the_ontology_uses_is_declared_with_one_kind() -> None:
    assert _declaration_problems(_ontology()) == []


@pytest.mark.parametrize(("addition", "problem"), [
    ("rbo:Startup rdfs:subClassOf schema:Thing .", "https://schema.org/Thing (used as class)"),
    ("rbo:Park rbo:keeper rbo:Person .", "ontology#keeper (used as property)"),
    ("schema:Place a owl:NamedIndividual .", "https://schema.org/Place (used as class)"),
    ("rbo:note a owl:AnnotationProperty ; rdfs:subPropertyOf rbo:statedAs .", "another kind"),
    ("rbo:when a owl:DatatypeProperty ; rdfs:range xsd:date .", "not in the OWL 2 datatype map"),
])
def test_declaration_check_reports_a_term_used_without_its_declaration(
    addition: str, problem: str
) -> None:
    problems = _declaration_problems(_ontology_with(addition))
    assert any(problem in line for line in problems), problems


# -- HermiT ------------------------------------------------------------------------------------


def _hermit_consistent(graph: rdflib.Graph, tmp_path: Path, *, data: bool) -> bool:
    """Whether HermiT finds ``graph`` consistent; a Java error (such as an unsupported
    datatype) raises. With ``data``, HermiT treats literals of a datatype outside the OWL 2
    datatype map as opaque values: the data's dates and durations (see the test below)."""
    path = tmp_path / "input.nt"
    graph.serialize(path, format="nt", encoding="utf-8")
    world = owlready2.World()
    world.get_ontology(path.as_uri()).load(format="ntriples")
    try:
        owlready2.sync_reasoner_hermit(world, debug=0, ignore_unsupported_datatypes=data)
    except owlready2.OwlReadyInconsistentOntologyError:
        return False
    finally:
        world.close()
    return True


def test_hermit_finds_the_ontology_alone_consistent_with_every_datatype_supported(
    tmp_path: Path,
) -> None:
    assert _hermit_consistent(_ontology(), tmp_path, data=False)


def test_hermit_refuses_a_range_outside_the_owl2_datatype_map(tmp_path: Path) -> None:
    graph = _ontology_with("rbo:when a owl:DatatypeProperty ; rdfs:range xsd:date .")
    with pytest.raises(owlready2.OwlReadyJavaError, match="XMLSchema#date"):
        _hermit_consistent(graph, tmp_path, data=False)


def test_the_data_uses_no_datatype_beyond_the_map_but_date_and_duration() -> None:
    """The data's dates and durations are xsd:date and xsd:duration, which SPARQL needs and
    OWL 2 lacks; HermiT is told to take them as opaque values, and nothing else."""
    used = {o.datatype for o in _with_article_facts(rdflib.Graph()).objects()
            if isinstance(o, rdflib.Literal) and o.datatype is not None}
    assert used - DATATYPE_MAP == {XSD.date, XSD.duration}


def test_hermit_finds_the_ontology_and_facts_consistent(tmp_path: Path) -> None:
    assert _hermit_consistent(_with_article_facts(_ontology()), tmp_path, data=True)


def test_hermit_detects_an_inconsistency_in_the_facts(tmp_path: Path) -> None:
    graph = _with_article_facts(_ontology())
    graph.add((rdflib.URIRef(RB + "wan-long"), RDF.type, rdflib.URIRef(RBO + "Organization")))
    assert not _hermit_consistent(graph, tmp_path, data=True)


# -- the OWL API's OWL 2 DL profile check -------------------------------------------------------

#: Debian's OWL API (``libowlapi-java``) and the libraries it needs, in ``/usr/share/java``.
OWLAPI_JARS = [
    "owlapi-distribution", "guava", "caffeine", "commons-rdf-api", "commons-io",
    "commons-codec", "commons-logging", "slf4j-api", "slf4j-nop", "jsr305", "hppcrt", "xz",
    "atinject-jsr330-api", "httpclient", "httpcore", "jackson-annotations", "jackson-core",
    "jackson-databind", "jsonld-java", "rdf4j-model-api", "rdf4j-model",
    "rdf4j-model-vocabulary", "rdf4j-rio-api", "rdf4j-rio-datatypes", "rdf4j-rio-languages",
    "rdf4j-util",
]
DL_PROFILE = Path(__file__).resolve().parent / "owl" / "DlProfile.java"


def _dl_profile(path: Path) -> dict[str, list[str]]:
    """The OWL API's findings on ``path``: ``strict violation``, ``strict unparsed``,
    ``lax violation`` and ``lax unparsed`` lines (see ``tests/owl/DlProfile.java``)."""
    jars = [Path("/usr/share/java") / f"{name}.jar" for name in OWLAPI_JARS]
    missing = [str(jar) for jar in jars if not jar.is_file()]
    assert not missing, f"the OWL API is not installed (.ci/run installs it): {missing}"
    run = subprocess.run(
        ["java", "-cp", os.pathsep.join(map(str, jars)), str(DL_PROFILE), str(path)],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert run.returncode == 0, run.stderr
    findings: dict[str, list[str]] = {key: [] for key in
                                      ("strict violation", "strict unparsed",
                                       "lax violation", "lax unparsed")}
    for line in run.stdout.splitlines():
        mode, kind, text = line.split("\t", 2)
        findings[f"{mode} {kind}"].append(text)
    return findings


_UNPARSED = re.compile(r"^<([^>]*)> <([^>]*)> <([^>]*)>\.$")


def _read_by_owl2_yet_not_by_strict_owl_api(graph: rdflib.Graph, line: str) -> bool:
    """Whether an unparsed triple is ``rdfs:subPropertyOf`` between two declared annotation
    properties: OWL 2 maps it to SubAnnotationPropertyOf (Mapping to RDF, table 16), but
    OWL API 5.1 reads it only when not strict. The lax parser reads it, and its profile check
    must then pass."""
    match = _UNPARSED.match(line)
    if match is None:
        return False
    s, p, o = (rdflib.URIRef(term) for term in match.groups())
    return p == RDFS.subPropertyOf and all(
        _kinds(graph, term) == {OWL.AnnotationProperty} for term in (s, o)
    )


def test_owl_api_finds_the_ontology_in_the_owl2_dl_profile() -> None:
    findings = _dl_profile(ONTOLOGY)
    graph = _ontology()
    unread = [line for line in findings.pop("strict unparsed")
              if not _read_by_owl2_yet_not_by_strict_owl_api(graph, line)]
    assert unread == []
    assert findings == {"strict violation": [], "lax violation": [], "lax unparsed": []}


def test_owl_api_profile_check_reports_an_undeclared_term_and_the_triple_it_drops(
    tmp_path: Path,
) -> None:
    path = tmp_path / "ontology.ttl"
    path.write_text(ONTOLOGY.read_text(encoding="utf-8")
                    + "\nrbo:Startup rdfs:subClassOf schema:Thing .\n", encoding="utf-8")
    findings = _dl_profile(path)
    assert any("Use of undeclared class: <https://schema.org/Thing>" in line
               for line in findings["lax violation"]), findings["lax violation"]
    graph = rdflib.Graph().parse(path, format="turtle")
    unread = [line for line in findings["strict unparsed"]
              if not _read_by_owl2_yet_not_by_strict_owl_api(graph, line)]
    assert any("<https://schema.org/Thing>" in line for line in unread), unread
