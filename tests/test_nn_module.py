"""Modules: parameter counts, order and names, seeds, input checks, and save/load safety."""

from __future__ import annotations

import json
import math
import os
import random
import subprocess
import sys

import pytest

from autograd import Value
from nn import MLP, SGD, Layer, Neuron, initial_weight, mse_loss
from nn.module import parameters_checksum


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


def test_modules_keep_their_init_as_an_attribute_outside_the_parameters_and_the_file(
    tmp_path,  # type: ignore[no-untyped-def]
) -> None:
    mlp, uniform = MLP(2, [4, 1], seed=0, init="xavier"), MLP(2, [4, 1], seed=0)
    layer, neuron = Layer(3, 2, seed=0, init="kaiming"), Neuron(3, seed=0, init="lecun", fan_out=5)
    assert (mlp.init, layer.init, neuron.init, neuron.fan_out) == ("xavier", "kaiming", "lecun", 5)
    assert [layer.init for layer in mlp.layers] == [
        "xavier",
        "xavier",
    ] and uniform.init == "uniform"
    assert list(mlp.state_dict()) == list(uniform.state_dict())  # the same names, no "init"
    mlp.save(tmp_path / "x.json")
    uniform.save(tmp_path / "u.json")
    saved = [json.loads((tmp_path / f).read_text()) for f in ("x.json", "u.json")]
    assert set(saved[0]) == set(saved[1]) and list(saved[0]["parameters"]) == list(
        saved[1]["parameters"]
    )
    uniform.load(tmp_path / "x.json")
    assert uniform.state_dict() == mlp.state_dict()


def test_wrong_input_size_says_expected_and_got() -> None:
    with pytest.raises(ValueError, match="expected 2 inputs, got 3"):
        MLP(2, [3, 1], seed=0)([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="activation must be one of"):
        Layer(2, 2, activation="swish")
    with pytest.raises(ValueError, match="positive int"):
        Neuron(0)
    with pytest.raises(TypeError, match="seed"):
        Neuron(2, seed="abc")  # type: ignore[arg-type]


# ---- the output layer's activation ----


def test_a_one_layer_mlp_with_a_tanh_output_gives_tanh_of_the_weighted_sum() -> None:
    model = MLP(3, [1], output_activation="tanh", seed=0)
    neuron = model.layers[0].neurons[0]
    for p, x in zip([*neuron.w, neuron.b], [0.5, -0.25, 2.0, 0.1]):
        p.data = x
    out = model([1.0, 2.0, -0.5])
    assert out.data == pytest.approx(math.tanh(0.5 - 0.5 - 1.0 + 0.1), rel=1e-15)


def test_the_output_activation_applies_to_the_last_layer_only() -> None:
    model = MLP(2, [2, 1], "tanh", "sigmoid", seed=0)
    hidden, last = model.layers[0].neurons, model.layers[1].neurons[0]
    numbers = iter([0.3, -0.7, 0.2, 1.1, 0.4, -0.1, 0.9, -1.3, 0.05])
    for p in model.parameters():
        p.data = next(numbers)
    x = [1.5, -2.0]
    h = [math.tanh(0.3 * 1.5 - 0.7 * -2.0 + 0.2), math.tanh(1.1 * 1.5 + 0.4 * -2.0 - 0.1)]
    expected = 1 / (1 + math.exp(-(0.9 * h[0] - 1.3 * h[1] + 0.05)))
    assert [n.activation for n in hidden] == ["tanh", "tanh"] and last.activation == "sigmoid"
    assert model(x).data == pytest.approx(expected, rel=1e-14)


@pytest.mark.parametrize("output", ["relu", "tanh", "sigmoid", "linear"])
def test_every_output_activation_is_built_and_shown_in_the_repr(output: str) -> None:
    model = MLP(2, [3, 1], output_activation=output, seed=0)
    assert model.layers[-1].neurons[0].activation == output
    assert model.layers[0].neurons[0].activation == "relu"
    shown = "" if output == "linear" else f", output_activation={output!r}"
    assert repr(model) == f"MLP(2, [3, 1], 'relu'{shown})"


def test_output_activation_changes_nothing_about_saving_and_loading(tmp_path) -> None:  # type: ignore[no-untyped-def]
    lecture = MLP(3, [4, 4, 1], activation="tanh", output_activation="tanh", seed=1)
    lecture.save(tmp_path / "m.json")
    names = [name for name, _ in MLP(3, [4, 4, 1], seed=0).named_parameters()]
    assert [name for name, _ in lecture.named_parameters()] == names
    copy = MLP(3, [4, 4, 1], activation="tanh", output_activation="tanh", seed=2)
    copy.load(tmp_path / "m.json")
    x = [2.0, 3.0, -1.0]
    assert copy.state_dict() == lecture.state_dict() and copy(x).data == lecture(x).data


LECTURE_XS = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
LECTURE_YS = [1.0, -1.0, -1.0, 1.0]


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_the_micrograd_lecture_net_trains_on_its_four_samples(seed: int, reduction: str) -> None:
    # The lecture: MLP(3, [4, 4, 1]) with tanh everywhere, squared error, plain gradient descent.
    # (With relu hidden layers and a linear output, 4 of 5 seeds stuck at a sum loss of 4.0.)
    model = MLP(3, [4, 4, 1], activation="tanh", output_activation="tanh", seed=seed)
    opt = SGD(model.parameters(), lr=0.05 if reduction == "sum" else 0.2)
    for _ in range(100):
        preds = [model(x) for x in LECTURE_XS]
        loss = mse_loss(preds, LECTURE_YS)
        if reduction == "sum":
            loss = loss * len(LECTURE_YS)
        model.zero_grad()
        loss.backward()
        opt.step()
    assert loss.data < (0.02 if reduction == "sum" else 0.005)
    assert [math.copysign(1.0, model(x).data) for x in LECTURE_XS] == LECTURE_YS
    assert all(-1 < model(x).data < 1 for x in LECTURE_XS)  # a tanh output


# ---- inputs: NumPy numbers accepted, every wrong one refused at the call ----


def test_numpy_integers_work_as_sizes_and_seeds_and_give_the_same_weights() -> None:
    np = pytest.importorskip("numpy")
    assert Neuron(np.int64(3), seed=np.int64(5)).state_dict() == Neuron(3, seed=5).state_dict()
    a = MLP(np.int64(2), [np.int64(4), 1], seed=np.int32(7))
    assert a.state_dict() == MLP(2, [4, 1], seed=7).state_dict()
    assert MLP(2, np.array([4, 1]), seed=1).state_dict() == MLP(2, [4, 1], seed=1).state_dict()
    assert Layer(np.uint8(2), np.int16(3), seed=0).state_dict() == Layer(2, 3, seed=0).state_dict()
    assert isinstance(Neuron(3, fan_out=np.int64(4), init="xavier", seed=0)([1, 2, 3]), Value)


def test_a_numpy_row_and_numpy_scalars_work_as_inputs() -> None:
    np = pytest.importorskip("numpy")
    model = MLP(2, [3, 1], seed=0)
    expected = model([0.5, -1.5]).data
    assert model(np.array([0.5, -1.5])).data == expected
    assert model([np.float32(0.5), np.float64(-1.5)]).data == expected
    assert (
        Neuron(1, "linear", seed=0)(np.float32(2.0)).data == Neuron(1, "linear", seed=0)(2.0).data
    )


MODULE_INPUTS = [
    # (call, error, what the message must say)
    (lambda: Neuron("3"), TypeError, r"Neuron\(nin\) must be an int, got str: '3'"),
    (lambda: Neuron(None), TypeError, r"Neuron\(nin\) must be an int, got NoneType"),
    (lambda: Neuron(3.0), TypeError, "must be an int, got float: 3.0"),
    (lambda: Neuron(True), TypeError, "must be an int, got bool"),
    (lambda: Neuron(0), ValueError, "must be a positive int, got 0"),
    (lambda: Neuron(-2), ValueError, "must be a positive int, got -2"),
    (lambda: Neuron(10**400), ValueError, "about 401 digits, more than the 1,000,000"),
    (lambda: Neuron(1_000_001), ValueError, "1,000,001, more than the 1,000,000"),
    (lambda: Neuron(3, None), TypeError, "activation must be a str.*got NoneType"),
    (lambda: Neuron(3, "ReLU"), ValueError, "did you mean 'relu'"),
    (lambda: Neuron(3, init="glorot"), ValueError, "init must be one of uniform, xavier"),
    (lambda: Neuron(3, fan_out=-3, init="xavier"), ValueError, r"fan_out\) must be a positive"),
    (lambda: Neuron(3, fan_out=2.5), TypeError, "fan_out.*got float"),
    (lambda: Neuron(3, seed=1.5), TypeError, "seed must be an int, a random.Random or None"),
    (lambda: Neuron(3, seed=True), TypeError, "seed must be .*got bool"),
    (lambda: Neuron(3, seed="abc"), TypeError, "seed must be .*got str"),
    (lambda: Layer(2, None), TypeError, r"Layer\(nout\) must be an int, got NoneType"),
    (lambda: Layer(None, 2), TypeError, r"Layer\(nin\) must be an int"),
    (lambda: Layer(2, 0), ValueError, r"Layer\(nout\) must be a positive int"),
    (lambda: Layer(2, 2, activation="swish"), ValueError, "activation must be one of"),
    (lambda: Layer(10**6, 10**6), ValueError, "1,000,001,000,000 parameters.*10,000,000"),
    (lambda: MLP(2, None), TypeError, "list of layer sizes.*got NoneType"),
    (lambda: MLP(2, 3), TypeError, r"got the int 3; for one layer write \[3\]"),
    (lambda: MLP(2, "16"), TypeError, "list of layer sizes.*got str"),
    (lambda: MLP(2, {4, 1}), TypeError, "list of layer sizes.*got set"),
    (lambda: MLP(2, []), ValueError, "at least one layer"),
    (lambda: MLP(2, [4, 0]), ValueError, r"MLP\(nouts\)\[1\] must be a positive int"),
    (lambda: MLP(2, [4, "1"]), TypeError, r"MLP\(nouts\)\[1\] must be an int, got str"),
    (lambda: MLP(None, [4]), TypeError, r"MLP\(nin\) must be an int"),
    (lambda: MLP(1000, [5000] * 3), ValueError, "55,015,000 parameters"),
    (lambda: MLP(2, [1], output_activation="softmax"), ValueError, "output_activation must be"),
    (lambda: MLP(2, [1], output_activation=None), TypeError, "output_activation must be a str"),
    (lambda: MLP(2, [1], init=0), TypeError, "init must be a str"),
    (lambda: MLP(2, [3, 1], seed=0)(None), TypeError, "needs a list of 2 numbers.*NoneType"),
    (lambda: MLP(2, [3, 1], seed=0)("ab"), TypeError, "needs a list of 2 numbers.*str"),
    (lambda: MLP(2, [3, 1], seed=0)([1.0]), ValueError, "expected 2 inputs, got 1"),
    (lambda: MLP(2, [3, 1], seed=0)(["a", 1.0]), TypeError, "real number, got str"),
    (lambda: MLP(2, [3, 1], seed=0).load_state_dict([1, 2]), TypeError, "mapping.*got list"),
    (lambda: MLP(2, [3, 1], seed=0).save(None), TypeError, "file path.*NoneType"),
    (lambda: MLP(2, [3, 1], seed=0).load(3), TypeError, "file path.*int"),
    (lambda: MLP(2, [3, 1], seed=0).named_parameters(3), TypeError, r"prefix\) must be a str"),
    (lambda: initial_weight(None, "uniform", 2, 2), TypeError, "random.Random, got NoneType"),
    (lambda: initial_weight(random.Random(0), "xavier", 0, 2), ValueError, "fan_in must be"),
    (lambda: initial_weight(random.Random(0), "he", 2, 2), ValueError, "init must be one of"),
]


@pytest.mark.parametrize("call,error,message", MODULE_INPUTS)
def test_every_wrong_input_to_a_module_fails_at_the_call(call, error, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=message):
        call()


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
    if how in ("missing", "extra", "nan"):  # reseal: these test the checks behind the checksum
        document["checksum"] = parameters_checksum(params)
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
