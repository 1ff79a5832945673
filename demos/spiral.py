"""Three interleaved spirals, one class each: cross-entropy and Adam, with decision regions.

The classic of CS231n's notes: points along three arms of a spiral, with noise. No straight line
separates them; MLP(2, [16, 16, 3]) learns curved regions. Each step is one full batch: softmax
cross-entropy averaged over the points, and an Adam step.

    $ python -m demos.spiral
    $ python -m demos.spiral --steps 50 --out /tmp/spiral
"""

from __future__ import annotations

import numpy as np

import autograd
from autograd import no_grad
from demos.common import Progress, parser, pyplot, save
from nn import MLP, Adam, cross_entropy

PER_CLASS = 40
CLASSES = 3
LEARNING_RATE = 0.02


def make_spiral(n: int, classes: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X, y = [], []
    for k in range(classes):
        r = np.linspace(0.05, 1.0, n)
        t = np.linspace(k * 4.0, (k + 1) * 4.0, n) + rng.normal(scale=0.2, size=n)
        X.append(np.c_[r * np.sin(t), r * np.cos(t)])
        y += [k] * n
    return np.vstack(X), np.array(y)


def main(argv: list[str] | None = None) -> None:
    args = parser(__doc__, steps=150).parse_args(argv)
    X, y = make_spiral(PER_CLASS, CLASSES, args.seed)
    model = MLP(2, [16, 16, CLASSES], seed=args.seed, init="kaiming")
    opt = Adam(model.parameters(), lr=LEARNING_RATE)
    progress, accuracy, loss_value = Progress(args.steps), 0.0, float("nan")
    for k in range(args.steps):
        logits = [model([float(a), float(b)]) for a, b in X]
        loss = autograd.sum([cross_entropy(lg, int(t)) for lg, t in zip(logits, y)]) / len(y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        predicted = [max(range(CLASSES), key=lambda c, lg=lg: lg[c].data) for lg in logits]
        accuracy, loss_value = float(np.mean(np.array(predicted) == y)), loss.data
        progress(k, loss_value, accuracy)
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
        ax.contourf(xx, yy, regions, levels=[-0.5, 0.5, 1.5, 2.5], cmap="brg", alpha=0.25)
        ax.scatter(X[:, 0], X[:, 1], c=y, cmap="brg", s=25, edgecolors="k")
        ax.set_title(f"three spirals: cross-entropy + Adam, {accuracy:.0%} training accuracy")
        shown = f"; picture: {save(fig, args.out, 'spiral_regions.png')}"
    print(
        f"spiral: {args.steps} steps, final loss {loss_value:.4f}, training accuracy "
        f"{accuracy:.0%}, elapsed {progress.elapsed():.1f}s{shown}"
    )


if __name__ == "__main__":
    main()
