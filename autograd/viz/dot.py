"""Drawing with Graphviz: `to_dot` builds the DOT source, `draw` renders it to a file.

Each `Value` is one record, `label | data | grad`; an unlabelled node shows its name `#k` in
grey, the name the step text and the page give it too. The fill says the node's role, as the
legend under the title explains: input, parameter, constant (a number an op made into a leaf:
the 2 of `x / 2`, a loss's target), intermediate, output. Each op is a small circle between its
inputs and its output, so data flows left to right, and a node used twice (`a * a`) has two
edges into its consumer's op. Edges leave a record from its downstream side and enter it from
its upstream side, never across its cells.

Layout with boxes (`group`): a neuron's weights stand in one column with its weighted sum (the
`dot` node), so each layer takes the ranks after its inputs and a network reads as a column per
layer, left to right, rather than a staircase. A leaf outside every box whose consumers all sit
in one box joins that box, and a leaf read from several boxes (an RNN's shared weights) is drawn
in each of them, dashed after the first, so that each box (a time step) holds its own inputs.

Ids in the DOT source (and so in the SVG): the value node at place k of the topological order
(1-based, as in its name `#k`) is `v<k>`, its op circle `o<k>`, the edge from the op to it
`e<k>`, and the edge from its j-th parent into the op `e<k>_<j>`; a copy of a shared leaf drawn
again in another box is `v<k>_<n>`. The page relies on them.

All text is plain text (see `text.py`): labels, op names, titles and cluster names are escaped
for Graphviz, never passed through as markup.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import graphviz

from autograd import _checks
from autograd._files import check_target, write_atomically
from autograd.backward import topological_order
from autograd.value import Value, is_constant, to_float
from autograd.viz import palette
from autograd.viz.text import check_number_format, dot_text, namer, number, shown

MAX_NODES = 1000
FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot"}
INSTALL_HINT = (
    "install Graphviz: 'sudo apt-get install graphviz' (Debian/Ubuntu), "
    "'brew install graphviz' (macOS), or see https://graphviz.org/download/; "
    "a .dot file needs no Graphviz"
)
ROLES = ("input", "parameter", "constant", "intermediate", "output")
COLORS = {  # the roles' fills from the one palette (palette.py); the rest is grey ink
    **palette.ROLES,
    "highlight": palette.HIGHLIGHT,
    "op": "#f3f4f6",
    "edge": "#6b7280",
    "name": "#6b7280",
}


class GraphTooLargeError(ValueError):
    """The graph has more nodes than a drawing can show readably; the message says what to do."""


class GraphvizNotFoundError(RuntimeError):
    """Graphviz's `dot` program is not installed; the message says how to install it."""


class Drawing(graphviz.Digraph):
    """A graphviz.Digraph (what `to_dot` returns) that Jupyter shows inline as SVG.

    Without Graphviz installed it shows a line saying how to install it, instead of the bare
    ExecutableNotFound error; `.source` still holds the DOT text.
    """

    def _repr_mimebundle_(
        self,
        include: Iterable[str] | None = None,
        exclude: Iterable[str] | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        try:
            return super()._repr_mimebundle_(include, exclude, **kwargs)
        except graphviz.ExecutableNotFound:
            return {
                "text/plain": "(no picture: Graphviz's 'dot' program is not on PATH; "
                f"{INSTALL_HINT}. The DOT source is in .source)"
            }


# ---- the DOT source ----


def to_dot(
    root: Value,
    *,
    rankdir: str = "LR",
    show_grad: bool = True,
    grads: Mapping[Value, float] | None = None,
    highlight: Collection[Value] = (),
    params: Iterable[Value] | None = None,
    number_format: str = ".4g",
    group: bool | Mapping[Value, str] | Callable[[Value], str | None] = False,
    max_nodes: int = MAX_NODES,
    summary: bool = False,
    title: str = "",
    legend: bool = True,
) -> graphviz.Digraph:
    """Return a graphviz.Digraph of everything `root` depends on (Jupyter shows it inline).

    rankdir        "LR" (data flows left to right), "TB", "RL" or "BT"
    show_grad      show each node's grad (False: label and data only)
    grads          {node: number} to show instead of `.grad`; a node missing from it shows "grad ?"
    highlight      nodes to fill in yellow
    params         the leaves to colour as parameters (a list of Values, or a Module); by default
                   the leaves named as nn names parameters: a dotted name such as
                   layers.0.neurons.1.w.0, and a standalone Neuron's w.0, w.1, ... and b
    number_format  a format spec for data and grads, e.g. ".4g" or ".6f"
    group          True: put nodes in Graphviz clusters by module, from parameter labels such
                   as layers.0.neurons.3.w.1 (a layer box holding a box per neuron); or a
                   mapping / function from node to a cluster name (None: no cluster)
    max_nodes      past this many Values raise GraphTooLargeError, unless `summary`
    summary        draw only the `max_nodes` nodes nearest `root`, and one box for the rest
    title          a line of text above the graph
    legend         name the colours (input, parameter, constant, intermediate, output) under
                   the title

    Labels, op names and the title are plain text, shown as written (see autograd.viz.text).

    >>> x = Value(2.0, "x"); y = x * x; y.backward()
    >>> print(to_dot(y).source)      # or just `to_dot(y)` as a notebook cell's last line
    """
    order = _checked_order(root, "to_dot")
    _checks.choice("rankdir", rankdir, ("LR", "TB", "RL", "BT"))
    _checks.flag("show_grad", show_grad)
    _checks.flag("summary", summary)
    _checks.flag("legend", legend)
    max_nodes = _checks.integer("max_nodes", max_nodes, high=None)
    check_number_format(number_format)
    title = shown(title, "title")
    known = _checked_grads(grads)
    highlighted = set(_checks.values("highlight", highlight, item="node"))
    chosen = None if params is None else set(_checked_params(params))
    _check_group(group)
    shown_nodes, hidden = _limit(order, max_nodes, summary)
    name = namer(order)

    def cells(node: Value) -> tuple[str, ...]:
        data = f"data {number(node.data, number_format)}"
        if not show_grad:
            return (data,)
        g = node.grad if known is None else known.get(node)
        return data, f"grad {'?' if g is None else number(g, number_format)}"

    return graph(
        shown_nodes,
        order,
        name,
        roles(order, chosen),
        cells,
        rankdir=rankdir,
        highlighted=highlighted,
        clusters=_cluster_map(shown_nodes, group),
        hidden=hidden,
        title=title,
        legend=legend,
    )


def graph(
    nodes: Sequence[Value],
    order: Sequence[Value],
    name: Callable[[Value], str],
    role: Mapping[Value, str],
    cells: Callable[[Value], tuple[str, ...]],
    *,
    rankdir: str,
    highlighted: Collection[Value] = (),
    clusters: Mapping[Value, tuple[str, ...]] | None = None,
    hidden: int = 0,
    title: str = "",
    legend: bool = False,
) -> Drawing:
    """Return the Drawing of `nodes` (a tail of `order`): one record per node, its name cell and
    then the texts `cells(node)` gives (already formatted), one circle per op, the edges.

    `to_dot` and the page both draw through this, so both show the same names and colours.
    """
    place = {node: k for k, node in enumerate(order, 1)}
    drawn = set(nodes)
    clusters = _settle_leaves(nodes, dict(clusters or {}))
    out_side, in_side = _SIDES[rankdir]
    attrs = {"rankdir": rankdir, "fontname": "Helvetica", "nodesep": "0.25", "ranksep": "0.35"}
    kinds = [r for r in ROLES if r in {role[n] for n in nodes}]
    if any(n in highlighted for n in nodes):
        kinds.append("highlight")
    heading = _heading(title, kinds if legend else [])
    if heading:
        attrs.update(label=heading, labelloc="t", labeljust="l")
    dot = Drawing(
        graph_attr=attrs,
        node_attr={"fontname": "Helvetica", "fontsize": "11"},
        edge_attr={"color": COLORS["edge"], "arrowsize": "0.6"},
    )
    copies = _copies(nodes, clusters)  # a shared leaf: its id in each box that reads it
    bodies: dict[tuple[str, ...], list[str]] = {}

    def record(node: Value, ident: str, copy: bool) -> str:
        fill = COLORS["highlight"] if node in highlighted else COLORS[role[node]]
        first = (
            f"<B>{dot_text(name(node))}</B>"
            if node.label
            else f'<FONT COLOR="{COLORS["name"]}">{dot_text(name(node))}</FONT>'
        )
        cell = '<TD STYLE="dashed">' if copy else "<TD>"  # a copy: the same node drawn again
        row = "".join(f"{cell}{text}</TD>" for text in [first, *map(dot_text, cells(node))])
        label = (
            '<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3" '
            f'BGCOLOR="{fill}"><TR>{row}</TR></TABLE>>'
        )
        return f'{ident} [id="{ident}" shape=plain label={label}]'

    def source(parent: Value, consumer: Value) -> str:
        """The id of the drawing of `parent` that `consumer` reads: its copy in the box."""
        return copies.get(parent, {}).get(clusters.get(consumer, ()), f"v{place[parent]}")

    def in_column(w: Value, node: Value) -> bool:
        """A leaf weight of a boxed `dot`, drawn in one column with it (see below)."""
        box = clusters.get(node, ())
        return bool(box) and not w.op and (w in copies or clusters.get(w, ()) == box)

    for node in nodes:
        k = place[node]
        if node in copies:
            for n, (chain, ident) in enumerate(copies[node].items()):
                bodies.setdefault(chain, []).append(record(node, ident, n > 0))
        else:
            bodies.setdefault(clusters.get(node, ()), []).append(record(node, f"v{k}", False))
        if node.op:
            bodies.setdefault(clusters.get(node, ()), []).append(
                f'o{k} [id="o{k}" label=<{dot_text(shown(node.op, "op name"))}> shape=circle '
                f'style=filled fillcolor="{COLORS["op"]}" width=0.3 fixedsize=false '
                "margin=0.02 fontsize=10]"
            )
            dot.body.append(f'\to{k} -> v{k}:{in_side} [id="e{k}"]\n')
            weights = node.parents[: len(node.parents) // 2] if node.op == "dot" else ()
            column = [w for w in weights if w in drawn and in_column(w, node)]
            for j, parent in enumerate(node.parents):
                if parent in drawn:
                    # an edge leaves a record from its downstream side; a weight in its dot's
                    # column (same rank) from whichever end dot routes it to, never a cell
                    side = "" if parent in column else f":{out_side}"
                    tail = source(parent, node)
                    dot.body.append(f'\t{tail}{side} -> o{k} [id="e{k}_{j}"]\n')
            if column:  # a neuron's weights stand in one column with its weighted sum, so the
                # layer takes the ranks after its inputs instead of sharing theirs (a staircase)
                same = "; ".join(dict.fromkeys([*(source(w, node) for w in column), f"o{k}"]))
                bodies.setdefault(clusters[node], []).append(f"{{rank=same; {same}}}")
    if hidden:
        dot.body.append(f'\trest [label="… {hidden:,} more nodes" shape=box style=dashed]\n')
        for node in nodes:
            if node.op and any(p not in drawn for p in node.parents):
                dot.body.append(f"\trest -> o{place[node]} [style=dashed]\n")
    _emit_clusters(dot, bodies)
    return dot


# where edges leave a record (downstream side) and enter it (upstream side), by rankdir
_SIDES = {"LR": ("e", "w"), "RL": ("w", "e"), "TB": ("s", "n"), "BT": ("n", "s")}


def _consumers(nodes: Sequence[Value]) -> dict[Value, list[Value]]:
    found: dict[Value, list[Value]] = {}
    for node in nodes:
        for parent in node.parents:
            found.setdefault(parent, []).append(node)
    return found


def _shared_prefix(chains: list[tuple[str, ...]]) -> tuple[str, ...]:
    """The longest chain of modules that starts every chain: the innermost box holding them all."""
    common = chains[0]
    for chain in chains[1:]:
        k = 0
        while k < min(len(common), len(chain)) and common[k] == chain[k]:
            k += 1
        common = common[:k]
    return common


def _settle_leaves(
    nodes: Sequence[Value], clusters: dict[Value, tuple[str, ...]]
) -> dict[Value, tuple[str, ...]]:
    """A leaf outside every box whose consumers all sit inside one box joins the innermost box
    that holds them all: a network's inputs join the first layer, an RNN's initial state the
    first time step. So a box holds its own inputs."""
    if not clusters:
        return clusters
    for leaf, readers in _consumers(nodes).items():
        if leaf.op or leaf in clusters:
            continue
        common = _shared_prefix([clusters.get(reader, ()) for reader in readers])
        if common:
            clusters[leaf] = common
    return clusters


def _copies(
    nodes: Sequence[Value], clusters: Mapping[Value, tuple[str, ...]]
) -> dict[Value, dict[tuple[str, ...], str]]:
    """The leaves outside every box that several boxes read (shared weights): for each, the id
    of its drawing in each box that reads it, `v<k>` in the first and `v<k>_<n>` after."""
    if not clusters:
        return {}
    place = {node: k for k, node in enumerate(nodes, 1)}
    found: dict[Value, dict[tuple[str, ...], str]] = {}
    for leaf, readers in _consumers(nodes).items():
        if leaf.op or leaf in clusters:
            continue
        boxes = list(dict.fromkeys(clusters.get(reader, ()) for reader in readers))
        if len(boxes) > 1 and () not in boxes:
            k = place[leaf]
            found[leaf] = {box: f"v{k}" if n == 0 else f"v{k}_{n}" for n, box in enumerate(boxes)}
    return found


def roles(order: Sequence[Value], params: Collection[Value] | None = None) -> dict[Value, str]:
    """Return each node's role: "output" (the root, last in `order`), "intermediate" (made by
    an op), "parameter" (a leaf in `params`; by default one named as nn names parameters),
    "constant" (a leaf an op made from a plain number: the 2 of `x / 2`, a loss's target),
    else "input"."""
    chosen = default_params(order) if params is None else set(params)
    role = {
        node: "intermediate"
        if node.op
        else "parameter"
        if node in chosen
        else "constant"
        if is_constant(node)
        else "input"
        for node in order
    }
    role[order[-1]] = "output"
    return role


def default_params(order: Iterable[Value]) -> set[Value]:
    """Return the leaves named as nn names parameters: a dotted name (layers.0.neurons.1.w.0,
    w.0), and the bias `b` of a standalone Neuron (a leaf named b beside leaves named w.k)."""
    leaves = [node for node in order if not node.op and isinstance(node.label, str)]
    dotted = {node for node in leaves if "." in node.label}
    neuron = any(re.fullmatch(r"w\.\d+", node.label) for node in dotted)
    return dotted | {node for node in leaves if neuron and node.label == "b"}


def _heading(title: str, kinds: list[str]) -> str:
    """The graph's label: the title, and a row of colour swatches naming each kind drawn."""
    rows = []
    if title:
        span = max(len(kinds), 1)
        rows.append(f'<TR><TD ALIGN="LEFT" COLSPAN="{span}">{dot_text(title)}</TD></TR>')
    if kinds:
        swatches = "".join(
            f'<TD BORDER="1" BGCOLOR="{COLORS[kind]}"><FONT POINT-SIZE="9">'
            f"{'highlighted' if kind == 'highlight' else kind}</FONT></TD>"
            for kind in kinds
        )
        rows.append(f"<TR>{swatches}</TR>")
    if not rows:
        return ""
    return f'<<TABLE BORDER="0" CELLSPACING="3" CELLPADDING="2">{"".join(rows)}</TABLE>>'


def _limit(order: list[Value], max_nodes: int, summary: bool) -> tuple[list[Value], int]:
    """The nodes to draw and how many are left out; past max_nodes without summary, an error."""
    if len(order) <= max_nodes:
        return order, 0
    if not summary:
        raise GraphTooLargeError(
            f"this graph has {len(order):,} nodes, more than max_nodes={max_nodes:,}: a "
            "drawing that size is unreadable and slow to lay out. Draw a part of it "
            "(pass a node nearer the inputs), pass summary=True to draw the "
            f"{max_nodes:,} nodes nearest the output, or raise max_nodes."
        )
    hidden = len(order) - max_nodes
    return order[hidden:], hidden


# ---- clusters by module ----


def _cluster_map(
    nodes: list[Value], group: bool | Mapping[Value, str] | Callable[[Value], str | None]
) -> dict[Value, tuple[str, ...]]:
    if callable(group) or isinstance(group, Mapping):
        name_of = group.get if isinstance(group, Mapping) else group
        found: dict[Value, tuple[str, ...]] = {}
        for node in nodes:
            cluster = name_of(node)
            if cluster is not None and cluster != "":
                found[node] = (shown(str(cluster), "a cluster name"),)
        return found
    return _clusters(nodes) if group else {}


def _module_of(label: str) -> tuple[str, ...]:
    """layers.0.neurons.3.w.1 -> ("layers.0", "layers.0.neurons.3"): each enclosing module."""
    parts = label.split(".")
    parts = parts[:-2] if len(parts) >= 2 and parts[-1].isdigit() else parts[:-1]
    return tuple(".".join(parts[:k]) for k in range(2, len(parts) + 1, 2))


def _clusters(order: list[Value]) -> dict[Value, tuple[str, ...]]:
    """Each node's chain of modules: from its label; else the chain its parameter parents share
    (a neuron's dot and + join the neuron's box, whatever layer fed them); else, when every
    parent is in a box, the chain they share (the relu after them). A node that also reads
    something from outside every box (a loss's `1 - score`) stays outside."""
    where: dict[Value, tuple[str, ...]] = {}
    params: set[Value] = set()
    for node in order:
        if node.label and "." in node.label:
            where[node] = _module_of(shown(node.label))
            params.add(node)
            continue
        chains = [where[p] for p in node.parents if p in params and where.get(p)]
        if not chains and all(where.get(p) for p in node.parents):
            chains = [where[p] for p in node.parents]
        if not chains:
            continue
        common = _shared_prefix(chains)
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
                f"{indent}subgraph cluster_{next(counter)} {{\n{indent}\tlabel=<"
                f'{dot_text(child[-1])}> style="rounded" color="#9ca3af" fontsize=10\n'
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
    Options are those of `to_dot`; `timeout` (seconds) bounds dot's layout. The file appears
    whole or not at all: it is written beside `path` and renamed over it (a symlink's target is
    replaced, its mode kept). The folder must exist; a read-only file, a folder or a device is
    refused before any layout work. Without `dot`, GraphvizNotFoundError says how to install it.

    >>> draw(loss, "loss.svg", group=True)
    """
    target = _checked_path("draw", path)
    fmt = FORMATS.get(target.suffix.lower())
    if fmt is None:
        raise ValueError(
            f"draw() writes {', '.join(FORMATS)}; got {str(target)!r} "
            f"(suffix {target.suffix or 'none'!r})"
        )
    check_target(target)  # a missing folder or a read-only file fails now, not after the layout
    timeout = _checks.seconds("timeout", timeout)
    source = to_dot(root, **options).source
    if fmt == "dot":
        write_atomically(target, source.encode())
        return target
    written = layout(source, fmt, timeout, f"cannot write {target}: ")
    write_atomically(target, written)
    return target


def dot_program() -> str | None:
    """Return the path of Graphviz's `dot`, or None when it is not installed."""
    return shutil.which("dot")


def layout(source: str, fmt: str, timeout: float, context: str) -> bytes:
    """Return `source` laid out by dot as `fmt` (svg, png, pdf); writes no file.

    `context` starts each error message (say what needed the layout, e.g. the target file).
    """
    program = dot_program()
    if program is None:
        raise GraphvizNotFoundError(
            f"{context}Graphviz's 'dot' program, which lays graphs out, is not on PATH; "
            f"{INSTALL_HINT}"
        )
    try:
        done = subprocess.run(
            [program, f"-T{fmt}"],
            input=source.encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise GraphTooLargeError(
            f"{context}dot took over {timeout:g} s to lay out this graph; draw a "
            "part of it, or pass summary=True with a smaller max_nodes"
        ) from None
    if done.returncode != 0:
        raise RuntimeError(
            f"{context}dot failed ({done.returncode}): "
            f"{done.stderr.decode(errors='replace').strip()}"
        )
    return done.stdout


# ---- checking options at the call: the drawing's own options (the rest: autograd/_checks.py) ----


def _checked_order(root: object, who: str) -> list[Value]:
    return topological_order(_checks.value(who, root))


def _checked_params(params: object) -> list[Value]:
    """The parameters to colour or update: Values, or an nn Module for its parameters()."""
    return _checks.values("params", params, item="node", modules=True)


def _checked_path(who: str, path: object) -> Path:
    if isinstance(path, (str, os.PathLike)) and not isinstance(path, bytes):
        return Path(path)
    raise TypeError(f"{who}() needs a file path (str or pathlib.Path), got {type(path).__name__}")


def _check_group(group: object) -> None:
    if not (isinstance(group, (bool, Mapping)) or callable(group)):
        raise TypeError(
            "group must be True/False, a mapping from node to cluster name, or a function "
            f"of a node, got {type(group).__name__}: {group!r}"
        )


def _checked_grads(grads: object) -> dict[Value, float] | None:
    if grads is None:
        return None
    if not isinstance(grads, Mapping):
        raise TypeError(
            f"grads must be a mapping from node to gradient, e.g. {{x: 0.5}}, got "
            f"{type(grads).__name__}"
        )
    checked = {}
    for node, g in grads.items():
        if not isinstance(node, Value):
            raise TypeError(f"grads' keys must be Values, got {type(node).__name__}: {node!r}")
        checked[node] = to_float(g, "grads' values")
    return checked
