"""A fuzzer: random graphs built to hold groups, lifted against unlifted and against eager.

Each graph is grown in rounds. A round makes a group of k nodes that do one op, their operands
picked in one of the ways lifting must handle: a previous group's nodes in order, permuted, or
only some of them (a partial group); one scalar shared by all; parameters (distinct, shared by
two members, or one for all); constants; the inputs. Other rounds reduce a group (a sum or a dot
of odd length, over members in any order, or a chain of `+` as Python's `sum` writes it), take
a row's softmax-style shift, pick with `take`, or grow a subgraph of parameters only (hoisted:
computed once per call). The ops are kept tame (no division by something that may be 0, no log
of a negative) so that two summation orders differ by rounding only.

The oracles: the same graph built eagerly for every sample (`autograd.grad`), and the unlifted
program (`lift=False`), which is itself held to eager bit for bit in tests/test_trace.py.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import autograd as ag
from autograd import Value, grad, ops, trace

UNARY = [
    lambda v: v.relu(),
    lambda v: v.tanh(),
    lambda v: v.sigmoid(),
    lambda v: v.sin(),
    lambda v: v.softplus(),
    lambda v: v.abs(),
    lambda v: -v,
    lambda v: v**2,
    lambda v: (v * v + 1.0) ** 0.5,
    lambda v: (v * v + 1.0).log(),
    lambda v: (v * 0.3).exp(),
]
BINARY = [
    lambda a, b: a + b,
    lambda a, b: a - b,
    lambda a, b: a * b,
    lambda a, b: a / (b * b + 1.0),
]


def random_graph(seed: int) -> tuple[Callable[..., Value], list[Value], int]:
    """fn(*inputs), its parameters and the number of inputs, for the graph of `seed`."""
    rng = random.Random(seed)
    n_inputs = rng.randint(1, 4)
    params = [Value(rng.uniform(-1.0, 1.0), f"w{k}") for k in range(rng.randint(3, 14))]
    plan = [
        (rng.choice(ROUNDS), rng.randint(2, 6), rng.random(), rng.getrandbits(32))
        for _ in range(rng.randint(2, 7))
    ]

    def fn(*xs: Value) -> Value:
        groups: list[list[Value]] = [list(xs)]
        fixed: list[Value] = list(params)  # what depends on parameters alone
        for kind, k, u, bits in plan:
            local = random.Random(bits)
            made = kind(local, k, u, groups, fixed, params, list(xs))
            if made:
                groups.append(made)
        last = groups[-1]
        tail = [groups[local_pick][0] for local_pick in range(len(groups))]
        return ag.sum(last) + ag.sum(tail) * 0.5 + fixed[-1] * xs[0]

    return fn, params, n_inputs


def _operands(
    rng: random.Random,
    k: int,
    groups: list[list[Value]],
    fixed: list[Value],
    params: list[Value],
    xs: list[Value],
) -> list[Any]:
    """k operands, one per member of a new group, picked in one of the ways groups arise."""
    source = rng.choice(groups)
    way = rng.randrange(7)
    if way == 0:  # a previous group, in order (cycled when shorter)
        return [source[j % len(source)] for j in range(k)]
    if way == 1:  # permuted
        picked = [source[j % len(source)] for j in range(k)]
        rng.shuffle(picked)
        return picked
    if way == 2:  # one scalar for all
        return [rng.choice(source)] * k
    if way == 3:  # parameters, two members sharing one
        picked = [rng.choice(params) for _ in range(k)]
        picked[-1] = picked[0]
        return picked
    if way == 4:  # constants
        return [rng.choice([0.5, -2.0, 3.0, 0.25]) for _ in range(k)]
    if way == 5:  # the inputs
        return [xs[j % len(xs)] for j in range(k)]
    return [rng.choice(fixed) for _ in range(k)]  # what depends on parameters only


def _unary(rng, k, u, groups, fixed, params, xs):  # type: ignore[no-untyped-def]
    op = rng.choice(UNARY)
    operands = _operands(rng, k, groups, fixed, params, xs)
    members = [op(a) if isinstance(a, Value) else op(Value(a)) for a in operands]
    if u < 0.3:  # a partial group: one member does another op
        members[-1] = rng.choice(UNARY)(
            operands[-1] if isinstance(operands[-1], Value) else Value(operands[-1])
        )
    return members


def _binary(rng, k, u, groups, fixed, params, xs):  # type: ignore[no-untyped-def]
    op = rng.choice(BINARY)
    left = _operands(rng, k, groups, fixed, params, xs)
    right = _operands(rng, k, groups, fixed, params, xs)
    out = []
    for a, b in zip(left, right):
        a = a if isinstance(a, Value) else Value(a)
        out.append(op(a, b))
    return out


def _reduce(rng, k, u, groups, fixed, params, xs):  # type: ignore[no-untyped-def]
    source = rng.choice(groups)
    out = []
    for _ in range(k):
        length = rng.choice([1, 2, 3, 5, 7])
        terms = [rng.choice(source) for _ in range(length)]
        how = rng.randrange(3)
        if how == 0:
            out.append(ag.sum(terms))
        elif how == 1:  # Python's sum: a chain of + from 0
            out.append(sum(terms, Value(0.0)) if False else sum(terms))  # type: ignore[arg-type]
        else:
            weights = [rng.choice(params) if rng.random() < 0.8 else 0.5 for _ in terms]
            out.append(ag.dot(weights, terms))
    return out


def _dots(rng, k, u, groups, fixed, params, xs):  # type: ignore[no-untyped-def]
    """A layer: k neurons of parameters reading one vector (or a few, at one length)."""
    source = rng.choice(groups)
    length = rng.randint(1, 5)
    vectors = [
        [source[(j + v) % len(source)] for j in range(length)] for v in range(rng.randint(1, 2))
    ]
    rows = [[rng.choice(params) for _ in range(length)] for _ in range(k)]
    return [ag.dot(row, vector) for vector in vectors for row in rows]


def _softmax(rng, k, u, groups, fixed, params, xs):  # type: ignore[no-untyped-def]
    """Rows of different lengths, each shifted by its largest (held constant) and summed."""
    source = rng.choice(groups)
    out = []
    for r in range(k):
        row = source[: 1 + (r % len(source))]
        m = ops.shift(row)
        out.append(ag.sum([(v - m).exp() for v in row]).log() + m)
    return out


def _take(rng, k, u, groups, fixed, params, xs):  # type: ignore[no-untyped-def]
    source = rng.choice(groups)
    options = [source[j % len(source)] for j in range(3)]
    return [ops.take(options, float(rng.randrange(3))) for _ in range(k)]


def _hoisted(rng, k, u, groups, fixed, params, xs):  # type: ignore[no-untyped-def]
    """A subgraph of parameters only, as an L2 term inside a per-sample loss."""
    squares = [p * p for p in params]
    fixed.append(0.01 * sum(squares))
    fixed.append(ag.sum([p.tanh() for p in params[:k]]))
    return []


ROUNDS = [_unary, _binary, _reduce, _dots, _softmax, _take, _hoisted, _unary, _dots]


def _eager(fn: Callable[..., Value], params: list[Value], columns: list[np.ndarray]):
    outs, per_input, totals = [], [[] for _ in columns], np.zeros(len(params))
    for i in range(len(columns[0])):
        leaves = [Value(float(c[i])) for c in columns]
        out = fn(*leaves)
        got = grad(out, leaves + params)
        outs.append(out.data)
        for k in range(len(columns)):
            per_input[k].append(got[k])
        totals += np.array(got[len(columns) :])
    return np.array(outs), [np.array(g) for g in per_input], totals


def _close(a: Any, b: Any, scale: float) -> bool:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    both_nan = np.isnan(a) & np.isnan(b)
    same_inf = (a == b) & ~np.isfinite(a)
    with np.errstate(all="ignore"):
        near = np.abs(a - b) <= 1e-10 * np.maximum(np.maximum(np.abs(a), np.abs(b)), scale)
    return a.shape == b.shape and bool(np.all(both_nan | same_inf | near))


@pytest.mark.parametrize("seed", range(150))
def test_random_graphs_with_groups_lift_to_eagers_numbers(seed: int) -> None:
    fn, params, n_inputs = random_graph(seed)
    example = [0.3 * (k + 1) - 0.5 for k in range(n_inputs)]
    lifted = trace(fn, *example, params=params)
    unlifted = trace(fn, *example, params=params, lift=False)
    rng = np.random.default_rng(seed)
    columns = [rng.normal(size=5) for _ in range(n_inputs)]
    ours = lifted.grad(*columns)
    theirs = unlifted.grad(*columns)
    eager = _eager(fn, params, columns)
    scale = max(1.0, float(np.max(np.abs(eager[2]), initial=0.0)))
    for reference in (theirs, eager):
        assert _close(ours[0], reference[0], scale), lifted.source
        for a, b in zip(ours[1], reference[1]):
            assert _close(a, b, scale), lifted.source
        assert _close(ours[2], reference[2], scale), lifted.source
    for line in lifted.source.splitlines():  # no statement that names one thing twice
        target, assigns, value = line.split("#")[0].strip().partition(" = ")
        assert not assigns or target != value.strip(), line
    sample = [float(c[2]) for c in columns]
    one = lifted.grad(*sample)  # one sample on floats: eager's kernels, bit for bit
    leaves = [Value(x) for x in sample]
    out = fn(*leaves)
    assert one[0] == out.data and list(one[1]) + list(one[2]) == grad(out, leaves + params)


def test_the_fuzzer_makes_groups_that_lift() -> None:
    lifted_lines = 0
    for seed in range(30):
        fn, params, n_inputs = random_graph(seed)
        prog = trace(fn, *[0.1] * n_inputs, params=params)
        lifted_lines += prog.flat
    assert lifted_lines >= 25  # nearly every graph holds a group that lifts
