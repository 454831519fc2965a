"""SVG pictures drawn on the server by Graphviz: an entity's neighbourhood, the class diagram.

The pages build a small graph (:class:`Diagram`) and :func:`render_svg` runs Graphviz's
``dot -Tsvg`` on it in a child process with a timeout. Labels come from the data, so they
are cleaned before ``dot`` sees them (:func:`dot_string`): control characters dropped,
backslashes and quotes escaped, ``&`` written as an entity, long labels cut. Links in the
picture are the pages' own URLs. When ``dot`` is missing, fails or runs past its timeout,
:func:`render_svg` returns ``None`` and the page says the picture is not available.
The same DOT text always gives the same picture, so answers are kept (a small LRU cache).

>>> dot_string('say "hi" \\\\ & <b>')
'"say \\\\"hi\\\\" \\\\\\\\ &amp; <b>"'
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from dataclasses import dataclass, field

__all__ = ["Diagram", "dot_string", "render_svg"]

#: Seconds ``dot`` may take for one picture.
TIMEOUT = 5.0
#: Characters of a label kept in a picture.
MAX_LABEL = 48

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_PROLOGUE = re.compile(r"\A.*?(?=<svg\b)", re.DOTALL)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


def dot_string(text: str, limit: int = MAX_LABEL) -> str:
    """``text`` as a quoted DOT string, safe to place in a label or attribute."""
    text = _CONTROL.sub(" ", text)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    text = text.replace("\\", "\\\\").replace('"', '\\"').replace("&", "&amp;")
    return f'"{text}"'


@dataclass
class Diagram:
    """Nodes and edges of a picture; node ids are any strings (IRIs)."""

    title: str
    direction: str = "LR"
    nodes: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # id -> label, href, kind
    edges: list[tuple[str, str, str, str]] = field(default_factory=list)  # from, to, label, style

    def node(self, key: str, label: str, href: str = "", kind: str = "") -> None:
        """Add a node (once); ``kind`` is ``focus``, ``class`` or ``value`` for its style."""
        self.nodes.setdefault(key, (label, href, kind))

    def edge(self, source: str, target: str, label: str = "", style: str = "solid") -> None:
        """Add an edge between two nodes already added."""
        edge = (source, target, label, style)
        if edge not in self.edges:
            self.edges.append(edge)

    def dot(self) -> str:
        """The DOT text of the picture."""
        ids = {key: f"n{i}" for i, key in enumerate(self.nodes)}
        lines = [
            "digraph g {",
            f"  graph [rankdir={self.direction}, bgcolor=transparent, "
            f"fontname=\"sans-serif\", tooltip={dot_string(self.title)}];",
            '  node [shape=box, style="rounded,filled", fillcolor="#ffffff", color="#555555", '
            'fontname="sans-serif", fontsize=11];',
            '  edge [color="#666666", fontname="sans-serif", fontsize=9];',
        ]
        fills = {"focus": "#ffe08a", "class": "#dbe8ff", "value": "#eeeeee"}
        for key, (label, href, kind) in self.nodes.items():
            attributes = [f"label={dot_string(label)}", f"tooltip={dot_string(label, 200)}"]
            if href:
                attributes.append(f"href={dot_string(href, 500)}")
            if kind in fills:
                attributes.append(f'fillcolor="{fills[kind]}"')
            if kind == "value":
                attributes.append("shape=note")
            lines.append(f"  {ids[key]} [{', '.join(attributes)}];")
        for source, target, label, style in self.edges:
            lines.append(
                f"  {ids[source]} -> {ids[target]} [label={dot_string(label)}, style={style}];"
            )
        lines.append("}")
        return "\n".join(lines) + "\n"


def render_svg(diagram: Diagram) -> str | None:
    """The picture as an inline ``<svg>`` element, or ``None`` when ``dot`` cannot draw it."""
    program = shutil.which("dot")
    if program is None:
        return None
    return _render(program, diagram.dot(), diagram.title)


@functools.lru_cache(maxsize=256)
def _render(program: str, source: str, title: str) -> str | None:
    try:
        done = subprocess.run(
            [program, "-Tsvg"], input=source.encode("utf-8"), capture_output=True,
            timeout=TIMEOUT, check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    svg = _COMMENT.sub("", _PROLOGUE.sub("", done.stdout.decode("utf-8", "replace")))
    label = title.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    return svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1)
