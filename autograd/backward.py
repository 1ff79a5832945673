"""Reverse mode: the topological order, the backward pass (written once), grad, zero_grad, no_grad.

The pass, in full (`_pass` below is this, plus hooks and anomaly checks):

    fresh = {root: seed}                               # this pass's gradients only
    for node in reversed(topological_order(root)):     # outputs before inputs
        g = fresh.pop(node)                            # complete: every consumer has sent
        sent = node's rule(g, node.data, *parents' data)
        for parent, c in zip(node.parents, sent):
            fresh[parent] = fresh.get(parent, 0) + c
        yield node, g, sent

`backward` adds each `g` to `node.grad`; `backward_steps` does the same and yields a readable
record per node; `grad` keeps the `g`s for the inputs it was asked about and touches no `.grad`.
The pass never reads `.grad`, so two `backward()` calls add exactly twice.
"""

from __future__ import annotations

import contextlib
import functools
import gc
from collections.abc import Callable, Iterator, Sequence
from operator import attrgetter
from typing import Any, TypeVar, cast

from autograd import check
from autograd import value as _value
from autograd.value import Value, to_float

F = TypeVar("F", bound=Callable[..., Any])


def topological_order(root: Value) -> list[Value]:
    """Return every node that `root` depends on, inputs before outputs, each once.

    A node is always created after its parents, so the reachable nodes sorted by creation
    number are in topological order. Gathering them walks an explicit stack, never recursion,
    so a chain of a million nodes is fine. `root` is last. The walk marks each node it reaches
    with a token of its own; it calls no user code, so no other walk can interleave with it.
    """
    if not isinstance(root, Value):
        raise TypeError(f"topological_order needs a Value, got {type(root).__name__}")
    token = object()  # marks the nodes this walk has reached: cheaper than a set of millions
    root._mark = token
    found = [root]
    stack = [root]
    while stack:
        for parent in stack.pop().parents:
            if parent._mark is not token:
                parent._mark = token
                found.append(parent)
                stack.append(parent)
    found.reverse()  # found runs mostly from new to old: reversed, it is nearly sorted already
    found.sort(key=_creation)
    return found


_creation = attrgetter("_order")


def _pass(root: Value, seed: Any, as_values: bool) -> Iterator[tuple[Value, Any, tuple[Any, ...]]]:
    """Yield (node, gradient arriving at it, contribution sent to each parent), outputs first.

    On floats; or, with `as_values`, on Values that record a graph (for create_graph).
    """
    checking = _value._watching  # read once per pass
    fresh: dict[Value, Any] = {root: seed}
    pop, get = fresh.pop, fresh.get
    for node in reversed(topological_order(root)):
        g = pop(node)
        if node._hooks is not None:
            g = _run_hooks(node, g)
        rule, parents = node._backward, node.parents
        if rule is None:  # a leaf: nothing to send
            yield node, g, ()
            continue
        if as_values:
            g = g if type(g) is Value else Value(g)
            sent = rule(g, node, *parents)
        elif len(parents) == 2:
            sent = rule(g, node.data, parents[0].data, parents[1].data)
        elif len(parents) == 1:
            sent = rule(g, node.data, parents[0].data)
        else:
            sent = rule(g, node.data, *[p.data for p in parents])
        if checking:
            check.watch_backward(node, g, sent)
        for parent, c in zip(parents, sent):
            before = get(parent)
            fresh[parent] = c if before is None else before + c
        yield node, g, sent


def _run_hooks(node: Value, g: Any) -> Any:
    for hook in list(node._hooks or ()):
        replaced = hook(g)
        if replaced is not None:
            if not isinstance(replaced, Value):
                replaced = to_float(replaced, "a hook's return value")
            g = replaced
    return g


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a whole pass, then restore it.

    A pass makes no reference cycles (nodes point only at their parents), so the collector
    has nothing to find; left on, it would re-walk every live node of a large graph many times
    over. Only whole passes pause it; `backward_steps` does not, as user code runs between steps.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _seed(grad: object) -> float:
    return to_float(grad, "backward(grad)")


def backward(root: Value, grad: float = 1.0) -> None:
    """Add d(root)/d(node) · grad to `.grad` of every node reachable from `root`.

    Same as `root.backward(grad)`. Each call computes this pass's contributions afresh and then
    adds them, so calling it twice without zeroing adds exactly twice.
    """
    with _collector_paused():
        for node, g, _ in _pass(root, _seed(grad), False):
            node.grad += g


class Step:
    """One node of a backward pass: the gradient that arrived, and what it sent to each parent.

    Fields: `index` (1-based), `total`, `node`, `grad` (d root/d node for this pass),
    `sent` (a tuple of (parent, contribution) pairs, in parent order), and `name`, a function
    that names a node (its label, or `#k` by its place in the topological order).
    `str(step)` reads as the chain rule:  step 3/9  z = x * y = 6.0   grad 2.0   -> x += -6.0, ...
    """

    __slots__ = ("index", "total", "node", "grad", "sent", "name")

    def __init__(
        self,
        index: int,
        total: int,
        node: Value,
        grad: Any,
        sent: tuple[tuple[Value, Any], ...],
        name: Callable[[Value], str],
    ) -> None:
        self.index, self.total, self.node, self.grad, self.sent = index, total, node, grad, sent
        self.name = name

    def expression(self) -> str:
        """Return `name = formula = data`, e.g. `z = x * y = 6.0`, or `x (leaf) = 2.0`."""
        return f"{self.name(self.node)}{formula(self.node, self.name)} = {_num(self.node.data)}"

    def __str__(self) -> str:
        flows = ", ".join(f"{self.name(p)} += {_num(c)}" for p, c in self.sent)
        arrow = f"   -> {flows}" if flows else "   (leaf: gradient complete)"
        return (
            f"step {self.index}/{self.total}  {self.expression()}   grad {_num(self.grad)}{arrow}"
        )

    def __repr__(self) -> str:
        return f"<Step {self}>"


def formula(node: Value, name: Callable[[Value], str]) -> str:
    """Return ` = x * y` (what the user wrote, by op) for a node, or ` (leaf)` for a leaf."""
    if not node.op:
        return " (leaf)"
    args = [name(p) for p in node.parents]
    op = node.op
    if op in ("+", "-", "*", "/", "**") and len(args) == 2:
        return f" = {args[0]} {op} {args[1]}"
    if op == "neg":
        return f" = -{args[0]}"
    if op.startswith("**"):
        return f" = {args[0]}{op}"
    if op == "dot":
        n = len(args) // 2
        return " = " + " + ".join(f"{w}*{x}" for w, x in zip(args[:n], args[n:]))
    if op == "sum":
        return " = " + " + ".join(args)
    return f" = {op}({', '.join(args)})"


def _num(x: Any) -> str:
    return f"{float(x):.6g}"


def node_namer(order: Sequence[Value]) -> Callable[[Value], str]:
    """Return a function that names a node: its label, else `#k` by its place in `order`."""
    place = {node: k for k, node in enumerate(order, 1)}
    return lambda node: node.label or f"#{place.get(node, '?')}"


def backward_steps(root: Value, grad: float = 1.0) -> Iterator[Step]:
    """Yield one `Step` per node while doing the same backward pass as `backward(root, grad)`.

    Each step adds the node's gradient to its `.grad` before it is yielded, so once the generator
    is exhausted every `.grad` equals what `backward()` gives; stop early and the rest is undone
    work, not half-done work. `for step in backward_steps(loss): print(step)`.
    """
    order = topological_order(root)
    name = node_namer(order)
    total = len(order)
    for index, (node, g, sent) in enumerate(_pass(root, _seed(grad), False), 1):
        node.grad += g
        yield Step(index, total, node, g, tuple(zip(node.parents, sent)), name)


def grad(
    output: Value, inputs: Value | Sequence[Value], *, create_graph: bool = False
) -> list[Any]:
    """Return [d output / d x for x in inputs], touching no `.grad`.

    Floats by default. With `create_graph=True` each result is a `Value` with a graph of its own
    (the op rules run on Values), so `grad` can be applied to it again:

    >>> x = Value(3.0)
    >>> dy, = grad(x ** 3, [x], create_graph=True)   # 3x² = 27
    >>> grad(dy, [x])                                # 6x = 18
    [18.0]

    An input that `output` does not depend on gets 0.0 (a constant Value under create_graph).
    """
    if not isinstance(output, Value):
        raise TypeError(f"grad needs a Value output, got {type(output).__name__}")
    wanted = [inputs] if isinstance(inputs, Value) else list(inputs)
    for k, x in enumerate(wanted):
        if not isinstance(x, Value):
            raise TypeError(f"grad inputs must be Values, got {type(x).__name__} at index {k}")
    targets = set(wanted)
    found: dict[Value, Any] = {}
    seed: Any = Value(1.0) if create_graph else 1.0
    with _collector_paused():
        for node, g, _ in _pass(output, seed, create_graph):
            if node in targets:
                found[node] = g
    zero = (lambda: Value(0.0)) if create_graph else (lambda: 0.0)
    results = [found[x] if x in found else zero() for x in wanted]
    if create_graph:
        results = [r if isinstance(r, Value) else Value(r) for r in results]
    return results


def zero_grad(*roots: Value) -> None:
    """Set `.grad = 0.0` on every node reachable from the given roots (the roots included)."""
    seen: set[Value] = set()
    for root in roots:
        if not isinstance(root, Value):
            raise TypeError(f"zero_grad needs Values, got {type(root).__name__}")
        stack = [root]
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            node.grad = 0.0
            stack.extend(node.parents)


class no_grad:
    """Context manager and decorator: ops inside build no graph; their results are leaves.

    >>> with no_grad():
    ...     y = Value(2.0) * 3       # y.op == "" and y.parents == ()
    """

    def __init__(self) -> None:
        self._saved: list[bool] = []

    def __enter__(self) -> no_grad:
        self._saved.append(_value._tracking)
        _value._tracking = False
        return self

    def __exit__(self, *exc: object) -> None:
        _value._tracking = self._saved.pop()

    def __call__(self, fn: F) -> F:
        @functools.wraps(fn)
        def without_grad(*args: Any, **kwargs: Any) -> Any:
            with no_grad():
                return fn(*args, **kwargs)

        return cast(F, without_grad)


def is_grad_enabled() -> bool:
    """Return False inside `no_grad()`, True otherwise."""
    return _value._tracking
