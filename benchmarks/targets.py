"""The speed targets of issue 16 in one short run: each a ratio of two engines timed in turns.

    $ python -m benchmarks.targets             (about a minute)
    $ python -m benchmarks.targets --rounds 9  (steadier on a busy machine)

Prints, per target, both times (medians of the rounds) and their ratio:
- the moons step (100 points): lifted against PyTorch batched (target <= 1, aim 0.5);
- forward + backward of the mean hinge loss at 10,000 points: lifted against PyTorch batched
  (target <= 1) and at 2,000 points: scalar-compiled against lifted (target >= 10);
- the digits training step (batch 128, Adam): lifted against PyTorch batched (target <= 1);
- one optimizer step alone, over the digits MLP's 2,410 Values (Adam) and the moons MLP's 337
  (SGD with momentum), against torch.optim on the same parameters as two tensors a layer.
The full comparison, every engine and size, is `python -m benchmarks`.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as python -m benchmarks (see there)

from benchmarks import workloads as W  # noqa: E402
from benchmarks.__main__ import LEAST, _seconds, _warmed, interleaved  # noqa: E402


def optimizer_step(engine: str, which: str) -> Callable[[], Any]:
    """One optimizer step over an MLP's parameters with fixed gradients: stepgrad's (`Adam` on
    MLP(64, [32, 10]), `SGD` with momentum 0.9 on MLP(2, [16, 16, 1])) or torch.optim's."""
    import numpy as np

    from nn import MLP, SGD, Adam

    model = MLP(64, [32, 10], seed=0) if which == "Adam" else MLP(2, [16, 16, 1], seed=0)
    params = model.parameters()
    grads = np.random.default_rng(0).standard_normal(len(params)) * 1e-3
    if engine == "stepgrad":
        for p, g in zip(params, grads.tolist()):
            p.grad = g
        opt = Adam(params, lr=0.01) if which == "Adam" else SGD(params, lr=0.05, momentum=0.9)
        return opt.step
    torch = W.engine_module("torch")
    tensors = []
    for layer in model.layers:
        shape = (len(layer.neurons), len(layer.neurons[0].w))
        tensors += [
            torch.zeros(shape, dtype=torch.float64),
            torch.zeros(shape[0], dtype=torch.float64),
        ]
    tensors = [t.requires_grad_() for t in tensors]
    for t in tensors:
        t.grad = torch.full_like(t, 1e-3)
    if which == "Adam":
        topt = torch.optim.Adam(tensors, lr=0.01)
    else:
        topt = torch.optim.SGD(tensors, lr=0.05, momentum=0.9)
    return topt.step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds

    def pair(title: str, cases: dict[str, Callable[[], Callable[[], Any]]], per: int = 1) -> None:
        res = interleaved(
            {k: (lambda m=m: _warmed(m())) for k, m in cases.items()}, rounds, 30.0, LEAST
        )
        (a, ta), (b, tb) = res.items()
        print(
            f"{title:<44} {a} {_seconds(ta / per):>10}  {b} {_seconds(tb / per):>10}"
            f"   {a} / {b}: {ta / tb:.2f}",
            flush=True,
        )

    pair(
        "moons step, 100 points",
        {
            "lifted": lambda: W.moons_step("stepgrad-lifted"),
            "torch": lambda: W.moons_step("torch-batched"),
        },
    )
    pair(
        "hinge fwd+bwd, 10,000 points (per sample)",
        {
            "lifted": lambda: W.batch_step("lifted", 10_000),
            "torch": lambda: W.batch_step("torch-batched", 10_000),
        },
        10_000,
    )
    pair(
        "hinge fwd+bwd, 2,000 points (per sample)",
        {
            "compiled": lambda: W.batch_step("compiled", 2_000),
            "lifted": lambda: W.batch_step("lifted", 2_000),
        },
        2_000,
    )
    pair(
        "digits training step, batch 128, Adam",
        {
            "lifted": lambda: W.digits_step("lifted"),
            "torch": lambda: W.digits_step("torch-batched"),
        },
    )
    for which in ("Adam", "SGD"):
        pair(
            f"{which} step alone ({'2,410' if which == 'Adam' else '337'} Values)",
            {
                "stepgrad": lambda w=which: optimizer_step("stepgrad", w),
                "torch": lambda w=which: optimizer_step("torch", w),
            },
        )


if __name__ == "__main__":
    main()
