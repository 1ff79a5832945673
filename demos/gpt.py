"""Train microgpt's GPT on first names, one name per step, and sample new ones.

Andrej Karpathy's microgpt (gist karpathy/8627fe009c40f57531cb18360106ce95), run on stepgrad:
the same model (nn.GPT: n_embd 16, 4 heads, 1 layer, block_size 16, Gaussian init std 0.08),
the same tokenizer (the sorted letters and one BOS that starts and ends every name), the same
order of documents (a shuffle seeded like microgpt's `random.seed(42)`, whose stream then draws
the weights and, after training, the samples), the same per-step loss (the mean next-token
cross-entropy over a name's positions), the same Adam (lr 0.01, betas 0.85 and 0.99, eps 1e-8)
with microgpt's linear decay lr · (1 - step/steps), and the same sampling (temperature 0.5).
The names are the 1990 US Census first names vendored in nn (nn.datasets.names()), not
microgpt's 32,000 from makemore, so the losses differ a little from its run.

A progress bar shows the step, the loss and steps per second; then come 20 sampled names and two
pictures (--out): gpt.png, the loss curve and every head's attention weights on one name as
heat maps, and gpt_head.svg, the scalar graph of one attention weight, boxed by layer, head
and position.

By default a step is compiled (`nn.GPT.training`): the name's loss traced once per name length
(the token ids are the program's inputs, so one program serves every name of that length),
its forward and backward run as array code, and Adam updates the parameters as one array, so
a step touches no Value. --eager trains on the graph directly: build the loss's graph,
backward(), Adam; both give the same losses to rounding (tests/test_gpt.py holds them to 1e-9).

    $ python -m demos.gpt                 (1,000 steps, a few seconds compiled)
    $ python -m demos.gpt --eager --steps 200 --out /tmp/gpt
"""

from __future__ import annotations

import math
import random
import sys
import time
from pathlib import Path
from typing import NamedTuple

from demos.common import parser, pyplot, save
from nn import GPT, Adam, CharTokenizer, LambdaLR
from nn.datasets import names

STEPS = 1000  # microgpt's num_steps
SEED = 42  # microgpt's random.seed(42)
LR, BETAS, EPS = 0.01, (0.85, 0.99), 1e-8  # microgpt's Adam
TEMPERATURE = 0.5  # microgpt samples at 0.5
SAMPLES = 20
SHOWN = "isabella"  # the name whose attention the figure shows
LAST = 100  # the summary's mean loss is over the last this many steps

# ---- one step's forward and backward, two ways: each returns the loss and fills .grad ----


def eager_step(model: GPT, tokens: list[int]) -> float:
    """Build the name's graph, then backward(): every parameter's .grad gets d loss / d p."""
    loss = model.loss(tokens)
    loss.backward()
    return loss.data


# ---- training ----


class Run(NamedTuple):
    model: GPT
    tokenizer: CharTokenizer
    rng: random.Random  # the seeded stream, after the shuffle and the weights: it samples next
    losses: list[float]  # the loss of each step, before its update
    seconds_per_step: float  # forward, backward and update


class ProgressBar:
    """`step  k/N [#####-----] loss 2.7134  steps/s 71.3`, redrawn in place on a terminal
    (about 20 times a second); elsewhere one line per tenth of the run."""

    def __init__(self, steps: int, width: int = 24) -> None:
        self.steps, self.width = steps, width
        self.start = self.drawn = time.perf_counter()
        self.live = sys.stdout.isatty()
        self.every = max(1, steps // 10)

    def __call__(self, k: int, loss: float) -> None:
        """Show that k steps of `steps` are done, the last with this loss."""
        now = time.perf_counter()
        last = k == self.steps
        if self.live and not last and now - self.drawn < 0.05:
            return
        if not self.live and not last and k % self.every:
            return
        self.drawn = now
        done = round(self.width * k / self.steps)
        rate = k / (now - self.start) if now > self.start else 0.0
        width = len(str(self.steps))
        line = (
            f"step {k:>{width}}/{self.steps} [{'#' * done}{'-' * (self.width - done)}] "
            f"loss {loss:.4f}  steps/s {rate:5.1f}"
        )
        end = "\n" if last or not self.live else ""
        print(f"\r{line}" if self.live else line, end=end, flush=True)


def train(steps: int = STEPS, seed: int = SEED, eager: bool = False) -> Run:
    """Train microgpt's configuration for `steps` steps, one name per step, and return the run.

    rng = random.Random(seed) shuffles the names and then draws the weights, as microgpt's
    global random does after random.seed(42); step k trains on docs[k % len(docs)] (cut to
    block_size + 1 tokens, as microgpt's n = min(block_size, len(tokens) - 1)) with
    lr = 0.01 · (1 - k/steps).
    """
    docs = names()
    rng = random.Random(seed)
    rng.shuffle(docs)
    tokenizer = CharTokenizer(docs)
    model = GPT(tokenizer.vocab_size, seed=rng)
    opt = Adam(model.parameters(), lr=LR, betas=BETAS, eps=EPS)
    schedule = LambdaLR(opt, lambda k: 1 - k / steps)  # microgpt: lr_t = lr * (1 - step/steps)
    training = None if eager else model.training(opt)  # one program per name length
    bar, losses = ProgressBar(steps), []
    start = time.perf_counter()
    for k in range(steps):
        tokens = tokenizer.encode(docs[k % len(docs)])[: model.block_size + 1]
        if training is None:
            loss = eager_step(model, tokens)
            opt.step()
            opt.zero_grad()
        else:
            loss = training(tokens)  # forward, backward and Adam on arrays
        schedule.step()
        losses.append(loss)
        bar(k + 1, loss)
    if training is not None:
        training.sync()
    per_step = (time.perf_counter() - start) / max(steps, 1)
    return Run(model, tokenizer, rng, losses, per_step)


# ---- the figure ----


def figure(run: Run, out: str) -> str | None:
    """Save the loss curve and every head's attention on SHOWN as out/gpt.png; its path."""
    plt = pyplot()
    if plt is None:
        return None
    model, tokenizer = run.model, run.tokenizer
    tokens = tokenizer.encode(SHOWN)[: model.block_size + 1][:-1]  # the positions a loss sees
    looked = model.run(tokens)
    shown = ["BOS" if t == tokenizer.bos else tokenizer.chars[t] for t in tokens]
    heads = [(i, h) for i in range(model.n_layer) for h in range(model.n_head)]
    fig = plt.figure(figsize=(max(10.0, 2.6 * len(heads)), 6.6))
    grid = fig.add_gridspec(2, len(heads), height_ratios=[1.0, 1.25], hspace=0.5, wspace=0.12)
    ax = fig.add_subplot(grid[0, :])
    steps = range(1, len(run.losses) + 1)
    ax.plot(steps, run.losses, color="#9ca3af", linewidth=0.6, label="loss of each step")
    window = min(LAST, len(run.losses))
    means = [sum(run.losses[max(0, k - window) : k]) / min(k, window) for k in steps]
    ax.plot(steps, means, color="#1d4ed8", linewidth=1.6, label=f"mean of the last {window}")
    ax.axhline(
        math.log(model.vocab_size),
        color="#b91c1c",
        linestyle=":",
        linewidth=1.0,
        label=f"a uniform guess, ln {model.vocab_size}",
    )
    ax.set(
        xlabel="step (one name each)",
        ylabel="loss (nats per next letter)",
        title=f"microgpt's GPT on stepgrad: {len(run.losses)} steps, "
        f"mean loss of the last {window} = {means[-1]:.3f}",
    )
    ax.legend(loc="upper right", fontsize=8)
    cmap = plt.get_cmap("viridis").with_extremes(bad="white")  # blank: the unseen future
    image = None
    for n, (i, h) in enumerate(heads):
        ax = fig.add_subplot(grid[1, n])
        table = looked.attention(i, h)
        masked = [
            [w if s <= t else math.nan for s, w in enumerate(row)] for t, row in enumerate(table)
        ]
        image = ax.imshow(masked, cmap=cmap, vmin=0.0, vmax=1.0)
        ax.set_xticks(range(len(shown)), shown, fontsize=7)
        ax.set_yticks(range(len(shown)), shown if n == 0 else [], fontsize=7)
        ax.set(xlabel="attends to (key)", title=f"layer {i}, head {h}")
        if n == 0:
            ax.set_ylabel("at position (query)")
            ax.text(0.0, 1.2, f"attention on {SHOWN!r} after training: row t is what "
                    "position t reads (the future, blank, it cannot)", transform=ax.transAxes,
                    fontsize=10)  # fmt: skip
    if image is not None:
        bar = fig.colorbar(image, ax=fig.axes[1:], shrink=0.85, pad=0.02)
        bar.set_label("attention weight")
    return save(fig, out, "gpt.png")


def head_graph(run: Run, out: str) -> str | None:
    """Draw one attention weight of layer 0, head 0 at position 2 of SHOWN, with the 22 nodes
    nearest it (the head's dot products, scores and softmax, boxed by the labels the model
    gives them), as out/gpt_head.svg; its path, or None without Graphviz."""
    from autograd import draw
    from autograd.viz.dot import dot_program

    if dot_program() is None:
        print("note: no drawing of the head: Graphviz's dot is not installed")
        return None
    tokens = run.tokenizer.encode(SHOWN)[:3]  # BOS i s: position 2 attends to 0, 1 and 2
    weight = run.model.run(tokens).weights[0][0][2][0]
    title = f"one attention weight: layer 0, head 0, position 2 of {SHOWN!r} looking at BOS"
    path = Path(out) / "gpt_head.svg"
    path.parent.mkdir(parents=True, exist_ok=True)
    draw(weight, path, group=True, summary=True, max_nodes=22, show_grad=False, title=title)
    return str(path)


def main(argv: list[str] | None = None) -> None:
    p = parser(__doc__, steps=STEPS, seed=SEED)
    p.add_argument(
        "--eager",
        action="store_true",
        help="train on the graph directly (build it, backward()) instead of a traced program",
    )
    args = p.parse_args(argv)
    if args.steps < 1:
        p.error(f"--steps must be at least 1, got {args.steps}")
    how = "eager" if args.eager else "compiled: one traced program per name length"
    run = train(args.steps, args.seed, eager=args.eager)
    print(f"\n--- {SAMPLES} sampled names (temperature {TEMPERATURE}) ---")
    for k in range(SAMPLES):
        drawn = run.model.sample(run.tokenizer.bos, temperature=TEMPERATURE, seed=run.rng)
        print(f"sample {k + 1:2d}: {run.tokenizer.decode(drawn)}")
    pictures = [path for path in (figure(run, args.out), head_graph(run, args.out)) if path]
    window = min(LAST, len(run.losses))
    mean = sum(run.losses[-window:]) / window
    shown = f"; pictures: {', '.join(pictures)}" if pictures else ""
    print(
        f"gpt: {args.steps} steps ({how}), mean loss of the last {window} steps {mean:.4f} "
        f"nats, {1e3 * run.seconds_per_step:.1f} ms per step, "
        f"{len(run.model.parameters()):,} parameters{shown}"
    )


if __name__ == "__main__":
    main()
