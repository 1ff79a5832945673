"""Vanishing and exploding gradients: gradient size layer by layer in deep, narrow networks.

Six 20-layer MLPs, 16 units wide: sigmoid, tanh and relu, each with two initialisations
(micrograd's U(-1, 1), and the one matched to the activation: Xavier for sigmoid and tanh,
Kaiming for relu). One forward and backward pass each on the same random batch; then the
norm of the gradient that reaches each layer's outputs, ‖∂loss/∂hₗ‖ (backward() fills .grad
on every node, inner ones too), on a log scale from the first layer to the last.

    $ python -m demos.vanishing
    $ python -m demos.vanishing --depth 10 --steps 5 --out /tmp/vanishing   (average 5 batches)
"""

from __future__ import annotations

import math
import random

from autograd import Value
from demos.common import parser, pyplot, save
from nn import MLP, mse_loss

WIDTH = 16
BATCH = 8
NETWORKS = [
    ("sigmoid", "uniform"),
    ("sigmoid", "xavier"),
    ("tanh", "uniform"),
    ("tanh", "xavier"),
    ("relu", "uniform"),
    ("relu", "kaiming"),
]


def layer_gradient_norms(
    activation: str, init: str, depth: int, seed: int, batches: int = 1
) -> list[float]:
    """‖∂loss/∂hₗ‖ for each hidden layer's outputs hₗ, first layer first, averaged over
    `batches` random batches (one backward pass each) through one network."""
    model = MLP(WIDTH, [WIDTH] * depth + [1], activation, seed=seed, init=init)
    runs = [_norms(model, random.Random(seed + 1 + k)) for k in range(max(1, batches))]
    return [sum(layer) / len(runs) for layer in zip(*runs)]


def _norms(model: MLP, rng: random.Random) -> list[float]:
    batch = [[rng.gauss(0, 1) for _ in range(WIDTH)] for _ in range(BATCH)]
    targets = [rng.gauss(0, 1) for _ in range(BATCH)]
    outputs: list[list[list[Value]]] = [[] for _ in model.layers[:-1]]  # [layer][sample]
    predictions = []
    for x in batch:
        h = x
        for k, layer in enumerate(model.layers):
            h = layer(h)
            if k < len(outputs):
                outputs[k].append(h)
        predictions.append(h)
    mse_loss(predictions, targets).backward()
    return [math.sqrt(sum(v.grad**2 for sample in layer for v in sample)) for layer in outputs]


def describe(name: str, norms: list[float]) -> str:
    first, last = norms[0], norms[-1]
    if last == 0 or first == 0:
        return f"{name}: no gradient reaches {'the first layer' if first == 0 else 'anywhere'}"
    ratio = first / last
    if ratio < 1e-2:
        verdict = "vanishes"
    elif ratio > 1e2:
        verdict = "explodes"
    else:
        verdict = "holds steady"
    return (
        f"{name}: first-layer gradient is {ratio:.1e} × the last layer's; "
        f"it {verdict} on the way back"
    )


def main(argv: list[str] | None = None) -> None:
    p = parser(__doc__, steps=1)  # --steps: random batches to average over (a pass each)
    p.add_argument("--depth", type=int, default=20, help="hidden layers (default 20)")
    args = p.parse_args(argv)
    results = {}
    for activation, init in NETWORKS:
        name = f"{activation}, {init}"
        results[name] = layer_gradient_norms(activation, init, args.depth, args.seed, args.steps)
        print(describe(name, results[name]))
    plt = pyplot()
    shown = ""
    if plt is not None:
        fig, ax = plt.subplots(figsize=(7.5, 4.5))
        for name, norms in results.items():
            style = "-" if any(m in name for m in ("xavier", "kaiming")) else "--"
            ax.semilogy(
                range(1, len(norms) + 1),
                [max(n, 1e-300) for n in norms],
                style,
                marker="o",
                ms=3,
                label=name,
            )
        ax.set(
            xlabel="layer (1 = nearest the input)",
            ylabel="‖∂loss/∂hₗ‖ (log scale)",
            title=f"gradient norm per layer, {args.depth} layers × {WIDTH} units",
        )
        ax.legend(fontsize=8, ncol=2)
        shown = f"; picture: {save(fig, args.out, 'vanishing.png')}"
    sigmoid = results["sigmoid, uniform"]
    relu = results["relu, kaiming"]
    wild = results["relu, uniform"]
    print(
        f"vanishing: {len(results)} networks of {args.depth} layers; the first layer gets "
        f"{sigmoid[0] / sigmoid[-1]:.1e} × the last layer's gradient with sigmoid (vanishes), "
        f"{wild[0] / wild[-1]:.1e} × with relu and U(-1, 1) (explodes), "
        f"{relu[0] / relu[-1]:.1e} × with relu and Kaiming (steady){shown}"
    )


if __name__ == "__main__":
    main()
