"""What every training demo shares: its command line, progress lines, and optional pictures."""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

MATPLOTLIB_HINT = (
    "pictures need matplotlib: pip install -e '.[demos]' "
    "(make demo installs it); training and numbers are unaffected"
)


def parser(
    doc: str,
    steps: int,
    seed: int = 0,
    *,
    steps_help: str = "training steps",
    steps_aliases: tuple[str, ...] = (),
) -> argparse.ArgumentParser:
    """Return the demos' common parser: --seed, --steps, --out (and --help).

    `steps_help` says what --steps counts in this demo; `steps_aliases` are other names for it
    (vanishing's --batches), so that --steps works in every demo whatever it counts there.
    """
    first, _, rest = doc.strip().partition("\n\n")
    p = argparse.ArgumentParser(
        description=first, epilog=rest, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--seed", type=int, default=seed, help=f"random seed (default {seed})")
    p.add_argument(
        "--steps",
        *steps_aliases,
        dest="steps",
        type=int,
        default=steps,
        metavar="N",
        help=f"{steps_help} (default {steps})",
    )
    p.add_argument(
        "--out", default="out", help="folder for pictures, made if missing (default ./out)"
    )
    return p


def pyplot() -> Any:
    """Return matplotlib.pyplot on a file-only backend, or None (with a hint) without it."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"note: {MATPLOTLIB_HINT}")
        return None
    return plt


def diverging(plt: Any) -> Any:
    """The one palette as a matplotlib colour map: orange (negative, class -1) through a near
    white to blue (positive, class +1), as autograd.viz.palette has it for every picture."""
    from matplotlib.colors import LinearSegmentedColormap

    from autograd.viz import palette

    colours = [palette.NEGATIVE, palette.NEUTRAL, palette.POSITIVE]
    return LinearSegmentedColormap.from_list("stepgrad", colours)


def save(fig: Any, out: str, name: str) -> str:
    """Save a figure as out/name (making the folder), close it, and return the path."""
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, name)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    fig.clf()
    import matplotlib.pyplot as plt

    plt.close(fig)
    return path


class Progress:
    """Prints `after   k/N steps  loss ...  accuracy ...  elapsed` about `lines` + 1 times.

    Call it with k = the number of updates made so far and the loss (and accuracy) of the model
    as it stands after them: in a training loop, the numbers of step k+1's forward pass, which
    runs before its update; after the loop, the numbers of one more forward pass with k = N.
    Every line then means the same thing, and the last one (after N of N steps) is the trained
    model, the numbers a demo's summary repeats.
    """

    def __init__(self, steps: int, lines: int = 10) -> None:
        self.steps, self.every, self.start = steps, max(1, steps // lines), time.perf_counter()

    def __call__(self, k: int, loss: float, accuracy: float | None = None) -> None:
        if k % self.every and k != self.steps:
            return
        acc = f"  accuracy {accuracy:6.1%}" if accuracy is not None else ""
        width = len(str(self.steps))
        print(
            f"after {k:>{width}}/{self.steps} steps  loss {loss:.6f}{acc}  "
            f"elapsed {self.elapsed():.1f}s",
            flush=True,
        )

    def elapsed(self) -> float:
        """Seconds since this Progress was made."""
        return time.perf_counter() - self.start
