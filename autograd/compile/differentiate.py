"""Pass: append the backward half, the chain rule of the program, outputs first.

For each equation the output depends on, in reverse, the op's own rule from `autograd.ops` runs
on symbolic arrays (autograd.compile.symbolic): `mul_backward(g_t4, t4, x, w)` appends
`g_x = g_t4 * w` and `g_w = g_t4 * x`. A second contribution to the same variable is added. In a
lifted program a contribution to something an op broadcast (a bias read by every sample, a
number read by every member of a group) is summed back to its shape (`c.sum(0)`), so the
parameters' gradients come out summed over the samples.

A None from a rule sends nothing, as in the eager pass, and a variable that no contribution
reaches gets no gradient (0.0 where one is returned), never 0 times a derivative that might be
infinite. A rule that cannot run on symbolic arrays (a custom rule using `math.*`) is called as
it is, one equation for all its contributions.
"""

from __future__ import annotations

from typing import Any

from autograd import ops
from autograd.compile import calls
from autograd.compile.ir import CONST, IR, SEED, Equation, Var
from autograd.compile.symbolic import Emitter, NotSymbolic, Sym


def differentiate(ir: IR) -> IR:
    """Return `ir` with its backward equations (see the module's docstring)."""
    new = ir.copy()
    emitter = Emitter()
    grad_of: dict[Var, Any] = {}  # a Sym, or a number where only constants came
    assigned: set[Var] = set()  # the variables that hold some variable's gradient
    new.seed = seed = Var("grad_out", _shape(new.output), SEED)
    if _differentiable(new.output):
        start = ops.same(emitter.sym(seed))  # g_<output> = grad_out: where the chain starts
        start.var.hint, start.var.keep = f"g_{new.output.hint}", True
        emitter.eqs[-1].note = "the gradient fed in at the output"
        grad_of[new.output] = start
    summed = new.flat  # a lifted program sums a broadcast operand's contributions itself
    for eq in reversed(new.forward):
        z = eq.outs[0]
        g = grad_of.get(z)
        if g is None:  # nothing flows here: the output does not depend on it
            continue
        if not isinstance(g, Sym):  # only constants came (0.0): the rule still runs on them,
            g = ops.broadcast_like(float(g), emitter.sym(z))  # as eager's does (0 · inf = nan)
        if eq.op.sends_none:  # the op sends nothing back (shift): say so, compute nothing
            said = f"{eq.shown or eq.op.name} sends no gradient back"
            emitter.eqs.append(Equation(ops.held.record, [z], (), nodes=eq.nodes, note=said))
            continue
        none_to = eq.keywords.get("none_to", frozenset())
        if len(none_to) == len(eq.ins):
            continue
        start = len(emitter.eqs)
        sent = _run_rule(eq, g, emitter, none_to)
        nones = tuple(k for k, c in enumerate(sent) if c is None or k in none_to)
        for back in emitter.eqs[start:]:
            back.nodes, back.shown = eq.nodes, eq.shown or eq.op.name
            back.origin = (eq, -1, g, nones)
        for k, (a, c) in enumerate(zip(eq.ins, sent)):
            if k in none_to or c is None or not _differentiable(a):
                continue
            if isinstance(c, Sym) and summed and c.shape != a.shape:
                c = ops.sum_to(c, emitter.sym(a))
            before = grad_of.get(a)
            if not isinstance(c, Sym):  # a rule's constant (sign's 0, a pick not taken)
                c = float(c)  # added as the eager pass adds it: 0.0 + -0.0 is 0.0
                said = Equation(
                    ops.held.record, [a], (), nodes=eq.nodes, note=repr(c), origin=(eq, k, g, nones)
                )
                emitter.eqs.append(said)
                if not isinstance(before, Sym):
                    grad_of[a] = c if before is None else before + c
                    continue
                c = before + c  # (a number on its own is not a line; added to one, it is)
            elif before is not None:
                c = before + c  # a is used again: its contributions add
            elif c.var in assigned or c.var.role == SEED or _made_before(c.var, emitter, start):
                c = ops.same(c)  # a gradient passed on unchanged: the name says whose it is
            grad_of[a] = c
            assigned.add(c.var)
            c.var.hint, c.var.keep = f"g_{a.hint}", True  # a gradient: printed by its name
            made = next(back for back in reversed(emitter.eqs) if c.var in back.outs)
            made.nodes, made.shown = eq.nodes, eq.shown or eq.op.name
            made.origin = (eq, k, g, nones)
    new.backward = emitter.eqs
    new.input_grads = [_result(grad_of.get(v)) for v in new.inputs]
    new.param_grads = [_result(grad_of.get(v)) for v in new.params]
    return new


def _result(g: Any) -> Any:
    """A gradient as the program returns it: its variable, a number, or 0.0 for none."""
    if g is None:
        return 0.0
    return g.var if isinstance(g, Sym) else g


def _shape(a: Any) -> tuple[int, ...]:
    return a.shape if isinstance(a, Var) else ()


def _differentiable(a: Any) -> bool:
    return isinstance(a, Var) and a.role != CONST


def _made_before(var: Var, emitter: Emitter, start: int) -> bool:
    """Whether `var` existed before this rule ran (the rule passed its g on as it is)."""
    return not any(var in eq.outs for eq in emitter.eqs[start:])


def _run_rule(eq: Equation, g: Sym, emitter: Emitter, none_to: frozenset[int]) -> tuple[Any, ...]:
    """The rule's contributions, one per input: Syms (its formula appended), None or numbers."""
    record = eq.op
    z = emitter.sym(eq.outs[0])
    xs = [emitter.sym(a) if isinstance(a, Var) else a for a in eq.ins]
    keywords = {k: v for k, v in eq.keywords.items() if k != "none_to"}
    rule = record.rule
    start = len(emitter.eqs)
    try:
        sent = rule(g, z, *xs, **keywords)
        if not isinstance(sent, tuple) or len(sent) != len(xs):
            raise NotSymbolic("the rule did not return one contribution per input")
        if not all(c is None or isinstance(c, (Sym, int, float)) for c in sent):
            raise NotSymbolic("a contribution is neither symbolic nor a number")
        return sent
    except NotSymbolic:
        if not record.custom:
            raise
        del emitter.eqs[start:]  # what the rule emitted before it gave up
    except Exception:
        if not record.custom:
            raise
        del emitter.eqs[start:]
    # the user's rule as it is: one equation, one output per input (sample by sample if needed)
    call = calls.rule_call(_original(record), record is not _original(record))
    outs = tuple(Var("c", a.shape if isinstance(a, Var) else ()) for a in eq.ins)
    emitter.eqs.append(
        Equation(call, [g.var, z.var, *eq.ins], outs, keywords, eq.nodes, eq.shown)
    )
    return tuple(None if k in none_to else emitter.sym(o) for k, o in enumerate(outs))


def _original(record: ops.Op) -> ops.Op:
    found = ops.record_of(record.rule)
    return found if found is not None else record
