"""The Studio in headless Chromium: the live widget served by Voilà on 127.0.0.1 (the app that
`python -m demos.studio` runs), and a saved run opened from disk. Skips without Chromium,
playwright, anywidget or voila (`pip install -e '.[app,browser]'`; `make test` installs them)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nn import Studio
from nn.datasets import make
from nn.studio import _bounds
from tests.browser import chromium_page

ROOT = ".sgs"


def studio_state(page: Any) -> dict[str, Any]:
    """What a person sees: the counter, the loss line, the selected sample, the slider."""
    return page.evaluate(  # type: ignore[no-any-return]
        """() => {
            const root = document.querySelector(".sgs");
            return {
                counter: root.querySelector(".sgs-counter").textContent,
                loss: root.querySelector(".sgs-loss").textContent,
                info: root.querySelector(".sgs-info").textContent,
                step: Number(root.dataset.step),
                frames: Number(root.dataset.frames),
                slider: root.querySelector(".sgs-timeline").value,
                max: root.querySelector(".sgs-timeline").max,
            };
        }"""
    )


def point_position(page: Any, x: list[float], bounds: list[float]) -> tuple[float, float]:
    """Where on the page the plane draws the input x."""
    box = page.locator(".sgs-plane").bounding_box()
    x0, x1, y0, y1 = bounds
    return (
        box["x"] + (x[0] - x0) / (x1 - x0) * box["width"],
        box["y"] + (y1 - x[1]) / (y1 - y0) * box["height"],
    )


def wait_for(page: Any, condition: str, timeout: float = 30.0) -> None:
    page.wait_for_function(condition, timeout=timeout * 1000)


# ---- the live widget, served by Voilà ----


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    for module in ("anywidget", "voila", "playwright"):
        pytest.importorskip(module, reason=f"{module} is not installed: pip install -e '.[app]'")
    if shutil.which("chromium") is None and shutil.which("chromium-browser") is None:
        pytest.skip("no Chromium installed (apt-get install chromium)")
    from demos.studio import free_port, start_voila, stop, wait_until_serving, write_app

    folder = tmp_path_factory.mktemp("studio-app")
    notebook = write_app(folder, "moons", [16, 16])
    process = start_voila(folder, notebook, free_port())
    try:
        yield wait_until_serving(process)
    finally:
        stop(process)


def test_the_widget_in_voila_trains_selects_adds_scrubs_and_shows_a_graph(app: str) -> None:
    X, _ = make("moons", 100, seed=0)
    bounds = _bounds(Studio.preset("moons")._X)
    remote: list[str] = []
    console_errors: list[str] = []
    with chromium_page(1300, 1100) as page:
        page.on(
            "request",
            lambda r: (
                remote.append(r.url)
                if not r.url.startswith(("http://127.0.0.1", "data:", "blob:", "ws://127.0.0.1"))
                else None
            ),  # noqa: E501
        )
        page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
        page.goto(app)
        page.wait_for_selector(".sgs-counter", timeout=60_000)
        wait_for(page, "document.querySelector('.sgs').dataset.step === '0'")
        first = studio_state(page)
        assert first["counter"] == "step 0" and first["loss"] == "loss –"

        page.click(".sgs-play")  # play: the counter and the loss move
        wait_for(page, "Number(document.querySelector('.sgs').dataset.step) >= 15")
        page.click(".sgs-play")
        time.sleep(0.5)
        played = studio_state(page)
        assert played["step"] >= 15 and played["frames"] >= 10
        assert played["counter"] == f"step {played['step']}"
        loss = float(played["loss"].split()[1])
        assert 0 < loss < 0.9382  # the first step's loss, from the headless run: it went down

        px, py = point_position(page, X[7], bounds)  # click a point: it is selected
        page.mouse.click(px, py)
        wait_for(
            page,
            "document.querySelector('.sgs-info').textContent.startsWith('selected: sample 7 ')",
        )
        page.click(".sgs-graph")  # one click down: its scalar graph, the animated page
        frame = page.frame_locator(".sgs-frame")
        frame.locator(".sg-counter").wait_for(timeout=60_000)
        assert frame.locator(".sg-counter").text_content().startswith("1 / ")
        assert "sample 7" in page.locator(".sgs-graph-box .sgs-title").text_content()

        page.mouse.click(*point_position(page, [bounds[0] + 0.05, bounds[2] + 0.05], bounds))
        wait_for(page, "document.querySelector('.sgs-info').textContent.includes(' of 101')")

        page.evaluate(  # the timeline: back to step 3
            """() => { const s = document.querySelector('.sgs-timeline');
                       s.value = '3'; s.dispatchEvent(new Event('input')); }"""
        )
        wait_for(page, "document.querySelector('.sgs').dataset.step === '3'")
        back = studio_state(page)
        assert back["counter"] == f"step 3 (of {played['step']})" and back["slider"] == "3"
        assert back["loss"].startswith("loss ") and float(back["loss"].split()[1]) > loss
    assert remote == [], f"the page asked the network for {remote}"
    assert console_errors == [], console_errors


# ---- a saved run, opened from disk ----


def test_a_saved_run_scrubs_and_replays_without_a_kernel(tmp_path: Path) -> None:
    studio = Studio.preset("xor", hidden=[8])
    studio.step(30)
    path = studio.save(tmp_path / "run.html")
    with chromium_page() as page:
        page.goto(path.resolve().as_uri())
        wait_for(
            page,
            "document.querySelector('.sgs')?.dataset.step === '30'",
        )
        last = studio_state(page)
        assert last["counter"] == "step 30" and last["max"] == "30"
        want = studio.history[-1]
        assert last["loss"].startswith(f"loss {want['loss']:.4f}")
        page.evaluate(
            """() => { const s = document.querySelector('.sgs-timeline');
                       s.value = '5'; s.dispatchEvent(new Event('input')); }"""
        )
        wait_for(page, "document.querySelector('.sgs').dataset.step === '5'")
        assert studio_state(page)["loss"].startswith(f"loss {studio.history[4]['loss']:.4f}")
        page.locator(".sgs-counter").click()  # the keys: arrows move the timeline a step
        page.keyboard.press("ArrowLeft")
        wait_for(page, "document.querySelector('.sgs').dataset.step === '4'")
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        wait_for(page, "document.querySelector('.sgs').dataset.step === '6'")
        page.click(".sgs-play")  # replays the recorded steps to the end
        wait_for(page, "document.querySelector('.sgs').dataset.step === '30'")
        assert page.locator(".sgs-reset").is_hidden() and page.locator(".sgs-graph").is_hidden()


# ---- python -m demos.studio ----


def test_the_app_prints_its_address_serves_it_and_stops_on_ctrl_c() -> None:
    import signal
    import socket
    import subprocess
    import sys
    import urllib.request

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
            page = response.read().decode()
        assert response.status == 200 and "fontawesome" not in page
        app.send_signal(signal.SIGINT)
        out, err = app.communicate(timeout=30)
    finally:
        if app.poll() is None:
            app.kill()
    assert app.returncode == 0 and out == "\nstopping\n", err
    with socket.socket() as s, pytest.raises(ConnectionRefusedError):  # Voilà is gone too
        s.connect(("127.0.0.1", port))


def test_the_app_refuses_bad_layer_widths_before_starting_anything() -> None:
    import subprocess
    import sys

    run = subprocess.run(
        [sys.executable, "-m", "demos.studio", "--hidden", "16,x"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2 and "--hidden takes layer widths such as 16,16" in run.stderr


# ---- a model without layers: Python sends its outputs ----

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


def test_a_model_without_layers_plays_in_voila_with_its_parameters_as_bars(
    tmp_path: Path,
) -> None:
    import json

    for module in ("anywidget", "voila", "playwright"):
        pytest.importorskip(module, reason=f"{module} is not installed: pip install -e '.[app]'")
    from demos.studio import free_port, start_voila, stop, wait_until_serving, write_app

    notebook = write_app(tmp_path)  # the template; the notebook is replaced below
    cell = {"cell_type": "code", "metadata": {}, "source": GENERIC, "outputs": []}
    nb = json.loads(notebook.read_text())
    nb["cells"] = [{**cell, "execution_count": None}]
    notebook.write_text(json.dumps(nb))
    process = start_voila(tmp_path, notebook, free_port())
    try:
        address = wait_until_serving(process)
        with chromium_page(1300, 1000) as page:
            page.goto(address)
            wait_for(page, "document.querySelector('.sgs')?.dataset.step === '0'", 60)
            assert page.locator("rect.sgs-edge").count() == 9  # one bar per parameter
            page.click(".sgs-play")
            wait_for(page, "Number(document.querySelector('.sgs').dataset.step) >= 5")
            page.click(".sgs-play")
            page.locator("rect.sgs-edge").nth(2).click()
            assert page.locator(".sgs-tip").text_content().startswith("a.b = ")
            # the heat map came from Python: the plane is not blank
            painted = page.evaluate(
                """() => { const c = document.querySelector('.sgs-plane');
                   const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                   let n = 0; for (let i = 3; i < d.length; i += 4) n += d[i] > 0;
                   return n / (c.width * c.height); }"""
            )
            assert painted > 0.95
    finally:
        stop(process)
