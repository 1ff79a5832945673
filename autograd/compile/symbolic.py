"""Symbolic arrays: run an op's own rule without numbers, and get its formula as equations.

A rule is written with operators and the op functions of `autograd.ops` (`g * y`,
`where(z <= 0.0, 0.0, g)`), which accept numbers, Values and arrays. Given a `Sym` they record
an equation instead of computing: so calling `relu_backward(g, z, x)` on Syms appends
`c1 = less_equal z 0.0` and `c2 = select c1 0.0 g` and returns the Sym of c2. That is how the
backward half of a compiled program is each op's own rule (one copy of every rule), printed as
the formula it is (`g_s = where(h <= 0.0, 0.0, g_h)`), not as a call to a helper.

A rule that cannot run this way (one that uses `math.exp`, or branches with `if` on its input)
raises `NotSymbolic`, and the compiler calls it as it is instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from autograd import ops
from autograd.compile.ir import Equation, Var

_NONE: dict[str, Any] = {}  # the constants of an equation that has none (never changed)


class NotSymbolic(TypeError):
    """A rule asked for a number where it had a symbolic array (a Python `if`, `math.exp`)."""


class Emitter:
    """Where the equations of ops run on Syms go, in order."""

    def __init__(self) -> None:
        self.eqs: list[Equation] = []
        self.made_at: dict[Var, int] = {}  # a result -> the place of the equation that made it

    def sym(self, var: Var) -> Sym:
        return Sym(var, self)

    def emit(self, record: ops.Op, args: Sequence[Any], keywords: dict[str, Any]) -> Sym:
        ins = [a.var if isinstance(a, Sym) else _literal(a, record) for a in args]
        shapes = [a.shape if isinstance(a, Var) else () for a in ins]
        shape = record.shape(*shapes, **keywords)
        return self.direct(record, ins, shape, dict(keywords) if keywords else _NONE)

    def direct(
        self, record: ops.Op, ins: list[Any], shape: tuple[int, ...], keywords: dict[str, Any]
    ) -> Sym:
        """Append `out = record(ins)` of a known shape (no inference): the pass's own steps."""
        out = Var("c", shape)
        self.made_at[out] = len(self.eqs)
        self.eqs.append(Equation(record, ins, (out,), keywords))
        return Sym(out, self)


def _literal(x: Any, record: ops.Op) -> float:
    if isinstance(x, (bool, np.bool_)):
        raise NotSymbolic(f"{record.python} got the bool {x!r} beside a symbolic array")
    try:
        return float(x)
    except (TypeError, ValueError):
        raise NotSymbolic(
            f"{record.python} got {type(x).__name__} beside a symbolic array"
        ) from None


class Sym(ops.Traced):
    """A symbolic array: a variable of the program being compiled, with its shape."""

    __slots__ = ("var", "emitter")

    def __init__(self, var: Var, emitter: Emitter) -> None:
        self.var, self.emitter = var, emitter

    @classmethod
    def apply(cls, record: ops.Op, args: Sequence[Any], keywords: dict[str, Any]) -> Any:
        emitter = next(a.emitter for a in args if isinstance(a, Sym))
        return emitter.emit(record, args, keywords)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.var.shape

    @property
    def ndim(self) -> int:
        return len(self.var.shape)

    @property
    def T(self) -> Any:  # noqa: N802 - NumPy's name
        return ops.transpose(self)

    def __repr__(self) -> str:
        return f"Sym({self.var!r})"

    # ---- arithmetic: the op functions of autograd.ops, which record an equation ----

    def __add__(self, other: Any) -> Any:
        return ops.add(self, other)

    def __radd__(self, other: Any) -> Any:
        return ops.add(other, self)

    def __sub__(self, other: Any) -> Any:
        return ops.sub(self, other)

    def __rsub__(self, other: Any) -> Any:
        return ops.sub(other, self)

    def __mul__(self, other: Any) -> Any:
        return ops.mul(self, other)

    def __rmul__(self, other: Any) -> Any:
        return ops.mul(other, self)

    def __truediv__(self, other: Any) -> Any:
        return ops.div(self, other)

    def __rtruediv__(self, other: Any) -> Any:
        return ops.div(other, self)

    def __pow__(self, other: Any) -> Any:
        if isinstance(other, Sym):
            return ops.pow(self, other)
        return ops.pow_const(self, other)

    def __rpow__(self, other: Any) -> Any:
        return ops.pow(other, self)

    def __neg__(self) -> Any:
        return ops.neg(self)

    def __matmul__(self, other: Any) -> Any:
        return ops.mm(self, other)

    def __lt__(self, other: Any) -> Any:
        return ops.less(self, other)

    def __le__(self, other: Any) -> Any:
        return ops.less_equal(self, other)

    def __gt__(self, other: Any) -> Any:
        return ops.greater(self, other)

    def __ge__(self, other: Any) -> Any:
        return ops.greater_equal(self, other)

    def __eq__(self, other: Any) -> Any:
        return ops.equal(self, other)

    # A condition known at trace time (pow's `is_zero(x)` for a constant base, `y >= 0.0` for
    # a constant exponent, as in `2 ** x`) decides the `&` now: `False & c` is False, `True & c`
    # is c. (An equation cannot hold a bool: NumPy's `&` takes no float.)
    def __and__(self, other: Any) -> Any:
        if isinstance(other, (bool, np.bool_)):
            return self if other else False
        return ops.both(self, other)

    def __rand__(self, other: Any) -> Any:
        if isinstance(other, (bool, np.bool_)):
            return self if other else False
        return ops.both(other, self)

    __hash__ = object.__hash__

    # ---- what a symbolic array cannot be: a number to branch on ----

    def __bool__(self) -> bool:
        raise NotSymbolic("a rule branched with `if` on its input (use autograd.ops.where)")

    def __float__(self) -> float:
        raise NotSymbolic("a rule asked for its input as a number (math.*, float())")

    def __index__(self) -> int:
        raise NotSymbolic("a rule used its input as an index")

    def __array__(self, *args: Any, **kwargs: Any) -> Any:
        raise NotSymbolic("a rule passed its input to NumPy directly (use autograd.ops)")
