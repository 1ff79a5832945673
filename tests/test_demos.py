"""Every demo runs end to end with tiny settings, says truthfully what it measured, and labels
what it draws; moons reaches 100% with its own settings."""

from __future__ import annotations

import importlib
import math
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
TRAINING_DEMOS = ["moons", "xor", "spiral", "regression", "rnn"]
DRAWING_DEMOS = {"moons", "xor", "spiral", "regression", "rnn", "vanishing", "optimizers"}
PROGRESS = re.compile(r"after +(\d+)/(\d+) steps  loss (\S+)(?:  accuracy +(\S+)%)?  elapsed")
HAS_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None


def run_demo(name: str, argv: list[str], capsys: Any) -> list[str]:
    importlib.import_module(f"demos.{name}").main(argv)
    return capsys.readouterr().out.strip().splitlines()


@pytest.mark.parametrize("name", TRAINING_DEMOS)
def test_demo_runs_end_to_end_with_tiny_settings_into_a_folder_it_makes(
    name: str, tmp_path: Path, capsys: Any
) -> None:
    out = tmp_path / "not" / "there" / "yet"
    lines = run_demo(name, ["--steps", "3", "--seed", "1", "--out", str(out)], capsys)
    assert lines[-1].startswith(f"{name}: 3 steps")  # the one-line summary
    progress = [m.groups() for line in lines if (m := PROGRESS.match(line))]
    assert [(k, n) for k, n, *_ in progress] == [("0", "3"), ("1", "3"), ("2", "3"), ("3", "3")]
    if name in DRAWING_DEMOS and HAS_MATPLOTLIB:
        pngs = list(out.glob("*.png"))
        assert pngs and all(p.read_bytes()[:4] == b"\x89PNG" for p in pngs)
        assert all(str(p) in lines[-1] for p in pngs)  # the summary names what it wrote


def test_moons_last_progress_line_and_summary_report_the_trained_model(
    tmp_path: Path, capsys: Any
) -> None:
    from demos.moons import loss_and_accuracy, train

    lines = run_demo("moons", ["--steps", "7", "--seed", "2", "--out", str(tmp_path)], capsys)
    last = [m for line in lines if (m := PROGRESS.match(line))][-1]
    summary = re.search(r"then loss (\S+) and training accuracy (\d+)%", lines[-1])
    assert last is not None and summary is not None and last.group(1, 2) == ("7", "7")
    # the oracle: the returned model, evaluated afresh, after its 7th (last) update
    run = train(steps=7, seed=2)
    model, X, y, losses, accuracy = run.model, run.X, run.y, run.losses, run.accuracy
    loss, fresh = loss_and_accuracy(model, X, y)
    assert len(losses) == 8 and losses[-1] == loss.data and accuracy == fresh
    assert float(last.group(3)) == pytest.approx(loss.data, abs=1e-6)
    assert float(summary.group(1)) == pytest.approx(loss.data, abs=1e-4)
    assert float(last.group(4)) == pytest.approx(100 * fresh, abs=0.05)
    assert int(summary.group(2)) == round(100 * fresh)


@pytest.mark.skipif(not HAS_MATPLOTLIB, reason="pictures need matplotlib")
@pytest.mark.parametrize("name", sorted(DRAWING_DEMOS))
def test_every_axis_a_demo_draws_is_labelled(
    name: str, tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = importlib.import_module(f"demos.{name}")
    figures = []

    def keep(fig: Any, out: str, picture: str) -> str:
        labels = []
        for ax in fig.axes:
            if hasattr(ax, "_colorbar"):  # a colorbar: only its long axis carries a label
                labels.append(ax._colorbar.long_axis.get_label_text())
            else:
                labels += [ax.get_xlabel(), ax.get_ylabel()]
                assert ax.get_title() or fig.get_suptitle(), f"{picture}: an untitled panel"
        figures.append((picture, labels))
        return str(Path(out) / picture)

    monkeypatch.setattr(module, "save", keep)
    argv = ["--depth", "3"] if name == "vanishing" else ["--steps", "3"]
    run_demo(name, [*argv, "--out", str(tmp_path)], capsys)
    assert figures
    for picture, labels in figures:
        assert labels and all(label.strip() for label in labels), (picture, labels)


def test_xor_draws_its_picture_and_its_help_says_so(tmp_path: Path, capsys: Any) -> None:
    lines = run_demo("xor", ["--steps", "5", "--out", str(tmp_path)], capsys)
    done = subprocess.run(
        [sys.executable, "-m", "demos.xor", "--help"], cwd=ROOT, capture_output=True, text=True
    )
    assert "xor.png" in done.stdout
    if HAS_MATPLOTLIB:
        assert (tmp_path / "xor.png").read_bytes()[:4] == b"\x89PNG"
        assert lines[-1].endswith(f"picture: {tmp_path / 'xor.png'}")


def test_tour_demo_runs(capsys: Any) -> None:
    importlib.import_module("demos.tour").main([])
    out = capsys.readouterr().out
    assert "g = 24.7041   dg/da = 138.8338   dg/db = 645.5773" in out


def test_rnn_shared_weight_gradient_is_the_sum_over_time_steps() -> None:
    from demos.rnn import TanhRNN, shared_gradient_is_a_sum_over_time

    shared, parts = shared_gradient_is_a_sum_over_time(TanhRNN(4, seed=2), 5)
    assert len(parts) == 5 and parts[0] == 0.0  # h₀ = 0: the first step cannot use Wh
    assert shared == pytest.approx(sum(parts), rel=1e-12) and shared != 0.0


def test_rnn_unrolled_graph_puts_each_time_step_in_its_own_box() -> None:
    from autograd import topological_order
    from demos.rnn import WAVE_STEP, unrolled_graph

    loss, box = unrolled_graph(units=2, steps=3)
    named = {node.label: node for node in topological_order(loss) if node.label}
    for t in range(3):
        for label in (f"x{t}", f"h{t}[0]", f"h{t}[1]", f"y{t}", f"target{t}", f"error{t}"):
            assert box.get(named[label]) == f"time step {t}", label
    outside = ["h₋₁[0]", "h₋₁[1]", "wx.0", "wh.0.1", "b.1", "wy.0", "c", "loss"]
    assert not [label for label in outside if named[label] in box]
    # the loss is the mean squared error against the next points of sin(0.3 + kΔ)
    targets = [math.sin(0.3 + (t + 1) * WAVE_STEP) for t in range(3)]
    expected = sum((named[f"y{t}"].data - targets[t]) ** 2 for t in range(3)) / 3
    assert loss.data == pytest.approx(expected, rel=1e-12)


def test_rnn_drawing_shows_the_time_steps_in_time_order(tmp_path: Path) -> None:
    from autograd.viz import dot_program

    if dot_program() is None:
        pytest.skip("Graphviz's dot is not installed")
    from demos.rnn import unrolled_drawing

    paths = unrolled_drawing(str(tmp_path / "new"))
    svg = Path(paths[-1]).read_text()
    boxes = {}
    for body in re.findall(r'<g id="clust\d+" class="cluster">(.*?)</g>', svg, re.S):
        name = re.search(r"<text[^>]*>([^<]*)</text>", body)
        points = [float(v) for v in re.findall(r"-?\d+\.?\d*", re.search(r' d="([^"]+)"', body)[1])]
        assert name is not None
        boxes[name[1]] = (min(points[0::2]), min(points[1::2]), max(points[1::2]))
    steps = [boxes[f"time step {t}"] for t in range(3)]
    lefts, tops, bottoms = zip(*steps)
    assert list(lefts) == sorted(lefts) and len(set(lefts)) == 3  # later steps further right
    below = all(bottoms[t] <= tops[t + 1] for t in range(2))
    above = all(bottoms[t + 1] <= tops[t] for t in range(2))
    assert below or above  # each step in a band of its own: a diagonal, without overlapping


def test_vanishing_demo_shows_sigmoid_vanishing_and_kaiming_relu_steady() -> None:
    from demos.vanishing import layer_gradient_norms

    sigmoid = layer_gradient_norms("sigmoid", "xavier", 12, seed=0)
    relu = layer_gradient_norms("relu", "kaiming", 12, seed=0)
    assert len(sigmoid) == 12 and sigmoid[0] / sigmoid[-1] < 1e-4
    assert 1e-1 < relu[0] / relu[-1] < 1e1


@pytest.mark.parametrize(
    "ratio, word",
    [
        (9.3e-8, "vanishes"),
        (0.0099, "vanishes"),
        (0.01, "shrinks"),
        (0.099, "shrinks"),
        (0.1, "holds steady"),
        (0.32, "holds steady"),
        (10.0, "holds steady"),
        (10.5, "grows"),
        (57.0, "grows"),  # the 57-fold growth that was once called steady
        (100.0, "grows"),
        (3.6e3, "explodes"),
    ],
)
def test_vanishing_verdict_matches_its_stated_thresholds(ratio: float, word: str) -> None:
    from demos.vanishing import verdict

    assert verdict(ratio) == word


def test_vanishing_summary_gives_each_network_the_verdict_of_its_own_line(
    tmp_path: Path, capsys: Any
) -> None:
    lines = run_demo("vanishing", ["--depth", "20", "--out", str(tmp_path)], capsys)
    own = dict(re.findall(r"^(\w+, [^:]+): .* it (.+) on the way back$", "\n".join(lines), re.M))
    summary = lines[-1]
    assert summary.startswith("vanishing: 6 networks of 20 layers") and len(own) == 6
    in_summary = dict(re.findall(r"(\w+, [^;:]+?) \S+ \(([a-z ]+)\)", summary))
    assert in_summary == own
    assert own["tanh, U(-1, 1)"] == "grows" and own["relu, Kaiming"] == "holds steady"


def test_vanishing_steps_and_batches_are_one_flag_counting_averaged_batches(
    tmp_path: Path, capsys: Any
) -> None:
    def lines(*flags: str) -> list[str]:
        return run_demo("vanishing", ["--depth", "3", *flags, "--out", str(tmp_path)], capsys)[:6]

    two = lines("--batches", "2")
    assert two == lines("--steps", "2")
    assert two != lines("--batches", "1")  # a second batch changes the averaged norms


@pytest.mark.parametrize("name", TRAINING_DEMOS + ["vanishing", "optimizers"])
def test_demo_help_describes_it(name: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", f"demos.{name}", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and "--steps" in done.stdout and "--out" in done.stdout
    if name == "vanishing":
        assert "--batches" in done.stdout and "random batches to average" in done.stdout
        assert "training steps" not in done.stdout


def test_optimizers_demo_counts_steps_and_momentum_beats_sgd_on_the_saddle(
    tmp_path: Path, capsys: Any
) -> None:
    from demos.optimizers import SURFACES, run

    f, start, minimum, _, rates = SURFACES["saddle"]
    _, plain = run(f, start, minimum, "SGD", rates["SGD"], 500)
    _, momentum = run(f, start, minimum, "momentum", rates["momentum"], 500)
    assert plain is not None and momentum is not None and momentum < plain
    importlib.import_module("demos.optimizers").main(["--steps", "5", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert "saddle: start" in out and "optimizers: steps to tolerance" in out


def test_vanishing_demo_runs_with_tiny_settings(tmp_path: Path, capsys: Any) -> None:
    lines = run_demo("vanishing", ["--depth", "3", "--out", str(tmp_path / "new")], capsys)
    assert lines[-1].startswith("vanishing: 6 networks of 3 layers")


def test_moons_reaches_full_accuracy_with_the_demo_settings_eager_and_compiled_alike() -> None:
    from demos.moons import train

    eager = train(steps=100, seed=0)
    assert eager.accuracy == 1.0 and eager.losses[-1] < eager.losses[0] / 10
    # --compiled: the same run step for step (traced hinge replayed on NumPy; the oracle is the
    # eager engine building every point's graph), so the same accuracy and the same losses
    compiled = train(steps=100, seed=0, compiled=True)
    assert compiled.accuracy == eager.accuracy
    assert compiled.losses == pytest.approx(eager.losses, rel=1e-10, abs=0)


def test_a_demo_without_matplotlib_still_trains_and_says_how_to_get_pictures(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: Any
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    importlib.import_module("demos.regression").main(["--steps", "2", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert "pip install -e '.[demos]'" in out
    assert out.strip().splitlines()[-1].startswith("regression: 2 steps")
    assert not list(tmp_path.glob("*.png"))
