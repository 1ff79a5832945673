"""Optimizers on 2-D surfaces: SGD, momentum, Nesterov, RMSprop and Adam from `nn`, side by side.

Two surfaces, written with Values so the engine supplies every gradient:
  saddle      f(x, y) = x² + y⁴/4 - y²/2: a saddle at the origin, minima at (0, ±1). Starting
              almost on the ridge (y = 1e-3), plain gradient descent creeps away from it;
              momentum and the adaptive methods escape much sooner.
  rosenbrock  f(x, y) = (1 - x)² + 100(y - x²)²: a long curved valley to the minimum at (1, 1).
Each optimizer starts at the same point; the table counts the steps until f is within the
tolerance of the minimum, and the picture draws every path over the contours.

    $ python -m demos.optimizers
    $ python -m demos.optimizers --steps 200 --out /tmp/opt
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from autograd import Value
from demos.common import parser, pyplot, save
from nn import SGD, Adam, Optimizer, RMSprop

TOLERANCE = 1e-3


def saddle(x: Value, y: Value) -> Value:
    return x**2 + y**4 / 4 - y**2 / 2


def rosenbrock(x: Value, y: Value) -> Value:
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


# surface: (function, start, minimum value, plot box, learning rates per optimizer)
SURFACES: dict[
    str,
    tuple[
        Callable[[Value, Value], Value],
        tuple[float, float],
        float,
        tuple[float, float, float, float],
        dict[str, float],
    ],
] = {
    "saddle": (
        saddle,
        (1.5, 1e-3),
        -0.25,
        (-1.7, 1.7, -1.5, 1.5),
        {"SGD": 0.05, "momentum": 0.05, "Nesterov": 0.05, "RMSprop": 0.01, "Adam": 0.05},
    ),
    "rosenbrock": (
        rosenbrock,
        (-1.2, 1.0),
        0.0,
        (-1.6, 1.6, -0.6, 1.7),
        {"SGD": 1e-3, "momentum": 1e-3, "Nesterov": 1e-3, "RMSprop": 1e-3, "Adam": 0.02},
    ),
}


def make(name: str, params: list[Value], lr: float) -> Optimizer:
    if name == "SGD":
        return SGD(params, lr=lr)
    if name == "momentum":
        return SGD(params, lr=lr, momentum=0.9)
    if name == "Nesterov":
        return SGD(params, lr=lr, momentum=0.9, nesterov=True)
    if name == "RMSprop":
        return RMSprop(params, lr=lr)
    return Adam(params, lr=lr)


def run(
    f: Callable[[Value, Value], Value],
    start: tuple[float, float],
    minimum: float,
    optimizer: str,
    lr: float,
    steps: int,
) -> tuple[list[tuple[float, float]], int | None]:
    """Return the path and the first step at which f ≤ minimum + TOLERANCE (None: never)."""
    x, y = Value(start[0], "x"), Value(start[1], "y")
    opt = make(optimizer, [x, y], lr)
    path, reached = [(x.data, y.data)], None
    for k in range(1, steps + 1):
        value = f(x, y)
        opt.zero_grad()
        value.backward()
        opt.step()
        path.append((x.data, y.data))
        if reached is None and f(x, y).data <= minimum + TOLERANCE:
            reached = k
    return path, reached


def main(argv: list[str] | None = None) -> None:
    args = parser(__doc__, steps=3000).parse_args(argv)
    plt = pyplot()
    pictures, summary = [], []
    for surface, (f, start, minimum, box, rates) in SURFACES.items():
        print(f"\n{surface}: start {start}, steps to f <= min + {TOLERANCE:g} (of {args.steps})")
        print(f"  {'optimizer':<10} {'lr':>7} {'steps':>7} {'final f':>12}")
        paths = {}
        for name, lr in rates.items():
            path, reached = run(f, start, minimum, name, lr, args.steps)
            paths[name] = path
            final = f(Value(path[-1][0]), Value(path[-1][1])).data
            shown = str(reached) if reached else "never"
            print(f"  {name:<10} {lr:>7g} {shown:>7} {final:>12.3e}")
            summary.append(f"{surface}/{name} {shown}")
        if plt is not None:
            fig, ax = plt.subplots(figsize=(6.5, 5))
            xs, ys = np.meshgrid(np.linspace(box[0], box[1], 300), np.linspace(box[2], box[3], 300))
            zs = np.vectorize(lambda a, b, f=f: f(Value(a), Value(b)).data)(xs, ys)
            levels = np.geomspace(1e-3, zs.max() - minimum + 1e-3, 25) + minimum - 1e-3
            ax.contour(xs, ys, zs, levels=np.unique(levels), cmap="Greys", linewidths=0.6)
            for (name, path), style in zip(paths.items(), ["-", "--", "-.", ":", "-"]):
                p = np.array(path)
                (line,) = ax.plot(p[:, 0], p[:, 1], style, lw=1.5, label=name)
                ax.plot(p[-1, 0], p[-1, 1], "x", color=line.get_color(), ms=9, mew=2)
            ax.plot(*start, "ko")
            ax.set(
                xlim=box[:2],
                ylim=box[2:],
                title=f"{surface}: {args.steps} steps from {start} (x: where each ends)",
            )
            ax.legend(fontsize=8)
            pictures.append(save(fig, args.out, f"optimizers_{surface}.png"))
    shown = f"; pictures: {', '.join(pictures)}" if pictures else ""
    print(f"\noptimizers: steps to tolerance: {', '.join(summary)}{shown}")


if __name__ == "__main__":
    main()
