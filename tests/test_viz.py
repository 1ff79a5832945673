"""Drawing: DOT content, every format, missing dot, the size guard, the animated page."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograd import Value, backward_steps, topological_order
from autograd.viz import (
    GraphTooLargeError,
    GraphvizNotFoundError,
    animate,
    draw,
    frames,
    to_dot,
)
from nn import MLP, hinge_loss, l2_penalty

ROOT = Path(__file__).resolve().parent.parent
needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz's dot is not installed (apt-get install graphviz)"
)


def small() -> tuple[Value, Value, Value]:
    a = Value(3.0, "a")
    b = a * a
    b.label = "b"
    c = b + Value(-1.5, "k")
    c.label = "c"
    c.backward()
    return a, b, c


def test_dot_source_shows_every_nodes_label_data_and_grad() -> None:
    a, b, c = small()
    source = to_dot(c).source
    for node, data, grad in [(a, "3", "6"), (b, "9", "1"), (c, "7.5", "1")]:
        assert f"<B>{node.label}</B></TD><TD>data {data}</TD><TD>grad {grad}</TD>" in source
    assert "data -1.5</TD><TD>grad 1</TD>" in source


def test_a_node_used_twice_has_two_edges_into_its_op() -> None:
    a, b, c = small()
    source = to_dot(b).source
    assert source.count("v0 -> o1") == 2
    assert 'label="*" shape=circle' in source


def test_options_grads_highlight_format_and_direction() -> None:
    a, b, c = small()
    source = to_dot(c, show_grad=False, number_format=".2f", rankdir="TB", highlight=[b]).source
    assert "grad" not in source and "data 9.00" in source and "rankdir=TB" in source
    assert source.count("#fde68a") == 1  # one highlighted node
    partial = to_dot(c, grads={c: 1.0}).source
    assert partial.count("grad ?") == 3 and "grad 1" in partial
    with pytest.raises(ValueError, match="rankdir"):
        to_dot(c, rankdir="UP")
    with pytest.raises(ValueError, match="number_format"):
        to_dot(c, number_format="%d")
    with pytest.raises(TypeError, match="needs a Value"):
        to_dot(3.0)  # type: ignore[arg-type]


def test_model_graph_is_labelled_and_grouped_by_module() -> None:
    model = MLP(2, [2, 1], seed=0)
    out = model([1.0, 2.0])
    source = to_dot(out, group=True).source
    assert "<B>layers.0.neurons.1.w.0</B>" in source
    assert source.count("subgraph cluster_") == 2 + 2 + 1  # layers.0, layers.1, 3 neurons
    assert 'label="layers.0.neurons.1"' in source and 'label="layers.1"' in source


@needs_dot
@pytest.mark.parametrize(
    "suffix,magic", [(".svg", b"<?xml"), (".png", b"\x89PNG"), (".pdf", b"%PDF")]
)
def test_each_format_renders_to_a_valid_file(tmp_path, suffix: str, magic: bytes) -> None:  # type: ignore[no-untyped-def]
    _, _, c = small()
    path = draw(c, tmp_path / f"g{suffix}")
    assert path.read_bytes().startswith(magic) and path.stat().st_size > 200
    assert [p.name for p in tmp_path.iterdir()] == [f"g{suffix}"]  # no temporary left


def test_dot_output_needs_no_graphviz_and_missing_dot_says_how_to_install(
    tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    _, _, c = small()
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    path = draw(c, tmp_path / "g.dot")
    assert path.read_text().startswith("digraph")
    with pytest.raises(GraphvizNotFoundError, match="apt-get install graphviz"):
        draw(c, tmp_path / "g.png")
    with pytest.raises(GraphvizNotFoundError, match="apt-get install graphviz"):
        animate(c, tmp_path / "g.html")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.dot"]  # nothing half-written


def test_unknown_suffix_is_a_value_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=r"\.svg, \.png, \.pdf, \.dot"):
        draw(Value(1.0), tmp_path / "g.jpg")


def moons_loss() -> Value:
    from demos.moons import make_moons

    X, y = make_moons(100, 0.1, 0)
    model = MLP(2, [16, 16, 1], seed=0)
    scores = [model([float(a), float(b)]) for a, b in X]
    return hinge_loss(scores, y.tolist()) + l2_penalty(model.parameters())


def test_size_guard_answers_a_moons_sized_graph_in_seconds(tmp_path) -> None:  # type: ignore[no-untyped-def]
    loss = moons_loss()
    count = len(topological_order(loss))
    start = time.perf_counter()
    with pytest.raises(GraphTooLargeError, match=f"{count:,} nodes.*summary=True"):
        draw(loss, tmp_path / "big.svg")
    assert time.perf_counter() - start < 5.0
    assert not list(tmp_path.iterdir())
    start = time.perf_counter()
    draw(loss, tmp_path / "big.dot", summary=True, max_nodes=300)
    assert time.perf_counter() - start < 5.0
    text = (tmp_path / "big.dot").read_text()
    assert f"… {count - 300:,} more nodes" in text


@needs_dot
def test_a_summarised_moons_graph_renders_in_seconds(tmp_path) -> None:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    draw(moons_loss(), tmp_path / "big.svg", summary=True, max_nodes=200)
    assert time.perf_counter() - start < 30.0 and (tmp_path / "big.svg").stat().st_size > 1000


def test_digraph_shows_inline_in_jupyter() -> None:
    _, _, c = small()
    d = to_dot(c)
    assert hasattr(d, "_repr_mimebundle_")
    if shutil.which("dot"):
        bundle = d._repr_mimebundle_()
        assert "image/svg+xml" in bundle and "<svg" in bundle["image/svg+xml"]


# ---- the animated page ----


def test_frames_follow_the_backward_steps_without_touching_grads() -> None:
    x, w = Value(2.0, "x"), Value(3.0, "w")
    z = x * w
    z.label = "z"
    records = frames(z)
    assert x.grad == 0.0 and len(records) == 3
    assert "d z/d x" not in records[0]["text"]
    assert "x: dz/dx = 3  ->  sends 1 × 3 = 3" in records[0]["text"]
    assert [len(r["known"]) for r in records] == [1, 2, 3]


@needs_dot
def test_animated_page_has_one_frame_per_step_each_marking_its_node(tmp_path) -> None:  # type: ignore[no-untyped-def]
    x, w, b = Value(0.5, "x"), Value(-2.0, "w"), Value(0.3, "b")
    z = (x * w + b).tanh()
    page = animate(z, tmp_path / "bp.html").read_text()
    steps = list(backward_steps(z))
    assert page.count('<div class="frame" hidden>') == len(steps) == 6
    assert page.count('class="node current"') == 6  # one per frame
    assert page.count("grad ?") > 0 and "http" not in page.split("<script>")[1]
    assert "<script src" not in page and "<link" not in page  # self-contained


def _browser():  # type: ignore[no-untyped-def]
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install -e '.[browser]')")
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.skip("no Chromium installed (apt-get install chromium)")
    return sync_playwright, executable


@needs_dot
def test_page_works_in_a_real_browser_from_file_url(tmp_path) -> None:  # type: ignore[no-untyped-def]
    sync_playwright, executable = _browser()
    x, w, b = Value(0.5, "x"), Value(-2.0, "w"), Value(0.3, "b")
    z = (x * w + b).tanh()
    path = animate(z, tmp_path / "bp.html")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page()
        page.goto(path.resolve().as_uri())

        def state():  # type: ignore[no-untyped-def]
            current = page.locator(".frame:not([hidden]) g.current")
            return (
                current.get_attribute("id"),
                page.inner_text("#panel"),
                page.inner_text("#counter"),
            )

        first = state()
        assert first[2] == "1 / 6" and first[1].startswith("Step 1 of 6")
        page.click("#next")
        second = state()
        assert second[0] != first[0] and second[1].startswith("Step 2 of 6")
        page.keyboard.press("ArrowRight")
        assert state()[2] == "3 / 6"
        page.keyboard.press("ArrowLeft")
        page.click("#prev")
        assert state() == first
        page.fill("#slider", "6")
        page.dispatch_event("#slider", "input")
        assert state()[1].startswith("Step 6 of 6")
        assert page.locator(".frame:not([hidden])").count() == 1
        browser.close()


# ---- the step-through demo and the README's pdb session ----


def test_step_through_demo_prints_each_step_and_writes_a_picture_per_step(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    from demos import step_through

    out = tmp_path if shutil.which("dot") else None
    step_through.main(["--out", str(out)] if out else [])
    text = capsys.readouterr().out
    assert "step 3/6  xw = x * w = -1   grad 0.63474   -> x += -1.26948, w += 0.31737" in text
    assert "== neuron" in text
    if out:
        assert len(list(tmp_path.glob("expression_*.png"))) == 6


def test_the_readme_pdb_session_works_as_written() -> None:
    commands = "break ops.mul_backward\ncontinue\np g, z, x, y\nup\np node\np g\ncontinue\n"
    done = subprocess.run(
        [sys.executable, "demos/step_through.py", "--pdb"],
        cwd=ROOT,
        input=commands,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONBREAKPOINT": ""},
    )
    out = done.stdout
    assert "mul_backward()" in out and "-> return g * y, g * x" in out
    assert "(0.6347395899824584, -1.0, 0.5, -2.0)" in out
    assert "Value(label='xw', data=-1.0, grad=0.0, op='*')" in out
    assert "after backward: z.grad = 1.0" in out
    readme = (ROOT / "README.md").read_text()
    for line in commands.strip().splitlines():
        assert f"(Pdb) {line}" in readme  # the README shows these very commands
    session = readme.split("$ python demos/step_through.py --pdb")[1].split("```")[0]
    shown = out.replace(str(ROOT), "...")
    for line in session.splitlines():  # and the very places pdb stops at, line numbers included
        if line.startswith(("> ", "Breakpoint", "-> ")):
            assert line in shown, f"README pdb line is stale: {line!r}"


@needs_dot
def test_graph_demo_writes_drawings_and_a_page(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    from demos import graph

    graph.main(["--out", str(tmp_path)])
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [
        "backprop.html",
        "expression.png",
        "expression.svg",
        "mlp.png",
        "mlp.svg",
        "neuron.png",
        "neuron.svg",
    ]
