"""The IR: a program as variables and equations, every equation one op record.

    { lambda x0 x1 p ; grad_out .
      W1:[16,2] = gather p  [at=W1_at]                # 16 × 2: layers.0.neurons.*.w.*
      X:[n,2] = stack x0 x1
      a1:[n,16] = matmul W1 X                          # #341-#386: layers.0: 16 neurons
      ...
      in ( t445 ; g_x0 g_x1 ; g_p ) }

An `Equation` holds its op's record from `autograd.ops` (`eq.op is ops.matmul.record`), never a
name to compare; its inputs are variables or literal numbers, its constants (a bound exponent,
an index array) sit in `keywords`. A `Var` has a shape whose first entry is BATCH (`n`, one row
per sample) when it depends on the inputs, and none when it depends on parameters and
constants only (computed once per call). Passes (autograd.compile.passes) take an IR and return
a new one; the printer (autograd.compile.printer) turns one into the Python that runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from autograd import ops
from autograd.compile.names import name_all

BATCH = ops.BATCH

# What a variable is to the program:
INPUT = "input"  # an argument: one number per sample (a float, or an array of n)
PARAM = "param"  # one parameter, an argument (an unlifted program)
PARAMS = "params"  # every parameter as one vector p, an argument (a lifted program)
CONST = "const"  # a number frozen at trace time, given a name of its own
TEMP = "temp"  # computed by an equation
SEED = "seed"  # grad_out: the gradient fed in at the output


class Var:
    """One variable: its wanted name (`hint`), its shape and its role; `value` for a CONST."""

    __slots__ = ("hint", "shape", "role", "value", "keep", "__weakref__")

    def __init__(
        self,
        hint: str,
        shape: tuple[int, ...] = (),
        role: str = TEMP,
        value: Any = None,
        keep: bool = False,
    ) -> None:
        self.hint, self.shape, self.role, self.value = hint, shape, role, value
        self.keep = keep  # printed under its own name, never folded into another line

    @property
    def batched(self) -> bool:
        """Whether it holds one number (or one row) per sample."""
        return bool(self.shape) and self.shape[0] == BATCH

    def __repr__(self) -> str:
        return f"<Var {self.hint} {shape_text(self.shape)}>"


Operand = Any  # a Var, or a literal number (a float)


class Equation:
    """One line of the IR: `outs = op ins` with the op's constants in `keywords`.

    `nodes` are the graph's node numbers (#k of the drawings and of backward_steps) it covers,
    `shown` the nodes' op as the graph shows it (`**2`, or a name a user gave), `note` what a
    reader should know (printed as the line's comment), and `origin`, for a backward
    equation, (the forward equation whose rule made it, the input it sends to (-1: a step
    inside the rule), the gradient that rule got)."""

    __slots__ = ("op", "ins", "outs", "keywords", "nodes", "shown", "note", "origin")

    def __init__(
        self,
        op: ops.Op,
        ins: Sequence[Operand],
        outs: Sequence[Var],
        keywords: dict[str, Any] | None = None,
        nodes: tuple[int, ...] = (),
        shown: str = "",
        note: str = "",
        origin: tuple[Any, ...] | None = None,
    ) -> None:
        self.op, self.ins, self.outs = op, tuple(ins), tuple(outs)
        self.keywords = keywords if keywords is not None else {}
        self.nodes, self.shown, self.note, self.origin = nodes, shown, note, origin

    @property
    def out(self) -> Var:
        return self.outs[0]

    def copy(self, **changes: Any) -> Equation:
        fields = {name: getattr(self, name) for name in self.__slots__}
        fields.update(changes)
        return Equation(**fields)

    def __repr__(self) -> str:
        return f"<Equation {self.op.python} {len(self.ins)} in, nodes {nodes_text(self.nodes)}>"


class IR:
    """A traced program as data: its arguments, its equations (forward, then backward), and
    what it returns. `str(ir)` prints it like a jaxpr, one equation a line, shapes shown."""

    def __init__(self) -> None:
        self.inputs: list[Var] = []
        self.params: list[Var] = []  # unlifted: one per parameter; lifted: [p]
        self.labels: list[str] = []  # each parameter's label, for comments
        self.flat = False  # lifted: the parameters come as one vector p
        self.constants: list[Var] = []  # named constants captured at trace time
        self.forward: list[Equation] = []
        self.backward: list[Equation] = []
        self.output: Operand = 0.0
        self.seed: Var | None = None
        self.input_grads: list[Operand] = []
        self.param_grads: list[Operand] = []
        self.fn_name = ""
        self.counts = (0, 0, 0)  # the graph's inputs, parameters and ops
        self.each: set[ops.Op] = set()  # custom ops that run element by element

    def copy(self) -> IR:
        new = IR.__new__(IR)
        new.__dict__.update(self.__dict__)
        for field in ("inputs", "params", "labels", "constants", "forward", "backward"):
            setattr(new, field, list(getattr(self, field)))
        new.input_grads, new.param_grads = list(self.input_grads), list(self.param_grads)
        new.each = set(self.each)
        return new

    @property
    def equations(self) -> list[Equation]:
        return self.forward + self.backward

    def __str__(self) -> str:
        name = name_all(self)  # the printer's names, so the IR as printed and the source agree

        def term(a: Operand) -> str:
            return name(a) if isinstance(a, Var) else repr(float(a))

        params = [name(v) for v in self.params]
        if len(params) > PARAMS_SHOWN:  # one per parameter (unlifted): the first and the last
            params = [*params[:2], f"… ({len(params)} parameters) …", params[-1]]
        given = [*(name(v) for v in self.inputs), *params]
        lines = [f"{{ lambda {' '.join(given)} ; grad_out ."]
        lines += [
            f"  {name(c)}:{shape_text(np.shape(c.value))} = const {_brief(c.value)}"
            for c in self.constants
        ]
        for eq in self.equations:
            outs = ", ".join(f"{name(o)}:{shape_text(o.shape)}" for o in eq.outs)
            shown = {k: v for k, v in eq.keywords.items() if k not in _HIDDEN}
            keywords = (
                " [" + ", ".join(f"{k}={_brief(v)}" for k, v in shown.items()) + "]"
                if shown
                else ""
            )
            ins = " ".join(term(a) for a in eq.ins)
            text = f"  {outs} = {eq.op.python}{keywords} {ins}".rstrip()
            note = joined(nodes_text(eq.nodes), eq.note)
            lines.append(f"{text}  # {plain(note)}" if note else text)
        grads = " ".join(term(a) for a in self.param_grads)
        ins = " ".join(term(a) for a in self.input_grads)
        lines.append(f"  in ( {term(self.output)} ; {ins} ; {grads} ) }}")
        return "\n".join(lines)

    __repr__ = __str__


PARAMS_SHOWN = 6  # an unlifted IR's header lists this many parameters before it shortens
_HIDDEN = {"unique", "size"}  # constants a reader of the IR needs not see


def _brief(value: Any) -> str:
    if isinstance(value, ops.Places):
        if value.kind == "one":
            return str(value.start)
        if value.kind in ("slice", "repeat"):
            times = f"×{value.times}" if value.kind == "repeat" else ""
            return f"{value.start}:{value.stop}{times}"
        value = value.at
    if isinstance(value, np.ndarray):
        if value.size <= 6:
            return repr(value.tolist())
        return f"<{' × '.join(map(str, value.shape))} indices>"
    return repr(value)


def shape_text(shape: tuple[int, ...]) -> str:
    """`[n,16]` for a batch of 16-wide rows, `[]` for one number, `[16]` for a vector."""
    return "[" + ",".join("n" if s == BATCH else str(s) for s in shape) + "]"


def nodes_text(nodes: tuple[int, ...]) -> str:
    """#4; #17-#19; or #17, #20, …, #62 (16 nodes) for the nodes an equation covers."""
    if not nodes:
        return ""
    if len(nodes) == 1:
        return f"#{nodes[0]}"
    if nodes[-1] - nodes[0] == len(nodes) - 1:
        return f"#{nodes[0]}-#{nodes[-1]}"
    if len(nodes) <= 3:
        return ", ".join(f"#{k}" for k in nodes)
    return f"#{nodes[0]}, #{nodes[1]}, …, #{nodes[-1]} ({len(nodes)} nodes)"


def joined(*parts: str) -> str:
    return ": ".join(part for part in parts if part)


def plain(text: object) -> str:
    """Return `text` safe inside a comment or a docstring of the generated source.

    The one escaping path for text that reaches a program (op names, labels, the function's
    name, formulas): every character that is not printable (a newline, a carriage return, a
    line or paragraph separator) is written as its escape, so the text stays on its line and
    no comment can end early; a backslash and a double quote are escaped too, so a docstring
    holds them as they are (`C:\\users`, `"`) instead of reading an escape or its end."""
    text = str(text)
    if text.isprintable() and "\\" not in text and '"' not in text:
        return text  # nothing to escape (the common case: names the program made)
    shown = []
    for char in text:
        if char == "\\" or char == '"':
            shown.append("\\" + char)
        elif char.isprintable():
            shown.append(char)
        else:
            shown.append(repr(char)[1:-1])
    return "".join(shown)


def count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"
