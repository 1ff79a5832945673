"""Your code in a program: a custom op's forward and rule, called as they are.

A custom op's rule is the user's code. When it runs on symbolic arrays (written with operators
and `autograd.ops`), the program holds its formula like any built-in op's. When it does not
(`math.exp`, an `if` on its input), the program calls it: these records wrap the user's
functions so that an equation can hold them like any other op, and, for code that cannot take
arrays, run them sample by sample.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from autograd import ops

_made: weakref.WeakKeyDictionary[ops.Op, dict[str, ops.Op]] = weakref.WeakKeyDictionary()


def each(fn: Callable[..., Any], rule: bool = False) -> Callable[..., Any]:
    """`fn` applied sample by sample when any argument is an array (a custom op's fallback).

    A 0-d array (a parameter) counts as one number; an empty batch gives empty arrays, one per
    input for a rule, as the built-in ops do."""

    def each_sample(*args: Any, **kwargs: Any) -> Any:
        batch = next((len(a) for a in args if type(a) is np.ndarray and a.ndim == 1), None)
        if batch is None:
            return fn(*[float(a) if type(a) is np.ndarray else a for a in args], **kwargs)
        if batch == 0:
            empty = np.zeros(0)
            return tuple(empty for _ in args[2:]) if rule else empty
        rows = [fn(*[_item(a, i) for a in args], **kwargs) for i in range(batch)]
        if isinstance(rows[0], tuple):  # a rule: None where it sends nothing (read at trace)
            return tuple(
                None if rows[0][k] is None else np.array([float(r[k]) for r in rows])
                for k in range(len(rows[0]))
            )
        return np.array([float(r) for r in rows])

    each_sample.__name__ = getattr(fn, "__name__", "op")
    return each_sample


def _item(a: Any, i: int) -> Any:
    if type(a) is np.ndarray:
        return float(a[i]) if a.ndim else float(a)
    return a


def _cached(record: ops.Op, key: str, make: Callable[[], ops.Op]) -> ops.Op:
    table = _made.setdefault(record, {})
    if key not in table:
        table[key] = make()
    return table[key]


def sample_by_sample(record: ops.Op) -> ops.Op:
    """The record of a custom op whose forward cannot take arrays: it runs sample by sample."""

    def make() -> ops.Op:
        return _called(record.name, record.python, each(record.kernel), record.rule, record.arity)

    return _cached(record, "each", make)


def rule_call(record: ops.Op, by_sample: bool) -> ops.Op:
    """The record of an equation that calls an op's rule as it is: `rule(g, z, *xs)` returns
    one contribution per input (its outputs), sample by sample where the code needs it."""

    def make() -> ops.Op:
        rule = record.rule
        kernel = each(rule, True) if by_sample else rule
        made = _called(rule.__name__, rule.__name__, kernel, _no_rule, -1)
        made.multiple = True  # one contribution per input, as a tuple
        return made

    return _cached(record, f"rule{by_sample}", make)


def _no_rule(g: Any, z: Any, *xs: Any) -> tuple[Any, ...]:
    raise ValueError("a rule called in a program has no rule of its own (no second derivative)")


def _called(name: str, python: str, kernel: Any, rule: Any, arity: int) -> ops.Op:
    """A custom record printed as a call, `name(a, b)`, whose inputs broadcast."""
    made = ops.Op(name, python, kernel, rule, arity, ops.CALL, ops.EACH, "", None, "", True)
    made.prints = lambda shapes, k, arrays: ops.call(len(shapes))
    made.shape_rule = lambda *shapes, **k: ops.broadcast_shapes(*shapes)
    return made
