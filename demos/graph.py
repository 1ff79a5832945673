"""Draw computation graphs: micrograd's classic expression, one neuron, and a small MLP grouped
by module, as SVG and PNG, plus an animated page that plays one training step of a neuron:
forward, error, backward and the gradient-descent update.

    $ python -m demos.graph --out out/graphs
    then open out/graphs/backprop.html in a browser (works from file://)
"""

from __future__ import annotations

import argparse
import os

from autograd import Value
from autograd.viz import GraphvizNotFoundError, animate, draw
from demos.tour import classic
from nn import MLP, Neuron


def main(argv: list[str] | None = None) -> None:
    first, _, rest = __doc__.strip().partition("\n\n")
    parser = argparse.ArgumentParser(
        description=first, epilog=rest, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", default="out/graphs", help="folder (default out/graphs)")
    parser.add_argument("--seed", type=int, default=0, help="seed for the weights (default 0)")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)  # draw() writes into a folder, it does not make one

    g = classic()
    g.backward()
    n = Neuron(3, "tanh", seed=args.seed)
    y = n([Value(1.0, "x0"), Value(-2.0, "x1"), Value(0.5, "x2")])
    y.label = "y"
    y.backward()
    model = MLP(2, [3, 2, 1], seed=args.seed)
    score = model([Value(1.0, "x0"), Value(-1.0, "x1")])
    loss = (1 - score).relu()  # the hinge loss of one point labelled +1
    loss.label = "loss"
    loss.backward()

    os.makedirs(args.out, exist_ok=True)
    written = []
    try:
        for name, root, options in [
            ("expression", g, {}),
            ("neuron", y, {}),
            ("mlp", loss, {"group": True}),
        ]:
            for suffix in (".svg", ".png"):
                written.append(draw(root, os.path.join(args.out, name + suffix), **options))
        x, w, b = Value(0.5, "x"), Value(-2.0, "w"), Value(0.3, "b")
        z = (x * w + b).tanh()
        z.label = "z"
        written.append(
            animate(
                z,
                os.path.join(args.out, "backprop.html"),
                forward=True,
                params=[w, b],
                lr=0.1,
                title="z = tanh(x·w + b): forward, error, backward, update",
            )
        )
    except GraphvizNotFoundError as error:
        print(f"graph: {error}")
        written.append(draw(g, os.path.join(args.out, "expression.dot")))
    for path in written:
        print(f"wrote {path}")
    print(f"graph: {len(written)} files in {args.out}")


if __name__ == "__main__":
    main()
