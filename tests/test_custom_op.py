"""Your own ops: closed forms, central differences, torch, second derivatives, each tool, errors."""

from __future__ import annotations

import math
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import autograd as ag
from autograd import (
    Value,
    backward_steps,
    custom_op,
    detect_anomaly,
    grad,
    gradcheck,
    ops,
    to_dot,
    trace,
)
from tests.oracle import Case, torch_float64
from tests.oracles import central_difference, same

ROOT = Path(__file__).resolve().parent.parent


# z = eˣ        dz/dx = eˣ = z          (the micrograd lecture's exercise, the stepgrad way)
def exp_forward(x: float) -> float:
    return math.exp(x)


def exp_rule(g, z, x):  # type: ignore[no-untyped-def]
    return (g * z,)


my_exp = custom_op("my_exp", exp_forward, exp_rule)


# z = x·y + sin(x)        dz/dx = y + cos x        dz/dy = x
def xy_sin_rule(g, z, x, y):  # type: ignore[no-untyped-def]
    return g * (y + ops.cos(x)), g * x


xy_sin = custom_op("xy+sin", lambda x, y: x * y + math.sin(x), xy_sin_rule)


# z = |x|³ with a branch written as ops.where        dz/dx = 3x|x|
def abs_cube_rule(g, z, x):  # type: ignore[no-untyped-def]
    return (ops.where(x >= 0.0, g * 3.0 * x * x, -g * 3.0 * x * x),)


abs_cube = custom_op("abs_cube", lambda x: ops.abs(x) ** 3, abs_cube_rule)


@pytest.mark.parametrize("x", [-2.0, -0.3, 0.0, 0.7, 3.1])
def test_custom_exp_matches_the_closed_form_and_central_differences(x: float) -> None:
    v = Value(x)
    y = my_exp(v)
    y.backward()
    assert y.op == "my_exp" and y.parents == (v,)
    assert y.data == math.exp(x) and v.grad == math.exp(x)
    numeric = central_difference(lambda p: my_exp(p[0]), [x], 0)
    assert math.isclose(v.grad, numeric, rel_tol=1e-7)


@pytest.mark.parametrize("x,y", [(0.5, -1.0), (-2.0, 3.0), (1.3, 0.2)])
def test_a_two_input_op_sends_each_input_its_share(x: float, y: float) -> None:
    a, b = Value(x), Value(y)
    z = xy_sin(a, b)
    z.backward()
    assert z.op == "xy+sin" and z.data == x * y + math.sin(x)
    assert same(a.grad, y + math.cos(x)) and same(b.grad, x)
    assert gradcheck(lambda p, q: xy_sin(p, q) * p, [x, y])


def test_custom_ops_mix_with_numbers_in_any_position_and_numbers_give_numbers() -> None:
    a = Value(2.0)
    left, right = xy_sin(3.0, a), xy_sin(a, 3.0)
    assert left.data == 6.0 + math.sin(3.0) and right.data == 6.0 + math.sin(2.0)
    assert isinstance(left.parents[0], Value) and left.parents[0].data == 3.0
    assert xy_sin(1.0, 2.0) == 2.0 + math.sin(1.0)  # numbers alone: a number, no node


@pytest.mark.parametrize("x", [-1.5, -0.2, 0.4, 2.0])
def test_second_derivatives_come_through_the_rule(x: float) -> None:
    v = Value(x)
    (first,) = grad(abs_cube(v), [v], create_graph=True)
    (second,) = grad(first, [v])
    assert same(first.data, 3.0 * x * abs(x)) and same(second, 6.0 * abs(x))
    (d1,) = grad(my_exp(v * v), [v], create_graph=True)
    (d2,) = grad(d1, [v])
    assert same(d2, (2.0 + 4.0 * x * x) * math.exp(x * x))


def second_derivative_in_torch(torch, x: float) -> list[float]:  # type: ignore[no-untyped-def]
    """torch's first and second derivative of x·eˣ + sin x (what xy_sin(v, my_exp(v)) computes)."""
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    (first,) = torch.autograd.grad(t * t.exp() + t.sin(), t, create_graph=True)
    (second,) = torch.autograd.grad(first, t)
    return [first.item(), second.item()]


@pytest.mark.parametrize("x", [-1.5, 0.4, 2.0])
def test_custom_ops_match_torch_first_and_second_derivatives(x: float) -> None:
    v = Value(x)
    (first,) = grad(xy_sin(v, my_exp(v)), [v], create_graph=True)
    (second,) = grad(first, [v])
    for source, (tf, ts) in torch_float64(second_derivative_in_torch, x):
        assert same(first.data, tf, rel=1e-13) and same(second, ts, rel=1e-13), source


def torch_cases() -> Iterator[Case]:
    """Every (fn, args) this module compares with torch; tests/oracle/record.py records them."""
    yield from ((second_derivative_in_torch, (x,)) for x in [-1.5, 0.4, 2.0])


def test_backward_steps_name_the_custom_op_and_its_rule_is_a_named_frame() -> None:
    x = Value(0.5, "x")
    y = xy_sin(x, 2.0)
    text = [str(step) for step in backward_steps(y)]
    assert text[0].startswith("step 1/3  #3 = xy+sin(x, #2)")
    assert y._backward.__name__ == "xy_sin_backward"
    assert y._backward.__code__.co_name == "xy_sin_backward"  # what a debugger's stack shows


def test_a_debugger_stack_shows_the_op_by_name() -> None:
    script = textwrap.dedent(
        """
        import traceback
        from autograd import Value, custom_op
        def rule(g, z, x):
            traceback.print_stack()
            return (g * 2.0,)
        double = custom_op("double", lambda x: 2.0 * x, rule)
        double(Value(1.0)).backward()
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert "in double_backward" in done.stderr and "in rule" in done.stderr


def test_anomaly_mode_names_the_custom_op() -> None:
    bad_rule = custom_op("sqrtish", math.sqrt, lambda g, z, x: (ops.div(g, 2.0 * z),))
    with detect_anomaly():
        y = bad_rule(Value(0.0))
        with pytest.raises(FloatingPointError, match=r"'sqrtish' \(sqrtish_backward\) sent inf"):
            y.backward()
    ieee_exp = custom_op("ieee_exp", ops.exp, exp_rule)  # ops.exp gives inf where math raises
    with (
        detect_anomaly(),
        pytest.raises(FloatingPointError, match="forward op 'ieee_exp' made inf"),
    ):
        ieee_exp(Value(1000.0))


def test_drawings_show_the_custom_op_by_name() -> None:
    y = xy_sin(Value(1.0, "a"), Value(2.0, "b"))
    assert "label=<xy+sin>" in to_dot(y).source  # an HTML-like label: text escaped, never markup


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_the_animated_page_plays_a_custom_op_with_its_rule() -> None:
    from autograd.viz import animate

    a, b = Value(1.0, "a"), Value(2.0, "b")
    z = xy_sin(a, b)
    z.label = "z"
    page = animate(z, forward=True, params=[a, b], lr=0.1)
    assert "xy+sin" in page.html and page.frames == 3 + 1 + 3 + 1  # forward, error, back, update
    assert a.grad == 0.0 and b.grad == 0.0  # animate touches no .grad
    (da,) = grad(z, [a])
    assert f"{da:.4g}" in page.html  # dz/da = b + cos a, as the rule sends it


def test_trace_runs_a_custom_op_on_batches_with_its_own_rule() -> None:
    prog = trace(lambda x, y: xy_sin(x, y) + abs_cube(x), 0.5, 1.0)
    xs, ys = np.array([-1.0, 0.0, 2.0]), np.array([0.5, 1.0, -3.0])
    out, (gx, gy), _ = prog.grad(xs, ys)
    for i in range(3):
        a, b = Value(xs[i]), Value(ys[i])
        z = xy_sin(a, b) + abs_cube(a)
        z.backward()
        assert out[i] == z.data and gx[i] == a.grad and gy[i] == b.grad
    # each rule ran on symbolic arrays: the program holds its formula, not a call
    assert "where(x >= 0.0, g_t4 * 3.0 * x * x, -g_t4 * 3.0 * x * x)" in prog.source
    assert "g_t3 * (y + cos(x))" in prog.source and "your rule" in prog.source


def test_a_rule_with_the_wrong_number_of_contributions_names_the_op_at_backward() -> None:
    bad = custom_op("bad2", lambda x, y: x * y, lambda g, z, x, y: (g * y,))
    z = bad(Value(1.0), Value(2.0))  # building is fine: the rule runs only in backward
    with pytest.raises(ValueError, match=r"custom op 'bad2': its rule returned 1 contribution"):
        z.backward()
    worse = custom_op("bad3", lambda x: x, lambda g, z, x: "oops")
    with pytest.raises(ValueError, match="'bad3'.*tuple of 1"):
        worse(Value(1.0)).backward()
    forgot = custom_op("bad4", lambda x: x, lambda g, z, x: None)  # a missing `return`
    with pytest.raises(ValueError, match="'bad4'.*returned NoneType None.*tuple of 1"):
        forgot(Value(1.0)).backward()


def test_a_bare_contribution_is_accepted_for_one_input() -> None:
    double = custom_op("double", lambda x: 2.0 * x, lambda g, z, x: 2.0 * g)
    x = Value(3.0)
    double(x).backward()
    assert x.grad == 2.0


@pytest.mark.parametrize(
    "args,error,message",
    [
        ((3, math.exp, exp_rule), TypeError, "str name, got int"),
        (("", math.exp, exp_rule), ValueError, "non-empty name"),
        (("  ", math.exp, exp_rule), ValueError, "non-empty name"),
        (("e", 3.0, exp_rule), TypeError, "forward must be callable, got float"),
        (("e", math.exp, None), TypeError, "rule must be callable, got NoneType"),
        (("e", lambda: 1.0, exp_rule), ValueError, "forward takes no inputs"),
    ],
)
def test_bad_custom_op_arguments_fail_at_the_call(args, error, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=message):
        custom_op(*args)


def test_a_forward_that_returns_no_number_is_caught_naming_the_op() -> None:
    wrong = custom_op("wrong", lambda x: "a", exp_rule)
    with pytest.raises(TypeError, match="custom op 'wrong': forward needs a real number, got str"):
        wrong(Value(1.0))
    calls_three = custom_op("three", lambda a, b, c: a + b + c, lambda g, z, a, b, c: (g, g, g))
    with pytest.raises(TypeError, match=r"three\(\) takes 3 inputs, got 2"):
        calls_three(Value(1.0), 2.0)


def test_the_builtin_ops_are_made_by_the_same_mechanism() -> None:
    for name in ["add", "mul", "div", "pow", "tanh", "exp", "relu", "softplus"]:
        op = getattr(ops, name)
        assert ops.op_of(op.rule) is op and op.__name__ == name
    assert ag.custom_op.__module__ == "autograd.custom"


def test_custom_ops_made_and_dropped_in_a_loop_leave_nothing_behind() -> None:
    import gc
    import weakref

    rules = []
    for k in range(50):
        op = custom_op(f"tmp{k}", lambda x: x * 2.0, lambda g, z, x: (g * 2.0,))
        op(Value(1.0)).backward()
        rules.append(weakref.ref(op.rule))
        del op
    gc.collect()
    assert all(r() is None for r in rules)


@pytest.mark.parametrize(
    "rule,message",
    [
        (lambda g, z, x: (g / (3 * x ** (2 / 3)),), "the complex number"),
        (lambda g, z, x: ("a",), "str: 'a'"),
        (lambda g, z, x: ([1.0],), "list: \\[1.0\\]"),
        (lambda g, z, x: (Value(1.0),), "a Value in a plain backward pass"),
    ],
)
def test_a_contribution_that_is_not_a_real_number_names_the_op(rule, message) -> None:  # type: ignore[no-untyped-def]
    # found by review: a textbook cube root sent a complex number into .grad
    op = custom_op("cbrt", lambda x: math.copysign(abs(x) ** (1 / 3), x), rule)
    x = Value(-8.0)
    with pytest.raises(
        TypeError, match=f"custom op 'cbrt': its rule's contribution 0 is.*{message}"
    ):
        op(x).backward()


def test_numpy_contributions_become_floats_in_a_plain_pass() -> None:
    import numpy as np

    op = custom_op("f32", lambda x: 2.0 * x, lambda g, z, x: (np.float32(2.0) * np.float32(g),))
    x = Value(1.0)
    op(x).backward()
    assert type(x.grad) is float and x.grad == 2.0
