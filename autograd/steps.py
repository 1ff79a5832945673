"""Step text: how a node's formula and a step of the backward pass read, for people.

`formula(node, name)` prints a node as the user wrote it (` = x * y`, ` = tanh(x)`, `w1*x1 + ...`)
from its op's record in `ops.py`; `Step` is one node of `backward_steps`, and `str(step)` reads as
the chain rule. The page (`autograd.viz`) and `trace` share these; this module needs nothing of
the backward pass itself, so the engine's modules import it without a cycle.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from autograd import ops
from autograd.value import Value


class Step:
    """One node of a backward pass: the gradient that arrived, and what it sent to each parent.

    Fields: `index` (1-based), `total`, `node`, `grad` (d root/d node for this pass),
    `sent` (a tuple of (parent, contribution) pairs, in parent order), and `name`, a function
    that names a node (its label, or `#k` by its place in the topological order).
    `str(step)` reads as the chain rule:  step 3/9  z = x * y = 6.0   grad 2.0   -> x += -6.0, ...
    """

    __slots__ = ("index", "total", "node", "grad", "sent", "name")

    def __init__(
        self,
        index: int,
        total: int,
        node: Value,
        grad: Any,
        sent: tuple[tuple[Value, Any], ...],
        name: Callable[[Value], str],
    ) -> None:
        self.index, self.total, self.node, self.grad, self.sent = index, total, node, grad, sent
        self.name = name

    def expression(self) -> str:
        """Return `name = formula = data`, e.g. `z = x * y = 6.0`, or `x (leaf) = 2.0`."""
        return f"{self.name(self.node)}{formula(self.node, self.name)} = {_num(self.node.data)}"

    def __str__(self) -> str:
        flows = ", ".join(f"{self.name(p)} += {_num(c)}" for p, c in self.sent if c is not None)
        if flows:
            arrow = f"   -> {flows}"
        else:  # None: a rule that sends no gradient (torch's convention)
            arrow = "   (sends no gradient)" if self.sent else "   (leaf: gradient complete)"
        return (
            f"step {self.index}/{self.total}  {self.expression()}   grad {_num(self.grad)}{arrow}"
        )

    def __repr__(self) -> str:
        return f"<Step {self}>"


def formula(node: Value, name: Callable[[Value], str]) -> str:
    """Return ` = x * y` (what the user wrote, as the op's record prints it) for a node, or
    ` (leaf)` for a leaf. A node whose op has no record (or whose `op` was renamed to another
    shape) prints as a call: ` = op(x, y)`."""
    if not node.op:
        return " (leaf)"
    args = [name(p) for p in node.parents]
    record = ops.record_of(node._backward)
    if record is None or not _shows_as(record, node.op):
        return f" = {node.op}({', '.join(args)})"
    return f" = {record.show(args, node.op)}"


def _shows_as(record: ops.Op, op: str) -> bool:
    """Whether a node's op name is its record's (a user may have written another)."""
    if record.constant:
        return op == record.name or op.startswith(record.name)
    return op == record.name


def _num(x: Any) -> str:
    return f"{float(x):.6g}"
