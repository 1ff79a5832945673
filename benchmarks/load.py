"""Benchmark: saving and loading models of 2,751 to 81,504 parameters, in one run.

Each size is an `MLP(2, [n, n, 1])` saved with `Module.save` and read back with `Module.load`
(format version 2: UTF-8 check, JSON with duplicate-key and digit-length checks, SHA-256 over the
numbers, then `load_state_dict`). Beside it, two baselines timed in the same process:

- `json.loads` of the same text: the floor any JSON loader pays; `load / json` is our overhead.
- the old `load_state_dict`, which rebuilt the set of names for every key (quadratic); only up
  to 10,501 parameters, where it already takes seconds.

Linear time shows as a flat `us/param` column. Each figure is the median of `--rounds` runs.

    $ python -m benchmarks.load              (about half a minute)
    $ python -m benchmarks.load --quick      (two small sizes: a check that it runs)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from typing import Any

from nn import MLP

WIDTHS = [50, 70, 100, 141, 200, 283]  # 2,751 ... 81,504 parameters
QUICK_WIDTHS = [20, 50]
OLD_WAY_LIMIT = 11_000  # parameters: beyond this the quadratic loader takes too long to wait for


def median_time(run: Callable[[], Any], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def old_load_state_dict(model: MLP, state: dict[str, object]) -> None:
    """The name check of load_state_dict before this fix, kept here as the baseline."""
    named = model.named_parameters()
    expected = [name for name, _ in named]
    missing = [n for n in expected if n not in state]
    extra = [n for n in state if n not in set(expected)]  # a new set for every key
    if missing or extra:
        raise ValueError("does not fit")
    values = [float(state[name]) for name, _ in named]  # type: ignore[arg-type]
    for (_, p), x in zip(named, values):
        p.data = x


def main(argv: list[str] | None = None) -> None:
    args = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    args.add_argument("--quick", action="store_true", help="two small sizes, one round")
    args.add_argument("--rounds", type=int, default=5, help="runs per figure (default 5)")
    options = args.parse_args(argv)
    widths = QUICK_WIDTHS if options.quick else WIDTHS
    rounds = 1 if options.quick else options.rounds
    print(
        f"load: Module.save / Module.load of MLP(2, [n, n, 1]), median of {rounds}; "
        f"Python {platform.python_version()}, {platform.system()} {platform.machine()}"
    )
    header = (
        f"{'parameters':>10} {'file KB':>8} {'save s':>8} {'load s':>8} {'json s':>8} "
        f"{'load/json':>9} {'us/param':>8} {'old load_state_dict s':>22}"
    )
    print(header)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.json")
        for width in widths:
            model = MLP(2, [width, width, 1], seed=0)
            count = len(model.parameters())
            save = median_time(lambda m=model: m.save(path), rounds)
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
            other = MLP(2, [width, width, 1], seed=1)
            load = median_time(lambda o=other: o.load(path), rounds)
            assert other.state_dict() == model.state_dict()
            parse = median_time(lambda t=text: json.loads(t), rounds)
            if count <= OLD_WAY_LIMIT:
                state = json.loads(text)["parameters"]
                old = f"{median_time(lambda s=state, o=other: old_load_state_dict(o, s), 1):22.3f}"
            else:
                old = f"{'(not run)':>22}"
            print(
                f"{count:>10,} {len(text) / 1024:8.0f} {save:8.3f} {load:8.3f} {parse:8.3f} "
                f"{load / parse:9.1f} {1e6 * load / count:8.2f} {old}",
                flush=True,
            )


if __name__ == "__main__":
    main()
