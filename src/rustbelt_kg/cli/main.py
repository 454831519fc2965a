"""The ``rustbelt-kg`` command: a thin click shell over the library.

Commands build library objects and call them; library modules are imported inside the
commands so that start-up stays fast: ``--help`` and ``--version`` load neither rdflib
nor pyoxigraph (options come from :mod:`rustbelt_kg.catalog`). Errors are handled once,
in :meth:`RustbeltGroup.invoke`: a :class:`errors.RustbeltError` prints its message to
stderr and exits with its ``exit_code``; any other exception is an internal error (exit
5, the traceback only with ``RUSTBELT_KG_DEBUG=1``); a closed stdout (``| head``) ends
quietly with 0. Click's own usage errors exit with 2.

The Wikidata commands (``link``, ``enrich``) live in :mod:`rustbelt_kg.cli.wikidata` and
receive the :class:`App` as ``ctx.obj`` like the others.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import click

from rustbelt_kg import __version__
from rustbelt_kg.catalog import (
    DEFAULT_TIMEOUT,
    RDF_FORMAT_INFO,
    RESULT_FORMAT_INFO,
    STORE_HELP,
    rdf_format_for_path,
)
from rustbelt_kg.cli.params import Seconds
from rustbelt_kg.cli.wikidata import enrich as enrich_command
from rustbelt_kg.cli.wikidata import link as link_command
from rustbelt_kg.errors import OutputError, RustbeltError, UsageError

if TYPE_CHECKING:
    from rustbelt_kg.bounded import Work
    from rustbelt_kg.project import Project
    from rustbelt_kg.store import Store

#: Set to 1 to see the traceback of an internal error.
DEBUG_VARIABLE = "RUSTBELT_KG_DEBUG"

EXIT_CODES = """\b
Exit codes:
  0  ok
  1  the data does not conform, a check failed, or a query differs from its expected result
  2  usage error (bad option, unknown query or entity)
  3  syntax error in an RDF file or a SPARQL query (with file, line and column)
  4  a remote SPARQL endpoint failed
  5  any other runtime error (store missing or unreadable, file not writable)
  6  a documented limit was reached (input too deep or too large, query timeout)
"""


@dataclass
class App:
    """What every command gets as ``ctx.obj``: the options of the group, resolved lazily."""

    project_option: Path | None = None
    store_name: str = "oxigraph"
    _project: Project | None = field(default=None, repr=False)

    def project(self) -> Project:
        """The project (``--project``, else the nearest checkout from the current directory up)."""
        if self._project is None:
            from rustbelt_kg.project import Project

            self._project = Project.discover(self.project_option)
        return self._project

    def store(self) -> Store:
        """The store named by ``--store``, opened for reading."""
        from rustbelt_kg.store import open_store

        store = open_store(self.store_name, self.project())
        context = click.get_current_context(silent=True)
        if context is not None:
            context.call_on_close(store.close)  # a remote store's connections
        return store


pass_app = click.make_pass_decorator(App)


def _quiet_stdout() -> None:
    """Point stdout at /dev/null: the reader went away (``| head``), nothing more to say."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real file descriptor (tests): nothing to redirect
        pass
    finally:
        os.close(devnull)


def _report_internal_error(error: Exception) -> None:
    """Say that ``error`` is a bug (the traceback only when :data:`DEBUG_VARIABLE` is set)."""
    if os.environ.get(DEBUG_VARIABLE, "") not in ("", "0"):
        traceback.print_exception(error)
    click.echo(
        f"internal error: {type(error).__name__}: {error} "
        f"(please report; set {DEBUG_VARIABLE}=1 for the traceback)",
        err=True,
    )


class _OneLineWarnings(logging.Handler):
    """Shows a library's log record as one ``warning:`` line on stderr, each distinct
    message once, never with its traceback (rdflib logs one for a literal it cannot convert,
    such as an integer of more than 4,300 digits, though the answer is right)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.seen: set[str] = set()

    def emit(self, record: logging.LogRecord) -> None:
        line = " ".join(record.getMessage().split())
        if record.exc_info and record.exc_info[1] is not None:
            line += f" ({' '.join(str(record.exc_info[1]).split())})"
        if len(line) > 300:
            line = line[:297] + "..."
        if line not in self.seen:
            self.seen.add(line)
            click.echo(f"warning: {record.name}: {line}", err=True)


def _library_warnings_on_one_line() -> None:
    """Route rdflib's log records through :class:`_OneLineWarnings` (without importing it)."""
    logger = logging.getLogger("rdflib")
    if not any(isinstance(handler, _OneLineWarnings) for handler in logger.handlers):
        logger.addHandler(_OneLineWarnings())
        logger.propagate = False


class RustbeltGroup(click.Group):
    """The top-level group: the one place where errors become messages and exit codes."""

    def invoke(self, ctx: click.Context) -> Any:
        from rustbelt_kg.fsio import STDOUT_NAME, guarded_stdout

        try:
            with guarded_stdout():  # a full disk or /dev/full is an OutputError, exit 5
                result = super().invoke(ctx)
                sys.stdout.flush()  # a closed pipe shows here, inside the handlers below
            return result
        except RustbeltError as error:
            click.echo(f"error: {error}", err=True)
            if isinstance(error, OutputError) and error.path == STDOUT_NAME:
                _quiet_stdout()  # what could not be written is dropped, not retried at exit
            ctx.exit(error.exit_code)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except BrokenPipeError:
            _quiet_stdout()
            ctx.exit(0)
        except Exception as error:
            _report_internal_error(error)
            ctx.exit(5)


@click.group(
    cls=RustbeltGroup,
    epilog=EXIT_CODES,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option(
    "--project",
    "project_option",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="RUSTBELT_KG_PROJECT",
    help="Root of the checkout (default: the nearest folder, from the current directory "
    "up, that has ontology/ and data/). Env: RUSTBELT_KG_PROJECT.",
)
@click.option(
    "--store",
    "store_name",
    default="oxigraph",
    show_default=True,
    help="Which store to use: "
    + "; ".join(f"{name}: {text}" for name, text in sorted(STORE_HELP.items()))
    + "; or the name of a [stores.NAME] table in rustbelt-kg.toml.",
)
@click.option("--endpoint", metavar="URL",
              help="With --store sparql: the server's SPARQL 1.1 query endpoint. Credentials "
              "come from RUSTBELT_KG_SPARQL_USER and RUSTBELT_KG_SPARQL_PASSWORD or a netrc "
              "entry for the host, never from the command line.")
@click.option("--update-endpoint", metavar="URL",
              help="With --store sparql: its SPARQL 1.1 Update endpoint (default: --endpoint).")
@click.option("--gsp-endpoint", metavar="URL",
              help="With --store sparql: its Graph Store Protocol endpoint (loads go through "
              "it; without it, through UPDATE).")
@click.version_option(
    __version__, "--version", prog_name="rustbelt-kg", message="%(prog)s %(version)s"
)
@click.pass_context
def cli(ctx: click.Context, project_option: Path | None, store_name: str,
        endpoint: str | None, update_endpoint: str | None, gsp_endpoint: str | None) -> None:
    """A knowledge graph of one China Daily article, every fact traced to its words."""
    _library_warnings_on_one_line()
    ctx.obj = App(project_option, store_name)
    if endpoint or update_endpoint or gsp_endpoint:
        if store_name != "sparql" or not endpoint:
            raise click.UsageError("--endpoint, --update-endpoint and --gsp-endpoint go with "
                                   "--store sparql, and --endpoint is required with them")
        from rustbelt_kg.stores import endpoints_given
        from rustbelt_kg.stores.endpoint import Endpoints

        ctx.with_resource(endpoints_given(Endpoints(endpoint, update_endpoint, gsp_endpoint)))


def _emit(text: str) -> None:
    click.echo(text, nl=False)


# -- build, validate, check ---------------------------------------------------------------


@cli.command()
@click.option("--no-export", is_flag=True, help="Do not write the dist/ exports.")
@click.option("--full", is_flag=True,
              help="Reload and check everything, even what did not change since the last build.")
@pass_app
def build(app: App, no_export: bool, full: bool) -> None:
    """Load, validate and check the sources; replace the store; export; run the queries.

    Exits 1 when the data does not conform, a check fails or a stored query differs
    from its expected result (the store and the exports are written all the same).
    """
    from rustbelt_kg.build import build as run_build
    from rustbelt_kg.progress import terminal_steps

    summary = run_build(app.project(), app.store_name, exports=not no_export, full=full,
                        steps=terminal_steps())
    _emit(summary.render())
    summary.raise_for_problems()


@cli.command()
@click.option(
    "--report",
    type=click.Path(path_type=Path),
    help="Also write the SHACL validation report graph to this file, as Turtle.",
)
@pass_app
def validate(app: App, report: Path | None) -> None:
    """Validate the source files against the SHACL shapes (exit 1 if they do not conform)."""
    from rustbelt_kg.build import validate_sources
    from rustbelt_kg.errors import ValidationFailed
    from rustbelt_kg.export import export

    checked = validate_sources(app.project())
    if report is not None:
        export([(s, p, o, None) for s, p, o in checked.result.report_graph], "turtle", report)
    if checked.report is not None:
        raise ValidationFailed(checked.report, checked.result)
    _emit(f"conforms: {checked.quads} quads against {checked.shapes} shapes\n")


@cli.command()
@pass_app
def check(app: App) -> None:
    """Check every claim's quote and offsets against the article, and run the QC queries."""
    from rustbelt_kg.build import check_sources

    passed, total = check_sources(app.project())
    _emit(f"ok: provenance sound, {passed}/{total} QC queries pass\n")


# -- queries ------------------------------------------------------------------------------


def _format_choices() -> list[str]:
    return [*RESULT_FORMAT_INFO, *(f for f in RDF_FORMAT_INFO if f not in RESULT_FORMAT_INFO)]


#: The RDF format a graph result is written in when a table format was asked for.
_GRAPH_FORMAT = {"table": "turtle", "tsv": "nt", "csv": "nt", "json": "jsonld", "xml": "xml"}

FORMAT_HELP = (
    "Result format. SELECT/ASK: " + ", ".join(RESULT_FORMAT_INFO) + "; CONSTRUCT/DESCRIBE: "
    + ", ".join(RDF_FORMAT_INFO) + ". Default: table on a terminal, tsv when piped."
)


def _result_format(format: str | None) -> str:
    """The format asked for, else ``table`` on a terminal and ``tsv`` when piped."""
    if format is not None:
        return format
    return "table" if sys.stdout.isatty() else "tsv"


def _write_result(result: Any, format: str, out: TextIO) -> None:
    from rustbelt_kg.export import serialize
    from rustbelt_kg.results import write_answer

    if result.kind == "graph":
        quads = [(s, p, o, None) for s, p, o in result.graph]
        out.write(serialize(quads, _GRAPH_FORMAT.get(format, format)))
        return
    if format in RDF_FORMAT_INFO and format not in RESULT_FORMAT_INFO:
        raise UsageError(f"{format} is an RDF format; a SELECT or ASK result needs one of "
                         + ", ".join(RESULT_FORMAT_INFO))
    write_answer(result, format, out)


def _parse_params(pairs: tuple[str, ...]) -> dict[str, str]:
    params: dict[str, str] = {}
    for pair in pairs:
        name, equals, value = pair.partition("=")
        if not equals or not name.strip():
            raise UsageError(f"--param takes NAME=VALUE, got {pair!r}")
        if name.strip() in params:
            raise UsageError(f"--param {name.strip()} is given twice; give each parameter once")
        params[name.strip()] = value
    return params


def _bounded(work: Work, timeout: float, format: str) -> None:
    """Run ``work`` (which opens the store, then writes to its stream) in a child process
    that is stopped after ``timeout`` seconds (:func:`rustbelt_kg.bounded.run_bounded`)."""
    from rustbelt_kg.bounded import run_bounded

    terminal = format == "table" and sys.stdout.isatty()
    columns = shutil.get_terminal_size().columns

    def child(out: TextIO, started: Callable[[], None]) -> None:
        if terminal:  # the child writes into a pipe: let rich draw for the terminal
            os.environ.setdefault("COLUMNS", str(columns))
            os.environ.setdefault("FORCE_COLOR", "1")
        work(out, started)

    run_bounded(child, sys.stdout, timeout=timeout)


TIMEOUT_OPTION = click.option(
    "--timeout", type=Seconds(minimum=0), default=DEFAULT_TIMEOUT, show_default=True,
    metavar="SECONDS",
    help="Stop the query after this many seconds (0: no limit) and exit 6. Time spent "
    "waiting for the reader of the output does not count.",
)
ALLOW_SERVICE_OPTION = click.option(
    "--allow-service", "services", multiple=True, metavar="URL",
    help="Let a SERVICE in the query call this endpoint (repeatable; the IRI as written in "
    "the query). Any other SERVICE is refused (exit 2).",
)


@cli.command("queries")
@pass_app
def list_stored_queries(app: App) -> None:
    """List the stored queries: name, title and parameters.

    A table on a terminal; tab-separated lines, with a header line and nothing cut off,
    when piped.
    """
    from rustbelt_kg.query import list_queries

    header = ("name", "title", "parameters")
    rows = [
        (q.name, q.title, ", ".join(f"{p.name}={p.default or '-'}" for p in q.params))
        for q in list_queries(app.project())
    ]
    if not sys.stdout.isatty():
        for row in (header, *rows):
            _emit("\t".join(" ".join(cell.split()) for cell in row) + "\n")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(*header, header_style="bold")
    for row in rows:
        table.add_row(*row)
    Console(file=sys.stdout, soft_wrap=False).print(table)


@cli.command()
@click.argument("name")
@click.option("--param", "-p", "params", multiple=True, metavar="NAME=VALUE",
              help="Bind a parameter of the query (repeatable, once per name); IRIs as rb:x "
              "or <iri>.")
@click.option("--format", "-f", "format", type=click.Choice(_format_choices()), help=FORMAT_HELP)
@click.option("--check", "check_expected", is_flag=True,
              help="Compare the answer with queries/NAME.srj; exit 1 when they differ.")
@click.option("--write-expected", is_flag=True,
              help="Write the answer (with the default parameters) to queries/NAME.srj.")
@TIMEOUT_OPTION
@ALLOW_SERVICE_OPTION
@pass_app
def query(app: App, name: str, params: tuple[str, ...], format: str | None,
          check_expected: bool, write_expected: bool, timeout: float,
          services: tuple[str, ...]) -> None:
    """Run the stored query NAME (see `rustbelt-kg queries`)."""
    from rustbelt_kg.query import get_query

    stored = get_query(app.project(), name)
    if write_expected and params:
        raise UsageError("--write-expected records the answer for the default parameters")
    values = _parse_params(params)
    result_format = _result_format(format)

    def work(out: TextIO, started: Callable[[], None]) -> None:
        from rustbelt_kg.errors import QueryMismatch
        from rustbelt_kg.query import compare_results, run_query, stream_query

        store = app.store()
        started()
        if not (write_expected or check_expected):
            answer = stream_query(store, stored, values, services=services)
            _write_result(answer, result_format, out)
            return
        result = run_query(store, stored, values, services=services)
        if write_expected:
            from rustbelt_kg.results import write_expected as write

            write(result, stored.expected_path)
            out.write(f"{name}: wrote {stored.expected_path.name} ({len(result)} row(s))\n")
            return
        from rustbelt_kg.results import read_expected

        if not stored.expected_path.is_file():
            raise UsageError(f"no expected result {stored.expected_path}")
        differences = compare_results(result, read_expected(stored.expected_path),
                                      ordered=stored.ordered)
        if differences:
            raise QueryMismatch(f"{name}: " + "\n  ".join(["differs from its .srj:", *differences]))
        out.write(f"{name}: matches {stored.expected_path.name}\n")

    _bounded(work, timeout, result_format)


@cli.command()
@click.argument("query_text", metavar="QUERY_OR_@FILE")
@click.option("--format", "-f", "format", type=click.Choice(_format_choices()), help=FORMAT_HELP)
@TIMEOUT_OPTION
@ALLOW_SERVICE_OPTION
@pass_app
def sparql(app: App, query_text: str, format: str | None, timeout: float,
           services: tuple[str, ...]) -> None:
    """Run an ad-hoc SPARQL query: the text itself, @FILE, or - for stdin.

    Prefixes of the project (rb:, rbo:, claim:, ...) need no PREFIX lines. Updates are
    refused; so is a SERVICE call unless its endpoint is given with --allow-service.
    """
    from rustbelt_kg.errors import QuerySyntaxError
    from rustbelt_kg.reading import decode_utf8
    from rustbelt_kg.sparql import MAX_QUERY_SIZE, read_sparql
    from rustbelt_kg.sparql import query_text as engine_text

    path: str | None = None
    if query_text == "-":
        path = "<stdin>"
        data = sys.stdin.buffer.read(MAX_QUERY_SIZE + 1)
        query_text = engine_text(decode_utf8(data, path, QuerySyntaxError))
    elif query_text.startswith("@"):
        path = query_text[1:]
        try:
            query_text = read_sparql(Path(path), path)  # not UTF-8: a syntax error, exit 3
        except OSError as error:
            raise UsageError(f"cannot read {path}: {error.strerror or error}") from error
    else:
        query_text = engine_text(query_text)
    app.project()
    result_format = _result_format(format)

    def work(out: TextIO, started: Callable[[], None]) -> None:
        from rustbelt_kg.query import stream_sparql

        store = app.store()
        started()
        answer = stream_sparql(store, query_text, path=path, services=services)
        _write_result(answer, result_format, out)

    _bounded(work, timeout, result_format)


# -- export, describe, stats ----------------------------------------------------------------


@cli.command("export")
@click.option("--format", "-f", "format", type=click.Choice(list(RDF_FORMAT_INFO)),
              help="RDF format (default: from the extension of -o, which must be one of "
              + ", ".join(f".{f.extension}" for f in RDF_FORMAT_INFO.values())
              + "; turtle on standard output): "
              + "; ".join(f"{f.name}: {f.help}" for f in RDF_FORMAT_INFO.values()) + ".")
@click.option("--output", "-o", type=click.Path(path_type=Path),
              help="File to write (atomically; through a symbolic link to its target; "
              "straight into a device or a FIFO); default: standard output.")
@pass_app
def export_command(app: App, format: str | None, output: Path | None) -> None:
    """Export the whole store in one RDF format."""
    from rustbelt_kg.export import export

    if format is None:
        format = "turtle" if output is None else rdf_format_for_path(output)
    export(list(app.store().quads()), format, output)


@cli.command()
@click.argument("entity")
@pass_app
def describe(app: App, entity: str) -> None:
    """Everything the graph says about ENTITY (rb:wan-long, wan-long or a full IRI),
    with the article's words behind each fact."""
    from rustbelt_kg.describe import describe as run_describe

    _emit(run_describe(app.store(), entity).render())


@cli.command()
@pass_app
def stats(app: App) -> None:
    """Count the store's graphs by kind, its classes and its properties."""
    from rustbelt_kg.stats import stats as run_stats

    _emit(f"project: {app.project().root}\n" + run_stats(app.store()).render())


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; 127.0.0.1 lets only this machine in, 0.0.0.0 everyone.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="TCP port to listen on.")
@click.option("--base-url", metavar="URL",
              help="The address clients reach the server at (default: http://HOST:PORT); its "
              "paths stand for the IRIs under https://w3id.org/rustbelt-kg/.")
@click.option("--timeout", type=Seconds(minimum=0.1), default=10.0, show_default=True,
              metavar="SECONDS",
              help="Stop a request's query after this many seconds (503); a request may ask for "
              "less with timeout=.")
@ALLOW_SERVICE_OPTION
@pass_app
def serve(app: App, host: str, port: int, base_url: str | None, timeout: float,
          services: tuple[str, ...]) -> None:
    """Serve the built store as linked data: a SPARQL 1.1 endpoint at /sparql, IRIs that
    resolve (/id/..., /claim/..., /ontology), pages to read; read-only, until Ctrl-C."""
    from rustbelt_kg.server import ServerConfig
    from rustbelt_kg.server import serve as run_server

    run_server(app.project(), ServerConfig(host=host, port=port, base_url=base_url,
                                           timeout=timeout, services=services))


# -- sources and quotes -------------------------------------------------------------------


@cli.command("add-source")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--title", required=True, help="The title (headline) of the source.")
@click.option("--published", required=True, metavar="YYYY-MM-DD", help="Publication date.")
@click.option("--publisher", required=True, help="Who published it.")
@click.option("--url", help="Where it was published (http or https).")
@click.option("--author", "authors", multiple=True, help="An author; repeat for several.")
@click.option("--licence", help="Its licence or rights statement.")
@click.option("--language", default="en", show_default=True, help="Its language (BCP 47).")
@click.option("--name", help="The source's name in data/sources/ (default: FILE's stem).")
@pass_app
def add_source(app: App, file: Path, title: str, published: str, publisher: str,
               url: str | None, authors: tuple[str, ...], licence: str | None, language: str,
               name: str | None) -> None:
    """Copy a text into data/sources/ and write its metadata stub (NAME.ttl) beside it.

    A text already registered (same SHA-256) or a name already taken is refused (exit 2).
    """
    from rustbelt_kg.sources import register

    added = register(app.project(), file, title=title, published=published,
                     publisher=publisher, url=url, authors=authors, licence=licence,
                     language=language, name=name)
    project = app.project()
    _emit(f"added {project.display(added.text)} and {project.display(added.stub)}; its claims "
          f"go in data/claims/{added.name}/, with oa:hasSource <{added.node}> and "
          f"prov:wasDerivedFrom <{added.work}>; the first says what <{added.work}> is "
          "(a rbo:NewsArticle with its schema:headline)\n")


@cli.command()
@click.option("--check", "check_only", is_flag=True,
              help="Write nothing; exit 1 if a file is not anchored as derived.")
@pass_app
def anchor(app: App, check_only: bool) -> None:
    """Derive every quote's offsets, prefix and suffix from its words and write them in.

    Only those values change in the claim files (and the SHA-256 in the stub of a text that
    changed); a quote whose words are not in its source
    text (an orphan, shown with the closest passage and its score) or that occurs more
    than once without a prefix or rbo:occurrence stops the command, and no file is written.
    """
    from rustbelt_kg.anchoring import anchor_project
    from rustbelt_kg.errors import CheckFailed

    project = app.project()
    report = anchor_project(project, write=not check_only)
    if check_only and (report.moved or report.digests):
        raise CheckFailed("quotes not anchored as derived (run rustbelt-kg anchor)",
                          report.moved + [f"SHA-256 of {d}" for d in report.digests])
    files = ", ".join(project.display(p) for p in report.changed) or "no file changed"
    digests = f"; {len(report.digests)} SHA-256 updated" if report.digests else ""
    _emit(f"{report.quotes} quotes anchored; {len(report.moved)} re-anchored{digests}: "
          f"{files}\n")


cli.add_command(link_command)
cli.add_command(enrich_command)


def _refuse_arguments_not_utf8(arguments: list[str]) -> None:
    """Exit 2 on an argument with bytes that are not UTF-8 (Python keeps them as lone
    surrogates, which no file, query or store could take)."""
    for number, argument in enumerate(arguments, start=1):
        bad = next((c for c in argument if "\udc80" <= c <= "\udcff"), None)
        if bad is not None:
            click.echo(
                f"error: argument {number} is not UTF-8 (byte 0x{ord(bad) - 0xDC00:02x} at "
                f"character {argument.index(bad) + 1})", err=True,
            )
            sys.exit(UsageError.exit_code)


def main(argv: list[str] | None = None) -> None:
    """Run the command line (the ``rustbelt-kg`` script)."""
    from rustbelt_kg.fsio import guarded_stdout

    try:
        _refuse_arguments_not_utf8(sys.argv[1:] if argv is None else argv)
        with guarded_stdout():
            cli.main(args=argv, prog_name="rustbelt-kg")
    except BrokenPipeError:  # stdout closed while click itself wrote (`--help | head`)
        _quiet_stdout()
        sys.exit(0)
    except OutputError as error:  # `--help > /dev/full`
        click.echo(f"error: {error}", err=True)
        _quiet_stdout()
        sys.exit(error.exit_code)
    except Exception as error:  # outside any command (the commands' own are handled above)
        _report_internal_error(error)
        sys.exit(5)
