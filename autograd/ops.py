"""Every op and its derivative, one block each: the only file in the project with calculus in it.

Each block is one record of the op, written as math:

    def div_backward(g, z, x, y): ...         the rule: one contribution per input, in order
    div = define("/", _div, div_backward, form=INFIX,
                 math="z = x / y", derivatives=("1/{y}", "-({x}/{y})/{y}"))

`define` makes the op function and its `Op` record (`div.record`): the name a node shows, the
kernel that computes z from the inputs' numbers, the rule, how many inputs, how its formula prints
(`x / y`), and its math as data. Step text, the page, `trace` and the docs read the record; none
keeps a table of its own. Adding an op is one block here and one row in tests/test_ops.py.

A rule takes the upstream gradient `g`, the op's output `z` and its inputs `xs`, and is written
with operators and with the op functions of this file, which accept floats, `Value`s and NumPy
arrays alike. So **one copy of each rule** serves three passes: on floats in a plain
`backward()` (fast, builds nothing), on `Value`s under `grad(create_graph=True)` (it records a
graph of its own: that is how second derivatives come for free), and on whole arrays of samples
in a traced `Program` (`autograd.trace`). A branch in a rule is written `where(condition, a, b)`:
a plain `if` for one number, element by element for an array. A rule returns a tuple of one
contribution per input; None in place of one means no gradient flows to that input (torch's
convention for a backward), which is not the same as 0: nothing reaches it, so 0 · ∞ upstream
cannot make a nan.

Numbers follow IEEE 754 as PyTorch's float64 does: log(0) = -inf, 1/0 = inf, 0/0 = nan,
exp(1000) = inf, nan propagates, and nothing raises. Where a derivative has a kink or a special
case, the rule follows PyTorch's and says so.

The kernels on arrays are NumPy's and those on floats Python's `math` (the C library's): they
agree to within 4 ulp, not bit for bit. Measured over 800,000 points on x86-64 (NumPy 2.4,
glibc 2.36): tanh and softplus differ by up to 3 ulp (tanh on about a quarter of inputs),
sigmoid by 2, exp, log and powers (x**y, x**c) by 1 (x**2 and x**-1 on about 0.1% of inputs);
+ - * /, sqrt, abs, relu and x**±0.5 are correctly rounded, so exact, and sin and cos agreed
everywhere. tests/test_ops.py measures the bound. So a batch replayed on arrays may differ from
eager in the last bits. A Program runs the array kernels with NumPy's warnings silenced, as the
float kernels print none either.
"""

from __future__ import annotations

import builtins
import inspect
import math
import operator
import struct
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import numpy as np

from autograd.value import Value, _record, lift, to_float

inf, nan = math.inf, math.nan
ndarray = np.ndarray

Rule = Callable[..., tuple[Any, ...]]

# ---- the record of an op, and the one way to make an op (built-in ops and `custom_op`) ----

# How an op's formula prints (`Op.show`), as a learner wrote it:
INFIX = "infix"  # x * y
PREFIX = "prefix"  # -x
SUFFIX = "suffix"  # x**2          (the node's op name after its input)
CALL = "call"  # tanh(x)
SUM = "sum"  # x1 + x2 + x3
DOT = "dot"  # w1*x1 + w2*x2   (parents: the w half, then the x half)
MATMUL = "matmul"  # x @ W.T       (an array op: only lifted programs make it)
FORMS = (INFIX, PREFIX, SUFFIX, CALL, SUM, DOT, MATMUL)

# How the op function takes its inputs:
EACH = "each"  # op(x, y): one argument per input
LIST = "list"  # op([x1, ..., xn]): one sequence (sum, shift)
HALVES = "halves"  # op(ws, xs): two sequences of one length, parents ws + xs (dot)


class Op:
    """Everything the project knows about one op, made by `define` (the record of STYLE §13).

    name         what a node shows as its `op` ("*", "tanh"; `**2` for pow_const's nodes)
    python       the op function's name ("mul"), its rule's name without `_backward`
    kernel       z from the inputs' numbers: floats, or NumPy arrays of samples
    rule         rule(g, z, *xs) -> one contribution per input (the chain rule's local part)
    arity        how many inputs (-1: any number)
    form         how its formula prints: INFIX, PREFIX, SUFFIX, CALL, SUM, DOT, MATMUL
    takes        EACH, LIST or HALVES: how the op function takes its inputs
    math         the formula as text, "z = x · y" ("" for a custom op)
    derivatives  one template per input, dz/dxᵢ in the rule's letters: ("{y}", "{x}") for `*`
                 (n-ary ops: one template for every xᵢ, written with {x}; None: not known)
    letters      what the rule calls the output and the inputs: ("z", "x", "y")
    constant     the name of a constant bound to the rule ("c" for `**c`), or ""
    custom       True for an op made by `custom_op` (its rule is the user's code)
    sends_none   True for an op whose rule sends no gradient to any input (None to each: shift),
                 so a traced program writes no chain rule for it
    """

    __slots__ = (
        "name",
        "python",
        "kernel",
        "rule",
        "arity",
        "form",
        "takes",
        "math",
        "derivatives",
        "letters",
        "constant",
        "custom",
        "sends_none",
        "function",
        "__weakref__",
    )

    def __init__(
        self,
        name: str,
        python: str,
        kernel: Callable[..., Any],
        rule: Rule,
        arity: int,
        form: str,
        takes: str,
        math: str,
        derivatives: tuple[str, ...] | None,
        constant: str,
        custom: bool,
        sends_none: bool = False,
    ) -> None:
        if form not in FORMS:
            raise ValueError(f"an op's form must be one of {FORMS}, got {form!r}")
        self.name, self.python, self.kernel, self.rule = name, python, kernel, rule
        self.arity, self.form, self.takes, self.math = arity, form, takes, math
        self.derivatives, self.constant, self.custom = derivatives, constant, custom
        self.sends_none = sends_none
        self.letters = _letters(rule)
        self.function: Any = None

    def __repr__(self) -> str:
        return f"<Op {self.python} {self.name!r}: {self.math or 'custom'}>"

    def show(self, args: Sequence[str], shown_as: str | None = None) -> str:
        """Return the formula of a node of this op on inputs named `args`: `x * y`, `-x`,
        `x**2`, `tanh(x)`, `a + b + c`, `w1*x1 + w2*x2`. `shown_as` is the node's op name
        (a node's `op` may differ from the record's name: `**2`, or one a user wrote)."""
        op = self.name if shown_as is None else shown_as
        form = self.form
        if form == INFIX and len(args) == 2:
            return f"{args[0]} {op} {args[1]}"
        if form == PREFIX and len(args) == 1:
            return f"-{args[0]}"
        if form == SUFFIX and len(args) == 1:
            return f"{args[0]}{op}"
        if form == SUM:
            return " + ".join(args)
        if form == DOT:
            n = len(args) // 2
            return " + ".join(f"{w}*{x}" for w, x in zip(args[:n], args[n:]))
        if form == MATMUL and len(args) == 2:
            return f"{args[1]} @ {args[0]}.T"
        return f"{op}({', '.join(args)})"

    def derivative_text(
        self, names: Sequence[str], node: str, keep: Sequence[bool] | None = None
    ) -> str:
        """Return the local derivatives with this graph's names in place of the rule's letters:
        `∂t4/∂x = w, ∂t4/∂w = x` for a `*` node t4 = x * w. "" when the op has none on record.
        `names` are the node's parents' names, in order; `node` the node's own; `keep` says
        which inputs to speak of (default all; a constant needs no derivative)."""
        if not self.derivatives:
            return ""
        if keep is None:
            keep = [True] * len(names)
        if self.arity == -1:  # n-ary: one template for each input, written with {x}
            (template,) = self.derivatives
            if self.takes == HALVES:
                return f"∂{node}/∂wᵢ = xᵢ, ∂{node}/∂xᵢ = wᵢ"
            return f"∂{node}/∂xᵢ = {template.format(x='xᵢ', z=node)}"
        letters = dict(zip(self.letters, (node, *names)), g="g")
        if self.form == MATMUL:  # an array op: its templates are the contributions themselves
            return ", ".join(
                f"to {name}: {template.format(**letters)}"
                for name, template, kept in zip(names, self.derivatives, keep)
                if kept
            )
        return ", ".join(
            f"∂{node}/∂{name} = {template.format(**letters)}"
            for name, template, kept in zip(names, self.derivatives, keep)
            if kept
        )


def _letters(rule: Callable[..., Any]) -> tuple[str, ...]:
    """What a rule calls the output and the inputs: (z, x, y) for mul_backward(g, z, x, y)."""
    try:
        parameters = list(inspect.signature(rule).parameters.values())[1:]
    except (TypeError, ValueError):
        return ()
    return tuple(p.name for p in parameters if p.kind is p.POSITIONAL_OR_KEYWORD)


def record_of(rule: Any) -> Op | None:
    """Return the `Op` record a node's rule (`node._backward`) belongs to, or None.

    Each rule carries it (through a bound constant too), so tools find an op from a node, and
    an op made and dropped at run time (a custom op in a loop) leaves nothing in a table.
    """
    return getattr(getattr(rule, "func", rule), "op_record", None)


def op_of(rule: Any) -> Any:
    """Return the op function a node's rule belongs to (through a bound constant), or None."""
    found = record_of(rule)
    return None if found is None else found.function


def define(
    op: str,
    forward: Callable[..., Any],
    rule: Rule,
    arity: int | None = None,
    *,
    form: str = CALL,
    math: str = "",
    derivatives: tuple[str, ...] | None = None,
    takes: str = EACH,
    constant: str = "",
    default: float | None = None,
    convert: Callable[[Any], float] | None = None,
    shown: Callable[[float], str] | None = None,
    custom: bool = False,
    sends_none: bool = False,
) -> Any:
    """Return the op function for an op shown as `op`, computed by `forward`, with `rule`;
    its `Op` record is `.record`.

    The function takes `arity` inputs (by default as many as the rule takes after (g, z);
    -1: any number), one argument each, or as one sequence (`takes=LIST`), or as two sequences
    of one length (`takes=HALVES`, a dot product's weights and inputs). Given numbers or NumPy
    arrays it returns `forward(*xs)` (a number, or an array: no graph). Given a `Value` anywhere
    it turns the other inputs into constant leaves and records a node: its data is
    `forward(*numbers)`, its op `op`, its parents the inputs and its local-gradient rule `rule`.
    With `constant="c"` the op takes one input and a number `c` (default `default`, made a float
    by `convert`) that the node keeps bound to its rule; its op shows as `shown(c)`.
    Its name is the rule's without `_backward` (`mul_backward` -> `mul`). `sends_none=True`
    says the rule returns None for every input (no gradient flows back through the op).
    """
    name = rule.__name__.removesuffix("_backward")
    if arity is None:
        arity = -1 if takes != EACH else inputs_of(rule, skip=2)
    count = arity
    apply: Callable[..., Any]
    if constant:
        to_number = convert or (lambda c: to_float(c, f"{name}({constant})"))
        show_name = shown or (lambda c: op)

        def apply(x: Any, c: Any = default) -> Any:
            if type(c) is not float:
                c = to_number(c)
            if type(x) is not Value:
                if isinstance(x, Value):
                    x = lift(x, op)
                else:
                    return forward(x, c)
            node_op, bound = _bind(rule, constant, c, show_name)
            return _record(node_op, forward(x._data, c), (x,), bound)

    elif takes == LIST:

        def apply(xs: Any) -> Any:
            xs = tuple(xs)
            if Value not in map(type, xs) and _no_values(xs):
                return forward(xs)
            values = tuple([lift(x, op) for x in xs])
            return _record(op, forward([v._data for v in values]), values, rule)

    elif takes == HALVES:

        def apply(ws: Any, xs: Any) -> Any:
            ws, xs = tuple(ws), tuple(xs)
            if len(ws) != len(xs):
                raise ValueError(
                    f"{name} needs two sequences of one length, got {len(ws)} and {len(xs)}"
                )
            if Value not in map(type, ws + xs) and _no_values(ws + xs):
                return forward(ws, xs)
            values = tuple([lift(v, op) for v in ws + xs])
            data = [v._data for v in values]
            return _record(op, forward(data[: len(ws)], data[len(ws) :]), values, rule)

    elif arity == 1:

        def apply(x: Any) -> Any:
            if type(x) is Value or (type(x) is not float and isinstance(x, Value)):
                return _record(op, forward(x._data), (x,), rule)  # a subclass of Value too
            return forward(x)  # a number or an array (a rule on floats: two tests)

    elif arity == 2:

        def apply(x: Any, y: Any) -> Any:
            if type(x) is float and type(y) is float:  # a rule on floats (the backward pass)
                return forward(x, y)
            if type(x) is Value:
                if type(y) is not Value:
                    y = lift(y, op)
            elif type(y) is Value:
                x = lift(x, op)
            elif not isinstance(x, Value) and not isinstance(y, Value):  # numbers or arrays
                return forward(x, y)
            else:  # a subclass of Value
                x, y = lift(x, op), lift(y, op)
            return _record(op, forward(x._data, y._data), (x, y), rule)

    else:

        def apply(*xs: Any) -> Any:
            if count > 0 and len(xs) != count:
                raise TypeError(f"{name}() takes {count} inputs, got {len(xs)}")
            if Value not in map(type, xs) and _no_values(xs):
                return forward(*xs)
            values = tuple([lift(x, op) for x in xs])
            return _record(op, forward(*[v._data for v in values]), values, rule)

    record = Op(
        op, name, forward, rule, arity, form, takes, math, derivatives, constant, custom, sends_none
    )
    made: Any = apply  # an op function carries its record, and what tools read of it:
    made.__name__ = made.__qualname__ = name
    made.__doc__ = _doc(record)
    made.forward, made.rule, made.record = forward, rule, record
    record.function = made
    rule.op_record = record  # type: ignore[attr-defined]
    return made


def _no_values(xs: tuple[Any, ...]) -> bool:
    return not builtins.any([isinstance(x, Value) for x in xs])


def _doc(record: Op) -> str:
    if not record.math:
        return f"Return the op {record.name!r} of the inputs (rule {record.rule.__name__})."
    inputs = record.letters[1:] or ("x",)
    names = list(inputs) if record.arity != -1 else ["x"]
    return f"Return {record.math}.    {record.derivative_text(names, 'z')}".rstrip()


def where(condition: Any, a: Any, b: Any) -> Any:
    """Return `a` where `condition` holds, else `b`: the one way a rule branches.

    For one number the condition is a bool and this is `a if condition else b`; for an array of
    samples it is NumPy's element-wise `np.where(condition, a, b)`. Both branches are computed
    first, so each must be harmless (IEEE: no exception) where it is not chosen.
    """
    if type(condition) is bool or type(condition) is np.bool_:
        return a if condition else b
    return _where_arrays(condition, a, b)


def is_zero(x: Any) -> Any:
    """Return x == 0 for a number, a Value (by its data) or an array (element by element).

    (A Value's `==` is identity, as a dict key needs, so rules compare data through this.)
    """
    return (x._data if isinstance(x, Value) else x) == 0.0


def inputs_of(fn: Callable[..., Any], skip: int = 0) -> int:
    """How many inputs `fn` takes after its first `skip` parameters (a rule's g and z): its
    required positional parameters; -1 when it takes any number (*xs) or has no signature."""
    try:
        parameters = list(inspect.signature(fn).parameters.values())[skip:]
    except (TypeError, ValueError):  # some builtins (math.exp) have no signature on 3.10
        return -1
    if builtins.any(p.kind is p.VAR_POSITIONAL for p in parameters):
        return -1
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return builtins.sum(1 for p in parameters if p.kind in positional and p.default is p.empty)


# ---- ops with a constant: one rule, the constant bound to it (shown as `**2`, `leaky_relu`) ----

_bound_rules: dict[tuple[Rule, float | bytes], tuple[str, Rule]] = {}
_bits = struct.Struct("<d").pack


def _bind(rule: Rule, constant: str, value: float, op: Callable[[float], str]) -> tuple[str, Rule]:
    """Return (op name, rule with the constant bound), both made once per constant value.

    Keyed by the value, except where == does not tell values apart: ±0.0 (-0.0 == 0.0, yet
    x·-0.0 is not x·0.0) and nan (nan != nan) are keyed by their bits."""
    key = (rule, value) if value and value == value else (rule, _bits(value))
    found = _bound_rules.get(key)
    if found is None:
        found = (op(value), partial(rule, **{constant: value}))
        if len(_bound_rules) < 4096:  # bounded: a program sweeping exponents stays small
            _bound_rules[key] = found
    return found


# ---- kernels: z from the inputs' numbers, on floats (math) or on arrays (NumPy) ----
# Python's math raises where IEEE, and torch, return inf or nan; these return them instead.


def _div(x: Any, y: Any) -> Any:
    try:
        return x / y  # arrays divide element-wise with IEEE results
    except ZeroDivisionError:  # x/±0 = ±inf (sign of x times sign of the zero), 0/0 = nan
        if x == 0.0 or x != x:
            return nan
        return math.copysign(inf, x) * math.copysign(1.0, y)


def _exp(x: Any) -> Any:
    if type(x) is ndarray:
        return np.exp(x)
    try:
        return math.exp(x)
    except OverflowError:
        return inf


def _log(x: Any) -> Any:
    if type(x) is ndarray:
        return np.log(x)
    if x > 0.0:
        return math.log(x)
    if x == 0.0:
        return -inf
    return nan  # below 0, or nan


def _pow(x: Any, y: Any) -> Any:
    if type(x) is ndarray or type(y) is ndarray:
        return np.power(x, y)
    try:
        return math.pow(x, y)
    except (ValueError, ZeroDivisionError):
        if x == 0.0:  # C99: pow(±0, y < 0) = ±inf for odd integer y, else +inf
            return math.copysign(inf, x) if _odd_integer(y) else inf
        return nan  # a negative base to a non-integer power
    except OverflowError:
        return -inf if x < 0.0 and _odd_integer(y) else inf


def _odd_integer(y: float) -> bool:
    return math.isfinite(y) and y.is_integer() and y % 2.0 == 1.0


# torch computes x**0.5 as √x and x**-0.5 as 1/√x, which differ from pow() at -inf; so do we.
def _pow_const(x: Any, c: float) -> Any:
    if c == 0.5:
        return _sqrt(x)
    if c == -0.5:
        return _div(1.0, _sqrt(x))
    return _pow(x, c)


def _abs(x: Any) -> Any:
    return np.abs(x) if type(x) is ndarray else math.fabs(x)


def _sign(x: Any) -> Any:  # sign(±0) = +0 and sign(nan) = 0, as torch.sign
    if type(x) is ndarray:
        return np.where(x > 0.0, 1.0, np.where(x < 0.0, -1.0, 0.0))
    if x > 0.0:
        return 1.0
    return -1.0 if x < 0.0 else 0.0


def _tanh(x: Any) -> Any:
    return np.tanh(x) if type(x) is ndarray else math.tanh(x)


def _sigmoid(x: Any) -> Any:
    return 1.0 / (1.0 + _exp(-x))


def _relu(x: Any) -> Any:  # max(0, x), nan stays nan and -0.0 stays -0.0, as torch.relu
    if type(x) is ndarray:
        return where(x < 0.0, 0.0, x)
    return 0.0 if x < 0.0 else x


def _leaky_relu(x: Any, slope: float) -> Any:
    if type(x) is ndarray:
        return np.where(x > 0.0, x, x * slope)
    return x if x > 0.0 else x * slope


def _sin(x: Any) -> Any:
    if type(x) is ndarray:
        return np.sin(x)
    return math.sin(x) if math.isfinite(x) else nan


def _cos(x: Any) -> Any:
    if type(x) is ndarray:
        return np.cos(x)
    return math.cos(x) if math.isfinite(x) else nan


def _sqrt(x: Any) -> Any:
    if type(x) is ndarray:
        return np.sqrt(x)
    return math.sqrt(x) if x >= 0.0 else nan


def _softplus(x: Any) -> Any:
    if type(x) is ndarray:
        return np.where(x > 20.0, x, np.log1p(np.exp(x)))
    return x if x > 20.0 else math.log1p(_exp(x))


def _sum(xs: Any) -> Any:
    return builtins.sum(xs, 0.0)


def _dot(ws: Any, xs: Any) -> Any:
    if len(ws) > 2 and type(xs[0]) is ndarray and xs[0].ndim == 1:
        shape = xs[0].shape  # a batch: a neuron's weights (numbers) against samples (arrays)
        if all([type(x) is ndarray and x.shape == shape for x in xs]) and not any(
            [type(w) is ndarray and w.shape for w in ws]
        ):
            # the same products, added in the same order from 0.0 as the line below does in 2n
            # calls: np.add.reduce down axis 0 adds row after row. For a batch of one, NumPy
            # would add that contiguous column pairwise (another order), so accumulate it
            # instead; the final + 0.0 gives what 0.0 + ... gives to a sum of -0.0s
            products = np.array(ws)[:, None] * np.array(xs)
            if shape[0] == 1:
                return np.add.accumulate(products, axis=0)[-1] + 0.0
            return np.add.reduce(products, axis=0, initial=0.0)
    return builtins.sum(map(operator.mul, ws, xs), 0.0)


def _shift(xs: Any) -> Any:
    if not xs:
        raise ValueError("shift needs at least one number")
    m = xs[0]  # the first largest (so ±0 keep their sign), skipping nan; 0 if not finite
    if builtins.any(type(x) is ndarray for x in xs):
        for x in xs[1:]:
            m = np.where((x > m) | (m != m), x, m)
        return np.where(np.isfinite(m), m, 0.0)
    for x in xs[1:]:
        if x > m or m != m:
            m = x
    return m if math.isfinite(m) else 0.0


def _matmul(w: Any, x: Any) -> Any:
    return x @ w.T


# ---- binary ops ----


def add_backward(g: Any, z: Any, x: Any, y: Any) -> tuple[Any, ...]:
    return g, g


add = define("+", operator.add, add_backward, form=INFIX, math="z = x + y", derivatives=("1", "1"))


def sub_backward(g: Any, z: Any, x: Any, y: Any) -> tuple[Any, ...]:
    return g, -g


sub = define("-", operator.sub, sub_backward, form=INFIX, math="z = x - y", derivatives=("1", "-1"))


def mul_backward(g: Any, z: Any, x: Any, y: Any) -> tuple[Any, ...]:
    return g * y, g * x


mul = define(
    "*", operator.mul, mul_backward, form=INFIX, math="z = x · y", derivatives=("{y}", "{x}")
)


# dz/dy = -x/y² computed as -(x/y)/y: torch's order of operations
def div_backward(g: Any, z: Any, x: Any, y: Any) -> tuple[Any, ...]:
    return div(g, y), -g * div(div(x, y), y)


div = define(
    "/", _div, div_backward, form=INFIX, math="z = x / y", derivatives=("1/{y}", "-{x}/{y}²")
)


# dz/dx is 0 where y = 0, dz/dy is 0 where x = 0 and y >= 0: torch's special cases, which keep
# 0⁰ and 0ʸ from turning a finite gradient into nan. As in torch, dz/dy is masked before g
# multiplies it, so an inf or nan g still gives nan.
def pow_backward(g: Any, z: Any, x: Any, y: Any) -> tuple[Any, ...]:
    dx = where(is_zero(y), 0.0, g * (y * pow(x, y - 1.0)))
    dy = g * where(is_zero(x) & (y >= 0.0), 0.0, z * log(x))
    return dx, dy


pow = define(
    "**",
    _pow,
    pow_backward,
    form=INFIX,
    math="z = xʸ",
    derivatives=("{y}·{x}^({y}-1)", "{z}·ln {x}"),
)


# ---- unary ops ----


def neg_backward(g: Any, z: Any, x: Any) -> tuple[Any, ...]:
    return (-g,)


neg = define("neg", operator.neg, neg_backward, form=PREFIX, math="z = -x", derivatives=("-1",))


# 0 when c = 0, as torch
def pow_const_backward(g: Any, z: Any, x: Any, *, c: float) -> tuple[Any, ...]:
    return (0.0 if c == 0.0 else g * (c * pow_const(x, c - 1.0)),)


def _exponent(c: Any) -> float:
    if type(c) is int and -(2**53) <= c <= 2**53:
        return float(c)
    return to_float(c, "Value ** exponent")


pow_const = define(
    "**",
    _pow_const,
    pow_const_backward,
    form=SUFFIX,
    math="z = xᶜ for a constant c",
    derivatives=("c·{x}^(c-1)",),
    constant="c",
    convert=_exponent,
    shown=lambda c: f"**{c:g}",
)
pow_const.__doc__ = "Return xᶜ for a constant c (one parent; its node's op reads `**c`: `**2`)."


# abs'(0) = 0, as in torch
def abs_backward(g: Any, z: Any, x: Any) -> tuple[Any, ...]:
    return (g * sign(x),)


abs = define("abs", _abs, abs_backward, math="z = |x|", derivatives=("sign({x})",))


# a step: flat wherever it is defined, as torch
def sign_backward(g: Any, z: Any, x: Any) -> tuple[Any, ...]:
    return (0.0,)


sign = define("sign", _sign, sign_backward, math="z = sign(x) ∈ {-1, 0, 1}", derivatives=("0",))


def exp_backward(g: Any, z: Any, x: Any) -> tuple[Any, ...]:
    return (g * z,)


exp = define("exp", _exp, exp_backward, math="z = eˣ", derivatives=("e^{x} = {z}",))


def log_backward(g: Any, z: Any, x: Any) -> tuple[Any, ...]:
    return (div(g, x),)


log = define("log", _log, log_backward, math="z = ln x", derivatives=("1/{x}",))


def tanh_backward(g: Any, z: Any, x: Any) -> tuple[Any, ...]:
    return (g * (1.0 - z * z),)


tanh = define("tanh", _tanh, tanh_backward, math="z = tanh x", derivatives=("1 - {z}²",))


def sigmoid_backward(g: Any, z: Any, x: Any) -> tuple[Any, ...]:
    return (g * ((1.0 - z) * z),)


sigmoid = define(
    "sigmoid",
    _sigmoid,
    sigmoid_backward,
    math="z = σ(x) = 1/(1 + e⁻ˣ)",
    derivatives=("σ(x)·(1 - σ(x)) = (1 - {z})·{z}",),
)


# relu'(0) = 0, as in torch (which masks g by the output: an inf g at x < 0 sends 0)
def relu_backward(g: Any, z: Any, x: Any) -> tuple[Any, ...]:
    return (where(z <= 0.0, 0.0, g),)


relu = define(
    "relu",
    _relu,
    relu_backward,
    math="z = max(0, x)  (nan stays nan, -0.0 stays -0.0)",
    derivatives=("0 where {z} <= 0, else 1",),
)


# s at 0, as in torch
def leaky_relu_backward(g: Any, z: Any, x: Any, *, slope: float) -> tuple[Any, ...]:
    return (where(x > 0.0, g, g * slope),)


leaky_relu = define(
    "leaky_relu",
    _leaky_relu,
    leaky_relu_backward,
    math="z = x if x > 0 else s·x",
    derivatives=("1 if {x} > 0 else s",),
    constant="slope",
    default=0.01,
)
leaky_relu.__doc__ = "Return x if x > 0 else slope·x (the slope is a constant of the node)."


def sin_backward(g: Any, z: Any, x: Any) -> tuple[Any, ...]:
    return (g * cos(x),)


sin = define("sin", _sin, sin_backward, math="z = sin x", derivatives=("cos {x}",))


def cos_backward(g: Any, z: Any, x: Any) -> tuple[Any, ...]:
    return (g * -sin(x),)


cos = define("cos", _cos, cos_backward, math="z = cos x", derivatives=("-sin {x}",))


def sqrt_backward(g: Any, z: Any, x: Any) -> tuple[Any, ...]:
    return (div(g, 2.0 * z),)


sqrt = define("sqrt", _sqrt, sqrt_backward, math="z = √x", derivatives=("1/(2{z})",))


# z = x past x > 20, torch's threshold
def softplus_backward(g: Any, z: Any, x: Any) -> tuple[Any, ...]:
    e = exp(x)
    return (where(x > 20.0, g, div(g * e, e + 1.0)),)


softplus = define(
    "softplus",
    _softplus,
    softplus_backward,
    math="z = ln(1 + eˣ)",
    derivatives=("e^{x}/(e^{x} + 1) = σ({x})",),
)


# ---- n-ary ops: one node, many parents (a neuron's weighted sum is one node, not 2n) ----


def sum_backward(g: Any, z: Any, *xs: Any) -> tuple[Any, ...]:
    return (g,) * len(xs)


sum = define(
    "sum",
    _sum,
    sum_backward,
    form=SUM,
    takes=LIST,
    math="z = x₁ + x₂ + … + xₙ  (added left to right)",
    derivatives=("1",),
)
sum.__doc__ = """Return x₁ + … + xₙ as one node with n parents (numbers mix in); numbers: a number.

    >>> autograd.sum([a, b, 1.0])        # one "sum" node, not a chain of "+"
    """


# parents (w₁ … wₙ, x₁ … xₙ); the contributions are (x₁ … xₙ, w₁ … wₙ) times g: halves swapped
def dot_backward(g: Any, z: Any, *wx: Any) -> tuple[Any, ...]:
    n = len(wx) // 2
    return tuple([g * v for v in wx[n:] + wx[:n]])


dot = define(
    "dot",
    _dot,
    dot_backward,
    form=DOT,
    takes=HALVES,
    math="z = w₁x₁ + … + wₙxₙ  (added left to right)",
    derivatives=("w",),
)
dot.__doc__ = """Return w₁x₁ + … + wₙxₙ as one node whose parents are (w₁ … wₙ, x₁ … xₙ).

    A neuron's weighted sum in one node instead of 2n; numbers mix in as constant leaves.
    """


# The shift that keeps log-sum-exp and softmax from overflowing: ln Σ eˣⁱ = m + ln Σ eˣⁱ⁻ᵐ for any
# m, so no gradient flows through m (torch's logsumexp does not differentiate its max either).
# It sends None, nothing at all (not a zero: 0 times an infinite local derivative would be nan).
def shift_backward(g: Any, z: Any, *xs: Any) -> tuple[Any, ...]:
    return (None,) * len(xs)


shift = define(
    "shift",
    _shift,
    shift_backward,
    takes=LIST,
    math="z = max(x₁ … xₙ), held constant (0 where it is not finite)",
    derivatives=("0",),
    sends_none=True,
)
shift.__doc__ = """Return max(x₁ … xₙ) as one node that sends no gradient back (0 where not finite):
    the shift a stable log-sum-exp subtracts. In the graph, so a traced Program recomputes it
    for every sample instead of freezing the example's."""


# ---- array ops: made by lifting a traced graph (autograd.trace), never by a Value ----


# A layer's neurons at once: row i of w is neuron i's weights, row s of x is sample s's inputs,
# so z[s, i] = Σⱼ w[i, j]·x[s, j]. The weights' contribution gᵀx sums over the samples (rows).
# A lifted program prints each contribution from the record's templates (one line each, so the
# one nobody reads is dropped); tests/test_ops.py checks that they compute what this rule does.
def matmul_backward(g: Any, z: Any, w: Any, x: Any) -> tuple[Any, ...]:
    return g.T @ x, g @ w


matmul = define(
    "matmul",
    _matmul,
    matmul_backward,
    form=MATMUL,
    math="z = x @ wᵀ  (one row per sample: z[s, i] = Σⱼ w[i, j]·x[s, j])",
    derivatives=("{g}.T @ {x}", "{g} @ {w}"),
)


# The ops with a row in the test table (tests/test_ops.py fails when one here lacks a row).
OPS = tuple(
    name
    for name, made in list(globals().items())
    if isinstance(getattr(made, "record", None), Op) and made.record.function is made
)


# ---- where's array path (at the end, so the line numbers the docs show stay put) ----


def _where_arrays(condition: Any, a: Any, b: Any) -> Any:
    """np.where(condition, a, b); where(c, 0.0, b) on 16,384 numbers or more clears bits."""
    if type(a) is float and type(b) is ndarray and b.size >= _BITWISE:
        if a == 0.0 and math.copysign(1.0, a) == 1.0 and _clears(condition, b):
            return _zero_where(condition, b)
    return np.where(condition, a, b)


# From this many elements np.where(c, 0.0, b) slows down (~4 ns an element against ~0.5 below,
# on random signs, NumPy 2); clearing b's bits where c holds gives the same numbers in one pass.
_BITWISE = 16384


def _clears(condition: Any, b: ndarray) -> bool:
    return (
        type(condition) is ndarray
        and condition.dtype == np.bool_
        and condition.shape == b.shape
        and b.dtype == np.float64
    )


def _zero_where(condition: ndarray, b: ndarray) -> ndarray:
    """np.where(condition, 0.0, b), bit for bit: +0.0 is the float64 whose bits are all zero,
    so each element keeps b's bits ANDed with 0 (where condition holds) or with all ones."""
    mask = condition.astype(np.int64)  # 1 where 0.0 is chosen, 0 where b is
    mask -= 1  # 0 where 0.0 is chosen, -1 (all 64 bits set) where b is
    mask &= b.view(np.int64)
    return mask.view(np.float64)
