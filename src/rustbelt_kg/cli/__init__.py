"""The ``rustbelt-kg`` command line (see :mod:`rustbelt_kg.cli.main`)."""

from __future__ import annotations

from rustbelt_kg.cli.main import App, cli, main

__all__ = ["App", "cli", "main"]
