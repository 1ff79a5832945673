"""The notebooks in notebooks/: executed top to bottom by nbclient in a fresh kernel that runs
this environment's Python, their printed numbers checked against numbers derived by hand here,
and their HTML rendering (nbconvert) opened in headless Chromium and clicked.

Needs the `notebook` extra (nbclient, nbformat, nbconvert, ipykernel; `make test` installs it),
Graphviz's dot, and for the browser tests playwright with Chromium.
"""

from __future__ import annotations

import ast
import json
import math
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.browser import chromium_page, needs_dot

for _module in ("nbformat", "nbclient", "nbconvert", "ipykernel"):
    pytest.importorskip(
        _module, reason=f"{_module} is not installed: pip install -e '.[notebook]' (make test does)"
    )

import nbclient  # noqa: E402
import nbformat  # noqa: E402
from jupyter_client import AsyncKernelManager  # noqa: E402
from jupyter_client.kernelspec import KernelSpecManager  # noqa: E402
from nbconvert import HTMLExporter  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
NAMES = ("micrograd_lecture.ipynb", "stepper.ipynb", "studio.ipynb", "gpt.ipynb")
KERNEL = "stepgrad-this-venv"
PROBE = "import sys\nprint(sys.executable)"
B = 6.8813735870195432  # the lecture's bias: n = -6 + 0 + B = atanh(1/√2), so o = 1/√2


class Run:
    """One notebook, executed: the notebook with its outputs, the folder it ran in (where it
    writes its files), and its HTML rendering."""

    def __init__(self, nb: Any, workdir: Path, html: Path) -> None:
        self.nb, self.workdir, self.html = nb, workdir, html

    def cell(self, tag: str) -> Any:
        (found,) = [c for c in self.nb.cells if tag in c.metadata.get("tags", [])]
        return found

    def stdout(self, tag: str) -> str:
        outputs = self.cell(tag).outputs
        return "".join(o.text for o in outputs if o.output_type == "stream" and o.name == "stdout")

    def lines(self, tag: str) -> list[str]:
        return self.stdout(tag).splitlines()


def _execute(name: str, tmp: Path) -> Run:
    """Run the notebook in a kernel launched with sys.executable (a kernelspec of our own, so a
    `python3` kernel installed elsewhere cannot stand in), in a folder of its own."""
    specs = tmp / "kernels" / KERNEL
    specs.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "stepgrad test kernel",
        "language": "python",
    }
    (specs / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    manager = AsyncKernelManager(
        kernel_name=KERNEL, kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(specs.parent)])
    )
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    probe = nbformat.v4.new_code_cell(PROBE)
    probe.metadata["tags"] = ["probe"]
    nb.cells.insert(0, probe)
    workdir = tmp / Path(name).stem
    workdir.mkdir()
    nbclient.NotebookClient(
        nb, km=manager, timeout=120, resources={"metadata": {"path": str(workdir)}}
    ).execute()
    body, _ = HTMLExporter().from_notebook_node(nb)
    html = tmp / f"{Path(name).stem}.html"
    html.write_text(body, encoding="utf-8")
    return Run(nb, workdir, html)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    if not (ROOT / "notebooks" / NAMES[0]).exists():
        pytest.fail("notebooks/ is missing its notebooks: run python notebooks/make_notebooks.py")
    tmp = tmp_path_factory.mktemp("notebooks")
    return {Path(name).stem: _execute(name, tmp) for name in NAMES}


@pytest.fixture(scope="module")
def lecture(runs: dict[str, Run]) -> Run:
    return runs["micrograd_lecture"]


@pytest.fixture(scope="module")
def stepper(runs: dict[str, Run]) -> Run:
    return runs["stepper"]


@pytest.fixture(scope="module")
def studio(runs: dict[str, Run]) -> Run:
    return runs["studio"]


@pytest.fixture(scope="module")
def gpt(runs: dict[str, Run]) -> Run:
    return runs["gpt"]


def _number(pattern: str, text: str) -> float:
    """The number that the first group of `pattern` finds in `text` (lines anchored by ^, $)."""
    match = re.search(pattern, text, re.M)
    assert match, f"{pattern!r} not in {text!r}"
    return float(match.group(1))


def _close(got: float, want: float, tol: float = 1e-4) -> bool:
    return abs(got - want) <= tol * max(1.0, abs(want))


# ---- the notebooks as committed ----


def test_the_committed_notebooks_are_what_make_notebooks_writes_and_hold_no_outputs() -> None:
    check = subprocess.run(
        [sys.executable, str(NOTEBOOKS / "make_notebooks.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    for name in NAMES:
        nb = nbformat.read(NOTEBOOKS / name, as_version=4)
        nbformat.validate(nb)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert code and all(c.outputs == [] and c.execution_count is None for c in code)


# ---- executed ----


@needs_dot
def test_each_notebook_runs_in_this_environments_python_without_errors_or_warnings(
    runs: dict[str, Run],
) -> None:
    for run in runs.values():
        assert run.stdout("probe").strip() == sys.executable
        for cell in run.nb.cells:
            for output in cell.get("outputs", []):
                assert output.output_type != "error", output
                if output.output_type == "stream" and output.name == "stderr":
                    noise = "Matplotlib is building the font cache"  # first run of matplotlib
                    assert all(line.startswith(noise) for line in output.text.splitlines()), (
                        output.text
                    )


@needs_dot
def test_the_numeric_slope_of_f_is_6x_minus_4_plus_3h(lecture: Run) -> None:
    # (f(x+h) - f(x))/h for f = 3x² - 4x + 5 is exactly 6x - 4 + 3h
    h = 0.0001
    rows = [re.match(r"x = (\S+)\s+slope = (\S+)", line) for line in lecture.lines("slopes")]
    assert [float(r.group(1)) for r in rows if r] == [3.0, -3.0, round(2 / 3, 4)]
    for x, row in zip((3.0, -3.0, 2 / 3), rows):
        assert row and _close(float(row.group(2)), 6 * x - 4 + 3 * h, 1e-4)


@needs_dot
def test_walking_L_back_by_hand_gives_the_chain_rule_gradients(lecture: Run) -> None:
    # L = d·f, d = e + c, e = a·b with a=2, b=-3, c=10, f=-2: dL/dd = f, dL/df = d = 4,
    # + passes dL/dd on to e and c, and dL/da = b·dL/de, dL/db = a·dL/de
    want = {"L": 1.0, "d": -2.0, "f": 4.0, "e": -2.0, "c": -2.0, "a": 6.0, "b": -4.0}
    got = dict(re.findall(r"^(\w+)\.grad = (\S+)$", lecture.stdout("manual-L"), re.M))
    assert {k: float(v) for k, v in got.items()} == want
    numeric = dict(re.findall(r"^dL/d(\w) ≈ (\S+)$", lecture.stdout("numeric-L"), re.M))
    assert {k: float(v) for k, v in numeric.items()} == {k: want[k] for k in "abcf"}
    assert "gradcheck: True" in lecture.stdout("numeric-L")
    steps = lecture.lines("steps-L")
    assert len(steps) == 7 and steps[0].startswith("step 1/7  L = d * f")
    assert ast.literal_eval(lecture.stdout("backward-L").strip()) == want


@needs_dot
def test_nudging_the_leaves_along_their_gradients_raises_L(lecture: Run) -> None:
    a, b, c, f = 2.0 + 0.06, -3.0 - 0.04, 10.0 - 0.02, -2.0 + 0.04
    assert lecture.stdout("nudge").strip() == f"L = {(a * b + c) * f:.6f}" == "L = -7.286496"


@needs_dot
def test_the_lecture_neuron_has_its_hand_derived_gradients(lecture: Run) -> None:
    # n = x1·w1 + x2·w2 + b = 0.8814, o = tanh n = 1/√2, do/dn = 1 - o² = 1/2; the sums pass
    # 1/2 on; d/dx1 = w1/2, d/dw1 = x1/2, d/dx2 = w2/2, d/dw2 = x2/2
    out = lecture.stdout("manual-neuron")
    assert f"o = {1 / math.sqrt(2):.4f}" in out
    got = {k: float(v) for k, v in re.findall(r"^(\S+)\.grad = (\S+)$", out, re.M)}
    assert got == {
        "n": 0.5,
        "b": 0.5,
        "x1*w1": 0.5,
        "x2*w2": 0.5,
        "x1": -3.0 / 2,
        "w1": 2.0 / 2,
        "x2": 1.0 / 2,
        "w2": 0.0 / 2,
    }
    order, grads, check = lecture.lines("backward-neuron")
    assert ast.literal_eval(order)[-2:] == ["n", "o"]
    assert ast.literal_eval(grads) == {"x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0, "b": 0.5}
    assert check == "gradcheck: True"


@needs_dot
def test_a_value_used_twice_collects_both_contributions(lecture: Run) -> None:
    assert lecture.stdout("twice").strip() == "b.parents: ['a', 'a']   a.grad = 2.0"


@needs_dot
def test_tanh_built_in_as_a_custom_op_and_from_exp_give_the_same_gradients(lecture: Run) -> None:
    header, *rows = lecture.lines("tanh-compare")
    assert header.split() == ["o", "x1.grad", "w1.grad", "x2.grad", "w2.grad", "b.grad"]
    want = [1 / math.sqrt(2), -1.5, 1.0, 0.5, 0.0, 0.5]
    assert [row[:14].strip() for row in rows] == ["built-in tanh", "my_tanh", "tanh from exp"]
    for row in rows:
        assert all(_close(float(v), w, 1e-6) for v, w in zip(row[14:].split(), want, strict=True))


@needs_dot
def test_the_pytorch_cell_shows_torchs_numbers_live_or_recorded_alike(lecture: Run) -> None:
    out = lecture.stdout("torch")
    try:
        import torch
    except ImportError:
        assert re.match(r"PyTorch 2\.13\.0\S*, as recorded on \d{4}-\d\d-\d\d:", out), out
    else:  # the kernel runs this same Python
        assert out.startswith(f"PyTorch {torch.__version__}, live:"), out
    rows = re.findall(r"^(\S+)\s+torch\s+(\S+)\s+stepgrad\s+(\S+)$", out, re.M)
    want = {"o": 1 / math.sqrt(2), "x1.grad": -1.5, "w1.grad": 1.0, "x2.grad": 0.5}
    want.update({"w2.grad": 0.0, "b.grad": 0.5})
    assert [name for name, _, _ in rows] == list(want)
    for name, torch_number, ours in rows:
        assert _close(float(torch_number), want[name], 1e-6) and _close(float(ours), want[name])


def test_without_torch_the_pytorch_cell_reads_the_recording(tmp_path: Path) -> None:
    nb = nbformat.read(NOTEBOOKS / NAMES[0], as_version=4)
    (cell,) = [c for c in nb.cells if "torch" in c.metadata.get("tags", [])]
    source = cell.source.replace("import torch", "import torch_is_not_installed_here")
    versions = {"built-in tanh": (type("O", (), {"data": 1 / math.sqrt(2)})(), [])}
    printed: list[str] = []
    exec(source, {"versions": versions, "print": lambda *a: printed.append(" ".join(a))})
    assert printed[0].startswith("PyTorch 2.13.0") and "as recorded on" in printed[0]
    assert printed[1].split()[:3] == ["o", "torch", "0.707107"]


@needs_dot
def test_forgetting_zero_grad_doubles_the_gradient_and_zero_grad_clears_it(lecture: Run) -> None:
    first, second, cleared = lecture.lines("zero-grad")
    g1, g2 = _number(r"grad (\S+)$", first), _number(r"backward: grad (\S+) ", second)
    assert g1 != 0.0 and abs(g2 - 2 * g1) <= 2e-6
    assert cleared == "after model.zero_grad(): grad 0.0"


@needs_dot
def test_training_the_lecture_mlp_brings_its_predictions_to_the_targets(lecture: Run) -> None:
    ys = [1.0, -1.0, -1.0, 1.0]
    start = re.match(r"loss = (\S+)\s+predictions: (\[.*\])$", lecture.stdout("loss").strip())
    assert start
    first = [float(p) for p in ast.literal_eval(start.group(2))]
    # the loss is the sum of squared errors of the printed predictions (rounded to 4 places)
    assert _close(float(start.group(1)), sum((p - y) ** 2 for p, y in zip(first, ys)), 1e-3)
    steps = re.findall(r"^step\s+(\d+)\s+loss (\S+)$", lecture.stdout("train"), re.M)
    assert [int(k) for k, _ in steps] == [0, 5, 10, 15, 20, 25, 29]
    losses = [float(v) for _, v in steps]
    assert losses[0] == float(start.group(1))
    assert all(later < earlier for earlier, later in zip(losses, losses[1:]))
    out = lecture.stdout("predictions")
    final = [(float(t), float(p)) for t, p in re.findall(r"target (\S+)\s+prediction (\S+)", out)]
    assert [t for t, _ in final] == ys
    assert all(abs(p - t) < 0.15 for t, p in final)
    loss = _number(r"^loss = (\S+)$", out)
    assert loss < 0.05 and _close(loss, sum((p - t) ** 2 for t, p in final), 1e-3)
    assert lecture.stdout("sgd").strip().endswith("weights: 0.0")


@needs_dot
def test_every_inline_drawing_fits_a_notebooks_width(lecture: Run) -> None:
    drawings = [c for c in lecture.nb.cells if "draw" in c.metadata.get("tags", [])]
    drawings.append(lecture.cell("twice"))
    assert len(drawings) == 6
    for cell in drawings:
        (svg,) = [o.data["image/svg+xml"] for o in cell.outputs if "data" in o]
        width = _number(r'<svg width="([\d.]+)pt"', svg)
        assert 100 < width <= 750, f"a drawing {width:.0f}pt wide scrolls sideways in a notebook"


@needs_dot
def test_the_mlp_drawing_is_shown_inline_at_full_size_in_a_box_that_scrolls(lecture: Run) -> None:
    assert lecture.stdout("draw-mlp").strip() == "71 nodes"  # 3 inputs, 41 parameters, 27 ops
    (shown,) = [o for o in lecture.cell("draw-mlp").outputs if o.output_type == "execute_result"]
    html = shown.data["text/html"]
    assert html.startswith('<div style="overflow: auto; max-height: 40em"><svg style="max-width')
    assert html.count('class="cluster"') == 3 + 4 + 4 + 1  # a box per layer and per neuron
    assert "layers.2.neurons.0.b" in html and not (lecture.workdir / "mlp.svg").exists()


@needs_dot
def test_the_stepper_shows_two_inline_pages_with_the_frames_counted_by_hand(
    stepper: Run,
) -> None:
    # the neuron's loss (o - y)²: leaves w.0 w.1 x1 x2 b y, ops dot + tanh - **2: 11 nodes;
    # frames: 1 (leaves) + 5 ops + 1 error + 11 backward + 3 updates = 21.
    # The MLP(2, [3, 1]) MSE over 2 samples: 13 parameters; per sample 2 inputs, 3 relu neurons
    # (dot, +, relu), a linear output (dot, +), a target, - and **2: 3 leaves + 13 ops; the
    # mean: sum, the constant 2 and /: 13 + 2·16 + 3 = 48 nodes, 2·13 + 2 = 28 ops;
    # frames: 1 + 28 + 1 + 48 + 13 = 91.
    for tag, frames, nodes in (("animate-neuron", 21, 11), ("animate-mlp", 91, 48)):
        (shown,) = [o for o in stepper.cell(tag).outputs if o.output_type == "execute_result"]
        assert shown.data["text/html"].startswith("<iframe srcdoc=")
        assert 'sandbox="allow-scripts"' in shown.data["text/html"]
        assert shown.data["text/plain"].startswith(f"<Animation: {frames} frames, {nodes} nodes")
    page = stepper.workdir / "mlp_step.html"
    size = page.stat().st_size
    assert stepper.stdout("save").strip() == f"wrote mlp_step.html ({size:,} bytes, 91 frames)"


@needs_dot
def test_the_neurons_backward_steps_print_the_chain_rule_worked_by_hand(stepper: Run) -> None:
    w0, w1, b = ast.literal_eval(stepper.lines("neuron")[0]).values()
    x1, x2, y = 1.0, -2.0, 1.0
    o = math.tanh(w0 * x1 + w1 * x2 + b)
    dn = 2 * (o - y) * (1 - o * o)  # dloss/dn for loss = (tanh n - y)²
    want = {
        "w.0": dn * x1,
        "w.1": dn * x2,
        "b": dn,
        "x1": dn * w0,
        "x2": dn * w1,
        "y": -2 * (o - y),
    }
    out = stepper.stdout("neuron-steps")
    assert out.startswith("step 1/11  loss = ") and out.count("\nstep ") == 10
    leaves = dict(re.findall(r"^step \d+/11\s+(\S+) \(leaf\) = \S+\s+grad (\S+)", out, re.M))
    assert leaves.keys() == want.keys()
    assert all(_close(float(leaves[k]), want[k], 1e-5) for k in want)
    assert re.search(rf"^step 3/11  o = tanh\(#8\) = {o:.6g}\s", out, re.M)


@needs_dot
def test_both_pages_in_the_rendered_stepper_play_on_their_own(stepper: Run) -> None:
    with chromium_page(1200, 900) as page:
        page.route(  # nbconvert's template links CDN scripts: no network here, no waiting
            "**/*",
            lambda route: (
                route.continue_()
                if route.request.url.startswith(("file:", "about:", "data:"))
                else route.abort()
            ),
        )
        page.goto(stepper.html.as_uri(), wait_until="domcontentloaded")
        assert page.locator("iframe").count() == 2
        neuron, mlp = page.frame_locator("iframe").nth(0), page.frame_locator("iframe").nth(1)
        for frame in (neuron, mlp):
            frame.locator(".stepgrad[data-sg-ready]").wait_for()
            fits = frame.locator(".sg-foot").evaluate(
                "foot => foot.getBoundingClientRect().bottom <= window.innerHeight"
            )
            assert fits  # the frame is tall enough: nothing of the page is cut off
        one, two = neuron.locator(".sg-counter"), mlp.locator(".sg-counter")
        assert (one.inner_text(), two.inner_text()) == ("1 / 21", "1 / 91")
        neuron.locator(".sg-next").click()
        assert (one.inner_text(), two.inner_text()) == ("2 / 21", "1 / 91")
        mlp.locator(".sg-next").click()
        mlp.locator(".sg-next").click()
        assert (one.inner_text(), two.inner_text()) == ("2 / 21", "3 / 91")
        assert neuron.locator(".sg-text").inner_text().startswith("Forward, op 1 of 5")
        assert mlp.locator(".sg-text").inner_text().startswith("Forward, op 2 of 28")


@needs_dot
def test_the_saved_page_opens_alone_and_ends_with_the_update(stepper: Run) -> None:
    with chromium_page(1100, 800) as page:
        page.goto((stepper.workdir / "mlp_step.html").as_uri())
        page.locator(".stepgrad[data-sg-ready]").wait_for()
        assert page.locator(".sg-counter").inner_text() == "1 / 91"
        page.locator(".sg-view").click()
        page.keyboard.press("End")
        assert page.locator(".sg-counter").inner_text() == "91 / 91"
        assert page.locator(".sg-text").inner_text().startswith("Update, parameter 13 of 13")


@needs_dot
def test_the_rendered_lecture_shows_every_drawing_whole(lecture: Run) -> None:
    with chromium_page(1200, 900) as page:
        page.route(
            "**/*",
            lambda route: (
                route.continue_()
                if route.request.url.startswith(("file:", "about:", "data:"))
                else route.abort()
            ),
        )
        page.goto(lecture.html.as_uri(), wait_until="load")
        images = page.locator(".jp-RenderedSVG img")
        assert images.count() == 6
        for k in range(6):
            natural, room = images.nth(k).evaluate(
                "img => [img.naturalWidth, img.closest('.jp-OutputArea-output').clientWidth]"
            )
            assert 100 < natural <= room, f"drawing {k + 1} is {natural}px in {room}px of room"


@needs_dot
def test_the_notebooks_page_quotes_the_lecture_notebooks_own_losses(lecture: Run) -> None:
    page = (ROOT / "docs" / "notebooks.md").read_text(encoding="utf-8")
    quoted = re.search(r"\(loss (\S+) to (\S+) in (\d+) steps\)", page)
    assert quoted, "docs/notebooks.md quotes the lecture's training"
    first = _number(r"^loss = (\S+) ", lecture.stdout("loss"))
    final = _number(r"^loss = (\S+)$", lecture.stdout("predictions"))
    steps = re.findall(r"^step\s+(\d+)", lecture.stdout("train"), re.M)
    assert quoted.groups() == (f"{first:.2f}", f"{final:.2f}", str(int(steps[-1]) + 1))


# ---- studio.ipynb ----


@needs_dot
def test_the_studio_notebook_prints_the_losses_of_the_eager_loop(studio: Run) -> None:
    from nn import MLP, SGD, hinge_loss
    from nn.datasets import make

    X, y = make("moons", 100, seed=0)
    model = MLP(2, [16, 16, 1], seed=0)
    optimizer = SGD(model.parameters(), lr=0.1)
    want = {}
    for k in range(1, 27):  # steps 1 and 26 of the printed ones, the eager way
        loss = hinge_loss([model(x) for x in X], y)
        right = sum((s.data > 0) == (t > 0) for s, t in zip([model(x) for x in X], y))
        model.zero_grad()
        loss.backward()
        optimizer.step()
        want[k] = (loss.data, right)
    rows = re.findall(r"^step +(\d+)  loss (\S+)  accuracy (\d+)%$", studio.stdout("train"), re.M)
    assert [int(r[0]) for r in rows] == [1, 26, 51, 76, 100]
    for step, loss_text, accuracy in rows[:2]:
        loss, right = want[int(step)]
        assert loss_text == f"{loss:.6f}" and int(accuracy) == right
    eager = re.match(
        r"eager loop: last loss (\S+); largest parameter difference (\S+)$",
        studio.stdout("eager").strip(),
    )
    assert eager and eager.group(1) == rows[-1][1] and float(eager.group(2)) < 1e-9


@needs_dot
def test_the_studio_notebook_shows_the_live_widget_and_saves_its_run(studio: Run) -> None:
    pytest.importorskip("anywidget")
    (shown,) = studio.cell("view").outputs
    assert "application/vnd.jupyter.widget-view+json" in shown["data"]
    lines = studio.lines("edit")
    # the point added as 100 moved down to 99 when point 0 was removed
    assert lines == ["sample 99 selected", lines[1]] and " on 100 points, " in lines[1]
    assert lines[1].startswith("step 120 ")
    saved = studio.workdir / "studio_run.html"
    assert studio.stdout("save").strip() == (
        f"wrote studio_run.html ({saved.stat().st_size:,} bytes, 120 steps)"
    )
    assert saved.stat().st_size < 2_000_000


# ---- gpt.ipynb ----


def _microgpt_start() -> tuple[Any, Any, Any, list[str]]:
    """The oracle's start, as microgpt's: random.seed(42), shuffle the names, draw the weights
    from the same stream; the tokenizer of the shuffled names."""
    import random

    from nn import GPT, CharTokenizer
    from nn.datasets import names

    docs = names()
    rng = random.Random(42)
    rng.shuffle(docs)
    tokenizer = CharTokenizer(docs)
    return GPT(tokenizer.vocab_size, seed=rng), tokenizer, rng, docs


@needs_dot
def test_the_gpt_notebook_builds_the_models_numbers_from_the_pieces(gpt: Run) -> None:
    model, tokenizer, _, docs = _microgpt_start()
    data = gpt.lines("data")
    assert data[0] == f"5,163 names, the first five after the shuffle: {', '.join(docs[:5])}"
    assert data[2] == "encode('emma') = [26, 4, 12, 12, 0, 26]"
    assert "GPT(27, n_embd=16, n_head=4, n_layer=1, block_size=16) has 4,192 parameters" in (
        gpt.stdout("model")
    )
    assert re.search(r"^  layers\.0\.mlp\.fc1 +64 x 16$", gpt.stdout("model"), re.M)
    assert gpt.lines("pieces") == [
        "5 positions x 27 logits",
        "largest difference from model(tokens): 0.0",
    ]
    loss = model.loss(tokenizer.encode("emma")).data
    assert gpt.lines("loss")[0] == f"loss {loss:.6f} (by hand {loss:.6f}); ln 27 = 3.295837"


@needs_dot
def test_the_gpt_notebook_draws_one_heads_scores_in_boxes_per_layer_head_and_position(
    gpt: Run,
) -> None:
    (shown,) = gpt.cell("head-graph").outputs
    svg = shown["data"]["text/html"]
    for box in ("layers.0", "layers.0.head.0", "layers.0.head.0.t.2"):
        assert f">{box}</text>" in svg, box
    for label in ("qk.0", "score.2", "weight.0"):
        assert f"layers.0.head.0.t.2.{label}" in svg
    assert re.search(r"… \d+ more nodes", svg) and svg.count("<svg") == 1


@needs_dot
def test_the_gpt_notebook_trains_microgpts_way_and_samples_names(gpt: Run) -> None:
    from nn import Adam, LambdaLR

    model, tokenizer, _, docs = _microgpt_start()
    opt = Adam(model.parameters(), lr=0.01, betas=(0.85, 0.99), eps=1e-8)
    schedule = LambdaLR(opt, lambda k: 1 - k / 500)
    losses = []
    for k in range(100):  # the first 100 of its 500 steps, the oracle's own loop
        loss = model.loss(tokenizer.encode(docs[k])[:17])
        loss.backward()
        opt.step()
        opt.zero_grad()
        schedule.step()
        losses.append(loss.data)
    rows = re.findall(
        r"^step +(\d+)   mean loss of the last 100 steps (\S+)$", gpt.stdout("train"), re.M
    )
    assert [int(r[0]) for r in rows] == [100, 200, 300, 400, 500]
    assert rows[0][1] == f"{sum(losses) / 100:.4f}"
    assert float(rows[-1][1]) < 2.5 < math.log(27)
    samples = re.findall(r"^sample +\d+: ([a-z]*)$", gpt.stdout("samples"), re.M)
    assert len(samples) == 20 and sum(2 <= len(s) <= 10 for s in samples) >= 15
