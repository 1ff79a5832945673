"""Every demo runs end to end with tiny settings; moons reaches 100% with its own settings."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TRAINING_DEMOS = ["moons", "xor", "spiral", "regression"]
DRAWING_DEMOS = {"moons", "spiral", "regression"}


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


@pytest.mark.parametrize("name", TRAINING_DEMOS)
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
