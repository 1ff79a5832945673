"""Losses against hand-computed values and torch; optimizers against a hand step and torch."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from typing import Any

import pytest

from autograd import Value
from nn import (
    MLP,
    SGD,
    Adam,
    AdamW,
    CosineAnnealingLR,
    LambdaLR,
    RMSprop,
    StepLR,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    clip_grad_norm,
    cross_entropy,
    hinge_loss,
    l2_penalty,
    log_softmax,
    mse_loss,
    softmax,
)
from tests.oracle import Case, torch_float64
from tests.oracles import same


def vals(xs: list[float]) -> list[Value]:
    return [Value(x) for x in xs]


# ---- hand-computed ----


def test_mse_loss_by_hand() -> None:
    p = vals([1.0, 2.0])
    loss = mse_loss(p, [0.0, 4.0])  # (1 + 4) / 2
    loss.backward()
    assert loss.data == 2.5 and [v.grad for v in p] == [1.0, -2.0]  # 2(p - t)/n


def test_hinge_loss_by_hand() -> None:
    p = vals([0.5, -2.0, 3.0])
    loss = hinge_loss(p, [1, 1, -1])  # (0.5 + 3 + 4) / 3
    loss.backward()
    assert same(loss.data, 7.5 / 3) and [v.grad for v in p] == [-1 / 3, -1 / 3, 1 / 3]


def test_cross_entropy_by_hand_and_with_huge_logits() -> None:
    logits = vals([1.0, 2.0, 3.0])
    loss = cross_entropy(logits, 2)
    z = sum(math.exp(x) for x in (1.0, 2.0, 3.0))
    assert same(loss.data, math.log(z) - 3.0)
    loss.backward()
    assert same(logits[0].grad, math.exp(1.0) / z) and same(logits[2].grad, math.exp(3) / z - 1)
    big = cross_entropy(vals([1000.0, -1000.0, 999.0]), 1)
    assert same(big.data, 2000.0 + math.log1p(math.exp(-1.0)))


def test_softmax_sums_to_one_even_for_large_logits() -> None:
    out = softmax(vals([1000.0, 1001.0, 999.0]))
    assert same(sum(o.data for o in out), 1.0) and all(math.isfinite(o.data) for o in out)


def test_bce_with_logits_does_not_overflow_at_1e3() -> None:
    loss = binary_cross_entropy_with_logits(vals([1000.0, -1000.0]), [0.0, 1.0])
    loss.backward()
    assert loss.data == 1000.0


def test_l2_penalty_by_hand() -> None:
    ps = vals([1.0, -2.0])
    penalty = l2_penalty(ps, 0.5)
    penalty.backward()
    assert penalty.data == 2.5 and [p.grad for p in ps] == [1.0, -2.0]


@pytest.mark.parametrize(
    "call,error,message",
    [
        (lambda: mse_loss(vals([1.0]), [1.0, 2.0]), ValueError, "1 predictions but 2 targets"),
        (lambda: mse_loss([], []), ValueError, "at least one"),
        (lambda: hinge_loss(vals([1.0]), [0.0]), ValueError, "-1 or \\+1"),
        (lambda: cross_entropy(vals([1.0, 2.0]), 2), ValueError, "out of range for 2 classes"),
        (lambda: cross_entropy(vals([1.0, 2.0]), 1.0), TypeError, "int class"),
        (lambda: mse_loss(vals([1.0]), ["a"]), TypeError, "str"),
        (lambda: binary_cross_entropy(vals([0.5]), [2.0]), ValueError, r"\[0, 1\]"),
        (lambda: binary_cross_entropy(vals([1.5]), [1.0]), ValueError, "probabilities.*1.5"),
        (lambda: mse_loss(None, [1.0]), TypeError, "list of predictions.*NoneType"),
        (lambda: mse_loss(vals([1.0]), None), TypeError, "list of targets.*NoneType"),
        (lambda: mse_loss([1.0], [1.0]), TypeError, "prediction 0 must be a Value, got float"),
        (lambda: mse_loss(vals([1.0]), [10**400]), ValueError, "too large for a float64"),
        (lambda: hinge_loss("ab", [1, 1]), TypeError, "list of predictions.*str"),
        (lambda: cross_entropy(vals([1.0, 2.0]), True), TypeError, "int class.*bool"),
        (lambda: cross_entropy(vals([1.0, 2.0]), None), TypeError, "int class.*NoneType"),
        (lambda: cross_entropy(vals([1.0, 2.0]), -1), ValueError, "out of range for 2 classes"),
        (lambda: cross_entropy(None, 0), TypeError, "list of logits.*NoneType"),
        (lambda: cross_entropy([], 0), ValueError, "at least one logit"),
        (lambda: softmax(Value(1.0)), TypeError, r"got one Value; pass \[v\]"),
        (lambda: softmax(["a"]), TypeError, "softmax logit 0 needs a real number, got str"),
        (lambda: log_softmax(7), TypeError, "list of logits.*int"),
        (lambda: l2_penalty(vals([1.0]), None), TypeError, "weight must be a real number"),
        (lambda: l2_penalty(vals([1.0]), -1.0), ValueError, "weight must be >= 0"),
        (lambda: l2_penalty(vals([1.0]), math.nan), ValueError, "weight must be a finite"),
        (lambda: l2_penalty([1.0], 0.1), TypeError, "parameter 0 must be a Value, got float"),
        (lambda: l2_penalty(None, 0.1), TypeError, "list of parameters.*NoneType"),
        (lambda: l2_penalty([], 0.1), ValueError, "at least one parameter"),
    ],
)
def test_losses_reject_bad_input(call, error, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=message):
        call()


# ---- against torch ----


def _torch_loss_cases():  # type: ignore[no-untyped-def]
    rng = random.Random(4)
    preds = [rng.uniform(-3, 3) for _ in range(6)]
    probs = [rng.uniform(0.01, 0.99) for _ in range(6)]
    labels = [float(rng.random() < 0.5) for _ in range(6)]
    return preds, probs, labels


def loss_in_torch(torch: Any, name: str, xs: list[float], ts: list[float]) -> list[Any]:
    """torch's [loss, [gradient per prediction]] for the loss called `name`."""
    F = torch.nn.functional
    theirs = {
        "mse_loss": F.mse_loss,
        "binary_cross_entropy": F.binary_cross_entropy,
        "binary_cross_entropy_with_logits": F.binary_cross_entropy_with_logits,
        "hinge_loss": lambda p, t: torch.clamp(1 - t * p, min=0).mean(),
    }[name]
    tp = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
    tl = theirs(tp, torch.tensor(ts, dtype=torch.float64))
    tl.backward()
    return [tl.item(), tp.grad.tolist()]


def _loss_cases():  # type: ignore[no-untyped-def]
    preds, probs, labels = _torch_loss_cases()
    return [
        (mse_loss, preds, labels),
        (binary_cross_entropy, probs, labels),
        (binary_cross_entropy_with_logits, preds + [40.0, -800.0], labels + [1.0, 0.0]),
        (hinge_loss, preds, [2 * t - 1 for t in labels]),
    ]


def test_losses_match_torch_to_1e_12() -> None:
    for ours, xs, ts in _loss_cases():
        vs = vals(xs)
        loss = ours(vs, ts)
        loss.backward()
        for source, (tloss, tgrads) in torch_float64(loss_in_torch, ours.__name__, xs, ts):
            assert same(loss.data, tloss, rel=1e-12), (source, ours.__name__)
            for v, g in zip(vs, tgrads):
                assert same(v.grad, g, rel=1e-12, abs_=1e-15), (source, ours.__name__, v.grad, g)


def cross_entropy_in_torch(torch: Any, logits: list[float], target: int) -> list[Any]:
    """torch's [loss, [gradient per logit], softmax(logits)]."""
    t = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
    tl = torch.nn.functional.cross_entropy(t[None], torch.tensor([target]))
    tl.backward()
    tprobs = torch.softmax(torch.tensor(logits, dtype=torch.float64), 0).tolist()
    return [tl.item(), t.grad.tolist(), tprobs]


CROSS_ENTROPY_CASES = [([0.3, -1.2, 2.5, 0.0], 1), ([1000.0, -1000.0, 999.5], 2), ([5.0], 0)]


@pytest.mark.parametrize("logits,target", CROSS_ENTROPY_CASES)
def test_cross_entropy_and_softmax_match_torch(logits: list[float], target: int) -> None:
    vs = vals(logits)
    loss = cross_entropy(vs, target)
    loss.backward()
    probs = softmax(vals(logits))
    for source, (tloss, tgrads, tprobs) in torch_float64(cross_entropy_in_torch, logits, target):
        assert same(loss.data, tloss, rel=1e-12), source
        assert all(same(v.grad, g, rel=1e-12, abs_=1e-15) for v, g in zip(vs, tgrads)), source
        assert all(same(p.data, q, rel=1e-12, abs_=1e-300) for p, q in zip(probs, tprobs)), source


# ---- optimizers ----


def test_sgd_momentum_step_by_hand() -> None:
    p = Value(1.0)
    opt = SGD([p], lr=0.1, momentum=0.9, weight_decay=0.5)
    p.grad = 2.0
    opt.step()  # g = 2 + 0.5 = 2.5, b = 2.5, p = 1 - 0.25
    assert p.data == 0.75
    p.grad = 1.0
    opt.step()  # g = 1 + 0.375 = 1.375, b = 0.9·2.5 + 1.375 = 3.625
    assert same(p.data, 0.75 - 0.3625)


def test_sgd_takes_designs_positional_order() -> None:
    p = Value(1.0)
    opt = SGD([p], 0.1, 0.9, True, 0.5)  # lr, momentum, nesterov, weight_decay
    assert (opt.momentum, opt.nesterov, opt.weight_decay, opt.dampening) == (0.9, True, 0.5, 0.0)


def test_adam_first_step_moves_each_parameter_by_lr() -> None:
    ps = vals([1.0, -2.0])
    ps[0].grad, ps[1].grad = 3.0, -0.01
    Adam(ps, lr=0.1).step()  # bias-corrected m/√v = sign(g) on step 1 (up to eps)
    assert same(ps[0].data, 0.9, rel=1e-9) and same(ps[1].data, -1.9, rel=1e-6)


OPTIMIZER_CASES = [
    ("SGD", dict(lr=0.05)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.02, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.1)),
    ("AdamW", dict(lr=0.01, weight_decay=0.05)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, momentum=0.5, weight_decay=0.02)),
    ("RMSprop", dict(lr=0.005, centered=True, momentum=0.3)),
]


def _loss_gradient(p: float) -> float:
    """d/dp of sin(3p)·p², in closed form: both optimizers get it at their own parameters."""
    return 3 * math.cos(3 * p) * p * p + 2 * p * math.sin(3 * p)


def _optimizer_start(name: str, kwargs: dict[str, Any]) -> list[float]:
    rng = random.Random(name + str(kwargs))
    return [rng.uniform(-2, 2) for _ in range(5)]


def optimizer_in_torch(
    torch: Any, name: str, kwargs: dict[str, Any], start: list[float]
) -> list[Any]:
    """torch.optim's parameters after each of 60 steps on the gradient of Σ sin(3p)·p²."""
    tp = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    theirs = getattr(torch.optim, name)([tp], **kwargs)
    path = []
    for _ in range(60):
        theirs.zero_grad()
        tp.grad = torch.tensor([_loss_gradient(q) for q in tp.tolist()], dtype=torch.float64)
        theirs.step()
        path.append(tp.tolist())
    return path


@pytest.mark.parametrize("name,kwargs", OPTIMIZER_CASES)
def test_optimizer_matches_torch_over_many_steps(name: str, kwargs: dict[str, Any]) -> None:
    ours_cls = {"SGD": SGD, "Adam": Adam, "AdamW": AdamW, "RMSprop": RMSprop}[name]
    start = _optimizer_start(name, kwargs)
    ps = vals(start)
    ours = ours_cls(ps, **kwargs)
    path = []
    for _ in range(60):
        # the same gradient for both: of Σ sin(3p)·p² in closed form, at each one's parameters
        ours.zero_grad()
        for p in ps:
            p.grad = _loss_gradient(p.data)
        ours.step()
        path.append([p.data for p in ps])
    for source, theirs in torch_float64(optimizer_in_torch, name, kwargs, start):
        for step, (mine, their) in enumerate(zip(path, theirs)):
            for p, q in zip(mine, their):
                assert same(p, q, rel=1e-12, abs_=1e-14), (source, name, step, p, q)


@pytest.mark.parametrize(
    "make,error",
    [
        (lambda p: SGD(p, lr=-1), "lr must be >= 0"),
        (lambda p: SGD(p, lr=0.1, nesterov=True), "nesterov=True needs momentum > 0"),
        (lambda p: Adam(p, betas=(1.0, 0.9)), r"betas\[0\] must be in \[0, 1\)"),
        (lambda p: Adam(p, eps=-1e-8), "eps must be >= 0"),
        (lambda p: RMSprop(p, alpha=-0.1), "alpha must be >= 0"),
        (lambda p: SGD([], lr=0.1), "empty parameter list"),
    ],
)
def test_bad_hyperparameters_raise_value_error(make, error: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=error):
        make([Value(1.0)])


SCHEDULES = {
    "StepLR(3, 0.5)": lambda o: StepLR(o, 3, 0.5),
    "CosineAnnealingLR(10, 0.01)": lambda o: CosineAnnealingLR(o, 10, 0.01),
    "LambdaLR(1 - 0.9 k / 100)": lambda o: LambdaLR(o, lambda k: 1 - 0.9 * k / 100),
}


def schedule_in_torch(torch: Any, name: str) -> list[float]:
    """torch's learning rate before each of 25 steps of the schedule called `name`."""
    theirs_make = {
        "StepLR(3, 0.5)": lambda o: torch.optim.lr_scheduler.StepLR(o, 3, 0.5),
        "CosineAnnealingLR(10, 0.01)": lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(
            o, 10, 0.01
        ),
        "LambdaLR(1 - 0.9 k / 100)": lambda o: torch.optim.lr_scheduler.LambdaLR(
            o, lambda k: 1 - 0.9 * k / 100
        ),
    }[name]
    theirs_opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.5)
    theirs = theirs_make(theirs_opt)
    rates = []
    for _ in range(25):
        rates.append(float(theirs_opt.param_groups[0]["lr"]))
        theirs_opt.step()
        theirs.step()
    return rates


# ---- inputs: NumPy numbers accepted, every wrong one refused at the call ----


def test_numpy_floats_work_as_hyperparameters_and_give_the_same_update() -> None:
    np = pytest.importorskip("numpy")
    for make in [
        lambda ps, f: SGD(ps, lr=f(0.1), momentum=f(0.9), weight_decay=f(0.01)),
        lambda ps, f: Adam(ps, lr=f(0.01), betas=(f(0.8), f(0.99)), eps=f(1e-6)),
        lambda ps, f: RMSprop(ps, lr=f(0.01), alpha=f(0.9), momentum=f(0.5)),
    ]:
        ours, plain = vals([1.0, -2.0]), vals([1.0, -2.0])
        a, b = make(ours, np.float32), make(plain, lambda x: float(np.float32(x)))
        for step in range(3):
            for p, q in zip(ours, plain):
                p.grad = q.grad = 0.5 - step
            a.step()
            b.step()
        assert [p.data for p in ours] == [p.data for p in plain]
    sgd = SGD(vals([1.0]), lr=np.float32(0.1))
    assert isinstance(sgd.lr, float) and sgd.lr == float(np.float32(0.1))
    assert StepLR(sgd, np.int64(3), gamma=np.float64(0.5)).step_size == 3
    assert SGD(vals([1.0]), 0.1, 0.9, np.bool_(True)).nesterov is True


def test_numpy_integers_work_as_class_indices_and_numpy_targets_as_targets() -> None:
    np = pytest.importorskip("numpy")
    logits = vals([0.3, -1.2, 2.5])
    assert cross_entropy(logits, np.int64(2)).data == cross_entropy(logits, 2).data
    p = vals([0.5, 1.5])
    assert mse_loss(p, np.array([1.0, 1.0])).data == mse_loss(p, [1.0, 1.0]).data == 0.25
    assert mse_loss(p[0], np.float32(1.0)).data == 0.25


def _optimizer() -> SGD:
    return SGD([Value(1.0)], lr=0.1)


SHARED = Value(1.0)
OPTIM_INPUTS = [
    # (call, error, what the message must say)
    (lambda: SGD(vals([1.0]), None), TypeError, "lr must be a real number, got NoneType"),
    (lambda: SGD(vals([1.0]), "0.1"), TypeError, "lr must be a real number, got str"),
    (lambda: SGD(vals([1.0]), True), TypeError, "lr must be a real number, got bool"),
    (lambda: SGD(vals([1.0]), math.nan), ValueError, "lr must be a finite number, got nan"),
    (lambda: SGD(vals([1.0]), math.inf), ValueError, "lr must be a finite number, got inf"),
    (lambda: SGD(vals([1.0]), 10**400), ValueError, "lr is too large for a float"),
    (lambda: SGD(vals([1.0]), -1), ValueError, "lr must be >= 0, got -1.0"),
    (lambda: SGD(vals([1.0]), 0.1, momentum=None), TypeError, "momentum must be a real"),
    (lambda: SGD(vals([1.0]), 0.1, momentum=-0.5), ValueError, "momentum must be >= 0"),
    (lambda: SGD(vals([1.0]), 0.1, nesterov="yes"), TypeError, "nesterov must be True or False"),
    (lambda: SGD(vals([1.0]), 0.1, nesterov=True), ValueError, "needs momentum > 0"),
    (lambda: SGD(vals([1.0]), 0.1, weight_decay=math.nan), ValueError, "weight_decay must be"),
    (lambda: SGD(vals([1.0]), 0.1, dampening=True), TypeError, "dampening must be a real"),
    (lambda: SGD(None, 0.1), TypeError, r"SGD needs a list of parameters \(Values.*NoneType"),
    (lambda: SGD(Value(1.0), 0.1), TypeError, r"got one Value; pass \[parameter\]"),
    (lambda: SGD(MLP(2, [1], seed=0), 0.1), TypeError, r"pass model.parameters\(\)"),
    (lambda: SGD({"w": Value(1.0)}, 0.1), TypeError, r"got dict.*pass list\(d.values\(\)\)"),
    (lambda: SGD("ab", 0.1), TypeError, "list of parameters.*str"),
    (lambda: SGD([1.0, 2.0], 0.1), TypeError, "parameter 0 must be a Value, got float"),
    (lambda: SGD([], 0.1), ValueError, "empty parameter list"),
    (lambda: SGD([SHARED, Value(2.0), SHARED], 0.1), ValueError, "index 2 is the same Value as"),
    (lambda: Adam(vals([1.0]), betas=0.9), TypeError, "betas must be a pair.*float"),
    (lambda: Adam(vals([1.0]), betas=(0.9,)), ValueError, "betas must be a pair.*1 number"),
    (lambda: Adam(vals([1.0]), betas=(0.9, None)), TypeError, r"betas\[1\] must be a real"),
    (lambda: Adam(vals([1.0]), betas=(1.0, 0.9)), ValueError, r"betas\[0\] must be in \[0, 1\)"),
    (lambda: Adam(vals([1.0]), eps=math.inf), ValueError, "eps must be a finite number"),
    (lambda: AdamW(vals([1.0]), weight_decay=-0.1), ValueError, "weight_decay must be >= 0"),
    (lambda: RMSprop(vals([1.0]), centered=1), TypeError, "centered must be True or False"),
    (lambda: RMSprop(vals([1.0]), alpha="0.9"), TypeError, "alpha must be a real number"),
    (lambda: StepLR(None, 3), TypeError, "StepLR needs an optimizer .*got NoneType"),
    (lambda: StepLR(_optimizer(), 2.5), TypeError, "step_size must be an int, got float"),
    (lambda: StepLR(_optimizer(), 0), ValueError, "step_size must be a positive int"),
    (lambda: StepLR(_optimizer(), 3, gamma=None), TypeError, "gamma must be a real number"),
    (lambda: StepLR(_optimizer(), 3, gamma=math.nan), ValueError, "gamma must be a finite"),
    (lambda: LambdaLR(None, lambda k: 1.0), TypeError, "LambdaLR needs an optimizer"),
    (lambda: LambdaLR(_optimizer(), 0.5), TypeError, "LambdaLR needs a callable"),
    (lambda: LambdaLR(_optimizer(), lambda k: "x"), TypeError, r"fn\(0\) returned str"),
    (lambda: LambdaLR(_optimizer(), lambda k: math.nan), ValueError, r"fn\(0\) returned nan"),
    (lambda: LambdaLR(_optimizer(), lambda: 1.0), TypeError, r"fn\(0\) failed"),
    (lambda: CosineAnnealingLR("opt", 10), TypeError, "CosineAnnealingLR needs an optimizer"),
    (lambda: CosineAnnealingLR(_optimizer(), 0), ValueError, "T_max must be a positive int"),
    (lambda: CosineAnnealingLR(_optimizer(), None), TypeError, "T_max must be an int"),
    (lambda: CosineAnnealingLR(_optimizer(), 9, math.inf), ValueError, "eta_min must be"),
    (lambda: clip_grad_norm(None, 1.0), TypeError, "clip_grad_norm needs .*NoneType"),
    (lambda: clip_grad_norm([1.0, 2.0], 1.0), TypeError, "parameter 0 must be a Value, got float"),
    (lambda: clip_grad_norm(vals([1.0]), None), TypeError, "max_norm must be a real number"),
    (lambda: clip_grad_norm(vals([1.0]), True), TypeError, "max_norm must be a real number"),
    (lambda: clip_grad_norm(vals([1.0]), math.nan), ValueError, "max_norm must be a finite"),
    (lambda: clip_grad_norm(vals([1.0]), -1.0), ValueError, "max_norm must be >= 0"),
]


@pytest.mark.parametrize("call,error,message", OPTIM_INPUTS)
def test_every_wrong_input_to_an_optimizer_fails_at_the_call(call, error, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=message):
        call()


def test_a_lambda_schedule_that_returns_a_non_number_later_fails_at_that_step() -> None:
    schedule = LambdaLR(_optimizer(), lambda k: 1.0 if k < 2 else None)
    schedule.step()
    with pytest.raises(TypeError, match=r"fn\(2\) returned NoneType"):
        schedule.step()


def test_schedules_match_torch() -> None:
    for name, ours_make in SCHEDULES.items():
        ours_opt = SGD([Value(1.0)], lr=0.5)
        ours = ours_make(ours_opt)
        rates = []
        for _ in range(25):
            rates.append(ours_opt.lr)
            ours_opt.step()
            ours.step()
        for source, theirs in torch_float64(schedule_in_torch, name):
            for k, (a, b) in enumerate(zip(rates, theirs)):
                assert same(a, b, rel=1e-12), (source, name, k, a, b)


def clip_in_torch(torch: Any, grads: list[float], max_norm: float) -> list[float]:
    """torch's gradients after clip_grad_norm_."""
    t = torch.zeros(len(grads), dtype=torch.float64, requires_grad=True)
    t.grad = torch.tensor(grads, dtype=torch.float64)
    torch.nn.utils.clip_grad_norm_([t], max_norm)
    return t.grad.tolist()


def test_clip_grad_norm_matches_torch_and_by_hand() -> None:
    ps = vals([1.0, 2.0])
    ps[0].grad, ps[1].grad = 3.0, 4.0
    total = clip_grad_norm(ps, 1.0)
    assert total == 5.0 and same(ps[0].grad, 3.0 / (5.0 + 1e-6))
    for source, theirs in torch_float64(clip_in_torch, [3.0, 4.0], 1.0):
        assert same(ps[0].grad, theirs[0]) and same(ps[1].grad, theirs[1]), (source, theirs)


# ---- the cases recorded by tests/oracle/record.py ----


def torch_cases() -> Iterator[Case]:
    """Every (fn, args) this module compares with torch; tests/oracle/record.py records them."""
    yield from ((loss_in_torch, (ours.__name__, xs, ts)) for ours, xs, ts in _loss_cases())
    yield from ((cross_entropy_in_torch, case) for case in CROSS_ENTROPY_CASES)
    for name, kwargs in OPTIMIZER_CASES:
        yield optimizer_in_torch, (name, kwargs, _optimizer_start(name, kwargs))
    yield from ((schedule_in_torch, (name,)) for name in SCHEDULES)
    yield clip_in_torch, ([3.0, 4.0], 1.0)
