"""Several outputs: grad(outputs, inputs, grad_outputs=...) and backward(roots, grads).

Oracles: the same weighted sum built as one output by hand (a single-output pass the rest of
the suite checks), closed forms, and torch.autograd.grad where torch is installed.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator

import pytest

import autograd as ag
from autograd import Value, backward, grad
from tests.oracle import Case, torch_float64
from tests.oracles import same


def outputs_of(x: Value, y: Value) -> list[Value]:
    shared = (x * y).tanh()  # a node every output uses
    return [shared + x, shared * y**2, (x - y).exp(), shared]


def test_grad_of_several_outputs_is_the_weighted_sum_of_their_gradients() -> None:
    x, y = Value(0.3), Value(-1.2)
    weights = [1.0, -0.5, 2.0, 0.25]
    ours = grad(outputs_of(x, y), [x, y], grad_outputs=weights)
    by_hand = ag.sum([w * o for w, o in zip(weights, outputs_of(x, y))])
    expected = grad(by_hand, [x, y])
    assert all(same(a, b, rel=1e-14) for a, b in zip(ours, expected)), (ours, expected)


def test_default_weights_are_one_and_a_single_output_still_works() -> None:
    x = Value(2.0)
    assert grad([x * x, x**3], [x]) == [4.0 + 12.0]
    assert grad(x * x, x) == [4.0] and grad(x * x, [x], grad_outputs=3.0) == [12.0]


def test_one_pass_over_the_union_visits_each_shared_node_once() -> None:
    x, y = Value(0.3), Value(-1.2)
    outs = outputs_of(x, y)
    visits: list[float] = []
    outs[3].register_hook(lambda g: visits.append(g))  # `shared`: used by outputs 0, 1 and 3
    grad(outs, [x, y], grad_outputs=[1.0, 1.0, 1.0, 1.0])
    assert len(visits) == 1  # one complete gradient, not one per output


def test_an_output_that_is_also_an_ancestor_of_another_gets_its_seed_and_its_share() -> None:
    x = Value(1.5)
    a = x * x
    b = a * 3.0
    (da_total,) = grad([a, b], [a], grad_outputs=[2.0, 1.0])
    assert da_total == 2.0 + 3.0


def test_second_derivatives_of_a_vector_jacobian_product() -> None:
    x, y = Value(0.7), Value(0.4)
    gx, gy = grad([x * y, x * x * y], [x, y], grad_outputs=[1.0, 2.0], create_graph=True)
    # gx = y + 4xy, gy = x + 2x²   ->   d gx/dx = 4y, d gx/dy = 1 + 4x
    assert same(gx.data, 0.4 + 4 * 0.7 * 0.4) and same(gy.data, 0.7 + 2 * 0.49)
    assert grad(gx, [x, y]) == pytest.approx([4 * 0.4, 1 + 4 * 0.7], rel=1e-15)
    weights = [Value(1.0), Value(2.0)]  # weights may be Values under create_graph
    gx2, _ = grad([x * y, x * x * y], [x, y], grad_outputs=weights, create_graph=True)
    assert same(grad(gx2, [weights[1]])[0], 2 * 0.7 * 0.4)


def test_module_backward_adds_the_weighted_gradients_into_grad() -> None:
    x, y = Value(0.3), Value(-1.2)
    outs = outputs_of(x, y)
    backward(outs, [1.0, -0.5, 2.0, 0.25])
    expected = grad(outputs_of(x, y), [x, y], grad_outputs=[1.0, -0.5, 2.0, 0.25])
    assert [x.grad, y.grad] == expected
    backward(outs, [1.0, -0.5, 2.0, 0.25])
    assert [x.grad, y.grad] == [2 * e for e in expected]  # twice adds exactly twice
    z = Value(3.0)
    backward(z * z)
    backward(z * z, 0.5)
    assert z.grad == 6.0 + 3.0


def vjp_outputs(a, b, c):  # type: ignore[no-untyped-def]
    s = (a * b + c).tanh()
    return [s * a, (b - c) ** 2, s, (a * c).sin() + s]


def vjp_point(seed: int) -> tuple[list[float], list[float]]:
    rng = random.Random(seed)
    return [rng.uniform(-1.5, 1.5) for _ in range(3)], [rng.uniform(-2, 2) for _ in range(4)]


def vjp_in_torch(torch, seed: int) -> list[float]:  # type: ignore[no-untyped-def]
    """torch.autograd.grad(outputs, inputs, grad_outputs) at the seed's point and weights."""
    xs, weights = vjp_point(seed)
    ts = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in xs]
    theirs = torch.autograd.grad(
        vjp_outputs(*ts), ts, grad_outputs=[torch.tensor(w, dtype=torch.float64) for w in weights]
    )
    return [t.item() for t in theirs]


@pytest.mark.parametrize("seed", range(20))
def test_vector_jacobian_products_match_torch(seed: int) -> None:
    xs, weights = vjp_point(seed)
    leaves = [Value(v) for v in xs]
    ours = grad(vjp_outputs(*leaves), leaves, grad_outputs=weights)
    for source, theirs in torch_float64(vjp_in_torch, seed):
        assert all(same(a, b, rel=1e-13) for a, b in zip(ours, theirs)), (source, ours, theirs)


def torch_cases() -> Iterator[Case]:
    """Every (fn, args) this module compares with torch; tests/oracle/record.py records them."""
    yield from ((vjp_in_torch, (seed,)) for seed in range(20))


@pytest.mark.parametrize(
    "call,error,message",
    [
        (lambda x: grad([], [x]), ValueError, "empty list; pass at least one output"),
        (lambda x: grad([x, 2.0], [x]), TypeError, "output 1 must be a Value, got float"),
        (lambda x: grad("x", [x]), TypeError, "a Value or a list of Values, got str"),
        (lambda x: grad([x, x], [x], grad_outputs=[1.0]), ValueError, "1 weights for 2 outputs"),
        (lambda x: grad([x, x], [x], grad_outputs=2.0), TypeError, "one number per output"),
        (lambda x: grad(x, [x], grad_outputs="a"), TypeError, "real number, got str"),
        (
            lambda x: grad(x, 3),
            TypeError,
            "grad.inputs. needs a Value or a list of Values, got int",
        ),
        (lambda x: grad(x, [x, "y"]), TypeError, "grad.inputs. input 1 must be a Value, got str"),
        (lambda x: backward([x], [1.0, 2.0]), ValueError, "2 weights for 1 outputs"),
        (lambda x: backward(None), TypeError, "got NoneType"),
    ],
)
def test_bad_outputs_and_weights_are_refused_at_the_call(call, error, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=message):
        call(Value(1.0))


def test_a_nan_or_inf_weight_reaches_pow_at_base_zero_as_torch() -> None:
    # torch: dz/dx = g·(y·x^(y-1)) = g·0 and dz/dy = g·0 (masked, then times g) at x = 0, y = 2,
    # so a nan or inf upstream gradient gives nan for both (0·inf = nan), not a constant 0
    x, y = Value(0.0), Value(2.0)
    for g in (math.nan, math.inf):
        dx, dy = grad(x**y, [x, y], grad_outputs=[g])
        assert math.isnan(dx) and math.isnan(dy)
