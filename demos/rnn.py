"""Backpropagation through time: a tanh recurrent network learns the next point of a sine wave.

The cell is  hₜ = tanh(Wx·xₜ + Wh·hₜ₋₁ + b),  ŷₜ = Wy·hₜ + c,  with the same weights at every
step. Unrolled over a sequence it is just a deep graph, so `backward()` is backprop through time,
and a shared weight's gradient is the sum of its gradients at each time step: the demo checks
that, prints it, and draws the unrolled graph of a short sequence with one box per time step.

    $ python -m demos.rnn
    $ python -m demos.rnn --steps 20 --out /tmp/rnn
"""

from __future__ import annotations

import math
import os
import random

import autograd
from autograd import Value, no_grad, topological_order
from autograd.viz import GraphvizNotFoundError, draw
from demos.common import Progress, parser, pyplot, save
from nn import Adam, Module, mse_loss
from nn.module import make_rng

HIDDEN = 6
SEQUENCE = 16
WAVE_STEP = 0.35  # radians between sine samples
LEARNING_RATE = 0.02


class TanhRNN(Module):
    """A one-layer tanh recurrent cell with a linear readout; weights shared over time."""

    def __init__(self, hidden: int, seed: int) -> None:
        rng = make_rng(seed)
        scale = 1.0 / math.sqrt(hidden)
        self.wx = [Value(rng.uniform(-1, 1)) for _ in range(hidden)]
        self.wh = [
            [Value(rng.uniform(-scale, scale)) for _ in range(hidden)] for _ in range(hidden)
        ]
        self.b = [Value(0.0) for _ in range(hidden)]
        self.wy = [Value(rng.uniform(-scale, scale)) for _ in range(hidden)]
        self.c = Value(0.0)
        self.relabel()

    def step(self, x: Value, h: list[Value]) -> tuple[list[Value], Value]:
        """One time step: the new hidden state and the prediction."""
        h = [
            (self.wx[i] * x + autograd.dot(self.wh[i], h) + self.b[i]).tanh()
            for i in range(len(self.b))
        ]
        return h, autograd.dot(self.wy, h) + self.c

    def forward(self, xs: list[Value]) -> list[Value]:
        h = [Value(0.0) for _ in self.b]
        predictions = []
        for x in xs:
            h, y = self.step(x, h)
            predictions.append(y)
        return predictions


def sequence(start: float, length: int) -> tuple[list[float], list[float]]:
    """Inputs sin(t₀ + k·Δ) and targets sin(t₀ + (k+1)·Δ): predict the next point."""
    xs = [math.sin(start + k * WAVE_STEP) for k in range(length + 1)]
    return xs[:-1], xs[1:]


def shared_gradient_is_a_sum_over_time(model: TanhRNN, length: int) -> tuple[float, list[float]]:
    """Return Wh[0][0]'s gradient through the shared weight, and its per-time-step parts.

    The per-step parts come from a second unrolling in which each step gets its own copy of
    the weights (same numbers): each copy's gradient is that step's share."""
    xs, ys = sequence(0.3, length)
    model.zero_grad()
    loss = mse_loss(model([Value(x) for x in xs]), ys)
    loss.backward()
    shared = model.wh[0][0].grad
    copies = []
    h = [Value(0.0) for _ in model.b]
    predictions = []
    for x in xs:
        copy = Value(model.wh[0][0].data)
        copies.append(copy)
        rows = [
            [copy if (i, j) == (0, 0) else w for j, w in enumerate(row)]
            for i, row in enumerate(model.wh)
        ]
        h = [
            (model.wx[i] * x + autograd.dot(rows[i], h) + model.b[i]).tanh()
            for i in range(len(model.b))
        ]
        predictions.append(autograd.dot(model.wy, h) + model.c)
    mse_loss(predictions, ys).backward()
    return shared, [c.grad for c in copies]


def unrolled_drawing(model: TanhRNN, out: str) -> str | None:
    """Draw a 3-step unrolling of a 2-unit copy of the cell, one cluster per time step."""
    small = TanhRNN(2, seed=1)
    xs = [Value(x, f"x{t}") for t, x in enumerate(sequence(0.3, 3)[0])]
    h = [Value(0.0, "h0.0"), Value(0.0, "h0.1")]
    cluster: dict[Value, str] = {}
    before: set[Value] = set(h)
    predictions = []
    for t, x in enumerate(xs):
        h, y = small.step(x, h)
        y.label = f"y{t}"
        predictions.append(y)
        for node in topological_order(y):
            if node not in before and node.op:
                cluster[node] = f"time step {t}"
        before |= set(topological_order(y))
    loss = mse_loss(predictions, sequence(0.3, 3)[1])
    loss.label = "loss"
    loss.backward()
    title = "the cell unrolled over 3 steps: the same weights feed every box"
    os.makedirs(out, exist_ok=True)  # draw() writes into a folder, it does not make one
    try:
        draw(loss, os.path.join(out, "rnn_unrolled.png"), group=cluster, title=title)
        return str(draw(loss, os.path.join(out, "rnn_unrolled.svg"), group=cluster, title=title))
    except GraphvizNotFoundError as error:
        print(f"note: no drawing ({error})")
        return None


def main(argv: list[str] | None = None) -> None:
    args = parser(__doc__, steps=800).parse_args(argv)
    rng = random.Random(args.seed)
    model = TanhRNN(HIDDEN, args.seed)
    opt = Adam(model.parameters(), lr=LEARNING_RATE)
    progress, loss_value = Progress(args.steps), float("nan")
    for k in range(args.steps):
        xs, ys = sequence(rng.uniform(0, 2 * math.pi), SEQUENCE)
        loss = mse_loss(model([Value(x) for x in xs]), ys)
        opt.zero_grad()
        loss.backward()  # backpropagation through time
        opt.step()
        loss_value = loss.data
        progress(k, loss_value)

    shared, parts = shared_gradient_is_a_sum_over_time(model, 6)
    print(
        f"shared weight Wh[0][0]: gradient {shared:+.6f}; per time step "
        f"{', '.join(f'{p:+.4f}' for p in parts)}; their sum {sum(parts):+.6f}"
    )

    xs, ys = sequence(1.0, 40)
    with no_grad():
        predicted = [p.data for p in model([Value(x) for x in xs])]
    error = max(abs(p - y) for p, y in zip(predicted[5:], ys[5:]))
    pictures = []
    plt = pyplot()
    if plt is not None:
        fig, ax = plt.subplots(figsize=(7, 3.5))
        ax.plot(ys, "k--", label="next point (truth)")
        ax.plot(predicted, "o-", ms=3, label="RNN prediction")
        ax.set(xlabel="time step", title=f"tanh RNN, {HIDDEN} units, trained by BPTT")
        ax.legend()
        pictures.append(save(fig, args.out, "rnn_predictions.png"))
    drawing = unrolled_drawing(model, args.out)
    if drawing:
        pictures.append(drawing)
    shown = f"; pictures: {', '.join(pictures)}" if pictures else ""
    print(
        f"rnn: {args.steps} steps, final loss {loss_value:.5f}, largest error after 5 warm-up "
        f"steps {error:.3f}, shared gradient = sum over time "
        f"({'yes' if math.isclose(shared, sum(parts), rel_tol=1e-9, abs_tol=1e-12) else 'NO'})"
        f"{shown}"
    )


if __name__ == "__main__":
    main()
