"""Watching a network learn: `Studio` holds a model, its data and its training run.

    from nn import MLP, Studio
    from nn.datasets import make
    X, y = make("moons", 100)
    studio = Studio(MLP(2, [16, 16, 1], seed=0), X, y)
    studio.step(100)                 # 100 full-batch steps; returns the last loss
    studio.history[-1]               # {'step': 100, 'loss': ..., 'accuracy': ..., 'points': 100}
    studio.snapshot(10)              # the parameters as they were after step 10
    studio                           # in Jupyter: the live view (needs the `studio` extra)
    studio.save("run.html")          # the whole run as one page, scrubbable without a kernel

A step is what the eager loop does, `loss([model(x) for x in X], y)`, `model.zero_grad()`,
`loss.backward()`, `optimizer.step()`, with the same numbers (to 1e-9), but the loss and its
gradient come from a traced program (`nn.trace_loss`, `autograd.trace`) run on the whole dataset
as NumPy columns, so a step of micrograd's moons model takes about a millisecond.

How the loss is traced. nn's own losses (`mse_loss`, `hinge_loss`, `binary_cross_entropy`,
`binary_cross_entropy_with_logits`, and `cross_entropy` per sample) are means over the samples
by construction, so the mean of a per-sample trace is the list loss, and a new point needs no
new trace (its numbers are one more element of each column). They are known by identity, the
defaults included. Any other loss you pass runs the eager loop itself: `loss(predictions,
targets)`, `zero_grad()`, `backward()`, the optimizer's step. No numeric probe decides that a
loss of yours is a mean of per-sample terms (one point agreeing proves nothing: `relu(p[0] -
0.6)` is 0 for every sample until it is not), and a whole-batch trace of it would be slower than
the eager loop (it replays the batch as one scalar program, and must be retraced at every data
edit). So a step never gives other numbers than the eager loop: with nn's losses it is fast
(`python -m benchmarks.studio --no-browser`, moons, 100 points, MLP(2, [16, 16, 1]): under 1 ms
a step with loss=hinge_loss, about 35 ms for the eager loop). Pass nn's loss itself, not a
wrapper around it, to train fast.

The view (nn/_studio_widget.py, with its script and styles in nn/assets/) is a thin script: this
class holds the state and makes the small JSON messages it draws; the script sends back what the
user did. Nothing here imports a widget package until a view is asked for.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import html
import json
import math
import numbers
import os
import re
from collections.abc import Callable, Iterator, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

import autograd
from autograd import Program, Value, trace
from autograd._checks import describe, integer, number
from autograd._files import check_target, write_atomically
from nn import _studio_checks as checks
from nn.compiled import TracedLoss, trace_loss
from nn.losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge_loss,
    mse_loss,
)
from nn.module import MLP, Layer, Module, Neuron
from nn.optim import SGD, Optimizer

DEFAULT_LR = 0.1
FLOAT32_MAX = float(np.finfo(np.float32).max)  # parameters travel as float32 (see _pack)
FLOAT64_MAX = float(np.finfo(np.float64).max)
PLANE_LIMIT = FLOAT64_MAX / 4  # the drawn plane's edges stay within ±this: widths stay finite
GRID = 60  # the output plane's cells per side, in the view
INSTALL_HINT = "pip install 'stepgrad[studio]' (or pip install anywidget)"


class Studio:
    """A model, a dataset and an optimizer, trained step by step and recorded.

    Studio(model, X, y, *, loss=None, optimizer=None)

    X          rows of real numbers, one per sample, as many as the model has inputs
    y          one target per row: -1/+1 (hinge loss by default), class indices 0..k-1 for a
               model with k > 1 outputs (cross-entropy), other numbers (mean squared error)
    loss       None for the default above, or a callable loss(predictions, targets) -> Value
               called as nn's losses are: the model's outputs for every row, the targets
               (nn.cross_entropy, one sample's loss, means it over the rows as the default)
    optimizer  an nn optimizer over model.parameters(); default SGD(lr=0.1)

    step(n=1) -> float         n full-batch steps; the last step's loss (before its update)
    history                    one record per step: step, loss, accuracy (None for
                               regression), points (the data's size at that step)
    snapshot(k)                {name: value} of the parameters after step k (0: the start)
    gradients(k)               {name: d loss / d parameter} that step k used
    select(i), selected        the sample the views show (its activations and scalar graph)
    add_point(x, target)       a new row; returns its index.  remove_point(i)
    reset(seed=None)           back to step 0: the starting weights, or new ones drawn with seed
    set_data(X, y)             a whole new dataset (same features, same kind of targets)
    graph(step=None)           the selected sample's training step as an animated page
    save(path)                 the recorded run as one self-contained HTML page
    view()                     the live Jupyter widget (also what a notebook cell shows)
    Studio.preset(name, hidden)  an MLP on one of nn.datasets' sets, as the view's presets

    Also: X, y, dataset (the preset the data came from, None for your own), steps,
    predictions(X=None) (the traced forward pass), eager_loss() (the graph a
    step must equal), classes(), features, outputs, kind ("hinge", "cross_entropy", "mse",
    "bce_logits", "bce" for nn's binary cross-entropies, "custom"), loss_name, traced_as
    ("per sample, mean" for nn's losses | "eager" for yours).

    >>> studio = Studio(MLP(2, [16, 16, 1], seed=0), X, y)
    >>> studio.step(50)
    """

    def __init__(
        self,
        model: Module,
        X: Any,
        y: Any,
        *,
        loss: Callable[[Any, Any], Value] | None = None,
        optimizer: Optimizer | None = None,
    ) -> None:
        if not isinstance(model, Module):
            raise TypeError(
                f"Studio needs an nn.Module (e.g. nn.MLP(2, [16, 16, 1])), got {describe(model)}"
            )
        if loss is not None and not callable(loss):
            raise TypeError(
                f"Studio(loss=...) must be a callable loss(predictions, targets) or None, got "
                f"{describe(loss)}"
            )
        self.model = model
        self._drawable = _layers(model) is not None  # the script runs it: an MLP, Layer, Neuron
        self._names = [name for name, _ in model.named_parameters()]
        self._parameters = model.parameters()
        if not self._parameters:
            raise ValueError("Studio needs a model with parameters to train; this one has none")
        if optimizer is None:
            optimizer = SGD(self._parameters, lr=DEFAULT_LR)
        elif not isinstance(optimizer, Optimizer):
            raise TypeError(
                "Studio(optimizer=...) must be an nn optimizer (SGD, Adam, ...) over "
                f"model.parameters(), or None; got {describe(optimizer)}"
            )
        own = set(self._parameters)
        strangers = [k for k, p in enumerate(optimizer.params) if p not in own]
        if strangers:
            raise ValueError(
                f"the optimizer updates {len(strangers)} Value(s) that are not this model's "
                f"parameters (first at index {strangers[0]}); build it over model.parameters()"
            )
        self.optimizer = optimizer
        self._optimizer_start = _optimizer_state(optimizer)
        self.features: int = 0  # the data's columns; set from the model or, failing that, X
        given = _model_features(model)
        rows = _rows(X, given)
        self.features = rows.shape[1]
        self.outputs: int = _model_outputs(model, rows[0])
        self._custom = loss
        self.kind: str = _loss_kind(loss, self.outputs, y)
        self.loss_name = {
            "hinge": "hinge_loss",
            "cross_entropy": "cross_entropy",
            "mse": "mse_loss",
        }.get(self.kind, getattr(loss, "__name__", type(loss).__name__))
        targets = _targets(y, len(rows), self.kind, self.outputs)
        self._X, self._y = rows, targets
        self._plane = _bounds(rows)  # the input plane the view draws: set with the data
        self._selected = 0
        self._predictors = self._trace_predictors()
        self._traced: TracedLoss | None = None
        self._retrace()
        self._start = self._parameter_array()
        self._begin_history()
        self._view: Any = None
        self._watchers: list[Callable[[str], None]] = []
        self._held: list[str] | None = None
        self.dataset: str | None = None  # the preset the data came from (None: your own data)

    # ---- the data ----

    @property
    def X(self) -> list[list[float]]:
        """The data's rows now, as lists of floats."""
        return self._X.tolist()

    @property
    def y(self) -> list[float]:
        """The targets now (ints for class indices)."""
        return list(self._y)

    @property
    def selected(self) -> int:
        """The index of the sample the views show."""
        return self._selected

    def select(self, i: int) -> None:
        """Show sample `i` in the views (its activations, gradients and scalar graph)."""
        self._selected = self._index("select", i)
        self._notify_data()

    def add_point(self, x: Sequence[float], target: float) -> int:
        """Add the row `x` with its `target`; return its index. Training goes on with it.
        All or nothing: a point the Studio cannot take leaves the data as it was."""
        row = _row(x, self.features, "add_point(x)")
        (t,) = _targets([target], 1, self.kind, self.outputs, who="add_point(target)")
        X = np.vstack([self._X, row[None, :]])
        plane = self._plane
        if plane is not None and not (
            plane[0] <= row[0] <= plane[1] and plane[2] <= row[1] <= plane[3]
        ):
            plane = _bounds(X)  # the plane grows to show a point added outside it
        self._change_data(X, [*self._y, t], plane, self._selected)
        return len(self._y) - 1

    def remove_point(self, i: int) -> None:
        """Remove sample `i` (the later ones move down by one). At least one must stay."""
        i = self._index("remove_point", i)
        if len(self._y) == 1:
            raise ValueError("remove_point cannot remove the last sample: a step needs data")
        y = self._y[:i] + self._y[i + 1 :]
        selected = self._selected
        if selected > i or selected == len(y):
            selected -= 1
        self._change_data(np.delete(self._X, i, axis=0), y, self._plane, selected)

    def set_data(self, X: Any, y: Any) -> None:
        """Replace the whole dataset (the same features and kind of targets); training goes on."""
        rows = _rows(X, self.features)
        targets = _targets(y, len(rows), self.kind, self.outputs)
        self._change_data(rows, targets, _bounds(rows), 0)
        self.dataset = None

    def use_preset(self, name: str, n: int | None = None, *, seed: int = 0) -> None:
        """Train on a fresh draw of one of nn.datasets' sets (moons, circles, xor, spiral,
        linear) from step 0: `n` points (default: as many as now), seeded. The model needs two
        inputs and one output, with targets -1/+1."""
        from nn.datasets import NAMES, make

        name = checks.name("use_preset(name)", name, NAMES)
        count = len(self._y) if n is None else integer("use_preset(n)", n, low=2)
        if not _presets_allowed(self):
            raise ValueError(
                "use_preset needs a Studio whose model takes 2 inputs and gives 1 output trained "
                f"on -1/+1 targets; this one takes {self.features} and gives {self.outputs}"
            )
        X, y = make(name, count, seed=seed)
        with self._together():
            self.set_data(X, y)
            self.dataset = name
            self.reset()

    @property
    def lr(self) -> float:
        """The optimizer's learning rate; set it (a finite number >= 0) for the next steps."""
        return float(self.optimizer.lr)

    @lr.setter
    def lr(self, value: float) -> None:
        self.optimizer.lr = checks.rate("learning rate", value)

    def _index(self, who: str, i: object) -> int:
        return checks.sample_index(who, i, len(self._y))

    def _change_data(
        self, X: np.ndarray, y: list[Any], plane: list[float] | None, selected: int
    ) -> None:
        """Train on X, y from now on, or, should the new data fail (a loss of yours that raises
        on it, a view that cannot take it), stay as before and raise."""
        before = (self._X, self._y, self._plane, self._selected, self._traced)
        self._X, self._y, self._plane, self._selected = X, y, plane, selected
        self._versions.append((X.copy(), list(y)))
        try:
            self._retrace()
            self._notify_data()
        except BaseException:
            self._X, self._y, self._plane, self._selected, self._traced = before
            self._versions.pop()
            raise

    # ---- training ----

    def step(self, n: int = 1) -> float:
        """Train `n` full-batch steps; return the last step's loss (computed before its update).

        Each step: loss over all rows, model.zero_grad(), backward, optimizer.step(), as the
        eager loop, through the traced program.
        """
        n = integer("step(n)", n, high=None)
        loss = math.nan
        for _ in range(n):
            loss = self._one_step()
        self._notify_frame()
        return loss

    def _one_step(self) -> float:
        accuracy = self._accuracy()
        self.model.zero_grad()
        loss = self._traced_backward()
        self._grads.append(np.array([p.grad for p in self._parameters]))
        self.optimizer.step()
        self._params.append(self._parameter_array())
        self._records.append((loss, accuracy, len(self._y), len(self._versions) - 1))
        return loss

    def _traced_backward(self) -> float:
        if self._traced is None:  # a loss of yours: the eager loop, exact for any loss
            graph = self.eager_loss()
            graph.backward()
            return graph.data
        return self._traced.backward(self._X, self._target_columns(), reduce="mean")

    def _target_columns(self) -> np.ndarray:
        if self.kind == "cross_entropy":
            return np.eye(self.outputs)[np.asarray(self._y, dtype=int)]
        return np.asarray(self._y, dtype=np.float64)

    @property
    def history(self) -> list[dict[str, Any]]:
        """One record per step: {'step', 'loss', 'accuracy', 'points'}; accuracy is None where
        it means nothing (regression)."""
        return [
            {"step": k + 1, "loss": loss, "accuracy": acc, "points": points}
            for k, (loss, acc, points, _) in enumerate(self._records)
        ]

    @property
    def steps(self) -> int:
        """The number of steps trained since the start (or the last reset)."""
        return len(self._records)

    def snapshot(self, k: int) -> dict[str, float]:
        """Return {parameter name: value} as it was after step `k` (0: before the first step;
        negative k counts from the last, as a list's index)."""
        k = self._step_index("snapshot", k, len(self._params))
        return dict(zip(self._names, self._params[k].tolist()))

    def gradients(self, k: int) -> dict[str, float]:
        """Return {parameter name: d loss / d parameter} that step `k` (1 to steps; -1 the last,
        -steps the first) used."""
        if isinstance(k, bool) or not isinstance(k, numbers.Integral):
            raise TypeError(f"gradients needs a step number (an int), got {describe(k)}")
        j, n = int(k), len(self._grads)
        if j == 0:
            raise IndexError("gradients(0): step 0 is the start; steps that ran are 1 and up")
        if n == 0:
            raise IndexError(f"gradients({j}): no step has run yet, so no step has gradients")
        if not -n <= j <= n:
            raise IndexError(
                f"gradients({j}): step {j} is out of range; steps that ran are 1 to {n} "
                f"(or -{n} to -1 from the last)"
            )
        return dict(zip(self._names, self._grads[j - 1 if j > 0 else j].tolist()))

    def _step_index(self, who: str, k: object, count: int) -> int:
        return checks.step_index(who, k, count)

    def reset(self, seed: int | None = None) -> None:
        """Start again at step 0: with the weights the Studio started from (seed=None), or with
        weights drawn afresh with `seed` as the model's constructor draws them (MLP, Layer,
        Neuron). The optimizer's state (momenta, step count) starts again too; its learning
        rate stays as it is now."""
        seed = checks.seed("reset(seed)", seed)
        if seed is None:
            values = self._start
        else:
            values = _fresh_weights(self.model, seed)
        for p, v in zip(self._parameters, values.tolist()):
            p.data = v
            p.grad = 0.0
        lr = self.optimizer.lr
        vars(self.optimizer).update(copy.deepcopy(self._optimizer_start))
        self.optimizer.lr = lr
        self._begin_history()
        self._notify_data()

    def _begin_history(self) -> None:
        self._params = [self._parameter_array()]
        self._grads: list[np.ndarray] = []
        self._records: list[tuple[float, float | None, int, int]] = []
        self._versions = [(self._X.copy(), list(self._y))]

    def _parameter_array(self) -> np.ndarray:
        return np.array([p.data for p in self._parameters])

    # ---- predictions and accuracy ----

    def _trace_predictors(self) -> list[Program]:
        """One traced program per model output: the model's forward pass on one row."""
        model, features = self.model, self._X.shape[1]
        names = [f"x{k}" for k in range(features)]

        def output(j: int) -> Callable[..., Value]:
            def forward(*xs: Value) -> Value:
                out = model(list(xs))
                return out if self.outputs == 1 else out[j]

            forward.__signature__ = _signature(names)  # type: ignore[attr-defined]
            forward.__name__ = "model_output" if self.outputs == 1 else f"model_output_{j}"
            return forward

        first = self._X[0].tolist()
        return [trace(output(j), *first, params=self._parameters) for j in range(self.outputs)]

    def predictions(self, X: Any = None) -> np.ndarray:
        """Return the model's outputs for the rows X (default: the data), through the traced
        forward pass: shape (n,) for one output, (n, k) for k outputs."""
        rows = self._X if X is None else _rows(X, self.features)
        columns = list(rows.T)
        outs = [np.asarray(prog(*columns), dtype=np.float64) for prog in self._predictors]
        return outs[0] if self.outputs == 1 else np.stack(outs, axis=1)

    def _accuracy(self) -> float | None:
        if not self._classifies():
            return None
        out = self.predictions()
        if self.outputs == 1:
            low, high = self._labels()
            middle = (low + high) / 2
            right = (out > self._threshold()) == (np.asarray(self._y) > middle)
        else:
            right = np.argmax(out, axis=1) == np.asarray(self._y)
        return float(np.mean(right))

    def _threshold(self) -> float:
        """Where one output splits the two classes: 0 for a score or a logit, 0.5 for a
        probability (binary_cross_entropy)."""
        return 0.5 if self.kind == "bce" else 0.0

    def _labels(self) -> tuple[float, float]:
        """The two targets of a one-output classifier: (0, 1) for the binary cross-entropies,
        (-1, +1) otherwise."""
        return (0.0, 1.0) if self.kind in ("bce", "bce_logits") else (-1.0, 1.0)

    def _classifies(self) -> bool:
        if self.kind == "hinge" or self.kind == "cross_entropy":
            return True
        if self.kind == "mse":
            return False
        if self.outputs == 1:
            return all(t in self._labels() for t in self._y)
        return all(float(t).is_integer() and 0 <= t < self.outputs for t in self._y)

    def classes(self) -> list[float] | None:
        """The targets a new point may take in the view: [-1, 1] (hinge, or a loss of yours on
        -1/+1 targets), [0, 1] (binary cross-entropy on 0/1 targets: class 1 where the logit is
        positive, or the probability above 1/2), 0..k-1 (k outputs), or None (any number:
        regression, or soft targets)."""
        if self.kind == "hinge":
            return [-1.0, 1.0]
        if self.kind == "cross_entropy":
            return list(range(self.outputs))
        if self.kind in ("bce", "bce_logits"):
            return list(self._labels()) if self._classifies() else None
        if self._classifies():
            return sorted(set(self._y))
        return None

    # ---- the traced loss ----

    def _per_sample(self) -> Callable[[Any, Any], Value]:
        if self.kind == "hinge":
            return lambda p, t: hinge_loss([p], [t])
        if self.kind == "mse":
            return lambda p, t: mse_loss([p], [t])
        if self.kind == "cross_entropy":
            return lambda logits, onehot: cross_entropy(logits, onehot)
        custom = self._custom
        assert custom is not None
        return lambda p, t: custom([p], [t])

    def eager_loss(self) -> Value:
        """Return the loss over all rows as an eager graph: what a step's trace must equal."""
        preds = [self.model(row) for row in self._X.tolist()]
        if self.kind == "hinge":
            return hinge_loss(preds, self._y)
        if self.kind == "mse":
            return mse_loss(preds, self._y)
        if self.kind == "cross_entropy":
            terms = [cross_entropy(p, int(t)) for p, t in zip(preds, self._y)]
            return autograd.sum(terms) / len(terms)
        assert self._custom is not None
        out = self._custom(preds, list(self._y))
        if not isinstance(out, Value):
            raise TypeError(
                f"Studio's loss must return one Value, got {describe(out)} from "
                f"{self.loss_name}(predictions, targets)"
            )
        return out

    def _retrace(self) -> None:
        """Build the traced loss, once: per sample, for nn's own losses (means over the samples
        by construction; a new point is one more element of each column). A loss of yours runs
        the eager loop (no trace), which a data edit checks by running it once."""
        if self.kind != "custom" or any(self._custom is f for f in _MEAN_LOSSES):
            if self._traced is None:
                target = np.eye(self.outputs)[0] if self.kind == "cross_entropy" else self._y[0]
                self._traced = trace_loss(self.model, self._per_sample(), self._X[0], target)
            return
        with autograd.no_grad():
            self.eager_loss()  # a loss that fails on the new data fails here, at the call

    @property
    def traced_as(self) -> str:
        """How a step's loss runs: "per sample, mean" (nn's losses, traced) or "eager" (a loss
        of yours: the eager loop itself)."""
        return "eager" if self._traced is None else "per sample, mean"

    # ---- the selected sample's scalar graph ----

    def graph(self, step: int | None = None, *, max_nodes: int = 1500) -> Any:
        """Return an `autograd.viz.Animation`: the selected sample's loss at step `step`
        (default: now) played forward, error, backward and update (w <- w - lr·grad).

        The model is copied, so nothing here touches the live parameters or gradients.
        """
        k = self.steps if step is None else self._step_index("graph", step, len(self._params))
        model = copy.deepcopy(self.model)
        params = model.parameters()
        for p, v in zip(params, self._params[k].tolist()):
            p.data, p.grad = v, 0.0
        i = self._selected
        pred = model(self._X[i].tolist())
        t = self._y[i]
        if self.kind == "hinge":
            loss = hinge_loss([pred], [t])
        elif self.kind == "mse":
            loss = mse_loss([pred], [t])
        elif self.kind == "cross_entropy":
            loss = cross_entropy(pred, int(t))
        else:
            assert self._custom is not None
            loss = self._custom([pred], [t])
        return autograd.animate(
            loss,
            forward=True,
            params=params,
            lr=self.optimizer.lr,
            max_nodes=max_nodes,
            title=f"sample {i} at step {k}: forward, error, backward, update",
        )

    # ---- what the view draws: small JSON messages ----

    def _network(self) -> dict[str, Any] | None:
        """The model's layers for the view's drawing and its forward pass in the browser; None
        for a model that is not an MLP, Layer or Neuron (the view then draws its parameters as
        bars and gets the outputs from here, see _outputs)."""
        layers = _layers(self.model)
        if layers is None:
            return None
        sizes = [self.features] + [len(layer.neurons) for layer in layers]
        return {
            "sizes": sizes,
            "activations": [layer.neurons[0].activation for layer in layers],
            "names": self._names,
        }

    def _setup_message(self) -> dict[str, Any]:
        return {
            "type": "setup",
            "network": self._network(),
            "names": self._names,
            "features": self.features,
            "outputs": self.outputs,
            "kind": self.kind,
            "loss": self.loss_name,
            "classes": self.classes(),
            "grid": self._grid_size(),
            "lr": self.optimizer.lr,
            "optimizer": type(self.optimizer).__name__,
            "presets": _presets_allowed(self),
            "dataset": self.dataset,
        }

    def _data_message(self) -> dict[str, Any]:
        version = len(self._versions) - 1
        return {
            "type": "data",
            "version": version,
            "X": _rounded(self._X.tolist()),
            "y": list(self._y),
            "selected": self._selected,
            "bounds": self._plane,
            "steps": self.steps,
            "records": self._record_rows(0),
            "params": _pack(self._params[-1]),
            "grads": _pack(self._grads[-1]) if self._grads else None,
            "lr": self.optimizer.lr,
            **self._outputs(self.steps, self._X, grid=True),
        }

    def _frame_message(self, since: int) -> dict[str, Any]:
        """The state after the last step, and the records of the steps after `since`."""
        return {
            "type": "frame",
            "step": self.steps,
            "params": _pack(self._params[-1]),
            "grads": _pack(self._grads[-1]) if self._grads else None,
            "records": self._record_rows(since),
            "version": len(self._versions) - 1,
            **self._outputs(self.steps, self._X, grid=True),
        }

    def _past_message(self, k: int) -> dict[str, Any]:
        k = self._step_index("show", k, len(self._params))
        version = self._records[k - 1][3] if k else 0
        return {
            "type": "past",
            "step": k,
            "params": _pack(self._params[k]),
            "grads": _pack(self._grads[k - 1]) if k else None,
            "version": version,
            "X": _rounded(self._versions[version][0].tolist()),
            "y": self._versions[version][1],
            **self._outputs(k, self._versions[version][0], grid=True),
        }

    def _record_rows(self, since: int) -> list[list[Any]]:
        return [
            [k + 1, _short(loss), None if acc is None else round(acc, 4), version]
            for k, (loss, acc, _, version) in enumerate(self._records[since:], start=since)
        ]

    def _run_data(self) -> dict[str, Any]:
        """The whole recorded run for a saved page: parameters × steps, not drawings × steps."""
        return {
            "setup": self._setup_message(),
            "versions": [{"X": _rounded(X.tolist()), "y": y} for X, y in self._versions],
            "records": self._record_rows(0),
            "params": _pack(np.concatenate(self._params)),
            "grads": _pack(np.concatenate(self._grads)) if self._grads else None,
            "selected": self._selected,
            "bounds": self._plane,
            "outputs": [  # a model the page cannot run: its outputs on each step's points
                self._outputs(k, self._versions[self._records[k - 1][3] if k else 0][0]).get(
                    "outputs"
                )
                for k in range(len(self._params))
            ]
            if not self._drawable
            else None,
        }

    def _grid_size(self) -> int:
        return GRID if self.outputs == 1 or self._drawable else GRID * 2 // 3

    def _outputs(self, k: int, X: np.ndarray, *, grid: bool = False) -> dict[str, Any]:
        """For a model the script cannot run itself: its outputs after step k on the rows X and
        (grid=True, two inputs) over the plane's grid, as base64 float32, row by row. {} for an
        MLP, Layer or Neuron, whose outputs the script computes from the parameters."""
        if self._drawable:
            return {}
        now = [p.data for p in self._parameters]
        try:
            for p, v in zip(self._parameters, self._params[k].tolist()):
                p.data = v
            out: dict[str, Any] = {"outputs": _pack(self.predictions(X).reshape(-1))}
            if grid and self.features == 2 and self._plane is not None:
                G = self._grid_size()
                x0, x1, y0, y1 = self._plane
                cx = x0 + (np.arange(G) + 0.5) / G * (x1 - x0)
                cy = y1 - (np.arange(G) + 0.5) / G * (y1 - y0)
                rows = np.array([[a, b] for b in cy for a in cx])  # row by row, top first
                out["grid"] = _pack(self.predictions(rows).reshape(-1))
            return out
        finally:
            for p, v in zip(self._parameters, now):
                p.data = v

    def watch(self, callback: Callable[[str], None]) -> Callable[[], None]:
        """Call `callback(event)` after every change; return a function that stops it.

        event "steps": steps were trained (step); "data": the points, the selected sample or
        the run changed (add_point, remove_point, set_data, select, reset, use_preset). The
        live view watches its Studio this way, so a cell that calls studio.step() moves it.
        """
        if not callable(callback):
            raise TypeError(f"watch(callback) needs a callable, got {describe(callback)}")
        self._watchers.append(callback)

        def unwatch() -> None:
            if callback in self._watchers:
                self._watchers.remove(callback)

        return unwatch

    @property
    def watched(self) -> bool:
        """True while something watches this Studio (a live view)."""
        return bool(self._watchers)

    def _notify(self, event: str) -> None:
        if self._held is not None:  # inside _together(): told once, at its end
            if event not in self._held:
                self._held.append(event)
            return
        for callback in list(self._watchers):
            callback(event)

    @contextlib.contextmanager
    def _together(self) -> Iterator[None]:
        """Changes made inside reach the watchers as one event each, at the end."""
        if self._held is not None:
            yield
            return
        self._held = []
        try:
            yield
        finally:
            events, self._held = self._held, None
            for event in events:
                self._notify(event)

    def _notify_frame(self) -> None:
        self._notify("steps")

    def _notify_data(self) -> None:
        self._notify("data")

    # ---- the view and the saved page ----

    def view(self) -> Any:
        """Return the live Jupyter widget of this Studio (one per Studio; needs anywidget)."""
        if self._view is None:
            try:
                from nn._studio_widget import StudioWidget
            except ImportError as error:
                raise ImportError(
                    f"the Studio's live view needs anywidget: {INSTALL_HINT} ({error})"
                ) from None
            self._view = StudioWidget(self)
        return self._view

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        try:
            view = self.view()
        except ImportError as error:
            return {"text/plain": f"{self!r}\n(no live view: {error})"}
        return view._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        last = f", loss {self._records[-1][0]:.4g}" if self._records else ""
        return (
            f"<Studio {self.model!r} on {len(self._y)} samples, {self.loss_name}, "
            f"{type(self.optimizer).__name__}(lr={self.optimizer.lr:g}): {self.steps} steps{last}>"
        )

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the recorded run as one self-contained HTML page (.html): the network, the data
        with the model's output, the loss curve and a timeline over every recorded step, drawn
        in the browser from the parameters of each step; no kernel, nothing fetched. Written
        whole or not at all; returns the path."""
        if isinstance(path, (bytes, bytearray)) or not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"save(path) needs a file path (str or Path), got {describe(path)}")
        target = Path(path)
        if target.suffix.lower() not in (".html", ".htm"):
            raise ValueError(
                f"save(path) writes an HTML page: name a .html file, got {str(path)!r}"
            )
        check_target(target)
        page = studio_page(self._run_data(), title=f"stepgrad Studio: {self.model!r}")
        write_atomically(target, page.encode("utf-8"))
        return target

    @classmethod
    def preset(
        cls,
        dataset: str = "moons",
        hidden: Sequence[int] = (16, 16),
        *,
        n: int = 100,
        seed: int = 0,
        lr: float = DEFAULT_LR,
    ) -> Studio:
        """Return a Studio on one of nn.datasets' sets with an MLP(2, [*hidden, 1]) (ReLU,
        linear output), the hinge loss and SGD(lr): the view's presets.

        >>> Studio.preset("spiral", hidden=[16, 16])
        """
        from nn.datasets import make

        X, y = make(dataset, n, seed=seed)
        sizes = [integer(f"hidden[{k}]", h) for k, h in enumerate(hidden)]
        model = MLP(2, [*sizes, 1], seed=seed)
        studio = cls(model, X, y, optimizer=SGD(model.parameters(), lr=number("lr", lr)))
        studio.dataset = dataset
        return studio


# ---- the page ----


def _asset(name: str) -> str:
    return resources.files("nn.assets").joinpath(name).read_text(encoding="utf-8")


def studio_page(run: dict[str, Any], *, title: str = "stepgrad Studio") -> str:
    """Return a self-contained HTML page that replays a recorded run (see Studio.save)."""
    data = json.dumps(run, separators=(",", ":"), allow_nan=False).replace("<", "\\u003c")
    parts = {
        "title": html.escape(title),
        "style": _asset("studio.css"),
        "data": data,
        "script": _asset("studio.js"),
    }
    return re.sub(
        r"\{\{(title|style|data|script)\}\}", lambda m: parts[m[1]], _asset("studio.html")
    )


# ---- checks and helpers ----


def _signature(names: list[str]) -> Any:
    import inspect

    return inspect.Signature(
        [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in names]
    )


def _layers(model: Module) -> list[Layer] | None:
    if isinstance(model, MLP):
        return list(model.layers)
    if isinstance(model, Layer):
        return [model]
    if isinstance(model, Neuron):
        layer = Layer.__new__(Layer)
        layer.neurons = [model]
        return [layer]
    return None


def _model_features(model: Module) -> int | None:
    layers = _layers(model)
    return None if layers is None else len(layers[0].neurons[0].w)


def _row(x: object, features: int | None, who: str) -> np.ndarray:
    return checks.row(who, x, features)


def _arrayish(x: object) -> object:
    """A DataFrame, a Series, a tensor (anything NumPy converts, not a list) as an array; a
    column of targets (n, 1) as (n,). Lists stay lists, so their items are checked one by one."""
    if not isinstance(x, (list, tuple, np.ndarray)) and hasattr(x, "__array__"):
        x = np.asarray(x)
    return x


def _column(y: object) -> object:
    y = _arrayish(y)
    if isinstance(y, np.ndarray) and y.ndim == 2 and y.shape[1] == 1:
        return y[:, 0]
    return y


def _rows(X: object, features: int | None) -> np.ndarray:
    X = _arrayish(X)
    if isinstance(X, np.ndarray):
        if X.ndim != 2:
            raise ValueError(f"X must be a 2-D array (one row per sample), got shape {X.shape}")
        if X.dtype.kind not in "iuf":
            raise TypeError(f"X must hold real numbers, got an array of dtype {X.dtype}")
        rows = np.array(X, dtype=np.float64)
        if not np.all(np.isfinite(rows)):
            raise ValueError("X must hold finite numbers; it has nan or inf")
        if features is not None and rows.shape[1] != features:
            raise ValueError(
                f"X has {rows.shape[1]} column(s), but the model takes {features} input(s)"
            )
        if len(rows) == 0:
            raise ValueError("X is empty: a Studio needs at least one sample")
        return rows
    if isinstance(X, (str, bytes)) or not isinstance(X, Sequence):
        raise TypeError(f"X must be a list of rows of numbers, got {describe(X)}")
    if len(X) == 0:
        raise ValueError("X is empty: a Studio needs at least one sample")
    first = X[0]
    if isinstance(first, (numbers.Real, np.generic)) and not isinstance(first, bool):
        raise TypeError(
            f"X must be a list of rows (one list of numbers per sample), got a list of numbers "
            f"starting {describe(first)}; for one input per sample write [[x] for x in X]"
        )
    features = features if features is not None else len(_row(first, None, "X[0]"))
    return np.array([_row(r, features, f"X[{k}]") for k, r in enumerate(X)])


def _model_outputs(model: Module, row: np.ndarray) -> int:
    try:
        with autograd.no_grad():
            out = model(row.tolist())
    except Exception as error:  # noqa: BLE001 - named with the row it failed on
        raise ValueError(
            f"the model fails on the first row of X ({len(row)} number(s)): "
            f"{type(error).__name__}: {error}"
        ) from error
    if isinstance(out, Value):
        return 1
    if isinstance(out, (list, tuple)) and out and all(isinstance(v, Value) for v in out):
        return len(out)
    raise TypeError(
        f"the model must return a Value or a list of Values for a row, got {describe(out)}"
    )


def _loss_kind(loss: object, outputs: int, y: object) -> str:
    y = _column(y)
    if loss is cross_entropy and outputs > 1:  # one sample's loss: the mean is the default's
        return "cross_entropy"
    if loss is binary_cross_entropy_with_logits and outputs == 1:
        return "bce_logits"
    if loss is binary_cross_entropy and outputs == 1:
        return "bce"
    if loss is not None:
        return "custom"
    if outputs > 1:
        return "cross_entropy"
    if isinstance(y, (str, bytes)) or not (
        isinstance(y, Sequence) or (isinstance(y, np.ndarray) and y.ndim == 1)
    ):
        return "mse"  # _targets names the mistake
    try:
        signs = all(float(t) in (-1.0, 1.0) for t in y)
    except (TypeError, ValueError):
        return "mse"
    return "hinge" if signs else "mse"


def _targets(y: object, n: int, kind: str, outputs: int, who: str = "y") -> list[Any]:
    y = _column(y)
    if isinstance(y, (str, bytes)) or not (
        isinstance(y, Sequence) or (isinstance(y, np.ndarray) and y.ndim == 1)
    ):
        raise TypeError(f"{who} must be a list of targets, one number per row, got {describe(y)}")
    if len(y) != n:
        raise ValueError(f"X has {n} rows but {who} has {len(y)} targets; give one per row")
    shown = who if who != "y" else None
    out: list[Any] = []
    for k, t in enumerate(y):
        out.append(checks.target(shown or f"y[{k}]", t, kind, outputs))
    return out


def _optimizer_state(optimizer: Optimizer) -> dict[str, Any]:
    return copy.deepcopy({k: v for k, v in vars(optimizer).items() if k != "params"})


def _fresh_weights(model: Module, seed: int) -> np.ndarray:
    from nn.module import make_rng

    rng = make_rng(int(seed))
    init = getattr(model, "init", "uniform")  # a module pickled before modules kept their init
    if isinstance(model, MLP):
        sizes = [len(layer.neurons) for layer in model.layers]
        fresh: Module = MLP(
            _model_features(model) or 1,
            sizes,
            model.activation,
            model.output_activation,
            seed=rng,
            init=init,
        )
    elif isinstance(model, Layer):
        n = model.neurons[0]
        fresh = Layer(len(n.w), len(model.neurons), n.activation, seed=rng, init=init)
    elif isinstance(model, Neuron):
        fan_out = getattr(model, "fan_out", 1)
        fresh = Neuron(len(model.w), model.activation, seed=rng, init=init, fan_out=fan_out)
    else:
        raise TypeError(
            f"reset(seed) draws new weights for MLP, Layer and Neuron; for a "
            f"{type(model).__name__} call reset() (the starting weights) or set them yourself"
        )
    return np.array([p.data for p in fresh.parameters()])


# nn's list losses: means over the samples by construction, so traced per sample (by identity)
_MEAN_LOSSES = (mse_loss, hinge_loss, binary_cross_entropy, binary_cross_entropy_with_logits)


def _presets_allowed(studio: Studio) -> list[str]:
    from nn.datasets import NAMES

    if studio.features == 2 and studio.outputs == 1 and studio.kind in ("hinge", "custom"):
        return list(NAMES)
    return []


def _pack(values: np.ndarray) -> str:
    """float32 little-endian bytes in base64: 5.3 characters a number (JSON needs ~10).
    Beyond float32's range (a diverging run) a value is sent as ±3.4e38, its largest; nan stays."""
    wide = np.clip(np.asarray(values, dtype=np.float64), -FLOAT32_MAX, FLOAT32_MAX)
    return base64.b64encode(wide.astype("<f4").tobytes()).decode("ascii")


def _short(x: float) -> float | None:
    if not math.isfinite(x):
        return None
    return float(f"{x:.6g}")


def _rounded(rows: list[list[float]]) -> list[list[float]]:
    """Five digits a number; 1.79769e308 would round up past float64's largest: kept finite."""
    return [[min(max(float(f"{v:.5g}"), -FLOAT64_MAX), FLOAT64_MAX) for v in row] for row in rows]


def _bounds(X: np.ndarray) -> list[float] | None:
    """[x_min, x_max, y_min, y_max] of the first two features, 15% wider: the plane drawn.

    Finite for any finite data, and so is every width x_max - x_min: the plane stops at
    ±PLANE_LIMIT (a quarter of float64's largest), so points beyond it (|x| > 4.5e307) lie off
    the drawing rather than make it inf.
    """
    if X.shape[1] != 2:
        return None
    low, high = X.min(axis=0), X.max(axis=0)
    middle = low / 2 + high / 2  # halves first: (low + high) / 2 overflows near float64's end
    half = np.maximum(high / 2 - low / 2, 0.5)
    with np.errstate(over="ignore"):  # an edge past float64's end is inf, then clipped
        edges = np.clip([middle - half * 1.15, middle + half * 1.15], -PLANE_LIMIT, PLANE_LIMIT)
    return [float(edges[0, 0]), float(edges[1, 0]), float(edges[0, 1]), float(edges[1, 1])]
