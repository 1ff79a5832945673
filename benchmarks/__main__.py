"""Benchmarks: stepgrad against micrograd and PyTorch, side by side in one process.

Engines take turns round by round (so drift in the machine hits them alike), each figure is the
median of the rounds, and each ratio is micrograd's time over the engine's (above 1: faster than
micrograd). Before timing, every engine is imported and `gc.freeze()` moves the objects that
exist by then (torch's modules above all) out of the cyclic collector's sight: otherwise each
full collection walks those ~170k objects during whichever engine happens to be running. The
moons step is checked first: every engine's first-step loss and gradients must
agree with stepgrad's, so a fast wrong engine cannot win.

    $ python -m benchmarks              (make bench; a few minutes)
    $ python -m benchmarks --quick      (tiny sizes, seconds: a check that it runs)
    $ python -m benchmarks --json out.json
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from typing import Any

# One BLAS thread, set before NumPy loads. The lifted programs' matrix products are small
# (16 x 10,000 at most here); on a shared 2-core machine OpenBLAS's thread hand-offs cost more
# than they save (the 10,000-point lifted step took 3x as long with 2 threads). PyTorch keeps
# its own thread pool. Set OPENBLAS_NUM_THREADS yourself to measure otherwise.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from benchmarks import workloads as W  # noqa: E402  (after the BLAS setting above)

ENGINES = ["stepgrad", "micrograd", "torch-ops", "torch-batched"]
COLUMNS = [
    "stepgrad",
    "stepgrad-lifted",
    "stepgrad-compiled",
    "micrograd",
    "torch-ops",
    "torch-batched",
]
LEAST = 0.1  # seconds of calls per round for the steps (moons, batches, digits): see timed()
BATCH_ENGINES = ["lifted", "compiled", "eager", "micrograd", "torch-batched"]
DIGITS_ENGINES = ["lifted", "compiled", "eager", "torch-batched"]


def timed(make: Callable[[], Callable[[], Any]], least: float = 0.0) -> float:
    """Seconds per call of what `make` returns: one call, or (with `least`) as many calls as
    fill `least` seconds, divided (a step of a fraction of a millisecond, timed once, is
    mostly the noise of one call)."""
    run = make()
    gc.collect()
    count, start = 0, time.perf_counter()
    while True:
        run()
        count += 1
        elapsed = time.perf_counter() - start
        if elapsed >= least:
            return elapsed / count


def interleaved(
    cases: dict[str, Callable[[], Callable[[], Any]]],
    rounds: int,
    budget: float,
    least: float = 0.0,
) -> dict[str, Any]:
    """Run each engine's case once per round, engines in turn; return medians (or why not).
    With `least`, a round of a case is as many calls as fill `least` seconds (per call)."""
    times: dict[str, list[float]] = {name: [] for name in cases}
    result: dict[str, Any] = {}
    for _ in range(rounds):
        for name, make in cases.items():
            if name in result:
                continue
            try:
                times[name].append(timed(make, least))
            except W.Unavailable as why:
                result[name] = str(why)
            except RecursionError:
                result[name] = "RecursionError"
            if times[name] and sum(times[name]) > budget:
                result[name] = statistics.median(times[name])  # enough rounds for a slow one
    for name, ts in times.items():
        if name not in result:
            result[name] = statistics.median(ts) if ts else "no run"
    return result


def _checked_then_timed(
    step: Callable[..., Callable[[], Any]],
    engines: Sequence[str],
    reference: dict[str, Any],
    rounds: int,
) -> dict[str, Any]:
    """Each engine's first step checked against the reference (an engine that is missing or
    disagrees is not timed, and says why), then the rest timed in turns: {engine: seconds or
    the reason}."""
    verdicts: dict[str, Any] = {}
    cases = {}
    for engine in engines:
        check: dict[str, Any] = {}
        try:
            step(engine, check)()
        except W.Unavailable as why:
            verdicts[engine] = str(why)
            continue
        differs = W.agree(reference, check)
        if differs:
            verdicts[engine] = f"WRONG first step ({differs}): not timed"
            continue
        cases[engine] = lambda e=engine: _warmed(step(e))  # noqa: E731
    verdicts.update(interleaved(cases, rounds, budget=30.0, least=LEAST))
    return verdicts


def moons(rounds: int) -> dict[str, Any]:
    reference: dict[str, Any] = {}
    W.moons_step("stepgrad", reference)()
    return _checked_then_timed(W.moons_step, COLUMNS, reference, rounds)


def _warmed(step: Callable[[], Any]) -> Callable[[], Any]:
    """The step after one untimed call: each engine is timed on its second step, so no one's
    first-call set-up (torch's autograd engine, NumPy's first allocations) counts."""
    step()
    return step


def memory_per_node(engine: str, links: int) -> dict[str, float] | str:
    """Bytes per node of a chain with `links` links: tracemalloc here, RSS in a fresh process."""
    try:
        V = W._scalar(engine)
    except W.Unavailable as why:
        return str(why)
    nodes = W.count_nodes(engine, links)
    gc.collect()
    tracemalloc.start()
    x = V(1.0)
    y = x
    for _ in range(links):
        y = y * 1.0001 + 0.0
    y.backward()
    traced = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del x, y
    script = (
        "import gc, sys\n"
        "from benchmarks import workloads as W\n"
        f"V = W._scalar({engine!r})\n"
        "def rss():\n"
        "    return int(open('/proc/self/statm').read().split()[1]) * 4096\n"
        "gc.collect(); before = rss()\n"
        f"x = V(1.0); y = x\nfor _ in range({links}): y = y * 1.0001 + 0.0\n"
        "y.backward(); print(rss() - before)\n"
    )
    try:
        rss = int(
            subprocess.run(
                [sys.executable, "-c", script],
                capture_output=True,
                text=True,
                check=True,
                cwd=os.path.dirname(os.path.dirname(__file__)),
                timeout=600,
            ).stdout
        )
    except (subprocess.SubprocessError, ValueError):
        rss = -1
    return {"nodes": nodes, "tracemalloc": traced / nodes, "rss": rss / nodes}


SCALING_SCRIPT = """
import gc, json, statistics, sys, time
from benchmarks import workloads as W
V = W._scalar(sys.argv[1])
n = int(sys.argv[2])
forward, backward = [], []
for _ in range(int(sys.argv[3])):
    gc.collect()
    t0 = time.perf_counter()
    x = V(1.0)
    y = x
    for _ in range(n):
        y = y * 1.0001 + 0.0
    t1 = time.perf_counter()
    y.backward()
    t2 = time.perf_counter()
    forward.append(t1 - t0)
    backward.append(t2 - t1)
    del x, y
print(json.dumps({"forward": statistics.median(forward), "backward": statistics.median(backward)}))
"""


def scaling(engine: str, sizes: list[int], repeats: int) -> list[dict[str, Any]]:
    """Chain forward and backward times per size, each size in a fresh process (so one size's
    heap does not slow the next), with the ratio to the size before."""
    rows: list[dict[str, Any]] = []
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for n in sizes:
        done = subprocess.run(
            [sys.executable, "-c", SCALING_SCRIPT, engine, str(n), str(repeats)],
            capture_output=True,
            text=True,
            cwd=root,
            timeout=1200,
        )
        if done.returncode != 0:
            rows.append({"n": n, "error": done.stderr.strip().splitlines()[-1][:60]})
            break
        times = json.loads(done.stdout)
        row = {"n": n, **times, "total": times["forward"] + times["backward"]}
        previous = rows[-1] if rows and "total" in rows[-1] else None
        if previous:
            row["backward_ratio"] = row["backward"] / previous["backward"]
            row["total_ratio"] = row["total"] / previous["total"]
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks it runs")
    parser.add_argument("--rounds", type=int, default=5, help="rounds per workload (default 5)")
    parser.add_argument("--json", metavar="PATH", help="also write every figure as JSON")
    args = parser.parse_args(argv)
    rounds = 1 if args.quick else args.rounds
    chain_sizes = [100, 1000] if args.quick else [1_000, 10_000, 100_000, 1_000_000]
    wide_n = 1000 if args.quick else 100_000
    op_n = 500 if args.quick else 20_000
    links = 250 if args.quick else 25_000  # 1e5 nodes at 4 nodes a link

    report: dict[str, Any] = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "rows": [],
    }
    rows = report["rows"]

    def add(workload: str, results: dict[str, Any], unit: float = 1.0) -> None:
        rows.append({"workload": workload, "results": results})
        _print_row(workload, results)

    for engine in ENGINES[:3]:  # import everything before freezing the heap
        try:
            W.engine_module(engine)
        except W.Unavailable:
            pass
    gc.collect()
    gc.freeze()
    shown = f"medians of {rounds} rounds" if rounds > 1 else "one round"
    blas = os.environ.get("OPENBLAS_NUM_THREADS")
    report["openblas_threads"] = blas
    print(f"stepgrad benchmarks on {report['machine']} ({shown}; OpenBLAS threads: {blas})")
    print(f"{'workload':<28}" + "".join(f"{e:>20}" for e in COLUMNS))
    add("moons_step", moons(rounds))
    step = rows[-1]["results"]
    for engine in ("stepgrad-lifted", "stepgrad-compiled"):
        if all(isinstance(step.get(e), float) for e in (engine, "torch-batched")):
            ours = step[engine]
            micrograd = step.get("micrograd", float("nan"))
            print(
                f"  {engine.removeprefix('stepgrad-')} moons step: {micrograd / ours:.0f}x faster "
                f"than micrograd, {ours / step['torch-batched']:.2f}x the time of PyTorch batched"
            )
    parts = W.lifted_parts(20 if args.quick else 300)
    report["lifted_parts"] = parts
    print(
        "  the lifted step, part by part: "
        + ", ".join(f"{name} {_seconds(t)}" for name, t in parts.items())
    )
    for n in chain_sizes:
        cases = {e: (lambda e=e, n=n: W.chain(e, n)) for e in ENGINES}
        if n > 100_000:  # micrograd would need ~5 GB and minutes; torch-ops likewise
            cases = {e: cases[e] for e in ("stepgrad",)}
        add(f"chain n={n:,}", interleaved(cases, rounds if n < 1_000_000 else 3, budget=60))
    add(
        f"wide n={wide_n:,} (sum of products)",
        interleaved({e: (lambda e=e: W.wide(e, wide_n)) for e in ENGINES}, rounds, budget=30),
    )
    add(
        f"wide n={wide_n:,} (stepgrad dot)",
        interleaved({"stepgrad": lambda: W.wide("stepgrad", wide_n, nary=True)}, rounds, 30),
    )
    for op in ["sum only", *W.PER_OP]:
        cases = {e: (lambda e=e, op=op: W.per_op(e, op, op_n)) for e in ENGINES[:3]}
        res = interleaved(cases, rounds, budget=30)
        per = {e: (v / op_n if isinstance(v, float) else v) for e, v in res.items()}
        add(f"per op: {op} (s per op)", per)

    _print_notes()
    samples = 100 if args.quick else 2000
    print(
        f"\ncompiled replay, one sample at a time on floats ({samples} samples of the moons "
        "per-sample loss, ~100 nodes; time per sample)"
    )
    replay = interleaved(
        {
            e: (lambda e=e: W.replay_single(e, samples))
            for e in ("eager", "eager-backward", "compiled")
        },
        rounds,
        budget=30,
    )
    report["replay"] = {e: (v / samples if isinstance(v, float) else v) for e, v in replay.items()}
    for e, v in report["replay"].items():
        ratio = report["replay"]["eager"] / v if isinstance(v, float) else float("nan")
        shown = _seconds(v) if isinstance(v, float) else v
        print(f"  {e:<16} {shown:>10}   eager / this: {ratio:.1f}x")

    sizes = [10, 100] if args.quick else [10, 100, 1_000, 2_000, 10_000, 100_000]
    print(
        "\nbatch size: forward + backward of the mean hinge loss over n moons points "
        "(time per sample; eager graphs up to 10,000 points, micrograd's up to 1,000)"
    )
    print(
        f"  {'n':>8}" + "".join(f"{e:>15}" for e in BATCH_ENGINES) + "   lifted: x scalar, x torch"
    )
    report["batches"] = []
    for n in sizes:
        engines = [  # eager graphs of 10,000 points take seconds; micrograd's, minutes
            e
            for e in BATCH_ENGINES
            if not (e == "eager" and n > 10_000) and not (e == "micrograd" and n > 1_000)
        ]
        res = interleaved(
            {e: (lambda e=e, n=n: W.batch_step(e, n)) for e in engines},
            rounds,
            budget=30,
            least=LEAST,
        )
        report["batches"].append({"n": n, **res})
        cells = "".join(
            f"{_seconds(res[e] / n) if isinstance(res.get(e), float) else '-':>15}"
            for e in BATCH_ENGINES
        )
        ratios = ""
        if all(isinstance(res.get(e), float) for e in ("lifted", "compiled", "torch-batched")):
            scalar, torch_time = (
                res["compiled"] / res["lifted"],
                res["lifted"] / res["torch-batched"],
            )
            ratios = f"   {scalar:6.1f}x {torch_time:6.2f}"
        print(f"  {n:>8,}{cells}{ratios}")

    print(
        f"\ndigits training step: a batch of {W.DIGITS_BATCH} images, MLP(64, [32, 10]), "
        "cross-entropy, Adam (time per step)"
    )
    reference: dict[str, Any] = {}
    digits: dict[str, Any] = {}
    try:
        W.digits_step("eager", reference)()
    except SystemExit as why:  # no scikit-learn: no digits
        digits = {e: str(why) for e in DIGITS_ENGINES}
    if not digits:
        digits = _checked_then_timed(W.digits_step, DIGITS_ENGINES, reference, rounds)
    report["digits"] = digits
    for e in DIGITS_ENGINES:
        v = digits.get(e)
        torch_time = digits.get("torch-batched")
        ratio = (
            f"   {v / torch_time:.2f}x the time of torch-batched"
            if isinstance(v, float) and isinstance(torch_time, float)
            else ""
        )
        print(f"  {e:<14} {_seconds(v) if isinstance(v, float) else v:>10}{ratio}")

    print(f"\nmemory per node, chain of {4 * links + 1:,} nodes (bytes/node: tracemalloc, RSS)")
    memory = {e: memory_per_node(e, links) for e in ENGINES[:2]}
    report["memory"] = memory
    for e, m in memory.items():
        if isinstance(m, dict):
            print(f"  {e:<10} {m['nodes']:>8} nodes  {m['tracemalloc']:8.0f}  {m['rss']:8.0f}")
        else:
            print(f"  {e:<10} {m}")

    print(
        "\nscaling: chain of n links, each size in a fresh process (median of the repeats);"
        "\nratios are to the size before, 10x the links"
    )
    report["scaling"] = {}
    for engine, sizes in [("stepgrad", chain_sizes), ("micrograd", chain_sizes[:3])]:
        rows = scaling(engine, sizes, 1 if args.quick else 3)
        report["scaling"][engine] = rows
        for row in rows:
            if "error" in row:
                print(f"  {engine:<10} n={row['n']:>9,}  {row['error']}")
                continue
            ratios = (
                f"  backward x{row['backward_ratio']:.2f}  total x{row['total_ratio']:.2f}"
                if "total_ratio" in row
                else ""
            )
            print(
                f"  {engine:<10} n={row['n']:>9,}  forward {_seconds(row['forward']):>9}  "
                f"backward {_seconds(row['backward']):>9}{ratios}"
            )
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(report, handle, indent=1)
        print(f"\nwrote {args.json}")
    return report


NOTES: dict[str, str] = {}  # why a cell is empty, printed once under the table


def _print_row(workload: str, results: dict[str, Any]) -> None:
    base = results.get("micrograd")
    cells = []
    for engine in COLUMNS:
        value = results.get(engine, "")
        if isinstance(value, float):
            ratio = (
                f" x{base / value:.1f}" if isinstance(base, float) and engine != "micrograd" else ""
            )
            cells.append(f"{_seconds(value)}{ratio}")
        elif value:
            mark = NOTES.setdefault(str(value), f"({len(NOTES) + 1})")
            cells.append(f"- {mark}")
        else:
            cells.append("")
    print(f"{workload:<28}" + "".join(f"{c:>20}" for c in cells), flush=True)


def _print_notes() -> None:
    for reason, mark in NOTES.items():
        print(f"  {mark} {reason}")


def _seconds(t: float) -> str:
    if t >= 1:
        return f"{t:.2f} s"
    if t >= 1e-3:
        return f"{t * 1e3:.1f} ms"
    return f"{t * 1e6:.2f} us"


if __name__ == "__main__":
    main()
