"""Pass: simplify. What a rule or a group writes that a person would not: gone, exactly.

Each rewrite gives the same numbers, bit for bit, including -0.0, inf and nan:
- `x / 1.0` and `x * 1.0` are x (IEEE 754: exact for every x);
- `rows(a)` of a matrix and a reshape to the shape it has are a;
- `base + put(c, at)` (a gradient gathered from several places, added up) is `add_at(base,
  c, at)`, printed as `g_p[W1_at] += g_W1`: one scatter-add per matrix, no array of zeros;
- `put(c, at=0, size=1)` (a column back into a one-column array) is `c[:, None]`;
- a sum of one term is `0.0 + x`, which is what the sum computes.
"""

from __future__ import annotations

from typing import Any

from autograd import ops
from autograd.compile.ir import IR, Equation, Var

DIV, MUL, ADD, SUM = ops.div.record, ops.mul.record, ops.add.record, ops.sum.record
ROWS, RESHAPE, PUT, ADD_AT, EXPAND = (
    ops.rows.record,
    ops.reshape.record,
    ops.put.record,
    ops.add_at.record,
    ops.expand.record,
)


def simplify(ir: IR) -> IR:
    """Return `ir` with the rewrites of the module's docstring applied."""
    new = ir.copy()
    equations = new.forward + new.backward
    readers: dict[Var, int] = {}
    for eq in equations:
        for a in eq.ins:
            if isinstance(a, Var):
                readers[a] = readers.get(a, 0) + 1
    made_by: dict[Var, Equation] = {}
    replaced: dict[Var, Any] = {}
    dropped: set[int] = set()

    def now(a: Any) -> Any:
        while isinstance(a, Var) and a in replaced:
            a = replaced[a]
        return a

    forward_ids = {id(eq) for eq in new.forward}
    kept_forward: list[Equation] = []
    kept_backward: list[Equation] = []
    for eq in equations:
        forward = id(eq) in forward_ids
        if replaced and any([a in replaced for a in eq.ins if type(a) is Var]):
            eq = eq.copy(ins=[now(a) for a in eq.ins])
        op = eq.op
        if op in REWRITTEN and (
            (op is not MUL and op is not ADD and op is not DIV)
            or (op is ADD and made_by and (eq.ins[0] in made_by or eq.ins[1] in made_by))
            or (op is not ADD and 1.0 in [a for a in eq.ins if type(a) is float])
        ):
            result = _rewrite(eq, made_by, readers, dropped)
            if isinstance(result, Equation):
                eq = result
            elif result is not None:
                replaced[eq.outs[0]] = result[0]
                continue
        if eq.op is PUT:
            made_by[eq.outs[0]] = eq
        (kept_forward if forward else kept_backward).append(eq)
    new.forward = [eq for eq in kept_forward if id(eq) not in dropped]
    new.backward = [eq for eq in kept_backward if id(eq) not in dropped]
    new.output = now(new.output)
    new.input_grads = [now(a) for a in new.input_grads]
    new.param_grads = [now(a) for a in new.param_grads]
    return new


REWRITTEN = frozenset({DIV, MUL, ROWS, RESHAPE, SUM, PUT, ADD})  # the ops a rewrite looks at


def _one(x: Any) -> bool:
    return not isinstance(x, Var) and float(x) == 1.0


def _rewrite(
    eq: Equation, made_by: dict[Var, Equation], readers: dict[Var, int], dropped: set[int]
) -> Equation | tuple[Any] | None:
    """A replacement equation, (an operand that stands for the result,), or None (keep)."""
    op, ins = eq.op, eq.ins
    if op is DIV and _one(ins[1]):
        return (ins[0],)
    if op is MUL and _one(ins[1]) and isinstance(ins[0], Var) and ins[0].shape == eq.out.shape:
        return (ins[0],)
    if op is MUL and _one(ins[0]) and isinstance(ins[1], Var) and ins[1].shape == eq.out.shape:
        return (ins[1],)
    if op is ROWS and isinstance(ins[0], Var) and len(ins[0].shape) <= 2:
        return (ins[0],)
    if op is RESHAPE and isinstance(ins[0], Var) and ins[0].shape == eq.out.shape:
        return (ins[0],)
    if op is SUM and len(ins) == 1:
        return eq.copy(op=ADD, ins=[0.0, ins[0]])
    at = eq.keywords.get("at")
    if op is PUT and at is not None and at.kind == "one" and at.start == 0 and at.size == 1:
        if isinstance(ins[0], Var) and eq.out.shape == ins[0].shape + (1,):
            return eq.copy(op=EXPAND, keywords={})
    if op is ADD:
        for base, part in ((ins[0], ins[1]), (ins[1], ins[0])):
            put = made_by.get(part) if isinstance(part, Var) else None
            if (
                put is not None
                and put.op is PUT
                and readers.get(part) == 1
                and isinstance(base, Var)
                and base.shape == eq.out.shape
            ):
                dropped.add(id(put))
                keywords = {"at": put.keywords["at"]}
                return eq.copy(op=ADD_AT, ins=[base, put.ins[0]], keywords=keywords)
    return None
