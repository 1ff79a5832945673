"""The animated page without a browser: its frames (forward, error, backward, update) against
hand-derived numbers, its size at 160 nodes, its options, and the notebook object.
(Clicking through it in Chromium: test_page_browser.py.)"""

from __future__ import annotations

import html
import json
import math
import re
from importlib import resources
from pathlib import Path

import pytest

from autograd import Value, grad, topological_order
from autograd.viz import Animation, GraphTooLargeError, animate, playback
from nn import MLP, mse_loss
from tests.browser import needs_dot

ROOT = Path(__file__).resolve().parent.parent


def neuron() -> tuple[Value, Value, Value, Value]:
    """z = tanh(x·w + b) with x = 0.5, w = -2, b = 0.3: s = -0.7."""
    x, w, b = Value(0.5, "x"), Value(-2.0, "w"), Value(0.3, "b")
    z = (x * w + b).tanh()
    z.label = "z"
    return x, w, b, z


def g4(x: float) -> str:
    return format(x, ".4g")


def mlp_loss(samples: int = 4) -> tuple[MLP, Value]:
    """The 4-sample MSE loss of MLP(2, [4, 4, 1]): 164 nodes, 37 parameters."""
    model = MLP(2, [4, 4, 1], seed=0)
    xs = [[2.0, 3.0], [3.0, -1.0], [0.5, 1.0], [1.0, 1.0]][:samples]
    ys = [1.0, -1.0, -1.0, 1.0][:samples]
    loss = mse_loss([model(x) for x in xs], ys)
    loss.label = "loss"
    return model, loss


def page_data(text: str) -> dict:  # type: ignore[type-arg]
    match = re.search(r'<script type="application/json" class="sg-data">(.*?)</script>', text)
    assert match
    return json.loads(match.group(1))  # type: ignore[no-any-return]


# ---- the frames ----


def test_a_seed_gradient_plays_backward_as_backward_with_that_grad_does() -> None:
    x, w, b, z = neuron()
    play = playback(z, forward=True, params=[w, b], lr=0.1, grad=-2.5)
    want = {}
    z.backward(-2.5)  # the engine's own pass, seeded: the oracle
    for leaf in (x, w, b):
        want[leaf] = leaf.grad
    error = next(f for f in play.frames if f.phase == "error")
    assert "∂L/∂z = -2.5" in error.text and "from outside this graph" in error.text
    arriving = {
        f.node: re.search(r"gradient arriving: \S+ = (\S+)", f.text).group(1)  # type: ignore[union-attr]
        for f in play.frames
        if f.phase == "backward"
    }
    for leaf in (x, w, b):
        assert arriving[leaf] == g4(want[leaf])
    update = [f for f in play.frames if f.phase == "update"]
    assert g4(w.data - 0.1 * want[w]) in update[0].text and "∂L/∂w" in update[0].text
    with pytest.raises(ValueError, match="finite"):
        playback(z, grad=math.inf)
    with pytest.raises(TypeError, match="real number"):
        playback(z, grad="1")  # type: ignore[arg-type]


def test_backward_frames_follow_the_engines_steps_without_touching_grads() -> None:
    x, w = Value(2.0, "x"), Value(3.0, "w")
    z = x * w
    z.label = "z"
    frames = playback(z).frames
    assert x.grad == 0.0 and [f.phase for f in frames] == ["backward"] * 3
    assert "x: ∂z/∂x = 3  ->  sends 1 × 3 = 3" in frames[0].text
    assert [f.node for f in frames] == [z, w, x]  # outputs first, as backward() goes
    assert [(c.node, c.field, c.new, c.old) for f in frames for c in f.changes] == [
        (z, "grad", "1", "?"),
        (w, "grad", "2", "?"),
        (x, "grad", "3", "?"),
    ]


def test_forward_frames_show_each_op_value_in_topological_order() -> None:
    x, w, b, z = neuron()
    play = playback(z, forward=True)
    forward = [f for f in play.frames if f.phase == "forward"]
    assert len(forward) == 1 + 3  # the leaves, then one frame per op
    assert forward[0].node is None and not forward[0].changes
    assert "inputs: x = 0.5" in forward[0].text and "parameters: w = -2, b = 0.3" not in (
        forward[0].text
    )  # without params, the expression's w and b are inputs, as drawn
    t = math.tanh(-0.7)
    s_node, z_node = z.parents[0], z
    xw = s_node.parents[0]
    assert [(f.node, f.changes[0].new) for f in forward[1:]] == [
        (xw, "-1"),
        (s_node, "-0.7"),
        (z_node, g4(t)),
    ]
    assert forward[1].text.splitlines()[1:] == ["  #4 = x * w", "     = 0.5 * (-2)", "     = -1"]
    assert forward[3].text.splitlines()[2].strip() == "= tanh(-0.7)"
    assert play.start[z] == ("?", "?") and play.start[x] == ("0.5", "?")


def test_error_frame_shows_the_output_and_its_seed_gradient() -> None:
    *_, z = neuron()
    frames = playback(z, forward=True).frames
    (error,) = [f for f in frames if f.phase == "error"]
    assert error.node is z and [(c.field, c.new) for c in error.changes] == [("grad", "1")]
    assert f"the output z = {g4(math.tanh(-0.7))}" in error.text and "∂z/∂z = 1" in error.text
    assert [f.phase for f in frames] == ["forward"] * 4 + ["error"] + ["backward"] * 6


def test_update_frames_apply_gradient_descent_to_each_parameter() -> None:
    x, w, b, z = neuron()
    frames = playback(z, forward=True, params=[w, b], lr=0.1).frames
    update = [f for f in frames if f.phase == "update"]
    slope = 1 - math.tanh(-0.7) ** 2  # dz/ds
    new_w, new_b = -2 - 0.1 * 0.5 * slope, 0.3 - 0.1 * slope  # by hand
    assert [f.node for f in update] == [w, b]
    assert [c.new for f in update for c in f.changes] == [
        f"-2 → {g4(new_w)}",
        f"0.3 → {g4(new_b)}",
    ]
    lines = update[0].text.splitlines()
    assert lines[1] == "  w <- w - 0.1 × ∂z/∂w"
    assert lines[2] == f"    = -2 - 0.1 × {g4(0.5 * slope)}"  # "=" under "<-"
    assert lines[3] == f"    = {g4(new_w)}   (was -2)"
    dw, db = grad(z, [w, b])  # and the engine agrees
    assert update[1].text.splitlines()[3].split()[1] == g4(0.3 - 0.1 * db)
    assert g4(-2 - 0.1 * dw) == g4(new_w)


def test_animate_never_changes_data_or_grad(tmp_path) -> None:  # type: ignore[no-untyped-def]
    model, loss = mlp_loss(2)
    loss.backward()  # grads already there: animate must neither add to them nor reset them
    nodes = topological_order(loss)
    before = [(n.data, n.grad) for n in nodes]
    play = playback(loss, forward=True, params=model.parameters(), lr=0.5)
    assert len(play.frames) > 100
    assert [(n.data, n.grad) for n in nodes] == before
    if __import__("shutil").which("dot"):
        animate(loss, tmp_path / "p.html", forward=True, params=model, lr=0.5)
        assert [(n.data, n.grad) for n in nodes] == before


def test_a_160_node_step_has_one_frame_per_op_node_and_parameter() -> None:
    model, loss = mlp_loss()
    nodes = topological_order(loss)
    ops = [n for n in nodes if n.op]
    assert (len(nodes), len(ops), len(model.parameters())) == (164, 114, 37)
    frames = playback(loss, forward=True, params=model.parameters(), lr=0.05).frames
    counts = {p: sum(f.phase == p for f in frames) for p in ("forward", "error", "backward")}
    assert counts == {"forward": 1 + 114, "error": 1, "backward": 164}
    assert [f.node for f in frames if f.phase == "update"] == model.parameters()
    assert max(len(f.changes) for f in frames) == 1  # a frame changes one cell


# ---- the page: size, scope, options ----


@needs_dot
def test_the_160_node_page_is_small_and_holds_the_layout_once() -> None:
    model, loss = mlp_loss()
    page = animate(loss, forward=True, params=model.parameters(), lr=0.05)
    size = len(page.html.encode("utf-8"))
    assert size < 1_000_000, f"{size:,} bytes"
    data = page_data(page.html)
    assert len(data["frames"]) == page.frames == 115 + 1 + 164 + 37
    record_bytes = [len(json.dumps(f)) for f in data["frames"]]
    assert sum(record_bytes) / len(record_bytes) < 500 and max(record_bytes) < 1500
    assert page.html.count('data-sg="v1"') == 1 and page.html.count("<svg") == 1


@needs_dot
def test_page_size_grows_with_nodes_plus_frames_not_their_product() -> None:
    ratios = []
    for samples in (1, 2, 4):
        model, loss = mlp_loss(samples)
        page = animate(loss, forward=True, params=model.parameters(), lr=0.05)
        ratios.append(len(page.html) / (page.nodes + page.frames))
    assert max(ratios) / min(ratios) < 1.5, ratios  # nodes x frames would grow 10-fold


@needs_dot
def test_the_page_is_self_contained_and_scoped_to_its_own_element(tmp_path) -> None:  # type: ignore[no-untyped-def]
    *_, z = neuron()
    page = animate(z)
    assert animate(z, tmp_path / "p.html").read_text() == page.html  # the same bytes
    fragment = page.fragment
    assert fragment.startswith('<div class="stepgrad">') and fragment in page.html
    assert re.search(r"\sid=", fragment) is None  # no id that a second page could repeat
    for needle in ("<script src", "<link", "http://", "https://", "import(", "fetch("):
        assert needle not in page.html.replace("http://www.w3.org", "")
    css = (resources.files("autograd.viz") / "assets" / "page.css").read_text()
    selectors = re.findall(r"(?:^|})\s*([^{}@/]+?)\s*{", re.sub(r"/\*.*?\*/", "", css, flags=re.S))
    for group in selectors:
        for selector in group.split(","):
            assert selector.strip().startswith(".stepgrad"), selector
    script = (resources.files("autograd.viz") / "assets" / "page.js").read_text()
    code = re.sub(r"/\*.*?\*/", "", script, flags=re.S).strip()
    # an ES module, the Studio's dialect: module scope (no globals), const/let, no var
    assert '<script type="module">' in fragment and re.search(r"\bvar\b", code) is None
    assert code.splitlines()[-1].startswith("for (const root of document.querySelectorAll(")
    assert "getElementById" not in script and "</script" not in script.lower()


def test_the_page_assets_are_package_data() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '"autograd.viz.assets" = ["*.html", "*.css", "*.js"]' in pyproject
    assets = resources.files("autograd.viz") / "assets"
    for name in ("page.html", "player.html", "page.css", "page.js"):
        assert assets.joinpath(name).is_file()


@needs_dot
def test_without_a_path_animate_returns_a_page_jupyter_shows_in_an_isolated_frame(
    tmp_path,
) -> None:  # type: ignore[no-untyped-def]
    *_, z = neuron()
    page = animate(z, forward=True, height=500)
    assert isinstance(page, Animation) and "11 frames, 6 nodes" in repr(page)
    shown = page._repr_html_()
    match = re.fullmatch(
        r'<iframe srcdoc="([^"]*)" sandbox="allow-scripts" style="([^"]*)"[^>]*>'
        r"</iframe>",
        shown,
    )
    assert match, shown[:200]
    assert html.unescape(match.group(1)) == page.html  # the whole page, escaped as an attribute
    assert "height: 500px" in match.group(2) and "allow-same-origin" not in shown
    saved = page.save(tmp_path / "saved.html")
    assert saved.read_text() == page.html
    with pytest.raises(ValueError, match=r"\.html"):
        page.save(tmp_path / "saved.txt")


@pytest.mark.parametrize(
    "options,error,match",
    [
        ({"params": "w", "lr": 0.1}, TypeError, "params needs a list of Values, got str"),
        ({"params": [1.0], "lr": 0.1}, TypeError, "params node 0 must be a Value, got float"),
        ({"params": [], "lr": 0.1}, ValueError, "params is empty"),
        ({"lr": 0.1}, ValueError, "got lr without params"),
        ({"params": "W", "lr": None}, ValueError, "got params without lr"),
        ({"params": "W", "lr": "0.1"}, TypeError, "lr must be a real number"),
        ({"params": "W", "lr": True}, TypeError, "lr must be a real number"),
        ({"params": "W", "lr": float("nan")}, ValueError, "lr must be a finite number"),
        ({"params": "W", "lr": -0.1}, ValueError, "lr must be a finite number >= 0"),
        ({"params": "OUTSIDE", "lr": 0.1}, ValueError, r"params\[0\] \(u\) is not in the graph"),
        ({"params": "NODE", "lr": 0.1}, ValueError, "is the result of an op"),
        ({"forward": "yes"}, TypeError, "forward must be True or False"),
        ({"max_nodes": -1}, ValueError, "max_nodes must be a positive int, got -1"),
        ({"max_nodes": 3}, GraphTooLargeError, "6 nodes, more than max_nodes=3"),
        ({"timeout": -1}, ValueError, "timeout must be more than 0"),
        ({"number_format": "q"}, ValueError, "number_format"),
        ({"rankdir": "XY"}, ValueError, "rankdir"),
        ({"height": 50}, ValueError, "height must be 200 to 5000"),
        ({"height": "big"}, TypeError, "height must be an int"),
        ({"title": b"bytes"}, TypeError, "title must be a str"),
        ({"group": 2.0}, TypeError, "group must be"),
    ],
)
def test_bad_animate_options_are_refused_at_the_call(options, error, match) -> None:  # type: ignore[no-untyped-def]
    x, w, b, z = neuron()
    stand_ins = {"W": [w], "OUTSIDE": [Value(1.0, "u")], "NODE": [z]}
    if isinstance(options.get("params"), str) and options["params"] in stand_ins:
        options = {**options, "params": stand_ins[options["params"]]}
        if options.get("lr", 0) is None:
            del options["lr"]
    with pytest.raises(error, match=match):
        animate(z, **options)
    with pytest.raises(ValueError, match=r"written as \.html"):
        animate(z, "page.svg")
    with pytest.raises(TypeError, match="animate needs a Value"):
        animate([z])  # type: ignore[call-overload]


def test_a_dotted_parameter_name_reads_as_one_symbol_in_the_page_text() -> None:
    w = Value(0.5, "layers.2.neurons.0.w.3")
    loss = w * w
    loss.label = "loss"
    texts = [f.text for f in playback(loss, params=[w], lr=0.1).frames]
    assert any("∂loss/∂(layers.2.neurons.0.w.3) = 1" in t for t in texts)  # a leaf's arrival
    assert any("× ∂loss/∂(layers.2.neurons.0.w.3)\n" in t for t in texts)  # its update
    assert not any("dloss/dlayers" in t for t in texts)


def test_the_default_height_range_animate_documents_is_the_one_it_uses() -> None:
    from autograd.viz import page

    tiny = page._inline_height('<svg viewBox="0 0 10 10">')
    huge = page._inline_height('<svg viewBox="0 0 10 100000">')
    doc = " ".join((page.animate.__doc__ or "").split())
    assert f"by default {tiny} to {huge}," in doc
