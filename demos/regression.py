"""Fit y = sin(x) on [-π, π] with a small tanh network, and plot the fit against the truth.

MLP(1, [16, 16, 1], "tanh") on 40 evenly spaced points, mean squared error, Adam. Each progress
line gives the MSE after that many steps; the summary and the picture are those of the trained
model, whose largest error is measured on 200 points of [-π, π].

    $ python -m demos.regression
    $ python -m demos.regression --steps 50 --out /tmp/reg
"""

from __future__ import annotations

import math

import numpy as np

from autograd import no_grad
from demos.common import Progress, parser, pyplot, save
from nn import MLP, Adam, mse_loss

POINTS = 40
LEARNING_RATE = 0.01


def main(argv: list[str] | None = None) -> None:
    args = parser(__doc__, steps=400).parse_args(argv)
    xs = np.linspace(-math.pi, math.pi, POINTS)
    ys = np.sin(xs)
    model = MLP(1, [16, 16, 1], "tanh", seed=args.seed, init="xavier")
    opt = Adam(model.parameters(), lr=LEARNING_RATE)
    progress = Progress(args.steps)
    for k in range(args.steps):
        loss = mse_loss([model([float(x)]) for x in xs], ys.tolist())  # after k steps
        progress(k, loss.data)
        opt.zero_grad()
        loss.backward()
        opt.step()
    with no_grad():
        loss_value = mse_loss([model([float(x)]) for x in xs], ys.tolist()).data  # after the last
        progress(args.steps, loss_value)
        grid = np.linspace(-math.pi, math.pi, 200)
        fit = np.array([model([float(x)]).data for x in grid])
    worst = float(np.max(np.abs(fit - np.sin(grid))))
    plt = pyplot()
    shown = ""
    if plt is not None:
        fig, ax = plt.subplots(figsize=(6, 3.8))
        ax.plot(grid, np.sin(grid), "k--", label="sin(x)")
        ax.plot(grid, fit, label="MLP(1, [16, 16, 1], tanh)")
        ax.scatter(xs, ys, s=14, color="tab:orange", zorder=3, label="training points")
        ax.legend(loc="upper left", fontsize=9)
        ax.set(
            xlabel="x (radians)",
            ylabel="y",
            title=f"sin(x) after {args.steps} Adam steps: MSE {loss_value:.2e},\n"
            f"largest error {worst:.3f} on [-π, π]",
        )
        shown = f"; picture: {save(fig, args.out, 'regression_fit.png')}"
    print(
        f"regression: {args.steps} steps, then MSE {loss_value:.2e} on the training points and "
        f"largest error {worst:.3f} on [-π, π] (after the last step), "
        f"elapsed {progress.elapsed():.1f}s{shown}"
    )


if __name__ == "__main__":
    main()
