"""Checking gradients: `gradcheck` against central differences, and `detect_anomaly` mode.

gradcheck:  analytic ∂f/∂xᵢ (from the engine)  vs  numeric (f(x + eps·eᵢ) - f(x - eps·eᵢ)) / 2eps,
            a match when |analytic - numeric| <= atol + rtol·|numeric|  (nan matches nan).

detect_anomaly:  while it is on, every op checks that it made a finite number and every backward
rule that it sent finite contributions; the first nan or inf raises FloatingPointError naming the
op, its inputs, and the file:line of the user's code that created the node. Creation sites are
recorded only while it is on, so normal mode pays nothing for them.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from autograd import backward as _backward
from autograd import value as _value
from autograd.value import Value, to_float


class GradcheckError(RuntimeError):
    """Raised by `gradcheck` when an analytic gradient disagrees with central differences."""


def gradcheck(
    fn: Callable[..., Value],
    inputs: float | Sequence[float],
    *,
    eps: float = 1e-6,
    atol: float = 1e-6,
    rtol: float = 1e-4,
) -> bool:
    """Return True when the engine's gradients of `fn` agree with central differences.

    `fn(*values)` must return one scalar `Value`. For each input xᵢ:
        numeric ∂f/∂xᵢ = (f(..., xᵢ + eps, ...) - f(..., xᵢ - eps, ...)) / (2·eps)
        pass when |analytic - numeric| <= atol + rtol·|numeric|
    Otherwise raises `GradcheckError` naming every mismatched input with both numbers.
    `fn` is recorded even inside `no_grad()`: the analytic side needs its graph.

    >>> gradcheck(lambda x, y: x * y.tanh(), [0.5, -1.2])
    True
    """
    if not callable(fn):
        raise TypeError(f"gradcheck needs a callable fn, got {type(fn).__name__}")
    points = [inputs] if isinstance(inputs, (int, float, Value)) else list(inputs)
    xs = [to_float(x, f"gradcheck input {k}") for k, x in enumerate(points)]
    for name, tol in (("eps", eps), ("atol", atol), ("rtol", rtol)):
        if not (to_float(tol, f"gradcheck({name})") >= 0.0):
            raise ValueError(f"gradcheck({name}=...) must be a number >= 0, got {tol!r}")
    if eps == 0.0:
        raise ValueError("gradcheck(eps=0) cannot take a difference; use e.g. eps=1e-6")

    leaves = [Value(x, f"x{k}") for k, x in enumerate(xs)]
    with _value._recording():  # inside no_grad() too: the analytic side needs fn's graph
        out = fn(*leaves)
    if not isinstance(out, Value):
        raise TypeError(
            f"gradcheck needs fn to return one scalar Value, got {type(out).__name__}: "
            f"{out!r:.80}; reduce it first, e.g. with sum() or a loss"
        )
    analytic = _backward.grad(out, leaves)

    def f_at(point: list[float]) -> float:
        with _backward.no_grad():
            return float(fn(*[Value(x) for x in point]))

    problems = []
    for k, x in enumerate(xs):
        up, down = list(xs), list(xs)
        up[k], down[k] = x + eps, x - eps
        numeric = (f_at(up) - f_at(down)) / (2.0 * eps)
        if not _close(analytic[k], numeric, atol, rtol):
            problems.append(
                f"input {k} (x{k} = {x!r}): analytic {analytic[k]!r}, numeric {numeric!r}"
            )
    if problems:
        raise GradcheckError(
            f"gradcheck: {len(problems)} of {len(xs)} gradients disagree with central "
            f"differences (eps={eps}, atol={atol}, rtol={rtol}):\n  " + "\n  ".join(problems)
        )
    return True


def _close(a: float, b: float, atol: float, rtol: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return math.fabs(a - b) <= atol + rtol * math.fabs(b)


# ---- anomaly mode ----

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_PACKAGE_DIRS = tuple(os.path.join(_ROOT, package) + os.sep for package in ("autograd", "nn"))


class detect_anomaly(_value.ModeSwitch):
    """Context manager: the first nan or inf made in a forward op or a backward rule raises.

    The FloatingPointError names the op, its input values, and the file:line of the user code
    that created the node. Like `no_grad`, it holds for the thread (and asyncio task) that
    entered it. The creation site is kept on the node itself, so a graph made in anomaly mode
    is freed like any other when it is dropped.

    >>> with detect_anomaly():
    ...     y = Value(0.0).log()    # FloatingPointError: log made -inf from (0.0) at you.py:2
    """

    set_bits = _value.ANOMALY


def _user_site() -> str:
    """Return "file:line" of the innermost frame outside the autograd and nn packages."""
    frame = sys._getframe(2)
    while frame is not None:
        path = os.path.abspath(frame.f_code.co_filename)
        if not path.startswith(_PACKAGE_DIRS):
            return f"{frame.f_code.co_filename}:{frame.f_lineno}"
        frame = frame.f_back  # type: ignore[assignment]
    return "<unknown>"


def _finite(x: Any) -> bool:
    return math.isfinite(float(x))


def _inputs(parents: Sequence[Value]) -> str:
    return ", ".join(repr(p._data) for p in parents)


def rule_name(rule: Any) -> str:
    """The qualified name of a node's rule (`mul_backward`), through a bound constant."""
    return getattr(getattr(rule, "func", rule), "__qualname__", "?")


def watch_forward(out: Value, op: str, parents: tuple[Value, ...]) -> None:
    """Called by every op while anomaly mode is on: note where `out` was made, check it."""
    site = _user_site()
    if out.parents:
        out._site = site
    if not math.isfinite(out._data):
        raise FloatingPointError(
            f"detect_anomaly: forward op {op!r} made {out._data!r} from inputs "
            f"({_inputs(parents)}) at {site}"
        )


def watch_backward(node: Value, g: Any, sent: tuple[Any, ...]) -> None:
    """Called by the backward pass while anomaly mode is on: check each contribution."""
    for k, c in enumerate(sent):
        if not _finite(c):
            raise FloatingPointError(
                f"detect_anomaly: backward of op {node.op!r} ({rule_name(node._backward)}) sent "
                f"{float(c)!r} to input {k} of ({_inputs(node.parents)}), upstream gradient "
                f"{float(g)!r}; the node was created at "
                f"{node._site or '<not recorded: made outside detect_anomaly>'}"
            )
