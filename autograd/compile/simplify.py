"""Pass: simplify. What a rule or a group writes that a person would not: gone, exactly.

Each rewrite gives the same numbers, bit for bit, including -0.0, inf and nan:
- `x / 1.0` and `x * 1.0` are x (IEEE 754: exact for every x);
- `rows(a)` of a matrix and a reshape to the shape it has are a;
- `base + put(c, at)` (a gradient gathered from several places, added up) is `add_at(base,
  c, at)`, printed as `g_p[W1_at] += g_W1`: one scatter-add per matrix, no array of zeros;
- `put(c, at=0, size=1)` (a column back into a one-column array) is `c[:, None]`;
- a sum of one term is `0.0 + x`, which is what the sum computes, and so is a put that fills
  every place of its target in order (the zeros it adds to are the gradient's start, as eager);
- `spread(a) * b` (one gradient sent to each term of a sum, then multiplied) is `a[..., None] *
  b`: broadcasting makes the copies, the same numbers;
- `m + m` (a node read twice by one op: `x * x`) is `m * 2.0`, exactly; in a lifted program,
  where additions may be reordered, `(base + m) + m` is `base + m * 2.0` too.
"""

from __future__ import annotations

from typing import Any

from autograd import ops
from autograd.compile.ir import IR, Equation, Var

DIV, MUL, ADD, SUM = ops.div.record, ops.mul.record, ops.add.record, ops.sum.record
ROWS, RESHAPE, PUT, ADD_AT, EXPAND, SPREAD = (
    ops.rows.record,
    ops.reshape.record,
    ops.put.record,
    ops.add_at.record,
    ops.expand.record,
    ops.spread.record,
)
SUM_LAST = ops.sum_last.record


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
    spreads: set[Var] = set()  # the results of spread, which a product may read instead
    widened: dict[Var, Var] = {}  # a[..., None], made once for every product that reads it
    replaced: dict[Var, Any] = {}
    dropped: set[int] = set()

    def now(a: Any) -> Any:
        while isinstance(a, Var) and a in replaced:
            a = replaced[a]
        return a

    kept_forward: list[Equation] = []
    kept_backward: list[Equation] = []
    n_forward = len(new.forward)
    for position, eq in enumerate(equations):
        kept = kept_forward if position < n_forward else kept_backward
        if replaced and any([a in replaced for a in eq.ins if type(a) is Var]):
            eq = eq.copy(ins=[now(a) for a in eq.ins])
        op = eq.op
        if op in REWRITTEN and (
            (op is not MUL and op is not ADD and op is not DIV)
            or (op is not ADD and (_one_literal(eq.ins[0]) or _one_literal(eq.ins[1])))
            or (op is MUL and spreads and (eq.ins[0] in spreads or eq.ins[1] in spreads))
            or (op is ADD and made_by and (eq.ins[0] in made_by or eq.ins[1] in made_by))
        ):
            result = _rewrite(eq, made_by, readers, dropped, kept, new.flat, widened)
            if isinstance(result, Equation):
                eq = result
            elif result is not None:
                replaced[eq.outs[0]] = result[0]
                continue
        if (
            eq.op in MADE
            and len(eq.outs) == 1
            and (eq.op is PUT or eq.op is SPREAD or readers.get(eq.out) == 1)
        ):
            made_by[eq.outs[0]] = eq  # (a product or a sum matters only where read once)
            if eq.op is SPREAD:
                spreads.add(eq.outs[0])
        kept.append(eq)
    new.forward = [eq for eq in kept_forward if id(eq) not in dropped]
    new.backward = [eq for eq in kept_backward if id(eq) not in dropped]
    new.output = now(new.output)
    new.input_grads = [now(a) for a in new.input_grads]
    new.param_grads = [now(a) for a in new.param_grads]
    return new


REWRITTEN = frozenset({DIV, MUL, ROWS, RESHAPE, SUM, PUT, ADD})  # the ops a rewrite looks at
TWICE = "twice"  # the note of a doubled contribution: the printer's comment says so
MADE = frozenset({PUT, SPREAD, MUL, ADD})  # the ops whose equations a rewrite looks back at


def _one_literal(x: Any) -> bool:
    return type(x) is float and x == 1.0


def _one(x: Any) -> bool:
    return not isinstance(x, Var) and float(x) == 1.0


def _rewrite(
    eq: Equation,
    made_by: dict[Var, Equation],
    readers: dict[Var, int],
    dropped: set[int],
    kept: list[Equation],
    reorder: bool,
    widened: dict[Var, Var],
) -> Equation | tuple[Any] | None:
    """A replacement equation, (an operand that stands for the result,), or None (keep).
    `kept` is the equations kept so far (a rewrite may add one before `eq`); `reorder`
    whether additions may be reordered (a lifted program)."""
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
    if op is PUT and at is not None and at.kind == "slice" and at.start == 0:
        if at.stop == at.size and isinstance(ins[0], Var) and eq.out.shape == ins[0].shape:
            return eq.copy(op=ADD, ins=[0.0, ins[0]], keywords={})
    if op is PUT and at is not None and at.kind == "repeat" and at.start == 0:
        g = ins[0]
        if at.stop == at.size and isinstance(g, Var) and g.shape[:-1] == eq.out.shape[:-1]:
            # each run of `times` places summed into one: a reshape and a sum over the run
            shape = g.shape[:-1] + (at.size, at.times)
            runs, summed = Var(g.hint, shape), Var(g.hint, g.shape[:-1] + (at.size,))
            kept.append(eq.copy(op=RESHAPE, ins=[g], outs=[runs], keywords={"shape": shape}))
            kept.append(eq.copy(op=SUM_LAST, ins=[runs], outs=[summed], keywords={}))
            return eq.copy(op=ADD, ins=[0.0, summed], keywords={})
    if op is MUL:
        return _spread_times(eq, made_by, readers, dropped, kept, widened)
    if op is ADD and ins[0] is not ins[1] and _same_product(ins[0], ins[1], made_by, readers):
        dropped.add(id(made_by[ins[0]]))  # m + m: the first copy goes, the second is doubled
        return eq.copy(op=MUL, ins=[ins[1], 2.0], note=TWICE)
    if op is ADD and reorder and isinstance(ins[0], Var) and readers.get(ins[0]) == 1:
        earlier = made_by.get(ins[0])
        if (
            earlier is not None
            and earlier.op is ADD
            and _same_product(earlier.ins[1], ins[1], made_by, readers)
            and isinstance(earlier.ins[0], Var)
            and earlier.ins[0].shape == eq.out.shape
        ):
            dropped.update({id(earlier), id(made_by[earlier.ins[1]])})
            twice = Var(ins[1].hint, ins[1].shape)
            kept.append(eq.copy(op=MUL, ins=[ins[1], 2.0], outs=[twice]))
            return eq.copy(ins=[earlier.ins[0], twice], note=TWICE)
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


def _same_product(a: Any, b: Any, made_by: dict[Var, Equation], readers: dict[Var, int]) -> bool:
    """Whether a and b are two products of the same operands, a read only where b is added."""
    first, second = made_by.get(a), made_by.get(b)
    return (
        first is not None
        and second is not None
        and first.op is MUL
        and second.op is MUL
        and readers.get(a) == 1
        and readers.get(b) == 1
        and first.ins == second.ins
        and first.out.shape == second.out.shape
    )


def _spread_times(
    eq: Equation,
    made_by: dict[Var, Equation],
    readers: dict[Var, int],
    dropped: set[int],
    kept: list[Equation],
    widened: dict[Var, Var],
) -> Equation | None:
    """`spread(a) * b` as `a[..., None] * b` (or `a * b` for one number), when broadcasting
    gives the product's shape. The spread goes when nothing else reads it."""
    for k in (0, 1):
        spread, other = eq.ins[k], eq.ins[1 - k]
        made = made_by.get(spread) if isinstance(spread, Var) else None
        if made is None or made.op is not SPREAD or not isinstance(other, Var):
            continue
        a = made.ins[0]
        if not isinstance(a, Var):
            continue
        wide = a.shape if not a.shape else a.shape + (1,)
        try:
            if ops.broadcast_shapes(wide, other.shape) != eq.out.shape:
                continue
        except ValueError:
            continue
        readers[a] = readers.get(a, 0) + 1
        readers[spread] -= 1
        if readers[spread] == 0:  # nothing else reads the copies
            dropped.add(id(made))
            readers[a] -= 1
        if a.shape and a in widened:
            a = widened[a]
        elif a.shape:
            wide_var = widened[a] = Var(a.hint, wide)
            kept.append(Equation(EXPAND, [a], [wide_var], nodes=made.nodes, origin=made.origin))
            a = wide_var
        ins = [a, other] if k == 0 else [other, a]
        return eq.copy(ins=ins)
    return None
