"""rustbelt-kg: a knowledge graph of one news article, every fact traced to its words.

The public API is the short list in ``__all__``; everything else lives in submodules.
Names are imported on first use (PEP 562), so ``import rustbelt_kg.errors`` stays cheap::

    from rustbelt_kg import Project, open_store, get_query, run_query

    project = Project.discover()
    store = open_store("oxigraph", project)
    result = run_query(store, get_query(project, "funding-by-province"))

Functions named like their module are reached through it (``rustbelt_kg.build.build``,
``rustbelt_kg.export.export``, ``rustbelt_kg.describe.describe``): importing a submodule
binds its name in the package, so the package cannot export a function of the same name.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
from types import ModuleType
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: Public name -> the module that defines it.
_EXPORTS: dict[str, str] = {
    "BuildSummary": "rustbelt_kg.build",
    "Project": "rustbelt_kg.project",
    "QueryResult": "rustbelt_kg.results",
    "RDF_FORMATS": "rustbelt_kg.export",
    "RESULT_FORMATS": "rustbelt_kg.results",
    "STORES": "rustbelt_kg.stores",
    "Store": "rustbelt_kg.stores",
    "StoredQuery": "rustbelt_kg.query",
    "compare_results": "rustbelt_kg.query",
    "get_query": "rustbelt_kg.query",
    "list_queries": "rustbelt_kg.query",
    "load_project": "rustbelt_kg.load",
    "load_quads": "rustbelt_kg.load",
    "open_store": "rustbelt_kg.stores",
    "run_query": "rustbelt_kg.query",
    "serialize": "rustbelt_kg.export",
}

__all__ = [
    "BuildSummary",
    "Project",
    "QueryResult",
    "RDF_FORMATS",
    "RESULT_FORMATS",
    "STORES",
    "Store",
    "StoredQuery",
    "__version__",
    "compare_results",
    "get_query",
    "list_queries",
    "load_project",
    "load_quads",
    "open_store",
    "run_query",
    "serialize",
]

if TYPE_CHECKING:
    from rustbelt_kg.build import BuildSummary
    from rustbelt_kg.export import RDF_FORMATS, serialize
    from rustbelt_kg.load import load_project, load_quads
    from rustbelt_kg.project import Project
    from rustbelt_kg.query import StoredQuery, compare_results, get_query, list_queries, run_query
    from rustbelt_kg.results import RESULT_FORMATS, QueryResult
    from rustbelt_kg.stores import STORES, Store, open_store


#: Module paths that moved, kept importable for a while: the old name is the same module
#: object as the new one (not a copy), so what is patched through either is seen by both.
_MOVED: dict[str, str] = {
    "rustbelt_kg.store": "rustbelt_kg.stores",
    "rustbelt_kg.memory_store": "rustbelt_kg.stores.memory",
}


class _MovedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds a moved module under its old name and hands back the module at its new one."""

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname not in _MOVED:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec: Any) -> ModuleType:
        module = importlib.import_module(_MOVED[spec.name])
        self._spec = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        """The module at its new name has run already; it keeps its own spec."""
        module.__spec__ = self._spec


if not any(isinstance(finder, _MovedModules) for finder in sys.meta_path):
    sys.meta_path.append(_MovedModules())


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'rustbelt_kg' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
