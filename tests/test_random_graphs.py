"""Property tests: random graphs that reuse nodes, against central differences and PyTorch.

A graph is a list of steps (op, i, j): node k = op(node i, node j) over the nodes so far, so a
node can feed many later ones (and one op can take the same node twice). The same list is run on
Values, on plain floats (for central differences) and on torch float64 tensors.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograd import Value, backward_steps, grad, topological_order
from tests.oracles import central_difference, same

# Ops that are smooth everywhere on the reals (so central differences are a fair oracle):
# (name, on Values/tensors, on floats)
SMOOTH_OPS = [
    ("add", lambda a, b: a + b, lambda a, b: a + b),
    ("sub", lambda a, b: a - b, lambda a, b: a - b),
    ("mul", lambda a, b: a * b, lambda a, b: a * b),
    ("div", lambda a, b: a / (b * b + 1.0), lambda a, b: a / (b * b + 1.0)),
    ("tanh", lambda a, b: (a * 0.5).tanh() + b, lambda a, b: math.tanh(a * 0.5) + b),
    ("sigmoid", lambda a, b: a.sigmoid() * b, lambda a, b: b / (1 + math.exp(-a))),
    ("sin", lambda a, b: a.sin() - b.cos(), lambda a, b: math.sin(a) - math.cos(b)),
    ("exp", lambda a, b: (a.tanh()).exp() * b, lambda a, b: math.exp(math.tanh(a)) * b),
    ("log", lambda a, b: (a * a + 1.0).log() + b, lambda a, b: math.log(a * a + 1.0) + b),
    ("sqrt", lambda a, b: (b * b + 0.5).sqrt() * a, lambda a, b: math.sqrt(b * b + 0.5) * a),
    ("pow", lambda a, b: (a * a + 0.5) ** (b.tanh()), lambda a, b: (a * a + 0.5) ** math.tanh(b)),
    ("square", lambda a, b: a**2 - b, lambda a, b: a**2 - b),
    (
        "softplus",
        lambda a, b: _softplus(a) + b * 0.5,
        lambda a, b: math.log1p(math.exp(a)) + b * 0.5,
    ),
]


def _softplus(a):  # type: ignore[no-untyped-def]
    if isinstance(a, Value):
        return a.softplus()
    import torch

    return torch.nn.functional.softplus(a)


@st.composite
def graphs(draw):  # type: ignore[no-untyped-def]
    n_inputs = draw(st.integers(1, 4))
    inputs = draw(st.lists(st.floats(-2.0, 2.0), min_size=n_inputs, max_size=n_inputs))
    steps = []
    for k in range(draw(st.integers(1, 12))):
        size = n_inputs + k
        op = draw(st.integers(0, len(SMOOTH_OPS) - 1))
        steps.append((op, draw(st.integers(0, size - 1)), draw(st.integers(0, size - 1))))
    return inputs, steps


def run(steps, nodes):  # type: ignore[no-untyped-def]
    nodes = list(nodes)
    for op, i, j in steps:
        nodes.append(SMOOTH_OPS[op][1](nodes[i], nodes[j]))
    return nodes[-1]


def run_floats(steps, xs):  # type: ignore[no-untyped-def]
    nodes = list(xs)
    for op, i, j in steps:
        nodes.append(SMOOTH_OPS[op][2](nodes[i], nodes[j]))
    return nodes[-1]


def bounded(x: float) -> bool:
    return math.isfinite(x) and abs(x) < 1e6


FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(graphs())
def test_random_graphs_match_central_differences(graph) -> None:  # type: ignore[no-untyped-def]
    inputs, steps = graph
    leaves = [Value(x) for x in inputs]
    out = run(steps, leaves)
    if not bounded(out.data):
        return
    out.backward()
    for k, leaf in enumerate(leaves):
        numeric = central_difference(lambda xs: run_floats(steps, xs), inputs, k, eps=1e-6)
        assert math.isclose(leaf.grad, numeric, rel_tol=1e-4, abs_tol=1e-5), (k, steps)


@FAST
@given(graphs())
def test_random_graphs_match_torch_on_every_node(graph) -> None:  # type: ignore[no-untyped-def]
    torch = pytest.importorskip("torch")
    inputs, steps = graph
    leaves = [Value(x) for x in inputs]
    out = run(steps, leaves)
    tleaves = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in inputs]
    tout = run(steps, tleaves)
    assert same(out.data, tout.item(), rel=1e-12)
    out.backward()
    tout.backward()
    for leaf, t in zip(leaves, tleaves):
        tg = 0.0 if t.grad is None else t.grad.item()
        assert same(leaf.grad, tg, rel=1e-10, abs_=1e-12), (leaf.grad, tg, steps)


@settings(max_examples=60, deadline=None)
@given(graphs())
def test_random_second_derivatives_match_torch(graph) -> None:  # type: ignore[no-untyped-def]
    torch = pytest.importorskip("torch")
    inputs, steps = graph
    leaves = [Value(x) for x in inputs]
    first = grad(run(steps, leaves), leaves, create_graph=True)
    tleaves = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in inputs]
    tfirst = torch.autograd.grad(run(steps, tleaves), tleaves, create_graph=True, allow_unused=True)
    for k in range(len(inputs)):
        t_k = tfirst[k]
        if t_k is None or not t_k.requires_grad:
            assert same(float(first[k].data), 0.0 if t_k is None else t_k.item())
            continue
        ours = grad(first[k], leaves)
        theirs = torch.autograd.grad(t_k, tleaves, allow_unused=True, retain_graph=True)
        for a, b in zip(ours, theirs):
            b = 0.0 if b is None else b.item()
            if bounded(a) or bounded(b):
                assert same(a, b, rel=1e-9, abs_=1e-10), (k, a, b, steps)


@FAST
@given(graphs())
def test_steps_and_backward_agree_on_every_node(graph) -> None:  # type: ignore[no-untyped-def]
    inputs, steps = graph
    a = run(steps, [Value(x) for x in inputs])
    b = run(steps, [Value(x) for x in inputs])
    a.backward()
    for _ in backward_steps(b):
        pass
    for na, nb in zip(topological_order(a), topological_order(b)):
        assert same(na.grad, nb.grad, rel=0.0)
