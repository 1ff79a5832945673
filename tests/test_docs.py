"""The documentation runs as written: every python block of README.md and docs/*.md, and the
site's generated op reference against the engine.

A page's python blocks run top to bottom in one namespace (as a reader pastes them one after
the other), in a fresh folder, with the repository on sys.path (for `demos`). An HTML comment
on the line before a block says how to treat it, sparingly:

    <!-- run: raises FloatingPointError -->   the block must raise that exception
    <!-- output of the block above -->        not run: the previous block must print exactly it
    <!-- not run: REASON -->                  not run (say why)
"""

from __future__ import annotations

import builtins
import contextlib
import io
import math
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
_FENCE = re.compile(r"((?:<!--[^\n]*-->\n)*)```(\w*)\n(.*?)^```", re.S | re.M)


@dataclass
class Block:
    language: str
    source: str
    markers: list[str]
    line: int


def blocks(page: Path) -> list[Block]:
    """Return the fenced code blocks of a markdown page with the markers written before each."""
    text = page.read_text(encoding="utf-8")
    found = []
    for match in _FENCE.finditer(text):
        markers = re.findall(r"<!--\s*(.*?)\s*-->", match[1])
        line = text.count("\n", 0, match.start(2)) + 1
        found.append(Block(match[2], match[3], markers, line))
    return found


PAGES = [
    page
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    if any(b.language == "python" for b in blocks(page))
]


def _marker(block: Block, prefix: str) -> str | None:
    for marker in block.markers:
        if marker.startswith(prefix):
            return marker[len(prefix) :].strip()
    return None


def _needs_dot(page: Path) -> bool:
    drawing = re.compile(r"\b(draw|to_dot|animate)\(")
    return any(drawing.search(b.source) for b in blocks(page) if b.language == "python")


@pytest.mark.parametrize("page", PAGES, ids=[p.relative_to(ROOT).as_posix() for p in PAGES])
def test_every_python_block_of_the_page_runs_as_written(
    page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if _needs_dot(page) and not shutil.which("dot"):
        pytest.skip("the page draws: Graphviz's dot is not installed")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(ROOT))
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    printed = ""
    ran = 0
    for block in blocks(page):
        where = f"{page.name}:{block.line}"
        if _marker(block, "output of the block above") is not None:
            shown = block.source.rstrip("\n")
            assert printed.rstrip("\n") == shown, f"{where}: the block above prints otherwise"
            continue
        if block.language != "python" or _marker(block, "not run:") is not None:
            continue
        code = compile(block.source, where, "exec")
        out = io.StringIO()
        raises = _marker(block, "run: raises")
        with contextlib.redirect_stdout(out):
            if raises:
                expected = getattr(builtins, raises)
                with pytest.raises(expected):
                    exec(code, namespace)
            else:
                exec(code, namespace)
        printed, ran = out.getvalue(), ran + 1
    assert ran  # the page has python blocks (PAGES), and they ran


def test_a_page_whose_block_fails_fails_its_test(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("# A page\n\n```python\nundefined_name + 1\n```\n", encoding="utf-8")
    (block,) = blocks(page)
    with pytest.raises(NameError, match="undefined_name"):
        exec(compile(block.source, "page.md", "exec"), {})


def test_markers_before_a_block_are_read() -> None:
    tour = blocks(ROOT / "docs" / "tour.md")
    raising = [b for b in tour if _marker(b, "run: raises")]
    assert [_marker(b, "run: raises") for b in raising] == ["FloatingPointError"]
    outputs = [b for b in tour if _marker(b, "output of the block above") is not None]
    assert outputs and outputs[0].source.startswith("step 1/6  #6 = tanh(#5)")


def test_the_readme_is_a_front_page() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.encode()) <= 10_500  # about 10 KB: a front page, the rest is in docs/
    commands = blocks(ROOT / "README.md")[0]
    assert commands.language == "sh"
    assert [line.split()[:2] for line in commands.source.splitlines()] == [
        ["make", "demo"],
        ["make", "test"],
    ]
    assert "HIPS autograd" in readme and "do not install both" in readme
    for target in re.findall(r"\]\((docs/[^)#]+)", readme):  # every link into docs/ resolves
        assert (ROOT / target).is_file(), target


# ---- the op reference, generated when the site builds ----


def _op_reference() -> Any:
    sys.path.insert(0, str(ROOT / "docs" / "hooks"))
    try:
        import op_reference
    finally:
        sys.path.remove(str(ROOT / "docs" / "hooks"))
    return op_reference


def _same(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and math.copysign(1, a) == math.copysign(1, b)  # -0.0 is not 0.0 here


def test_the_op_reference_has_one_entry_per_op_with_its_rule() -> None:
    from autograd import ops

    reference = _op_reference()
    page = reference.page()
    for name in (*ops.OPS, *ops.ARRAY_OPS):
        assert f"\n## `{name}`\n" in page, name
        assert f"def {getattr(ops, name).rule.__name__}(" in page  # the rule's own source
    assert "def mul_backward(g: Any, z: Any, x: Any, y: Any)" in page


def test_the_op_reference_tables_are_what_eager_backward_gives() -> None:
    import autograd as ag
    from autograd import Value

    reference = _op_reference()
    special = {  # ops whose function takes a constant or a list; the rest take the inputs
        "pow_const": lambda a: ag.ops.pow_const(a, 2.0),
        "leaky_relu": lambda a: ag.ops.leaky_relu(a, 0.01),
        "sum": lambda a, b: ag.sum([a, b]),
        "dot": lambda w, x: ag.dot([w], [x]),
        "shift": lambda a, b: ag.ops.shift([a, b]),
        "take": lambda a, b, i: ag.ops.take([a, b], i),
    }
    checked = 0
    for record in reference._records():
        fn = special.get(record.name, getattr(ag.ops, record.name))
        for xs in reference._points(record):
            z, derivatives = record.at(*xs)
            leaves = [Value(x) for x in xs]
            out = fn(*leaves)
            eager = ag.grad(out, leaves)  # grad() keeps -0.0 (a .grad starts at +0.0)
            assert _same(z, out.data), (record.name, xs)
            assert all(_same(d, e) for d, e in zip(derivatives, eager)), (record.name, xs)
            checked += 1
    assert checked > 150


def test_the_mkdocs_config_names_every_page_in_docs() -> None:
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    for page in sorted((ROOT / "docs").glob("*.md")):
        assert f": {page.name}" in config or f"- {page.name}" in config, page.name


# ---- the API reference: its docstrings (docs/hooks/docstrings.py) and its order (api.md) ----


def _docstrings_hook() -> Any:
    pytest.importorskip("griffe", reason="the docs extra is not installed")
    from docs.hooks import docstrings

    return docstrings


class _Cells(HTMLParser):
    """Reads the HTML tables of a text: each cell's text, its <code> parts in backquotes."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag == "td":
            self.cell = []
        elif tag == "code" and self.cell is not None:
            self.cell.append("`")

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self.cell is not None:
            self.tables[-1][-1].append("".join(self.cell))
            self.cell = None
        elif tag == "code" and self.cell is not None:
            self.cell.append("`")

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def _tables(html: str) -> list[list[list[str]]]:
    parser = _Cells()
    parser.feed(html)
    return parser.tables


def test_an_aligned_table_becomes_an_html_table_cell_by_cell() -> None:
    render = _docstrings_hook().render
    text = (
        "Return a drawing.\n"
        "\n"
        'rankdir        "LR" (data flows left to right) or "TB"\n'
        "params         the leaves to colour as parameters; by default\n"
        "               the leaves named as nn names them: `w.0`\n"
        "number_format  a format spec, e.g. <.4g>\n"
        "\n"
        "Labels are shown as written."
    )
    out = render(text)
    assert _tables(out) == [
        [
            ["`rankdir`", '"LR" (data flows left to right) or "TB"'],
            [
                "`params`",
                "the leaves to colour as parameters; by default the leaves named "
                "as nn names them: `w.0`",
            ],
            ["`number_format`", "a format spec, e.g. <.4g>"],
        ]
    ]
    assert out.startswith("Return a drawing.\n\n<table data-docstring-table>")
    assert out.endswith("</table>\n\nLabels are shown as written.")


def test_a_term_too_long_for_its_column_has_its_description_on_the_next_line() -> None:
    render = _docstrings_hook().render
    text = (
        "prog(*inputs)           the output\n"
        'prog.backward(*inputs, reduce="mean")\n'
        "                        the mean of the outputs; adds its gradient\n"
        "                        to each parameter\n"
        "rule(g, z, *xs) -> (c₁, c₂)  one contribution per input\n"
        "prog.source             the code that runs"
    )
    assert _tables(render(text)) == [
        [
            ["`prog(*inputs)`", "the output"],
            [
                '`prog.backward(*inputs, reduce="mean")`',
                "the mean of the outputs; adds its gradient to each parameter",
            ],
            ["`rule(g, z, *xs) -> (c₁, c₂)`", "one contribution per input"],
            ["`prog.source`", "the code that runs"],
        ]
    ]


def test_a_further_column_is_cut_only_where_two_rows_start_text_there() -> None:
    render = _docstrings_hook().render
    text = (
        "g ← grad;   s ← α·s\n"
        "centered: a ← a;  d = √s + eps     else d = √s\n"
        "momentum > 0: b ← b;  p ← p - b    else p ← p - g\n"
        "\n"
        "add_point(x, target)   a new row; returns its index.  remove_point(i)\n"
        "reset(seed=None)       back to step 0"
    )
    first, second = _tables(render(text))
    assert first == [
        ["g ← grad;", "s ← α·s", ""],  # a short row gets an empty cell
        ["centered: a ← a;", "d = √s + eps", "else d = √s"],
        ["momentum > 0: b ← b;", "p ← p - b", "else p ← p - g"],
    ]
    assert second == [  # a double space in one row only is part of its text
        ["`add_point(x, target)`", "a new row; returns its index. remove_point(i)"],
        ["`reset(seed=None)`", "back to step 0"],
    ]


def test_prose_lists_and_lines_that_do_not_line_up_stay_text() -> None:
    render = _docstrings_hook().render
    prose = "A sentence.  Another one that wraps\nonto a line with a gap.  And so on."
    bullets = "- one item that\n  wraps under itself\n- another item that\n  wraps the same way"
    skewed = "short   its text\nother        starts further right"
    session = ">>> f(1)  # a comment\n2\n>>> f(2)   # another\n3"
    for text in (prose, bullets, skewed):
        assert render(text) == text
    assert render(session) == f"```pycon\n{session}\n```"
    assert "<table" not in render("\n\n".join([prose, bullets, skewed, session]))


def test_a_paragraph_of_update_rules_keeps_its_lines_and_a_tag_in_prose_is_text() -> None:
    hook = _docstrings_hook()
    out = hook.render(
        "SGD.\n\ng ← grad + wd·p\nstep = g   (g itself when momentum = 0)\np ← p - lr·step"
    )
    assert out == (
        "SGD.\n\n<p data-docstring-lines>g ← grad + wd·p<br>\n"
        "step = g&emsp;(g itself when momentum = 0)<br>\np ← p - lr·step</p>"
    )
    assert hook.render("shown in an <iframe srcdoc>, `a <b>` stays") == (
        "shown in an &lt;iframe srcdoc>, `a <b>` stays"
    )
    assert hook.render(out) == out  # what it made is left as it is


_ROW_GAP = re.compile(r" {2,}(?=\S)")
_LIST_ITEM = re.compile(r"(?:[-*+]|\d+[.)]) ")


def _starts(line: str) -> set[int]:
    """Columns where text starts on a line: after a gap of two spaces, or as its indent."""
    found = {m.end() for m in _ROW_GAP.finditer(line.rstrip()) if m.start() > 0}
    if line.startswith(" ") and line.strip():
        found.add(len(line) - len(line.lstrip(" ")))
    return found


def _table_rows(docstring: str) -> list[str]:
    """Return the lines of a docstring that a reader takes for a table's rows, found without
    the hook's rules: in a paragraph (outside fences and sessions) with two lines or more at
    the left edge that have a gap of two spaces, where some such gap ends at a column at which
    text also starts on another line of the paragraph, each such line."""
    rows: list[str] = []
    paragraph: list[str] = []
    fenced = False
    for line in [*docstring.splitlines(), ""]:
        if line.lstrip().startswith("```"):
            fenced = not fenced
        if fenced or line.lstrip().startswith(("```", ">>>")) or not line.strip():
            edge = [
                s
                for s in paragraph
                if not s.startswith(" ") and _ROW_GAP.search(s) and not _LIST_ITEM.match(s)
            ]
            columns = [c for s in paragraph for c in _starts(s)]
            if len(edge) >= 2 and any(columns.count(c) >= 2 for s in edge for c in _starts(s)):
                rows += edge
            paragraph = []
        else:
            paragraph.append(line)
    return rows


def _griffe_collection() -> Any:
    """Return autograd and nn as griffe (the reference's loader) reads them, aliases resolved."""
    griffe = pytest.importorskip("griffe")
    loader = griffe.GriffeLoader(search_paths=[str(ROOT)])
    for package in ("autograd", "nn"):
        loader.load(package)
    loader.resolve_aliases()
    return loader.modules_collection


def _public_docstrings() -> list[tuple[str, str]]:
    """Return (path, docstring) for every public object of autograd and nn, as griffe (the
    reference's loader) reads them: modules, classes, functions, attributes and members."""
    griffe = pytest.importorskip("griffe")
    collection = _griffe_collection()
    found: dict[str, str] = {}
    todo = [collection[package] for package in ("autograd", "nn")]
    while todo:
        obj = todo.pop()
        if obj.path in found:
            continue
        found[obj.path] = obj.docstring.value if obj.docstring else ""
        for name, member in obj.members.items():
            if name.startswith("_"):
                continue
            if member.is_alias:
                try:
                    member = member.final_target
                except griffe.AliasResolutionError:  # a name imported from outside (numpy, ...)
                    continue
                if not member.path.startswith(("autograd.", "nn.")):
                    continue  # a name imported from the standard library
            todo.append(member)
    return sorted(found.items())


def test_every_aligned_table_of_a_public_docstring_comes_out_as_a_table() -> None:
    render = _docstrings_hook().render
    checked = []
    for path, docstring in _public_docstrings():
        rows = _table_rows(docstring)
        if not rows:
            continue
        out = render(docstring)
        left = [row for row in rows if row in out]  # a row in a table is cut into cells
        assert not left, (
            f"{path}: these lines look like a table's rows but are not one in the reference "
            f"(align them as docs/hooks/docstrings.py says): {left}"
        )
        assert "<table data-docstring-table>" in out, path
        checked.append(path)
    assert len(checked) >= 5, checked  # the walk reads the packages' docstrings


# the reference places each public name with one `::: package....name` line
_PLACED = re.compile(r"^::: ((?:autograd|nn)\b[\w.]*)$", re.M)


def _placed(module: Any) -> list[str]:
    """Return the names of a package that docs/api.md places, in its order: `::: nn.MLP`, or
    `::: autograd.backward.backward` for a name of `__all__` that shares its module's name."""
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    names = []
    for path in _PLACED.findall(text):
        package, *rest = path.split(".")
        if package == module.__name__ and rest and (len(rest) == 1 or rest[-1] in module.__all__):
            names.append(rest[-1])
    return names


def test_the_api_reference_places_every_public_name_once() -> None:
    import autograd
    import nn

    for module in (autograd, nn):
        names = _placed(module)
        public = set(module.__all__) - {"__version__"}
        missing = sorted(public - set(names))
        assert not missing, (
            f"{module.__name__}.{missing} have no place in docs/api.md: add a `::: "
            f"{module.__name__}.NAME` line where a user meets each"
        )
        twice = sorted({n for n in names if names.count(n) > 1})
        assert not twice, f"docs/api.md places {module.__name__}.{twice} twice"
        for name in names:  # a name placed there is a public attribute of the package
            assert not name.startswith("_") and hasattr(module, name), name
    assert _placed(autograd)[:3] == ["Value", "backward", "grad"]  # the order a user meets
    assert _placed(nn)[:4] == ["Module", "Neuron", "Layer", "MLP"]


# ---- the site, built as `make docs` builds it, read from file:// ----


@dataclass
class Built:
    path: Path  # the site
    printed: str  # what the build printed, stdout then stderr


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    pytest.importorskip("mkdocs", reason="the docs extra is not installed (make docs installs it)")
    pytest.importorskip("material", reason="the docs extra is not installed")
    if not shutil.which("dot"):
        pytest.skip("the notebooks draw: Graphviz's dot is not installed")
    out = tmp_path_factory.mktemp("site")
    run = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},  # as `make docs` runs it
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return Built(out, run.stdout + run.stderr)


@pytest.fixture(scope="module")
def site(built: Built) -> Path:
    return built.path


def test_the_build_prints_nothing_but_its_progress(built: Built) -> None:
    # no warning a reader can do nothing about (a kernel's socket notice, a plugin's chatter):
    # every line is mkdocs' own INFO progress
    others = [line for line in built.printed.splitlines() if not line.startswith("INFO")]
    assert not [line for line in others if line.strip()], others[:10]
    assert "Documentation built" in built.printed


def test_the_site_has_every_page_and_loads_nothing_from_the_network(site: Path) -> None:
    pages = sorted(p.name for p in site.glob("*.html"))
    for page in sorted((ROOT / "docs").glob("*.md")):
        assert page.with_suffix(".html").name in pages
    assert {"ops.html", "micrograd_lecture.html", "stepper.html"} <= set(pages)
    remote = re.compile(r"<(?:script|link|img|iframe)\b[^>]*\s(?:src|href)=\"(?:https?:)?//")
    for page in site.glob("*.html"):
        assert not remote.search(page.read_text(encoding="utf-8")), page.name
    lecture = (site / "micrograd_lecture.html").read_text(encoding="utf-8")
    assert "def mul_backward" in lecture and "def _pass" in lecture  # run, with its outputs


def test_the_api_reference_shows_every_public_name_and_no_tag_from_a_docstring(
    site: Path,
) -> None:
    import autograd
    import nn

    api = (site / "api.html").read_text(encoding="utf-8")
    article = api[api.index("<article") : api.index("</article>")]
    for module in (autograd, nn):
        for name in module.__all__:
            if name != "__version__":  # backward and trace by their modules' paths
                anchor = re.compile(rf'id="{module.__name__}(\.\w+)?\.{name}"')
                assert anchor.search(article), f"{module.__name__}.{name}"
    assert "<iframe" not in article  # a docstring's prose names a tag: text, not an element
    assert api.count("<script") >= 2  # the page's own scripts come after the reference


def test_the_sites_search_works_from_file_without_a_network(site: Path) -> None:
    from tests.browser import chromium_page

    with chromium_page(1400, 900) as page:
        remote: list[str] = []
        page.on(
            "request",
            lambda r: remote.append(r.url) if not r.url.startswith(("file:", "data:")) else None,
        )
        page.goto((site / "index.html").as_uri(), wait_until="load")
        page.click(".md-search__input")
        page.keyboard.type("gradcheck")
        page.wait_for_selector(".md-search-result__item", timeout=10_000)
        titles = page.locator(".md-search-result__item h1").all_inner_texts()
        assert "API reference" in titles and "A tour" in titles
        assert not remote, remote


def test_a_notebook_and_a_page_of_one_name_are_refused() -> None:
    pytest.importorskip("mkdocs")
    from mkdocs.exceptions import PluginError
    from mkdocs.structure.files import File, Files

    from docs.hooks import notebooks

    stem = sorted(notebooks.NOTEBOOKS.glob("*.ipynb"))[0].stem
    config = {"site_dir": "site", "use_directory_urls": False}
    clash = Files([File(f"{stem}.md", src_dir="docs", dest_dir="site", use_directory_urls=False)])
    with pytest.raises(PluginError, match=f"{stem}.html"):
        notebooks.on_files(clash, config)
    fine = Files([File("other.md", src_dir="docs", dest_dir="site", use_directory_urls=False)])
    assert len(notebooks.on_files(fine, config)) > 1


def test_nbconverts_widget_and_mermaid_loaders_are_stripped_and_a_cdn_address_refused() -> None:
    pytest.importorskip("mkdocs")
    from mkdocs.exceptions import PluginError

    from docs.hooks import notebooks

    class Page:
        class file:  # noqa: N801
            src_uri = "x.ipynb"

    loader = (
        "<script>\n(function() {\n  function addWidgetsRenderer() {\n    var s = "
        "'https://unpkg.com/@jupyter-widgets/html-manager@*/dist/embed-amd.js';\n  }\n}());\n"
        "</script>"
    )
    mermaid = (
        '<script type="module">\n const d = document.querySelectorAll(".jp-Mermaid > pre");\n'
        ' await import("https://cdnjs.cloudflare.com/ajax/libs/mermaid/11/m.mjs");\n</script>'
    )
    kept = notebooks.on_post_page(f"<p>a</p>{loader}{mermaid}<p>b</p>", Page, {})
    assert kept == "<p>a</p><p>b</p>"
    with pytest.raises(PluginError, match="unpkg"):
        notebooks.on_post_page("<script>var u = 'https://unpkg.com/x.js';</script>", Page, {})


def test_a_widget_view_becomes_a_note_and_the_widgets_state_goes() -> None:
    pytest.importorskip("mkdocs")
    from docs.hooks import notebooks

    class Page:
        class file:  # noqa: N801
            src_uri = "x.ipynb"

    view = (
        '<div class="jupyter-widgets jp-OutputArea-output jp-OutputArea-executeResult" id="e5" '
        'tabindex="0">\n<script type="text/javascript">\nvar element = '
        "document.getElementById('e5');\n</script>\n"
        '<script type="application/vnd.jupyter.widget-view+json">\n{"version_major": 2, '
        '"version_minor": 1, "model_id": "3a30"}\n</script>\n</div>'
    )
    state = '<script type="application/vnd.jupyter.widget-state+json">{"state": {}}</script>'
    kept = notebooks.on_post_page(f"<p>a</p>{view}{state}<p>b</p>", Page, {})
    assert kept == (
        '<p>a</p><div class="jupyter-widgets jp-OutputArea-output jp-OutputArea-executeResult">'
        f"{notebooks.WIDGET_NOTE}</div><p>b</p>"
    )
    assert "running kernel" in notebooks.WIDGET_NOTE


def _article(site: Path, page: str) -> str:
    html = (site / page).read_text(encoding="utf-8")
    return html[html.index("<article") : html.index("</article>")]


def test_the_api_reference_opens_with_value_and_keeps_the_order_of_api_md(site: Path) -> None:
    article = _article(site, "api.html")
    headings = re.findall(r'id="([\w.]+)" class="doc doc-heading"', article)
    assert headings[0] == "autograd.Value"  # a public name first, not an internal attribute
    paths = _PLACED.findall((ROOT / "docs" / "api.md").read_text(encoding="utf-8"))
    where = [article.find(f'id="{path}"') for path in paths]
    assert -1 not in where, [p for p, w in zip(paths, where) if w < 0]
    assert where == sorted(where), "the page shows the names in another order than api.md"


def test_every_docstring_table_the_api_reference_shows_is_a_table_on_the_page(
    site: Path,
) -> None:
    hook = _docstrings_hook()
    collection = _griffe_collection()
    article = _article(site, "api.html")
    on_page = _tables(article)
    expected = 0
    for path in sorted(set(re.findall(r'id="([\w.]+)" class="doc doc-heading"', article))):
        obj = collection[path]
        docstring = obj.docstring.value if obj.docstring else ""
        for table in _tables(hook.render(docstring)):
            assert table in on_page, f"{path}: a docstring table is not a table on the page"
            expected += 1
    assert expected >= 5 and article.count("<table data-docstring-table>") >= expected


_CODE_THAT_SCROLLS = """() => {
  const wide = [];
  for (const pre of document.querySelectorAll('article pre')) {
    for (let e = pre.querySelector('code') || pre; e && e.tagName !== 'ARTICLE';
         e = e.parentElement) {
      if (getComputedStyle(e).overflowX !== 'visible' && e.scrollWidth > e.clientWidth + 1) {
        wide.push(`${e.scrollWidth}>${e.clientWidth} px: ${pre.textContent.trim().slice(0, 60)}`);
        break;
      }
    }
  }
  return wide;
}"""


def test_no_code_block_on_the_site_scrolls_sideways(site: Path) -> None:
    from tests.browser import chromium_page

    with chromium_page(1400, 900) as page:
        for html in sorted(site.glob("*.html")):
            page.goto(html.as_uri(), wait_until="load")
            wide = page.evaluate(_CODE_THAT_SCROLLS)
            assert not wide, f"{html.name}: {wide[:3]}"
        assert page.evaluate("document.querySelectorAll('article pre').length") > 0


_EMPTY_OUTPUTS = """() => [...document.querySelectorAll('.jp-OutputArea-output')].filter(o => {
  if (o.innerText.trim()) return false;
  return ![...o.querySelectorAll('img, svg, iframe, canvas')].some(e => {
    const box = e.getBoundingClientRect();
    return box.width > 0 && box.height > 0;
  });
}).map(o => o.outerHTML.slice(0, 160))"""


def test_the_docs_build_runs_notebooks_with_a_cells_streams_merged(tmp_path: Path) -> None:
    # a print whose "\n" reaches the page as an output of its own is an empty box there
    # (it happened on a loaded machine): the build's nbconvert settings merge them
    nbformat = pytest.importorskip("nbformat")
    pytest.importorskip("nbclient")
    from nbconvert.exporters import HTMLExporter
    from traitlets.config import Config

    config = Config()
    settings = ROOT / "docs" / "hooks" / "jupyter" / "jupyter_nbconvert_config.py"
    exec(settings.read_text(encoding="utf-8"), {"get_config": lambda: config})
    config.ExecutePreprocessor.enabled = True  # as mkdocs-jupyter's execute: true sets it
    config.ExecutePreprocessor.timeout = 120
    # the "\n" of print("a") sent on its own, as a loaded machine may send it
    code = 'import sys\nprint("a", end="")\nsys.stdout.flush()\nprint()\nprint("b")'
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    body, _ = HTMLExporter(config=config).from_notebook_node(
        notebook, resources={"metadata": {"path": str(tmp_path)}}
    )
    assert body.count('data-mime-type="text/plain"') == 1  # one output: the merged stream
    assert re.search(r"<pre>\s*a\s+b\s*</pre>", body)


def test_no_rendered_notebook_shows_an_empty_output(site: Path) -> None:
    from tests.browser import chromium_page

    pages = [site / f"{path.stem}.html" for path in sorted((ROOT / "notebooks").glob("*.ipynb"))]
    with chromium_page(1400, 900) as page:
        for html in pages:
            page.goto(html.as_uri(), wait_until="load")
            assert page.locator(".jp-OutputArea-output").count() > 0, html.name
            empty = page.evaluate(_EMPTY_OUTPUTS)
            assert not empty, f"{html.name}: {empty}"


def test_the_readmes_speed_figures_are_in_the_benchmark_files_they_name() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## How fast", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and "---" not in line]
    source = None
    checked = 0
    for row in rows[1:]:  # after the header
        step, figure, against = [cell.strip() for cell in row.strip("|").split("|")]
        named = re.search(r"docs/[\w-]+\.txt", against)
        source = named[0] if named else source  # "the same": the file of the row above
        assert source is not None, row
        number = figure.split()[0]
        text = (ROOT / source).read_text(encoding="utf-8")
        assert re.search(rf"(?<![\w.]){re.escape(number)}(?![\w.])", text), (number, source)
        checked += 1
    assert checked >= 5
