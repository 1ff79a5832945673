"""The Studio in headless Chromium: the live widget served by Voilà on 127.0.0.1 (the app that
`python -m demos.studio` runs), every control, the semantic zoom of the graph pane and its
following the timeline, the app's kernels and console; and a saved run opened from disk. The
numbers the page shows are compared with a headless Studio made the same way (the app's
Studio.preset is seeded). Skips without Chromium, playwright, anywidget or voila."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nn import Studio
from nn.datasets import make
from tests.browser import chromium_page, needs_dot

ROOT = ".sgs"


def fmt(x: float) -> str:
    """The page's number format (common.js fmt: toExponential(3) or toFixed(4))."""
    a = abs(x)
    if a and (a < 1e-3 or a >= 1e4):
        mantissa, power = f"{x:.3e}".split("e")
        return f"{mantissa}e{int(power):+d}"
    return f"{x:.4f}"


def six(x: float) -> str:
    """A record's number as the page shows it: six digits (the protocol), then fmt."""
    return fmt(float(f"{x:.6g}"))


def f32(x: float) -> str:
    """A frame's number as the page shows it: float32 (a buffer), then fmt."""
    return fmt(float(np.float32(x)))


def dataset(page: Any) -> dict[str, str]:
    return page.evaluate("() => ({...document.querySelector('.sgs').dataset})")  # type: ignore[no-any-return]


def text(page: Any, selector: str) -> str:
    return page.locator(selector).first.text_content() or ""


def wait_for(page: Any, condition: str, timeout: float = 30.0) -> None:
    page.wait_for_function(condition, timeout=timeout * 1000)


def step_is(page: Any, k: int) -> None:
    wait_for(page, f"document.querySelector('.sgs')?.dataset.step === '{k}'")


def click_steps(page: Any, n: int) -> None:
    """n single steps, each waited for: a step count the test knows exactly."""
    start = int(dataset(page)["step"])
    for k in range(1, n + 1):
        page.click(".sgs-step")
        step_is(page, start + k)


def point_position(page: Any, x: list[float], bounds: list[float]) -> tuple[float, float]:
    """Where on the page the plane draws the input x."""
    box = page.locator(".sgs-plane").bounding_box()
    x0, x1, y0, y1 = bounds
    return (
        box["x"] + (x[0] - x0) / (x1 - x0) * box["width"],
        box["y"] + (y1 - x[1]) / (y1 - y0) * box["height"],
    )


def headless() -> Studio:
    """The app's Studio, made the same way (write_app's notebook)."""
    return Studio.preset("moons", hidden=[16, 16], n=100, seed=0, lr=0.1)


# ---- the app, served by Voilà ----


def needs_app() -> None:
    for module in ("anywidget", "voila", "playwright"):
        pytest.importorskip(module, reason=f"{module} is not installed: pip install -e '.[app]'")
    if shutil.which("chromium") is None and shutil.which("chromium-browser") is None:
        pytest.skip("no Chromium installed (apt-get install chromium)")


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    needs_app()
    from demos.studio import free_port, start_voila, stop, wait_until_serving, write_app

    folder = tmp_path_factory.mktemp("studio-app")
    process = start_voila(folder, write_app(folder, "moons", [16, 16]), free_port())
    try:
        yield wait_until_serving(process)
    finally:
        stop(process)


@pytest.fixture
def page(app: str) -> Iterator[Any]:
    """A fresh page of the app (a kernel of its own), at step 0; no console noise allowed."""
    console: list[str] = []
    with chromium_page(1400, 1300) as page:
        page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
        page.goto(app)
        step_is(page, 0)
        yield page
    assert console == [], console


def test_the_page_asks_nothing_of_the_network_and_plays_pauses_and_steps(app: str) -> None:
    remote: list[str] = []
    with chromium_page(1400, 1300) as page:
        local = ("http://127.0.0.1", "data:", "blob:", "ws://127.0.0.1")
        page.on("request", lambda r: None if r.url.startswith(local) else remote.append(r.url))
        page.goto(app)
        step_is(page, 0)
        assert text(page, ".sgs-counter") == "step 0" and text(page, ".sgs-loss") == "loss –"
        page.click(".sgs-play")  # play: the counter and the loss move
        wait_for(page, "Number(document.querySelector('.sgs').dataset.step) >= 15")
        page.click(".sgs-play")
        time.sleep(0.7)  # the requests on their way land
        stopped = int(dataset(page)["step"])
        time.sleep(0.5)
        assert int(dataset(page)["step"]) == stopped >= 15 and text(page, ".sgs-play") == "▶ play"
        want = headless()
        want.step(stopped)
        shown = text(page, ".sgs-loss").split()
        assert shown[1] == six(want.history[-1]["data_loss"])
        click_steps(page, 1)
        assert text(page, ".sgs-counter") == f"step {stopped + 1}"
        page.select_option(".sgs-speed", "5")  # steps per frame
        page.click(".sgs-reset")
        step_is(page, 0)
        page.click(".sgs-play")
        wait_for(page, "Number(document.querySelector('.sgs').dataset.step) >= 20")
        page.click(".sgs-play")
        time.sleep(0.7)
        assert int(dataset(page)["step"]) % 5 == 0  # every frame five steps
    assert remote == [], f"the page asked the network for {remote}"


def test_lr_and_l2_change_the_next_steps(page: Any) -> None:
    page.fill(".sgs-lr", "0.05")
    page.dispatch_event(".sgs-lr", "change")
    page.select_option(".sgs-l2", "0.01")
    wait_for(page, "document.querySelector('.sgs-info').textContent.includes('lr=0.05), L2 0.01')")
    click_steps(page, 2)
    want = headless()
    want.lr, want.l2 = 0.05, 0.01
    want.step(2)
    record = want.history[-1]
    assert f"(with L2: {six(record['loss'])})" in text(page, ".sgs-loss")
    assert text(page, ".sgs-loss").split()[1] == six(record["data_loss"])


def test_the_dataset_noise_and_test_split_controls(page: Any) -> None:
    click_steps(page, 2)
    page.select_option(".sgs-dataset", "circles")  # a new draw, from step 0
    step_is(page, 0)
    wait_for(page, "document.querySelector('.sgs-dataset').value === 'circles'")
    page.evaluate("() => { const n = document.querySelector('.sgs-noise'); n.value = '0.3';"
                  " n.dispatchEvent(new Event('change')); }")  # fmt: skip
    wait_for(page, "document.querySelector('.sgs-noise ~ .sgs-value').textContent === '0.30'")
    page.evaluate("() => { const t = document.querySelector('.sgs-test'); t.value = '0.3';"
                  " t.dispatchEvent(new Event('change')); }")  # fmt: skip
    wait_for(
        page,
        "document.querySelector('.sgs-info').textContent.includes('70 training points, 30 test')",
    )
    click_steps(page, 1)
    want = Studio.preset("moons", hidden=[16, 16], n=100, seed=0, lr=0.1)
    want.use_preset("circles", noise=0.3)
    want.test = 0.3
    want.step()
    record = want.history[-1]
    assert f"test {six(record['test_loss'])}" in text(page, ".sgs-loss")
    assert text(page, ".sgs-loss").split()[1] == six(record["data_loss"])


def layer_names(page: Any) -> list[str]:
    names = "document.querySelectorAll('.sgs-network .sgs-layer-name')"
    return page.evaluate(f"() => Array.from({names}, e => e.textContent)")  # type: ignore[no-any-return]


def test_layers_neurons_activation_and_inputs_change_between_runs(page: Any) -> None:
    click_steps(page, 3)
    page.click(".sgs-layer-plus")  # a third hidden layer of 2
    wait_for(page, "document.querySelector('.sgs-layer-count').textContent === ' 3'")
    step_is(page, 0)
    assert layer_names(page) == ["layer 1: 16 (relu)", "layer 2: 16 (relu)", "layer 3: 2 (relu)",
                                 "output: 1 (linear)", "inputs"]  # fmt: skip
    page.click(".sgs-neuron-buttons[data-layer='0'] .sgs-neuron-minus")
    wait_for(
        page, "document.querySelectorAll('.sgs-network .sgs-neuron').length === 15 + 16 + 2 + 1"
    )
    page.select_option(".sgs-activation", "tanh")
    first = "document.querySelector('.sgs-network .sgs-layer-name').textContent"
    wait_for(page, f"{first} === 'layer 1: 15 (tanh)'")
    page.locator(".sgs-input[data-input='x1*x2']").click()  # use x1·x2 as an input too
    wait_for(page, "document.querySelectorAll('.sgs-input:not(.sgs-off)').length === 3")
    page.click(".sgs-layer-minus")
    wait_for(page, "document.querySelector('.sgs-layer-count').textContent === ' 2'")
    click_steps(page, 2)
    want = headless()
    want.rebuild([15, 16], activation="tanh", inputs=["x1", "x2", "x1*x2"])
    want.step(2)
    assert text(page, ".sgs-loss").split()[1] == six(want.history[-1]["data_loss"])


def test_heat_maps_can_be_turned_off_and_the_frames_shrink(page: Any) -> None:
    click_steps(page, 1)
    with_maps = int(dataset(page)["lastFrame"])
    page.uncheck(".sgs-maps")
    wait_for(page, f"Number(document.querySelector('.sgs').dataset.lastFrame) < {with_maps - 4000}")
    click_steps(page, 1)
    assert int(dataset(page)["lastFrame"]) < with_maps - 4000  # 35 maps of 144 bytes fewer
    page.check(".sgs-maps")
    wait_for(page, f"Number(document.querySelector('.sgs').dataset.lastFrame) > {with_maps - 1000}")


def test_points_are_selected_added_as_training_or_test_points_and_removed(page: Any) -> None:
    X, _ = make("moons", 100, seed=0)
    bounds = headless().plane
    assert bounds is not None
    page.mouse.click(*point_position(page, X[7], bounds))  # click a point: it is selected
    wait_for(
        page, "document.querySelector('.sgs-info').textContent.startsWith('selected: sample 7 ')"
    )
    assert dataset(page)["sample"] == "7"
    corner = [bounds[0] + 0.05, bounds[2] + 0.05]
    page.mouse.click(*point_position(page, corner, bounds))  # empty space: a point is added
    wait_for(page, "document.querySelector('.sgs-info').textContent.includes(' of 101')")
    page.check(".sgs-add-test")
    page.mouse.click(*point_position(page, [bounds[1] - 0.05, bounds[2] + 0.05], bounds))
    wait_for(
        page,
        "document.querySelector('.sgs-info').textContent.includes('101 training points, 1 test')",
    )
    page.click(".sgs-remove")  # the selected point (7) goes
    wait_for(page, "document.querySelector('.sgs-info').textContent.includes(' of 101')")
    page.uncheck(".sgs-show-test")  # test points hidden from the plane, not from the data
    assert "1 test" in text(page, ".sgs-info")


def neuron_text(page: Any, layer: int, j: int) -> str:
    return text(page, f".sgs-graph-pane .sgs-nbox[data-layer='{layer}'][data-j='{j}'] text")


def test_the_graph_pane_shows_neurons_and_follows_the_timeline(page: Any) -> None:
    click_steps(page, 6)
    want = headless()
    want.step(6)
    for k in (6, 2, 0, 4):
        page.evaluate(f"() => {{ const s = document.querySelector('.sgs-timeline');"
                      f" s.value = '{k}'; s.dispatchEvent(new Event('input')); }}")  # fmt: skip
        wait_for(page, f"document.querySelector('.sgs-graph-pane').dataset.step === '{k}'")
        sample = want.frame(k)["sample"]
        for j in (0, 5, 15):  # layer 1 neurons: z and a of sample 0 at step k
            assert neuron_text(page, 0, j) == f"z {f32(sample['z'][j])}  a {f32(sample['a'][j])}"
        assert f"at step {k}" in text(page, ".sgs-graph-title")
        counter = text(page, ".sgs-counter")
        assert counter == (f"step {k} (of 6)" if k < 6 else "step 6")
    page.locator(".sgs-counter").click()  # the view has the focus
    page.keyboard.press("ArrowLeft")  # the keys move the timeline a step
    step_is(page, 3)
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    step_is(page, 5)


@needs_dot
def test_a_click_on_a_neuron_opens_its_ops_with_clickable_phases_that_follow_the_timeline(
    page: Any,
) -> None:
    click_steps(page, 4)
    page.locator(".sgs-graph-pane .sgs-nbox[data-layer='1'][data-j='3']").click()
    frame = page.frame_locator(".sgs-frame")
    frame.locator(".stepgrad[data-sg-ready]").wait_for(timeout=60_000)
    title = text(page, ".sgs-graph-title")
    assert title.startswith("neuron 3 of layer 2, sample 0, step 4")
    phases = frame.locator(".sg-phase")
    assert phases.all_text_contents() == ["forward", "error", "backward", "update"]
    frame.locator(".sg-phase[data-phase='backward']").click()  # a phase label is a button
    assert frame.locator(".sg-phase.sg-on").text_content() == "backward"
    assert frame.locator(".sg-text").text_content().startswith("Backward, step 1 of")
    shown = frame.locator(".sg-counter").text_content()
    page.evaluate("() => { const s = document.querySelector('.sgs-timeline');"
                  " s.value = '1'; s.dispatchEvent(new Event('input')); }")  # fmt: skip
    wait_for(page, "document.querySelector('.sgs-graph-pane').dataset.step === '1'")
    frame.locator(".stepgrad[data-sg-ready]").wait_for(timeout=60_000)
    wait_for(page, "document.querySelector('.sgs-graph-title').textContent.includes('step 1:')")
    frame.locator(".sg-counter").filter(has_text=shown).wait_for(timeout=10_000)  # same frame
    want = headless()
    want.step(4)
    upstream = want.frame(1)["sample"]["grad_a"][16 + 3]
    frame.locator(".sg-phase[data-phase='error']").click()
    assert f"= {upstream:.4g}" in (frame.locator(".sg-text").text_content() or "")
    page.click(".sgs-graph-back")  # back to the neurons
    wait_for(page, "document.querySelector('.sgs-graph-pane').dataset.level === 'neurons'")
    page.locator(".sgs-network .sgs-neuron[data-layer='0'][data-j='2']").click()  # from the net
    frame.locator(".stepgrad[data-sg-ready]").wait_for(timeout=60_000)
    assert text(page, ".sgs-graph-title").startswith("neuron 2 of layer 1")


# ---- a saved run, opened from disk ----


def test_a_saved_run_scrubs_replays_and_follows_with_no_kernel(tmp_path: Path) -> None:
    studio = Studio.preset("xor", hidden=[8], test=0.2)
    studio.step(30)
    studio.select(3)
    path = studio.save(tmp_path / "run.html")
    with chromium_page(1300, 1200) as page:
        page.goto(path.resolve().as_uri())
        step_is(page, 30)
        assert text(page, ".sgs-counter") == "step 30"
        assert text(page, ".sgs-loss").startswith(f"loss {six(studio.history[-1]['data_loss'])}")
        page.evaluate("() => { const s = document.querySelector('.sgs-timeline');"
                      " s.value = '5'; s.dispatchEvent(new Event('input')); }")  # fmt: skip
        step_is(page, 5)
        assert text(page, ".sgs-loss").startswith(f"loss {six(studio.history[4]['data_loss'])}")
        sample = studio.frame(5)["sample"]
        assert neuron_text(page, 0, 2) == f"z {f32(sample['z'][2])}  a {f32(sample['a'][2])}"
        page.locator(".sgs-counter").click()  # the keys: arrows move the timeline a step
        page.keyboard.press("ArrowLeft")
        step_is(page, 4)
        page.click(".sgs-play")  # replays the recorded steps to the end
        step_is(page, 30)
        assert page.locator(".sgs-reset").is_hidden() and page.locator(".sgs-graph").is_hidden()
        painted = page.evaluate(
            """() => { const c = document.querySelector('.sgs-net-maps');
               const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
               let n = 0; for (let i = 3; i < d.length; i += 4) n += d[i] > 0; return n; }"""
        )
        assert painted > 5000  # the neurons' heat maps and the edges, from the saved frames


# ---- python -m demos.studio ----


def kernels_of(pid: int) -> list[int]:
    """The kernels a Voilà process runs: its children running ipykernel."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            parent = int(Path(f"/proc/{entry}/stat").read_text().rsplit(") ", 1)[1].split()[1])
            command = Path(f"/proc/{entry}/cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if parent == pid and b"ipykernel" in command:
            found.append(int(entry))
    return found


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="counts kernels in /proc")
def test_ten_page_loads_leave_at_most_one_kernel_running_after_they_close(tmp_path: Path) -> None:
    needs_app()
    from playwright.sync_api import sync_playwright

    from demos.studio import free_port, start_voila, stop, wait_until_serving, write_app

    process = start_voila(tmp_path, write_app(tmp_path), free_port(), cull_after=3)
    try:
        address = wait_until_serving(process)
        executable = shutil.which("chromium") or shutil.which("chromium-browser")
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=executable, args=["--no-sandbox", "--disable-gpu"]
            )
            for k in range(10):  # half closed as a tab is (unload), half killed with the browser's
                context = browser.new_context()
                page = context.new_page()
                page.goto(address)
                step_is(page, 0)
                if k % 2:
                    page.close(run_before_unload=True)
                context.close()
            browser.close()
        deadline = time.monotonic() + 30
        while len(kernels_of(process.pid)) > 1 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert len(kernels_of(process.pid)) <= 1
    finally:
        stop(process)


def test_the_app_prints_its_address_and_nothing_else_and_stops_on_ctrl_c() -> None:
    for module in ("anywidget", "voila"):
        pytest.importorskip(module, reason=f"{module} is not installed: pip install -e '.[app]'")
    from demos.studio import free_port

    port = free_port()
    app = subprocess.Popen(
        [sys.executable, "-m", "demos.studio", "--dataset", "spiral", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert app.stdout is not None
        line = app.stdout.readline()
        assert line == f"stepgrad Studio: http://127.0.0.1:{port}/  (Ctrl-C stops it)\n"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=60) as response:
            body = response.read().decode()
        assert response.status == 200 and "fontawesome" not in body
        assert "Starting WebSocket" in body  # the template's console filter is on the page
        app.send_signal(signal.SIGINT)
        out, err = app.communicate(timeout=30)
    finally:
        if app.poll() is None:
            app.kill()
    assert app.returncode == 0 and out == "\nstopping\n" and err == "", err
    with socket.socket() as s, pytest.raises(ConnectionRefusedError):  # Voilà is gone too
        s.connect(("127.0.0.1", port))


def test_the_app_refuses_bad_layer_widths_and_cull_times_before_starting_anything() -> None:
    for args, message in (
        (["--hidden", "16,x"], "--hidden takes layer widths such as 16,16"),
        (["--cull-after", "0"], "--cull-after must be at least 1 second"),
    ):
        run = subprocess.run(
            [sys.executable, "-m", "demos.studio", *args],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert run.returncode == 2 and message in run.stderr


# ---- other models: one without layers, and the largest the Studio accepts ----

GENERIC = """
from nn import Module, Neuron, Studio
from nn.datasets import make


class TwoNeurons(Module):
    def __init__(self, seed):
        self.a = Neuron(2, "tanh", seed=seed)
        self.b = Neuron(2, "tanh", seed=seed + 1)
        self.out = Neuron(2, "linear", seed=seed + 2)

    def forward(self, x):
        return self.out([self.a(x), self.b(x)])


X, y = make("xor", 40, seed=1)
studio = Studio(TwoNeurons(0), X, y)
studio
"""

LARGEST = """
from nn import MLP, Studio
from nn.datasets import make

studio = Studio(MLP(2, [32] * 6 + [1], seed=0), *make("moons", 100))
studio.step(2)
studio
"""


def serve_cell(tmp_path: Path, source: str) -> tuple[Any, str]:
    from demos.studio import free_port, start_voila, wait_until_serving, write_app

    notebook = write_app(tmp_path)  # the template; the notebook is replaced below
    nb = json.loads(notebook.read_text())
    nb["cells"] = [{"cell_type": "code", "metadata": {}, "source": source, "outputs": [],
                    "execution_count": None}]  # fmt: skip
    notebook.write_text(json.dumps(nb))
    process = start_voila(tmp_path, notebook, free_port())
    return process, wait_until_serving(process)


def test_a_model_without_layers_plays_in_voila_with_its_parameters_as_bars(tmp_path: Path) -> None:
    needs_app()
    from demos.studio import stop

    process, address = serve_cell(tmp_path, GENERIC)
    try:
        with chromium_page(1300, 1000) as page:
            page.goto(address)
            wait_for(page, "document.querySelector('.sgs')?.dataset.step === '0'", 60)
            assert page.locator("rect.sgs-bar").count() == 9  # one bar per parameter
            page.click(".sgs-play")
            wait_for(page, "Number(document.querySelector('.sgs').dataset.step) >= 5")
            page.click(".sgs-play")
            page.locator("rect.sgs-bar").nth(2).hover()
            assert text(page, ".sgs-tip").startswith("a.b = ")
            painted = page.evaluate(  # the heat map came from Python: the plane is not blank
                """() => { const c = document.querySelector('.sgs-plane');
                   const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                   let n = 0; for (let i = 3; i < d.length; i += 4) n += d[i] > 0;
                   return n / (c.width * c.height); }"""
            )
            assert painted > 0.95
    finally:
        stop(process)


def test_the_largest_model_the_studio_accepts_is_drawn_readably(tmp_path: Path) -> None:
    needs_app()
    from demos.studio import stop

    process, address = serve_cell(tmp_path, LARGEST)
    try:
        with chromium_page(1400, 1200) as page:
            page.goto(address)
            wait_for(page, "document.querySelector('.sgs')?.dataset.step === '2'", 90)
            boxes = page.evaluate(
                """() => Array.from(document.querySelectorAll('.sgs-graph-pane .sgs-nbox'), g => {
                     const r = g.getBoundingClientRect(), t = g.querySelector('text');
                     return [r.x, r.y, r.width, r.height, parseFloat(getComputedStyle(t).fontSize),
                             t.getComputedTextLength(), t.textContent]; })"""
            )
            assert len(boxes) == 2 + 6 * 32 + 1  # every neuron has its box
            for *_, width, _height, size, length, label in boxes:
                assert size >= 11 and length <= width - 8, label  # legible, and inside its box
            rows = sorted((round(x), y, height) for x, y, _, height, *_ in boxes)
            for (x, y, h), (x2, y2, _) in zip(rows, rows[1:]):
                assert x != x2 or y2 >= y + h, (x, y)  # no two boxes of a column overlap
            squares = page.locator(".sgs-network .sgs-neuron").count()
            assert squares == 6 * 32 + 1
    finally:
        stop(process)


# ---- the adversarial pass: edits during play, rapid clicks, odd runs ----


def test_edits_during_play_and_rapid_clicks_leave_a_consistent_view(page: Any) -> None:
    page.click(".sgs-play")
    wait_for(page, "Number(document.querySelector('.sgs').dataset.step) >= 5")
    page.click(".sgs-layer-plus")  # a rebuild while frames of the old network are on their way
    wait_for(page, "document.querySelector('.sgs-layer-count').textContent === ' 3'")
    assert text(page, ".sgs-play") == "▶ play"  # an edit between runs stops the play
    page.click(".sgs-play")
    page.select_option(".sgs-l2", "0.001")  # settings while playing: from the next step on
    page.evaluate("() => { const t = document.querySelector('.sgs-test'); t.value = '0.2';"
                  " t.dispatchEvent(new Event('change')); }")  # fmt: skip
    wait_for(page, "document.querySelector('.sgs-info').textContent.includes('80 training points')")
    page.click(".sgs-play")
    time.sleep(0.7)
    for _ in range(15):  # step, as fast as a person can click, without waiting for a reply
        page.click(".sgs-step", delay=0)
    settled = int(dataset(page)["step"])
    wait_for(page, f"Number(document.querySelector('.sgs').dataset.step) === {settled}")
    time.sleep(1.5)
    final = int(dataset(page)["step"])
    assert text(page, ".sgs-counter") == f"step {final}"
    for k in (3, 1, final, 0, 2):  # the timeline scrubbed back and forth quickly
        page.evaluate(f"() => {{ const s = document.querySelector('.sgs-timeline');"
                      f" s.value = '{k}'; s.dispatchEvent(new Event('input')); }}")  # fmt: skip
    step_is(page, 2)
    assert dataset(page)["step"] == "2" and text(page, ".sgs-counter") == f"step 2 (of {final})"
    assert layer_names(page)[2] == "layer 3: 2 (relu)"


def test_a_saved_run_of_data_that_is_no_plane_draws_outputs_beside_targets(tmp_path: Path) -> None:
    from nn import MLP

    X = [[x / 10] for x in range(12)]
    studio = Studio(MLP(1, [4, 1], "tanh", seed=0), X, [np.sin(3 * x[0]) for x in X])
    studio.step(8)
    path = studio.save(tmp_path / "line.html")
    with chromium_page(1300, 1200) as page:
        page.goto(path.resolve().as_uri())
        step_is(page, 8)
        title = text(page, ".sgs-data-pane .sgs-title")
        assert title == "output (dots) and target (rings) against the input"
        dots = page.evaluate(  # the outputs: dots in the palette's blue (the rings are grey)
            """() => { const c = document.querySelector('.sgs-plane');
               const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
               let n = 0;
               for (let i = 0; i < d.length; i += 4) {
                 n += d[i + 2] > 200 && d[i] < 80 && d[i + 3] > 200;
               }
               return n; }"""
        )
        assert dots > 11 * 12  # a filled dot (radius 3) for each of the 11 points not selected
