"""Training on a whole dataset with a traced per-sample loss: the graph built once, replayed.

    from nn import MLP, SGD, hinge_loss, trace_loss
    model = MLP(2, [16, 16, 1], seed=0)
    step = trace_loss(model, lambda score, t: hinge_loss([score], [t]), X[0], y[0])
    opt = SGD(model.parameters(), lr=0.5)
    for k in range(100):
        opt.zero_grad()
        loss = step.backward(X, y)      # the mean over all rows of X, y; adds to every .grad
        opt.step()

`trace_loss` builds `loss(model(x), target)` for one sample with `autograd.trace`, the model's
parameters as the Program's parameters (read afresh at every call, so the optimizer's updates are
seen). `backward(X, y)` then runs forward and backward for every row at once on NumPy arrays and
adds the gradient of the mean loss to each parameter's `.grad`: the same numbers as building the
graph of every sample and calling `.backward()` on their mean, many times faster.

What a trace cannot follow (see `autograd.trace`): Python branches on a Value's data inside the
model or the loss. Targets are inputs of the traced function, so the loss must keep them in the
graph: the losses of `nn` take Values as targets (a class as one-hot probabilities for
`cross_entropy`).

The traced loss keeps the parameter Values the model held when it was traced and reads their
`.data` at every call, so optimizer steps and `load_state_dict` (which write `.data` in place)
are seen. A parameter replaced by a new Value afterwards is not: `backward` keeps reading the old
Value and adding to its `.grad`, and the new one's `.grad` stays 0. `check(X, y)` catches it
(`TraceMismatchError`); trace again after replacing parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autograd import Program, Value, trace
from autograd import value as _value
from nn.module import Module


def _real(a: Any, name: str) -> np.ndarray:
    """`a` as float64, refused as the Program refuses its inputs: a cast to float64 would drop
    a complex number's imaginary part (a warning only) and parse strings."""
    try:
        array = np.asarray(a)  # a list, a NumPy array, a CPU tensor
    except (ValueError, TypeError, RuntimeError) as error:
        raise ValueError(f"{name} must be real numbers in rows: {error}") from None
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be real numbers, got dtype {array.dtype}: {_value.brief(a)}")
    return np.asarray(array, dtype=np.float64)


class TracedLoss:
    """`loss(model(x), y)` for one sample, traced once; call it on whole datasets.

    step(X, Y)                  per-sample losses, an array of n (no graph is built)
    step.backward(X, Y, reduce="mean")
                                the mean (or sum) loss; adds its gradient to each parameter
    step.check(X, Y)            True, or autograd.TraceMismatchError saying where eager differs
    step.source                 the traced program: forward pass and chain rule, as code
    step.stages                 its IR after each pass of the compiler (docs/lifting.md)
    step.training(optimizer)    the whole step compiled: an nn.Training
    step.program                the autograd.Program underneath

    X has one row per sample (n, features) or is one sample (features,); Y is one target per
    row (n,), or one row of targets per sample (n, k), e.g. one-hot classes.
    """

    def __init__(
        self,
        model: Module,
        loss: Callable[[Any, Any], Value],
        x: Sequence[float] | np.ndarray,
        y: float | Sequence[float] | np.ndarray,
        lift: bool = True,
    ) -> None:
        if not isinstance(model, Module):
            raise TypeError(f"trace_loss needs an nn.Module, got {type(model).__name__}")
        if not callable(loss):
            raise TypeError(f"trace_loss needs a callable loss(prediction, target), got {loss!r}")
        x_row = _row(x, "x")
        y_row = _row(y, "y")
        self.features, self.targets = len(x_row), len(y_row)
        self._target_is_scalar = np.ndim(y) == 0
        features, single = self.features, self._target_is_scalar

        def per_sample(*values: Value) -> Value:
            target: Any = values[features] if single else list(values[features:])
            return loss(model(list(values[:features])), target)

        names = [f"x{k}" for k in range(features)] + (
            ["y"] if single else [f"y{k}" for k in range(self.targets)]
        )
        per_sample.__signature__ = _signature(names)  # type: ignore[attr-defined]
        per_sample.__name__ = "per_sample_loss"
        self.program: Program = trace(
            per_sample, *x_row, *y_row, params=model.parameters(), lift=lift
        )

    @property
    def source(self) -> str:
        """The traced program's source: the forward pass and the chain rule of one sample."""
        return self.program.source

    @property
    def stages(self) -> dict[str, Any]:
        """The program's IR after each pass, by the pass's name (see `autograd.Program`)."""
        return self.program.stages

    def __call__(self, X: Any, Y: Any) -> Any:
        return self.program(*self._columns(X, Y))

    def backward(self, X: Any, Y: Any, reduce: str = "mean") -> float:
        """Return the mean (or sum) loss over the rows; add its gradient to every parameter."""
        return self.program.backward(*self._columns(X, Y), reduce=reduce)

    def check(self, X: Any, Y: Any) -> bool:
        """Return True when eager graphs agree with the trace on these rows (see Program.check)."""
        return self.program.check(*self._columns(X, Y))

    def training(self, optimizer: Any, *, reduce: str = "mean") -> Training:
        """Return a `Training`: whole steps (forward, backward, `optimizer`'s update) compiled
        onto arrays, so that a step touches no Value (see `Training`); `training(X, Y)` is one
        step on those rows, of the mean (or sum) loss."""
        if reduce not in ("mean", "sum"):
            raise ValueError(f'training(reduce=...) must be "mean" or "sum", got {reduce!r}')
        program = self.program

        def gradient(*batch: Any, params: np.ndarray) -> tuple[float, np.ndarray]:
            if len(batch) != 2:
                raise TypeError(
                    f"a training step takes the batch X, Y, got {len(batch)} argument(s)"
                )
            columns = self._columns(*batch)
            if len(columns[0]) == 0:
                raise ValueError(
                    "a training step got an empty batch (X has no rows): nothing to learn from"
                )
            return program.gradient(*columns, params=params, reduce=reduce)

        return Training(program.params, optimizer, gradient)

    def _columns(self, X: Any, Y: Any) -> list[Any]:
        X, Y = _real(X, "X"), _real(Y, "Y")
        if X.ndim == 1:
            X = X[None, :]
        if X.ndim != 2 or X.shape[1] != self.features:
            raise ValueError(
                f"X must have {self.features} columns (one row per sample), got shape {X.shape}"
            )
        if self._target_is_scalar:
            Y = Y.reshape(-1, 1) if Y.ndim <= 1 else Y
        elif Y.ndim == 1 and len(X) == 1:
            Y = Y[None, :]
        if Y.ndim != 2 or Y.shape[1] != self.targets or len(Y) != len(X):
            raise ValueError(
                f"Y must have {len(X)} rows of {self.targets} target(s), got shape {Y.shape}"
            )
        return [*X.T, *Y.T]


def trace_loss(
    model: Module,
    loss: Callable[[Any, Any], Value],
    x: Sequence[float] | np.ndarray,
    y: float | Sequence[float] | np.ndarray,
    *,
    lift: bool = True,
) -> TracedLoss:
    """Return a `TracedLoss`: `loss(model(x), y)` traced at one example sample (x, y).

    `loss(prediction, target)` gets what the model returns (a Value, or a list for several
    outputs) and the target as a Value (or a list of Values when y is a row), and returns one
    scalar Value, e.g. `lambda s, t: hinge_loss([s], [t])` or
    `lambda logits, onehot: cross_entropy(logits, onehot)`.

    With `lift=True` (the default) the model's layers run as matrix products (`h1 =
    relu(X @ W1.T + b1)`, see `autograd.trace`); `lift=False` replays one statement per scalar
    node. Both give the eager numbers (to about 1e-12 relative).
    """
    return TracedLoss(model, loss, x, y, lift=lift)


def _row(x: Any, name: str) -> list[float]:
    array = np.asarray(x, dtype=np.float64)
    if array.ndim > 1:
        raise ValueError(
            f"trace_loss takes one example sample: {name} must be a number or a 1-D row, got "
            f"shape {array.shape}; pass e.g. X[0]"
        )
    return array.reshape(-1).tolist()


def _signature(names: list[str]) -> Any:
    import inspect

    return inspect.Signature(
        [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in names]
    )


class Training:
    """A whole training step compiled: forward, backward and the optimizer's update on arrays.

        training = trace_loss(model, loss, X[0], y[0]).training(Adam(model.parameters()))
        for k in range(100):
            loss = training(X, Y)        # one step on the batch; it reads and writes no Value
        training.sync()                  # the model's Values now hold the trained numbers

    A step keeps the parameters as one float64 array p and runs, with no Value touched:
        loss, g = program.gradient(X, Y, params=p)     the traced loss, forward and backward:
                                                       the gradient of the mean (or sum) loss
        p = optimizer.update(p, g)                     the optimizer's own rule on arrays
    which is `optimizer.zero_grad(); loss.backward(); optimizer.step()` on the same reduction
    built eagerly, to about 1e-12 relative (a batch sums in another order; the update is the
    very same code). The optimizer's state (its step count, moments, buffers) advances as its
    `step()` would, and its `lr` is read at every step, so a schedule works. (`nn.GPT.training`
    makes one whose program is chosen by the name's length.)

    The Values are brought up to date by `sync()`, at the end of `run`, and whenever they are
    read: a Value's `.data`, `float()` or `repr()`, the model's call, `parameters()` or
    `state_dict()`, an optimizer's `step()`, a backward pass or a drawing. A Value written in
    between (`p.data = ...`, `load_state_dict`, an eager `optimizer.step()`) is read back before
    the next step. An op on a parameter Value held from before, reached none of those ways,
    reads the number of the last sync: call `sync()` first. After a sync each parameter's
    `.grad` is the last step's gradient, as after the eager loop.
    """

    def __init__(
        self,
        params: Sequence[Value],
        optimizer: Any,
        gradient: Callable[..., tuple[float, np.ndarray]],
    ) -> None:
        from nn.optim import Optimizer

        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"training needs an nn optimizer (SGD, Adam, AdamW, RMSprop), got "
                f"{type(optimizer).__name__}"
            )
        self.values = list(params)
        place = {p: k for k, p in enumerate(self.values)}
        missing = [k for k, p in enumerate(optimizer.params) if p not in place]
        if missing:
            raise ValueError(
                f"the optimizer's parameter {missing[0]} is not one of the traced loss's "
                f"({len(self.values)} parameters of the model it was traced with); make the "
                "optimizer over model.parameters()"
            )
        self.optimizer, self._gradient = optimizer, gradient
        self._at = np.array([place[p] for p in optimizer.params], dtype=np.intp)
        self._all = len(self._at) == len(self.values) and bool(
            (self._at == np.arange(len(self._at))).all()
        )
        self.params = np.zeros(len(self.values))
        self.grad = np.zeros(len(self.values))
        self._seen = -1  # the Values' write count when the arrays were last read from them

    def __call__(self, *batch: Any) -> float:
        """Return the loss of one step on the batch (X, Y; a GPT's tokens); update the
        parameters."""
        if _value.writes() != self._seen:
            self._read()
        loss, g = self._gradient(*batch, params=self.params)
        if self._all:
            self.params = self.optimizer.update(self.params, g)
        else:
            self.params[self._at] = self.optimizer.update(self.params[self._at], g[self._at])
        self.grad = g
        _value.hold(self)
        return loss

    def run(self, *batch: Any, steps: int) -> list[float]:
        """Return the losses of `steps` steps on the same batch; the Values are synced after."""
        from autograd._checks import integer

        steps = integer("run(steps)", steps, low=0)
        losses = [self(*batch) for _ in range(steps)]
        self.sync()
        return losses

    def sync(self) -> None:
        """Write the parameters' numbers (and the last step's gradient) into their Values."""
        if _value._holder is self:
            _value._holder = None
        for p, x, g in zip(self.values, self.params.tolist(), self.grad.tolist()):
            p._data = x
            p.grad = g
        self._seen = _value.writes()

    def _read(self) -> None:
        self.params = np.fromiter((p._data for p in self.values), np.float64, len(self.values))
        self._seen = _value.writes()
