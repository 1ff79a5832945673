"""The animated page: the graph laid out once by dot, a small JSON record per frame, a script
that plays them.

    animate(loss, "step.html", forward=True, params=model.parameters(), lr=0.1)
    animate(loss)       # in Jupyter: shown inline, in a sandboxed frame; .save("step.html")

The page is package data, `assets/`: page.html (the document), player.html (the page's own
element, which can sit beside others in one document), page.css and page.js. This module only
fills them: the title (escaped), the SVG (ids turned into data-sg attributes, so two pages
never share an id) and the frames as JSON (escaped so that nothing in it can end the script).
The page grows with nodes plus frames, not nodes times frames, and works from file://.
"""

from __future__ import annotations

import functools
import numbers
import os
import re
from collections.abc import Callable, Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any, overload

from autograd import _checks
from autograd._files import check_target, write_atomically
from autograd.value import Value
from autograd.viz import palette
from autograd.viz.dot import (
    COLORS,
    ROLES,
    GraphTooLargeError,
    _check_group,
    _checked_order,
    _checked_path,
    _cluster_map,
    graph,
    layout,
)
from autograd.viz.playback import PHASES, Playback, playback
from autograd.viz.text import check_number_format, html_text, script_json, shown

ANIMATE_MAX_NODES = 300  # 1 MB and ~10 ms a frame with forward, error, backward, update


class Animation:
    """An animated page in memory: Jupyter shows it inline, `save(path)` writes it to a file.

    `html` is the whole self-contained page; `fragment` is its own element (style and script
    included), to put several pages in one HTML document. Inline in a notebook, the page sits
    in an <iframe srcdoc> with sandbox="allow-scripts": its styles and script cannot reach the
    notebook, nor one page another.

    >>> page = animate(loss, forward=True)     # last line of a cell: shown inline
    >>> page.save("step.html")
    """

    def __init__(self, page: str, fragment: str, frames: int, nodes: int, height: int) -> None:
        self.html = page
        self.fragment = fragment
        self.frames = frames
        self.nodes = nodes
        self.height = height

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the page to `path` (.html or .htm), whole or not at all; return the path."""
        target = _html_path(path)
        write_atomically(target, self.html.encode("utf-8"))
        return target

    def _repr_html_(self) -> str:
        return (
            f'<iframe srcdoc="{html_text(self.html)}" sandbox="allow-scripts" '
            f'style="width: 100%; height: {self.height}px; border: 1px solid #e5e7eb; '
            'border-radius: 4px" title="stepgrad: animated graph"></iframe>'
        )

    def __repr__(self) -> str:
        size = len(self.html.encode("utf-8"))
        return f"<Animation: {self.frames} frames, {self.nodes} nodes, {size:,} bytes>"


@overload
def animate(
    root: Value,
    path: None = None,
    *,
    forward: bool = ...,
    params: Iterable[Value] | None = ...,
    lr: float | None = ...,
    max_nodes: int = ...,
    number_format: str = ...,
    rankdir: str = ...,
    group: bool | Mapping[Value, str] | Callable[[Value], str | None] = ...,
    title: str = ...,
    timeout: float = ...,
    height: int | None = ...,
    grad: float = ...,
) -> Animation: ...


@overload
def animate(
    root: Value,
    path: str | os.PathLike[str],
    *,
    forward: bool = ...,
    params: Iterable[Value] | None = ...,
    lr: float | None = ...,
    max_nodes: int = ...,
    number_format: str = ...,
    rankdir: str = ...,
    group: bool | Mapping[Value, str] | Callable[[Value], str | None] = ...,
    title: str = ...,
    timeout: float = ...,
    height: int | None = ...,
    grad: float = ...,
) -> Path: ...


def animate(
    root: Value,
    path: str | os.PathLike[str] | None = None,
    *,
    forward: bool = False,
    params: Iterable[Value] | None = None,
    lr: float | None = None,
    max_nodes: int = ANIMATE_MAX_NODES,
    number_format: str = ".4g",
    rankdir: str = "LR",
    group: bool | Mapping[Value, str] | Callable[[Value], str | None] = False,
    title: str = "",
    timeout: float = 60.0,
    height: int | None = None,
    grad: float = 1.0,
) -> Path | Animation:
    """Return a page that plays a training step on the graph of `root`, frame by frame.

    With `path` (.html) it writes one self-contained page there and returns the path; without,
    an `Animation` that Jupyter shows inline and that has `save(path)`. The frames:

        forward   (forward=True) the leaves' numbers, then each op's value, in topological order
        error     (forward=True) the output and its seed gradient 1
        backward  each node of the backward pass: the gradient arriving, the chain rule per
                  input, what it sends (the same pass as backward(), on a copy of the numbers)
        update    (params and lr, both or neither) each parameter: w <- w - lr * grad, old and new

    The page: Prev/Next, a slider, keys (left/right one frame, Home/End, +/- zoom, 0 fit,
    Shift+arrows pan), a mouse wheel zoom and drag to pan, a panel naming the phase and spelling
    out the arithmetic. It touches no `.data` and no `.grad`. Options: `max_nodes` (the size
    guard), `number_format`, `rankdir`, `group` (as to_dot), `title`, `timeout` (seconds for
    dot's layout), `height` (pixels of the inline frame in a notebook; by default 560 to 800,
    from the graph's height), `grad` (the seed of the backward pass, as root.backward(grad): the
    gradient arriving at root from further on; 1 when root is the loss). Needs Graphviz's `dot`.

    >>> animate(loss, "step.html", forward=True, params=model.parameters(), lr=0.1)
    """
    order = _checked_order(root, "animate")
    target = None if path is None else _html_path(path)
    max_nodes = _checks.integer("max_nodes", max_nodes, high=None)
    _checks.choice("rankdir", rankdir, ("LR", "TB", "RL", "BT"))
    check_number_format(number_format)
    title = shown(title, "title")
    timeout = _checks.seconds("timeout", timeout)
    if height is not None and (
        isinstance(height, bool) or not isinstance(height, numbers.Integral)
    ):
        raise TypeError(
            f"height must be an int (pixels) or None, got {type(height).__name__}: {height!r}"
        )
    if height is not None and not 200 <= height <= 5000:
        raise ValueError(f"height must be 200 to 5000 pixels, got {height}")
    height = None if height is None else int(height)
    _check_group(group)
    if len(order) > max_nodes:
        raise GraphTooLargeError(
            f"this graph has {len(order):,} nodes, more than max_nodes={max_nodes:,} for an "
            "animated page (a frame per node, and a drawing too dense to follow); animate a "
            "smaller part of it (a node nearer the inputs, one sample instead of a batch) or "
            "raise max_nodes"
        )
    play = playback(
        root, forward=forward, params=params, lr=lr, number_format=number_format, grad=grad
    )
    where = f"cannot write {target}: animate() needs" if target else "animate() needs"
    drawing = graph(
        play.order,
        play.order,
        play.name,
        play.role,
        _widest_cells(play),
        rankdir=rankdir,
        clusters=_cluster_map(play.order, group),
    )
    svg = _page_svg(layout(drawing.source, "svg", timeout, f"{where} a layout: ").decode())
    heading = title or _default_title(play)
    fragment = _fill(
        _asset("player.html"),
        title=html_text(heading),
        count=str(len(play.frames)),
        style=_asset("page.css"),
        svg=svg,
        data=script_json(_data(play)),
        script=_asset("page.js"),
    )
    page = _fill(_asset("page.html"), title=html_text(heading), player=fragment)
    height = _inline_height(svg) if height is None else height
    animation = Animation(page, fragment, len(play.frames), len(play.order), height)
    if target is None:
        return animation
    return animation.save(target)


def _html_path(path: object) -> Path:
    target = _checked_path("animate", path)
    if target.suffix.lower() not in (".html", ".htm"):
        raise ValueError(f"an animated page is written as .html, got {str(target)!r}")
    check_target(target)  # before the layout: a bad path fails at once
    return target


def _default_title(play: Playback) -> str:
    phases = [p for p in PHASES if any(f.phase == p for f in play.frames)]
    if phases == ["backward"]:
        return "The backward pass, step by step"
    return "A training step: " + ", ".join(phases)


def _widest_cells(play: Playback) -> Callable[[Value], tuple[str, str]]:
    """Each record laid out with the longest text its cells will show, so none overflows."""
    widest = {(node, "data"): texts[0] for node, texts in play.start.items()}
    widest.update({(node, "grad"): texts[1] for node, texts in play.start.items()})
    for frame in play.frames:
        for change in frame.changes:
            if len(change.new) > len(widest[change.node, change.field]):
                widest[change.node, change.field] = change.new
    return lambda node: (f"data {widest[node, 'data']}", f"grad {widest[node, 'grad']}")


def _data(play: Playback) -> dict[str, Any]:
    """The JSON the script plays: nodes, their texts at the start, and the frames."""
    place = {node: k for k, node in enumerate(play.order, 1)}
    present = set(play.role.values())
    field = {"data": 0, "grad": 1}
    return {
        "phases": [p for p in PHASES if any(f.phase == p for f in play.frames)],
        "roles": [r for r in ROLES if r in present],
        "colors": {
            **{r: COLORS[r] for r in ROLES},
            "current": COLORS["highlight"],
            "phases": dict(palette.PHASES),
        },
        "nodes": [[play.name(n), len(n.parents), play.role[n]] for n in play.order],
        "start": [list(play.start[n]) for n in play.order],
        "frames": [
            [
                f.phase,
                place[f.node] if f.node is not None else 0,
                f.text,
                [[place[c.node], field[c.field], c.new, c.old] for c in f.changes],
            ]
            for f in play.frames
        ],
    }


def _page_svg(svg: str) -> str:
    """dot's SVG, ready to sit inline in a page beside others: no prolog, comments or tooltips,
    every id="x" turned into data-sg="x" (no id can clash), no fixed size (the page sizes it),
    and without the invisible word joiners that kept dot from reading backslash escapes."""
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"<!--.*?-->\n?", "", svg, flags=re.S)
    svg = re.sub(r"<title>[^<]*</title>\n?", "", svg)

    def tag(match: re.Match[str]) -> str:
        return re.sub(r'(\s)id="', r'\1data-sg="', match.group(0))

    svg = re.sub(r"<[A-Za-z][^<>]*>", tag, svg)  # tags only: text is escaped, holds no < or >
    svg = re.sub(r'<svg width="[^"]*" height="[^"]*"', "<svg", svg, count=1)
    return svg.replace("\u2060", "")


def _inline_height(svg: str) -> int:
    """Pixels for the notebook frame: ~360 for the title, controls, panel and legend, and the
    graph at full size under them; 560 to 800 in all."""
    match = re.search(r'viewBox="[-\d.]+ [-\d.]+ [\d.]+ ([\d.]+)"', svg)
    graph_height = float(match.group(1)) if match else 400.0
    return int(min(800.0, max(560.0, 360.0 + graph_height)))


def _fill(template: str, **values: str) -> str:
    """The template with each {{name}} replaced, in one pass (inserted text is not rescanned)."""
    return re.sub(r"\{\{(\w+)\}\}", lambda m: values[m.group(1)], template)


@functools.cache
def _asset(name: str) -> str:
    return (resources.files("autograd.viz") / "assets" / name).read_text(encoding="utf-8")
