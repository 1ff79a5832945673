"""Names: every name a program holds comes from one table, so none can collide with another.

A program's names come from two places: the user (the function's arguments, the Values' labels,
an op's name) and the compiler (the kernels it calls, the index arrays it gathers matrices with,
`n`, `p`, `grad_out`, `program`). Passes never make names: a variable carries only the name it
would like (`hint`). The printer asks this table for every name it writes, the compiler's first
(so `relu(...)` reads as `relu`), then the arguments, then every variable in the order it is
printed; a wanted name already taken gets a number (`h`, `h_2`, `h_3`). So a label equal to
`W1_at`, `n` or `relu` gets `W1_at_2`, `n_2` or `relu_2`, and the program stays right.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable
from typing import Any

from autograd.value import identifier

# Never a variable's name: Python's keywords and the builtins a program itself uses.
RESERVED = frozenset(keyword.kwlist) | {"len", "slice", "Ellipsis", "print"}


def _plain_name(text: str) -> bool:
    """Whether `text` is already what identifier() would make of it (t4, g_x, layers_0_w)."""
    return (
        text.isascii()
        and text.isidentifier()
        and text[0] != "_"
        and text[-1] != "_"
        and "__" not in text
    )


class Names:
    """Unique Python names, each asked for once, in time linear in the number of names
    (10,000 nodes labelled `h` are h, h_2, ..., h_10000)."""

    def __init__(self) -> None:
        self.used: set[str] = set(RESERVED)
        self.next: dict[str, int] = {}

    def take(self, wanted: object) -> str:
        """A name not given before: `wanted` made a valid Python name, numbered if taken."""
        used = self.used
        if type(wanted) is str and wanted not in used and _plain_name(wanted):
            used.add(wanted)  # the common case: a fresh t<k> or g_<v>
            return wanted
        if not isinstance(wanted, str):
            base = "f"
        elif wanted.isascii() and wanted.isidentifier() and "__" not in wanted:
            base = wanted.strip("_") or "v"  # what identifier() makes of a plain name
        else:
            base = identifier(wanted)
        candidate, k = base, self.next.get(base, 2)
        if candidate in used:
            candidate = f"{base}_{k}"
            while candidate in used:
                k += 1
                candidate = f"{base}_{k}"
            self.next[base] = k + 1
        used.add(candidate)
        return candidate


def name_all(ir: Any, names: Names | None = None) -> Callable[[Any], str]:
    """Return a function naming each variable of `ir`: inputs, parameters, constants, then
    every result in the order of the equations. (The printer calls this with its table after
    taking the names of what it binds, so the IR as printed and the source agree.)"""
    table = names if names is not None else Names()
    given: dict[int, str] = {}
    keep: list[Any] = []  # the Vars named, kept alive so no id is reused while naming

    def name(var: Any) -> str:
        key = id(var)
        if key not in given:
            given[key] = table.take(var.hint)
            keep.append(var)
        return given[key]

    for var in (*ir.inputs, *ir.params, *ir.constants):
        name(var)
    if ir.seed is not None:
        name(ir.seed)
    for eq in ir.forward + ir.backward:
        for out in eq.outs:
            name(out)
    return name
