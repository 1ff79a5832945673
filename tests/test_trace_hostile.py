"""No text ever becomes code: hostile op names, labels and function names in a traced program.

Each payload, if it escaped its comment or docstring, would run `_pwn()`, which records the
breach; the oracle is that the record stays empty, the source compiles, and the program's
numbers are still the eager ones.
"""

from __future__ import annotations

import ast
import builtins
import math
from collections.abc import Iterator

import pytest

from autograd import Value, custom_op, ops, trace

BREACHES: list[str] = []


def _pwn() -> None:
    BREACHES.append("ran")


PAYLOADS = [
    'twice\n    __import__("builtins")._pwn()\n    #',
    "x\r    __import__('builtins')._pwn()\r#",
    "x\u2028__import__('builtins')._pwn()",
    'end"""\n    __import__("builtins")._pwn()\n    """',
    '"',
    '""""',
    "C:\\users\\x",
    "a\\N",
    "a\\x",
    "a\\",
    "\\u00",
    "tab\there\x0bvtab\x0cff\x00nul\x85nel\u2029par",
    "]]",
    "# not a comment",
]


@pytest.fixture(autouse=True)
def _sentinel() -> Iterator[None]:
    builtins._pwn = _pwn  # type: ignore[attr-defined]
    BREACHES.clear()
    yield
    del builtins._pwn  # type: ignore[attr-defined]
    assert BREACHES == [], "text from a name ran as code"


def _assert_only_in_comments(source: str) -> None:
    """The source parses, and no payload's call survives outside comments and strings."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            assert node.func.attr != "_pwn", source
        if isinstance(node, ast.Name):
            assert node.id != "__import__", source


@pytest.mark.parametrize("name", PAYLOADS)
def test_an_op_made_with_define_cannot_inject_through_its_name(name: str) -> None:
    def twice_backward(g: float, z: float, x: float) -> tuple[float]:
        return (g * 2.0,)

    twice = ops.define(name, lambda x: x * 2.0, twice_backward)
    prog = trace(lambda x: twice(x) * x, 3.0)
    _assert_only_in_comments(prog.source)
    assert prog(3.0) == 18.0  # 2x·x at 3
    out, (dx,), _ = prog.grad(3.0)
    assert (out, dx) == (18.0, 12.0)  # d(2x²)/dx = 4x


@pytest.mark.parametrize("name", PAYLOADS)
def test_a_node_whose_op_was_changed_cannot_inject(name: str) -> None:
    def fn(x: Value) -> Value:
        y = x.tanh()
        y.op = name  # a public attribute: anyone can write it
        return y * 2.0

    prog = trace(fn, 0.5)
    _assert_only_in_comments(prog.source)
    assert prog(0.5) == 2.0 * math.tanh(0.5)


@pytest.mark.parametrize("name", PAYLOADS)
def test_labels_cannot_inject(name: str) -> None:
    w = Value(1.5, name)

    def fn(x: Value) -> Value:
        h = x * w
        h.label = name
        c = Value(0.25, name)  # a labelled constant is hoisted under its label
        return (h + c).relu()

    prog = trace(fn, 2.0, params=[w])
    _assert_only_in_comments(prog.source)
    assert prog(2.0) == 3.25
    _, (dx,), (dw,) = prog.grad(2.0)
    assert (dx, dw) == (1.5, 2.0)


@pytest.mark.parametrize("name", PAYLOADS)
def test_a_functions_name_cannot_inject_or_break_the_docstring(name: str) -> None:
    def fn(x: Value) -> Value:
        return x * x

    fn.__name__ = name
    fn.__qualname__ = name
    prog = trace(fn, 3.0)
    _assert_only_in_comments(prog.source)
    assert prog(3.0) == 9.0
    assert name in repr(prog) or "fn" not in repr(prog)


@pytest.mark.parametrize("name", [None, 3, b"bytes", ("a",)])
def test_a_callable_whose_name_is_not_a_str_traces(name: object) -> None:
    class Square:
        def __call__(self, x: Value) -> Value:
            return x * x

    square = Square()
    square.__name__ = name  # type: ignore[attr-defined]
    prog = trace(square, 3.0)
    assert prog(4.0) == 16.0
    assert "Square" in prog.source.splitlines()[1]


@pytest.mark.parametrize("name", PAYLOADS)
def test_a_custom_ops_name_and_rule_name_cannot_inject(name: str) -> None:
    def rule(g: float, z: float, x: float) -> tuple[float]:
        return (g * z,)

    rule.__name__ = name
    my_exp = custom_op(name, math.exp, rule)
    prog = trace(lambda x: my_exp(x) + x, 0.5)
    _assert_only_in_comments(prog.source)
    out, (dx,), _ = prog.grad(0.5)
    assert out == math.exp(0.5) + 0.5
    assert dx == math.exp(0.5) + 1.0


def test_the_docstring_shows_a_backslash_name_as_it_is() -> None:
    def fn(x: Value) -> Value:
        return x + 1.0

    fn.__name__ = "C:\\users\\x"
    prog = trace(fn, 1.0)
    doc = prog._run.__doc__  # the docstring of the function the source defines
    assert doc.startswith("C:\\users\\x traced by autograd.trace")


@pytest.mark.parametrize("name", PAYLOADS)
def test_labels_in_a_lifted_layers_matrix_comment_cannot_inject(name: str) -> None:
    ws = [[Value(0.5, f"{name}.{i}.{j}") for j in range(2)] for i in range(3)]
    bs = [Value(0.1 * i, name) for i in range(3)]
    params = [v for row in ws for v in row] + bs

    def fn(a: Value, b: Value) -> Value:
        from autograd import dot, sum

        return sum([(dot(row, [a, b]) + bias).relu() for row, bias in zip(ws, bs)])

    prog = trace(fn, 1.0, 2.0, params=params)
    assert "@ W1.T" in prog.source  # lifted: the labels reach the gather's comment
    _assert_only_in_comments(prog.source)
    expected = sum(max(0.0, 0.5 * 1.0 + 0.5 * 2.0 + 0.1 * i) for i in range(3))
    assert prog(1.0, 2.0) == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize("name", PAYLOADS)
def test_the_printed_ir_keeps_every_text_on_its_own_line(name: str) -> None:
    w = Value(1.5, name)

    def fn(x: Value) -> Value:
        h = x * w
        h.op = name  # a name that is printed in the IR's comment and the source's
        return h.tanh()

    prog = trace(fn, 2.0, params=[w])
    lines = str(prog.ir).splitlines()
    assert len(lines) == 2 + len(prog.equations)  # `{ lambda`, one line each, `in (`
    assert all(line.startswith("  ") for line in lines[1:])
    _assert_only_in_comments(prog.source)


@pytest.mark.parametrize("lift", [True, False])
@pytest.mark.parametrize("length", [75, 300, 5000])
def test_a_long_label_used_twice_traces_and_runs(lift: bool, length: int) -> None:
    import autograd

    w = Value(0.7, "w" + "x" * length)
    prog = trace(lambda x: x * w + autograd.dot([w], [x]), 0.3, params=[w], lift=lift)
    _assert_only_in_comments(prog.source)
    out, (dx,), (dw,) = prog.grad(0.3)
    assert out == 0.3 * 0.7 + 0.7 * 0.3
    assert (dx, dw) == (1.4, 0.6)  # d(2wx)/dx = 2w, d/dw = 2x
