"""Screenshot an animated page after some Next presses, fitted or zoomed; or time its frames.

    $ python tools/screenshot_page.py docs/gallery/backprop.html docs/gallery/backprop_page.png 7
    $ python tools/screenshot_page.py out/mlp.html /tmp/mlp.png 150 --fit --size 1400x900
    $ python tools/screenshot_page.py out/mlp.html /tmp/mlp.png 150 --zoom 2
    $ python tools/screenshot_page.py out/mlp.html --mlp --measure    # docs' figures

`--mlp` first writes the page: one training step of the 4-sample MSE loss of MLP(2, [4, 4, 1])
(164 nodes), forward, error, backward and update. The third argument is how many times to press
Next (0: the first frame). `--measure` steps through every frame with the right arrow, then back
with the left, twice: once timing each press inside the page (script, style and layout, forced
at once), once pressing real keys and reading the browser's Event Timing (from the key press to
the next paint; the browser reports only presses that take 16 ms or more). Needs playwright
(pip install -e '.[browser]') and Debian's chromium.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

MEASURE = """() => {
    const root = document.querySelector(".stepgrad");
    const frames = Number(root.querySelector(".sg-slider").max);
    const times = [];
    const press = (key) => {
        const start = performance.now();
        root.querySelector(".sg-view").dispatchEvent(
            new KeyboardEvent("keydown", {key: key, bubbles: true, cancelable: true}));
        document.body.getBoundingClientRect();  // force style and layout now
        root.querySelector(".sg-view svg").getBBox();
        times.push(performance.now() - start);
    };
    for (let k = 1; k < frames; k++) press("ArrowRight");
    for (let k = 1; k < frames; k++) press("ArrowLeft");
    return {frames: frames, counter: root.querySelector(".sg-counter").textContent, times: times};
}"""


def to_next_paint(page: Any, frames: int) -> list[float]:
    """Press the arrow keys for real through every frame and back; return the Event Timing
    durations the browser reports (key press to next paint, only those of 16 ms or more)."""
    page.evaluate(
        """() => { window.slowKeys = [];
            new PerformanceObserver(list => list.getEntries().forEach(entry => {
                if (entry.name === "keydown") window.slowKeys.push(entry.duration);
            })).observe({type: "event", durationThreshold: 16, buffered: true}); }"""
    )
    page.click(".sg-view")
    for key in ("ArrowRight", "ArrowLeft"):
        for _ in range(frames - 1):
            page.keyboard.press(key)
    page.wait_for_timeout(300)
    return page.evaluate("window.slowKeys")  # type: ignore[no-any-return]


def write_mlp_page(path: Path) -> None:
    """One training step of the 4-sample MSE loss of MLP(2, [4, 4, 1]), seeded: 164 nodes."""
    from autograd import animate, topological_order
    from nn import MLP, mse_loss

    model = MLP(2, [4, 4, 1], seed=0)
    xs = [[2.0, 3.0], [3.0, -1.0], [0.5, 1.0], [1.0, 1.0]]
    loss = mse_loss([model(x) for x in xs], [1.0, -1.0, -1.0, 1.0])
    loss.label = "loss"
    path.parent.mkdir(parents=True, exist_ok=True)
    animate(loss, path, forward=True, params=model.parameters(), lr=0.05)
    print(f"wrote {path}: {len(topological_order(loss))} nodes")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("page", type=Path, help="the .html page")
    parser.add_argument("png", nargs="?", help="where to write the screenshot")
    parser.add_argument("presses", nargs="?", type=int, default=0, help="Next presses first")
    parser.add_argument("--fit", action="store_true", help="fit the whole graph first")
    parser.add_argument("--zoom", type=int, default=0, help="press + (or - if negative) N times")
    parser.add_argument("--size", default="1100x560", help="viewport WxH (default 1100x560)")
    parser.add_argument("--measure", action="store_true", help="time every frame, print figures")
    parser.add_argument("--mlp", action="store_true", help="write the 164-node MLP page first")
    args = parser.parse_args(argv)
    if not args.measure and not args.png:
        parser.error("give a .png path, or --measure")
    if args.mlp:
        write_mlp_page(args.page)
    width, height = (int(v) for v in args.size.split("x"))
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": width, "height": height})
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(args.page.resolve().as_uri())
        page.wait_for_selector(".stepgrad[data-sg-ready]")
        if args.measure:
            result = page.evaluate(MEASURE)
            times = result["times"]
            print(
                f"{args.page}: {result['frames']} frames, "
                f"{args.page.stat().st_size / 1e6:.2f} MB; script and layout per key press "
                f"over {len(times)} presses: median {statistics.median(times):.2f} ms, "
                f"max {max(times):.2f} ms (ends on {result['counter']})"
            )
            slow = to_next_paint(page, result["frames"])
            print(
                f"key press to next paint over {2 * (result['frames'] - 1)} real presses: "
                f"{len(slow)} took 16 ms or more, {sum(d >= 50 for d in slow)} took 50 ms or "
                f"more; the slowest {max(slow, default=0):.0f} ms"
            )
        else:
            if args.fit:
                page.click(".sg-fit")
            for _ in range(abs(args.zoom)):
                page.click(".sg-zoom-in" if args.zoom > 0 else ".sg-zoom-out")
            for _ in range(args.presses):
                page.click(".sg-next")
            page.screenshot(path=args.png)
            print(f"wrote {args.png} ({page.inner_text('.sg-counter')})")
        browser.close()
    if errors:
        raise SystemExit(f"the page raised: {errors}")


if __name__ == "__main__":
    main()
