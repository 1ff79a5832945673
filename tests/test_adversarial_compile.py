"""An adversarial pass over the compiler: names, ops on lifted graphs, the Program API.

Every number is checked against the eager engine: the same graph built of Values, then
`autograd.grad` (or `.backward()`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import autograd as ag
from autograd import Value, grad, ops, trace
from autograd.compile import run


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


# ---- 3. the Program API ----


def _two_parameter_program(lift: bool) -> tuple[Any, list[Value]]:
    w, u = Value(0.7, "w"), Value(-0.2, "u")
    return trace(lambda x, y: (x * w).tanh() + y * x * u, 0.5, 1.0, params=[w, u], lift=lift), [
        w,
        u,
    ]


GRADIENT_X, GRADIENT_Y = np.array([1.0, 0.5, -1.0]), np.array([2.0, 3.0, 1.0])


@pytest.mark.parametrize("lift", [True, False])
def test_gradient_gives_the_eager_mean_and_its_gradient_for_given_numbers(lift: bool) -> None:
    prog, (w, u) = _two_parameter_program(lift)
    leaves = [(Value(a), Value(b)) for a, b in zip(GRADIENT_X, GRADIENT_Y)]
    w2, u2 = Value(0.25), Value(1.5)  # the numbers given, not the Values' own
    mean = sum((x * w2).tanh() + y * x * u2 for x, y in leaves) / 3
    mean.backward()
    for given in (np.array([0.25, 1.5]), [0.25, 1.5], (0.25, 1.5), np.array([1, 3]) / [4, 2]):
        loss, g = prog.gradient(GRADIENT_X, GRADIENT_Y, params=given)
        assert loss == pytest.approx(mean.data, rel=1e-12)
        np.testing.assert_allclose(g, [w2.grad, u2.grad], rtol=1e-12)
    assert (w.data, u.data, w.grad, u.grad) == (0.7, -0.2, 0.0, 0.0)


@pytest.mark.parametrize("lift", [True, False])
@pytest.mark.parametrize(
    ("params", "error", "says"),
    [
        (np.array([0.7]), ValueError, "got shape (1,)"),
        (np.array([0.7, -0.2, 1.0]), ValueError, "got shape (3,)"),  # was silently used
        (np.array([[0.7, -0.2]]), ValueError, "got shape (1, 2)"),
        (np.array([]), ValueError, "got shape (0,)"),
        (0.7, TypeError, "got float: 0.7"),
        (None, TypeError, "got NoneType"),
        ("ab", TypeError, "got str"),
        (np.array([1j, 0.0]), TypeError, "got dtype complex128"),
        (np.array([0.7, None]), TypeError, "got dtype object"),
        ("values", TypeError, "got Values; pass their numbers"),
    ],
    ids=["short", "long", "2-d", "empty", "float", "None", "str", "complex", "object", "Values"],
)
def test_gradient_with_params_of_the_wrong_kind_or_length_says_so_and_changes_nothing(
    lift: bool, params: Any, error: type[Exception], says: str
) -> None:
    prog, (w, u) = _two_parameter_program(lift)
    if isinstance(params, str) and params == "values":
        params = [w, u]  # the Values themselves, not their numbers (unlifted returned a Value)
    with pytest.raises(error) as raised:
        prog.gradient(GRADIENT_X, GRADIENT_Y, params=params)
    assert "gradient(params=...) needs a 1-D array of 2 real numbers" in str(raised.value)
    assert says in str(raised.value)
    assert (w.data, u.data, w.grad, u.grad) == (0.7, -0.2, 0.0, 0.0)


@pytest.mark.parametrize("lift", [True, False])
def test_gradient_with_nan_or_inf_params_computes_as_eager_does(lift: bool) -> None:
    """A nan or an infinite parameter is a number (IEEE 754, as eager): no error."""
    prog, _ = _two_parameter_program(lift)
    for numbers in ([np.nan, 0.2], [np.inf, 0.2]):
        w2, u2 = Value(numbers[0]), Value(numbers[1])
        mean = sum((Value(a) * w2).tanh() + b * a * u2 for a, b in zip(GRADIENT_X, GRADIENT_Y)) / 3
        mean.backward()
        loss, g = prog.gradient(GRADIENT_X, GRADIENT_Y, params=np.array(numbers))
        np.testing.assert_allclose([loss, *g], [mean.data, w2.grad, u2.grad], rtol=1e-12)


# ---- 2. batches of 0, 1 and many; inputs of other dtypes ----

_W, _U = Value(0.7, "w"), Value(-1.3, "u")


def _layer(x: Value, y: Value) -> Value:
    """Three neurons reading (x, y) through the same weights: lifted, one weight read by
    several products, so its gradient is gathered with add.reduceat over a reshape."""
    return ag.sum([(ag.dot([_W, _U], [x, y]) * k).tanh() for k in (1.0, 2.0, 3.0)]) + 0.01 * (
        _W * _W + _U * _U
    )


@pytest.mark.parametrize("interpreted", [False, True], ids=["compiled", "interpreted"])
@pytest.mark.parametrize("lift", [True, False])
@pytest.mark.parametrize("empty", [np.array([]), []], ids=["array", "list"])
def test_an_empty_batch_gives_empty_outputs_and_zero_gradients(
    lift: bool, empty: Any, interpreted: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch of 0 samples has no outputs and contributes nothing: the sum over no samples is
    0 (eager's empty sum). The lifted program reshaped a gradient to (n, -1), which NumPy
    cannot do for n = 0 ("cannot reshape array of size 0"), so grad() raised; prog() did not.
    A large program runs its equations in a loop through the same kernels: that path too."""
    if interpreted:
        monkeypatch.setattr(run, "LARGE", 0)
    prog = trace(_layer, 0.5, 1.0, params=[_W, _U], lift=lift)
    out, (gx, gy), totals = prog.grad(empty, empty)
    assert out.shape == gx.shape == gy.shape == (0,)
    assert totals == [0.0, 0.0]
    assert prog(empty, empty).shape == (0,)
    _agrees(prog, _layer, [np.array([0.5, -1.0]), np.array([2.0, 0.0])], [_W, _U])


@pytest.mark.parametrize("lone", ["abs", "tanh", "exp", "relu"])
def test_a_lone_op_on_a_parameter_gathered_with_a_group_computes_as_eager(lone: str) -> None:
    """Options of a `take` computed once per call: a group (-a, -b) and one node on its own
    (abs(c)), joined into one array. The lone node's kernel on one number returns a Python
    float, and the join printed it as `abs(c)[..., None]`, so the lifted program raised
    "'float' object is not subscriptable" (found by pushing tests/test_lift_fuzz.py to seed
    1959)."""
    a, b, c = Value(0.5, "a"), Value(-2.0, "b"), Value(-0.25, "c")

    def fn(x: Value) -> Value:
        s = [-a, -b]
        options = [s[0], s[1], getattr(c, lone)()]
        return ag.sum([ops.take(options, float(k)) for k in (2, 2, 0, 1)]) + x * a

    prog = trace(fn, 0.5, params=[a, b, c])
    _agrees(prog, fn, [np.array([1.0, -2.0, 0.5])], [a, b, c])
    _agrees(prog, fn, [np.array([3.0])], [a, b, c])


@pytest.mark.parametrize("lift", [True, False])
@pytest.mark.parametrize("at", [-1.0, 0.0], ids=["nan-derivative", "inf-derivative"])
def test_an_empty_batch_sums_no_gradient_even_where_a_rule_is_nan_or_inf(
    lift: bool, at: float
) -> None:
    """Eager builds no graph for 0 samples, so every gradient is the empty sum, 0. A lifted
    program computes what reads parameters only once per call, before the samples, and sent
    the batch's gradient (0 over no samples) through its rule: 0 · nan (u**-0.5 at u = -1)
    and 0 · inf (at u = 0) gave nan where unlifted and eager give 0."""
    params = [Value(0.5, "w"), Value(at, "u"), Value(4.0, "v"), Value(0.25, "z")]
    w = params[0]

    def fn(x: Value, y: Value) -> Value:
        penalty = ag.sum([q**-0.5 for q in params[1:]])  # one group, run once per call
        return ag.sum([x * w, y * w, penalty * w, (y * penalty).tanh()])

    prog = trace(fn, 0.5, 1.0, params=params, lift=lift)
    assert prog.flat == lift
    out, (gx, gy), totals = prog.grad(np.array([]), np.array([]))
    assert out.shape == gx.shape == gy.shape == (0,)
    assert totals == [0.0] * 4
    out, (gx, gy), totals = prog.grad(np.array([]), 2.0)  # a number broadcast over none
    assert (out.shape, gx.shape, gy, totals) == ((0,), (0,), 0.0, [0.0] * 4)
    _agrees(prog, fn, [np.array([0.5, -1.0]), np.array([2.0, 0.0])], params)


# ---- 2. what runs once per call: numbers, not arrays ----


@pytest.mark.parametrize(
    "per_call",
    [
        lambda a, b: a.abs() ** -0.5,  # printed 1.0 / sqrt(abs(a)): float / float at a = 0
        lambda a, b: a.cos() / b.tanh(),  # cos(a) / tanh(b): float / float at b = 0
        lambda a, b: a.abs() ** -1.0,  # abs(a)**-1: float ** -1 at a = 0
        lambda a, b: b.tanh() ** 1.5,  # tanh(b)**1.5: a complex number at b < 0
        lambda a, b: a.abs() ** b.tanh(),  # abs(a)**tanh(b): 0 ** -x at a = 0
        lambda a, b: b.tanh() ** a.abs(),  # tanh(b)**abs(a): complex at b < 0
    ],
    ids=["abs**-0.5", "cos/tanh", "abs**-1", "tanh**1.5", "abs**tanh", "tanh**abs"],
)
@pytest.mark.parametrize("at", [(0.0, 0.0), (0.0, -0.5), (-0.5, 0.5), (0.5, -2.0)])
def test_what_reads_parameters_only_divides_and_powers_as_eager(
    per_call: Callable[[Value, Value], Value], at: tuple[float, float]
) -> None:
    """A lifted program computes what reads parameters only once per call, on numbers: a
    kernel there (tanh, abs, sqrt) returns a Python float, and `/` and `**` printed as
    operators (right for NumPy's arrays and scalars) raised ZeroDivisionError on two floats,
    or made a complex number of a negative float to a fractional power, where eager (IEEE
    754: inf, nan) gives numbers. Found by pushing the lift fuzzer to edge ops (seed 365)."""
    a, b, w = Value(at[0], "a"), Value(at[1], "b"), Value(0.75, "w")
    params = [a, b, w]

    def fn(x: Value) -> Value:
        group = [(q * 2.0).tanh() for q in params]  # a group: the program is lifted
        alone = per_call(a, b)  # one node on its own, computed once per call
        return ag.sum([x * w, *group, alone]) + (x * alone).relu()

    prog = trace(fn, 0.5, params=params)
    assert prog.flat
    _agrees(prog, fn, [np.array([0.5, -1.0, 2.0])], params)
    _agrees(prog, fn, [np.array([3.0])], params)


@pytest.mark.parametrize("interpreted", [False, True], ids=["compiled", "interpreted"])
@pytest.mark.parametrize("y", [0.0, 2.0])
def test_pow_by_a_per_call_exponent_keeps_the_batchs_shape_where_its_rule_selects(
    y: float, interpreted: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """x ** w for inputs x and a parameter w: pow's rule selects `where(w == 0.0, 0.0, ...)`,
    and with one number for a condition `where` returned the chosen branch as it was: the
    number 0.0 where the program needs one gradient per sample and member, so the lifted
    program raised "'float' object is not subscriptable" at w = 0 (fuzzer seed 387)."""
    if interpreted:  # a large program runs its equations through their kernels
        monkeypatch.setattr(run, "LARGE", 0)
    w, u = Value(y, "w"), Value(0.5, "u")

    def fn(x: Value, z: Value) -> Value:
        return ag.sum([x**w, z**w, x * u])

    prog = trace(fn, 0.5, 1.5, params=[w, u])
    assert prog.flat
    _agrees(prog, fn, [np.array([0.5, 2.0, 3.0]), np.array([1.5, 0.25, 4.0])], [w, u])


@pytest.mark.parametrize("lift", [True, False])
def test_a_tensor_that_requires_grad_is_refused_naming_the_input_and_the_fix(lift: bool) -> None:
    """A CPU tensor is read as an array, but one that requires grad cannot be: torch's own
    RuntimeError came out of NumPy's conversion instead of the Program's ValueError naming
    the input (or gradient's params); nothing changes."""
    torch = pytest.importorskip("torch")
    prog, (w, u) = _two_parameter_program(lift)
    tracked = torch.tensor([0.5, 1.0, -1.0], dtype=torch.float64, requires_grad=True)
    with pytest.raises(ValueError, match=r"input 'x' is not a 1-D array of numbers: .*detach"):
        prog.grad(tracked, GRADIENT_Y)
    with pytest.raises(ValueError, match=r"gradient\(params=...\) needs .*: .*detach"):
        prog.gradient(GRADIENT_X, GRADIENT_Y, params=tracked[:2])
    assert (w.data, u.data, w.grad, u.grad) == (0.7, -0.2, 0.0, 0.0)
    out, _, _ = prog.grad(tracked.detach(), GRADIENT_Y)  # the fix it names
    _agrees(prog, lambda x, y: (x * w).tanh() + y * x * u, [GRADIENT_X, GRADIENT_Y], [w, u])
    np.testing.assert_allclose(out, prog(np.array([0.5, 1.0, -1.0]), GRADIENT_Y), rtol=0)


# ---- nn's traced loss: the same checks as the Program's ----


@pytest.mark.parametrize(
    ("X", "Y", "error", "says"),
    [
        (
            np.array([[1 + 1j, 2.0]]),
            [1.0],
            TypeError,
            "X must be real numbers, got dtype complex128",
        ),
        ([["1", "2"]], [1.0], TypeError, "X must be real numbers, got dtype <U1"),
        ([[0.5, 1.0]], ["1"], TypeError, "Y must be real numbers, got dtype <U1"),
        ([[1.0, 2.0], [3.0]], [1.0, 1.0], ValueError, "X must be real numbers in rows"),
        ([[Value(0.5), 1.0]], [1.0], TypeError, "X must be real numbers, got dtype object"),
    ],
    ids=["complex", "str", "str target", "ragged", "Value"],
)
def test_a_traced_loss_refuses_what_its_program_refuses(
    X: Any, Y: Any, error: type[Exception], says: str
) -> None:
    """TracedLoss cast X and Y to float64 before its Program saw them: a complex X lost its
    imaginary part with only a ComplexWarning, strings were parsed as numbers, and a ragged X
    got NumPy's message, where the Program itself refuses each by name."""
    from nn import MLP, hinge_loss, trace_loss

    model = MLP(2, [3, 1], seed=0)
    step = trace_loss(model, lambda s, t: hinge_loss([s], [t]), [0.5, 1.0], 1.0)
    before = [p.data for p in model.parameters()]
    with pytest.raises(error, match=re.escape(says)):
        step(X, Y)
    with pytest.raises(error, match=re.escape(says)):
        step.backward(X, Y)
    assert [p.data for p in model.parameters()] == before
    assert all(p.grad == 0.0 for p in model.parameters())
    assert step(np.array([[0.5, 1.0]]), [1.0]) == pytest.approx(
        hinge_loss([model([Value(0.5), Value(1.0)])], [Value(1.0)]).data, rel=1e-12
    )
