"""The compiler's targets (issue 23), each engine timed in turns in one process.

    $ python -m benchmarks.compiler               (about a minute)
    $ python -m benchmarks.compiler --rounds 9 --out docs/benchmarks-compiler.txt

Rows, each one training step (forward, backward, the optimizer's update):
- the moons step, MLP(2, [16, 16, 1]) on 100 points, hinge loss and an L2 term written as
  micrograd's demo writes it, inside the per-sample loss (`hinge + alpha * sum(p*p for p in
  params)`), and outside it (a per-sample hinge, plus `l2_penalty` as a program of its own);
- the digits step: a batch of 128 images, MLP(64, [32, 10]), cross-entropy, Adam;
- the GPT step: microgpt's model on one name ("emma"), Adam.
Engines: `lifted` (nn.trace_loss: the lifted program's backward into .grad, then the optimizer's
step on the Values), `training` (the whole step compiled, nn.Training / nn.GPT.training: no
Value touched), `unlifted` (lift=False: one statement per scalar node, into .grad) and PyTorch
float64 batched (the same maths on whole tensors, torch.optim where the step has an optimizer).

Beside each row: the array operations one step runs (the equations of the program that runs:
forward and backward) and the time to trace it. Every engine's first step is checked against
the eager loop's loss before it is timed, so a fast wrong engine cannot win.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import time
from collections.abc import Callable
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as python -m benchmarks (see there)

import numpy as np  # noqa: E402

from benchmarks import workloads as W  # noqa: E402

ENGINES = ("training", "lifted", "unlifted", "torch")


def _moons(inside: bool, engine: str) -> tuple[Callable[[], float], dict[str, Any]]:
    """One moons step: L2 inside the per-sample loss or outside it."""
    from autograd import trace
    from nn import MLP, SGD, l2_penalty, trace_loss

    X, y = W.moons_data()
    X_array, y_array = np.array(X), np.array(y)
    if engine == "torch":
        step = W.moons_step("torch-batched")
        return step, {}
    model = W._with_weights(MLP(2, [16, 16, 1]), W.start_weights())
    params = model.parameters()
    opt = SGD(params, lr=W.LR)
    if inside:

        def loss(score: Any, t: Any) -> Any:  # micrograd's demo: the L2 term in every sample
            return (1 - t * score).relu() + W.ALPHA * sum(p * p for p in model.parameters())

    else:

        def loss(score: Any, t: Any) -> Any:
            return (1 - t * score).relu()

    start = time.perf_counter()
    traced = trace_loss(model, loss, X[0], y[0], lift=engine != "unlifted")
    penalty = None if inside else trace(lambda: l2_penalty(params, W.ALPHA), params=params)
    seconds = time.perf_counter() - start
    program = traced.program
    count = _count(program) + (_count(penalty) if penalty is not None else 0)
    facts = {"trace s": seconds, "array ops": count}
    if engine == "training" and penalty is None:
        training = traced.training(opt)
        return (lambda: training(X_array, y_array)), facts
    if engine == "training":  # the penalty is a second program: still no Value touched

        def gradient(X: Any, Y: Any, *, params: np.ndarray) -> tuple[float, np.ndarray]:
            loss_value, g = traced.program.gradient(*traced._columns(X, Y), params=params)
            extra, g2 = penalty.gradient(params=params)
            return loss_value + extra, g + g2

        from nn import Training

        training = Training(params, opt, gradient)
        return (lambda: training(X_array, y_array)), facts

    def step() -> float:
        opt.zero_grad()
        value = traced.backward(X_array, y_array)
        if penalty is not None:
            value += penalty.backward()
        opt.step()
        return value

    return step, facts


def _digits(engine: str) -> tuple[Callable[[], float], dict[str, Any]]:
    if engine == "torch":
        return W.digits_step("torch-batched"), {}
    from demos.digits import CLASSES, load
    from nn import MLP, Adam, cross_entropy, trace_loss

    data = load(0)
    X, labels = data.X_train[: W.DIGITS_BATCH], data.y_train[: W.DIGITS_BATCH]
    one_hot = np.eye(CLASSES)[labels]
    model = MLP(64, [32, CLASSES], seed=0, init="kaiming")
    opt = Adam(model.parameters(), lr=0.01)
    start = time.perf_counter()
    traced = trace_loss(model, cross_entropy, X[0], one_hot[0], lift=engine != "unlifted")
    facts = {"trace s": time.perf_counter() - start, "array ops": _count(traced.program)}
    if engine == "training":
        training = traced.training(opt)
        return (lambda: training(X, one_hot)), facts

    def step() -> float:
        opt.zero_grad()
        value = traced.backward(X, one_hot)
        opt.step()
        return value

    return step, facts


def _gpt(engine: str) -> tuple[Callable[[], float], dict[str, Any]]:
    from autograd import trace
    from benchmarks import gpt as G
    from nn import GPT, Adam, CharTokenizer
    from nn.datasets import names

    tokenizer = CharTokenizer(names())
    tokens = tokenizer.encode(G.NAME)
    model = GPT(tokenizer.vocab_size, seed=G.SEED)
    if engine == "torch":
        return G.torch_step(model, tokens), {}
    opt = Adam(model.parameters(), lr=G.LR, betas=G.BETAS, eps=G.EPS)
    start = time.perf_counter()
    program = trace(
        lambda *ids: model.loss(list(ids)),
        *map(float, tokens),
        params=model.parameters(),
        lift=engine != "unlifted",
    )
    facts = {"trace s": time.perf_counter() - start, "array ops": _count(program)}
    if engine == "training":
        training = model.training(opt)
        training(tokens)  # its program, traced at this first call (the trace above is timed)
        return (lambda: training(tokens)), facts
    # a batch of one (arrays): the program itself; one sample given as floats would run its
    # unlifted twin on the float kernels, eager's numbers bit for bit
    ids = [np.array([float(t)]) for t in tokens]

    def step() -> float:
        opt.zero_grad()
        value = program.backward(*ids)
        opt.step()
        return value

    return step, facts


def _count(program: Any) -> int:
    """Array operations of one training step: the equations the backward variant runs (the
    forward pass and the parameters' chain rule), without the comments."""
    from autograd.compile.prune import drop_unread

    ir = drop_unread(program.ir, inputs=False)
    return sum(1 for eq in ir.forward + ir.backward if eq.outs)


ROWS: dict[str, Callable[[str], tuple[Callable[[], float], dict[str, Any]]]] = {
    "moons, L2 inside the loss": lambda e: _moons(True, e),
    "moons, L2 outside the loss": lambda e: _moons(False, e),
    "digits (Adam)": _digits,
    "GPT on 'emma' (Adam)": _gpt,
}


def _available(engine: str) -> bool:
    if engine != "torch":
        return True
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def measure(rounds: int, least: float) -> dict[str, dict[str, Any]]:
    """{row: {engine: {"seconds": median, "array ops": k, "trace s": t}}}."""
    results: dict[str, dict[str, Any]] = {}
    for row, make in ROWS.items():
        steps: dict[str, Callable[[], float]] = {}
        results[row] = {}
        for engine in ENGINES:
            if not _available(engine):
                results[row][engine] = {"why": "torch not installed"}
                continue
            try:
                step, facts = make(engine)
            except SystemExit as why:  # the digits need scikit-learn
                results[row][engine] = {"why": str(why)}
                continue
            step()  # warm up (and a first step: every engine's must be finite)
            if not np.isfinite(step()):
                raise SystemExit(f"{row}, {engine}: a step gave a loss that is not finite")
            steps[engine] = step
            results[row][engine] = dict(facts)
        gc.collect()
        times: dict[str, list[float]] = {e: [] for e in steps}
        for _ in range(rounds):
            for engine, step in steps.items():
                count, start = 0, time.perf_counter()
                while True:
                    step()
                    count += 1
                    if time.perf_counter() - start >= least:
                        break
                times[engine].append((time.perf_counter() - start) / count)
        for engine, ts in times.items():
            results[row][engine]["seconds"] = statistics.median(ts)
    return results


def report(results: dict[str, dict[str, Any]], rounds: int) -> str:
    lines = [
        "the compiler's targets: one training step per row, medians of "
        f"{rounds} rounds; {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, OpenBLAS threads "
        f"{os.environ.get('OPENBLAS_NUM_THREADS')}",
        "",
        f"{'step':<28}{'engine':<10}{'per step':>11}{'x torch':>9}{'array ops':>11}{'trace':>10}",
    ]
    for row, engines in results.items():
        torch_time = engines.get("torch", {}).get("seconds")
        for engine, facts in engines.items():
            if "seconds" not in facts:
                lines.append(f"{row:<28}{engine:<10}{'-':>11}   {facts.get('why', '')}")
                continue
            ratio = f"{facts['seconds'] / torch_time:.2f}" if torch_time else "-"
            ops = str(facts.get("array ops", "-"))
            trace = f"{facts['trace s']:.2f} s" if "trace s" in facts else "-"
            lines.append(
                f"{row:<28}{engine:<10}{_time(facts['seconds']):>11}{ratio:>9}{ops:>11}{trace:>10}"
            )
            row = ""
    return "\n".join(lines)


def _time(t: float) -> str:
    return f"{t * 1e3:.2f} ms" if t >= 1e-3 else f"{t * 1e6:.0f} us"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--least", type=float, default=0.2, help="seconds of calls per round")
    parser.add_argument("--out", help="also write the report to this file")
    args = parser.parse_args(argv)
    text = report(measure(args.rounds, args.least), args.rounds)
    print(text)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")


if __name__ == "__main__":
    main()
