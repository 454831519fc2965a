"""The command line, in-process with click's CliRunner, plus end-to-end runs of the script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from test_build import FakeValidation

from rustbelt_kg import build as build_module
from rustbelt_kg.cli import cli
from rustbelt_kg.errors import EndpointUnavailable
from rustbelt_kg.export import RDF_FORMATS
from rustbelt_kg.project import Project


def run(project: Project | None, *args: str, input: str | None = None) -> Result:
    options = ["--project", str(project.root)] if project is not None else []
    return CliRunner().invoke(cli, [*options, *args], input=input)


@pytest.fixture
def build_run(tiny_project: Project, monkeypatch: pytest.MonkeyPatch) -> Result:
    """``rustbelt-kg build`` of the tiny project (the SHACL step faked to conform)."""
    monkeypatch.setattr(build_module, "validate_quads", lambda quads, shapes: FakeValidation())
    result = run(tiny_project, "build")
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def built(tiny_project: Project, build_run: Result) -> Project:
    """The tiny project after a build."""
    return tiny_project


# -- help and registration -------------------------------------------------------------------


def _commands() -> list[click.Command]:
    ctx = click.Context(cli)
    return [cli.get_command(ctx, name) for name in cli.list_commands(ctx)]  # type: ignore[misc]


def test_every_command_and_option_has_help() -> None:
    assert cli.help
    for command in [cli, *_commands()]:
        assert command.help or command.short_help, f"{command.name} has no help"
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.help, f"{command.name} {param.opts} has no help"


def test_help_lists_commands_and_exit_codes() -> None:
    result = run(None, "--help")
    assert result.exit_code == 0
    for name in ("build", "validate", "check", "queries", "query", "sparql", "export",
                 "describe", "stats", "link", "enrich"):
        assert f"  {name} " in result.output
    assert "3  syntax error" in result.output


def test_the_wikidata_commands_are_registered_like_the_others() -> None:
    from rustbelt_kg.cli import wikidata

    assert cli.commands["link"] is wikidata.link
    assert cli.commands["enrich"] is wikidata.enrich


@click.command()
def endpoint_down() -> None:
    """Fails like a remote endpoint that refuses connections."""
    raise EndpointUnavailable("connection refused", endpoint="http://127.0.0.1:9/sparql")


@click.command()
def crash() -> None:
    """Fails like a bug: an exception no one meant to raise."""
    raise ValueError("something odd")


# -- exit codes ------------------------------------------------------------------------------


def test_exit_0_when_all_is_well(built: Project) -> None:
    assert run(built, "queries").exit_code == 0


def test_exit_1_when_a_query_differs_from_its_expected_result(built: Project) -> None:
    srj = built.queries_dir / "people.srj"
    srj.write_text(srj.read_text(encoding="utf-8").replace('"25"', '"52"'), encoding="utf-8")
    result = run(built, "query", "people", "--check")
    assert result.exit_code == 1
    assert "people: differs from its .srj" in result.stderr
    assert run(built, "query", "founders", "--check").exit_code == 0


def test_exit_1_when_the_build_finds_a_problem(
    tiny_project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    failing = FakeValidation(conforms=False, violations=["wan-long has no name"])
    monkeypatch.setattr(build_module, "validate_quads", lambda quads, shapes: failing)
    result = run(tiny_project, "build")
    assert result.exit_code == 1
    assert "conforms" in result.stdout and "2/2 pass" in result.stdout
    assert "report: wan-long has no name" in result.stderr


def test_exit_2_for_usage_errors(built: Project) -> None:
    unknown = run(built, "query", "nope")
    assert unknown.exit_code == 2
    assert "no stored query named 'nope'" in unknown.stderr
    assert "  founders\n  people" in unknown.stderr
    assert run(built, "query", "people", "--format", "yaml").exit_code == 2
    assert run(built, "query", "people", "--param", "nonsense").exit_code == 2
    assert run(built, "query", "people", "-p", "city=x").exit_code == 2
    assert run(built, "describe", "rb:nobody").exit_code == 2
    assert run(built, "--store", "sqlite", "stats").exit_code == 2


def test_exit_3_for_a_sparql_syntax_error_with_its_position(built: Project, tmp_path: Path) -> None:
    query = tmp_path / "bad.rq"
    query.write_text('SELECT ?s WHERE {\n  ?s ?p ?o .\n  ?s ?p "open\n}\n', encoding="utf-8")
    result = run(built, "sparql", f"@{query}")
    assert result.exit_code == 3
    assert result.stderr.startswith(f"error: {query}:3:14: ")


def test_exit_3_for_an_rdf_syntax_error_with_file_line_and_column(tiny_project: Project) -> None:
    bad = tiny_project.root / "data" / "article" / "bad.trig"
    bad.write_text("<urn:x:g> {\n  <urn:x:a> <urn:x:b> ) .\n}\n", encoding="utf-8")
    result = run(tiny_project, "check")
    assert result.exit_code == 3
    assert "error: data/article/bad.trig:2:23: " in result.stderr


def test_exit_4_when_a_remote_endpoint_fails(
    built: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(cli.commands, "down", endpoint_down)
    result = run(built, "down")
    assert result.exit_code == 4
    assert "http://127.0.0.1:9/sparql: connection refused" in result.stderr


def test_exit_5_when_the_store_is_missing(tiny_project: Project) -> None:
    result = run(tiny_project, "query", "people")
    assert result.exit_code == 5
    assert "run `rustbelt-kg build`" in result.stderr


def test_exit_5_when_the_store_is_corrupt_and_build_repairs_it(built: Project) -> None:
    (built.store_path.resolve() / "CURRENT").write_text("garbage\n", encoding="utf-8")
    broken = run(built, "stats")
    assert broken.exit_code == 5
    assert broken.stderr.startswith(f"error: cannot open the store at {built.store_path}: ")
    assert "Traceback" not in broken.stderr
    assert run(built, "build").exit_code == 0
    assert run(built, "stats").exit_code == 0


def test_exit_5_naming_the_file_when_an_output_cannot_be_written(built: Project) -> None:
    blocked = built.root / "not-a-folder"
    blocked.write_text("x\n", encoding="utf-8")
    export = run(built, "export", "-o", str(blocked / "out.ttl"))
    assert export.exit_code == 5
    assert export.stderr.startswith(f"error: cannot write {blocked / 'out.ttl'}: ")
    srj = built.queries_dir / "people.srj"
    srj.unlink()
    srj.mkdir()
    expected = run(built, "query", "people", "--write-expected")
    assert expected.exit_code == 5
    assert expected.stderr.startswith(f"error: cannot write {srj}: ")


def test_exit_5_for_an_internal_error_with_the_traceback_only_on_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(cli.commands, "crash", crash)
    result = run(None, "crash")
    assert result.exit_code == 5
    assert result.stderr == (
        "internal error: ValueError: something odd "
        "(please report; set RUSTBELT_KG_DEBUG=1 for the traceback)\n"
    )
    debug = CliRunner().invoke(cli, ["crash"], env={"RUSTBELT_KG_DEBUG": "1"})
    assert debug.exit_code == 5
    assert "Traceback (most recent call last)" in debug.stderr
    assert debug.stderr.endswith("(please report; set RUSTBELT_KG_DEBUG=1 for the traceback)\n")


def test_exit_3_for_a_query_file_that_is_not_utf8(built: Project, tmp_path: Path) -> None:
    latin = tmp_path / "latin.rq"
    latin.write_bytes("SELECT * { ?s ?p 'caf\u00e9' }\n".encode("latin-1"))
    adhoc = run(built, "sparql", f"@{latin}")
    assert adhoc.exit_code == 3
    assert adhoc.stderr.startswith(f"error: {latin}:1:22: not UTF-8: byte 0xe9")
    (built.queries_dir / "latin.rq").write_bytes(latin.read_bytes())
    listing = run(built, "queries")
    assert listing.exit_code == 3
    assert listing.stderr.startswith("error: queries/latin.rq:1:22: not UTF-8")


# -- commands ----------------------------------------------------------------------------------


def test_build_prints_the_summary_and_writes_dist(built: Project, build_run: Result) -> None:
    summary = dict(
        (label.strip(), value.strip())
        for label, value in (line.split("  ", 1) for line in build_run.stdout.splitlines())
    )
    assert summary["claims"] == "3" and summary["named graphs"] == "8"
    assert summary["conforms"] == "yes"
    assert summary["stored queries"] == "2/2 pass" and summary["QC queries"] == "1/1 pass"
    names = [f"rustbelt-kg.{f.extension}" for f in RDF_FORMATS.values()]
    assert summary["exports"] == ", ".join(names)
    assert build_run.stderr == ""
    assert sorted(p.suffix for p in built.dist_dir.iterdir()) == sorted(
        f".{f.extension}" for f in RDF_FORMATS.values()
    )


def test_queries_lists_names_and_titles(built: Project) -> None:
    output = run(built, "queries").stdout
    assert "founders" in output and "Founders" in output and "founder=rb:wan-long" in output


def test_query_json_output_is_the_expected_result_file(built: Project) -> None:
    result = run(built, "query", "people", "--format", "json")
    assert result.exit_code == 0
    assert result.stdout == (built.queries_dir / "people.srj").read_text(encoding="utf-8")


def test_query_writes_its_expected_result(built: Project) -> None:
    srj = built.queries_dir / "people.srj"
    before = srj.read_text(encoding="utf-8")
    srj.unlink()
    assert run(built, "query", "people", "-p", "person=rb:x", "--write-expected").exit_code == 2
    result = run(built, "query", "people", "--write-expected")
    assert result.exit_code == 0 and "wrote people.srj (1 row(s))" in result.stdout
    assert srj.read_text(encoding="utf-8") == before


def test_query_output_is_tsv_when_piped_and_params_bind(built: Project) -> None:
    result = run(built, "query", "founders", "-p", "founder=rb:wan-long")
    assert result.stdout.splitlines()[0] == "?founder\t?organization\t?quote"
    assert len(result.stdout.splitlines()) == 2
    empty = run(built, "query", "founders", "--param", "founder=<urn:x:nobody>")
    assert empty.stdout.splitlines() == ["?founder\t?organization\t?quote"]


def test_query_table_format(built: Project) -> None:
    output = run(built, "query", "people", "-f", "table").stdout
    assert "rb:wan-long" in output and "Wan Long" in output and "1 row(s)" in output


def test_sparql_runs_text_stdin_and_construct(built: Project) -> None:
    ask = run(built, "sparql", "ASK { rb:wan-long a rbo:Person }", "-f", "json")
    assert json.loads(ask.stdout) == {"head": {}, "boolean": True}
    piped = run(built, "sparql", "-", input="SELECT ?age WHERE { rb:wan-long rbo:age ?age }")
    assert piped.stdout.splitlines()[1] == '"25"^^<http://www.w3.org/2001/XMLSchema#integer>'
    graph = run(built, "sparql", "CONSTRUCT WHERE { rb:wan-long ?p ?o }", "-f", "table")
    assert graph.exit_code == 0 and "rb:wan-long a rbo:Person ;" in graph.stdout
    select_as_rdf = run(built, "sparql", "SELECT * { ?s ?p ?o }", "-f", "trig")
    assert select_as_rdf.exit_code == 2


def test_export_to_stdout_and_to_a_file(built: Project, tmp_path: Path) -> None:
    stdout = run(built, "export", "--format", "nt")
    assert stdout.exit_code == 0
    assert stdout.stdout == (built.dist_dir / "rustbelt-kg.nt").read_text(encoding="utf-8")
    target = tmp_path / "out.trig"
    assert run(built, "export", "-o", str(target)).exit_code == 0
    assert target.read_text(encoding="utf-8") == (built.dist_dir / "rustbelt-kg.trig").read_text(
        encoding="utf-8"
    )


def test_describe_gives_each_fact_with_its_quote(built: Project) -> None:
    result = run(built, "describe", "rb:wan-long")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "rb:wan-long"
    assert '  rbo:age "25"^^xsd:integer' in lines
    assert "      claim:wan-long: “Wan Long, 25”" in lines
    assert "  rb:welding-company rbo:foundedBy rb:wan-long" in lines
    assert "      claim:wan-long-founded: “launched a welding company last year”" in lines
    assert "      rbg:links/wikidata" in lines  # a graph that gives no quote
    full = run(built, "describe", "https://w3id.org/rustbelt-kg/id/wan-long")
    assert full.stdout == result.stdout


def test_stats_counts_graphs_by_kind(built: Project) -> None:
    output = run(built, "stats").stdout
    assert "  claim            3 graph(s)" in output
    assert "rbo:Person" in output


def test_validate_and_check_read_the_sources(
    tiny_project: Project, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(build_module, "validate_quads", lambda quads, shapes: FakeValidation())
    report = tmp_path / "report.ttl"
    validated = run(tiny_project, "validate", "--report", str(report))
    assert validated.exit_code == 0 and validated.stdout.startswith("conforms:")
    assert report.is_file()
    checked = run(tiny_project, "check")
    assert checked.exit_code == 0 and "1/1 QC queries pass" in checked.stdout


def test_memory_store_needs_no_build(tiny_project: Project) -> None:
    result = run(tiny_project, "--store", "memory", "query", "people", "-f", "json")
    assert result.exit_code == 0
    assert result.stdout == (tiny_project.queries_dir / "people.srj").read_text(encoding="utf-8")


# -- the installed script ----------------------------------------------------------------------

SCRIPT = Path(sys.executable).with_name("rustbelt-kg")


def _script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONWARNINGS": "error"})


def test_installed_script_runs_a_query(tiny_project: Project) -> None:
    done = _script("--project", str(tiny_project.root), "--store", "memory",
                   "query", "people", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert done.stdout == (tiny_project.queries_dir / "people.srj").read_text(encoding="utf-8")


def test_installed_script_reports_errors_with_exit_codes(tiny_project: Project) -> None:
    missing = _script("--project", str(tiny_project.root), "describe", "rb:wan-long")
    assert missing.returncode == 5 and "rustbelt-kg build" in missing.stderr
    usage = _script("--project", str(tiny_project.root), "no-such-command")
    assert usage.returncode == 2


def test_installed_script_stops_quietly_with_0_when_stdout_is_closed(
    tiny_project: Project,
) -> None:
    command = [str(SCRIPT), "--project", str(tiny_project.root), "--store", "memory",
               "export", "--format", "nt"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as child:
        assert child.stdout is not None and child.stderr is not None
        child.stdout.close()  # the reader is gone before the first byte is written
        stderr = child.stderr.read()
        child.wait(timeout=60)
    assert (child.returncode, stderr) == (0, b"")


def test_describe_wan_long_in_the_real_graph(built_project) -> None:  # type: ignore[no-untyped-def]
    from rustbelt_kg.describe import describe

    description = describe(built_project.store, "rb:wan-long")
    assert description.outgoing and description.incoming
    quoted = [q for fact in description.facts for quotes in fact.sources.values() for q in quotes]
    assert any("Wan Long" in q for q in quoted)
    assert description.render().startswith("rb:wan-long\n")


def test_queries_piped_prints_tab_separated_lines_with_nothing_cut_off(
    tiny_project: Project,
) -> None:
    long_name = "investment-per-inhabitant-by-province-and-year"
    title = "A title long enough to wrap in an eighty-column table, and then some more words"
    text = (tiny_project.queries_dir / "people.rq").read_text(encoding="utf-8")
    (tiny_project.queries_dir / f"{long_name}.rq").write_text(
        text.replace("#+ title: People", f"#+ title: {title}"), encoding="utf-8")
    result = run(tiny_project, "queries")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "name\ttitle\tparameters"
    assert f"{long_name}\t{title}\tperson=-" in lines
    assert "founders\tFounders\tfounder=rb:wan-long" in lines
    assert not any(c in result.stdout for c in "┃│━")


def test_describe_shows_the_status_of_each_claim(built_project) -> None:  # type: ignore[no-untyped-def]
    from rustbelt_kg.describe import describe

    description = describe(built_project.store, "rb:ke-dongyue")
    lines = description.render().splitlines()
    assert any(line.startswith("      claim:ke-dongyue-investor (ambiguous reading): “The")
               for line in lines)
    assert any(line.startswith("      claim:ke-dongyue-former-pediatrician (stated by the article)")
               for line in lines)
    investor = [f for f in description.incoming if str(f.predicate).endswith("#investor")]
    assert [fact.statuses for fact in investor] == [
        {"https://w3id.org/rustbelt-kg/claim/ke-dongyue-investor": "ambiguous reading"}
    ]


@pytest.mark.parametrize("seconds", ["nan", "inf", "-inf", "1e308", "-1", "soon"])
def test_a_timeout_that_is_not_a_finite_number_of_seconds_is_a_usage_error(
    built: Project, seconds: str
) -> None:
    for command in (["sparql", "ASK { ?s ?p ?o }"], ["query", "people"], ["link", "--todo"]):
        result = run(built, *command[:1], "--timeout", seconds, *command[1:])
        assert result.exit_code == 2, (command, result.output)
        assert "is not a number of seconds" in result.stderr
        assert "internal error" not in result.stderr


def test_an_integer_rdflib_cannot_convert_gives_one_warning_line_not_a_traceback(
    tiny_project: Project,
) -> None:
    query = "SELECT (" + "9" * 5000 + " AS ?x) WHERE {}"
    done = subprocess.run(
        [str(Path(sys.executable).with_name("rustbelt-kg")), "--project", str(tiny_project.root),
         "--store", "memory", "sparql", "-"],
        input=query, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1].startswith('"' + "9" * 5000 + '"')
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("warning: rdflib"), done.stderr
    assert "4300 digits" in lines[0]


def test_arguments_and_standard_input_that_are_not_utf8_are_clear_errors(built: Project) -> None:
    script = Path(sys.executable).with_name("rustbelt-kg")
    base = [str(script).encode(), b"--project", str(built.root).encode()]
    for command, code, message in [
        ([b"sparql", b'SELECT * { ?s ?p "\xff" }'], 2, "argument 4 is not UTF-8 (byte 0xff"),
        ([b"describe", b"rb:\xfe"], 2, "argument 4 is not UTF-8 (byte 0xfe"),
        ([b"query", b"people", b"--param", b"person=rb:\xff"], 2, "argument 6 is not UTF-8"),
    ]:
        done = subprocess.run([*base, *command], capture_output=True, timeout=60)
        assert done.returncode == code, done.stderr
        assert message in done.stderr.decode(), done.stderr
        assert b"internal error" not in done.stderr
    done = subprocess.run([*base, b"sparql", b"-"], input=b'SELECT * { ?s ?p "\xff" }',
                          capture_output=True, timeout=60)
    assert done.returncode == 3
    assert done.stderr.decode() == "error: <stdin>:1:19: not UTF-8: byte 0xff at offset 18\n"


def test_a_query_text_may_begin_with_a_byte_order_mark(built: Project, tmp_path: Path) -> None:
    text = "\ufeffSELECT ?name WHERE { ?p a rbo:Person ; rdfs:label ?name } ORDER BY ?name"
    query = tmp_path / "bom.rq"
    query.write_text(text, encoding="utf-8")
    plain = run(built, "sparql", text[1:])
    assert plain.exit_code == 0 and plain.stdout.count("\n") > 1
    for given, stdin in ((text, None), (f"@{query}", None), ("-", text)):
        result = CliRunner().invoke(cli, ["--project", str(built.root), "sparql", given],
                                    input=stdin)
        assert (result.exit_code, result.stdout) == (0, plain.stdout), result.output
