"""Step through backpropagation in the terminal, one node at a time.

Two graphs: the expression z = tanh(x·w + b), and one neuron relu(w·x + b) with two inputs.
Each step prints the node whose turn it is, the gradient that arrived at it, and what it sends
to each input: the chain rule, one multiplication at a time.

    $ python -m demos.step_through                 # print every step
    $ python -m demos.step_through --pause         # wait for Enter between steps
    $ python -m demos.step_through --out out/steps # one picture per step, current node in yellow
    $ python demos/step_through.py --pdb           # stop in pdb just before backward (docs)
"""

from __future__ import annotations

import argparse
import os

from autograd import Value, backward_steps, ops  # noqa: F401  (ops: for `break ops.mul_backward`)
from autograd.viz import GraphvizNotFoundError, draw
from nn import Neuron


def expression() -> Value:
    """z = tanh(x·w + b), every node labelled."""
    x, w, b = Value(0.5, "x"), Value(-2.0, "w"), Value(0.3, "b")
    xw = x * w
    xw.label = "xw"
    s = xw + b
    s.label = "s"
    z = s.tanh()
    z.label = "z"
    return z


def neuron() -> Value:
    """relu(w·x + b) for one Neuron(2) with seeded weights; its parameters carry their names."""
    n = Neuron(2, "relu", seed=3)
    n.b.data = 0.5
    out = n([Value(-1.5, "x0"), Value(-0.5, "x1")])  # an active relu: gradients flow
    out.label = "out"
    return out


def walk(name: str, root: Value, pause: bool, out: str | None) -> None:
    print(f"\n== {name}: backward from {root.label or 'the output'}")
    known: dict[Value, float] = {}
    for step in backward_steps(root):
        print(step)
        known[step.node] = step.grad
        if out:
            path = os.path.join(out, f"{name}_{step.index:02d}.png")
            try:
                draw(
                    root,
                    path,
                    grads=known,
                    highlight=[step.node],
                    title=f"{name}, step {step.index}/{step.total}",
                )
            except GraphvizNotFoundError as error:
                print(f"  (no picture: {error})")
                out = None
        if pause:
            input("  [Enter] next step ")


def main(argv: list[str] | None = None) -> None:
    first, _, rest = __doc__.strip().partition("\n\n")
    parser = argparse.ArgumentParser(
        description=first, epilog=rest, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pause", action="store_true", help="wait for Enter after each step")
    parser.add_argument("--out", help="write one PNG per step to this folder")
    parser.add_argument(
        "--pdb", action="store_true", help="stop in pdb just before z.backward(), as in the docs"
    )
    args = parser.parse_args(argv)
    if args.pdb:
        z = expression()
        breakpoint()  # docs/seeing-backprop.md's pdb session starts here
        z.backward()
        print(f"after backward: z.grad = {z.grad}")
        return
    if args.out:
        os.makedirs(args.out, exist_ok=True)  # draw() writes into a folder, it does not make one
    walk("expression", expression(), args.pause, args.out)
    walk("neuron", neuron(), args.pause, args.out)
    if args.out:
        print(f"\npictures in {args.out}")


if __name__ == "__main__":
    main()
