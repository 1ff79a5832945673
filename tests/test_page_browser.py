"""The animated page in headless Chromium: a forward, backward and update step played with the
buttons, the slider and the keys (one frame per press, whatever has the focus), zoom and pan,
a bounded amount of work per frame at 160 nodes, and two pages in one document."""

from __future__ import annotations

import math
import re
from typing import Any

import pytest

from autograd import Value
from autograd.viz import animate
from tests.browser import chromium_page, needs_dot
from tests.test_page import mlp_loss, neuron

pytestmark = needs_dot


def state(page: Any, scope: str = ".stepgrad") -> dict[str, Any]:
    """What a person sees of one page: counter, phase, panel's first line, the current node."""
    return page.evaluate(
        """scope => {
            const root = document.querySelector(scope);
            const on = root.querySelector(".sg-phase.sg-on");
            const current = root.querySelector("g.node.sg-current[data-sg^='v']");
            return {
                counter: root.querySelector(".sg-counter").textContent,
                phase: on ? on.textContent : null,
                first: root.querySelector(".sg-text").textContent.split("\\n")[0],
                current: current ? current.getAttribute("data-sg") : null,
                slider: root.querySelector(".sg-slider").value,
            };
        }""",
        scope,
    )


def cell(page: Any, node: str) -> list[str]:
    """The texts of one record, e.g. ["#4", "data -1", "grad ?"]."""
    return page.evaluate(
        "id => Array.from(document.querySelectorAll(`g[data-sg='${id}'] text`), "
        "t => t.textContent)",
        node,
    )


def classes(page: Any, part: str) -> str:
    return page.evaluate(  # type: ignore[no-any-return]
        "id => document.querySelector(`g[data-sg='${id}']`).getAttribute('class')", part
    )


def view_box(page: Any) -> list[float]:
    """The part of the graph in view, in the SVG's units: [x, y, width, height], measured from
    where the browser draws the SVG inside the view."""
    return page.evaluate(  # type: ignore[no-any-return]
        """() => {
            const view = document.querySelector(".sg-view"), svg = view.querySelector("svg");
            const whole = svg.viewBox.baseVal;
            const v = view.getBoundingClientRect(), r = svg.getBoundingClientRect();
            const scale = r.width / whole.width;
            return [whole.x + (v.left + view.clientLeft - r.left) / scale,
                    whole.y + (v.top + view.clientTop - r.top) / scale,
                    view.clientWidth / scale, view.clientHeight / scale];
        }"""
    )


def test_a_training_step_plays_forward_error_backward_and_update(tmp_path) -> None:  # type: ignore[no-untyped-def]
    x, w, b, z = neuron()
    path = animate(z, tmp_path / "step.html", forward=True, params=[w, b], lr=0.1)
    slope = 1 - math.tanh(-0.7) ** 2
    with chromium_page() as page:
        page.goto(path.resolve().as_uri())
        first = state(page)
        assert first["counter"] == "1 / 13" and first["phase"] == "forward"
        assert first["current"] is None and first["first"].startswith("Forward pass: the inputs")
        assert cell(page, "v4") == ["#4", "data ?", "grad ?"]  # the name the steps use
        assert "sg-pending" in classes(page, "v4") and "sg-pending" in classes(page, "o4")
        assert cell(page, "v1") == ["x", "data 0.5", "grad ?"]

        page.click(".sg-next")
        assert state(page)["current"] == "v4" and cell(page, "v4")[1] == "data -1"
        assert "sg-pending" not in classes(page, "v4")
        for edge in ("e4", "e4_0", "e4_1"):
            assert "sg-flow-forward" in classes(page, edge)
        page.click(".sg-next")
        page.click(".sg-next")
        assert cell(page, "v6")[1] == f"data {math.tanh(-0.7):.4g}"
        page.click(".sg-next")
        error = state(page)
        assert error["phase"] == "error" and error["current"] == "v6"
        assert cell(page, "v6")[2] == "grad 1"
        page.click(".sg-next")
        backward = state(page)
        assert backward["phase"] == "backward" and backward["first"].startswith(
            "Backward, step 1 of 6: z = tanh(#5)"
        )
        assert "sg-flow-backward" in classes(page, "e6_0")
        assert "sg-flow-forward" not in classes(page, "e4_0")  # the last frame's marks are gone
        for _ in range(5):
            page.click(".sg-next")
        assert cell(page, "v1")[2] == f"grad {-2 * slope:.4g}"  # x, the last node backward
        page.click(".sg-next")
        update = state(page)
        assert update["phase"] == "update" and update["current"] == "v2"
        assert cell(page, "v2")[1] == f"data -2 → {-2 - 0.1 * 0.5 * slope:.4g}"
        page.click(".sg-next")
        page.click(".sg-next")  # past the end: stays on the last frame
        assert state(page)["counter"] == "13 / 13"
        assert cell(page, "v3")[1] == f"data 0.3 → {0.3 - 0.1 * slope:.4g}"

        for _ in range(12):
            page.click(".sg-prev")
        assert state(page) == first  # every change undone on the way back
        assert cell(page, "v2") == ["w", "data -2", "grad ?"]
        assert cell(page, "v6") == ["z", "data ?", "grad ?"]


def test_after_the_slider_each_key_press_moves_exactly_one_frame(tmp_path) -> None:  # type: ignore[no-untyped-def]
    *_, z = neuron()
    path = animate(z, tmp_path / "step.html", forward=True)
    with chromium_page() as page:
        page.goto(path.resolve().as_uri())
        page.fill(".sg-slider", "5")  # as a drag would: focus on the slider, then input
        page.dispatch_event(".sg-slider", "input")
        assert state(page)["counter"] == "5 / 11"
        assert page.evaluate("document.activeElement.className") == "sg-slider"
        page.keyboard.press("ArrowRight")
        assert state(page)["counter"] == "6 / 11"
        page.keyboard.press("ArrowLeft")
        page.keyboard.press("ArrowLeft")
        assert state(page)["counter"] == "4 / 11"
        page.keyboard.press("ArrowUp")
        assert state(page)["counter"] == state(page)["slider"] + " / 11" == "5 / 11"
        page.focus(".sg-next")
        page.keyboard.press("ArrowRight")
        assert state(page)["counter"] == "6 / 11"
        page.click(".sg-view")
        page.keyboard.press("ArrowRight")
        assert state(page)["counter"] == "7 / 11"
        page.evaluate("document.activeElement.blur()")
        page.keyboard.press("ArrowRight")
        assert state(page)["counter"] == "8 / 11"
        page.keyboard.press("Home")
        assert state(page)["counter"] == "1 / 11"
        page.keyboard.press("PageDown")
        assert state(page)["counter"] == "11 / 11"
        page.keyboard.press("ArrowRight")
        assert state(page)["counter"] == "11 / 11"


def test_zoom_and_pan_with_buttons_wheel_keys_and_drag_and_fit_restores_the_whole(tmp_path) -> None:  # type: ignore[no-untyped-def]
    model, loss = mlp_loss()
    path = animate(loss, tmp_path / "mlp.html", forward=True, params=model, lr=0.05)
    with chromium_page(1200, 800) as page:
        page.goto(path.resolve().as_uri())
        width = page.evaluate("document.querySelector('.sg-view').clientWidth")
        start = view_box(page)
        assert width / start[2] >= 0.75  # 160 nodes open readable, not as a 3-px overview
        page.click(".sg-fit")
        whole = view_box(page)
        assert whole[2] > 3 * start[2]  # the whole graph in view
        page.click(".sg-zoom-in")
        assert view_box(page)[2] == pytest.approx(whole[2] / 1.25)
        page.keyboard.press("-")
        assert view_box(page)[2] == pytest.approx(whole[2])
        page.keyboard.press("+")
        page.keyboard.press("+")
        zoomed = view_box(page)
        assert zoomed[2] == pytest.approx(whole[2] / 1.25**2)
        box = page.locator(".sg-view").bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.mouse.wheel(0, -300)
        page.wait_for_timeout(100)  # the wheel event arrives on its own schedule
        wheeled = view_box(page)
        assert wheeled[2] == pytest.approx(zoomed[2] * math.exp(-300 * 0.002), rel=1e-3)
        px = box["width"] / 2 - 1  # the mouse, from the view's inside edge (a 1 px border)
        under = zoomed[0] + px * zoomed[2] / width  # the graph's point under the mouse ...
        assert wheeled[0] + px * wheeled[2] / width == pytest.approx(under, abs=0.1)  # stays
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] / 2 - 100, box["y"] + box["height"] / 2 - 50)
        page.mouse.up()
        dragged = view_box(page)
        scale = width / wheeled[2]
        assert dragged[0] == pytest.approx(wheeled[0] + 100 / scale, abs=0.5)
        assert dragged[1] == pytest.approx(wheeled[1] + 50 / scale, abs=0.5)
        page.keyboard.press("Shift+ArrowLeft")
        assert view_box(page)[0] == pytest.approx(dragged[0] - 60 / scale, abs=0.5)
        page.keyboard.press("0")
        assert view_box(page) == pytest.approx(whole)


def test_a_frame_touches_a_bounded_number_of_elements_at_160_nodes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    model, loss = mlp_loss()
    path = animate(loss, tmp_path / "mlp.html", forward=True, params=model, lr=0.05)
    most_parents = max(len(n.parents) for n in [loss, *model.parameters()] + _nodes(loss))
    bound = 2 * (most_parents + 3) + 2  # old marks off, new marks on, one cell, the camera
    with chromium_page() as page:
        page.goto(path.resolve().as_uri())
        page.evaluate(
            """() => {
                window.touched = new Set();
                new MutationObserver(records => records.forEach(r => window.touched.add(
                    r.target.nodeType === 1 ? r.target : r.target.parentElement)))
                  .observe(document.querySelector(".sg-view"),
                           {attributes: true, characterData: true, childList: true, subtree: true});
            }"""
        )
        counts = []
        for start in (1, 60, 116, 117, 118, 200, 280, 300):
            page.fill(".sg-slider", str(start))
            page.dispatch_event(".sg-slider", "input")
            for key in ("ArrowRight", "ArrowRight", "ArrowLeft"):
                page.evaluate("window.touched = new Set()")
                page.keyboard.press(key)
                counts.append(page.evaluate("window.touched.size"))
        assert 0 < max(counts) <= bound, counts


def _nodes(root: Value) -> list[Value]:
    from autograd import topological_order

    return topological_order(root)


def test_two_pages_in_one_document_play_independently(tmp_path) -> None:  # type: ignore[no-untyped-def]
    x, w, b, z = neuron()
    first = animate(z, forward=True, params=[w, b], lr=0.1)
    u, v = Value(2.0, "u"), Value(3.0, "v")
    second = animate(u * v, title="u times v")
    document = first.html.replace("</body>", second.fragment + "\n</body>")
    path = tmp_path / "two.html"
    path.write_text(document)
    one, two = ".stepgrad:nth-of-type(1)", ".stepgrad:nth-of-type(2)"
    with chromium_page() as page:
        page.goto(path.resolve().as_uri())
        assert page.locator(".stepgrad").count() == 2 and page.locator("[id]").count() == 0
        assert state(page, one)["counter"] == "1 / 13" and state(page, two)["counter"] == "1 / 3"
        page.click(f"{one} .sg-next")
        page.click(f"{one} .sg-next")
        assert state(page, one)["counter"] == "3 / 13" and state(page, two)["counter"] == "1 / 3"
        page.click(f"{two} .sg-view")
        page.keyboard.press("ArrowRight")
        assert state(page, two)["counter"] == "2 / 3" and state(page, one)["counter"] == "3 / 13"
        assert state(page, two)["first"].startswith("Backward, step 2 of 3: v (leaf)")
        page.evaluate("document.activeElement.blur()")
        page.keyboard.press("ArrowRight")  # nothing focused: the page last used answers
        assert state(page, two)["counter"] == "3 / 3" and state(page, one)["counter"] == "3 / 13"
        page.click(f"{one} .sg-zoom-in")
        page.evaluate("document.activeElement.blur()")
        page.keyboard.press("ArrowLeft")
        assert state(page, one)["counter"] == "2 / 13" and state(page, two)["counter"] == "3 / 3"
        texts = page.evaluate(
            "s => Array.from(document.querySelectorAll(s + ' .sg-title'), e => e.textContent)",
            ".stepgrad",
        )
        assert texts == ["A training step: forward, error, backward, update", "u times v"]
        assert re.match(r"^#3$", cell(page, "v3")[0]) is None  # each page's own v3 ...
        assert (
            page.evaluate(
                f"""() => document.querySelector("{two} g[data-sg='v3'] text").textContent"""
            )
            == "#3"
        )  # ... u * v, unlabelled, is #3 in its own page


def test_home_after_end_brings_back_the_opening_view(tmp_path) -> None:  # type: ignore[no-untyped-def]
    model, loss = mlp_loss()
    path = animate(loss, tmp_path / "mlp.html", forward=True, params=model, lr=0.05)
    with chromium_page(1200, 800) as page:
        page.goto(path.resolve().as_uri())
        opening, first = view_box(page), state(page)
        page.keyboard.press("End")  # the last update, far from where the page opened
        assert view_box(page) != pytest.approx(opening)
        page.keyboard.press("Home")
        assert state(page) == first
        assert view_box(page) == pytest.approx(opening)


def test_a_shared_leaf_drawn_in_every_box_shows_the_same_numbers_in_each(tmp_path) -> None:  # type: ignore[no-untyped-def]
    w = Value(0.5, "w")  # one weight read by two time steps, each in a box of its own
    wx0 = w * Value(1.0, "x0")
    h0 = wx0.tanh()
    wh0 = w * h0
    s1 = wh0 + Value(2.0, "x1")
    h1 = s1.tanh()
    h1.label = "h1"
    box = {wx0: "step 0", h0: "step 0", wh0: "step 1", s1: "step 1", h1: "step 1"}
    path = animate(h1, tmp_path / "rnn.html", group=box)
    with chromium_page() as page:
        page.goto(path.resolve().as_uri())
        drawn = page.evaluate(
            "Array.from(document.querySelectorAll(\"g[data-sg^='v']\"), "
            "g => g.getAttribute('data-sg'))"
        )
        (copy,) = [ident for ident in drawn if "_" in ident]  # w, drawn again in the second box
        original = copy.split("_")[0]
        assert cell(page, copy) == cell(page, original) == ["w", "data 0.5", "grad ?"]
        page.keyboard.press("End")  # w is the last leaf of the backward pass
        assert cell(page, copy) == cell(page, original)
        assert cell(page, copy)[2] != "grad ?"
        assert "sg-current" in classes(page, copy) and "sg-current" in classes(page, original)
