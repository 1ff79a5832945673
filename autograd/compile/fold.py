"""Pass: reductions. A chain or tree of additions becomes one sum; a sum of products, a dot.

Python's `sum(w * x for ...)` builds `0 + w₀x₀`, then `+ w₁x₁`, ...: a chain of k additions,
each read once by the next. Folded, it is one `sum` of its k terms, added left to right as the
chain added them (so a chain gives the same numbers; a tree of additions, such as
`(a + b) + (c + d)`, is added in another order). A sum whose leading terms are products read
by nothing else is a `dot` of their factors, which computes the very same additions: that is
what lifting turns into a matrix product. So a layer written the way micrograd writes it
(`sum((wi * xi for wi, xi in zip(self.w, x)), self.b)`) lifts as `autograd.dot` does.
"""

from __future__ import annotations

from typing import Any

from autograd import ops
from autograd.compile.ir import IR, TEMP, Equation, Var

ADD, SUM, MUL, DOT = ops.add.record, ops.sum.record, ops.mul.record, ops.dot.record


def fold_sums(ir: IR) -> IR:
    """Return `ir` with its chains of additions folded into sums, and those into dots."""
    new = ir.copy()
    readers: dict[Var, int] = {}
    for eq in new.forward:
        for a in eq.ins:
            if isinstance(a, Var):
                readers[a] = readers.get(a, 0) + 1
    if isinstance(new.output, Var):
        readers[new.output] = readers.get(new.output, 0) + 2
    terms: dict[Var, list[Any]] = {}  # a foldable sum's result -> its terms, in order
    covered: dict[Var, tuple[int, ...]] = {}  # -> the graph's nodes it folds
    made: dict[Var, Equation] = {}
    absorbed: set[int] = set()  # ids of the equations folded into a later one

    def foldable(a: Any) -> bool:
        return isinstance(a, Var) and a in terms and readers.get(a) == 1 and a.role == TEMP

    out: list[Equation] = []
    for eq in new.forward:
        if eq.op is ADD or eq.op is SUM:
            parts: list[Any] = []
            nodes = list(eq.nodes)
            changed = eq.op is not SUM
            for a in eq.ins:
                if foldable(a):
                    parts += terms[a]
                    nodes += covered[a]
                    absorbed.add(id(made[a]))
                    changed = True
                else:
                    parts.append(a)
            terms[eq.outs[0]] = parts
            covered[eq.outs[0]] = tuple(sorted(nodes))
            if changed:
                made[eq.outs[0]] = eq.copy(op=SUM, ins=parts, nodes=covered[eq.outs[0]])
            else:
                made[eq.outs[0]] = eq
            out.append(made[eq.outs[0]])
            continue
        out.append(eq)
    forward = [eq for eq in out if id(eq) not in absorbed]
    # a sum over at least three terms stays a sum; two are an addition as the user wrote it
    forward = [
        eq.copy(op=ADD) if eq.op is SUM and len(eq.ins) == 2 and eq.shown == "+" else eq
        for eq in forward
    ]
    new.forward = _dots(forward, readers)
    return new


def _dots(forward: list[Equation], readers: dict[Var, int]) -> list[Equation]:
    """Sums whose leading terms are products read only there become dots of their factors."""
    product: dict[Var, Equation] = {
        eq.outs[0]: eq
        for eq in forward
        if eq.op is MUL and readers.get(eq.outs[0]) == 1 and eq.outs[0].role == TEMP
    }
    used: set[int] = set()
    out: list[Equation] = []
    for eq in forward:
        if eq.op is not SUM:
            out.append(eq)
            continue
        ins = list(eq.ins)
        start = 1 if ins and not isinstance(ins[0], Var) and ins[0] == 0.0 else 0
        run = start
        while run < len(ins) and isinstance(ins[run], Var) and ins[run] in product:
            run += 1
        if run - start < 2:
            out.append(eq)
            continue
        ws, xs = [], []
        for a in ins[start:run]:
            w, x = product[a].ins
            if _per_sample(w) and not _per_sample(x):  # the fixed factor on the weights' side
                w, x = x, w  # (x·w is w·x exactly)
            ws.append(w)
            xs.append(x)
            used.add(id(product[a]))
        nodes = tuple(sorted({*eq.nodes, *[k for a in ins[start:run] for k in product[a].nodes]}))
        if run == len(ins):  # 0 + w₀x₀ + ... is dot's 0.0 + w₀x₀ + ...: the same additions
            out.append(eq.copy(op=DOT, ins=[*ws, *xs], nodes=nodes, shown="dot"))
            continue
        first = Var("t", eq.outs[0].shape)
        out.append(Equation(DOT, [*ws, *xs], (first,), nodes=nodes, shown="dot"))
        out.append(eq.copy(ins=[first, *ins[run:]]))
    return [eq for eq in out if id(eq) not in used]


def _per_sample(a: Any) -> bool:
    return isinstance(a, Var) and a.batched
