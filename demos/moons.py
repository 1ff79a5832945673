"""Train micrograd's classic two-moons classifier, and draw its decision boundary.

100 two-moons points (made with numpy), MLP(2, [16, 16, 1]) with relu, the max-margin (hinge)
loss plus an L2 penalty, and SGD whose rate decays from 1.0 to 0.1: micrograd's demo, step for
step. It reaches 100% training accuracy; the pictures go to --out. Each progress line gives the
loss and accuracy of the model after that many SGD updates, and the summary repeats the last
line's numbers (the trained model's) and the time per step.

--compiled trains the same model on the same data with the same loss and optimizer, but each
step's loss and gradients come from a traced program (autograd.trace, through nn.trace_loss):
the per-point hinge loss is traced once, then replayed on all 100 points at once with NumPy.
The L2 penalty is built eagerly on the parameters, as before, so the loss is micrograd's
exactly and the run reaches the same accuracy, many times faster per step.

    $ python -m demos.moons            (what `make demo` runs)
    $ python -m demos.moons --compiled
    $ python -m demos.moons --steps 20 --out /tmp/moons
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

import autograd
from autograd import Value, no_grad
from autograd.viz import palette
from demos.common import Progress, diverging, parser, pyplot, save
from nn import MLP, SGD, LambdaLR, hinge_loss, l2_penalty, trace_loss

POINTS = 100
NOISE = 0.1
ALPHA = 1e-4  # the L2 weight


def make_moons(n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles, as sklearn.datasets.make_moons; labels -1 and +1."""
    rng = np.random.default_rng(seed)
    n_out, n_in = n // 2, n - n // 2
    outer = np.linspace(0, np.pi, n_out)
    inner = np.linspace(0, np.pi, n_in)
    X = np.vstack(
        [np.c_[np.cos(outer), np.sin(outer)], np.c_[1 - np.cos(inner), 1 - np.sin(inner) - 0.5]]
    )
    y = np.r_[-np.ones(n_out), np.ones(n_in)]
    X += rng.normal(scale=noise, size=X.shape)
    order = rng.permutation(n)
    return X[order], y[order]


def loss_and_accuracy(model: MLP, X: np.ndarray, y: np.ndarray) -> tuple[Value, float]:
    """micrograd's loss: mean hinge loss + α·Σp², and the share of points on the right side."""
    scores = [model([float(a), float(b)]) for a, b in X]
    loss = hinge_loss(scores, y.tolist()) + l2_penalty(model.parameters(), ALPHA)
    accuracy = float(np.mean([(s.data > 0) == (t > 0) for s, t in zip(scores, y)]))
    return loss, accuracy


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
    # One point's hinge loss max(0, 1 - y·model(x)), traced once; replayed on every row of X, y.
    hinge = trace_loss(model, lambda score, target: hinge_loss([score], [target]), X[0], y[0])
    # α·Σp² reads the parameters only: a program with no inputs, traced once as well
    params = model.parameters()
    penalty = autograd.trace(lambda: l2_penalty(params, ALPHA), params=params)
    scores = score_program(model)

    def step() -> tuple[float, float]:
        accuracy = float(np.mean((scores(X) > 0) == (y > 0)))
        model.zero_grad()
        data_loss = hinge.backward(X, y)  # the mean over the points; adds its gradient to .grad
        return data_loss + penalty.backward(), accuracy  # the penalty adds its gradient too

    return step


def score_program(model: MLP) -> Callable[[np.ndarray], np.ndarray]:
    """Return scores(points): the model's output for each row, from one traced forward Program."""
    forward = autograd.trace(lambda x1, x2: model([x1, x2]), 0.0, 0.0, params=model.parameters())
    return lambda points: forward(points[:, 0], points[:, 1])


class Run(NamedTuple):
    model: MLP
    X: np.ndarray
    y: np.ndarray
    losses: list[float]  # after 0, 1, ..., steps updates
    accuracy: float  # after the last update
    seconds_per_step: float  # forward, backward and update; the tracing is not counted
    seconds_to_trace: float  # 0.0 for an eager run


def train(steps: int, seed: int, compiled: bool = False) -> Run:
    """Return the trained model, the data, the loss after 0, 1, ..., `steps` updates, the
    training accuracy after the last update, and the time per step (and, compiled, to trace)."""
    X, y = make_moons(POINTS, NOISE, seed)
    model = MLP(2, [16, 16, 1], seed=seed)
    opt = SGD(model.parameters(), lr=1.0)
    schedule = LambdaLR(opt, lambda k: 1.0 - 0.9 * k / max(steps, 1))  # 1.0 -> 0.1
    start = time.perf_counter()
    step = compiled_step(model, X, y) if compiled else eager_step(model, X, y)
    traced = time.perf_counter() - start if compiled else 0.0
    progress, losses = Progress(steps), []
    start = time.perf_counter()
    for k in range(steps):
        loss, accuracy = step()  # the model after k updates; its gradients are now in .grad
        losses.append(loss)
        progress(k, loss, accuracy)
        opt.step()
        schedule.step()
    per_step = (time.perf_counter() - start) / max(steps, 1)
    with no_grad():
        final, accuracy = loss_and_accuracy(model, X, y)  # after the last update
    losses.append(final.data)
    progress(steps, final.data, accuracy)
    return Run(model, X, y, losses, accuracy, per_step, traced)


def decision_grid(
    scores: Callable[[np.ndarray], np.ndarray], X: np.ndarray, h: float = 0.05
) -> tuple[np.ndarray, ...]:
    """Return xx, yy and the predicted class (score > 0) at each point of a grid around X."""
    xs = np.arange(X[:, 0].min() - 1, X[:, 0].max() + 1, h)
    ys = np.arange(X[:, 1].min() - 1, X[:, 1].max() + 1, h)
    xx, yy = np.meshgrid(xs, ys)
    zz = scores(np.c_[xx.ravel(), yy.ravel()]) > 0
    return xx, yy, zz.reshape(xx.shape)


def eager_scores(model: MLP) -> Callable[[np.ndarray], np.ndarray]:
    """Return scores(points): the model's output for each row, one eager forward pass each."""

    @no_grad()
    def scores(points: np.ndarray) -> np.ndarray:
        return np.array([model([float(a), float(b)]).data for a, b in points])

    return scores


def main(argv: list[str] | None = None) -> None:
    p = parser(__doc__, steps=100)
    p.add_argument(
        "--compiled",
        action="store_true",
        help="train with a traced per-point loss replayed on all points at once (NumPy)",
    )
    args = p.parse_args(argv)
    run = train(args.steps, args.seed, compiled=args.compiled)
    model, X, y, losses, accuracy = run.model, run.X, run.y, run.losses, run.accuracy
    plt = pyplot()
    pictures = []
    if plt is not None:
        scores = score_program(model) if args.compiled else eager_scores(model)
        xx, yy, zz = decision_grid(scores, X)
        fig, ax = plt.subplots(figsize=(6, 5))
        ax.contourf(xx, yy, zz, cmap=diverging(plt), alpha=0.45)
        for label, color in ((-1, palette.NEGATIVE), (1, palette.POSITIVE)):
            mine = y == label
            ax.scatter(
                X[mine, 0], X[mine, 1], color=color, s=30, edgecolors="k", label=f"class {label:+d}"
            )
        ax.set(
            xlabel="x₁",
            ylabel="x₂",
            title=f"two moons: MLP(2, [16, 16, 1]) after {args.steps} steps,\n"
            f"{accuracy:.0%} training accuracy (shading: the class it predicts)",
        )
        ax.legend(loc="lower left", fontsize=9)
        pictures.append(save(fig, args.out, "moons_boundary.png"))
        fig, ax = plt.subplots(figsize=(6, 3.5))
        ax.plot(range(len(losses)), losses)
        ax.set_yscale("log")
        ax.set(
            xlabel="SGD updates made",
            ylabel="loss (hinge + L2, log scale)",
            title="two moons: training loss",
        )
        pictures.append(save(fig, args.out, "moons_loss.png"))
    shown = f"; pictures: {', '.join(pictures)}" if pictures else ""
    how = (
        f"compiled; tracing took {1e3 * run.seconds_to_trace:.0f} ms once"
        if args.compiled
        else "eager"
    )
    print(
        f"moons: {args.steps} steps, then loss {losses[-1]:.4f} and training accuracy "
        f"{accuracy:.0%} (after the last update), {len(model.parameters())} parameters, "
        f"{1e3 * run.seconds_per_step:.1f} ms per step ({how}){shown}"
    )


if __name__ == "__main__":
    main()
