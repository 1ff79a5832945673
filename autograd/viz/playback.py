"""The frames of one training step, as the backprop articles teach it, before any HTML.

    forward    the leaves hold their numbers; then each op computes its value, in topological
               order, one frame per op                                    (with forward=True)
    error      the output (the loss) and its seed gradient d out/d out = 1, or the gradient
               `grad` arriving at it from outside the graph               (with forward=True)
    backward   one frame per node, in the order of the backward pass: the gradient arriving,
               the chain rule for each input, what it sends
    update     one frame per parameter: w <- w - lr * grad, old and new    (with params and lr)

Each frame names its node, says in plain text what happens (with the numbers), and lists what
changes in the drawing: ("data" or "grad", the node, the new text, the text before). Nothing
here touches `.data` or `.grad`: the gradients come from the engine's own pass (`_pass`, the
loop `backward()` runs), the updated values are only computed and shown.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from autograd import _checks, ops
from autograd.backward import _pass, topological_order
from autograd.steps import formula as _formula
from autograd.value import Value
from autograd.viz.dot import _checked_params, roles
from autograd.viz.text import check_number_format, derivative, namer, number, shown

PHASES = ("forward", "error", "backward", "update")
UNKNOWN = "?"


@dataclass(frozen=True)
class Change:
    """One cell of one record changing: `field` is "data" or "grad"; texts as shown."""

    node: Value
    field: str
    new: str
    old: str


@dataclass(frozen=True)
class Frame:
    """One frame: its phase, the node it is about (None: the first forward frame), the panel
    text, and the cells it changes (applied going forward, undone going back)."""

    phase: str
    node: Value | None
    text: str
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class Playback:
    """What a page plays: the nodes in topological order, their names and roles, each cell's
    text before the first frame (`start[node] = (data, grad)`), and the frames."""

    order: list[Value]
    name: Callable[[Value], str]
    role: dict[Value, str]
    start: dict[Value, tuple[str, str]]
    frames: list[Frame]


def playback(
    root: Value,
    *,
    forward: bool = False,
    params: Iterable[Value] | None = None,
    lr: float | None = None,
    number_format: str = ".4g",
    grad: float = 1.0,
) -> Playback:
    """Return the frames of forward (optional), error, backward and update (optional) for `root`.

    Touches no `.data` and no `.grad`. `params` and `lr` come together: the update frames
    show w <- w - lr * (d root / d w) for each parameter, in the order given. `grad` seeds the
    backward pass as `root.backward(grad)` does: the gradient of a loss further on with respect
    to `root` (one neuron's output inside a network, say); 1 when root is the loss itself.
    """
    _checks.value("animate", root)
    _checks.flag("forward", forward)
    seed = _checks.number("grad", grad, low=None)
    check_number_format(number_format)
    order = topological_order(root)
    name = namer(order)
    chosen, rate = check_update(order, name, params, lr)
    num: Callable[[float], str] = lambda x: number(x, number_format)  # noqa: E731
    showing: dict[tuple[Value, str], str] = {}  # each cell's text as of the last frame
    for node in order:
        showing[node, "data"] = UNKNOWN if forward and node.op else num(node.data)
        showing[node, "grad"] = UNKNOWN
    start = {node: (showing[node, "data"], showing[node, "grad"]) for node in order}
    frames: list[Frame] = []

    def add(phase: str, node: Value | None, text: str, *cells: tuple[Value, str, str]) -> None:
        changes = []
        for changed, field, new in cells:
            if showing[changed, field] != new:
                changes.append(Change(changed, field, new, showing[changed, field]))
                showing[changed, field] = new
        frames.append(Frame(phase, node, text, tuple(changes)))

    role = roles(order, chosen or None)
    if forward:
        ops = [node for node in order if node.op]
        add("forward", None, _leaves_text(order, role, name, num, len(ops)))
        for k, node in enumerate(ops, 1):
            text = _forward_text(node, name, num, k, len(ops))
            add("forward", node, text, (node, "data", num(node.data)))
        add("error", root, _error_text(root, name, num, seed), (root, "grad", num(seed)))
    gradient: dict[Value, float] = {}
    of = "L" if seed != 1.0 else None  # seeded: the gradients are of a loss L further on
    for k, (node, g, sent) in enumerate(_pass(root, seed, False), 1):
        gradient[node] = g
        text = _backward_text(node, g, sent, root, name, num, k, len(order), of)
        add("backward", node, text, (node, "grad", num(g)))
    for k, param in enumerate(chosen, 1):
        new = param.data - rate * gradient[param]
        loss = of or name(root)
        text = _update_text(param, gradient[param], new, rate, loss, name, num, k, len(chosen))
        add("update", param, text, (param, "data", f"{num(param.data)} → {num(new)}"))
    return Playback(order, name, role, start, frames)


def check_update(
    order: list[Value], name: Callable[[Value], str], params: object, lr: object
) -> tuple[list[Value], float]:
    """Return (the parameters, each once, in the order given; lr as a float), or raise.

    Both or neither; every parameter a leaf of this graph; lr a finite real number >= 0.
    """
    if (params is None) != (lr is None):
        given, missing = ("params", "lr") if lr is None else ("lr", "params")
        raise ValueError(
            f"animate() got {given} without {missing}: the update frames need both, e.g. "
            "params=model.parameters(), lr=0.1 (or leave both out for no update frames)"
        )
    if params is None:
        return [], 0.0
    chosen = list(dict.fromkeys(_checked_params(params)))
    if not chosen:
        raise ValueError("params is empty: pass the leaves to update, e.g. model.parameters()")
    in_graph = set(order)
    for k, param in enumerate(chosen):
        if param not in in_graph:
            raise ValueError(
                f"params[{k}] ({param.label or repr(param)}) is not in the graph of the output: "
                "pass only parameters that the output depends on"
            )
        if param.op:
            raise ValueError(
                f"params[{k}] ({name(param)}) is the result of an op ({param.op!r}), not a leaf: "
                "gradient descent updates leaves (weights and biases), as torch.optim does"
            )
    if isinstance(lr, bool) or not isinstance(lr, numbers.Real):
        raise TypeError(f"lr must be a real number such as 0.1, got {type(lr).__name__}: {lr!r}")
    rate = float(lr)
    if not math.isfinite(rate) or rate < 0:
        raise ValueError(f"lr must be a finite number >= 0, got {lr!r}")
    return chosen, rate


# ---- the text of each phase ----


def formula(node: Value, name: Callable[[Value], str]) -> str:
    """The engine's formula (` = x * y`), its op name shown as plain text like every name."""
    return shown(_formula(node, name), "a formula", limit=None)


def _leaves_text(
    order: list[Value],
    role: dict[Value, str],
    name: Callable[[Value], str],
    num: Callable[[float], str],
    ops: int,
) -> str:
    lines = ["Forward pass: the inputs and parameters hold their numbers before any op runs."]
    for kind, heading in (("input", "inputs"), ("parameter", "parameters")):
        leaves = [n for n in order if not n.op and role[n] == kind]
        if leaves:
            listed = ", ".join(f"{name(n)} = {num(n.data)}" for n in leaves[:4])
            more = f", … ({len(leaves)} in all)" if len(leaves) > 4 else ""
            lines.append(f"  {heading}: {listed}{more}")
    lines.append(
        f"Next, each of the {ops} ops computes its value from its inputs, in topological order."
        if ops
        else "The output is a leaf: there is no op to compute."
    )
    return "\n".join(lines)


def _forward_text(
    node: Value, name: Callable[[Value], str], num: Callable[[float], str], k: int, total: int
) -> str:
    record = ops.record_of(node._backward)  # written with operators: (-2) * 3, not -2 * 3
    infix = record is not None and record.form not in (ops.CALL, ops.MATMUL)

    def value(parent: Value) -> str:
        text = num(parent.data)
        return f"({text})" if infix and text.startswith("-") else text

    pad = " " * len(name(node))
    return (
        f"Forward, op {k} of {total}\n"
        f"  {name(node)}{formula(node, name)}\n"
        f"  {pad}{formula(node, value)}\n"
        f"  {pad} = {num(node.data)}"
    )


def _error_text(
    root: Value, name: Callable[[Value], str], num: Callable[[float], str], seed: float = 1.0
) -> str:
    out = name(root)
    if seed != 1.0:
        return (
            f"Error: the output {out} = {num(root.data)} feeds the rest of the computation, "
            "whose gradient arrives here from outside this graph:\n"
            f"{derivative('L', out)} = {num(seed)}. From here it flows back to every input "
            "and parameter (the chain rule multiplies by it)."
        )
    return (
        f"Error: the output {out} = {num(root.data)} is the number the backward pass "
        "differentiates (for training, the loss).\n"
        f"The seed: {derivative(out, out)} = 1. From here the gradient flows back to every "
        "input and parameter."
    )


def _backward_text(
    node: Value,
    g: float,
    sent: tuple[Any, ...],
    root: Value,
    name: Callable[[Value], str],
    num: Callable[[float], str],
    k: int,
    total: int,
    of: str | None = None,
) -> str:
    loss = of or name(root)
    lines = [
        f"Backward, step {k} of {total}: {name(node)}{formula(node, name)} = {num(node.data)}",
        f"gradient arriving: {derivative(loss, name(node))} = {num(g)}"
        + ("   (the seed)" if node is root else "   (every consumer has sent)"),
    ]
    if node.op:
        lines.append("chain rule, one line per input:")
        for parent, d, c in zip(node.parents, node.local_grads(1.0), sent):
            if c is None or d is None:  # the op sends none (shift), or none reached this node
                lines.append(f"  {name(parent)}: no gradient flows back to it from here")
                continue
            lines.append(
                f"  {name(parent)}: {derivative(name(node), name(parent))} = {num(d)}  ->  "
                f"sends {num(g)} × {num(d)} = {num(c)}"
            )
    else:
        lines.append(f"a leaf: its gradient is complete, {name(node)}.grad += {num(g)}")
    return "\n".join(lines)


def _update_text(
    param: Value,
    g: float,
    new: float,
    lr: float,
    loss: str,
    name: Callable[[Value], str],
    num: Callable[[float], str],
    k: int,
    total: int,
) -> str:
    w, pad = name(param), " " * len(name(param))
    step = f"({num(g)})" if num(g).startswith("-") else num(g)
    return (
        f"Update, parameter {k} of {total}: gradient descent, "
        f"w <- w - lr × {derivative(loss, 'w')}\n"
        f"  {w} <- {w} - {num(lr)} × {derivative(loss, w)}\n"
        f"  {pad} = {num(param.data)} - {num(lr)} × {step}\n"
        f"  {pad} = {num(new)}   (was {num(param.data)})"
    )
