"""Recurrent backpropagation (Almeida-Pineda) beside static backpropagation, on a settling network.

The articles' recurrent backpropagation: "the network is fed forward until a fixed value is
reached, then the error is computed and propagated backward". For each input the state is
relaxed to a fixed point,

    h ← f(h) = tanh(W·h + U·x + b)    from h = 0 until h stops moving:  h* = f(h*)

and unit 0 is the output unit (class = sign h*₀, loss L = (h*₀ − t)², t = ±1). The gradient
of L with respect to W, U and b is computed three ways:

  (a) recurrent backpropagation (Almeida-Pineda): a second fixed point, for the adjoint λ,
          λ ← ∂L/∂h* + Jᵀλ   until λ stops moving  (J = ∂f/∂h at h*),
      each step one vector-Jacobian product of ONE relaxation step built by the engine,
      grad(f(h*), h*, grad_outputs=λ), then ∂L/∂θ = λᵀ ∂f/∂θ as one more product.
      Why: h* = f(h*) gives dh*/dθ = (I − J)⁻¹ ∂f/∂θ, and λ = (I − Jᵀ)⁻¹ ∂L/∂h* is the fixed
      point of the iteration. It keeps one step's graph, however many iterations it runs.
  (b) static backpropagation: unroll the relaxation into one feed-forward graph and call
      backward() (backprop through the iterations). It keeps every step's graph.
  (c) central differences: relax again with each parameter moved by ±ε.

Both iterations contract: |tanh'| ≤ 1, so ‖J‖ ≤ ‖W‖₂, and W is scaled to spectral norm RHO < 1
when it is made and after every update. The demo prints the three gradients side by side,
plots the adjoint's convergence, the error of (b) against the number of unrolled steps and the
nodes each method keeps alive, then trains the network on two moons with (a) alone and draws
its decision regions.

    $ python -m demos.recurrent_backprop
    $ python -m demos.recurrent_backprop --steps 20 --out /tmp/rbp
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import autograd
from autograd import Value, grad, ops, topological_order
from demos.common import Progress, diverging, parser, pyplot, save
from demos.moons import make_moons
from nn import Adam, Module
from nn.module import make_rng

UNITS = 8  # unit 0 is the output unit
INPUTS = 2
RHO = 0.9  # W's spectral norm is kept at most this, so both iterations contract
TOL = 1e-14  # "stopped moving": the size of one iteration's change, when comparing
TRAIN_TOL = 1e-9  # the same while training and drawing (a little looser, a little faster)
MAX_ITERATIONS = 5000
EPS = 1e-5  # the step of the central differences (rounding and truncation balance here)
POINTS = 64  # two-moons training points
NOISE = 0.1
LEARNING_RATE = 0.2
GRID = (70, 50)  # points across and up the decision-region picture, one relaxation each

# ---- the network: one map, relaxed to its fixed point ----


class FixedPointNet(Module):
    """A fully recurrent tanh network whose state settles to h* = tanh(W·h* + U·x + b)."""

    def __init__(self, units: int, inputs: int, seed: int, rho: float = RHO) -> None:
        rng = make_rng(seed)
        self.W = [[Value(rng.uniform(-1, 1)) for _ in range(units)] for _ in range(units)]
        self.U = [[Value(rng.uniform(-1, 1)) for _ in range(inputs)] for _ in range(units)]
        self.b = [Value(0.0) for _ in range(units)]
        self.relabel()
        self.contract(rho, exactly=True)

    def contract(self, rho: float, exactly: bool = False) -> float:
        """Scale W to spectral norm rho when it is above (or always, if `exactly`); return the
        norm it had. ‖W‖₂ < 1 makes f a contraction, because |tanh'| ≤ 1."""
        norm = float(np.linalg.norm(np.array(self.numbers()[0]), 2))
        if norm > rho or exactly:
            for row in self.W:
                for w in row:
                    w.data *= rho / norm
        return norm

    def numbers(self) -> tuple[list[list[float]], list[list[float]], list[float]]:
        """W, U and b as plain floats, to relax without building a graph."""
        return (
            [[w.data for w in row] for row in self.W],
            [[u.data for u in row] for row in self.U],
            [c.data for c in self.b],
        )


def step(
    W: list[list[Any]], U: list[list[Any]], b: list[Any], h: list[Any], x: list[Any]
) -> list[Any]:
    """Return f(h) = tanh(W·h + U·x + b): floats for floats, a graph when any input is a Value
    (the op functions take either), so relaxing, unrolling and the adjoint share one map."""
    return [ops.tanh(autograd.dot(W[i] + U[i], h + x) + b[i]) for i in range(len(b))]


def loss(h: list[Any], target: float) -> Any:
    """Return L = (h₀ − t)²: the output unit against its target (a float or a Value)."""
    return (h[0] - target) ** 2


def relax(net: FixedPointNet, x: list[float], tol: float = TOL) -> tuple[list[float], list[float]]:
    """Return h* (floats) and the size ‖f(h) − h‖ of each iteration's change, from h = 0."""
    W, U, b = net.numbers()
    h, changes = [0.0] * len(b), []
    while not changes or changes[-1] > tol:
        new = step(W, U, b, h, x)
        changes.append(math.dist(new, h))  # ‖f(h) − h‖
        h = new
        if len(changes) == MAX_ITERATIONS:
            raise RuntimeError(f"no fixed point to {tol:g} in {MAX_ITERATIONS} steps at x = {x}")
    return h, changes


def nodes_alive(roots: list[Value]) -> int:
    """Return how many nodes the roots keep alive: the size of the union of their graphs."""
    return len(set().union(*(topological_order(r) for r in roots)))


# ---- the gradient three ways ----


@dataclass
class Gradient:
    """dL/dθ in `net.parameters()` order, and what it cost."""

    values: list[float]
    nodes: int  # graph nodes kept alive to compute it
    iterations: int  # adjoint iterations (a), unrolled steps (b), relaxations (c)
    seconds: float
    changes: list[float] = field(default_factory=list)  # (a): the adjoint's change per iteration
    loss: float = 0.0
    output: float = 0.0  # h*₀


def almeida_pineda(net: FixedPointNet, x: list[float], target: float, tol: float = TOL) -> Gradient:
    """(a) Recurrent backpropagation: relax, then the adjoint fixed point, then one product."""
    start = time.perf_counter()
    fixed, _ = relax(net, x, tol)
    h = [Value(v, f"h*{i}") for i, v in enumerate(fixed)]  # the fixed point, as leaves
    inputs = [Value(v, f"x{i}") for i, v in enumerate(x)]
    h_next = step(net.W, net.U, net.b, h, inputs)  # ONE relaxation step as a graph: f(h*)
    error = loss(h, target)
    dl_dh = grad(error, h)  # ∂L/∂h*
    adjoint, changes = dl_dh, []
    while not changes or changes[-1] > tol:
        jt_adjoint = grad(h_next, h, grad_outputs=adjoint)  # Jᵀλ: one vector-Jacobian product
        new = [d + j for d, j in zip(dl_dh, jt_adjoint)]
        changes.append(math.dist(new, adjoint))
        adjoint = new
        if len(changes) == MAX_ITERATIONS:
            raise RuntimeError(f"the adjoint did not settle to {tol:g} at x = {x}")
    values = grad(h_next, net.parameters(), grad_outputs=adjoint)  # λᵀ ∂f/∂θ
    seconds = time.perf_counter() - start
    nodes = nodes_alive(h_next + [error])
    return Gradient(values, nodes, len(changes), seconds, changes, error.data, fixed[0])


def unrolled(net: FixedPointNet, x: list[float], target: float, steps: int) -> Gradient:
    """(b) Static backpropagation: `steps` relaxation steps as one graph, then backward()."""
    start = time.perf_counter()
    inputs = [Value(v, f"x{i}") for i, v in enumerate(x)]
    h = [Value(0.0, f"h{i}") for i in range(len(net.b))]
    for _ in range(steps):
        h = step(net.W, net.U, net.b, h, inputs)  # each step's graph stays: backward() walks it
    error = loss(h, target)
    net.zero_grad()
    error.backward()
    values = [p.grad for p in net.parameters()]
    seconds = time.perf_counter() - start
    return Gradient(values, len(topological_order(error)), steps, seconds, [], error.data)


def central_differences(
    net: FixedPointNet, x: list[float], target: float, eps: float = EPS, tol: float = TOL
) -> Gradient:
    """(c) (L(θ + ε) − L(θ − ε)) / 2ε for each parameter, each L from a fresh relaxation."""
    start = time.perf_counter()
    values = []
    for p in net.parameters():
        old = p.data
        try:
            p.data = old + eps
            up = loss(relax(net, x, tol)[0], target)
            p.data = old - eps
            down = loss(relax(net, x, tol)[0], target)
        finally:
            p.data = old
        values.append((up - down) / (2 * eps))
    seconds = time.perf_counter() - start
    return Gradient(values, 0, 2 * len(values), seconds)


def largest_difference(u: Sequence[float], v: Sequence[float]) -> float:
    """Return max |uᵢ − vᵢ|."""
    return max(abs(p - q) for p, q in zip(u, v))


@dataclass
class Comparison:
    """(a), (b) and (c) at one input, and what the pictures need."""

    a: Gradient
    b: Gradient
    c: Gradient
    relaxation: list[float]  # ‖f(h) − h‖ per relaxation step
    errors: list[float]  # largest |(b) − (a)| after 1, 2, ... unrolled steps
    sizes: list[int]  # nodes kept alive by (b) after 1, 2, ... unrolled steps


def compare(net: FixedPointNet, x: list[float], target: float) -> Comparison:
    """Compute (a), (b) and (c) at one input and print them side by side. (b) unrolls twice
    as many steps as the relaxation needed to settle; it is also run for every shorter
    unrolling, for the error and memory curves."""
    _, relaxation = relax(net, x)
    a = almeida_pineda(net, x, target)
    steps = 2 * len(relaxation)
    b = unrolled(net, x, target, steps)
    c = central_differences(net, x, target)
    names = [name for name, _ in net.named_parameters()]
    print(
        f"one input x = ({x[0]:+.3f}, {x[1]:+.3f}), target {target:+.0f}: the state settles "
        f"in {len(relaxation)} steps, h*₀ = {a.output:+.6f}, L = {a.loss:.6f}"
    )
    print(
        "dL/dθ three ways (the largest entry of W, U and b for output unit 0 and for the "
        "hidden units):"
    )
    print(
        f"  {'θ':<7} {'(a) Almeida-Pineda':>22} {f'(b) unrolled, {steps} steps':>24} "
        f"{'(c) central diff.':>22}"
    )
    for group in "WUb":
        for output_unit in (True, False):  # names are "W.unit.column", "U.unit.input", "b.unit"
            rows = [
                k
                for k, name in enumerate(names)
                if name.startswith(group) and (name.split(".")[1] == "0") == output_unit
            ]
            k = max(rows, key=lambda row: abs(a.values[row]))
            print(
                f"  {names[k]:<7} {a.values[k]:>+22.15f} {b.values[k]:>+24.15f} "
                f"{c.values[k]:>+22.15f}"
            )
    ab = largest_difference(a.values, b.values)
    ac = largest_difference(a.values, c.values)
    bc = largest_difference(b.values, c.values)
    print(
        f"largest difference over all {len(names)} parameters: |a − b| {ab:.1e}   "
        f"|a − c| {ac:.1e}   |b − c| {bc:.1e}"
    )
    errors, sizes = [], []
    for t in range(1, steps + 1):  # (b) for every shorter unrolling: error and memory curves
        shorter = unrolled(net, x, target, t)
        errors.append(largest_difference(shorter.values, a.values))
        sizes.append(shorter.nodes)
    print(
        f"memory, nodes kept alive: (a) {a.nodes}: one step's graph, for all {a.iterations} "
        "adjoint iterations"
    )
    print(
        f"                          (b) {b.nodes}: all {steps} steps' graphs, "
        f"{sizes[-1] - sizes[-2]} nodes per step   (c) none: {c.iterations} relaxations on floats"
    )
    print(
        f"time: (a) {a.seconds * 1e3:.1f} ms   (b) {b.seconds * 1e3:.1f} ms   "
        f"(c) {c.seconds * 1e3:.1f} ms"
    )
    after = [max(1, steps * k // 8) for k in (1, 2, 4, 8)]
    shown = ", ".join(f"{errors[t - 1]:.0e} after {t}" for t in after)
    print(f"(b) unrolled fewer steps, its largest error against (a): {shown} steps")
    return Comparison(a, b, c, relaxation, errors, sizes)


# ---- training with (a) alone ----


def train(
    net: FixedPointNet, X: list[list[float]], Y: list[float], steps: int
) -> tuple[list[float], float, float]:
    """Full-batch Adam on the mean loss, every gradient by recurrent backpropagation; after
    each update W is scaled back to spectral norm RHO if it went above. Returns the loss per
    step and of the trained model last, the adjoint iterations per sample in the last step
    (mean), and the trained model's accuracy."""
    params = net.parameters()
    opt = Adam(params, lr=LEARNING_RATE)
    progress, losses, iterations, accuracy = Progress(steps), [], 0.0, 0.0
    for k in range(steps):
        total, value, correct, iterations = [0.0] * len(params), 0.0, 0, 0.0
        for x, t in zip(X, Y):
            g = almeida_pineda(net, x, t, TRAIN_TOL)
            total = [s + v for s, v in zip(total, g.values)]
            value += g.loss
            correct += (g.output > 0) == (t > 0)
            iterations += g.iterations / len(X)
        for p, s in zip(params, total):
            p.grad = s / len(X)
        opt.step()
        net.contract(RHO)
        losses.append(value / len(X))
        progress(k, losses[-1], correct / len(X))  # the model after k updates
    trained = outputs(net, X)  # one more forward pass: the model after all of them
    final = sum(loss([o], t) for o, t in zip(trained, Y)) / len(X)
    accuracy = float(np.mean([(o > 0) == (t > 0) for o, t in zip(trained, Y)]))
    progress(steps, final, accuracy)
    return [*losses, final], iterations, accuracy


def outputs(net: FixedPointNet, X: list[list[float]]) -> list[float]:
    """h*₀ at each input."""
    return [relax(net, x, TRAIN_TOL)[0][0] for x in X]


# ---- pictures ----


def draw_gradients(plt: Any, found: Comparison, out: str) -> str:
    """Save the adjoint's convergence, (b)'s error per unrolled step and the memory; return
    the path."""
    fig, (left, middle, right) = plt.subplots(1, 3, figsize=(15, 4.2))
    adjoint, relaxation = found.a.changes, found.relaxation
    left.semilogy(range(1, len(adjoint) + 1), adjoint, "o-", ms=3, label="(a) adjoint λ")
    left.semilogy(range(1, len(relaxation) + 1), relaxation, "--", label="relaxation h")
    k = np.arange(1, max(len(adjoint), len(relaxation)) + 1)
    left.semilogy(
        k, relaxation[0] * RHO ** (k - 1), ":", c="gray", label=f"bound {RHO}ᵏ (‖W‖₂ = {RHO})"
    )
    left.set(
        xlabel="iteration k",
        ylabel="size of the change, ‖new − old‖",
        title="(a) the adjoint settles as fast as the state",
    )
    left.legend()
    errors = np.maximum(found.errors, 1e-17)  # an exact 0 has no place on a log scale
    steps = np.arange(1, len(errors) + 1)
    middle.semilogy(steps, errors, "o-", ms=3, c="C3")
    middle.axvline(len(relaxation), ls=":", c="gray")
    middle.annotate(
        f" the state settled\n to {TOL:g} here",
        (len(relaxation), errors.max()),
        va="top",
        color="gray",
    )
    middle.set(
        xlabel="unrolled relaxation steps T",
        ylabel="largest |(b) − (a)| over W, U, b",
        title="(b) static backprop through T steps",
    )
    right.plot(steps, found.sizes, c="C3", label="(b) unrolled: T steps")
    right.axhline(found.a.nodes, c="C0", label=f"(a) one step, for all {len(adjoint)} iterations")
    right.set(
        xlabel="unrolled steps T, adjoint iterations",
        ylabel="graph nodes kept alive",
        title="memory",
        ylim=(0, None),
    )
    right.legend()
    fig.tight_layout()
    return save(fig, out, "recurrent_backprop_gradients.png")


def draw_regions(
    plt: Any,
    net: FixedPointNet,
    X: list[list[float]],
    Y: list[float],
    losses: list[float],
    accuracy: float,
    out: str,
) -> str:
    """Save h*₀ over the plane with the training points, and the loss per step; return the path."""
    points = np.array(X)
    xs = np.linspace(points[:, 0].min() - 0.5, points[:, 0].max() + 0.5, GRID[0])
    ys = np.linspace(points[:, 1].min() - 0.5, points[:, 1].max() + 0.5, GRID[1])
    xx, yy = np.meshgrid(xs, ys)
    zz = np.array(outputs(net, [[a, c] for a, c in zip(xx.ravel(), yy.ravel())]))
    zz = zz.reshape(xx.shape)
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.8), width_ratios=(1.5, 1))
    levels = np.linspace(-1, 1, 21)
    shade = left.contourf(xx, yy, zz, levels=levels, cmap=diverging(plt), alpha=0.6)
    left.contour(xx, yy, zz, levels=[0.0], colors="k", linewidths=1)
    left.scatter(  # the one palette: class -1 orange, +1 blue
        points[:, 0], points[:, 1], c=Y, cmap=diverging(plt), vmin=-1, vmax=1, edgecolors="k", s=30
    )
    fig.colorbar(shade, ax=left, label="output unit at the fixed point, h*₀", ticks=levels[::5])
    left.set(
        xlabel="x₁",
        ylabel="x₂",
        title=f"class = sign h*₀ ({UNITS} recurrent units): {accuracy:.0%} of points right",
    )
    right.plot(range(1, len(losses) + 1), losses)
    right.set(
        xlabel="training step (full batch, Adam)",
        ylabel="mean loss (h*₀ − t)²",
        title="trained by recurrent backprop (a) alone",
        ylim=(0, None),
    )
    fig.tight_layout()
    return save(fig, out, "recurrent_backprop_moons.png")


def main(argv: list[str] | None = None) -> None:
    args = parser(__doc__, steps=100).parse_args(argv)
    started = time.perf_counter()
    points, labels = make_moons(POINTS, NOISE, args.seed)
    X, Y = points.tolist(), labels.tolist()
    net = FixedPointNet(UNITS, INPUTS, args.seed)

    found = compare(net, X[0], Y[0])

    print(f"training on {POINTS} two-moons points, every gradient by recurrent backpropagation")
    losses, iterations, accuracy = train(net, X, Y, args.steps)
    print(f"adjoint iterations per sample in the last step: {iterations:.1f} on average")

    pictures = []
    plt = pyplot()
    if plt is not None:
        pictures.append(draw_gradients(plt, found, args.out))
        pictures.append(draw_regions(plt, net, X, Y, losses, accuracy, args.out))
    shown = f"; pictures: {', '.join(pictures)}" if pictures else ""
    final = losses[-1] if losses else float("nan")
    ab = largest_difference(found.a.values, found.b.values)
    ac = largest_difference(found.a.values, found.c.values)
    print(
        f"recurrent_backprop: {args.steps} steps, then loss {final:.4f} and training accuracy "
        f"{accuracy:.0%}; gradients (a) vs (b) {ab:.0e}, (a) vs (c) {ac:.0e}; nodes kept alive "
        f"(a) {found.a.nodes}, (b) {found.b.nodes}; {time.perf_counter() - started:.1f} s{shown}"
    )


if __name__ == "__main__":
    main()
