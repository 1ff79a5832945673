"""XOR by backpropagation: the two-layer sigmoid network of the seed article, on stepgrad.

Inputs [[0,0,1], [0,1,1], [1,0,1], [1,1,1]] (the third column is a constant), targets
[0, 1, 1, 0]: no single layer can separate them, a hidden layer of 4 sigmoid units can.
Trained by full-batch gradient descent on the squared error; prints predictions beside targets.

    $ python -m demos.xor
    $ python -m demos.xor --steps 500 --seed 3
"""

from __future__ import annotations

from typing import Any

from demos.common import Progress, parser
from nn import SGD, Layer, Module, mse_loss
from nn.module import make_rng

INPUTS = [[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]]
TARGETS = [0, 1, 1, 0]
LEARNING_RATE = 4.0  # on the mean error: the article's rate of 1 on the summed error


class TwoLayerSigmoid(Module):
    """3 inputs -> 4 sigmoid units -> 1 sigmoid output."""

    def __init__(self, seed: int) -> None:
        rng = make_rng(seed)
        self.hidden = Layer(3, 4, "sigmoid", seed=rng)
        self.output = Layer(4, 1, "sigmoid", seed=rng)
        self.relabel()

    def forward(self, x: Any) -> Any:
        return self.output(self.hidden(x))


def main(argv: list[str] | None = None) -> None:
    args = parser(__doc__, steps=2000).parse_args(argv)
    net = TwoLayerSigmoid(args.seed)
    opt = SGD(net.parameters(), lr=LEARNING_RATE)
    progress = Progress(args.steps)
    for k in range(args.steps):
        preds = [net(x) for x in INPUTS]
        loss = mse_loss(preds, TARGETS)
        opt.zero_grad()
        loss.backward()
        opt.step()
        accuracy = sum((p.data > 0.5) == bool(t) for p, t in zip(preds, TARGETS)) / 4
        progress(k, loss.data, accuracy)
    preds = [net(x).data for x in INPUTS]
    print("input      target  prediction")
    for x, t, p in zip(INPUTS, TARGETS, preds):
        print(f"{x}  {t}       {p:.4f}")
    worst = max(abs(p - t) for p, t in zip(preds, TARGETS))
    right = sum((p > 0.5) == bool(t) for p, t in zip(preds, TARGETS))
    print(
        f"xor: {args.steps} steps, {right}/4 right, largest error {worst:.4f}, "
        f"elapsed {progress.elapsed():.1f}s"
    )


if __name__ == "__main__":
    main()
