"""Pass: lifting. Scalar equations that do the same op, wherever they are, become one array op.

Each equation of the scalar IR gets a level: one more than the highest of the equations it
reads (inputs, parameters and constants are level 0). Equations of one level never read each
other, so those of one level that do the same op (the same record and constants, all per
sample or all computed once) form a group: one array equation computes them all. Its operands
are gathered from wherever their members' operands live (the group that made them, the
parameters, the constants, a number they all share), and each member's value is then one
column of the group's array. This is SLP vectorisation on the graph, grown from every level at
once rather than from a few seeds, so it reaches any scalar code: a layer's dots, what follows
them element by element, a penalty over every parameter, a softmax over a row, attention's
scores across positions.

- Element-wise ops (`+ - * / **`, relu, tanh, ...): the same op on the gathered operands.
- Sums (Python's `sum`, `autograd.sum`; chains of `+` are folded into sums first) and `shift`
  over rows of different lengths: the rows side by side, padded with what changes nothing
  (0.0 for a sum, -inf for the largest), then one reduction over the last axis.
- Dots: a matrix product where the weights are parameters or constants and the members form
  a grid of (input vector, weight row) pairs: `X @ W.T` (a layer; a layer at every position of
  a sequence), else the products and their sum.
- `take` (an embedding's lookup): one pick along the last axis of the gathered options.
- What depends on parameters and constants only is computed once per call, before anything
  that reads the samples; its gradient is summed over the samples by the backward pass.

The parameters come as one vector `p`; a group's weights are gathered from it with one index
array per call (`W1 = p[W1_at]`), and their gradients go back with one scatter-add each.
What is left alone stays one scalar equation, reading its operands' columns.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from autograd import ops
from autograd.compile.ir import BATCH, CONST, INPUT, IR, PARAMS, TEMP, Equation, Var, count

LIST, HALVES, INDEXED, EACH = ops.LIST, ops.HALVES, ops.INDEXED, ops.EACH
SHORTEST = 3  # a lone sum or dot of this many terms or more is lifted too (a penalty's Σp²)
PADDED = 32  # reductions of up to this many terms are one group, padded to the longest


def group(ir: IR) -> IR:
    """Return the IR with its groups lifted into array equations (see the module's docstring)."""
    return _Lifter(ir).run()


class _Lifter:
    def __init__(self, ir: IR) -> None:
        self.ir = ir
        self.new = ir.copy()
        self.out: list[Equation] = []
        self.home: dict[Var, tuple[Var, int]] = {}  # a scalar's place: (its array, column)
        self.columns: dict[tuple[int, int], Var] = {}  # (id(array), j) -> the column taken out
        self.constants: dict[bytes, Var] = {}  # constant vectors, by their bits
        self.operands: dict[tuple[Any, ...], Any] = {}  # operands made, by what they hold
        self.layer = 0
        self.alone: dict[Var, Var] = {}  # a lone reduction's result, for its member's
        self.p = Var("p", (len(ir.params),), PARAMS)
        for j, v in enumerate(ir.params):
            self.home[v] = (self.p, j)

    # ---- the pass ----

    def run(self) -> IR:
        new, eqs = self.new, self.ir.forward
        level: dict[Var, int] = {}
        buckets: dict[tuple[Any, ...], list[int]] = {}
        for i, eq in enumerate(eqs):
            lv = 1 + max([level.get(a, 0) for a in eq.ins if isinstance(a, Var)], default=0)
            level[eq.outs[0]] = lv
            buckets.setdefault((lv, *_signature(eq)), []).append(i)
        if all(
            len(members) == 1 and eqs[members[0]].op.takes == EACH for members in buckets.values()
        ):  # nothing side by side and no reduction to run over an axis (a chain): as it was
            return self.ir.copy()
        # what runs once per call first, then what reads the samples; each by level
        order = sorted(
            buckets.items(),
            key=lambda item: (item[0][1] != "fixed", item[0][0], item[1][0]),
        )
        lifted = 0
        for key, members in order:
            group_eqs = [eqs[i] for i in members]
            if self._lift(group_eqs, key):
                lifted += 1
            else:
                for eq in group_eqs:
                    self._scalar(eq)
        if not lifted:  # nothing does the same op side by side: the scalar program it was
            return self.ir.copy()
        if isinstance(new.output, Var):
            new.output = self.scalar(new.output)
        _name_penalty(self.out, new.output)
        new.forward = self.out
        new.params = [self.p]
        new.flat = True
        return new

    # ---- reading a scalar: from its array, or as it is ----

    def scalar(self, a: Any) -> Any:
        """`a` as a scalar operand: a literal, a named constant, an input, or its column."""
        if isinstance(a, Var) and a in self.alone:
            return self.alone[a]
        if not isinstance(a, Var) or a not in self.home:
            return a
        source, j = self.home[a]
        key = (id(source), j)
        if key not in self.columns:
            keep = source is self.p  # a parameter read on its own: named by its label
            column = Var(a.hint, source.shape[:-1], keep=keep)
            note = f"a parameter: {self.ir.labels[j] or 'unlabelled'}" if keep else ""
            self.out.append(
                Equation(
                    ops.gather.record,
                    [source],
                    (column,),
                    _at(j, source.shape[-1]),
                    note=note,
                )
            )
            self.columns[key] = column
        return self.columns[key]

    def _scalar(self, eq: Equation) -> None:
        self.out.append(eq.copy(ins=[self.scalar(a) for a in eq.ins]))

    # ---- operands of a group ----

    def operand(
        self,
        values: Sequence[Any],
        shape: tuple[int, ...],
        hint: str,
        parameters: str = "",
        whole: bool = False,
    ) -> Any:
        """The values (row-major in `shape`) as one array operand: a number or variable they
        all share, a whole array or a gather of one, the inputs side by side, or a gather from
        the concatenation of their sources (arrays, the parameters, constants). Gathered from
        the parameters alone it is named `parameters` (`b1`) and printed by that name. With
        `whole` the operand has all of `shape` even when its values are one (a reduction's
        rows); otherwise a shared value comes as it is, to be broadcast. One made before for
        the same values is used again (the two halves of a dot of x with itself)."""
        key = (
            shape,
            whole,
            tuple(id(v) if isinstance(v, Var) else _bits(float(v)) for v in values),
        )
        if key not in self.operands:
            self.operands[key] = self._operand(values, shape, hint, parameters, whole)
        return self.operands[key]

    def _operand(
        self,
        values: Sequence[Any],
        shape: tuple[int, ...],
        hint: str,
        parameters: str,
        whole: bool,
    ) -> Any:
        values = [self.alone.get(v, v) if isinstance(v, Var) else v for v in values]
        first = values[0]
        if all(not isinstance(v, Var) or v.role == CONST for v in values):
            numbers = [float(v.value if isinstance(v, Var) else v) for v in values]
            if not whole and all(_same(v, numbers[0]) for v in numbers):
                return numbers[0]  # one number for all: written in place
            return self._constant(np.array(numbers).reshape(shape), parameters or hint)
        if not whole and all(_same(v, first) for v in values):
            shared = self.scalar(first)
            if isinstance(shared, Var) and shared.batched:
                return self._emit(ops.expand.record, [shared], shared.shape + (1,), shared.hint)
            return shared
        if (
            len(shape) == 1
            and all(isinstance(v, Var) and v not in self.home and v.batched for v in values)
            and len(set(map(id, values))) == len(values)
        ):
            return self._emit(ops.stack.record, list(values), (BATCH, len(values)), hint)
        sources: list[tuple[Var, bool]] = []  # (an array or a scalar, whether an array)
        where: dict[int, int] = {}  # id(source) -> its place in `sources`
        index: list[tuple[int, int]] = []
        literals: list[float] = []
        literal_at: dict[bytes, int] = {}
        for v in values:
            if isinstance(v, Var) and v in self.home:
                (source, j), whole = self.home[v], True
            elif isinstance(v, Var) and v.role != CONST:
                source, j, whole = v, 0, False  # a scalar of its own: one column
            else:
                number = float(v.value if isinstance(v, Var) else v)
                bits = np.float64(number).tobytes()
                if bits not in literal_at:
                    literal_at[bits] = len(literals)
                    literals.append(number)
                index.append((-1, literal_at[bits]))
                continue
            if id(source) not in where:
                where[id(source)] = len(sources)
                sources.append((source, whole))
            index.append((where[id(source)], j))
        widths = []
        parts: list[Var] = []
        alone = [source for source, whole in sources if not whole]
        if len(alone) > 1 and all(source.shape == alone[0].shape for source in alone):
            # scalars side by side (a token id read by every member of its position): one stack
            stacked = self._emit(ops.stack.record, alone, alone[0].shape + (len(alone),), hint)
            column = {id(source): k for k, source in enumerate(alone)}
            remap = {}
            new_sources: list[tuple[Var, bool]] = [(stacked, True)]
            for k, (source, whole) in enumerate(sources):
                if whole:
                    remap[k] = len(new_sources)
                    new_sources.append((source, True))
            index = [
                (0, column[id(sources[s][0])])
                if s >= 0 and not sources[s][1]
                else ((remap[s], j) if s >= 0 else (s, j))
                for s, j in index
            ]
            sources = new_sources
        for source, whole in sources:
            if whole:
                parts.append(source)
                widths.append(source.shape[-1])
            else:
                shape_one = source.shape + (1,)
                parts.append(self._emit(ops.expand.record, [source], shape_one, source.hint))
                widths.append(1)
        if literals:
            parts.append(self._constant(np.array(literals)))
            widths.append(len(literals))
        offsets = [0]
        for w in widths:
            offsets.append(offsets[-1] + w)
        constant_at = offsets[len(sources)] if literals else 0
        flat = np.array(
            [offsets[s] + j if s >= 0 else constant_at + j for s, j in index], dtype=np.intp
        )
        at = flat.reshape(shape)
        if len(parts) == 1:
            source = parts[0]
        else:
            lead = ops.broadcast_shapes(*[q.shape[:-1] for q in parts])
            source = self._emit(ops.concat.record, parts, lead + (offsets[-1],), hint)
        size = source.shape[-1]
        if at.shape == (size,) and (flat == np.arange(size)).all():
            return source  # the whole array, in order
        if flat.size == size and (flat == np.arange(size)).all():
            return self._emit(
                ops.reshape.record,
                [source],
                source.shape[:-1] + shape,
                hint,
                shape=tuple(-1 if s == BATCH else s for s in source.shape[:-1]) + shape,
            )
        if source is self.p and parameters:
            gathered = self._emit(
                ops.gather.record, [source], shape, parameters, keep=True, **_at(at, size)
            )
            self._label(gathered, " × ".join(map(str, shape)))
            return gathered
        return self._emit(
            ops.gather.record, [source], source.shape[:-1] + shape, hint, **_at(at, size)
        )

    def _constant(self, values: np.ndarray, hint: str = "k") -> Var:
        bits = values.tobytes() + repr(values.shape).encode()
        if bits not in self.constants:
            self.constants[bits] = Var(hint, values.shape, CONST, values)
            self.new.constants.append(self.constants[bits])
        return self.constants[bits]

    def _emit(
        self,
        record: ops.Op,
        ins: Sequence[Any],
        result_shape: tuple[int, ...],
        hint: str,
        nodes: tuple[int, ...] = (),
        note: str = "",
        keep: bool = False,
        shown: str = "",
        **keywords: Any,
    ) -> Var:
        out = Var(hint, result_shape, keep=keep)
        self.out.append(Equation(record, list(ins), (out,), keywords, nodes, shown, note))
        return out

    # ---- groups ----

    def _gatherable(self, values: Sequence[Any]) -> bool:
        """Whether the values are one group's operands: each a member of a group (a layer's
        outputs, the parameters), a constant or an input, or all the same one."""
        first = values[0]
        if all(_same(v, first) for v in values):
            return True
        return all(
            not isinstance(v, Var) or v in self.home or v.role in (CONST, INPUT) for v in values
        )

    def _lift(self, members: list[Equation], key: tuple[Any, ...]) -> bool:
        """Emit one array equation (or a few) for the group; False to leave it scalar."""
        record = members[0].op
        packed = record.packed
        if packed is None:
            return False
        width = max(len(eq.ins) for eq in members)
        columns = [[eq.ins[q] if q < len(eq.ins) else 0.0 for eq in members] for q in range(width)]
        if record.takes in (LIST, HALVES) or len(members) == 1:
            if not self._gatherable([a for eq in members for a in eq.ins]):
                return False  # terms from scattered scalars: a sum of them reads best as it is
        elif not all(self._gatherable(column) for column in columns):
            return False
        if record.takes == EACH:
            return len(members) > 1 and self._elementwise(members)
        if record.takes in (LIST, HALVES):
            terms = max(len(eq.ins) for eq in members) // (2 if record.takes == HALVES else 1)
            if len(members) == 1 and terms < SHORTEST:
                return False  # a lone short sum reads best as it is
            if record.takes == HALVES:
                return self._dots(members)
            return self._reductions(members, packed)
        if record.takes == INDEXED:
            return self._takes(members)
        return False

    def _members(self, members: list[Equation]) -> list[Equation]:
        """The members in the order of their first operand's place (so groups line up)."""

        def place(eq: Equation) -> tuple[int, ...]:
            for a in eq.ins:
                if isinstance(a, Var) and a in self.home and self.home[a][0] is not self.p:
                    source, j = self.home[a]
                    return (0, self._order_of(source), j)
            return (1,)

        return sorted(members, key=place)

    def _order_of(self, source: Var) -> int:
        for k, eq in enumerate(self.out):
            if source in eq.outs:
                return k
        return -1

    def _elementwise(self, members: list[Equation]) -> bool:
        members = self._members(members)
        eq0 = members[0]
        k = len(members)
        layer = self._layer_of([self.home[a][0] for a in eq0.ins if a in self.home])
        operands = []
        for q in range(len(eq0.ins)):
            values = [eq.ins[q] for eq in members]
            operands.append(self.operand(values, (k,), "x", parameters=f"b{layer}"))
        shapes = [a.shape if isinstance(a, Var) else () for a in operands]
        if not any(len(shape) >= 1 and shape[-1] == k and shape != (BATCH,) for shape in shapes):
            return False  # every operand shared by all: nothing to do side by side
        shape = eq0.op.shape(*shapes, **eq0.keywords)
        infix = eq0.op.form in (ops.INFIX, ops.PREFIX)
        hint = _named(members, ("s" if infix else "h") + layer)
        out = self._emit(
            eq0.op,
            operands,
            shape,
            hint,
            _nodes(members),
            note=_what(eq0, k),
            keep=not infix,
            shown=eq0.shown,
            **eq0.keywords,
        )
        self._place(members, out)
        return True

    def _reductions(self, members: list[Equation], packed: ops.Op) -> bool:
        members = self._members(members)
        k, length = len(members), max(len(eq.ins) for eq in members)
        pad = members[0].op.pad
        rows = [list(eq.ins) + [pad] * (length - len(eq.ins)) for eq in members]
        values = [v for row in rows for v in row]
        terms = self.operand(values, (k, length) if k > 1 else (length,), "x", whole=True)
        shape = packed.shape(terms.shape if isinstance(terms, Var) else ())
        out = self._emit(
            packed,
            [terms],
            shape,
            _named(members, "t"),
            _nodes(members),
            note=_what(members[0], k),
            shown=members[0].shown or members[0].op.name,
        )
        self._place(members, out)
        return True

    def _dots(self, members: list[Equation]) -> bool:
        rows = []
        for eq in members:
            half = len(eq.ins) // 2
            rows.append((list(eq.ins[:half]), list(eq.ins[half:])))
        fixed = [all(not _per_sample(v) for v in ws) for ws, _ in rows]
        swapped = [not f and all(not _per_sample(v) for v in xs) for f, (_, xs) in zip(fixed, rows)]
        if all(f or s for f, s in zip(fixed, swapped)) and any(
            _per_sample(v) for ws, xs in rows for v in (*ws, *xs)
        ):
            weights = [xs if s else ws for s, (ws, xs) in zip(swapped, rows)]
            vectors = [ws if s else xs for s, (ws, xs) in zip(swapped, rows)]
            if self._matmul(members, weights, vectors):
                return True
        members_rows = list(zip(members, rows))
        k = len(members)
        length = max(len(ws) for _, (ws, _) in members_rows)
        w_values = [v for _, (ws, _) in members_rows for v in ws + [0.0] * (length - len(ws))]
        x_values = [v for _, (_, xs) in members_rows for v in xs + [0.0] * (length - len(xs))]
        shape = (k, length) if k > 1 else (length,)
        w = self.operand(w_values, shape, "w", whole=True)
        x = self.operand(x_values, shape, "x", whole=True)
        shapes = [a.shape if isinstance(a, Var) else () for a in (w, x)]
        products = self._emit(ops.mul.record, [w, x], ops.broadcast_shapes(*shapes), "t")
        out = self._emit(
            ops.sum_last.record,
            [products],
            products.shape[:-1],
            _named(members, "t"),
            _nodes(members),
            note=_what(members[0], k),
            shown="dot",
        )
        self._place(members, out)
        return True

    def _matmul(
        self, members: list[Equation], weights: list[list[Any]], vectors: list[list[Any]]
    ) -> bool:
        """One `x @ W.T` when the members are every pairing of some input vectors with some
        weight rows (a layer, or a layer at each position); False when they are not."""
        lengths = {len(w) for w in weights}
        if len(lengths) != 1:
            return False
        vector_rows: dict[tuple[Any, ...], int] = {}
        weight_rows: dict[tuple[Any, ...], int] = {}
        pairs = []
        for w, x in zip(weights, vectors):
            xkey = tuple(id(v) if isinstance(v, Var) else ("n", float(v)) for v in x)
            wkey = tuple(id(v) if isinstance(v, Var) else ("n", float(v)) for v in w)
            u = vector_rows.setdefault(xkey, len(vector_rows))
            r = weight_rows.setdefault(wkey, len(weight_rows))
            pairs.append((u, r))
        if len(set(pairs)) != len(pairs) or len(pairs) != len(vector_rows) * len(weight_rows):
            return False
        U, R = len(vector_rows), len(weight_rows)
        first_x = {u: x for (u, _), x in zip(pairs, vectors)}
        first_w = {r: w for (_, r), w in zip(pairs, weights)}
        length = lengths.pop()
        self.layer += 1
        layer = str(self.layer)
        x_values = [v for u in range(U) for v in first_x[u]]
        x = self.operand(x_values, (length,) if U == 1 else (U, length), "X", whole=True)
        if isinstance(x, Var) and x.role == TEMP:
            x.keep = x.keep or self._made_by_stack(x)
        w_values = [v for r in range(R) for v in first_w[r]]
        w = self.operand(w_values, (R, length), f"W{layer}", parameters=f"W{layer}", whole=True)
        if isinstance(w, Var):
            w.keep = True
        x_shape = x.shape if isinstance(x, Var) else ()
        shape = x_shape[:-1] + (R,)
        ordered = sorted(range(len(members)), key=lambda m: pairs[m])
        nodes = _nodes(members)
        note = _layer_note(self, w, R)
        z = self._emit(ops.matmul.record, [w, x], shape, f"a{layer}", nodes, note=note, shown="dot")
        if U > 1:
            z = self._emit(
                ops.reshape.record,
                [z],
                shape[:-2] + (U * R,),
                f"a{layer}",
                shape=tuple(-1 if s == BATCH else s for s in shape[:-2]) + (U * R,),
            )
        self._place([members[m] for m in ordered], z)
        return True

    def _takes(self, members: list[Equation]) -> bool:
        members = self._members(members)
        k = len(members)
        size = len(members[0].ins) - 1
        if k == 1:  # one pick (a loss's target logit): from a row of one group, or not at all
            sources = {id(self.home[a][0]) for a in members[0].ins[:-1] if a in self.home}
            if len(sources) != 1 or not all(a in self.home for a in members[0].ins[:-1]):
                return False
            row = self.operand(list(members[0].ins[:-1]), (size,), "E", whole=True)
            index = self.scalar(members[0].ins[-1])
            shape = ops.take_last.record.shape(
                row.shape, index.shape if isinstance(index, Var) else ()
            )
            out = self._emit(
                ops.take_last.record,
                [row, index],
                shape,
                "x",
                _nodes(members),
                note=_what(members[0], 1),
                shown=members[0].shown or "take",
            )
            self._place(members, out)
            return True
        options = self.operand(
            [v for eq in members for v in eq.ins[:-1]], (k, size), "E", whole=True
        )
        index = self.operand([eq.ins[-1] for eq in members], (k,), "i")
        shapes = [a.shape if isinstance(a, Var) else () for a in (options, index)]
        shape = ops.take_last.record.shape(*shapes)
        out = self._emit(
            ops.take_last.record,
            [options, index],
            shape,
            "x",
            _nodes(members),
            note=_what(members[0], k),
            shown=members[0].shown or "take",
        )
        self._place(members, out)
        return True

    # ---- bookkeeping ----

    def _place(self, members: list[Equation], out: Var) -> None:
        if len(members) == 1 and out.shape in ((), (BATCH,)):  # a lone reduction: itself
            self.alone[members[0].outs[0]] = out
            return
        for j, eq in enumerate(members):
            self.home[eq.outs[0]] = (out, j)

    def _layer_of(self, sources: list[Any]) -> str:
        """The layer number of the first source named a1, s1 or h1 (so what follows a layer's
        product is s1, h1 and its bias b1)."""
        for a in sources:
            if isinstance(a, Var) and a.hint[:1] in "ash" and a.hint[1:].isdigit():
                return a.hint[1:]
        return ""

    def _made_by_stack(self, x: Var) -> bool:
        return any(eq.op is ops.stack.record and x in eq.outs for eq in self.out)

    def _label(self, w: Var, size: str) -> None:
        for eq in self.out:
            if w in eq.outs and eq.op is ops.gather.record and eq.ins[0] is self.p:
                at = eq.keywords["at"].at
                labels = [self.ir.labels[j] for j in np.ravel(at) if j < len(self.ir.labels)]
                eq.note = f"{size}: {_pattern(labels)}"


def _signature(eq: Equation) -> tuple[Any, ...]:
    """What equations of one level must share to be one group."""
    record = eq.op
    batched = "batched" if eq.outs[0].batched else "fixed"
    if record.packed is None or record.custom:
        return (batched, "alone", id(eq))
    if record.takes == EACH:
        constants = tuple(sorted((k, _bits(v)) for k, v in eq.keywords.items()))
        return (batched, record, constants)
    if record.takes == INDEXED:
        return (batched, record, len(eq.ins))
    size = len(eq.ins) // (2 if record.takes == HALVES else 1)
    # rows of up to PADDED terms are padded to one length; longer ones by powers of two
    return (batched, record, 0 if size <= PADDED else math.ceil(math.log2(size)))


def _bits(v: Any) -> Any:
    return np.float64(v).tobytes() if isinstance(v, float) else v


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, Var) or isinstance(b, Var):
        return a is b
    return np.float64(a).tobytes() == np.float64(b).tobytes()


def _per_sample(a: Any) -> bool:
    return isinstance(a, Var) and a.batched


def _at(at: Any, size: int) -> dict[str, Any]:
    return {"at": ops.places(at, size)}


def _nodes(members: list[Equation]) -> tuple[int, ...]:
    return tuple(sorted(k for eq in members for k in eq.nodes))


def _what(eq: Equation, k: int) -> str:
    shown = eq.shown or eq.op.name
    return f"{shown}, {count(k, 'node')}" if k > 1 else shown


def _layer_note(lifter: _Lifter, w: Any, rows: int) -> str:
    for eq in lifter.out:
        if isinstance(w, Var) and w in eq.outs and eq.op is ops.gather.record:
            if eq.ins[0] is lifter.p:
                at = eq.keywords["at"].at
                labels = [lifter.ir.labels[j] for j in np.ravel(at)]
                prefix = _prefix(labels)
                return ": ".join(p for p in (prefix, count(rows, "neuron")) if p)
    return count(rows, "neuron")


def _named(members: list[Equation], fallback: str) -> str:
    """A group's name from its nodes' labels: the last word they share (`layers.0.head.*.t.*.
    score.*` gives score), else `fallback`."""
    labels = [eq.outs[0].hint for eq in members]
    if len(members) < 2 or not all("." in label for label in labels):
        return fallback
    words = [w for w in _pattern(labels).split(".") if w != "*" and not w.isdigit()]
    return words[-1] if words and words[-1].isidentifier() else fallback


def _name_penalty(eqs: list[Equation], output: Any) -> None:
    """Name `penalty` what the output adds to a per-sample loss that depends on parameters
    alone (micrograd's L2 term written inside the loss): the line a person would write."""
    for eq in reversed(eqs):
        if output not in eq.outs:
            continue
        if eq.op is ops.add.record and len(eq.ins) == 2:
            for a, b in (eq.ins, eq.ins[::-1]):
                fixed = isinstance(a, Var) and a.role == TEMP and not a.batched and not a.shape
                if fixed and _per_sample(b) and "." not in a.hint:
                    a.hint, a.keep = "penalty", True
                    return
        return


def _pattern(labels: list[str]) -> str:
    """Labels summed up: layers.0.neurons.*.w.* for a layer's weights; "unlabelled"."""
    if not labels or not any(labels):
        return "unlabelled parameters"
    parts = [label.split(".") for label in labels]
    if len({len(p) for p in parts}) != 1:
        return f"{labels[0]} … {labels[-1]}"
    return ".".join(column[0] if len(set(column)) == 1 else "*" for column in zip(*parts))


def _prefix(labels: list[str]) -> str:
    """What a group's labels share, up to a layer: layers.0 for a layer's weights."""
    pattern = _pattern(labels)
    if pattern.startswith(("unlabelled", "*")) or "…" in pattern:
        return ""
    parts = pattern.split(".")
    end = parts.index("neurons") if "neurons" in parts else parts.index("*") if "*" in parts else -1
    return ".".join(parts[:end])
