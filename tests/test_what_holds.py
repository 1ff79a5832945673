"""What the docstrings of trace and trace_loss say holds at their edges, checked as written."""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograd import TraceMismatchError, Value, detect_anomaly, trace
from nn import MLP, mse_loss, trace_loss


def test_replay_inside_detect_anomaly_returns_nan_instead_of_raising() -> None:
    prog = trace(lambda x: x.log(), 1.0)
    with detect_anomaly():
        assert math.isnan(prog(-1.0))  # eager would raise FloatingPointError here
        out = prog(np.array([-1.0, 1.0]))
        with pytest.raises(FloatingPointError, match="log"):
            Value(-1.0).log()
    assert math.isnan(out[0]) and out[1] == 0.0


def test_a_masked_array_is_read_as_its_data() -> None:
    prog = trace(lambda x: x * 2.0, 1.0)
    xs = np.ma.masked_array([1.0, 5.0, 3.0], mask=[False, True, False])
    out = prog(xs)
    assert not isinstance(out, np.ma.MaskedArray)
    assert out.tolist() == [2.0, 10.0, 6.0]  # the masked 5.0 computed like the others


def test_a_parameter_replaced_after_trace_loss_is_not_seen_and_check_says_so() -> None:
    model = MLP(2, [3, 1], seed=0)
    X = np.array([[0.5, -1.0], [1.5, 2.0]])
    y = np.array([1.0, -1.0])
    step = trace_loss(model, lambda p, t: mse_loss([p], [t]), X[0], y[0])
    old = model.layers[0].neurons[0].w[0]
    new = Value(old.data + 1.0, old.label)
    model.layers[0].neurons[0].w[0] = new  # replaced, not written in place
    step.backward(X, y)
    assert new.grad == 0.0 and old.grad != 0.0  # the traced loss still reads the old Value
    with pytest.raises(TraceMismatchError):
        step.check(X, y)
