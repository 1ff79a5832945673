"""Compiled replay: traced Programs against the eager engine, on floats and on NumPy batches.

The oracle is the eager engine itself, built afresh for every sample: a Program must give the
same outputs and gradients (to 1e-10 relative; the same IEEE specials, signs of zero included,
at the edge points) on random graphs that use every op, share nodes and feed a node twice.
"""

from __future__ import annotations

import ast
import math
import random
import re
import warnings

import numpy as np
import pytest

import autograd as ag
from autograd import Program, TraceMismatchError, Value, custom_op, grad, ops, trace
from nn import MLP
from tests.oracles import inf, nan

# Every op of ops.OPS, as a step on two nodes of the graph so far: (name, on Values).
STEPS = [
    ("add", lambda a, b: a + b),
    ("sub", lambda a, b: a - b),
    ("mul", lambda a, b: a * b),
    ("div", lambda a, b: a / b),
    ("pow", lambda a, b: a**b),
    ("neg", lambda a, b: -a),
    ("pow_const", lambda a, b: a**2),
    ("pow_const_half", lambda a, b: a**0.5),
    ("pow_const_neg", lambda a, b: a**-1.5),
    ("abs", lambda a, b: a.abs()),
    ("sign", lambda a, b: ops.sign(a) + b),
    ("exp", lambda a, b: a.exp()),
    ("log", lambda a, b: a.log()),
    ("tanh", lambda a, b: a.tanh()),
    ("sigmoid", lambda a, b: a.sigmoid()),
    ("relu", lambda a, b: a.relu()),
    ("leaky_relu", lambda a, b: a.leaky_relu(0.2)),
    ("sin", lambda a, b: a.sin()),
    ("cos", lambda a, b: a.cos()),
    ("sqrt", lambda a, b: a.sqrt()),
    ("softplus", lambda a, b: a.softplus()),
    ("sum", lambda a, b: ag.sum([a, b, a, 1.5])),
    ("dot", lambda a, b: ag.dot([a, b], [b, 2.0])),
    ("shift", lambda a, b: ops.shift([a, b, -1.0]) * a + b),
    ("take", lambda a, b: ops.take([a, b, a * b], 2.0) + ops.take([b, a], 0)),
    ("square_by_mul", lambda a, b: a * a),
]
STEP_OPS = {name.split("_by_")[0].removesuffix("_half").removesuffix("_neg") for name, _ in STEPS}


def test_the_random_graphs_use_every_op() -> None:
    assert set(ops.OPS) - {"matmul"} <= STEP_OPS | {"square"}  # matmul: lifting makes it


def random_graph(rng: random.Random, n_inputs: int, n_steps: int) -> list[tuple[int, int, int]]:
    """Node k = STEPS[op](node i, node j) over the nodes so far (they may be the same node)."""
    steps = []
    for k in range(n_steps):
        size = n_inputs + k
        steps.append((rng.randrange(len(STEPS)), rng.randrange(size), rng.randrange(size)))
    return steps


def build(steps: list[tuple[int, int, int]], nodes: list[Value]) -> Value:
    nodes = list(nodes)
    for op, i, j in steps:
        nodes.append(STEPS[op][1](nodes[i], nodes[j]))
    # the output reads several nodes, so many are shared
    return ag.sum(nodes[-3:]) if len(nodes) >= 3 else nodes[-1]


def eager(steps: list[tuple[int, int, int]], xs: list[float]) -> tuple[float, list[float]]:
    leaves = [Value(x) for x in xs]
    out = build(steps, leaves)
    return out.data, grad(out, leaves)


def same_number(a: float, b: float, rel: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b) or a == 0.0 or b == 0.0:
        return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
    return math.fabs(a - b) <= rel * max(math.fabs(a), math.fabs(b))


def same_number_loose_zero(a: float, b: float, rel: float) -> bool:
    """As same_number, but a zero may differ in sign when the two were made by different
    summation orders (a batch sum vs an eager sum)."""
    if a == 0.0 and b == 0.0:
        return True
    return same_number(a, b, rel)


@pytest.mark.parametrize("seed", range(150))
def test_traced_random_graphs_match_eager_on_floats(seed: int) -> None:
    rng = random.Random(seed)
    n_inputs = rng.randint(1, 3)
    steps = random_graph(rng, n_inputs, rng.randint(1, 14))
    example = [rng.uniform(-2, 2) for _ in range(n_inputs)]
    prog = trace(lambda *xs: build(steps, list(xs)), *example)
    for _ in range(5):
        point = [rng.uniform(-3, 3) for _ in range(n_inputs)]
        data, grads = eager(steps, point)
        out, input_grads, _ = prog.grad(*point)
        assert same_number(prog(*point), data, 0.0)  # floats run the very same kernels
        assert same_number(out, data, 0.0), (out, data, steps)
        for ours, theirs in zip(input_grads, grads):
            assert same_number(ours, theirs, 0.0), (ours, theirs, steps)


@pytest.mark.parametrize("seed", range(150))
def test_traced_random_graphs_match_eager_on_batches(seed: int) -> None:
    rng = random.Random(1000 + seed)
    n_inputs = rng.randint(1, 3)
    steps = random_graph(rng, n_inputs, rng.randint(1, 14))
    example = [rng.uniform(-2, 2) for _ in range(n_inputs)]
    prog = trace(lambda *xs: build(steps, list(xs)), *example)
    batch = [np.array([rng.uniform(-3, 3) for _ in range(7)]) for _ in range(n_inputs)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a NumPy RuntimeWarning would fail the test
        outputs, input_grads, _ = prog.grad(*batch)
    for i in range(7):
        data, grads = eager(steps, [float(x[i]) for x in batch])
        assert same_number(float(outputs[i]), data, 1e-10), (outputs[i], data, steps)
        for g, theirs in zip(input_grads, grads):
            assert same_number(float(g[i]), theirs, 1e-10), (g[i], theirs, steps)


EDGES = [0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 20.0, 710.0, -710.0, 1e308, inf, -inf, nan]


@pytest.mark.parametrize("name", [name for name, _ in STEPS])
def test_edge_points_are_identical_to_eager_with_warnings_as_errors(name: str) -> None:
    apply = dict(STEPS)[name]
    prog = trace(lambda a, b: apply(a, b), 0.5, 1.5)
    pairs = [(a, b) for a in EDGES for b in EDGES]
    xs, ys = np.array([a for a, _ in pairs]), np.array([b for _, b in pairs])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        outputs, (ga, gb), _ = prog.grad(xs, ys)
        singles = [prog.grad(a, b) for a, b in pairs]
    for k, (a, b) in enumerate(pairs):
        va, vb = Value(a), Value(b)
        out = apply(va, vb)
        expected = (out.data, *grad(out, [va, vb]))  # the pass's own numbers, -0.0 included
        single = (singles[k][0], *singles[k][1])
        batched = (float(outputs[k]), float(ga[k]), float(gb[k]))
        for what, got in (("float", single), ("batch", batched)):
            for ours, theirs in zip(got, expected):
                assert same_number(ours, theirs, 1e-10), (name, what, a, b, got, expected)


def test_a_node_used_twice_gets_both_contributions() -> None:
    prog = trace(lambda a: a * a, 3.0)
    lines = [line.strip() for line in prog.source.splitlines()]
    # the two contributions (g·a from each operand), added: m + m is m * 2.0, exactly
    [line] = [line for line in lines if line.startswith("g_a =")]
    assert line.split("#")[0].strip() == "g_a = g_t2 * a * 2.0"
    assert line.endswith("*: ∂t2/∂a = a, twice: a is both operands")
    assert prog.grad(3.0)[1] == [6.0]
    assert prog.grad(np.array([1.0, -2.0]))[1][0].tolist() == [2.0, -4.0]


def test_parameters_are_read_afresh_at_every_call() -> None:
    w = Value(2.0, "w")
    prog = trace(lambda x: x * w, 3.0, params=[w])
    assert prog(3.0) == 6.0
    w.data = -1.0
    assert prog(3.0) == -3.0
    out, (gx,), (gw,) = prog.grad(np.array([1.0, 2.0, 4.0]))
    assert out.tolist() == [-1.0, -2.0, -4.0] and gx.tolist() == [-1.0] * 3 and gw == 7.0


def test_other_captured_values_are_constants_frozen_at_trace_time() -> None:
    c = Value(2.0, "c")
    prog = trace(lambda x: x * c, 3.0)
    c.data = 5.0
    assert prog(3.0) == 6.0
    with pytest.raises(TraceMismatchError, match="the output is 6.0 in the Program but 15.0"):
        prog.check(3.0)


def test_backward_adds_the_gradient_of_the_mean_like_eager_backward() -> None:
    model = MLP(2, [5, 1], seed=3)
    params = model.parameters()
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    y = np.where(rng.normal(size=40) > 0, 1.0, -1.0)

    def hinge(a: Value, b: Value, t: Value) -> Value:
        return (1 - t * model([a, b])).relu()

    prog = trace(hinge, X[0, 0], X[0, 1], y[0], params=params)
    for reduce in ("mean", "sum"):
        model.zero_grad()
        losses = [hinge(*map(Value, (a, b, t))) for (a, b), t in zip(X, y)]
        total = ag.sum(losses) / len(losses) if reduce == "mean" else ag.sum(losses)
        total.backward()
        expected = [p.grad for p in params]
        for p in params:
            p.grad = 0.25  # backward adds, as eager does
        value = prog.backward(X[:, 0], X[:, 1], y, reduce=reduce)
        assert same_number(value, total.data, 1e-12)
        for p, e in zip(params, expected):
            assert same_number_loose_zero(p.grad, e + 0.25, 1e-10), (p.grad, e)


def test_a_single_sample_backward_is_the_eager_backward() -> None:
    x, w = Value(0.5, "x"), Value(-1.5, "w")
    prog = trace(lambda x: (x * w).tanh() ** 2, 0.5, params=[w])
    eager_out = (x * w).tanh() ** 2
    eager_out.backward()
    expected = w.grad
    w.grad = 0.0
    assert prog.backward(0.5) == eager_out.data and w.grad == expected


def test_a_number_broadcast_over_a_batch_gets_the_summed_gradient() -> None:
    prog = trace(lambda x, k: x * k, 1.0, 2.0)
    out, (gx, gk), _ = prog.grad(np.array([1.0, 2.0, 3.0]), 2.0)
    assert out.tolist() == [2.0, 4.0, 6.0] and gx.tolist() == [2.0] * 3 and gk == 6.0


def test_source_parses_names_labels_and_mentions_every_op_and_rule() -> None:
    rng = random.Random(5)
    steps = [(k, 1 + k, rng.randrange(2 + k)) for k in range(len(STEPS))]  # a chain: all used
    prog = trace(lambda a, b: build(steps, [a, b]), 0.7, 1.3)
    tree = ast.parse(prog.source)
    assert [node.name for node in tree.body] == ["program"]
    backward = prog.source.split("# ---- backward")[1]
    for name in ops.OPS:  # each op's rule is written out, its derivative in the comment
        record = getattr(ops, name).record
        if record.sends_none:  # shift: a comment, nothing computed
            assert re.search(rf"# (?:#\d+: )?{record.name} sends no gradient back", backward)
        else:
            assert re.search(rf"# (?:#\d+: )?{re.escape(record.name)}\S*: ∂", backward), name
        assert f"{name}_backward(" not in prog.source, name  # a formula, not a helper call
    for name in ["div", "pow", "abs", "sign", "exp", "log", "tanh", "sigmoid", "relu", "sum"]:
        assert f" {name}(" in prog.source, name
    for expression in ["t3 = b + b", "t4 = t3 - t3", "t5 = t4 * t3", "t8 = -t7"]:
        assert expression in prog.source  # + - * and negation stay operators


def test_source_names_parameters_by_their_labels_and_nodes_as_the_drawings_do() -> None:
    w, b = Value(-2.0, "w"), Value(0.3, "b")
    prog = trace(lambda x: (x * w + b).tanh(), 0.5, params=[w, b])
    source = prog.source
    assert "def program(x, w, b, grad_out=None):" in source
    assert "    t4 = x * w\n" in source  # node #4 of the drawings and steps is t4
    assert "g_t5 = g_t6 * (1.0 - t6 * t6)" in source  # tanh's rule, as its formula
    # the rule's derivatives in this graph's names, not in letters that may be inputs' names
    assert "# tanh: ∂t6/∂t5 = 1 - t6²" in source
    assert "g_x = g_t4 * w" in source and "# *: ∂t4/∂x = w" in source
    assert "g_w = g_t4 * x" in source and "# *: ∂t4/∂w = x" in source
    assert "return t6, (g_x,), (g_w, g_b)" in source


def test_a_long_captured_constant_gets_one_name_and_a_second_path_is_added() -> None:
    prog = trace(lambda a: (a * 0.123456789) * a + a * 0.123456789, 1.5)
    source = prog.source
    assert source.count("= 0.123456789") == 1  # hoisted once, used twice by name
    assert "added: used again" in source
    assert prog.grad(2.0)[1] == [2 * 0.123456789 * 2.0 + 0.123456789]


def test_trace_works_under_no_grad_and_the_program_builds_no_value() -> None:
    with ag.no_grad():
        prog = trace(lambda x: x.exp() * x, 1.0)
    before = Value(0.0)._order
    result = prog(np.array([0.0, 1.0]))
    assert Value(0.0)._order == before + 1  # no node was made in between
    assert result.tolist() == [0.0, math.e]


def test_check_names_the_sample_where_python_control_flow_changes_the_graph() -> None:
    def f(x: Value) -> Value:
        return x.tanh() if x.data > 0 else x.exp()

    prog = trace(f, 1.0)
    assert prog.check(np.array([0.5, 2.0]))
    with pytest.raises(
        TraceMismatchError,
        match=r"at sample 1.*the 2nd node the trace recorded is #2 = tanh\(x\); in this "
        r"sample's graph the 2nd node is #2 = exp\(x\)",
    ):
        prog.check(np.array([0.5, -1.0]))
    constant = trace(lambda v: v * 2 if v.data > 0 else -v, 1.0)
    with pytest.raises(
        TraceMismatchError,
        match=r"the 2nd node the trace recorded is the constant 2\.0; in this sample's graph the "
        r"2nd node is #2 = -v",
    ):
        constant.check(-1.0)


def test_custom_ops_are_traced_batched_and_element_by_element() -> None:
    cube = custom_op("cube", lambda x: x * x * x, lambda g, z, x: (g * 3.0 * x * x,))
    scalar_only = custom_op("mexp", math.exp, lambda g, z, x: (g * math.exp(x),))
    prog = trace(lambda x: cube(x) + scalar_only(x), 0.5)
    xs = np.array([-1.0, 0.0, 2.0])
    out, (gx,), _ = prog.grad(xs)
    assert out.tolist() == [-1.0 + math.exp(-1.0), 1.0, 8.0 + math.exp(2.0)]
    assert gx.tolist() == [3.0 + math.exp(-1.0), 1.0, 12.0 + math.exp(2.0)]
    assert "mexp: your rule, element by element" in prog.source
    assert "cube: your rule\n" in prog.source or "cube: your rule" in prog.source


@pytest.mark.parametrize(
    "call,error,message",
    [
        (lambda p: p(1.0), TypeError, r"takes 2 inputs \(x, y\), got 1"),
        (lambda p: p(1.0, 2.0, 3.0), TypeError, "takes 2 inputs"),
        (lambda p: p(np.ones(3), np.ones(4)), ValueError, "'y' has 4 samples but 'x' has 3"),
        (lambda p: p(np.ones((3, 1)), 1.0), ValueError, r"1-D array.*\(3, 1\).*\*X\.T"),
        (lambda p: p(np.ones(3) * 1j, 1.0), TypeError, "real array, got dtype complex128"),
        (lambda p: p(np.array(["a"]), 1.0), TypeError, "real array"),
        (lambda p: p("1", 1.0), TypeError, "needs a real number, got str"),
        (lambda p: p(Value(1.0), 1.0), TypeError, "is a Value; a Program computes on numbers"),
        (lambda p: p.backward(1.0, 2.0, reduce="max"), ValueError, '"mean" or "sum"'),
        (lambda p: p.backward(np.ones(0), 1.0), ValueError, "empty batch"),
    ],
)
def test_bad_program_inputs_are_refused_at_the_call(call, error, message) -> None:  # type: ignore[no-untyped-def]
    prog = trace(lambda x, y: x * y, 1.0, 2.0)
    with pytest.raises(error, match=message):
        call(prog)


@pytest.mark.parametrize(
    "call,error,message",
    [
        (lambda: trace(3, 1.0), TypeError, "needs a callable fn, got int"),
        (lambda: trace(lambda x: [x], 1.0), TypeError, "return one scalar Value, got list"),
        (lambda: trace(lambda x: x.data, 1.0), TypeError, "one scalar Value, got float"),
        (lambda: trace(lambda x: x, np.ones(3)), TypeError, r"one real number.*xs\[0\]"),
        (lambda: trace(lambda x: x, "a"), TypeError, "got str"),
        (lambda: trace(lambda x: x, Value(1.0)), TypeError, "got a Value"),
        (lambda: trace(lambda x: x, 1.0, params=[1.0]), TypeError, "must be Values, got float"),
        (lambda: trace(lambda x: x, 1.0, params=3), TypeError, "sequence of Values, got int"),
        (lambda: trace(lambda x: x, 1.0, params={Value(1.0)}), TypeError, "in an order"),
        (
            lambda: trace(lambda x: x, 1.0, params=[Value(1.0) * 2]),
            ValueError,
            "must be leaf Values",
        ),
    ],
)
def test_bad_trace_calls_are_refused_with_clear_errors(call, error, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=message):
        call()


def test_a_repeated_parameter_and_a_hook_are_refused() -> None:
    w = Value(1.0)
    with pytest.raises(ValueError, match=r"params\[1\] is params\[0\] again"):
        trace(lambda x: x * w, 1.0, params=[w, w])
    w.register_hook(lambda g: g * 2)
    with pytest.raises(ValueError, match="cannot replay register_hook"):
        trace(lambda x: x * w, 1.0, params=[w])


def test_program_repr_and_inputs() -> None:
    prog = trace(lambda x, y: (x * y).relu(), 1.0, 2.0)
    assert isinstance(prog, Program) and prog.inputs == ("x", "y")
    assert repr(prog) == "<Program <lambda>(x, y): 2 ops, 0 parameters>"


def test_labels_that_look_like_generated_names_do_not_clash() -> None:
    # found by review: a label c1 was overwritten by a temporary, g_x by a gradient, and 𝑥 by x
    c0, c1, c2 = Value(0.5, "c0"), Value(-1.0, "c1"), Value(2.0, "c2")

    def poly(x: Value, y: Value) -> Value:
        return (c0 + c1 * x + c2 * x * x - y) ** 2

    prog = trace(poly, 1.5, 2.0, params=[c0, c1, c2])
    out, inputs, params = prog.grad(1.5, 2.0)
    x, y = Value(1.5), Value(2.0)
    assert [*inputs, *params] == grad(poly(x, y), [x, y, c0, c1, c2])
    assert inputs[0] == 2 * (0.5 - 1.5 + 4.5 - 2.0) * (-1.0 + 2 * 2.0 * 1.5)  # by hand: 15

    def named(x: Value) -> Value:
        t = x.tanh()
        t.label = "g_x"
        u = x * 2.0
        u.label = "𝑥"  # NFKC makes this the name x
        return 3 * (t * x) + u

    prog = trace(named, 0.7)
    v = Value(0.7)
    assert prog(0.7) == named(Value(0.7)).data and prog.grad(0.7)[1] == grad(named(v), [v])


@pytest.mark.parametrize("label", ["w₁", "θ₀", "x²", "½", "hidden\nunit", "if", '"""', "a b", ""])
def test_any_label_gives_a_program_that_compiles_and_agrees(label: str) -> None:
    w = Value(0.5, label)
    prog = trace(lambda x: (x * w).tanh() + w, 1.0, params=[w])
    v = Value(1.0)
    assert prog.grad(1.0)[2] == grad((v * w).tanh() + w, [w])
    ast.parse(prog.source)


def test_a_custom_op_name_with_a_newline_stays_inside_its_comment() -> None:
    odd = custom_op("a\nb", lambda x: 2.0 * x, lambda g, z, x: (2.0 * g,))
    prog = trace(lambda x: odd(x) + x, 1.0)
    assert prog.grad(3.0) == (9.0, [3.0], []) and "a\\nb" in prog.source


def test_sums_over_the_batch_print_no_warning_at_infinities() -> None:
    w = Value(2.0)
    prog = trace(lambda x: x * w, 1.0, params=[w])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert math.isnan(prog.grad(np.array([np.inf, -np.inf]))[2][0])
        assert prog.grad(np.array([1e308, 1e308]))[2][0] == math.inf
        prog.backward(np.array([np.inf, -np.inf]), reduce="sum")
    assert math.isnan(w.grad)


def test_zero_d_arrays_tensors_and_lists_are_taken_as_a_program_takes_numbers() -> None:
    prog = trace(lambda x, y: x * y, 1.0, 2.0)
    assert prog(np.array(3.0), np.float32(2.0)) == 6.0
    assert prog([1.0, 2.0], 3.0).tolist() == [3.0, 6.0]
    with pytest.raises(ValueError, match="'x' is not a 1-D array of numbers"):
        prog([[1.0], [2.0, 3.0]], 1.0)
    torch = pytest.importorskip("torch")
    assert prog(torch.tensor([1.0, 2.0]), torch.tensor(2.0)).tolist() == [2.0, 4.0]


def test_check_does_not_call_batch_rounding_a_mismatch() -> None:
    import autograd

    x = 14.996525052514343  # tanh saturates: 1 - z² magnifies NumPy's last-ulp difference
    prog = trace(lambda x: x.tanh(), 1.0)
    batch = np.array([x, x])
    v = Value(x)
    (expected,) = autograd.grad(v.tanh(), [v])
    assert prog.grad(x)[1][0] == expected  # one sample on floats: eager's kernels
    assert prog.check(batch)
    w = [Value(0.3), Value(-0.7), Value(1.1)]

    def cancelling(a: Value, b: Value) -> Value:
        return autograd.dot([1e16, 1.0, -1e16], [a, b, a]) + autograd.dot(w, [a, b, a])

    lifted = trace(cancelling, 0.4, -0.3, params=w)
    assert lifted(0.37, 1.3) == cancelling(Value(0.37), Value(1.3)).data
    assert lifted.check(np.array([0.37]), np.array([1.3]))


def test_check_still_names_a_changed_constant_in_a_batch() -> None:
    c = Value(2.0)
    prog = trace(lambda x: x * c, 1.0)
    c.data = 3.0  # the trace froze 2.0
    with pytest.raises(TraceMismatchError, match="sample 0, the output is 2.0 in the Program"):
        prog.check(np.array([1.0, 2.0]))
