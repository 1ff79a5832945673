"""A griffe extension for the API reference: docstrings written for `help()` read as text.

The docstrings are plain text. Markdown would read a `>>>` line as a nested quote; this wraps
each run of `>>>`/`...` lines (and the lines printed after them, up to a blank line) in a fenced
`pycon` block. And Markdown passes raw HTML through: a docstring that names a tag in its prose
(`an <iframe srcdoc>`) would open that element and swallow the rest of the page, so a `<` in
prose, outside code spans and code blocks, is written as `&lt;`.
"""

from __future__ import annotations

from typing import Any

import griffe


def fence_examples(text: str) -> str:
    """Return `text` with each run of interpreter-session lines inside a pycon fence."""
    out: list[str] = []
    session = False
    for line in text.splitlines():
        starts = line.lstrip().startswith((">>>", "... "))
        if starts and not session:
            out.append("```pycon")
            session = True
        elif session and not line.strip():
            out.append("```")
            session = False
        out.append(line.strip() if session else line)
    if session:
        out.append("```")
    return "\n".join(out)


def escape_tags(text: str) -> str:
    """Return `text` with each `<` of its prose as `&lt;`: not in a fence, an indented code
    block (4 spaces) or a backquoted code span, where Markdown shows it as written."""
    out: list[str] = []
    fenced = False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif not fenced and not line.startswith("    ") and "<" in line:
            spans = line.split("`")  # even pieces are prose, odd ones code spans
            prose = [p.replace("<", "&lt;") if k % 2 == 0 else p for k, p in enumerate(spans)]
            line = "`".join(prose)
        out.append(line)
    return "\n".join(out)


class DoctestBlocks(griffe.Extension):
    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is None:
            return
        if ">>>" in obj.docstring.value:
            obj.docstring.value = fence_examples(obj.docstring.value)
        obj.docstring.value = escape_tags(obj.docstring.value)
