"""Every op and its derivative, one block each: the only file in the project with calculus in it.

Each block reads as math:

    # z = x / y        dz/dx = 1/y        dz/dy = -x/y² = -(x/y)/y
    def div_backward(g, z, x, y): ...        the rule: one contribution per input, in order
    div = define("/", _div, div_backward)    the op: `_div` computes z from the inputs' numbers

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
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from autograd.value import Value, _record, lift, to_float

inf, nan = math.inf, math.nan
ndarray = np.ndarray

Rule = Callable[..., tuple[Any, ...]]

# ---- how an op is made: one mechanism for the built-in ops and for `autograd.custom_op` ----


def op_of(rule: Any) -> Any:
    """Return the op function a node's rule belongs to (through a bound constant), or None.

    Each rule carries it as `rule.op_function`, so tools (trace) find an op from a node, and an
    op made and dropped at run time (a custom op in a loop) leaves nothing behind in a table.
    """
    return getattr(getattr(rule, "func", rule), "op_function", None)


def define(
    op: str, forward: Callable[..., Any], rule: Rule, arity: int | None = None
) -> Callable[..., Any]:
    """Return the op function for an op shown as `op`, computed by `forward`, with `rule`.

    The function takes `arity` inputs (by default as many as the rule takes after (g, z);
    -1: any number). Given numbers or NumPy
    arrays it returns `forward(*xs)` (a number, or an array: no graph). Given a `Value` anywhere
    it turns the other inputs into constant leaves and records a node: its data is
    `forward(*numbers)`, its op `op`, its parents the inputs and its local-gradient rule `rule`.
    Its name is the rule's without `_backward` (`mul_backward` -> `mul`).
    """
    name = rule.__name__.removesuffix("_backward")
    if arity is None:
        arity = inputs_of(rule, skip=2)
    count = arity
    apply: Callable[..., Any]
    if arity == 1:

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

    made: Any = apply  # an op function carries what tools need to know of it:
    made.__name__ = made.__qualname__ = name
    made.__doc__ = _formula_of(rule) or f"Return the op {op!r} of the inputs (rule {name})."
    made.forward, made.rule = forward, rule
    rule.op_function = made  # type: ignore[attr-defined]
    return made


def _no_values(xs: tuple[Any, ...]) -> bool:
    return not builtins.any([isinstance(x, Value) for x in xs])


def where(condition: Any, a: Any, b: Any) -> Any:
    """Return `a` where `condition` holds, else `b`: the one way a rule branches.

    For one number the condition is a bool and this is `a if condition else b`; for an array of
    samples it is NumPy's element-wise `np.where(condition, a, b)`. Both branches are computed
    first, so each must be harmless (IEEE: no exception) where it is not chosen.
    """
    if type(condition) is bool or type(condition) is np.bool_:
        return a if condition else b
    return np.where(condition, a, b)


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


def _formula_of(rule: Rule) -> str:
    try:
        return (inspect.getcomments(rule) or "").replace("# ", "").strip()
    except (OSError, TypeError):  # no source (frozen, zipped, made at run time)
        return ""


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
        return np.where(x < 0.0, 0.0, x)
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


# ---- binary ops ----


# z = x + y        dz/dx = 1        dz/dy = 1
def add_backward(g: Any, z: Any, x: Any, y: Any) -> tuple[Any, ...]:
    return g, g


# z = x - y        dz/dx = 1        dz/dy = -1
def sub_backward(g: Any, z: Any, x: Any, y: Any) -> tuple[Any, ...]:
    return g, -g


# z = x · y        dz/dx = y        dz/dy = x
def mul_backward(g: Any, z: Any, x: Any, y: Any) -> tuple[Any, ...]:
    return g * y, g * x


# z = x / y        dz/dx = 1/y        dz/dy = -x/y² = -(x/y)/y   (torch's order of operations)
def div_backward(g: Any, z: Any, x: Any, y: Any) -> tuple[Any, ...]:
    return div(g, y), -g * div(div(x, y), y)


# z = xʸ        dz/dx = y·xʸ⁻¹  (0 where y = 0)        dz/dy = z·ln x  (0 where x = 0 and y >= 0)
# Both special cases are torch's: they keep 0⁰ and 0ʸ from turning a finite gradient into nan.
# As in torch, dz/dy is masked before g multiplies it, so an inf or nan g still gives nan.
def pow_backward(g: Any, z: Any, x: Any, y: Any) -> tuple[Any, ...]:
    dx = where(is_zero(y), 0.0, g * (y * pow(x, y - 1.0)))
    dy = g * where(is_zero(x) & (y >= 0.0), 0.0, z * log(x))
    return dx, dy


add = define("+", operator.add, add_backward)
sub = define("-", operator.sub, sub_backward)
mul = define("*", operator.mul, mul_backward)
div = define("/", _div, div_backward)
pow = define("**", _pow, pow_backward)


# ---- unary ops ----


# z = -x        dz/dx = -1
def neg_backward(g: Any, z: Any, x: Any) -> tuple[Any, ...]:
    return (-g,)


# z = xᶜ for a constant c        dz/dx = c·xᶜ⁻¹   (0 when c = 0, as torch)
def pow_const_backward(g: Any, z: Any, x: Any, *, c: float) -> tuple[Any, ...]:
    return (0.0 if c == 0.0 else g * (c * pow_const(x, c - 1.0)),)


# z = |x|        dz/dx = sign(x)        abs'(0) = 0, as in torch
def abs_backward(g: Any, z: Any, x: Any) -> tuple[Any, ...]:
    return (g * sign(x),)


# z = sign(x) ∈ {-1, 0, 1}        dz/dx = 0   (a step: flat wherever it is defined, as torch)
def sign_backward(g: Any, z: Any, x: Any) -> tuple[Any, ...]:
    return (0.0,)


# z = eˣ        dz/dx = eˣ = z
def exp_backward(g: Any, z: Any, x: Any) -> tuple[Any, ...]:
    return (g * z,)


# z = ln x        dz/dx = 1/x
def log_backward(g: Any, z: Any, x: Any) -> tuple[Any, ...]:
    return (div(g, x),)


# z = tanh x        dz/dx = 1 - tanh²x = 1 - z²
def tanh_backward(g: Any, z: Any, x: Any) -> tuple[Any, ...]:
    return (g * (1.0 - z * z),)


# z = σ(x) = 1/(1 + e⁻ˣ)        dz/dx = σ(x)·(1 - σ(x)) = (1 - z)·z
def sigmoid_backward(g: Any, z: Any, x: Any) -> tuple[Any, ...]:
    return (g * ((1.0 - z) * z),)


# z = max(0, x)  (nan stays nan, -0.0 stays -0.0)        dz/dx = 0 where z <= 0, else 1
# relu'(0) = 0, as in torch (which masks g by the output: an inf g at x < 0 sends 0)
def relu_backward(g: Any, z: Any, x: Any) -> tuple[Any, ...]:
    return (where(z <= 0.0, 0.0, g),)


# z = x if x > 0 else s·x        dz/dx = 1 if x > 0 else s        (s at 0, as in torch)
def leaky_relu_backward(g: Any, z: Any, x: Any, *, slope: float) -> tuple[Any, ...]:
    return (where(x > 0.0, g, g * slope),)


# z = sin x        dz/dx = cos x
def sin_backward(g: Any, z: Any, x: Any) -> tuple[Any, ...]:
    return (g * cos(x),)


# z = cos x        dz/dx = -sin x
def cos_backward(g: Any, z: Any, x: Any) -> tuple[Any, ...]:
    return (g * -sin(x),)


# z = √x        dz/dx = 1/(2√x) = 1/(2z)
def sqrt_backward(g: Any, z: Any, x: Any) -> tuple[Any, ...]:
    return (div(g, 2.0 * z),)


# z = ln(1 + eˣ), and z = x past x > 20 (torch's threshold)        dz/dx = eˣ/(eˣ + 1) = σ(x)
def softplus_backward(g: Any, z: Any, x: Any) -> tuple[Any, ...]:
    e = exp(x)
    return (where(x > 20.0, g, div(g * e, e + 1.0)),)


neg = define("neg", operator.neg, neg_backward)
abs = define("abs", _abs, abs_backward)
sign = define("sign", _sign, sign_backward)
exp = define("exp", _exp, exp_backward)
log = define("log", _log, log_backward)
tanh = define("tanh", _tanh, tanh_backward)
sigmoid = define("sigmoid", _sigmoid, sigmoid_backward)
relu = define("relu", _relu, relu_backward)
sin = define("sin", _sin, sin_backward)
cos = define("cos", _cos, cos_backward)
sqrt = define("sqrt", _sqrt, sqrt_backward)
softplus = define("softplus", _softplus, softplus_backward)


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


def _pow_name(c: float) -> str:
    return f"**{c:g}"


def _leaky_name(slope: float) -> str:
    return "leaky_relu"


def pow_const(x: Any, c: Any) -> Any:
    """Return xᶜ for a constant c (one parent; the node's op reads `**c`, e.g. `**2`)."""
    if type(c) is not float:
        c = (
            float(c)
            if type(c) is int and -(2**53) <= c <= 2**53
            else to_float(c, "Value ** exponent")
        )
    if type(x) is not Value:
        if isinstance(x, Value):
            x = lift(x, "**")
        else:
            return _pow_const(x, c)
    op, rule = _bind(pow_const_backward, "c", c, _pow_name)
    return _record(op, _pow_const(x._data, c), (x,), rule)


def leaky_relu(x: Any, slope: float = 0.01) -> Any:
    """Return x if x > 0 else slope·x (the slope is a constant of the node)."""
    if type(slope) is not float:
        slope = to_float(slope, "leaky_relu(slope)")
    if not isinstance(x, Value):
        return _leaky_relu(x, slope)
    op, rule = _bind(leaky_relu_backward, "slope", slope, _leaky_name)
    return _record(op, _leaky_relu(x._data, slope), (x,), rule)


def _register(op: Any, rule: Rule, forward: Callable[..., Any]) -> None:
    """Make an op written by hand known to the tools, as `define` does for the others."""
    op.forward, op.rule = forward, rule
    rule.op_function = op  # type: ignore[attr-defined]


_register(pow_const, pow_const_backward, _pow_const)
_register(leaky_relu, leaky_relu_backward, _leaky_relu)


# ---- n-ary ops: one node, many parents (a neuron's weighted sum is one node, not 2n) ----


# z = x₁ + x₂ + … + xₙ  (added left to right)        dz/dxᵢ = 1
def sum_backward(g: Any, z: Any, *xs: Any) -> tuple[Any, ...]:
    return (g,) * len(xs)


# z = w₁x₁ + … + wₙxₙ, parents (w₁ … wₙ, x₁ … xₙ)        dz/dwᵢ = xᵢ        dz/dxᵢ = wᵢ
def dot_backward(g: Any, z: Any, *wx: Any) -> tuple[Any, ...]:
    n = len(wx) // 2
    return tuple([g * v for v in wx[n:] + wx[:n]])  # (x₁ … xₙ, w₁ … wₙ): the halves swapped


# z = max(x₁ … xₙ), held constant (0 where it is not finite)        dz/dxᵢ = 0
# The shift that keeps log-sum-exp and softmax from overflowing: ln Σ eˣⁱ = m + ln Σ eˣⁱ⁻ᵐ for any
# m, so no gradient flows through m (torch's logsumexp does not differentiate its max either).
# It sends -0.0, the additive identity: every other contribution passes through bit for bit.
def shift_backward(g: Any, z: Any, *xs: Any) -> tuple[Any, ...]:
    return (-0.0,) * len(xs)


def sum(xs: Any) -> Any:
    """Return x₁ + … + xₙ as one node with n parents (numbers mix in); numbers give a number.

    >>> autograd.sum([a, b, 1.0])        # one "sum" node, not a chain of "+"
    """
    xs = tuple(xs)
    if Value not in map(type, xs) and _no_values(xs):
        return builtins.sum(xs, 0.0)
    xs = tuple([lift(x, "sum") for x in xs])
    return _record("sum", builtins.sum([x._data for x in xs], 0.0), xs, sum_backward)


def dot(ws: Any, xs: Any) -> Any:
    """Return w₁x₁ + … + wₙxₙ as one node whose parents are (w₁ … wₙ, x₁ … xₙ).

    A neuron's weighted sum in one node instead of 2n; numbers mix in as constant leaves.
    """
    ws, xs = tuple(ws), tuple(xs)
    if len(ws) != len(xs):
        raise ValueError(f"dot needs two sequences of one length, got {len(ws)} and {len(xs)}")
    if Value not in map(type, ws + xs) and _no_values(ws + xs):
        return builtins.sum(map(operator.mul, ws, xs), 0.0)
    ws = tuple([lift(w, "dot") for w in ws])
    xs = tuple([lift(x, "dot") for x in xs])
    data = builtins.sum(map(operator.mul, [w._data for w in ws], [x._data for x in xs]), 0.0)
    return _record("dot", data, ws + xs, dot_backward)


def _sum(xs: Any) -> Any:
    return builtins.sum(xs, 0.0)


def _dot(ws: Any, xs: Any) -> Any:
    if len(ws) > 2 and type(xs[0]) is ndarray and xs[0].ndim == 1:
        shape = xs[0].shape  # a batch: a neuron's weights (numbers) against samples (arrays)
        if all([type(x) is ndarray and x.shape == shape for x in xs]) and not any(
            [type(w) is ndarray and w.shape for w in ws]
        ):
            # the same products, added in the same order from 0.0: np.add.reduce runs down
            # axis 0 row by row, so this is the line below in 3 NumPy calls instead of 2n
            return np.add.reduce(np.array(ws)[:, None] * np.array(xs), axis=0, initial=0.0)
    return builtins.sum(map(operator.mul, ws, xs), 0.0)


def _shift(xs: Any) -> Any:
    m = xs[0]  # the first largest (so ±0 keep their sign), skipping nan; 0 if not finite
    if builtins.any(type(x) is ndarray for x in xs):
        for x in xs[1:]:
            m = np.where((x > m) | (m != m), x, m)
        return np.where(np.isfinite(m), m, 0.0)
    for x in xs[1:]:
        if x > m or m != m:
            m = x
    return m if math.isfinite(m) else 0.0


def shift(xs: Any) -> Any:
    """Return max(x₁ … xₙ) as one node that sends no gradient back (0 where not finite): the
    shift a stable log-sum-exp subtracts. In the graph, so a traced Program recomputes it for
    every sample instead of freezing the example's."""
    xs = tuple(xs)
    if not xs:
        raise ValueError("shift needs at least one number")
    if Value not in map(type, xs) and _no_values(xs):
        return _shift(xs)
    xs = tuple([lift(x, "shift") for x in xs])
    return _record("shift", _shift([x._data for x in xs]), xs, shift_backward)


_register(sum, sum_backward, _sum)
_register(dot, dot_backward, _dot)
_register(shift, shift_backward, _shift)


# The ops with a row in the test table (tests/test_ops.py fails when one here lacks a row).
OPS = (
    "add",
    "sub",
    "mul",
    "div",
    "pow",
    "neg",
    "pow_const",
    "abs",
    "sign",
    "exp",
    "log",
    "tanh",
    "sigmoid",
    "relu",
    "leaky_relu",
    "sin",
    "cos",
    "sqrt",
    "softplus",
    "sum",
    "dot",
    "shift",
)
