"""Generated references: the CLI's ``--help`` and the stored queries, as Markdown.

``docs/cli.md`` and ``docs/queries.md`` are written by this module and checked by the tests,
so they cannot drift from the code and the query files::

    python -m rustbelt_kg.reference            # rewrite both files
    python -m rustbelt_kg.reference --check    # exit 1 if either is out of date
"""

from __future__ import annotations

import sys
from functools import partial
from typing import TextIO

import click

from .export import atomic_write
from .project import Project
from .query import list_qc_queries, list_queries

#: The generated files, relative to the project root.
GENERATED = ("docs/cli.md", "docs/queries.md")


def _context(
    command: click.Command, name: str, parent: click.Context | None = None
) -> click.Context:
    return command.make_context(
        name, [], parent=parent, resilient_parsing=True, terminal_width=100, max_content_width=100
    )


def cli_reference() -> str:
    """Every command's ``--help`` text, in command order."""
    from .cli.main import cli

    lines = [
        "# Command reference",
        "",
        "Generated from `rustbelt-kg --help` by `python -m rustbelt_kg.reference`; do not edit.",
        "",
        "## rustbelt-kg",
        "",
        "```",
    ]
    root = _context(cli, "rustbelt-kg")
    lines += [cli.get_help(root), "```"]
    for name in cli.list_commands(root):
        command = cli.get_command(root, name)
        assert command is not None
        text = command.get_help(_context(command, name, root))
        lines += ["", f"## rustbelt-kg {name}", "", "```", text, "```"]
    return "\n".join(lines) + "\n"


def queries_reference(project: Project) -> str:
    """The stored queries and the QC queries: name, title, description and parameters."""
    lines = [
        "# Stored queries",
        "",
        "Generated from the headers of `queries/*.rq` by `python -m rustbelt_kg.reference`;",
        "do not edit. Run one with `rustbelt-kg query NAME [--param key=value]`; its expected",
        "result is `queries/NAME.srj`.",
        "",
    ]
    for stored in list_queries(project):
        lines += [f"## {stored.name}", "", f"**{stored.title}**", "", stored.description, ""]
        for param in stored.params:
            default = param.default if param.default is not None else "none"
            lines.append(
                f"- parameter `{param.name}` ({param.kind}, default {default}): {param.help}"
            )
        if stored.params:
            lines.append("")
    lines += [
        "# QC queries",
        "",
        "`queries/qc/*-violation.rq`: any row they return fails the build.",
        "",
        "| query | checks |",
        "|-------|--------|",
    ]
    for stored in list_qc_queries(project):
        lines.append(f"| {stored.name} | {stored.title} |")
    return "\n".join(lines) + "\n"


def render(project: Project) -> dict[str, str]:
    """The text every generated file should have."""
    cli_text, queries_text = cli_reference(), queries_reference(project)
    return dict(zip(GENERATED, (cli_text, queries_text), strict=True))


def _write(out: TextIO, *, text: str) -> None:
    out.write(text)


def main(argv: list[str] | None = None) -> int:
    """Rewrite the generated files, or with ``--check`` report the stale ones (exit 1)."""
    args = sys.argv[1:] if argv is None else argv
    project = Project.discover()
    stale = []
    for relative, text in render(project).items():
        path = project.root / relative
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        stale.append(relative)
        if "--check" not in args:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(path, partial(_write, text=text))
    if "--check" in args and stale:
        print("out of date: " + ", ".join(stale) + "; run python -m rustbelt_kg.reference")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
