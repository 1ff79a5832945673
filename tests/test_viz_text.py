"""Hostile text: titles, labels, op names and number formats are plain text in the DOT source,
in the rendered SVG, and in the page opened in Chromium (no link, no script, a page that still
works). Control characters, lone surrogates and very long text are shown escaped or shortened."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from autograd import Value
from autograd.viz import MAX_SHOWN, animate, draw, to_dot
from autograd.viz.dot import layout
from autograd.viz.text import derivative, dot_text, script_json, shown
from tests.browser import chromium_page, needs_dot

SVG = "{http://www.w3.org/2000/svg}"
LINK = '<x> href="javascript:alert(1)" tooltip=<y>'
HOSTILE = [
    LINK,
    "<b>bold</b>",
    "<!--<script>",
    "</script><script>window.injected = 1</script>",
    '<img src=x onerror="window.injected = 2">',
    "{{svg}} {{data}} {{script}}",
    "back\\N\\G\\\\slash",
    "]]> &amp; &lt; \"quoted\" 'single'",
]


def hostile_graph() -> Value:
    """A sum whose leaves, output and one op carry the hostile texts."""
    leaves = [Value(float(k), text) for k, text in enumerate(HOSTILE)]
    total = leaves[0]
    for leaf in leaves[1:]:
        total = total + leaf
    total.op = "</script><script>window.injected = 3</script>"  # users will name their own ops
    total.label = HOSTILE[3]
    return total


def test_hostile_title_and_labels_are_escaped_text_in_the_dot_source() -> None:
    source = to_dot(hostile_graph(), title=LINK).source
    assert 'href="javascript' not in source and "<b>" not in source and "<img" not in source
    assert "&lt;x&gt; href=&quot;javascript:alert(1)&quot; tooltip=&lt;y&gt;" in source
    assert "<B>&lt;b&gt;bold&lt;/b&gt;</B>" in source
    assert "label=<&lt;/script&gt;&lt;script&gt;window.injected = 3&lt;/script&gt;>" in source
    assert "URL" not in source and "href=" not in source.replace("href=&quot;", "")


@needs_dot
def test_hostile_text_renders_literally_in_the_svg(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = draw(hostile_graph(), tmp_path / "h.svg", title=LINK)
    svg = ET.parse(path).getroot()
    assert not svg.findall(f".//{SVG}a"), "the SVG must hold no link"
    for element in svg.iter():
        for name, value in element.attrib.items():
            assert "javascript" not in value, f"{element.tag} {name}={value!r}"
    texts = [(t.text or "").replace("\u2060", "") for t in svg.iter(f"{SVG}text")]
    assert LINK in texts  # the title, as written
    for text in HOSTILE[1:]:
        assert text in texts, f"{text!r} is not shown as written"
    assert "</script><script>window.injected = 3</script>" in texts  # the op's name


@needs_dot
@pytest.mark.parametrize(
    "label,expected",
    [
        ("a\x00b\x01c", "a\\x00b\\x01c"),
        ("lone \ud800 half", "lone \\ud800 half"),
        ("bell\x07 and del\x7f", "bell\\x07 and del\\x7f"),
        ("x" * 20_000, "x" * (MAX_SHOWN - 1) + "…"),
    ],
)
def test_unprintable_and_huge_labels_are_shown_escaped_and_never_make_dot_fail(
    tmp_path, label: str, expected: str
) -> None:  # type: ignore[no-untyped-def]
    x = Value(1.0, label)
    y = x * 2.0
    y.op = label  # as an op name too
    path = draw(y, tmp_path / "u.svg", title=label)
    texts = [t.text for t in ET.parse(path).getroot().iter(f"{SVG}text")]
    assert texts.count(expected) == 3  # title, label, op


@needs_dot
@pytest.mark.parametrize("text", ["]", "]]", "]]]", " ]", "]\n]"])
def test_brackets_alone_as_label_op_and_title_render_as_written(tmp_path, text: str) -> None:  # type: ignore[no-untyped-def]
    x = Value(1.0, text)
    y = x * 2.0
    y.op = text
    path = draw(y, tmp_path / "b.svg", title=text)
    texts = [t.text for t in ET.parse(path).getroot().iter(f"{SVG}text")]
    for line in text.split("\n"):
        assert texts.count(line) >= 3  # title, label, op (each line of them)


@needs_dot
def test_a_page_whose_labels_are_brackets_alone_is_made(tmp_path) -> None:  # type: ignore[no-untyped-def]
    x = Value(1.0, "]")
    y = x * 2.0
    y.op, y.label = "]]", "]]"
    page = animate(y, tmp_path / "b.html", title="]").read_text()
    assert "<svg" in page


_TRICKY = st.sampled_from(list("]][<>&\\\"'{}|;=\n\t") + ["]]>", "\\N", "&#93;", "<BR/>"])


@needs_dot
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.lists(_TRICKY | st.characters(), max_size=8).map("".join), min_size=3, max_size=3)
)
@example(["", "", "\u2060"])  # a title that is only a word joiner (found by a fresh run)
@example(["", "", "]\t\t]"])  # two spaces in the title's table: dot draws "] \xa0]"
def test_no_text_as_label_op_name_or_title_makes_dot_fail(texts: list[str]) -> None:
    """Any text (brackets, quotes, backslashes, controls, surrogates, newlines) as a label, an
    op name and a title: real `dot` renders it, and a one-line text shows as `shown` makes it.
    (In an HTML-like label dot keeps a run of spaces by drawing all but the first as no-break
    spaces: the same space to a reader, so the comparison reads them as spaces.)"""
    label, op, title = texts
    x = Value(1.0, label)
    y = x * 2.0
    y.op = op
    svg = ET.fromstring(layout(to_dot(y, title=title).source, "svg", 60.0, "test: "))
    shown_texts = [
        (t.text or "").replace("\u2060", "").replace("\xa0", " ") for t in svg.iter(f"{SVG}text")
    ]
    for text in texts:
        wanted = shown(text).replace("\u2060", "")  # the drawing's word joiners, as above
        if wanted.strip() and "\n" not in wanted and wanted == wanted.strip():
            assert wanted in shown_texts, (text, shown_texts)


def test_shown_keeps_newlines_turns_tabs_to_spaces_and_bounds_length() -> None:
    assert shown("a\nb\tc") == "a\nb c"
    assert shown("plain ünïcode ✓") == "plain ünïcode ✓"
    assert shown("\u2028") == "\\u2028"
    assert len(shown("y" * 10_000)) == MAX_SHOWN
    with pytest.raises(TypeError, match="title must be a str, got int"):
        shown(3, "title")
    assert dot_text("a\nb") == 'a<BR ALIGN="LEFT"/>b'


def test_script_json_cannot_end_or_open_anything_in_a_script() -> None:
    data = {"t": "</script><!--<script>&\u2028\u2029", "n": ["\ud800"]}
    text = script_json(data)
    assert re.fullmatch(r"[\x20-\x7e]*", text), "ASCII only"
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == data


@needs_dot
def test_hostile_labels_cannot_break_or_inject_into_the_page(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = animate(hostile_graph(), tmp_path / "h.html", title=LINK, forward=True)
    page_text = path.read_text()
    assert "<img" not in page_text and "<b>" not in page_text
    with chromium_page() as page:
        page.goto(path.resolve().as_uri())
        assert page.evaluate("window.injected") is None
        assert page.title() == LINK and page.inner_text(".sg-title") == LINK
        links = page.evaluate(
            "Array.from(document.querySelectorAll('*')).flatMap(e => Array.from(e.attributes))"
            ".filter(a => /javascript:/i.test(a.value)).map(a => a.name)"
        )
        assert links == [] and page.locator("a").count() == 0
        assert page.locator("[id]").count() == 0  # every id became data-sg
        frames = page.inner_text(".sg-counter").split(" / ")[1]
        page.click(".sg-next")  # the script runs: the page plays
        assert page.inner_text(".sg-counter") == f"2 / {frames}"
        assert page.inner_text(".sg-text").splitlines()[1].endswith(f"= {LINK} + <b>bold</b>")
        page.fill(".sg-slider", str(1 + 7 + 1 + 1))  # the first backward frame: the sum
        page.dispatch_event(".sg-slider", "input")
        panel = page.inner_text(".sg-text")
        assert panel.startswith("Backward, step 1 of 15: </script><script>window.injected = 1")
        assert " = </script><script>window.injected = 3</script>(#" in panel  # the op, as text
        page.keyboard.press("End")
        assert page.evaluate("window.injected") is None


@pytest.mark.parametrize(
    "of,by,written",
    [
        ("z", "x", "∂z/∂x"),
        ("loss", "#5", "∂loss/∂#5"),
        ("loss", "layers.2.neurons.0.w.3", "∂loss/∂(layers.2.neurons.0.w.3)"),
        ("h2[0]", "wh.0.1", "∂(h2[0])/∂(wh.0.1)"),
        ("x + y", "x", "∂(x + y)/∂x"),
    ],
)
def test_a_derivative_puts_a_name_of_more_than_one_word_in_parentheses(
    of: str, by: str, written: str
) -> None:
    assert derivative(of, by) == written
