"""An op that sends no gradient (issue 18, item 7): `shift`, and a rule's None, eager and traced.

`shift` holds a log-sum-exp's max constant, as torch's logsumexp does: it sends None, nothing
at all, so an infinite local derivative upstream (√x at 0) cannot make 0·∞ = nan. Oracles: the
hand-derived gradient (0 through the shift), torch's logsumexp in float64, and the eager engine
for traced Programs, lifted and not, on floats and on batches.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest

from autograd import Value, custom_op, grad, ops, trace
from autograd.compile import run as run_module
from nn import MLP, cross_entropy, trace_loss
from tests.oracles import same

BATCH = np.array([0.0, 4.0, 1e-300, 2.25])  # 0 and 1e-300: √x has an infinite or huge slope
LIFT = [True, False]


def _agree(a: Any, b: Any, rel: float = 1e-12) -> bool:
    return same(float(a), float(b), rel=rel) or (math.isnan(a) and math.isnan(b))


def _eager(fn: Callable[..., Value], xs: list[float], params: list[Value]) -> list[float]:
    """(output, d/d each input, d/d each parameter) of fn's eager graph at xs."""
    leaves = [Value(x) for x in xs]
    out = fn(*leaves)
    return [out.data, *grad(out, leaves + params)]


def _assert_program_matches_eager(
    fn: Callable[..., Value], example: float, lift: bool, params: Sequence[Value] = ()
) -> None:
    """One float and a batch: outputs, input and parameter gradients against eager's."""
    prog = trace(fn, example, params=params, lift=lift)
    out, (dx,), dp = prog.grad(example)
    expected = _eager(fn, [example], list(params))
    assert all(_agree(a, b) for a, b in zip([out, dx, *dp], expected)), (out, dx, dp, expected)
    out, (dx,), dp = prog.grad(BATCH)
    eager = [_eager(fn, [float(x)], list(params)) for x in BATCH]
    for i, row in enumerate(eager):
        assert _agree(out[i], row[0]) and _agree(dx[i], row[1]), (i, out[i], dx[i], row)
    for j in range(len(params)):  # a parameter's gradient: summed over the batch
        assert _agree(dp[j], math.fsum(row[2 + j] for row in eager)), (j, dp[j])
    assert not np.isnan(dx).any() and not any(math.isnan(g) for g in dp)
    assert prog.check(BATCH)


# ---- eager ----


def test_shift_sends_no_gradient_so_no_nan_comes_back_through_an_infinite_derivative() -> None:
    x = Value(0.0)
    assert grad(ops.shift([x.sqrt()]), [x]) == [0.0]  # was [nan]: -0.0 · sqrt'(0) = -0.0 · inf
    (d,) = grad(ops.shift([x.sqrt(), x]), [x], create_graph=True)
    assert d.data == 0.0
    assert ops.shift.record.sends_none
    assert ops.shift_backward(1.0, 2.0, 2.0, 1.0) == (None, None)


def test_the_record_says_sends_none_exactly_for_the_ops_whose_rule_returns_none() -> None:
    for name in ops.OPS:
        record = getattr(ops, name).record
        if record.form == ops.MATMUL:
            continue
        count = 2 if record.arity in (-1, 2) else record.arity
        bound = {record.constant: 2.0} if record.constant else {}
        sent = record.rule(1.0, 0.5, *[0.5] * count, **bound)
        assert record.sends_none == all(c is None for c in sent), name


def test_log_sum_exp_through_shift_matches_torch_logsumexp() -> None:
    torch = pytest.importorskip("torch")
    points = [0.0, 1e-300, 3.0]
    t = torch.tensor(points, dtype=torch.float64, requires_grad=True)
    torch.logsumexp(torch.sqrt(t), 0).backward()
    xs = [Value(p) for p in points]
    roots = [x.sqrt() for x in xs]
    m = ops.shift(roots)
    lse = m + ops.sum([(r - m).exp() for r in roots]).log()
    assert grad(lse, xs) == pytest.approx(t.grad.tolist(), rel=1e-14, nan_ok=True)


# ---- traced: the chain rule writes nothing for a None ----


@pytest.mark.parametrize("lift", LIFT)
def test_a_traced_shift_of_a_square_root_at_zero_gives_zero_not_nan(lift: bool) -> None:
    prog = trace(lambda x: ops.shift([x.sqrt()]), 0.0, lift=lift)
    assert prog.grad(0.0)[1] == [0.0]  # hand-derived: nothing flows back through the shift
    out, (dx,), _ = prog.grad(BATCH)
    assert dx.tolist() == [0.0] * len(BATCH) and out.tolist() == np.sqrt(BATCH).tolist()
    assert "shift sends no gradient back" in prog.source
    assert "shift_backward" not in prog.source  # no rule called for a None


@pytest.mark.parametrize("lift", LIFT)
@pytest.mark.parametrize(
    "fn",
    [
        lambda x: ops.shift([x.sqrt()]),
        lambda x: ops.shift([x.sqrt(), x]) * x,  # d/dx = shift(...): the shift is a number
        lambda x: ops.shift([x.sqrt(), -x]) + x,
        lambda x: (lambda r, m: m + ops.sum([(r - m).exp(), (x - m).exp()]).log())(
            x.sqrt(), ops.shift([x.sqrt(), x])
        ),  # log-sum-exp of (√x, x): √x's inf slope at 0 is real there, as in torch
    ],
)
def test_a_traced_shift_replays_eagers_gradients_on_floats_and_batches(
    fn: Callable[..., Value], lift: bool
) -> None:
    _assert_program_matches_eager(fn, 0.0, lift)


@pytest.mark.parametrize("lift", LIFT)
def test_a_parameter_reached_only_through_a_shift_gets_zero(lift: bool) -> None:
    w, v = Value(0.0, "w"), Value(1.5, "v")
    fn = lambda x: ops.shift([w.sqrt(), x]) * v + x * v  # noqa: E731
    _assert_program_matches_eager(fn, 0.0, lift, [w, v])
    prog = trace(fn, 0.0, params=[w, v], lift=lift)
    assert prog.grad(BATCH)[2][0] == 0.0


@pytest.mark.parametrize("lift", LIFT)
def test_a_traced_cross_entropy_matches_eager_and_runs_no_rule_for_its_shift(lift: bool) -> None:
    rng = np.random.default_rng(7)
    X = rng.normal(size=(9, 3)) * 3.0
    Y = np.eye(4)[rng.integers(0, 4, size=9)]
    model = MLP(3, [5, 4], seed=2)
    loss = lambda logits, onehot: cross_entropy(logits, onehot)  # noqa: E731
    step = trace_loss(model, loss, X[0], Y[0], lift=lift)
    model.zero_grad()
    traced = step.backward(X, Y)
    ours = [p.grad for p in model.parameters()]
    model.zero_grad()
    samples = [
        loss(model([Value(float(x)) for x in row]), [Value(float(t)) for t in target])
        for row, target in zip(X, Y)
    ]
    eager = ops.sum(samples) / float(len(X))
    eager.backward()
    assert same(traced, eager.data, rel=1e-12)
    assert all(same(a, p.grad, rel=1e-10) for a, p in zip(ours, model.parameters()))
    assert "shift sends no gradient back" in step.source
    assert "shift_backward" not in step.source


# ---- a rule's own None, through trace ----


def _stop_second() -> Callable[..., Value]:
    """z = x + y, no gradient to y (torch: a backward returning None for an input)."""
    return custom_op("stop_second", lambda x, y: x + y, lambda g, z, x, y: (g, None))


def _stop_second_by_element() -> Callable[..., Value]:
    """z = eˣ + y with math.exp: it cannot take arrays, so a Program runs it sample by sample."""
    return custom_op(
        "stop_exp", lambda x, y: math.exp(x) + y, lambda g, z, x, y: (g * math.exp(x), None)
    )


def _stop_all() -> Callable[..., Value]:
    """z = x, no gradient at all, made with ops.define as a built-in op is."""

    def stop_backward(g: Any, z: Any, x: Any) -> tuple[Any, ...]:
        return (None,)

    return ops.define("stop", lambda x: x, stop_backward, arity=1)


@pytest.mark.parametrize("lift", LIFT)
@pytest.mark.parametrize("make", [_stop_second, _stop_second_by_element, _stop_all])
def test_a_custom_rules_none_sends_nothing_in_a_program(
    make: Callable[[], Callable[..., Value]], lift: bool
) -> None:
    op = make()
    if op.__name__ == "stop":
        fn = lambda x: op(x.sqrt()) + x * 2.0  # noqa: E731
    else:
        fn = lambda x: op(x, x.sqrt())  # noqa: E731
    _assert_program_matches_eager(fn, 0.0, lift)
    prog = trace(fn, 0.0, lift=lift)
    expected = 2.0 if op.__name__ == "stop" else [1.0, math.exp(0.0)][op.__name__ == "stop_exp"]
    assert prog.grad(0.0)[1] == [expected]  # hand-derived: nothing from √x's infinite slope


def test_a_custom_rule_that_sends_none_says_so_in_the_source() -> None:
    op = _stop_second()
    prog = trace(lambda x, y: op(x, y.sqrt()), 1.0, 0.0)
    assert "stop_second: your rule, no gradient to " in prog.source
    assert prog.grad(1.0, 0.0)[1] == [1.0, 0.0]
    assert [g.tolist() for g in prog.grad(BATCH, BATCH)[1]] == [[1.0] * 4, [0.0] * 4]


@pytest.mark.parametrize("lift", LIFT)
def test_the_loop_that_runs_a_large_program_skips_a_none_as_the_compiled_program_does(
    monkeypatch: pytest.MonkeyPatch, lift: bool
) -> None:
    op = _stop_second()
    w = Value(0.25, "w")

    def fn(x: Value) -> Value:
        roots = [x.sqrt(), (x * 2.0).sqrt(), w.sqrt() + x]
        m = ops.shift(roots)
        return m + ops.sum([(r - m).exp() for r in roots]).log() + op(x, x.sqrt())

    compiled = trace(fn, 1.0, params=[w], lift=lift)
    monkeypatch.setattr(run_module, "LARGE", 10)
    looped = trace(fn, 1.0, params=[w], lift=lift)
    assert run_module.is_large(looped.ir)  # compiled was made while LARGE was 20,000
    for inputs in ([0.0], [BATCH]):
        a, b = compiled.grad(*inputs), looped.grad(*inputs)
        assert np.array_equal(a[0], b[0]) and np.array_equal(a[1][0], b[1][0]) and a[2] == b[2]
    _assert_program_matches_eager(fn, 1.0, lift, [w])
