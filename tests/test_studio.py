"""nn.Studio headless: every step against the eager loop it stands for (losses, parameters,
snapshots, gradients, edited data) over several models, losses and optimizers, on data made
here with NumPy; every bad input at the call; the saved page; the view's messages."""

from __future__ import annotations

import base64
import copy
import json
import math
import re
import subprocess
import sys
import zlib
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import autograd
from autograd import Value
from nn import (
    MLP,
    SGD,
    Adam,
    Layer,
    Module,
    Neuron,
    RMSprop,
    Studio,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge_loss,
    mse_loss,
)
from nn.datasets import NAMES, make, spiral
from nn.studio import DEFAULT_LR

TOL = 1e-9


def close(a: float, b: float, tol: float = TOL) -> bool:
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


def two_blobs(n: int, seed: int) -> tuple[list[list[float]], list[float]]:
    """Points not from the repo's datasets: two Gaussian blobs, labels ±1."""
    rng = np.random.default_rng(seed)
    y = rng.choice([-1.0, 1.0], size=n)
    X = rng.normal(size=(n, 2)) * 0.7 + y[:, None] * [0.8, -0.4]
    return X.tolist(), y.tolist()


def mean_ce(preds: list[Any], targets: list[Any]) -> Value:
    return autograd.sum([cross_entropy(p, int(t)) for p, t in zip(preds, targets)]) / len(preds)


def sum_of_squares(preds: list[Value], targets: list[float]) -> Value:
    return autograd.sum([(p - t) ** 2 for p, t in zip(preds, targets)])


def not_separable(preds: list[Value], targets: list[float]) -> Value:
    """A loss that is no mean of per-sample terms: the squared mean output is added."""
    mean = autograd.sum(preds) / len(preds)
    return hinge_loss(preds, targets) + 0.5 * mean * mean


def bce_01(preds: list[Value], targets: list[float]) -> Value:
    return binary_cross_entropy_with_logits(preds, [(t + 1) / 2 for t in targets])


def zero_one(n: int, seed: int) -> tuple[list[list[float]], list[float]]:
    X, y = two_blobs(n, seed)
    return X, [(t + 1) / 2 for t in y]


Case = tuple[str, Callable[[], Module], Callable[[], tuple[Any, Any]], Any, Any, Any]

CASES: list[Case] = [
    # name, model, data, studio loss, eager list loss, optimizer
    ("hinge-sgd", lambda: MLP(2, [8, 8, 1], seed=1), lambda: two_blobs(40, 7), None, hinge_loss,
     lambda ps: SGD(ps, lr=0.05)),
    ("ce-adam", lambda: MLP(2, [6, 3], seed=2), lambda: spiral(45, classes=3, seed=4), None,
     mean_ce, lambda ps: Adam(ps, lr=0.02)),
    ("mse-momentum", lambda: MLP(3, [5, 1], "tanh", seed=3), None, None, mse_loss,
     lambda ps: SGD(ps, lr=0.05, momentum=0.9, nesterov=True)),
    ("custom-mean-rmsprop", lambda: MLP(2, [4, 1], "sigmoid", seed=5), lambda: two_blobs(30, 1),
     bce_01, bce_01, lambda ps: RMSprop(ps, lr=0.01, momentum=0.5)),
    ("custom-sum", lambda: Neuron(2, "linear", seed=6), lambda: two_blobs(25, 2),
     sum_of_squares, sum_of_squares, lambda ps: SGD(ps, lr=0.002)),
    ("custom-batch", lambda: Layer(2, 1, "linear", seed=8), lambda: two_blobs(20, 3),
     not_separable, not_separable, lambda ps: SGD(ps, lr=0.1, weight_decay=0.01)),
    ("nn-mse-passed", lambda: MLP(3, [4, 1], seed=11), None, mse_loss, mse_loss,
     lambda ps: SGD(ps, lr=0.05)),
    ("nn-bce-passed", lambda: MLP(2, [4, 1], "tanh", "sigmoid", seed=12),
     lambda: zero_one(30, 4), binary_cross_entropy, binary_cross_entropy,
     lambda ps: Adam(ps, lr=0.02)),
    ("nn-ce-passed", lambda: MLP(2, [5, 3], seed=13), lambda: spiral(30, classes=3, seed=5),
     cross_entropy, mean_ce, lambda ps: SGD(ps, lr=0.1)),
]  # fmt: skip


def regression(n: int = 30, seed: int = 9) -> tuple[list[list[float]], list[float]]:
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n, 3))
    y = np.sin(X[:, 0] * 2) + X[:, 1] * X[:, 2] + rng.normal(scale=0.05, size=n)
    return X.tolist(), y.tolist()


def build(case: Case) -> tuple[Studio, Module, Any, Any, Any, Any]:
    """The Studio and, beside it, a copy of the model with its own optimizer for the eager loop."""
    _, make_model, data, loss, eager_loss, make_opt = case
    X, y = data() if data else regression()
    model, twin = make_model(), make_model()
    studio = Studio(model, X, y, loss=loss, optimizer=make_opt(model.parameters()))
    return studio, twin, make_opt(twin.parameters()), eager_loss, X, y


def eager_step(model: Module, opt: Any, loss_fn: Any, X: Any, y: Any) -> tuple[float, list[float]]:
    loss = loss_fn([model(x) for x in X], list(y))
    model.zero_grad()
    loss.backward()
    grads = [p.grad for p in model.parameters()]
    opt.step()
    return loss.data, grads


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_every_step_gives_the_eager_loops_loss_parameters_and_gradients(case: Case) -> None:
    studio, twin, opt, loss_fn, X, y = build(case)
    for k in range(1, 13):
        got = studio.step()
        want, grads = eager_step(twin, opt, loss_fn, X, y)
        assert close(got, want) and close(studio.history[-1]["loss"], want), (k, got, want)
        assert all(close(a, b) for a, b in zip(studio.gradients(k).values(), grads))
        snap = studio.snapshot(k)
        assert list(snap) == [name for name, _ in twin.named_parameters()]
        assert all(close(a, p.data) for a, p in zip(snap.values(), twin.parameters()))
    assert [r["step"] for r in studio.history] == list(range(1, 13))


def test_nns_own_losses_are_traced_per_sample_and_any_other_loss_runs_the_eager_loop() -> None:
    ways = {c[0]: build(c)[0].traced_as for c in CASES}
    assert ways == {
        "hinge-sgd": "per sample, mean",
        "ce-adam": "per sample, mean",
        "mse-momentum": "per sample, mean",
        "custom-mean-rmsprop": "eager",  # a mean, but no probe can prove it of a loss
        "custom-sum": "eager",
        "custom-batch": "eager",
        "nn-mse-passed": "per sample, mean",
        "nn-bce-passed": "per sample, mean",
        "nn-ce-passed": "per sample, mean",
    }


@pytest.mark.parametrize("threshold", [0.6, 0.3])
def test_a_loss_that_looks_per_sample_at_the_start_trains_as_the_eager_loop_every_step(
    threshold: float,
) -> None:
    def loss(preds: list[Value], targets: list[float]) -> Value:  # ops only, no Python branch
        return mse_loss(preds, targets) + (preds[0] - threshold).relu()

    X, y = [[0.5, -0.3], [1.0, 0.2], [-0.4, 0.8]], [2.0, -0.2, 0.5]
    model, twin = MLP(2, [3, 1], seed=3), MLP(2, [3, 1], seed=3)
    studio = Studio(model, X, y, loss=loss, optimizer=SGD(model.parameters(), lr=0.1))
    opt = SGD(twin.parameters(), lr=0.1)
    for k in range(1, 81):
        got = studio.step()
        want, grads = eager_step(twin, opt, loss, X, y)
        assert close(got, want), (k, got, want)
        assert all(close(a, b) for a, b in zip(studio.gradients(k).values(), grads)), k
    assert all(close(p.data, q.data) for p, q in zip(model.parameters(), twin.parameters()))
    assert studio.traced_as == "eager"


def test_a_loss_that_branches_on_data_trains_as_the_eager_loop() -> None:
    def hardest(preds: list[Value], targets: list[float]) -> Value:  # a Python max: a branch
        worst = max(((p - t) ** 2 for p, t in zip(preds, targets)), key=lambda v: v.data)
        return worst + mse_loss(preds, targets)

    X, y = two_blobs(20, 5)
    model, twin = MLP(2, [4, 1], seed=0), MLP(2, [4, 1], seed=0)
    studio = Studio(model, X, y, loss=hardest, optimizer=SGD(model.parameters(), lr=0.05))
    opt = SGD(twin.parameters(), lr=0.05)
    for _ in range(30):
        got = studio.step()
        want, _ = eager_step(twin, opt, hardest, X, y)
        assert close(got, want)
    assert all(close(p.data, q.data) for p, q in zip(model.parameters(), twin.parameters()))


def test_adding_and_removing_points_trains_on_the_new_data_as_the_eager_loop_would() -> None:
    for case in (CASES[0], CASES[1], CASES[5]):
        studio, twin, opt, loss_fn, X, y = build(case)
        X, y = list(X), list(y)
        studio.step(3)
        for _ in range(3):
            eager_step(twin, opt, loss_fn, X, y)
        new_target = y[0]
        i = studio.add_point([0.3, -1.2], new_target)
        X.append([0.3, -1.2])
        y.append(new_target)
        assert i == len(X) - 1 and studio.X[-1] == [0.3, -1.2] and len(studio.y) == len(y)
        for _ in range(3):
            assert close(studio.step(), eager_step(twin, opt, loss_fn, X, y)[0])
        studio.remove_point(4)
        del X[4], y[4]
        studio.remove_point(-1)
        del X[-1], y[-1]
        for _ in range(3):
            assert close(studio.step(), eager_step(twin, opt, loss_fn, X, y)[0])
        assert [r["points"] for r in studio.history] == [len(X) + 1] * 3 + [len(X) + 2] * 3 + [
            len(X)
        ] * 3
        snap = studio.snapshot(-1)
        assert all(close(a, p.data) for a, p in zip(snap.values(), twin.parameters()))


def test_accuracy_is_the_share_the_model_gets_right_before_each_update() -> None:
    X, y = two_blobs(30, 11)
    model, twin = MLP(2, [6, 1], seed=4), MLP(2, [6, 1], seed=4)
    studio = Studio(model, X, y)
    opt = SGD(twin.parameters(), lr=0.1)
    for _ in range(5):
        right = np.mean([(twin(x).data > 0) == (t > 0) for x, t in zip(X, y)])
        studio.step()
        eager_step(twin, opt, hinge_loss, X, y)
        assert studio.history[-1]["accuracy"] == pytest.approx(right, abs=1e-12)
    Xr, yr = regression()
    assert Studio(MLP(3, [4, 1], seed=0), Xr, yr).step() and all(
        r["accuracy"] is None for r in Studio(MLP(3, [4, 1], seed=0), Xr, yr).history
    )


def test_snapshot_zero_is_the_start_and_snapshots_do_not_change_afterwards() -> None:
    model = MLP(2, [5, 1], seed=3)
    start = copy.deepcopy(model.state_dict())
    studio = Studio(model, *two_blobs(20, 0))
    studio.step(4)
    after_two = studio.snapshot(2)
    studio.step(4)
    assert studio.snapshot(0) == start and studio.snapshot(2) == after_two
    assert studio.snapshot(-1) == model.state_dict() == studio.snapshot(8)


def test_reset_repeats_the_run_and_reset_with_a_seed_draws_that_seeds_weights() -> None:
    model = MLP(2, [5, 1], seed=3)
    studio = Studio(model, *two_blobs(20, 0), optimizer=Adam(model.parameters(), lr=0.05))
    first = [studio.step() for _ in range(6)]
    studio.reset()
    assert studio.steps == 0 and studio.history == [] and studio.optimizer.steps == 0
    assert [studio.step() for _ in range(6)] == first  # Adam's moments started again too
    studio.reset(seed=12)
    assert studio.snapshot(0) == MLP(2, [5, 1], seed=12).state_dict()


@pytest.mark.parametrize(
    "make_model",
    [
        lambda seed: MLP(2, [4, 1], seed=seed, init="xavier"),
        lambda seed: MLP(2, [5, 1], "tanh", seed=seed, init="lecun"),
        lambda seed: Layer(2, 1, "linear", seed=seed, init="xavier"),
        lambda seed: Neuron(2, "linear", seed=seed, init="kaiming"),
        lambda seed: Neuron(2, "linear", seed=seed, init="xavier", fan_out=7),
    ],
)
def test_reset_with_a_seed_draws_as_the_models_own_init_does(make_model: Any) -> None:
    studio = Studio(make_model(0), *two_blobs(12, 1))
    studio.step(2)
    studio.reset(seed=5)
    assert studio.snapshot(0) == make_model(5).state_dict() == studio.model.state_dict()


def test_select_names_the_sample_and_removing_points_keeps_it_pointing_at_the_same_row() -> None:
    studio = Studio(MLP(2, [3, 1], seed=0), *two_blobs(10, 0))
    row = studio.X[6]
    studio.select(6)
    studio.remove_point(2)
    assert studio.selected == 5 and studio.X[studio.selected] == row
    studio.select(-1)
    assert studio.selected == len(studio.y) - 1


def test_the_presets_are_seeded_two_class_sets() -> None:
    for name in NAMES:
        X, y = make(name, 60, seed=3)
        assert (X, y) == make(name, 60, seed=3) and len(X) == len(y) == 60
        assert set(y) == {-1.0, 1.0} and all(len(r) == 2 for r in X)
    studio = Studio.preset("spiral", hidden=[4])
    assert repr(studio.model) == "MLP(2, [4, 1], 'relu')" and len(studio.y) == 100


# ---- bad inputs, at the call ----

X4, Y4 = [[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]], [1.0, -1.0, 1.0, -1.0]


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: Studio("model", X4, Y4), TypeError, "nn.Module"),
        (lambda: Studio(MLP(2, [1]), X4, Y4[:3]), ValueError, "4 rows but y has 3"),
        (lambda: Studio(MLP(2, [1]), [[0.0, 1.0, 2.0]] * 4, Y4), ValueError, "takes 2 input"),
        (lambda: Studio(MLP(2, [1]), [[0.0, "a"]] * 4, Y4), TypeError, r"X\[0\]\[1\]"),
        (
            lambda: Studio(MLP(2, [1]), [[0.0, 1.0], [1.0], [1.0, 1.0], [0.0, 0.0]], Y4),
            ValueError,
            r"X\[1\] has 1 number",
        ),
        (
            lambda: Studio(MLP(2, [1]), [[0.0, 1.0]] * 4, [1.0, -1.0, math.inf, 1.0]),
            ValueError,
            r"y\[2\] must be a finite number",
        ),
        (lambda: Studio(MLP(2, [1]), [[0.0, math.nan]] * 4, Y4), ValueError, "finite"),
        (lambda: Studio(MLP(2, [1]), [0.0, 1.0], [1.0, -1.0]), TypeError, "list of rows"),
        (lambda: Studio(MLP(2, [1]), [], []), ValueError, "empty"),
        (lambda: Studio(MLP(2, [1]), np.zeros((4, 3)), Y4), ValueError, "3 column"),
        (lambda: Studio(MLP(2, [1]), X4, "abcd"), TypeError, "list of targets"),
        (lambda: Studio(MLP(2, [1]), X4, [1.0, None, 1.0, 1.0]), TypeError, r"y\[1\]"),
        (lambda: Studio(MLP(2, [3]), X4, [0, 1, 2, 3]), ValueError, "class indices 0 to 2"),
        (lambda: Studio(MLP(2, [3]), X4, [0, 1.5, 2, 0]), ValueError, "class indices"),
        (lambda: Studio(MLP(2, [1]), X4, Y4, loss="mse"), TypeError, "callable"),
        (lambda: Studio(MLP(2, [1]), X4, Y4, optimizer=0.1), TypeError, "nn optimizer"),
        (
            lambda: Studio(MLP(2, [1]), X4, Y4, optimizer=SGD(MLP(2, [1]).parameters(), lr=0.1)),
            ValueError,
            "not this model's parameters",
        ),
    ],
)
def test_a_bad_argument_to_studio_is_named_at_the_call(call: Any, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        call()


def fresh() -> Studio:
    return Studio(MLP(2, [3, 1], seed=0), X4, Y4)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda s: s.step(0), ValueError, "positive"),
        (lambda s: s.step(1.5), TypeError, "int"),
        (lambda s: s.select(4), IndexError, "out of range for 4 samples"),
        (lambda s: s.select(-5), IndexError, "out of range"),
        (lambda s: s.select("0"), TypeError, "int"),
        (lambda s: s.remove_point(7), IndexError, "out of range"),
        (lambda s: s.add_point([1.0], 1.0), ValueError, "takes 2 input"),
        (lambda s: s.add_point([1.0, "x"], 1.0), TypeError, r"add_point\(x\)\[1\]"),
        (lambda s: s.add_point(3.0, 1.0), TypeError, "row of numbers"),
        (lambda s: s.add_point([1.0, 2.0], 0.5), ValueError, "hinge loss"),
        (lambda s: s.add_point([1.0, 2.0], "1"), TypeError, "real number"),
        (lambda s: s.snapshot(2), IndexError, "0 to 0"),
        (lambda s: s.snapshot(None), TypeError, "int"),
        (lambda s: s.gradients(1), IndexError, r"gradients\(1\): no step has run yet"),
        (lambda s: s.gradients(-1), IndexError, r"gradients\(-1\): no step has run yet"),
        (lambda s: s.reset(seed="a"), TypeError, "int or None"),
        (lambda s: s.save(3), TypeError, "file path"),
        (lambda s: s.save("run.png"), ValueError, ".html"),
    ],
)
def test_a_bad_argument_to_a_studio_method_is_named_at_the_call(
    call: Any, error: type, match: str
) -> None:
    studio = fresh()
    with pytest.raises(error, match=match):
        call(studio)
    assert studio.steps == 0 and len(studio.y) == 4  # nothing changed


def test_gradients_takes_steps_one_to_steps_or_minus_steps_to_minus_one_and_no_other() -> None:
    studio = fresh()
    model, X, y = copy.deepcopy(studio.model), studio.X, studio.y
    opt = SGD(model.parameters(), lr=DEFAULT_LR)
    studio.step(3)
    eager = [eager_step(model, opt, hinge_loss, X, y)[1] for _ in range(3)]
    for k in (1, 2, 3):
        assert list(studio.gradients(k).values()) == pytest.approx(eager[k - 1], rel=1e-9)
        assert studio.gradients(-k) == studio.gradients(4 - k)
    for k in (4, -4, 0):
        with pytest.raises(IndexError, match=rf"gradients\({k}\)"):
            studio.gradients(k)
    with pytest.raises(IndexError, match=r"1 to 3 \(or -3 to -1"):
        studio.gradients(-4)


def test_the_last_point_cannot_be_removed() -> None:
    studio = Studio(MLP(2, [1], seed=0), [[0.0, 1.0]], [1.0])
    with pytest.raises(ValueError, match="last sample"):
        studio.remove_point(0)


# ---- the saved page and the view's messages ----


def saved_run(path: Any) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    return dict(json.loads(text.split('type="application/json">', 1)[1].split("</script>", 1)[0]))


def saved_buffer(run: dict[str, Any], frame: dict[str, Any], name: str) -> np.ndarray:
    """One buffer of a saved frame, from the page's compressed blob."""
    blob = zlib.decompress(base64.b64decode(run["blob"]))
    for buffer, dtype, count, offset in frame["buffers"]:
        if buffer == name:
            kind = "<f4" if dtype == "f4" else np.uint8
            return np.frombuffer(blob, dtype=kind, count=count, offset=offset)
    raise KeyError(name)


def test_save_writes_one_page_with_every_steps_frame_and_replaces_a_file_whole(
    tmp_path: Any,
) -> None:
    studio = Studio.preset("moons")
    studio.step(200)
    path = studio.save(tmp_path / "run.html")
    text = path.read_text(encoding="utf-8")
    assert path.stat().st_size < 2_000_000
    assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//", text)  # nothing fetched
    run = saved_run(path)
    assert [f["step"] for f in run["frames"]] == list(range(201))
    for k in (0, 57, 200):
        want = np.array(list(studio.snapshot(k).values()), dtype=np.float32)
        assert np.array_equal(saved_buffer(run, run["frames"][k], "params"), want)
        assert run["frames"][k]["sample"]["loss"] == studio.frame(k)["sample"]["loss"]
    losses = [r["loss"] for r in studio.history]
    assert [r[1] for r in run["records"]] == pytest.approx(losses, rel=1e-5)  # 6 digits
    (tmp_path / "folder.html").mkdir()
    with pytest.raises(IsADirectoryError):
        studio.save(tmp_path / "folder.html")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder.html", "run.html"]
    studio.step()
    assert studio.save(path) == path and len(saved_run(path)["records"]) == 201  # replaced


def test_a_long_run_saves_frames_spread_over_it_and_every_record() -> None:
    from nn.studio_protocol import SAVED_FRAMES, saved_frames

    assert saved_frames(3) == [0, 1, 2, 3]
    spread = saved_frames(10_000)
    assert len(spread) == SAVED_FRAMES and spread[0] == 0 and spread[-1] == 10_000
    assert spread == sorted(set(spread))


def test_import_nn_and_a_headless_run_load_no_widget_package() -> None:
    code = (
        "import sys, nn\n"
        "s = nn.Studio.preset('xor', hidden=[4]); s.step(3)\n"
        "print(sorted(m for m in ('anywidget', 'ipywidgets', 'traitlets') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_views_messages_answer_what_the_script_asks_and_each_frame_is_small() -> None:
    pytest.importorskip("anywidget")
    studio = Studio.preset("moons")
    view = studio.view()
    sent: list[tuple[dict[str, Any], list[bytes]]] = []
    view.send = lambda content, buffers=None: sent.append((content, list(buffers or [])))

    def ask(**message: Any) -> list[dict[str, Any]]:
        sent.clear()
        view._handle_custom_msg(message, [])  # as the browser's message arrives
        return [content for content, _ in sent]

    setup, settings, data, frame = ask(type="hello")
    assert setup["type"] == "setup" and setup["network"]["sizes"] == [2, 16, 16, 1]
    assert settings == {"type": "settings", "lr": 0.1, "l2": 0.0, "test": 0.0, "noise": 0.1,
                        "dataset": "moons", "maps": True}  # fmt: skip
    assert data["type"] == "data" and len(data["X"]) == 100 and data["steps"] == 0
    for _ in range(5):
        (frame,) = ask(type="play", steps=2)
        size = len(json.dumps(frame)) + sum(len(b) for b in sent[0][1])
        assert size < 50_000
    assert studio.steps == 10 and frame["step"] == 10 and len(frame["records"]) == 2
    names = [name for name, _, _ in frame["buffers"]]
    got = np.frombuffer(sent[0][1][names.index("params")], dtype="<f4")
    assert np.array_equal(got, np.array(list(studio.snapshot(10).values()), dtype=np.float32))
    (past,) = ask(type="show", step=3)
    assert past["type"] == "frame" and past["step"] == 3 and past["points"]["version"] == 0
    data, frame = ask(type="add", x=[0.1, 0.2], target=1.0)
    assert data["type"] == "data" and len(data["X"]) == 101 and studio.y[-1] == 1.0
    (error,) = ask(type="add", x=[0.1, 0.2], target=0.5)
    assert error["type"] == "error" and "hinge loss" in error["text"]
    (error,) = ask(type="select")
    assert error["type"] == "error" and "index" in error["text"]
    (settings,) = ask(type="lr", value=0.25)
    assert studio.lr == 0.25 and settings["lr"] == 0.25
    ask(type="reset")
    assert studio.steps == 0 and studio.optimizer.lr == 0.25
    ask(type="dataset", name="circles")
    assert studio.X == make("circles", 101, seed=0)[0]


def test_the_selected_samples_graph_is_its_own_loss_at_that_step() -> None:
    pytest.importorskip("graphviz")
    import shutil

    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed")
    studio = Studio(MLP(2, [3, 1], seed=0), *two_blobs(12, 0))
    studio.step(5)
    studio.select(4)
    page = studio.graph(2)
    twin = MLP(2, [3, 1], seed=0)
    twin.load_state_dict(studio.snapshot(2))
    loss = hinge_loss([twin(studio.X[4])], [studio.y[4]])
    assert page.nodes == len(autograd.topological_order(loss))
    assert f"{loss.data:.4g}" in page.html
    assert studio.snapshot(-1) == studio.model.state_dict()  # the live model is untouched


def test_the_plane_stays_put_for_points_inside_it_and_grows_for_one_outside() -> None:
    studio = Studio.preset("moons")
    plane = studio.plane
    assert plane is not None
    studio.add_point([0.0, 0.0], 1.0)
    assert studio.plane == plane
    studio.add_point([plane[1] + 1.0, 0.0], 1.0)
    x0, x1, y0, y1 = studio.plane  # type: ignore[misc]
    assert x0 <= plane[0] and x1 > plane[1] + 1.0 and y0 <= plane[2] and y1 >= plane[3]


def test_predictions_are_the_models_outputs_and_eager_loss_is_the_list_loss() -> None:
    X, y = spiral(30, classes=3, seed=2)
    model = MLP(2, [5, 3], seed=1)
    studio = Studio(model, X, y)
    studio.step(3)
    got = studio.predictions()
    want = [[v.data for v in model(x)] for x in X]
    assert got.shape == (30, 3) and np.allclose(got, want, rtol=1e-12, atol=0)
    assert close(studio.eager_loss().data, mean_ce([model(x) for x in X], y).data, 1e-15)
    assert np.allclose(studio.predictions([[0.5, -0.5]]), [[v.data for v in model([0.5, -0.5])]])


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: make("blobs"), ValueError, "moons, circles, xor, spiral, linear"),
        (lambda: make(3), TypeError, "str"),
        (lambda: make("moons", 1), ValueError, ">= 2"),
        (lambda: make("moons", seed=1.5), TypeError, "seed must be an int"),
        (lambda: spiral(30, classes=1), ValueError, ">= 2"),
        (lambda: Studio.preset("moons", hidden=[0]), ValueError, "positive"),
    ],
)
def test_a_bad_dataset_or_preset_is_named_at_the_call(call: Any, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        call()


def test_arrays_of_any_numeric_dtype_and_a_column_of_targets_are_the_same_data_as_lists() -> None:
    X, y = two_blobs(16, 4)
    lists = Studio(MLP(2, [3, 1], seed=0), X, y)
    arrays = Studio(
        MLP(2, [3, 1], seed=0), np.array(X, dtype=np.float64), np.array(y)[:, None].astype(int)
    )
    assert arrays.kind == lists.kind == "hinge" and arrays.y == lists.y and arrays.X == lists.X
    assert arrays.step(3) == lists.step(3)
    torch = pytest.importorskip("torch")
    f64 = torch.float64
    tensors = Studio(MLP(2, [3, 1], seed=0), torch.tensor(X, dtype=f64), torch.tensor(y))
    assert tensors.X == lists.X and tensors.y == lists.y


class TwoNeurons(Module):
    """A model that is no MLP: the view cannot run it, so Python sends its outputs."""

    def __init__(self, seed: int) -> None:
        self.a = Neuron(2, "tanh", seed=seed)
        self.b = Neuron(2, "tanh", seed=seed + 1)
        self.out = Neuron(2, "linear", seed=seed + 2)

    def forward(self, x: Any) -> Any:
        return self.out([self.a(x), self.b(x)])


def test_a_model_without_layers_gets_its_outputs_and_plane_from_python_in_small_messages() -> None:
    from nn.studio import GRID
    from nn.studio_protocol import encode_frame, setup_message

    X, y = make("xor", 40, seed=1)
    model = TwoNeurons(0)
    studio = Studio(model, X, y)
    studio.step(6)
    header, buffers = encode_frame(studio, studio.frame())
    assert len(json.dumps(header)) + sum(map(len, buffers)) < 50_000
    frame = studio.frame()
    x0, x1, y0, y1 = studio.plane  # type: ignore[misc]
    corner = model([x0 + 0.5 / GRID * (x1 - x0), y1 - 0.5 / GRID * (y1 - y0)]).data  # top left
    assert frame["output"][0, 0] == pytest.approx(corner, rel=1e-12, abs=1e-15)
    assert frame["maps"] is None and studio.network() is None
    assert frame["sample"]["outputs"] == pytest.approx([model(X[0]).data], rel=1e-12)
    past = studio.frame(2)  # an earlier step: its own numbers, the live model untouched
    twin = TwoNeurons(0)
    twin.load_state_dict(studio.snapshot(2))
    assert past["sample"]["outputs"] == pytest.approx([twin(X[0]).data], rel=1e-12)
    assert studio.snapshot(-1) == model.state_dict()
    assert setup_message(studio)["network"] is None


@pytest.mark.filterwarnings("error")  # the project's rule: no NumPy warning on the way
def test_inputs_near_float64s_end_give_a_finite_plane_a_page_that_saves_and_a_live_view(
    tmp_path: Any,
) -> None:
    pytest.importorskip("anywidget")
    big = np.finfo(np.float64).max
    studio = Studio(MLP(2, [3, 1], seed=0), [[0.1, 0.2], [1.7e308, -1.7e308]], [1, -1])
    x0, x1, y0, y1 = studio.plane  # type: ignore[misc]
    assert all(math.isfinite(v) for v in (x0, x1, y0, y1, x1 - x0, y1 - y0))
    assert x0 <= 0.1 <= x1 and y0 <= 0.2 <= y1  # the ordinary point stays on the plane
    studio.step()
    run = saved_run(studio.save(tmp_path / "big.html"))
    assert run["points"]["0"]["X"][1] == [1.7e308, -1.7e308] and run["bounds"] == studio.plane
    view = studio.view()
    sent: list[dict[str, Any]] = []
    view.send = lambda content, buffers=None: sent.append(content)
    assert studio.add_point([0.0, 0.0], 1) == 2 and len(studio.y) == 3
    assert studio.add_point([big, -big], -1) == 3
    data = [m for m in sent if m["type"] == "data"][-1]
    assert data["X"][3] == [big, -big] and sent[-1]["type"] == "frame"
    studio.step()
    assert saved_run(studio.save(tmp_path / "big.html"))["bounds"] == studio.plane


@pytest.mark.filterwarnings("error")
def test_parameters_beyond_float32s_range_travel_as_its_largest_without_a_warning(
    tmp_path: Any,
) -> None:
    model = MLP(2, [3, 1], seed=0)
    model.parameters()[0].data = 1e39  # as a diverging run leaves them
    model.parameters()[1].data = -1e300
    studio = Studio(model, X4, Y4)
    run = saved_run(studio.save(tmp_path / "run.html"))
    f32 = np.finfo(np.float32).max
    from nn.studio_protocol import encode_frame

    header, buffers = encode_frame(studio, studio.frame())
    live = buffers[[b[0] for b in header["buffers"]].index("params")]
    for params in (saved_buffer(run, run["frames"][0], "params"), np.frombuffer(live, "<f4")):
        assert params[0] == f32 and params[1] == -f32
        assert np.array_equal(
            params[2:], np.array(list(studio.snapshot(0).values()))[2:].astype("f4")
        )


def test_a_point_the_loss_cannot_take_leaves_the_data_training_and_the_view_as_they_were() -> None:
    def at_most_five(preds: list[Value], targets: list[float]) -> Value:
        if len(preds) > 5:
            raise ValueError("this loss takes at most 5 samples")
        return mse_loss(preds, targets) + 0.1 * autograd.sum(preds) / len(preds)

    studio = Studio(MLP(2, [3, 1], seed=0), X4 + [[0.5, 0.5]], Y4 + [1.0], loss=at_most_five)
    studio.step(2)
    X, y, plane, version = studio.X, studio.y, studio.plane, studio.points()["version"]
    with pytest.raises(ValueError, match="at most 5"):
        studio.add_point([9.0, -9.0], 1.0)
    assert (studio.X, studio.y, studio.plane, studio.points()["version"]) == (X, y, plane, version)
    assert studio.traced_as == "eager"
    twin = copy.deepcopy(studio.model)
    opt = SGD(twin.parameters(), lr=DEFAULT_LR)
    assert close(studio.step(), eager_step(twin, opt, at_most_five, X, y)[0])
    assert studio.history[-1]["points"] == 5


def test_a_preset_studio_knows_its_dataset_and_its_view_is_told() -> None:
    studio = Studio.preset("spiral", hidden=[4], n=30)
    assert studio.dataset == "spiral"
    from nn.studio_protocol import settings_message

    assert settings_message(studio, True)["dataset"] == "spiral"
    studio.add_point([0.1, 0.2], 1.0)
    assert studio.dataset == "spiral"  # still that set, one point more
    studio.set_data([[0.0, 1.0], [1.0, 0.0]], [1.0, -1.0])
    assert studio.dataset is None  # your own data now
    assert Studio(MLP(2, [3, 1], seed=0), X4, Y4).dataset is None


# ---- issue 22, item 3: binary cross-entropy on 0/1 targets is a classifier ----


@pytest.mark.parametrize(
    ("loss", "output_activation", "threshold"),
    [(binary_cross_entropy_with_logits, "linear", 0.0), (binary_cross_entropy, "sigmoid", 0.5)],
)
def test_binary_cross_entropy_on_zero_one_targets_records_accuracy_and_offers_the_two_classes(
    loss: Any, output_activation: str, threshold: float
) -> None:
    X, y = zero_one(30, 6)
    model = MLP(2, [5, 1], output_activation=output_activation, seed=2)
    twin = copy.deepcopy(model)
    studio = Studio(model, X, y, loss=loss)
    opt = SGD(twin.parameters(), lr=DEFAULT_LR)
    for _ in range(4):  # class 1 where the logit > 0 (the probability > 0.5), as the eager model
        right = np.mean([(twin(x).data > threshold) == (t == 1) for x, t in zip(X, y)])
        studio.step()
        eager_step(twin, opt, loss, X, y)
        assert studio.history[-1]["accuracy"] == pytest.approx(right, abs=1e-12)
    assert studio.classes() == [0.0, 1.0]
    with pytest.raises(ValueError, match="from 0 to 1"):
        studio.add_point([0.0, 0.0], 2.0)
    assert studio.add_point([0.0, 0.0], 1) == 30 and studio.y[-1] == 1.0


def test_binary_cross_entropy_on_soft_targets_is_no_classifier() -> None:
    X, _ = zero_one(12, 2)
    soft = [0.25 + 0.5 * (k % 2) for k in range(12)]
    studio = Studio(MLP(2, [3, 1], seed=0), X, soft, loss=binary_cross_entropy_with_logits)
    studio.step()
    assert studio.history[-1]["accuracy"] is None and studio.classes() is None


def odd_runs() -> dict[str, Studio]:
    """Runs a save must take: none, one point, a diverged one, edits and a rebuild between
    steps, a model without layers, one input column, a split with probabilities."""
    empty = Studio.preset("xor", hidden=[2], n=10)
    lonely = Studio(MLP(2, [2, 1], seed=0), [[0.3, 0.3]], [1.0])
    lonely.step(3)
    diverged = Studio.preset("moons", hidden=[4], n=20, lr=1e308)
    diverged.step(4)
    edited = Studio.preset("moons", hidden=[3], n=20, test=0.25)
    edited.step(2)
    edited.add_point([0.1, 0.1], 1.0)
    edited.step(2)
    edited.remove_point(0)
    edited.rebuild([4, 2], inputs=["x1", "x2", "sin(x1)"])
    edited.step(3)
    edited.add_point([1e300, -1e300], -1.0, test=True)
    edited.step()
    bars = Studio(TwoNeurons(1), *make("xor", 16, seed=2))
    bars.step(3)
    line = Studio(MLP(1, [3, 1], seed=0), [[0.0], [0.5], [1.0]], [0.0, 1.0, 0.0])
    line.step(2)
    probabilities = Studio(
        MLP(2, [3, 1], output_activation="sigmoid", seed=0), *zero_one(20, 3),
        loss=binary_cross_entropy, test=0.3,
    )  # fmt: skip
    probabilities.step(5)
    return {"empty": empty, "lonely": lonely, "diverged": diverged, "edited": edited,
            "bars": bars, "line": line, "probabilities": probabilities}  # fmt: skip


@pytest.mark.filterwarnings("error")
def test_odd_runs_save_whole_pages_whose_frames_hold_each_steps_numbers(tmp_path: Any) -> None:
    for name, studio in odd_runs().items():
        run = saved_run(studio.save(tmp_path / f"{name}.html"))
        assert [f["step"] for f in run["frames"]] == list(range(studio.steps + 1)), name
        assert len(run["records"]) == studio.steps
        for frame in run["frames"]:
            assert str(frame["version"]) in run["points"], name  # every frame's points saved
        last = run["frames"][-1]
        want = np.array(list(studio.snapshot(-1).values()), dtype=np.float64)
        got = saved_buffer(run, last, "params").astype(np.float64)
        finite = np.isfinite(want) & (np.abs(want) < 3e38)
        assert np.array_equal(got[finite], want[finite].astype(np.float32)), name
