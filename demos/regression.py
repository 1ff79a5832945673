"""Fit y = sin(x) on [-π, π] with a small tanh network, and plot the fit against the truth.

MLP(1, [16, 16, 1], "tanh") on 40 evenly spaced points, mean squared error, Adam.

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
    progress, loss_value = Progress(args.steps), float("nan")
    for k in range(args.steps):
        preds = [model([float(x)]) for x in xs]
        loss = mse_loss(preds, ys.tolist())
        opt.zero_grad()
        loss.backward()
        opt.step()
        loss_value = loss.data
        progress(k, loss_value)
    with no_grad():
        grid = np.linspace(-math.pi, math.pi, 200)
        fit = np.array([model([float(x)]).data for x in grid])
    worst = float(np.max(np.abs(fit - np.sin(grid))))
    plt = pyplot()
    shown = ""
    if plt is not None:
        fig, ax = plt.subplots(figsize=(6, 3.8))
        ax.plot(grid, np.sin(grid), "k--", label="sin(x)")
        ax.plot(grid, fit, label="MLP(1, [16, 16, 1], tanh)")
        ax.scatter(xs, ys, s=12, label="training points")
        ax.legend()
        ax.set_title(f"regression: MSE {loss_value:.2e} after {args.steps} steps")
        shown = f"; picture: {save(fig, args.out, 'regression_fit.png')}"
    print(
        f"regression: {args.steps} steps, final MSE {loss_value:.2e}, largest error on "
        f"[-π, π] {worst:.3f}, elapsed {progress.elapsed():.1f}s{shown}"
    )


if __name__ == "__main__":
    main()
