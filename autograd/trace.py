"""Compiled replay: trace a function's graph once, then run it as straight-line Python.

    prog = trace(lambda x, w, b: (x * w + b).tanh(), 0.5, -2.0, 0.3)
    print(prog.source)               # the forward pass and the chain rule, as code
    prog(0.5, -2.0, 0.3)             # a float, with no Value built
    prog(xs, -2.0, 0.3)              # xs a NumPy array: one output per sample
    out, input_grads, param_grads = prog.grad(xs, -2.0, 0.3)

`trace` calls the function once on leaf Values and turns the graph it built into the source of
one Python function: a line per node for the forward pass, then a line per node for the backward
pass, each calling the op's own rule from `autograd.ops` (one copy of every rule: the same one
`backward()` runs on floats runs here on floats or on whole arrays of samples). The source is
compiled with `compile()` and run as it is: `prog.source` is the code that runs.

What a trace can and cannot follow, as with `torch.jit.trace`: the graph is recorded for the
example inputs, so a Program is right for inputs on which the function builds a graph of the
same shape. Branches inside one op (relu, abs, the kinks of pow) are part of the op and work
element by element; a Python `if` on a Value's data, a loop whose length depends on the data, or
a class index read from the data are frozen at their traced outcome. `Program.check(*inputs)`
builds the graph eagerly for given inputs and says where it differs from the trace.
"""

from __future__ import annotations

import builtins
import inspect
import keyword
import math
import re
from collections.abc import Callable, Sequence
from functools import partial
from operator import attrgetter
from typing import Any

import numpy as np

from autograd import ops
from autograd.backward import formula, grad, node_namer, topological_order
from autograd.value import Value, _recording, brief, identifier, to_float

__all__ = ["Program", "TraceMismatchError", "trace"]

WIDTH = 96  # generated lines are wrapped near this width
_data_of = attrgetter("_data")

# How the forward pass writes the ops that have an operator: the very kernels the ops use.
_OPERATORS = {ops.add: "{} + {}", ops.sub: "{} - {}", ops.mul: "{} * {}", ops.neg: "-{}"}
# Names the program uses itself; op names may shadow builtins (`sum`, `abs`, `pow`).
_RESERVED = set(keyword.kwlist) | {"grad_out", "inf", "nan", "program", "_"}


class TraceMismatchError(ValueError):
    """`Program.check` found inputs where the traced program and the eager graph disagree."""


def trace(
    fn: Callable[..., Value], *example_inputs: float, params: Sequence[Value] = ()
) -> Program:
    """Return a `Program`: `fn`'s graph, traced once at the example inputs, as straight-line code.

    `fn(*values)` must return one scalar Value. Each example input is a real number; `fn` is
    called once on fresh leaf Values made from them (named after `fn`'s parameters). `params`
    are the Values `fn` reads without taking them as arguments (a model's `parameters()`): the
    Program reads their `.data` afresh at every call, so optimizer updates are seen, and
    reports their gradients. Every other Value `fn` reads is a constant, frozen now.

    The Program is valid for inputs on which `fn` builds a graph of the same shape (the same ops
    in the same order; the numbers may change). See `Program.check`.

    >>> prog = trace(lambda x, y: x * y + y.tanh(), 2.0, 0.5)
    >>> prog(2.0, 0.5) == 2.0 * 0.5 + math.tanh(0.5)
    True
    """
    if not callable(fn):
        raise TypeError(f"trace needs a callable fn, got {type(fn).__name__}: {brief(fn)}")
    xs = [_example(x, k) for k, x in enumerate(example_inputs)]
    parameters = _params(params)
    names = _argument_names(fn, len(xs))
    leaves = [Value(x, name) for x, name in zip(xs, names)]
    with _recording():  # record even when the caller is inside no_grad()
        out = fn(*leaves)
    if not isinstance(out, Value):
        raise TypeError(
            f"trace needs fn to return one scalar Value, got {type(out).__name__}: "
            f"{brief(out)}; reduce several outputs first (e.g. with autograd.sum or a loss)"
        )
    return Program(fn, out, leaves, parameters)


def _example(x: object, k: int) -> float:
    if isinstance(x, (np.ndarray, list, tuple)) and np.ndim(x) > 0:
        raise TypeError(
            f"trace example input {k} must be one real number (one sample), got "
            f"{type(x).__name__} of shape {np.shape(x)}; pass e.g. xs[0], and the whole array "
            "later to the Program"
        )
    if isinstance(x, Value):
        raise TypeError(
            f"trace example input {k} must be a number, got a Value; pass its .data "
            "(trace makes the leaf Values itself), or pass the Value in params= if fn reads it"
        )
    return to_float(x, f"trace example input {k}")


def _params(params: Sequence[Value]) -> tuple[Value, ...]:
    if isinstance(params, Value):
        params = (params,)
    if isinstance(params, (set, frozenset, dict)):
        raise TypeError(
            f"trace(params=...) needs the Values in an order (a list), got a "
            f"{type(params).__name__}: param_grads come back in that order"
        )
    if isinstance(params, (str, bytes)) or not isinstance(params, Sequence):
        try:
            params = list(params)  # e.g. a generator
        except TypeError:
            raise TypeError(
                f"trace(params=...) needs a sequence of Values, got {type(params).__name__} "
                "(for a model, pass model.parameters())"
            ) from None
    found = tuple(params)
    seen: dict[Value, int] = {}
    for k, p in enumerate(found):
        if not isinstance(p, Value):
            raise TypeError(f"trace(params=...) must be Values, got {type(p).__name__} at {k}")
        if p.op:
            raise ValueError(
                f"trace(params=...) must be leaf Values (a model's parameters), but params[{k}] "
                f"is the output of {p.op!r}; pass the leaves it is computed from"
            )
        if p in seen:
            raise ValueError(f"trace(params=...): params[{k}] is params[{seen[p]}] again")
        seen[p] = k
    return found


def _argument_names(fn: Callable[..., Any], count: int) -> list[str]:
    """fn's parameter names where they can be read and fit, else x0, x1, ..."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return [f"x{k}" for k in range(count)]
    names = [
        p.name
        for p in signature.parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    if len(names) != count or any(
        p.kind is p.VAR_POSITIONAL for p in signature.parameters.values()
    ):
        return [f"x{k}" for k in range(count)]
    return names


class Program:
    """A traced graph as straight-line Python: call it on numbers or on NumPy batches.

    prog(*inputs)                   the output: a float, or one per sample for 1-D arrays of
                                    one length n (numbers broadcast); no Value is built
    prog.grad(*inputs)              (outputs, input_grads, param_grads): d out / d input per
                                    sample (the input's shape; a number broadcast over a batch
                                    gets the sum), d out / d param summed over the batch
    prog.backward(*inputs, reduce="mean" | "sum")
                                    the mean (or sum) of the outputs; adds its gradient to each
                                    parameter's `.grad`, as eager `.backward()` on that
                                    reduction would
    prog.check(*inputs)             True, or TraceMismatchError saying where eager differs
    prog.source                     the code that runs: read it, it is the chain rule

    `source` is the code that actually runs: it is generated once, compiled with `compile()`,
    and called with the inputs, the parameters' current data and `grad_out`, the gradient fed
    in at the output. Its op names (`tanh`,
    `dot`, ...) are bound to the ops' kernels, what `autograd.ops.tanh` computes for numbers
    and arrays, and its rules are the ops' own rules. A custom op whose
    forward or rule cannot take arrays runs element by element (its line says so).
    """

    def __init__(
        self,
        fn: Callable[..., Value],
        out: Value,
        leaves: list[Value],
        params: tuple[Value, ...],
    ) -> None:
        self.fn = fn
        self.inputs: tuple[str, ...] = tuple(leaf._label for leaf in leaves)
        self.params = params
        self._leaves = leaves
        order = topological_order(out)
        self._signature = _structure(order, leaves, params)
        self._formulas = _formulas(order, leaves, params)
        self.source, namespace = _generate(fn, out, order, leaves, params)
        code = compile(self.source, f"<autograd.trace of {_plain(_fn_name(fn))}>", "exec")
        exec(code, namespace)
        self._run = namespace["program"]
        self.ops = sum(1 for node in order if node.op)

    def __repr__(self) -> str:
        return (
            f"<Program {_fn_name(self.fn)}({', '.join(self.inputs)}): {self.ops} ops, "
            f"{len(self.params)} parameters>"
        )

    # ---- running ----

    def __call__(self, *inputs: Any) -> Any:
        xs, n = self._prepare(inputs)
        with np.errstate(all="ignore"):
            out = self._run(*xs, *self._param_data(n))
        return _per_sample(out, n)

    def grad(self, *inputs: Any) -> tuple[Any, list[Any], list[float]]:
        """Return (outputs, input_grads, param_grads); see the class docstring."""
        xs, n = self._prepare(inputs)
        seed = 1.0 if n is None else np.ones(n)
        out, input_grads, param_grads = self._replay(xs, seed)
        with np.errstate(all="ignore"):  # sums over the batch: inf + -inf is nan, quietly
            shaped = [
                _per_sample(g, n) if n is not None and type(x) is np.ndarray else _total(g, n)
                for g, x in zip(input_grads, xs)
            ]
            totals = _totals(param_grads, n)
        return _per_sample(out, n), shaped, totals

    def backward(self, *inputs: Any, reduce: str = "mean") -> float:
        """Return the mean (or sum) of the outputs; add its gradient to each parameter's .grad.

        The same numbers as building every sample's graph eagerly, reducing with
        `autograd.sum(outputs) / n` (or without the division) and calling `.backward()`, to
        about 1e-15 relative (sums over the batch may add in another order).
        """
        if reduce not in ("mean", "sum"):
            raise ValueError(f'backward(reduce=...) must be "mean" or "sum", got {reduce!r}')
        xs, n = self._prepare(inputs)
        count = 1 if n is None else n
        if count == 0:
            raise ValueError(
                "backward() got an empty batch (arrays of length 0): nothing to reduce"
            )
        weight = ops.div(1.0, float(count)) if reduce == "mean" else 1.0
        seed = weight if n is None else np.full(n, weight)
        out, _, param_grads = self._replay(xs, seed)
        with np.errstate(all="ignore"):  # sums over the batch: inf + -inf is nan, quietly
            totals = _totals(param_grads, n)
        for p, g in zip(self.params, totals):
            p.grad += g
        outputs = [float(out)] * count if np.ndim(out) == 0 else out.tolist()
        total = builtins.sum(outputs, 0.0)
        return ops.div(total, float(count)) if reduce == "mean" else total

    def _replay(self, xs: list[Any], seed: Any) -> tuple[Any, tuple[Any, ...], tuple[Any, ...]]:
        result: tuple[Any, tuple[Any, ...], tuple[Any, ...]]
        if type(seed) is float:  # one sample: the float kernels, which NumPy does not see
            return self._run(*xs, *map(_data_of, self.params), grad_out=seed)
        with np.errstate(all="ignore"):
            result = self._run(*xs, *self._param_data(len(seed)), grad_out=seed)
        return result

    def _param_data(self, n: int | None) -> list[Any]:
        """The parameters' data now: floats for one sample; for a batch, 0-d arrays, which
        NumPy multiplies with an array faster than a Python float (the same numbers)."""
        if n is None:
            return list(map(_data_of, self.params))
        return [np.array(p._data) for p in self.params]

    def _prepare(self, inputs: tuple[Any, ...]) -> tuple[list[Any], int | None]:
        """Numbers as floats, batches as float64 arrays of one length n; n (None: no batch)."""
        if len(inputs) != len(self.inputs):
            raise TypeError(
                f"this Program takes {len(self.inputs)} inputs ({', '.join(self.inputs)}), "
                f"got {len(inputs)}"
            )
        if all([type(x) is float for x in inputs]):  # one sample of floats: nothing to check
            return list(inputs), None
        xs: list[Any] = []
        n: int | None = None
        for name, x in zip(self.inputs, inputs):
            if isinstance(x, Value):
                raise TypeError(
                    f"input {name!r} is a Value; a Program computes on numbers: pass its "
                    ".data, or call fn itself to build a graph"
                )
            if isinstance(x, (np.ndarray, list, tuple)) or hasattr(x, "__array__"):
                try:
                    array = np.asarray(x)  # a list, a NumPy array, a CPU tensor
                except (ValueError, TypeError) as error:
                    raise ValueError(
                        f"input {name!r} is not a 1-D array of numbers: {error}"
                    ) from None
                if array.ndim == 0 and not isinstance(x, (list, tuple)):
                    xs.append(to_float(x, f"Program input {name!r}"))  # 0-d: one number
                    continue
                if array.dtype.kind not in "biuf":
                    raise TypeError(
                        f"input {name!r} must be a real array, got dtype {array.dtype}; "
                        "a Program computes on real numbers (float64)"
                    )
                if array.ndim != 1:
                    raise ValueError(
                        f"input {name!r} must be a 1-D array (one number per sample), got "
                        f"shape {array.shape}; pass one column at a time, e.g. *X.T"
                    )
                if n is not None and len(array) != n:
                    first = next(k for k, y in zip(self.inputs, xs) if type(y) is np.ndarray)
                    raise ValueError(
                        f"input {name!r} has {len(array)} samples but {first!r} has {n}; "
                        "every array in one call must have the same length"
                    )
                n = len(array)
                xs.append(np.array(array, dtype=np.float64))
            else:
                xs.append(to_float(x, f"Program input {name!r}"))
        return xs, n

    # ---- checking against eager ----

    def check(self, *inputs: Any, rtol: float = 1e-10) -> bool:
        """Return True when the eager graph agrees with this Program on the given inputs.

        For each sample it calls `fn` on fresh leaves, compares the graph's shape with the
        traced one (the same ops on the same kinds of inputs), then the output and every input
        and parameter gradient with the Program's, to `rtol` (nan matches nan). Otherwise it
        raises TraceMismatchError naming the sample and the first thing that differs: the node
        where the graphs part (data-dependent Python control flow), or the two numbers.
        """
        xs, n = self._prepare(inputs)
        out, input_grads, param_grads = self._replay(xs, 1.0 if n is None else np.ones(n))
        for i in range(1 if n is None else n):
            sample = [float(x[i]) if type(x) is np.ndarray else x for x in xs]
            leaves = [Value(x, name) for x, name in zip(sample, self.inputs)]
            with _recording():
                eager = self.fn(*leaves)
            where = f"sample {i}" if n is not None else "these inputs"
            if not isinstance(eager, Value):
                raise TraceMismatchError(f"at {where}, fn returned {type(eager).__name__}")
            order = topological_order(eager)
            differs = _first_difference(
                self._signature,
                _structure(order, leaves, self.params),
                self._formulas,
                _formulas(order, leaves, self.params),
            )
            if differs:
                raise TraceMismatchError(
                    f"at {where}, fn builds another graph than the traced one: {differs}. A "
                    "Python branch on a Value's data (an if, a loop length, an index) took "
                    "another way; trace the branches separately, or write the branch as an op "
                    "(relu, abs, ops.where in a custom op)"
                )
            eager_grads = grad(eager, leaves + list(self.params)) if order else []
            theirs = [eager._data, *eager_grads]
            ours = [_pick(out, i), *[_pick(g, i) for g in input_grads]]
            ours += [_pick(g, i) for g in param_grads]
            what = ["the output", *[f"d out/d {name}" for name in self.inputs]]
            what += [
                f"d out/d params[{j}] ({p._label or 'unlabelled'})"
                for j, p in enumerate(self.params)
            ]
            for label, a, b in zip(what, ours, theirs):
                if not _close(a, b, rtol):
                    raise TraceMismatchError(
                        f"at {where}, {label} is {a!r} in the Program but {b!r} eagerly "
                        f"(rtol {rtol:g}); a constant captured at trace time may have changed, "
                        "or fn reads a Value's .data"
                    )
        return True


# ---- shapes and sums over the batch ----


def _per_sample(value: Any, n: int | None) -> Any:
    if n is None:
        return float(value)
    if type(value) is np.ndarray:
        return value
    return np.full(n, float(value))


def _total(value: Any, n: int | None) -> float:
    if type(value) is np.ndarray:
        return float(value.sum())
    return float(value) * (1 if n is None else n)


def _totals(grads: tuple[Any, ...], n: int | None) -> list[float]:
    """Each gradient summed over the batch; the arrays in one NumPy call, not one each."""
    if n is None:  # one sample on floats: they are the totals already
        return list(grads)
    arrays = [k for k, g in enumerate(grads) if type(g) is np.ndarray]
    totals = [0.0 if type(g) is np.ndarray else _total(g, n) for g in grads]
    if arrays:
        for k, s in zip(arrays, np.array([grads[k] for k in arrays]).sum(axis=1).tolist()):
            totals[k] = s
    return totals


def _pick(value: Any, i: int) -> float:
    return float(value[i]) if type(value) is np.ndarray else float(value)


def _close(a: float, b: float, rtol: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return math.fabs(a - b) <= rtol * max(math.fabs(a), math.fabs(b)) + 1e-300


# ---- the graph's shape, to tell when eager builds another graph ----


def _structure(
    order: list[Value], leaves: list[Value], params: tuple[Value, ...]
) -> list[tuple[Any, ...]]:
    """One entry per node: ("input", k), ("param", j), ("const",), or (op, parent places)."""
    place = {node: k for k, node in enumerate(order)}
    role = {leaf: ("input", k) for k, leaf in enumerate(leaves)}
    role.update({p: ("param", j) for j, p in enumerate(params)})
    return [
        role.get(node, ("const",)) if not node.op else (node.op, *[place[p] for p in node.parents])
        for node in order
    ]


def _formulas(order: list[Value], leaves: list[Value], params: tuple[Value, ...]) -> list[str]:
    """Each node as a learner would name it: `#5 = relu(#4)`, `the input x`, `the constant 2`."""
    name = node_namer(order)
    inputs, parameters = set(leaves), set(params)

    def said(node: Value) -> str:
        if node.op:
            return name(node) + formula(node, name)
        if node in inputs:
            return f"the input {name(node)}"
        if node in parameters:
            return f"the parameter {name(node)}"
        return f"the constant {node._data:g}"

    return [said(node) for node in order]


def _first_difference(
    traced: list[tuple[Any, ...]],
    eager: list[tuple[Any, ...]],
    traced_text: list[str],
    eager_text: list[str],
) -> str:
    for k, (a, b) in enumerate(zip(traced, eager)):
        if a != b:
            return (
                f"node {k + 1} of the trace is {traced_text[k]}; in this sample's graph it is "
                f"{eager_text[k]}"
            )
    if len(traced) != len(eager):
        return f"the trace has {len(traced)} nodes, the graph now {len(eager)}"
    return ""


# ---- generating the source ----


def _generate(
    fn: Callable[..., Any],
    out: Value,
    order: list[Value],
    leaves: list[Value],
    params: tuple[Value, ...],
) -> tuple[str, dict[str, Any]]:
    """Return (source, namespace): the program as readable Python, and what its names mean."""
    inputs, parameters = set(leaves), set(params)
    constant = _constants(order, inputs, parameters)
    computed = [node for node in order if node.op and node not in constant]
    names = _Names()
    var: dict[Value, str] = {}
    for leaf in leaves:
        var[leaf] = names.take(leaf._label)
    for j, p in enumerate(params):
        var[p] = names.take(p._label or f"p{j}")
    hoisted = _hoisted(computed, constant)
    same_number: dict[str, str] = {}  # one name for one number (logsumexp's m, used thrice)
    for k, node in enumerate(order, 1):  # t<k> and k<k>: node #k of drawings and steps
        if node in var or (node in constant and node not in hoisted):
            continue
        if node in constant and not node._label and _literal(constant[node]) in same_number:
            var[node] = same_number[_literal(constant[node])]
            continue
        default = f"k{k}" if node in constant else f"t{k}"
        var[node] = names.take(node._label or default)
        if node in constant and not node._label:
            same_number[_literal(constant[node])] = var[node]
    namespace: dict[str, Any] = {"inf": math.inf, "nan": math.nan}
    functions = _Functions(namespace, names)

    def ref(node: Value) -> str:
        return var[node] if node in var else _literal(constant[node])

    arguments = [var[leaf] for leaf in leaves] + [var[p] for p in params]
    header = f"def program({', '.join([*arguments, 'grad_out=None'])}):"
    wrapped = _wrap(header)  # the first line indented 4, its continuations 8: keep those
    lines = [header] if len(header) <= WIDTH else [wrapped[0][4:], *wrapped[1:]]
    lines += [
        f'    """{_plain(_fn_name(fn))} traced by autograd.trace: {_count(len(leaves), "input")}, '
        f"{_count(len(params), 'parameter')}, {_count(len(computed), 'op')}.",
        "",
        "    t<k> is node #k of the drawings and of backward_steps; g_<v> is d out/d<v> times",
        '    grad_out (1 gives the gradient itself). Parameters are named by their labels."""',
    ]
    if hoisted:
        lines.append("    # ---- constants captured at trace time ----")
        for name in dict.fromkeys(var[node] for node in hoisted):
            node = next(n for n in hoisted if var[n] == name)
            lines.append(f"    {name} = {_literal(constant[node])}")
    lines.append("    # ---- forward: one line per node, inputs before outputs ----")
    for node in computed:
        lines += _statement(f"{var[node]} = {_forward_expression(node, ref, functions)}", "")
    lines.append("    if grad_out is None:")
    lines.append(f"        return {ref(out)}")
    lines.append("    # ---- backward: the chain rule of this graph, outputs first ----")
    gvar = {node: names.take(f"g_{var[node]}") for node in var}  # unique, as every name here
    temps: dict[int, str] = {}

    def temp(k: int) -> str:
        if k not in temps:
            temps[k] = names.take(f"c{k}")
        return temps[k]

    has_grad: set[Value] = set()
    if out in var:
        lines.append(f"    {gvar[out]} = grad_out")
        has_grad.add(out)
    for node in reversed(computed):
        if node not in has_grad:  # nothing flows here: the output does not depend on it
            continue
        targets: list[str] = []
        after: list[tuple[Value, str]] = []
        for k, parent in enumerate(node.parents):
            if parent in constant:
                targets.append("_")
            elif parent not in has_grad:
                targets.append(gvar[parent])
                has_grad.add(parent)
            else:  # a second path to this parent: its contributions add (the chain rule)
                targets.append(temp(k))
                after.append((parent, temp(k)))
        call = _rule_call(node, gvar[node], ref, functions)
        comment = functions.rule_comment(node, [ref(n) for n in (node, *node.parents)])
        if len(targets) == 1:
            lines += _statement(f"{targets[0]} = {call}[0]", comment)
        else:
            lines += _statement(f"{', '.join(targets)} = {call}", comment)
        for p, c in after:
            lines += _statement(f"{gvar[p]} = {gvar[p]} + {c}", f"{var[p]} is used again: add")
    grads_in = [gvar[leaf] if leaf in has_grad else "0.0" for leaf in leaves]
    grads_p = [gvar[p] if p in has_grad else "0.0" for p in params]
    lines += _statement(f"return {ref(out)}, ({_tuple(grads_in)}), ({_tuple(grads_p)})", "")
    return "\n".join(lines) + "\n", namespace


def _hoisted(computed: list[Value], constant: dict[Value, float]) -> list[Value]:
    """The constants worth a name of their own: labelled ones, ones used more than once, and
    numbers too long to read inline (a captured 0.18964920976086663); in creation order."""
    uses: dict[Value, int] = {}
    for node in computed:
        for parent in node.parents:
            if parent in constant:
                uses[parent] = uses.get(parent, 0) + 1
    return sorted(
        (
            node
            for node, count in uses.items()
            if node._label or count > 1 or len(_literal(constant[node])) > 6
        ),
        key=lambda node: node._order,
    )


def _constants(order: list[Value], inputs: set[Value], params: set[Value]) -> dict[Value, float]:
    """Nodes that depend on no input and no parameter, with their (frozen) numbers."""
    constant: dict[Value, float] = {}
    for node in order:
        if node in inputs or node in params:
            continue
        if not node.op or all(p in constant for p in node.parents):
            if node._hooks:
                raise ValueError(f"trace cannot replay the hook on {node!r}; remove it first")
            constant[node] = node._data
        elif node._hooks:
            raise ValueError(
                f"trace cannot replay register_hook hooks, and {node!r} has one; remove it "
                "(handle.remove()) or run this graph eagerly"
            )
    for node in (*inputs, *params):
        if node._hooks:
            raise ValueError(
                f"trace cannot replay register_hook hooks, and {node!r} has one; remove it "
                "(handle.remove()) or run this graph eagerly"
            )
    return constant


def _rule_of(node: Value) -> tuple[Any, dict[str, Any]]:
    """A node's rule and the constants bound to it (`**2`: c = 2.0)."""
    rule = node._backward
    if isinstance(rule, partial):
        return rule.func, dict(rule.keywords)
    return rule, {}


def _forward_expression(node: Value, ref: Callable[[Value], str], functions: _Functions) -> str:
    base, constants = _rule_of(node)
    op = ops.op_of(base)
    if op is None:
        raise ValueError(f"trace does not know the op {node.op!r} (rule {brief(base)})")
    args = [ref(p) for p in node.parents]
    if op in _OPERATORS:
        return _OPERATORS[op].format(*args)
    fn = functions.forward(node, op)
    if op is ops.sum or op is ops.shift:
        return f"{fn}([{', '.join(args)}])"
    if op is ops.dot:
        half = len(args) // 2
        return f"{fn}(({_tuple(args[:half])}), ({_tuple(args[half:])}))"
    return f"{fn}({', '.join(args + [_literal(v) for v in constants.values()])})"


def _rule_call(node: Value, g: str, ref: Callable[[Value], str], functions: _Functions) -> str:
    base, constants = _rule_of(node)
    name = functions.rule(node, base)
    args = [g, ref(node)] + [ref(p) for p in node.parents]
    args += [f"{key}={_literal(value)}" for key, value in constants.items()]
    return f"{name}({', '.join(args)})"


class _Names:
    """Unique Python names for the program's variables and functions."""

    def __init__(self) -> None:
        self.used: set[str] = set(_RESERVED)

    def take(self, wanted: object) -> str:
        base = identifier(wanted) if isinstance(wanted, str) else "f"
        candidate, k = base, 2
        while candidate in self.used:
            candidate, k = f"{base}_{k}", k + 1
        self.used.add(candidate)
        return candidate


class _Functions:
    """The op functions and rules the program calls, bound to names in its namespace."""

    def __init__(self, namespace: dict[str, Any], names: _Names) -> None:
        self.namespace, self.names = namespace, names
        self.bound: dict[Any, str] = {}
        self.each: set[Any] = set()  # custom ops that run element by element

    def _bind(self, key: Any, wanted: str, obj: Any = None) -> str:
        """The name of `key` in the namespace (bound to `obj`, default `key` itself)."""
        if key not in self.bound:
            self.bound[key] = self.names.take(wanted)
            self.namespace[self.bound[key]] = key if obj is None else obj
        return self.bound[key]

    def forward(self, node: Value, op: Callable[..., Any]) -> str:
        if hasattr(op, "user_forward") and op not in self.bound:
            if op in self.each or not _takes_arrays(node, op):
                self.each.add(op)
                return self._bind(op, op.__name__, _elementwise(op))
        kernel = getattr(op, "forward")  # noqa: B009  (the op minus its check for Values)
        return self._bind(op, op.__name__, kernel)

    def rule(self, node: Value, rule: Any) -> str:
        if ops.op_of(rule) in self.each:
            return self._bind(rule, rule.__name__, _elementwise(rule))
        return self._bind(rule, rule.__name__)

    def rule_comment(self, node: Value, names: list[str]) -> str:
        """The rule's formula, with what its letters stand for here: `*: dz/dx = y, dz/dy = x
        (z = t4, x = x, y = w)`. `names` are the node's and its parents' names in the code."""
        base, _ = _rule_of(node)
        op = ops.op_of(base)
        rule = getattr(op, "user_rule", base)
        if op is not None and hasattr(op, "user_rule"):
            note = ", element by element" if op in self.each else ""
            formula = f"{node.op}: your rule{note}"
        else:
            text = ops._formula_of(base).splitlines()[0] if ops._formula_of(base) else ""
            derivative = ", ".join(part for part in re.split(r"\s{3,}", text)[1:] if part)
            formula = f"{node.op}: {derivative}" if derivative else str(node.op)
        letters = _letters(rule)
        if letters and len(letters) == len(names):
            formula += f"  ({', '.join(f'{a} = {b}' for a, b in zip(letters, names))})"
        return formula


def _letters(rule: Callable[..., Any]) -> list[str]:
    """What a rule calls the output and the inputs, (z, x, y) for mul_backward(g, z, x, y);
    [] for a rule of any number of inputs (sum, dot)."""
    try:
        parameters = list(inspect.signature(rule).parameters.values())[1:]
    except (TypeError, ValueError):
        return []
    if any(p.kind is p.VAR_POSITIONAL for p in parameters):
        return []
    return [p.name for p in parameters if p.kind is p.POSITIONAL_OR_KEYWORD]


def _takes_arrays(node: Value, op: Any) -> bool:
    """Whether a custom op's forward and rule compute a batch element by element correctly."""
    arrays = [np.array([p._data, p._data]) for p in node.parents]
    try:
        with np.errstate(all="ignore"):
            z = op.forward(*arrays)
            sent = op.rule(np.ones(2), z, *arrays)
        if not (isinstance(z, np.ndarray) and z.shape == (2,) and _close(z[0], node._data, 0)):
            return False
        scalar = node.local_grads(1.0)
        return len(sent) == len(scalar) and all(
            np.shape(c) in ((), (2,)) and _close(float(np.broadcast_to(c, (2,))[1]), s, 1e-12)
            for c, s in zip(sent, scalar)
        )
    except Exception:  # it is the user's code: whatever it raises on arrays, loop instead
        return False


def _elementwise(fn: Callable[..., Any]) -> Callable[..., Any]:
    """`fn` applied sample by sample when any argument is an array (a custom op's fallback)."""

    def each(*args: Any, **kwargs: Any) -> Any:
        batch = next((len(a) for a in args if type(a) is np.ndarray), None)
        if batch is None:
            return fn(*args, **kwargs)
        rows = [
            fn(*[float(a[i]) if type(a) is np.ndarray else a for a in args], **kwargs)
            for i in range(batch)
        ]
        if isinstance(rows[0], tuple):
            return tuple(np.array([float(r[k]) for r in rows]) for k in range(len(rows[0])))
        return np.array([float(r) for r in rows])

    each.__name__ = getattr(fn, "__name__", "op")
    return each


def _statement(statement: str, comment: str) -> list[str]:
    """One statement, indented, with its comment; wrapped inside its brackets when long.

    Every comment of the program passes here, and through `_plain`: text never becomes code."""
    comment = _plain(comment)
    line = f"    {statement}"
    if comment and len(line) + 4 + len(comment) <= WIDTH:
        return [f"{line.ljust(min(WIDTH - len(comment) - 4, 52))}  # {comment}"]
    head = [f"    # {comment}"] if comment else []
    if len(line) <= WIDTH:
        return head + [line]
    if statement.startswith("return "):
        statement = f"return ({statement[7:]})"
    else:
        target, _, value = statement.partition(" = ")
        if "," in target and not target.startswith("("):
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


def _literal(x: float) -> str:
    return repr(float(x))  # inf, -inf and nan are names in the namespace; -0.0 stays -0.0


def _plain(text: object) -> str:
    """Return `text` safe inside a comment or a docstring of the generated source.

    The one escaping path for text that reaches the program (op names, labels, the function's
    name, formulas): every character that is not printable (a newline, a carriage return, a
    line or paragraph separator) is written as its escape, so the text stays on its line and
    no comment can end early; a backslash and a double quote are escaped too, so a docstring
    holds them as they are (`C:\\users`, `"`) instead of reading an escape or its end."""
    shown = []
    for char in str(text):
        if char == "\\" or char == '"':
            shown.append("\\" + char)
        elif char.isprintable():
            shown.append(char)
        else:
            shown.append(repr(char)[1:-1])
    return "".join(shown)


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


def _fn_name(fn: Callable[..., Any]) -> str:
    """fn's name for messages and the docstring: its __name__ when that is a str."""
    name = getattr(fn, "__name__", None)
    return name if isinstance(name, str) else type(fn).__name__
