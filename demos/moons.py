"""Train micrograd's classic two-moons classifier, and draw its decision boundary.

100 two-moons points (made with numpy), MLP(2, [16, 16, 1]) with relu, the max-margin (hinge)
loss plus an L2 penalty, and SGD whose rate decays from 1.0 to 0.1: micrograd's demo, step for
step. It reaches 100% training accuracy; the pictures go to --out. Each progress line gives the
loss and accuracy of the model after that many SGD updates, and the summary repeats the last
line's numbers: the trained model's.

    $ python -m demos.moons            (what `make demo` runs)
    $ python -m demos.moons --steps 20 --out /tmp/moons
"""

from __future__ import annotations

import numpy as np

from autograd import Value, no_grad
from demos.common import Progress, parser, pyplot, save
from nn import MLP, SGD, LambdaLR, hinge_loss, l2_penalty

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


def train(steps: int, seed: int) -> tuple[MLP, np.ndarray, np.ndarray, list[float], float]:
    """Return the trained model, the data, the loss after 0, 1, ..., `steps` updates, and the
    training accuracy after the last update."""
    X, y = make_moons(POINTS, NOISE, seed)
    model = MLP(2, [16, 16, 1], seed=seed)
    opt = SGD(model.parameters(), lr=1.0)
    schedule = LambdaLR(opt, lambda k: 1.0 - 0.9 * k / max(steps, 1))  # 1.0 -> 0.1
    progress, losses = Progress(steps), []
    for k in range(steps):
        loss, accuracy = loss_and_accuracy(model, X, y)  # the model after k updates
        losses.append(loss.data)
        progress(k, loss.data, accuracy)
        model.zero_grad()
        loss.backward()
        opt.step()
        schedule.step()
    with no_grad():
        loss, accuracy = loss_and_accuracy(model, X, y)  # after the last update
    losses.append(loss.data)
    progress(steps, loss.data, accuracy)
    return model, X, y, losses, accuracy


@no_grad()
def decision_grid(model: MLP, X: np.ndarray, h: float = 0.05) -> tuple[np.ndarray, ...]:
    xs = np.arange(X[:, 0].min() - 1, X[:, 0].max() + 1, h)
    ys = np.arange(X[:, 1].min() - 1, X[:, 1].max() + 1, h)
    xx, yy = np.meshgrid(xs, ys)
    zz = np.array([model([float(a), float(b)]).data > 0 for a, b in zip(xx.ravel(), yy.ravel())])
    return xx, yy, zz.reshape(xx.shape)


def main(argv: list[str] | None = None) -> None:
    args = parser(__doc__, steps=100).parse_args(argv)
    model, X, y, losses, accuracy = train(args.steps, args.seed)
    plt = pyplot()
    pictures = []
    if plt is not None:
        xx, yy, zz = decision_grid(model, X)
        fig, ax = plt.subplots(figsize=(6, 5))
        ax.contourf(xx, yy, zz, cmap="coolwarm", alpha=0.35)
        for label, color in ((-1, "#3b4cc0"), (1, "#b40426")):
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
    print(
        f"moons: {args.steps} steps, then loss {losses[-1]:.4f} and training accuracy "
        f"{accuracy:.0%} (after the last update), {len(model.parameters())} parameters{shown}"
    )


if __name__ == "__main__":
    main()
