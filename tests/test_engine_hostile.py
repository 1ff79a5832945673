"""The engine under hostile use: modes, odd contributions, signed zeros, subclasses.

Each test here reproduces a defect found by an adversarial pass (issue 18) and checks the
behaviour against a hand-derived value, central differences or PyTorch.
"""

from __future__ import annotations

import itertools
import math
import re
import struct
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np
import pytest

from autograd import (
    Value,
    backward_steps,
    custom_op,
    detect_anomaly,
    grad,
    gradcheck,
    no_grad,
    ops,
    trace,
)
from autograd.viz.playback import playback
from tests.test_ops import BINARY, NARY, UNARY

# ---- create_graph and gradcheck inside no_grad() (issue 18, item 5) ----


def test_create_graph_records_the_derivative_even_inside_no_grad() -> None:
    x = Value(3.0)
    y = x**3
    with no_grad():
        (dy,) = grad(y, [x], create_graph=True)  # 3x² = 27
        assert dy.data == 27.0
        assert grad(dy, [x]) == [18.0]  # 6x: the graph was recorded, as torch does


def test_create_graph_inside_no_grad_matches_torch() -> None:
    torch = pytest.importorskip("torch")
    t = torch.tensor(0.4, dtype=torch.float64, requires_grad=True)
    ty = torch.tanh(t) * t
    with torch.no_grad():
        (td,) = torch.autograd.grad(ty, t, create_graph=True)
    (td2,) = torch.autograd.grad(td, t)
    x = Value(0.4)
    y = x.tanh() * x
    with no_grad():
        (d,) = grad(y, [x], create_graph=True)
    assert d.data == td.item()
    assert grad(d, [x])[0] == pytest.approx(td2.item(), rel=1e-14)


def test_no_grad_still_holds_after_a_create_graph_call_inside_it() -> None:
    x = Value(2.0)
    with no_grad():
        grad(x * x, [x], create_graph=True)
        after = x * 3.0
    assert after.op == "" and after.parents == ()


def test_gradcheck_inside_no_grad_checks_the_real_gradient() -> None:
    with no_grad():
        assert gradcheck(lambda a, b: a * b.tanh(), [0.5, -1.2])


# ---- what a rule or a hook returns (issue 18, item 6; issue 17, item 6) ----


def _op(name: str, rule: Callable[..., Any]) -> Callable[..., Any]:
    """An op made by ops.define (no custom_op checks in between): z = 2x, with `rule`."""
    return ops.define(name, lambda x: 2.0 * x, rule, arity=1)


def test_a_rule_returning_an_array_is_a_type_error_naming_the_op() -> None:
    twice = _op("twice_array", lambda g, z, x: (np.array([g, g]),))
    x = Value(1.0)
    with pytest.raises(TypeError, match=r"twice_array.*input 0.*array of shape \(2,\)"):
        twice(x).backward()


@pytest.mark.parametrize(
    "contribution",
    [np.array(2.0), np.float64(2.0), np.float32(2.0), 2, np.int64(2), Fraction(2, 1)],
    ids=["0-d array", "float64", "float32", "int", "int64", "Fraction"],
)
def test_a_real_contribution_of_any_type_leaves_a_python_float(contribution: object) -> None:
    twice = _op("twice_real", lambda g, z, x: (contribution,))
    x = Value(1.0)
    y = twice(x)
    y.backward()
    assert type(x.grad) is float and x.grad == 2.0
    (dx,) = grad(y, [x])
    assert type(dx) is float and dx == 2.0
    assert [type(s.grad) for s in backward_steps(y)] == [float, float]


@pytest.mark.parametrize("flag", [True, np.bool_(False)], ids=["bool", "numpy bool"])
def test_a_bool_contribution_is_a_type_error_that_calls_it_a_bool(flag: object) -> None:
    twice = _op("twice_bool", lambda g, z, x: (flag,))
    with pytest.raises(TypeError, match="twice_bool.*a bool") as caught:
        twice(Value(1.0)).backward()
    assert "complex" not in str(caught.value)


def test_a_custom_ops_bool_contribution_is_not_called_a_complex_number() -> None:
    compare = custom_op("compare", lambda x: x, lambda g, z, x: (x > 0.0,))
    with pytest.raises(TypeError, match="'compare'.*a bool") as caught:
        compare(Value(1.0)).backward()
    assert "complex" not in str(caught.value)


@pytest.mark.parametrize(
    "contribution,words",
    [(1j, "complex number 1j"), ("2", "str: '2'"), (Value(2.0), "a Value in a plain")],
)
def test_a_contribution_that_is_not_a_real_number_names_the_op(
    contribution: object, words: str
) -> None:
    twice = _op("twice_bad", lambda g, z, x: (contribution,))
    with pytest.raises(TypeError, match=f"twice_bad.*{re.escape(words)}"):
        twice(Value(1.0)).backward()


def test_a_rule_returning_a_value_under_create_graph_keeps_the_graph() -> None:
    x = Value(1.5)
    square = _op("square_value", lambda g, z, x: (g * 2.0 * x,))  # only the rule (x²) counts
    (dx,) = grad(square(x), [x], create_graph=True)
    assert dx.data == 3.0 and grad(dx, [x]) == [2.0]


def test_a_hook_returning_a_value_in_a_plain_pass_leaves_floats() -> None:
    x = Value(1.0)
    y = x * 2.0
    y.register_hook(lambda g: Value(5.0))
    y.backward()
    assert type(y.grad) is float and y.grad == 5.0
    assert type(x.grad) is float and x.grad == 10.0


def test_a_hook_returning_a_value_under_create_graph_stays_in_the_graph() -> None:
    x = Value(3.0)
    y = x * x
    y.register_hook(lambda g: g * x)  # d/dx of the result: x·(2x) -> 4x = 12
    (dx,) = grad(y, [x], create_graph=True)
    assert dx.data == 18.0 and grad(dx, [x]) == [12.0]


@pytest.mark.parametrize(
    "sent,words",
    [((), "0 contribution"), ((1.0, 1.0), "2 contribution"), (1.0, "1.0"), (None, "None")],
)
def test_a_rule_with_the_wrong_number_of_contributions_is_a_value_error(
    sent: object, words: str
) -> None:
    twice = _op("twice_count", lambda g, z, x: sent)
    with pytest.raises(ValueError, match=f"twice_count.*{words}.*for 1 input"):
        twice(Value(1.0)).backward()
    with pytest.raises(ValueError, match="twice_count"):
        list(backward_steps(twice(Value(1.0))))
    with pytest.raises(ValueError, match="twice_count"):
        grad(twice(Value(1.0)), [Value(1.0)], create_graph=True)


def test_a_rule_may_return_a_list_of_one_contribution_per_parent() -> None:
    twice = _op("twice_list", lambda g, z, x: [2.0 * g])
    x = Value(1.0)
    twice(x).backward()
    assert x.grad == 2.0


# ---- a contribution of None sends nothing (issue 18, item 7) ----


def _stop() -> Callable[..., Any]:
    """z = x, sending no gradient back (None, as torch's backward returns for an input)."""
    return ops.define("stop", lambda x: x, lambda g, z, x: (None,), arity=1)


def test_a_none_contribution_sends_nothing_not_a_zero_that_becomes_nan() -> None:
    x = Value(0.0)
    y = _stop()(x.sqrt())  # sqrt'(0) = inf: a zero sent back through it would be 0·inf = nan
    assert grad(y, [x]) == [0.0]
    y.backward()
    assert x.grad == 0.0
    (dx,) = grad(y, [x], create_graph=True)
    assert isinstance(dx, Value) and dx.data == 0.0


def test_a_none_contribution_matches_torch_detach() -> None:
    torch = pytest.importorskip("torch")
    t = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    ty = torch.sqrt(t).detach() + t * 3.0
    ty.backward()
    x = Value(0.0)
    (_stop()(x.sqrt()) + x * 3.0).backward()
    assert x.grad == t.grad.item() == 3.0


def test_a_node_no_gradient_reaches_keeps_its_hooks_silent_and_its_steps_readable() -> None:
    x = Value(4.0, "x")
    root = x.sqrt()
    called: list[float] = []
    root.register_hook(called.append)
    y = _stop()(root)
    y.label = "y"
    steps = list(backward_steps(y))
    assert called == []
    assert [s.grad for s in steps] == [1.0, 0.0, 0.0]  # y, √x, x: outputs first
    assert "(sends no gradient)" in str(steps[0]) and "(sends no gradient)" in str(steps[1])
    assert "(leaf: gradient complete)" in str(steps[2]) and x.grad == 0.0


def test_the_page_says_no_gradient_flows_through_an_op_that_sends_none() -> None:
    x = Value(4.0, "x")
    y = _stop()(x.sqrt() * 2.0)
    frames = playback(y).frames
    texts = "\n".join(frame.text for frame in frames if frame.phase == "backward")
    assert "x: no gradient flows back to it from here" in texts


# ---- constants bound to a rule are told apart by their bits (issue 18, item 8) ----


def test_leaky_relu_with_slope_minus_zero_after_slope_zero_keeps_its_sign() -> None:
    x = Value(-1.0)
    assert _bits(grad(ops.leaky_relu(x, 0.0), [x])[0]) == _bits(1.0 * 0.0)
    assert _bits(grad(ops.leaky_relu(x, -0.0), [x])[0]) == _bits(1.0 * -0.0)  # g·slope = -0.0
    assert _bits(grad(ops.leaky_relu(x, 0.0), [x])[0]) == _bits(0.0)  # and back again


def test_leaky_relu_with_slope_minus_zero_matches_torch_in_eager_and_in_replay() -> None:
    torch = pytest.importorskip("torch")
    x = Value(-1.0)
    ops.leaky_relu(x, 0.0)  # bind the rule for +0.0 first, as the adversarial pass did
    t = torch.tensor(-1.0, dtype=torch.float64, requires_grad=True)
    tz = torch.nn.functional.leaky_relu(t, -0.0)
    tz.backward()
    z = ops.leaky_relu(x, -0.0)
    assert _bits(z.data) == _bits(tz.item()) and _bits(grad(z, [x])[0]) == _bits(t.grad.item())
    prog = trace(lambda a: ops.leaky_relu(a, -0.0), -1.0)
    out, (dx,), _ = prog.grad(-1.0)
    assert _bits(out) == _bits(tz.item()) and _bits(dx) == _bits(t.grad.item())


def test_power_minus_zero_after_power_zero_shows_its_own_op() -> None:
    x = Value(2.0)
    assert (x**0.0).op == "**0" and (x**-0.0).op == "**-0"


def test_a_nan_constant_is_bound_once() -> None:
    x = Value(-1.0)
    first = ops.leaky_relu(x, math.nan)._backward
    assert ops.leaky_relu(x, float("nan"))._backward is first


def _bits(x: float) -> bytes:
    return struct.pack("<d", x)


# ---- a subclass of Value works wherever a Value does (issue 18, item 10) ----


class Tagged(Value):
    """A user's subclass, as in `class Tagged(Value): pass`, with an attribute of its own."""

    def __init__(self, data: float, tag: str = "") -> None:
        super().__init__(data)
        self.tag = tag


def test_a_subclass_times_a_number_is_a_node_not_a_recursion() -> None:
    x = Tagged(2.0)
    y = x * 3.0
    assert type(y) is Value and y.data == 6.0 and y.op == "*" and y.parents[0] is x
    y.backward()
    assert x.grad == 3.0


def test_a_subclass_method_records_a_node_instead_of_returning_a_float() -> None:
    x = Tagged(2.0)
    y = x.exp()
    assert isinstance(y, Value) and y.op == "exp" and y.data == math.exp(2.0)
    assert grad(y, [x]) == [math.exp(2.0)]


@pytest.mark.parametrize("name", sorted(UNARY))
def test_every_unary_op_on_a_subclass_equals_the_op_on_a_value(name: str) -> None:
    apply = UNARY[name][0]
    for point in (0.3, 1.7):
        plain, tagged = Value(point), Tagged(point, "t")
        _same_graph(apply(plain), apply(tagged), [plain], [tagged])


@pytest.mark.parametrize("name", sorted(BINARY))
def test_every_binary_op_on_subclasses_equals_the_op_on_values(name: str) -> None:
    apply = BINARY[name][0]
    for left, right in itertools.product((Value, Tagged, float), repeat=2):
        if left is float and right is float:
            continue
        a, b = left(0.7), right(1.3)
        pa, pb = Value(0.7), Value(1.3)
        chosen = [v for v in (a, b) if isinstance(v, Value)]
        plain = [p for p, v in ((pa, a), (pb, b)) if isinstance(v, Value)]
        _same_graph(
            apply(pa if left is not float else 0.7, pb if right is not float else 1.3),
            apply(a, b),
            plain,
            chosen,
        )


@pytest.mark.parametrize("name", sorted(NARY))
def test_every_nary_op_on_subclasses_equals_the_op_on_values(name: str) -> None:
    apply = NARY[name][0]
    points = [0.5, -1.5, 2.0, 3.0]
    plain = [Value(p) for p in points]
    tagged = [Tagged(p) for p in points]
    _same_graph(apply(plain), apply(tagged), plain, tagged)


def test_a_subclass_exponent_is_differentiated_not_frozen() -> None:
    x, y = Tagged(2.0), Tagged(3.0)
    assert grad(x**y, [x, y]) == [3.0 * 2.0**2, 2.0**3 * math.log(2.0)]
    assert grad(2.0**y, [y]) == [2.0**3 * math.log(2.0)]


def test_second_derivatives_through_a_subclass() -> None:
    x = Tagged(0.4)
    (d1,) = grad(x.tanh() * x, [x], create_graph=True)
    (d2,) = grad(d1, [x])
    t = math.tanh(0.4)
    assert d2 == pytest.approx(2 * (1 - t * t) - 2 * 0.4 * t * (1 - t * t), rel=1e-14)


def test_a_custom_op_and_a_hook_take_a_subclass() -> None:
    cube = custom_op("cube", lambda x: x**3, lambda g, z, x: (g * 3.0 * x * x,))
    x = Tagged(2.0)
    y = cube(x)
    y.register_hook(lambda g: Tagged(2.0 * float(g)))
    (d,) = grad(y, [x], create_graph=True)
    assert d.data == 24.0


def _same_graph(
    plain: Value, tagged: Value, plain_inputs: list[Value], inputs: list[Value]
) -> None:
    """The result on subclasses has the data, op and gradients of the result on Values."""
    assert isinstance(tagged, Value)
    assert _bits(tagged.data) == _bits(plain.data) and tagged.op == plain.op
    assert [_bits(g) for g in grad(tagged, inputs)] == [_bits(g) for g in grad(plain, plain_inputs)]


# ---- what the docstrings say holds (issue 18, item 15) ----


def test_a_custom_rule_written_with_math_has_no_second_derivative_as_documented() -> None:
    assert "has no second derivative" in " ".join((custom_op.__doc__ or "").split())
    with_math = custom_op("exp_math", math.exp, lambda g, z, x: (g * math.exp(x),))
    with_ops = custom_op("exp_ops", math.exp, lambda g, z, x: (g * ops.exp(x),))
    x = Value(1.0)
    (d_math,) = grad(with_math(x), [x], create_graph=True)
    (d_ops,) = grad(with_ops(x), [x], create_graph=True)
    assert d_math.data == d_ops.data == math.exp(1.0)  # the first derivative is right either way
    assert grad(d_math, [x]) == [0.0]  # math.exp(x) was a constant of the graph
    assert grad(d_ops, [x]) == [math.exp(1.0)]


def test_a_program_replays_without_raising_inside_detect_anomaly_as_documented() -> None:
    assert "does not raise" in " ".join((detect_anomaly.__doc__ or "").split())
    prog = trace(lambda a: a.log(), 1.0)
    with detect_anomaly():
        out = prog(np.array([0.0, -1.0]))
        with pytest.raises(FloatingPointError, match="log"):  # eagerly, the same input raises
            Value(0.0).log()
    assert out[0] == -math.inf and math.isnan(out[1])


def test_a_custom_rule_may_send_none_to_an_input_no_gradient_flows_to() -> None:
    stop_second = custom_op("stop_second", lambda x, y: x + y, lambda g, z, x, y: (g, None))
    x = Value(0.0)
    y = stop_second(x, x.sqrt())  # z = x + stop(√x): dz/dx = 1, with no 0·inf from √x
    assert grad(y, [x]) == [1.0]
    assert "(None for an input no gradient flows to" in (custom_op.__doc__ or "")
