"""``rustbelt-kg link`` and ``rustbelt-kg enrich``: the Wikidata commands.

Thin shells over :mod:`rustbelt_kg.link`, :mod:`rustbelt_kg.reconcile` and
:mod:`rustbelt_kg.enrich`; the main CLI registers :data:`link_command` and
:data:`enrich_command`. Errors are library errors
(:class:`~rustbelt_kg.errors.RustbeltError`), turned into exit codes by the main CLI; an
``--endpoint`` that is not an http(s) URL with a host is a usage error (exit 2).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import click

from rustbelt_kg.cli.params import Seconds
from rustbelt_kg.errors import UsageError
from rustbelt_kg.wikidata import DEFAULT_ENDPOINT, MAX_WAIT, REQUEST_TIMEOUT

if TYPE_CHECKING:
    from rustbelt_kg.project import Project
    from rustbelt_kg.sssom import Mapping
    from rustbelt_kg.wikidata import WikidataClient

__all__ = ["enrich", "enrich_command", "link", "link_command"]

def _project(ctx: click.Context) -> Project:
    """The project of the main CLI's ``App`` (``--project``), else the one found from here."""
    app = ctx.obj
    if app is not None and callable(getattr(app, "project", None)):
        return app.project()
    from rustbelt_kg.project import Project

    return Project.discover()


def _client(endpoint: str, timeout: float) -> WikidataClient:
    """A client whose requests, waits and retries all fit in ``timeout`` seconds; each
    wait is reported on stderr as it starts."""
    from rustbelt_kg.wikidata import WikidataClient

    return WikidataClient(endpoint=endpoint, timeout=min(REQUEST_TIMEOUT, timeout),
                          budget=timeout, on_wait=lambda message: click.echo(message, err=True))


@contextlib.contextmanager
def _progress(client: WikidataClient, what: str, total: int) -> Iterator[Callable[..., None]]:
    """A progress bar on stderr while ``client`` asks (only on a terminal); yields the
    function that advances it. The client's waits are printed above the bar."""
    from rich.console import Console

    console = Console(stderr=True)
    if not console.is_terminal:
        yield lambda *_: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    reported = client.on_wait
    with Progress("{task.description}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True) as bar:
        task = bar.add_task(what, total=total)
        client.on_wait = lambda message: bar.console.print(message, markup=False,
                                                           highlight=False)
        try:
            yield lambda *_: bar.advance(task)
        finally:
            client.on_wait = reported


def _check_endpoint(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """The ``--endpoint`` value, if it is an http or https URL with a host."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number
    except ValueError as err:
        raise click.BadParameter(f"{value!r} is not a URL: {err}") from err
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise click.BadParameter(f"{value!r} is not an http:// or https:// URL with a host")
    return value


_endpoint = click.option(
    "--endpoint", default=DEFAULT_ENDPOINT, show_default=True, callback=_check_endpoint,
    metavar="URL", help="SPARQL endpoint answering with Wikidata's wd:/wdt: vocabulary.",
)
_timeout = click.option(
    "--timeout", type=Seconds(minimum=0.1), default=600.0, show_default=True,
    help="Seconds the whole exchange with the endpoint may take: every request, wait and "
    f"retry together (one answer waits at most {REQUEST_TIMEOUT:g} s). A server that asks "
    f"(Retry-After) for a wait longer than {MAX_WAIT:g} s or than the time left is not "
    "waited for: exit 4. Each wait is reported on stderr.",
)


@click.command("link")
@_endpoint
@_timeout
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="Review file to write (SSSOM/TSV; default build/link-review.sssom.tsv).")
@click.option("--accept-threshold", type=click.FloatRange(0.0, 1.0), default=None,
              help="Also add the best candidate of each unlinked entity scoring at least this.")
@click.option("--apply", "apply_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="Add the rows a reviewer accepted in this review file.")
@click.option("--todo", is_flag=True, help="List the linkable entities that have no link.")
@click.option("--sync", is_flag=True,
              help="Rewrite data/links/wikidata.ttl from a hand-edited wikidata.sssom.tsv.")
@click.pass_context
def link_command(ctx: click.Context, endpoint: str, timeout: float, output: Path | None,
                 accept_threshold: float | None, apply_path: Path | None, todo: bool,
                 sync: bool) -> None:
    """Find Wikidata items for the article's entities and write a review file.

    Candidates match an English or Chinese label or alias, are of the class the local
    class is linked to, and (for provinces, cities and universities) in China. Each is
    scored from those features; the review file shows score and features. Only accepted
    rows become links: with --accept-threshold, or by editing the review file
    (reviewer_agreement 1, reviewer_label) and running --apply FILE. A candidate that
    disagrees with a curated link is reported as a conflict and never applied.
    After editing data/links/wikidata.sssom.tsv by hand, --sync rewrites the Turtle.
    """
    from rustbelt_kg import link as links
    from rustbelt_kg import reconcile

    project = _project(ctx)
    modes = [todo, sync, apply_path is not None,
             accept_threshold is not None or output is not None]
    if sum(modes) > 1:
        raise UsageError("use one of --todo, --sync, --apply FILE, or a reconciliation run "
                         "(with -o and --accept-threshold)")
    if sync:
        mset = links.sync_links(project)
        click.echo(f"{len(mset.mappings)} links written to {links.link_paths(project)[1]}",
                   err=True)
        return
    if todo:
        missing = links.todo(project)
        for entity in missing:
            kinds = ", ".join(t.rsplit("#", 1)[-1] for t in entity.types)
            click.echo(f"rb:{entity.iri.rsplit('/', 1)[-1]}\t{entity.label}\t{kinds}")
        click.echo(f"{len(missing)} linkable entities without a Wikidata link", err=True)
        return
    if apply_path is not None:
        added = links.apply_review(project, apply_path)
        _report_added(added)
        return
    curated = links.read_links(project)
    entities = links.project_entities(project)
    client = _client(endpoint, timeout)
    with _progress(client, "asking Wikidata", len(entities)) as advance:
        candidates = reconcile.reconcile(entities, links.class_links(curated), client,
                                         done=advance)
    review, accepted, conflicts = reconcile.review_set(candidates, curated,
                                                       threshold=accept_threshold)
    updated, added = links.plan_mappings(project, accepted)
    target = output if output is not None else reconcile.review_path(project)
    reconcile.write_review(review, target)
    if added:
        links.write_links(project, updated)
    matched = len({c.entity.iri for c in candidates})
    click.echo(f"{len(candidates)} candidates for {matched} of {len(entities)} entities "
               f"written to {target}", err=True)
    for conflict in conflicts:
        click.echo(f"CONFLICT (curated link kept): {conflict}", err=True)
    if accept_threshold is not None:
        _report_added(added)


def _report_added(added: list[Mapping]) -> None:
    from rustbelt_kg.export import compact_iri

    for m in added:
        subject = compact_iri(m.subject_id) or m.subject_id
        item = compact_iri(m.object_id) or m.object_id
        click.echo(f"linked {subject} -> {item} ({m.confidence:.3f})", err=True)
    click.echo(f"{len(added)} link(s) added", err=True)


@click.command("enrich")
@_endpoint
@_timeout
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="Snapshot file (TriG; default data/enrichment/wikidata.trig, "
                   "or wikidata-sample.trig with --sample).")
@click.option("--sample", is_flag=True,
              help="Stamp the provenance of an offline sample built from the test fixture "
                   "(use with --endpoint pointing at a server loaded with it).")
@click.option("--retrieved-at", type=click.DateTime(["%Y-%m-%dT%H:%M:%SZ"]), default=None,
              help="Record this UTC time (YYYY-MM-DDTHH:MM:SSZ) instead of the clock's.")
@click.pass_context
def enrich_command(ctx: click.Context, endpoint: str, timeout: float, output: Path | None,
                   sample: bool, retrieved_at: datetime | None) -> None:
    """Fetch Wikidata facts for the linked entities into rbg:enrichment/wikidata.

    For every item linked from an rb: entity: P31, P17, P131, P36, P625, P1082, P571, P856
    and English and Chinese labels; the items reached by P131 and P36 get the same, one
    hop; other items named get their labels. The snapshot (TriG) records the endpoint,
    the queries and the time. Nothing is written unless every query answered.
    """
    from datetime import UTC

    from rustbelt_kg import enrich as enrichment

    project = _project(ctx)
    when = retrieved_at.replace(tzinfo=UTC) if retrieved_at is not None else None
    items = enrichment.linked_items(project)
    retrieval = enrichment.fetch(_client(endpoint, timeout), items, retrieved_at=when)
    quads = enrichment.snapshot_quads(retrieval, sample=sample)
    target = output if output is not None else enrichment.snapshot_path(project, sample=sample)
    enrichment.write_snapshot(target, quads, sample=sample)
    click.echo(f"{len(retrieval.triples)} Wikidata triples for {len(items)} linked items "
               f"({len(retrieval.queries)} queries) written to {target}", err=True)
    other = enrichment.snapshot_path(project, sample=not sample)
    if output is None and other.exists():
        click.echo(f"note: {other} is loaded into the same graph too; remove it to keep "
                   "only this snapshot", err=True)


#: The names the main CLI's lazy registry imports.
link = link_command
enrich = enrich_command
