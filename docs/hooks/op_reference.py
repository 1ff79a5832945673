"""mkdocs hook: writes the op reference (ops.md) from the ops themselves when the site builds.

One entry per op: its formula, its rule's source (`inspect.getsource`), and a table of its
value and derivatives at the points the tests probe (0, -0.0, ±inf, nan and the kinks),
computed by the op's own kernel and rule at build time, so the page cannot drift from the code.

Everything this page knows about the ops comes through `_records()`, the one adapter to
`autograd.ops`, which reads each op's record (`ops.mul.record`); the rest of this file only lays
out what it returns.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from mkdocs.structure.files import File, Files

inf, nan = math.inf, math.nan


@dataclass(frozen=True)
class OpRecord:
    name: str  # the op function's name in autograd.ops (`mul`, `pow_const`)
    shown: str  # how a node of this op shows its op (`*`, `**2`)
    formula: str  # z = ... and each dz/dx, as the op's block writes it
    rule: Callable[..., Any]  # the named rule, whose source the page shows
    inputs: tuple[str, ...]  # the names of the inputs, in parent order
    at: Callable[..., tuple[float, tuple[float, ...]]]  # numbers -> (z, (dz/dx, ...))
    note: str = ""  # a constant bound to the op for this table (pow_const's c)


# ---- the adapter: the only code here that reads autograd.ops ----


def _records() -> list[OpRecord]:
    """Return one record per op in `autograd.ops.OPS`, from each op's `Op` record (`op.record`:
    its math, its derivatives, how it takes its inputs), its kernel and its rule."""
    from autograd import ops
    from autograd.value import Value

    def evaluate(forward: Callable[..., Any], rule: Callable[..., Any], call: str) -> Any:
        def at(*xs: float) -> tuple[float, tuple[float, ...]]:
            if call == "list":  # sum, shift: forward takes the inputs as one sequence
                z = forward(list(xs))
            elif call == "halves":  # dot: forward takes (ws, xs)
                z = forward(xs[: len(xs) // 2], xs[len(xs) // 2 :])
            elif call == "indexed":  # take: forward takes (xs, i), the index last
                z = forward(list(xs[:-1]), xs[-1])
            else:
                z = forward(*xs)
            # g = 1: dz/dx itself; None (shift) sends nothing, so grad() gives that input 0.0
            sent = rule(1.0, z, *xs)
            return float(z), tuple(0.0 if d is None else float(d) for d in sent)

        return at

    def no_table(*xs: float) -> tuple[float, tuple[float, ...]]:
        raise ValueError("an array op has no table of numbers")

    records = []
    for name in ops.OPS:
        op = getattr(ops, name)
        record = op.record
        rule, forward, note = op.rule, op.forward, ""
        if record.constant == "c":
            rule, forward, note = partial(op.rule, c=2.0), partial(forward, c=2.0), "c = 2"
        elif record.constant:
            rule, note = partial(op.rule, slope=0.01), "slope = 0.01"
            forward = partial(forward, slope=0.01)
        call = {ops.LIST: "list", ops.HALVES: "halves", ops.INDEXED: "indexed"}.get(
            record.takes, "args"
        )
        if record.takes == ops.HALVES:
            inputs: tuple[str, ...] = ("w", "x")
        elif record.takes == ops.INDEXED:
            inputs = ("x₀", "x₁", "i")
        elif record.arity < 0:
            inputs = ("x₁", "x₂")
        else:
            inputs = tuple(record.letters[1:]) or ("x",)
        names = ["x"] if record.arity < 0 else list(inputs)
        formula = f"{record.math}\n{record.derivative_text(names, 'z')}"
        if record.form == ops.MATMUL:  # made by lifting only: it takes arrays, not Values
            symbol, at = name, no_table
        elif record.arity < 0:
            symbol, at = name, evaluate(forward, rule, call)
        else:
            shown = op(*[Value(1.0)] * record.arity, *([2.0] if record.constant == "c" else []))
            symbol, at = shown.op, evaluate(forward, rule, call)
        records.append(OpRecord(name, symbol, formula, op.rule, inputs, at, note))
    for name in ops.ARRAY_OPS:  # a compiled program's array ops: their formula and rule
        op = getattr(ops, name)
        record = op.record
        names = list(record.letters[1:]) or ["a"]
        formula = f"{record.math}\n{record.derivative_text(names, 'z')}"
        note = "an array op: lifting makes it, a compiled program runs it"
        records.append(OpRecord(name, name, formula, op.rule, tuple(names), no_table, note))
    return records


# ---- the points: those the tests probe (tests/test_ops.py), with each op's own kinks ----

UNARY = [-inf, -1.0, -0.0, 0.0, 0.5, 1.0, inf, nan]
KINKS = {"softplus": [20.0, 20.000001], "sqrt": [-1.0], "log": [-1.0]}
BINARY = [
    (2.0, 3.0),
    (0.0, 0.0),
    (-0.0, 0.0),
    (0.0, -0.0),
    (0.0, 2.0),
    (0.0, -1.0),
    (-2.0, 0.5),
    (inf, 2.0),
    (2.0, inf),
    (inf, -inf),
    (nan, 1.0),
    (1.0, nan),
]
NARY = [(0.5, -1.5), (0.0, -0.0), (-0.0, -0.0), (inf, 1.0), (1.0, nan), (-inf, -inf)]


INDEXED = [(0.5, -1.5, 0.0), (0.5, -1.5, 1.0), (-0.0, inf, 1.0), (nan, 2.0, 0.0)]


def _points(record: OpRecord) -> list[tuple[float, ...]]:
    if record.at.__name__ == "no_table":  # an array op (lifting makes it): no table of numbers
        return []
    if record.name == "take":  # the options, then the index that picks one
        return INDEXED
    if len(record.inputs) == 1:
        extra = [x for x in KINKS.get(record.name, []) if x not in UNARY]
        return [(x,) for x in sorted(UNARY[:-1] + extra) + [nan]]
    return NARY if record.name in ("sum", "dot", "shift") else BINARY


def _number(x: float) -> str:
    if x == 0:
        return "-0.0" if math.copysign(1.0, x) < 0 else "0.0"
    if math.isnan(x) or math.isinf(x):
        return str(x)
    return f"{x:.6g}"


def _table(record: OpRecord) -> Iterator[str]:
    if not _points(record):
        yield "An array op: a lifted program (`autograd.trace`) makes it from a group of nodes."
        return
    names = record.inputs
    head = [*names, "z", *[f"∂z/∂{n}" for n in names]]
    yield "| " + " | ".join(head) + " |"
    yield "| " + " | ".join("---:" for _ in head) + " |"
    for xs in _points(record):
        z, derivatives = record.at(*xs)
        yield "| " + " | ".join(_number(v) for v in (*xs, z, *derivatives)) + " |"


def _entry(record: OpRecord) -> str:
    source = inspect.getsource(record.rule).rstrip()
    constant = f" (here {record.note})" if record.note else ""
    return "\n".join(
        [
            f"## `{record.name}`",
            "",
            f"A node of this op shows `{record.shown}`. Its formula{constant}:",
            "",
            "```text",
            record.formula,
            "```",
            "",
            "Its rule, as `autograd/ops.py` writes it (it returns one contribution per input):",
            "",
            "```python",
            source,
            "```",
            "",
            "Value and derivatives at the edges, computed by the op's kernel and rule when "
            "this page was built:",
            "",
            *_table(record),
            "",
        ]
    )


def page() -> str:
    """Return the op reference as markdown."""
    records = _records()
    index = ", ".join(f"[`{r.name}`](#{r.name})" for r in records)
    intro = f"""# Op reference

Every op of `autograd.ops`, made from the ops themselves when this site was built: the formula
from each op's block, its rule's source, and the op's value and derivatives at the points the
tests probe (0, -0.0, ±inf, nan and the kinks), computed by the op's own kernel and rule (with
upstream gradient g = 1, so each column is ∂z/∂input itself). Numbers follow IEEE 754 as
PyTorch's float64 does; [the numbers](numbers.md) says where the two differ.

A rule `name_backward(g, z, *xs)` takes the upstream gradient `g`, the op's output `z` and its
inputs, and returns one contribution per input, in parent order. The same rule runs on floats
in `backward()`, on `Value`s under `grad(create_graph=True)` and on NumPy arrays in a traced
`Program`. [Your own ops](custom-ops.md) are made the same way.

{len(records)} ops: {index}.
"""
    return intro + "\n" + "\n".join(_entry(r) for r in records)


def on_files(files: Files, config: Any) -> Files:
    files.append(File.generated(config, "ops.md", content=page()))
    return files
