"""Inputs the engine accepts and refuses, as DESIGN.md says: each wrong one at the call, with
the right error type and a message that names what came in."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest

from autograd import Value, backward_steps, ops, topological_order


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
