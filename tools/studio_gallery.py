"""The Studio's gallery pictures: the live widget mid-training (served by Voilà, as
`python -m demos.studio` serves it, screenshot in headless Chromium) and a saved run.

    $ python -m tools.studio_gallery docs/gallery        (make gallery runs it)

Writes studio.png (moons, paused mid-training, a point selected and a weight's tooltip shown)
and studio_run.html (150 steps of the same model and data, scrubbable from disk). Needs the
`app` and `browser` extras and Debian's chromium.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from demos.studio import free_port, start_voila, stop, wait_until_serving, write_app
from nn import Studio

PAUSE_AT = 45  # the step the picture shows: the boundary still bending
SAVED_STEPS = 150
SELECTED = 7


def screenshot(out: Path) -> None:
    folder = Path(tempfile.mkdtemp(prefix="stepgrad-studio-gallery-"))
    process = start_voila(folder, write_app(folder, "moons", [16, 16]), free_port())
    try:
        address = wait_until_serving(process)
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                args=["--no-sandbox", "--disable-gpu"],
            )
            page = browser.new_page(viewport={"width": 1180, "height": 900})
            page.goto(address)
            page.wait_for_function(
                "document.querySelector('.sgs')?.dataset.step === '0'", timeout=60_000
            )
            page.click(".sgs-play")
            page.wait_for_function(
                f"Number(document.querySelector('.sgs').dataset.step) >= {PAUSE_AT}"
            )
            page.click(".sgs-play")
            box = page.locator(".sgs-plane").bounding_box()
            studio = Studio.preset("moons")
            x0, x1, y0, y1 = studio._plane
            x = studio.X[SELECTED]
            page.mouse.click(
                box["x"] + (x[0] - x0) / (x1 - x0) * box["width"],
                box["y"] + (y1 - x[1]) / (y1 - y0) * box["height"],
            )
            page.wait_for_timeout(500)
            page.locator(".sgs-edge").nth(300).click(force=True)
            page.wait_for_timeout(300)
            page.locator(".sgs").screenshot(path=str(out))
            browser.close()
    finally:
        stop(process)
        shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str]) -> None:
    out = Path(argv[0] if argv else "docs/gallery")
    out.mkdir(parents=True, exist_ok=True)
    studio = Studio.preset("moons")
    studio.step(SAVED_STEPS)
    studio.select(SELECTED)
    saved = studio.save(out / "studio_run.html")
    print(f"wrote {saved} ({saved.stat().st_size:,} bytes)")
    screenshot(out / "studio.png")
    print(f"wrote {out / 'studio.png'}")


if __name__ == "__main__":
    main(sys.argv[1:])
