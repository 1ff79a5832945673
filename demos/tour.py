"""A five-minute tour of the engine: build an expression, backprop, and look at what happened.

Shows: gradients of micrograd's classic expression, a second derivative with
`grad(create_graph=True)`, `gradcheck`, anomaly mode catching a nan, and the backward pass
stepped through one node at a time.

    $ python -m demos.tour
"""

from __future__ import annotations

import argparse

from autograd import Value, backward_steps, detect_anomaly, grad, gradcheck
from demos.step_through import expression


def classic() -> Value:
    """micrograd's README expression, with every node labelled."""
    a, b = Value(-4.0, "a"), Value(2.0, "b")
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.label = "g"
    return g


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.parse_args(argv)

    print("1. micrograd's classic expression")
    g = classic()
    g.backward()
    a, b = _leaves(g)
    print(f"   g = {g.data:.4f}   dg/da = {a.grad:.4f}   dg/db = {b.grad:.4f}")
    print("   (micrograd's README: 24.7041, 138.8338, 645.5773)")

    print("2. a second derivative: y = x³ at x = 2")
    x = Value(2.0, "x")
    (dy,) = grad(x**3, [x], create_graph=True)
    (d2y,) = grad(dy, [x])
    print(f"   dy/dx = {dy.data} (3x² = 12)   d²y/dx² = {d2y} (6x = 12)")

    print("3. gradcheck against central differences")
    ok = gradcheck(lambda u, v: (u * v).tanh() + u.exp() / v, [0.5, -1.2])
    print(f"   (u·v).tanh() + eᵘ/v at (0.5, -1.2): {'passes' if ok else 'fails'}")

    print("4. anomaly mode names the op and the line that made a nan")
    try:
        with detect_anomaly():
            Value(-1.0).sqrt()
    except FloatingPointError as error:
        print(f"   FloatingPointError: {error}")

    print("5. stepping through backprop of z = tanh(x·w + b)")
    z = expression()
    for step in backward_steps(z):
        print("  ", step)


def _leaves(g: Value) -> tuple[Value, Value]:
    from autograd import topological_order

    named = {n.label: n for n in topological_order(g) if n.label}
    return named["a"], named["b"]


if __name__ == "__main__":
    main()
