"""Independent oracles shared by the tests: closed forms in NumPy float64, central differences,
and PyTorch float64 (only where it is installed)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

inf, nan = math.inf, math.nan


def same(a: float, b: float, rel: float = 1e-12, abs_: float = 1e-300) -> bool:
    """Float equality for tests: nan matches nan, infinities match exactly, else relative."""
    a, b = float(a), float(b)
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return math.fabs(a - b) <= abs_ + rel * max(math.fabs(a), math.fabs(b))


def central_difference(
    f: Callable[[Sequence[float]], float], xs: Sequence[float], k: int, eps: float = 1e-6
) -> float:
    """(f(x + eps·eₖ) - f(x - eps·eₖ)) / 2eps."""
    up, down = list(xs), list(xs)
    up[k] += eps
    down[k] -= eps
    return (f(up) - f(down)) / (2 * eps)


def np64(f: Callable[..., object]) -> Callable[..., float]:
    """Run a NumPy closed form on float64 scalars with IEEE semantics and no warnings."""

    def run(*xs: float) -> float:
        with np.errstate(all="ignore"):
            return float(f(*[np.float64(x) for x in xs]))  # type: ignore[arg-type]

    return run


def torch_or_none():  # type: ignore[no-untyped-def]
    try:
        import torch
    except ImportError:
        return None
    return torch
