"""Running a program without printing it: the same equations, the same kernels, in a loop.

Python's compiler takes seconds and gigabytes for a function of a million lines, so a program
of more than LARGE equations is not printed and compiled: this loop runs its equations instead,
each through its record (`Op.run`: the op's kernel), which is what the printed source calls.
So there is one way to run an equation, not a second ladder of cases.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from autograd.compile.ir import IR, Var

LARGE = 20_000  # equations: a larger program runs them in a loop instead of compiling them


def is_large(ir: IR) -> bool:
    return len(ir.forward) + len(ir.backward) > LARGE


def interpreted(ir: IR) -> Callable[..., Any]:
    """A function with the printed program's signature that runs `ir`'s equations in a loop."""
    given = [*ir.inputs, *ir.params]

    def plan(eqs: list[Any]) -> list[list[Any]]:
        """The equations' parts as parallel lists (a million steps: lists of references, not
        a tuple each). An equation without results is a comment (`held`): skipped."""
        kept = [eq for eq in eqs if eq.outs]
        return [
            [eq.op for eq in kept],
            [eq.ins for eq in kept],
            [eq.outs for eq in kept],
            [eq.keywords for eq in kept],
        ]

    forward, backward = plan(ir.forward), plan(ir.backward)
    constants = {c: c.value for c in ir.constants}

    def value(env: dict[Var, Any], a: Any) -> Any:
        return env[a] if isinstance(a, Var) else a

    def execute(steps: list[list[Any]], env: dict[Var, Any]) -> None:
        get = env.get
        for op, ins, outs, keywords in zip(*steps):
            args = [get(a, a) for a in ins]  # a Var's value; a literal number is itself
            result = op.run(args, keywords)
            if not op.multiple:
                env[outs[0]] = result
            else:
                for out, part in zip(outs, result):
                    env[out] = part

    def program(*args: Any) -> Any:
        env: dict[Var, Any] = dict(constants)
        env.update(zip(given, args))
        seed = args[len(given)] if len(args) > len(given) else None
        execute(forward, env)
        if seed is None:
            return value(env, ir.output)
        if ir.seed is not None:
            env[ir.seed] = seed
        execute(backward, env)
        return (
            value(env, ir.output),
            tuple(value(env, a) for a in ir.input_grads),
            tuple(value(env, a) for a in ir.param_grads),
        )

    return program
