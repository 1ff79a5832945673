"""Drawing graphs: `to_dot` (a graphviz.Digraph), `draw` (a file), `animate` (an HTML page).

Every `Value` is a record `label | data | grad`; every op is a small circle between its inputs
and its output, so data flows left to right; a node used twice (`a * a`) has two edges.

    draw(loss, "loss.svg")                     # .svg .png .pdf via Graphviz's dot; .dot needs none
    draw(model_loss, "mlp.svg", group=True)    # clusters by module: layers.0, layers.0.neurons.3
    animate(loss, "backprop.html")             # one frame per backward step, Prev/Next, slider

In Jupyter, `to_dot(v)` shows itself inline. Graphs past `max_nodes` raise `GraphTooLargeError`
at once (or, with `summary=True`, draw the nodes nearest the output and a box for the rest).
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any

import graphviz

from autograd._files import write_atomically
from autograd.backward import _pass, formula, node_namer, topological_order
from autograd.value import Value

MAX_NODES = 1000
ANIMATE_MAX_NODES = 150
FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot"}
INSTALL_HINT = (
    "install Graphviz: 'sudo apt-get install graphviz' (Debian/Ubuntu), "
    "'brew install graphviz' (macOS), or see https://graphviz.org/download/; "
    "a .dot file needs no Graphviz"
)

COLORS = {
    "leaf": "#dbeafe",
    "param": "#dcfce7",
    "node": "#ffffff",
    "highlight": "#fde68a",
    "op": "#f3f4f6",
    "edge": "#6b7280",
}


class GraphTooLargeError(ValueError):
    """The graph has more nodes than a drawing can show readably; the message says what to do."""


class GraphvizNotFoundError(RuntimeError):
    """Graphviz's `dot` program is not installed; the message says how to install it."""


def to_dot(
    root: Value,
    *,
    rankdir: str = "LR",
    show_grad: bool = True,
    grads: Mapping[Value, float] | None = None,
    highlight: Collection[Value] = (),
    number_format: str = ".4g",
    group: bool | Mapping[Value, str] | Callable[[Value], str | None] = False,
    max_nodes: int = MAX_NODES,
    summary: bool = False,
    title: str = "",
) -> graphviz.Digraph:
    """Return a graphviz.Digraph of everything `root` depends on.

    rankdir        "LR" (data flows left to right), "TB", "RL" or "BT"
    show_grad      show each node's grad (False: label and data only)
    grads          numbers to show instead of `.grad`; a node missing from it shows "grad ?"
    highlight      nodes to fill in yellow
    number_format  a format spec for data and grads, e.g. ".4g" or ".6f"
    group          True: put nodes in Graphviz clusters by module, from parameter labels such
                   as layers.0.neurons.3.w.1 (a layer box holding a box per neuron); or a
                   mapping / function from node to a cluster name (None: no cluster)
    max_nodes      past this many Values raise GraphTooLargeError, unless `summary`
    summary        draw only the `max_nodes` nodes nearest `root`, and one box for the rest
    """
    if not isinstance(root, Value):
        raise TypeError(f"to_dot needs a Value, got {type(root).__name__}")
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"rankdir must be LR, TB, RL or BT, got {rankdir!r}")
    try:
        format(1.5, number_format)
    except (ValueError, TypeError):
        raise ValueError(
            f"number_format must be a float format spec like '.4g', got {number_format!r}"
        ) from None
    order = topological_order(root)
    hidden = 0
    if len(order) > max_nodes:
        if not summary:
            raise GraphTooLargeError(
                f"this graph has {len(order):,} nodes, more than max_nodes={max_nodes:,}: a "
                "drawing that size is unreadable and slow to lay out. Draw a part of it "
                "(pass a node nearer the inputs), pass summary=True to draw the "
                f"{max_nodes:,} nodes nearest the output, or raise max_nodes."
            )
        hidden = len(order) - max_nodes
        order = order[hidden:]
    ids = _node_ids(order)
    highlighted = set(highlight)
    clusters: dict[Value, tuple[str, ...]]
    if callable(group) or isinstance(group, Mapping):
        name_of = group.get if isinstance(group, Mapping) else group
        clusters = {node: (str(name),) for node in order if (name := name_of(node))}
    else:
        clusters = _clusters(order) if group else {}

    dot = graphviz.Digraph(
        graph_attr={
            "rankdir": rankdir,
            "fontname": "Helvetica",
            "nodesep": "0.25",
            "ranksep": "0.35",
            "label": title,
            "labelloc": "t",
        },
        node_attr={"fontname": "Helvetica", "fontsize": "11"},
        edge_attr={"color": COLORS["edge"], "arrowsize": "0.6"},
    )
    bodies: dict[tuple[str, ...], list[str]] = {}

    def emit(node: Value, line: str) -> None:
        bodies.setdefault(clusters.get(node, ()), []).append(line)

    for node in order:
        vid = ids[node]
        fill = COLORS["highlight"] if node in highlighted else _fill(node)
        cells = []
        if node.label:
            cells.append(f"<TD><B>{html.escape(node.label)}</B></TD>")
        cells.append(f"<TD>data {_fmt(node.data, number_format)}</TD>")
        if show_grad:
            g = node.grad if grads is None else grads.get(node)
            cells.append(f"<TD>grad {'?' if g is None else _fmt(g, number_format)}</TD>")
        label = (
            f'<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3" '
            f'BGCOLOR="{fill}"><TR>{"".join(cells)}</TR></TABLE>>'
        )
        emit(node, f'{vid} [id="{vid}" shape=plain label={label}]')
        if node.op:
            oid = f"o{vid[1:]}"
            emit(
                node,
                f'{oid} [id="{oid}" label="{_dot_escape(node.op)}" shape=circle '
                f'style=filled fillcolor="{COLORS["op"]}" width=0.3 fixedsize=false '
                "margin=0.02 fontsize=10]",
            )
            dot.body.append(f'\t{oid} -> {vid} [id="e{vid[1:]}"]\n')
            for k, parent in enumerate(node.parents):
                if parent in ids:
                    dot.body.append(f'\t{ids[parent]} -> {oid} [id="e{vid[1:]}_{k}"]\n')
    if hidden:
        dot.body.append(f'\trest [label="… {hidden:,} more nodes" shape=box style=dashed]\n')
        for node in order:
            if any(p not in ids for p in node.parents) and node.op:
                dot.body.append(f"\trest -> o{ids[node][1:]} [style=dashed]\n")
    _emit_clusters(dot, bodies)
    return dot


def _node_ids(order: list[Value]) -> dict[Value, str]:
    """The SVG id of each value node, "v<place in the topological order>"; its op is "o<place>"."""
    return {node: f"v{k}" for k, node in enumerate(order)}


def _fill(node: Value) -> str:
    if node.op:
        return COLORS["node"]
    return COLORS["param"] if node.label and "." in node.label else COLORS["leaf"]


def _fmt(x: float, spec: str) -> str:
    x = float(x)
    if x != x or x in (float("inf"), float("-inf")):
        return str(x)
    return format(x, spec)


def _dot_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


# ---- clusters by module ----


def _module_of(label: str) -> tuple[str, ...]:
    """layers.0.neurons.3.w.1 -> ("layers.0", "layers.0.neurons.3"): each enclosing module."""
    parts = label.split(".")
    parts = parts[:-2] if len(parts) >= 2 and parts[-1].isdigit() else parts[:-1]
    return tuple(".".join(parts[:k]) for k in range(2, len(parts) + 1, 2))


def _clusters(order: list[Value]) -> dict[Value, tuple[str, ...]]:
    """Each node's chain of modules: from its label; else the chain its parameter parents share
    (a neuron's dot and + join the neuron's box, whatever layer fed them); else the chain all
    its grouped parents share (the relu after them)."""
    where: dict[Value, tuple[str, ...]] = {}
    params: set[Value] = set()
    for node in order:
        if node.label and "." in node.label:
            where[node] = _module_of(node.label)
            params.add(node)
            continue
        chains = [where[p] for p in node.parents if p in params and where.get(p)]
        chains = chains or [where[p] for p in node.parents if where.get(p)]
        if not chains:
            continue
        common = chains[0]
        for chain in chains[1:]:
            k = 0
            while k < min(len(common), len(chain)) and common[k] == chain[k]:
                k += 1
            common = common[:k]
        if common:
            where[node] = common
    return where


def _emit_clusters(dot: graphviz.Digraph, bodies: dict[tuple[str, ...], list[str]]) -> None:
    tree: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
    for chain in list(bodies):
        for depth in range(1, len(chain) + 1):
            parent, child = chain[: depth - 1], chain[:depth]
            if child not in tree.setdefault(parent, []):
                tree[parent].append(child)
    counter = iter(range(10**9))

    def write(chain: tuple[str, ...], indent: str) -> None:
        for line in bodies.get(chain, []):
            dot.body.append(f"{indent}{line}\n")
        for child in tree.get(chain, []):
            dot.body.append(
                f'{indent}subgraph cluster_{next(counter)} {{\n{indent}\tlabel="'
                f'{_dot_escape(child[-1])}" style="rounded" color="#9ca3af" '
                "fontsize=10\n"
            )
            write(child, indent + "\t")
            dot.body.append(f"{indent}}}\n")

    write((), "\t")


# ---- files ----


def draw(
    root: Value, path: str | os.PathLike[str], *, timeout: float = 60.0, **options: Any
) -> Path:
    """Render the graph of `root` to `path`, in the format its suffix names; return the path.

    .svg, .png and .pdf need Graphviz's `dot` program; .dot writes the source and needs nothing.
    Options are those of `to_dot`. The file appears whole or not at all: it is written beside
    `path` and renamed over it. Without `dot`, GraphvizNotFoundError says how to install it.
    """
    target = Path(path)
    fmt = FORMATS.get(target.suffix.lower())
    if fmt is None:
        raise ValueError(
            f"draw() writes {', '.join(FORMATS)}; got {str(target)!r} "
            f"(suffix {target.suffix or 'none'!r})"
        )
    source = to_dot(root, **options).source
    if fmt == "dot":
        write_atomically(target, source.encode())
        return target
    return _render(source, fmt, target, timeout)


def dot_program() -> str | None:
    """Return the path of Graphviz's `dot`, or None when it is not installed."""
    return shutil.which("dot")


def _render(source: str, fmt: str, target: Path, timeout: float) -> Path:
    program = dot_program()
    if program is None:
        raise GraphvizNotFoundError(
            f"cannot write {target}: Graphviz's 'dot' program is not on PATH; {INSTALL_HINT}"
        )
    try:
        done = subprocess.run(
            [program, f"-T{fmt}"],
            input=source.encode(),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise GraphTooLargeError(
            f"dot took over {timeout:.0f} s to lay out this graph; draw a "
            "part of it, or pass summary=True with a smaller max_nodes"
        ) from None
    if done.returncode != 0:
        raise RuntimeError(
            f"dot failed ({done.returncode}) writing {target}: "
            f"{done.stderr.decode(errors='replace').strip()}"
        )
    write_atomically(target, done.stdout)
    return target


# ---- the animated backward pass ----


def frames(root: Value, number_format: str = ".4g") -> list[dict[str, Any]]:
    """Return one record per backward step: the node, what is known, and the chain-rule text.

    Runs the same pass as `backward()` without touching any `.grad`.
    """
    order = topological_order(root)
    name = node_namer(order)
    ids = _node_ids(order)
    known: dict[Value, float] = {}
    out = []
    for index, (node, g, sent) in enumerate(_pass(root, 1.0, False), 1):
        known[node] = g
        lines = [
            f"Step {index} of {len(order)}: {name(node)}{formula(node, name)} = "
            f"{_fmt(node.data, number_format)}",
            f"gradient arriving: d{name(root)}/d{name(node)} = {_fmt(g, number_format)}"
            + ("   (the seed)" if node is root else "   (every consumer has sent)"),
        ]
        if node.op:
            local = node.local_grads(1.0)
            lines.append("chain rule, one line per input:")
            for parent, d, c in zip(node.parents, local, sent):
                lines.append(
                    f"  {name(parent)}: d{name(node)}/d{name(parent)} = "
                    f"{_fmt(d, number_format)}  ->  sends {_fmt(g, number_format)} × "
                    f"{_fmt(d, number_format)} = {_fmt(c, number_format)}"
                )
        else:
            lines.append(
                f"a leaf: its gradient is complete, {name(node)}.grad += {_fmt(g, number_format)}"
            )
        out.append(
            {
                "node": ids[node],
                "known": {ids[n]: v for n, v in known.items()},
                "edges": [f"e{ids[node][1:]}_{k}" for k in range(len(node.parents))],
                "text": "\n".join(lines),
            }
        )
    return out


def animate(
    root: Value,
    path: str | os.PathLike[str],
    *,
    max_nodes: int = ANIMATE_MAX_NODES,
    number_format: str = ".4g",
    rankdir: str = "LR",
    title: str = "",
    timeout: float = 60.0,
) -> Path:
    """Write one self-contained HTML page that plays the backward pass of `root` step by step.

    One SVG frame per step (the node whose turn it is highlighted, the gradients known so far
    filled in, the edges its contributions flow along in red), Prev/Next buttons, the arrow keys
    and a slider, and a panel with the step's chain-rule arithmetic. No network, no scripts from
    elsewhere: it works from file://. Needs Graphviz's `dot` to lay the graph out once.
    """
    target = Path(path)
    if target.suffix.lower() not in (".html", ".htm"):
        raise ValueError(f"animate() writes an .html page, got {str(target)!r}")
    order = topological_order(root)
    if len(order) > max_nodes:
        raise GraphTooLargeError(
            f"this graph has {len(order):,} nodes, more than max_nodes={max_nodes:,} for an "
            "animation (one frame per node); animate a smaller part of it or raise max_nodes"
        )
    steps = frames(root, number_format)
    by_id = {vid: node for node, vid in _node_ids(order).items()}
    final = {by_id[vid]: g for vid, g in steps[-1]["known"].items()}  # every node, by the end
    source = to_dot(
        root,
        grads=final,
        number_format=number_format,
        rankdir=rankdir,
        max_nodes=max_nodes,
        title=title,
    ).source
    with tempfile.TemporaryDirectory() as folder:
        svg_path = _render(source, "svg", Path(folder) / "graph.svg", timeout)
        svg = svg_path.read_text(encoding="utf-8")
    svg = svg[svg.index("<svg") :]
    pages = [_frame_svg(svg, step) for step in steps]
    page = _PAGE.format(
        title=html.escape(title or "stepgrad: backward pass"),
        count=len(steps),
        frames="\n".join(f'<div class="frame" hidden>{p}</div>' for p in pages),
        texts=json.dumps([s["text"] for s in steps]).replace("</", "<\\/"),
    )
    write_atomically(target, page.encode("utf-8"))
    return target


def _frame_svg(svg: str, step: dict[str, Any]) -> str:
    """One frame: unknown grads become "grad ?", the current node and its edges are marked."""
    known = step["known"]

    def node_group(match: re.Match[str]) -> str:
        vid, body = match.group(1), match.group(2)
        classes = "node current" if vid == step["node"] else "node"
        if vid not in known:
            body = re.sub(r"(<text[^>]*>)grad [^<]*(</text>)(?![\s\S]*<text)", r"\1grad ?\2", body)
        return f'<g id="{vid}" class="{classes}">{body}</g>'

    out = re.sub(r'<g id="(v\d+)" class="node">([\s\S]*?)</g>', node_group, svg)
    for edge in [*step["edges"], "e" + step["node"][1:]]:
        out = out.replace(f'<g id="{edge}" class="edge">', f'<g id="{edge}" class="edge flow">')
    return out


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: Helvetica, Arial, sans-serif; margin: 1.2em; color: #111827; }}
#controls {{ display: flex; gap: .6em; align-items: center; margin: .6em 0; }}
#controls input[type=range] {{ flex: 1; max-width: 28em; }}
button {{ font-size: 1em; padding: .3em .9em; }}
#panel {{ background: #f9fafb; border: 1px solid #d1d5db; padding: .7em 1em; white-space: pre;
          font-family: Menlo, Consolas, monospace; font-size: .92em; min-height: 6em; }}
.frame svg {{ max-width: 100%; height: auto; }}
g.current polygon {{ fill: #fde68a; stroke: #b45309; stroke-width: 2; }}
g.flow path {{ stroke: #dc2626; stroke-width: 2.5; }}
g.flow polygon {{ fill: #dc2626; stroke: #dc2626; }}
</style></head><body>
<h2>{title}</h2>
<div id="controls">
  <button id="prev" title="previous step (left arrow)">&#9664; Prev</button>
  <button id="next" title="next step (right arrow)">Next &#9654;</button>
  <input id="slider" type="range" min="1" max="{count}" value="1" aria-label="step">
  <span id="counter">1 / {count}</span>
</div>
<div id="panel"></div>
<div id="frames">
{frames}
</div>
<script>
const texts = {texts};
const frames = document.querySelectorAll(".frame");
const slider = document.getElementById("slider");
let current = 0;
function show(k) {{
  current = Math.max(0, Math.min(frames.length - 1, k));
  frames.forEach((f, i) => {{ f.hidden = i !== current; }});
  document.getElementById("panel").textContent = texts[current];
  document.getElementById("counter").textContent = (current + 1) + " / " + frames.length;
  slider.value = current + 1;
}}
document.getElementById("prev").onclick = () => show(current - 1);
document.getElementById("next").onclick = () => show(current + 1);
slider.oninput = () => show(Number(slider.value) - 1);
document.addEventListener("keydown", (e) => {{
  if (e.key === "ArrowRight") show(current + 1);
  if (e.key === "ArrowLeft") show(current - 1);
}});
show(0);
</script>
</body></html>
"""
