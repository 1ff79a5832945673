"""A compiled program's own names never collide with the user's (issue 22, item 1).

The oracle is the eager engine. For every name a lifted program's source uses (the kernels
and helpers it calls, the index arrays it gathers matrices with, `n`, `p`, `grad_out`, its
variables), graphs are built whose argument, parameter label or node label is that very
name; each program must give eager's numbers.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from autograd import Value, grad, ops, trace
from nn import MLP, cross_entropy, hinge_loss

ROWS = np.array([[0.3, -1.2], [1.5, 0.2], [-0.7, 0.9], [0.1, 0.05]])


def _model_loss(model: MLP) -> Callable[..., Value]:
    """A loss that reaches many kinds of line: layers, a hinge, a softmax's shift and exp, an
    L2 term over every parameter (computed once per call), a constant inf, a take."""

    def fn(x0: Value, x1: Value, y: Value) -> Value:
        out = model([x0, x1])
        logits = [out[0], out[1], out[0] * 0.5]
        penalty = 1e-3 * sum(p * p for p in model.parameters())
        pick = ops.take([out[0], out[1]], 1.0)
        return hinge_loss([out[0]], [y]) + cross_entropy(logits, 1) + penalty + pick * 0.1

    return fn


def _names_in(source: str, namespace: dict[str, Any]) -> set[str]:
    """Every identifier the program uses: its variables, arguments and bound names."""
    tree = ast.parse(source)
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    names |= {
        arg.arg for node in ast.walk(tree) if isinstance(node, ast.arguments) for arg in node.args
    }
    names |= {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    return names | set(namespace)


def _program_names() -> set[str]:
    from autograd.compile.printer import print_program

    model = MLP(2, [3, 3, 2], seed=0)
    prog = trace(_model_loss(model), 0.5, -0.2, 1.0, params=model.parameters())
    printed = print_program(prog.ir)
    names = _names_in(printed.source, printed.namespace)
    assert {"p", "n", "grad_out", "program", "W1_at", "W1", "where", "stack"} <= names
    return names


NAMES = sorted(_program_names())


def _eager(fn: Callable[..., Value], params: list[Value], rows: np.ndarray, y: np.ndarray):
    outs, grads = [], np.zeros(len(params))
    per_input = []
    for (a, b), t in zip(rows, y):
        leaves = [Value(a), Value(b), Value(t)]
        out = fn(*leaves)
        got = grad(out, leaves + params)
        outs.append(out.data)
        per_input.append(got[:3])
        grads += np.array(got[3:])
    return np.array(outs), np.array(per_input).T, grads


def _check(prog: Any, fn: Callable[..., Value], params: list[Value]) -> None:
    y = np.array([1.0, -1.0, 1.0, -1.0])
    out, inputs, totals = prog.grad(ROWS[:, 0], ROWS[:, 1], y)
    eager_out, eager_inputs, eager_totals = _eager(fn, params, ROWS, y)
    np.testing.assert_allclose(out, eager_out, rtol=1e-12)
    # the output alone (no seed given): the program must test its own seed, not a user's name
    np.testing.assert_allclose(prog(ROWS[:, 0], ROWS[:, 1], y), eager_out, rtol=1e-12)
    for ours, theirs in zip(inputs, eager_inputs):
        np.testing.assert_allclose(ours, theirs, rtol=1e-11, atol=1e-14)
    np.testing.assert_allclose(totals, eager_totals, rtol=1e-11, atol=1e-14)


def test_the_programs_own_names_include_what_lifting_adds() -> None:
    assert len(NAMES) > 30 and "b1_at" in NAMES and "g_p" in NAMES


@pytest.mark.parametrize("name", NAMES)
def test_a_parameter_labelled_with_a_programs_own_name_gives_eagers_numbers(name: str) -> None:
    model = MLP(2, [3, 3, 2], seed=0)
    params = model.parameters()
    for p in (params[0], params[4], params[-1]):  # a weight, a bias, the last (read alone)
        p.label = name
    fn = _model_loss(model)
    _check(trace(fn, 0.5, -0.2, 1.0, params=params), fn, params)


@pytest.mark.parametrize("name", NAMES)
def test_an_argument_named_like_a_programs_own_name_gives_eagers_numbers(name: str) -> None:
    if not name.isidentifier() or name in ("lambda",):
        pytest.skip("not a name an argument can have")
    model = MLP(2, [3, 3, 2], seed=0)
    params = model.parameters()
    inner = _model_loss(model)
    namespace: dict[str, Any] = {"inner": inner}
    second, third = [other for other in ("x1", "y", "u") if other != name][:2]
    exec(
        f"def fn({name}, {second}, {third}):\n    return inner({name}, {second}, {third})\n",
        namespace,
    )
    fn = namespace["fn"]
    _check(trace(fn, 0.5, -0.2, 1.0, params=params), fn, params)


@pytest.mark.parametrize("name", NAMES)
def test_a_node_labelled_with_a_programs_own_name_gives_eagers_numbers(name: str) -> None:
    model = MLP(2, [3, 3, 2], seed=0)
    params = model.parameters()
    inner = _model_loss(model)

    def fn(x0: Value, x1: Value, y: Value) -> Value:
        out = inner(x0, x1, y)
        hidden = model.layers[0]([x0, x1])
        for node in hidden:
            node.label = name  # three nodes of one group, all with the name
        return out + math.pi * sum(hidden)

    _check(trace(fn, 0.5, -0.2, 1.0, params=params), fn, params)
