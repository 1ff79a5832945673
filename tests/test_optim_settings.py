"""A hyperparameter set after construction (by hand or by a scheduler) is checked as the
constructor checks it, and a refused one changes nothing: no parameter, buffer or step count."""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import pytest

from autograd import Value
from nn import SGD, Adam, AdamW, LambdaLR, RMSprop

SETTINGS: list[tuple[Any, str]] = [
    (SGD, "lr"),
    (SGD, "momentum"),
    (SGD, "dampening"),
    (SGD, "weight_decay"),
    (Adam, "lr"),
    (Adam, "eps"),
    (Adam, "weight_decay"),
    (AdamW, "lr"),
    (RMSprop, "lr"),
    (RMSprop, "alpha"),
    (RMSprop, "eps"),
    (RMSprop, "momentum"),
    (RMSprop, "weight_decay"),
]
BAD: list[tuple[object, type[Exception]]] = [
    ("x", TypeError),
    (None, TypeError),
    (True, TypeError),
    ([0.1], TypeError),
    (math.nan, ValueError),
    (math.inf, ValueError),
    (-1.0, ValueError),
]


def stepped(kind: Any) -> tuple[list[Value], Any]:
    params = [Value(0.5), Value(-1.5), Value(2.0)]
    opt = kind(params, lr=0.1)
    for p, g in zip(params, [0.3, -0.2, 0.7]):
        p.grad = g
    opt.step()  # buffers and step count are under way
    return params, opt


def state(params: list[Value], opt: Any) -> Any:
    numbers = {k: v for k, v in vars(opt).items() if k != "params"}
    return [p.data for p in params], [p.grad for p in params], copy.deepcopy(numbers)


def same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray):
        return bool(np.array_equal(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return bool(a == b)


@pytest.mark.parametrize(("kind", "name"), SETTINGS)
@pytest.mark.parametrize(("bad", "error"), BAD)
def test_a_bad_setting_is_refused_where_it_is_written_and_changes_nothing(
    kind: Any, name: str, bad: object, error: type[Exception]
) -> None:
    params, opt = stepped(kind)
    before = state(params, opt)
    with pytest.raises(error, match=name):
        setattr(opt, name, bad)
    assert same(state(params, opt), before)
    opt.step()  # and the optimizer still steps with the number it had: as a twin that kept it
    twin_params, twin = stepped(kind)
    twin.step()
    assert [p.data for p in params] == [p.data for p in twin_params]


@pytest.mark.parametrize("kind", [Adam, AdamW])
@pytest.mark.parametrize(
    ("bad", "error"), [((0.9,), ValueError), ((0.9, 1.0), ValueError), ("ab", TypeError)]
)
def test_betas_set_later_are_checked_as_at_construction(
    kind: Any, bad: object, error: type[Exception]
) -> None:
    params, opt = stepped(kind)
    with pytest.raises(error, match="betas"):
        opt.betas = bad
    assert opt.betas == (0.9, 0.999)


def test_a_good_setting_set_later_is_used_as_given_to_the_constructor() -> None:
    """SGD with lr 0.1 then set to 0.05 steps as one built with 0.05 (p - lr * g, by hand)."""
    params, opt = stepped(SGD)
    opt.lr = 0.05
    opt.step()
    assert [p.data for p in params] == [
        0.5 - 0.1 * 0.3 - 0.05 * 0.3,
        -1.5 + 0.1 * 0.2 + 0.05 * 0.2,
        2.0 - 0.1 * 0.7 - 0.05 * 0.7,
    ]
    assert isinstance(opt.lr, float) and opt.lr == 0.05


def test_a_scheduler_setting_a_bad_lr_is_refused_before_the_optimizer_moves() -> None:
    params, opt = stepped(SGD)
    opt.lr = 100.0
    sched = LambdaLR(opt, lambda k: 1.0 if k == 0 else 1e307)  # 100 * 1e307 overflows to inf
    with pytest.raises(ValueError, match="lr must be a finite number"):
        sched.step()
    assert opt.lr == 100.0


@pytest.mark.parametrize("which", ["lambda", "step"])
def test_a_scheduler_step_that_is_refused_does_not_count(which: str) -> None:
    """The step count stays where it was, so the schedule goes on as if the call never came."""
    from nn import StepLR

    params, opt = stepped(SGD)
    opt.lr = 1e308
    sched: Any
    if which == "lambda":
        sched = LambdaLR(opt, lambda k: 1.0 if k < 2 else 10.0)  # fn(2) overflows the lr
        sched.step()
    else:
        sched = StepLR(opt, step_size=2, gamma=10.0)  # the second step multiplies by 10
        sched.step()
    count, lr = sched.count, opt.lr
    with pytest.raises(ValueError, match="lr must be a finite number"):
        sched.step()
    assert (sched.count, opt.lr) == (count, lr)
