"""Sources: the texts claims quote, and what the graph says about each.

``data/sources/`` holds any number of texts, ``NAME.txt``, each with a metadata stub
``NAME.ttl`` beside it. The stub describes the text node (an ``rbo:SourceText``): title,
publisher, publication date, authors, URL, licence, language, file path and SHA-256. It is
loaded into its own named graph, ``rbg:sources``, which only ``data/sources/`` writes and
which holds only that metadata (:mod:`rustbelt_kg.sourcing`). A claim names its source
through its evidence (``oa:hasSource`` the text node) and ``prov:wasDerivedFrom`` the work the
text was derived from (:func:`work_node`; ``rb:article`` for the China Daily article).

:func:`register` (``rustbelt-kg add-source``) copies a new text in and writes its stub;
:func:`texts` maps each text node to its text, for anchoring and checking quotes.

>>> text_node("tiny-gazette")
'https://w3id.org/rustbelt-kg/id/text/tiny-gazette'
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from rustbelt_kg import fsio
from rustbelt_kg.errors import SourceMissing, SourceUnreadable, TextEncodingError, UsageError
from rustbelt_kg.namespaces import RB, RBO
from rustbelt_kg.project import Project
from rustbelt_kg.provenance import sha256
from rustbelt_kg.reading import read_source, read_text

__all__ = ["Registered", "register", "stub", "text_node", "texts", "turtle_string", "work_node"]

_FILE_PATH = RBO + "filePath"
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def text_node(name: str) -> str:
    """The IRI of the text node of the source ``NAME`` (``data/sources/NAME.txt``)."""
    return f"{RB}text/{name}"


def work_node(name: str) -> str:
    """The IRI of the work (the article) the text of source ``NAME`` was derived from.

    Claims say what it is (``a rbo:NewsArticle``, its ``schema:headline``), as for the China
    Daily article (``rb:article``); claims of the source are ``prov:wasDerivedFrom`` it.
    """
    return f"{RB}{name}"


def texts(project: Project) -> dict[str, str]:
    """Every source text node of the stubs (``data/sources/*.ttl``) with its text.

    Raises :class:`SourceMissing` (exit 1) when there is no text, or a stub names a file
    that is not there; a text that cannot be read, is too large or is not UTF-8 raises the
    errors of :func:`rustbelt_kg.reading.read_text`.
    """
    if not project.source_texts():
        raise SourceMissing(f"expected an article text in {project.sources_dir}, found none")
    found: dict[str, str] = {}
    for stub in sorted(project.sources_dir.glob("*.ttl")):
        data = read_source(stub, project.display(stub))
        for triple in ox.parse(data, ox.RdfFormat.TURTLE):
            if triple.predicate.value == _FILE_PATH:
                path = project.root / str(triple.object.value)
                try:
                    found[str(triple.subject.value)] = read_text(path, project.display(path))
                except SourceUnreadable as error:
                    if not isinstance(error.__cause__, FileNotFoundError):
                        raise
                    raise SourceMissing(
                        f"{project.display(stub)} names {triple.object.value}, which cannot be "
                        f"read: {error.reason}"
                    ) from error
    return found


def turtle_string(value: str) -> str:
    """``value`` as a Turtle short string literal, as the project's files write them."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t") + '"'


@dataclass(frozen=True)
class Registered:
    """A source just added: its name, text file, stub file, text node and work node."""

    name: str
    text: Path
    stub: Path
    node: str
    work: str


def stub(
    name: str, text: str, *, title: str, published: str, publisher: str,
    url: str | None = None, authors: Sequence[str] = (), licence: str | None = None,
    language: str = "en",
) -> str:
    """The Turtle of the metadata stub of source ``name`` whose text is ``text``."""
    lines = [
        "@prefix dcterms: <http://purl.org/dc/terms/> .",
        "@prefix prov: <http://www.w3.org/ns/prov#> .",
        "@prefix rbo: <https://w3id.org/rustbelt-kg/ontology#> .",
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
        "@prefix schema: <https://schema.org/> .",
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .",
        "",
        f"# Metadata of data/sources/{name}.txt, loaded into rbg:sources.",
        "",
        f"<{text_node(name)}> a rbo:SourceText ;",
        f"    rdfs:label {turtle_string('plain text of ' + title + ', as received')}@en ;",
        f"    prov:wasDerivedFrom <{work_node(name)}> ;",
        f"    dcterms:title {turtle_string(title)} ;",
        f"    dcterms:publisher {turtle_string(publisher)} ;",
        f'    dcterms:issued "{published}"^^xsd:date ;',
    ]
    lines += [f"    dcterms:creator {turtle_string(author)} ;" for author in authors]
    if url:
        lines.append(f"    schema:url <{url}> ;")
    if licence:
        lines.append(f"    dcterms:license {turtle_string(licence)} ;")
    lines += [
        f"    dcterms:language {turtle_string(language)} ;",
        '    schema:encodingFormat "text/plain" ;',
        f'    rbo:filePath "data/sources/{name}.txt" ;',
        f'    rbo:sha256 "{sha256(text)}" .',
        "",
    ]
    return "\n".join(lines)


def _check_arguments(name: str, published: str, url: str | None) -> None:
    if not _NAME.match(name):
        raise UsageError(
            f"source name {name!r}: use lowercase letters, digits and hyphens (--name NAME)"
        )
    try:
        datetime.date.fromisoformat(published)
    except ValueError as error:
        raise UsageError(f"--published {published!r} is not a date (YYYY-MM-DD)") from error
    if url is not None and not re.match(r"^https?://[^\s<>\"{}|\\^`]+$", url):
        raise UsageError(f"--url {url!r} is not an http(s) URL")


def register(
    project: Project, file: Path, *, title: str, published: str, publisher: str,
    url: str | None = None, authors: Sequence[str] = (), licence: str | None = None,
    language: str = "en", name: str | None = None,
) -> Registered:
    """Copy the text ``file`` into ``data/sources/`` and write its metadata stub.

    The source is called ``name`` (default: the file's name without ``.txt``). Raises
    :class:`UsageError` when the name is taken or the same text (same SHA-256) is already
    registered; nothing is written then. The text and the stub are written atomically.
    """
    try:
        text = read_text(file, str(file))
    except (SourceUnreadable, TextEncodingError) as error:
        raise UsageError(f"cannot read {file} as UTF-8 text: {error}") from error
    name = name or Path(file).stem
    _check_arguments(name, published, url)
    digest = sha256(text)
    folder = project.sources_dir
    for existing in sorted(folder.glob("*.txt")):
        if sha256(read_text(existing, project.display(existing))) == digest:
            raise UsageError(
                f"{file} is already registered as {project.display(existing)} (same SHA-256)"
            )
    target, stub_path = folder / f"{name}.txt", folder / f"{name}.ttl"
    if target.exists() or stub_path.exists():
        raise UsageError(f"a source called {name!r} exists already; choose another --name")
    turtle = stub(name, text, title=title, published=published, publisher=publisher,
                  url=url, authors=authors, licence=licence, language=language)
    folder.mkdir(parents=True, exist_ok=True)
    fsio.atomic_write(target, lambda out: out.write(text))
    fsio.atomic_write(stub_path, lambda out: out.write(turtle))
    return Registered(name, target, stub_path, text_node(name), work_node(name))
