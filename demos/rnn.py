"""Backpropagation through time: a tanh recurrent network learns the next point of a sine wave.

The cell is  hₜ = tanh(Wx·xₜ + Wh·hₜ₋₁ + b),  ŷₜ = Wy·hₜ + c,  with the same weights at every
step. Unrolled over a sequence it is just a deep graph, so `backward()` is backprop through time,
and a shared weight's gradient is the sum of its gradients at each time step: the demo checks
that, prints it, and draws the unrolled graph of a short sequence with one box per time step.
Each progress line gives the loss, after that many steps, on the next random 16-point stretch
of the wave; the last line is the trained model's, as is the summary.

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
WARM_UP = 5  # time steps the state needs before the predictions are judged (h starts at 0)


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


def unrolled_graph(units: int = 2, steps: int = 3) -> tuple[Value, dict[Value, str]]:
    """Unroll a small copy of the cell over `steps` points; return the loss and each node's box.

    Time step t's box holds xₜ, everything the cell computes from it (hₜ, the prediction yₜ),
    the target and the squared error; the shared weights, the initial state h₋₁ and the final
    mean stay outside. Every node gets a name that says its step (hₜ[i] as h2[0], ...)."""
    small = TanhRNN(units, seed=1)
    inputs, targets = sequence(0.3, steps)
    h = [Value(0.0, f"h₋₁[{i}]") for i in range(units)]
    box: dict[Value, str] = {}
    outside: set[Value] = set(h) | set(small.parameters())
    errors = []
    for t, (x, target) in enumerate(zip(inputs, targets)):
        h, y = small.step(Value(x, f"x{t}"), h)
        for i, unit in enumerate(h):
            unit.label = f"h{t}[{i}]"
        y.label = f"y{t}"
        difference = y - target  # the target is a number: the drawing shows it as a constant
        difference.parents[1].label = f"target{t}"
        error = difference**2
        error.label = f"error{t}"
        errors.append(error)
        for node in topological_order(error):
            if node not in outside and node not in box:
                box[node] = f"time step {t}"
    loss = autograd.sum(errors) / len(errors)  # = mse_loss(predictions, targets)
    loss.label = "loss"
    return loss, box


def unrolled_drawing(out: str) -> list[str]:
    """Draw a 3-step unrolling of a 2-unit cell, one box per time step, as PNG and SVG in
    `out` (made if missing); return the paths, or [] with a note when Graphviz is missing."""
    loss, box = unrolled_graph()
    loss.backward()
    # the cell's weights are the leaves outside every box with a name but no time step
    weights = [
        n
        for n in topological_order(loss)
        if not n.op and n not in box and n.label and not n.label.startswith("h")
    ]
    title = (
        "the cell unrolled over 3 time steps: each box draws the shared weights again "
        "(dashed after the first)"
    )
    os.makedirs(out, exist_ok=True)
    try:
        return [
            str(
                draw(
                    loss,
                    os.path.join(out, f"rnn_unrolled.{suffix}"),
                    group=box,
                    params=weights,
                    title=title,
                )
            )
            for suffix in ("png", "svg")
        ]
    except GraphvizNotFoundError as error:
        print(f"note: no drawing ({error})")
        return []


def main(argv: list[str] | None = None) -> None:
    args = parser(__doc__, steps=800).parse_args(argv)
    rng = random.Random(args.seed)
    model = TanhRNN(HIDDEN, args.seed)
    opt = Adam(model.parameters(), lr=LEARNING_RATE)
    progress = Progress(args.steps)
    for k in range(args.steps):
        xs, ys = sequence(rng.uniform(0, 2 * math.pi), SEQUENCE)
        loss = mse_loss(model([Value(x) for x in xs]), ys)  # the model after k steps
        progress(k, loss.data)
        opt.zero_grad()
        loss.backward()  # backpropagation through time
        opt.step()
    xs, ys = sequence(rng.uniform(0, 2 * math.pi), SEQUENCE)
    with no_grad():
        loss_value = mse_loss(model([Value(x) for x in xs]), ys).data  # after the last step
    progress(args.steps, loss_value)

    shared, parts = shared_gradient_is_a_sum_over_time(model, 6)
    print(
        f"shared weight Wh[0][0]: gradient {shared:+.6f}; per time step "
        f"{', '.join(f'{p:+.4f}' for p in parts)}; their sum {sum(parts):+.6f}"
    )

    xs, ys = sequence(1.0, 40)
    with no_grad():
        predicted = [p.data for p in model([Value(x) for x in xs])]
    error = max(abs(p - y) for p, y in zip(predicted[WARM_UP:], ys[WARM_UP:]))
    pictures = []
    plt = pyplot()
    if plt is not None:
        fig, ax = plt.subplots(figsize=(7.5, 3.8), layout="constrained")
        ax.axvspan(-0.5, WARM_UP - 0.5, color="0.9", label=f"warm-up: first {WARM_UP} steps")
        ax.plot(ys, "k--", label="next point of the wave (truth)")
        ax.plot(predicted, "o-", ms=3, label="RNN prediction")
        ax.set(
            xlim=(-0.5, len(ys) - 0.5),
            ylim=(-1.15, 1.6),
            xlabel="time step",
            ylabel="value of the wave",
            title=f"tanh RNN, {HIDDEN} units, after {args.steps} steps of BPTT: "
            f"largest error {error:.3f} after the warm-up",
        )
        ax.title.set_fontsize(10)
        ax.legend(loc="upper center", ncol=3, fontsize=8, frameon=False)
        pictures.append(save(fig, args.out, "rnn_predictions.png"))
    pictures += unrolled_drawing(args.out)
    shown = f"; pictures: {', '.join(pictures)}" if pictures else ""
    print(
        f"rnn: {args.steps} steps, then loss {loss_value:.5f} on a fresh stretch, largest error "
        f"after {WARM_UP} warm-up steps {error:.3f}, shared gradient = sum over time "
        f"({'yes' if math.isclose(shared, sum(parts), rel_tol=1e-9, abs_tol=1e-12) else 'NO'})"
        f"{shown}"
    )


if __name__ == "__main__":
    main()
