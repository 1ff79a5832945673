"""Training with a traced per-sample loss (nn.trace_loss), and losses whose targets are Values.

Oracles: the eager engine building every sample's graph (the same losses, reduced by the mean
and backpropagated), hand-derived gradients, and torch's cross-entropy with class probabilities.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pytest

import autograd as ag
from autograd import TraceMismatchError, Value, grad
from nn import (
    MLP,
    TracedLoss,
    binary_cross_entropy,
    cross_entropy,
    hinge_loss,
    mse_loss,
    trace_loss,
)
from tests.oracle import Case, torch_float64
from tests.oracles import same


def test_a_value_target_stays_in_the_graph_and_gets_its_gradient() -> None:
    p, t = Value(0.5), Value(2.0)
    loss = mse_loss([p], [t])
    dp, dt = grad(loss, [p, t])
    assert loss.data == 2.25 and dp == 2 * (0.5 - 2.0) and dt == -2 * (0.5 - 2.0)
    s, y = Value(0.3), Value(-1.0)
    assert grad(hinge_loss([s], [y]), [y]) == [-0.3]  # d/dy max(0, 1 - y·s) = -s
    q, u = Value(0.8), Value(1.0)
    assert same(grad(binary_cross_entropy([q], [u]), [q])[0], -1 / 0.8)


def test_value_targets_are_checked_by_their_data() -> None:
    with pytest.raises(ValueError, match="must be -1 or \\+1, got 0.5"):
        hinge_loss([Value(1.0)], [Value(0.5)])
    with pytest.raises(ValueError, match="must lie in \\[0, 1\\], got 2.0"):
        binary_cross_entropy([Value(0.5)], [Value(2.0)])


def test_cross_entropy_with_a_one_hot_target_equals_the_class_index() -> None:
    logits = [Value(0.2), Value(-1.0), Value(2.5)]
    by_index = cross_entropy(logits, 2)
    by_probs = cross_entropy(logits, [0.0, 0.0, 1.0])
    assert same(by_index.data, by_probs.data, rel=1e-15)
    assert all(
        same(a, b, rel=1e-15) for a, b in zip(grad(by_index, logits), grad(by_probs, logits))
    )


PROBABILITY_CASES = [
    ([0.2, -1.0, 2.5], [0.1, 0.3, 0.6]),
    ([1000.0, 999.0, -5.0], [0.0, 1.0, 0.0]),
    ([0.0, 0.0], [0.5, 0.5]),
    ([3.0, -2.0, 0.5, 1.5], [0.25, 0.25, 0.25, 0.25]),
]


def cross_entropy_probabilities_in_torch(torch, logits, target):  # type: ignore[no-untyped-def]
    """torch's cross_entropy with class probabilities: the loss and d loss / d logits."""
    x = torch.tensor([logits], dtype=torch.float64, requires_grad=True)
    loss = torch.nn.functional.cross_entropy(x, torch.tensor([target], dtype=torch.float64))
    loss.backward()
    return [loss.item(), x.grad[0].tolist()]


@pytest.mark.parametrize("logits,target", PROBABILITY_CASES)
def test_cross_entropy_with_probabilities_matches_torch(logits, target) -> None:  # type: ignore[no-untyped-def]
    xs = [Value(v) for v in logits]
    loss = cross_entropy(xs, target)
    ours = [loss.data, grad(loss, xs)]
    for source, (value, grads) in torch_float64(
        cross_entropy_probabilities_in_torch, logits, target
    ):
        assert same(ours[0], value, rel=1e-12), (source, ours, value)
        assert all(same(a, b, rel=1e-10, abs_=1e-15) for a, b in zip(ours[1], grads)), source


def torch_cases() -> Iterator[Case]:
    """Every (fn, args) this module compares with torch; tests/oracle/record.py records them."""
    yield from ((cross_entropy_probabilities_in_torch, case) for case in PROBABILITY_CASES)


@pytest.mark.parametrize(
    "target,error,message",
    [
        ([0.5, 0.5], ValueError, "2 class probabilities for 3 logits"),
        ([0.5, 1.5, 0.0], ValueError, r"\[0, 1\], got 1.5 at index 1"),
        ("a", TypeError, "an int class, a Value holding one, or a list of class probabilities"),
        (Value(1.5), ValueError, "target holds 1.5, not a class index 0 to 2"),
        (Value(float("nan")), ValueError, "target holds nan, not a class index 0 to 2"),
        (1.0, TypeError, "got float"),
        (3, ValueError, "out of range for 3 classes"),
    ],
)
def test_bad_cross_entropy_targets_are_refused(target, error, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=message):
        cross_entropy([Value(1.0), Value(2.0), Value(0.0)], target)


def eager_mean(model, loss_fn, X, Y) -> tuple[float, list[float]]:  # type: ignore[no-untyped-def]
    """The oracle: every sample's graph built eagerly, the mean, .backward()."""
    model.zero_grad()
    terms = []
    for x, y in zip(X, Y):
        target = Value(float(y)) if np.ndim(y) == 0 else [Value(float(v)) for v in y]
        terms.append(loss_fn(model([Value(float(v)) for v in x]), target))
    mean = ag.sum(terms) / len(terms)
    mean.backward()
    return mean.data, [p.grad for p in model.parameters()]


def test_a_traced_hinge_loss_gives_the_eager_mean_and_gradients() -> None:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(30, 2))
    y = np.where(X[:, 0] * X[:, 1] > 0, 1.0, -1.0)
    model = MLP(2, [6, 6, 1], seed=2)

    def loss(score: Value, t: Value) -> Value:
        return hinge_loss([score], [t])

    expected, grads = eager_mean(model, loss, X, y)
    step = trace_loss(model, loss, X[0], y[0])
    model.zero_grad()
    assert same(step.backward(X, y), expected, rel=1e-12)
    for p, g in zip(model.parameters(), grads):
        assert same(p.grad, g, rel=1e-10, abs_=1e-15), (p.label, p.grad, g)
    assert step(X, y).shape == (30,) and step.check(X[:5], y[:5])


def test_a_traced_cross_entropy_with_one_hot_targets_gives_the_eager_mean() -> None:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(25, 4))
    classes = rng.integers(0, 3, size=25)
    Y = np.eye(3)[classes]
    model = MLP(4, [5, 3], seed=1)
    expected, grads = eager_mean(model, cross_entropy, X, Y)
    step = trace_loss(model, cross_entropy, X[0], Y[0])
    model.zero_grad()
    assert same(step.backward(X, Y), expected, rel=1e-12)
    for p, g in zip(model.parameters(), grads):
        assert same(p.grad, g, rel=1e-10, abs_=1e-15)
    assert "def program(x0, x1, x2, x3, y0, y1, y2" in step.source


def test_training_steps_see_the_optimizers_updates() -> None:
    from nn import SGD

    X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    y = np.array([1.0, 1.0, -1.0, -1.0])
    model = MLP(2, [8, 1], seed=0)
    step = trace_loss(model, lambda s, t: hinge_loss([s], [t]), X[0], y[0])
    opt = SGD(model.parameters(), lr=0.2)
    losses = []
    for _ in range(60):
        opt.zero_grad()
        losses.append(step.backward(X, y))
        opt.step()
    assert losses[-1] < losses[0] / 4
    now = eager_mean(model, lambda s, t: hinge_loss([s], [t]), X, y)[0]  # at the trained weights
    assert same(float(np.mean(step(X, y))), now, rel=1e-12)


def test_a_loss_that_reads_data_in_python_is_caught_by_check() -> None:
    model = MLP(1, [1], seed=0)

    def loss(score: Value, t: Value) -> Value:
        return score * t if score.data > 0 else -score  # a Python branch on the data

    X = np.array([[1.0], [-1.0]])
    y = np.array([1.0, 1.0])
    model.layers[0].neurons[0].w[0].data = 2.0
    step = trace_loss(model, loss, X[0], y[0])
    with pytest.raises(TraceMismatchError, match="sample 1"):
        step.check(X, y)


@pytest.mark.parametrize(
    "make,error,message",
    [
        (lambda m: trace_loss("m", mse_loss, [1.0], 1.0), TypeError, "nn.Module, got str"),
        (lambda m: trace_loss(m, None, [1.0, 2.0], 1.0), TypeError, "callable loss"),
        (lambda m: trace_loss(m, mse_loss, [[1.0, 2.0]], 1.0), ValueError, "one example sample"),
        (
            lambda m: trace_loss(m, mse_loss, [1.0, 2.0], 1.0)(np.ones((3, 3)), np.ones(3)),
            ValueError,
            "2 columns",
        ),
        (
            lambda m: trace_loss(m, mse_loss, [1.0, 2.0], 1.0)(np.ones((3, 2)), np.ones(4)),
            ValueError,
            "3 rows of 1 target",
        ),
    ],
)
def test_bad_traced_loss_calls_are_refused(make, error, message) -> None:  # type: ignore[no-untyped-def]
    model = MLP(2, [1], seed=0)
    with pytest.raises(error, match=message):
        make(model)


def test_traced_loss_is_exported_with_its_program() -> None:
    model = MLP(2, [1], seed=0)
    step = trace_loss(model, lambda s, t: mse_loss([s], [t]), [1.0, 2.0], 0.5)
    assert isinstance(step, TracedLoss) and step.program.params == tuple(model.parameters())


def test_a_traced_cross_entropy_stays_stable_far_from_the_example_logits() -> None:
    # found by review: the shift m was frozen at the example, so logits of 800 gave nan
    prog = ag.trace(lambda a, b: cross_entropy([a, b], [1.0, 0.0]), 0.1, -0.2)
    for logits in ([800.0, 0.0], [1000.0, 999.0], [-800.0, -801.0], [0.1, -0.2]):
        xs = [Value(v) for v in logits]
        eager = cross_entropy(xs, [1.0, 0.0])
        out, grads, _ = prog.grad(*logits)
        assert same(out, eager.data, rel=1e-15) and math.isfinite(out), (logits, out)
        assert all(same(a, b, rel=1e-15) for a, b in zip(grads, grad(eager, xs)))
    assert "shift([a, b])" in prog.source


def test_a_traced_loss_shows_its_program_and_every_stage_of_the_compiler() -> None:
    model = MLP(2, [3, 1], seed=0)
    step = trace_loss(model, lambda s, t: hinge_loss([s], [t]), [0.5, -1.0], 1.0)
    assert list(step.stages) == [
        "build",
        "fold_sums",
        "group",
        "differentiate",
        "simplify",
        "drop_unread",
    ]
    assert step.stages["drop_unread"] is step.program.ir
    assert "matmul" in str(step.stages["group"])  # the layer, lifted
    assert "matmul" not in str(step.stages["build"])  # one dot per neuron before it
    assert step.source == step.program.source
