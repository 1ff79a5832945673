"""A whole training step compiled (nn.Training): the eager loop's numbers, no Value touched.

The oracle is the eager loop on the same model, data and optimizer: `loss(...)`,
`opt.zero_grad()`, `loss.backward()`, `opt.step()`, with the mean over the batch built as one
graph. After 100 steps every parameter agrees to 1e-12 relative (a batch sums in another
order; the update is the very same code, `Optimizer.update`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from autograd import Value
from autograd import sum as total
from nn import (
    MLP,
    SGD,
    Adam,
    AdamW,
    LambdaLR,
    RMSprop,
    Training,
    cross_entropy,
    hinge_loss,
    trace_loss,
)
from nn.datasets import make, spiral

X_LIST, Y_LIST = make("moons", 40, seed=1)
X, Y = np.array(X_LIST), np.array(Y_LIST)

OPTIMIZERS: dict[str, Callable[[list[Value]], Any]] = {
    "sgd": lambda ps: SGD(ps, lr=0.1),
    "momentum": lambda ps: SGD(ps, lr=0.05, momentum=0.9, weight_decay=1e-3),
    "nesterov": lambda ps: SGD(ps, lr=0.05, momentum=0.9, nesterov=True),
    "adam": lambda ps: Adam(ps, lr=0.01, weight_decay=1e-3),
    "adamw": lambda ps: AdamW(ps, lr=0.01),
    "rmsprop": lambda ps: RMSprop(ps, lr=0.01, momentum=0.5, centered=True),
}


def _hinge(score: Value, t: Value) -> Value:
    return hinge_loss([score], [t])


def _eager_steps(model: MLP, opt: Any, steps: int) -> list[float]:
    losses = []
    for _ in range(steps):
        loss = total([_hinge(model(list(x)), t) for x, t in zip(X_LIST, Y_LIST)]) / len(Y_LIST)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.data)
    return losses


def _numbers(model: MLP) -> np.ndarray:
    return np.array([p.data for p in model.parameters()])


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_a_hundred_compiled_steps_give_the_eager_loops_parameters(name: str) -> None:
    eager, compiled = MLP(2, [8, 8, 1], seed=3), MLP(2, [8, 8, 1], seed=3)
    eager_opt = OPTIMIZERS[name](eager.parameters())
    training = trace_loss(compiled, _hinge, X[0], Y[0]).training(
        OPTIMIZERS[name](compiled.parameters())
    )
    eager_losses = _eager_steps(eager, eager_opt, 100)
    losses = training.run(X, Y, steps=100)
    np.testing.assert_allclose(losses, eager_losses, rtol=1e-12, atol=1e-14)
    ours, theirs = _numbers(compiled), _numbers(eager)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)
    grads = np.array([p.grad for p in compiled.parameters()])  # the last step's gradient
    np.testing.assert_allclose(grads, [p.grad for p in eager.parameters()], rtol=1e-10, atol=1e-15)


def test_a_step_touches_no_value_and_reading_one_brings_them_all_up_to_date() -> None:
    model = MLP(2, [4, 1], seed=0)
    params = model.parameters()
    before = [p._data for p in params]  # the slot behind .data, read without settling
    training = trace_loss(model, _hinge, X[0], Y[0]).training(SGD(params, lr=0.5))
    for _ in range(3):
        training(X, Y)
    assert [p._data for p in params] == before  # three steps, not one Value written
    assert params[0].data != before[0]  # reading .data settles: every Value is written
    assert [p._data for p in params] == training.params.tolist()


@pytest.mark.parametrize(
    "read",
    [
        lambda model: model([0.5, -0.5]),
        lambda model: model.parameters(),
        lambda model: model.state_dict(),
        lambda model: float(model.parameters()[3]),
        lambda model: repr(model.parameters()[3]),
    ],
)
def test_every_way_of_reading_the_model_sees_the_trained_numbers(read: Any) -> None:
    model = MLP(2, [4, 1], seed=0)
    training = trace_loss(model, _hinge, X[0], Y[0]).training(Adam(model.parameters(), lr=0.1))
    training(X, Y)
    read(model)
    assert [p._data for p in model.parameters()] == training.params.tolist()


def test_values_written_between_steps_are_read_back_and_eager_steps_continue() -> None:
    eager, compiled = MLP(2, [4, 1], seed=5), MLP(2, [4, 1], seed=5)
    # (SGD with momentum: Adam would turn a gradient that cancels to 0.0 in eager's order and to
    # 3e-17 in the batch's into a step of lr, and the test is about the write being read)
    eager_opt = SGD(eager.parameters(), lr=0.05, momentum=0.9)
    opt = SGD(compiled.parameters(), lr=0.05, momentum=0.9)
    training = trace_loss(compiled, _hinge, X[0], Y[0]).training(opt)
    _eager_steps(eager, eager_opt, 2)
    training(X, Y)
    training(X, Y)
    eager.parameters()[0].data = 0.25  # a user's edit: the next compiled step starts from it
    compiled.parameters()[0].data = 0.25
    _eager_steps(eager, eager_opt, 1)
    training(X, Y)
    _eager_steps(eager, eager_opt, 1)  # and an eager step of the same optimizer goes on
    _eager_steps(compiled, opt, 1)
    np.testing.assert_allclose(_numbers(compiled), _numbers(eager), rtol=1e-12, atol=1e-15)


def test_an_optimizer_over_some_parameters_leaves_the_others_as_they_are() -> None:
    model = MLP(2, [4, 1], seed=2)
    params = model.parameters()
    first_layer = model.layers[0].parameters()
    training = trace_loss(model, _hinge, X[0], Y[0]).training(SGD(first_layer, lr=0.3))
    frozen = [p.data for p in model.layers[1].parameters()]
    training.run(X, Y, steps=5)
    assert [p.data for p in model.layers[1].parameters()] == frozen
    assert [p.data for p in first_layer] != [
        p.data for p in MLP(2, [4, 1], seed=2).parameters()[:12]
    ]
    assert len(params) == 17


def test_a_schedule_changes_the_rate_the_next_step_uses() -> None:
    eager, compiled = MLP(2, [4, 1], seed=7), MLP(2, [4, 1], seed=7)
    eager_opt, opt = SGD(eager.parameters(), lr=0.2), SGD(compiled.parameters(), lr=0.2)
    eager_schedule = LambdaLR(eager_opt, lambda k: 1.0 / (1 + k))
    schedule = LambdaLR(opt, lambda k: 1.0 / (1 + k))
    training = trace_loss(compiled, _hinge, X[0], Y[0]).training(opt)
    for _ in range(5):
        _eager_steps(eager, eager_opt, 1)
        eager_schedule.step()
        training(X, Y)
        schedule.step()
    np.testing.assert_allclose(_numbers(compiled), _numbers(eager), rtol=1e-12, atol=1e-15)


def test_a_cross_entropy_model_with_a_sum_reduction_matches_too() -> None:
    X3, y3 = spiral(30, classes=3, seed=0)
    onehot = np.eye(3)[np.array(y3, dtype=int)]
    eager, compiled = MLP(2, [6, 3], seed=1), MLP(2, [6, 3], seed=1)
    eager_opt, opt = RMSprop(eager.parameters(), lr=0.01), RMSprop(compiled.parameters(), lr=0.01)
    training = trace_loss(compiled, cross_entropy, X3[0], onehot[0]).training(opt, reduce="sum")
    for _ in range(20):
        loss = total([cross_entropy(eager(list(x)), int(t)) for x, t in zip(X3, y3)])
        eager_opt.zero_grad()
        loss.backward()
        eager_opt.step()
        ours = training(np.array(X3), onehot)
        assert ours == pytest.approx(loss.data, rel=1e-12)
    training.sync()
    np.testing.assert_allclose(_numbers(compiled), _numbers(eager), rtol=1e-11, atol=1e-15)


def test_wrong_arguments_are_refused_at_the_call() -> None:
    model = MLP(2, [4, 1], seed=0)
    traced = trace_loss(model, _hinge, X[0], Y[0])
    with pytest.raises(TypeError, match="nn optimizer"):
        traced.training(model.parameters())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not one of the traced loss's"):
        traced.training(SGD(MLP(2, [4, 1], seed=0).parameters(), lr=0.1))
    with pytest.raises(ValueError, match='"mean" or "sum"'):
        traced.training(SGD(model.parameters(), lr=0.1), reduce="max")
    assert isinstance(traced.training(SGD(model.parameters(), lr=0.1)), Training)


@pytest.mark.parametrize(
    ("batch", "error", "words"),
    [
        ((X,), TypeError, "takes the batch X, Y, got 1 argument"),
        ((X, Y, Y), TypeError, "takes the batch X, Y, got 3 argument"),
        ((X[:0], Y[:0]), ValueError, "a training step got an empty batch"),
    ],
)
def test_a_training_step_on_a_wrong_batch_says_so_in_its_own_words_and_changes_nothing(
    batch: tuple[Any, ...], error: type[Exception], words: str
) -> None:
    model = MLP(2, [4, 1], seed=3)
    opt = Adam(model.parameters(), lr=0.1)
    training = trace_loss(model, _hinge, X[0], Y[0]).training(opt)
    training(X, Y)
    numbers, moments, steps = training.params.copy(), opt.m.copy(), opt.steps
    with pytest.raises(error, match=words):
        training(*batch)
    assert np.array_equal(training.params, numbers) and np.array_equal(opt.m, moments)
    assert opt.steps == steps
