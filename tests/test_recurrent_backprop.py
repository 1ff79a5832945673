"""The recurrent-backprop demo: its three gradients agree with each other and with the implicit
function theorem solved by NumPy; (a) keeps one step's graph, (b) every step's; it runs."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from demos import recurrent_backprop as rbp

ROOT = Path(__file__).resolve().parent.parent


def implicit_gradient(net: rbp.FixedPointNet, x: list[float], target: float) -> np.ndarray:
    """dL/dθ by hand, in NumPy: relax h = tanh(W h + U x + b) to its fixed point, then
    λ = (I − Jᵀ)⁻¹ ∂L/∂h with J = diag(1 − h²) W, and dL/dθ = λᵀ ∂f/∂θ, where
    ∂fᵢ/∂Wᵢⱼ = (1 − hᵢ²) hⱼ, ∂fᵢ/∂Uᵢⱼ = (1 − hᵢ²) xⱼ, ∂fᵢ/∂bᵢ = 1 − hᵢ²."""
    W, U, b = (np.array(m) for m in net.numbers())
    xs, h = np.array(x), np.zeros(len(b))
    for _ in range(10_000):
        h = np.tanh(W @ h + U @ xs + b)
    slope = 1.0 - h**2
    dl_dh = np.zeros(len(b))
    dl_dh[0] = 2.0 * (h[0] - target)
    adjoint = np.linalg.solve(np.eye(len(b)) - (slope[:, None] * W).T, dl_dh)
    delta = adjoint * slope  # λᵢ (1 − hᵢ²)
    return np.concatenate([np.outer(delta, h).ravel(), np.outer(delta, xs).ravel(), delta])


@pytest.mark.parametrize("seed", [0, 3])
def test_adjoint_unrolled_and_central_differences_give_the_same_gradient(seed: int) -> None:
    net = rbp.FixedPointNet(4, 2, seed)
    x, target = [0.7, -1.1], -1.0
    exact = implicit_gradient(net, x, target)
    a = rbp.almeida_pineda(net, x, target)
    b = rbp.unrolled(net, x, target, 300)
    c = rbp.central_differences(net, x, target)
    assert len(a.values) == 4 * 4 + 4 * 2 + 4 and np.abs(exact).max() > 1e-2
    assert np.abs(np.array(a.values) - exact).max() < 1e-12
    assert np.abs(np.array(b.values) - exact).max() < 1e-12
    assert np.abs(np.array(c.values) - exact).max() < 1e-8
    assert rbp.largest_difference(a.values, b.values) < 1e-12


def test_unrolling_too_few_steps_gives_a_gradient_that_is_off() -> None:
    net = rbp.FixedPointNet(4, 2, 1)
    x, target = [0.7, -1.1], 1.0
    exact = implicit_gradient(net, x, target)
    short = np.abs(np.array(rbp.unrolled(net, x, target, 3).values) - exact).max()
    longer = np.abs(np.array(rbp.unrolled(net, x, target, 12).values) - exact).max()
    assert short > 1e-4 and longer < short / 10


def test_unrolled_memory_grows_by_one_step_graph_per_step_and_the_adjoints_does_not() -> None:
    net = rbp.FixedPointNet(5, 2, 2)
    x, target = [0.4, 0.9], 1.0
    sizes = [rbp.unrolled(net, x, target, t).nodes for t in (10, 20, 30)]
    per_step = 3 * 5  # each unit: one dot, one + b, one tanh
    assert sizes[1] - sizes[0] == sizes[2] - sizes[1] == 10 * per_step
    loose = rbp.almeida_pineda(net, x, target, tol=1e-3)
    tight = rbp.almeida_pineda(net, x, target, tol=1e-14)
    assert tight.iterations >= 3 * loose.iterations
    assert tight.nodes == loose.nodes < sizes[0]


def test_the_network_is_made_contractive_and_training_keeps_it_so() -> None:
    net = rbp.FixedPointNet(6, 2, 4)
    assert np.linalg.norm(np.array(net.numbers()[0]), 2) == pytest.approx(rbp.RHO, rel=1e-12)
    for w in net.W[0]:
        w.data *= 5.0
    assert net.contract(rbp.RHO) > rbp.RHO
    assert np.linalg.norm(np.array(net.numbers()[0]), 2) == pytest.approx(rbp.RHO, rel=1e-12)
    X, Y = [[0.5, -0.3], [-1.0, 0.8]], [1.0, -1.0]
    rbp.train(net, X, Y, 3)
    assert np.linalg.norm(np.array(net.numbers()[0]), 2) <= rbp.RHO * (1 + 1e-12)


def test_demo_runs_end_to_end_and_its_printed_gradients_agree(
    monkeypatch, tmp_path, capsys
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(rbp, "GRID", (12, 8))  # a coarse picture: 96 relaxations, not 3,500
    rbp.main(["--steps", "3", "--seed", "1", "--out", str(tmp_path)])
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1].startswith("recurrent_backprop: 3 steps")
    assert sum(line.startswith("after ") for line in lines) == 4  # after 0, 1, 2 and 3 steps
    rows = [line.split() for line in lines if re.match(r"  [WUb]\.\d", line)]
    assert len(rows) == 6  # W, U, b: the output unit's largest entry and the hidden units'
    for _, a, b, c in rows:
        assert abs(float(a) - float(b)) < 1e-12 and abs(float(a) - float(c)) < 1e-8
    if importlib.util.find_spec("matplotlib"):
        pngs = sorted(p.name for p in tmp_path.glob("*.png"))
        assert pngs == ["recurrent_backprop_gradients.png", "recurrent_backprop_moons.png"]
        assert all((tmp_path / p).read_bytes()[:4] == b"\x89PNG" for p in pngs)


def test_demo_without_matplotlib_still_trains_and_says_how_to_get_pictures(
    monkeypatch, tmp_path, capsys
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    rbp.main(["--steps", "2", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert "pip install -e '.[demos]'" in out
    assert out.strip().splitlines()[-1].startswith("recurrent_backprop: 2 steps")
    assert not list(tmp_path.glob("*.png"))


def test_demo_help_describes_it() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "demos.recurrent_backprop", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0
    assert "Almeida-Pineda" in done.stdout
    assert all(flag in done.stdout for flag in ("--seed", "--steps", "--out"))
