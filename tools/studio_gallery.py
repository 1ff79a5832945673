"""The Studio's gallery pictures: the live widget mid-training (served by Voilà, as
`python -m demos.studio` serves it, screenshot in headless Chromium), each of its panes, and a
saved run.

    $ python -m tools.studio_gallery docs/gallery        (make gallery runs it)

Writes, for MLP(2, [16, 16, 1]) on the moons after 45 steps, a point near the boundary selected
and the neuron it sends the largest gradient through hovered and opened:
studio.png (the whole view), studio_network.png (the network with each neuron's heat map),
studio_plane.png (the data and the model's output), studio_chart.png (the losses), studio_graph.png
(the selected sample, neuron by neuron), studio_neuron.png (one neuron's scalar ops, the
animated page), and studio_run.html (150 steps of the same model and data, scrubbable from
disk). Needs the `app` and `browser` extras and Debian's chromium.
"""

from __future__ import annotations

import sys
from pathlib import Path

from demos.studio import opened
from nn import Studio

PAUSE_AT = 45  # the step the pictures show: the boundary still bending
SAVED_STEPS = 150


def chosen() -> tuple[Studio, int, tuple[int, int]]:
    """The app's Studio after PAUSE_AT steps (made the same way, headless), the sample the
    pictures select (the one whose loss is nearest 0.5: near the boundary, gradients flowing),
    and the neuron of the second hidden layer whose pre-activation gets the largest gradient
    for it (an active ReLU: the gradient flows through it to its weights)."""
    studio = Studio.preset("moons")
    studio.step(PAUSE_AT)
    losses = []
    for i in range(len(studio.y)):
        studio.select(i)
        losses.append(abs(studio.frame(maps=False)["sample"]["loss"] - 0.5))
    best = min(range(len(losses)), key=losses.__getitem__)
    studio.select(best)
    grads = studio.frame(maps=False)["sample"]["grad_z"][16:32]  # alive: the gradient passes
    return studio, best, (1, max(range(16), key=lambda j: abs(grads[j])))


def screenshots(out: Path) -> list[Path]:
    written = []
    studio, selected, (layer, index) = chosen()
    with opened("moons", [16, 16], width=1320, height=1500) as page:
        for k in range(1, PAUSE_AT + 1):  # exactly PAUSE_AT steps
            page.click(".sgs-step")
            page.wait_for_function(f"document.querySelector('.sgs').dataset.step === '{k}'")
        box = page.locator(".sgs-plane").bounding_box()
        x0, x1, y0, y1 = studio.plane  # type: ignore[misc]
        x = studio.X[selected]
        page.mouse.click(
            box["x"] + (x[0] - x0) / (x1 - x0) * box["width"],
            box["y"] + (y1 - x[1]) / (y1 - y0) * box["height"],
        )
        page.wait_for_function(f"document.querySelector('.sgs').dataset.sample === '{selected}'")
        page.locator(f".sgs-network .sgs-neuron[data-layer='{layer}'][data-j='{index}']").hover()
        page.wait_for_timeout(300)
        for name, selector in [
            ("studio.png", ".sgs"),
            ("studio_network.png", ".sgs-network-pane"),
            ("studio_plane.png", ".sgs-data-pane"),
            ("studio_chart.png", ".sgs-curve-pane"),
            ("studio_graph.png", ".sgs-graph-pane"),
        ]:
            page.locator(selector).screenshot(path=str(out / name))
            written.append(out / name)
        page.locator(f".sgs-graph-pane .sgs-nbox[data-layer='{layer}'][data-j='{index}']").click()
        frame = page.frame_locator(".sgs-frame")
        frame.locator(".stepgrad[data-sg-ready]").wait_for(timeout=60_000)
        frame.locator(".sg-phase[data-phase='backward']").click()
        frame.locator(".sg-next").click()
        frame.locator(".sg-next").click()
        page.wait_for_timeout(400)
        page.locator(".sgs-graph-pane").screenshot(path=str(out / "studio_neuron.png"))
        written.append(out / "studio_neuron.png")
    return written


def main(argv: list[str]) -> None:
    out = Path(argv[0] if argv else "docs/gallery")
    out.mkdir(parents=True, exist_ok=True)
    studio, selected, _ = chosen()
    studio.step(SAVED_STEPS - PAUSE_AT)
    saved = studio.save(out / "studio_run.html")
    print(f"wrote {saved} ({saved.stat().st_size:,} bytes)")
    for path in screenshots(out):
        print(f"wrote {path}")


if __name__ == "__main__":
    main(sys.argv[1:])
