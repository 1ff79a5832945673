"""XOR by backpropagation: the two-layer sigmoid network of the seed article, on stepgrad.

Inputs [[0,0,1], [0,1,1], [1,0,1], [1,1,1]] (the third column is a constant), targets
[0, 1, 1, 0]: no single layer can separate them, a hidden layer of 4 sigmoid units can.
Trained by full-batch gradient descent on the squared error. Each progress line gives the loss
and accuracy after that many updates; at the end it prints predictions beside targets, and
draws xor.png in --out: the trained network's output over the input square with the four
points, beside the loss curve.

    $ python -m demos.xor
    $ python -m demos.xor --steps 500 --seed 3 --out /tmp/xor
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd import no_grad
from demos.common import Progress, diverging, parser, pyplot, save
from nn import SGD, Layer, Module, mse_loss
from nn.module import make_rng

INPUTS = [[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]]
TARGETS = [0, 1, 1, 0]
LEARNING_RATE = 4.0  # on the mean error: the article's rate of 1 on the summed error
GRID = 81  # the picture samples the input square on a GRID × GRID lattice


class TwoLayerSigmoid(Module):
    """3 inputs -> 4 sigmoid units -> 1 sigmoid output."""

    def __init__(self, seed: int) -> None:
        rng = make_rng(seed)
        self.hidden = Layer(3, 4, "sigmoid", seed=rng)
        self.output = Layer(4, 1, "sigmoid", seed=rng)
        self.relabel()

    def forward(self, x: Any) -> Any:
        return self.output(self.hidden(x))


def right(preds: list[float]) -> int:
    """How many of the four predictions fall on the target's side of 0.5."""
    return sum((p > 0.5) == bool(t) for p, t in zip(preds, TARGETS))


@no_grad()
def output_over_square(net: TwoLayerSigmoid) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The network's output at every (x₁, x₂) of a lattice over [-0.25, 1.25]², constant 1."""
    ticks = np.linspace(-0.25, 1.25, GRID)
    xx, yy = np.meshgrid(ticks, ticks)
    zz = np.array([net([float(a), float(b), 1.0]).data for a, b in zip(xx.ravel(), yy.ravel())])
    return xx, yy, zz.reshape(xx.shape)


def main(argv: list[str] | None = None) -> None:
    args = parser(__doc__, steps=2000).parse_args(argv)
    net = TwoLayerSigmoid(args.seed)
    opt = SGD(net.parameters(), lr=LEARNING_RATE)
    progress, losses = Progress(args.steps), []
    for k in range(args.steps):
        preds = [net(x) for x in INPUTS]  # the network after k updates
        loss = mse_loss(preds, TARGETS)
        losses.append(loss.data)
        progress(k, loss.data, right([p.data for p in preds]) / 4)
        opt.zero_grad()
        loss.backward()
        opt.step()
    with no_grad():
        final = [net(x) for x in INPUTS]  # after the last update
        losses.append(mse_loss(final, TARGETS).data)
    preds = [p.data for p in final]
    progress(args.steps, losses[-1], right(preds) / 4)
    print("input      target  prediction")
    for x, t, p in zip(INPUTS, TARGETS, preds):
        print(f"{x}  {t}       {p:.4f}")
    worst = max(abs(p - t) for p, t in zip(preds, TARGETS))

    plt = pyplot()
    shown = ""
    if plt is not None:
        fig, (square, curve) = plt.subplots(
            1, 2, figsize=(10.5, 4.4), width_ratios=[1.15, 1], layout="constrained"
        )
        xx, yy, zz = output_over_square(net)
        shade = square.contourf(xx, yy, zz, levels=np.linspace(0, 1, 21), cmap=diverging(plt))
        square.contour(xx, yy, zz, levels=[0.5], colors="k", linewidths=1.2)
        fig.colorbar(shade, ax=square, label="network output", ticks=[0, 0.25, 0.5, 0.75, 1])
        for (a, b, _), t, p in zip(INPUTS, TARGETS, preds):
            square.scatter(a, b, s=70, color="white", edgecolors="k", lw=1.5, zorder=3)
            square.annotate(
                f"target {t}\noutput {p:.3f}",
                (a, b),
                xytext=(0, -13 if b else 13),
                textcoords="offset points",
                ha="center",
                va="top" if b else "bottom",
                fontsize=8,
                bbox={"boxstyle": "round", "fc": "white", "alpha": 0.85, "lw": 0},
            )
        square.set(
            xlabel="x₁ (first input)",
            ylabel="x₂ (second input)",
            title=f"output after {args.steps} steps (black line: 0.5)",
            aspect="equal",
        )
        curve.plot(range(len(losses)), losses)
        curve.set(
            yscale="log",
            xlabel="gradient-descent updates made",
            ylabel="mean squared error (log scale)",
            title=f"loss: {losses[0]:.3f} at the start, {losses[-1]:.2e} at the end",
        )
        fig.suptitle(f"XOR, 3 → 4 → 1 sigmoid network: {right(preds)}/4 right")
        shown = f"; picture: {save(fig, args.out, 'xor.png')}"
    print(
        f"xor: {args.steps} steps, {right(preds)}/4 right, loss {losses[-1]:.2e}, largest error "
        f"{worst:.4f} (after the last update), elapsed {progress.elapsed():.1f}s{shown}"
    )


if __name__ == "__main__":
    main()
