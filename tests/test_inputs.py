"""Inputs the engine accepts and refuses, as DESIGN.md says: each wrong one at the call, with
the right error type and a message that names what came in."""

from __future__ import annotations

import math
import re
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest

from autograd import Value, _checks, backward_steps, grad, ops, to_dot, topological_order, zero_grad
from nn import SGD, l2_penalty, mse_loss


class FakeTensor:
    """What to_float sees of a torch tensor: shape, a dtype without NumPy's `kind`, item()."""

    class dtype:  # noqa: N801
        is_complex = False

    def __init__(self, values: list[float], shape: tuple[int, ...]) -> None:
        self.values, self.shape = values, shape

    def item(self) -> float:
        assert len(self.values) == 1
        return self.values[0]

    def __float__(self) -> float:
        return self.item()


@pytest.mark.parametrize(
    "x,expected",
    [
        (Decimal("1.5"), 1.5),
        (Fraction(3, 4), 0.75),
        (np.float32(0.5), 0.5),
        (np.int64(-3), -3.0),
        (np.bool_(True), 1.0),
        (FakeTensor([2.5], ()), 2.5),
        (FakeTensor([-1.0], (1,)), -1.0),
        (FakeTensor([4.0], (1, 1)), 4.0),
    ],
)
def test_real_numbers_of_every_kind_are_accepted(x: object, expected: float) -> None:
    v = Value(x)
    assert type(v.data) is float and v.data == expected


def test_torch_scalars_and_one_element_tensors_are_accepted_and_larger_ones_refused() -> None:
    torch = pytest.importorskip("torch")
    assert Value(torch.tensor(2.5, dtype=torch.float64)).data == 2.5
    assert Value(torch.tensor([1.5])).data == 1.5
    with pytest.raises(TypeError, match=r"array of shape \(2,\)"):
        Value(torch.tensor([1.0, 2.0]))
    with pytest.raises(TypeError, match="complex"):
        Value(torch.tensor(1 + 2j))


def test_tensor_like_arrays_of_several_numbers_are_refused_naming_the_shape() -> None:
    with pytest.raises(TypeError, match=r"shape \(2,\)"):
        Value(FakeTensor([1.0, 2.0], (2,)))


@pytest.mark.parametrize(
    "make",
    [
        lambda v: v + 10**400,
        lambda v: 10**400 * v,
        lambda v: v - 10**5000,  # too long even to print under Python's digit limit
        lambda v: Value(10**400),
        lambda v: v ** (10**400),
    ],
)
def test_integers_too_large_for_a_float_are_a_value_error(make) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="too large for a float64"):
        make(Value(1.0))


def test_data_and_label_are_checked_at_the_assignment() -> None:
    v = Value(1.0)
    v.data = 3
    assert type(v.data) is float and v.data == 3.0
    v.data = np.float32(0.25)
    assert type(v.data) is float and v.data == 0.25
    with pytest.raises(TypeError, match=r"Value.data = \.\.\. needs a real number, got str"):
        v.data = "2"  # type: ignore[assignment]
    with pytest.raises(TypeError, match="got list"):
        v.data = [1.0]  # type: ignore[assignment]
    assert v.data == 0.25  # unchanged by the refused assignments
    v.label = "weight"
    with pytest.raises(TypeError, match="Value.label must be a str, got int"):
        v.label = 3  # type: ignore[assignment]
    assert v.label == "weight"


def test_op_functions_turn_a_number_beside_a_value_into_a_leaf_in_either_place() -> None:
    v = Value(3.0)
    for out in (ops.pow(2.0, v), ops.add(1.0, v), ops.div(6.0, v), ops.mul(v, 2)):
        assert isinstance(out, Value) and out.parents[-1] is v or out.parents[0] is v
    assert ops.pow(2.0, v).data == 8.0 and ops.pow(2.0, v).op == "**"
    assert ops.tanh(0.5) == math.tanh(0.5) and type(ops.exp(1.0)) is float


@pytest.mark.parametrize(
    "call,error,message",
    [
        (lambda: backward_steps(None), TypeError, "needs a Value, got NoneType"),  # type: ignore[arg-type]
        (lambda: backward_steps(Value(1.0), "a"), TypeError, "backward_steps.grad. needs a real"),
        (lambda: Value(1.0).leaky_relu("a"), TypeError, r"leaky_relu\(slope\) needs a real"),
        (lambda: Value(1.0) ** "a", TypeError, "exponent needs a real number, got str"),
        (lambda: ops.pow_const(Value(1.0), None), TypeError, "got NoneType"),
        (lambda: Value(1.0).backward("x"), TypeError, r"backward\(grad\) needs a real"),
        (lambda: topological_order(2.0), TypeError, "needs a Value, got float"),  # type: ignore[arg-type]
    ],
)
def test_wrong_inputs_fail_at_the_call_not_later(call, error, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=message):
        call()


def test_relu_of_negative_zero_is_negative_zero_as_torch() -> None:
    z = Value(-0.0).relu()
    assert z.data == 0.0 and math.copysign(1.0, z.data) == -1.0
    assert (1.0 / z).data == -math.inf
    assert math.isnan(Value(math.nan).relu().data) and Value(-2.0).relu().data == 0.0


def test_an_unlabelled_node_shows_the_same_number_in_its_repr_as_in_the_steps() -> None:
    x = Value(2.0, "x")
    y = (x * 3.0).tanh()
    steps = list(backward_steps(y))
    assert str(steps[0]).startswith("step 1/4  #4 = tanh(#3)")
    assert repr(y).startswith("Value(#4, data=") and repr(x).startswith("Value(label='x'")
    assert repr(y.parents[0]).startswith("Value(#3, data=")


# ---- the one check for "a sequence of Values" (autograd/_checks.py), used by every caller ----


def test_values_accepts_any_iterable_of_values_and_a_subclass() -> None:
    class Tagged(Value):
        pass

    a, b = Value(1.0), Tagged(2.0)
    assert _checks.values("f", (a, b)) == [a, b]
    assert _checks.values("f", iter([a])) == [a]
    assert _checks.values("f", a, one=True) == [a]


def test_values_takes_a_modules_parameters_only_when_asked() -> None:
    from nn import MLP

    model = MLP(2, [1], seed=0)
    assert _checks.values("f", model, modules=True) == model.parameters()
    with pytest.raises(TypeError, match=r"f needs a list of Values, got MLP.*model.parameters\(\)"):
        _checks.values("f", model)


@pytest.mark.parametrize(
    "items,error,message",
    [
        ("ab", TypeError, "f needs a list of Values, got str: 'ab'"),
        ({"w": 1.0}, TypeError, r"got dict.*pass list\(d.values\(\)\)"),
        (Value(1.0), TypeError, r"got one Value; pass \[item\]"),
        ([Value(1.0), 2.0], TypeError, "f item 1 must be a Value, got float: 2.0; why"),
        ([], ValueError, "f got an empty list; pass at least one item"),
        (None, TypeError, "f needs a list of Values, got NoneType"),
    ],
)
def test_values_refuses_what_is_not_a_list_of_values_naming_it(
    items: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        _checks.values("f", items, item="item", hint="why", empty=False)


def test_every_caller_refuses_a_float_in_a_list_of_values_with_the_same_words() -> None:
    x = Value(1.0)
    calls = {
        "grad(outputs) output 1": lambda: grad([x, 2.0], [x]),
        "grad(inputs) input 0": lambda: grad(x, [2.0]),
        "zero_grad root 0": lambda: zero_grad(2.0),  # type: ignore[arg-type]
        "SGD parameter 0": lambda: SGD([2.0], 0.1),  # type: ignore[list-item]
        "l2_penalty parameter 0": lambda: l2_penalty([2.0]),  # type: ignore[list-item]
        "mse_loss prediction 0": lambda: mse_loss([2.0], [1.0]),  # type: ignore[list-item]
        "highlight node 0": lambda: to_dot(x, highlight=[2.0]),
    }
    for who, call in calls.items():
        with pytest.raises(TypeError, match=f"^{re.escape(who)} must be a Value, got float: 2.0"):
            call()
