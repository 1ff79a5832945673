"""Reverse mode: the topological order, the backward pass (written once), grad, zero_grad, no_grad.

The pass, in full (`_pass` below is this, plus hooks, anomaly checks and several roots):

    fresh = {root: seed}                               # this pass's gradients only
    for node in reversed(topological_order(root)):     # outputs before inputs
        g = fresh.pop(node)                            # complete: every consumer has sent
        sent = node's rule(g, node.data, *parents' data)
        for parent, c in zip(node.parents, sent):
            fresh[parent] = fresh.get(parent, 0) + c
        yield node, g, sent

`backward` adds each `g` to `node.grad`; `backward_steps` does the same and yields a readable
record per node; `grad` keeps the `g`s for the inputs it was asked about and touches no `.grad`.
With several roots (`grad(outputs, ...)`, `backward(roots, grads)`) the pass seeds each root
with its weight and walks the union of their graphs once.
The pass never reads `.grad`, so two `backward()` calls add exactly twice.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import threading
from collections.abc import Callable, Iterator, Sequence
from operator import attrgetter
from typing import Any, TypeVar, cast

from autograd import check
from autograd import value as _value
from autograd.steps import Step, formula
from autograd.value import ANOMALY, Value, to_float

F = TypeVar("F", bound=Callable[..., Any])
__all__ = ["Step", "formula"]  # the step text lives in autograd.steps; these names stay here too


def topological_order(root: Value) -> list[Value]:
    """Return every node that `root` depends on, inputs before outputs, each once.

    A node is always created after its parents, so the reachable nodes sorted by creation
    number are in topological order. Gathering them is a loop over a growing list, never
    recursion, so a chain of a million nodes is fine. `root` is last. The walk keeps what it
    has seen in a set of its own and writes nothing on the nodes, so threads whose graphs
    share nodes (a model's parameters) can walk at the same time.
    """
    if not isinstance(root, Value):
        raise TypeError(f"topological_order needs a Value, got {type(root).__name__}")
    return _order((root,))


def _order(roots: Sequence[Value]) -> list[Value]:
    """The union of the roots' graphs in topological order (the roots need not be distinct)."""
    found = list(dict.fromkeys(roots))
    seen = set(found)
    see, keep = seen.add, found.append
    for node in found:  # a breadth-first walk: `found` grows while it is read, no recursion
        for parent in node.parents:
            if parent not in seen:
                see(parent)
                keep(parent)
    found.reverse()  # found runs mostly from new to old: reversed, it is nearly sorted already
    found.sort(key=_creation)
    return found


_creation = attrgetter("_order")


def _pass(
    roots: Value | Sequence[Value], seeds: Any, as_values: bool
) -> Iterator[tuple[Value, Any, tuple[Any, ...]]]:
    """Yield (node, gradient arriving at it, contribution sent to each parent), outputs first.

    One pass over the union of the roots' graphs, each root seeded with its seed (one root:
    a Value and its seed). On floats; or, with `as_values`, on Values that record a graph
    (for create_graph).
    """
    if isinstance(roots, Value):
        roots, seeds = (roots,), (seeds,)
    checking = _value._get_mode() & ANOMALY  # read once per pass
    fresh: dict[Value, Any] = {}
    pop, get = fresh.pop, fresh.get
    for root, seed in zip(roots, seeds):
        before = get(root)
        fresh[root] = seed if before is None else before + seed
    for node in reversed(_order(roots)):
        g = pop(node)
        if node._hooks is not None:
            g = _run_hooks(node, g)
        rule, parents = node._backward, node.parents
        if rule is None:  # a leaf: nothing to send
            yield node, g, ()
            continue
        if as_values:
            g = g if type(g) is Value else Value(g)
            if checking:  # the rule's own nodes are checked by what it sends, just below
                with _unwatched():
                    sent = rule(g, node, *parents)
            else:
                sent = rule(g, node, *parents)
        elif len(parents) == 2:
            sent = rule(g, node._data, parents[0]._data, parents[1]._data)
        elif len(parents) == 1:
            sent = rule(g, node._data, parents[0]._data)
        else:
            sent = rule(g, node._data, *[p._data for p in parents])
        if checking:
            check.watch_backward(node, g, sent)
        for parent, c in zip(parents, sent):
            before = get(parent)
            fresh[parent] = c if before is None else before + c
        yield node, g, sent


class _unwatched(_value.ModeSwitch):
    clear_bits = ANOMALY


def _run_hooks(node: Value, g: Any) -> Any:
    for hook in list(node._hooks or ()):
        replaced = hook(g)
        if replaced is not None:
            if not isinstance(replaced, Value):
                replaced = to_float(replaced, "a hook's return value")
            g = replaced
    return g


_pauses = 0
_pauses_lock = threading.Lock()
_was_enabled = False


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a whole pass, then restore it.

    A pass makes no reference cycles (nodes point only at their parents), so the collector
    has nothing to find; left on, it would re-walk every live node of a large graph many times
    over. Only whole passes pause it; `backward_steps` does not, as user code runs between steps.
    The collector is process-wide: passes in several threads count, and the last one out
    restores it.
    """
    global _pauses, _was_enabled
    with _pauses_lock:
        if _pauses == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _pauses_lock:
            _pauses -= 1
            if _pauses == 0 and _was_enabled:
                gc.enable()


def _as_roots(roots: object, what: str) -> tuple[Value, ...]:
    """One Value or a non-empty sequence of Values, as a tuple; TypeError/ValueError otherwise."""
    if isinstance(roots, Value):
        return (roots,)
    if isinstance(roots, (str, bytes)) or not isinstance(roots, Sequence):
        raise TypeError(
            f"{what} needs a Value or a sequence of Values, got {type(roots).__name__}: "
            f"{_value.brief(roots)}"
        )
    found = tuple(roots)
    if not found:
        raise ValueError(f"{what} got an empty sequence; pass at least one Value")
    for k, v in enumerate(found):
        if not isinstance(v, Value):
            raise TypeError(f"{what} must be Values, got {type(v).__name__} at index {k}")
    return found


def _as_seeds(grads: object, count: int, what: str, as_values: bool) -> tuple[Any, ...]:
    """The weights of the roots: 1.0 each by default, one number (or Value) per root."""
    if grads is None:
        return (Value(1.0) if as_values else 1.0,) * count
    if count == 1 and not isinstance(grads, (list, tuple)):
        items: tuple[object, ...] = (grads,)
    elif isinstance(grads, (list, tuple)):
        items = tuple(grads)
    else:
        raise TypeError(
            f"{what} needs one number per output ({count}), got {type(grads).__name__}: "
            f"{_value.brief(grads)}"
        )
    if len(items) != count:
        raise ValueError(f"{what} got {len(items)} weights for {count} outputs; give one each")
    seeds = []
    for k, item in enumerate(items):
        if isinstance(item, Value):
            seeds.append(item if as_values else item._data)
        else:
            number = to_float(item, f"{what}[{k}]")
            seeds.append(Value(number) if as_values else number)
    return tuple(seeds)


def backward(roots: Value | Sequence[Value], grads: Any = None) -> None:
    """Add Σₖ grads[k] · d roots[k] / d node to `.grad` of every node the roots depend on.

    `roots` is one Value or a sequence; `grads` weights each root (default 1.0 each; one number
    for one root), as `torch.autograd.backward(tensors, grad_tensors)`. One pass over the union
    of the graphs, not one per root. Each call computes this pass's contributions afresh and
    then adds them, so calling it twice without zeroing adds exactly twice.

    >>> backward([y1, y2], [1.0, 0.5])     # same as (y1 + 0.5 * y2).backward()
    """
    found = _as_roots(roots, "backward(roots)")
    seeds = _as_seeds(grads, len(found), "backward(grads)", False)
    with _collector_paused():
        for node, g, _ in _pass(found, seeds, False):
            node.grad += g


def node_namer(order: Sequence[Value]) -> Callable[[Value], str]:
    """Return a function that names a node: its label, else `#k` by its place in `order`.

    Drawings, step text and pages all name nodes through this, so an unlabelled node has one
    name everywhere; `repr()` of such a node shows the same `#k` afterwards (in this thread).
    """
    return _value.name_nodes(list(order))


def backward_steps(root: Value, grad: float = 1.0) -> Iterator[Step]:
    """Return a generator of one `Step` per node, doing the same pass as `backward(root, grad)`.

    Each step adds the node's gradient to its `.grad` before it is yielded, so once the generator
    is exhausted every `.grad` equals what `backward()` gives; stop early and the rest is undone
    work, not half-done work. `for step in backward_steps(loss): print(step)`.
    Its arguments are checked at the call, not at the first `next()`.
    """
    order = topological_order(root)
    seed = to_float(grad, "backward_steps(grad)")
    return _steps(root, seed, order, node_namer(order))


def _steps(
    root: Value, seed: float, order: list[Value], name: Callable[[Value], str]
) -> Iterator[Step]:
    total = len(order)
    for index, (node, g, sent) in enumerate(_pass(root, seed, False), 1):
        node.grad += g
        yield Step(index, total, node, g, tuple(zip(node.parents, sent)), name)


def grad(
    outputs: Value | Sequence[Value],
    inputs: Value | Sequence[Value],
    *,
    grad_outputs: Any = None,
    create_graph: bool = False,
) -> list[Any]:
    """Return [Σₖ grad_outputs[k] · d outputs[k] / d x  for x in inputs], touching no `.grad`.

    `outputs` is one Value or a sequence; `grad_outputs` weights each (default 1.0 each), so
    the result is the vector-Jacobian product, the same numbers as
    `torch.autograd.grad(outputs, inputs, grad_outputs)`. One backward pass over the union of
    the outputs' graphs, however many outputs there are.

    Floats by default. With `create_graph=True` each result is a `Value` with a graph of its own
    (the op rules run on Values), so `grad` can be applied to it again:

    >>> x = Value(3.0)
    >>> dy, = grad(x ** 3, [x], create_graph=True)   # 3x² = 27
    >>> grad(dy, [x])                                # 6x = 18
    [18.0]

    An input that the outputs do not depend on gets 0.0 (a constant Value under create_graph).
    """
    roots = _as_roots(outputs, "grad(outputs)")
    wanted = [inputs] if isinstance(inputs, Value) else _as_inputs(inputs)
    for k, x in enumerate(wanted):
        if not isinstance(x, Value):
            raise TypeError(f"grad inputs must be Values, got {type(x).__name__} at index {k}")
    seeds = _as_seeds(grad_outputs, len(roots), "grad(grad_outputs)", bool(create_graph))
    targets = set(wanted)
    found: dict[Value, Any] = {}
    with _collector_paused():
        for node, g, _ in _pass(roots, seeds, bool(create_graph)):
            if node in targets:
                found[node] = g
    zero = (lambda: Value(0.0)) if create_graph else (lambda: 0.0)
    results = [found[x] if x in found else zero() for x in wanted]
    if create_graph:
        results = [r if isinstance(r, Value) else Value(r) for r in results]
    return results


def _as_inputs(inputs: object) -> list[Any]:
    if isinstance(inputs, (str, bytes)) or not isinstance(inputs, Sequence):
        raise TypeError(
            f"grad(inputs) needs a Value or a sequence of Values, got {type(inputs).__name__}"
        )
    return list(inputs)


def zero_grad(*roots: Value) -> None:
    """Set `.grad = 0.0` on every node reachable from the given roots (the roots included)."""
    for root in roots:
        if not isinstance(root, Value):
            raise TypeError(f"zero_grad needs Values, got {type(root).__name__}")
    for node in _order(roots):
        node.grad = 0.0


class no_grad(_value.ModeSwitch):
    """Context manager and decorator: ops inside build no graph; their results are leaves.

    It holds for the thread (and asyncio task) that entered it, as torch's grad mode does:
    an evaluation thread inside no_grad() does not stop a training thread from recording.

    >>> with no_grad():
    ...     y = Value(2.0) * 3       # y.op == "" and y.parents == ()
    """

    set_bits = _value.NO_GRAD

    def __call__(self, fn: F) -> F:
        @functools.wraps(fn)
        def without_grad(*args: Any, **kwargs: Any) -> Any:
            with no_grad():
                return fn(*args, **kwargs)

        return cast(F, without_grad)


def is_grad_enabled() -> bool:
    """Return False inside `no_grad()` (in this thread or task), True otherwise."""
    return not _value._get_mode() & _value.NO_GRAD
