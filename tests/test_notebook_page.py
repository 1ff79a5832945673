"""Two animated pages in a real notebook: executed by nbclient, converted to HTML by nbconvert,
opened in headless Chromium, and clicked; each page plays on its own, isolated in its frame.

Needs the `notebook` extra (nbclient, nbformat, nbconvert, ipykernel; `make test` installs it)
and, for the clicks, playwright with Chromium and Graphviz's dot.
"""

from __future__ import annotations

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
from nbconvert import HTMLExporter  # noqa: E402

pytestmark = needs_dot
ROOT = Path(__file__).resolve().parent.parent
CELLS = [
    """from autograd import Value, animate
x, w, b = Value(0.5, "x"), Value(-2.0, "w"), Value(0.3, "b")
z = (x * w + b).tanh()
z.label = "z\"""",
    "animate(z, forward=True, params=[w, b], lr=0.1)",
    """u, v = Value(2.0, "u"), Value(3.0, "v")
animate(u * v, title="u times v")""",
]


@pytest.fixture(scope="module")
def notebook(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    """The notebook executed in a fresh kernel, and its HTML rendering."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in CELLS]
    nbclient.NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}
    ).execute()
    body, _ = HTMLExporter().from_notebook_node(nb)
    path = tmp_path_factory.mktemp("notebook") / "two_pages.html"
    path.write_text(body, encoding="utf-8")
    return nb, path


def test_each_animate_output_is_an_isolated_frame_in_the_executed_notebook(notebook) -> None:  # type: ignore[no-untyped-def]
    nb, _ = notebook
    for cell in nb.cells[1:]:
        (output,) = cell.outputs
        assert output.output_type == "execute_result"
        shown = output.data["text/html"]
        assert shown.startswith("<iframe srcdoc=") and 'sandbox="allow-scripts"' in shown
        assert "allow-same-origin" not in shown
        assert output.data["text/plain"].startswith("<Animation: ")


def test_two_pages_in_the_rendered_notebook_play_independently(notebook) -> None:  # type: ignore[no-untyped-def]
    _, path = notebook
    with chromium_page(1100, 900) as page:
        page.route(  # the notebook's template links CDN scripts: no network here, no waiting
            "**/*",
            lambda route: (
                route.continue_()
                if route.request.url.startswith(("file:", "about:"))
                else route.abort()
            ),
        )
        page.goto(path.resolve().as_uri(), wait_until="domcontentloaded")
        assert page.locator("iframe").count() == 2
        assert page.locator(".stepgrad").count() == 0  # the pages live inside their frames
        first, second = page.frame_locator("iframe").nth(0), page.frame_locator("iframe").nth(1)
        first.locator(".stepgrad[data-sg-ready]").wait_for()  # each frame's script has run
        second.locator(".stepgrad[data-sg-ready]").wait_for()
        for frame in (first, second):  # the whole page fits its frame: nothing cut off
            fits = frame.locator(".sg-foot").evaluate(
                "foot => foot.getBoundingClientRect().bottom <= window.innerHeight && "
                "document.querySelector('.sg-view').clientHeight >= 150"
            )
            assert fits
        counter_one, counter_two = first.locator(".sg-counter"), second.locator(".sg-counter")
        assert counter_one.inner_text() == "1 / 13" and counter_two.inner_text() == "1 / 3"
        first.locator(".sg-next").click()
        first.locator(".sg-next").click()
        assert counter_one.inner_text() == "3 / 13" and counter_two.inner_text() == "1 / 3"
        assert first.locator(".sg-text").inner_text().startswith("Forward, op 2 of 3")
        second.locator(".sg-view").click()
        page.keyboard.press("ArrowRight")
        assert counter_two.inner_text() == "2 / 3" and counter_one.inner_text() == "3 / 13"
        assert second.locator(".sg-text").inner_text().startswith("Backward, step 2 of 3")
        first.locator(".sg-fit").click()
        page.keyboard.press("ArrowLeft")
        assert counter_one.inner_text() == "2 / 13" and counter_two.inner_text() == "2 / 3"
        reach = first.locator("body").evaluate(
            "() => { try { return window.parent.document.title } catch (e) { return 'blocked' } }"
        )
        assert reach == "blocked"  # the page's script cannot touch the notebook
