"""The graph as a program: autograd.trace prints the forward and the backward pass as code.

`trace(fn, *example_inputs)` runs fn once on leaf Values, records the graph, and turns it into
straight-line Python: a line per node forward, then a line per node backward, each applying the
op's own rule from autograd/ops.py. That code is what runs when the Program is called, on floats
or on NumPy arrays of samples. This demo prints it for tanh(x·w + b) and for one tanh neuron,
then checks it: its gradients beside backward()'s on the same graph, a batch of inputs at once,
and Program.check, which also catches what a trace cannot follow (a Python `if` on the data).

    $ python -m demos.compiled
"""

from __future__ import annotations

import argparse
import math
import textwrap

import numpy as np

from autograd import TraceMismatchError, Value, trace
from nn import Neuron

X, W, B = 0.5, -2.0, 0.3  # the expression's inputs, as in demos.step_through
INPUTS = [1.0, -2.0, 0.5]  # the neuron's three inputs


def expression(x: Value, w: Value, b: Value) -> Value:
    return (x * w + b).tanh()


def agree(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15)


def compare(names: list[str], ours: list[float], eager: list[float]) -> bool:
    """Print the Program's gradients beside backward()'s, and return whether all agree."""
    print(f"   {'':8} {'Program':>20} {'backward()':>20}")
    for name, a, b in zip(names, ours, eager):
        print(f"   d/d{name:<5} {a:>20.16f} {b:>20.16f}")
    same = all(agree(a, b) for a, b in zip(ours, eager))
    print(f"   {'they agree' if same else 'THEY DIFFER'} (to 1e-12 relative)")
    return same


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], epilog="$ python -m demos.compiled"
    )
    parser.parse_args(argv)

    print("1. tanh(x·w + b), traced at x = 0.5, w = -2, b = 0.3")
    prog = trace(expression, X, W, B)
    print(prog.source)
    out, input_grads, _ = prog.grad(X, W, B)
    x, w, b = Value(X, "x"), Value(W, "w"), Value(B, "b")
    z = expression(x, w, b)
    z.backward()  # the eager pass on the same graph
    print(f"   out = {out!r} (eager: {z.data!r})")
    ok = compare(["x", "w", "b"], input_grads, [x.grad, w.grad, b.grad]) and agree(out, z.data)

    print("\n2. one neuron: tanh(w·x + b) with Neuron(3, 'tanh'), its parameters as params=")
    print("   (lift=False: one line per node; by default a layer's dots lift into x @ W.T)")
    neuron = Neuron(3, "tanh", seed=0)
    params = neuron.parameters()

    def one_neuron(x0: Value, x1: Value, x2: Value) -> Value:
        return neuron([x0, x1, x2])

    prog_n = trace(one_neuron, *INPUTS, params=params, lift=False)
    print(prog_n.source)
    out, input_grads, param_grads = prog_n.grad(*INPUTS)
    leaves = [Value(v, f"x{k}") for k, v in enumerate(INPUTS)]
    neuron.zero_grad()
    y = neuron(leaves)
    y.backward()
    names = [f"x{k}" for k in range(3)] + [p.label for p in params]
    eager = [leaf.grad for leaf in leaves] + [p.grad for p in params]
    ok = compare(names, input_grads + param_grads, eager) and agree(out, y.data) and ok

    print("\n3. a batch: x as a NumPy array of 5 samples, w and b numbers (broadcast)")
    xs = np.linspace(-1.0, 1.0, 5)
    outs, (dx, dw, db), _ = prog.grad(xs, W, B)
    print(f"   x          = {np.array2string(xs, precision=4)}")
    print(f"   prog(x)    = {np.array2string(outs, precision=6)}")
    print(f"   d out/dx   = {np.array2string(dx, precision=6)}   (one per sample)")
    print(f"   d out/dw   = {dw:.6f}   (w is one number for all 5 samples: their sum)")
    eager_outs = [expression(Value(v), Value(W), Value(B)).data for v in xs]
    batch_ok = all(agree(a, e) for a, e in zip(outs.tolist(), eager_outs))
    print(f"   each output {'agrees' if batch_ok else 'DIFFERS'} with the eager graph's")
    ok = ok and batch_ok

    print("\n4. Program.check: build the graph eagerly for each sample and compare")
    print(f"   prog.check(x, w, b) -> {prog.check(xs, W, B)}")
    print("   a Python `if` on a Value's data is frozen at its traced outcome:")
    print("     trace(lambda v: v * 2 if v.data > 0 else -v, 1.0).check(np.array([1.0, -1.0]))")
    branchy = trace(lambda v: v * 2 if v.data > 0 else -v, 1.0)
    try:
        branchy.check(np.array([1.0, -1.0]))
        print("   -> no mismatch found (unexpected)")
        ok = False
    except TraceMismatchError as error:
        message = f"-> TraceMismatchError: {error}"
        print(textwrap.fill(message, 96, initial_indent="   ", subsequent_indent="      "))
    print(
        "\ncompiled: the traced programs' gradients agree with backward() on every input and "
        "parameter"
        if ok
        else "\ncompiled: MISMATCH between the traced programs and backward()"
    )
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
