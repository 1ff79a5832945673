"""Every op and its derivative, one block each: the only file in the project with calculus in it.

Each block reads as math:

    # z = x / y        dz/dx = 1/y        dz/dy = -x/y² = -(x/y)/y
    def div(x, y): ...                       forward: works on floats, or records a node
    def div_backward(g, z, x, y): ...        rule: one contribution per parent, in order

A rule takes the upstream gradient `g`, the op's output `z` and its inputs `xs`, and is written
with operators and with the op functions of this file, which accept floats as well as `Value`s.
So the same rule runs on floats in a plain `backward()` (fast, builds nothing) and on `Value`s
under `grad(create_graph=True)`, where it records a graph of its own: that is how second and
higher derivatives come for free, with no second copy of any rule.

Numbers follow IEEE 754 as PyTorch's float64 does: log(0) = -inf, 1/0 = inf, 0/0 = nan,
exp(1000) = inf, nan propagates, and nothing raises. Where a derivative has a kink or a special
case, the rule follows PyTorch's and says so.
"""

from __future__ import annotations

import builtins
import math
from operator import mul as _fmul
from typing import Any

from autograd.value import Value, _lift, _record

inf, nan = math.inf, math.nan

# ---- IEEE 754 float kernels (Python's math raises where IEEE, and torch, return inf or nan) ----


def _fdiv(x: float, y: float) -> float:
    try:
        return x / y
    except ZeroDivisionError:  # x/±0 = ±inf (sign of x times sign of the zero), 0/0 = nan
        if x == 0.0 or x != x:
            return nan
        return math.copysign(inf, x) * math.copysign(1.0, y)


def _fexp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return inf


def _flog(x: float) -> float:
    if x > 0.0:
        return math.log(x)
    if x == 0.0:
        return -inf
    return nan  # below 0, or nan


def _fpow(x: float, y: float) -> float:
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


def _fsin(x: float) -> float:
    return math.sin(x) if math.isfinite(x) else nan


def _fcos(x: float) -> float:
    return math.cos(x) if math.isfinite(x) else nan


def _fsqrt(x: float) -> float:
    return math.sqrt(x) if x >= 0.0 else nan


def _fsigmoid(x: float) -> float:
    return 1.0 / (1.0 + _fexp(-x))


def _fsign(x: float) -> float:
    if x > 0.0:
        return 1.0
    if x < 0.0:
        return -1.0
    return x if x == 0.0 else 0.0  # sign(±0) = ±0 and sign(nan) = 0, as torch.sign


# ---- binary ops ----


# z = x + y        dz/dx = 1        dz/dy = 1
def add(x: Any, y: Any) -> Any:
    if type(x) is not Value:
        return x + y
    return _record("+", x.data + y.data, (x, y), add_backward)


def add_backward(g: Any, z: Any, x: Any, y: Any) -> tuple[Any, ...]:
    return g, g


# z = x - y        dz/dx = 1        dz/dy = -1
def sub(x: Any, y: Any) -> Any:
    if type(x) is not Value:
        return x - y
    return _record("-", x.data - y.data, (x, y), sub_backward)


def sub_backward(g: Any, z: Any, x: Any, y: Any) -> tuple[Any, ...]:
    return g, -g


# z = x · y        dz/dx = y        dz/dy = x
def mul(x: Any, y: Any) -> Any:
    if type(x) is not Value:
        return x * y
    return _record("*", x.data * y.data, (x, y), mul_backward)


def mul_backward(g: Any, z: Any, x: Any, y: Any) -> tuple[Any, ...]:
    return g * y, g * x


# z = x / y        dz/dx = 1/y        dz/dy = -x/y² = -(x/y)/y   (torch's order of operations)
def div(x: Any, y: Any) -> Any:
    if type(x) is not Value:
        return _fdiv(x, y)
    return _record("/", _fdiv(x.data, y.data), (x, y), div_backward)


def div_backward(g: Any, z: Any, x: Any, y: Any) -> tuple[Any, ...]:
    return div(g, y), -g * div(div(x, y), y)


# z = xʸ        dz/dx = y·xʸ⁻¹  (0 where y = 0)        dz/dy = z·ln x  (0 where x = 0 and y >= 0)
# Both special cases are torch's: they keep 0⁰ and 0ʸ from turning a finite gradient into nan.
def pow(x: Any, y: Any) -> Any:
    if type(x) is not Value:
        return _fpow(x, y)
    return _record("**", _fpow(x.data, y.data), (x, y), pow_backward)


def pow_backward(g: Any, z: Any, x: Any, y: Any) -> tuple[Any, ...]:
    dx = 0.0 if float(y) == 0.0 else g * (y * pow(x, y - 1.0))
    dy = 0.0 if float(x) == 0.0 and y >= 0.0 else g * (z * log(x))
    return dx, dy


# ---- unary ops ----


# z = -x        dz/dx = -1
def neg(x: Any) -> Any:
    if type(x) is not Value:
        return -x
    return _record("neg", -x.data, (x,), neg_backward)


def neg_backward(g: Any, z: Any, x: Any) -> tuple[Any, ...]:
    return (-g,)


# torch computes x**0.5 as √x and x**-0.5 as 1/√x, which differ from pow() at -inf; so do we.
def _fpow_const(x: float, c: float) -> float:
    if c == 0.5:
        return _fsqrt(x)
    if c == -0.5:
        return _fdiv(1.0, _fsqrt(x))
    return _fpow(x, c)


# z = xᶜ for a constant c        dz/dx = c·xᶜ⁻¹   (0 when c = 0, as torch)
def pow_const(x: Any, c: float) -> Any:
    if type(x) is not Value:
        return _fpow_const(x, c)

    def pow_const_backward(g: Any, z: Any, x: Any) -> tuple[Any, ...]:
        return (0.0 if c == 0.0 else g * (c * pow_const(x, c - 1.0)),)

    return _record(f"**{c:g}", _fpow_const(x.data, c), (x,), pow_const_backward)


# z = |x|        dz/dx = sign(x)        abs'(0) = 0, as in torch
def abs(x: Any) -> Any:
    if type(x) is not Value:
        return math.fabs(x)
    return _record("abs", math.fabs(x.data), (x,), abs_backward)


def abs_backward(g: Any, z: Any, x: Any) -> tuple[Any, ...]:
    return (g * sign(x),)


# z = sign(x) ∈ {-1, 0, 1}        dz/dx = 0   (a step: flat wherever it is defined, as torch)
def sign(x: Any) -> Any:
    if type(x) is not Value:
        return _fsign(x)
    return _record("sign", _fsign(x.data), (x,), sign_backward)


def sign_backward(g: Any, z: Any, x: Any) -> tuple[Any, ...]:
    return (0.0,)


# z = eˣ        dz/dx = eˣ = z
def exp(x: Any) -> Any:
    if type(x) is not Value:
        return _fexp(x)
    return _record("exp", _fexp(x.data), (x,), exp_backward)


def exp_backward(g: Any, z: Any, x: Any) -> tuple[Any, ...]:
    return (g * z,)


# z = ln x        dz/dx = 1/x
def log(x: Any) -> Any:
    if type(x) is not Value:
        return _flog(x)
    return _record("log", _flog(x.data), (x,), log_backward)


def log_backward(g: Any, z: Any, x: Any) -> tuple[Any, ...]:
    return (div(g, x),)


# z = tanh x        dz/dx = 1 - tanh²x = 1 - z²
def tanh(x: Any) -> Any:
    if type(x) is not Value:
        return math.tanh(x)
    return _record("tanh", math.tanh(x.data), (x,), tanh_backward)


def tanh_backward(g: Any, z: Any, x: Any) -> tuple[Any, ...]:
    return (g * (1.0 - z * z),)


# z = σ(x) = 1/(1 + e⁻ˣ)        dz/dx = σ(x)·(1 - σ(x)) = (1 - z)·z
def sigmoid(x: Any) -> Any:
    if type(x) is not Value:
        return _fsigmoid(x)
    return _record("sigmoid", _fsigmoid(x.data), (x,), sigmoid_backward)


def sigmoid_backward(g: Any, z: Any, x: Any) -> tuple[Any, ...]:
    return (g * ((1.0 - z) * z),)


# z = max(0, x) (nan stays nan)        dz/dx = 0 if z <= 0 else 1        relu'(0) = 0, as in torch
def relu(x: Any) -> Any:
    if type(x) is not Value:
        return 0.0 if x <= 0.0 else x
    return _record("relu", 0.0 if x.data <= 0.0 else x.data, (x,), relu_backward)


def relu_backward(g: Any, z: Any, x: Any) -> tuple[Any, ...]:
    return (0.0 if z <= 0.0 else g,)


# z = x if x > 0 else s·x        dz/dx = 1 if x > 0 else s        (s at 0, as in torch)
def leaky_relu(x: Any, slope: float = 0.01) -> Any:
    if type(x) is not Value:
        return x if x > 0.0 else x * slope

    def leaky_relu_backward(g: Any, z: Any, x: Any) -> tuple[Any, ...]:
        return (g if x > 0.0 else g * slope,)

    return _record(
        "leaky_relu", x.data if x.data > 0.0 else x.data * slope, (x,), leaky_relu_backward
    )


# z = sin x        dz/dx = cos x
def sin(x: Any) -> Any:
    if type(x) is not Value:
        return _fsin(x)
    return _record("sin", _fsin(x.data), (x,), sin_backward)


def sin_backward(g: Any, z: Any, x: Any) -> tuple[Any, ...]:
    return (g * cos(x),)


# z = cos x        dz/dx = -sin x
def cos(x: Any) -> Any:
    if type(x) is not Value:
        return _fcos(x)
    return _record("cos", _fcos(x.data), (x,), cos_backward)


def cos_backward(g: Any, z: Any, x: Any) -> tuple[Any, ...]:
    return (g * -sin(x),)


# z = √x        dz/dx = 1/(2√x) = 1/(2z)
def sqrt(x: Any) -> Any:
    if type(x) is not Value:
        return _fsqrt(x)
    return _record("sqrt", _fsqrt(x.data), (x,), sqrt_backward)


def sqrt_backward(g: Any, z: Any, x: Any) -> tuple[Any, ...]:
    return (div(g, 2.0 * z),)


# z = ln(1 + eˣ), and z = x past x > 20 (torch's threshold)        dz/dx = eˣ/(eˣ + 1) = σ(x)
def softplus(x: Any) -> Any:
    if type(x) is not Value:
        return x if x > 20.0 else math.log1p(_fexp(x))
    return _record("softplus", softplus(x.data), (x,), softplus_backward)


def softplus_backward(g: Any, z: Any, x: Any) -> tuple[Any, ...]:
    if x > 20.0:
        return (g,)
    e = exp(x)
    return (div(g * e, e + 1.0),)


# ---- n-ary ops: one node, many parents (a neuron's weighted sum is one node, not 2n) ----


# z = x₁ + x₂ + … + xₙ  (added left to right)        dz/dxᵢ = 1
def sum(xs: Any) -> Any:
    """Return x₁ + … + xₙ as one node with n parents (numbers mix in); floats give a float.

    >>> autograd.sum([a, b, 1.0])        # one "sum" node, not a chain of "+"
    """
    xs = tuple(xs)
    if not builtins.any(type(x) is Value for x in xs):
        return builtins.sum(xs, 0.0)
    xs = tuple([_as_value(x) for x in xs])
    return _record("sum", builtins.sum([x.data for x in xs], 0.0), xs, sum_backward)


def sum_backward(g: Any, z: Any, *xs: Any) -> tuple[Any, ...]:
    return (g,) * len(xs)


# z = w₁x₁ + … + wₙxₙ, parents (w₁ … wₙ, x₁ … xₙ)        dz/dwᵢ = xᵢ        dz/dxᵢ = wᵢ
def dot(ws: Any, xs: Any) -> Any:
    """Return w₁x₁ + … + wₙxₙ as one node whose parents are (w₁ … wₙ, x₁ … xₙ).

    A neuron's weighted sum in one node instead of 2n; numbers mix in as constant leaves.
    """
    ws, xs = tuple(ws), tuple(xs)
    if len(ws) != len(xs):
        raise ValueError(f"dot needs two sequences of one length, got {len(ws)} and {len(xs)}")
    if not builtins.any(type(v) is Value for v in ws + xs):
        return builtins.sum(map(_fmul, ws, xs), 0.0)
    ws = tuple([_as_value(w) for w in ws])
    xs = tuple([_as_value(x) for x in xs])
    data = builtins.sum(map(_fmul, [w.data for w in ws], [x.data for x in xs]), 0.0)
    return _record("dot", data, ws + xs, dot_backward)


def dot_backward(g: Any, z: Any, *wx: Any) -> tuple[Any, ...]:
    n = len(wx) // 2
    return tuple([g * x for x in wx[n:]] + [g * w for w in wx[:n]])


def _as_value(x: Any) -> Value:
    return x if type(x) is Value else _lift(x, "in sum/dot")


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
)
