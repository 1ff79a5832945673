"""The Studio's gallery pictures: the live widget mid-training (served by Voilà, as
`python -m demos.studio` serves it, screenshot in headless Chromium) and a saved run.

    $ python -m tools.studio_gallery docs/gallery        (make gallery runs it)

Writes studio.png (moons, paused mid-training, a point selected and a weight's tooltip shown)
and studio_run.html (150 steps of the same model and data, scrubbable from disk). Needs the
`app` and `browser` extras and Debian's chromium.
"""

from __future__ import annotations

import sys
from pathlib import Path

from demos.studio import opened
from nn import Studio

PAUSE_AT = 45  # the step the picture shows: the boundary still bending
SAVED_STEPS = 150
SELECTED = 7


def screenshot(out: Path) -> None:
    with opened("moons", [16, 16], width=1180, height=900) as page:
        page.click(".sgs-play")
        page.wait_for_function(f"Number(document.querySelector('.sgs').dataset.step) >= {PAUSE_AT}")
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
