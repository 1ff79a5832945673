"""Train micrograd's classic two-moons classifier, and draw its decision boundary.

100 two-moons points (made with numpy), MLP(2, [16, 16, 1]) with relu, the max-margin (hinge)
loss plus an L2 penalty, and SGD whose rate decays from 1.0 to 0.1: micrograd's demo, step for
step. It reaches 100% training accuracy; the pictures go to --out.

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
    X, y = make_moons(POINTS, NOISE, seed)
    model = MLP(2, [16, 16, 1], seed=seed)
    opt = SGD(model.parameters(), lr=1.0)
    schedule = LambdaLR(opt, lambda k: 1.0 - 0.9 * k / max(steps, 1))  # 1.0 -> 0.1
    progress, losses, accuracy = Progress(steps), [], 0.0
    for k in range(steps):
        loss, accuracy = loss_and_accuracy(model, X, y)
        model.zero_grad()
        loss.backward()
        opt.step()
        schedule.step()
        losses.append(loss.data)
        progress(k, loss.data, accuracy)
    _, accuracy = loss_and_accuracy(model, X, y)
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
        ax.scatter(X[:, 0], X[:, 1], c=y, s=30, cmap="coolwarm", edgecolors="k")
        ax.set_title(f"two moons: MLP(2, [16, 16, 1]), {accuracy:.0%} training accuracy")
        pictures.append(save(fig, args.out, "moons_boundary.png"))
        fig, ax = plt.subplots(figsize=(6, 3.5))
        ax.plot(range(1, len(losses) + 1), losses)
        ax.set_yscale("log")
        ax.set(xlabel="step", ylabel="loss (hinge + L2)", title="two moons: training loss")
        pictures.append(save(fig, args.out, "moons_loss.png"))
    shown = f"; pictures: {', '.join(pictures)}" if pictures else ""
    print(
        f"moons: {len(losses)} steps, final loss {losses[-1] if losses else float('nan'):.4f}, "
        f"training accuracy {accuracy:.0%}, {len(model.parameters())} parameters{shown}"
    )


if __name__ == "__main__":
    main()
