"""Optimizers on 2-D surfaces: SGD, momentum, Nesterov, RMSprop and Adam from `nn`, side by side.

Two surfaces, written with Values so the engine supplies every gradient:
  saddle      f(x, y) = x² + y⁴/4 - y²/2: a saddle at the origin, minima at (0, ±1). Starting
              almost on the ridge (y = 1e-3), plain gradient descent creeps away from it;
              momentum and the adaptive methods escape much sooner.
  rosenbrock  f(x, y) = (1 - x)² + 100(y - x²)²: a long curved valley to the minimum at (1, 1).
Each optimizer starts at the same point; the table counts the steps until f is within the
tolerance of the minimum. The picture has one panel per optimizer (its path over the contours,
o the start, x where it ends, * the minima) and a last panel with every optimizer's f - min
against the step, so no path hides under another.

    $ python -m demos.optimizers
    $ python -m demos.optimizers --steps 200 --out /tmp/opt
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from autograd import Value
from demos.common import parser, pyplot, save
from nn import SGD, Adam, Optimizer, RMSprop

TOLERANCE = 1e-3
STYLES = {  # colour, line style, marker: the same in every panel
    "SGD": ("tab:blue", "-", "o"),
    "momentum": ("tab:orange", "--", "s"),
    "Nesterov": ("tab:green", "-.", "^"),
    "RMSprop": ("tab:red", ":", "D"),
    "Adam": ("tab:purple", (0, (5, 1, 1, 1, 1, 1)), "v"),
}


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
MINIMA = {"saddle": [(0.0, 1.0), (0.0, -1.0)], "rosenbrock": [(1.0, 1.0)]}


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


def on_surface(f: Callable[[Value, Value], Value], xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """f at every point of two same-shaped arrays of coordinates, as an array of floats."""
    return np.vectorize(lambda a, b: f(Value(a), Value(b)).data)(xs, ys)


def small_multiples(
    plt: Any,
    surface: str,
    paths: dict[str, list[tuple[float, float]]],
    reached: dict[str, int | None],
    steps: int,
) -> Any:
    """Small multiples: each optimizer's path over the contours, then f - min per step."""
    f, start, minimum, box, rates = SURFACES[surface]
    fig, axes = plt.subplots(2, 3, figsize=(12, 7.4), layout="constrained")
    xs, ys = np.meshgrid(np.linspace(box[0], box[1], 240), np.linspace(box[2], box[3], 240))
    zs = on_surface(f, xs, ys)
    levels = np.unique(np.geomspace(1e-2, zs.max() - minimum, 20) + minimum)
    for ax, (name, path) in zip(axes.flat, paths.items()):
        color, style, marker = STYLES[name]
        p = np.array(path)
        ax.contour(xs, ys, zs, levels=levels, colors="0.75", linewidths=0.5, linestyles="solid")
        for point in MINIMA[surface]:
            ax.plot(*point, "*", color="gold", mec="k", ms=13)
        ax.plot(p[:, 0], p[:, 1], linestyle=style, color=color, lw=1.6)
        ax.plot(*start, "o", color="k", ms=6)
        ax.plot(p[-1, 0], p[-1, 1], "x", color=color, ms=10, mew=2.5, zorder=5)
        when = f"f within {TOLERANCE:g} of min at step {reached[name]}"
        ax.set(
            xlim=box[:2],
            ylim=box[2:],
            xlabel="x",
            ylabel="y",
            title=f"{name}, lr {rates[name]:g}:\n"
            + (when if reached[name] else f"not within {TOLERANCE:g} of min in {steps} steps"),
        )
        ax.title.set_fontsize(10)
    ax = axes.flat[len(paths)]
    for name, path in paths.items():
        color, style, marker = STYLES[name]
        p = np.array(path)
        gap = np.maximum(on_surface(f, p[:, 0], p[:, 1]) - minimum, 1e-16)
        ax.plot(range(len(gap)), gap, linestyle=style, color=color, lw=1.6, label=name)
        if reached[name]:
            ax.plot(reached[name], gap[reached[name]], marker, color=color, mec="k", ms=6)
    ax.axhline(TOLERANCE, color="k", lw=0.8)
    ax.text(0.5, TOLERANCE / 2, f"tolerance {TOLERANCE:g}", ha="left", va="top", size=8)
    ax.set(
        yscale="log",
        xlabel="step" + (" (log scale past 10)" if steps > 100 else ""),
        ylabel="f − min (log scale; 0 drawn at 1e-16)",
        title="every optimizer: f − min per step\n(marker: first step within tolerance)",
    )
    if steps > 100:
        ax.set_xscale("symlog", linthresh=10)
    ax.set_xlim(0, steps)
    ax.title.set_fontsize(10)
    ax.legend(fontsize=8, loc="lower left")
    fig.suptitle(f"{surface}: {steps} steps from {start}", fontsize=12)
    return fig


def main(argv: list[str] | None = None) -> None:
    args = parser(__doc__, steps=3000, steps_help="steps per optimizer").parse_args(argv)
    plt = pyplot()
    pictures, summary = [], []
    for surface, (f, start, minimum, _, rates) in SURFACES.items():
        print(f"\n{surface}: start {start}, steps to f <= min + {TOLERANCE:g} (of {args.steps})")
        print(f"  {'optimizer':<10} {'lr':>7} {'steps':>7} {'final f':>12}")
        paths, reached = {}, {}
        for name, lr in rates.items():
            paths[name], reached[name] = run(f, start, minimum, name, lr, args.steps)
            final = f(Value(paths[name][-1][0]), Value(paths[name][-1][1])).data
            shown = str(reached[name]) if reached[name] else "never"
            print(f"  {name:<10} {lr:>7g} {shown:>7} {final:>12.3e}")
            summary.append(f"{surface}/{name} {shown}")
        if plt is not None:
            picture = small_multiples(plt, surface, paths, reached, args.steps)
            pictures.append(save(picture, args.out, f"optimizers_{surface}.png"))
    shown = f"; pictures: {', '.join(pictures)}" if pictures else ""
    print(f"\noptimizers: steps to tolerance: {', '.join(summary)}{shown}")


if __name__ == "__main__":
    main()
