"""Program: a traced graph as straight-line code, run on numbers or on NumPy batches.

`trace` calls the function once on leaf Values and compiles the graph it built through the
pipeline of this package (graph -> IR -> passes -> printer); `Program` runs the result and
checks it against the eager engine.

What a trace can and cannot follow, as with `torch.jit.trace`: the graph is recorded for the
example inputs, so a Program is right for inputs on which the function builds a graph of the
same shape. Branches inside one op (relu, abs, the kinks of pow) are part of the op and work
element by element; a Python `if` on a Value's data, a loop whose length depends on the data, or
a class index read from the data are frozen at their traced outcome, and so is where a rule
sends None (no gradient: shift, or a custom rule's None) rather than a number. An index that
is an input (a token id that `autograd.ops.take` uses to pick a row of an embedding) is not
frozen: one program serves every token. `Program.check(*inputs)` builds the graph eagerly for
given inputs and says where it differs from the trace.

What else holds:
- `detect_anomaly()` does not reach inside a Program: replay (`prog(...)`, `prog.grad`,
  `prog.backward`) computes on floats and NumPy arrays, makes no Value, and returns nan and inf
  as numbers without raising. Tracing itself runs `fn` on Values and is watched; to find the op
  that made a nan, call `fn` eagerly on that sample's inputs inside `detect_anomaly()`.
- A NumPy masked array is read as its data: the mask is dropped, masked entries are computed
  like the others, and results are plain arrays; pass `x.filled(value)` or `x.compressed()`
  when the mask matters.
- A batch runs NumPy's kernels, which differ from `math`'s by up to 4 ulp (see `autograd.ops`),
  and sums over the batch or over a group may add in another order: a batch agrees with eager
  to about 1e-12 relative on a well-conditioned function, not bit for bit. One sample given as
  floats runs the float kernels, as eager does.
- A part that reads parameters alone is hoisted: it runs once per call, and its gradient can be
  the batch's summed gradient times its derivative. Where that derivative is infinite (sqrt at
  0), a lifted program can give inf where eager gives nan: eager's sum of g * inf is nan as soon
  as one sample's g is 0, and (sum of g) * inf is not. lift=False keeps eager's order.
"""

from __future__ import annotations

import builtins
import inspect
import math
from collections.abc import Callable, Sequence
from operator import attrgetter
from typing import Any

import numpy as np

from autograd import ops
from autograd._memory import keep_freed_blocks
from autograd.backward import _collector_paused, grad, node_namer, topological_order
from autograd.compile.build import build
from autograd.compile.differentiate import differentiate
from autograd.compile.fold import fold_sums
from autograd.compile.group import group
from autograd.compile.ir import IR, Equation, Var, plain
from autograd.compile.printer import print_program
from autograd.compile.prune import drop_unread
from autograd.compile.run import interpreted, is_large
from autograd.compile.simplify import simplify
from autograd.steps import formula
from autograd.value import Value, _recording, brief, to_float

LINES_SHOWN = 2000  # a larger program's `source` shows its start and end; `full_source` all
_data_of = attrgetter("_data")
PASSES = ("build", "fold_sums", "group", "differentiate", "simplify", "drop_unread")


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

    With `lift=True` (the default) the graph is vectorized: nodes that do the same op side by
    side run as one array op (a layer's `dot`s as `X @ W.T` over a weight matrix gathered from
    the parameters at each call, chains of additions as one sum over an axis), and what depends
    on parameters and constants only (an L2 term inside a per-sample loss) runs once per call,
    not once per sample. `prog.stages` holds the IR after each pass (docs/lifting.md walks
    through them); the numbers agree with `lift=False`, one statement per node, to about 1e-12
    relative (sums may add in another order).

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
    root = [out]  # the Program takes the graph from here: nothing else holds it while it
    del out  # compiles, so a large graph is freed as soon as its IR is built
    return Program(fn, root, leaves, parameters, lift=lift)


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
    prog.stages                     the IR after each pass of the pipeline, by the pass's
                                    name: `print(prog.stages["group"])` shows lifting's work

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
        out: Value | list[Value],
        leaves: list[Value],
        params: tuple[Value, ...],
        lift: bool = True,
    ) -> None:
        # (`trace` passes the output in a list and lets go of it, so the graph can be freed
        # once it is built into the IR, before the passes run)
        if isinstance(out, list):
            out = out.pop()
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
            built = build(_fn_name(fn), out, order, leaves, params)
            del order, out  # the graph: the IR holds what the program needs of it
            self.stages: dict[str, IR] = compile_ir(built, lift)
            self.ir: IR = self.stages["drop_unread"]
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
            if is_large(self.ir):
                self._source = _summary(self.ir)
            else:
                self._source = print_program(self.ir).source
        return self._source

    @property
    def full_source(self) -> str:
        """The whole source, however long (a million-node graph prints about 200 MB)."""
        return self.source if not is_large(self.ir) else print_program(self.ir).source

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
        seed = 1.0 if n is None else self._seed(n, 1.0)
        out, input_grads, totals = self._replay("grad", xs, n, seed)
        with np.errstate(all="ignore"):  # sums over the batch: inf + -inf is nan, quietly
            shaped = [
                _per_sample(g, n) if n is not None and type(x) is np.ndarray else _total(g, n)
                for g, x in zip(input_grads, xs)
            ]
        if n == 0:  # sums over no sample are 0, as eager's (a lifted program ran what reads
            # parameters only once, and its rules on the batch's 0 may give 0 · inf = nan)
            shaped = [g if type(x) is np.ndarray else 0.0 for g, x in zip(shaped, xs)]
            totals = [0.0] * len(totals)
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
        seed = weight if n is None else self._seed(n, weight)
        out, _, totals = self._replay("backward", xs, n, seed)
        for p, g in zip(self.params, totals):
            p.grad += g
        return _reduced(out, count, reduce)

    def gradient(
        self, *inputs: Any, params: np.ndarray, reduce: str = "mean"
    ) -> tuple[float, np.ndarray]:
        """Return (the mean (or sum) of the outputs, its gradient with respect to every
        parameter) for the parameters' numbers in the float64 array `params` (their order),
        reading and writing no Value: what `backward` computes, on numbers a compiled training
        step (`nn.Training`) keeps."""
        if reduce not in ("mean", "sum"):
            raise ValueError(f'gradient(reduce=...) must be "mean" or "sum", got {reduce!r}')
        xs, n = self._prepare(inputs)
        count = 1 if n is None else n
        if count == 0:
            raise ValueError("gradient() got an empty batch (arrays of length 0)")
        numbers = self._given_params(params)
        weight = ops.div(1.0, float(count)) if reduce == "mean" else 1.0
        run = self._runner("backward")
        batch = count
        columns = [x if type(x) is np.ndarray else np.full(batch, x) for x in xs]
        if self.flat:
            keep_freed_blocks()
            given: list[Any] = [numbers]
        else:
            given = [np.asarray(x) for x in numbers]  # 0-d arrays, one per parameter
        with np.errstate(all="ignore"):
            out, _, grads = run(*columns, *given, self._seed(batch, weight))
            if self.flat:
                g = self._flat_grads(grads)
            else:
                g = np.array(_totals(grads, batch), dtype=np.float64)
        return _reduced(out, count, reduce), g

    def _given_params(self, params: Any) -> np.ndarray:
        """`gradient`'s params as a float64 array of one number per parameter, or a clear
        error: a program reads exactly as many numbers as it has parameters, so a shorter or
        longer array would fail deep inside it or, worse, give other numbers without a word."""
        count = len(self.params)
        if type(params) is np.ndarray and params.dtype == np.float64 and params.shape == (count,):
            return params  # the common case: a Training's own array
        wanted = f"a 1-D array of {count} real numbers, one per parameter in params' order"
        if (
            isinstance(params, (str, bytes, Value))
            or not isinstance(params, (np.ndarray, list, tuple))
            and not hasattr(params, "__array__")
        ):
            raise TypeError(
                f"gradient(params=...) needs {wanted}, got {type(params).__name__}: {brief(params)}"
            )
        if isinstance(params, (list, tuple)) and any(isinstance(p, Value) for p in params):
            raise TypeError(
                f"gradient(params=...) needs {wanted}, got Values; pass their numbers, e.g. "
                "np.array([p.data for p in prog.params])"
            )
        try:
            array = np.asarray(params)
        except (ValueError, TypeError, RuntimeError) as error:  # (torch: requires_grad)
            raise ValueError(f"gradient(params=...) needs {wanted}: {error}") from None
        if array.dtype.kind not in "biuf":
            raise TypeError(f"gradient(params=...) needs {wanted}, got dtype {array.dtype}")
        if array.shape != (count,):
            raise ValueError(
                f"gradient(params=...) needs {wanted} (shape ({count},)), got shape {array.shape}"
            )
        return np.asarray(array, dtype=np.float64)

    def _runner(self, variant: str, single: bool = False) -> Callable[..., Any]:
        """The compiled program for `variant`, "grad" (everything) or "backward" (no input
        gradients: printed from the same equations after `drop_unread`); with `single`, for
        one sample on floats (a lifted Program's unlifted twin). Each is made at first use."""
        single = single and self._built is not None
        run = self._runs.get((variant, single))
        if run is None:
            if single and self._built is not None:
                ir = compile_ir(self._built, False)["drop_unread"]
            else:
                ir = self.ir
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
            if self.flat and self._built is None:  # a lifted program computes on arrays
                seed = np.asarray(seed)
            out, input_grads, param_grads = run(*xs, *self._single_params(), seed)
            if self.flat and self._built is None:  # (no unlifted twin: g_p is one array)
                param_grads = tuple(self._flat_grads(param_grads).tolist())
            return out, input_grads, [float(g) for g in param_grads] if summed else param_grads
        if self.flat:
            keep_freed_blocks()  # its arrays, freed at each call's end, reused at the next
        run = self._runner(variant)
        with np.errstate(all="ignore"):  # sums over the batch: inf + -inf is nan, quietly
            out, input_grads, param_grads = run(*self._columns(xs, n), *self._param_data(n), seed)
            if self.flat:
                param_grads = self._flat_grads(param_grads)
            if summed:
                param_grads = param_grads.tolist() if self.flat else _totals(param_grads, n)
        return out, input_grads, param_grads

    def _seed(self, n: int, weight: float) -> Any:
        """grad_out for a batch of n, each sample weighted `weight`: one per sample, or, for an
        output that does not depend on the inputs (one number for all), their sum."""
        output = self.ir.output
        if not self.flat or (isinstance(output, Var) and output.batched):
            return np.full(n, weight)  # (an unlifted program sums what it returns afterwards)
        return np.asarray(weight * n)

    def _flat_grads(self, param_grads: tuple[Any, ...]) -> np.ndarray:
        """g_p, every parameter's gradient summed over the batch (zeros where none reached)."""
        g = param_grads[0]
        if type(g) is np.ndarray and g.shape == (len(self.params),):
            return g
        return np.full(len(self.params), float(g))

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
                except (ValueError, TypeError, RuntimeError) as error:  # (torch: requires_grad)
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
            "grad", xs, n, 1.0 if n is None else self._seed(n, 1.0), summed=False
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


def _reduced(out: Any, count: int, reduce: str) -> float:
    """The mean (or sum) of a program's outputs over a batch of `count` samples, added left to
    right as the eager reduction `autograd.sum(outputs) / count` adds them."""
    if np.ndim(out) == 0:
        outputs = [float(out)] * count
    else:
        outputs = np.broadcast_to(out, (count,)).tolist()
    total = builtins.sum(outputs, 0.0)
    return ops.div(total, float(count)) if reduce == "mean" else total


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


# ---- the pipeline ----


def compile_ir(built: IR, lift: bool) -> dict[str, IR]:
    """The IR after each pass, by name: build's, then (lifted) fold_sums and group, then
    differentiate, simplify and drop_unread (the program that runs)."""
    stages = {"build": built}
    ir = built
    if lift:
        folded = stages["fold_sums"] = fold_sums(ir)
        grouped = stages["group"] = group(folded)
        if grouped.flat:  # nothing grouped: the program is the unlifted one, sums as written
            ir = grouped
    ir = stages["differentiate"] = differentiate(ir)
    ir = stages["simplify"] = simplify(ir)
    stages["drop_unread"] = drop_unread(ir)
    return stages


def _compiled(ir: IR) -> Callable[..., Any]:
    """Print the IR, compile the source, and return the function it defines; for a program of
    more than LARGE equations, a function that runs the same equations in a loop (Python's
    compiler takes seconds and gigabytes for a function of a million lines)."""
    if is_large(ir):
        return interpreted(ir)
    printed = print_program(ir)
    code = compile(printed.source, f"<autograd.trace of {plain(ir.fn_name)}>", "exec")
    namespace = dict(printed.namespace)
    exec(code, namespace)
    function: Callable[..., Any] = namespace[printed.function]
    return function


def _summary(ir: IR) -> str:
    """The source of a large program, its start and its end (printed from a cut of the IR)."""
    half = LINES_SHOWN // 4
    cut = ir.copy()
    total = len(ir.forward) + len(ir.backward)
    cut.forward, cut.backward = ir.forward[:half], ir.backward[-half:]
    cut.output = 0.0 if len(ir.forward) > half else ir.output
    printed = print_program(cut)
    lines = printed.source.splitlines()
    marker = lines.index(f"    if {printed.seed} is None:")
    hidden = total - len(cut.forward) - len(cut.backward)
    note = (
        f"    # … {hidden} of {total} equations not shown (the forward pass's end and the "
        "backward pass's start): prog.full_source prints them all, prog.ir lists them …"
    )
    return "\n".join([*lines[:marker], note, *lines[marker:]]) + "\n"


def _fn_name(fn: Callable[..., Any]) -> str:
    """fn's name for messages and the docstring: its __name__ when that is a str."""
    name = getattr(fn, "__name__", None)
    return name if isinstance(name, str) else type(fn).__name__
