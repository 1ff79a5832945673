"""The engine's semantics, each checked against a hand-derived value."""

from __future__ import annotations

import math
from collections.abc import Iterator
from fractions import Fraction
from typing import Any

import numpy as np
import pytest

import autograd as ag
from autograd import (
    Value,
    backward_steps,
    detect_anomaly,
    grad,
    no_grad,
    topological_order,
    zero_grad,
)
from tests.oracle import Case, torch_float64
from tests.oracles import same

# ---- construction and attributes ----


@pytest.mark.parametrize(
    "x,expected",
    [
        (3, 3.0),
        (2.5, 2.5),
        (True, 1.0),
        (np.float32(1.5), 1.5),
        (np.int64(7), 7.0),
        (np.array([4.0]), 4.0),
        (np.array(2.0), 2.0),
        (Fraction(1, 4), 0.25),
    ],
)
def test_value_accepts_real_numbers_and_stores_a_python_float(x: object, expected: float) -> None:
    v = Value(x)
    assert type(v.data) is float and v.data == expected


@pytest.mark.parametrize(
    "bad,name",
    [
        ("1.5", "str"),
        (None, "NoneType"),
        (1 + 2j, "complex"),
        ([1.0], "list"),
        (np.array([1.0, 2.0]), "shape"),
        (np.array([]), "shape"),
        (np.complex64(1), "complex"),
    ],
)
def test_value_rejects_non_real_input_naming_the_type(bad: object, name: str) -> None:
    with pytest.raises(TypeError, match=name):
        Value(bad)


def test_value_label_must_be_a_string() -> None:
    with pytest.raises(TypeError, match="label must be a str"):
        Value(1.0, label=3)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "apply",
    [
        lambda v: v + "a",
        lambda v: "a" + v,
        lambda v: v * None,
        lambda v: v - [1],
        lambda v: v / (1 + 1j),
        lambda v: v ** [2],
        lambda v: 2j**v,
        lambda v: v < "x",
        lambda v: v * np.array([1.0, 2.0]),
    ],
)
def test_every_operator_rejects_a_bad_operand_at_the_call(apply) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TypeError, match=r"str|NoneType|list|complex|shape"):
        apply(Value(1.0))


def test_attributes_of_leaf_and_op_node() -> None:
    a = Value(2.0, "a")
    b = a * a
    assert (a.data, a.grad, a.label, a.op, a.parents) == (2.0, 0.0, "a", "", ())
    assert b.op == "*" and b.parents == (a, a)
    a.data = 5.0  # assignable: optimizers write data
    a.label = "alpha"
    assert a.data == 5.0 and a.label == "alpha"


def test_unary_minus_sub_and_div_are_ops_of_their_own() -> None:
    a, b = Value(1.0), Value(2.0)
    assert (-a).op == "neg" and (a - b).op == "-" and (a / b).op == "/"
    assert (a**2).op == "**2" and (a**b).op == "**" and (2**a).op == "**"


def test_reflected_operators_and_numbers_mix_freely() -> None:
    v = Value(3.0)
    assert (2 * v).data == 6.0 and (1 - v).data == -2.0 and (6 / v).data == 2.0
    assert (2**v).data == 8.0 and (v + 1).data == 4.0 and (1.5 + v).data == 4.5
    y = 2**v
    y.backward()
    assert same(v.grad, 8.0 * math.log(2.0))


def test_comparisons_use_data_and_equality_is_identity() -> None:
    a, b = Value(1.0), Value(1.0)
    assert a <= b and a >= b and not a < b and a < 2 and b > 0.5
    assert a != b and a == a and len({a, b, a}) == 2
    assert max([Value(3.0), Value(7.0), Value(5.0)]).data == 7.0
    assert float(Value(2.5)) == 2.5


def test_repr_shows_label_data_grad_and_op() -> None:
    z = Value(2.0, "x") * Value(1.0)
    z.label = "z"
    z.grad = -1.5
    assert repr(z) == "Value(label='z', data=2.0, grad=-1.5, op='*')"
    assert repr(Value(1.0)) == "Value(data=1.0, grad=0.0, op='')"


# ---- backward ----


def test_backward_fills_every_node_including_inner_ones() -> None:
    x, y = Value(2.0), Value(-3.0)
    p = x * y
    z = p + x  # dz/dx = y + 1 = -2, dz/dy = x = 2, dz/dp = 1
    z.backward()
    assert (x.grad, y.grad, p.grad, z.grad) == (-2.0, 2.0, 1.0, 1.0)


def test_a_node_used_twice_gets_both_contributions() -> None:
    a = Value(3.0)
    (a * a).backward()
    assert a.grad == 6.0


def test_backward_twice_adds_exactly_twice() -> None:
    x = Value(0.5)
    h = x.tanh()
    z = h * h + x
    z.backward()
    once = (x.grad, h.grad, z.grad)
    z.backward()
    assert (x.grad, h.grad, z.grad) == tuple(2 * g for g in once)


def test_backward_with_a_seed_scales_every_gradient() -> None:
    x = Value(2.0)
    (x**2).backward(3.0)
    assert x.grad == 12.0


def test_a_million_node_chain_runs_without_recursion_error() -> None:
    y = x = Value(1.0)
    for _ in range(1_000_000):
        y = -y
    assert len(topological_order(y)) == 1_000_001
    y.backward()
    assert x.grad == 1.0  # (-1)^1e6
    del y  # and freeing it does not overflow the C stack either


def test_graph_stays_usable_after_backward() -> None:
    x = Value(1.5)
    z = x.exp() * x
    z.backward()
    first = x.grad
    zero_grad(z)
    z.backward()
    assert x.grad == first and same(first, math.exp(1.5) * 2.5)
    assert topological_order(z)[-1] is z


def test_topological_order_puts_inputs_first_and_lists_each_node_once() -> None:
    a, b = Value(1.0), Value(2.0)
    c = a * b
    d = c + a
    e = d * c
    order = topological_order(e)
    assert len(order) == len(set(order)) == 5 and order[-1] is e
    place = {n: i for i, n in enumerate(order)}
    for node in order:
        assert all(place[p] < place[node] for p in node.parents)


def test_a_shortcut_edge_does_not_put_a_node_before_its_inputs() -> None:
    x = Value(0.0)
    a = x + x
    b = x + a  # x reaches b directly and through a
    b.backward()
    assert x.grad == 3.0 and topological_order(b) == [x, a, b]


def test_zero_grad_clears_every_reachable_node() -> None:
    x, y = Value(1.0), Value(2.0)
    z = (x * y).tanh()
    z.backward()
    zero_grad(z)
    assert all(n.grad == 0.0 for n in topological_order(z))


# ---- no_grad, detach, hooks ----


def test_no_grad_makes_leaves_and_restores_tracking() -> None:
    x = Value(2.0)
    with no_grad():
        y = x * 3
        with no_grad():
            pass
        assert not ag.is_grad_enabled()
    assert ag.is_grad_enabled()
    assert y.data == 6.0 and y.op == "" and y.parents == ()
    assert (x * 3).parents != ()


def test_no_grad_works_as_a_decorator() -> None:
    @no_grad()
    def f(v: Value) -> Value:
        return v.exp()

    out = f(Value(0.0))
    assert out.data == 1.0 and out.parents == () and f.__name__ == "f"
    assert ag.is_grad_enabled()


def test_no_grad_restores_tracking_after_an_exception() -> None:
    with pytest.raises(RuntimeError), no_grad():
        raise RuntimeError("boom")
    assert ag.is_grad_enabled()


def test_detach_is_a_leaf_with_the_same_data() -> None:
    x = Value(2.0, "x")
    y = (x * x).detach()
    z = y * x
    z.backward()
    assert y.parents == () and y.op == "" and y.data == 4.0
    assert x.grad == 4.0  # only the direct path


def test_hook_runs_once_with_the_complete_gradient_and_can_replace_it() -> None:
    x = Value(2.0)
    h = x * 3.0
    z = h * h + h  # dz/dh = 2h + 1 = 13, arrives in two pieces
    seen: list[float] = []
    h.register_hook(lambda g: seen.append(g))
    handle = h.register_hook(lambda g: g * 10)
    z.backward()
    assert seen == [13.0]
    assert h.grad == 130.0 and x.grad == 390.0
    handle.remove()
    handle.remove()  # harmless twice
    zero_grad(z)
    z.backward()
    assert h.grad == 13.0 and seen == [13.0, 13.0]


def test_register_hook_needs_a_callable() -> None:
    with pytest.raises(TypeError, match="callable"):
        Value(1.0).register_hook(3)  # type: ignore[arg-type]


# ---- grad and higher derivatives ----


def test_grad_returns_gradients_without_touching_dot_grad() -> None:
    x, y = Value(2.0), Value(5.0)
    z = x * y + x
    assert grad(z, [x, y]) == [6.0, 2.0]
    assert x.grad == y.grad == z.grad == 0.0


def test_grad_of_an_unused_input_is_zero() -> None:
    x, y = Value(2.0), Value(5.0)
    assert grad(x * 2, [x, y]) == [2.0, 0.0]
    dy = grad(x * 2, [y], create_graph=True)[0]
    assert isinstance(dy, Value) and dy.data == 0.0


def test_second_and_third_derivatives_of_a_cube() -> None:
    x = Value(3.0)
    (d1,) = grad(x**3, [x], create_graph=True)
    (d2,) = grad(d1, [x], create_graph=True)
    (d3,) = grad(d2, [x], create_graph=True)
    assert (d1.data, d2.data, d3.data) == (27.0, 18.0, 6.0)
    assert grad(d3, [x]) == [0.0]


def test_higher_derivatives_of_tanh_match_the_closed_form() -> None:
    x0 = 0.7
    x = Value(x0)
    (d1,) = grad(x.tanh(), [x], create_graph=True)
    (d2,) = grad(d1, [x], create_graph=True)
    (d3,) = grad(d2, [x])
    t = math.tanh(x0)
    assert same(d1.data, 1 - t * t)
    assert same(d2.data, -2 * t * (1 - t * t))
    assert same(d3, -2 * (1 - t * t) * (1 - 3 * t * t), rel=1e-11)


def test_mixed_second_partial_derivative() -> None:
    x, y = Value(1.3), Value(-0.4)
    f = (x * y).sin() + x**2 * y
    dx, _ = grad(f, [x, y], create_graph=True)
    (dxy,) = grad(dx, [y])
    # d/dy [y cos(xy) + 2xy] = cos(xy) - xy sin(xy) + 2x
    xy = 1.3 * -0.4
    assert same(dxy, math.cos(xy) - xy * math.sin(xy) + 2 * 1.3, rel=1e-11)


def test_backward_on_a_first_derivative_fills_leaf_grads() -> None:
    x = Value(2.0)
    (dx,) = grad(x.exp() * x, [x], create_graph=True)  # (x + 1) e^x
    dx.backward()  # d/dx = (x + 2) e^x
    assert same(x.grad, 4.0 * math.exp(2.0))


def _third_derivative_function(v):  # type: ignore[no-untyped-def]
    return (v * v).sigmoid() * v.sin() + (v**3) / (v * v + 1)


def derivatives_in_torch(torch: Any, x0: float) -> list[float]:
    """torch's f and its first three derivatives at x0."""
    t = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    theirs = [_third_derivative_function(t)]
    for _ in range(3):
        theirs.append(torch.autograd.grad(theirs[-1], t, create_graph=True)[0])
    return [b.item() for b in theirs]


THIRD_DERIVATIVE_POINTS = [-1.2, 0.3, 2.0]


@pytest.mark.parametrize("x0", THIRD_DERIVATIVE_POINTS)
def test_third_derivatives_match_torch(x0: float) -> None:
    x = Value(x0)
    ours = [_third_derivative_function(x)]
    for _ in range(3):
        ours.append(grad(ours[-1], [x], create_graph=True)[0])
    for source, theirs in torch_float64(derivatives_in_torch, x0):
        for a, b in zip(ours, theirs):
            assert same(a.data, b, rel=1e-10), (source, a.data, b)


# ---- IEEE 754, as torch ----


@pytest.mark.parametrize(
    "make,expected",
    [
        (lambda: Value(0.0).log(), -math.inf),
        (lambda: Value(1.0) / 0, math.inf),
        (lambda: Value(-1.0) / 0.0, -math.inf),
        (lambda: Value(0.0) / 0, math.nan),
        (lambda: Value(1000.0).exp(), math.inf),
        (lambda: Value(math.nan) * 2 + 1, math.nan),
        (lambda: Value(-1.0).sqrt(), math.nan),
        (lambda: Value(-8.0) ** Value(1 / 3), math.nan),
        (lambda: Value(0.0) ** Value(-1.0), math.inf),
        (lambda: Value(-2.0) ** Value(3.0), -8.0),
        (lambda: Value(10.0) ** 400, math.inf),
        (lambda: Value(math.inf).sin(), math.nan),
    ],
)
def test_ieee_results_never_raise(make, expected: float) -> None:  # type: ignore[no-untyped-def]
    assert same(make().data, expected)


def test_kinks_follow_torch() -> None:
    a, b = Value(0.0), Value(0.0)
    a.relu().backward()
    b.abs().backward()
    assert a.grad == 0.0 and b.grad == 0.0


def test_pow_with_zero_base_keeps_gradients_finite_as_torch() -> None:
    x, y = Value(0.0), Value(2.0)
    (x**y).backward()
    assert x.grad == 0.0 and y.grad == 0.0  # 2·0¹ and (0² · ln 0 masked to 0)


# ---- step-through ----


def test_backward_steps_give_the_same_grads_as_backward() -> None:
    def build():  # type: ignore[no-untyped-def]
        x, y = Value(0.3, "x"), Value(-1.1, "y")
        h = (x * y).tanh() + x.exp()
        return x, y, h * h - y

    x1, y1, z1 = build()
    z1.backward()
    x2, y2, z2 = build()
    steps = list(backward_steps(z2))
    assert (x2.grad, y2.grad) == (x1.grad, y1.grad)
    assert len(steps) == len(topological_order(z2)) and steps[0].node is z2
    assert [s.index for s in steps] == list(range(1, len(steps) + 1))


def test_a_step_reads_as_the_chain_rule() -> None:
    x, y = Value(2.0, "x"), Value(3.0, "y")
    z = x * y
    z.label = "z"
    out = z * 2.0
    out.label = "out"
    steps = list(backward_steps(out))
    (step,) = [s for s in steps if s.node is z]
    assert str(step) == f"step {step.index}/5  z = x * y = 6   grad 2   -> x += 6, y += 4"
    assert step.sent == ((x, 6.0), (y, 4.0))
    assert "leaf" in str(steps[-1])


def test_backward_steps_can_be_driven_with_next() -> None:
    x = Value(2.0, "x")
    z = x * x
    steps = backward_steps(z)
    first = next(steps)
    assert first.node is z and first.grad == 1.0 and x.grad == 0.0
    second = next(steps)
    assert second.node is x and x.grad == 4.0


# ---- gradcheck ----


def test_gradcheck_passes_a_correct_function() -> None:
    assert ag.gradcheck(lambda a, b: (a * b).tanh() + a.exp() / b, [0.5, -1.2])


def test_gradcheck_names_each_wrong_input_with_both_numbers() -> None:
    def wrong_square(v: Value) -> Value:
        out = v * v
        out._backward = lambda g, z, x, y: (g * y, 0.0)  # forgets one of the two paths
        return out

    with pytest.raises(
        ag.GradcheckError, match=r"input 0 \(x0 = 1.5\): analytic 1.5, numeric 2.99999"
    ):
        ag.gradcheck(wrong_square, [1.5])


def test_gradcheck_says_when_fn_does_not_return_a_scalar_value() -> None:
    with pytest.raises(TypeError, match="one scalar Value, got list"):
        ag.gradcheck(lambda a: [a, a], [1.0])


# ---- anomaly mode ----


def test_anomaly_mode_names_forward_op_inputs_and_line() -> None:
    x = Value(0.0)
    with detect_anomaly(), pytest.raises(FloatingPointError) as info:
        x.log()  # the line named
    message = str(info.value)
    assert "'log'" in message and "-inf" in message and "(0.0)" in message
    assert f"test_engine.py:{_line_of('x.log()  # the line named')}" in message


def test_anomaly_mode_catches_a_backward_nan_and_says_where_the_node_was_made() -> None:
    x = Value(0.0)
    with detect_anomaly():
        y = x.sqrt()  # forward is fine: 0.0; backward sends 1/(2·0) = inf
        with pytest.raises(FloatingPointError) as info:
            y.backward()
    message = str(info.value)
    assert "'sqrt'" in message and "inf" in message and "sqrt_backward" in message
    assert f"test_engine.py:{_line_of('y = x.sqrt()  # forward is fine')}" in message


def test_outside_anomaly_mode_nothing_raises_and_no_site_is_kept() -> None:
    y = Value(0.0).sqrt()
    y.backward()
    assert y.parents[0].grad == math.inf and y._site is None


def _line_of(text: str) -> int:
    with open(__file__) as source:
        for number, line in enumerate(source, 1):
            if text in line and "_line_of" not in line:
                return number
    raise LookupError(text)


# ---- the micrograd lecture's neuron (notebooks/micrograd_lecture.ipynb prints these numbers) ----

LECTURE_NEURON = (2.0, -3.0, 0.0, 1.0, 6.8813735870195432)  # x1, w1, x2, w2, b: o = 1/√2


def lecture_neuron_in_torch(torch: Any, *start: float) -> list[Any]:
    """o = tanh(x1·w1 + x2·w2 + b) and its gradient with respect to each input, in torch."""
    t = [torch.tensor(v, dtype=torch.double, requires_grad=True) for v in start]
    x1, w1, x2, w2, b = t
    out = torch.tanh(x1 * w1 + x2 * w2 + b)
    out.backward()
    return [out.item(), [v.grad.item() for v in t]]


def test_the_lecture_neuron_is_torchs_to_the_last_bit() -> None:
    leaves = [Value(v) for v in LECTURE_NEURON]
    x1, w1, x2, w2, b = leaves
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.backward()
    assert math.isclose(o.data, 1 / math.sqrt(2), rel_tol=1e-15)  # by hand: b = atanh(1/√2) + 6
    for source, (out, grads) in torch_float64(lecture_neuron_in_torch, *LECTURE_NEURON):
        assert same(o.data, out), source
        assert all(same(v.grad, g) for v, g in zip(leaves, grads)), source


# ---- the cases recorded by tests/oracle/record.py ----


def torch_cases() -> Iterator[Case]:
    """Every (fn, args) this module compares with torch; tests/oracle/record.py records them."""
    yield from ((derivatives_in_torch, (x0,)) for x0 in THIRD_DERIVATIVE_POINTS)
    yield lecture_neuron_in_torch, LECTURE_NEURON
