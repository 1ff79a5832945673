"""A griffe extension for the API reference: `>>>` examples in docstrings show as code.

The docstrings are plain text written for `help()`. Markdown would read a `>>>` line as a
nested quote; this wraps each run of `>>>`/`...` lines (and the lines printed after them, up
to a blank line) in a fenced `pycon` block, and leaves the rest of the docstring as it is.
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


class DoctestBlocks(griffe.Extension):
    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None and ">>>" in obj.docstring.value:
            obj.docstring.value = fence_examples(obj.docstring.value)
