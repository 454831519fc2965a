"""Where the ontology, data, shapes and queries of a checkout are.

:data:`SOURCES` is the one table that says which files are RDF sources, in which
syntax, and which named graph their triples go to. Everything that loads files
(``load``, ``build``, the CLI) reads that table; nothing else knows folder names.

>>> [kind.name for kind in SOURCES]
['ontology', 'sources', 'article', 'claims', 'links', 'enrichment', 'shapes']
>>> source_kind("links").graph
'https://w3id.org/rustbelt-kg/graph/links/wikidata'
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rustbelt_kg import namespaces
from rustbelt_kg.errors import SourceMissing, UsageError

__all__ = ["SOURCES", "Project", "SourceKind", "source_kind"]


@dataclass(frozen=True)
class SourceKind:
    """One kind of RDF source file in a checkout.

    ``graph`` is the named graph the triples of a triples format (Turtle) are put in;
    ``None`` for quad formats (TriG), whose files name their own graphs. ``loaded`` is
    false for files that are read but not put into the store (the SHACL shapes).
    """

    name: str
    pattern: str
    syntax: str
    graph: str | None
    loaded: bool
    help: str


#: The registry of source files: one row per kind, in load order.
SOURCES: tuple[SourceKind, ...] = (
    SourceKind(
        "ontology", "ontology/*.ttl", "turtle", namespaces.ONTOLOGY_GRAPH, True,
        "the OWL ontology, loaded into rbg:ontology",
    ),
    SourceKind(
        "sources", "data/sources/*.ttl", "turtle", namespaces.SOURCES_GRAPH, True,
        "metadata of the source texts beside them, loaded into rbg:sources",
    ),
    SourceKind(
        "article", "data/article/*.trig", "trig", None, True,
        "claims of the China Daily article and their provenance; each file names its graphs",
    ),
    SourceKind(
        "claims", "data/claims/*/*.trig", "trig", None, True,
        "claims of the other sources, one folder per source; each file names its graphs",
    ),
    SourceKind(
        "links", "data/links/*.ttl", "turtle", namespaces.LINKS_GRAPH, True,
        "curated skos:exactMatch links, loaded into rbg:links/wikidata",
    ),
    SourceKind(
        "enrichment", "data/enrichment/*.trig", "trig", None, True,
        "facts fetched from Wikidata; each file names its graphs",
    ),
    SourceKind(
        "shapes", "shapes/*.ttl", "turtle", None, False,
        "SHACL shapes: they validate the store and are not loaded into it",
    ),
)


def source_kind(name: str) -> SourceKind:
    """The row of :data:`SOURCES` called ``name``; :class:`UsageError` if none."""
    for kind in SOURCES:
        if kind.name == name:
            return kind
    raise UsageError(f"no source kind {name!r}; known: {', '.join(k.name for k in SOURCES)}")


#: Folders whose presence marks the root of a checkout.
_MARKERS = ("ontology", "data")


def _looks_like_root(path: Path) -> bool:
    return all((path / marker).is_dir() for marker in _MARKERS)


@dataclass(frozen=True)
class Project:
    """A checkout of rustbelt-kg rooted at ``root``; knows where every file is."""

    root: Path

    @classmethod
    def discover(cls, option: Path | str | None = None, *, cwd: Path | None = None) -> Project:
        """Find the project root.

        ``option`` (the ``--project`` option) when given; else the nearest folder, from
        ``cwd`` (default: the current directory) up, that has ``ontology/`` and ``data/``,
        as git finds its repository. Never the checkout this package was installed from: a
        command run outside a checkout says so. Raises :class:`UsageError` when none fits.
        """
        if option is not None:
            root = Path(option).expanduser().resolve()
            if not _looks_like_root(root):
                raise UsageError(
                    f"{root} is not a rustbelt-kg project (it needs ontology/ and data/ folders)"
                )
            return cls(root)
        here = (cwd or Path.cwd()).resolve()
        for folder in (here, *here.parents):
            if _looks_like_root(folder):
                return cls(folder)
        raise UsageError(
            f"no rustbelt-kg project in {here} or any folder above it (a project has "
            "ontology/ and data/); run the command inside a checkout or pass --project DIR"
        )

    def display(self, path: Path) -> str:
        """``path`` as shown in messages: relative to the root when inside the checkout.

        >>> Project(Path("/src/kg")).display(Path("/src/kg/queries/people.rq"))
        'queries/people.rq'
        >>> Project(Path("/src/kg")).display(Path("/tmp/q.rq"))
        '/tmp/q.rq'
        """
        try:
            return str(Path(path).relative_to(self.root))
        except ValueError:
            return str(path)

    # -- sources ---------------------------------------------------------------------------

    def files(self, kind: str | SourceKind) -> list[Path]:
        """The files of one source kind, sorted by name."""
        row = kind if isinstance(kind, SourceKind) else source_kind(kind)
        return sorted(self.root.glob(row.pattern))

    def sources(self, *, loaded: bool | None = True) -> list[tuple[SourceKind, Path]]:
        """Every source file with its kind, in :data:`SOURCES` order.

        ``loaded=True`` (default) gives the files that go into the store, ``False`` the
        others (the shapes), ``None`` all of them.
        """
        return [
            (row, path)
            for row in SOURCES
            if loaded is None or row.loaded == loaded
            for path in self.files(row)
        ]

    # -- queries ---------------------------------------------------------------------------

    @property
    def queries_dir(self) -> Path:
        """Stored queries: ``queries/NAME.rq`` with ``NAME.srj`` beside each."""
        return self.root / "queries"

    @property
    def qc_dir(self) -> Path:
        """Quality-control queries: ``queries/qc/*-violation.rq``; any row is a failure."""
        return self.root / "queries" / "qc"

    def query_files(self) -> list[Path]:
        """The stored query files, sorted by name."""
        return sorted(self.queries_dir.glob("*.rq"))

    def qc_files(self) -> list[Path]:
        """The QC violation query files, sorted by name."""
        return sorted(self.qc_dir.glob("*-violation.rq"))

    # -- texts, outputs --------------------------------------------------------------------

    @property
    def sources_dir(self) -> Path:
        """The article text(s): ``data/sources/*.txt``."""
        return self.root / "data" / "sources"

    def source_texts(self) -> list[Path]:
        """The source text files, sorted by name."""
        return sorted(self.sources_dir.glob("*.txt"))

    def article_text(self) -> str:
        """The text of the first source (``data/sources/*.txt`` by name): the article.

        Raises :class:`SourceMissing` (exit 1) when there is no text file, and the errors of
        :func:`rustbelt_kg.reading.read_text` when it cannot be read, is too large or is not
        UTF-8.
        """
        from rustbelt_kg.reading import read_text

        texts = self.source_texts()
        if not texts:
            raise SourceMissing(f"expected an article text in {self.sources_dir}, found none")
        return read_text(texts[0], self.display(texts[0]))

    @property
    def build_dir(self) -> Path:
        """Derived, git-ignored files (the store)."""
        return self.root / "build"

    @property
    def store_path(self) -> Path:
        """The embedded Oxigraph store: a symlink ``build/store`` to the live directory."""
        return self.build_dir / "store"

    @property
    def dist_dir(self) -> Path:
        """Exports of the whole graph, one file per RDF format."""
        return self.root / "dist"

    @property
    def context_path(self) -> Path:
        """The published JSON-LD context."""
        return self.root / "context" / "rustbelt.jsonld"
