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
import numbers
import threading
from collections.abc import Callable, Iterator, Sequence
from operator import attrgetter
from typing import Any, TypeVar, cast

import numpy as np

from autograd import _checks, anomaly
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
    return _order((_checks.value("topological_order", root),))


def _order(roots: Sequence[Value]) -> list[Value]:
    """The union of the roots' graphs in topological order (the roots need not be distinct)."""
    if _value._holder is not None:  # parameters a compiled training step holds: up to date
        _value.settle()
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
    a Value and its seed). On floats, where every gradient is a Python float (a rule's int,
    NumPy scalar or 0-d array becomes one; anything else is a TypeError naming the op); or,
    with `as_values`, on Values that record a graph (for create_graph).

    A rule returns one contribution per parent, in order; a contribution of None sends nothing
    to that parent (torch's convention for an input with no gradient: `shift` sends None). A
    node that no gradient reaches (all its consumers sent None) gets 0.0, runs no hook and sends
    nothing on (None to each parent): 0 · ∞ never turns "no gradient" into nan upstream.
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
        rule, parents = node._backward, node.parents
        try:
            g = pop(node)
        except KeyError:  # no gradient reached it: every consumer sent None
            yield node, 0.0, (None,) * len(parents) if rule is not None else ()
            continue
        if node._hooks is not None:
            g = _run_hooks(node, g, as_values)
        if rule is None:  # a leaf: nothing to send
            yield node, g, ()
            continue
        count = len(parents)
        if as_values:
            g = g if isinstance(g, Value) else Value(g)
            if checking:  # the rule's own nodes are checked by what it sends, just below
                with _unwatched():
                    sent = rule(g, node, *parents)
            else:
                sent = rule(g, node, *parents)
        elif count == 2:
            sent = rule(g, node._data, parents[0]._data, parents[1]._data)
        elif count == 1:
            sent = rule(g, node._data, parents[0]._data)
        else:
            sent = rule(g, node._data, *[p._data for p in parents])
        if type(sent) is not tuple or len(sent) != count:
            _one_per_parent(node, sent)  # raises unless a list of one per parent
        for parent, c in zip(parents, sent):
            if type(c) is not float:  # the slow path: a Value (create_graph), None, or wrong
                c = _contribution(node, sent, c, as_values)
                if c is None:
                    continue
            before = get(parent)
            fresh[parent] = c if before is None else before + c
        if checking:
            anomaly.watch_backward(node, g, sent)
        yield node, g, sent


def _one_per_parent(node: Value, sent: object) -> None:
    """Raise ValueError naming the op unless a rule's result is a tuple or list of one
    contribution per parent."""
    count = len(node.parents)
    if isinstance(sent, (tuple, list)) and len(sent) == count:
        return
    got = f"{len(sent)} contribution(s)" if isinstance(sent, (tuple, list)) else _value.brief(sent)
    raise ValueError(
        f"backward of op {node.op!r} ({anomaly.rule_name(node._backward)}): its rule returned "
        f"{got} for {count} input(s); a rule returns a tuple of one contribution per input, "
        "in order (None for an input no gradient flows to)"
    )


def _contribution(node: Value, sent: tuple[Any, ...], c: object, as_values: bool) -> Any:
    """A contribution that is not a float: None (nothing flows), a Value under create_graph, a
    real number made a float (int, NumPy scalar, 0-d array); else TypeError naming the op."""
    if c is None or (as_values and isinstance(c, Value)):
        return c
    if isinstance(c, (bool, np.bool_)):
        problem = f"a bool ({c!r}); a branch in a rule is written where(condition, a, b)"
    elif isinstance(c, Value):
        problem = "a Value in a plain backward pass (a rule gets numbers there: compute with them)"
    else:
        try:
            return to_float(c, "a contribution")
        except (TypeError, ValueError):
            shape = getattr(c, "shape", None)
            if shape is not None and tuple(shape) != ():
                problem = f"an array of shape {tuple(shape)}, not one number"
            elif isinstance(c, numbers.Complex) and not isinstance(c, numbers.Real):
                problem = f"the complex number {c!r}"
            else:
                problem = f"{type(c).__name__}: {_value.brief(c)}"
    k = next(k for k, sent_k in enumerate(sent) if sent_k is c)
    raise TypeError(
        f"backward of op {node.op!r} ({anomaly.rule_name(node._backward)}): the contribution "
        f"to input {k} is {problem}; each contribution must be a real number, g times dz/dx "
        "of that input (None: no gradient flows to it)"
    )


class _unwatched(_value.ModeSwitch):
    clear_bits = ANOMALY


def _run_hooks(node: Value, g: Any, as_values: bool) -> Any:
    """Run the node's hooks on its gradient; a number one returns replaces it (a float in a
    plain pass, where a Value returned counts by its data; a Value or a number under
    create_graph)."""
    for hook in list(node._hooks or ()):
        replaced = hook(g)
        if replaced is not None:
            if not (as_values and isinstance(replaced, Value)):
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
    return tuple(_checks.values(what, roots, item="output", one=True, empty=False))


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


_value._passes.backward = backward  # what Value.backward calls (value.py cannot import this)


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
    `create_graph=True` records the derivatives' graph even inside `no_grad()`, as torch does:
    asking for the graph is asking to record it.
    """
    roots = _as_roots(outputs, "grad(outputs)")
    wanted = _checks.values("grad(inputs)", inputs, item="input", one=True)
    seeds = _as_seeds(grad_outputs, len(roots), "grad(grad_outputs)", bool(create_graph))
    targets = set(wanted)
    found: dict[Value, Any] = {}
    recording = _value._recording() if create_graph else contextlib.nullcontext()
    with _collector_paused(), recording:
        for node, g, _ in _pass(roots, seeds, bool(create_graph)):
            if node in targets:
                found[node] = g
    zero = (lambda: Value(0.0)) if create_graph else (lambda: 0.0)
    results = [found[x] if x in found else zero() for x in wanted]
    if create_graph:
        results = [r if isinstance(r, Value) else Value(r) for r in results]
    return results


def zero_grad(*roots: Value) -> None:
    """Set `.grad = 0.0` on every node reachable from the given roots (the roots included)."""
    for node in _order(_checks.values("zero_grad", roots, item="root")):
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
