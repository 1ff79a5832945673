"""The engine under hostile use: modes, odd contributions, signed zeros, subclasses.

Each test here reproduces a defect found by an adversarial pass (issue 18) and checks the
behaviour against a hand-derived value, central differences or PyTorch.
"""

from __future__ import annotations

import pytest

from autograd import Value, grad, gradcheck, no_grad

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
