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

import struct
from typing import Any

from autograd import ops
from autograd.compile import calls
from autograd.compile.ir import CONST, IR, SEED, Equation, Var
from autograd.compile.symbolic import Emitter, NotSymbolic, Sym


def differentiate(ir: IR) -> IR:
    """Return `ir` with its backward equations (see the module's docstring)."""
    new = ir.copy()
    emitter = Emitter()
    templates = _Templates()
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
            note = f"{eq.shown or eq.op.name} sends no gradient back"
            emitter.eqs.append(Equation(ops.held.record, [z], (), nodes=eq.nodes, note=note))
            continue
        none_to = eq.keywords.get("none_to", frozenset())
        if len(none_to) == len(eq.ins):
            continue
        start = len(emitter.eqs)
        sent = templates.run(eq, g, emitter, none_to)
        nones = tuple(k for k, c in enumerate(sent) if c is None or k in none_to)
        shown, inside = eq.shown or eq.op.name, (eq, -1, g, nones)
        for back in emitter.eqs[start:]:
            back.nodes, back.shown, back.origin = eq.nodes, shown, inside
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
                # (a number on its own is not a line; added to one, it is)
                c = emitter.direct(ADD, [before.var, c], before.shape, NONE)
            elif isinstance(before, Sym):  # a is used again: its contributions add
                c = emitter.direct(ADD, [before.var, c.var], _wider(before.shape, c.shape), NONE)
            elif before is not None:  # only numbers came before (0.0): added first, as eager
                c = emitter.direct(ADD, [before, c.var], c.shape, NONE)
            elif c.var in assigned or emitter.made_at.get(c.var, -1) < start:
                # a gradient passed on unchanged: under a name that says whose it is
                c = emitter.direct(SAME, [c.var], c.shape, NONE)
            grad_of[a] = c
            assigned.add(c.var)
            c.var.hint, c.var.keep = f"g_{a.hint}", True  # a gradient: printed by its name
            made = emitter.eqs[emitter.made_at[c.var]]
            made.nodes, made.shown, made.origin = eq.nodes, shown, (eq, k, g, nones)
    new.backward = emitter.eqs
    new.input_grads = [_result(grad_of.get(v)) for v in new.inputs]
    new.param_grads = [_result(grad_of.get(v)) for v in new.params]
    return new


ADD, SAME = ops.add.record, ops.same.record
NONE: dict[str, Any] = {}  # the constants of an equation that has none (shared, never changed)


def _wider(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    return a if a == b else ops.broadcast_shapes(a, b)


def _result(g: Any) -> Any:
    """A gradient as the program returns it: its variable, a number, or 0.0 for none."""
    if g is None:
        return 0.0
    return g.var if isinstance(g, Sym) else g


def _shape(a: Any) -> tuple[int, ...]:
    return a.shape if isinstance(a, Var) else ()


def _differentiable(a: Any) -> bool:
    return isinstance(a, Var) and a.role != CONST


_bits = struct.Struct("<d").pack


class _Templates:
    """Each rule run once on placeholders, then reused: a graph of a million nodes has a few
    kinds of node (the same op on inputs of the same shapes and the same constants), so the
    formula a rule writes is worked out once per kind and copied with the node's variables in
    place of the placeholders. (Custom rules are the user's code: they run every time.)"""

    def __init__(self) -> None:
        self.made: dict[tuple[Any, ...], Any] = {}

    def run(
        self, eq: Equation, g: Sym, emitter: Emitter, none_to: frozenset[int]
    ) -> tuple[Any, ...]:
        key = _kind(eq, g)
        if key is None:
            return _run_rule(eq, g, emitter, none_to)
        template = self.made.get(key)
        if template is None:
            template = self.made[key] = _record_template(eq, g, none_to)
        return _instantiate(template, eq, g, emitter)


def _kind(eq: Equation, g: Sym) -> tuple[Any, ...] | None:
    if eq.op.custom:
        return None
    parts: list[Any] = [eq.op, g.var.shape, eq.outs[0].shape]
    for name, value in eq.keywords.items():
        if type(value) is float:
            parts.append((name, _bits(value)))
        elif isinstance(value, (int, str, tuple, frozenset)):
            parts.append((name, value))
        else:
            return None  # (an index plan, an array: one of a kind)
    for a in eq.ins:
        parts.append(a.shape if isinstance(a, Var) else _bits(float(a)))
    return tuple(parts)


def _record_template(eq: Equation, g: Sym, none_to: frozenset[int]) -> Any:
    """The rule of `eq` run on placeholders: (its steps, its contributions). An operand is a
    slot number into [g, z, the inputs..., the results made so far...], or (a number,)."""
    scratch = Emitter()
    g_place, z_place = Var("g", g.var.shape), Var("z", eq.outs[0].shape)
    slots: dict[int, int] = {id(g_place): 0, id(z_place): 1}
    ins: list[Any] = []
    for k, a in enumerate(eq.ins):
        if isinstance(a, Var):
            place = Var(a.hint, a.shape, a.role)
            slots[id(place)] = 2 + k
            ins.append(place)
        else:
            ins.append(a)
    sent = _run_rule(eq.copy(ins=ins, outs=(z_place,)), scratch.sym(g_place), scratch, none_to)
    steps, made = [], 2 + len(eq.ins)
    for back in scratch.eqs:
        refs = [slots[id(a)] if isinstance(a, Var) else (a,) for a in back.ins]
        for out in back.outs:
            slots[id(out)] = made
            made += 1
        shapes = [(out.hint, out.shape) for out in back.outs]
        steps.append((back.op, refs, shapes, back.keywords, back.note))
    result = [
        slots[id(c.var)] if isinstance(c, Sym) else (None if c is None else (c,)) for c in sent
    ]
    return steps, result


def _instantiate(template: Any, eq: Equation, g: Sym, emitter: Emitter) -> tuple[Any, ...]:
    steps, result = template
    pool: list[Any] = [g.var, eq.outs[0], *eq.ins]  # what the slot numbers point at
    eqs, made_at = emitter.eqs, emitter.made_at
    for op, refs, outs, keywords, note in steps:
        made = tuple([Var(hint, shape) for hint, shape in outs])
        for out in made:
            made_at[out] = len(eqs)
        pool.extend(made)
        ins = [pool[r] if type(r) is int else r[0] for r in refs]
        eqs.append(Equation(op, ins, made, keywords, note=note))
    sent: list[Any] = []
    for slot in result:
        if slot is None:
            sent.append(None)
        elif type(slot) is tuple:
            sent.append(slot[0])
        else:
            sent.append(emitter.sym(pool[slot]))
    return tuple(sent)


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
    for out in outs:
        emitter.made_at[out] = len(emitter.eqs)
    emitter.eqs.append(Equation(call, [g.var, z.var, *eq.ins], outs, keywords, eq.nodes, eq.shown))
    return tuple(None if k in none_to else emitter.sym(o) for k, o in enumerate(outs))


def _original(record: ops.Op) -> ops.Op:
    found = ops.record_of(record.rule)
    return found if found is not None else record
