"""Compiled replay: trace a function's graph once, then run it as straight-line code.

    prog = trace(lambda x, w, b: (x * w + b).tanh(), 0.5, -2.0, 0.3)
    print(prog.source)               # the forward pass and the chain rule, as code
    prog(0.5, -2.0, 0.3)             # a float, with no Value built
    prog(xs, -2.0, 0.3)              # xs a NumPy array: one output per sample
    out, input_grads, param_grads = prog.grad(xs, -2.0, 0.3)

`trace` calls the function once on leaf Values and compiles the graph it built, in a pipeline
whose every stage can be printed (STYLE §14):

    graph  ->  equations (the IR, `prog.ir`)  ->  passes  ->  printer  ->  `prog.source`
                                                  lift               the code that runs
                                                  differentiate
                                                  drop_unread

`build` turns each node into one equation (`t4 = mul x w`). `lift` (on by default) turns a
layer's `dot` nodes that read one input vector into one `matmul` over a weight matrix gathered
from the parameters, and the element-wise ops over such groups into array ops (`relu(s1)` on a
whole layer); what does not fit stays scalar. `differentiate` appends the chain rule of that
graph, one equation per op, each calling the op's own rule from `autograd.ops` (one copy of
every rule: the same one `backward()` runs on floats). `drop_unread` removes what nothing reads
(input gradients when only the parameters' are wanted). The printer writes the Python function,
which is compiled with `compile()` and run as it is: `prog.source` is the code that runs.

What a trace can and cannot follow, as with `torch.jit.trace`: the graph is recorded for the
example inputs, so a Program is right for inputs on which the function builds a graph of the
same shape. Branches inside one op (relu, abs, the kinks of pow) are part of the op and work
element by element; a Python `if` on a Value's data, a loop whose length depends on the data, or
a class index read from the data are frozen at their traced outcome, and so is where a rule
sends None (no gradient: shift, or a custom rule's None) rather than a number.
`Program.check(*inputs)` builds the graph eagerly for given inputs and says where it differs
from the trace.

What else holds:
- `detect_anomaly()` does not reach inside a Program: replay (`prog(...)`, `prog.grad`,
  `prog.backward`) computes on floats and NumPy arrays, makes no Value, and returns nan and inf
  as numbers without raising. Tracing itself runs `fn` on Values and is watched; to find the op
  that made a nan, call `fn` eagerly on that sample's inputs inside `detect_anomaly()`.
- A NumPy masked array is read as its data: the mask is dropped, masked entries are computed
  like the others, and results are plain arrays; pass `x.filled(value)` or `x.compressed()`
  when the mask matters.
- A batch runs NumPy's kernels, which differ from `math`'s by up to 4 ulp (see `autograd.ops`),
  and sums over the batch may add in another order: a batch agrees with eager to about 1e-12
  relative on a well-conditioned function, not bit for bit. One sample given as floats runs the
  float kernels, as eager does.
"""

from __future__ import annotations

import builtins
import inspect
import keyword
import math
import operator
from collections.abc import Callable, Sequence
from functools import partial
from operator import attrgetter
from typing import Any

import numpy as np

from autograd import ops
from autograd._memory import keep_freed_blocks
from autograd.backward import _collector_paused, grad, node_namer, topological_order
from autograd.steps import formula
from autograd.value import Value, _recording, brief, identifier, to_float

__all__ = ["IR", "Equation", "Program", "TraceMismatchError", "trace"]

WIDTH = 96  # generated lines are wrapped near this width
LINES_SHOWN = 2000  # a larger program's `source` shows its start and end; `full_source` all
_data_of = attrgetter("_data")

# Names the program uses itself; op names may shadow builtins (`sum`, `abs`, `pow`).
_RESERVED = set(keyword.kwlist) | {
    "grad_out",
    "inf",
    "nan",
    "program",
    "_",
    "p",
    "g_p",
    "n",
    "np",
    "columns",
    "put_column",
    "rows",
    "across",
    "total",
    "zeros",
    "add_at",
    "where",
}


class TraceMismatchError(ValueError):
    """`Program.check` found inputs where the traced program and the eager graph disagree."""


def trace(
    fn: Callable[..., Value],
    *example_inputs: float,
    params: Sequence[Value] = (),
    lift: bool = True,
) -> Program:
    """Return a `Program`: `fn`'s graph, traced once at the example inputs, as straight-line code.

    `fn(*values)` must return one scalar Value. Each example input is a real number; `fn` is
    called once on fresh leaf Values made from them (named after `fn`'s parameters). `params`
    are the Values `fn` reads without taking them as arguments (a model's `parameters()`): the
    Program reads their `.data` afresh at every call, so optimizer updates are seen, and
    reports their gradients. Every other Value `fn` reads is a constant, frozen now.

    With `lift=True` (the default) a layer's `dot` nodes that read one input vector run as one
    matrix product, `x @ W.T` over a weight matrix gathered from the parameters at each call,
    and the element-wise ops over such groups as array ops (see `autograd.trace`'s module
    docstring and docs/lifting.md); the numbers agree with `lift=False`, one statement per
    node, to about 1e-12 relative (sums may add in another order).

    The Program is valid for inputs on which `fn` builds a graph of the same shape (the same ops
    in the same order; the numbers may change). See `Program.check`.

    >>> prog = trace(lambda x, y: x * y + y.tanh(), 2.0, 0.5)
    >>> prog(2.0, 0.5) == 2.0 * 0.5 + math.tanh(0.5)
    True
    """
    if not callable(fn):
        raise TypeError(f"trace needs a callable fn, got {type(fn).__name__}: {brief(fn)}")
    if not isinstance(lift, bool):
        raise TypeError(f"trace(lift=...) must be True or False, got {type(lift).__name__}")
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
    return Program(fn, out, leaves, parameters, lift=lift)


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
    """A traced graph as straight-line code: call it on numbers or on NumPy batches.

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
    prog.ir                         the equations it was printed from (`print(prog.ir)`)

    `source` is the code that actually runs: it is generated once, compiled with `compile()`,
    and called with the inputs, the parameters' current data and `grad_out`, the gradient fed
    in at the output. Its op names (`tanh`, `dot`, ...) are bound to the ops' kernels, what
    `autograd.ops.tanh` computes for numbers and arrays, and its rules are the ops' own rules.
    A custom op whose forward or rule cannot take arrays runs element by element (its line says
    so). `backward()` runs a second program printed from the same equations without the input
    gradients nobody reads there.
    """

    def __init__(
        self,
        fn: Callable[..., Value],
        out: Value,
        leaves: list[Value],
        params: tuple[Value, ...],
        lift: bool = True,
    ) -> None:
        self.fn = fn
        self.inputs: tuple[str, ...] = tuple(leaf._label for leaf in leaves)
        self.params = params
        self.lifted = lift
        self._examples = [leaf._data for leaf in leaves]
        # The pipeline makes no reference cycles: the cyclic collector, left on, would walk
        # every node and equation again and again while a large graph is compiled.
        with _collector_paused():
            order = topological_order(out)
            self._signature = _structure(order, leaves, params)
            self.ops = builtins.sum(1 for node in order if node.op)
            built = build(fn, out, order, leaves, params)
            del order
            self.ir: IR = differentiate(lift_groups(built) if lift else built)
            self.flat = self.ir.flat  # parameters as one array p (a lifted program)
            # one sample on floats runs the unlifted program: the eager kernels, bit for bit
            self._built = built if self.flat and leaves else None
            self._runs: dict[tuple[str, bool], Callable[..., Any]] = {}
            self._runs["grad", False] = _compiled(self.ir)
        self._source = ""

    @property
    def source(self) -> str:
        """The code that runs, as Python: the forward pass and the chain rule. A program of more
        than LARGE equations is not compiled (its equations run in a loop, the same steps) and
        its source shows the first and last LINES_SHOWN // 2 lines; `full_source` prints all."""
        if not self._source:
            if _is_large(self.ir):
                self._source = _summary(self.ir)
            else:
                self._source = print_source(self.ir)[0]
        return self._source

    @property
    def full_source(self) -> str:
        """The whole source, however long (a million-node graph prints about 200 MB)."""
        return self.source if not _is_large(self.ir) else print_source(self.ir)[0]

    @property
    def equations(self) -> list[Equation]:
        """The program's equations, forward then backward (see `IR`)."""
        return self.ir.forward + self.ir.backward

    @property
    def _run(self) -> Callable[..., Any]:
        return self._runs["grad", False]

    def __repr__(self) -> str:
        return (
            f"<Program {_fn_name(self.fn)}({', '.join(self.inputs)}): {self.ops} ops, "
            f"{len(self.params)} parameters>"
        )

    # ---- running ----

    def __call__(self, *inputs: Any) -> Any:
        xs, n = self._prepare(inputs)
        if n is None:  # one sample: the float kernels, which NumPy does not see
            return float(self._runner("grad", True)(*xs, *self._single_params()))
        with np.errstate(all="ignore"):
            out = self._runs["grad", False](*self._columns(xs, n), *self._param_data(n))
        return _per_sample(out, n)

    def grad(self, *inputs: Any) -> tuple[Any, list[Any], list[float]]:
        """Return (outputs, input_grads, param_grads); see the class docstring."""
        xs, n = self._prepare(inputs)
        seed = 1.0 if n is None else np.ones(n)
        out, input_grads, totals = self._replay("grad", xs, n, seed)
        with np.errstate(all="ignore"):  # sums over the batch: inf + -inf is nan, quietly
            shaped = [
                _per_sample(g, n) if n is not None and type(x) is np.ndarray else _total(g, n)
                for g, x in zip(input_grads, xs)
            ]
        return _per_sample(out, n), shaped, totals

    def backward(self, *inputs: Any, reduce: str = "mean") -> float:
        """Return the mean (or sum) of the outputs; add its gradient to each parameter's .grad.

        The same numbers as building every sample's graph eagerly, reducing with
        `autograd.sum(outputs) / n` (or without the division) and calling `.backward()`, up to
        rounding: a batch runs NumPy's kernels (within 4 ulp of `math`'s, see `autograd.ops`)
        and its sums may add in another order, about 1e-12 relative on a well-conditioned loss.
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
        out, _, totals = self._replay("backward", xs, n, seed)
        for p, g in zip(self.params, totals):
            p.grad += g
        if np.ndim(out) == 0:
            outputs = [float(out)] * count
        else:
            outputs = np.broadcast_to(out, (count,)).tolist()
        total = builtins.sum(outputs, 0.0)
        return ops.div(total, float(count)) if reduce == "mean" else total

    def _runner(self, variant: str, single: bool = False) -> Callable[..., Any]:
        """The compiled program for `variant`, "grad" (everything) or "backward" (no input
        gradients: printed from the same equations after `drop_unread`); with `single`, for
        one sample on floats (a lifted Program's unlifted twin). Each is made at first use."""
        single = single and self._built is not None
        run = self._runs.get((variant, single))
        if run is None:
            ir = differentiate(self._built) if single and self._built is not None else self.ir
            run = _compiled(ir if variant == "grad" else drop_unread(ir, inputs=False))
            self._runs[variant, single] = run
        return run

    def _replay(
        self, variant: str, xs: list[Any], n: int | None, seed: Any, summed: bool = True
    ) -> tuple[Any, tuple[Any, ...], Any]:
        """(output, input gradients, parameter gradients): those summed over the batch into a
        list of floats, or (`summed=False`) as the program returned them."""
        if type(seed) is float:  # one sample: the float kernels, which NumPy does not see
            run = self._runner(variant, True)
            out, input_grads, param_grads = run(*xs, *self._single_params(), grad_out=seed)
            return out, input_grads, [float(g) for g in param_grads] if summed else param_grads
        if self.flat:
            keep_freed_blocks()  # its arrays, freed at each call's end, reused at the next
        run = self._runner(variant)
        with np.errstate(all="ignore"):  # sums over the batch: inf + -inf is nan, quietly
            out, input_grads, param_grads = run(
                *self._columns(xs, n), *self._param_data(n), grad_out=seed
            )
            if summed:
                param_grads = param_grads.tolist() if self.flat else _totals(param_grads, n)
        return out, input_grads, param_grads

    def _single_params(self) -> list[Any]:
        """The parameters' data for one sample: floats, or `p` for a lifted program that has
        no unlifted twin (one without inputs: an L2 penalty)."""
        if self.flat and self._built is None:
            return self._param_data(None)
        return list(map(_data_of, self.params))

    def _columns(self, xs: list[Any], n: int | None) -> list[Any]:
        """The inputs as the program takes them: a lifted program takes every input as a
        column of one length n (a number broadcast; one sample is a batch of one)."""
        if not self.flat:
            return xs
        length = 1 if n is None else n
        return [x if type(x) is np.ndarray else np.full(length, x) for x in xs]

    def _param_data(self, n: int | None) -> list[Any]:
        """The parameters' data now: in a lifted program one float64 array `p` (gathered into
        matrices by index); else floats for one sample and, for a batch, 0-d arrays, which
        NumPy multiplies with an array faster than a Python float (the same numbers)."""
        if self.flat:
            return [np.fromiter(map(_data_of, self.params), np.float64, len(self.params))]
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

        A batch may round otherwise than eager (NumPy's kernels are within 4 ulp of `math`'s,
        a lifted layer sums in BLAS's order, and a rule such as tanh's 1 - z² can magnify an
        ulp near saturation): where a batch's number differs, the sample is run alone on
        floats, with eager's kernels, and only a difference there is a mismatch.
        """
        xs, n = self._prepare(inputs)
        out, input_grads, param_grads = self._replay(
            "grad", xs, n, 1.0 if n is None else np.ones(n), summed=False
        )
        for i in range(1 if n is None else n):
            sample = [float(x[i]) if type(x) is np.ndarray else x for x in xs]
            leaves = [Value(x, name) for x, name in zip(sample, self.inputs)]
            with _recording():
                eager = self.fn(*leaves)
            where = f"sample {i}" if n is not None else "these inputs"
            if not isinstance(eager, Value):
                raise TraceMismatchError(f"at {where}, fn returned {type(eager).__name__}")
            order = topological_order(eager)
            differs = self._first_difference(order, leaves)
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
            if self.flat:  # the program sums the parameters' gradients: run this sample alone
                ours += self.grad(*sample)[2]
            else:
                ours += [_pick(g, i) for g in param_grads]
            what = ["the output", *[f"d out/d {name}" for name in self.inputs]]
            what += [
                f"d out/d params[{j}] ({p._label or 'unlabelled'})"
                for j, p in enumerate(self.params)
            ]
            if n is not None and not all(map(_close, ours, theirs, [rtol] * len(ours))):
                # a batch rounds otherwise than eager (NumPy's kernels, BLAS's sums): the
                # sample alone runs on floats, eager's kernels, and only a difference there
                # says the trace does not hold
                out_alone, input_alone, param_alone = self.grad(*sample)
                ours = [out_alone, *input_alone, *param_alone]
            for label, a, b in zip(what, ours, theirs):
                if not _close(a, b, rtol):
                    raise TraceMismatchError(
                        f"at {where}, {label} is {a!r} in the Program but {b!r} eagerly "
                        f"(rtol {rtol:g}); a constant captured at trace time may have changed, "
                        "or fn reads a Value's .data"
                    )
        return True

    def _first_difference(self, order: list[Value], leaves: list[Value]) -> str:
        """Where this sample's graph parts from the traced one, in words ("" if nowhere)."""
        eager = _structure(order, leaves, self.params)
        traced = self._signature
        for k, (a, b) in enumerate(zip(traced, eager)):
            if a != b:
                ours = self._retraced()  # the traced graph again, to name its nodes
                return (
                    f"the {_ordinal(k + 1)} node the trace recorded is "
                    f"{_said(ours[0][k], ours[1], ours[2], ours[3])}; in this sample's graph "
                    f"the {_ordinal(k + 1)} node is "
                    f"{_said(order[k], node_namer(order), set(leaves), set(self.params))}"
                )
        if len(traced) != len(eager):
            return f"the trace recorded {len(traced)} nodes, this sample's graph has {len(eager)}"
        return ""

    def _retraced(self) -> tuple[list[Value], Callable[[Value], str], set[Value], set[Value]]:
        leaves = [Value(x, name) for x, name in zip(self._examples, self.inputs)]
        with _recording():
            out = self.fn(*leaves)
        order = topological_order(out)
        return order, node_namer(order), set(leaves), set(self.params)


def _said(node: Value, name: Callable[[Value], str], inputs: set[Value], params: set[Value]) -> str:
    """A node as a learner would name it: `#5 = relu(#4)`, `the input x`, `the constant 2.0`."""
    if node.op:
        return name(node) + formula(node, name)
    if node in inputs:
        return f"the input {name(node)}"
    if node in params:
        return f"the parameter {name(node)}"
    return f"the constant {node._data!r}"


def _ordinal(k: int) -> str:
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix}"


# ---- shapes and sums over the batch ----


def _per_sample(value: Any, n: int | None) -> Any:
    """The output (or a gradient) as the caller gets it: a float for one sample, else one
    number per sample (a value that does not depend on the inputs is repeated n times)."""
    if n is None:
        return float(value) if np.ndim(value) == 0 else float(value[0])
    if type(value) is np.ndarray and value.ndim == 1:
        return value
    return np.full(n, float(value))


def _total(value: Any, n: int | None) -> float:
    if type(value) is np.ndarray and value.ndim:
        return float(value.sum())
    return float(value) * (1 if n is None else n)


def _totals(grads: tuple[Any, ...], n: int | None) -> list[float]:
    """Each gradient summed over the batch; the arrays in one NumPy call, not one each."""
    if n is None:  # one sample on floats: they are the totals already
        return [float(g) for g in grads]
    arrays = [k for k, g in enumerate(grads) if type(g) is np.ndarray and g.ndim]
    summed = set(arrays)
    totals = [0.0 if k in summed else _total(g, n) for k, g in enumerate(grads)]
    if arrays:
        for k, s in zip(arrays, np.array([grads[k] for k in arrays]).sum(axis=1).tolist()):
            totals[k] = s
    return totals


def _as_batch(xs: list[Any], n: int | None) -> list[Any]:
    length = 1 if n is None else n
    return [x if type(x) is np.ndarray else np.full(length, x) for x in xs]


def _pick(value: Any, i: int) -> float:
    return float(value[i]) if type(value) is np.ndarray and value.ndim else float(value)


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


# ---- the IR: a program as a list of equations ----

# What a variable holds, per call: `sample` one number per sample (shape (n,), or a float for
# one sample), `fixed` one number for all samples (computed from parameters and constants),
# `param` a parameter's number, `const` a constant frozen at trace time; and in a lifted
# program `block` a (n, k) array (one column per node of a group), `vector` (k,) and `matrix`
# (k, m) gathered from the parameters, `constants` a (k,) or (k, m) array of constants.
SAMPLE, FIXED, PARAM, CONST = "sample", "fixed", "param", "const"
BLOCK, VECTOR, MATRIX, CONSTANTS = "block", "vector", "matrix", "constants"


_EMPTY: dict[str, Any] = {}  # the keywords of an equation that has none (shared, never changed)
_NO_WIDEN: frozenset[int] = frozenset()


class Equation:
    """One line of the IR: `outs = op args`, printed like a jaxpr's equation.

    op        what the equation does. Forward: "apply" (the record's kernel: `t4 = mul x w`),
              "column" (column j of a block), "stack" (columns into a block), "gather" (a
              matrix or vector from the parameters), "pick" (one parameter). Backward: "seed",
              "rule" (the record's rule, one target per input, "_" where none is wanted),
              "part" (one contribution of matmul's rule), "add", "unstack", "put_column",
              "rows" / "across" (a contribution summed over the samples / over a block's
              columns), "zeros", "scatter" (gradients into the flat parameter gradient g_p),
              "none" (an op that sends no gradient back: printed as a comment, runs nothing).
    args      variable names or literal numbers
    record    the op's `ops.Op` for "apply", "rule" and "part"
    keywords  constants of the equation (`c=2.0` bound to `**c`; `j` of a column; ...)
    widen     positions of args that are one number per sample read by a block op (`x[:, None]`)
    none_to   positions of args the op's rule sends None to: no gradient flows there, so the
              chain rule writes nothing for them (all of them for shift)
    nodes     the graph's node numbers (#k) it covers
    shown     the nodes' op as the graph shows it (`**2`, or a name a user gave)
    note      what a reader should know (printed as the line's comment)
    """

    __slots__ = (
        "outs",
        "op",
        "args",
        "record",
        "keywords",
        "widen",
        "none_to",
        "nodes",
        "shown",
        "note",
    )

    def __init__(
        self,
        outs: list[str],
        op: str,
        args: list[str],
        record: ops.Op | None = None,
        keywords: dict[str, Any] | None = None,
        widen: frozenset[int] = _NO_WIDEN,
        none_to: frozenset[int] = _NO_WIDEN,
        nodes: tuple[int, ...] = (),
        shown: str = "",
        note: str = "",
    ) -> None:
        self.outs, self.op, self.args, self.record = outs, op, args, record
        self.keywords = _EMPTY if keywords is None else keywords  # never changed in place
        self.widen, self.none_to, self.nodes, self.shown = widen, none_to, nodes, shown
        self.note = note

    def copy(self, **changes: Any) -> Equation:
        fields = {name: getattr(self, name) for name in self.__slots__}
        fields.update(changes)
        return Equation(**fields)

    def __str__(self) -> str:
        name = self.op
        if self.record is not None:
            name = {
                "apply": self.record.python,
                "rule": self.record.rule.__name__,
                "reduce": f"{self.record.python}.columns",
                "rule_reduce": f"{self.record.rule.__name__}.columns",
            }.get(self.op, f"{self.record.rule.__name__}.{self.op}")
        shown = {k: v for k, v in self.keywords.items() if k != "each"}
        keywords = f"[{', '.join(f'{k}={_plain(v)}' for k, v in shown.items())}]" if shown else ""
        args = [f"{a}[:, None]" if k in self.widen else a for k, a in enumerate(self.args)]
        text = f"{name}{keywords} {' '.join(args)}".rstrip()
        if self.outs:
            text = f"{', '.join(self.outs)} = {text}"
        note = _joined(_nodes_text(self.nodes), self.note)
        return f"{text}  # {_plain(note)}" if note else text

    __repr__ = __str__


class IR:
    """A traced program as data: its variables, and its equations, forward then backward.

    `str(ir)` prints it like a jaxpr, one equation a line:

        { lambda x w b ; grad_out .
          t4 = mul x w  # #4
          ...
          g_x, g_w = mul_backward g_t4 t4 x w  # #4
          in ( t6 ; g_x ; g_w g_b ) }

    Each pass (`lift_groups`, `differentiate`, `drop_unread`) takes an IR and returns a new
    one; `print_source` turns one into the Python function that runs.
    """

    def __init__(self) -> None:
        self.names = _Names()
        self.inputs: list[str] = []
        self.params: list[str] = []  # each parameter's name (a lifted program: picked from p)
        self.labels: list[str] = []  # each parameter's label, for comments
        self.flat = False  # parameters come as one array p, their gradients go to g_p
        self.constants: dict[str, float] = {}  # hoisted constants, by name
        self.arrays: dict[str, np.ndarray] = {}  # index arrays and constant arrays, by name
        self.kind: dict[str, str] = {}
        self.width: dict[str, int] = {}  # a block's or a vector's k
        self.layer: dict[str, str] = {}  # a block's layer number, for the names of what follows
        self.forward: list[Equation] = []
        self.backward: list[Equation] = []
        self.output = ""
        self.input_grads: list[str] = []
        self.param_grads: list[str] = []
        self.each: set[ops.Op] = set()  # custom ops that run element by element
        self.fn_name = ""
        self.counts = (0, 0, 0)  # inputs, parameters, ops of the graph

    def copy(self) -> IR:
        new = IR.__new__(IR)
        new.__dict__.update(self.__dict__)
        new.names = self.names.copy()
        for field in ("inputs", "params", "labels", "forward", "backward"):
            setattr(new, field, list(getattr(self, field)))
        for field in ("constants", "arrays", "kind", "width", "layer"):
            setattr(new, field, dict(getattr(self, field)))
        new.input_grads, new.param_grads = list(self.input_grads), list(self.param_grads)
        return new

    def __str__(self) -> str:
        given = [*self.inputs, *(["p"] if self.flat else self.params)]
        lines = [f"{{ lambda {' '.join(given)} ; grad_out ."]
        lines += [f"  {name} = const {value!r}" for name, value in self.constants.items()]
        lines += [f"  {eq}" for eq in self.forward + self.backward]
        grads = " ".join(self.param_grads)
        lines.append(f"  in ( {self.output} ; {' '.join(self.input_grads)} ; {grads} ) }}")
        return "\n".join(lines)


def _nodes_text(nodes: tuple[int, ...]) -> str:
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


# ---- graph -> equations ----


def build(
    fn: Callable[..., Any],
    out: Value,
    order: list[Value],
    leaves: list[Value],
    params: tuple[Value, ...],
) -> IR:
    """Return the IR of the forward pass: one equation per node, inputs before outputs.

    Variables are named after labels where there are labels, else `t<k>` for node #k of the
    drawings and of backward_steps (`k<k>` for a constant worth a name of its own).
    """
    ir = IR()
    ir.fn_name = _fn_name(fn)
    names = ir.names
    inputs, parameters = set(leaves), set(params)
    constant = _constants(order, inputs, parameters)
    var: dict[Value, str] = {}
    for leaf in leaves:
        var[leaf] = names.take(leaf._label)
        ir.kind[var[leaf]] = SAMPLE
    for j, p in enumerate(params):
        var[p] = names.take(p._label or f"p{j}")
        ir.kind[var[p]] = PARAM
    ir.inputs = [var[leaf] for leaf in leaves]
    ir.params = [var[p] for p in params]
    ir.labels = [p._label for p in params]
    hoisted = _hoisted(order, constant)
    same_number: dict[str, str] = {}  # one name for one number (logsumexp's m, used thrice)
    computed = 0
    records: dict[Any, ops.Op | None] = {}
    kind = ir.kind
    kind_of = kind.get
    for k, node in enumerate(order, 1):  # t<k> and k<k>: node #k of drawings and steps
        if node in var:
            continue
        if node in constant:
            if node not in hoisted:
                continue
            literal = _literal(constant[node])
            if not node._label and literal in same_number:
                var[node] = same_number[literal]
                continue
            var[node] = names.take(node._label or f"k{k}")
            ir.constants[var[node]] = constant[node]
            ir.kind[var[node]] = CONST
            if not node._label:
                same_number[literal] = var[node]
            continue
        computed += 1
        name = var[node] = names.take(node._label or f"t{k}")
        rule = node._backward
        bound = _EMPTY
        if type(rule) is partial:
            bound = dict(rule.keywords)
            rule = rule.func
        record = records.get(rule)
        if record is None:
            record = records[rule] = ops.record_of(rule)
            if record is None:
                raise ValueError(f"trace does not know the op {node.op!r} (rule {brief(rule)})")
        args = [var[p] if p in var else _literal(constant[p]) for p in node.parents]
        if record.custom and record not in ir.each and not _takes_arrays(node, record.function):
            ir.each.add(record)
        none_to = _NO_WIDEN
        if record.sends_none or record not in _BUILT_IN:
            none_to = _sends_none(node, record)
        kinds = [kind_of(a) for a in args]
        kind[name] = SAMPLE if SAMPLE in kinds else FIXED
        ir.forward.append(
            Equation(
                [name], "apply", args, record, bound, none_to=none_to, nodes=(k,), shown=node.op
            )
        )
    ir.output = var[out] if out in var else _literal(out._data)
    ir.counts = (len(leaves), len(params), computed)
    return ir


_BUILT_IN = frozenset(getattr(ops, name).record for name in ops.OPS)


def _sends_none(node: Value, record: ops.Op) -> frozenset[int]:
    """The positions of the inputs a node's rule sends None to (no gradient flows there).

    An op whose record says so (shift) sends None to every input and the other built-in ops to
    none; for any other op (a custom op) it is what the rule returns at the example, read here
    once, as the graph's shape is: a rule that sends None for some numbers and not for others
    is a data-dependent branch the Program does not follow."""
    if record.sends_none:
        return frozenset(range(len(node.parents)))
    try:
        sent = node.local_grads(1.0)
    except Exception:  # it is the user's code: the Program's own call raises what it raises
        return _NO_WIDEN
    if not isinstance(sent, (tuple, list)):
        return _NO_WIDEN
    return frozenset(k for k, c in enumerate(sent) if c is None) or _NO_WIDEN


def _hoisted(order: list[Value], constant: dict[Value, float]) -> set[Value]:
    """The constants worth a name of their own: labelled ones, ones used more than once, and
    numbers too long to read inline (a captured 0.18964920976086663)."""
    uses: dict[Value, int] = {}
    for node in order:
        if node.op and node not in constant:
            for parent in node.parents:
                if parent in constant:
                    uses[parent] = uses.get(parent, 0) + 1
    return {
        node
        for node, count in uses.items()
        if node._label or count > 1 or len(_literal(constant[node])) > 6
    }


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


# ---- pass: lift groups of scalar nodes into array ops ----


def _elementwise(record: ops.Op | None) -> bool:
    """Whether an op computes each output from the same place of its inputs (so a group of its
    nodes is one array op): the built-in ops of one or two inputs, not a custom op."""
    return (
        record is not None
        and not record.custom
        and record.takes == ops.EACH
        and record.form in (ops.INFIX, ops.PREFIX, ops.SUFFIX, ops.CALL)
        and record is not ops.sign.record  # its rule sends the number 0.0, not an array
    )


def lift_groups(ir: IR) -> IR:
    """Return the IR with groups of scalar equations lifted into array equations.

    Seeds: `dot` equations that read the same input vector (the same variables in the same
    order, one of them at least per sample) against weights that are parameters or constants
    become one `matmul` of a matrix W (gathered from the parameters at each call) with the
    stacked inputs, `a = X @ W.T`: column i is dot i. Then an element-wise equation whose
    operand is column j of a lifted block, with one such equation for every column of the block
    in the same place, lifts with them: `s = a + b` (b gathered), `h = relu(s)`. The next
    layer's dots read h's columns in order, so they read h itself. Anything else stays scalar;
    a scalar equation that reads a lifted node reads its column (`t17 = h[:, 3]`). Linear in
    the number of equations.
    """
    new = ir.copy()
    eqs = ir.forward
    names = new.names
    readers: dict[str, list[int]] = {}  # variable -> the equations that read it
    for i, eq in enumerate(eqs):
        for a in dict.fromkeys(eq.args):
            readers.setdefault(a, []).append(i)
    leaf_kinds = (PARAM, CONST)
    param_at = {name: j for j, name in enumerate(ir.params)}

    def fixed_leaf(a: str) -> bool:
        return ir.kind.get(a, CONST) in leaf_kinds  # a literal is a constant too

    seeds: dict[tuple[str, ...], list[tuple[int, tuple[str, ...]]]] = {}
    for i, eq in enumerate(eqs):
        if eq.record is ops.dot.record:
            half = len(eq.args) // 2
            ws, xs = tuple(eq.args[:half]), tuple(eq.args[half:])
            for weights, vector in ((ws, xs), (xs, ws)):
                if all(map(fixed_leaf, weights)) and any(ir.kind.get(a) == SAMPLE for a in vector):
                    seeds.setdefault(vector, []).append((i, weights))
                    break
    first_seed = {members[0][0]: vector for vector, members in seeds.items()}

    out: list[Equation] = []
    column: dict[str, tuple[str, int]] = {}  # a lifted node's variable -> (block, its column)
    cols: dict[str, list[str]] = {}  # a block -> its nodes' variables, column by column
    ready: set[str] = set()  # lifted nodes whose column has been taken out for scalar readers
    absorbed: set[int] = set()
    layer = [0]

    def scalar(a: str) -> str:
        if a in column and a not in ready:
            block, j = column[a]
            out.append(Equation([a], "column", [block], keywords={"j": j}))
            ready.add(a)
        return a

    def gather(entries: list[list[str]], name: str, what: str) -> str:
        """A matrix (rows of entries) or a vector (one row) from parameters and constants."""
        at = np.array([[param_at.get(a, -1) for a in row] for row in entries], dtype=np.intp)
        fixed = np.array(
            [
                [ir.constants.get(a, 0.0) if a in ir.kind else float(a) for a in row]
                for row in entries
            ]
        )
        if what == VECTOR:
            at, fixed = at[0], fixed[0]
        var = names.take(name)
        if (at < 0).all():
            new.arrays[var] = fixed
            new.kind[var] = CONSTANTS
        else:
            new.arrays[f"{var}_at"] = at
            keywords: dict[str, Any] = {"at": f"{var}_at"}
            if (at < 0).any():
                new.arrays[f"{var}_fixed"] = fixed
                keywords["fixed"] = f"{var}_fixed"
            labels = [new.labels[k] for k in at.ravel() if k >= 0]
            shape = " × ".join(str(s) for s in at.shape)
            note = f"{shape}: {_pattern(labels)}"
            out.append(Equation([var], "gather", ["p"], keywords=keywords, note=note))
            new.kind[var] = what
            new.flat = True
        new.width[var] = at.shape[0]
        return var

    for i, eq in enumerate(eqs):
        if i in absorbed:
            continue
        if i in first_seed:
            vector = first_seed[i]
            members = seeds[vector]
            blocks = {column.get(a, ("", -1))[0] for a in vector}
            source = next(iter(blocks)) if len(blocks) == 1 else ""
            if (
                source
                and new.width.get(source) == len(vector)
                and all(column[a][1] == j for j, a in enumerate(vector))
            ):
                x = source  # the previous layer's block, in order: read it whole
            else:
                x = names.take("X")
                out.append(Equation([x], "stack", [scalar(a) for a in vector]))
                new.kind[x], new.width[x] = BLOCK, len(vector)
            layer[0] += 1
            new.flat = True  # a lifted program: columns of n samples in, p for the parameters
            w = gather([list(weights) for _, weights in members], f"W{layer[0]}", MATRIX)
            a = names.take(f"a{layer[0]}")
            new.layer[a] = str(layer[0])
            nodes = tuple(eqs[m].nodes[0] for m, _ in members)
            labels = (
                [new.labels[j] for j in new.arrays[f"{w}_at"].ravel() if j >= 0]
                if f"{w}_at" in new.arrays
                else []
            )
            out.append(
                Equation(
                    [a],
                    "apply",
                    [w, x],
                    ops.matmul.record,
                    nodes=nodes,
                    shown="dot",
                    note=_joined(_prefix(labels), _count(len(members), "neuron")),
                )
            )
            new.kind[a], new.width[a] = BLOCK, len(members)
            cols[a] = [eqs[m].outs[0] for m, _ in members]
            for j, (m, _) in enumerate(members):
                column[eqs[m].outs[0]] = (a, j)
                absorbed.add(m)
            continue
        if (
            eq.record is ops.dot.record
            and len(eq.args) >= 8
            and all(map(fixed_leaf, eq.args))
            and any(new.kind.get(a) == PARAM for a in eq.args)
        ):  # a dot of parameters (an L2 penalty's Σp·p): one product of two gathered vectors
            half = len(eq.args) // 2
            u = gather([eq.args[:half]], "u", VECTOR)
            v = u if eq.args[half:] == eq.args[:half] else gather([eq.args[half:]], "v", VECTOR)
            out.append(eq.copy(op="vdot", args=[u, v]))
            continue
        lifted = _try_group(i, eq, eqs, readers, column, cols, absorbed, new, fixed_leaf, gather)
        if lifted is not None:
            out += lifted
            continue
        whole = column.get(eq.args[0], ("", 0))[0] if eq.args else ""
        if (
            eq.record is not None
            and eq.record.takes == ops.LIST
            and not eq.record.custom
            and whole
            and new.width[whole] > 1
            and eq.args == cols[whole]
            and len(eq.none_to) in (0, len(eq.args))
        ):  # sum or shift of every node of a group, in order: the op on the block's columns
            none_to = frozenset({0}) if eq.none_to else _NO_WIDEN  # shift: none to the block
            out.append(eq.copy(op="reduce", args=[whole], none_to=none_to))
            continue
        out.append(eq.copy(args=[scalar(a) for a in eq.args]))
    if new.output in column:
        scalar(new.output)
    if new.flat:  # parameters come as one array p: the scalar uses pick theirs out of it
        used = {a for eq in out for a in eq.args if new.kind.get(a) == PARAM}
        if new.output in param_at:
            used.add(new.output)
        picks = [
            Equation([name], "pick", ["p"], keywords={"j": j})
            for j, name in enumerate(ir.params)
            if name in used
        ]
        out = picks + out
    new.forward = out
    return new


def _try_group(
    i: int,
    eq: Equation,
    eqs: list[Equation],
    readers: dict[str, list[int]],
    column: dict[str, tuple[str, int]],
    cols: dict[str, list[str]],
    absorbed: set[int],
    new: IR,
    fixed_leaf: Callable[[str], bool],
    gather: Callable[[list[list[str]], str, str], str],
) -> list[Equation] | None:
    """The array equations for the group `eq` starts (its members absorbed), or None."""
    if not _elementwise(eq.record) or eq.keywords.get("c") == 0.0 or eq.none_to:  # x**0: 0.0
        return None
    if eq.record is ops.pow.record and not (eq.args[1] in column or new.kind.get(eq.args[1])):
        return None  # a literal exponent: 0 would send the number 0.0, not an array
    place = next((k for k, a in enumerate(eq.args) if a in column), None)
    if place is None:
        return None
    block, _ = column[eq.args[place]]
    width = new.width[block]
    if width < 2:  # one node: nothing to gain, it stays a scalar line
        return None
    members: list[int] = []
    for a in cols[block]:
        found = next(
            (
                m
                for m in readers.get(a, ())
                if m not in absorbed
                and m >= i
                and eqs[m].record is eq.record
                and eqs[m].keywords == eq.keywords
                and len(eqs[m].args) == len(eq.args)
                and eqs[m].args[place] == a
            ),
            None,
        )
        if found is None:
            return None
        members.append(found)
    if i not in members:
        return None
    operands: list[str] = []
    widen: set[int] = set()
    prelude: list[Equation] = []
    inputs = set(new.inputs)
    for q in range(len(eq.args)):
        values = [eqs[m].args[q] for m in members]
        first = column.get(values[0])
        if (
            first is not None
            and new.width[first[0]] == width
            and all(column.get(v) == (first[0], j) for j, v in enumerate(values))
        ):
            operands.append(first[0])
        elif all(v == values[0] for v in values) and values[0] not in column:
            operands.append(values[0])
            if new.kind.get(values[0]) == SAMPLE:
                widen.add(q)
        elif all(map(fixed_leaf, values)) and not any(v in column for v in values):
            operands.append(gather([values], f"b{new.layer.get(block, '')}", VECTOR))
        elif len(set(values)) == width and all(v in inputs for v in values):
            stacked = new.names.take(f"{values[0].rstrip('0123456789') or 'x'}s")
            new.kind[stacked], new.width[stacked] = BLOCK, width
            prelude.append(Equation([stacked], "stack", values))  # inputs, one per column
            operands.append(stacked)
        else:
            return None
    layer = new.layer.get(block, "")
    infix = eq.record is not None and eq.record.form == ops.INFIX
    name = new.names.take(("s" if infix else "h") + layer)
    new.layer[name] = layer
    new.kind[name], new.width[name] = BLOCK, width
    cols[name] = [eqs[m].outs[0] for m in members]
    for j, m in enumerate(members):
        column[eqs[m].outs[0]] = (name, j)
        absorbed.add(m)
    nodes = tuple(sorted(eqs[m].nodes[0] for m in members))
    return [*prelude, eq.copy(outs=[name], args=operands, widen=frozenset(widen), nodes=nodes)]


# ---- pass: the chain rule of the (lifted) graph ----

_NO_GRADIENT = (CONST, CONSTANTS)


def differentiate(ir: IR) -> IR:
    """Return the IR with its backward pass appended: the chain rule, outputs first.

    For each equation whose output the result depends on, in reverse: its rule sends one
    contribution per input (`g_x, g_w = mul_backward g_t4 t4 x w`); a second contribution to
    the same variable is added (`g_x = add g_x c3`). In a lifted program matmul's two
    contributions are two equations (so `drop_unread` can drop one), a block op's contribution
    to a gathered vector is summed over the samples (`rows`), to a number read by every column
    over the columns (`across`), a column taken out of a block goes back into it
    (`put_column`), and the gathered parameters' gradients go into one array (`scatter`).

    A None from a rule sends nothing, as in the eager pass: its target is `_` (no equation adds
    it anywhere), an op that sends None to every input (shift) gets a comment instead of a
    rule, and a variable that no contribution reaches gets no gradient (0.0 where one is
    returned), never 0 times a derivative that might be infinite.
    """
    new = ir.copy()
    names = new.names
    back: list[Equation] = []
    grad_of: dict[str, str] = {}

    def differentiable(a: str) -> bool:
        return a in new.kind and new.kind[a] not in _NO_GRADIENT

    def send(a: str, reduce: str = "") -> str:
        """The name a contribution to `a` is written to; adds it to a's gradient if needed."""
        if a not in grad_of and not reduce:
            grad_of[a] = names.take(f"g_{a}")
            return grad_of[a]
        temp = names.take("c")
        pending.append((a, temp, reduce))
        return temp

    pending: list[tuple[str, str, str]] = []

    def settle() -> None:
        for a, temp, reduce in pending:
            value = temp
            if reduce:
                if a not in grad_of:
                    grad_of[a] = names.take(f"g_{a}")
                    back.append(Equation([grad_of[a]], reduce, [temp]))
                    continue
                value = names.take("c")
                back.append(Equation([value], reduce, [temp]))
            note = f"{a} is used again: add"
            back.append(Equation([grad_of[a]], "add", [grad_of[a], value], note=note))
        pending.clear()

    if new.flat:
        back.append(Equation(["g_p"], "zeros", [], keywords={"size": len(new.params)}))
    if differentiable(new.output):
        grad_of[new.output] = names.take(f"g_{new.output}")
        back.append(Equation([grad_of[new.output]], "seed", ["grad_out"]))
    for eq in reversed(new.forward):
        z = eq.outs[0]
        if z not in grad_of:  # nothing flows here: the output does not depend on it
            continue
        g = grad_of[z]
        if eq.op == "apply" and eq.record is ops.matmul.record:
            w, x = eq.args
            for part, a in ((0, w), (1, x)):
                if differentiable(a):
                    target = send(a)
                    keywords = {"part": part}
                    back.append(Equation([target], "part", [g, w, x], eq.record, keywords))
                    settle()
        elif eq.op == "apply" and len(eq.none_to) == len(eq.args):  # shift: nothing flows back
            back.append(_sends_nothing(eq, z))
        elif eq.op == "apply":
            block = new.kind.get(z) == BLOCK
            targets = []
            for k, a in enumerate(eq.args):
                if k in eq.none_to or not differentiable(a):
                    targets.append("_")
                elif block and new.kind[a] == VECTOR:
                    targets.append(send(a, "rows"))
                elif block and new.kind[a] != BLOCK:
                    targets.append(send(a, "across"))
                else:
                    targets.append(send(a))
            back.append(
                Equation(
                    targets,
                    "rule",
                    [g, z, *eq.args],
                    eq.record,
                    eq.keywords,
                    frozenset(k + 2 for k in eq.widen) if eq.widen else _NO_WIDEN,
                    eq.none_to,
                    eq.nodes,
                    eq.shown,
                )
            )
            settle()
        elif eq.op == "vdot":
            u, v = eq.args
            for a, other in ((u, v), (v, u)):
                if differentiable(a):
                    back.append(Equation([send(a)], "vdot_part", [g, other], eq.record))
                    settle()
        elif eq.op == "reduce" and eq.none_to:  # shift of a block's columns: nothing flows back
            back.append(_sends_nothing(eq, z))
        elif eq.op == "reduce":
            (whole,) = eq.args
            target = send(whole)
            back.append(
                Equation(
                    [target],
                    "rule_reduce",
                    [g, z, whole],
                    eq.record,
                    nodes=eq.nodes,
                    shown=eq.shown,
                )
            )
            settle()
        elif eq.op == "column":
            (source,) = eq.args
            first = source not in grad_of
            if first:
                grad_of[source] = names.take(f"g_{source}")
            target = grad_of[source]
            back.append(
                Equation(
                    [target],
                    "put_column",
                    ["None" if first else target, g],
                    keywords={"j": eq.keywords["j"], "k": new.width[source]},
                )
            )
        elif eq.op == "stack":
            targets = [send(a) if differentiable(a) else "_" for a in eq.args]
            back.append(Equation(targets, "unstack", [g]))
            settle()
        elif eq.op in ("gather", "pick"):
            back.append(Equation(["g_p"], "scatter", ["g_p", g], keywords=dict(eq.keywords)))
    new.backward = back
    new.input_grads = [grad_of.get(a, "0.0") for a in new.inputs]
    if new.flat:
        new.param_grads = ["g_p"]
    else:
        new.param_grads = [grad_of.get(a, "0.0") for a in new.params]
    return new


def _sends_nothing(eq: Equation, z: str) -> Equation:
    """The backward equation of an op that sends no gradient to its inputs: a comment only, so
    a node that nothing else reaches gets no gradient (0.0), never 0 times its derivative."""
    note = f"sends no gradient back: {z} is held constant"
    return Equation([], "none", [z], eq.record, nodes=eq.nodes, shown=eq.shown, note=note)


# ---- pass: drop what nothing reads ----


def drop_unread(ir: IR, *, inputs: bool = True, params: bool = True) -> IR:
    """Return the IR without the equations whose results nothing reads.

    What is read: the output, and the input gradients (`inputs=True`) and the parameters'
    (`params=True`). An equation none of whose results is read goes; one of several results
    that nothing reads is written to `_`. So `Program.backward`, which wants the parameters'
    gradients only, runs no work for the inputs' (matmul's contribution to the first layer's
    inputs, the rules' contributions to the inputs). Linear in the number of equations.
    """
    new = ir.copy()
    if not inputs:
        new.input_grads = []
    if not params:
        new.param_grads = []
    live = {new.output, *new.input_grads, *new.param_grads}
    kept: list[Equation] = []
    for eq in reversed(new.forward + new.backward):
        wanted = [o for o in eq.outs if o in live]
        if not wanted:
            continue
        if len(eq.outs) > 1 and len(wanted) < len([o for o in eq.outs if o != "_"]):
            eq = eq.copy(outs=[o if o in live else "_" for o in eq.outs])
        for o in wanted:
            live.discard(o)
        live.update(eq.args)
        kept.append(eq)
    kept.reverse()
    forward = {id(eq) for eq in new.forward}
    new.forward = [eq for eq in kept if id(eq) in forward]
    new.backward = [eq for eq in kept if id(eq) not in forward]
    return new


# ---- printer: equations -> the Python source that runs ----


LARGE = 20_000  # equations: a larger program runs them in a loop instead of compiling them


def _is_large(ir: IR) -> bool:
    return len(ir.forward) + len(ir.backward) > LARGE


def _compiled(ir: IR) -> Callable[..., Any]:
    """Print the IR, compile the source, and return the function it defines; for a program of
    more than LARGE equations, a function that runs the same equations in a loop (Python's
    compiler takes seconds and gigabytes for a function of a million lines)."""
    if _is_large(ir):
        return _interpreted(ir)
    source, namespace = print_source(ir)
    code = compile(source, f"<autograd.trace of {_plain(ir.fn_name)}>", "exec")
    exec(code, namespace)
    return namespace["program"]


def _summary(ir: IR) -> str:
    """The source of a large program, its start and its end (printed from a cut of the IR)."""
    half = LINES_SHOWN // 4
    cut = ir.copy()
    total = len(ir.forward) + len(ir.backward)
    cut.forward, cut.backward = ir.forward[:half], ir.backward[-half:]
    lines = print_source(cut)[0].splitlines()
    marker = next(k for k, line in enumerate(lines) if line.startswith("    if grad_out is None"))
    hidden = total - len(cut.forward) - len(cut.backward)
    note = (
        f"    # … {hidden} of {total} equations not shown (the forward pass's end and the "
        "backward pass's start): prog.full_source prints them all, prog.ir lists them …"
    )
    return "\n".join([*lines[:marker], note, *lines[marker:]]) + "\n"


def _interpreted(ir: IR) -> Callable[..., Any]:
    """A function that does what `print_source(ir)` prints, running the equations in a loop.

    Each equation becomes one plan entry (what to call, on which variables, into which); the
    loop calls the same kernels, rules and helpers the printed source calls, with the same
    arguments, on a dict of the program's variables. Made in time linear in the equations."""
    namespace = _namespace(ir)
    adapters: dict[Any, Callable[..., Any]] = {}

    def kernel_of(record: ops.Op) -> Callable[..., Any]:
        if record not in adapters:
            kernel = _each(record.kernel) if record in ir.each else record.kernel
            if record.takes == ops.LIST:
                adapters[record] = partial(_as_list, kernel)
            elif record.takes == ops.HALVES:
                adapters[record] = partial(_as_halves, kernel)
            else:
                adapters[record] = kernel
        return adapters[record]

    def rule_of(record: ops.Op) -> Callable[..., Any]:
        if (record, "rule") not in adapters:
            rule = _each(record.rule, True) if record in ir.each else record.rule
            adapters[record, "rule"] = rule
        return adapters[record, "rule"]

    def atoms(args: list[str]) -> list[Any]:
        return [
            None if a == "None" else a if a.isidentifier() and a not in ("inf", "nan") else float(a)
            for a in args
        ]

    def plan(eq: Equation) -> tuple[Any, ...]:
        op, record, keywords = eq.op, eq.record, eq.keywords
        extra: Any = ()
        fn: Any = None
        if op in ("apply", "reduce"):
            assert record is not None
            fn, extra = kernel_of(record), tuple(keywords.values())
        elif op in ("rule", "rule_reduce"):
            assert record is not None
            fn, extra = rule_of(record), keywords
        elif op == "part":
            assert record is not None and record.derivatives is not None
            template = record.derivatives[keywords["part"]].format(g="g", w="w", x="x")
            extra = compile(template, "<matmul's rule>", "eval")
        elif op == "gather":
            extra = (namespace[keywords["at"]], namespace.get(keywords.get("fixed", "")))
        elif op == "scatter" and "at" in keywords:
            at = namespace[keywords["at"]]
            extra = (at, "fixed" in keywords or len(np.unique(at)) < at.size)
        return (op, eq.outs, atoms(eq.args), eq.widen, fn, extra, keywords)

    forward = [plan(eq) for eq in ir.forward]
    backward = [plan(eq) for eq in ir.backward if eq.op != "none"]  # "none": a comment
    given = [*ir.inputs, *(["p"] if ir.flat else ir.params)]
    start: dict[str, Any] = dict(ir.constants)
    output, input_grads, param_grads = atoms([ir.output]), atoms(ir.input_grads), ir.param_grads
    first_input = ir.inputs[0] if ir.flat else ""

    def program(*args: Any, grad_out: Any = None) -> Any:
        env = dict(start)
        env.update(zip(given, args))
        if first_input:
            env["n"] = len(env[first_input])
        _execute(forward, env)

        def value(a: Any) -> Any:
            return env[a] if type(a) is str else a

        if grad_out is None:
            return value(output[0])
        env["grad_out"] = grad_out
        _execute(backward, env)
        if ir.flat and param_grads:
            grads_p: Any = env["g_p"]
        else:
            grads_p = tuple(value(a) for a in atoms(param_grads))
        return value(output[0]), tuple(value(a) for a in input_grads), grads_p

    return program


def _execute(plan: list[tuple[Any, ...]], env: dict[str, Any]) -> None:
    """Run planned equations (see `_interpreted`) on the variables in `env`."""
    for op, outs, args, widen, fn, extra, keywords in plan:
        values = [env[a] if type(a) is str else a for a in args]
        for k in widen:
            values[k] = values[k][:, None]
        if op == "apply":
            env[outs[0]] = fn(*values, *extra)
        elif op == "rule":
            for name, c in zip(outs, fn(*values, **extra)):
                if name != "_":
                    env[name] = c
        elif op == "add":
            env[outs[0]] = values[0] + values[1]
        elif op == "vdot":
            env[outs[0]] = values[0] @ values[1]
        elif op == "vdot_part":
            env[outs[0]] = _total_helper(values[0], 1) * values[1]
        elif op == "reduce":
            env[outs[0]] = fn(*values[0].T)
        elif op == "rule_reduce":
            g, z, block = values
            env[outs[0]] = _columns_helper(env["n"], *fn(g, z, *block.T))
        elif op == "seed":
            env[outs[0]] = env["grad_out"]
        elif op == "column":
            env[outs[0]] = values[0][:, keywords["j"]]
        elif op == "pick":
            env[outs[0]] = env["p"][keywords["j"]]
        elif op == "gather":
            at, fixed = extra
            p = env["p"]
            env[outs[0]] = p[at] if fixed is None else np.where(at >= 0, p[at], fixed)
        elif op == "stack":
            env[outs[0]] = _columns_helper(env["n"], *values)
        elif op == "zeros":
            env[outs[0]] = np.zeros(keywords["size"])
        elif op == "part":
            g, w, x = values
            env[outs[0]] = eval(extra, {}, {"g": g, "w": w, "x": x})
        elif op == "unstack":
            columns = values[0].T
            for name, c in zip(outs, columns):
                if name != "_":
                    env[name] = c
        elif op == "put_column":
            env[outs[0]] = _put_column(values[0], keywords["j"], values[1], env["n"], keywords["k"])
        elif op == "rows":
            env[outs[0]] = _rows(values[0], env["n"])
        elif op == "across":
            env[outs[0]] = _across(values[0], env["n"])
        elif op == "scatter":
            g = values[1]
            if "j" in keywords:
                env["g_p"][keywords["j"]] += _total_helper(g, env["n"])
            else:
                at, repeated = extra
                if repeated:
                    kept = at >= 0
                    np.add.at(env["g_p"], at[kept], g[kept])
                else:
                    env["g_p"][at] += g
        else:
            raise ValueError(f"trace cannot run the equation {op}")


def _as_list(kernel: Callable[..., Any], *xs: Any) -> Any:
    return kernel(list(xs))


def _as_halves(kernel: Callable[..., Any], *wx: Any) -> Any:
    half = len(wx) // 2
    return kernel(list(wx[:half]), list(wx[half:]))


def _widened(get: Callable[[dict[str, Any]], Any]) -> Callable[[dict[str, Any]], Any]:
    return lambda env: get(env)[:, None]


def _namespace(ir: IR) -> dict[str, Any]:
    """What the printed program's own names mean: the helpers and the IR's arrays."""
    namespace: dict[str, Any] = {
        "inf": math.inf,
        "nan": math.nan,
        "columns": _columns_helper,
        "put_column": _put_column,
        "rows": _rows,
        "across": _across,
        "total": _total_helper,
        "zeros": np.zeros,
        "add_at": np.add.at,
        "where": np.where,
    }
    namespace.update(ir.arrays)
    return namespace


def print_source(ir: IR) -> tuple[str, dict[str, Any]]:
    """Return (source, namespace): the IR as a readable Python function, and what its names
    mean. Every text that is not a name the program made (a label, an op's name, a function's
    name) reaches the source only inside a comment or the docstring, through `_plain`."""
    namespace = _namespace(ir)
    names = ir.names.copy()
    bound: dict[Any, str] = {}

    def bind(key: Any, wanted: str, obj: Any) -> str:
        if key not in bound:
            bound[key] = names.take(wanted)
            namespace[bound[key]] = obj
        return bound[key]

    def kernel(record: ops.Op) -> str:
        if record in ir.each:
            return bind(("each", record), record.python, _each(record.kernel))
        return bind(record.kernel, record.python, record.kernel)

    def rule(record: ops.Op) -> str:
        if record in ir.each:
            return bind(("each", record.rule), record.rule.__name__, _each(record.rule, True))
        return bind(record.rule, record.rule.__name__, record.rule)

    def arg(eq: Equation, k: int) -> str:
        return f"{eq.args[k]}[:, None]" if k in eq.widen else eq.args[k]

    given = [*ir.inputs, *(["p"] if ir.flat else ir.params)]
    header = f"def program({', '.join([*given, 'grad_out=None'])}):"
    wrapped = _wrap(header)  # the first line indented 4, its continuations 8: keep those
    lines = [header] if len(header) <= WIDTH else [wrapped[0][4:], *wrapped[1:]]
    inputs, parameters, computed = ir.counts
    lines += [
        f'    """{_plain(ir.fn_name)} traced by autograd.trace: {_count(inputs, "input")}, '
        f"{_count(parameters, 'parameter')}, {_count(computed, 'op')}.",
        "",
        "    t<k> is node #k of the drawings and of backward_steps; g_<v> is d out/d<v> times",
        "    grad_out (1 gives the gradient itself). Parameters are named by their labels.",
    ]
    if ir.flat:
        lines += [
            "    Lifted: p holds every parameter's number; W = p[W_at] gathers a layer's weights",
            "    (row i: neuron i), a = X @ W.T computes its neurons for every sample (row) at",
            "    once, and g_p collects the parameters' gradients, summed over the samples.",
        ]
    lines[-1] += '"""'
    if ir.constants:
        lines.append("    # ---- constants captured at trace time ----")
        lines += [f"    {name} = {_literal(value)}" for name, value in ir.constants.items()]
    if ir.flat and ir.inputs:
        lines.append(f"    n = len({ir.inputs[0]})  # samples: one row each")
    lines.append(
        "    # ---- forward: "
        + ("one line per node or per lifted group" if ir.flat else "one line per node")
        + ", inputs before outputs ----"
    )
    for eq in ir.forward:
        out = eq.outs[0]
        comment = ""
        if eq.op == "apply":
            record = eq.record
            assert record is not None
            args = [arg(eq, k) for k in range(len(eq.args))]
            if getattr(operator, record.python, None) is record.kernel or (
                record.form == ops.MATMUL
            ):  # an op whose kernel is Python's operator (+ - * and -x) reads as one
                text = record.show(args)
            elif record.takes == ops.LIST:
                text = f"{kernel(record)}([{', '.join(args)}])"
            elif record.takes == ops.HALVES:
                half = len(args) // 2
                text = f"{kernel(record)}(({_tuple(args[:half])}), ({_tuple(args[half:])}))"
            else:
                constants = [_literal(v) for v in eq.keywords.values()]
                text = f"{kernel(record)}({', '.join(args + constants)})"
            if ir.kind.get(out) == BLOCK:
                comment = _joined(_nodes_text(eq.nodes), eq.note or eq.shown)
        elif eq.op == "vdot":
            text = f"{eq.args[0]} @ {eq.args[1]}"
            comment = _joined(_nodes_text(eq.nodes), f"{eq.shown} of two gathered vectors")
        elif eq.op == "reduce":
            assert eq.record is not None
            text = f"{kernel(eq.record)}([*{eq.args[0]}.T])"
            comment = _joined(_nodes_text(eq.nodes), f"{eq.shown} of every column")
        elif eq.op == "column":
            text = f"{eq.args[0]}[:, {eq.keywords['j']}]"
        elif eq.op == "stack":
            text = f"columns(n, {', '.join(eq.args)})"
            comment = "the inputs as one matrix, a row per sample"
        elif eq.op == "gather":
            at = eq.keywords["at"]
            text = f"p[{at}]"
            if "fixed" in eq.keywords:
                text = f"where({at} >= 0, p[{at}], {eq.keywords['fixed']})"
            comment = eq.note
        elif eq.op == "pick":
            text = f"p[{eq.keywords['j']}]"
            comment = f"a parameter: {ir.labels[eq.keywords['j']] or 'unlabelled'}"
        else:
            raise ValueError(f"the printer does not know the forward equation {eq}")
        lines += _statement(f"{out} = {text}", comment)
    lines.append("    if grad_out is None:")
    lines.append(f"        return {ir.output}")
    lines.append("    # ---- backward: the chain rule of this graph, outputs first ----")
    for eq in ir.backward:
        comment = eq.note
        targets = eq.outs
        if eq.op == "seed":
            text = "grad_out"
        elif eq.op == "rule":
            record = eq.record
            assert record is not None
            args = [arg(eq, k) for k in range(len(eq.args))]
            args += [f"{key}={_literal(value)}" for key, value in eq.keywords.items()]
            text = f"{rule(record)}({', '.join(args)})"
            if len(targets) == 1:
                text += "[0]"
            comment = _rule_comment(eq, ir)
        elif eq.op == "vdot_part":
            text = f"total({eq.args[0]}, 1) * {eq.args[1]}"
            comment = "dot's rule: g times the other vector, summed over the samples"
        elif eq.op == "rule_reduce":
            record = eq.record
            assert record is not None
            g, z, block = eq.args
            text = f"columns(n, *{rule(record)}({g}, {z}, *{block}.T))"
            comment = _rule_comment(eq.copy(args=[g, z, f"{block}[:, i]"]), ir)
        elif eq.op == "part":
            record = eq.record
            assert record is not None and record.derivatives is not None
            g, w, x = eq.args
            part = eq.keywords["part"]
            text = record.derivatives[part].format(g=g, w=w, x=x)
            comment = f"matmul's rule, to {(w, x)[part]}" + (
                ": summed over the samples" if part == 0 else ""
            )
        elif eq.op == "none":  # an op that sends no gradient back (shift): nothing to run
            assert eq.record is not None
            shown = eq.shown or eq.record.name
            lines.append(f"    # {_plain(f'{shown} {eq.note}')}")
            continue
        elif eq.op == "add":
            text = f"{eq.args[0]} + {eq.args[1]}"
        elif eq.op == "unstack":
            text = f"{eq.args[0]}.T" if len(targets) > 1 else f"{eq.args[0]}[:, 0]"
            comment = "one column per input"
        elif eq.op == "put_column":
            j, k = eq.keywords["j"], eq.keywords["k"]
            text = f"put_column({eq.args[0]}, {j}, {eq.args[1]}, n, {k})"
        elif eq.op == "rows":
            text = f"rows({eq.args[0]}, n)"
            comment = "summed over the samples"
        elif eq.op == "across":
            text = f"across({eq.args[0]}, n)"
            comment = "summed over the group's columns"
        elif eq.op == "zeros":
            text = f"zeros({eq.keywords['size']})"
            comment = "the parameters' gradients, summed over the samples"
        elif eq.op == "scatter":
            g = eq.args[1]
            if "j" in eq.keywords:
                lines += _statement(f"g_p[{eq.keywords['j']}] += total({g}, n)", "")
                continue
            at = eq.keywords["at"]
            if "fixed" in eq.keywords or len(np.unique(ir.arrays[at])) < ir.arrays[at].size:
                kept = f"{at} >= 0"
                lines += _statement(f"add_at(g_p, {at}[{kept}], {g}[{kept}])", "")
            else:
                lines += _statement(f"g_p[{at}] += {g}", "")
            continue
        else:
            raise ValueError(f"the printer does not know the backward equation {eq}")
        if len(targets) == 1:
            lines += _statement(f"{targets[0]} = {text}", comment)
        else:
            lines += _statement(f"{', '.join(targets)} = {text}", comment)
    grads_p = "g_p" if ir.flat and ir.param_grads else f"({_tuple(ir.param_grads)})"
    lines += _statement(f"return {ir.output}, ({_tuple(ir.input_grads)}), {grads_p}", "")
    return "\n".join(lines) + "\n", namespace


def _joined(*parts: str) -> str:
    return ": ".join(part for part in parts if part)


def _rule_comment(eq: Equation, ir: IR) -> str:
    """What the rule says, in this graph's names: `*: ∂t4/∂x = w, ∂t4/∂w = x`."""
    record = eq.record
    assert record is not None
    shown = eq.shown or record.name
    names = eq.args[2:]
    if record.custom:
        note = ", element by element" if record in ir.each else ""
        if eq.none_to:
            note += f", no gradient to {', '.join(names[k] for k in sorted(eq.none_to))}"
        return f"{shown}: your rule{note}"
    keep = [
        k not in eq.none_to and a in ir.kind and ir.kind[a] not in _NO_GRADIENT
        for k, a in enumerate(names)
    ]
    text = record.derivative_text(names, eq.args[1], keep)
    where = _nodes_text(eq.nodes) if ir.kind.get(eq.args[1]) == BLOCK else ""
    return _joined(where, f"{shown}: {text}" if text else shown)


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


# ---- what a lifted program calls ----


def _columns_helper(n: int, *cols: Any) -> np.ndarray:
    """The columns (arrays of n, or numbers) side by side: an (n, m) matrix."""
    out = np.empty((n, len(cols)))
    for j, c in enumerate(cols):
        out[:, j] = c
    return out


def _put_column(g: Any, j: int, c: Any, n: int, k: int) -> np.ndarray:
    """g (an (n, k) gradient, or None for none yet) with c added to its column j; a copy."""
    out = np.zeros((n, k)) if g is None else np.array(np.broadcast_to(g, (n, k)))
    out[:, j] += c
    return out


def _rows(c: Any, n: int) -> Any:
    """A block op's contribution to a gathered vector, summed over the samples: a product with
    ones (BLAS), ~9x faster than c.sum(axis=0), which adds an (n, k) block one row at a time."""
    return np.ones(len(c)) @ c if np.ndim(c) == 2 else c * n


def _across(c: Any, n: int) -> Any:
    """A block op's contribution to a number every column read, summed over the columns."""
    return c.sum(axis=1) if np.ndim(c) == 2 else c


def _total_helper(g: Any, n: int) -> float:
    return float(g.sum()) if np.ndim(g) else float(g) * n


def _each(fn: Callable[..., Any], rule: bool = False) -> Callable[..., Any]:
    """`fn` applied sample by sample when any argument is an array (a custom op's fallback).

    A 0-d array (a parameter) counts as one number; an empty batch gives empty arrays, one per
    input for a rule, as the built-in ops do."""

    def each(*args: Any, **kwargs: Any) -> Any:
        batch = next((len(a) for a in args if type(a) is np.ndarray and a.ndim == 1), None)
        if batch is None:
            return fn(*[float(a) if type(a) is np.ndarray else a for a in args], **kwargs)
        if batch == 0:
            empty = np.zeros(0)
            return tuple(empty for _ in args[2:]) if rule else empty
        rows = [fn(*[_item(a, i) for a in args], **kwargs) for i in range(batch)]
        if isinstance(rows[0], tuple):  # a rule: None where it sends nothing (read at trace)
            return tuple(
                None if rows[0][k] is None else np.array([float(r[k]) for r in rows])
                for k in range(len(rows[0]))
            )
        return np.array([float(r) for r in rows])

    each.__name__ = getattr(fn, "__name__", "op")
    return each


def _item(a: Any, i: int) -> Any:
    if type(a) is np.ndarray:
        return float(a[i]) if a.ndim else float(a)
    return a


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
            (c is None and s is None)
            or (
                s is not None
                and np.shape(c) in ((), (2,))
                and _close(float(np.broadcast_to(c, (2,))[1]), s, 1e-12)
            )
            for c, s in zip(sent, scalar)
        )
    except Exception:  # it is the user's code: whatever it raises on arrays, loop instead
        return False


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


def _literal(x: float) -> str:
    return repr(float(x))  # inf, -inf and nan are names in the namespace; -0.0 stays -0.0


def _plain(text: object) -> str:
    """Return `text` safe inside a comment or a docstring of the generated source.

    The one escaping path for text that reaches the program (op names, labels, the function's
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


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


def _fn_name(fn: Callable[..., Any]) -> str:
    """fn's name for messages and the docstring: its __name__ when that is a str."""
    name = getattr(fn, "__name__", None)
    return name if isinstance(name, str) else type(fn).__name__


def _plain_name(text: str) -> bool:
    """Whether `text` is already what identifier() would make of it (t4, g_x, layers_0_w)."""
    return (
        text.isascii()
        and text.isidentifier()
        and text[0] != "_"
        and text[-1] != "_"
        and "__" not in text
    )


class _Names:
    """Unique Python names for the program's variables and functions, in time linear in the
    number of names (10,000 nodes labelled `h` are h, h_2, ..., h_10000)."""

    def __init__(self) -> None:
        self.used: set[str] = set(_RESERVED)
        self.next: dict[str, int] = {}

    def copy(self) -> _Names:
        new = _Names.__new__(_Names)
        new.used, new.next = set(self.used), dict(self.next)
        return new

    def take(self, wanted: object) -> str:
        used = self.used
        if wanted not in used and type(wanted) is str and _plain_name(wanted):
            used.add(wanted)  # the common case: a fresh t<k> or g_<v>
            return wanted
        if not isinstance(wanted, str):
            base = "f"
        elif wanted.isascii() and wanted.isidentifier() and "__" not in wanted:
            base = wanted.strip("_") or "v"  # what identifier() makes of a plain name
        else:
            base = identifier(wanted)
        candidate, k = base, self.next.get(base, 2)
        if candidate in self.used:
            candidate = f"{base}_{k}"
            while candidate in self.used:
                k += 1
                candidate = f"{base}_{k}"
            self.next[base] = k + 1
        self.used.add(candidate)
        return candidate
