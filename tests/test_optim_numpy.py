"""The optimizers step every parameter at once with NumPy: the same numbers, bit for bit, as
the per-Value Python loop they replaced (kept below as the oracle), on random steps."""

from __future__ import annotations

import math
import random
import warnings
from typing import Any

import numpy as np
import pytest

from autograd import Value
from nn import SGD, Adam, AdamW, RMSprop

# ---- the oracle: the per-Value updates as nn/optim.py wrote them before NumPy (floats) ----


def sgd_reference(opt: Any, state: dict[str, Any], data: list[float], grads: list[float]) -> None:
    buffers = state.setdefault("buffers", [None] * len(data))
    for i, g in enumerate(grads):
        if opt.weight_decay != 0:
            g = g + opt.weight_decay * data[i]
        if opt.momentum != 0:
            b = buffers[i]
            b = g if b is None else b * opt.momentum + (1 - opt.dampening) * g
            buffers[i] = b
            g = g + opt.momentum * b if opt.nesterov else b
        data[i] = data[i] - opt.lr * g


def adam_reference(opt: Any, state: dict[str, Any], data: list[float], grads: list[float]) -> None:
    m = state.setdefault("m", [0.0] * len(data))
    v = state.setdefault("v", [0.0] * len(data))
    t = state["t"] = state.get("t", 0) + 1
    beta1, beta2 = opt.betas
    step_size = opt.lr / (1 - beta1**t)
    correction2_sqrt = (1 - beta2**t) ** 0.5
    for i, g in enumerate(grads):
        if opt.weight_decay != 0:
            if opt.decoupled:
                data[i] = data[i] * (1 - opt.lr * opt.weight_decay)
            else:
                g = g + opt.weight_decay * data[i]
        mi = m[i] = m[i] + (1 - beta1) * (g - m[i])
        vi = v[i] = v[i] * beta2 + (1 - beta2) * g * g
        data[i] = data[i] - step_size * (mi / (math.sqrt(vi) / correction2_sqrt + opt.eps))


def rmsprop_reference(
    opt: Any, state: dict[str, Any], data: list[float], grads: list[float]
) -> None:
    n = len(data)
    square_avg = state.setdefault("s", [0.0] * n)
    grad_avg = state.setdefault("a", [0.0] * n)
    buffers = state.setdefault("b", [0.0] * n)
    a = opt.alpha
    for i, g in enumerate(grads):
        if opt.weight_decay != 0:
            g = g + opt.weight_decay * data[i]
        s = square_avg[i] = square_avg[i] * a + (1 - a) * g * g
        if opt.centered:
            mean = grad_avg[i] = grad_avg[i] + (1 - a) * (g - grad_avg[i])
            denom = math.sqrt(s - mean * mean) + opt.eps
        else:
            denom = math.sqrt(s) + opt.eps
        if opt.momentum > 0:
            b = buffers[i] = buffers[i] * opt.momentum + g / denom
            data[i] = data[i] - opt.lr * b
        else:
            data[i] = data[i] - opt.lr * (g / denom)


REFERENCE = {SGD: sgd_reference, Adam: adam_reference, AdamW: adam_reference}
REFERENCE[RMSprop] = rmsprop_reference


def random_optimizer(rng: random.Random, params: list[Value]) -> Any:
    """One of the four optimizers with random hyperparameters, zeros included."""
    kind = rng.choice([SGD, Adam, AdamW, RMSprop])
    pick = lambda *xs: rng.choice(xs)  # noqa: E731
    if kind is SGD:
        momentum = pick(0.0, 0.9, rng.uniform(0, 1))
        nesterov = momentum > 0 and rng.random() < 0.5
        return SGD(
            params,
            lr=pick(0.1, rng.uniform(0, 1)),
            momentum=momentum,
            nesterov=nesterov,
            weight_decay=pick(0.0, rng.uniform(0, 0.1)),
            dampening=0.0 if nesterov else pick(0.0, rng.uniform(0, 1)),
        )
    if kind is RMSprop:
        return RMSprop(
            params,
            lr=pick(0.01, rng.uniform(0, 0.1)),
            alpha=pick(0.99, rng.uniform(0, 1)),
            eps=pick(1e-8, rng.uniform(1e-10, 1e-3)),
            momentum=pick(0.0, rng.uniform(0, 1)),
            weight_decay=pick(0.0, rng.uniform(0, 0.1)),
            centered=rng.random() < 0.5,
        )
    return kind(
        params,
        lr=pick(1e-3, rng.uniform(0, 0.1)),
        betas=(pick(0.9, rng.uniform(0, 0.99)), pick(0.999, rng.uniform(0, 0.9999))),
        eps=pick(1e-8, rng.uniform(1e-10, 1e-3)),
        weight_decay=pick(0.0, rng.uniform(0, 0.1)),
    )


def random_number(rng: random.Random) -> float:
    """A gradient or a parameter: mostly ordinary, sometimes 0, -0.0, tiny, huge or an integer."""
    return rng.choice(
        [
            rng.gauss(0, 1),
            rng.gauss(0, 1),
            rng.gauss(0, 1e-3),
            0.0,
            -0.0,
            rng.uniform(-1, 1) * 1e-300,
            rng.uniform(-1, 1) * 1e150,
            float(rng.randint(-3, 3)),
        ]
    )


def bits(xs: list[float]) -> list[str]:
    return [x.hex() for x in xs]  # bit for bit: tells -0.0 from 0.0, and any nan from a number


@pytest.mark.parametrize("seed", range(40))
def test_every_optimizer_steps_bit_for_bit_as_the_per_value_loop_did(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.choice([1, 2, 7, 50])
    params = [Value(random_number(rng)) for _ in range(n)]
    opt = random_optimizer(rng, params)
    data, state = [p.data for p in params], {}
    for step in range(rng.randint(1, 12)):
        grads = [random_number(rng) for _ in range(n)]
        for p, g in zip(params, grads):
            p.grad = g
        if rng.random() < 0.3:  # the user moves a parameter between steps: the step sees it
            k = rng.randrange(n)
            data[k] = random_number(rng)
            params[k].data = data[k]
        if rng.random() < 0.2:  # a schedule changes lr between steps
            opt.lr = rng.uniform(0, 0.1)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no NumPy warning either
            opt.step()
        REFERENCE[type(opt)](opt, state, data, grads)
        assert bits([p.data for p in params]) == bits(data), (type(opt).__name__, step)
        assert all(type(p.data) is float for p in params)


def test_infinite_gradients_give_what_floats_give_without_warnings() -> None:
    params = [Value(1.0), Value(-2.0), Value(0.5)]
    opt = SGD(params, lr=0.1, momentum=0.9)
    data, state = [p.data for p in params], {}
    # the second step adds -inf to inf in the momentum buffers: nan, quietly
    for grads in ([math.inf, -math.inf, math.nan], [-math.inf, math.inf, 1.0]):
        for p, g in zip(params, grads):
            p.grad = g
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            opt.step()
        sgd_reference(opt, state, data, grads)
        assert bits([p.data for p in params]) == bits(data)
    assert all(math.isnan(p.data) for p in params)


def test_an_optimizers_state_is_one_array_per_quantity_in_parameter_order() -> None:
    params = [Value(1.0), Value(2.0)]
    opt = Adam(params, lr=0.1)
    params[0].grad, params[1].grad = 1.0, -4.0
    opt.step()  # m = (1 - 0.9)·g, v = (1 - 0.999)·g²
    assert isinstance(opt.m, np.ndarray) and opt.m.tolist() == [(1 - 0.9) * 1.0, (1 - 0.9) * -4.0]
    assert opt.v.tolist() == [(1 - 0.999) * 1.0 * 1.0, (1 - 0.999) * -4.0 * -4.0]
