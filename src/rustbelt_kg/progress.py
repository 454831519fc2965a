"""Progress of the long steps of a build, on standard error and only on a terminal.

:class:`Steps` is what the library reports to: a step begins (``with steps.step("parse")``)
and within it the item being worked on changes (``steps.item("data/article/jilin.trig")``).
:data:`QUIET` reports nothing; :func:`terminal_steps` shows a rich spinner with the step,
the item and the time on stderr, and one line per finished step, when stderr is a terminal,
so piped and CI output stays as it was and standard output is never touched.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator
from typing import Any

__all__ = ["QUIET", "Steps", "terminal_steps"]


class Steps:
    """Reports nothing; subclasses show the steps somewhere."""

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[None]:
        """The step called ``name`` runs inside the block."""
        yield

    def item(self, text: str) -> None:
        """The current step is working on ``text`` (a file name, a query)."""


#: Progress that goes nowhere (the library's default).
QUIET = Steps()


class _RichSteps(Steps):
    def __init__(self, console: Any) -> None:
        self.console = console
        self.status: Any = None
        self.name = ""

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[None]:
        self.name = name
        started = time.perf_counter()
        with self.console.status(f"{name} …") as status:
            self.status = status
            try:
                yield
            finally:
                self.status = None
        self.console.print(f"[dim]{name:<15} {time.perf_counter() - started:6.2f} s[/dim]",
                           highlight=False)

    def item(self, text: str) -> None:
        if self.status is not None:
            self.status.update(f"{self.name}: {text}")


def terminal_steps() -> Steps:
    """Rich progress on stderr when stderr is a terminal, else :data:`QUIET`."""
    if not sys.stderr.isatty():
        return QUIET
    from rich.console import Console

    return _RichSteps(Console(stderr=True))
