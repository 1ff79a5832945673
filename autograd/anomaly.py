"""Anomaly mode: `detect_anomaly()`, and the hooks the ops and the backward pass call under it.

While it is on, every op checks that it made a finite number and every backward rule that it
sent finite contributions; the first nan or inf raises FloatingPointError naming the op, its
inputs, and the file:line of the user's code that created the node. Creation sites are recorded
only while it is on, so normal mode pays nothing for them.

It sits low in the package (it imports only the modes), so `value._record` and the backward pass
can call its hooks without an import cycle.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from autograd._modes import ANOMALY, ModeSwitch

if TYPE_CHECKING:
    from autograd.value import Value


_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_PACKAGE_DIRS = tuple(os.path.join(_ROOT, package) + os.sep for package in ("autograd", "nn"))


class detect_anomaly(ModeSwitch):
    """Context manager: the first nan or inf made in a forward op or a backward rule raises.

    The FloatingPointError names the op, its input values, and the file:line of the user code
    that created the node. Like `no_grad`, it holds for the thread (and asyncio task) that
    entered it. The creation site is kept on the node itself, so a graph made in anomaly mode
    is freed like any other when it is dropped.

    It watches `Value`s: ops, `backward`, `grad` and `backward_steps`. A traced `Program` makes
    no Value when it runs, so inside detect_anomaly() its replay (`prog(...)`, `prog.grad`,
    `prog.backward`) does not raise: a nan or an inf comes back as a number. Tracing itself runs
    `fn` on Values and is watched. To find the op that made a nan in a Program's result, call
    `fn` eagerly on that sample's inputs inside detect_anomaly().

    >>> with detect_anomaly():
    ...     y = Value(0.0).log()    # FloatingPointError: log made -inf from (0.0) at you.py:2
    """

    set_bits = ANOMALY


def _user_site() -> str:
    """Return "file:line" of the innermost frame outside the autograd and nn packages."""
    frame = sys._getframe(2)
    while frame is not None:
        path = os.path.abspath(frame.f_code.co_filename)
        if not path.startswith(_PACKAGE_DIRS):
            return f"{frame.f_code.co_filename}:{frame.f_lineno}"
        frame = frame.f_back  # type: ignore[assignment]
    return "<unknown>"


def _finite(x: Any) -> bool:
    return math.isfinite(float(x))


def _inputs(parents: Sequence[Value]) -> str:
    return ", ".join(repr(p._data) for p in parents)


def rule_name(rule: Any) -> str:
    """The qualified name of a node's rule (`mul_backward`), through a bound constant."""
    return getattr(getattr(rule, "func", rule), "__qualname__", "?")


def watch_forward(out: Value, op: str, parents: tuple[Value, ...]) -> None:
    """Called by every op while anomaly mode is on: note where `out` was made, check it."""
    site = _user_site()
    if out.parents:
        out._site = site
    if not math.isfinite(out._data):
        raise FloatingPointError(
            f"detect_anomaly: forward op {op!r} made {out._data!r} from inputs "
            f"({_inputs(parents)}) at {site}"
        )


def watch_backward(node: Value, g: Any, sent: tuple[Any, ...]) -> None:
    """Called by the backward pass while anomaly mode is on: check each contribution."""
    for k, c in enumerate(sent):
        if c is not None and not _finite(c):  # None: no gradient flows to that input
            raise FloatingPointError(
                f"detect_anomaly: backward of op {node.op!r} ({rule_name(node._backward)}) sent "
                f"{float(c)!r} to input {k} of ({_inputs(node.parents)}), upstream gradient "
                f"{float(g)!r}; the node was created at "
                f"{node._site or '<not recorded: made outside detect_anomaly>'}"
            )
