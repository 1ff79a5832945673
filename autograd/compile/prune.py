"""Pass: drop what nothing reads.

What is read: the output, and the input gradients (`inputs=True`) and the parameters'
(`params=True`). An equation none of whose results is read goes. So `Program.backward`, which
wants the parameters' gradients only, runs no work for the inputs' (matmul's contribution to
the first layer's inputs, the rules' contributions to the inputs), and a rule's contribution
to a constant (`mul`'s to the 2 of `2 * x`) is never computed. Linear in the equations.
"""

from __future__ import annotations

from autograd.compile.ir import IR, Var


def drop_unread(ir: IR, *, inputs: bool = True, params: bool = True) -> IR:
    """Return `ir` without the equations whose results nothing reads (see the module)."""
    new = ir.copy()
    if not inputs:
        new.input_grads = []
    if not params:
        new.param_grads = []
    live: set[Var] = {
        a for a in (new.output, *new.input_grads, *new.param_grads) if isinstance(a, Var)
    }
    kept = []
    add = live.add
    for eq in reversed(new.forward + new.backward):
        outs = eq.outs
        if outs and not (outs[0] in live or (len(outs) > 1 and any([o in live for o in outs]))):
            continue  # (one without results is a comment, `held`: it stays)
        for a in eq.ins:
            if type(a) is Var:
                add(a)
        kept.append(eq)
    kept.reverse()
    new.constants = [c for c in new.constants if c in live]  # the ones a kept line reads
    forward = {id(eq) for eq in new.forward}
    new.forward = [eq for eq in kept if id(eq) in forward]
    new.backward = [eq for eq in kept if id(eq) not in forward]
    return new
