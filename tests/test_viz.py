"""Drawing: DOT content, names, colours and legend, every format, missing dot, the size guard,
options checked at the call. (The animated page: test_page.py; hostile text: test_viz_text.py.)"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograd import Value, backward_steps, topological_order
from autograd.viz import (
    COLORS,
    GraphTooLargeError,
    GraphvizNotFoundError,
    animate,
    draw,
    playback,
    to_dot,
)
from nn import MLP, Neuron, hinge_loss, l2_penalty
from tests.browser import needs_dot

ROOT = Path(__file__).resolve().parent.parent


def small() -> tuple[Value, Value, Value]:
    a = Value(3.0, "a")
    b = a * a
    b.label = "b"
    c = b + Value(-1.5, "k")
    c.label = "c"
    c.backward()
    return a, b, c


def record(source: str, k: int) -> str:
    """The DOT line of the value node at place k."""
    match = re.search(rf"\bv{k} \[id=\"v{k}\"[^\n]*", source)
    assert match, f"no record v{k} in the DOT source"
    return match.group(0)


def test_dot_source_shows_every_nodes_label_data_and_grad() -> None:
    a, b, c = small()
    source = to_dot(c).source
    for node, data, grad in [(a, "3", "6"), (b, "9", "1"), (c, "7.5", "1")]:
        assert f"<B>{node.label}</B></TD><TD>data {data}</TD><TD>grad {grad}</TD>" in source
    assert "data -1.5</TD><TD>grad 1</TD>" in source


def test_a_node_used_twice_has_two_edges_into_its_op() -> None:
    a, b, c = small()
    source = to_dot(b).source
    assert source.count("v1 -> o2") == 2
    assert 'o2 [id="o2" label=<*> shape=circle' in source


def test_options_grads_highlight_format_and_direction() -> None:
    a, b, c = small()
    source = to_dot(c, show_grad=False, number_format=".2f", rankdir="TB", highlight=[b]).source
    assert "grad" not in source and "data 9.00" in source and "rankdir=TB" in source
    assert COLORS["highlight"] in record(source, 2)  # b, and only b, is filled yellow
    assert sum(COLORS["highlight"] in record(source, k) for k in (1, 2, 3, 4)) == 1
    partial = to_dot(c, grads={c: 1.0}).source
    assert partial.count("grad ?") == 3 and "grad 1" in partial


def test_model_graph_is_labelled_and_grouped_by_module() -> None:
    model = MLP(2, [2, 1], seed=0)
    out = model([1.0, 2.0])
    source = to_dot(out, group=True).source
    assert "<B>layers.0.neurons.1.w.0</B>" in source
    assert source.count("subgraph cluster_") == 2 + 2 + 1  # layers.0, layers.1, 3 neurons
    assert "label=<layers.0.neurons.1>" in source and "label=<layers.1>" in source


# ---- one name per node ----


def test_an_unlabelled_node_has_one_name_in_the_drawing_the_steps_and_the_page() -> None:
    x, w = Value(0.5, "x"), Value(-2.0, "w")
    z = (x * w + 1.0).tanh()  # unlabelled: x*w, the constant 1, the sum, the tanh
    source = to_dot(z).source
    steps = list(backward_steps(z))
    order = topological_order(z)
    unlabelled = [node for node in order if not node.label]
    assert len(unlabelled) == 4
    texts = "\n".join(frame.text for frame in playback(z, forward=True).frames)
    for k, node in enumerate(order, 1):
        if node.label:
            continue
        name = f"#{k}"
        assert steps[0].name(node) == name  # the engine's own namer
        assert f">{name}</FONT>" in record(source, k)  # the drawing's name cell
        assert name in texts  # the page's panel text
    step = next(s for s in steps if s.node is order[2])  # x * w
    assert str(step).startswith(f"step {step.index}/6  #3 = x * w")
    assert "#3 = x * w" in texts


@needs_dot
def test_the_rendered_svg_shows_each_name_in_its_own_node(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import xml.etree.ElementTree as ET

    x = Value(2.0, "x")
    z = x * 3.0 + 1.0
    svg = ET.parse(draw(z, tmp_path / "g.svg")).getroot()
    ns = {"s": "http://www.w3.org/2000/svg"}
    for k, node in enumerate(topological_order(z), 1):
        group = svg.find(f".//s:g[@id='v{k}']", ns)
        assert group is not None
        first = group.find("s:text", ns)
        assert first is not None and first.text == (node.label or f"#{k}")


# ---- colours and legend ----


def test_roles_are_coloured_and_named_in_a_legend() -> None:
    neuron = Neuron(2, "tanh", seed=0)
    out = neuron([Value(1.0, "x0"), Value(-2.0, "x1")])
    source = to_dot(out).source
    place = {node: k for k, node in enumerate(topological_order(out), 1)}
    assert COLORS["parameter"] in record(source, place[neuron.b])  # the bias "b" is a parameter
    for w in neuron.w:
        assert COLORS["parameter"] in record(source, place[w])
    x0 = next(node for node in place if node.label == "x0")
    assert COLORS["input"] in record(source, place[x0])
    assert COLORS["output"] in record(source, place[out])
    legend = source.split("label=<<TABLE", 1)[1].split("</TABLE>>", 1)[0]
    for role in ("input", "parameter", "intermediate", "output"):
        assert f">{role}</FONT>" in legend


def test_a_plain_expressions_b_is_an_input_and_params_override_the_default() -> None:
    a, b = Value(2.0, "a"), Value(-3.0, "b")
    e = a * b
    assert COLORS["input"] in record(to_dot(e).source, 2)  # micrograd's b is just a number
    chosen = to_dot(e, params=[b]).source
    assert COLORS["parameter"] in record(chosen, 2) and COLORS["input"] in record(chosen, 1)
    model = MLP(2, [1], seed=0)
    out = model([1.0, 1.0])
    source = to_dot(out, params=model, legend=False).source  # a Module gives its parameters
    assert "parameter" not in source.split("node [", 1)[0]  # no legend
    assert source.count(COLORS["parameter"]) == 3


# ---- options checked at the call ----


@pytest.mark.parametrize(
    "options,error,match",
    [
        ({"max_nodes": -1}, ValueError, "max_nodes must be a positive int, got -1"),
        ({"max_nodes": 2.5}, TypeError, "max_nodes must be an int"),
        ({"max_nodes": True}, TypeError, "max_nodes must be an int"),
        ({"number_format": "q"}, ValueError, "number_format"),
        ({"number_format": "%d"}, ValueError, "number_format"),
        ({"number_format": 4}, TypeError, "number_format must be a str"),
        ({"number_format": "500.3f"}, ValueError, "characters wide"),
        ({"grads": [1.0, 2.0]}, TypeError, "grads must be a mapping"),
        ({"grads": {1: 1.0}}, TypeError, "grads' keys must be Values"),
        ({"grads": "abc"}, TypeError, "grads must be a mapping"),
        ({"highlight": 3}, TypeError, "highlight needs a list of Values, got int"),
        ({"highlight": Value(1.0)}, TypeError, r"got one Value; pass \[node\]"),
        ({"highlight": [1.0]}, TypeError, "highlight node 0 must be a Value, got float"),
        ({"params": [2.0]}, TypeError, "params node 0 must be a Value, got float"),
        ({"rankdir": "UP"}, ValueError, "rankdir must be one of"),
        ({"show_grad": "yes"}, TypeError, "show_grad must be True or False"),
        ({"summary": 1}, TypeError, "summary must be True or False"),
        ({"group": 3}, TypeError, "group must be"),
        ({"title": 3}, TypeError, "title must be a str"),
    ],
)
def test_bad_drawing_options_are_refused_at_the_call(options, error, match) -> None:  # type: ignore[no-untyped-def]
    _, _, c = small()
    with pytest.raises(error, match=match):
        to_dot(c, **options)


def test_bad_draw_arguments_are_refused_before_any_work(tmp_path) -> None:  # type: ignore[no-untyped-def]
    _, _, c = small()
    with pytest.raises(ValueError, match="timeout must be more than 0"):
        draw(c, tmp_path / "g.svg", timeout=-1)
    with pytest.raises(TypeError, match="timeout must be a number"):
        draw(c, tmp_path / "g.svg", timeout="soon")
    with pytest.raises(TypeError, match="needs a file path"):
        draw(c, 3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="to_dot needs a Value, got float"):
        to_dot(3.0)  # type: ignore[arg-type]
    assert not list(tmp_path.iterdir())


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
    target = tmp_path / "g.html"
    with pytest.raises(GraphvizNotFoundError, match="apt-get install graphviz") as missing:
        animate(c, target)
    message = str(missing.value)
    assert message.startswith(f"cannot write {target}: animate() needs a layout")
    assert message.count(str(tmp_path)) == 1  # the user's file, no temporary one
    with pytest.raises(GraphvizNotFoundError, match="^animate\\(\\) needs a layout: Graphviz"):
        animate(c)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.dot"]  # nothing half-written


def test_inline_drawing_without_dot_shows_an_install_hint(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _, _, c = small()
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    bundle = to_dot(c)._repr_mimebundle_()
    assert list(bundle) == ["text/plain"]
    assert "apt-get install graphviz" in bundle["text/plain"] and ".source" in bundle["text/plain"]


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
    with pytest.raises(GraphTooLargeError, match=f"{count:,} nodes.*max_nodes=300"):
        animate(loss, tmp_path / "big.html")
    assert time.perf_counter() - start < 5.0
    assert not list(tmp_path.iterdir())
    start = time.perf_counter()
    draw(loss, tmp_path / "big.dot", summary=True, max_nodes=300)
    assert time.perf_counter() - start < 5.0
    text = (tmp_path / "big.dot").read_text()
    assert f"… {count - 300:,} more nodes" in text
    assert f'v{count} [id="v{count}"' in text  # names by place in the whole graph
    assert f"v{count - 300} [id=" not in text and f"v{count - 299} [id=" in text


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


def test_a_bad_target_fails_before_any_layout_work(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import subprocess as sp

    from autograd.viz import animate, draw

    def no_layout(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("dot ran although the target was bad")

    monkeypatch.setattr(sp, "run", no_layout)
    _, _, c = small()
    with pytest.raises(FileNotFoundError, match="missing"):
        draw(c, tmp_path / "missing" / "g.svg")
    with pytest.raises(FileNotFoundError, match="missing"):
        animate(c, tmp_path / "missing" / "g.html")
    (tmp_path / "g.svg").mkdir()
    with pytest.raises(IsADirectoryError):
        draw(c, tmp_path / "g.svg")


def test_numpy_integers_work_as_drawing_options() -> None:
    import numpy as np

    _, _, c = small()
    assert "digraph" in to_dot(c, max_nodes=np.int64(10)).source
    if shutil.which("dot"):
        page = animate(c, max_nodes=np.int64(10), height=np.int64(600))
        assert page.height == 600 and type(page.height) is int
