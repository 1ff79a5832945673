"""Small 2-D datasets to watch a network learn on: moons, circles, xor, spiral, linear;
and `names()`, the first names a character-level GPT learns from.

    from nn.datasets import make
    X, y = make("moons", 100, seed=0)     # X: 100 rows [x1, x2]; y: 100 labels, -1 or +1

Every set is seeded (the same `seed` gives the same points), returns plain lists of floats, and
labels two classes -1 and +1 (the hinge loss's targets), except `spiral(classes=k)` for k > 2,
which labels class indices 0..k-1 (cross-entropy's targets). The points lie roughly in
[-1.5, 1.5]² after centring, where a small MLP's ReLUs can bend the boundary.
"""

from __future__ import annotations

import functools
import numbers
from importlib import resources

import numpy as np

from autograd._checks import choice, integer, number

NAMES = ("moons", "circles", "xor", "spiral", "linear")


def _rng(seed: object) -> np.random.Generator:
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}: {seed!r}")
    return np.random.default_rng(integer("seed", seed, low=0, high=None))  # NumPy's: >= 0


def _noise(who: str, noise: object) -> float:
    """The jitter's standard deviation, a finite number >= 0; -0.0 counts as 0 (NumPy's normal
    refuses a scale whose sign bit is set: "scale < 0")."""
    return number(who, noise) + 0.0  # -0.0 + 0.0 is +0.0


def _lists(X: np.ndarray, y: np.ndarray) -> tuple[list[list[float]], list[float]]:
    return X.tolist(), [float(t) for t in y]


def moons(n: int = 100, noise: float = 0.1, seed: int = 0) -> tuple[list[list[float]], list[float]]:
    """Return two interleaving half circles (as sklearn's make_moons), centred; labels ±1."""
    n = integer("moons(n)", n, low=2)
    noise = _noise("moons(noise)", noise)
    rng = _rng(seed)
    n_out, n_in = n // 2, n - n // 2
    outer, inner = np.linspace(0, np.pi, n_out), np.linspace(0, np.pi, n_in)
    X = np.vstack(
        [np.c_[np.cos(outer), np.sin(outer)], np.c_[1 - np.cos(inner), 1 - np.sin(inner) - 0.5]]
    )
    y = np.r_[-np.ones(n_out), np.ones(n_in)]
    X += rng.normal(scale=noise, size=X.shape)
    X -= [0.5, 0.25]
    order = rng.permutation(n)
    return _lists(X[order], y[order])


def circles(
    n: int = 100, noise: float = 0.08, seed: int = 0
) -> tuple[list[list[float]], list[float]]:
    """Return a ring (+1) around a disc (-1): no straight line separates them."""
    n = integer("circles(n)", n, low=2)
    noise = _noise("circles(noise)", noise)
    rng = _rng(seed)
    inner = n // 2
    radius = np.r_[rng.uniform(0.0, 0.5, inner), rng.uniform(0.9, 1.3, n - inner)]
    angle = rng.uniform(0, 2 * np.pi, n)
    X = np.c_[radius * np.cos(angle), radius * np.sin(angle)] + rng.normal(scale=noise, size=(n, 2))
    y = np.r_[-np.ones(inner), np.ones(n - inner)]
    order = rng.permutation(n)
    return _lists(X[order], y[order])


def xor(n: int = 100, noise: float = 0.1, seed: int = 0) -> tuple[list[list[float]], list[float]]:
    """Return points in the four quadrants, +1 where x1·x2 > 0 and -1 where x1·x2 < 0."""
    n = integer("xor(n)", n, low=2)
    noise = _noise("xor(noise)", noise)
    rng = _rng(seed)
    X = rng.uniform(-1.2, 1.2, size=(n, 2))
    X += np.sign(X) * 0.1  # a margin around the axes
    y = np.where(X[:, 0] * X[:, 1] > 0, 1.0, -1.0)
    X += rng.normal(scale=noise, size=X.shape)
    return _lists(X, y)


def spiral(
    n: int = 100, classes: int = 2, noise: float = 0.15, seed: int = 0
) -> tuple[list[list[float]], list[float]]:
    """Return `classes` interleaved spiral arms, n points in all.

    Two arms are labelled -1 and +1; more arms get class indices 0..classes-1.
    """
    n = integer("spiral(n)", n, low=2)
    classes = integer("spiral(classes)", classes, low=2, high=10)
    noise = _noise("spiral(noise)", noise)
    rng = _rng(seed)
    X, y = [], []
    for k in range(classes):
        m = n // classes + (1 if k < n % classes else 0)
        r = np.linspace(0.1, 1.3, m)
        t = np.linspace(0, 1.75 * np.pi, m) + 2 * np.pi * k / classes
        t += rng.normal(scale=noise, size=m)
        X.append(np.c_[r * np.cos(t), r * np.sin(t)])
        label = (2.0 * k - 1.0) if classes == 2 else float(k)
        y += [label] * m
    X_all, y_all = np.vstack(X), np.array(y)
    order = rng.permutation(n)
    labels = [float(t) if classes == 2 else int(t) for t in y_all[order]]
    return X_all[order].tolist(), labels


def linear(
    n: int = 100, noise: float = 0.1, seed: int = 0
) -> tuple[list[list[float]], list[float]]:
    """Return two clouds that a straight line separates (with a margin); labels ±1."""
    n = integer("linear(n)", n, low=2)
    noise = _noise("linear(noise)", noise)
    rng = _rng(seed)
    X = rng.uniform(-1.2, 1.2, size=(n, 2))
    side = X[:, 0] + 0.6 * X[:, 1]
    y = np.where(side > 0, 1.0, -1.0)
    X[:, 0] += 0.25 * y  # push each class away from the line
    X += rng.normal(scale=noise, size=X.shape)
    return _lists(X, y)


def make(
    name: str, n: int = 100, *, seed: int = 0, noise: float | None = None
) -> tuple[list[list[float]], list[float]]:
    """Return the dataset `name` (one of moons, circles, xor, spiral, linear): X rows, y labels.

    `noise` is the standard deviation of the Gaussian jitter each point gets (a number >= 0);
    None keeps the set's own (moons 0.1, circles 0.08, xor 0.1, spiral 0.15, linear 0.1).

    >>> X, y = make("xor", 40, seed=1, noise=0.3)
    """
    name = choice("dataset", name, NAMES)
    maker = {"moons": moons, "circles": circles, "xor": xor, "spiral": spiral, "linear": linear}
    if noise is None:
        return maker[name](n, seed=seed)  # type: ignore[operator]
    return maker[name](n, seed=seed, noise=noise)  # type: ignore[operator]


# ---- names: documents for a character-level language model (nn.GPT) ----


def names() -> list[str]:
    """Return 5,163 lowercase first names (letters a-z, 2 to 11 of them), in alphabetical order.

    The 1990 US Census first-name lists (public domain), vendored in the package as
    nn/data/names.txt and read offline; nn/data/README.md says where they came from. A fresh
    list each call (shuffle it freely). microgpt trains on names like these, one per step:

    >>> docs = names(); random.Random(42).shuffle(docs)
    """
    return list(_names())


@functools.lru_cache(maxsize=1)
def _names() -> tuple[str, ...]:
    text = resources.files("nn.data").joinpath("names.txt").read_text(encoding="ascii")
    return tuple(text.split())
