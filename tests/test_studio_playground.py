"""nn.Studio's TensorFlow Playground controls and the numbers its view draws, headless: the L2
term, the train/test split, input features, noise and rebuilt networks, each step against the
eager loop it stands for; and Studio.frame's heat maps, boundary and per-neuron numbers against
the eager model, hand-made features, a linear model's exact boundary and live PyTorch."""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import pytest

import autograd
from autograd import Value
from nn import (
    MLP,
    SGD,
    Adam,
    Module,
    Neuron,
    Studio,
    binary_cross_entropy,
    hinge_loss,
    l2_penalty,
    mse_loss,
)
from nn.datasets import make
from nn.studio import GRID, MAP_GRID, _segments
from tests.browser import needs_dot

TOL = 1e-9


def close(a: float, b: float, tol: float = TOL) -> bool:
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


def weights_of(model: MLP) -> list[Value]:
    """What the L2 term penalises, written out: every neuron's weights, no bias."""
    return [w for layer in model.layers for n in layer.neurons for w in n.w]


def eager_step(model: Module, opt: Any, loss: Any, X: Any, y: Any, l2: float = 0.0) -> float:
    total = loss([model(x) for x in X], list(y))
    if l2:
        total = total + l2_penalty(weights_of(model), l2)  # type: ignore[arg-type]
    model.zero_grad()
    total.backward()
    opt.step()
    return total.data


def features(x: list[float], names: list[str]) -> list[float]:
    """TensorFlow Playground's input features, by hand with math."""
    a, b = x
    table = {"x1": a, "x2": b, "x1^2": a * a, "x2^2": b * b, "x1*x2": a * b,
             "sin(x1)": math.sin(a), "sin(x2)": math.sin(b)}  # fmt: skip
    return [table[n] for n in names]


# ---- L2, the split, inputs, noise: each step is the eager loop's ----


@pytest.mark.parametrize("loss", [None, "yours"])
def test_an_l2_step_is_the_eager_loops_loss_plus_l2_penalty_of_the_weights(loss: Any) -> None:
    X, y = make("moons", 40, seed=2)

    def yours(preds: list[Value], targets: list[float]) -> Value:
        return hinge_loss(preds, targets) * 1.0  # a loss of yours: the eager path

    model, twin = MLP(2, [6, 1], seed=3), MLP(2, [6, 1], seed=3)
    studio = Studio(model, X, y, l2=0.01, loss=yours if loss else None)
    opt = SGD(twin.parameters(), lr=0.1)
    for k in range(1, 9):
        weights = sum(w.data**2 for w in weights_of(twin))
        want = eager_step(twin, opt, yours if loss else hinge_loss, X, y, l2=0.01)
        got = studio.step()
        record = studio.history[-1]
        assert close(got, want) and close(record["penalty"], 0.01 * weights, 1e-7), k
        assert close(record["data_loss"] + record["penalty"], record["loss"])
    assert all(close(p.data, q.data) for p, q in zip(model.parameters(), twin.parameters()))
    studio.l2 = 0.0  # from the next step on
    assert close(studio.step(), eager_step(twin, opt, hinge_loss, X, y))
    assert studio.history[-1]["penalty"] == 0.0


def test_the_l2_term_spares_the_biases() -> None:
    studio = Studio(MLP(2, [3, 1], seed=0), *make("xor", 10, seed=0), l2=1.0)
    model = studio.model
    before = {p: p.data for p in model.parameters()}
    studio.lr = 0.0  # a step that changes nothing: look at the gradient alone
    studio.step()
    eager = Studio(copy.deepcopy(model), studio.X, studio.y)
    eager.lr = 0.0
    eager.step()
    for name, got, plain in zip(
        studio.parameter_names, studio.gradients(1).values(), eager.gradients(1).values()
    ):
        value = before[dict(model.named_parameters())[name]]
        extra = 0.0 if name.endswith(".b") else 2.0 * value  # d/dw of 1.0·w²
        assert close(got, plain + extra), name


def test_a_split_trains_on_the_training_points_and_records_the_test_loss_before_each_update() -> (
    None
):
    X, y = make("circles", 50, seed=1)
    model, twin = MLP(2, [5, 1], "tanh", seed=4), MLP(2, [5, 1], "tanh", seed=4)
    studio = Studio(model, X, y, test=0.3, split_seed=9)
    held = studio.is_test
    chosen = np.random.default_rng(9).permutation(50)[:15]  # round(0.3 · 50), seeded
    assert sum(held) == 15 and held == np.isin(np.arange(50), chosen).tolist()
    train = [(x, t) for x, t, h in zip(X, y, held) if not h]
    test = [(x, t) for x, t, h in zip(X, y, held) if h]
    opt = SGD(twin.parameters(), lr=0.1)
    for _ in range(6):
        test_loss = hinge_loss([twin(x) for x, _ in test], [t for _, t in test]).data
        test_right = np.mean([(twin(x).data > 0) == (t > 0) for x, t in test])
        want = eager_step(twin, opt, hinge_loss, [x for x, _ in train], [t for _, t in train])
        assert close(studio.step(), want)
        record = studio.history[-1]
        assert close(record["test_loss"], test_loss) and record["points"] == 35
        assert record["test_accuracy"] == pytest.approx(test_right, abs=1e-12)
    studio.test = 0.0  # no split: the test numbers are gone from the next step
    studio.step()
    assert studio.history[-1]["test_loss"] is None and studio.history[-1]["points"] == 50


def test_an_added_test_point_is_held_out_and_the_last_training_point_cannot_go() -> None:
    studio = Studio(MLP(2, [3, 1], seed=0), [[0.0, 1.0], [1.0, 0.0]], [1.0, -1.0], test=0.5)
    assert studio.is_test.count(True) == 1
    i = studio.add_point([0.5, 0.5], 1.0, test=True)
    assert studio.is_test[i] and studio.is_test.count(False) == 1
    keep = studio.is_test.index(False)
    with pytest.raises(ValueError, match="last training point"):
        studio.remove_point(keep)
    with pytest.raises(TypeError, match="true or false"):
        studio.add_point([0.5, 0.5], 1.0, test=1)  # type: ignore[arg-type]
    assert len(studio.y) == 3


@pytest.mark.parametrize(
    "names", [["x1", "x2"], ["x1^2", "x2^2"], ["x1", "x2", "x1*x2", "sin(x1)", "sin(x2)"]]
)
def test_input_features_train_as_the_eager_loop_on_features_made_by_hand(names: list[str]) -> None:
    X, y = make("circles", 30, seed=5)
    model, twin = MLP(len(names), [4, 1], seed=1), MLP(len(names), [4, 1], seed=1)
    studio = Studio(model, X, y, inputs=names)
    opt = SGD(twin.parameters(), lr=0.1)
    Z = [features(x, names) for x in X]
    for _ in range(5):
        assert close(studio.step(), eager_step(twin, opt, hinge_loss, Z, y))
    assert studio.inputs == tuple(names) and studio.features == 2
    assert np.allclose(studio.predictions(), [twin(z).data for z in Z], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: Studio(MLP(2, [1]), [[0.0, 1.0]], [1.0], inputs=["x1", "x3"]), ValueError, "x3"),
        (lambda: Studio(MLP(2, [1]), [[0.0, 1.0]], [1.0], inputs=["x1"] * 2), ValueError, "twice"),
        (lambda: Studio(MLP(2, [1]), [[0.0, 1.0]], [1.0], inputs="x1"), TypeError, "list of names"),
        (lambda: Studio(MLP(3, [1]), [[0.0, 1.0]], [1.0], inputs=["x1", "x2"]), ValueError, "3"),
        (lambda: Studio(MLP(2, [1]), [[0.0, 1.0]], [1.0], l2=-1), ValueError, ">= 0"),
        (lambda: Studio(MLP(2, [1]), [[0.0, 1.0]], [1.0], l2=11), ValueError, "at most 10"),
        (lambda: Studio(MLP(2, [1]), [[0.0, 1.0]], [1.0], test=0.95), ValueError, "0 to 0.9"),
        (lambda: Studio(MLP(2, [1]), [[0.0, 1.0]], [1.0], test=True), TypeError, "real number"),
        (lambda: Studio(MLP(2, [33, 1]), [[0.0, 1.0]], [1.0]), ValueError, "32 neurons"),
        (lambda: Studio(MLP(2, [2] * 7 + [1]), [[0.0, 1.0]], [1.0]), ValueError, "6 hidden"),
    ],
)  # fmt: skip
def test_a_bad_playground_setting_is_named_at_the_call(call: Any, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        call()


def test_use_preset_draws_the_set_with_the_noise_asked_for_and_starts_again() -> None:
    studio = Studio.preset("moons", hidden=[4], n=40)
    studio.step(3)
    studio.use_preset("xor", noise=0.3, seed=2)
    assert studio.X == make("xor", 40, seed=2, noise=0.3)[0] and studio.steps == 0
    assert (studio.dataset, studio.noise) == ("xor", 0.3)
    studio.use_preset("spiral")
    assert studio.noise == 0.15 and studio.X == make("spiral", 40)[0]  # the set's own noise
    for bad, error in ((1.5, ValueError), (-0.1, ValueError), ("0.2", TypeError)):
        with pytest.raises(error, match="noise"):
            studio.use_preset("moons", noise=bad)  # type: ignore[arg-type]
    assert studio.dataset == "spiral"


def test_rebuild_trains_a_new_mlp_from_step_zero_with_the_same_kind_of_optimizer() -> None:
    X, y = make("xor", 30, seed=3)
    model = MLP(2, [4, 1], seed=0)
    studio = Studio(model, X, y, optimizer=Adam(model.parameters(), lr=0.03, betas=(0.8, 0.9)))
    studio.step(4)
    studio.lr = 0.05
    studio.rebuild([3, 2], activation="tanh", inputs=["x1", "x2", "x1*x2"], seed=5)
    twin = MLP(3, [3, 2, 1], "tanh", seed=5)
    assert studio.model is not model and studio.steps == 0
    assert studio.model.state_dict() == twin.state_dict() == studio.snapshot(0)
    assert isinstance(studio.optimizer, Adam) and studio.optimizer.betas == (0.8, 0.9)
    opt = Adam(twin.parameters(), lr=0.05, betas=(0.8, 0.9))
    Z = [features(x, ["x1", "x2", "x1*x2"]) for x in X]
    for _ in range(5):
        assert close(studio.step(), eager_step(twin, opt, hinge_loss, Z, y))
    network = studio.network()
    assert network is not None and network["sizes"] == [3, 3, 2, 1]
    assert network["activations"] == ["tanh", "tanh", "linear"] and network["hidden"] == [3, 2]
    studio.rebuild([])  # no hidden layer: one linear neuron on the inputs
    assert repr(studio.model) == "MLP(3, [1], 'tanh')"


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda s: s.rebuild([4] * 7), ValueError, "at most 6"),
        (lambda s: s.rebuild([33]), ValueError, "32"),
        (lambda s: s.rebuild([0]), ValueError, "positive"),
        (lambda s: s.rebuild([2.0]), TypeError, "int"),
        (lambda s: s.rebuild(activation="gelu"), ValueError, "relu, tanh"),
        (lambda s: s.rebuild(inputs=[]), ValueError, "1 to 7"),
    ],
)
def test_a_bad_rebuild_is_refused_and_changes_nothing(call: Any, error: type, match: str) -> None:
    studio = Studio.preset("moons", hidden=[4], n=20)
    studio.step(2)
    before = (repr(studio.model), studio.steps, studio.model.state_dict())
    with pytest.raises(error, match=match):
        call(studio)
    assert (repr(studio.model), studio.steps, studio.model.state_dict()) == before


def test_rebuild_needs_an_mlp() -> None:
    studio = Studio(Neuron(2, "linear", seed=0), *make("linear", 10))
    with pytest.raises(TypeError, match="MLP"):
        studio.rebuild([2])


# ---- what the view draws: Studio.frame ----


def neuron_values(model: MLP, x: list[float]) -> tuple[list[float], list[float]]:
    """Every neuron's pre-activation and activation at x, the eager way, layer by layer."""
    h: list[Any] = list(x)
    zs, acts = [], []
    for layer in model.layers:
        outs = []
        for n in layer.neurons:
            z = autograd.dot(n.w, h) + n.b
            a = {"relu": z.relu, "tanh": z.tanh, "sigmoid": z.sigmoid}.get(n.activation)
            value = a() if a else z
            zs.append(z.data)
            acts.append(value.data)
            outs.append(value)
        h = outs
    return zs, acts


def centres(plane: list[float], cells: int) -> list[list[float]]:
    x0, x1, y0, y1 = plane
    return [
        [x0 + (c + 0.5) / cells * (x1 - x0), y1 - (r + 0.5) / cells * (y1 - y0)]
        for r in range(cells)
        for c in range(cells)
    ]


def test_each_neurons_heat_map_is_its_eager_value_at_the_map_grids_centres() -> None:
    studio = Studio.preset("spiral", hidden=[5, 4], n=40, inputs=["x1", "x2", "x1^2"])
    studio.step(7)
    frame = studio.frame(4)
    twin = MLP(3, [5, 4, 1], seed=0)
    twin.load_state_dict(studio.snapshot(4))
    maps = frame["maps"]
    assert maps.shape == (3 + 10, MAP_GRID, MAP_GRID)
    for k, x in enumerate(centres(studio.plane, MAP_GRID)):  # type: ignore[arg-type]
        z = features(x, ["x1", "x2", "x1^2"])
        _, acts = neuron_values(twin, z)
        r, c = divmod(k, MAP_GRID)
        assert np.allclose(maps[:, r, c], z + acts, rtol=1e-12, atol=1e-14), k
    twin.load_state_dict(studio.snapshot(-1))  # activations(X): now, at any rows
    now = studio.activations([[0.2, -0.4], [1.0, 0.5]])
    for j, x in enumerate([[0.2, -0.4], [1.0, 0.5]]):
        want = neuron_values(twin, features(x, ["x1", "x2", "x1^2"]))[1]
        assert np.allclose(now[:, j], want, rtol=1e-12, atol=1e-14)


def test_the_output_map_is_the_models_output_minus_the_classes_threshold() -> None:
    X, y = make("moons", 20, seed=0)
    y01 = [(t + 1) / 2 for t in y]
    model = MLP(2, [4, 1], output_activation="sigmoid", seed=1)
    studio = Studio(model, X, y01, loss=binary_cross_entropy)
    studio.step(3)
    out = studio.frame()["output"]
    grid = centres(studio.plane, GRID)  # type: ignore[arg-type]
    for k in (0, 1234, GRID * GRID - 1):
        r, c = divmod(k, GRID)
        assert out[r, c] == pytest.approx(model(grid[k]).data - 0.5, rel=1e-12, abs=1e-15)


def test_a_linear_models_boundary_lies_on_its_line() -> None:
    model = Neuron(2, "linear", seed=3)
    studio = Studio(model, *make("linear", 30, seed=1))
    studio.step(4)
    segments = studio.frame()["boundary"]
    (w1, w2), b = (w.data for w in model.w), model.b.data
    assert len(segments) > 10
    x0, x1, y0, y1 = studio.plane  # type: ignore[misc]
    for xa, ya, xb, yb in segments:
        for x, yy in ((xa, ya), (xb, yb)):
            assert abs(w1 * x + w2 * yy + b) <= 1e-9 * max(1.0, abs(b), abs(w1), abs(w2))
            assert x0 <= x <= x1 and y0 <= yy <= y1


def test_marching_squares_crosses_each_mixed_cell_where_its_corners_interpolate_to_0() -> None:
    G = 5
    values = np.fromfunction(lambda r, c: (r - 2.0) ** 2 + (c - 2.0) ** 2 - 2.2, (G, G))
    segments = _segments([values], [0.0, 5.0, 0.0, 5.0])  # one plane unit per cell
    # the negative corners are the 3 x 3 block in the middle: the 12 cells around its inner 4
    # each have corners of both signs, so each holds one segment
    assert len(segments) == 12
    for x, y in np.concatenate([segments[:, :2], segments[:, 2:]]):
        col, row = x - 0.5, (5.0 - y) - 0.5  # back to the grid of cell centres
        if abs(row - round(row)) < 1e-12:  # on a horizontal edge: between two columns
            r, c = round(row), int(np.floor(col))
            t = col - c
            level = values[r, c] * (1 - t) + values[r, c + 1] * t
        else:
            r, c = int(np.floor(row)), round(col)
            t = row - r
            level = values[r, c] * (1 - t) + values[r + 1, c] * t
        assert abs(level) < 1e-12
    assert len(_segments([np.full((G, G), np.nan)], [0, 1, 0, 1])) == 0


def test_the_selected_samples_numbers_are_torchs_for_the_same_weights() -> None:
    torch = pytest.importorskip("torch")
    studio = Studio.preset("moons", hidden=[5, 3], n=30)
    studio.step(9)
    studio.select(11)
    sample = studio.frame(6)["sample"]
    state = studio.snapshot(6)
    x = torch.tensor(studio.X[11], dtype=torch.float64)
    h = x
    zs, acts = [], []
    sizes = [2, 5, 3, 1]
    for layer in range(3):
        rows = [
            [state[f"layers.{layer}.neurons.{j}.w.{i}"] for i in range(sizes[layer])]
            for j in range(sizes[layer + 1])
        ]
        W = torch.tensor(rows, dtype=torch.float64, requires_grad=True)
        b = torch.tensor(
            [state[f"layers.{layer}.neurons.{j}.b"] for j in range(sizes[layer + 1])],
            dtype=torch.float64,
            requires_grad=True,
        )
        z = W @ h + b
        z.retain_grad()
        a = torch.relu(z) if layer < 2 else z
        a.retain_grad()
        zs.append(z)
        acts.append(a)
        h = a
    target = studio.y[11]
    loss = torch.relu(1 - target * h[0])  # the hinge loss of one sample
    loss.backward()
    assert sample["loss"] == pytest.approx(loss.item(), rel=1e-12)
    assert np.allclose(sample["z"], torch.cat(zs).detach().numpy(), rtol=1e-12)
    assert np.allclose(sample["a"], torch.cat(acts).detach().numpy(), rtol=1e-12)
    assert np.allclose(sample["grad_a"], torch.cat([a.grad for a in acts]).numpy(), rtol=1e-12)
    assert np.allclose(sample["grad_z"], torch.cat([z.grad for z in zs]).numpy(), rtol=1e-12)
    assert sample["index"] == 11 and sample["x"] == studio.X[11] and sample["target"] == target


def test_a_frame_leaves_the_live_parameters_and_gradients_as_they_were() -> None:
    studio = Studio.preset("xor", hidden=[4], n=20)
    studio.step(5)
    before = [(p.data, p.grad) for p in studio.model.parameters()]
    for k in (0, 2, 5, None):
        studio.frame(k)
    assert [(p.data, p.grad) for p in studio.model.parameters()] == before


def test_the_largest_model_the_studio_accepts_trains_and_frames() -> None:
    studio = Studio(MLP(2, [32] * 6 + [1], seed=0), *make("moons", 30))
    studio.step(2)
    frame = studio.frame()
    assert frame["maps"].shape == (2 + 6 * 32 + 1, MAP_GRID, MAP_GRID)
    assert len(frame["sample"]["z"]) == 193 and np.all(np.isfinite(frame["sample"]["grad_a"]))


def test_watch_tells_each_change_once_and_stops_when_asked() -> None:
    studio = Studio.preset("moons", hidden=[3], n=20)
    events: list[str] = []
    stop = studio.watch(events.append)
    studio.step(3)
    studio.select(2)
    studio.add_point([0.0, 0.0], 1.0)
    studio.lr = 0.2
    studio.l2 = 0.001
    studio.test = 0.2
    studio.use_preset("xor")  # a new draw and a reset: one event
    studio.rebuild([2])
    assert events == [
        "steps",
        "selected",
        "data",
        "settings",
        "settings",
        "data",
        "data",
        "network",
    ]
    stop()
    studio.step()
    assert len(events) == 8
    with pytest.raises(TypeError, match="callable"):
        studio.watch("print")  # type: ignore[arg-type]


@needs_dot
def test_a_neurons_page_plays_its_ops_with_the_gradient_from_the_layers_above() -> None:
    studio = Studio.preset("moons", hidden=[4, 3], n=30)
    studio.step(5)
    studio.select(3)
    sample = studio.frame(2)["sample"]
    page = studio.neuron_graph(1, 2, step=2)  # the third neuron of the second hidden layer
    upstream = sample["grad_a"][4 + 2]
    assert f"= {upstream:.4g}" in page.html  # the error frame: dL/da from above
    twin = MLP(2, [4, 3, 1], seed=0)
    twin.load_state_dict(studio.snapshot(2))
    grad_z = sample["grad_z"][4 + 2]
    x = sample["a"][:4]  # its inputs: the first hidden layer's activations
    for i in range(4):  # each weight's gradient in the backward frames: x_i · dL/dz
        assert f"{grad_z * x[i]:.4g}" in page.html
    assert page.nodes == len(autograd.topological_order(twin.layers[1].neurons[2](list(x))))
    with pytest.raises(IndexError, match="out of range"):
        studio.neuron_graph(3, 0)
    with pytest.raises(IndexError, match="out of range"):
        studio.neuron_graph(0, 4)


def test_mse_runs_its_plane_about_the_middle_of_the_targets() -> None:
    X = [[0.0, 0.0], [1.0, 1.0], [0.5, 0.2]]
    y = [2.0, 4.0, 3.5]
    model = MLP(2, [3, 1], seed=0)
    studio = Studio(model, X, y, loss=mse_loss)
    out = studio.frame()["output"]
    grid = centres(studio.plane, GRID)  # type: ignore[arg-type]
    assert out[0, 0] == pytest.approx(model(grid[0]).data - 3.0, rel=1e-12, abs=1e-15)


# ---- the adversarial pass: odd data, odd losses, hostile indices ----


def test_data_that_is_no_plane_gets_each_points_output_in_its_frame() -> None:
    X, y = [[0.1], [0.5], [0.9]], [0.2, 0.4, 0.1]
    model = MLP(1, [3, 1], seed=0)
    studio = Studio(model, X, y)
    studio.step(2)
    frame = studio.frame()
    assert frame["output"] is None and len(frame["boundary"]) == 0
    assert np.allclose(frame["points_output"][:, 0], [model(x).data for x in X], rtol=1e-12)
    past = studio.frame(1)
    twin = MLP(1, [3, 1], seed=0)
    twin.load_state_dict(studio.snapshot(1))
    assert np.allclose(past["points_output"][:, 0], [twin(x).data for x in X], rtol=1e-12)


def test_a_loss_of_yours_that_cannot_take_one_sample_still_gives_frames() -> None:
    def needs_two(preds: list[Value], targets: list[float]) -> Value:
        if len(preds) < 2:
            raise ValueError("this loss needs two samples")
        return mse_loss(preds, targets)

    model = MLP(2, [3, 1], seed=0)
    studio = Studio(model, [[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0.5, 0.2, 0.1], loss=needs_two)
    studio.step()
    sample = studio.frame()["sample"]
    assert sample["loss"] is None and "needs two samples" in sample["error"]
    _, acts = neuron_values(model, [0.0, 1.0])
    assert np.allclose(sample["a"], acts, rtol=1e-12)  # the forward pass is still shown
    assert np.all(sample["grad_a"] == 0) and np.all(sample["grad_params"] == 0)


@pytest.mark.filterwarnings("error")  # the project's rule: no NumPy warning on the way
def test_input_features_of_huge_numbers_overflow_quietly_to_inf() -> None:
    studio = Studio(
        MLP(3, [3, 1], seed=0), [[1e200, 1.0], [0.0, 0.0]], [1, -1], inputs=["x1", "x2", "x1^2"]
    )
    studio.step()
    from nn.studio_protocol import encode_frame

    header, _ = encode_frame(studio, studio.frame())
    assert header["sample"]["inputs"][2] is None  # inf travels as null


def test_a_neuron_or_layer_out_of_range_is_named_as_one() -> None:
    studio = Studio.preset("moons", hidden=[4], n=20)
    with pytest.raises(IndexError, match="neuron 9 is out of range for 4 neurons"):
        studio.neuron_graph(0, 9)
    with pytest.raises(IndexError, match="layer 2 is out of range for 2 layers"):
        studio.neuron_graph(2, 0)
    with pytest.raises(TypeError, match=r"neuron_graph\(layer\) must be an int"):
        studio.neuron_graph(0.0, 1)  # type: ignore[arg-type]
