"""Graph -> IR: one equation per node of the traced graph, inputs before outputs.

Each node becomes `t<k> = op(parents)` with its op's record (node #k of the drawings and of
backward_steps); a leaf becomes an argument (an input or a parameter) or a constant. What
depends on no input and no parameter is a constant, frozen at trace time: a number written in
place, or, when it is labelled, used more than once or too long to read inline, a named
constant. Variables are named after labels where there are labels.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from autograd import ops
from autograd.compile import calls
from autograd.compile.ir import BATCH, CONST, INPUT, IR, PARAM, Equation, Var
from autograd.value import Value, brief

_BUILT_IN = frozenset(getattr(ops, name).record for name in ops.OPS)


def build(
    fn_name: str,
    out: Value,
    order: list[Value],
    leaves: list[Value],
    params: tuple[Value, ...],
) -> IR:
    """Return the IR of the forward pass of `out`'s graph (`order`: its topological order)."""
    ir = IR()
    ir.fn_name = fn_name
    inputs, parameters = set(leaves), set(params)
    constant = _constants(order, inputs, parameters)
    var: dict[Value, Any] = {}
    for leaf in leaves:
        var[leaf] = Var(leaf._label, (BATCH,), INPUT)
    for j, p in enumerate(params):
        var[p] = Var(p._label or f"p{j}", (), PARAM)
    ir.inputs = [var[leaf] for leaf in leaves]
    ir.params = [var[p] for p in params]
    ir.labels = [p._label for p in params]
    named = _named_constants(order, constant)
    same_number: dict[bytes, Var] = {}  # one name for one unlabelled number (logsumexp's m)
    records: dict[Any, ops.Op] = {}
    computed = 0
    for k, node in enumerate(order, 1):  # t<k> and k<k>: node #k of drawings and steps
        if node in var:
            continue
        if node in constant:
            if node in named:
                bits = np.float64(constant[node]).tobytes()
                if not node._label and bits in same_number:
                    var[node] = same_number[bits]
                    continue
                const = Var(node._label or f"k{k}", (), CONST, constant[node])
                ir.constants.append(const)
                var[node] = const
                if not node._label:
                    same_number[bits] = const
            continue
        computed += 1
        rule = node._backward
        bound: dict[str, Any] = {}
        if type(rule) is partial:
            bound = dict(rule.keywords)
            rule = rule.func
        record = records.get(rule)
        if record is None:
            found = ops.record_of(rule)
            if found is None:
                raise ValueError(f"trace does not know the op {node.op!r} (rule {brief(rule)})")
            record = records[rule] = found
        ins = [var[p] if p in var else constant[p] for p in node.parents]
        if record.custom and (record in ir.each or not _takes_arrays(node, record.function)):
            ir.each.add(record)  # its code cannot take arrays: it runs sample by sample
            record = calls.sample_by_sample(record)
        batched = False
        for a in ins:
            if type(a) is Var and a.shape:
                batched = True
                break
        out_var = var[node] = Var(node._label or f"t{k}", (BATCH,) if batched else ())
        keywords = dict(bound)
        if record.custom or _original(record) not in _BUILT_IN:
            none_to = _sends_none(node, record)
            if none_to:
                keywords["none_to"] = none_to
        ir.forward.append(Equation(record, ins, (out_var,), keywords, (k,), node.op))
    ir.output = var[out] if out in var else constant.get(out, out._data)
    ir.counts = (len(leaves), len(params), computed)
    return ir


def _original(record: ops.Op) -> ops.Op:
    found = ops.record_of(record.rule)
    return found if found is not None else record


def _sends_none(node: Value, record: ops.Op) -> frozenset[int]:
    """The positions of the inputs a custom op's rule sends None to (no gradient flows there),
    read once at the example, as the graph's shape is: a rule that sends None for some numbers
    and not for others is a data-dependent branch the Program does not follow."""
    try:
        sent = node.local_grads(1.0)
    except Exception:  # it is the user's code: the Program's own call raises what it raises
        return frozenset()
    if not isinstance(sent, (tuple, list)):
        return frozenset()
    return frozenset(k for k, c in enumerate(sent) if c is None)


def _named_constants(order: list[Value], constant: dict[Value, float]) -> set[Value]:
    """The constants worth a name of their own: labelled ones, ones used more than once, and
    numbers too long to read inline (a captured 0.18964920976086663)."""
    uses: dict[Value, int] = {}
    for node in order:
        if node.op and node not in constant:
            for parent in node.parents:
                if parent in constant:
                    uses[parent] = uses.get(parent, 0) + 1
    return {
        node
        for node, used in uses.items()
        if node._label or used > 1 or len(repr(float(constant[node]))) > 6
    }


def _constants(order: list[Value], inputs: set[Value], params: set[Value]) -> dict[Value, float]:
    """Nodes that depend on no input and no parameter, with their (frozen) numbers."""
    constant: dict[Value, float] = {}
    for node in order:
        if node in inputs or node in params:
            if node._hooks:
                raise _hook_error(node)
            continue
        if not node.op or all(p in constant for p in node.parents):
            if node._hooks:
                raise ValueError(f"trace cannot replay the hook on {node!r}; remove it first")
            constant[node] = node._data
        elif node._hooks:
            raise _hook_error(node)
    return constant


def _hook_error(node: Value) -> ValueError:
    return ValueError(
        f"trace cannot replay register_hook hooks, and {node!r} has one; remove it "
        "(handle.remove()) or run this graph eagerly"
    )


def _takes_arrays(node: Value, op: Callable[..., Any]) -> bool:
    """Whether a custom op's forward and rule compute a batch element by element correctly."""
    arrays = [np.array([p._data, p._data]) for p in node.parents]
    forward, rule = op.forward, op.rule  # type: ignore[attr-defined]
    try:
        with np.errstate(all="ignore"):
            z = forward(*arrays)
            sent = rule(np.ones(2), z, *arrays)
        if not (isinstance(z, np.ndarray) and z.shape == (2,) and _close(z[0], node._data)):
            return False
        scalar = node.local_grads(1.0)
        return len(sent) == len(scalar) and all(
            (c is None and s is None)
            or (
                s is not None
                and np.shape(c) in ((), (2,))
                and _close(float(np.broadcast_to(c, (2,))[1]), s, 1e-12)
            )
            for c, s in zip(sent, scalar)
        )
    except Exception:  # it is the user's code: whatever it raises on arrays, loop instead
        return False


def _close(a: float, b: float, rtol: float = 0.0) -> bool:
    if a != a or b != b:
        return a != a and b != b
    if abs(a) == float("inf") or abs(b) == float("inf"):
        return a == b
    return abs(a - b) <= rtol * max(abs(a), abs(b)) + 1e-300
