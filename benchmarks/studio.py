"""The Studio's numbers: step time (traced against the eager loop, same process), the time
Python takes to compute a frame (every number the view draws), the size of a live update and
of a saved run, and live updates per second measured in Chromium from the page (the widget
served by Voilà on 127.0.0.1, as `python -m demos.studio` serves it, heat maps shown).

Targets (issue 25), for MLP(2, [16, 16, 1]) on 100 moons points with a 60 x 60 output grid and
every neuron's 12 x 12 heat map: at least 30 updates per second drawn in Chromium, each update
small (its bytes are printed; issue 15's bound: under 50 KB), and a saved run of 200 steps
under 2 MB. An update is a frame the page painted: the page counts the animation frames in
which it drew a new step.

    $ python -m benchmarks.studio                 (about half a minute)
    $ python -m benchmarks.studio --seconds 20 --steps-per-frame 1
    $ python -m benchmarks.studio --no-browser    (the Python side only)
    $ python -m benchmarks.studio --jupyterlab    (also: a cell's run time in JupyterLab while
                                                   the widget plays; needs jupyterlab)
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from nn import MLP, SGD, Studio, hinge_loss
from nn.datasets import make
from nn.studio import GRID, MAP_GRID
from nn.studio_protocol import Session, encode_frame

HIDDEN = [16, 16]
POINTS = 100
SAVED_STEPS = 200


def step_times(rounds: int = 30) -> tuple[float, float]:
    """Median seconds of one Studio step and of one eager-loop step on the same data."""
    X, y = make("moons", POINTS, seed=0)
    model = MLP(2, [*HIDDEN, 1], seed=0)
    studio = Studio(model, X, y, optimizer=SGD(model.parameters(), lr=0.1))
    twin = MLP(2, [*HIDDEN, 1], seed=0)
    optimizer = SGD(twin.parameters(), lr=0.1)

    def eager() -> None:
        loss = hinge_loss([twin(x) for x in X], y)
        twin.zero_grad()
        loss.backward()
        optimizer.step()

    traced, slow = [], []
    for _ in range(rounds):  # take turns, so drift in the machine hits both alike
        start = time.perf_counter()
        studio.step()
        traced.append(time.perf_counter() - start)
        start = time.perf_counter()
        eager()
        slow.append(time.perf_counter() - start)
    return statistics.median(traced), statistics.median(slow)


def your_loss_step_times(rounds: int = 10) -> tuple[float, float]:
    """Median seconds of a Studio step with `loss=hinge_loss` (nn's own: traced per sample)
    and with a wrapper around it (a loss of yours: the eager loop)."""
    X, y = make("moons", POINTS, seed=0)

    def yours(preds: list[Any], targets: list[Any]) -> Any:
        return hinge_loss(preds, targets)

    times = []
    for loss in (hinge_loss, yours):
        studio = Studio(MLP(2, [*HIDDEN, 1], seed=0), X, y, loss=loss)
        studio.step()
        spent = []
        for _ in range(rounds):
            start = time.perf_counter()
            studio.step()
            spent.append(time.perf_counter() - start)
        times.append(statistics.median(spent))
    return times[0], times[1]


def message_sizes() -> tuple[int, int, int]:
    """Bytes of the largest live frame (JSON header and binary buffers) over 20 steps, one step
    a frame, its header alone, and of a saved run of SAVED_STEPS steps."""
    studio = Studio.preset("moons", HIDDEN, n=POINTS)
    largest = header_bytes = 0
    for _ in range(20):
        studio.step()
        header, buffers = encode_frame(studio, studio.frame())
        size = len(json.dumps(header)) + sum(map(len, buffers))
        if size > largest:
            largest, header_bytes = size, len(json.dumps(header))
    studio.step(SAVED_STEPS - studio.steps)
    folder = Path(tempfile.mkdtemp())
    try:
        saved = studio.save(folder / "run.html").stat().st_size
    finally:
        shutil.rmtree(folder)
    return largest, header_bytes, saved


def frame_times(rounds: int = 30) -> tuple[float, float]:
    """Median seconds Python takes to compute one frame (Studio.frame: the grid, the heat maps,
    the boundary, the sample's pass), with and without the heat maps."""
    studio = Studio.preset("moons", HIDDEN, n=POINTS)
    studio.step(5)
    times = []
    for maps in (True, False):
        studio.frame(maps=maps)
        spent = []
        for _ in range(rounds):
            start = time.perf_counter()
            studio.frame(maps=maps)
            spent.append(time.perf_counter() - start)
        times.append(statistics.median(spent))
    return times[0], times[1]


def kernel_time_per_frame(frames: int = 50) -> float:
    """Median seconds the kernel spends answering one `play` message (one step, the frame
    built and sent): the share of a frame during which it cannot run anything else."""
    studio = Studio.preset("moons", HIDDEN, n=POINTS)
    session = Session(studio, lambda content, buffers: json.dumps(content))
    session.handle({"type": "hello"})
    times = []
    for _ in range(frames):
        start = time.perf_counter()
        session.handle({"type": "play", "steps": 1})
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def browser_rate(
    seconds: float, steps_per_frame: int, maps: bool = True
) -> tuple[float, int, float]:
    """Updates per second drawn by the page in headless Chromium while playing (frames whose
    step changed, counted by the page itself: at most one per animation frame), the largest
    frame message the page received (bytes: JSON header and buffers), and training steps per
    second. Heat maps shown unless maps=False."""
    from demos.studio import opened

    read = (
        "() => { const d = document.querySelector('.sgs').dataset;"
        " return [Number(d.frames), performance.now(), Number(d.step)]; }"
    )
    with opened("moons", HIDDEN, POINTS, width=1300, height=1000) as page:
        page.select_option(".sgs-speed", str(steps_per_frame))
        if not maps:
            page.uncheck(".sgs-maps")
        page.click(".sgs-play")
        time.sleep(1.0)  # warm up
        frames0, t0, step0 = page.evaluate(read)
        time.sleep(seconds)
        frames1, t1, step1 = page.evaluate(read)
        page.click(".sgs-play")
        largest = int(page.evaluate("document.querySelector('.sgs').dataset.largestFrame"))
    elapsed = (t1 - t0) / 1000
    return (frames1 - frames0) / elapsed, largest, (step1 - step0) / elapsed


LAB_NOTEBOOK = {
    "cells": [
        {
            "cell_type": "code",
            "metadata": {},
            "source": f"from nn import Studio\nstudio = Studio.preset('moons', {HIDDEN})\nstudio",
            "outputs": [],
            "execution_count": None,
        },
        {
            "cell_type": "code",
            "metadata": {},
            "source": "1 + 1",
            "outputs": [],
            "execution_count": None,
        },
    ],
    "metadata": {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
    },
    "nbformat": 4,
    "nbformat_minor": 5,
}
PROMPT_CHANGED = """([before]) => {
    const prompt = document.querySelectorAll('.jp-Cell')[1].querySelector('.jp-InputPrompt');
    return prompt.textContent !== before && !prompt.textContent.includes('*');
}"""


def lab_responsiveness(runs: int = 8) -> tuple[list[float], list[float], int]:
    """Seconds from Ctrl+Enter on a `1 + 1` cell to its prompt's new number, in JupyterLab in
    Chromium: with the widget paused, then while it plays; and the steps trained meanwhile."""
    import os
    import signal
    import subprocess
    import sys

    from playwright.sync_api import sync_playwright

    from demos.studio import free_port

    folder = Path(tempfile.mkdtemp(prefix="stepgrad-studio-lab-"))
    (folder / "probe.ipynb").write_text(json.dumps(LAB_NOTEBOOK), encoding="utf-8")
    port = free_port()
    lab = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--allow-root", "--no-browser",
         "--ip=127.0.0.1", f"--port={port}", "--ServerApp.token=", "--ServerApp.password=",
         f"--ServerApp.root_dir={folder}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                args=["--no-sandbox", "--disable-gpu"],
            )
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            for _ in range(60):  # the server takes a few seconds to come up
                try:
                    page.goto(f"http://127.0.0.1:{port}/lab/tree/probe.ipynb")
                    break
                except Exception:  # noqa: BLE001 - not listening yet
                    time.sleep(0.5)
            page.wait_for_selector(".jp-Notebook", timeout=90_000)
            time.sleep(3)
            page.click("text=Run", timeout=10_000)
            page.click("text=Run All Cells", timeout=10_000)
            page.wait_for_function(
                "document.querySelector('.sgs')?.dataset.step === '0'", timeout=90_000
            )
            cell = page.locator(".jp-Cell").nth(1)

            def run_cell() -> float:
                before = cell.locator(".jp-InputPrompt").text_content()
                cell.locator(".cm-content").click()
                start = time.perf_counter()
                page.keyboard.press("Control+Enter")
                page.wait_for_function(PROMPT_CHANGED, arg=[before], timeout=30_000)
                return time.perf_counter() - start

            idle = [run_cell() for _ in range(runs)]
            page.click(".sgs-play")
            time.sleep(2)
            step = "Number(document.querySelector('.sgs').dataset.step)"
            first = page.evaluate(step)
            playing = [run_cell() for _ in range(runs)]
            trained = page.evaluate(step) - first
            page.click(".sgs-play")
            browser.close()
    finally:
        os.killpg(lab.pid, signal.SIGTERM)
        lab.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)
    return idle, playing, trained


def main(argv: list[str] | None = None) -> None:
    first, _, rest = (__doc__ or "").strip().partition("\n\n")
    p = argparse.ArgumentParser(
        description=first, epilog=rest, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--seconds", type=float, default=10.0, help="playing time measured (10)")
    p.add_argument("--steps-per-frame", type=int, default=1, help="training steps a frame (1)")
    p.add_argument("--no-browser", action="store_true", help="skip the Chromium measurement")
    p.add_argument(
        "--jupyterlab", action="store_true", help="also time a cell while the widget plays"
    )
    args = p.parse_args(argv)

    print(
        f"Studio: MLP(2, {[*HIDDEN, 1]}) on {POINTS} moons points, {GRID} x {GRID} grid, "
        f"{MAP_GRID} x {MAP_GRID} heat maps"
    )
    traced, eager = step_times()
    print(
        f"  one step              {traced * 1e3:8.2f} ms traced   {eager * 1e3:8.2f} ms eager"
        f"   eager / traced: {eager / traced:.1f}x"
    )
    own, yours = your_loss_step_times()
    print(
        f"  loss=hinge_loss       {own * 1e3:8.2f} ms a step (nn's own loss: per sample)\n"
        f"  loss=a wrapper of it  {yours * 1e3:8.2f} ms a step (yours: the eager loop)"
    )
    frame, header, saved = message_sizes()
    print(
        f"  live update message   {frame:8,} bytes   ({header:,} of them the JSON header, the "
        "rest binary buffers; issue 15's bound < 50,000)"
    )
    print(f"  saved run, {SAVED_STEPS} steps  {saved:8,} bytes   (target < 2,000,000)")
    with_maps, without = frame_times()
    print(
        f"  a frame computed      {with_maps * 1e3:8.2f} ms with heat maps, "
        f"{without * 1e3:.2f} ms without   (every number the view draws)"
    )
    busy = kernel_time_per_frame()
    print(f"  kernel time a frame   {busy * 1e3:8.2f} ms  (a step, the frame computed and sent)")
    if args.no_browser:
        return
    rate, largest, steps = browser_rate(args.seconds, args.steps_per_frame)
    print(
        f"  live in Chromium      {rate:8.1f} updates/s drawn, {steps:.1f} steps/s, heat maps "
        f"shown ({args.steps_per_frame} step a message, {args.seconds:g} s; target >= 30: "
        f"{rate / 30:.2f}x)"
    )
    bare, _, _ = browser_rate(args.seconds, args.steps_per_frame, maps=False)
    print(f"  live, heat maps off   {bare:8.1f} updates/s drawn (the same page, for comparison)")
    share = busy * steps / args.steps_per_frame
    print(
        f"  kernel busy while playing: about {100 * share:.0f}% of the time (the page keeps "
        "at most 4 requests on their way; between them the kernel runs other cells)"
    )
    print(f"  largest update seen by the page  {largest:,} bytes (JSON header and buffers)")
    if not args.jupyterlab:
        return
    idle, playing, trained = lab_responsiveness()
    print(
        f"  JupyterLab: a `1 + 1` cell runs in {statistics.median(idle) * 1e3:.0f} ms (median) "
        f"with the widget paused, {statistics.median(playing) * 1e3:.0f} ms while it plays "
        f"({trained} steps trained meanwhile)"
    )


if __name__ == "__main__":
    main()
