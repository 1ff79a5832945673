"""Input checks for the whole project (autograd's passes, the drawings and page, and `nn`): the
wrong kind of thing is a TypeError, a bad value a ValueError, and each message says who was
called, what came in and what is accepted.

NumPy integers count as ints and NumPy floats as numbers; `bool` never counts as either (True is
an int to Python, but `Neuron(True)` or `lr=True` is a mistake). These run once per call, never
inside a per-node or per-weight loop.
"""

from __future__ import annotations

import decimal
import math
import numbers
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from autograd.value import Value

MAX_SIZE = 1_000_000  # inputs per neuron, neurons per layer
MAX_PARAMETERS = 10_000_000  # in one Layer or MLP: about 2 GB of Values, minutes to build


def _is_bool(x: object) -> bool:
    """True for True/False and NumPy's bools (without importing NumPy when nothing has)."""
    if isinstance(x, bool):
        return True
    numpy = sys.modules.get("numpy")
    return numpy is not None and isinstance(x, numpy.bool_)


def describe(x: object) -> str:
    """`type: repr` of x, shortened; safe for ints too large to print and for broken reprs."""
    if isinstance(x, int) and not isinstance(x, bool) and x.bit_length() > 256:
        digits = int(x.bit_length() * math.log10(2)) + 1
        return f"int: an integer of about {digits:,} digits"
    try:
        text = repr(x)
    except Exception:  # noqa: BLE001 - a repr that fails must not hide the real error
        text = f"<{type(x).__name__} object>"
    if len(text) > 80:
        text = text[:77] + "..."
    return f"{type(x).__name__}: {text}"


def shown(n: int) -> str:
    """An int as an error message shows it: its digits, or "an integer of about N digits" for
    one too long to quote (a 1,000-digit index is named, not echoed)."""
    return str(n) if n.bit_length() <= 256 else describe(n).split(": ", 1)[1]


def integer(who: str, x: object, *, low: int = 1, high: int | None = MAX_SIZE) -> int:
    """Return x as an int in [low, high]: TypeError for a non-integer, ValueError out of range."""
    if _is_bool(x) or not isinstance(x, numbers.Integral):
        raise TypeError(f"{who} must be an int, got {describe(x)}")
    n = int(x)
    if n < low:
        wanted = "a positive int" if low == 1 else f"an int >= {low}"
        raise ValueError(f"{who} must be {wanted}, got {shown(n)}")
    if high is not None and n > high:
        size = f"{n:,}" if n.bit_length() <= 256 else shown(n)
        raise ValueError(
            f"{who} is {size}, more than the {high:,} stepgrad allows: a scalar engine "
            "holds one Python object per weight"
        )
    return n


def number(
    who: str, x: object, *, low: float | None = 0.0, strict: bool = False, below_one: bool = False
) -> float:
    """Return x as a finite float, checked against a lower bound (and 1 when `below_one`).

    Accepted: int, float, NumPy real scalars, Fraction, Decimal. TypeError for anything else
    (None, str, bool, lists, arrays); ValueError for nan, ±inf and values out of range.
    """
    if _is_bool(x) or not isinstance(x, (numbers.Real, decimal.Decimal)):
        raise TypeError(f"{who} must be a real number, got {describe(x)}")
    try:
        value = float(x)
    except OverflowError:
        raise ValueError(f"{who} is too large for a float, got {describe(x)}") from None
    if not math.isfinite(value):
        raise ValueError(f"{who} must be a finite number, got {value!r}")
    if low is not None and (value < low or (strict and value == low)):
        raise ValueError(f"{who} must be {'>' if strict else '>='} {low:g}, got {value!r}")
    if below_one and value >= 1:
        raise ValueError(f"{who} must be in [0, 1), got {value!r}")
    return value


def flag(who: str, x: object) -> bool:
    """Return x as a bool: only True and False (NumPy's too) are accepted."""
    if not _is_bool(x):
        raise TypeError(f"{who} must be True or False, got {describe(x)}")
    return bool(x)


def choice(who: str, x: object, choices: Sequence[str]) -> str:
    """Return x if it is one of `choices`: TypeError for a non-str, ValueError for another str."""
    if not isinstance(x, str):
        raise TypeError(f"{who} must be a str, one of {', '.join(choices)}; got {describe(x)}")
    if x not in choices:
        hint = f" (did you mean {x.lower()!r}?)" if x.lower() in choices else ""
        raise ValueError(f"{who} must be one of {', '.join(choices)}; got {x!r}{hint}")
    return x


def sequence(who: str, x: object, what: str) -> list[Any]:
    """Return x as a list when it is a list, tuple, range or 1-D array (not a str or a set)."""
    if isinstance(x, (str, bytes)) or not (
        isinstance(x, Sequence) or getattr(x, "ndim", None) == 1
    ):
        raise TypeError(f"{who} must be a list of {what}, got {describe(x)}")
    return list(x)  # type: ignore[call-overload]


def seconds(who: str, x: object) -> float:
    """Return x as a positive number of seconds (inf: no limit, given as 1e9), or raise."""
    if _is_bool(x) or not isinstance(x, numbers.Real):
        raise TypeError(f"{who} must be a number of seconds, got {describe(x)}")
    value = float(x)
    if not value > 0:
        raise ValueError(f"{who} must be more than 0 seconds, got {x!r}")
    return value if math.isfinite(value) else 1e9


def value(who: str, x: object) -> Value:
    """Return x if it is a Value (a subclass too); TypeError naming `who` otherwise."""
    if not isinstance(x, Value):
        raise TypeError(f"{who} needs a Value, got {describe(x)}")
    return x


def values(
    who: str,
    items: object,
    *,
    what: str = "Values",
    item: str = "element",
    hint: str = "",
    one: bool = False,
    modules: bool = False,
    empty: bool = True,
) -> list[Value]:
    """Return `items` as a list of Values, or raise TypeError / ValueError saying why not.

    The one check for "a sequence of Values" (outputs, inputs, parameters, highlights ...):
    accepted are a list, a tuple or any other iterable of Values, not a str or a mapping.
    `one`: a single Value is accepted too (as [it]); otherwise it is refused with a hint to
    write [it]. `modules`: an nn Module stands for its parameters(). `empty=False`: an empty one
    is a ValueError. Messages name `who`, `what` the list holds and each `item` by its index
    ("grad(outputs) output 1 must be a Value, got float: 2.0"), then `hint`.
    """
    if isinstance(items, Value):
        if one:
            return [items]
        raise TypeError(f"{who} needs a list of {what}, got one Value; pass [{item}]")
    parameters = getattr(items, "parameters", None)
    if modules and callable(parameters):
        items = parameters()
    if isinstance(items, (str, bytes, Mapping)) or not isinstance(items, Iterable):
        advice = ""
        if isinstance(items, Mapping):
            advice = "; pass list(d.values())"
        elif callable(parameters):
            advice = "; pass model.parameters()"
        wanted = f"a Value or a list of {what}" if one else f"a list of {what}"
        raise TypeError(f"{who} needs {wanted}, got {describe(items)}{advice}")
    found = list(items)
    if not found and not empty:
        raise ValueError(f"{who} got an empty list; pass at least one {item}")
    for k, x in enumerate(found):
        if not isinstance(x, Value):
            more = f"; {hint}" if hint else ""
            raise TypeError(f"{who} {item} {k} must be a Value, got {describe(x)}{more}")
    return found
