"""Modules: parameter counts, order and names, seeds, input checks, and save/load safety."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys

import pytest

from autograd import Value
from nn import MLP, Layer, Neuron, initial_weight


def test_micrograd_moons_mlp_has_337_parameters_and_a_linear_last_layer() -> None:
    model = MLP(2, [16, 16, 1], seed=0)
    assert len(model.parameters()) == 2 * 16 + 16 + 16 * 16 + 16 + 16 + 1 == 337
    assert [n.activation for n in model.layers[-1].neurons] == ["linear"]
    assert model.layers[0].neurons[0].activation == "relu"
    assert isinstance(model([0.5, -0.5]), Value)
    assert isinstance(MLP(2, [3, 2], seed=0)([0.5, -0.5]), list)


def test_parameters_come_in_micrograds_order_with_dotted_names() -> None:
    model = MLP(2, [3, 1], seed=1)
    expected = []
    for layer in model.layers:
        for neuron in layer.neurons:
            expected += neuron.w + [neuron.b]
    assert model.parameters() == expected
    names = [name for name, _ in model.named_parameters()]
    assert names[:3] == ["layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1", "layers.0.neurons.0.b"]
    assert names[-1] == "layers.1.neurons.0.b"
    assert all(p.label == name for name, p in model.named_parameters())


def test_the_same_seed_gives_the_same_weights_and_a_rng_can_be_passed() -> None:
    a, b, c = MLP(3, [4, 2], seed=7), MLP(3, [4, 2], seed=7), MLP(3, [4, 2], seed=8)
    assert a.state_dict() == b.state_dict() != c.state_dict()
    rng1, rng2 = random.Random(3), random.Random(3)
    assert Neuron(5, seed=rng1).state_dict() == Neuron(5, seed=rng2).state_dict()


def test_neuron_computes_its_activation_of_the_weighted_sum() -> None:
    n = Neuron(2, "tanh", seed=0)
    n.w[0].data, n.w[1].data, n.b.data = 0.5, -1.0, 0.25
    out = n([2.0, 3.0])
    assert out.data == pytest.approx(__import__("math").tanh(0.5 * 2 - 3 + 0.25), rel=1e-15)
    out.backward()
    assert n.w[0].grad == pytest.approx(2.0 * (1 - out.data**2), rel=1e-15)


@pytest.mark.parametrize("init", ["uniform", "xavier", "kaiming", "lecun"])
def test_initialisations_have_the_documented_spread(init: str) -> None:
    rng = random.Random(0)
    draws = [initial_weight(rng, init, 50, 50) for _ in range(20000)]
    variance = sum(w * w for w in draws) / len(draws)
    expected = {"uniform": 1 / 3, "xavier": (6 / 100) / 3, "kaiming": 2 / 50, "lecun": 1 / 50}
    assert variance == pytest.approx(expected[init], rel=0.05)


def test_wrong_input_size_says_expected_and_got() -> None:
    with pytest.raises(ValueError, match="expected 2 inputs, got 3"):
        MLP(2, [3, 1], seed=0)([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="activation must be one of"):
        Layer(2, 2, activation="swish")
    with pytest.raises(ValueError, match="positive int"):
        Neuron(0)
    with pytest.raises(TypeError, match="seed"):
        Neuron(2, seed="abc")  # type: ignore[arg-type]


def test_zero_grad_clears_parameter_grads() -> None:
    model = MLP(2, [3, 1], seed=0)
    model([1.0, 2.0]).backward()
    assert any(p.grad != 0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0 for p in model.parameters())


# ---- state and files ----


def test_save_and_load_round_trip_every_bit(tmp_path) -> None:  # type: ignore[no-untyped-def]
    a, b = MLP(2, [4, 1], seed=1), MLP(2, [4, 1], seed=2)
    a.parameters()[0].data = 0.1 + 0.2  # a float that needs all 17 digits
    a.save(tmp_path / "m.json")
    b.load(tmp_path / "m.json")
    assert a.state_dict() == b.state_dict()
    assert json.loads((tmp_path / "m.json").read_text())["format"] == "stepgrad.state_dict"


def _damage(path, how):  # type: ignore[no-untyped-def]
    document = json.loads(path.read_text())
    params = document["parameters"]
    first = next(iter(params))
    if how == "missing":
        del params[first]
    elif how == "extra":
        params["layers.9.neurons.0.b"] = 0.0
    elif how == "string":
        params[first] = "0.5"
    elif how == "null":
        params[first] = None
    elif how == "nan":
        params[first] = float("nan")
    elif how == "format":
        document["format"] = "something else"
    path.write_text(json.dumps(document))
    if how == "truncated":
        path.write_text(path.read_text()[:40])
    if how == "not json":
        path.write_text("layers.0: 1.0\n")


def test_saved_files_get_the_usual_permissions_not_private_ones(tmp_path) -> None:  # type: ignore[no-untyped-def]
    mask = os.umask(0o022)
    try:
        MLP(2, [2, 1], seed=0).save(tmp_path / "m.json")
    finally:
        os.umask(mask)
    assert (tmp_path / "m.json").stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize(
    "how,message",
    [
        ("missing", "missing 1 parameter.*layers.0.neurons.0.w.0"),
        ("extra", "unexpected.*layers.9.neurons.0.b"),
        ("string", "must be a number, got str"),
        ("null", "must be a number, got NoneType"),
        ("nan", "nan.*finite value"),
        ("format", "not a stepgrad save file"),
        ("truncated", "not valid JSON"),
        ("not json", "not valid JSON"),
    ],
)
def test_a_damaged_file_raises_value_error_and_leaves_the_model_unchanged(
    tmp_path, how: str, message: str
) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "m.json"
    MLP(2, [4, 1], seed=1).save(path)
    _damage(path, how)
    model = MLP(2, [4, 1], seed=2)
    before = model.state_dict()
    with pytest.raises(ValueError, match=message):
        model.load(path)
    assert model.state_dict() == before


def test_a_model_of_another_shape_does_not_load(tmp_path) -> None:  # type: ignore[no-untyped-def]
    MLP(2, [4, 1], seed=1).save(tmp_path / "m.json")
    model = MLP(2, [5, 1], seed=1)
    before = model.state_dict()
    with pytest.raises(ValueError, match="missing .* parameter"):
        model.load(tmp_path / "m.json")
    assert model.state_dict() == before


def test_a_failed_save_leaves_the_old_file_whole_and_no_temporary(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "m.json"
    MLP(2, [4, 1], seed=1).save(path)
    old = path.read_text()

    def crash(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError, match="disk full"):
        MLP(2, [4, 1], seed=2).save(path)
    assert path.read_text() == old and os.listdir(tmp_path) == ["m.json"]


def test_a_save_killed_midway_leaves_the_old_file_whole(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "m.json"
    MLP(2, [4, 1], seed=1).save(path)
    old = path.read_text()
    # A child process starts saving a big model and is killed (os._exit, no cleanup) after the
    # temporary file is written but before it replaces the old one.
    script = (
        "import os, sys\n"
        "from nn import MLP\n"
        "os.replace = lambda *a: os._exit(9)\n"
        f"MLP(2, [64, 64, 1], seed=3).save({str(path)!r})\n"
    )
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=root, timeout=60, env={**os.environ, "PYTHONPATH": root}
    )
    assert done.returncode == 9
    assert path.read_text() == old
    MLP(2, [4, 1], seed=5).load(path)  # still a whole, loadable file
