"""An adversarial pass over the compiler: names, ops on lifted graphs, the Program API.

Every number is checked against the eager engine: the same graph built of Values, then
`autograd.grad` (or `.backward()`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from autograd import Value, grad, trace


def _eager(fn: Callable[..., Value], columns: list[np.ndarray], params: list[Value] = ()):
    """Per-sample outputs and input gradients, and the parameters' gradients summed."""
    params = list(params)
    outs, per_input, totals = [], [], np.zeros(len(params))
    for row in zip(*columns):
        leaves = [Value(float(x)) for x in row]
        out = fn(*leaves)
        got = grad(out, leaves + params)
        outs.append(out.data)
        per_input.append(got[: len(leaves)])
        totals += np.array(got[len(leaves) :], dtype=np.float64)
    return np.array(outs), np.array(per_input).T.reshape(len(columns), -1), totals


def _agrees(prog: Any, fn: Callable[..., Value], columns: list[np.ndarray], params=()) -> None:
    out, inputs, totals = prog.grad(*columns)
    eager_out, eager_inputs, eager_totals = _eager(fn, columns, params)
    np.testing.assert_allclose(out, eager_out, rtol=1e-12)
    for ours, theirs in zip(inputs, eager_inputs):
        np.testing.assert_allclose(ours, theirs, rtol=1e-11, atol=1e-14)
    np.testing.assert_allclose(totals, eager_totals, rtol=1e-11, atol=1e-14)
    np.testing.assert_allclose(prog(*columns), eager_out, rtol=1e-12)


# ---- 1. names ----


@pytest.mark.parametrize("lift", [True, False])
def test_an_argument_named_grad_out_runs_forward_only_and_with_gradients(lift: bool) -> None:
    """The seed's name is taken from the table: `if grad_out is None` must test the seed, not
    an argument the user called grad_out (the forward alone ran the backward on None)."""

    def fn(grad_out: Value, y: Value) -> Value:
        return grad_out * y + y.tanh()

    prog = trace(fn, 0.5, 2.0, lift=lift)
    assert prog(0.5, 2.0) == fn(Value(0.5), Value(2.0)).data
    _agrees(prog, fn, [np.array([0.5, 1.0, -2.0]), np.array([2.0, 3.0, 0.25])])


# ---- 2. ops on lifted graphs ----

BASES = np.array([0.5, 2.0, 0.0, -1.0, -0.0, 3.0, 1.0])
EXPONENTS = np.array([2.0, 0.0, 1.0, 3.0, 0.5, -1.5, 0.0])


@pytest.mark.parametrize(
    "fn",
    [
        lambda x, y: 2.0**x,
        lambda x, y: 0.0**y + (-2.0) ** x,
        lambda x, y: x ** Value(3.0) + Value(2.0) ** y,
        lambda x, y: 2.0**x * x**y,
        lambda x, y: (x * y) ** Value(0.0) + 1.0**x,
    ],
    ids=["2**x", "0**y, (-2)**x", "Value exponent and base", "2**x * x**y", "**Value(0), 1**x"],
)
@pytest.mark.parametrize("lift", [True, False])
def test_pow_with_a_constant_base_or_exponent_traces_and_gives_eagers_numbers(
    fn: Callable[..., Value], lift: bool
) -> None:
    """pow's rule masks with `is_zero(x) & (y >= 0.0)`: with a constant base or exponent one
    side is a bool known at trace time, and `&` of a bool and a symbolic array failed, so
    `2 ** x`, a reflected form the design names, could not be traced at all."""
    prog = trace(fn, 0.5, 2.0, lift=lift)
    _agrees(prog, fn, [BASES, EXPONENTS])
