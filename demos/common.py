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


def parser(doc: str, steps: int, seed: int = 0) -> argparse.ArgumentParser:
    """Return the demos' common parser: --seed, --steps, --out (and --help)."""
    first, _, rest = doc.strip().partition("\n\n")
    p = argparse.ArgumentParser(
        description=first, epilog=rest, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--seed", type=int, default=seed, help=f"random seed (default {seed})")
    p.add_argument("--steps", type=int, default=steps, help=f"training steps (default {steps})")
    p.add_argument("--out", default="out", help="folder for pictures (default ./out)")
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


def save(fig: Any, out: str, name: str) -> str:
    """Save a figure as out/name, close it, and return the path."""
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, name)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    fig.clf()
    import matplotlib.pyplot as plt

    plt.close(fig)
    return path


class Progress:
    """Prints `step   k/N  loss ...  acc ...  elapsed` about `lines` times over a run."""

    def __init__(self, steps: int, lines: int = 10) -> None:
        self.steps, self.every, self.start = steps, max(1, steps // lines), time.perf_counter()

    def __call__(self, k: int, loss: float, accuracy: float | None = None) -> None:
        if k % self.every and k != self.steps - 1:
            return
        acc = f"  accuracy {accuracy:6.1%}" if accuracy is not None else ""
        width = len(str(self.steps))
        print(
            f"step {k + 1:>{width}}/{self.steps}  loss {loss:.6f}{acc}  "
            f"elapsed {self.elapsed():.1f}s",
            flush=True,
        )

    def elapsed(self) -> float:
        return time.perf_counter() - self.start
