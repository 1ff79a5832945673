"""A hostile user's pass over nn.GPT, its tokenizer and the Studio's messages: each test is a
hole that was found (it failed before its fix) or an edge that holds, against an independent
oracle (the eager model's own logits, hand-derived probabilities, NumPy's draw, the Python
API's own refusal)."""

from __future__ import annotations

import json
import math
import random
from typing import Any

import numpy as np
import pytest

import autograd
from nn import GPT, SGD, CharTokenizer, Studio
from nn.datasets import make
from nn.studio_protocol import MESSAGES
from tests.test_studio_protocol import Wire  # a Session whose replies land in a list

Reply = dict[str, Any]
HUGE = 10**1000  # an int of 1,001 digits


def greedy(model: GPT, bos: int) -> list[int]:
    """The oracle for a vanishing temperature: at each position the id of the largest logit,
    from the eager model's logits over the whole prefix (no key/value cache, no sampling)."""
    drawn: list[int] = []
    prefix = [bos]
    for _ in range(model.block_size):
        with autograd.no_grad():
            logits = [x.data for x in model(prefix)[-1]]
        top = max(range(len(logits)), key=logits.__getitem__)
        assert sorted(logits)[-2] < logits[top]  # no tie: the limit is one id
        if top == bos:
            break
        drawn.append(top)
        prefix.append(top)
        if len(prefix) > model.block_size:
            break
    return drawn


def weighted(vocab: int = 5, seed: int = 3) -> GPT:
    model = GPT(vocab, n_embd=8, n_head=2, block_size=6, seed=0)
    rng = random.Random(seed)
    for p in model.parameters():
        p.data = rng.gauss(0.0, 0.5)
    return model


def rigged(lm_head: list[float]) -> GPT:
    """Every weight 0 but the token embeddings (all e₁) and lm_head's first column, so the
    logits are the same at every position: id k's is lm_head[k] · 16/√(1 + 16e-5) (the
    last vector is rmsnorm(e₁), n_embd = 16)."""
    model = GPT(len(lm_head), n_embd=16, n_head=4, block_size=6, seed=0)
    for p in model.parameters():
        p.data = 0.0
    for row in model.wte:
        row[0].data = 1.0
    for k, row in enumerate(model.lm_head):
        row[0].data = lm_head[k]
    return model


# ---- GPT.sample: the temperature's limits ----


@pytest.mark.parametrize("temperature", [5e-324, 1e-310, 1e-300])
def test_a_vanishing_temperature_draws_the_largest_logit_at_every_position(
    temperature: float,
) -> None:
    # was: 5e-324 and 1e-310 made logits / temperature overflow to ±inf, softmax's inf - inf a
    # nan, and random.choices raised "Total of weights must be finite"
    model = weighted()
    want = greedy(model, 4)
    assert want  # a draw of a few ids, not an empty one
    for seed in range(5):
        assert model.sample(4, temperature=temperature, seed=seed) == want


def test_a_vanishing_temperature_splits_tied_largest_logits_evenly() -> None:
    # ids 0 and 1 share the largest logit (40), id 2's is 36, BOS's -120: in the limit
    # p = (1/2, 1/2, 0, 0) at every position, so the 6 positions draw only 0s and 1s
    model = rigged([10.0, 10.0, 9.0, -30.0])
    draws = [t for seed in range(60) for t in model.sample(3, temperature=1e-320, seed=seed)]
    assert len(draws) == 360 and set(draws) == {0, 1}
    assert 140 <= draws.count(0) <= 220  # Binomial(360, 1/2): mean 180, sd 9.5


def test_an_ordinary_temperature_still_draws_microgpts_numbers() -> None:
    # the shifted form is only taken where the plain quotient overflows: at 0.5 the weights
    # random.choices gets are softmax(x / 0.5), computed here by hand from the eager logits
    model = rigged([1.0, 0.5, -0.25, -2.0])
    with autograd.no_grad():
        logits = [x.data for x in model([3])[-1]]
    exps = [math.exp(x / 0.5 - max(logits) / 0.5) for x in logits]
    probs = [e / sum(exps) for e in exps]
    got: list[int] = []
    for seed in range(3):
        rng = random.Random(seed)
        want, token = [], None
        for _ in range(model.block_size):
            token = rng.choices(range(4), weights=probs)[0]
            if token == 3:
                break
            want.append(token)
        got = model.sample(3, temperature=0.5, seed=random.Random(seed))
        assert got == want


@pytest.mark.parametrize("temperature", [1e300, 1.7976931348623157e308])
def test_a_huge_temperature_draws_evenly(temperature: float) -> None:
    model = rigged([10.0, -10.0, 3.0, -30.0])  # at temperature 1: id 0 all but always
    draws = [t for seed in range(200) for t in model.sample(3, temperature=temperature, seed=seed)]
    counts = [draws.count(k) for k in range(3)]
    assert min(counts) > 0.7 * max(counts)  # p = 1/4 each, BOS included


# ---- GPT.sample: logits that are not numbers ----


@pytest.mark.parametrize(
    ("where", "value", "words"),
    [
        ("lm_head", math.nan, "is nan"),
        ("lm_head", math.inf, "is inf"),
        ("all lm_head", -math.inf, "every logit at position 0 is -inf"),
        ("wpe 1", math.nan, "at position 1 is nan"),
        ("all", math.nan, "is nan"),
    ],
)
def test_logits_that_are_nan_or_inf_are_a_value_error_and_leave_the_random_stream_alone(
    where: str, value: float, words: str
) -> None:
    # was: random.choices' "Total of weights must be finite" (nan weights even drew silently
    # in older Pythons), after the earlier positions had used up draws of the caller's stream
    model = rigged([10.0, 9.0, 8.0, -30.0])
    if where == "lm_head":
        model.lm_head[1][0].data = value
    elif where == "all lm_head":
        for row in model.lm_head:
            row[0].data = value
    elif where == "wpe 1":  # position 0 draws, then position 1's vector is nan
        model.wpe[1][0].data = value
    else:
        for p in model.parameters():
            p.data = value
    rng = random.Random(5)
    before = rng.getstate()
    with pytest.raises(ValueError, match=words) as refused:
        model.sample(3, seed=rng)
    assert "parameters are not all finite" in str(refused.value)
    assert rng.getstate() == before
    assert rng.random() == random.Random(5).random()


def test_a_minus_infinite_logit_is_a_token_that_is_never_drawn() -> None:
    model = rigged([1.0, 1.0, -math.inf, -30.0])  # id 2: logit -inf, probability 0
    draws = [t for seed in range(30) for t in model.sample(3, seed=seed)]
    assert len(draws) == 180 and set(draws) == {0, 1}


# ---- the tokenizer and the token ids: errors quote excerpts ----


def test_an_unknown_character_in_a_huge_text_is_named_with_an_excerpt() -> None:
    # was: the whole 100,001-character text and the 4,968-character vocabulary in the message
    big = CharTokenizer(["".join(chr(c) for c in range(32, 5000))])
    with pytest.raises(ValueError) as refused:
        big.encode("a" * 100_000 + "\U0001f600")
    text = str(refused.value)
    assert len(text) < 300, len(text)
    assert "'\U0001f600' is not in its vocabulary" in text
    assert "character 100000 of the text" in text and "100,001 characters" in text
    assert "4,968 characters" in text


def test_an_unknown_character_in_a_short_text_is_quoted_whole() -> None:
    tok = CharTokenizer(["emma", "ava"])
    with pytest.raises(ValueError, match=r"encode\('emZa'\): the character 'Z' is not in its "):
        tok.encode("emZa")
    with pytest.raises(ValueError, match="'aemv'.*character 2 of the text"):
        tok.encode("emZa")
    assert tok.encode("") == [4, 4] and tok.decode([4, 4]) == ""


@pytest.mark.parametrize(
    "call",
    [
        lambda model, tok: tok.decode([HUGE]),
        lambda model, tok: tok.decode([-HUGE]),
        lambda model, tok: model([HUGE]),
        lambda model, tok: model.loss([4, -HUGE]),
        lambda model, tok: model.sample(HUGE),
        lambda model, tok: model.training(SGD(model.parameters(), lr=0.1))([4, HUGE]),
    ],
)
def test_a_token_id_of_a_thousand_digits_is_named_not_echoed(call: Any) -> None:
    # was: all 1,001 digits in the message
    model, tok = GPT(5, n_embd=4, n_head=2, block_size=4, seed=0), CharTokenizer(["abcd"])
    with pytest.raises(ValueError, match="out of range") as refused:
        call(model, tok)
    assert "an integer of about 1,001 digits" in str(refused.value)
    assert len(str(refused.value)) < 200


# ---- the token ids that hold: refused at the call, with what is accepted ----


@pytest.mark.parametrize(
    ("tokens", "error", "words"),
    [
        ([True, 1], TypeError, "token 0 must be an int token id .* got bool"),
        ([np.bool_(True), 1], TypeError, "got bool"),
        ([1.0, 2], TypeError, "got float: 1.0"),
        ([1, 1.5], TypeError, "token 1 must be an int .* got float: 1.5"),
        ([1, np.float64(2.0)], TypeError, "got float64"),
        ([autograd.Value(1.5), 1], ValueError, "Value holding 1.5, not a token id"),
        ([autograd.Value(math.nan), 1], ValueError, "Value holding nan"),
        ([-1, 2], ValueError, "token 0 is -1, out of range: token ids run from 0 to 4"),
        ([1, 5], ValueError, "token 1 is 5, out of range"),
        ([], ValueError, "at least 2 token ids, got an empty list"),
        ([1], ValueError, "at least 2 token ids, got 1"),
        ([0] * 6, ValueError, "6 token ids, more than block_size=4 \\+ 1"),
        ("ab", TypeError, "got the str 'ab'; encode it first"),
        ([[1], [2]], TypeError, "token 0 must be an int .* got list"),
        ({1, 2}, TypeError, "must be a list of token ids"),
        (np.array([[1, 2]]), TypeError, "must be a list of token ids"),
    ],
)
def test_hostile_token_lists_are_refused_by_loss_and_training_alike(
    tokens: Any, error: type, words: str
) -> None:
    model = GPT(5, n_embd=4, n_head=2, block_size=4, seed=0)
    before = [p.data for p in model.parameters()]
    training = model.training(SGD(model.parameters(), lr=0.1))
    with pytest.raises(error, match=f"GPT.loss {words}|GPT.loss.*{words}"):
        model.loss(tokens)
    with pytest.raises(error, match=words):
        training(tokens)
    assert [p.data for p in model.parameters()] == before and training.programs == {}


def test_numpy_ids_and_id_values_give_the_loss_of_the_same_ints() -> None:
    model = weighted()
    want = model.loss([4, 1, 2, 4]).data
    assert model.loss(np.array([4, 1, 2, 4])).data == want
    assert model.loss([np.int64(4), np.uint8(1), 2, 4]).data == want
    assert model.loss([autograd.Value(4.0), autograd.Value(1.0), 2, 4]).data == want
    assert model.loss((4, 1, 2, 4)).data == want


@pytest.mark.parametrize(
    ("seed", "error", "words"),
    [
        (True, TypeError, "got bool"),
        (1.0, TypeError, "got float"),
        ("1", TypeError, "got str"),
        (np.random.default_rng(0), TypeError, "got Generator"),
    ],
)
def test_a_seed_of_the_wrong_kind_is_refused_by_sample(seed: Any, error: type, words: str) -> None:
    with pytest.raises(error, match=f"seed must be an int, a random.Random or None, {words}"):
        weighted().sample(4, seed=seed)


# ---- the Studio: every message through the widget's comm ----


def state(studio: Studio) -> tuple[Any, ...]:
    return (
        studio.X,
        studio.y,
        studio.is_test,
        studio.selected,
        studio.steps,
        studio.lr,
        studio.l2,
        studio.test,
        studio.dataset,
        studio.noise,
        studio.inputs,
        repr(studio.model),
        studio.model.state_dict(),
    )


def widget_ask(view: Any, message: Any) -> list[Reply]:
    """Deliver `message` as the browser's comm does and return what the widget sent back."""
    sent: list[Reply] = []
    view.send = lambda content, buffers=None: sent.append(content)
    view._handle_custom_msg(message, [])
    return sent


@pytest.fixture
def studio() -> Studio:
    studio = Studio.preset("moons", hidden=[4], n=20)
    studio.step(3)
    return studio


def asker(studio: Studio) -> Any:
    try:
        import anywidget  # noqa: F401
    except ImportError:
        return Wire(studio).ask
    view = studio.view()
    return lambda message: widget_ask(view, message)


def test_a_dataset_message_with_noise_minus_zero_draws_the_set_without_noise(
    studio: Studio,
) -> None:
    # was: NumPy's "scale < 0" (the sign bit of -0.0), as an error naming no field; the same
    # from studio.use_preset("xor", noise=-0.0) and nn.datasets.make("xor", noise=-0.0)
    ask = asker(studio)
    replies = ask({"type": "dataset", "name": "xor", "noise": -0.0})
    assert [r["type"] for r in replies] == ["data", "frame", "settings"], replies
    X, y = make("xor", 20, seed=0, noise=0.0)
    assert studio.X == X and studio.y == y and studio.noise == 0.0
    assert math.copysign(1.0, replies[2]["noise"]) == 1.0
    for control in ({"type": "lr", "value": -0.0}, {"type": "l2", "value": -0.0}):
        (settings,) = ask(control)
        assert math.copysign(1.0, settings[control["type"]]) == 1.0
    studio.test = -0.0
    assert math.copysign(1.0, studio.test) == 1.0
    for name in ("moons", "circles", "xor", "spiral", "linear"):
        assert make(name, 10, noise=-0.0) == make(name, 10, noise=0.0)


def test_a_negative_dataset_seed_is_refused_by_name_not_by_numpy() -> None:
    # was: NumPy's "expected non-negative integer"
    with pytest.raises(ValueError, match="seed must be an int >= 0, got -1"):
        make("moons", 10, seed=-1)
    with pytest.raises(ValueError, match="got an integer of about 301 digits"):
        make("moons", 10, seed=-(10**300))


@pytest.mark.parametrize(
    ("message", "field", "words"),
    [
        ({"type": "select", "index": HUGE}, "index", "for 20 samples (0 to 19)"),
        ({"type": "select", "index": -HUGE}, "index", "for 20 samples (0 to 19)"),
        ({"type": "remove", "index": HUGE}, "index", "for 20 samples (0 to 19)"),
        ({"type": "show", "step": HUGE}, "step", "recorded steps are 0 to 3"),
        ({"type": "graph", "step": -HUGE}, "step", "recorded steps are 0 to 3"),
        ({"type": "neuron", "layer": HUGE, "index": 0}, "layer", "for 2 layers (0 to 1)"),
        ({"type": "neuron", "layer": 0, "index": HUGE}, "index", "for 4 neurons (0 to 3)"),
        ({"type": "play", "steps": -HUGE}, "steps", "must be a positive int"),
    ],
)
def test_an_index_of_a_thousand_digits_gets_a_short_reply_that_keeps_what_is_accepted(
    studio: Studio, message: Reply, field: str, words: str
) -> None:
    # was: the 1,001 digits in the text, cut at 300 characters before the range it accepts
    before = state(studio)
    (reply,) = asker(studio)(message)
    assert reply["type"] == "error" and reply["field"] == field
    assert words in reply["text"] and "an integer of about 1,001 digits" in reply["text"]
    assert len(json.dumps(reply)) < 400
    assert state(studio) == before


@pytest.mark.parametrize("ident", [HUGE, -HUGE], ids=["huge", "minus_huge"])
def test_an_id_of_a_thousand_digits_is_named_not_echoed(studio: Studio, ident: int) -> None:
    # was: "id must be 0 to 2**53 - 1, got 1000000…", the digits cut at 300 characters
    before = state(studio)
    (reply,) = asker(studio)({"type": "step", "id": ident})
    assert reply["field"] == "id" and "reply_to" not in reply
    assert reply["text"] == "id must be 0 to 2**53 - 1, got an integer of about 1,001 digits"
    assert state(studio) == before


def test_the_api_refuses_a_thousand_digit_index_with_the_same_short_words(
    studio: Studio,
) -> None:
    with pytest.raises(IndexError, match=r"sample an integer of about 1,001 digits .*\(0 to 19\)"):
        studio.select(HUGE)
    with pytest.raises(IndexError, match="step an integer of about 1,001 digits"):
        studio.snapshot(-HUGE)


NESTED: Any = [[[[1]]]]
HOSTILE = [
    math.inf,
    -math.inf,
    math.nan,
    "x" * 1_000_000,
    {"a": {"b": 1}},
    NESTED,
    HUGE,
    {"type": "hello"},
]


def _fields() -> list[tuple[str, str]]:
    return [(kind, field.name) for kind, fields in MESSAGES.items() for field in fields]


@pytest.mark.parametrize(("kind", "field"), _fields())
def test_every_field_refuses_every_hostile_value_with_one_short_reply_naming_it(
    studio: Studio, kind: str, field: str
) -> None:
    ask = asker(studio)
    base: Reply = {"type": kind}
    if kind == "add":
        base.update({"x": [0.1, 0.2], "target": 1.0})
    if kind == "dataset":
        base["name"] = "xor"
    if kind == "neuron":
        base.update({"layer": 0, "index": 0})
    before = state(studio)
    for value in HOSTILE:
        if (kind, field, value) == ("reset", "seed", HUGE):
            continue  # any int seeds fresh weights, as studio.reset(10**1000) does
        replies = ask({**base, field: value})
        assert [r["type"] for r in replies] == ["error"], (kind, field, str(value)[:40])
        (reply,) = replies
        assert reply["field"] == field and reply["request"] == kind
        assert reply["error"] in ("TypeError", "ValueError", "IndexError")
        assert len(json.dumps(reply)) < 500
        assert state(studio) == before, (kind, field, str(value)[:40])


@pytest.mark.parametrize(
    ("message", "call"),
    [
        ({"type": "lr", "value": -1e-300}, lambda s: setattr(s, "lr", -1e-300)),
        ({"type": "lr", "value": 10**400}, lambda s: setattr(s, "lr", 10**400)),
        ({"type": "l2", "value": 10.000001}, lambda s: setattr(s, "l2", 10.000001)),
        ({"type": "l2", "value": False}, lambda s: setattr(s, "l2", False)),
        ({"type": "split", "test": 0.9000001}, lambda s: setattr(s, "test", 0.9000001)),
        ({"type": "split", "test": True}, lambda s: setattr(s, "test", True)),
        (
            {"type": "dataset", "name": "xor", "noise": 1.0000001},
            lambda s: s.use_preset("xor", noise=1.0000001),
        ),
        ({"type": "dataset", "name": "XOR"}, lambda s: s.use_preset("XOR")),
        ({"type": "network", "hidden": [33]}, lambda s: s.rebuild([33])),
        ({"type": "network", "hidden": [0]}, lambda s: s.rebuild([0])),
        ({"type": "network", "hidden": [1.0]}, lambda s: s.rebuild([1.0])),
        ({"type": "network", "hidden": [True]}, lambda s: s.rebuild([True])),
        ({"type": "network", "hidden": [1] * 7}, lambda s: s.rebuild([1] * 7)),
        ({"type": "network", "activation": "ReLU"}, lambda s: s.rebuild(activation="ReLU")),
        ({"type": "network", "activation": "gelu"}, lambda s: s.rebuild(activation="gelu")),
        ({"type": "network", "inputs": []}, lambda s: s.rebuild(inputs=[])),
        ({"type": "network", "inputs": ["x1", "x1"]}, lambda s: s.rebuild(inputs=["x1", "x1"])),
        ({"type": "network", "inputs": ["x3"]}, lambda s: s.rebuild(inputs=["x3"])),
        ({"type": "network", "inputs": "x1"}, lambda s: s.rebuild(inputs="x1")),
        ({"type": "maps", "on": 1}, None),
        ({"type": "add", "x": [0.1, 0.2], "target": 0.0}, lambda s: s.add_point([0.1, 0.2], 0)),
        (
            {"type": "add", "x": [0.1, 0.2], "target": 1, "test": 1},
            lambda s: s.add_point([0.1, 0.2], 1, test=1),
        ),
    ],
)
def test_the_playground_controls_refuse_what_the_python_api_refuses_with_its_words(
    studio: Studio, message: Reply, call: Any
) -> None:
    before = state(studio)
    (reply,) = asker(studio)(message)
    assert reply["type"] == "error" and state(studio) == before
    if call is not None:
        with pytest.raises((TypeError, ValueError, IndexError)) as refused:
            call(studio)
        assert reply["error"] == type(refused.value).__name__
        assert reply["text"] == str(refused.value)[:300]
    assert state(studio) == before


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda s: s.record(HUGE), r"record\(an integer of about 1,001 digits\): steps that ran"),
        (lambda s: s.gradients(-HUGE), r"step an integer of about 1,001 digits is out of range"),
        (lambda s: Studio.preset("xor", n=8).gradients(HUGE), "no step has run yet"),
    ],
)
def test_a_thousand_digit_step_of_the_history_is_named_not_echoed(
    studio: Studio, call: Any, words: str
) -> None:
    # was: all 1,001 digits (twice for gradients)
    with pytest.raises(IndexError, match=words) as refused:
        call(studio)
    assert len(str(refused.value)) < 200


def test_a_neuron_graph_of_a_diverged_step_says_so_instead_of_naming_a_grad_never_given(
    studio: Studio,
) -> None:
    # was: "ValueError: grad must be a finite number, got nan", animate's check of an
    # argument the caller never passed; the steps before the divergence still play
    pytest.importorskip("graphviz")
    ask = asker(studio)
    ask({"type": "lr", "value": 1e308})
    ask({"type": "play", "steps": 3})
    assert not all(math.isfinite(p.data) for p in studio.model.parameters())
    (reply,) = ask({"type": "neuron", "layer": 0, "index": 1})
    assert reply["type"] == "graph" and "html" not in reply
    assert "at step 6 the gradient arriving at neuron 1 of layer 1" in reply["error"]
    assert "did training diverge" in reply["error"]
    (reply,) = ask({"type": "neuron", "layer": 0, "index": 1, "step": 3})
    assert reply["type"] == "graph" and "html" in reply
    with pytest.raises(ValueError, match="d loss / d a\\) is nan"):
        studio.neuron_graph(0, 1)


# ---- a GPT trained by a compiled Training, then read without a model(...) call ----


DOCS = [[4, 1, 2, 4], [4, 0, 3, 1, 4], [4, 2, 4]]


def test_loss_run_and_sample_after_compiled_steps_read_the_trained_weights() -> None:
    # was: GPT.loss, run, forward and sample bypass Module.__call__ (which settles), so right
    # after model.training(...) steps they read the Values' stale numbers; sample read them
    # at position 0 and, once a probability's .data had settled the rest, the new ones after
    from nn import Adam

    eager = weighted()
    optimizer = Adam(eager.parameters(), lr=0.1)
    for doc in DOCS * 3:  # the oracle: eager training, loss(doc).backward(); step()
        eager.zero_grad()
        eager.loss(doc).backward()
        optimizer.step()
    want_loss = eager.loss([4, 1, 3, 4]).data
    want_logit = eager.run([4, 1]).logits[1][2].data
    want_samples = [eager.sample(4, seed=s) for s in range(6)]
    want_forward = eager.forward([4, 3])[1][0].data

    def trained() -> GPT:  # the same steps through a traced program; its Values left stale
        model = weighted()
        training = model.training(Adam(model.parameters(), lr=0.1))
        for doc in DOCS * 3:
            training(doc)
        return model

    assert math.isclose(trained().loss([4, 1, 3, 4]).data, want_loss, rel_tol=1e-9)
    assert math.isclose(trained().run([4, 1]).logits[1][2].data, want_logit, rel_tol=1e-9)
    assert math.isclose(trained().forward([4, 3])[1][0].data, want_forward, rel_tol=1e-9)
    got = []
    for s in range(6):
        got.append(trained().sample(4, seed=s))
    assert got == want_samples


def test_a_system_random_stream_still_samples() -> None:
    # random.SystemRandom has no state to keep (getstate raises): sampling must not need one
    model = rigged([10.0, -10.0, -10.0, -30.0])  # id 0 all but certain at every position
    assert model.sample(3, seed=random.SystemRandom()) == [0] * 6
    model.lm_head[1][0].data = math.nan
    with pytest.raises(ValueError, match="logit of token 1 at position 0 is nan"):
        model.sample(3, seed=random.SystemRandom())
