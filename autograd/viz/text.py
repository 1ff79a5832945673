"""Plain text for drawings and pages: a label, an op name, a title or a number is never markup.

Text reaches three languages in the drawings and the page, and each gets its own escaping,
here (the Python source that `trace` generates has its own one escaping path, `plain` in
autograd/compile/ir.py):

    Graphviz   inside an HTML-like label: & < > " ' and ] as entities (Graphviz 2.43 rejects a
               text of only "]"s), and a backslash kept from starting one of dot's escapes
               (`\\N` would print the node's id, `\\G` the graph's)
    HTML       `html_text` (the page's title, the notebook frame's srcdoc; the panel text is
               set with textContent)
    script     JSON with < > & as \\u escapes, so nothing in it can end or open a script

Before any of that, `shown` makes the text displayable and bounded: control characters, lone
surrogates and non-characters become their Python escapes (a label "a\\x00b" shows as `a\\x00b`),
a newline breaks the line, a tab is a space, and text longer than MAX_SHOWN characters is
shortened to its first MAX_SHOWN - 1 and an ellipsis. So no label can make `dot` fail or a
drawing a mile wide, and every tool shows the same text: `namer` gives each node its one name,
its label or `#k` by its place in the topological order (autograd.backward.node_namer).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Sequence
from typing import Any

from autograd.backward import node_namer
from autograd.value import Value

MAX_SHOWN = 200  # characters of one label, op name or title shown; the rest becomes "…"

# Anything but: C0 and C1 controls (newline and tab included: they take the slow path),
# surrogates, U+FFFE/U+FFFF, and the line and paragraph separators.
_PLAIN = re.compile(r"[^\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff\u2028\u2029]*")
_DOT_ESCAPE = re.compile(r"\\(?=[\\NGETHLlnr])")  # a backslash that dot would read as an escape
_WORD_JOINER = "\u2060"  # invisible, zero-width: splits `\N` so dot shows it as written


def shown(text: object, what: str = "text", limit: int | None = MAX_SHOWN) -> str:
    """Return `text` as it is displayed: one safe, bounded line-broken string.

    Control characters, lone surrogates and non-characters become Python escapes (`\\x00`,
    `\\ud800`); a newline stays a line break, a tab becomes a space; past MAX_SHOWN characters
    the text is cut and ends in "…" (limit=None: never). A non-str raises TypeError naming
    `what`.

    >>> shown("a\\x00b")
    'a\\\\x00b'
    """
    if not isinstance(text, str):
        raise TypeError(f"{what} must be a str, got {type(text).__name__}: {text!r}")
    if (limit is None or len(text) <= limit) and _PLAIN.fullmatch(text):
        return text
    pieces = []
    for character in text:
        if character == "\n":
            pieces.append(character)
        elif character == "\t":
            pieces.append(" ")
        elif _PLAIN.fullmatch(character):
            pieces.append(character)
        else:
            pieces.append(repr(character)[1:-1])  # '\x00' -> \x00, '\ud800' -> \ud800
    out = "".join(pieces)
    return out if limit is None or len(out) <= limit else out[: limit - 1] + "…"


def namer(order: Sequence[Value]) -> Callable[[Value], str]:
    """Return a function that names a node as every drawing, step text and page shows it.

    The name is node_namer's (its label, else `#k` by its place in `order`), passed through
    `shown`. A label that is not a str raises TypeError naming the node.
    """
    name = node_namer(order)
    place = {node: k for k, node in enumerate(order, 1)}

    def shown_name(node: Value) -> str:
        return shown(name(node), f"the label of node #{place.get(node, '?')}")

    return shown_name


def number(x: float, spec: str) -> str:
    """Return `x` formatted by `spec` (a format spec such as ".4g"); nan and ±inf as Python
    writes them, whatever the spec."""
    x = float(x)
    if x != x or x in (float("inf"), float("-inf")):
        return str(x)
    return shown(format(x, spec))


def check_number_format(spec: object) -> str:
    """Return `spec` if it formats a float (".4g", ".6f", "+.3e"); else TypeError/ValueError."""
    if not isinstance(spec, str):
        raise TypeError(
            f"number_format must be a str format spec like '.4g', got {type(spec).__name__}: "
            f"{spec!r}"
        )
    try:
        sample = format(-1.5, spec)
    except (ValueError, TypeError):
        raise ValueError(
            f"number_format must be a float format spec like '.4g' or '.6f', got {spec!r} "
            "(see Python's format specification mini-language)"
        ) from None
    if len(sample) > 64:
        raise ValueError(
            f"number_format {spec!r} makes numbers {len(sample)} characters wide; "
            "use at most 64, e.g. '.4g'"
        )
    return spec


def dot_text(text: str) -> str:
    """Return already-`shown` text as the inside of a Graphviz HTML-like label.

    Entities for & < > " ' and ], a word joiner after a backslash that dot would expand
    (`\\N`), and <BR/> for each newline: Graphviz shows exactly `text`, never markup. (`]` is
    an entity because Graphviz's HTML lexer fails on a text of only "]"s, such as "]]".)
    """
    escaped = html.escape(text, quote=True).replace("]", "&#93;")
    escaped = _DOT_ESCAPE.sub("\\\\" + _WORD_JOINER, escaped)
    return escaped.replace("\n", '<BR ALIGN="LEFT"/>') if "\n" in escaped else escaped


def html_text(text: str) -> str:
    """Return `text` safe inside HTML, in an element or a quoted attribute: & < > " ' as
    entities (html.escape with quote=True)."""
    return html.escape(text, quote=True)


def script_json(data: Any) -> str:
    """Return `data` as JSON that is safe inside <script>: no character of it can end the
    script, open a comment or be read as markup (< > & are \\u escapes; the rest is ASCII)."""
    text = json.dumps(data, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


_SIMPLE_NAME = re.compile(r"#?\w+")  # x, loss, w2, #5: one word reads as one symbol


def derivative(of: str, by: str) -> str:
    """Return ∂of/∂by, with a name of more than one word in parentheses, so a dotted name
    reads as one symbol: derivative("loss", "layers.2.neurons.0.w.3") is
    ∂loss/∂(layers.2.neurons.0.w.3), derivative("z", "x") is ∂z/∂x."""
    return f"∂{_symbol(of)}/∂{_symbol(by)}"


def _symbol(name: str) -> str:
    return name if _SIMPLE_NAME.fullmatch(name) else f"({name})"
