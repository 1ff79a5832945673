"""The `Value` node: one real number, its parents, and the rule that sends gradients back.

A node made by an op stores

    data       the number the op computed
    parents    the inputs, in order (`a * a` has parents `(a, a)`)
    op         a short name: "+", "*", "tanh", "**2" ...
    _backward  the op's local-gradient rule from `autograd.ops`, a named function
               `<op>_backward(g, z, *xs)` that returns one contribution per parent

The rule is a pure function of the upstream gradient `g`, the output `z` and the inputs `xs`.
A plain `backward()` calls it on floats (fast, builds nothing); `grad(create_graph=True)` calls
the very same rule on `Value`s, so it builds a graph of its own and higher derivatives come free.
A node never refers to its children or to itself, so a graph has no reference cycles and is
freed by reference counting alone, the moment the last name for its output goes away.

This file holds bookkeeping only; every formula and derivative lives in `ops.py`.
"""

from __future__ import annotations

import itertools
import numbers
from collections.abc import Callable
from typing import Any, Union

Operand = Union["Value", int, float]

# Engine-wide switches. Module globals, because `_record` reads them on every op.
_tracking = True  # False inside no_grad(): ops make leaves
_watching = False  # True inside detect_anomaly(): ops check their output, note creation sites


class HookHandle:
    """Returned by `Value.register_hook`; `remove()` takes the hook off again."""

    __slots__ = ("_node", "_fn")

    def __init__(self, node: Value, fn: Callable[[Any], Any]) -> None:
        self._node = node
        self._fn = fn

    def remove(self) -> None:
        """Detach the hook; calling it twice is harmless."""
        hooks = self._node._hooks
        if hooks is not None and self._fn in hooks:
            hooks.remove(self._fn)
            if not hooks:
                self._node._hooks = None


def to_float(x: object, what: str = "Value()") -> float:
    """Return `x` as a Python float, or raise TypeError naming what came in.

    Accepted: int, float, bool, NumPy real scalars, size-1 real arrays, and anything real
    with `__float__` (a `Value` gives its data).
    Rejected: str, None, complex, lists, arrays of size != 1.
    """
    if type(x) is float:
        return x
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{what} needs a real number, got {type(x).__name__}: {x!r}")
    if isinstance(x, numbers.Number) and not isinstance(x, numbers.Real):
        raise TypeError(
            f"{what} needs a real number, got {type(x).__name__}: {x!r} "
            "(complex numbers have no ordering or real derivative here; pass x.real)"
        )
    size = getattr(x, "size", None)
    if size is not None and hasattr(x, "shape"):  # a NumPy array (or alike)
        kind = getattr(getattr(x, "dtype", None), "kind", "f")
        if size != 1 or kind not in "biuf":
            raise TypeError(
                f"{what} needs one real number, got an array of shape {x.shape} "
                f"and dtype {getattr(x, 'dtype', '?')}; a Value holds a single number"
            )
        x = x.item()  # type: ignore[attr-defined]
    if isinstance(x, (list, tuple, dict, set)):
        raise TypeError(
            f"{what} needs one real number, got {type(x).__name__}: {x!r}; "
            "make one Value per element, e.g. [Value(v) for v in xs]"
        )
    if not hasattr(x, "__float__"):
        raise TypeError(f"{what} needs a real number, got {type(x).__name__}: {x!r}")
    try:
        return float(x)
    except OverflowError:
        raise ValueError(f"{what} got {x!r}, too large for a float64") from None


class Value:
    """Return a node holding one real number; arithmetic on it records a graph for backprop.

        z = x * y + 1     then     z.backward()   fills   x.grad = dz/dx = y,  y.grad = x

    Attributes: `data` (float), `grad` (float, starts at 0.0), `label` (str), `op` ("" for a
    leaf), `parents` (the inputs in order). `==` and `hash` are by identity; `<` and friends
    compare `data`, so `max(values)` works.

    >>> x, y = Value(2.0, "x"), Value(-3.0, "y")
    >>> z = x * y + 1
    >>> z.backward()
    >>> x.grad, y.grad
    (-3.0, 2.0)
    """

    __slots__ = ("data", "grad", "label", "op", "parents", "_backward", "_hooks", "_order", "_mark")

    data: float
    grad: float
    label: str
    op: str
    parents: tuple[Value, ...]
    _backward: Callable[..., tuple[Any, ...]] | None
    _hooks: list[Callable[[Any], Any]] | None
    _order: int  # creation number: parents are always made before children
    _mark: object  # the token of the last topological_order that reached this node

    def __init__(self, data: object, label: str = "") -> None:
        if type(data) is not float:
            data = to_float(data)
        if type(label) is not str:
            raise TypeError(f"Value() label must be a str, got {type(label).__name__}: {label!r}")
        self.data = data
        self.grad = 0.0
        self.label = label
        self.op = ""
        self.parents = ()
        self._backward = None
        self._hooks = None
        self._order = _next_order()
        self._mark = None

    # ---- arithmetic: each operator calls its op in ops.py ----

    def __add__(self, other: Operand) -> Value:
        return ops.add(self, other if type(other) is Value else _lift(other, "+"))

    def __radd__(self, other: Operand) -> Value:
        return ops.add(_lift(other, "+"), self)

    def __sub__(self, other: Operand) -> Value:
        return ops.sub(self, other if type(other) is Value else _lift(other, "-"))

    def __rsub__(self, other: Operand) -> Value:
        return ops.sub(_lift(other, "-"), self)

    def __mul__(self, other: Operand) -> Value:
        return ops.mul(self, other if type(other) is Value else _lift(other, "*"))

    def __rmul__(self, other: Operand) -> Value:
        return ops.mul(_lift(other, "*"), self)

    def __truediv__(self, other: Operand) -> Value:
        return ops.div(self, other if type(other) is Value else _lift(other, "/"))

    def __rtruediv__(self, other: Operand) -> Value:
        return ops.div(_lift(other, "/"), self)

    def __pow__(self, exponent: Operand) -> Value:
        if isinstance(exponent, Value):
            return ops.pow(self, exponent)
        return ops.pow_const(self, to_float(exponent, "Value ** exponent"))

    def __rpow__(self, base: Operand) -> Value:
        return ops.pow(_lift(base, "**"), self)

    def __neg__(self) -> Value:
        return ops.neg(self)

    def __pos__(self) -> Value:
        return self

    # ---- methods: z = f(x) ----

    def abs(self) -> Value:
        """Return |x|; d/dx = sign(x), with abs'(0) = 0 as in torch."""
        return ops.abs(self)

    def __abs__(self) -> Value:
        return ops.abs(self)

    def exp(self) -> Value:
        """Return eˣ; d/dx = eˣ."""
        return ops.exp(self)

    def log(self) -> Value:
        """Return ln x (-inf at 0, nan below); d/dx = 1/x."""
        return ops.log(self)

    def tanh(self) -> Value:
        """Return tanh x; d/dx = 1 - tanh² x."""
        return ops.tanh(self)

    def sigmoid(self) -> Value:
        """Return σ(x) = 1/(1 + e⁻ˣ); d/dx = σ(x)(1 - σ(x))."""
        return ops.sigmoid(self)

    def relu(self) -> Value:
        """Return max(0, x); d/dx = 1 if x > 0 else 0 (relu'(0) = 0, as in torch)."""
        return ops.relu(self)

    def leaky_relu(self, slope: float = 0.01) -> Value:
        """Return x if x > 0 else slope·x; d/dx = 1 or slope (slope at 0, as in torch)."""
        return ops.leaky_relu(self, to_float(slope, "leaky_relu(slope)"))

    def sin(self) -> Value:
        """Return sin x; d/dx = cos x."""
        return ops.sin(self)

    def cos(self) -> Value:
        """Return cos x; d/dx = -sin x."""
        return ops.cos(self)

    def sqrt(self) -> Value:
        """Return √x (nan below 0); d/dx = 1/(2√x)."""
        return ops.sqrt(self)

    def softplus(self) -> Value:
        """Return ln(1 + eˣ) (x itself past 20, as torch); d/dx = σ(x)."""
        return ops.softplus(self)

    # ---- comparisons by data; identity for == and hash ----

    def __lt__(self, other: Operand) -> bool:
        return self.data < _data(other, "<")

    def __le__(self, other: Operand) -> bool:
        return self.data <= _data(other, "<=")

    def __gt__(self, other: Operand) -> bool:
        return self.data > _data(other, ">")

    def __ge__(self, other: Operand) -> bool:
        return self.data >= _data(other, ">=")

    __hash__ = object.__hash__  # by identity, so a Value can key a dict or live in a set
    __array_ufunc__ = None  # `ndarray * Value` defers to Value's reflected operator, which says no

    def __float__(self) -> float:
        return self.data

    def __repr__(self) -> str:
        label = f"label={self.label!r}, " if self.label else ""
        return f"Value({label}data={self.data!r}, grad={self.grad!r}, op={self.op!r})"

    # ---- graph ----

    def backward(self, grad: float = 1.0) -> None:
        """Add d(self)/d(node) · grad to `.grad` of every node that `self` depends on.

        Reverse mode over a topological order (no recursion: a million-node chain works).
        Two calls without zeroing add exactly twice. The graph stays usable afterwards.
        """
        backward_module.backward(self, grad)

    def detach(self) -> Value:
        """Return a new leaf with the same data and label, cut off from this graph."""
        return Value(self.data, self.label)

    def register_hook(self, fn: Callable[[Any], Any]) -> HookHandle:
        """Call `fn(grad)` once this node's gradient for a backward pass is complete.

        It runs before the gradient flows on to the parents; a number it returns replaces the
        gradient (None keeps it). Returns a handle whose `remove()` takes the hook off.
        """
        if not callable(fn):
            raise TypeError(f"register_hook needs a callable fn(grad), got {type(fn).__name__}")
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(fn)
        return HookHandle(self, fn)

    def local_grads(self, g: Any = 1.0) -> tuple[Any, ...]:
        """Return this node's contribution to each parent for upstream gradient `g`.

        That is (g·∂self/∂p for p in parents), computed by the op's rule; () for a leaf.
        """
        if self._backward is None:
            return ()
        if isinstance(g, Value):
            return self._backward(g, self, *self.parents)
        return self._backward(
            to_float(g, "local_grads(g)"), self.data, *[p.data for p in self.parents]
        )


def _lift(x: object, op: str) -> Value:
    """Return `x` as a Value: a Value passes, a real number becomes a constant leaf."""
    if type(x) is float or type(x) is int:  # the common case, without Value()'s checks
        leaf: Value = _new(Value)
        leaf.data = float(x)
        leaf.grad = 0.0
        leaf.label = leaf.op = ""
        leaf.parents = ()
        leaf._backward = leaf._hooks = leaf._mark = None
        leaf._order = _next_order()
        return leaf
    if isinstance(x, Value):
        return x
    try:
        return Value(to_float(x, "the other operand"))
    except TypeError as error:
        raise TypeError(
            f"unsupported operand for {op}: Value and {type(x).__name__}: {error} "
            "(a Value mixes with int, float, bool, NumPy real scalars and other Values)"
        ) from None


def _data(x: object, op: str) -> float:
    """Return the number to compare against: `.data` of a Value, or the real number itself."""
    if isinstance(x, Value):
        return x.data
    return to_float(x, f"Value {op} ...")


_new = object.__new__
_next_order = itertools.count().__next__


def _record(
    op: str, data: float, parents: tuple[Value, ...], rule: Callable[..., tuple[Any, ...]]
) -> Value:
    """Return the output node of an op: `data`, with `parents` and `rule` unless under no_grad.

    The one helper that hides bookkeeping. Under `detect_anomaly()` it also checks that the
    op made a finite number and notes where in the user's code the node was created.
    """
    out: Value = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._hooks = out._mark = None
    out._order = _next_order()
    if _tracking:
        out.op = op
        out.parents = parents
        out._backward = rule
    else:
        out.op = ""
        out.parents = ()
        out._backward = None
    if _watching:
        check.watch_forward(out, op, parents)
    return out


# Imported last: these modules import Value from here.
import autograd.backward as backward_module  # noqa: E402
from autograd import check, ops  # noqa: E402
