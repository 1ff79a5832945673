"""The public surface: every exported name has a docstring; DESIGN.md's names all import."""

from __future__ import annotations

import inspect

import pytest

import autograd
import nn
from autograd import ops

DESIGN_ENGINE_NAMES = [
    "Value",
    "no_grad",
    "zero_grad",
    "topological_order",
    "grad",
    "gradcheck",
    "GradcheckError",
    "detect_anomaly",
    "backward_steps",
    "to_dot",
    "draw",
]
DESIGN_NN_NAMES = [
    "Module",
    "Neuron",
    "Layer",
    "MLP",
    "mse_loss",
    "hinge_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "softmax",
    "SGD",
    "Adam",
    "RMSprop",
]


def _own_documentation(obj: object) -> str:
    """What documents `obj` in its source: its docstring as written there, or, for an op that
    `ops.define` made, the docstring its record's math makes, when that math is written in
    ops.py. "" for a docstring made up at run time, such as define's fallback "Return the op
    ..." for an op defined with no math."""
    doc = inspect.getdoc(obj) or ""
    record = getattr(obj, "record", None)
    if record is not None and hasattr(obj, "forward"):  # an op: the math its record was given
        source = inspect.getsource(ops) if record.function.__module__ == ops.__name__ else ""
        math = record.math or ""
        return doc if math and repr(math)[1:-1] in source.replace('"', "'") else ""
    if not doc.strip() or doc is inspect.getdoc(type(obj)) and not inspect.isclass(obj):
        return ""
    try:
        source = inspect.getsource(obj)  # type: ignore[arg-type]
    except (OSError, TypeError):
        return ""
    first = doc.strip().splitlines()[0].strip()
    return doc if first in source.replace("\\\\", "\\") else ""  # "\\\\N" in source is "\\N"


@pytest.mark.parametrize(
    "module,name",
    [(autograd, n) for n in autograd.__all__]
    + [(nn, n) for n in nn.__all__]
    + [(ops, n) for n in ops.OPS],
)
def test_every_public_name_has_a_docstring_or_formula_of_its_own(module, name: str) -> None:  # type: ignore[no-untyped-def]
    obj = getattr(module, name)
    if name == "__version__":
        assert isinstance(obj, str)
        return
    doc = _own_documentation(obj)
    assert doc.strip(), f"{module.__name__}.{name} has no docstring (or formula comment) of its own"
    if module is ops:
        assert "=" in obj.record.math, f"ops.{name}: its record's math holds no formula"


def test_a_made_up_docstring_does_not_count_as_documentation() -> None:
    def bare_backward(g, z, x):  # type: ignore[no-untyped-def]
        return (g,)

    bare = ops.define("bare", lambda x: x, bare_backward)
    assert bare.__doc__  # define gives it a fallback docstring for help() ...
    assert _own_documentation(bare) == ""  # ... which the meta-test does not count

    def undocumented() -> None:
        pass

    undocumented.__doc__ = "Made up at run time."
    assert _own_documentation(undocumented) == ""
    assert _own_documentation(autograd.grad).startswith("Return [")
    assert _own_documentation(ops.tanh).startswith("Return z = tanh x")


def test_design_names_import_from_the_packages() -> None:
    for name in DESIGN_ENGINE_NAMES:
        assert hasattr(autograd, name), name
    for name in DESIGN_NN_NAMES:
        assert hasattr(nn, name), name
    assert callable(autograd.Value.detach) and callable(autograd.Value.register_hook)


def test_public_value_methods_have_docstrings() -> None:
    for name in [
        "abs",
        "exp",
        "log",
        "tanh",
        "sigmoid",
        "relu",
        "leaky_relu",
        "sin",
        "cos",
        "sqrt",
        "softplus",
        "backward",
        "detach",
        "register_hook",
        "local_grads",
    ]:
        assert getattr(autograd.Value, name).__doc__, name


def test_the_readme_tour_prints_what_its_comments_say(capsys) -> None:  # type: ignore[no-untyped-def]
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    tour = readme.split("## A 30-second tour")[1].split("```python")[1].split("```")[0]
    exec(compile(tour, "README.md", "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    by_hand = 0.5 * (1 - __import__("math").tanh(-0.7) ** 2)  # x · (1 - z²)
    assert printed[0] == "0.3173697949912292" == repr(by_hand)
    assert printed[1] == "True"
    assert printed[2] == "step 1/6  #6 = tanh(#5) = -0.604368   grad 1   -> #5 += 0.63474"


def _docs_block(page: str, heading: str) -> str:
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "docs" / page).read_text()
    return text.split(heading)[1].split("```python")[1].split("```")[0]


def test_the_docs_own_op_example_prints_what_it_says(capsys) -> None:  # type: ignore[no-untyped-def]
    block = _docs_block("custom-ops.md", "## Writing your own op")
    exec(compile(block, "custom-ops.md", "exec"), {})
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "5.43656365691809" and float(lines[0]) == 2 * __import__("math").e
    assert lines[1] == "True"
    ours, closed_form = lines[2].split()
    assert ours == closed_form


def test_the_docs_several_outputs_example_is_torchs_vector_jacobian_product(capsys) -> None:  # type: ignore[no-untyped-def]
    import math

    block = _docs_block("custom-ops.md", "## Several outputs")
    exec(compile(block, "custom-ops.md", "exec"), {})
    printed = eval(capsys.readouterr().out)
    x, y = 0.3, -1.2
    s = 1 - math.tanh(x * y) ** 2  # by hand: d tanh(xy) = s·(y dx + x dy)
    e = math.exp(x - y)
    expected = [s * y - 0.5 + 2 * e, s * x - 0.5 - 2 * e]
    assert all(math.isclose(a, b, rel_tol=1e-14) for a, b in zip(printed, expected))


def test_no_file_in_the_repository_holds_a_merge_conflict_marker() -> None:
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    files = subprocess.run(
        ["git", "ls-files"], cwd=root, capture_output=True, text=True, check=True
    ).stdout.split()
    markers = ("<" * 7 + " ", "=" * 7 + "\n", ">" * 7 + " ")
    for name in files:
        path = root / name
        if path.suffix in {".py", ".md", ".toml", ".js", ".css", ".html", ".cfg", ".txt"}:
            text = path.read_text(encoding="utf-8", errors="replace")
            for line in text.splitlines(keepends=True):
                assert not line.startswith(markers), f"{name}: {line!r}"
