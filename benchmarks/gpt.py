"""One training step of microgpt's GPT on one name, four ways, timed in turns in one process.

The step is forward, backward and Adam (betas 0.85, 0.99) on the name "emma" (6 tokens, 5
positions) with nn.GPT's default configuration (microgpt's: 4,192 parameters):

- microgpt-style: a pure-Python scalar engine and model written in microgpt's style
  (benchmarks/microgpt_engine.py; every weighted sum a chain of + and *), the baseline peer;
- stepgrad eager: `model.loss(tokens)`, `backward()`, `nn.Adam.step()`;
- stepgrad compiled: `nn.GPT.training` (the loss traced once per name length and lifted into
  array code, Adam on the parameters as one array: a step touches no Value);
- PyTorch float64, batched over positions (a causal mask), where torch is installed.

Before anything is timed, the peer's and PyTorch's loss and every gradient are checked against
stepgrad's on the same weights (to 1e-10 relative), so a fast wrong engine cannot win. Each
figure is the median of the rounds; the engines take turns round by round, in a new order each
round, so that drift in a shared machine hits them alike; `gc.freeze()` first moves the
objects already alive (torch's modules) out of the collector's sight, as `python -m
benchmarks` does, and an untimed `gc.collect()` before each step leaves every engine only its
own collector work (the microgpt-style engine's is half its time, as in microgpt itself).
"Per 1,000 steps" is 1,000 times the step on this name (microgpt's names are about this
long on average).

    $ python -m benchmarks.gpt                       (about half a minute)
    $ python -m benchmarks.gpt --rounds 40 --out docs/benchmarks-gpt.txt
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import platform
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as python -m benchmarks (see there)

from autograd import topological_order  # noqa: E402
from benchmarks import microgpt_engine as peer  # noqa: E402
from nn import GPT, Adam, CharTokenizer  # noqa: E402
from nn.datasets import names  # noqa: E402

NAME = "emma"
SEED = 0
LR, BETAS, EPS = 0.01, (0.85, 0.99), 1e-8  # microgpt's Adam
STEPS = 1000  # for the learning-rate decay of the peer's loop, and the "per 1,000 steps" column


# ---- PyTorch float64: the same maths on whole tensors, every position at once ----


def torch_weights(model: GPT) -> dict[str, Any]:
    """The model's matrices as float64 leaf tensors that require grad, by parameter prefix."""
    import torch

    found = {"wte": model.wte, "wpe": model.wpe}
    for i, layer in enumerate(model.layers):
        for name in ("wq", "wk", "wv", "wo"):
            found[f"layers.{i}.attn.{name}"] = getattr(layer.attn, name)
        for name in ("fc1", "fc2"):
            found[f"layers.{i}.mlp.{name}"] = getattr(layer.mlp, name)
    found["lm_head"] = model.lm_head
    return {
        name: torch.tensor(
            [[p.data for p in row] for row in m], dtype=torch.float64
        ).requires_grad_()
        for name, m in found.items()
    }


def torch_loss(weights: dict[str, Any], tokens: list[int], n_head: int) -> Any:
    """microgpt's mean next-token cross-entropy in PyTorch float64: the positions as rows of
    one matrix, attention as (H, T, T) scores with the future masked out."""
    import torch
    import torch.nn.functional as F

    W = weights
    positions = len(tokens) - 1
    inputs, targets = torch.tensor(tokens[:-1]), torch.tensor(tokens[1:])

    def rms(x: Any) -> Any:
        return x * (x.pow(2).mean(-1, keepdim=True) + 1e-5) ** -0.5

    x = rms(W["wte"][inputs] + W["wpe"][:positions])
    embd = x.shape[1]
    d = embd // n_head
    future = ~torch.ones(positions, positions, dtype=torch.bool).tril()
    layer = 0
    while f"layers.{layer}.attn.wq" in W:
        a = f"layers.{layer}.attn."
        h = rms(x)
        q, k, v = (
            (h @ W[a + name].T).view(positions, n_head, d).transpose(0, 1)
            for name in ("wq", "wk", "wv")
        )
        scores = (q @ k.transpose(1, 2)) / math.sqrt(d)
        att = scores.masked_fill(future, float("-inf")).softmax(-1)
        heads = (att @ v).transpose(0, 1).reshape(positions, embd)
        x = heads @ W[a + "wo"].T + x
        m = f"layers.{layer}.mlp."
        x = torch.relu(rms(x) @ W[m + "fc1"].T) @ W[m + "fc2"].T + x
        layer += 1
    return F.cross_entropy(x @ W["lm_head"].T, targets)


def check_torch(model: GPT, tokens: list[int], rel: float = 1e-10) -> float:
    """Raise AssertionError unless PyTorch's loss and every gradient equal stepgrad's on the
    same weights to `rel` (relative; 1e-14 absolute near 0); return PyTorch's loss."""
    weights = torch_weights(model)
    theirs = torch_loss(weights, tokens, model.n_head)
    theirs.backward()
    model.zero_grad()
    ours = model.loss(tokens)
    ours.backward()
    peer._agree("the loss", theirs.item(), ours.data, rel)
    for name, p in model.named_parameters():
        prefix, row, col = name.rsplit(".", 2)
        g = weights[prefix].grad[int(row), int(col)].item()
        peer._agree(f"d loss / d {name}", g, p.grad, rel)
    model.zero_grad()
    return float(theirs.item())


# ---- the four steps: each returns a callable that does one training step ----


def microgpt_step(model: GPT, tokens: list[int]) -> Callable[[], Any]:
    engine = peer.MicroGPT(peer.weights_of(model), model.n_head)
    count = iter(range(10**9))
    return lambda: engine.step(tokens, next(count) % STEPS, STEPS, LR)


def eager_step(model: GPT, tokens: list[int]) -> Callable[[], Any]:
    opt = Adam(model.parameters(), lr=LR, betas=BETAS, eps=EPS)

    def step() -> float:
        loss = model.loss(tokens)
        loss.backward()
        opt.step()
        opt.zero_grad()
        return loss.data

    return step


def compiled_step(model: GPT, tokens: list[int]) -> Callable[[], Any]:
    """The demo's compiled step: `nn.GPT.training` (one traced program per name length)."""
    training = model.training(Adam(model.parameters(), lr=LR, betas=BETAS, eps=EPS))
    return lambda: training(tokens)


def torch_step(model: GPT, tokens: list[int]) -> Callable[[], Any]:
    import torch

    torch.set_num_threads(1)  # one thread, as the scalar engines run
    weights = torch_weights(model)
    opt = torch.optim.Adam(list(weights.values()), lr=LR, betas=BETAS, eps=EPS)

    def step() -> float:
        loss = torch_loss(weights, tokens, model.n_head)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return float(loss.item())

    return step


def have_torch() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


# ---- the run ----


def measure(rounds: int) -> tuple[dict[str, float], dict[str, Any]]:
    """Median seconds per step of each engine, and the facts printed beside them."""
    tokenizer = CharTokenizer(names())
    tokens = tokenizer.encode(NAME)
    model = GPT(tokenizer.vocab_size, seed=SEED)
    facts: dict[str, Any] = {
        "tokens": tokens,
        "parameters": len(model.parameters()),
        "stepgrad nodes": len(topological_order(model.loss(tokens))),
        "microgpt nodes": peer.MicroGPT(peer.weights_of(model), model.n_head).node_count(tokens),
        "peer loss": peer.check_against(model, tokens),
    }
    makers: dict[str, Callable[[GPT, list[int]], Callable[[], Any]]] = {
        "microgpt-style": microgpt_step,
        "stepgrad eager": eager_step,
        "stepgrad compiled": compiled_step,
    }
    if have_torch():
        facts["torch loss"] = check_torch(model, tokens)
        makers["PyTorch float64 batched"] = torch_step
    steps = {
        name: make(GPT(tokenizer.vocab_size, seed=SEED), tokens) for name, make in makers.items()
    }
    for step in steps.values():
        step()  # warm up: first calls (imports, caches, a compiled program's trace)
    gc.collect()
    gc.freeze()
    times: dict[str, list[float]] = {name: [] for name in steps}
    order = list(steps)
    shuffle = random.Random(0).shuffle
    for _ in range(rounds):
        shuffle(order)  # a new order each round: no engine always runs after the same one
        for name in order:
            step = steps[name]
            gc.collect()  # untimed: no engine pays for the collector's work on another's garbage
            start = time.perf_counter()
            step()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}, facts


def report(medians: dict[str, float], facts: dict[str, Any], rounds: int) -> str:
    """The table and the ratios, as text."""
    base = medians["microgpt-style"]
    lines = [
        f"microgpt's GPT, one training step on {NAME!r} ({len(facts['tokens'])} tokens, "
        f"{len(facts['tokens']) - 1} positions, {facts['parameters']:,} parameters); "
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"medians of {rounds} rounds",
        f"graph of one step: stepgrad {facts['stepgrad nodes']:,} nodes, microgpt-style "
        f"{facts['microgpt nodes']:,} nodes",
        "checked first: the peer's loss and every gradient equal stepgrad's to 1e-10"
        + (", and PyTorch's" if "torch loss" in facts else " (PyTorch not installed)"),
        "",
        f"{'engine':<26}{'per step':>12}{'per 1,000 steps':>18}{'vs microgpt-style':>20}",
    ]
    for name, seconds in medians.items():
        lines.append(
            f"{name:<26}{seconds * 1e3:>9.2f} ms{seconds * 1e3:>16.2f} s{base / seconds:>19.1f}x"
        )
    eager = medians["stepgrad eager"]
    lines.append("")
    lines.append(f"stepgrad eager is {base / eager:.1f}x faster than the microgpt-style engine")
    torch_time = medians.get("PyTorch float64 batched")
    if torch_time:
        lines.append(f"stepgrad eager takes {eager / torch_time:.0f}x the time of PyTorch batched")
        compiled = medians["stepgrad compiled"]
        lines.append(f"stepgrad compiled takes {compiled / torch_time:.2f}x PyTorch's time")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=20, help="timed rounds per engine (default 20)")
    p.add_argument("--out", help="also write the report to this file")
    args = p.parse_args(argv)
    if args.rounds < 1:
        p.error(f"--rounds must be at least 1, got {args.rounds}")
    medians, facts = measure(args.rounds)
    text = report(medians, facts, args.rounds)
    print(text)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
