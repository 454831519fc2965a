"""Option types shared by the commands.

>>> Seconds(minimum=0).convert("2.5", None, None)
2.5
>>> Seconds(minimum=0).convert("nan", None, None)
Traceback (most recent call last):
...
click.exceptions.BadParameter: 'nan' is not a number of seconds from 0 to 604800
"""

from __future__ import annotations

import math

import click

__all__ = ["MAX_SECONDS", "Seconds"]

#: The longest time an option in seconds takes: one week.
MAX_SECONDS = 7 * 24 * 3600


class Seconds(click.ParamType):
    """A finite number of seconds from ``minimum`` to :data:`MAX_SECONDS`: no ``nan``, no
    ``inf``, nothing a timer cannot hold (a usage error, exit 2)."""

    name = "seconds"

    def __init__(self, minimum: float = 0) -> None:
        self.minimum = minimum

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        try:
            seconds = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            seconds = math.nan
        if not (math.isfinite(seconds) and self.minimum <= seconds <= MAX_SECONDS):
            self.fail(
                f"{value!r} is not a number of seconds from {self.minimum:g} to {MAX_SECONDS}",
                param, ctx,
            )
        return seconds
