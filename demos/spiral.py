"""Three interleaved spirals, one class each: cross-entropy and Adam, with decision regions.

The classic of CS231n's notes: points along three arms of a spiral, with noise. No straight line
separates them; MLP(2, [16, 16, 3]) learns curved regions. Each step is one full batch: softmax
cross-entropy averaged over the points, and an Adam step. Each progress line gives the loss and
accuracy after that many steps; the summary and the picture are those of the trained model.

    $ python -m demos.spiral
    $ python -m demos.spiral --steps 50 --out /tmp/spiral
"""

from __future__ import annotations

import numpy as np

import autograd
from autograd import Value, no_grad
from demos.common import Progress, parser, pyplot, save
from nn import MLP, Adam, cross_entropy

PER_CLASS = 40
CLASSES = 3
LEARNING_RATE = 0.02
COLORS = ["#1f77b4", "#d62728", "#2ca02c"]  # one per class, points and regions alike


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


def main(argv: list[str] | None = None) -> None:
    args = parser(__doc__, steps=150).parse_args(argv)
    X, y = make_spiral(PER_CLASS, CLASSES, args.seed)
    model = MLP(2, [16, 16, CLASSES], seed=args.seed, init="kaiming")
    opt = Adam(model.parameters(), lr=LEARNING_RATE)
    progress = Progress(args.steps)
    for k in range(args.steps):
        loss, accuracy = loss_and_accuracy(model, X, y)  # the model after k steps
        progress(k, loss.data, accuracy)
        opt.zero_grad()
        loss.backward()
        opt.step()
    with no_grad():
        loss, accuracy = loss_and_accuracy(model, X, y)  # after the last step
    loss_value = loss.data
    progress(args.steps, loss_value, accuracy)
    plt = pyplot()
    shown = ""
    if plt is not None:
        with no_grad():
            xx, yy = np.meshgrid(np.linspace(-1.2, 1.2, 90), np.linspace(-1.2, 1.2, 90))
            regions = np.array(
                [
                    int(np.argmax([v.data for v in model([float(a), float(b)])]))
                    for a, b in zip(xx.ravel(), yy.ravel())
                ]
            ).reshape(xx.shape)
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
    print(
        f"spiral: {args.steps} steps, then loss {loss_value:.4f} and training accuracy "
        f"{accuracy:.0%} (after the last step), elapsed {progress.elapsed():.1f}s{shown}"
    )


if __name__ == "__main__":
    main()
