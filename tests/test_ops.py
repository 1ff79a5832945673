"""Each op against its closed-form derivative, central differences, and PyTorch float64.

The table holds every op in `autograd.ops.OPS`; `test_every_op_has_a_row_in_the_table` fails when
one is added without a row. Points include kinks, ±0, ±inf and nan; nan matches nan.
"""

from __future__ import annotations

import inspect
import itertools
import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import autograd as ag
from autograd import Value, ops
from autograd.anomaly import rule_name
from tests.oracle import Case, torch_float64
from tests.oracles import central_difference, inf, nan, np64, same

SPECIAL = [-inf, -1000.0, -2.5, -1.0, -0.0, 0.0, 0.5, 1.0, 3.0, 25.0, 1000.0, inf, nan]
SMOOTH = [-2.5, -1.3, -0.4, 0.3, 0.9, 1.7, 2.8]


def _step(x):  # 1 where x > 0, else 0 (nan: 0): the kink convention torch uses
    return np.where(x > 0, 1.0, 0.0)


def _sign(x):  # torch.sign: sign(nan) = 0
    return np.where(x > 0, 1.0, np.where(x < 0, -1.0, 0.0))


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


# name: (how to apply it to Values, f, f' in closed form, points where f is smooth, tolerance)
UNARY = {
    "neg": (lambda v: -v, lambda x: -x, lambda x: -1.0 + 0 * x, SMOOTH),
    "abs": (lambda v: v.abs(), np.abs, _sign, SMOOTH),
    "sign": (lambda v: _torch_sign(v), _sign, lambda x: 0.0 * x, SMOOTH),
    "exp": (lambda v: v.exp(), np.exp, np.exp, SMOOTH),
    "log": (lambda v: v.log(), np.log, lambda x: 1 / x, [0.2, 0.9, 1.7, 2.8, 40.0]),
    "tanh": (lambda v: v.tanh(), np.tanh, lambda x: 1 - np.tanh(x) ** 2, SMOOTH),
    "sigmoid": (lambda v: v.sigmoid(), _sigmoid, lambda x: _sigmoid(x) * (1 - _sigmoid(x)), SMOOTH),
    "relu": (
        lambda v: v.relu(),
        lambda x: np.where(x > 0, x, np.where(np.isnan(x), x, 0.0)),
        _step,
        SMOOTH,
    ),
    "leaky_relu": (
        lambda v: v.leaky_relu(0.1),
        lambda x: np.where(x > 0, x, 0.1 * x),
        lambda x: np.where(x > 0, 1.0, 0.1),
        SMOOTH,
    ),
    "sin": (lambda v: v.sin(), np.sin, np.cos, SMOOTH),
    "cos": (lambda v: v.cos(), np.cos, lambda x: -np.sin(x), SMOOTH),
    "sqrt": (lambda v: v.sqrt(), np.sqrt, lambda x: 1 / (2 * np.sqrt(x)), [0.2, 0.9, 1.7, 2.8]),
    "softplus": (
        lambda v: v.softplus(),
        lambda x: np.where(x > 20, x, np.log1p(np.exp(x))),
        lambda x: np.where(x > 20, 1.0, _sigmoid(x)),
        SMOOTH,
    ),
    "pow_const": (lambda v: v**3, lambda x: x**3, lambda x: 3 * x**2, SMOOTH),
    "pow_const_half": (lambda v: v**0.5, np.sqrt, lambda x: 0.5 * x**-0.5, [0.2, 1.7]),
    "pow_const_neg": (lambda v: v**-2, lambda x: x**-2.0, lambda x: -2 * x**-3.0, SMOOTH),
    "pow_const_zero": (lambda v: v**0, lambda x: x**0.0, lambda x: 0.0 * x, SMOOTH),
}

BINARY = {
    "add": (lambda a, b: a + b, lambda x, y: x + y, lambda x, y: (1.0, 1.0)),
    "sub": (lambda a, b: a - b, lambda x, y: x - y, lambda x, y: (1.0, -1.0)),
    "mul": (lambda a, b: a * b, lambda x, y: x * y, lambda x, y: (y, x)),
    "div": (lambda a, b: a / b, lambda x, y: x / y, lambda x, y: (1 / y, -x / y**2)),
    "pow": (
        lambda a, b: a**b,
        lambda x, y: x**y,
        lambda x, y: (y * x ** (y - 1), x**y * np.log(x)),
    ),
}
BINARY_SMOOTH = [(0.7, 1.3), (2.1, -0.6), (1.5, 2.5), (3.0, 0.5)]
BINARY_SPECIAL = [-2.0, -0.0, 0.0, 0.5, 2.0, 3.0, inf, -inf, nan]

NARY = {
    "sum": (lambda vs: ag.sum(vs), lambda xs: sum(xs), lambda xs: [1.0] * len(xs)),
    "dot": (
        lambda vs: ag.dot(vs[:2], vs[2:]),
        lambda xs: xs[0] * xs[2] + xs[1] * xs[3],
        lambda xs: [xs[2], xs[3], xs[0], xs[1]],
    ),
    # the max that logsumexp subtracts, sending no gradient (0 where it is not finite)
    "shift": (lambda vs: ops.shift(vs), lambda xs: _finite_max(xs), lambda xs: [0.0] * len(xs)),
    # an index picks one of the inputs: it passes through; the index is a constant here
    "take": (lambda vs: ops.take(vs[:3], 2.0), lambda xs: xs[2], lambda xs: [0.0, 0.0, 1.0, 0.0]),
}
NARY_POINTS = [[0.5, -1.5, 2.0, 3.0], [1.0, 0.0, -0.0, 4.0], [inf, 1.0, 2.0, nan]]

# array ops, made only by lifting a traced graph: name -> (a batch of inputs, a weight matrix)
ARRAY = {
    "matmul": (
        np.array([[0.5, -1.5, 2.0], [1.0, 0.0, -0.0], [3.0, -2.0, 0.25], [-1.0, 4.0, 0.5]]),
        np.array([[1.0, 2.0, -1.0], [0.5, -0.5, 3.0]]),
    )
}

TABLE_NAMES = {*UNARY, *BINARY, *NARY, *ARRAY}

# The array ops (a compiled program's): name -> (operands, constants, an oracle in plain NumPy
# that computes the result another way, the operands the rule is checked on by differences).
_X = np.array([[0.5, -1.5, 2.0], [1.0, 0.0, -0.0], [3.0, -2.0, 0.25], [-1.0, 4.0, 0.5]])
_Y = np.array([[1.0, 2.0], [-0.5, 3.0], [0.25, -1.0], [2.0, 0.5]])
_W = np.array([[1.0, 2.0, -1.0], [0.5, -0.5, 3.0]])
_V = np.array([0.5, -2.0, 1.5, 3.0])
_AT = [2, 0, 2, 1]  # an entry named twice: its contributions add
_IDX = np.array([[2.0, 0.0, 3.0], [1.0, 3.0, 0.0]])  # per sample, an option of each of 3 rows


def _added_at(g: np.ndarray, at: Any, size: int) -> np.ndarray:
    out = np.zeros(g.shape[: g.ndim - np.ndim(at)] + (size,))
    for index in np.ndindex(np.shape(at)):
        out[..., np.asarray(at)[index]] += g[(..., *index)]
    return out


ARRAY_CASES: dict[str, tuple[list[Any], dict[str, Any], Any, list[int]]] = {
    "gather": ([_X], {"at": ops.places(_AT, 3)}, lambda x: x[:, _AT], [0]),
    "put": ([_X], {"at": ops.places([3, 0, 3], 5)}, lambda g: _added_at(g, [3, 0, 3], 5), [0]),
    "add_at": (
        [_Y, _X],
        {"at": ops.places([1, 1, 0], 2)},
        lambda base, g: base + _added_at(g, [1, 1, 0], 2),
        [0, 1],
    ),
    "concat": ([_X, _Y], {}, lambda a, b: np.hstack([a, b]), [0, 1]),
    "stack": ([_V, _V * 2], {}, lambda a, b: np.array([a, b]).T, [0, 1]),
    "sum_last": ([_X], {}, lambda x: np.array([sum(row) for row in x]), [0]),
    "spread": ([_V], {"size": 3}, lambda v: np.array([v, v, v]).T, [0]),
    "sum_axes": ([_X], {"axes": (0,), "keep": False}, lambda x: x[0] + x[1] + x[2] + x[3], [0]),
    "broadcast_like": ([_W[0], _X], {}, lambda a, b: np.array([a] * 4), [0]),
    "expand": ([_V], {}, lambda v: v.reshape(4, 1), [0]),
    "reshape": ([_X], {"shape": (2, 6)}, lambda x: np.array(x.ravel().tolist()).reshape(2, 6), [0]),
    "reshape_like": ([_X, np.zeros(12)], {}, lambda x, b: np.array(x.ravel().tolist()), [0]),
    "matmul": ([_W, _X], {}, lambda w, x: np.einsum("ij,sj->si", w, x), [0, 1]),
    "mm": ([_X, _W.T], {}, lambda a, b: np.einsum("sj,jk->sk", a, b), [0, 1]),
    "transpose": ([_X], {}, lambda x: np.array([list(col) for col in zip(*x)]), [0]),
    "rows": ([_X.reshape(2, 2, 3)], {}, lambda x: np.array(x.tolist()).reshape(4, 3), [0]),
    "shift_last": (
        [np.array([[1.0, nan, 3.0], [-inf, -inf, nan], [2.0, inf, 0.0]])],
        {},
        lambda a: np.array([_finite_max(list(row)) for row in a]),
        [],
    ),
    "take_last": (
        [_X.T.copy(), _IDX],  # options shared by every sample: rows (3, 4), an index per sample
        {},
        lambda o, i: np.array([[o[r, int(i[s, r])] for r in range(3)] for s in range(2)]),
        [0],
    ),
    "put_along": ([_IDX * 0.5 - 1.0, _IDX, _X.T], {}, None, []),  # take_last's rule: below
    "less": ([_X, _X.T[:, :1].T], {}, lambda a, b: a < b, []),
    "less_equal": ([_X, 0.0], {}, lambda a, b: a <= b, []),
    "greater": ([_X, 0.5], {}, lambda a, b: a > b, []),
    "greater_equal": ([_X, -0.0], {}, lambda a, b: a >= b, []),
    "equal": ([_X, 0.0], {}, lambda a, b: a == b, []),
    "both": ([_X > 0, _X < 2], {}, lambda a, b: a & b, []),
    "select": ([_X > 0, _X, -_X], {}, lambda c, a, b: np.abs(_X), [1, 2]),
    "same": ([_X], {}, lambda x: x, [0]),
    "held": ([_X], {}, lambda x: None, []),
}


def _unary_op_of(name: str) -> str:
    return "pow_const" if name.startswith("pow_const") else name


def test_every_op_has_a_row_in_the_table() -> None:
    rows = {_unary_op_of(n) for n in TABLE_NAMES}
    missing = set(ops.OPS) - rows
    assert not missing, f"ops without a row in the test table: {sorted(missing)}"
    public = {
        n
        for n, f in vars(ops).items()
        if inspect.isfunction(f)
        and not n.startswith("_")
        and not n.endswith("_backward")
        and f.__module__ == ops.__name__
    }
    tools = {
        "define",
        "array_op",
        "where",
        "is_zero",
        "index_of",
        "op_of",
        "record_of",
        "inputs_of",
        "places",
        "broadcast_shapes",
        "summed_axes",
        "sum_to",
        "infix",
        "call",
    }  # how ops are made, how rules branch, how array ops print and broadcast
    every = set(ops.OPS) | set(ops.ARRAY_OPS)
    assert public - tools == every, f"ops.OPS is out of date: {sorted(public ^ every)}"
    assert set(ops.ARRAY_OPS) == set(ARRAY_CASES), sorted(set(ops.ARRAY_OPS) ^ set(ARRAY_CASES))


@pytest.mark.parametrize("name", sorted(ops.OPS))
def test_every_op_is_one_record_that_says_how_it_prints_and_its_math(name: str) -> None:
    made = getattr(ops, name)
    record = made.record
    assert record.function is made and record.python == name and made.rule is record.rule
    assert ops.record_of(record.rule) is record and ops.op_of(record.rule) is made
    assert record.form in ops.FORMS and record.math.startswith("z = ")
    wanted = 1 if record.arity == -1 else record.arity
    assert record.derivatives is not None and len(record.derivatives) == wanted
    letters = ["a", "b"][: max(record.arity, 1)] if record.takes == ops.EACH else ["a", "b"]
    shown = record.show(letters)
    assert "a" in shown and (record.arity == 1 or "b" in shown)
    if record.arity > 0:  # every letter of the derivatives is an input's or the output's
        text = record.derivative_text(letters, "t")
        said = text.count("to ") if record.form == ops.MATMUL else text.count("∂t/∂")
        assert said == record.arity and "{" not in text


def _grad_of(apply, *points):  # type: ignore[no-untyped-def]
    leaves = [Value(p) for p in points]
    out = apply(*leaves)
    out.backward()
    return out.data, [leaf.grad for leaf in leaves]


# ---- unary ----


def _in_closed_form_domain(name: str, x: float) -> bool:
    """Where the closed form speaks for the op; outside it, the torch rows cover the op."""
    below = x < 0 or math.copysign(1.0, x) < 0  # -0.0 counts: its 1/√ sign is torch's to say
    return not (name in ("log", "sqrt", "pow_const_half") and below) and not (
        name == "pow_const_neg" and x == 0
    )


@pytest.mark.parametrize(
    "name,x",
    [(n, x) for n in UNARY for x in SMOOTH + SPECIAL if _in_closed_form_domain(n, x)],
)
def test_unary_op_matches_closed_form(name: str, x: float) -> None:
    apply, f, df, _ = UNARY[name]
    data, (grad,) = _grad_of(apply, x)
    assert same(data, np64(f)(x)), (data, np64(f)(x))
    if math.isfinite(x):
        assert same(grad, np64(df)(x), rel=1e-12), (grad, np64(df)(x))


@pytest.mark.parametrize("name,x", [(n, x) for n in UNARY for x in UNARY[n][3]])
def test_unary_op_matches_central_differences(name: str, x: float) -> None:
    apply = UNARY[name][0]
    _, (grad,) = _grad_of(apply, x)
    numeric = central_difference(lambda p: apply(Value(p[0])).data, [x], 0)
    assert math.isclose(grad, numeric, rel_tol=1e-6, abs_tol=1e-7)


def unary_in_torch(torch: Any, name: str, x: float) -> list[float]:
    """torch's [output, gradient] of the table's op at x."""
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    out = UNARY[name][0](_TorchValue(t)).t
    out.backward()
    return [out.item(), 0.0 if t.grad is None else t.grad.item()]


UNARY_TORCH_POINTS = [(n, x) for n in UNARY for x in SPECIAL + SMOOTH]


@pytest.mark.parametrize("name,x", UNARY_TORCH_POINTS)
def test_unary_op_matches_torch(name: str, x: float) -> None:
    apply = UNARY[name][0]
    data, (grad,) = _grad_of(apply, x)
    for source, (tdata, tgrad) in torch_float64(unary_in_torch, name, x):
        assert same(data, tdata) and same(grad, tgrad), (source, data, grad, tdata, tgrad)


# ---- binary ----


@pytest.mark.parametrize("name,x,y", [(n, *p) for n in BINARY for p in BINARY_SMOOTH])
def test_binary_op_matches_closed_form_and_central_differences(
    name: str, x: float, y: float
) -> None:
    apply, f, df = BINARY[name]
    data, grads = _grad_of(apply, x, y)
    assert same(data, np64(f)(x, y))
    expected = [np64(lambda a, b, k=k: df(a, b)[k])(x, y) for k in (0, 1)]
    for k in (0, 1):
        assert same(grads[k], expected[k]), (k, grads[k], expected[k])
        numeric = central_difference(lambda p: apply(Value(p[0]), Value(p[1])).data, [x, y], k)
        assert math.isclose(grads[k], numeric, rel_tol=1e-6, abs_tol=1e-7)


def binary_in_torch(torch: Any, name: str, x: float, y: float) -> list[float]:
    """torch's [output, d/dx, d/dy] of the table's op at (x, y)."""
    a = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    b = torch.tensor(y, dtype=torch.float64, requires_grad=True)
    out = BINARY[name][0](a, b)
    out.backward()
    return [out.item(), a.grad.item(), b.grad.item()]


BINARY_TORCH_POINTS = [(n, *p) for n in BINARY for p in itertools.product(BINARY_SPECIAL, repeat=2)]


@pytest.mark.parametrize("name,x,y", BINARY_TORCH_POINTS)
def test_binary_op_matches_torch_at_special_points(name: str, x: float, y: float) -> None:
    apply = BINARY[name][0]
    data, grads = _grad_of(apply, x, y)
    for source, (tdata, *tgrads) in torch_float64(binary_in_torch, name, x, y):
        assert same(data, tdata), (source, data, tdata)
        assert same(grads[0], tgrads[0]) and same(grads[1], tgrads[1]), (source, grads, tgrads)


# ---- n-ary ----


@pytest.mark.parametrize("name,xs", [(n, p) for n in NARY for p in NARY_POINTS])
def test_nary_op_matches_closed_form_and_torch(name: str, xs: list[float]) -> None:
    apply, f, df = NARY[name]
    leaves = [Value(x) for x in xs]
    out = apply(leaves)
    out.backward()
    assert out.op == name and len(out.parents) == 4  # one node, not a chain (take: 3 and i)
    assert same(out.data, np64(lambda *a: f(list(a)))(*xs))
    for leaf, expected in zip(leaves, df(xs)):
        assert same(leaf.grad, expected)
    for source, (tout, tgrads) in torch_float64(nary_in_torch, name, xs):
        assert same(out.data, tout), (source, out.data, tout)
        assert all(same(leaf.grad, g) for leaf, g in zip(leaves, tgrads)), (source, tgrads)


def nary_in_torch(torch: Any, name: str, xs: list[float]) -> list[Any]:
    """torch's [output, [gradient per input]] of sum, dot, or the detached max torch's
    logsumexp shifts by (nan skipped, 0 where it is not finite) at xs."""
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    if name == "shift":
        stacked = torch.stack(ts).detach()
        kept = stacked[~torch.isnan(stacked)]
        m = kept.max() if len(kept) else torch.tensor(0.0, dtype=torch.float64)
        m = m if torch.isfinite(m) else torch.tensor(0.0, dtype=torch.float64)
        return [m.item(), [0.0 if t.grad is None else t.grad.item() for t in ts]]
    if name == "take":
        tout = ts[2] * 1.0
    else:
        tout = torch.stack(ts).sum() if name == "sum" else ts[0] * ts[2] + ts[1] * ts[3]
    tout.backward()
    return [tout.item(), [0.0 if t.grad is None else t.grad.item() for t in ts]]


def _finite_max(xs: list[float]) -> float:
    kept = [x for x in xs if x == x]
    m = max(kept) if kept else 0.0
    return m if math.isfinite(m) else 0.0


def test_sum_and_dot_mix_numbers_and_values() -> None:
    x = Value(2.0)
    s = ag.sum([x, 3, 4.5])
    d = ag.dot([x, 2.0], [5, x])
    (s + d).backward()
    assert s.data == 9.5 and d.data == 14.0
    assert x.grad == 1.0 + 5.0 + 2.0
    assert ag.sum([1.0, 2.0]) == 3.0 and ag.dot([1.0, 2.0], [3.0, 4.0]) == 11.0


def test_dot_of_unequal_lengths_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="3 and 2"):
        ag.dot([Value(1.0)] * 3, [Value(1.0)] * 2)


# ---- array ops ----


@pytest.mark.parametrize("name", sorted(ARRAY_CASES))
def test_each_array_op_computes_what_plain_numpy_computes(name: str) -> None:
    operands, constants, oracle, _ = ARRAY_CASES[name]
    if oracle is None:
        pytest.skip("checked through the rule it is of")
    got = getattr(ops, name)(*operands, **constants)
    expected = oracle(*operands)
    if expected is None:
        assert got is None
        return
    assert np.shape(got) == np.shape(expected) and np.array_equal(got, expected, equal_nan=True)
    shapes = [np.shape(a) for a in operands]
    assert getattr(ops, name).record.shape(*shapes, **constants) == np.shape(got)


@pytest.mark.parametrize("batched", [False, True])
@pytest.mark.parametrize("name", sorted(set(ARRAY_CASES) - {"held"}))
def test_each_array_op_prints_as_code_that_computes_its_kernel(name: str, batched: bool) -> None:
    from autograd.compile.ir import BATCH, INPUT, IR, Equation, Var
    from autograd.compile.printer import print_program

    operands, constants, _, _ = ARRAY_CASES[name]
    record = getattr(ops, name).record
    ir = IR()
    ir.flat = True  # an array program: NumPy's operators
    ins: list[Any] = []
    for k, a in enumerate(operands):
        if np.ndim(a) == 0:
            ins.append(float(a))
            continue
        shape = tuple(np.shape(a))
        first = np.shape(operands[0])
        lead = batched and len(shape) > 1 and shape[:1] == first[:1] and len(first) > 1
        lead = lead and name not in ("take_last", "put_along", "matmul", "reshape_like")
        ins.append(Var(f"a{k}", ((BATCH,) + shape[1:]) if lead else shape, INPUT))
    ir.inputs = [v for v in ins if isinstance(v, Var)]
    shapes = [v.shape if isinstance(v, Var) else () for v in ins]
    out = Var("z", record.shape(*shapes, **constants))
    ir.forward = [Equation(record, ins, (out,), dict(constants))]
    ir.output = out
    printed = print_program(ir)
    namespace = dict(printed.namespace)
    exec(compile(printed.source, "<test>", "exec"), namespace)
    arrays = [a for a in operands if np.ndim(a) > 0]
    with np.errstate(all="ignore"):
        got = namespace[printed.function](*arrays)
        expected = record.run(operands, constants)
    assert np.array_equal(got, expected, equal_nan=True), printed.source


@pytest.mark.parametrize("name", sorted(n for n, case in ARRAY_CASES.items() if case[3]))
def test_each_array_ops_rule_matches_central_differences(name: str) -> None:
    operands, constants, _, wrt = ARRAY_CASES[name]
    op = getattr(ops, name)
    z = op(*operands, **constants)
    g = np.random.default_rng(1).normal(size=np.shape(z))
    sent = op.rule(g, z, *operands, **constants)

    def loss(*xs: Any) -> float:
        return float((g * op(*xs, **constants)).sum())

    for k in wrt:
        base = np.array(operands[k], dtype=float)
        for index in np.ndindex(base.shape):
            up, down = base.copy(), base.copy()
            up[index] += 1e-6
            down[index] -= 1e-6
            xs_up = [up if j == k else a for j, a in enumerate(operands)]
            xs_down = [down if j == k else a for j, a in enumerate(operands)]
            numeric = (loss(*xs_up) - loss(*xs_down)) / 2e-6
            assert math.isclose(np.asarray(sent[k])[index], numeric, rel_tol=1e-6, abs_tol=1e-8)


def test_take_last_and_put_along_are_each_others_rule() -> None:
    options, index = ARRAY_CASES["take_last"][0]
    g = np.random.default_rng(2).normal(size=(2, 3))
    put = ops.put_along(g, index, options)  # the options are shared: their gradient adds up
    expected = np.zeros_like(options)
    for s in range(2):
        for r in range(3):
            expected[r, int(index[s, r])] += g[s, r]
    assert np.array_equal(put, expected)
    batched = np.stack([options, options * 2])  # one option table per sample
    put_each = ops.put_along(g, index, batched)
    assert put_each.shape == batched.shape and put_each.sum() == pytest.approx(g.sum())
    assert ops.take_last(put_each, index).tolist() == g.tolist()


def test_an_index_out_of_range_or_not_whole_is_a_clear_error() -> None:
    options = np.zeros((3, 4))
    with pytest.raises(IndexError, match=r"a whole number 0 to 3\), got 4\.0"):
        ops.take_last(options, np.array([[0.0, 4.0, 1.0]]))
    with pytest.raises(ValueError, match=r"got 1\.5"):
        ops.take_last(options, np.array([[0.0, 1.5, 1.0]]))
    with pytest.raises(IndexError, match="got -1"):
        ops.take([Value(1.0), Value(2.0)], -1.0)
    with pytest.raises(ValueError, match="nan"):
        ops.take([Value(1.0), Value(2.0)], math.nan)


def test_places_finds_the_cheapest_exact_way_to_gather_and_scatter() -> None:
    assert ops.places(3, 5).kind == "one"
    assert ops.places([2, 3, 4], 8).kind == "slice"
    repeat = ops.places([1, 1, 2, 2, 3, 3], 4)
    assert (repeat.kind, repeat.start, repeat.stop, repeat.times) == ("repeat", 1, 4, 2)
    assert ops.places([3, 0, 1], 4).kind == "any" and ops.places(_AT, 3).kind == "repeated"
    g = np.random.default_rng(3).normal(size=(2, 6))
    for at in ([1, 1, 2, 2, 3, 3], [5, 0, 5, 1, 0, 2], [2, 3, 4, 5, 6, 7], [0, 1, 2, 3, 4, 5]):
        plan = ops.places(at, 8)
        np.testing.assert_allclose(ops.put(g, at=plan), _added_at(g, at, 8), rtol=1e-15)
        assert np.array_equal(ops.gather(np.arange(16.0).reshape(2, 8), at=plan)[0], at)


def test_matmul_computes_each_neurons_dot_for_each_sample() -> None:  # (eager's order)
    x, w = ARRAY["matmul"]
    z = ops.matmul(w, x)
    for s in range(len(x)):
        for i in range(len(w)):
            assert z[s, i] == ag.dot(list(w[i]), list(x[s]))  # 3 terms: the same order


def test_matmul_rule_matches_central_differences_and_sums_the_weights_over_samples() -> None:
    x, w = ARRAY["matmul"]
    rng = np.random.default_rng(0)
    g = rng.normal(size=(len(x), len(w)))
    dw, dx = ops.matmul.rule(g, ops.matmul(w, x), w, x)

    def loss(w: np.ndarray, x: np.ndarray) -> float:
        return float((g * ops.matmul(w, x)).sum())

    for array, grads, which in ((w, dw, 0), (x, dx, 1)):
        for index in np.ndindex(array.shape):
            up, down = array.copy(), array.copy()
            up[index] += 1e-6
            down[index] -= 1e-6
            pair = ((up, x), (down, x)) if which == 0 else ((w, up), (w, down))
            numeric = (loss(*pair[0]) - loss(*pair[1])) / 2e-6
            assert math.isclose(grads[index], numeric, rel_tol=1e-6, abs_tol=1e-8)


# ---- each rule is a named function ----


@pytest.mark.parametrize("name", sorted(UNARY) + sorted(BINARY))
def test_each_node_keeps_a_named_rule_not_a_lambda(name: str) -> None:
    apply = UNARY[name][0] if name in UNARY else BINARY[name][0]
    out = apply(*[Value(0.5)] * (1 if name in UNARY else 2))
    qualname = rule_name(out._backward)  # through the constant bound to `**c` and leaky_relu
    assert "<lambda>" not in qualname
    assert _unary_op_of(name) in qualname and qualname.endswith("_backward")


class _TorchValue:
    """Lets the table's `lambda v: v.tanh()` drive a torch tensor, so one table serves both."""

    def __init__(self, t):  # type: ignore[no-untyped-def]
        self.t = t

    def _wrap(self, t):  # type: ignore[no-untyped-def]
        return _TorchValue(t)

    def __neg__(self):  # type: ignore[no-untyped-def]
        return self._wrap(-self.t)

    def __pow__(self, c):  # type: ignore[no-untyped-def]
        return self._wrap(self.t**c)

    def __getattr__(self, name):  # type: ignore[no-untyped-def]
        import torch
        import torch.nn.functional as F

        fns = {
            "abs": torch.abs,
            "exp": torch.exp,
            "log": torch.log,
            "tanh": torch.tanh,
            "sigmoid": torch.sigmoid,
            "relu": torch.relu,
            "sin": torch.sin,
            "cos": torch.cos,
            "sqrt": torch.sqrt,
            "softplus": F.softplus,
            "leaky_relu": lambda t, s=0.01: F.leaky_relu(t, s),
        }
        fn = fns[name]
        return lambda *args: self._wrap(fn(self.t, *args))


def _torch_sign(v):  # type: ignore[no-untyped-def]
    """ops.sign on a Value; torch.sign on a tensor (sign is a function, not a method)."""
    if isinstance(v, _TorchValue):
        import torch

        return _TorchValue(torch.sign(v.t))
    return ops.sign(v)


# ---- the cases recorded by tests/oracle/record.py ----


def torch_cases() -> Iterator[Case]:
    """Every (fn, args) this module compares with torch; tests/oracle/record.py records them."""
    yield from ((unary_in_torch, p) for p in UNARY_TORCH_POINTS)
    yield from ((binary_in_torch, p) for p in BINARY_TORCH_POINTS)
    yield from ((nary_in_torch, (n, p)) for n in NARY for p in NARY_POINTS)


# ---- the array kernels against the float kernels: the bound ops.py states ----

ULP_BOUND = 4  # ops.py: "they agree to within 4 ulp, not bit for bit"
KERNELS = {
    "exp": ops.exp,
    "log": ops.log,
    "tanh": ops.tanh,
    "sigmoid": ops.sigmoid,
    "softplus": ops.softplus,
    "sin": ops.sin,
    "cos": ops.cos,
    "sqrt": ops.sqrt,
    "abs": ops.abs,
    "relu": ops.relu,
    "x**2": lambda x: ops.pow_const(x, 2.0),
    "x**-1": lambda x: ops.pow_const(x, -1.0),
    "x**3": lambda x: ops.pow_const(x, 3.0),
    "x**1.5": lambda x: ops.pow_const(x, 1.5),
    "x**0.5": lambda x: ops.pow_const(x, 0.5),
    "x**-0.5": lambda x: ops.pow_const(x, -0.5),
}
CORRECTLY_ROUNDED = {"sqrt", "abs", "relu", "x**0.5", "x**-0.5"}  # IEEE: one right answer


def _ulps(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """How many doubles apart a and b are, element by element: 0 where the bits are equal or
    both are nan, at least 1 otherwise (-0.0 and 0.0 are 1 apart: the sign of zero counts)."""

    def ordered(x: np.ndarray) -> np.ndarray:
        bits = x.view(np.int64)
        return np.where(bits < 0, np.int64(-(2**63)) - bits, bits)

    same = (a.view(np.int64) == b.view(np.int64)) | (np.isnan(a) & np.isnan(b))
    return np.where(same, 0, np.maximum(1, np.abs(ordered(a) - ordered(b))))


def _kernel_points() -> np.ndarray:
    rng = np.random.default_rng(18)
    n = 25_000
    return np.concatenate(
        [
            rng.uniform(-1.0, 1.0, n),
            rng.uniform(-30.0, 30.0, n),
            rng.standard_normal(n) * 5.0,
            np.exp(rng.uniform(-20.0, 20.0, n)),
            np.array([-inf, -0.0, 0.0, inf, nan, 5e-324, 1e308, 20.0, -20.0]),
        ]
    )


@pytest.mark.parametrize("name", sorted(KERNELS))
def test_array_kernels_agree_with_float_kernels_within_the_stated_ulps(name: str) -> None:
    kernel = KERNELS[name]
    points = _kernel_points()
    with np.errstate(all="ignore"):
        on_array = kernel(points)
    on_floats = np.array([kernel(float(x)) for x in points])
    worst = int(_ulps(on_array, on_floats).max())
    assert worst <= (0 if name in CORRECTLY_ROUNDED else ULP_BOUND), f"{name}: {worst} ulp"


def test_ops_states_the_bound_that_is_measured() -> None:
    doc = " ".join((ops.__doc__ or "").split())
    assert f"agree to within {ULP_BOUND} ulp, not bit for bit" in doc
    assert "compute the same numbers" not in doc


def test_the_ulp_measure_counts_doubles_between() -> None:
    one = np.array([1.0])
    assert _ulps(one, np.nextafter(one, 2.0))[0] == 1
    assert _ulps(np.array([-0.0]), np.array([0.0]))[0] == 1  # the sign of zero counts
    assert _ulps(np.array([nan]), np.array([-nan]))[0] == 0
    assert _ulps(np.array([5e-324]), np.array([-5e-324]))[0] == 2


def test_where_picks_zero_bit_for_bit_as_numpy_on_large_batches() -> None:
    # from ops._BITWISE elements, where(c, 0.0, b) clears bits instead of calling np.where:
    # the oracle is np.where itself, on special values (nan payloads, -0.0, inf) and strides
    rng = np.random.default_rng(7)
    specials = np.array([nan, -nan, -0.0, 0.0, inf, -inf, 5e-324, -5e-324, 1.0, -1.0])
    b = rng.standard_normal((3000, 16))
    b.flat[rng.integers(0, b.size, 5000)] = rng.choice(specials, 5000)
    views = [b, b.T, b[::2, ::3], np.broadcast_to(b[0], b.shape)]
    for view in views:
        assert view.size >= ops._BITWISE or view is views[2]
        for condition in (view < 0.0, view <= 0.0, view != view, rng.random(view.shape) < 0.5):
            mine = ops.where(condition, 0.0, view)
            theirs = np.where(condition, 0.0, view)
            assert mine.shape == theirs.shape
            assert np.array_equal(mine.view(np.int64), theirs.view(np.int64))
    # -0.0 as the chosen number is not all zero bits: np.where's path, the same numbers
    c = b < 0.0
    assert np.array_equal(ops.where(c, -0.0, b).view(np.int64), np.where(c, -0.0, b).view(np.int64))
    # relu's kernel and rule on a large batch: -0.0 stays -0.0, nan stays nan, bit for bit
    z = ops.relu.record.kernel(b)
    assert np.array_equal(z.view(np.int64), np.where(b < 0.0, 0.0, b).view(np.int64))
    (g,) = ops.relu_backward(b, z, b)
    assert np.array_equal(g.view(np.int64), np.where(z <= 0.0, 0.0, b).view(np.int64))
