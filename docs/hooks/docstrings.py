"""A griffe extension for the API reference: docstrings written for `help()` read as text.

The docstrings are plain text with the math (STYLE §5), laid out for a terminal. Markdown
would mangle four of their forms, so each is rewritten when the site builds (the docstrings
themselves stay as `help()` shows them):

1. Interpreter sessions. Markdown would read a `>>>` line as a nested quote: each run of
   `>>>`/`...` lines, with the lines printed after them up to a blank line, goes in a fenced
   `pycon` block.
2. Aligned tables (the form below): an HTML table, one row per row, one cell per column.
3. Lines of formulas: a paragraph of two lines or more in which every line begins with a name
   and `←` or `=` (an update rule, `p ← p - lr·g`, or a definition, `step = ...`) keeps its
   lines, as `help()` shows them, instead of running them together.
4. Tags in prose. Markdown passes raw HTML through: a docstring that names a tag in its prose
   (`an <iframe srcdoc>`) would open that element and swallow the rest of the page, so a `<`
   in prose, outside code spans and code blocks, is written as `&lt;`.

The aligned-table form
----------------------

A paragraph is the lines between blank lines (outside fences and indented code blocks); a
table is a run of its lines, and the lines of the paragraph before and after it stay prose.
Columns are counted in characters, from the docstring's left edge (after `inspect.cleandoc`).

- A *row* starts at the left edge and has a gap of two or more spaces in it. The text before
  its first gap is the row's *term* (its first cell); the text after it, its *description*.
  A line that begins a Markdown list item (`- `, `* `, `+ `, `1. `) is never a row.
- A *continuation* is a line indented by one space or more, right after a row: it continues
  the row's last cell (so a long description wraps onto lines of its own).
- A line at the left edge with no gap, followed by a continuation, is a row with a term too
  long for its column: its description is on the next line, starting at the column.
- The *description column* is the leftmost column where a row's description starts on the
  row's own line. Every row's description starts there, unless its term reaches past it (it
  ends less than two spaces before the column), in which case its description starts after
  its first gap.
- The cells line up: some column holds the start of a description, a further cell or a
  continuation on two lines or more.
- A further gap in a description starts a further cell when the text after it begins at a
  column where text also begins after a further gap in another row (a third column, like
  RMSprop's `else ...`); any other double space stays part of the text.
- A run of rows (with their continuations) that keeps all these rules, two of them or more
  with their description on their own line, is a table.

A term that is a Python name, or a name followed by a call or a signature (`rankdir`,
`prog.grad(*inputs)`, `step(n=1) -> float`, `select(i), selected`), is shown as code; other
cells are text, with their backquoted spans as code. Example, from `to_dot`:

    rankdir        "LR" (data flows left to right), "TB", "RL" or "BT"
    params         the leaves to colour as parameters (a list of Values, or a Module); by
                   default the leaves named as nn names parameters
    number_format  a format spec for data and grads, e.g. ".4g" or ".6f"

is a table of three rows and two columns, the second row's description on two lines.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

import griffe

_GAP = re.compile(r" {2,}(?=\S)")  # two spaces or more, then text
_NAME_TERM = re.compile(r"[A-Za-z_][\w.]*(?:\(|$)")  # `rankdir`, `prog.grad(`, `step(`
_MADE = ("<table data-docstring-table>", "<p data-docstring-lines>")  # what render() writes
_LIST_ITEM = re.compile(r"(?:[-*+]|\d+[.)]) ")  # Markdown reads these as a list's items
_FORMULA_LINE = re.compile(r"[^\W\d][\w.]*\s*(?:←|=)\s")  # `p ← ...`, `step = ...`


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


def escape_prose(line: str) -> str:
    """Return a line of prose with each `<` outside backquoted code spans as `&lt;`."""
    if "<" not in line:
        return line
    spans = line.split("`")  # even pieces are prose, odd ones code spans
    return "`".join(p.replace("<", "&lt;") if k % 2 == 0 else p for k, p in enumerate(spans))


# ---- aligned tables ----


@dataclass
class Row:
    line: str  # the row's own line, at the left edge
    term_end: int  # the column just past the term
    start: int | None  # where the description starts on the line (None: on the next line)
    continued: list[tuple[int, str]] = field(default_factory=list)  # (indentation, text)

    def further(self) -> list[int]:
        """Return the columns where text begins after the row's second gap and later ones."""
        return [m.end() for m in list(_GAP.finditer(self.line))[1:]]

    def cells(self, columns: set[int]) -> list[str]:
        """Return the row's cells, split at its first gap and at the shared `columns`."""
        more = [text for _, text in self.continued]
        if self.start is None:
            return [self.line, " ".join(more)]
        cuts = [self.term_end, self.start, *[c for c in self.further() if c in columns]]
        cuts.append(len(self.line))
        cells = [self.line[: self.term_end]]
        cells += [self.line[a:b].strip() for a, b in zip(cuts[1:], cuts[2:])]
        cells[-1] = " ".join([cells[-1], *more])
        return cells


def _row(line: str, following: str | None) -> Row | None:
    """Return the row that a line makes (given the line after it), or None for any other."""
    line = line.rstrip()
    if not line or line[0].isspace() or _LIST_ITEM.match(line):
        return None
    gap = _GAP.search(line)
    if gap is not None:
        return Row(line, gap.start(), gap.end())
    if following is not None and _is_continuation(following):  # a term too long for its column
        return Row(line, len(line), None)
    return None


def _is_continuation(line: str) -> bool:
    return bool(line.strip()) and line[0] == " "


def _take_table(lines: list[str], start: int) -> tuple[list[list[str]], int] | None:
    """Return the cells of the table that begins at `lines[start]` and the index just past
    it, or None when no table begins there."""
    rows: list[Row] = []
    k = start
    while k < len(lines):
        row = _row(lines[k], lines[k + 1] if k + 1 < len(lines) else None)
        if row is not None:
            rows.append(row)
        elif rows and _is_continuation(lines[k]):
            line = lines[k].rstrip()
            rows[-1].continued.append((len(line) - len(line.lstrip()), line.strip()))
        else:
            break
        k += 1
    if len(rows) < 2:
        return None
    columns = _columns(rows)
    if columns is None:
        return None
    return [row.cells(columns) for row in rows], k


def _columns(rows: list[Row]) -> set[int] | None:
    """Return the columns where further cells start, or None when the rows do not line up
    as the form says (see the module's text)."""
    starts = [row.start for row in rows if row.start is not None]
    if len(starts) < 2:
        return None
    column = min(starts)
    for row in rows:
        if row.start is None and row.continued[0][0] != column:
            return None  # a long term's description starts at the column, on the next line
        if row.start is not None and row.start != column and row.term_end + 2 <= column:
            return None  # a short term whose description starts right of the column
    counts: dict[int, int] = {}
    for row in rows:
        for start in row.further():
            counts[start] = counts.get(start, 0) + 1
    shared = {start for start, count in counts.items() if count >= 2}
    starts += [indent for row in rows for indent, _ in row.continued]
    if not shared and all(starts.count(s) < 2 for s in starts):
        return None  # nothing lines up: prose with double spaces, not a table
    return shared


def _inline(text: str) -> str:
    """Return cell text as HTML: escaped, its backquoted spans as <code>."""
    spans = text.split("`")
    if len(spans) % 2 == 0:  # an unmatched backquote: shown as written
        return html.escape(text, quote=False)
    return "".join(
        f"<code>{html.escape(p, quote=False)}</code>" if k % 2 else html.escape(p, quote=False)
        for k, p in enumerate(spans)
    )


def _term(text: str) -> str:
    if _NAME_TERM.match(text):
        return f"<code>{html.escape(text.replace('`', ''), quote=False)}</code>"
    return _inline(text)


def table_html(rows: list[list[str]]) -> str:
    """Return rows of cells as one HTML table (a raw HTML block, which Markdown leaves
    alone); a short row gets empty cells."""
    width = max(len(row) for row in rows)
    out = ["<table data-docstring-table>", "<tbody>"]
    for row in rows:
        cells = [*row, *[""] * (width - len(row))]
        tds = [_term(cells[0]), *(_inline(" ".join(c.split())) for c in cells[1:])]
        out.append("<tr>" + "".join(f"<td>{td}</td>" for td in tds) + "</tr>")
    out += ["</tbody>", "</table>"]
    return "\n".join(out)


# ---- lines of formulas ----


def is_formula_lines(paragraph: list[str]) -> bool:
    """Whether every line of a paragraph (two or more) begins with `name ←` or `name =`."""
    return len(paragraph) >= 2 and all(_FORMULA_LINE.match(line) for line in paragraph)


def formula_html(paragraph: list[str]) -> str:
    """Return the lines as one paragraph that keeps them, a gap of spaces as an em space."""
    lines = [_inline(_GAP.sub("\0", line.strip())).replace("\0", "&emsp;") for line in paragraph]
    return "<p data-docstring-lines>" + "<br>\n".join(lines) + "</p>"


# ---- the whole docstring ----


def _paragraph(lines: list[str]) -> list[str]:
    """Return a paragraph as Markdown blocks: tables and formula lines as HTML, prose escaped."""
    if is_formula_lines(lines):
        return [formula_html(lines)]
    blocks: list[str] = []
    prose: list[str] = []
    k = 0
    while k < len(lines):
        found = _take_table(lines, k)
        if found is None:
            prose.append(escape_prose(lines[k]))
            k += 1
            continue
        rows, k = found
        if prose:
            blocks.append("\n".join(prose))
            prose = []
        blocks.append(table_html(rows))
    if prose:
        blocks.append("\n".join(prose))
    return blocks


def render(text: str) -> str:
    """Return a plain-text docstring as the Markdown the reference renders (forms 1 to 4)."""
    blocks: list[str] = []
    paragraph: list[str] = []
    fence: list[str] | None = None  # the lines of the fence we are in

    def flush() -> None:
        if paragraph and paragraph[0].startswith(("    ", *_MADE)):  # code, or made here
            blocks.append("\n".join(paragraph))
        elif paragraph:
            blocks.extend(_paragraph(paragraph))
        paragraph.clear()

    for line in fence_examples(text).splitlines():
        if fence is not None:
            fence.append(line)
            if line.lstrip().startswith("```"):
                blocks.append("\n".join(fence))
                fence = None
        elif line.lstrip().startswith("```"):
            flush()
            fence = [line]
        elif not line.strip():
            flush()
        else:
            paragraph.append(line)
    flush()
    if fence is not None:  # an unclosed fence: Markdown closes it at the end
        blocks.append("\n".join(fence))
    return "\n\n".join(blocks)


class PlainTextDocstrings(griffe.Extension):
    """Rewrites each docstring the reference shows as `render` does (see the module's text)."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = render(obj.docstring.value)
