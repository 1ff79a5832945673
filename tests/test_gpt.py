"""nn.GPT, microgpt's model on Values: the maths against PyTorch float64 on the same weights,
causality, microgpt's init, tokenizer, loss and sampling, the pieces, every error the issue
lists, the vendored names, and the demo and benchmark with tiny settings."""

from __future__ import annotations

import math
import random
import re
import shutil
import socket
import string
from pathlib import Path
from typing import Any

import pytest

import autograd
from autograd import Value, gradcheck, topological_order
from nn import (
    GPT,
    CharTokenizer,
    attention,
    attention_scores,
    cross_entropy,
    linear,
    rmsnorm,
    softmax,
)
from nn import datasets as nn_datasets
from nn.datasets import names

LETTERS = CharTokenizer(list(string.ascii_lowercase))  # 26 letters + BOS = 27, as microgpt's


def close(a: float, b: float, rel: float = 1e-10, abs_: float = 1e-14) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


def random_weights(model: GPT, seed: int, scale: float = 0.5) -> None:
    """Weights larger than the init's, so every path carries a gradient a test can see."""
    rng = random.Random(seed)
    for p in model.parameters():
        p.data = rng.gauss(0.0, scale)


# ---- the maths: PyTorch float64 on the same weights, live ----


@pytest.mark.parametrize(
    "config,text,seed",
    [
        ({}, "emma", 0),  # microgpt's configuration
        ({}, "isabella", 1),
        ({"n_embd": 8, "n_head": 2, "n_layer": 2, "block_size": 6}, "ada", 2),
        ({"n_embd": 12, "n_head": 3, "n_layer": 1, "block_size": 5}, "abcd", 3),  # 5 positions
        ({"n_embd": 4, "n_head": 4, "n_layer": 3, "block_size": 8}, "zz", 4),  # head_dim 1
    ],
)
def test_the_loss_and_every_gradient_equal_pytorch_float64_on_the_same_weights(
    config: dict[str, int], text: str, seed: int
) -> None:
    pytest.importorskip("torch")
    from benchmarks.gpt import torch_loss, torch_weights

    model = GPT(LETTERS.vocab_size, seed=seed, **config)
    random_weights(model, seed)
    tokens = LETTERS.encode(text)
    weights = torch_weights(model)
    theirs = torch_loss(weights, tokens, model.n_head)
    theirs.backward()
    loss = model.loss(tokens)
    loss.backward()
    assert close(loss.data, theirs.item())
    checked = 0
    for name, p in model.named_parameters():
        prefix, row, col = name.rsplit(".", 2)
        g = weights[prefix].grad[int(row), int(col)].item()
        assert close(p.grad, g), (name, p.grad, g)
        checked += g != 0.0
    assert checked > len(model.parameters()) // 2  # most gradients are not trivially zero
    from nn import SGD  # and compiled: the traced program's loss and gradient, lr 0

    training = model.training(SGD(model.parameters(), lr=0.0))
    assert close(training(tokens), theirs.item())
    for (name, _), g_ours in zip(model.named_parameters(), training.grad.tolist()):
        prefix, row, col = name.rsplit(".", 2)
        assert close(g_ours, weights[prefix].grad[int(row), int(col)].item()), name


def test_the_logits_equal_pytorchs_at_every_position() -> None:
    pytest.importorskip("torch")
    from benchmarks.gpt import torch_loss, torch_weights

    model = GPT(LETTERS.vocab_size, n_embd=8, n_head=2, block_size=8, seed=5)
    random_weights(model, 5)
    tokens = LETTERS.encode("abba")
    logits = model(tokens[:-1])
    # the loss at each position alone, as torch computes it: -log_softmax(logits_t)[target]
    for t in range(len(tokens) - 1):
        ours = cross_entropy(logits[t], tokens[t + 1]).data
        weights = torch_weights(model)
        prefix = tokens[: t + 2]
        whole = torch_loss(weights, prefix, model.n_head).item() * (t + 1)
        before = torch_loss(weights, tokens[: t + 1], model.n_head).item() * t if t else 0.0
        assert close(ours, whole - before, rel=1e-9), t


# ---- causality ----


def test_changing_a_later_token_changes_no_earlier_logit() -> None:
    model = GPT(LETTERS.vocab_size, seed=0)
    random_weights(model, 6)
    tokens = LETTERS.encode("marion")[:-1]  # BOS m a r i o n: 7 positions
    before = [[v.data for v in row] for row in model(tokens)]
    for k in range(1, len(tokens)):
        changed = list(tokens)
        changed[k] = (changed[k] + 5) % LETTERS.vocab_size
        after = [[v.data for v in row] for row in model(changed)]
        assert after[:k] == before[:k]  # exactly: the same numbers through the same ops
        assert after[k] != before[k]


def test_no_earlier_logit_depends_on_a_later_position_in_the_graph() -> None:
    model = GPT(LETTERS.vocab_size, n_embd=8, n_head=2, seed=1)
    logits = model(LETTERS.encode("eve"))
    later = set(model.wpe[2])  # the position embedding of position 2
    for t in (0, 1):
        reached = set().union(*(topological_order(v) for v in logits[t]))
        assert not later & reached
    assert later <= set(topological_order(logits[2][0]))


# ---- parameters: names, order, microgpt's init ----


def test_the_parameters_are_named_and_ordered_as_the_issue_says() -> None:
    model = GPT(27, seed=0)
    named = model.named_parameters()
    assert len(named) == 4192  # microgpt's "num params: 4192"
    prefixes = list(dict.fromkeys(name.rsplit(".", 2)[0] for name, _ in named))
    assert prefixes == [
        "wte",
        "wpe",
        "layers.0.attn.wq",
        "layers.0.attn.wk",
        "layers.0.attn.wv",
        "layers.0.attn.wo",
        "layers.0.mlp.fc1",
        "layers.0.mlp.fc2",
        "lm_head",
    ]
    shapes = {"wte": (27, 16), "wpe": (16, 16), "layers.0.mlp.fc1": (64, 16)}
    shapes |= {"layers.0.mlp.fc2": (16, 64), "lm_head": (27, 16), "layers.0.attn.wq": (16, 16)}
    for prefix, (rows, cols) in shapes.items():
        mine = [name for name, _ in named if name.rsplit(".", 2)[0] == prefix]
        assert mine == [f"{prefix}.{r}.{c}" for r in range(rows) for c in range(cols)]
    by_name = dict(named)
    assert by_name["layers.0.attn.wq.3.7"] is model.layers[0].attn.wq[3][7]
    assert all(p.label == name for name, p in named)
    deeper = GPT(5, n_layer=3, n_embd=8, n_head=2, seed=0)
    assert [n for n, _ in deeper.named_parameters()][-1] == "lm_head.4.7"
    assert "layers.2.mlp.fc2.7.31" in dict(deeper.named_parameters())


def test_the_weights_are_microgpts_draws_in_microgpts_order() -> None:
    # microgpt: random.seed(42); random.shuffle(docs); then matrix() for wte, wpe, lm_head and
    # each layer's wq, wk, wv, wo, fc1, fc2, row by row, each weight random.gauss(0, 0.08)
    docs = ["emma", "olivia", "ava"]
    theirs = random.Random(42)
    theirs.shuffle(list(docs))
    mine = random.Random(42)
    mine.shuffle(list(docs))
    model = GPT(10, n_embd=8, n_head=2, n_layer=2, block_size=6, seed=mine)
    expected = {}
    shapes = [("wte", 10, 8), ("wpe", 6, 8), ("lm_head", 10, 8)]
    for i in range(2):
        for name, rows, cols in (("wq", 8, 8), ("wk", 8, 8), ("wv", 8, 8), ("wo", 8, 8)):
            shapes.append((f"layers.{i}.attn.{name}", rows, cols))
        shapes += [(f"layers.{i}.mlp.fc1", 32, 8), (f"layers.{i}.mlp.fc2", 8, 32)]
    for prefix, rows, cols in shapes:
        for r in range(rows):
            for c in range(cols):
                expected[f"{prefix}.{r}.{c}"] = theirs.gauss(0, 0.08)
    assert model.state_dict() == {name: expected[name] for name in model.state_dict()}
    assert mine.random() == theirs.random()  # the stream goes on where microgpt's does


def test_the_init_is_gaussian_with_std_0_08_and_repeats_with_its_seed() -> None:
    weights = [p.data for p in GPT(27, seed=3).parameters()]
    mean = sum(weights) / len(weights)
    std = math.sqrt(sum((w - mean) ** 2 for w in weights) / len(weights))
    assert abs(mean) < 0.005 and abs(std - 0.08) < 0.004  # 4,192 draws: a few standard errors
    assert [p.data for p in GPT(27, seed=3).parameters()] == weights
    assert [p.data for p in GPT(27, seed=4).parameters()] != weights


def test_a_model_saves_and_loads_its_weights() -> None:
    model, other = GPT(6, n_embd=4, n_head=2, seed=0), GPT(6, n_embd=4, n_head=2, seed=1)
    other.load_state_dict(model.state_dict())
    tokens = [5, 1, 2, 5]
    assert model.loss(tokens).data == other.loss(tokens).data
    assert repr(model) == "GPT(6, n_embd=4, n_head=2, n_layer=1, block_size=16)"


# ---- the tokenizer and the loss ----


def test_the_tokenizer_is_microgpts_sorted_letters_and_one_bos() -> None:
    tok = CharTokenizer(names())
    assert tok.chars == list(string.ascii_lowercase) and tok.bos == 26 and tok.vocab_size == 27
    assert tok.encode("emma") == [26, 4, 12, 12, 0, 26]  # BOS starts and ends every name
    assert tok.encode("") == [26, 26]
    assert tok.decode(tok.encode("isabella")) == "isabella"
    small = CharTokenizer(["ba", "ca"])
    assert small.chars == ["a", "b", "c"] and small.encode("cab") == [3, 2, 0, 1, 3]
    assert repr(small) == "CharTokenizer('abc' + BOS=3)"


@pytest.mark.parametrize(
    "call,error,message",
    [
        (lambda: CharTokenizer("emma"), TypeError, "a list of strings, got str"),
        (lambda: CharTokenizer(["ok", 3]), TypeError, "document 1 must be a str, got int"),
        (lambda: CharTokenizer([""]), ValueError, "at least one character"),
        (lambda: LETTERS.encode("Emma"), ValueError, "'E' is not in its vocabulary"),
        (lambda: LETTERS.encode(["e"]), TypeError, "needs a str, got list"),
        (lambda: LETTERS.decode([27]), ValueError, "token 0 is 27, out of range"),
        (lambda: LETTERS.decode([1.0]), TypeError, "token 0 must be an int, got float"),
    ],
)
def test_the_tokenizer_refuses_what_it_cannot_read(call: Any, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        call()


def test_the_loss_is_the_mean_next_token_cross_entropy_over_the_positions() -> None:
    model = GPT(LETTERS.vocab_size, n_embd=8, n_head=2, seed=2)
    random_weights(model, 2)
    tokens = LETTERS.encode("leo")  # 4 positions predict l, e, o, BOS
    logits = model(tokens[:-1])
    by_hand = 0.0
    for t in range(4):
        xs = [v.data for v in logits[t]]
        top = max(xs)
        lse = top + math.log(sum(math.exp(x - top) for x in xs))
        by_hand += (lse - xs[tokens[t + 1]]) / 4
    assert close(model.loss(tokens).data, by_hand, rel=1e-13)
    assert close(model.loss(tokens[:2]).data, cross_entropy(logits[0], tokens[1]).data, 1e-15)


def test_the_gradients_match_central_differences_in_a_tiny_model() -> None:
    model = GPT(4, n_embd=4, n_head=2, n_layer=2, block_size=4, seed=0)
    random_weights(model, 7, scale=0.8)
    tokens = [3, 1, 2, 0, 3]
    model.loss(tokens).backward()
    h = 1e-6
    for k, p in enumerate(model.parameters()):
        keep = p.data
        p.data = keep + h
        up = model.loss(tokens).data
        p.data = keep - h
        down = model.loss(tokens).data
        p.data = keep
        assert math.isclose(p.grad, (up - down) / (2 * h), rel_tol=1e-5, abs_tol=1e-8), k


def test_token_ids_held_in_values_give_the_same_loss_and_gradients_as_ints() -> None:
    model = GPT(LETTERS.vocab_size, n_embd=8, n_head=2, seed=3)
    random_weights(model, 3)
    tokens = LETTERS.encode("noah")
    loss = model.loss(tokens)
    loss.backward()
    grads = [p.grad for p in model.parameters()]
    model.zero_grad()
    held = [Value(t) for t in tokens]
    again = model.loss(held)
    again.backward()
    assert again.data == loss.data and [p.grad for p in model.parameters()] == grads
    assert [[v.data for v in row] for row in model(held)] == [
        [v.data for v in row] for row in model(tokens)
    ]
    assert all(t.grad == 0.0 for t in held)  # an index gets no gradient


def test_numpy_integers_are_token_ids() -> None:
    import numpy as np

    model = GPT(5, n_embd=4, n_head=2, seed=0)
    assert model.loss(np.array([4, 1, 2, 4])).data == model.loss([4, 1, 2, 4]).data


# ---- sampling ----


def microgpt_sample(model: GPT, bos: int, temperature: float, rng: random.Random) -> list[int]:
    """The oracle: microgpt's inference loop, each position's logits recomputed from the whole
    prefix by model(...) (no key/value cache), the next id drawn with rng.choices."""
    drawn: list[int] = []
    token_ids = [bos]
    for _ in range(model.block_size):
        with autograd.no_grad():
            logits = model(token_ids)[-1]
            probs = softmax([x / temperature for x in logits])
        token = rng.choices(range(model.vocab_size), weights=[p.data for p in probs])[0]
        if token == bos:
            break
        drawn.append(token)
        token_ids.append(token)
        if len(token_ids) > model.block_size:
            break
    return drawn


@pytest.mark.parametrize("temperature", [1.0, 0.5, 2.0])
def test_sampling_draws_what_microgpts_loop_draws(temperature: float) -> None:
    model = GPT(LETTERS.vocab_size, n_embd=8, n_head=2, block_size=10, seed=4)
    random_weights(model, 4, scale=0.3)
    for seed in range(5):
        ours = model.sample(LETTERS.bos, temperature=temperature, seed=random.Random(seed))
        assert ours == microgpt_sample(model, LETTERS.bos, temperature, random.Random(seed))


def test_sampling_with_a_seed_repeats_and_one_random_stream_goes_on() -> None:
    model = GPT(LETTERS.vocab_size, seed=0)
    random_weights(model, 1, scale=0.3)
    first = [model.sample(LETTERS.bos, seed=s) for s in range(4)]
    assert [model.sample(LETTERS.bos, seed=s) for s in range(4)] == first
    rng = random.Random(9)
    stream = [model.sample(LETTERS.bos, seed=rng) for _ in range(3)]
    rng = random.Random(9)
    assert [model.sample(LETTERS.bos, seed=rng) for _ in range(3)] == stream
    assert len({tuple(s) for s in stream}) > 1
    assert all(LETTERS.bos not in s and len(s) <= model.block_size for s in first + stream)


def rigged(bos_weight: float) -> GPT:
    """A model whose next-token logits are the same at every position: every weight 0 but the
    token embeddings (all e₁) and lm_head, so the last vector is rmsnorm(e₁) ≈ 4·e₁ and the
    logit of id k is 4·lm_head[k][0]: BOS's is 4·bos_weight, the others' 4·10."""
    model = GPT(4, n_embd=16, n_head=4, block_size=6, seed=0)
    for p in model.parameters():
        p.data = 0.0
    for row in model.wte:
        row[0].data = 1.0
    for k, row in enumerate(model.lm_head):
        row[0].data = bos_weight if k == 3 else 10.0
    return model


def test_sampling_stops_when_bos_comes_back_and_leaves_it_out() -> None:
    assert rigged(bos_weight=30.0).sample(3, seed=0) == []  # BOS is all but certain at once
    model = GPT(LETTERS.vocab_size, n_embd=8, n_head=2, block_size=16, seed=0)
    random_weights(model, 8, scale=0.3)
    lengths = {len(model.sample(LETTERS.bos, seed=s)) for s in range(40)}
    assert min(lengths) < 16  # stopped by BOS before the block was full


def test_sampling_stops_when_the_block_is_full() -> None:
    drawn = rigged(bos_weight=-30.0).sample(3, seed=0)  # BOS has probability e^-160
    assert len(drawn) == 6 and set(drawn) <= {0, 1, 2}


@pytest.mark.parametrize(
    "temperature,error,message",
    [
        (0, ValueError, "temperature.* must be > 0, got 0.0"),
        (-0.5, ValueError, "must be > 0, got -0.5"),
        (math.inf, ValueError, "finite number"),
        (True, TypeError, "real number, got bool"),
        ("hot", TypeError, "real number, got str"),
    ],
)
def test_a_temperature_of_zero_or_less_is_refused(
    temperature: Any, error: type, message: str
) -> None:
    with pytest.raises(error, match=message):
        GPT(5, n_embd=4, n_head=2).sample(4, temperature=temperature)


def test_sampling_builds_no_graph_and_refuses_a_bad_bos() -> None:
    model = GPT(5, n_embd=4, n_head=2, seed=0)
    model.sample(4, seed=0)
    assert all(p.grad == 0.0 for p in model.parameters())
    with pytest.raises(ValueError, match="token 0 is 5, out of range"):
        model.sample(5)
    with pytest.raises(TypeError, match="must be an int token id"):
        model.sample("BOS")  # type: ignore[arg-type]


# ---- the errors the issue lists, at the call ----

SMALL = GPT(5, n_embd=4, n_head=2, block_size=4, seed=0)


@pytest.mark.parametrize(
    "call,error,message",
    [
        (lambda: SMALL([1, 5]), ValueError, r"token 1 is 5, out of range: .* 0 to 4"),
        (lambda: SMALL([-1]), ValueError, "token 0 is -1, out of range"),
        (lambda: SMALL.loss([4, 7, 4]), ValueError, "GPT.loss token 1 is 7, out of range"),
        (lambda: SMALL([Value(2.5)]), ValueError, "a Value holding 2.5, not a token id"),
        (lambda: SMALL([Value(9.0)]), ValueError, "a Value holding 9.0, not a token id"),
        (lambda: SMALL([1, 2, 3, 4, 1]), ValueError, "5 token ids, more than block_size=4"),
        (lambda: SMALL.loss([4] * 6), ValueError, r"6 token ids, more than block_size=4 \+ 1"),
        (lambda: SMALL([]), ValueError, "at least one token id, got an empty list"),
        (lambda: SMALL.loss([]), ValueError, "at least 2 token ids, got an empty list"),
        (lambda: SMALL.loss([4]), ValueError, "at least 2 token ids, got 1"),
        (lambda: SMALL([1.0]), TypeError, "token 0 must be an int token id .*got float"),
        (lambda: SMALL([True]), TypeError, "must be an int token id .*got bool"),
        (lambda: SMALL("emma"), TypeError, "encode it first"),
        (lambda: SMALL(3), TypeError, "list of token ids"),
        (lambda: GPT(27, n_embd=16, n_head=3), ValueError, "n_embd=16.* not divisible by"),
        (lambda: GPT(0), ValueError, "vocab_size.* must be a positive int, got 0"),
        (lambda: GPT(27, block_size=0), ValueError, "block_size.* positive int"),
        (lambda: GPT(27.0), TypeError, "vocab_size.* must be an int, got float"),  # type: ignore[arg-type]
        (lambda: GPT(27, n_embd=4096), ValueError, "more than the 10,000,000"),
        (lambda: GPT(27, seed="x"), TypeError, "seed must be an int"),  # type: ignore[arg-type]
        (lambda: SMALL.run([1]).attention(1, 0), ValueError, "layer.* is 1, but the model has 1"),
        (lambda: SMALL.run([1]).attention(0, 2), ValueError, "head.* is 2, but .* 2 heads"),
    ],
)
def test_every_wrong_input_is_refused_at_the_call(call: Any, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        call()


def test_a_document_longer_than_the_block_is_cut_as_microgpt_cuts_it() -> None:
    tokens = LETTERS.encode("abcdefg")  # 9 tokens, 8 positions
    model = GPT(LETTERS.vocab_size, n_embd=4, n_head=2, block_size=4, seed=0)
    with pytest.raises(ValueError, match=r"pass tokens\[:5\]"):
        model.loss(tokens)
    assert model.loss(tokens[: model.block_size + 1]).data > 0


# ---- the run: scores and weights, labelled ----


def test_a_run_holds_every_heads_scores_and_weights_and_a_heat_maps_numbers() -> None:
    model = GPT(LETTERS.vocab_size, n_embd=8, n_head=2, n_layer=2, seed=0)
    random_weights(model, 9)
    tokens = LETTERS.encode("ida")[:-1]
    run = model.run(tokens)
    assert [[v.data for v in row] for row in run.logits] == [
        [v.data for v in row] for row in model(tokens)
    ]
    for i in range(2):
        for h in range(2):
            table = run.attention(i, h)
            assert len(table) == 4 and all(len(row) == 4 for row in table)
            for t, row in enumerate(table):
                assert math.isclose(sum(row), 1.0, rel_tol=1e-12)
                assert row[t + 1 :] == [0.0] * (3 - t)  # the future gets nothing
                scores = [s.data for s in run.scores[i][h][t]]
                top = max(scores)
                total = sum(math.exp(s - top) for s in scores)
                assert all(
                    close(w, math.exp(s - top) / total, rel=1e-13) for w, s in zip(row, scores)
                )
    node = run.weights[1][0][2][1]
    assert node.label == "layers.1.head.0.t.2.weight.1"
    assert run.scores[0][1][3][0].label == "layers.0.head.1.t.3.score.0"


def boxes_of(source: str) -> dict[str, tuple[str, ...]]:
    """{node id: the chain of cluster labels it is drawn in}, read from a drawing's DOT source."""
    where: dict[str, tuple[str, ...]] = {}
    stack: list[str] = []
    pending = False
    for line in source.splitlines():
        text = line.strip()
        if text.startswith("subgraph cluster_"):
            pending = True
        elif pending and text.startswith("label=<"):
            stack.append(text[len("label=<") : text.index(">")])
            pending = False
        elif text == "}" and stack:
            stack.pop()
        elif match := re.match(r'(\w+) \[id="\w+"', text):
            where[match.group(1)] = tuple(stack)
    return where


def test_a_drawing_of_one_heads_scores_boxes_them_by_layer_head_and_position() -> None:
    model = GPT(LETTERS.vocab_size, seed=0)
    weight = model.run(LETTERS.encode("emma")[:3]).weights[0][0][2][0]
    order = topological_order(weight)
    place = {node: k for k, node in enumerate(order, 1)}
    source = autograd.to_dot(weight, group=True, summary=True, max_nodes=22).source
    boxes = boxes_of(source)
    head = ("layers.0", "layers.0.head.0", "layers.0.head.0.t.2")
    labelled = [n for n in order if n.label.startswith("layers.0.head.0.t.2.")]
    assert sorted(n.label.rsplit(".", 2)[1] for n in labelled) == ["qk"] * 3 + ["score"] * 3 + [
        "weight"
    ]
    softmax_ops = [n for n in order[-22:] if n.op in ("shift", "exp", "sum")]
    assert len(softmax_ops) == 5  # one shift, three exponentials, one sum
    for node in labelled + softmax_ops:
        assert boxes[f"v{place[node]}"] == head, node
        assert boxes[f"o{place[node]}"] == head, node
    assert '\trest [label="… 416 more nodes"' in source  # the rest: one box, outside them all


# ---- the pieces ----


def test_rmsnorm_divides_by_the_root_mean_square_and_has_central_difference_gradients() -> None:
    x = [Value(3.0), Value(-4.0), Value(1.0)]
    ms = (9 + 16 + 1) / 3
    assert [v.data for v in rmsnorm(x)] == pytest.approx(
        [v.data / math.sqrt(ms + 1e-5) for v in x], rel=1e-15
    )
    assert gradcheck(
        lambda a, b, c: rmsnorm([a, b, c])[1] * 2 + rmsnorm([a, b, c])[0], [0.3, -1.2, 2.0]
    )
    assert rmsnorm([Value(0.0)], eps=1.0)[0].data == 0.0


def test_linear_is_one_dot_node_per_row() -> None:
    y = linear([Value(1.0), Value(2.0)], [[0.5, -1.0], [2.0, 3.0]])
    assert [v.data for v in y] == [-1.5, 8.0] and [v.op for v in y] == ["dot", "dot"]
    w = [[Value(0.5), Value(-1.0)]]
    x = [Value(1.0), Value(2.0)]
    (z,) = linear(x, w)
    z.backward()
    assert [p.grad for p in w[0]] == [1.0, 2.0] and [p.grad for p in x] == [0.5, -1.0]


def test_attention_is_the_softmax_weighted_sum_of_the_values() -> None:
    q = [Value(0.5), Value(-1.0)]
    keys = [[Value(1.0), Value(0.0)], [Value(0.0), Value(1.0)], [Value(2.0), Value(2.0)]]
    values = [[Value(1.0), Value(10.0)], [Value(2.0), Value(20.0)], [Value(3.0), Value(30.0)]]
    scores = [0.5 / math.sqrt(2), -1.0 / math.sqrt(2), -1.0 / math.sqrt(2)]
    assert [s.data for s in attention_scores(q, keys)] == pytest.approx(scores, rel=1e-15)
    exps = [math.exp(s) for s in scores]
    weights = [e / sum(exps) for e in exps]
    out = attention(q, keys, values)
    expected = [sum(w * v[j].data for w, v in zip(weights, values)) for j in range(2)]
    assert [v.data for v in out] == pytest.approx(expected, rel=1e-14)

    def head(*xs: Value) -> Value:
        qs, ks, vs = list(xs[:2]), [list(xs[2:4]), list(xs[4:6])], [list(xs[6:8]), list(xs[8:])]
        a, b = attention(qs, ks, vs)
        return a + 0.5 * b

    assert gradcheck(head, [0.3, -0.7, 1.1, 0.2, -0.4, 0.9, 1.0, -2.0, 0.5, 3.0])


@pytest.mark.parametrize(
    "call,error,message",
    [
        (lambda: rmsnorm([]), ValueError, "rmsnorm.x. needs at least one element"),
        (lambda: rmsnorm(Value(1.0)), TypeError, "got one Value; pass"),
        (lambda: rmsnorm(["a"]), TypeError, "element 0 must be a Value or a number, got str"),
        (lambda: rmsnorm([Value(1.0)], eps=-1), ValueError, "eps.* must be >= 0"),
        (lambda: linear([1.0, 2.0], [[1.0]]), ValueError, "row 0 has 1 weights for 2 inputs"),
        (lambda: linear([1.0], 3), TypeError, "linear.w. must be a list of rows"),
        (lambda: attention_scores([Value(1.0)], []), ValueError, "at least one position"),
        (
            lambda: attention_scores([Value(1.0)], [[Value(1.0), Value(2.0)]]),
            ValueError,
            r"keys\[0\]\) has 2 elements, expected 1",
        ),
        (
            lambda: attention([Value(1.0)], [[Value(1.0)]], [[Value(1.0)], [Value(2.0)]]),
            ValueError,
            "1 keys but 2 values",
        ),
    ],
)
def test_the_pieces_refuse_wrong_inputs(call: Any, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        call()


def test_the_model_reuses_nns_softmax_and_cross_entropy_and_writes_no_derivative() -> None:
    source = Path(__file__).resolve().parent.parent.joinpath("nn", "gpt.py").read_text()
    assert "softmax(scores)" in source and "_class_loss(" in source
    assert "_backward" not in source and "def softmax" not in source
    assert "log()" not in source and ".exp()" not in source


# ---- the names ----


def test_names_are_thousands_of_distinct_lowercase_first_names_read_offline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_network(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("names() reached for the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    nn_datasets._names.cache_clear()
    docs = names()
    assert len(docs) == 5163
    assert all(re.fullmatch(r"[a-z]{2,11}", name) for name in docs)
    assert docs == sorted(set(docs))
    assert {"emma", "olivia", "isabella", "james", "john"} <= set(docs)
    docs.clear()  # a fresh list each call
    assert len(names()) == 5163


def test_the_names_file_is_package_data_with_its_source_beside_it() -> None:
    root = Path(__file__).resolve().parent.parent
    pyproject = (root / "pyproject.toml").read_text()
    assert '"nn.data" = ["*.txt", "*.md"]' in pyproject
    packages = re.search(r"^packages = \[(.*?)\]", pyproject, re.MULTILINE | re.DOTALL)
    assert packages is not None and '"nn.data"' in packages.group(1)
    readme = (root / "nn" / "data" / "README.md").read_text()
    assert "public domain" in readme and "1990 US Census" in readme
    assert "726e46254f2ed03f1ffb5d941dae3bc67c35123941c29becd02d48d0caa2a671" in readme
    lines = (root / "nn" / "data" / "names.txt").read_text().splitlines()
    assert lines == names()


# ---- the demo and the benchmark, tiny ----


def test_the_demo_trains_samples_and_draws_with_tiny_settings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from demos import gpt as demo

    out = tmp_path / "figures"
    demo.main(["--steps", "3", "--eager", "--out", str(out)])
    lines = capsys.readouterr().out.strip().splitlines()
    bars = [line for line in lines if line.startswith("step ")]
    assert re.fullmatch(r"step 3/3 \[#+\] loss \d\.\d{4}  steps/s +\d+\.\d", bars[-1])
    samples = [line for line in lines if line.startswith("sample ")]
    assert len(samples) == 20 and all(re.fullmatch(r"sample +\d+: [a-z]*", s) for s in samples)
    summary = lines[-1]
    assert summary.startswith("gpt: 3 steps (eager), mean loss of the last 3 steps ")
    picture = out / "gpt.png"
    assert picture.read_bytes()[:4] == b"\x89PNG" and str(picture) in summary
    if shutil.which("dot"):
        graph = (out / "gpt_head.svg").read_text()
        assert str(out / "gpt_head.svg") in summary and "layers.0.head.0.t.2.weight.0" in graph


def test_the_demos_losses_are_microgpts_loop_on_the_same_names() -> None:
    from benchmarks.microgpt_engine import MicroGPT, weights_of
    from demos import gpt as demo

    run = demo.train(steps=3, seed=7, eager=True)
    docs = names()
    rng = random.Random(7)
    rng.shuffle(docs)
    tokenizer = CharTokenizer(docs)
    start = GPT(tokenizer.vocab_size, seed=rng)  # the demo's starting weights
    peer = MicroGPT(weights_of(start), start.n_head)
    for k in range(3):
        tokens = tokenizer.encode(docs[k])[:17]
        assert close(peer.step(tokens, k, 3), run.losses[k], rel=1e-9), k


def test_the_compiled_path_gives_the_eager_losses_over_the_first_50_steps() -> None:
    from demos import gpt as demo

    eager = demo.train(steps=50, seed=3, eager=True).losses
    compiled = demo.train(steps=50, seed=3, eager=False).losses
    assert all(close(a, b, rel=1e-9) for a, b in zip(eager, compiled)) and len(compiled) == 50


def test_the_benchmarks_peer_checks_itself_against_the_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sys

    from benchmarks import microgpt_engine as peer_engine

    limit = sys.getrecursionlimit()
    model = GPT(LETTERS.vocab_size, n_embd=8, n_head=2, seed=0)
    random_weights(model, 10)
    tokens = LETTERS.encode("kai")
    checked = peer_engine.check_against(model, tokens)
    assert close(checked, model.loss(tokens).data, rel=1e-15)
    peer = peer_engine.MicroGPT(peer_engine.weights_of(model), 2)
    assert peer.node_count(tokens) > 3 * len(topological_order(model.loss(tokens)))
    assert sys.getrecursionlimit() == limit  # its deep walk raised the limit only for itself
    loss = peer_engine.MicroGPT.loss
    monkeypatch.setattr(peer_engine.MicroGPT, "loss", lambda self, t: loss(self, t) * 1.0001)
    with pytest.raises(AssertionError, match="the loss: the other engine gives"):
        peer_engine.check_against(model, tokens)  # a wrong engine is caught before timing


# ---- the compiled step (GPT.training): eager's gradients and parameters, no Value built ----


def test_the_compiled_step_gives_eagers_gradient_at_every_document_length() -> None:
    from nn import SGD

    model = GPT(LETTERS.vocab_size, n_embd=8, n_head=2, n_layer=2, block_size=6, seed=0)
    random_weights(model, 11)
    training = model.training(SGD(model.parameters(), lr=0.0))  # lr 0: the weights stay
    for text in ("a", "kai", "abcdefgh"):  # 3, 5 and (cut to the block, as microgpt) 7 tokens
        tokens = LETTERS.encode(text)[: model.block_size + 1]
        loss = training(tokens)
        model.zero_grad()
        eager = model.loss(tokens)
        eager.backward()
        assert close(loss, eager.data, rel=1e-12)
        scale = max(abs(p.grad) for p in model.parameters())
        for p, g in zip(model.parameters(), training.grad.tolist()):
            assert abs(g - p.grad) <= 1e-11 * scale, p.label
    assert sorted(training.programs) == [3, 5, 7]  # one program per length, kept


def test_twenty_compiled_adam_steps_over_names_of_three_lengths_give_eagers_weights() -> None:
    from nn import Adam

    texts = ["ava", "noah", "li", "ava", "mia", "noah"] * 3 + ["li", "li"]
    compiled = GPT(LETTERS.vocab_size, n_embd=8, n_head=2, seed=5)
    eager = GPT(LETTERS.vocab_size, n_embd=8, n_head=2, seed=5)
    training = compiled.training(Adam(compiled.parameters(), lr=0.01))
    opt = Adam(eager.parameters(), lr=0.01)
    for text in texts:
        tokens = LETTERS.encode(text)
        got = training(tokens)
        opt.zero_grad()
        loss = eager.loss(tokens)
        loss.backward()
        opt.step()
        assert close(got, loss.data, rel=1e-12), text
    training.sync()
    for a, b in zip(compiled.parameters(), eager.parameters()):
        assert close(a.data, b.data, rel=1e-12, abs_=1e-13), a.label


def test_a_compiled_gpt_step_builds_and_writes_no_value(monkeypatch: pytest.MonkeyPatch) -> None:
    from nn import SGD

    model = GPT(LETTERS.vocab_size, n_embd=8, n_head=2, seed=1)
    training = model.training(SGD(model.parameters(), lr=0.1))
    tokens = LETTERS.encode("emma")
    training(tokens)  # the first step of this length traces: that builds the graph once
    params = model.parameters()  # (reading them brings the Values up to date)
    before = [p._data for p in params]
    made = []
    init = Value.__init__

    def counted(self: Value, *args: Any, **kwargs: Any) -> None:
        made.append(1)
        init(self, *args, **kwargs)

    monkeypatch.setattr(Value, "__init__", counted)
    for _ in range(3):
        training(tokens)
    monkeypatch.undo()
    assert not made  # three steps and no Value built
    assert [p._data for p in params] == before  # nor written, until read
    assert params[0].data == training.params[0] != before[0]
