"""Three interleaved spirals, one class each: cross-entropy and Adam, with decision regions.

The classic of CS231n's notes: points along three arms of a spiral, with noise. No straight line
separates them; MLP(2, [16, 16, 3]) learns curved regions. Each step is one full batch: softmax
cross-entropy averaged over the points, and an Adam step. Each progress line gives the loss and
accuracy after that many steps; the summary and the picture are those of the trained model, and
the summary gives the time per step.

--compiled trains the same model on the same data with the same loss and optimizer, but each
step's loss and gradients come from a traced program (autograd.trace, through nn.trace_loss):
one point's cross-entropy, its class given as one-hot probabilities, traced once and replayed
on all the points at once with NumPy. Same accuracy, many times faster per step.

    $ python -m demos.spiral
    $ python -m demos.spiral --compiled
    $ python -m demos.spiral --steps 50 --out /tmp/spiral
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

import autograd
from autograd import Value, no_grad
from autograd.viz import palette
from demos.common import Progress, parser, pyplot, save
from nn import MLP, Adam, cross_entropy, trace_loss

PER_CLASS = 40
CLASSES = 3
LEARNING_RATE = 0.02
COLORS = list(palette.CLASSES[:CLASSES])  # one per class, points and regions alike


def make_spiral(n: int, classes: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X, y = [], []
    for k in range(classes):
        r = np.linspace(0.05, 1.0, n)
        t = np.linspace(k * 4.0, (k + 1) * 4.0, n) + rng.normal(scale=0.2, size=n)
        X.append(np.c_[r * np.sin(t), r * np.cos(t)])
        y += [k] * n
    return np.vstack(X), np.array(y)


def loss_and_accuracy(model: MLP, X: np.ndarray, y: np.ndarray) -> tuple[Value, float]:
    """Mean softmax cross-entropy over the points, and the share classified right."""
    logits = [model([float(a), float(b)]) for a, b in X]
    loss = autograd.sum([cross_entropy(lg, int(t)) for lg, t in zip(logits, y)]) / len(y)
    predicted = [max(range(CLASSES), key=lambda c, lg=lg: lg[c].data) for lg in logits]
    return loss, float(np.mean(np.array(predicted) == y))


# ---- one step's forward and backward, two ways: each returns (loss, accuracy) and fills .grad ----


def eager_step(model: MLP, X: np.ndarray, y: np.ndarray) -> Callable[[], tuple[float, float]]:
    """Return a step that builds every point's graph, then calls loss.backward()."""

    def step() -> tuple[float, float]:
        loss, accuracy = loss_and_accuracy(model, X, y)
        model.zero_grad()
        loss.backward()
        return loss.data, accuracy

    return step


def compiled_step(model: MLP, X: np.ndarray, y: np.ndarray) -> Callable[[], tuple[float, float]]:
    """Return a step that replays traced programs on all points at once: the eager numbers to
    1e-10 (NumPy's kernels differ from math's by a few ulps; see autograd.ops)."""
    one_hot = np.eye(CLASSES)[y]  # class k as probabilities (0, .., 1, .., 0): inputs of the trace
    # One point's cross-entropy, traced once; replayed on every row of X and one_hot.
    loss = trace_loss(model, lambda logits, target: cross_entropy(logits, target), X[0], one_hot[0])
    logits = logit_programs(model)

    def step() -> tuple[float, float]:
        accuracy = float(np.mean(np.argmax(logits(X), axis=1) == y))
        model.zero_grad()
        mean_loss = loss.backward(X, one_hot)  # adds the mean loss's gradient to every .grad
        return mean_loss, accuracy

    return step


def logit_programs(model: MLP) -> Callable[[np.ndarray], np.ndarray]:
    """Return logits(points), one row of CLASSES logits per point, from traced forward Programs.

    A Program has one output, so there is one per class: logit c of model([x1, x2]).
    """
    programs = [
        autograd.trace(lambda x1, x2, c=c: model([x1, x2])[c], 0.0, 0.0, params=model.parameters())
        for c in range(CLASSES)
    ]
    return lambda points: np.stack([p(points[:, 0], points[:, 1]) for p in programs], axis=1)


def eager_logits(model: MLP) -> Callable[[np.ndarray], np.ndarray]:
    """Return logits(points), one row per point, one eager forward pass each."""

    @no_grad()
    def logits(points: np.ndarray) -> np.ndarray:
        return np.array([[v.data for v in model([float(a), float(b)])] for a, b in points])

    return logits


class Run(NamedTuple):
    model: MLP
    X: np.ndarray
    y: np.ndarray
    losses: list[float]  # after 0, 1, ..., steps updates
    accuracy: float  # after the last update
    seconds_per_step: float  # forward, backward and update; the tracing is not counted
    seconds_to_trace: float  # 0.0 for an eager run


def train(steps: int, seed: int, compiled: bool = False) -> Run:
    """Return the trained model, the data, the loss after 0, 1, ..., `steps` Adam steps, the
    training accuracy after the last, and the time per step (and, compiled, to trace)."""
    X, y = make_spiral(PER_CLASS, CLASSES, seed)
    model = MLP(2, [16, 16, CLASSES], seed=seed, init="kaiming")
    opt = Adam(model.parameters(), lr=LEARNING_RATE)
    start = time.perf_counter()
    step = compiled_step(model, X, y) if compiled else eager_step(model, X, y)
    traced = time.perf_counter() - start if compiled else 0.0
    progress, losses = Progress(steps), []
    start = time.perf_counter()
    for k in range(steps):
        loss, accuracy = step()  # the model after k steps; its gradients are now in .grad
        losses.append(loss)
        progress(k, loss, accuracy)
        opt.step()
    per_step = (time.perf_counter() - start) / max(steps, 1)
    with no_grad():
        final, accuracy = loss_and_accuracy(model, X, y)  # after the last update
    losses.append(final.data)
    progress(steps, final.data, accuracy)
    return Run(model, X, y, losses, accuracy, per_step, traced)


def main(argv: list[str] | None = None) -> None:
    p = parser(__doc__, steps=150)
    p.add_argument(
        "--compiled",
        action="store_true",
        help="train with a traced per-point loss replayed on all points at once (NumPy)",
    )
    args = p.parse_args(argv)
    run = train(args.steps, args.seed, compiled=args.compiled)
    X, y, accuracy = run.X, run.y, run.accuracy
    plt = pyplot()
    shown = ""
    if plt is not None:
        xx, yy = np.meshgrid(np.linspace(-1.2, 1.2, 90), np.linspace(-1.2, 1.2, 90))
        logits = logit_programs(run.model) if args.compiled else eager_logits(run.model)
        regions = np.argmax(logits(np.c_[xx.ravel(), yy.ravel()]), axis=1).reshape(xx.shape)
        fig, ax = plt.subplots(figsize=(6, 5.5))
        ax.contourf(xx, yy, regions, levels=[-0.5, 0.5, 1.5, 2.5], colors=COLORS, alpha=0.22)
        for k, color in enumerate(COLORS):
            mine = y == k
            ax.scatter(
                X[mine, 0], X[mine, 1], color=color, s=25, edgecolors="k", label=f"class {k}"
            )
        ax.set(
            xlabel="x₁",
            ylabel="x₂",
            aspect="equal",
            title=f"three spirals after {args.steps} Adam steps:\n"
            f"{accuracy:.0%} training accuracy (shading: the class it predicts)",
        )
        ax.legend(loc="upper right", fontsize=8, framealpha=0.9)
        shown = f"; picture: {save(fig, args.out, 'spiral_regions.png')}"
    how = (
        f"compiled; tracing took {1e3 * run.seconds_to_trace:.0f} ms once"
        if args.compiled
        else "eager"
    )
    print(
        f"spiral: {args.steps} steps, then loss {run.losses[-1]:.4f} and training accuracy "
        f"{accuracy:.0%} (after the last update), {1e3 * run.seconds_per_step:.1f} ms per step "
        f"({how}){shown}"
    )


if __name__ == "__main__":
    main()
