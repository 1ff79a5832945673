"""The Studio's rules for what it accepts, in one place: `Studio`'s methods and the view's
message validator (`nn.studio_protocol.validate`) both call these, so a message is refused
exactly as the method it stands for refuses the same value.

Each rule returns the checked value or raises: TypeError for the wrong kind of thing, ValueError
for a bad value, IndexError for an index out of range; the message names `who` (the method, or
the message field), what came in (shortened, see `excerpt`) and what is accepted.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from autograd._checks import choice, describe, integer, number, shown

EXCERPT = 60  # characters of a refused value that an error shows


def excerpt(x: object) -> str:
    """`type: repr` of x, at most about EXCERPT characters whatever its size: a 10 MB string or
    a list of a million items is named by its kind and length, not repeated."""
    if isinstance(x, str) and len(x) > EXCERPT:
        return f"str of {len(x):,} characters: {x[:EXCERPT]!r}…"
    if isinstance(x, (list, tuple, dict)) and len(x) > 8:
        return f"{type(x).__name__} of {len(x):,} items"
    text = describe(x)
    if len(text) > EXCERPT + 20:
        text = text[: EXCERPT + 17] + "..."
    return text


def sample_index(who: str, i: object, n: int) -> int:
    """An index into n samples: an int (not a bool), -n to n-1; returned as 0 to n-1."""
    if isinstance(i, (bool, np.bool_)) or not isinstance(i, numbers.Integral):
        raise TypeError(f"{who} needs a sample index (an int), got {excerpt(i)}")
    k = int(i)
    if not -n <= k < n:
        raise IndexError(f"{who}: sample {shown(k)} is out of range for {n} samples (0 to {n - 1})")
    return k % n


def index(who: str, i: object, n: int, what: str) -> int:
    """An index of one of n things (`what`: "neuron", "layer"): an int, 0 to n-1."""
    if isinstance(i, (bool, np.bool_)) or not isinstance(i, numbers.Integral):
        raise TypeError(f"{who} must be an int, got {excerpt(i)}")
    k = int(i)
    if not 0 <= k < n:
        raise IndexError(f"{who}: {what} {shown(k)} is out of range for {n} {what}s (0 to {n - 1})")
    return k


def step_index(who: str, k: object, count: int) -> int:
    """A recorded step: an int, -count to count-1 (negative counts from the last)."""
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, numbers.Integral):
        raise TypeError(f"{who} needs a step number (an int), got {excerpt(k)}")
    j = int(k)
    if not -count <= j < count:
        raise IndexError(
            f"{who}: step {shown(j)} is out of range; recorded steps are 0 to {count - 1}"
        )
    return j % count


def optional_step(who: str, k: object, count: int) -> int | None:
    """None (the newest step) or a recorded step, as `step_index`."""
    return None if k is None else step_index(who, k, count)


def steps(who: str, n: object, high: int | None = None) -> int:
    """A number of steps to train: a positive int (at most `high`)."""
    return integer(who, n, high=high)


def seed(who: str, s: object) -> int | None:
    """A seed for fresh weights: an int (not a bool) or None."""
    if s is None:
        return None
    if isinstance(s, (bool, np.bool_)) or not isinstance(s, numbers.Integral):
        raise TypeError(f"{who} must be an int or None, got {excerpt(s)}")
    return int(s)


def rate(who: str, x: object, high: float | None = None) -> float:
    """A learning rate or an L2 rate: a finite real number >= 0 (and at most `high`); -0.0
    counts as 0 (the settings the view shows say 0, not -0)."""
    value = number(who, x) + 0.0  # -0.0 + 0.0 is +0.0
    if high is not None and value > high:
        raise ValueError(f"{who} must be at most {high:g}, got {value!r}")
    return value


def fraction(who: str, x: object, high: float) -> float:
    """A share such as the test split or a preset's noise: a finite number from 0 to `high`;
    -0.0 counts as 0 (NumPy's normal refuses a noise whose sign bit is set)."""
    value = number(who, x) + 0.0  # -0.0 + 0.0 is +0.0
    if value > high:
        raise ValueError(f"{who} must be from 0 to {high:g}, got {value!r}")
    return value


def real(who: str, x: object) -> float:
    """A finite real number of any sign."""
    return number(who, x, low=None)


def flag(who: str, x: object) -> bool:
    """True or False (not 0 or 1)."""
    if not isinstance(x, (bool, np.bool_)):
        raise TypeError(f"{who} must be true or false, got {excerpt(x)}")
    return bool(x)


def name(who: str, x: object, names: Sequence[str]) -> str:
    """One of `names`."""
    if not isinstance(x, str):
        raise TypeError(f"{who} must be a str, one of {', '.join(names)}; got {excerpt(x)}")
    if len(x) > 40:
        raise ValueError(f"{who} must be one of {', '.join(names)}; got {excerpt(x)}")
    return choice(who, x, names)


def names(who: str, x: object, allowed: Sequence[str], most: int) -> tuple[str, ...]:
    """A list of 1 to `most` distinct names from `allowed`, kept in the order `allowed` has."""
    if isinstance(x, (str, bytes)) or not isinstance(x, (Sequence, np.ndarray)):
        raise TypeError(
            f"{who} must be a list of names from {', '.join(allowed)}; got {excerpt(x)}"
        )
    if not 1 <= len(x) <= most:
        raise ValueError(f"{who} must list 1 to {most} names, got {len(x)}")
    chosen = [name(f"{who}[{k}]", v, allowed) for k, v in enumerate(x)]
    if len(set(chosen)) != len(chosen):
        twice = next(v for v in chosen if chosen.count(v) > 1)
        raise ValueError(f"{who} names {twice!r} twice; give each input once")
    return tuple(v for v in allowed if v in chosen)


def widths(who: str, x: object, most_layers: int, most_width: int) -> list[int]:
    """Hidden layer widths: a list of 0 to `most_layers` ints, each 1 to `most_width`."""
    if isinstance(x, (str, bytes)) or not isinstance(x, (Sequence, np.ndarray)):
        raise TypeError(f"{who} must be a list of layer widths (ints), got {excerpt(x)}")
    if len(x) > most_layers:
        raise ValueError(
            f"{who} has {len(x)} hidden layers; the Studio draws at most {most_layers}"
        )
    return [integer(f"{who}[{k}]", w, high=most_width) for k, w in enumerate(x)]


def row(who: str, x: object, features: int | None) -> np.ndarray:
    """One sample: a list (or 1-D array) of `features` finite numbers."""
    if isinstance(x, (str, bytes)) or not (
        isinstance(x, Sequence) or (isinstance(x, np.ndarray) and x.ndim == 1)
    ):
        raise TypeError(f"{who} must be a row of numbers (a list), got {excerpt(x)}")
    if features is not None and len(x) != features:
        raise ValueError(f"{who} has {len(x)} number(s), but the model takes {features} input(s)")
    values = [real(f"{who}[{k}]", v) for k, v in enumerate(x)]
    return np.array(values, dtype=np.float64)


def target(who: str, t: object, kind: str, outputs: int) -> Any:
    """One target as the loss takes it: -1 or +1 (hinge), a class index 0..outputs-1 (an int,
    cross-entropy), 0 or 1 (nn's binary cross-entropies: the classes; a probability between
    them is a soft target), any finite number otherwise."""
    value = real(who, t)
    if kind == "hinge" and value not in (-1.0, 1.0):
        raise ValueError(
            f"{who} is {value!r}, but this Studio trains with the hinge loss: targets are "
            "-1 or +1 (pass loss=nn.mse_loss for other numbers)"
        )
    if kind == "cross_entropy":
        if not value.is_integer() or not 0 <= value < outputs:
            raise ValueError(
                f"{who} is {value!r}, but a model with {outputs} outputs is trained with "
                f"cross-entropy on class indices 0 to {outputs - 1}"
            )
        return int(value)
    if kind in ("bce", "bce_logits") and not 0.0 <= value <= 1.0:
        raise ValueError(
            f"{who} is {value!r}, but a binary cross-entropy takes targets from 0 to 1 "
            "(the classes 0 and 1, or a probability between them)"
        )
    return value


def finite_or_none(x: float) -> float | None:
    """x, or None where it is nan or infinite (JSON has no such numbers)."""
    return x if math.isfinite(x) else None
