"""Losses: predictions (Values) first, targets second, the mean over the list back.

Each is built from autograd ops, so its gradient comes from the engine; the formulas are
PyTorch's (the same reductions, the same numerically stable forms), so the numbers match.
Targets are plain numbers, or Values: a Value target stays in the graph (as an input of a traced
per-sample loss must, see `nn.trace_loss`) and its data is checked like a number's.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import TypeVar, Union

import autograd
from autograd import Value
from autograd._checks import describe, number, sequence, values
from autograd.value import to_float

Target = Union[float, Value]
T = TypeVar("T")


def _pairs(
    name: str, preds: Sequence[Value] | Value, targets: object
) -> tuple[list[Value], list[Target]]:
    """Check a loss's inputs (a list of Values, a list of targets of the same length, or one of
    each alone); return the predictions as a list and the targets as floats, or as Values where
    they are Values (kept in the graph)."""
    if isinstance(preds, Value):
        preds = [preds]
    if isinstance(targets, (numbers.Real, Value)) and not isinstance(targets, bool):
        targets = [targets]
    preds = values(
        name,
        preds,
        what="predictions (Values)",
        item="prediction",
        hint="predictions come from the model, targets are numbers (or Values)",
    )
    targets = sequence(f"{name} targets", targets, "targets (numbers)")
    if len(preds) != len(targets):
        raise ValueError(f"{name} got {len(preds)} predictions but {len(targets)} targets")
    if not preds:
        raise ValueError(f"{name} needs at least one prediction, got an empty list")
    ts = [
        t if isinstance(t, Value) else to_float(t, f"{name} target {k}")
        for k, t in enumerate(targets)
    ]
    return list(preds), ts


def _mean(terms: list[Value]) -> Value:
    return autograd.sum(terms) / len(terms)


def mse_loss(preds: Sequence[Value], targets: Sequence[float]) -> Value:
    """Return mean((p - t)²), as torch.nn.functional.mse_loss."""
    preds, ts = _pairs("mse_loss", preds, targets)
    return _mean([(p - t) ** 2 for p, t in zip(preds, ts)])


def hinge_loss(preds: Sequence[Value], targets: Sequence[float]) -> Value:
    """Return mean(max(0, 1 - t·p)) for targets t in {-1, +1}: the max-margin loss of
    micrograd's moons demo."""
    preds, ts = _pairs("hinge_loss", preds, targets)
    for k, t in enumerate(ts):
        if float(t) not in (-1.0, 1.0):
            raise ValueError(f"hinge_loss targets must be -1 or +1, got {float(t)!r} at index {k}")
    return _mean([(1 - t * p).relu() for p, t in zip(preds, ts)])


def binary_cross_entropy(probs: Sequence[Value], targets: Sequence[float]) -> Value:
    """Return mean(-(t·ln p + (1 - t)·ln(1 - p))) on probabilities p, as torch's BCELoss.

    Like torch, each log is clamped to >= -100, so p = 0 or 1 gives a finite loss.
    """
    probs, ts = _pairs("binary_cross_entropy", probs, targets)
    for k, t in enumerate(ts):
        if not 0.0 <= float(t) <= 1.0:
            raise ValueError(
                f"binary_cross_entropy targets must lie in [0, 1], got {float(t)!r} at index {k}"
            )
    for k, p in enumerate(probs):
        if not 0.0 <= p.data <= 1.0:  # as torch: "all elements of input should be between 0 and 1"
            raise ValueError(
                f"binary_cross_entropy takes probabilities in [0, 1], got {p.data!r} at index "
                f"{k}; for scores (logits) use binary_cross_entropy_with_logits"
            )
    terms = [-(t * _clamped_log(p) + (1 - t) * _clamped_log(1 - p)) for p, t in zip(probs, ts)]
    return _mean(terms)


def _clamped_log(p: Value) -> Value:
    # max(ln p, -100) = relu(ln p + 100) - 100
    return (p.log() + 100.0).relu() - 100.0


def binary_cross_entropy_with_logits(logits: Sequence[Value], targets: Sequence[float]) -> Value:
    """Return mean(-(t·ln σ(x) + (1 - t)·ln(1 - σ(x)))) on logits x, without overflow.

    torch's stable form:  (1 - t)·x + m + ln(e⁻ᵐ + e⁻ˣ⁻ᵐ)  with  m = max(-x, 0).
    """
    logits, ts = _pairs("binary_cross_entropy_with_logits", logits, targets)
    terms = []
    for x, t in zip(logits, ts):
        m = (-x).relu()
        terms.append((1 - t) * x + m + ((-m).exp() + (-x - m).exp()).log())
    return _mean(terms)


def softmax(logits: Sequence[Value]) -> list[Value]:
    """Return [e^(xᵢ - m) / Σⱼ e^(xⱼ - m)], m = max x (`autograd.ops.shift`: no gradient flows
    through it, so large logits are safe, also inside a traced function)."""
    xs = _logits("softmax", logits)
    m = autograd.ops.shift(xs)
    exps = [(x - m).exp() for x in xs]
    total = autograd.sum(exps)
    return [e / total for e in exps]


def log_softmax(logits: Sequence[Value]) -> list[Value]:
    """Return [xᵢ - logsumexp(x)], with logsumexp(x) = m + ln Σ e^(xⱼ - m)."""
    xs = _logits("log_softmax", logits)
    lse = _logsumexp(xs)
    return [x - lse for x in xs]


def cross_entropy(logits: Sequence[Value], target: int | Sequence[Target]) -> Value:
    """Return the cross-entropy of one sample's logits, as torch.nn.functional.cross_entropy.

    target an int class k:       -ln softmax(x)[k] = logsumexp(x) - x[k]
    target class probabilities:  -Σₖ tₖ·ln softmax(x)ₖ = Σₖ tₖ·(logsumexp(x) - xₖ)
                                 (one per logit, numbers or Values; one-hot gives the same as k)
    target a Value holding a class index (a traced program's input): the class it holds, picked
                                 with `autograd.ops.take`, so one program serves every class
    Stable for logits of any size (log-sum-exp). Inside a traced per-sample loss the class
    comes as such a Value or as probabilities: an int read from the data is a Python choice
    the trace cannot follow.
    """
    xs = _logits("cross_entropy", logits)
    if not isinstance(target, (numbers.Integral, str, bytes)) and (
        isinstance(target, Sequence) or getattr(target, "ndim", None) == 1
    ):
        ts = [
            t if isinstance(t, Value) else to_float(t, f"cross_entropy target {k}")
            for k, t in enumerate(sequence("cross_entropy target", target, "probabilities"))
        ]
        if len(ts) != len(xs):
            raise ValueError(
                f"cross_entropy got {len(ts)} class probabilities for {len(xs)} logits; give one "
                "per class (or the class index as an int)"
            )
        for k, t in enumerate(ts):
            if not 0.0 <= float(t) <= 1.0:
                raise ValueError(
                    f"cross_entropy class probabilities must lie in [0, 1], got {float(t)!r} "
                    f"at index {k}"
                )
        lse = _logsumexp(xs)
        return autograd.sum([t * (lse - x) for t, x in zip(ts, xs)])
    if isinstance(target, Value):  # a class index the trace keeps as an input
        k = target.data
        if not (k == k and float(k).is_integer() and 0 <= k < len(xs)):
            raise ValueError(
                f"cross_entropy target holds {k!r}, not a class index 0 to {len(xs) - 1}"
            )
        return _class_loss(xs, target)
    if isinstance(target, bool) or not isinstance(target, numbers.Integral):
        raise TypeError(
            "cross_entropy target must be an int class, a Value holding one, or a list of "
            f"class probabilities, got {describe(target)}"
        )
    target = int(target)
    if not 0 <= target < len(xs):
        raise ValueError(
            f"cross_entropy target {target} is out of range for "
            f"{len(xs)} classes (0 to {len(xs) - 1})"
        )
    return _class_loss(xs, target)


def _class_loss(xs: list[Value], target: int | Value) -> Value:
    """-ln softmax(x)[k] = logsumexp(x) - x[k], for a class k already checked (an int, or a
    Value holding one: see `_pick`). cross_entropy and nn.GPT's loss both come here."""
    return _logsumexp(xs) - _pick(xs, target)


def _pick(items: Sequence[T], index: int | Value) -> T:
    """items[index]: the one place where a class or token id picks something (a target's
    logit, a row of nn.GPT's token embedding), for an id already checked to be in range.

    A plain int indexes the list. An id held in a Value (a traced program's input) picks with
    `autograd.ops.take(items, index)`: a node that passes the chosen input on (it gets g, the
    index none), so one traced program serves every id."""
    if isinstance(index, Value):
        return autograd.ops.take(items, index)
    return items[index]


def _logsumexp(xs: list[Value]) -> Value:
    """m + ln Σ e^(xᵢ - m), m = max x as a node of the graph (`autograd.ops.shift`), so a traced
    program shifts each sample by its own max and stays stable for logits of any size."""
    m = autograd.ops.shift(xs)
    return autograd.sum([(x - m).exp() for x in xs]).log() + m


def _logits(name: str, logits: Sequence[Value]) -> list[Value]:
    if isinstance(logits, Value):
        raise TypeError(f"{name} needs a list of logits, got one Value; pass [v]")
    xs = sequence(name, logits, "logits (Values or numbers)")
    if not xs:
        raise ValueError(f"{name} needs at least one logit, got an empty list")
    return [
        x if isinstance(x, Value) else Value(to_float(x, f"{name} logit {k}"))
        for k, x in enumerate(xs)
    ]


def l2_penalty(parameters: Sequence[Value], weight: float = 1e-4) -> Value:
    """Return weight · Σ p², the L2 regularisation term of micrograd's moons demo.

    `parameters` is a list of Values (model.parameters()); `weight` a finite number >= 0.
    """
    params = values(
        "l2_penalty", parameters, what="parameters (Values)", item="parameter", empty=False
    )
    return number("l2_penalty weight", weight) * autograd.dot(params, params)
