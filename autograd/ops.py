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

from autograd.value import Value, _record, brief, lift, to_float

inf, nan = math.inf, math.nan
ndarray = np.ndarray

Rule = Callable[..., tuple[Any, ...]]
_NO_KEYWORDS: dict[str, Any] = {}  # an op's constants when it has none (shared, never changed)
_ONLY_VALUES = {Value}

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
INDEXED = "indexed"  # op(xs, i): a sequence and an index into it, parents xs + (i,) (take)


# ---- symbolic arrays: how a compiler runs an op (or a rule) without numbers ----


class Traced:
    """Base of the symbolic arrays a compiler runs ops and rules on (autograd.compile's `Sym`).

    An op function given one in place of a number or an array does not compute: it hands its
    record, its inputs and its constants to `type(x).apply`, which records an equation and
    returns the symbolic result. So a rule, which is written with operators and op functions,
    can be run once on symbolic arrays to get its formula as equations: the backward half of a
    compiled program is each op's own rule, not a copy. (Defined here so that `ops` needs nothing
    of the compiler, which sits above it.)
    """

    __slots__ = ()

    @classmethod
    def apply(cls, record: Op, args: Sequence[Any], keywords: dict[str, Any]) -> Any:
        raise NotImplementedError


def _traced(xs: Sequence[Any]) -> Traced | None:
    """The first symbolic array among `xs`, or None (numbers and arrays compute)."""
    for x in xs:
        if isinstance(x, Traced):
            return x
    return None


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
        "arrays",
        "constants",
        "shape_rule",
        "prints",
        "packed",
        "pad",
        "multiple",
        "quiet",
        "view",
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
        self.arrays = False  # an array op (a compiled program's), not an op on Values
        self.constants: tuple[str, ...] = (constant,) if constant else ()
        self.shape_rule: Callable[..., tuple[int, ...]] | None = None  # None: element-wise
        self.prints: Callable[..., Form] | None = None  # None: from `form` (see `Op.printed`)
        self.packed: Op | None = None  # the array op a group of its nodes becomes (lifting)
        self.pad: float | None = None  # what pads a shorter member of such a group
        self.multiple = False  # its kernel returns a tuple: one result per output
        self.quiet = False  # it only moves numbers (an array op): comments skip its rule
        # whether its result may share memory with its first input (NumPy's views): a
        # function of the equation's constants; a program never updates such a result in place
        self.view: Callable[[dict[str, Any]], bool] = _never

    def shape(self, *shapes: tuple[int, ...], **constants: Any) -> tuple[int, ...]:
        """The shape of this op's result on operands of these shapes (BATCH first where a
        shape holds one number per sample): NumPy's broadcasting for an element-wise op."""
        if self.shape_rule is not None:
            return self.shape_rule(*shapes, **constants)
        if self.takes != EACH:  # a scalar n-ary op (sum, dot, shift, take): one number
            return broadcast_shapes(*shapes)
        return broadcast_shapes(*shapes)

    def run(self, args: Sequence[Any], constants: dict[str, Any]) -> Any:
        """The kernel on these operands and constants, in the way the op takes its inputs
        (one each, one sequence, two halves, a sequence and an index)."""
        kernel, takes = self.kernel, self.takes
        if takes == LIST:
            return kernel(list(args))
        if takes == HALVES:
            half = len(args) // 2
            return kernel(list(args[:half]), list(args[half:]))
        if takes == INDEXED:
            return kernel(list(args[:-1]), args[-1])
        if self.constants:
            return kernel(*args, *[constants[c] for c in self.constants])
        return kernel(*args)

    def printed(
        self, shapes: Sequence[tuple[int, ...]], constants: dict[str, Any], arrays: bool
    ) -> Form:
        """How an equation of this op prints in a program (see `Form`); `arrays` says every
        operand is a NumPy array or NumPy number (so `/` and `**` may print as operators)."""
        if self.prints is not None:
            return self.prints(shapes, constants, arrays)
        return _default_form(self, shapes, arrays)

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
        self, names: Sequence[str], node: str, keep: Sequence[bool] | None = None, g: str = "g"
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
            kept = [k for k, flag in enumerate(keep) if flag]
            if len(kept) == 1 and len(names) > 1:  # one input's: in this graph's names
                k = kept[0]
                if self.takes == HALVES:
                    half = len(names) // 2
                    return f"∂{node}/∂{names[k]} = {names[(k + half) % len(names)]}"
                if self.takes == INDEXED:
                    if k == len(names) - 1:
                        return f"∂{node}/∂{names[k]}: none (an index)"
                    return f"∂{node}/∂{names[k]} = 1 where {names[-1]} = {k}, else 0"
                return f"∂{node}/∂{names[k]} = {template.format(x=names[k], z=node)}"
            if self.takes == HALVES:
                return f"∂{node}/∂wᵢ = xᵢ, ∂{node}/∂xᵢ = wᵢ"
            return f"∂{node}/∂xᵢ = {template.format(x='xᵢ', z=node)}"
        letters = dict(zip(self.letters, (node, *names)), g=g)
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


def _never(constants: dict[str, Any]) -> bool:
    return False


def _always(constants: dict[str, Any]) -> bool:
    return True


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
                elif isinstance(x, Traced):
                    return type(x).apply(record, (x,), {constant: c})
                else:
                    return forward(x, c)
            node_op, bound = _bind(rule, constant, c, show_name)
            return _record(node_op, forward(x._data, c), (x,), bound)

    elif takes == LIST:

        def apply(xs: Any) -> Any:
            xs = tuple(xs)
            kinds = set(map(type, xs))
            if kinds == _ONLY_VALUES:  # the usual case: Values only, nothing to lift
                values = xs
            elif Value not in kinds and _no_values(xs):
                found = _traced(xs)
                if found is not None:
                    return type(found).apply(record, xs, _NO_KEYWORDS)
                return forward(xs)
            else:
                values = tuple([lift(x, op) for x in xs])
            return _record(op, forward([v._data for v in values]), values, rule)

    elif takes == HALVES:

        def apply(ws: Any, xs: Any) -> Any:
            ws, xs = tuple(ws), tuple(xs)
            if len(ws) != len(xs):
                raise ValueError(
                    f"{name} needs two sequences of one length, got {len(ws)} and {len(xs)}"
                )
            both = ws + xs
            kinds = set(map(type, both))
            if kinds == _ONLY_VALUES:  # the usual case: Values only, nothing to lift
                values = both
            elif Value not in kinds and _no_values(both):
                found = _traced(both)
                if found is not None:
                    return type(found).apply(record, both, _NO_KEYWORDS)
                return forward(ws, xs)
            else:
                values = tuple([lift(v, op) for v in both])
            data = [v._data for v in values]
            return _record(op, forward(data[: len(ws)], data[len(ws) :]), values, rule)

    elif takes == INDEXED:

        def apply(xs: Any, i: Any) -> Any:
            if isinstance(xs, (str, bytes)) or not isinstance(xs, (Sequence, np.ndarray)):
                raise TypeError(
                    f"{name} needs a sequence to pick from and an index, got "
                    f"{type(xs).__name__} {brief(xs)} to pick from"
                )
            xs = tuple(xs)
            if not xs:
                raise ValueError(f"{name} needs at least one input to pick from, got none")
            every = (*xs, i)
            if Value not in map(type, every) and _no_values(every):
                found = _traced(every)
                if found is not None:
                    return type(found).apply(record, every, _NO_KEYWORDS)
                return forward(xs, i)
            values = tuple([lift(x, op) for x in every])
            data = [v._data for v in values]
            return _record(op, forward(data[:-1], data[-1]), values, rule)

    elif arity == 1:

        def apply(x: Any) -> Any:
            if type(x) is float:  # a rule on floats (the backward pass)
                return forward(x)
            if isinstance(x, Value):  # a subclass of Value too
                return _record(op, forward(x._data), (x,), rule)
            if isinstance(x, Traced):
                return type(x).apply(record, (x,), _NO_KEYWORDS)
            return forward(x)  # a number or an array

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
                found = _traced((x, y))
                if found is not None:
                    return type(found).apply(record, (x, y), _NO_KEYWORDS)
                return forward(x, y)
            else:  # a subclass of Value
                x, y = lift(x, op), lift(y, op)
            return _record(op, forward(x._data, y._data), (x, y), rule)

    else:

        def apply(*xs: Any) -> Any:
            if count > 0 and len(xs) != count:
                raise TypeError(f"{name}() takes {count} inputs, got {len(xs)}")
            if Value not in map(type, xs) and _no_values(xs):
                found = _traced(xs)
                if found is not None:
                    return type(found).apply(record, xs, _NO_KEYWORDS)
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
    found = _traced((condition, a, b))
    if found is not None:  # a rule run on symbolic arrays: an equation of `select`
        return type(found).apply(select.record, (condition, a, b), _NO_KEYWORDS)
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


def _take(xs: Any, i: Any) -> Any:
    if type(i) is ndarray or builtins.any(type(x) is ndarray for x in xs):
        table = np.stack(np.broadcast_arrays(*[np.asarray(x, dtype=np.float64) for x in xs]), -1)
        lead = np.broadcast_shapes(table.shape[:-1], np.shape(i))  # numbers, one index a sample
        table = np.broadcast_to(table, lead + table.shape[-1:])
        return _take_last(table, np.broadcast_to(i, lead))
    k = int(i) if type(i) is float and i.is_integer() else None
    if k is None or not 0 <= k < len(xs):
        _index(np.array(i, dtype=np.float64), len(xs))  # raises, naming the index
    return xs[k]


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


def _pow_const_form(shapes: Sequence[tuple[int, ...]], k: dict[str, Any], arrays: bool) -> Form:
    """On arrays what the kernel computes: √x for c = 0.5, 1/√x for -0.5, else x**c (NumPy's
    power, whose fast paths for c = -1, 0, 1, 2 round as pow does); on floats the kernel."""
    c = k["c"]
    if not arrays or not math.isfinite(c):
        return call(1, "c")
    if c == 0.5:
        return Form("{sqrt}({0})", 13, (0,), uses={"sqrt": _sqrt})
    if c == -0.5:
        return Form("1.0 / {sqrt}({0})", 10, (0,), uses={"sqrt": _sqrt})
    exponent = str(int(c)) if c.is_integer() and abs(c) < 1e15 else repr(c)
    return Form("{0}**" + exponent, 12, (13,))


pow_const.record.prints = _pow_const_form


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


# An embedding's row lookup: a token id picks one parameter of a column, so one traced program
# serves every token. The index gets no gradient (None), as torch's embedding sends none to its
# indices; the chosen input gets g and every other 0 (so they read as "not picked", not as "no
# gradient", and a program adds them like any other contribution).
def take_backward(g: Any, z: Any, *xs: Any) -> tuple[Any, ...]:
    i = index_of(xs[-1])
    return (*[where(i == float(k), g, 0.0) for k in range(len(xs) - 1)], None)


take = define(
    "take",
    _take,
    take_backward,
    takes=INDEXED,
    math="z = xᵢ for an integer i (0 ≤ i < n): x₀ … xₙ₋₁ are the inputs to pick from",
    derivatives=("1 where k = i, else 0",),
)
take.__doc__ = """Return xs[i] as one node whose parents are (*xs, i): an index picks an input.

    `i` is a whole number from 0 to len(xs) - 1 (a Value holding one, in a traced program an
    input: a token id picking a row of an embedding). dz/dxₖ = 1 for k = i, else 0; the index
    gets no gradient. A number out of range is an IndexError, one not whole a ValueError.

    >>> take([a, b, c], Value(1.0))      # the node b passes through; i sends nothing back
    """


def index_of(i: Any) -> Any:
    """The number an index holds: a Value's data, a number or an array as they are."""
    return i._data if isinstance(i, Value) else i


# ---- array ops: what a compiled program runs on whole arrays, never on a Value ----
#
# Lifting (autograd.compile) turns groups of scalar nodes into these. Each is one record, as the
# ops above are: its kernel (NumPy), its rule (written with op functions, so it runs on arrays
# and on a compiler's symbolic arrays alike), its shape and how it prints. A program's arrays
# hold one row per sample when they depend on the inputs (the batch axis comes first) and no
# batch axis when they depend on parameters and constants only (computed once per call).
# Shapes are tuples whose first entry is BATCH (the n samples of a call) for such an array.

BATCH = -1


def _batched(shape: tuple[int, ...]) -> bool:
    return bool(shape) and shape[0] == BATCH


def broadcast_shapes(*shapes: tuple[int, ...]) -> tuple[int, ...]:
    """The shape of an element-wise op's result, NumPy's broadcasting with BATCH first.

    A batched operand of fewer axes than another is not broadcast (NumPy would align it with
    the wrong axis): a program widens it first (`expand`), so this raises instead."""
    rank = builtins.max([len(s) for s in shapes], default=0)
    out: list[int] = []
    for k in range(rank):
        sizes = {s[k - rank + len(s)] for s in shapes if k - rank + len(s) >= 0}
        sizes.discard(1)
        if len(sizes) > 1:
            raise ValueError(f"shapes {shapes} do not broadcast")
        out.append(sizes.pop() if sizes else 1)
    batched = [s for s in shapes if _batched(s)]
    if batched and builtins.any(len(s) != rank for s in batched):
        raise ValueError(f"a batched operand of shapes {shapes} must have every axis")
    return tuple(out)


class Form:
    """How an op prints in a compiled program: a template and Python's precedence.

    `text` holds {0}, {1}, ... for the operands, {fn} for the name the op's kernel is bound to
    in the program, {name} for a constant of the equation (an index array's name, a size), and
    {out} (in a statement) for the result's name; `uses` names other objects the text calls
    ({"where": where} for `{where}(...)`), each bound in the program under a name of its own.
    `strength` says how tightly the printed whole binds (Python's precedence: 13 an atom, a
    call, a subscript or an attribute; 12 `**`; 11 unary minus; 10 `* / @`; 9 `+ -`; 7 `&`;
    4 a comparison), and `needs[k]` the least strength operand k may have without parentheses
    (so `(a + b) * c` and `-(x**2)` come out right, and nothing gets brackets it does not
    need). A `statement` form is whole lines (`{out} = zeros(…)` then `{out}[at] = {0}`).
    """

    __slots__ = ("text", "strength", "needs", "uses", "statement")

    def __init__(
        self,
        text: str,
        strength: int = 13,
        needs: Sequence[int] = (),
        uses: dict[str, Any] | None = None,
        statement: bool = False,
    ) -> None:
        self.text, self.strength, self.needs = text, strength, tuple(needs)
        self.uses = uses or {}
        self.statement = statement

    def render(self, args: Sequence[tuple[str, int]], names: dict[str, str]) -> tuple[str, int]:
        """(text, strength) of this form on operands given as (text, strength) pairs; `names`
        gives the text of every other placeholder."""
        shown = []
        for k, (text, strength) in enumerate(args):
            need = self.needs[k] if k < len(self.needs) else 0
            shown.append(f"({text})" if strength < need else text)
        return self.text.format(*shown, **names), self.strength

    def __repr__(self) -> str:
        return f"Form({self.text!r}, {self.strength})"


# Python's operators as an infix op prints them: (symbol, strength, left needs, right needs).
_INFIX = {
    "+": (9, 9, 10),
    "-": (9, 9, 10),
    "*": (10, 10, 11),
    "/": (10, 10, 11),
    "@": (10, 10, 11),
    "**": (12, 13, 11),  # -x**2 is -(x**2), x**-1 is fine: ** binds tighter on its left
    "<": (4, 5, 5),  # comparisons chain in Python (a < b < c): neither side may be one
    "<=": (4, 5, 5),
    ">": (4, 5, 5),
    ">=": (4, 5, 5),
    "==": (4, 5, 5),
    "&": (7, 7, 8),
}


def infix(symbol: str) -> Form:
    """The form of `{0} symbol {1}` with Python's precedence for that operator."""
    strength, left, right = _INFIX[symbol]
    return Form(f"{{0}} {symbol} {{1}}" if symbol != "**" else "{0}**{1}", strength, (left, right))


def call(arity: int, *constants: str) -> Form:
    """The form of `fn(a, b, ...)`: the kernel called on the operands, then the constants."""
    parts = [f"{{{k}}}" for k in range(arity)] + [f"{{{c}}}" for c in constants]
    return Form("{fn}(" + ", ".join(parts) + ")", 13, (0,) * arity)


def _default_form(record: Op, shapes: Sequence[tuple[int, ...]], arrays: bool) -> Form:
    """How an op made by `define` prints on `len(shapes)` operands. `arrays`: every operand is
    a NumPy array or scalar, so `/` and `**` are NumPy's (IEEE, no exception) and print as
    operators; on Python floats only `+ - *` do, the rest call their kernels."""
    n = len(shapes)
    if record.form == INFIX and n == 2:
        native = getattr(operator, record.python, None) is record.kernel
        return infix(record.name) if native or arrays else call(2)
    if record.form == PREFIX and n == 1:
        return Form("-{0}", 11, (11,))
    if record.takes == LIST:
        return Form("{fn}([" + ", ".join(f"{{{k}}}" for k in range(n)) + "])", 13, (0,) * n)
    if record.takes == HALVES:
        half = [", ".join(f"{{{k}}}" for k in range(a, b)) for a, b in ((0, n // 2), (n // 2, n))]
        return Form("{fn}((" + half[0] + ",), (" + half[1] + ",))", 13, (0,) * n)
    if record.takes == INDEXED:
        picks = ", ".join(f"{{{k}}}" for k in range(n - 1))
        return Form("{fn}([" + picks + "], {" + str(n - 1) + "})", 13, (0,) * n)
    return call(n, *([record.constant] if record.constant else []))


# ---- kernels of the array ops ----


class Places:
    """Where an index array picks from the last axis of an array of `size` entries, worked
    out once when a program is compiled, so a gather and its scatter-add run the cheapest
    exact way: one entry, a slice, a slice whose entries repeat (each `times` in a row), or
    any pattern (one that names an entry twice adds its contributions: sorted once, summed
    by `np.add.reduceat`, which adds each run of equal indices in order)."""

    __slots__ = ("at", "size", "kind", "start", "stop", "times", "order", "starts", "targets")

    def __init__(self, at: Any, size: int) -> None:
        self.at = np.asarray(at, dtype=np.intp)
        self.size = int(size)
        self.start = self.stop = self.times = 0
        self.order: Any = None
        self.starts: Any = None
        self.targets: Any = None
        flat = self.at.ravel()
        if self.at.ndim == 0:
            self.kind, self.start = "one", int(self.at)
            return
        first = int(flat[0]) if flat.size else 0
        if self.at.ndim == 1 and flat.size and (flat == np.arange(first, first + flat.size)).all():
            self.kind, self.start, self.stop = "slice", first, first + flat.size
            return
        values, counts = np.unique(flat, return_counts=True)
        if (
            self.at.ndim == 1
            and flat.size
            and len(set(counts.tolist())) == 1
            and counts[0] > 1
            and (values == np.arange(values[0], values[0] + len(values))).all()
            and (flat == np.repeat(values, counts[0])).all()
        ):
            self.kind, self.times = "repeat", int(counts[0])
            self.start, self.stop = int(values[0]), int(values[0]) + len(values)
            return
        self.kind = "any" if len(values) == flat.size else "repeated"
        if self.kind == "repeated":
            order = np.argsort(flat, kind="stable")
            ordered = flat[order]
            starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
            self.order, self.starts, self.targets = order, starts, ordered[starts]

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.at.shape)

    @property
    def ndim(self) -> int:
        return int(self.at.ndim)

    def __repr__(self) -> str:
        return f"Places({self.kind}, {self.size})"


def places(at: Any, size: int) -> Places:
    """The plan of an index array into an axis of `size` entries (see `Places`)."""
    return at if isinstance(at, Places) else Places(at, size)


def _gather(a: Any, at: Places) -> Any:
    kind = at.kind
    if kind == "one":
        return a[..., at.start]
    if kind == "slice":
        return a[..., at.start : at.stop]
    if kind == "repeat":
        return np.repeat(a[..., at.start : at.stop], at.times, -1)
    return a[..., at.at]


def _summed(g: Any, at: Places) -> Any:
    """g's contributions summed where `at` names one entry more than once: one per target."""
    lead = np.shape(g)[: np.ndim(g) - at.ndim]
    if at.kind == "repeat":
        return np.reshape(g, lead + (at.stop - at.start, at.times)).sum(-1)
    rows = np.reshape(g, lead + (math.prod(np.shape(g)[len(lead) :]),))  # not -1: n may be 0
    return np.add.reduceat(rows[..., at.order], at.starts, axis=-1)


def _put(g: Any, at: Places) -> Any:
    out = np.zeros(np.shape(g)[: np.ndim(g) - at.ndim] + (at.size,))
    return _add_into(out, g, at)


def _add_into(out: Any, g: Any, at: Places) -> Any:
    kind = at.kind
    if kind == "one":
        out[..., at.start] += g
    elif kind == "slice":
        out[..., at.start : at.stop] += g
    elif kind == "repeat":
        out[..., at.start : at.stop] += _summed(g, at)
    elif kind == "any":
        out[..., at.at] += g
    else:
        out[..., at.targets] += _summed(g, at)
    return out


def _add_at(base: Any, g: Any, at: Places) -> Any:
    return _add_into(np.array(base, dtype=np.float64), g, at)  # a copy: inputs stay as they are


def _concat(*xs: Any) -> Any:
    lead = builtins.max([np.shape(x)[:-1] for x in xs], key=len)  # a batch's leading axes
    return np.concatenate(
        [
            x if np.shape(x)[:-1] == lead else np.broadcast_to(x, lead + np.shape(x)[-1:])
            for x in xs
        ],
        axis=-1,
    )


def _stack(*xs: Any) -> Any:
    shape = np.shape(xs[0])
    if type(xs[0]) is ndarray and all([type(x) is ndarray and x.shape == shape for x in xs]):
        return np.stack(xs, -1)
    return np.stack(np.broadcast_arrays(*[np.asarray(x, dtype=np.float64) for x in xs]), -1)


def _sum_last(a: Any) -> Any:
    return a.sum(-1)


def _spread(g: Any, size: int) -> Any:
    return np.repeat(np.asarray(g)[..., None], size, -1)


def _sum_axes(a: Any, axes: tuple[int, ...], keep: bool) -> Any:
    return np.asarray(a).sum(axes, keepdims=keep)


def _broadcast_like(a: Any, b: Any) -> Any:
    return np.broadcast_to(a, np.shape(b)).copy()


def _expand(a: Any) -> Any:
    return np.asarray(a)[..., None]


def _reshape(a: Any, shape: tuple[int, ...]) -> Any:
    return a.reshape(shape)


def _reshape_like(a: Any, b: Any) -> Any:
    return np.reshape(a, np.shape(b))


def _rows(a: Any) -> Any:
    return a.reshape(-1, a.shape[-1])


def _transpose(a: Any) -> Any:
    return a.T


def _mm(a: Any, b: Any) -> Any:
    return a @ b


def _shift_last(a: Any) -> Any:
    m = np.fmax.reduce(a, axis=-1)  # the largest, skipping nan (all nan: nan)
    return np.where(np.isfinite(m), m, 0.0)


def _index(x: Any, size: int) -> Any:
    """x as integer indices, each a whole number from 0 to size - 1 (else a clear error)."""
    array = np.asarray(x)
    with np.errstate(invalid="ignore"):  # nan or inf: refused just below
        ix = array.astype(np.intp)
    if ix.size and ((ix != array).any() or ix.min() < 0 or ix.max() >= size):
        bad = array.ravel()[~((ix == array) & (ix >= 0) & (ix < size)).ravel()][0]
        kind = IndexError if bad == bad and float(bad).is_integer() else ValueError
        raise kind(
            f"an index picks one of {size} inputs (a whole number 0 to {size - 1}), "
            f"got {float(bad)!r}"
        )
    return ix


def _take_last(options: Any, index: Any) -> Any:
    size = options.shape[-1]
    ix = _index(index, size)
    lead = np.broadcast_shapes(options.shape[:-1], ix.shape)
    if options.shape[:-1] == lead:  # a table of options for each place (the index broadcast)
        ix = np.broadcast_to(ix, lead)
        flat = ix.reshape(-1) + np.arange(0, ix.size * size, size)
        return options.reshape(-1)[flat].reshape(lead)
    rows = options.shape[-2] if options.ndim > 1 else 1  # rows shared by every sample
    return options.reshape(-1)[ix + np.arange(0, rows * size, size)]


def _put_along(g: Any, index: Any, like: Any) -> Any:
    shape = np.shape(like)
    size = shape[-1]
    ix = _index(index, size)
    lead = np.broadcast_shapes(shape[:-1], ix.shape)
    if shape[:-1] == lead:  # each place of the table once: put
        ix = np.broadcast_to(ix, lead)
        out = np.zeros(ix.size * size)
        out[ix.reshape(-1) + np.arange(0, ix.size * size, size)] = np.broadcast_to(g, lead).ravel()
        return out.reshape(shape)
    rows = shape[-2] if len(shape) > 1 else 1  # rows shared by every sample: their gradient
    # adds over the samples
    flat = np.broadcast_to(ix + np.arange(0, rows * size, size), np.shape(g)).reshape(-1)
    weights = np.asarray(g, dtype=np.float64).reshape(-1)
    return np.bincount(flat, weights=weights, minlength=rows * size).reshape(shape)


def _matmul(w: Any, x: Any) -> Any:
    return x @ w.T


# ---- the record of an array op ----


def array_op(
    op: str,
    kernel: Callable[..., Any],
    rule: Rule,
    *,
    shape: Callable[..., tuple[int, ...]],
    prints: Callable[..., Form],
    math: str,
    derivatives: tuple[str, ...],
    constants: tuple[str, ...] = (),
    sends_none: bool = False,
    form: str = CALL,
    quiet: bool = True,
) -> Any:
    """Return the op function of an array op; its `Op` record is `.record` (`arrays` is True).

    The function computes `kernel(*arrays, *constants)` on NumPy arrays and records an
    equation on a compiler's symbolic arrays; a `Value` is refused (a node holds one number).
    `shape(*shapes, **constants)` is its result's shape (BATCH first where batched) and
    `prints(shapes, constants, arrays)` its `Form` in a program's source. A `quiet` op only
    moves numbers around (a gather, a reshape): a program's comments do not spell out its rule."""
    name = rule.__name__.removesuffix("_backward")
    arity = inputs_of(rule, skip=2)

    def apply(*xs: Any, **keywords: Any) -> Any:
        found = _traced(xs)
        if found is not None:
            return type(found).apply(record, xs, keywords)
        if builtins.any(isinstance(x, Value) for x in xs):
            raise TypeError(
                f"{name} is an array op (a compiled program's): it takes arrays, not Values"
            )
        return kernel(*xs, *[keywords[c] for c in constants])

    record = Op(op, name, kernel, rule, arity, form, EACH, math, derivatives, "", False, sends_none)
    record.arrays, record.quiet = True, quiet
    record.constants = constants
    record.shape_rule, record.prints = shape, prints
    apply.__name__ = apply.__qualname__ = name
    apply.__doc__ = f"Return {math} (an array op).    " + ", ".join(
        f"to {letter}: {d}" for letter, d in zip(record.letters[1:], derivatives)
    )
    made: Any = apply  # an op function carries its record, and what tools read of it
    made.forward, made.rule, made.record = kernel, rule, record
    record.function = made
    rule.op_record = record  # type: ignore[attr-defined]
    return made


def _same(*shapes: tuple[int, ...], **_: Any) -> tuple[int, ...]:
    return shapes[0]


def _bool(*shapes: tuple[int, ...], **_: Any) -> tuple[int, ...]:
    return broadcast_shapes(*shapes)


def _subscript(shapes: Sequence[tuple[int, ...]], index: str) -> str:
    """`a[:, {at}]` for a batched 2-D operand, `a[{at}]` for a 1-D one, else `a[..., {at}]`."""
    rank = len(shapes[0])
    if rank == 1:
        return "{0}[" + index + "]"
    if rank == 2 and _batched(shapes[0]):
        return "{0}[:, " + index + "]"
    return "{0}[..., " + index + "]"


# ---- gathering and scattering: parameters as matrices, groups from groups ----


def _target(shape: tuple[int, ...], at: Places) -> str:
    """How a put names its places in an array of `shape`: `[at]`, `[:, 3]`, `[..., 16:32]`."""
    if at.kind == "one":
        spot = str(at.start)
    elif at.kind in ("slice", "repeat"):
        spot = f"{at.start}:{at.stop}"
    else:
        spot = "{at_targets}" if at.kind == "repeated" else "{at}"
    if len(shape) == 1:
        return spot
    return (":, " if len(shape) == 2 and _batched(shape) else "..., ") + spot


def _summed_text(at: Places, shape: tuple[int, ...]) -> str:
    """What a put adds at its places: {1} itself, or its entries summed per place."""
    lead = ["n" if s == BATCH else str(s) for s in shape[: len(shape) - at.ndim]]
    if at.kind == "repeat":
        dims = ", ".join([*lead, str(at.stop - at.start), str(at.times)])
        return "{1}.reshape(" + dims + ").sum(-1)"
    if at.kind == "repeated":
        placed = shape[len(lead) :]  # their count, not -1: NumPy cannot infer it when n = 0
        size = str(math.prod(placed)) if BATCH not in placed else "-1"
        flat = "{1}" if at.ndim == 1 else "{1}.reshape(" + ", ".join([*lead, size]) + ")"
        rows = ":, " if lead else ""
        return "{add}.reduceat(" + flat + "[" + rows + "{at_order}], {at_starts}, axis=-1)"
    return "{1}"


def _gather_form(shapes: Sequence[tuple[int, ...]], k: dict[str, Any], arrays: bool) -> Form:
    at: Places = k["at"]
    if at.kind == "one":
        return Form(_subscript(shapes, str(at.start)), 13, (13,))
    if at.kind == "slice":
        return Form(_subscript(shapes, f"{at.start}:{at.stop}"), 13, (13,))
    if at.kind == "repeat":
        part = _subscript(shapes, f"{at.start}:{at.stop}")
        if at.start == 0 and at.stop == shapes[0][-1]:
            part = "{0}"
        text = "{repeat}(" + part + ", " + str(at.times) + ", -1)"
        return Form(text, 13, (13,), {"repeat": np.repeat})
    return Form(_subscript(shapes, "{at}"), 13, (13,))


def _put_form(shapes: Sequence[tuple[int, ...]], k: dict[str, Any]) -> Form:
    at: Places = k["at"]
    out = shapes[0][: len(shapes[0]) - at.ndim] + (at.size,)
    added = _summed_text(at, shapes[0]).replace("{1}", "{0}")
    text = "{out} = {zeros}({shape})\n{out}[" + _target(out, at) + "] = " + added
    return Form(text, uses={"zeros": np.zeros, "add": np.add}, statement=True)


def _add_at_form(shapes: Sequence[tuple[int, ...]], k: dict[str, Any]) -> Form:
    at: Places = k["at"]
    text = "{out}[" + _target(shapes[0], at) + "] += " + _summed_text(at, shapes[1])
    return Form(text, uses={"add": np.add}, statement=True)


# z = a[…, at]: entries of a picked by an index array (a layer's weights from the parameters,
# a group's operands from the groups that made them). Its rule puts g back where it came from.
def gather_backward(g: Any, z: Any, a: Any, *, at: Places) -> tuple[Any]:
    return (put(g, at=at),)


gather = array_op(
    "gather",
    _gather,
    gather_backward,
    shape=lambda a, *, at: a[:-1] + at.shape,
    prints=_gather_form,
    math="z = a[…, at]  (the entries of a that the index array at names)",
    derivatives=("g added back at `at` (twice where at names an entry twice)",),
    constants=("at",),
)


# z = zeros(…, size) with g added at `at` (an index named twice adds both): gather's rule
def put_backward(g: Any, z: Any, c: Any, *, at: Places) -> tuple[Any]:
    return (gather(g, at=at),)


put = array_op(
    "put",
    _put,
    put_backward,
    shape=lambda c, *, at: c[: len(c) - at.ndim] + (at.size,),
    prints=lambda shapes, k, arrays: _put_form(shapes, k),
    math="z = zeros(…, size) with c added at `at`",
    derivatives=("g[…, at]",),
    constants=("at",),
)


# z = base with c added at `at`: a gradient gathered from several places, accumulated
def add_at_backward(g: Any, z: Any, base: Any, c: Any, *, at: Places) -> tuple[Any, ...]:
    return g, gather(g, at=at)


add_at = array_op(
    "add_at",
    _add_at,
    add_at_backward,
    shape=lambda base, c, *, at: base,
    prints=lambda shapes, k, arrays: _add_at_form(shapes, k),
    math="z = base + (c put at `at`)",
    derivatives=("g", "g[…, at]"),
    constants=("at",),
)


# z = [x₁ … xₖ] side by side along the last axis (a batched x broadcasts an unbatched one)
def concat_backward(g: Any, z: Any, *xs: Any) -> tuple[Any, ...]:
    sizes = [x.shape[-1] for x in xs]
    starts = [builtins.sum(sizes[:k]) for k in range(len(sizes))]
    return tuple(
        [
            gather(g, at=places(np.arange(s, s + m), builtins.sum(sizes)))
            for s, m in zip(starts, sizes)
        ]
    )


def _concat_shape(*shapes: tuple[int, ...]) -> tuple[int, ...]:
    lead = broadcast_shapes(*[s[:-1] for s in shapes])
    return lead + (builtins.sum(s[-1] for s in shapes),)


concat = array_op(
    "concat",
    _concat,
    concat_backward,
    shape=_concat_shape,
    prints=lambda shapes, k, arrays: call(len(shapes)),
    math="z = [x₁ … xₖ] along the last axis",
    derivatives=("g's slice of each",),
)


# z[…, k] = xₖ: numbers side by side, one column each (the inputs as one matrix)
def stack_backward(g: Any, z: Any, *xs: Any) -> tuple[Any, ...]:
    return tuple([gather(g, at=places(k, len(xs))) for k in range(len(xs))])


stack = array_op(
    "stack",
    _stack,
    stack_backward,
    shape=lambda *shapes: broadcast_shapes(*shapes) + (len(shapes),),
    prints=lambda shapes, k, arrays: Form(
        "{stack}([" + ", ".join(f"{{{j}}}" for j in range(len(shapes))) + "], -1)",
        13,
        (0,) * len(shapes),
        uses={"stack": np.stack},
    ),
    math="z[…, k] = xₖ",
    derivatives=("g[…, k]",),
)


# ---- sums and broadcasts: a reduction and its rule, each the other's ----


# z = Σⱼ a[…, j]: a sum over one group's members (Python's sum, autograd.sum, a dot's terms)
def sum_last_backward(g: Any, z: Any, a: Any) -> tuple[Any]:
    return (spread(g, size=a.shape[-1]),)


sum_last = array_op(
    "sum_last",
    _sum_last,
    sum_last_backward,
    shape=lambda a: a[:-1],
    prints=lambda shapes, k, arrays: Form(
        "{0}.sum()" if len(shapes[0]) == 1 else "{0}.sum(-1)", 13, (13,)
    ),
    math="z = Σⱼ a[…, j]  (the last axis summed)",
    derivatives=("1 for each term",),
    quiet=False,
)


# z[…, j] = g for j < size: sum_last's rule
def spread_backward(g: Any, z: Any, a: Any, *, size: int) -> tuple[Any]:
    return (sum_last(g),)


spread = array_op(
    "spread",
    _spread,
    spread_backward,
    shape=lambda a, *, size: a + (size,),
    prints=lambda shapes, k, arrays: Form(
        "{repeat}({0}[..., None], {size}, -1)", 13, (13,), uses={"repeat": np.repeat}
    ),
    math="z[…, j] = a[…] for j < size",
    derivatives=("Σⱼ g[…, j]",),
    constants=("size",),
)


# z = a summed over `axes` (keep: as axes of 1): a contribution to something the op broadcast
# (a bias read by every sample, a number read by every member of a group)
def sum_axes_backward(g: Any, z: Any, a: Any, *, axes: tuple[int, ...], keep: bool) -> tuple[Any]:
    return (broadcast_like(g, a),)  # (the axes a program sums are leading ones, or kept)


def summed_axes(big: tuple[int, ...], small: tuple[int, ...]) -> tuple[tuple[int, ...], ...]:
    """The axes to sum an array of shape `big` over to get `small` (broadcasting, backwards):
    (the leading axes `small` lacks, the later ones where `small` has 1 and `big` has not)."""
    lead = len(big) - len(small)
    kept = tuple(k + lead for k, (s, b) in enumerate(zip(small, big[lead:])) if s == 1 and b != 1)
    return tuple(range(lead)), kept


def sum_to(g: Any, a: Any) -> Any:
    """g summed down to a's shape: the gradient of what an element-wise op broadcast (a bias
    read by every sample, a number read by every member of a group) adds up over the copies."""
    leading, kept = summed_axes(np.shape(g), np.shape(a))
    if kept:
        g = sum_axes(g, axes=kept, keep=True)
    if leading:
        g = sum_axes(g, axes=leading, keep=False)
    return g


def _sum_axes_shape(a: tuple[int, ...], *, axes: tuple[int, ...], keep: bool) -> tuple[int, ...]:
    picked = {k % len(a) for k in axes}
    return tuple(1 if k in picked else s for k, s in enumerate(a) if keep or k not in picked)


def _sum_axes_form(shapes: Sequence[tuple[int, ...]], k: dict[str, Any], arrays: bool) -> Form:
    axes = k["axes"]
    axis = str(axes[0]) if len(axes) == 1 else str(tuple(axes))
    if not k["keep"] and len(axes) == len(shapes[0]):
        return Form("{0}.sum()", 13, (13,))
    return Form("{0}.sum(" + axis + (", keepdims=True)" if k["keep"] else ")"), 13, (13,))


sum_axes = array_op(
    "sum_axes",
    _sum_axes,
    sum_axes_backward,
    shape=_sum_axes_shape,
    prints=_sum_axes_form,
    math="z = a summed over the given axes",
    derivatives=("g broadcast back to a's shape",),
    constants=("axes", "keep"),
)


# z = a repeated to b's shape (a copy): sum_axes' rule
def broadcast_like_backward(g: Any, z: Any, a: Any, b: Any) -> tuple[Any, ...]:
    return sum_to(g, a), None


broadcast_like = array_op(
    "broadcast_like",
    _broadcast_like,
    broadcast_like_backward,
    shape=lambda a, b: b,
    prints=lambda shapes, k, arrays: (
        Form("{full_like}({1}, {0})", 13, (0, 0), uses={"full_like": np.full_like})
        if not shapes[0]  # one number: an array of it
        else Form(
            "{broadcast_to}({0}, {shape_of}({1})).copy()",
            13,
            (0, 0),
            uses={"broadcast_to": np.broadcast_to, "shape_of": np.shape},
        )
    ),
    math="z = a repeated to b's shape",
    derivatives=("Σ g over the repeated axes", "none: b gives the shape"),
)


# z[…, 0] = a: a per-sample number as a column, to combine with a group's columns
def expand_backward(g: Any, z: Any, a: Any) -> tuple[Any]:
    return (gather(g, at=places(0, 1)),)


expand = array_op(
    "expand",
    _expand,
    expand_backward,
    shape=lambda a: a + (1,),
    prints=lambda shapes, k, arrays: (
        Form("{0}[:, None]" if len(shapes[0]) == 1 else "{0}[..., None]", 13, (13,))
        if shapes[0]  # one number may be a float (a kernel's result on one): made an array
        else Form("{asarray}({0})[None]", 13, (0,), {"asarray": np.asarray})
    ),
    math="z[…, 0] = a",
    derivatives=("g[…, 0]",),
)


# z = a with its entries in another shape (the same order)
def reshape_backward(g: Any, z: Any, a: Any, *, shape: tuple[int, ...]) -> tuple[Any]:
    return (reshape_like(g, a),)


reshape = array_op(
    "reshape",
    _reshape,
    reshape_backward,
    shape=lambda a, *, shape: shape,
    prints=lambda shapes, k, arrays: Form("{0}.reshape{shape}", 13, (13,)),
    math="z = a, reshaped",
    derivatives=("g, reshaped back",),
    constants=("shape",),
)


def reshape_like_backward(g: Any, z: Any, a: Any, b: Any) -> tuple[Any, ...]:
    return reshape_like(g, a), None


reshape_like = array_op(
    "reshape_like",
    _reshape_like,
    reshape_like_backward,
    shape=lambda a, b: b,
    prints=lambda shapes, k, arrays: Form("{0}.reshape({1}.shape)", 13, (13, 13)),
    math="z = a in b's shape",
    derivatives=("g in a's shape", "none: b gives the shape"),
)


# ---- products: a layer's neurons at once ----


# A layer's neurons at once: row i of w is neuron i's weights, x holds one input vector per
# sample (and per row, for a layer applied at every position), z[…, i] = Σⱼ w[i, j]·x[…, j].
# The weights' contribution sums over the samples and rows: rows(g)ᵀ rows(x).
def matmul_backward(g: Any, z: Any, w: Any, x: Any) -> tuple[Any, ...]:
    return rows(g).T @ rows(x), g @ w


matmul = array_op(
    "matmul",
    _matmul,
    matmul_backward,
    shape=lambda w, x: x[:-1] + w[:1],
    prints=lambda shapes, k, arrays: Form("{1} @ {0}.T", 10, (13, 10)),
    math="z = x @ wᵀ  (z[…, i] = Σⱼ w[i, j]·x[…, j]: row i of w is neuron i's weights)",
    derivatives=("{g}ᵀ @ {x}, summed over the samples", "{g} @ {w}"),
    form=MATMUL,
    quiet=False,
)


# z = a @ b (a matrix product; a may have leading axes)
def mm_backward(g: Any, z: Any, a: Any, b: Any) -> tuple[Any, ...]:
    return g @ b.T, rows(a).T @ rows(g)


mm = array_op(
    "mm",
    _mm,
    mm_backward,
    shape=lambda a, b: a[:-1] + b[1:],
    prints=lambda shapes, k, arrays: infix("@"),
    math="z = a @ b",
    derivatives=("g @ bᵀ", "rows(a)ᵀ @ rows(g)"),
)


# z = aᵀ (a matrix)
def transpose_backward(g: Any, z: Any, a: Any) -> tuple[Any]:
    return (g.T,)


transpose = array_op(
    "transpose",
    _transpose,
    transpose_backward,
    shape=lambda a: a[::-1],
    prints=lambda shapes, k, arrays: Form("{0}.T", 13, (13,)),
    math="z = aᵀ",
    derivatives=("gᵀ",),
)


# z = a with its leading axes as one: a matrix of one row per sample (and position)
def rows_backward(g: Any, z: Any, a: Any) -> tuple[Any]:
    return (reshape_like(g, a),)


def _rows_shape(a: tuple[int, ...]) -> tuple[int, ...]:
    if len(a) <= 2:
        return a
    lead = BATCH if _batched(a) else math.prod(a[:-1])
    return (lead, a[-1])


rows = array_op(
    "rows",
    _rows,
    rows_backward,
    shape=_rows_shape,
    prints=lambda shapes, k, arrays: Form("{0}.reshape(-1, " + str(shapes[0][-1]) + ")", 13, (13,)),
    math="z = a as a matrix: its leading axes as one",
    derivatives=("g in a's shape",),
)


# ---- a row's largest entry, and an index's pick: softmax's shift, an embedding's lookup ----


# shift over the last axis (each row of a group): no gradient flows back through it
def shift_last_backward(g: Any, z: Any, a: Any) -> tuple[Any]:
    return (None,)


shift_last = array_op(
    "shift_last",
    _shift_last,
    shift_last_backward,
    shape=lambda a: a[:-1],
    prints=lambda shapes, k, arrays: call(1),
    math="z = max over the last axis, held constant (0 where it is not finite)",
    derivatives=("none: held constant",),
    sends_none=True,
    quiet=False,
)


# z[…, r] = options[…, r, index[…, r]]: take over a group of lookups (rows of an embedding)
def take_last_backward(g: Any, z: Any, options: Any, index: Any) -> tuple[Any, ...]:
    return put_along(g, index, options), None


take_last = array_op(
    "take_last",
    _take_last,
    take_last_backward,
    shape=lambda options, index: broadcast_shapes(options[:-1], index),
    prints=lambda shapes, k, arrays: call(2),
    math="z[…, r] = options[…, r, index[…, r]]",
    derivatives=("g put at the index (summed over the samples for shared rows)", "none"),
    quiet=False,
)


# z = zeros like `like`, g put at the index along the last axis: take_last's rule
def put_along_backward(g: Any, z: Any, c: Any, index: Any, like: Any) -> tuple[Any, ...]:
    return take_last(g, index), None, None


put_along = array_op(
    "put_along",
    _put_along,
    put_along_backward,
    shape=lambda c, index, like: like,
    prints=lambda shapes, k, arrays: call(3),
    math="z = zeros like `like`, with c at the index along the last axis",
    derivatives=("g at the index", "none", "none"),
)


# z = a: a gradient that passes through unchanged (∂(x + y)/∂x = 1), under a name of its own
def same_backward(g: Any, z: Any, a: Any) -> tuple[Any]:
    return (g,)


same = array_op(
    "same",
    lambda a: a,
    same_backward,
    shape=lambda a: a,
    prints=lambda shapes, k, arrays: Form("{0}", 13, (13,)),
    math="z = a",
    derivatives=("g",),
)


# An op that sends no gradient back (shift): its output is held constant. A program's backward
# half says so in a comment; the equation computes nothing and has no result.
def held_backward(g: Any, z: Any, a: Any) -> tuple[Any]:
    return (None,)


held = array_op(
    "held",
    lambda a: None,
    held_backward,
    shape=lambda a: (),
    prints=lambda shapes, k, arrays: Form("", statement=True),
    math="nothing: a is held constant (no gradient flows back through the op that made it)",
    derivatives=("none",),
    sends_none=True,
)


# ---- what rules branch on: comparisons, and where (a rule's `where` on arrays) ----


def _comparison(symbol: str, kernel: Callable[[Any, Any], Any], rule: Rule) -> Any:
    return array_op(
        symbol,
        kernel,
        rule,
        shape=_bool,
        prints=lambda shapes, k, arrays: infix(symbol),
        math=f"z = x {symbol} y  (true or false: no gradient)",
        derivatives=("none", "none"),
        sends_none=True,
    )


# A comparison is true or false: no gradient flows through it (a rule's `where` branches on it).
def less_backward(g: Any, z: Any, x: Any, y: Any) -> tuple[Any, ...]:
    return None, None


def less_equal_backward(g: Any, z: Any, x: Any, y: Any) -> tuple[Any, ...]:
    return None, None


def greater_backward(g: Any, z: Any, x: Any, y: Any) -> tuple[Any, ...]:
    return None, None


def greater_equal_backward(g: Any, z: Any, x: Any, y: Any) -> tuple[Any, ...]:
    return None, None


def equal_backward(g: Any, z: Any, x: Any, y: Any) -> tuple[Any, ...]:
    return None, None


def both_backward(g: Any, z: Any, x: Any, y: Any) -> tuple[Any, ...]:
    return None, None


less = _comparison("<", operator.lt, less_backward)
less_equal = _comparison("<=", operator.le, less_equal_backward)
greater = _comparison(">", operator.gt, greater_backward)
greater_equal = _comparison(">=", operator.ge, greater_equal_backward)
equal = _comparison("==", operator.eq, equal_backward)
both = _comparison("&", operator.and_, both_backward)


# z = a where c holds, else b (ops.where on arrays); no gradient to the condition
def select_backward(g: Any, z: Any, c: Any, a: Any, b: Any) -> tuple[Any, ...]:
    return None, where(c, g, 0.0), where(c, 0.0, g)


def _select(c: Any, a: Any, b: Any) -> Any:
    """where(c, a, b) in the branches' shape: one condition for arrays (a parameter's w == 0)
    picks one branch, which may be a number where the program needs an array; NumPy's where
    broadcasts it."""
    if (type(c) is bool or type(c) is np.bool_) and (type(a) is ndarray or type(b) is ndarray):
        return _where_arrays(c, a, b)
    return where(c, a, b)


select = array_op(
    "select",
    _select,
    select_backward,
    shape=lambda c, a, b: broadcast_shapes(c, a, b),
    prints=lambda shapes, k, arrays: (
        Form("{where}({0}, {1}, {2})", 13, (0, 0, 0), uses={"where": where})
        if shapes[0] or not any(shapes)
        else Form("{select}({0}, {1}, {2})", 13, (0, 0, 0), uses={"select": _select})
    ),
    math="z = a where c, else b",
    derivatives=("none", "g where c", "g where not c"),
)


# The ops with a row in the test table (tests/test_ops.py fails when one here lacks a row).
OPS = tuple(
    name
    for name, made in list(globals().items())
    if isinstance(getattr(made, "record", None), Op)
    and made.record.function is made
    and not made.record.arrays
)
# The array ops: each has a row in the test table's ARRAY part.
ARRAY_OPS = tuple(
    name
    for name, made in list(globals().items())
    if isinstance(getattr(made, "record", None), Op)
    and made.record.function is made
    and made.record.arrays
)


# ---- what a group of an op's nodes becomes when lifted (autograd.compile's group pass) ----

for _name in OPS:
    _record_of_op = globals()[_name].record
    if _record_of_op.takes == EACH and _record_of_op.arity in (1, 2):
        _record_of_op.packed = _record_of_op  # element-wise: the same op on whole arrays
sum.record.packed, sum.record.pad = sum_last.record, 0.0  # padded with 0.0 a sum is the same
dot.record.packed, dot.record.pad = sum_last.record, 0.0  # the products, then their sum
shift.record.packed, shift.record.pad = shift_last.record, -inf  # -inf is never the largest
take.record.packed = take_last.record
del _name, _record_of_op


# ---- which array ops give views of their first input (their results share its memory) ----

for _view in (expand, same, reshape, reshape_like, rows, transpose):
    _view.record.view = _always
gather.record.view = lambda constants: constants["at"].kind in ("one", "slice")
del _view


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
