"""Vanishing and exploding gradients: gradient size layer by layer in deep, narrow networks.

Six 20-layer MLPs, 16 units wide: sigmoid, tanh and relu, each with two initialisations
(micrograd's U(-1, 1), and the one matched to the activation: Xavier for sigmoid and tanh,
Kaiming for relu). No training: a forward and backward pass on a random batch (--steps of them,
averaged; --batches is the same flag), then the norm of the gradient that reaches each layer's
outputs, ‖∂loss/∂hₗ‖ (backward() fills .grad on every node, inner ones too), on a log scale from
the first layer to the last. Each network's verdict comes from r = first layer's norm / last
layer's: vanishes below 1/100, shrinks up to 1/10, holds steady within 10× either way, grows up
to 100×, explodes beyond.

    $ python -m demos.vanishing
    $ python -m demos.vanishing --depth 10 --batches 5 --out /tmp/vanishing
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
INIT_NAMES = {"uniform": "U(-1, 1)", "xavier": "Xavier", "kaiming": "Kaiming"}
COLORS = {"sigmoid": "tab:blue", "tanh": "tab:orange", "relu": "tab:green"}


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


def verdict(ratio: float) -> str:
    """The word for r = first-layer norm / last-layer norm: "vanishes" (r < 1/100), "shrinks"
    (1/100 to 1/10), "holds steady" (1/10 to 10: within 10× either way), "grows" (10 to 100)
    or "explodes" (r > 100)."""
    if ratio < 1e-2:
        return "vanishes"
    if ratio < 1e-1:
        return "shrinks"
    if ratio <= 1e1:
        return "holds steady"
    if ratio <= 1e2:
        return "grows"
    return "explodes"


def describe(name: str, norms: list[float]) -> str:
    """One line per network: the ratio first / last and its verdict."""
    first, last = norms[0], norms[-1]
    if last == 0 or first == 0:
        return f"{name}: no gradient reaches {'the first layer' if first == 0 else 'anywhere'}"
    ratio = first / last
    return (
        f"{name}: the first layer gets {ratio:.1e} × the last layer's gradient: "
        f"it {verdict(ratio)} on the way back"
    )


def main(argv: list[str] | None = None) -> None:
    p = parser(
        __doc__,
        steps=1,
        steps_help="random batches to average the norms over, one forward and backward pass "
        "each; nothing is trained",
        steps_aliases=("--batches",),
    )
    p.add_argument("--depth", type=int, default=20, help="hidden layers (default 20)")
    args = p.parse_args(argv)
    results = {}
    for activation, init in NETWORKS:
        name = f"{activation}, {INIT_NAMES[init]}"
        results[name] = layer_gradient_norms(activation, init, args.depth, args.seed, args.steps)
        print(describe(name, results[name]))
    plt = pyplot()
    shown = ""
    if plt is not None:
        fig, ax = plt.subplots(figsize=(9, 4.6), layout="constrained")
        for (activation, init), norms in zip(NETWORKS, results.values()):
            ax.semilogy(
                range(1, len(norms) + 1),
                [max(n, 1e-300) for n in norms],
                "--" if init == "uniform" else "-",
                color=COLORS[activation],
                marker="o" if init == "uniform" else "s",
                ms=3.5,
                label=f"{activation}, {INIT_NAMES[init]}",
            )
        step = max(1, args.depth // 4 // 5 * 5)  # layers are whole numbers: 1, 5, 10, ...
        ax.set_xticks(sorted({1, *range(step, args.depth + 1, step)}))
        batches = f", mean of {args.steps} batches" if args.steps > 1 else ""
        ax.set(
            xlabel="hidden layer (1 = nearest the input)",
            ylabel="‖∂loss/∂hₗ‖, log scale",
            title=f"gradient norm per layer: {args.depth} layers × {WIDTH} units{batches}",
        )
        fig.legend(
            title="activation, initialisation (dashed: U(-1, 1))",
            fontsize=8,
            title_fontsize=8,
            loc="outside right center",
        )
        shown = f"; picture: {save(fig, args.out, 'vanishing.png')}"
    parts = [
        f"{name} {norms[0] / norms[-1]:.1e} ({verdict(norms[0] / norms[-1])})"
        for name, norms in results.items()
        if norms[0] and norms[-1]
    ]
    print(
        f"vanishing: {len(results)} networks of {args.depth} layers; first-layer gradient "
        f"/ last layer's: {'; '.join(parts)}{shown}"
    )


if __name__ == "__main__":
    main()
