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

The engine's two modes, grad recording (off inside `no_grad()`) and anomaly checking (on inside
`detect_anomaly()`), live in one context variable (autograd/_modes.py), so each thread and each
asyncio task has its own, as torch's grad mode is per thread.

This file holds bookkeeping only; every formula and derivative lives in `ops.py`.
"""

from __future__ import annotations

import contextvars
import itertools
import math
import numbers
import re
import unicodedata
from collections.abc import Callable
from typing import Any, Union

from autograd import anomaly
from autograd._modes import ANOMALY as ANOMALY  # the modes, read here by `_record` (and by
from autograd._modes import NO_GRAD as NO_GRAD  # trace and backward through this module)
from autograd._modes import ModeSwitch as ModeSwitch
from autograd._modes import _get_mode as _get_mode
from autograd._modes import _recording as _recording

Operand = Union["Value", int, float]

# ---- the engine's modes (grad recording, anomaly checking): autograd/_modes.py ----


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


def brief(x: object, width: int = 80) -> str:
    """Return repr(x) cut to `width` characters, for error messages (never raises)."""
    try:
        text = repr(x)
    except Exception:  # e.g. an int too long to print under Python's digit limit
        text = f"<{type(x).__name__} that cannot be printed>"
    return text if len(text) <= width else text[: width - 3] + "..."


def identifier(text: str, fallback: str = "v") -> str:
    """Return a valid Python name made from `text`: "w₁" -> "w1", "layers.0.w" -> "layers_0_w".

    NFKC first, as Python itself normalises names (so "𝑥" is "x"); any character a name cannot
    hold becomes "_"; `fallback` stands in for an empty result and prefixes one that starts
    with a digit. (Keywords and clashes are the caller's to handle.)"""
    normal = unicodedata.normalize("NFKC", text)
    chars = [c if ("a" + c).isidentifier() else "_" for c in normal]
    ident = re.sub(r"_+", "_", "".join(chars)).strip("_") or fallback
    return ident if ident[0].isidentifier() else f"{fallback}_{ident}"


def to_float(x: object, what: str = "Value()") -> float:
    """Return `x` as a Python float, or raise TypeError naming what came in.

    Accepted: int, float, bool, NumPy real scalars, `fractions.Fraction`, `decimal.Decimal`,
    size-1 real arrays and tensors, and anything real with `__float__` (a `Value` gives its data).
    Rejected (TypeError): str, None, complex, lists, arrays of size != 1.
    A number too large for a float64 (an int of 400 digits) is a ValueError.
    """
    if type(x) is float:
        return x
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{what} needs a real number, got {type(x).__name__}: {brief(x)}")
    if isinstance(x, numbers.Complex) and not isinstance(x, numbers.Real):
        raise TypeError(
            f"{what} needs a real number, got {type(x).__name__}: {brief(x)} "
            "(complex numbers have no ordering or real derivative here; pass x.real)"
        )
    shape = getattr(x, "shape", None)
    if shape is not None and hasattr(x, "dtype"):  # a NumPy array or a tensor
        size = math.prod(shape)
        dtype = x.dtype
        kind = getattr(dtype, "kind", None)  # NumPy: b i u f real, c complex; torch: no kind
        real = kind in ("b", "i", "u", "f") if kind else not getattr(dtype, "is_complex", True)
        if size != 1 or not real:
            raise TypeError(
                f"{what} needs one real number, got an array of shape {tuple(shape)} "
                f"and dtype {dtype}; a Value holds a single number"
            )
        x = x.item()  # type: ignore[attr-defined]
    if isinstance(x, (list, tuple, dict, set)):
        raise TypeError(
            f"{what} needs one real number, got {type(x).__name__}: {brief(x)}; "
            "make one Value per element, e.g. [Value(v) for v in xs]"
        )
    if not hasattr(x, "__float__"):
        raise TypeError(f"{what} needs a real number, got {type(x).__name__}: {brief(x)}")
    try:
        return float(x)
    except OverflowError:
        raise ValueError(f"{what} got {brief(x)}, too large for a float64") from None


class Value:
    """Return a node holding one real number; arithmetic on it records a graph for backprop.

        z = x * y + 1     then     z.backward()   fills   x.grad = dz/dx = y,  y.grad = x

    Attributes: `data` (float), `grad` (float, starts at 0.0), `label` (str), `op` ("" for a
    leaf), `parents` (the inputs in order). `data` and `label` are checked when assigned
    (a real number, a str). `==` and `hash` are by identity; `<` and friends compare `data`,
    so `max(values)` works.

    >>> x, y = Value(2.0, "x"), Value(-3.0, "y")
    >>> z = x * y + 1
    >>> z.backward()
    >>> x.grad, y.grad
    (-3.0, 2.0)
    """

    # `_data` and `_label` hold what the `data` and `label` properties check on assignment;
    # the engine reads and writes the slots directly, so its hot paths pay nothing for the checks.
    __slots__ = (
        "_data",
        "grad",
        "_label",
        "op",
        "parents",
        "_backward",
        "_hooks",
        "_order",
        "_site",
    )

    grad: float
    op: str
    parents: tuple[Value, ...]
    _data: float
    _label: str
    _backward: Callable[..., tuple[Any, ...]] | None
    _hooks: list[Callable[[Any], Any]] | None
    _order: int  # creation number: parents are always made before children
    _site: str | None  # where the user's code made this node, noted only under detect_anomaly

    def __init__(self, data: object, label: str = "") -> None:
        if type(data) is not float:
            data = to_float(data)
        if type(label) is not str:
            raise TypeError(
                f"Value() label must be a str, got {type(label).__name__}: {brief(label)}"
            )
        self._data = data
        self.grad = 0.0
        self._label = label
        self.op = ""
        self.parents = ()
        self._backward = None
        self._hooks = None
        self._order = _next_order()
        self._site = None

    @property
    def data(self) -> float:
        """The number this node holds (a float). Assigning converts a real number to a float
        and refuses anything else with TypeError, at the assignment."""
        if _holder is not None:  # a compiled training step holds newer numbers: write them
            settle()
        return self._data

    @data.setter
    def data(self, x: object) -> None:
        if _holder is not None:
            settle()
        self._data = x if type(x) is float else to_float(x, "Value.data = ...")
        written()

    @property
    def label(self) -> str:
        """The node's name in drawings and step text ("" for none). Assigning a non-str is a
        TypeError."""
        return self._label

    @label.setter
    def label(self, text: str) -> None:
        if type(text) is not str:
            raise TypeError(f"Value.label must be a str, got {type(text).__name__}: {brief(text)}")
        self._label = text

    # ---- arithmetic: each operator calls its op in ops.py, which turns numbers into leaves ----

    def __add__(self, other: Operand) -> Value:
        return ops.add(self, other)

    def __radd__(self, other: Operand) -> Value:
        return ops.add(other, self)

    def __sub__(self, other: Operand) -> Value:
        return ops.sub(self, other)

    def __rsub__(self, other: Operand) -> Value:
        return ops.sub(other, self)

    def __mul__(self, other: Operand) -> Value:
        return ops.mul(self, other)

    def __rmul__(self, other: Operand) -> Value:
        return ops.mul(other, self)

    def __truediv__(self, other: Operand) -> Value:
        return ops.div(self, other)

    def __rtruediv__(self, other: Operand) -> Value:
        return ops.div(other, self)

    def __pow__(self, exponent: Operand) -> Value:
        if type(exponent) is int or type(exponent) is float:  # the common case: x**2
            return ops.pow_const(self, exponent)
        if isinstance(exponent, Value):  # a Value exponent (a subclass too) is differentiated
            return ops.pow(self, exponent)
        return ops.pow_const(self, exponent)

    def __rpow__(self, base: Operand) -> Value:
        return ops.pow(base, self)

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
        """Return max(0, x) (-0.0 stays -0.0, as torch); d/dx = 1 if x > 0 else 0."""
        return ops.relu(self)

    def leaky_relu(self, slope: float = 0.01) -> Value:
        """Return x if x > 0 else slope·x; d/dx = 1 or slope (slope at 0, as in torch)."""
        return ops.leaky_relu(self, slope)

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
        return self._data < _data(other, "<")

    def __le__(self, other: Operand) -> bool:
        return self._data <= _data(other, "<=")

    def __gt__(self, other: Operand) -> bool:
        return self._data > _data(other, ">")

    def __ge__(self, other: Operand) -> bool:
        return self._data >= _data(other, ">=")

    __hash__ = object.__hash__  # by identity, so a Value can key a dict or live in a set
    __array_ufunc__ = None  # `ndarray * Value` defers to Value's reflected operator, which says no

    def __float__(self) -> float:
        if _holder is not None:
            settle()
        return self._data

    def __repr__(self) -> str:
        if _holder is not None:
            settle()
        name = f"label={self._label!r}, " if self._label else shown_name(self)
        return f"Value({name}data={self._data!r}, grad={self.grad!r}, op={self.op!r})"

    # ---- graph ----

    def backward(self, grad: float = 1.0) -> None:
        """Add d(self)/d(node) · grad to `.grad` of every node that `self` depends on.

        Reverse mode over a topological order (no recursion: a million-node chain works).
        Two calls without zeroing add exactly twice. The graph stays usable afterwards.
        """
        _passes.backward(self, to_float(grad, "backward(grad)"))

    def detach(self) -> Value:
        """Return a new leaf with the same data and label, cut off from this graph."""
        return Value(self._data, self._label)

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

        That is (g·∂self/∂p for p in parents), computed by the op's rule; () for a leaf, and
        None for a parent the op sends no gradient to.
        Where the micrograd lecture calls `o._backward()` by hand, this is the same step
        without touching any `.grad`.
        """
        if self._backward is None:
            return ()
        if isinstance(g, Value):
            return self._backward(g, self, *self.parents)
        return self._backward(
            to_float(g, "local_grads(g)"), self._data, *[p._data for p in self.parents]
        )


def lift(x: object, op: str) -> Value:
    """Return `x` as a Value: a Value passes, a real number becomes a constant leaf.

    `op` names the operation in the error for anything else (a str, a list, a complex).
    """
    if type(x) is Value:
        return x
    if type(x) is float or type(x) is int:  # the common case, without Value()'s checks
        try:
            number = float(x)
        except OverflowError:
            raise ValueError(
                f"{op}: the number {brief(x, 40)} is too large for a float64 "
                "(a Value holds a float; use float('inf') if you mean infinity)"
            ) from None
        leaf: Value = _new(Value)
        leaf._data = number
        leaf.grad = 0.0
        leaf._label = leaf.op = ""
        leaf.parents = ()
        leaf._backward = leaf._hooks = None
        leaf._site = LIFTED  # a leaf has no creation site to note: this says where it came from
        leaf._order = _next_order()
        return leaf
    if isinstance(x, Value):
        return x
    try:
        constant = Value(to_float(x, "the other operand"))
    except TypeError as error:
        raise TypeError(
            f"unsupported operand for {op}: {type(x).__name__}: {error} "
            "(a Value mixes with int, float, bool, NumPy real scalars and other Values)"
        ) from None
    constant._site = LIFTED
    return constant


# The `_site` of a leaf that an op made from a plain number (the 2 of `x / 2`, a loss's target):
# drawings show such a leaf as a constant, not as an input someone chose to differentiate.
LIFTED = "a number an op turned into a constant leaf"


def is_constant(node: Value) -> bool:
    """Return True for a leaf that an op made from a plain number (`x / 2` makes the 2)."""
    return node._site is LIFTED


def _data(x: object, op: str) -> float:
    """Return the number to compare against: `.data` of a Value, or the real number itself."""
    if isinstance(x, Value):
        return x._data
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
    out._data = data
    out.grad = 0.0
    out._label = ""
    out._hooks = out._site = None
    out._order = _next_order()
    mode = _get_mode()
    if not mode:  # the usual case: recording, not checking
        out.op = op
        out.parents = parents
        out._backward = rule
        return out
    if mode & NO_GRAD:
        out.op = ""
        out.parents = ()
        out._backward = None
    else:
        out.op = op
        out.parents = parents
        out._backward = rule
    if mode & ANOMALY:
        anomaly.watch_forward(out, op, parents)
    return out


# ---- the backward pass, which sits above this module ----

# `autograd.backward` imports Value, so Value cannot import it; it registers its pass here when it
# is imported (importing autograd.value imports the package, and so the pass, first). This keeps
# every import of the engine's modules pointing down, but for the one back edge below (ops).


class _Passes:
    """Where `autograd.backward` leaves its pass for `Value.backward` to call."""

    backward: Callable[..., None]


_passes = _Passes()


# ---- parameters a compiled training step holds (nn.Training): up to date when they are read ----

# A compiled training step keeps the parameters' numbers in arrays and touches no Value while it
# trains. It registers itself here as the holder of numbers newer than its Values; whatever
# reads a Value through the API (`.data`, `float()`, `repr()`, a model's call or parameters,
# an optimizer, a backward pass, a drawing) settles first: the holder writes its numbers into
# the Values. Writing `.data` counts as a change the holder reads back before its next step.
_holder: Any = None
_writes = 0  # how many times Values were written through the API (the holder compares)


def hold(owner: Any) -> None:
    """Register `owner` (with a `sync()` method) as holding numbers newer than its Values."""
    global _holder
    if _holder is not None and _holder is not owner:
        settle()
    _holder = owner


def settle() -> None:
    """Bring the Values a compiled training step holds up to date (nothing when none does)."""
    global _holder
    owner, _holder = _holder, None
    if owner is not None:
        owner.sync()


def written() -> None:
    """Note that Values were written (a holder reads its parameters again before training)."""
    global _writes
    _writes += 1


def writes() -> int:
    return _writes


# ---- one name per node: the `#k` that drawings, steps and pages show for an unlabelled node ----

# The naming most recently made in this thread or task: id(node) -> (creation number, k). It
# holds numbers only, never nodes, so it keeps no graph alive; the creation number tells a
# node apart from a later one that happens to reuse a freed node's id.
_names: contextvars.ContextVar[dict[int, tuple[int, int]] | None] = contextvars.ContextVar(
    "stepgrad_names", default=None
)


def name_nodes(order: list[Value]) -> Callable[[Value], str]:
    """Return a function that names a node: its label, else `#k` by its place in `order` (1, 2,
    ...). It also becomes the naming `repr()` uses for unlabelled nodes, so in a debugger an
    unlabelled node shows the same `#k` as the step text and the drawing."""
    place = {node: k for k, node in enumerate(order, 1)}
    _names.set({id(node): (node._order, k) for node, k in place.items()})
    return lambda node: node._label or f"#{place.get(node, '?')}"


def shown_name(node: Value) -> str:
    """Return "#k, " when the latest naming in this thread gave the node a number, else ""."""
    entry = (_names.get() or {}).get(id(node))
    return f"#{entry[1]}, " if entry is not None and entry[0] == node._order else ""


# The one back edge of the layers (STYLE 10): a Value's operators call the ops, and the ops make
# Values. Imported last, so that `ops` finds everything above already defined.
from autograd import ops  # noqa: E402
