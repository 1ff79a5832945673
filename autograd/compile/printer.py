"""Printer: IR -> the Python source that runs, and what its names mean.

Every equation prints through its record's `Form` (`ops.Op.printed`): `X @ W1.T`, `relu(s)`,
`where(h <= 0.0, 0.0, g_h)`. A result that one later line of the same half reads, and that
nobody needs to see by name, is written into that line instead of a line of its own, with
Python's precedence deciding the brackets: so a layer reads `h1 = relu(X @ W1.T + b1)` and a
rule reads `g_s1 = where(h1 <= 0.0, 0.0, g_h1)`. An unlifted program keeps one statement per
node (the forward half) and one per contribution (the backward half).

Every name comes from one table (autograd.compile.names), the printer's own first; every text
that is not such a name (a label, an op's name, a function's name) reaches the source only
inside a comment or the docstring, through `plain`. Nothing parses what was printed: the
source is compiled as it is, and `namespace` says what each bound name is.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autograd import ops
from autograd.compile.ir import (
    BATCH,
    IR,
    TEMP,
    Equation,
    Var,
    count,
    joined,
    nodes_text,
    plain,
)
from autograd.compile.names import Names, name_all

WIDTH = 96  # generated lines are wrapped near this width
INLINE = 72  # an expression longer than this gets a line (and a name) of its own
SHOWN = 8  # a vector of constants up to this long is written out; a longer one is bound


class Printed:
    """The source of a program, its namespace, the names it gave (`name(var)`), the function's
    name, and the name of its last argument, the seed (`grad_out` unless an input has it)."""

    def __init__(
        self,
        source: str,
        namespace: dict[str, Any],
        name: Callable[[Any], str],
        function: str,
        seed: str,
    ) -> None:
        self.source, self.namespace, self.name, self.function = source, namespace, name, function
        self.seed = seed


def print_source(ir: IR) -> tuple[str, dict[str, Any]]:
    """Return (source, namespace): the IR as a readable Python function, and what its names
    mean."""
    printed = print_program(ir)
    return printed.source, printed.namespace


def print_program(ir: IR) -> Printed:
    """The program `ir` as source (see the module's docstring)."""
    arrays = ir.flat  # every value is a NumPy array or number: `/` and `**` print as operators
    names = Names()
    namespace: dict[str, Any] = {}
    bound: dict[int, str] = {}
    keep_alive: list[Any] = []

    def bind(obj: Any, wanted: str) -> str:
        key = id(obj)
        if key not in bound:
            bound[key] = names.take(wanted)
            namespace[bound[key]] = obj
            keep_alive.append(obj)
        return bound[key]

    equations = ir.forward + ir.backward
    forms: dict[int, ops.Form] = {}
    for eq in equations:
        shapes = [a.shape if isinstance(a, Var) else () for a in eq.ins]
        # on numbers alone (what reads parameters only, once per call) a kernel may have made
        # a Python float, on which `/` and `**` raise or go complex: those call the kernels
        form = eq.op.printed(shapes, _constants(eq), arrays and any(shapes))
        forms[id(eq)] = form
        if "{fn}" in form.text:
            bind(eq.op.kernel, eq.op.python)
        for key, obj in form.uses.items():
            bind(obj, key)
    literal = _Literals(bind)
    index_names: dict[int, str] = {}
    for eq in equations:
        hint = eq.outs[0].hint if eq.outs else "c"
        for key, value in _constants(eq).items():
            if isinstance(value, ops.Places):
                for part in ("at", "order", "starts", "targets"):
                    array = getattr(value, part)
                    if array is not None and array.ndim and id(array) not in index_names:
                        index_names[id(array)] = bind(array, f"{hint}_{part}")
            elif isinstance(value, np.ndarray) and value.ndim and id(value) not in index_names:
                index_names[id(value)] = bind(value, f"{hint}_{key}")
    function = names.take("program")
    n = names.take("n") if ir.flat and ir.inputs else ""
    name = name_all(ir, names)
    # the gradient fed in at the output: its name from the table (an argument may be grad_out)
    seed = name(ir.seed) if ir.seed is not None else names.take("grad_out")

    # where each variable is read: inlining and the reuse of a dead operand's name
    readers: dict[Var, int] = {}
    last_read: dict[Var, int] = {}
    for position, eq in enumerate(equations):
        for a in eq.ins:
            if isinstance(a, Var):
                readers[a] = readers.get(a, 0) + 1
                last_read[a] = position
    results = {a for a in (ir.output, *ir.input_grads, *ir.param_grads) if isinstance(a, Var)}
    for a in results:
        readers[a] = readers.get(a, 0) + 2  # the program returns it: it needs its name
        last_read[a] = len(equations)
    half_of = {id(eq): 0 for eq in ir.forward} | {id(eq): 1 for eq in ir.backward}
    reader_half: dict[Var, int] = {}
    for eq in equations:
        for a in eq.ins:
            if isinstance(a, Var):
                reader_half.setdefault(a, half_of[id(eq)])

    renamed: dict[Var, str] = {}
    # what memory each variable holds: a view (a reshape, a slice, an alias) holds its input's,
    # and an array updated in place its own. An array may be updated in place only when no
    # other variable holding its memory is read afterwards.
    root: dict[Var, Var] = {}
    for eq in equations:
        first = eq.ins[0] if eq.ins and isinstance(eq.ins[0], Var) else None
        for out in eq.outs:
            if first is not None and (eq.op.view(eq.keywords) or eq.op is ops.add_at.record):
                root[out] = root.get(first, first)
            else:
                root[out] = out
    holders: dict[Var, list[Var]] = {}  # a memory -> the variables that hold it
    for v in root:
        holders.setdefault(root[v], []).append(v)
    update_of: dict[Var, Var] = {}  # an array -> the array an add_at made of it (in place)
    for eq in equations:
        if eq.op is ops.add_at.record and isinstance(eq.ins[0], Var):
            update_of[eq.ins[0]] = eq.outs[0]

    def var_name(v: Var) -> str:
        return renamed.get(v) or name(v)

    inline: dict[Var, tuple[str, int, list[Equation]]] = {}
    folded: list[Equation] = []  # the equations written into the line being made
    pending: dict[Var, set[Var]] = {}  # what each text waiting to be written reads by name

    def operand(a: Any) -> tuple[str, int]:
        if isinstance(a, Var):
            if a in inline:
                text, strength, made = inline.pop(a)
                folded.extend(made)
                reading.update(pending.pop(a))
                return text, strength
            reading.add(a)
            return var_name(a), 13
        return literal(a)

    def waited_on(v: Var) -> bool:
        """Whether a text not yet written reads `v` by name: then v keeps its value."""
        return any(v in names_read for names_read in pending.values())

    def owned(base: Var, position: int) -> bool:
        """Whether `base` may be updated in place here: its memory is its own (made by the
        program, not an argument's), and nothing else that holds it (a view, an alias, an
        older version) is read later or waits in a text to be written; its updated versions
        may be."""
        owner = root.get(base, base)
        if owner.role != TEMP:
            return False
        later = set()
        step = update_of.get(base)
        while step is not None:
            later.add(step)
            step = update_of.get(step)
        stale = [v for v in holders.get(owner, [owner]) if v not in later]
        if any(last_read.get(v, -1) > position for v in stale):
            return False
        return not any(v in names for names in pending.values() for v in stale)

    reading: set[Var] = set()

    def texts(eq: Equation) -> dict[str, str]:
        shown: dict[str, str] = {"n": n}
        if "{fn}" in forms[id(eq)].text:
            shown["fn"] = bound[id(eq.op.kernel)]
        for key, obj in forms[id(eq)].uses.items():
            shown[key] = bound[id(obj)]
        for key, value in _constants(eq).items():
            if isinstance(value, ops.Places):
                for part in ("at", "order", "starts", "targets"):
                    array = getattr(value, part)
                    if array is not None and array.ndim:
                        shown[key if part == "at" else f"{key}_{part}"] = index_names[id(array)]
            elif isinstance(value, np.ndarray) and value.ndim:
                shown[key] = index_names[id(value)]
            elif isinstance(value, tuple):
                shown[key] = _shape_tuple(value, n)
            else:
                shown[key] = literal(value)[0] if isinstance(value, float) else repr(value)
        if eq.outs:
            shown["out"] = var_name(eq.outs[0])
            shown["shape"] = _shape_tuple(eq.outs[0].shape, n)
        return shown

    lines = _header(ir, function, [*map(name, ir.inputs), *map(name, ir.params)], seed)
    if ir.constants:
        lines.append("    # ---- constants captured at trace time ----")
        for c in ir.constants:
            if not isinstance(c.value, np.ndarray):
                lines.append(f"    {name(c)} = {literal(c.value)[0]}")
            elif c.value.size <= SHOWN:
                numbers = _nested(c.value.tolist(), literal)
                lines += _statement(f"{name(c)} = {bind(np.array, 'array')}({numbers})", "")
            else:  # too long to read: the program gets it from its namespace
                namespace[name(c)] = c.value
                lines.append(f"    # {name(c)}: {c.value.size} numbers captured at trace time")
    if n:
        lines.append(f"    {n} = len({name(ir.inputs[0])})  # samples: one row each")
    lines.append(
        "    # ---- forward: "
        + ("one line per array op" if ir.flat else "one line per node")
        + ", inputs before outputs ----"
    )
    for position, eq in enumerate(equations):
        if position == len(ir.forward):
            out_text = operand(ir.output)[0] if ir.output is not None else "None"
            lines.append(f"    if {seed} is None:")
            lines.append(f"        return {out_text}")
            lines.append("    # ---- backward: the chain rule of this graph, outputs first ----")
        if not eq.outs:  # a comment: an op that sends nothing back, or sends a number
            if eq.origin is not None:
                said = f"{_comment(eq, ir, var_name)} (a constant: adds {eq.note})"
            else:
                where = nodes_text(eq.nodes) if ir.flat else ""
                said = f"{joined(where, eq.note)}: {var_name(eq.ins[0])} is held constant"
            lines.append(f"    # {plain(said)}")
            continue
        form = forms[id(eq)]
        reading = set()
        args = [operand(a) for a in eq.ins]
        out = eq.outs[0]
        foldable = (
            len(eq.outs) == 1
            and not eq.op.multiple
            and not form.statement
            and out.role == TEMP
            and not out.keep
            and readers.get(out, 0) == 1
            and reader_half.get(out) == half_of[id(eq)]
            and (ir.flat or half_of[id(eq)] == 1)
        )
        text, strength = form.render(args, texts(eq))
        if foldable and len(text) <= INLINE:
            inline[out] = (text, strength, [*folded, eq])
            pending[out] = reading
            folded.clear()
            continue
        line_eqs = [*folded, eq]
        folded.clear()
        if form.statement:
            base = eq.ins[0] if eq.ins else None
            if (
                eq.op is ops.add_at.record
                and isinstance(base, Var)
                and base.role == TEMP
                and last_read.get(base) == position
                and base not in results
                and args[0][0] == var_name(base)  # a name, not a line written into this one
                and owned(base, position)  # nor read (itself or a view of it) later
            ):
                renamed[out] = var_name(base)  # updated in place: nothing reads base again
            elif eq.op is ops.add_at.record:
                base_text, strength = args[0]
                base_text = base_text if strength >= 13 else f"({base_text})"
                lines += _statement(f"{var_name(out)} = {base_text}.copy()", "")
            text, _ = form.render(args, texts(eq))
            body = text.splitlines()
            comment = _comment(eq, ir, var_name, line_eqs)
            for k, line in enumerate(body):
                lines += _statement(line, comment if k == len(body) - 1 else "")
            continue
        if (
            len(eq.outs) == 1
            and eq.ins
            and isinstance(eq.ins[0], Var)
            and eq.ins[0].role == TEMP
            and eq.ins[0].hint == out.hint
            and last_read.get(eq.ins[0]) == position
            and eq.ins[0] not in results
            and not waited_on(eq.ins[0])
        ):  # g_x = g_x + c: the old value is read here last, so the name stays
            renamed[out] = var_name(eq.ins[0])
            if eq.op is ops.same.record:  # `g_x = g_x`: only the rule's comment is left
                comment = _comment(eq, ir, var_name, line_eqs)
                lines += [f"    # {plain(comment)}"] if comment else []
                continue
        targets = ", ".join(var_name(o) for o in eq.outs)
        if eq.op.multiple:  # one result per output, as a tuple: unpacked
            targets = f"({targets},)" if len(eq.outs) == 1 else targets
        lines += _statement(f"{targets} = {text}", _comment(eq, ir, var_name, line_eqs))
    if not equations or len(equations) == len(ir.forward):
        out_text = operand(ir.output)[0]
        lines.append(f"    if {seed} is None:")
        lines.append(f"        return {out_text}")
        lines.append("    # ---- backward: the chain rule of this graph, outputs first ----")
    result = [operand(a)[0] for a in ir.input_grads]
    grads = [operand(a)[0] for a in ir.param_grads]
    lines += _statement(
        f"return {operand(ir.output)[0]}, ({_tuple(result)}), ({_tuple(grads)})", ""
    )
    return Printed("\n".join(lines) + "\n", namespace, var_name, function, seed)


def _constants(eq: Equation) -> dict[str, Any]:
    return eq.keywords


class _Literals:
    """Numbers as the source writes them: `2.0`, `-0.5`, `inf` and `nan` (bound names)."""

    def __init__(self, bind: Callable[[Any, str], str]) -> None:
        self.bind = bind

    def __call__(self, x: Any) -> tuple[str, int]:
        x = float(x)
        if x != x:
            return self.bind(math.nan, "nan"), 13
        if math.isinf(x):
            name = self.bind(math.inf, "inf")
            return (name, 13) if x > 0 else (f"-{name}", 11)
        text = repr(x)
        return text, 11 if text.startswith("-") else 13


def _nested(values: Any, literal: Callable[[Any], tuple[str, int]]) -> str:
    """A nested list of numbers as the source writes it: [[1.0, -2.0], [0.5, inf]]."""
    if isinstance(values, list):
        return "[" + ", ".join(_nested(v, literal) for v in values) + "]"
    return literal(values)[0]


def _shape_tuple(shape: tuple[int, ...], n: str) -> str:
    if len(shape) == 1 and shape[0] != BATCH:
        return str(shape[0])
    parts = [n or "1" if s == BATCH else str(s) for s in shape]
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"


def _header(ir: IR, function: str, given: list[str], seed: str) -> list[str]:
    header = f"def {function}({', '.join([*given, f'{seed}=None'])}):"
    wrapped = _wrap(header)  # the first line indented 4, its continuations 8: keep those
    lines = [header] if len(header) <= WIDTH else [wrapped[0][4:], *wrapped[1:]]
    inputs, parameters, computed = ir.counts
    lines += [
        f'    """{plain(ir.fn_name)} traced by autograd.trace: {count(inputs, "input")}, '
        f"{count(parameters, 'parameter')}, {count(computed, 'op')}.",
        "",
        "    t<k> is node #k of the drawings and of backward_steps; g_<v> is d out/d<v> times",
        f"    {seed} (1 gives the gradient itself). Parameters are named by their labels.",
    ]
    if ir.flat:
        lines += [
            "    Lifted: p holds every parameter's number; W = p[W_at] gathers a layer's weights",
            "    (row i: neuron i), X @ W.T computes its neurons for every sample (row) at once,",
            "    and g_p collects the parameters' gradients, summed over the samples.",
        ]
    lines[-1] += '"""'
    return lines


def _comment(
    eq: Equation, ir: IR, name: Callable[[Any], str], line: Sequence[Equation] = ()
) -> str:
    """What a line does, in this graph's names: the nodes it covers and the rule it applies.
    `line` holds the equations written into this line (forward: their nodes all count)."""
    if eq.origin is None:  # a forward line (or the seed)
        if not ir.flat:
            return eq.note
        parts = list(line) or [eq]
        nodes = tuple(sorted({k for part in parts for k in part.nodes}))
        note = next((part.note for part in parts if part.op is ops.matmul.record and part.note), "")
        note = note or next((part.note for part in reversed(parts) if part.note), "")
        if not nodes and not note:
            return ""
        return joined(nodes_text(nodes), note or _forward_note(eq))
    source, k, g, nones = eq.origin
    where = nodes_text(source.nodes) if ir.flat else ""
    if k == -1 or source.op.quiet:
        return ""
    shown = source.shown or source.op.name
    again = (
        eq.op is ops.add.record and isinstance(eq.ins[0], Var) and eq.ins[0].hint == eq.outs[0].hint
    )
    record = source.op
    ins = [name(a) if isinstance(a, Var) else repr(float(a)) for a in source.ins]
    if record.custom:
        each = ", element by element" if source.op is not _original(source.op) else ""
        if nones:
            each += ", no gradient to " + ", ".join(ins[j] for j in nones)
        return joined(where, f"{shown}: your rule{each}")
    keep = [j == k for j in range(len(ins))]
    gradient = name(g.var) if hasattr(g, "var") else "g"
    if record.derivatives:
        text = record.derivative_text(ins, name(source.outs[0]), keep, gradient)
    else:
        text = ""
    summed = " (summed over the samples)" if eq.op is ops.sum_axes.record else ""
    if eq.note == "twice":  # simplify doubled it: the node is both operands
        summed += f", twice: {ins[k]} is both operands"
    if again:
        summed += ", added: used again"
    return joined(where, f"{shown}: {text}{summed}" if text else f"{shown}{summed}")


def _original(record: ops.Op) -> ops.Op:
    found = ops.record_of(record.rule)
    return found if found is not None else record


def _forward_note(eq: Equation) -> str:
    return eq.shown if eq.shown and eq.shown != eq.op.name else eq.op.name


def _statement(statement: str, comment: str) -> list[str]:
    """One statement, indented, with its comment; wrapped inside its brackets when long.

    Every comment of the program passes here, and through `plain`: text never becomes code."""
    comment = plain(comment)
    line = f"    {statement}"
    if comment and len(line) + 4 + len(comment) <= WIDTH:
        return [f"{line.ljust(min(WIDTH - len(comment) - 4, 52))}  # {comment}"]
    head = [f"    # {comment}"] if comment else []
    if len(line) <= WIDTH:
        return head + [line]
    if statement.startswith("return "):
        statement = f"return ({statement[7:]})"
    else:
        target, assigns, value = statement.partition(" = ")  # not in `a += b`: no tuple there
        if assigns and "," in target and not target.startswith("("):
            statement = f"({target}) = {value}"
    return head + _wrap(statement)


def _wrap(statement: str) -> list[str]:
    """Break a long statement after commas that sit inside brackets, so it stays valid Python."""
    pieces, depth, start = [], 0, 0
    for k, char in enumerate(statement):
        depth += char in "([{"
        depth -= char in ")]}"
        if char == "," and depth > 0:
            pieces.append(statement[start : k + 1])
            start = k + 1
    pieces.append(statement[start:])
    lines, current = [], "    "
    for piece in pieces:
        if len(current) + len(piece) > WIDTH and current.strip():
            lines.append(current.rstrip())
            current = "        " + piece.lstrip()
        else:
            current += piece
    lines.append(current.rstrip())
    return lines


def _tuple(items: list[str]) -> str:
    return ", ".join(items) + ("," if len(items) == 1 else "")
