"""The demos that train with traced programs: moons and spiral with --compiled, digits, and the
printed programs of demos.compiled.

Oracles: the eager engine building every sample's graph (for the compiled steps and for the
digits predictions), hand-derived derivatives of tanh(w·x + b) (for the printed gradients),
scikit-learn's own confusion_matrix and labels (for digits), and the data the pictures show.
"""

from __future__ import annotations

import importlib
import math
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from autograd import Value

ROOT = Path(__file__).resolve().parent.parent
HAS_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None
HAS_SKLEARN = importlib.util.find_spec("sklearn") is not None
PROGRESS = re.compile(r"after +(\d+)/(\d+) steps  loss (\S+)(?:  accuracy +(\S+)%)?  elapsed")
needs_sklearn = pytest.mark.skipif(not HAS_SKLEARN, reason="digits needs scikit-learn")


def run_demo(name: str, argv: list[str], capsys: Any) -> list[str]:
    importlib.import_module(f"demos.{name}").main(argv)
    return capsys.readouterr().out.strip().splitlines()


def relative_gap(a: list[float], b: list[float]) -> float:
    return max(abs(x - y) / max(abs(x), abs(y), 1e-300) for x, y in zip(a, b))


# ---- moons and spiral: --compiled is the eager run, faster ----


@pytest.mark.parametrize("name", ["moons", "spiral"])
@pytest.mark.parametrize("seed", [0, 3])
def test_compiled_first_step_has_the_eager_loss_and_gradients_to_1e_10(
    name: str, seed: int
) -> None:
    demo = importlib.import_module(f"demos.{name}")
    X, y = demo.make_moons(100, 0.1, seed) if name == "moons" else demo.make_spiral(40, 3, seed)
    options = {"seed": seed} if name == "moons" else {"seed": seed, "init": "kaiming"}
    outputs = 1 if name == "moons" else 3
    eager_model = demo.MLP(2, [16, 16, outputs], **options)
    compiled_model = demo.MLP(2, [16, 16, outputs], **options)
    eager_loss, eager_accuracy = demo.eager_step(eager_model, X, y)()
    compiled_loss, compiled_accuracy = demo.compiled_step(compiled_model, X, y)()
    eager_grads = [p.grad for p in eager_model.parameters()]
    compiled_grads = [p.grad for p in compiled_model.parameters()]
    assert len(compiled_grads) == (337 if name == "moons" else 371)
    assert any(g != 0.0 for g in eager_grads)
    assert relative_gap([compiled_loss], [eager_loss]) <= 1e-10
    assert relative_gap(compiled_grads, eager_grads) <= 1e-10
    assert compiled_accuracy == eager_accuracy


def test_compiled_moons_loss_is_micrograds_hinge_plus_l2_on_the_parameters() -> None:
    from demos.moons import ALPHA, MLP, compiled_step, make_moons

    X, y = make_moons(100, 0.1, 1)
    model = MLP(2, [16, 16, 1], seed=1)
    loss, _ = compiled_step(model, X, y)()
    # by hand, with plain floats: a relu MLP's forward pass, the mean hinge, α·Σp²
    layers = model.layers
    scores = []
    for point in X:
        h = [float(v) for v in point]
        for k, layer in enumerate(layers):
            h = [sum(w.data * v for w, v in zip(n.w, h)) + n.b.data for n in layer.neurons]
            if k < len(layers) - 1:
                h = [max(0.0, v) for v in h]
        scores.append(h[0])
    hinge = np.mean([max(0.0, 1 - t * s) for s, t in zip(scores, y)])
    penalty = ALPHA * sum(p.data**2 for p in model.parameters())
    assert loss == pytest.approx(hinge + penalty, rel=1e-12)


def test_compiled_spiral_reaches_the_eager_accuracy_step_for_step() -> None:
    from demos.spiral import train

    # 45 steps: 98.3% with seed 0, so equal accuracies are not just 100% = 100%
    eager = train(steps=45, seed=0)
    compiled = train(steps=45, seed=0, compiled=True)
    assert 0.9 < eager.accuracy < 1.0 and compiled.accuracy == eager.accuracy
    assert relative_gap(compiled.losses, eager.losses) <= 1e-10
    params = [p.data for p in compiled.model.parameters()]
    assert relative_gap(params, [p.data for p in eager.model.parameters()]) <= 1e-10


@pytest.mark.parametrize("name", ["moons", "spiral"])
def test_compiled_flag_runs_with_tiny_settings_and_reports_time_per_step(
    name: str, tmp_path: Path, capsys: Any
) -> None:
    out = tmp_path / "new"
    lines = run_demo(name, ["--compiled", "--steps", "3", "--out", str(out)], capsys)
    progress = [m.group(1, 2) for line in lines if (m := PROGRESS.match(line))]
    assert progress == [("0", "3"), ("1", "3"), ("2", "3"), ("3", "3")]
    summary = lines[-1]
    assert summary.startswith(f"{name}: 3 steps")
    timing = re.search(r"([\d.]+) ms per step \(compiled; tracing took (\d+) ms once\)", summary)
    assert timing is not None and float(timing.group(1)) > 0
    if HAS_MATPLOTLIB:
        pngs = list(out.glob("*.png"))
        assert pngs and all(str(p) in summary for p in pngs)


@pytest.mark.parametrize("name", ["moons", "spiral"])
def test_eager_run_reports_its_time_per_step_too(
    name: str, tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # no picture: the training is the test
    eager = run_demo(name, ["--steps", "2", "--out", str(tmp_path)], capsys)[-1]
    assert re.search(r", [\d.]+ ms per step \(eager\)$", eager), eager


@pytest.mark.parametrize("name", ["moons", "spiral"])
def test_compiled_flag_is_in_the_help(name: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", f"demos.{name}", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and "--compiled" in done.stdout and "traced" in done.stdout


# ---- digits ----


@needs_sklearn
def test_digits_split_is_80_20_stratified_and_seeded() -> None:
    from sklearn.datasets import load_digits

    from demos.digits import load

    data = load(0)
    every = load_digits()
    assert len(data.y_train) + len(data.y_test) == len(every.target) == 1797
    assert len(data.y_test) == 360
    share = np.bincount(data.y_test, minlength=10) / np.bincount(every.target, minlength=10)
    assert np.all(np.abs(share - 0.2) < 0.02)  # each digit split 80/20
    assert data.X_train.min() == 0.0 and data.X_train.max() == 1.0  # pixels 0..16 scaled
    again, other = load(0), load(1)
    assert np.array_equal(again.X_test, data.X_test)
    assert not np.array_equal(other.X_test, data.X_test)
    # every test image is one of scikit-learn's, with its label
    index = {row.tobytes(): label for row, label in zip(every.data / 16.0, every.target)}
    assert all(index[row.tobytes()] == t for row, t in zip(data.X_test, data.y_test))


@needs_sklearn
def test_digits_reaches_95_percent_on_held_out_images_with_the_demo_settings() -> None:
    from demos.digits import BATCH, HIDDEN, train

    run = train(steps=300, seed=0, hidden=HIDDEN, batch=BATCH)
    # the oracle: the eager engine's forward pass on each held-out image, against its label
    model, data = run.model, run.data
    eager = np.array([np.argmax([v.data for v in model(list(x))]) for x in data.X_test])
    assert np.array_equal(run.predict(data.X_test), eager)
    accuracy = float(np.mean(eager == data.y_test))
    assert accuracy == run.test_accuracy and accuracy >= 0.95
    assert run.losses[-1] < run.losses[0] / 10


@needs_sklearn
def test_digits_confusion_matrix_matches_scikit_learns() -> None:
    from sklearn.metrics import confusion_matrix as sklearn_confusion

    from demos.digits import confusion_matrix

    rng = np.random.default_rng(4)
    true, predicted = rng.integers(0, 10, 500), rng.integers(0, 10, 500)
    predicted[:7] = 9  # a column with more than one count per row
    expected = sklearn_confusion(true, predicted, labels=list(range(10)))
    assert np.array_equal(confusion_matrix(true, predicted), expected)


@needs_sklearn
def test_digits_runs_with_tiny_settings_and_prints_what_it_measured(
    tmp_path: Path, capsys: Any
) -> None:
    out = tmp_path / "not" / "yet"
    argv = ["--steps", "3", "--hidden", "4", "--batch", "16", "--out", str(out)]
    lines = run_demo("digits", argv, capsys)
    progress = [m.group(1, 2) for line in lines if (m := PROGRESS.match(line))]
    assert progress == [("0", "3"), ("1", "3"), ("2", "3"), ("3", "3")]
    summary = lines[-1]
    found = re.match(
        r"digits: 3 steps of 16 images, then training accuracy ([\d.]+)% and test accuracy "
        r"([\d.]+)% \(360 test images\), 310 parameters, ([\d.]+) ms per step \(compiled; "
        r"tracing took [\d.]+ s once\), [\d.]+ s in all",
        summary,
    )
    assert found, summary
    # the printed confusion matrix: its rows add up to each digit's test images, and its
    # diagonal to the test accuracy the summary gives
    start = next(k for k, line in enumerate(lines) if line.startswith("confusion matrix"))
    rows = [line.split()[1:] for line in lines[start + 2 : start + 12]]
    counts = np.array([[0 if c == "." else int(c) for c in row] for row in rows])
    from demos.digits import load

    assert np.array_equal(counts.sum(axis=1), np.bincount(load(0).y_test, minlength=10))
    assert 100 * np.trace(counts) / 360 == pytest.approx(float(found.group(2)), abs=0.05)
    if HAS_MATPLOTLIB:
        pngs = sorted(p.name for p in out.glob("*.png"))
        assert pngs == ["digits_confusion.png", "digits_mistakes.png"]
        assert all(
            (out / p).read_bytes()[:4] == b"\x89PNG" and str(out / p) in summary for p in pngs
        )


@needs_sklearn
@pytest.mark.skipif(not HAS_MATPLOTLIB, reason="pictures need matplotlib")
def test_digits_pictures_are_labelled_and_each_mistake_shown_is_one(
    tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import demos.digits as digits

    figures: dict[str, Any] = {}
    runs: list[Any] = []
    train = digits.train

    def keep(fig: Any, out: str, picture: str) -> str:
        figures[picture] = fig
        return str(Path(out) / picture)

    def remember(*args: Any, **kwargs: Any) -> Any:
        runs.append(train(*args, **kwargs))
        return runs[-1]

    monkeypatch.setattr(digits, "save", keep)
    monkeypatch.setattr(digits, "train", remember)
    run_demo("digits", ["--steps", "3", "--hidden", "4", "--out", str(tmp_path)], capsys)
    (run,) = runs
    model, data = run.model, run.data
    eager = [int(np.argmax([v.data for v in model(list(x))])) for x in data.X_test]
    (confusion,) = figures["digits_confusion.png"].axes
    assert confusion.get_xlabel() == "predicted digit"
    assert confusion.get_ylabel() == "true digit" and confusion.get_title()
    # the counts written in the cells are scikit-learn's confusion matrix of eager predictions
    from sklearn.metrics import confusion_matrix

    written = np.zeros((10, 10), dtype=int)
    for text in confusion.texts:
        column, row = text.get_position()
        written[int(row), int(column)] = int(text.get_text())
    assert np.array_equal(written, confusion_matrix(data.y_test, eager, labels=list(range(10))))
    # each small picture: a test image, its true digit above, the model's (wrong) one below,
    # checked against the eager engine's forward pass on that image
    panels = [ax for ax in figures["digits_mistakes.png"].axes if ax.images]
    assert 1 <= len(panels) <= digits.SHOWN_MISTAKES
    for ax in panels:
        image = ax.images[0].get_array()
        (i,) = [k for k, shown in enumerate(data.images_test) if np.array_equal(shown, image)]
        true = int(ax.get_title().removeprefix("true "))
        said = int(ax.get_xlabel().removeprefix("predicted "))
        assert true == data.y_test[i] and said == eager[i] and said != true


@needs_sklearn
def test_digits_without_matplotlib_still_trains_and_prints_its_confusion_matrix(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: Any
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    lines = run_demo("digits", ["--steps", "2", "--hidden", "4", "--out", str(tmp_path)], capsys)
    text = "\n".join(lines)
    assert "pip install -e '.[demos]'" in text and "confusion matrix" in text
    assert lines[-1].startswith("digits: 2 steps") and not list(tmp_path.glob("*.png"))


def test_digits_without_scikit_learn_says_how_to_install_it_and_exits_non_zero() -> None:
    code = (
        "import sys; sys.modules['sklearn'] = None\n"  # import sklearn -> ImportError
        "from demos.digits import main; main(['--steps', '1'])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0
    assert "scikit-learn" in done.stderr and "pip install -e '.[demos]'" in done.stderr
    assert "Traceback" not in done.stderr


def test_digits_help_names_its_flags() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "demos.digits", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0
    assert all(
        flag in done.stdout for flag in ("--steps", "--out", "--seed", "--hidden", "--batch")
    )


def test_digits_rejects_an_empty_hidden_layer_or_batch_at_the_command_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "demos.digits", "--batch", "0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "--batch must be at least 1" in done.stderr


# ---- demos.compiled: the printed programs and their gradients ----


def test_compiled_demo_prints_gradients_that_match_the_hand_derived_ones(capsys: Any) -> None:
    from demos.compiled import INPUTS, B, W, X
    from nn import Neuron

    lines = run_demo("compiled", [], capsys)
    text = "\n".join(lines)
    printed = {}
    for line in lines:
        found = re.match(r"\s+d/d(\S+)\s+(\S+)\s+(\S+)$", line)
        if found:
            printed.setdefault(found[1], (float(found[2]), float(found[3])))
    # tanh(x·w + b): d/dx = w(1 - z²), d/dw = x(1 - z²), d/db = 1 - z²
    z = math.tanh(X * W + B)
    local = 1 - z * z
    expected = {"x": W * local, "w": X * local, "b": local}
    # the neuron tanh(Σ wᵢxᵢ + b): d/dxᵢ = wᵢ(1 - z²), d/dwᵢ = xᵢ(1 - z²), d/db = 1 - z²
    neuron = Neuron(3, "tanh", seed=0)
    ws = [w.data for w in neuron.w]
    zn = math.tanh(sum(w * x for w, x in zip(ws, INPUTS)) + neuron.b.data)
    ln = 1 - zn * zn
    neuron_expected = {f"x{k}": ws[k] * ln for k in range(3)}
    neuron_expected |= {f"w.{k}": INPUTS[k] * ln for k in range(3)}
    for name, value in expected.items():
        assert printed[name][0] == pytest.approx(value, rel=1e-14, abs=1e-15)
        assert printed[name][1] == pytest.approx(value, rel=1e-14, abs=1e-15)
    for name, value in neuron_expected.items():
        assert all(v == pytest.approx(value, rel=1e-14, abs=1e-15) for v in printed[name])
    assert text.count("they agree") == 2 and "THEY DIFFER" not in text
    # the program is printed: the forward lines and the rules of the backward pass
    for line in (
        "t4 = x * w",
        "g_t5 = g_t6 * (1.0 - t6 * t6)",  # tanh's rule, as its formula
        "g_x = g_t4 * w",  # mul's
        "g_w_0 = g_t8 * x0",  # dot's
        "# dot: ∂t8/∂w_0 = x0",
    ):
        assert line in text
    assert "TraceMismatchError: at sample 1" in text
    assert lines[-1].startswith("compiled: the traced programs' gradients agree")


def test_compiled_demo_batch_outputs_are_the_eager_ones(capsys: Any) -> None:
    from demos.compiled import B, W

    lines = run_demo("compiled", [], capsys)
    row = next(line for line in lines if line.strip().startswith("prog(x)"))
    shown = [float(v) for v in row.split("[")[1].split("]")[0].split()]
    xs = np.linspace(-1.0, 1.0, 5)
    eager = [(Value(float(x)) * W + B).tanh().data for x in xs]
    assert shown == pytest.approx(eager, abs=5e-7)  # printed to 6 decimals


# ---- the "Compiled replay" page, docs/compiled.md ----


def test_the_compiled_replay_page_runs_as_written_and_shows_the_source_it_prints(
    capsys: Any,
) -> None:
    section = (ROOT / "docs" / "compiled.md").read_text()
    first, shown, training = re.findall(r"```python\n(.*?)```", section, re.S)[:3]
    namespace: dict[str, Any] = {}
    exec(compile(first, "compiled.md", "exec"), namespace)
    assert capsys.readouterr().out == shown + "\n"  # print adds one newline to the source
    prog, xs = namespace["prog"], namespace["xs"]
    # the numbers its comments quote: tanh(x·w + b) by hand
    assert prog(0.5, -2.0, 0.3) == math.tanh(0.5 * -2.0 + 0.3) == -0.6043677771171636
    assert "-0.6043677771171636" in first
    quoted = re.search(r"# array\(\[(.*?)\]\)", first)
    assert quoted is not None
    assert [float(v) for v in quoted[1].split(",")] == pytest.approx(
        np.tanh(xs * -2.0 + 0.3), abs=5e-9
    )
    # the training loop trains: the loss falls from ln 3 (three classes) to near 0
    exec(compile(training, "compiled.md", "exec"), namespace)
    assert namespace["loss"] < 0.05 < math.log(3)
    losses = namespace["losses"]  # the figures its comment quotes
    assert f"{losses[0]:.2f} at the first step" in training
    assert f"{losses[-1]:.4f} at the last" in training
