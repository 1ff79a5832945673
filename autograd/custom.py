"""Your own ops: `custom_op(name, forward, rule)` makes an op that works like a built-in one.

    # z = eˣ        dz/dx = eˣ = z
    my_exp = custom_op("my_exp", lambda x: math.exp(x), lambda g, z, x: (g * z,))
    y = my_exp(Value(1.0))          # a node whose op is "my_exp"
    y.backward()                     # the rule sends g·z back to x

The op is made by the same `ops.define` as `tanh` or `*`, so backward, backward_steps,
grad(create_graph=True), gradcheck, detect_anomaly, drawings, the animated page and trace treat
it as one of their own. This module adds only the checks a user's code needs: the arguments of
`custom_op` at the call, the number the forward returns, and the number of contributions the
rule returns (a ValueError naming the op at the first backward pass that calls it).
"""

from __future__ import annotations

import inspect
import keyword
import numbers
import types
from collections.abc import Callable
from typing import Any

import numpy as np

from autograd.ops import Traced, define, inputs_of
from autograd.value import Value, brief, identifier, to_float


def custom_op(
    name: str, forward: Callable[..., Any], rule: Callable[..., Any]
) -> Callable[..., Any]:
    """Return an op function for your own op, the same kind of thing as `autograd.ops.tanh`.

    forward(*xs) -> z        the output from the inputs' numbers (floats)
    rule(g, z, *xs) -> (c₁, …, cₙ)   one contribution per input, cᵢ = g · ∂z/∂xᵢ, in order
                             (None for an input no gradient flows to, as in torch)

    Write the rule with operators and autograd's op functions (`autograd.ops.exp`, ...) and,
    for a branch, `autograd.ops.where(condition, a, b)` instead of `if`: then the same rule runs
    on floats in `backward()`, on Values under `grad(create_graph=True)` (second derivatives
    through your rule) and on NumPy arrays in a traced Program. The returned function takes
    Values and numbers in any mix and returns a Value whose `op` is `name` (numbers alone give
    a number, as the built-in ops do).

    A rule written with `math.*` (or NumPy) on its inputs has no second derivative, as a torch
    Function whose backward leaves autograd has none: under `grad(create_graph=True)`,
    `math.exp(x)` turns the Value x into a plain number, so that factor is a constant of the
    derivative's graph, and differentiating again misses its terms without a word (the rule
    `g * math.exp(x)` for eˣ gives a second derivative of 0, `g * ops.exp(x)` or `g * z` gives
    eˣ). The first derivative (backward, grad, gradcheck, a Program) is right either way.

    >>> import math
    >>> from autograd import Value, custom_op, gradcheck, ops
    >>> my_exp = custom_op("my_exp", math.exp, lambda g, z, x: (g * z,))
    >>> gradcheck(lambda x: my_exp(x * 2.0), [0.3])
    True
    """
    if not isinstance(name, str):
        raise TypeError(f"custom_op needs a str name, got {type(name).__name__}: {brief(name)}")
    if not name.strip():
        raise ValueError("custom_op needs a non-empty name, e.g. custom_op('my_exp', ...)")
    for what, fn in (("forward", forward), ("rule", rule)):
        if not callable(fn):
            raise TypeError(
                f"custom_op({name!r}): {what} must be callable, got {type(fn).__name__}: "
                f"{brief(fn)}"
            )
    arity = inputs_of(forward)
    if arity == 0:
        raise ValueError(f"custom_op({name!r}): forward takes no inputs; an op needs at least one")

    def checked_forward(*xs: Any) -> Any:
        z = forward(*xs)
        if type(z) is float:
            return z
        if isinstance(z, np.ndarray) and any(isinstance(x, np.ndarray) for x in xs):
            return z.astype(np.float64, copy=False)  # a batch in, a batch out (a Program)
        if isinstance(z, Value):
            raise TypeError(
                f"custom op {name!r}: forward returned a Value; it gets the inputs' numbers "
                "and must return a number (use math/numpy or autograd.ops on numbers)"
            )
        return to_float(z, f"custom op {name!r}: forward")

    def checked_rule(g: Any, z: Any, *xs: Any) -> tuple[Any, ...]:
        sent = rule(g, z, *xs)
        if type(sent) is not tuple:
            if isinstance(sent, list):
                sent = tuple(sent)
            elif len(xs) == 1 and not isinstance(sent, (str, bytes, dict, set, type(None))):
                sent = (sent,)  # one input: a bare contribution is accepted
            else:
                raise ValueError(
                    f"custom op {name!r}: its rule returned {type(sent).__name__} "
                    f"{brief(sent)}; return a tuple of {len(xs)} contributions, one per input"
                )
        if len(sent) != len(xs):
            raise ValueError(
                f"custom op {name!r}: its rule returned {len(sent)} contribution(s) for "
                f"{len(xs)} input(s); return one per input, in order, e.g. (g * dz_dx,)"
            )
        return tuple([_contribution(name, k, c, g) for k, c in enumerate(sent)])

    ident = identifier(name, fallback="op")
    if keyword.iskeyword(ident):
        ident = f"op_{ident}"
    checked_forward.__name__ = checked_forward.__qualname__ = f"{ident}_forward"
    named_rule = _renamed(checked_rule, f"{ident}_backward")
    apply = define(name, checked_forward, named_rule, arity=arity, custom=True)
    apply.__doc__ = (
        inspect.getdoc(forward) or f"Return the custom op {name!r} of the inputs."
    ) + f"\n\n(a custom op: forward {brief(forward, 60)}, rule {brief(rule, 60)})"
    apply.user_forward = forward
    apply.user_rule = rule
    return apply


def _contribution(name: str, k: int, c: Any, g: Any) -> Any:
    """One contribution of a custom rule, checked: a real number (a float from here on), a
    Value under create_graph, an array in a traced Program, or None (no gradient flows to that
    input); anything else names the op."""
    if type(c) is float or type(c) is np.ndarray or c is None or isinstance(c, Traced):
        return c  # (Traced: a compiler running the rule on symbolic arrays to print it)
    if isinstance(c, Value):
        if isinstance(g, Value):
            return c
        problem = "a Value in a plain backward pass (it gets numbers: compute with them)"
    elif isinstance(c, (bool, np.bool_)):
        problem = f"a bool ({c!r}); a branch in a rule is written autograd.ops.where(cond, a, b)"
    elif isinstance(c, numbers.Real):
        return c if isinstance(g, np.ndarray) else float(c)
    elif isinstance(c, numbers.Complex):
        problem = (
            f"the complex number {c!r} (in Python a negative number to a fractional power is "
            "complex: use autograd.ops.pow, which gives nan as torch does)"
        )
    else:
        problem = f"{type(c).__name__}: {brief(c)}"
    raise TypeError(
        f"custom op {name!r}: its rule's contribution {k} is {problem}; each contribution "
        "must be a real number, g times dz/dx of that input"
    )


def _renamed(fn: Callable[..., Any], name: str) -> Callable[..., Any]:
    """The same function, its code object named `name`, so a debugger's stack shows the op."""
    code: Any = fn.__code__.replace(co_name=name)
    if hasattr(code, "co_qualname"):  # Python 3.11+
        code = code.replace(co_qualname=name)
    renamed = types.FunctionType(code, fn.__globals__, name, fn.__defaults__, fn.__closure__)
    renamed.__qualname__ = name
    return renamed
