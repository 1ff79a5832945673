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
    assert source.count("v1:e -> o2") == 2  # from the record's downstream side
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


def test_a_number_an_op_made_into_a_leaf_is_a_constant_not_an_input() -> None:
    x = Value(3.0, "x")
    y = (x - 1.0) / 2  # the 1 and the 2 are constants: nobody differentiates by them
    source = to_dot(y).source
    place = {node: k for k, node in enumerate(topological_order(y), 1)}
    one, two = y.parents[0].parents[1], y.parents[1]
    assert COLORS["input"] in record(source, place[x])
    assert COLORS["constant"] in record(source, place[one])
    assert COLORS["constant"] in record(source, place[two])
    assert ">constant</FONT>" in source  # named in the legend
    model = MLP(2, [1], seed=0)
    loss = hinge_loss([model([1.0, -1.0])], [1.0])  # a target and the mean's divisor
    drawn = to_dot(loss, params=model).source
    constants = [
        n for n in topological_order(loss) if COLORS["constant"] in record(drawn, _at(n, loss))
    ]
    assert {n.data for n in constants} >= {1.0}
    assert all(not n.op and n not in model.parameters() for n in constants)


def _at(node: Value, root: Value) -> int:
    return topological_order(root).index(node) + 1


# ---- layout: what the eye follows ----


def _plain(source: str) -> tuple[dict[str, tuple[float, ...]], list[tuple[str, str, list[float]]]]:
    """dot's layout as numbers: {node: (x, y, width, height)} and [(tail, head, points)]."""
    text = subprocess.run(
        ["dot", "-Tplain"], input=source, capture_output=True, text=True, check=True
    ).stdout
    nodes, edges = {}, []
    for line in text.splitlines():
        parts = line.split()
        if parts[0] == "node":
            nodes[parts[1]] = tuple(float(v) for v in parts[2:6])
        elif parts[0] == "edge" and "invis" not in parts:  # drawn edges only
            count = int(parts[3])
            edges.append((parts[1], parts[2], [float(v) for v in parts[4 : 4 + 2 * count]]))
    return nodes, edges


def _moons_like_mlp_loss() -> tuple[MLP, Value]:
    model = MLP(2, [3, 2, 1], seed=0)
    score = model([Value(1.0, "x0"), Value(-1.0, "x1")])
    loss = (1 - score).relu()
    loss.label = "loss"
    loss.backward()
    return model, loss


@needs_dot
@pytest.mark.parametrize("rankdir", ["LR", "TB"])
def test_edges_meet_a_record_at_its_sides_never_across_its_cells(rankdir: str) -> None:
    _, loss = _moons_like_mlp_loss()
    nodes, edges = _plain(to_dot(loss, group=True, rankdir=rankdir).source)
    across = 0 if rankdir == "LR" else 1  # the axis data flows along
    flat = {(t, h) for t, h, _ in edges if nodes[t][across] == nodes[h][across]}  # one rank
    assert flat  # a neuron's weights stand in one column with its dot
    for tail, head, points in edges:
        for name, leaves in ((tail, True), (head, False)):
            if not name.startswith("v"):
                continue
            x, y, width, height = nodes[name]
            sides = {  # the side an edge must meet: downstream for a tail, upstream for a head
                "e": x + width / 2,
                "w": x - width / 2,
                "n": y + height / 2,  # dot's plain output counts y upwards
                "s": y - height / 2,
            }
            wanted = (("e" if leaves else "w") if across == 0 else ("s" if leaves else "n"),)
            if (tail, head) in flat:  # a weight beside its dot: any side, never inside
                wanted = ("e", "w", "n", "s")
            ends = [points[:2], points[-2:]]  # dot may list a flat edge's points backwards
            gap = min(
                abs(end[0 if side in "ew" else 1] - sides[side]) for end in ends for side in wanted
            )
            assert gap < 0.15, f"{tail} -> {head} meets {name} inside it"


@needs_dot
def test_dot_lays_out_grouped_networks_and_an_unrolled_rnn_without_a_warning() -> None:
    from demos.rnn import unrolled_graph

    lecture = MLP(3, [4, 4, 1], activation="tanh", output_activation="tanh", seed=0)
    roots = [(lecture([2.0, 3.0, -1.0]), True), unrolled_graph()]
    model = MLP(2, [4, 4, 1], seed=0)
    xs = [[2.0, 3.0], [3.0, -1.0], [0.5, 1.0], [1.0, 1.0], [-1.0, 2.0], [0.3, -0.7], [1.5, 0.2]]
    roots.append((hinge_loss([model(x) for x in xs], [1.0, -1.0] * 3 + [1.0]), True))
    for root, group in roots:
        for rankdir in ("LR", "TB"):
            source = to_dot(root, group=group, rankdir=rankdir).source
            done = subprocess.run(["dot", "-Tsvg"], input=source, capture_output=True, text=True)
            assert done.returncode == 0 and done.stderr == "", done.stderr


@needs_dot
def test_an_mlp_drawn_by_module_reads_as_one_column_per_layer() -> None:
    model, loss = _moons_like_mlp_loss()
    nodes, _ = _plain(to_dot(loss, group=True).source)
    place = {node: k for k, node in enumerate(topological_order(loss), 1)}
    columns = []
    for layer in model.layers:  # each layer's weights and bias records
        drawn = [nodes[f"v{place[p]}"] for p in layer.parameters()]
        left = min(x - w / 2 for x, _, w, _ in drawn)
        right = max(x + w / 2 for x, _, w, _ in drawn)
        low = min(y - h / 2 for _, y, _, h in drawn)
        high = max(y + h / 2 for _, y, _, h in drawn)
        columns.append((left, right, low, high))
    for (_, right, low, high), (left, _, low2, high2) in zip(columns, columns[1:]):
        assert right < left  # the next layer stands to the right, not above or below
        assert low2 < high and low < high2  # in the same band: no staircase


@needs_dot
def test_each_time_step_of_the_unrolled_rnn_is_a_box_with_its_own_inputs() -> None:
    from demos.rnn import unrolled_graph

    loss, box = unrolled_graph(units=2, steps=3)
    order = topological_order(loss)
    place = {node: k for k, node in enumerate(order, 1)}
    source = to_dot(loss, group=box).source
    clusters = re.findall(r"subgraph cluster_\d+ \{\n\t+label=<([^>]*)>(.*?)\n\t\}", source, re.S)
    bodies = {label: body for label, body in clusters}
    assert sorted(bodies) == ["time step 0", "time step 1", "time step 2"]
    shared = [n for n in order if not n.op and n not in box and n.label[:1] in ("w", "b", "c")]
    assert len(shared) == 2 + 4 + 2 + 2 + 1  # wx, wh, b, wy, c of a 2-unit cell
    for t in range(3):
        body = bodies[f"time step {t}"]
        x = next(n for n in order if n.label == f"x{t}")
        assert f'v{place[x]} [id="v{place[x]}"' in body  # its input
        for weight in shared:  # and every shared weight, drawn again in each box
            k = place[weight]
            assert re.search(rf'\bv{k}(_\d+)? \[id="v{k}(_\d+)?"', body), (t, weight.label)
    nodes, edges = _plain(source)
    reads = [
        (tail, head)
        for tail, head, _ in edges
        if tail.split("_")[0] in {f"v{place[w]}" for w in shared}
    ]
    long = [e for e in reads if abs(nodes[e[0]][0] - nodes[e[1]][0]) > 4.0]  # inches
    assert not long, f"weights read from far away: {long[:3]}"


# ---- options checked at the call ----


@pytest.mark.parametrize(
    "options,error,match",
    [
        ({"max_nodes": -1}, ValueError, "max_nodes must be at least 1"),
        ({"max_nodes": 2.5}, TypeError, "max_nodes must be an int"),
        ({"max_nodes": True}, TypeError, "max_nodes must be an int"),
        ({"number_format": "q"}, ValueError, "number_format"),
        ({"number_format": "%d"}, ValueError, "number_format"),
        ({"number_format": 4}, TypeError, "number_format must be a str"),
        ({"number_format": "500.3f"}, ValueError, "characters wide"),
        ({"grads": [1.0, 2.0]}, TypeError, "grads must be a mapping"),
        ({"grads": {1: 1.0}}, TypeError, "grads' keys must be Values"),
        ({"grads": "abc"}, TypeError, "grads must be a mapping"),
        ({"highlight": 3}, TypeError, "highlight must be a list of Values"),
        ({"highlight": [1.0]}, TypeError, "highlight must hold only Values"),
        ({"params": [2.0]}, TypeError, "params must hold only Values"),
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


# ---- the step-through demo and the pdb session of docs/seeing-backprop.md ----


def test_step_through_demo_prints_each_step_and_writes_a_picture_per_step(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    from demos import step_through

    out = tmp_path if shutil.which("dot") else None
    step_through.main(["--out", str(out)] if out else [])
    text = capsys.readouterr().out
    assert "step 3/6  xw = x * w = -1   grad 0.63474   -> x += -1.26948, w += 0.31737" in text
    assert "== neuron" in text
    if out:
        assert len(list(tmp_path.glob("expression_*.png"))) == 6


def test_the_docs_pdb_session_works_as_written() -> None:
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
    page = (ROOT / "docs" / "seeing-backprop.md").read_text()
    for line in commands.strip().splitlines():
        assert f"(Pdb) {line}" in page  # the page shows these very commands
    session = page.split("$ python demos/step_through.py --pdb")[1].split("```")[0]
    shown = out.replace(str(ROOT), "...")
    for line in session.splitlines():  # and the very places pdb stops at, line numbers included
        if line.startswith(("> ", "Breakpoint", "-> ")):
            assert line in shown, f"docs/seeing-backprop.md pdb line is stale: {line!r}"


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
