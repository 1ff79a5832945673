"""Every demo runs end to end with tiny settings; moons reaches 100% with its own settings."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TRAINING_DEMOS = ["moons", "xor", "spiral", "regression", "rnn"]
DRAWING_DEMOS = {"moons", "spiral", "regression", "rnn", "vanishing", "optimizers"}


@pytest.mark.parametrize("name", TRAINING_DEMOS)
def test_demo_runs_end_to_end_with_tiny_settings(name: str, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    module = importlib.import_module(f"demos.{name}")
    module.main(["--steps", "3", "--seed", "1", "--out", str(tmp_path)])
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1].startswith(f"{name}: 3 steps")  # the one-line summary
    assert any(line.startswith("step ") for line in lines)  # progress while it trains
    if name in DRAWING_DEMOS and importlib.util.find_spec("matplotlib"):
        pngs = list(tmp_path.glob("*.png"))
        assert pngs and all(p.read_bytes()[:4] == b"\x89PNG" for p in pngs)


def test_tour_demo_runs(capsys) -> None:  # type: ignore[no-untyped-def]
    importlib.import_module("demos.tour").main([])
    out = capsys.readouterr().out
    assert "g = 24.7041   dg/da = 138.8338   dg/db = 645.5773" in out


def test_rnn_shared_weight_gradient_is_the_sum_over_time_steps() -> None:
    from demos.rnn import TanhRNN, shared_gradient_is_a_sum_over_time

    shared, parts = shared_gradient_is_a_sum_over_time(TanhRNN(4, seed=2), 5)
    assert len(parts) == 5 and parts[0] == 0.0  # h₀ = 0: the first step cannot use Wh
    assert shared == pytest.approx(sum(parts), rel=1e-12) and shared != 0.0


def test_vanishing_demo_shows_sigmoid_vanishing_and_kaiming_relu_steady(capsys) -> None:  # type: ignore[no-untyped-def]
    from demos.vanishing import layer_gradient_norms

    sigmoid = layer_gradient_norms("sigmoid", "xavier", 12, seed=0)
    relu = layer_gradient_norms("relu", "kaiming", 12, seed=0)
    assert len(sigmoid) == 12 and sigmoid[0] / sigmoid[-1] < 1e-4
    assert 1e-2 < relu[0] / relu[-1] < 1e2


def test_optimizers_demo_counts_steps_and_momentum_beats_sgd_on_the_saddle(
    tmp_path, capsys
) -> None:  # type: ignore[no-untyped-def]
    from demos.optimizers import SURFACES, run

    f, start, minimum, _, rates = SURFACES["saddle"]
    _, plain = run(f, start, minimum, "SGD", rates["SGD"], 500)
    _, momentum = run(f, start, minimum, "momentum", rates["momentum"], 500)
    assert plain is not None and momentum is not None and momentum < plain
    importlib.import_module("demos.optimizers").main(["--steps", "5", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert "saddle: start" in out and "optimizers: steps to tolerance" in out


def test_vanishing_demo_runs_with_tiny_settings(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    importlib.import_module("demos.vanishing").main(["--depth", "3", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert out.strip().splitlines()[-1].startswith("vanishing: 6 networks of 3 layers")


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


def test_moons_reaches_full_training_accuracy_with_the_demo_settings() -> None:
    from demos.moons import train

    model, X, y, losses, accuracy = train(steps=100, seed=0)
    assert accuracy == 1.0 and losses[-1] < losses[0] / 10


def test_a_demo_without_matplotlib_still_trains_and_says_how_to_get_pictures(
    monkeypatch, tmp_path, capsys
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    importlib.import_module("demos.regression").main(["--steps", "2", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert "pip install -e '.[demos]'" in out
    assert out.strip().splitlines()[-1].startswith("regression: 2 steps")
    assert not list(tmp_path.glob("*.png"))
