"""Checking gradients: `gradcheck` against central differences (anomaly mode: autograd/anomaly.py).

gradcheck:  analytic ∂f/∂xᵢ (from the engine)  vs  numeric (f(x + eps·eᵢ) - f(x - eps·eᵢ)) / 2eps,
            a match when |analytic - numeric| <= atol + rtol·|numeric|  (nan matches nan).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from autograd import value as _value
from autograd.anomaly import detect_anomaly as detect_anomaly  # its home before anomaly.py
from autograd.backward import grad, no_grad
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
    analytic = grad(out, leaves)

    def f_at(point: list[float]) -> float:
        with no_grad():
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
