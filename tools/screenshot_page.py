"""Screenshot an animated page after some Next presses, fitted or zoomed; or time its frames.

    $ python tools/screenshot_page.py docs/gallery/backprop.html docs/gallery/backprop_page.png 7
    $ python tools/screenshot_page.py out/mlp.html /tmp/mlp.png 150 --fit --size 1400x900
    $ python tools/screenshot_page.py out/mlp.html /tmp/mlp.png 150 --zoom 2
    $ python tools/screenshot_page.py out/mlp.html --mlp --measure    # the README's figures

`--mlp` first writes the page: one training step of the 4-sample MSE loss of MLP(2, [4, 4, 1])
(164 nodes), forward, error, backward and update. The third argument is how many times to press
Next (0: the first frame). `--measure` steps through every frame with the right arrow, then back
with the left, and prints the time each press takes in the page (script, style and layout,
forced at once: what a person waits for before the next paint). Needs playwright
(pip install -e '.[browser]') and Debian's chromium.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
from pathlib import Path

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
        if args.measure:
            result = page.evaluate(MEASURE)
            times = result["times"]
            print(
                f"{args.page}: {result['frames']} frames, "
                f"{args.page.stat().st_size / 1e6:.2f} MB; per key press over "
                f"{len(times)} presses: median {statistics.median(times):.2f} ms, "
                f"max {max(times):.2f} ms (ends on {result['counter']})"
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
