"""The public API: a short, sorted ``__all__`` that resolves and is documented."""

from __future__ import annotations

import importlib
import subprocess
import sys

import rustbelt_kg


def test_all_is_sorted_and_without_duplicates() -> None:
    assert rustbelt_kg.__all__ == sorted(set(rustbelt_kg.__all__))


def test_every_exported_name_resolves_and_has_a_docstring() -> None:
    for name in rustbelt_kg.__all__:
        value = getattr(rustbelt_kg, name)
        if callable(value):
            assert value.__doc__, f"rustbelt_kg.{name} has no docstring"


def test_exports_are_the_objects_of_their_modules() -> None:
    for name, module in rustbelt_kg._EXPORTS.items():
        assert getattr(rustbelt_kg, name) is getattr(importlib.import_module(module), name)
    assert set(rustbelt_kg._EXPORTS) | {"__version__"} == set(rustbelt_kg.__all__)


def test_unknown_attribute_is_an_attribute_error() -> None:
    assert not hasattr(rustbelt_kg, "no_such_name")


def test_importing_the_package_stays_light() -> None:
    code = (
        "import sys, rustbelt_kg.errors\n"
        "print('rdflib' in sys.modules, 'pyoxigraph' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]


def test_the_query_path_does_not_import_pyshacl() -> None:
    code = (
        "import sys\n"
        "from rustbelt_kg.cli import main\n"
        "from rustbelt_kg import query, results, store, describe, stats\n"
        "print('pyshacl' in sys.modules, 'rdflib.plugins.sparql' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]


def test_the_command_line_starts_without_rdflib_or_pyoxigraph() -> None:
    """``rustbelt-kg --help`` and ``--version`` need neither: commands import what they use."""
    code = (
        "import sys\n"
        "import rustbelt_kg.cli.main\n"
        "print(*(m in sys.modules for m in ('rdflib', 'pyoxigraph')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]
