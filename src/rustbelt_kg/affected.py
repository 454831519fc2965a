"""What a change to the data can affect: which focus nodes, which queries.

An incremental build (:mod:`rustbelt_kg.incremental`) starts from a store that passed every
check, so only what a change can reach needs checking again. The reach is read off the
shapes and the queries, never guessed:

- A SPARQL query's answer depends only on the quads that match one of its triple patterns.
  :func:`query_keys` lists them as ``(predicate, class)`` keys (the class for ``?x a C``);
  a query whose patterns can match any predicate (a variable predicate, a negated or
  zero-length path) has none (``None``) and always runs again.
- A shape reads, from each focus node, triples a bounded number of hops away
  (:attr:`Reach.depth`: its paths, nested shapes, ``sh:class`` on values, the chains of its
  SPARQL constraints that start at ``$this``). A changed triple can then only change the
  verdict on a focus node from which its subject is fewer hops away: those are found by
  walking the graph backwards from the changed subjects (:func:`focus_nodes`).
- A SPARQL constraint pattern not tied to ``$this`` by plain forward steps (``?article a
  rbo:NewsArticle``, ``rbo:partOf*``) reads data anywhere: its keys are
  :attr:`Reach.global_keys`. A change that matches one makes every target of that shape a
  focus node; the data such patterns read is given to the validator whole.

Anything the analysis cannot bound (an inverse or repeated path in a core shape, shapes that
nest recursively, a ``sh:target`` of SHACL-AF, a query it cannot parse) gives ``None``, and
the build falls back to a full validation, saying why.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox
from rdflib import RDF, RDFS, Graph, Namespace, URIRef, Variable
from rdflib.paths import AlternativePath, InvPath, MulPath, SequencePath
from rdflib.term import Node

from rustbelt_kg import namespaces

__all__ = [
    "Analysis",
    "Key",
    "Reach",
    "focus_nodes",
    "matches",
    "neighbourhood",
    "query_keys",
    "reach",
    "shape_alone",
    "targets",
]

SH = Namespace("http://www.w3.org/ns/shacl#")
_TYPE = str(RDF.type)

#: ``(predicate IRI, class IRI or None)``: the quads a triple pattern can match.
Key = tuple[str, str | None]

#: Where a pattern's predicates are unbounded or unknown.
_ANY = object()


def _path_predicates(path: Any) -> tuple[list[str], bool, bool] | None:
    """(predicates of ``path``, whether it repeats or goes backwards, whether it has a
    zero-length step, which matches every node with itself); ``None`` if it can match any
    predicate."""
    if isinstance(path, URIRef):
        return [str(path)], False, False
    if isinstance(path, (SequencePath, AlternativePath)):
        found: list[str] = []
        repeats = zero = False
        for part in path.args:
            inner = _path_predicates(part)
            if inner is None:
                return None
            found += inner[0]
            repeats, zero = repeats or inner[1], zero or inner[2]
        return found, repeats, zero
    if isinstance(path, InvPath):
        inner = _path_predicates(path.arg)
        return None if inner is None else (inner[0], True, inner[2])
    if isinstance(path, MulPath):
        inner = _path_predicates(path.path)
        return None if inner is None else (inner[0], True, inner[2] or path.zero)
    return None  # a variable, a negated property set


def _patterns(algebra: Any) -> Iterator[tuple[Any, Any, Any]]:
    """Every triple pattern in a query's algebra (EXISTS and subqueries included)."""
    if isinstance(algebra, dict):
        for name, value in algebra.items():
            if name == "triples" and isinstance(value, list):
                flat = [term for t in value for term in t]  # parsed EXISTS: subject blocks
                yield from zip(flat[0::3], flat[1::3], flat[2::3], strict=True)
            else:
                yield from _patterns(value)
    elif isinstance(algebra, (list, tuple)):
        for value in algebra:
            yield from _patterns(value)
    elif hasattr(algebra, "expr") or hasattr(algebra, "name"):
        yield from _patterns(getattr(algebra, "__dict__", {}))


def _algebra(text: str) -> Any | None:
    from rdflib.plugins.sparql import prepareQuery

    try:
        return prepareQuery(text, initNs=dict(namespaces.PREFIXES)).algebra
    except Exception:  # noqa: BLE001 - any query rdflib cannot read is analysed as "anything"
        return None


def _key(predicate: str, value: Any) -> Key:
    return predicate, str(value) if predicate == _TYPE and isinstance(value, URIRef) else None


def query_keys(text: str) -> frozenset[Key] | None:
    """The keys of the quads a query's answer depends on; ``None`` when it may depend on any.

    >>> sorted(query_keys("SELECT ?x WHERE { ?x a rbo:Park ; rbo:area ?a }"))  # doctest: +ELLIPSIS
    [('...22-rdf-syntax-ns#type', '...ontology#Park'), ('...ontology#area', None)]
    >>> query_keys("SELECT * WHERE { ?s ?p ?o }") is None
    True
    """
    algebra = _algebra(text)
    if algebra is None:
        return None
    keys: set[Key] = set()
    for _, predicate, value in _patterns(algebra):
        found = _path_predicates(predicate)
        if found is None or found[2]:
            return None
        keys.update(_key(p, value) for p in found[0])
    return frozenset(keys)


def matches(keys: Iterable[Key] | None, changed: Iterable[Key]) -> bool:
    """Whether quads of the ``changed`` keys (their class, for rdf:type) can match ``keys``."""
    if keys is None:
        return True
    wanted = set(keys)
    return any((p, None) in wanted or (p, c) in wanted for p, c in changed)


# -- shapes ---------------------------------------------------------------------------------


@dataclass
class Reach:
    """How far the shapes read from a focus node (``depth``: 1 is its own triples), and the
    keys that SPARQL constraints read anywhere, by node shape."""

    depth: int
    global_keys: dict[Node, frozenset[Key]] = field(default_factory=dict)
    #: How far each shape of :attr:`global_keys` reads from its targets.
    depths: dict[Node, int] = field(default_factory=dict)

    def triggered(self, changed: Iterable[Key]) -> list[Node]:
        """The node shapes whose every target a change of these keys can affect."""
        changed = list(changed)
        return [shape for shape, keys in self.global_keys.items() if matches(keys, changed)]

    @property
    def everywhere(self) -> frozenset[Key]:
        """Every key some constraint reads anywhere."""
        return frozenset().union(*self.global_keys.values())


def _sparql_reach(text: str) -> tuple[int, frozenset[Key]] | None:
    """(hops from ``$this``, keys read anywhere) of one SHACL-SPARQL query."""
    algebra = _algebra(text)
    if algebra is None:
        return None
    patterns = list(_patterns(algebra))
    distance: dict[Any, int] = {Variable("this"): 0}
    changed = True
    while changed:  # how far each variable is from $this by plain forward steps
        changed = False
        for subject, predicate, value in patterns:
            found = _path_predicates(predicate)
            if subject in distance and found is not None and not found[1]:
                steps = len(found[0]) if isinstance(predicate, SequencePath) else 1
                reached = distance[subject] + steps
                if isinstance(value, Variable) and distance.get(value, reached + 1) > reached:
                    distance[value] = reached
                    changed = True
    depth, anywhere = 1, set[Key]()
    for subject, predicate, value in patterns:
        found = _path_predicates(predicate)
        if found is None:
            return None
        if subject in distance and not found[1]:
            depth = max(depth, distance[subject] + len(found[0]))
        else:
            anywhere.update(_key(p, value) for p in found[0])
    return depth, frozenset(anywhere)


def _list(shapes: Graph, head: Node | None) -> list[Node]:
    return [] if head is None else list(shapes.items(head))


def _members(shapes: Graph, node: Node) -> list[Node]:
    """The shapes ``node`` applies to the same focus (``sh:node``, logic, qualified)."""
    found = [*shapes.objects(node, SH.node), *shapes.objects(node, SH.qualifiedValueShape),
             *shapes.objects(node, SH["not"])]
    for logic in (SH["and"], SH["or"], SH.xone):
        for head in shapes.objects(node, logic):
            found += _list(shapes, head)
    return found


def _shape_depth(shapes: Graph, node: Node, seen: frozenset[Node],
                 anywhere: dict[Node, frozenset[Key]]) -> int | None:
    if node in seen:
        return None  # recursive shapes: no bound
    seen = seen | {node}
    depth = 1
    path = shapes.value(node, SH.path)
    hops = 0
    if path is not None:
        found = _path_predicates(_rdflib_path(shapes, path))
        if found is None or found[1] or found[2]:
            return None
        hops = len(found[0]) if isinstance(_rdflib_path(shapes, path), SequencePath) else 1
        depth = hops + (1 if (node, SH["class"], None) in shapes else 0)
    for member in [*_members(shapes, node), *shapes.objects(node, SH.property)]:
        inner = _shape_depth(shapes, member, seen, anywhere)
        if inner is None:
            return None
        depth = max(depth, hops + inner)
    for constraint in shapes.objects(node, SH.sparql):
        for text in (*shapes.objects(constraint, SH.select), *shapes.objects(constraint, SH.ask)):
            sparql = _sparql_reach(str(text))
            if sparql is None:
                return None
            depth = max(depth, hops + sparql[0])
            if sparql[1]:
                anywhere[node] = anywhere.get(node, frozenset()) | sparql[1]
    if path is not None and node in anywhere:
        return None  # a property shape's constraint reading anywhere: its targets are unclear
    return depth


def _rdflib_path(shapes: Graph, path: Node) -> Any:
    """The SHACL path ``path`` as an rdflib path; ``None`` (no bound) if it is not one."""
    try:
        return _as_path(shapes, path)
    except ValueError:
        return None


def _as_path(shapes: Graph, path: Node) -> Any:
    if isinstance(path, URIRef):
        return path
    items = _list(shapes, path) if (path, RDF.first, None) in shapes else None
    if items:
        return SequencePath(*(_as_path(shapes, item) for item in items))
    for predicate in (SH.inversePath, SH.zeroOrMorePath, SH.oneOrMorePath, SH.zeroOrOnePath):
        inner = shapes.value(path, predicate)
        if inner is not None:
            if predicate == SH.inversePath:
                return InvPath(_as_path(shapes, inner))
            return MulPath(_as_path(shapes, inner), "+" if predicate == SH.oneOrMorePath else "*")
    alternatives = shapes.value(path, SH.alternativePath)
    if alternatives is not None:
        return AlternativePath(*(_as_path(shapes, item) for item in _list(shapes, alternatives)))
    raise ValueError(path)


def reach(shapes: Graph) -> Reach | None:
    """How far ``shapes`` read from a focus node; ``None`` when that has no bound."""
    if (None, SH.target, None) in shapes or (None, SH.targetObjectsOf, None) in shapes:
        return None  # targets that a change of an object's triples can make
    result = Reach(1)
    roots = {s for s in shapes.subjects(RDF.type, SH.NodeShape)}
    roots |= {s for s in shapes.subjects(RDF.type, SH.PropertyShape)}
    for target in (SH.targetClass, SH.targetNode, SH.targetSubjectsOf):
        roots |= set(shapes.subjects(target, None))
    for root in roots:
        anywhere: dict[Node, frozenset[Key]] = {}  # by the shape (nested or not) reading it
        found = _shape_depth(shapes, root, frozenset(), anywhere)
        if found is None:
            return None
        result.depth = max(result.depth, found)
        if anywhere:  # the root's targets are what a matching change reaches
            result.global_keys[root] = frozenset().union(*anywhere.values())
            result.depths[root] = found
    return result


def shape_alone(shapes: Graph, shape: Node) -> Graph:
    """``shape`` with all it refers to (nested shapes, constraints, prefixes), alone."""
    alone = Graph(bind_namespaces="none")
    todo, seen = [shape], set()
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        for triple in shapes.triples((node, None, None)):
            alone.add(triple)
            if (triple[2], None, None) in shapes and triple[1] != RDF.type:
                todo.append(triple[2])
    return alone


class Analysis:
    """:func:`query_keys` and :func:`reach`, remembered by the SHA-256 of what they read.

    rdflib's SPARQL parser takes about 0.3 s a query, longer than an incremental build
    should; the texts seldom change, so an incremental build keeps ``cache`` (plain JSON
    data) in its manifest and reads only new texts.
    """

    def __init__(self, cache: dict[str, Any] | None = None) -> None:
        self.old = dict(cache or {})
        self.cache: dict[str, Any] = {}

    def _remembered(self, key: str, compute: Any) -> Any:
        if key not in self.cache:
            self.cache[key] = self.old[key] if key in self.old else compute()
        return self.cache[key]

    def query_keys(self, text: str) -> frozenset[Key] | None:
        """:func:`query_keys` of ``text``."""
        def compute() -> list[list[str | None]] | None:
            keys = query_keys(text)
            return None if keys is None else sorted([p, c] for p, c in keys)  # type: ignore[type-var]

        found = self._remembered("query:" + _digest(text), compute)
        return None if found is None else frozenset((p, c) for p, c in found)

    def reach(self, shapes: Graph, digest: str) -> Reach | None:
        """:func:`reach` of ``shapes``, whose files' digest is ``digest``."""
        def compute() -> dict[str, Any] | None:
            found = reach(shapes)
            if found is None:
                return None
            return {"depth": found.depth, "anywhere": {
                str(shape): sorted([p, c] for p, c in keys)  # type: ignore[type-var]
                for shape, keys in found.global_keys.items()},
                "depths": {str(shape): d for shape, d in found.depths.items()}}

        found = self._remembered("shapes:" + digest, compute)
        if found is None:
            return None
        return Reach(found["depth"], {
            URIRef(shape): frozenset((p, c) for p, c in keys)
            for shape, keys in found["anywhere"].items()},
            {URIRef(shape): d for shape, d in found["depths"].items()})


def _digest(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# -- the data -------------------------------------------------------------------------------


def targets(store: ox.Store, shapes: Graph, ontology: Graph, shape: Node) -> set[ox.NamedNode]:
    """Every target of the node shape ``shape`` in the union of ``store``."""
    union = ox.DefaultGraph()
    found: set[Any] = set()
    classes = [*shapes.objects(shape, SH.targetClass)]
    if (shape, RDF.type, RDFS.Class) in shapes:  # an implicit class target
        classes.append(shape)
    for cls in classes:
        for sub in ontology.transitive_subjects(RDFS.subClassOf, cls):
            cls_node = ox.NamedNode(str(sub))
            pattern = store.quads_for_pattern(None, ox.NamedNode(_TYPE), cls_node, union)
            found.update(quad.subject for quad in pattern)
    for predicate in shapes.objects(shape, SH.targetSubjectsOf):
        pattern = store.quads_for_pattern(None, ox.NamedNode(str(predicate)), None, union)
        found.update(quad.subject for quad in pattern)
    found.update(ox.NamedNode(str(n)) for n in shapes.objects(shape, SH.targetNode)
                 if isinstance(n, URIRef))
    return {n for n in found if isinstance(n, ox.NamedNode)}


def focus_nodes(
    store: ox.Store, touched: Iterable[ox.NamedNode], depth: int,
    removed: Iterable[ox.Quad] = (),
) -> set[ox.NamedNode]:
    """The nodes from which one of ``touched`` is fewer than ``depth`` hops away, forwards,
    in the union of ``store`` and the ``removed`` triples (an edge just removed still
    connects a node to what it read before)."""
    back: dict[Any, set[Any]] = {}
    for quad in removed:
        back.setdefault(quad.object, set()).add(quad.subject)
    union = ox.DefaultGraph()
    found = {n for n in touched if isinstance(n, ox.NamedNode)}
    frontier = set(found)
    for _ in range(depth - 1):
        nearer: set[Any] = set()
        for node in frontier:
            nearer.update(q.subject for q in store.quads_for_pattern(None, None, node, union))
            nearer.update(back.get(node, ()))
        frontier = {n for n in nearer if isinstance(n, ox.NamedNode)} - found
        found |= frontier
        if not frontier:
            break
    return found


def neighbourhood(
    store: ox.Store, nodes: Iterable[ox.NamedNode], depth: int, anywhere: Iterable[Key]
) -> list[ox.Triple]:
    """The union triples a validation of ``nodes`` reads: those whose subject is fewer than
    ``depth`` hops from one of them, and every triple of the keys read ``anywhere``."""
    union = ox.DefaultGraph()
    seen: set[Any] = set()
    triples: dict[ox.Triple, None] = {}
    frontier = set(nodes)
    for _ in range(depth):
        nearer: set[Any] = set()
        for node in frontier - seen:
            seen.add(node)
            for quad in store.quads_for_pattern(node, None, None, union):
                triples[quad.triple] = None
                nearer.add(quad.object)
        frontier = {n for n in nearer if isinstance(n, ox.NamedNode)} - seen
    for predicate, cls in anywhere:
        value = ox.NamedNode(cls) if cls is not None else None
        for quad in store.quads_for_pattern(None, ox.NamedNode(predicate), value, union):
            triples[quad.triple] = None
    return list(triples)
