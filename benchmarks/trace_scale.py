"""How `trace` scales: time and peak memory to trace long chains, repeated labels and a model
traced without params= (its weights become constants). Prints one line per case.

    $ python -m benchmarks.trace_scale            # 10k and 100k-node chains, labels, an MLP
    $ python -m benchmarks.trace_scale --million  # adds the 1,000,000-node chain

Each case runs in a fresh child process, so its peak resident memory (ru_maxrss) is its own.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time


def _case(name: str, size: int) -> None:
    from autograd import Value, trace
    from nn import MLP

    if name == "chain":

        def fn(x: Value) -> Value:
            for _ in range(size // 2):
                x = (x * 1.0000001).tanh()
            return x

        params: list[Value] = []
    elif name == "labels":

        def fn(x: Value) -> Value:
            for _ in range(size // 2):
                x = (x * 0.5).tanh()
                x.label = "h"
            return x

        params = []
    else:  # an MLP(8, [size, size, 1]) traced without params=: every weight a constant
        model = MLP(8, [size, size, 1], seed=0)

        def fn(*xs: Value) -> Value:
            return model(list(xs))

        params = []
    arguments = [0.5] * (8 if name == "mlp" else 1)
    start = time.perf_counter()
    prog = trace(fn, *arguments, params=params, lift=False)
    seconds = time.perf_counter() - start
    start = time.perf_counter()
    prog.grad(*arguments)
    first = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB -> MiB on Linux
    row = {"case": name, "size": size, "ops": prog.ops, "seconds": seconds, "first": first}
    print(json.dumps({**row, "mb": peak, "lines": prog.source.count("\n")}))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--million", action="store_true", help="also a 1,000,000-node chain")
    parser.add_argument("--case", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.case:
        _case(args.case[0], int(args.case[1]))
        return
    cases = [("chain", 10_000), ("chain", 100_000), ("labels", 10_000), ("mlp", 128)]
    if args.million:
        cases.append(("chain", 1_000_000))
    print(__doc__.split("\n\n")[0])
    print(
        f"{'case':<8} {'size':>9} {'ops':>9} {'trace s':>9} {'1st grad s':>11} {'peak MB':>9} "
        f"{'source lines':>13}"
    )
    for name, size in cases:
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.trace_scale", "--case", name, str(size)],
            capture_output=True,
            text=True,
            check=True,
        )
        row = json.loads(done.stdout.strip().splitlines()[-1])
        print(
            f"{row['case']:<8} {row['size']:>9} {row['ops']:>9} {row['seconds']:>9.2f} "
            f"{row['first']:>11.2f} {row['mb']:>9.0f} {row['lines']:>13}"
        )


if __name__ == "__main__":
    main()
