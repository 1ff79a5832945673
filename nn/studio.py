"""Watching a network learn: `Studio` holds a model, its data and its training run.

    from nn import MLP, Studio
    from nn.datasets import make
    X, y = make("moons", 100)
    studio = Studio(MLP(2, [16, 16, 1], seed=0), X, y)
    studio.step(100)                 # 100 full-batch steps; returns the last loss
    studio.history[-1]               # {'step': 100, 'loss': ..., 'accuracy': ..., ...}
    studio.snapshot(10)              # the parameters as they were after step 10
    studio.frame(10)                 # every number the view draws at step 10
    studio                           # in Jupyter: the live view (needs the `studio` extra)
    studio.save("run.html")          # the whole run as one page, scrubbable without a kernel

A step is what the eager loop does, `loss([model(x) for x in X], y)` (plus the L2 term
`l2_penalty(weights, l2)` when `l2` is set), `model.zero_grad()`, `loss.backward()`,
`optimizer.step()`, with the same numbers (to 1e-9), but the data loss and its gradient come
from a traced program (`nn.trace_loss`, `autograd.trace`) run on the training rows as NumPy
columns, so a step of micrograd's moons model takes about a millisecond.

TensorFlow Playground's controls are here too, in the headless API and in the view alike: a
train/test split (`test=`, the test loss recorded beside the training loss), L2 regularisation
(`l2=`, over the neurons' weights, not their biases, as the Playground does), input features
(`inputs=("x1", "x2", "x1^2", ...)`, computed from two columns of data), noise (`use_preset(...,
noise=)`), and layers, neurons and the activation changed between runs (`rebuild`).

How the loss is traced. nn's own losses (`mse_loss`, `hinge_loss`, `binary_cross_entropy`,
`binary_cross_entropy_with_logits`, and `cross_entropy` per sample) are means over the samples
by construction, so the mean of a per-sample trace is the list loss, and a new point needs no
new trace (its numbers are one more element of each column). They are known by identity, the
defaults included. Any other loss you pass runs the eager loop itself: `loss(predictions,
targets)`, `zero_grad()`, `backward()`, the optimizer's step. No numeric probe decides that a
loss of yours is a mean of per-sample terms (one point agreeing proves nothing: `relu(p[0] -
0.6)` is 0 for every sample until it is not), and a whole-batch trace of it would be slower than
the eager loop. So a step never gives other numbers than the eager loop. The L2 term is built
once per step, outside the per-sample trace (`loss + l2_penalty(weights, l2)`, as the eager loop
writes it), so it is right whatever the compiler does with a per-sample penalty.

What the view shows is computed here, not in the browser: `frame(k)` holds every neuron's
activation over the input plane (its heat map), the model's output there and the decision
boundary traced through it, and the selected sample's forward and backward pass neuron by
neuron. The activations over the plane come from one traced program, f(x, c) = Σ c_j a_j(x)
over every neuron j: its gradient with respect to c_j is a_j(x) itself, for every point of the
plane at once. The view (nn/_studio_widget.py, the protocol in nn/studio_protocol.py, the
script in nn/assets/) only draws; nothing here imports a widget package until a view is asked
for.
"""

from __future__ import annotations

import contextlib
import copy
import inspect
import math
import numbers
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

import autograd
from autograd import Program, Value, trace
from autograd._checks import choice, describe, integer, shown
from autograd._files import check_target, write_atomically
from nn import _studio_checks as checks
from nn.compiled import TracedLoss, trace_loss
from nn.losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge_loss,
    l2_penalty,
    mse_loss,
)
from nn.module import ACTIVATIONS, MLP, Layer, Module, Neuron
from nn.optim import SGD, Optimizer

DEFAULT_LR = 0.1
GRID = 60  # cells per side of the model's output over the plane
MAP_GRID = 12  # cells per side of each neuron's heat map (TensorFlow Playground's: 10)
MAX_HIDDEN_LAYERS = 6  # the largest network the Studio accepts: 6 hidden layers of 32 neurons
MAX_WIDTH = 32  # neurons in a layer (hidden or output)
MAX_MODEL_INPUTS = 64  # inputs of a drawn network
MAX_TEST = 0.9  # the largest share of points held out for testing
MAX_NOISE = 1.0
MAX_L2 = 10.0
FLOAT64_MAX = float(np.finfo(np.float64).max)
PLANE_LIMIT = FLOAT64_MAX / 4  # the drawn plane's edges stay within ±this: widths stay finite
INSTALL_HINT = "pip install 'stepgrad[studio]' (or pip install anywidget)"

# TensorFlow Playground's input features, computed from a point's two numbers (x1, x2)
INPUTS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "x1": lambda a, b: a,
    "x2": lambda a, b: b,
    "x1^2": lambda a, b: a * a,
    "x2^2": lambda a, b: b * b,
    "x1*x2": lambda a, b: a * b,
    "sin(x1)": lambda a, b: np.sin(a),
    "sin(x2)": lambda a, b: np.sin(b),
}


class Studio:
    """A model, a dataset and an optimizer, trained step by step and recorded.

    Studio(model, X, y, *, loss=None, optimizer=None, inputs=None, l2=0.0, test=0.0,
           split_seed=0)

    X          rows of real numbers, one per sample
    y          one target per row: -1/+1 (hinge loss by default), class indices 0..k-1 for a
               model with k > 1 outputs (cross-entropy), other numbers (mean squared error)
    loss       None for the default above, or a callable loss(predictions, targets) -> Value
               called as nn's losses are: the model's outputs for every training row, their
               targets (nn.cross_entropy, one sample's loss, means it over the rows)
    optimizer  an nn optimizer over model.parameters(); default SGD(lr=0.1)
    inputs     None: the model reads X's columns; or names from INPUTS (X then has two
               columns x1, x2): "x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)"
    l2         the L2 rate: each step's loss is the data loss + l2_penalty(weights, l2),
               l2·Σ w² over the neurons' weights (not biases), as TensorFlow Playground
    test       the share of points held out (0 to 0.9), chosen by a shuffle seeded with
               split_seed; steps train on the others, and each step records the test loss

    step(n=1) -> float         n full-batch steps; the last step's loss (before its update)
    history                    one record per step: step, loss (data + L2), data_loss,
                               penalty, accuracy, test_loss, test_accuracy, points
    snapshot(k), gradients(k)  the parameters after step k; the gradient step k used
    frame(k)                   every number the view draws at step k (see frame)
    select(i), selected        the sample the views show
    add_point(x, target, test=False) -> index;  remove_point(i);  set_data(X, y)
    use_preset(name, n=None, noise=None, seed=0)   a fresh draw of one of nn.datasets' sets
    test, l2, lr               settable: the split, the L2 rate, the learning rate
    rebuild(hidden, activation=, inputs=, seed=)   another MLP, from step 0
    reset(seed=None)           back to step 0: the starting weights, or new ones drawn with seed
    graph(step), neuron_graph(layer, index, step)  the selected sample's scalar graph, whole or
                               one neuron's, as an animated page
    save(path), view(), watch(callback), Studio.preset(name, hidden)

    The largest model the Studio accepts is an MLP of 6 hidden layers of 32 neurons each (and
    at most 64 inputs, 32 outputs): its view draws every neuron. Any other nn.Module trains
    too; its view draws its parameters as bars.

    >>> studio = Studio(MLP(2, [16, 16, 1], seed=0), X, y, test=0.3, l2=0.001)
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
        inputs: Sequence[str] | None = None,
        l2: float = 0.0,
        test: float = 0.0,
        split_seed: int = 0,
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
        _check_size(model)
        self._inputs = None if inputs is None else checks.names("inputs", inputs, list(INPUTS), 7)
        model_inputs = _model_features(model)
        if self._inputs is not None and model_inputs not in (None, len(self._inputs)):
            raise ValueError(
                f"inputs names {len(self._inputs)} input(s), but the model takes {model_inputs}"
            )
        rows = _rows(X, 2 if self._inputs is not None else model_inputs)
        self.features: int = rows.shape[1]  # the data's columns (x1, x2 with inputs)
        self._X = rows
        self._l2 = checks.rate("l2", l2, high=MAX_L2)
        self._test_share = checks.fraction("test", test, MAX_TEST)
        self.split_seed: int = integer("split_seed", split_seed, low=0, high=None)
        self._custom = loss
        self._start_model(model, optimizer)
        self.outputs: int = _model_outputs(model, self._model_rows(rows[:1])[0])
        self.kind: str = _loss_kind(loss, self.outputs, y)
        self.loss_name: str = {
            "hinge": "hinge_loss",
            "cross_entropy": "cross_entropy",
            "mse": "mse_loss",
        }.get(self.kind, getattr(loss, "__name__", type(loss).__name__))
        if self.outputs > MAX_WIDTH and _layers(model) is not None:
            raise ValueError(f"the model has {self.outputs} outputs; the Studio draws {MAX_WIDTH}")
        self._y = _targets(y, len(rows), self.kind, self.outputs)
        self._test = _split(len(rows), self._test_share, self.split_seed)
        self._check_training_rows(self._test)
        self._plane = _bounds(rows)  # the input plane the view draws: set with the data
        self._selected = 0
        self._watchers: list[Callable[[str], None]] = []
        self._held: list[str] | None = None
        self._view: Any = None
        self.dataset: str | None = None  # the preset the data came from (None: your own data)
        self.noise: float | None = None  # that preset's noise
        self._versions = [self._version()]
        self._trace_model()
        self._start = self._parameter_array()
        self._begin_history()

    def _start_model(self, model: Module, optimizer: Optimizer | None) -> None:
        """Take `model` and its optimizer (default SGD(lr=0.1)) as the ones to train."""
        parameters = model.parameters()
        if not parameters:
            raise ValueError("Studio needs a model with parameters to train; this one has none")
        if optimizer is None:
            optimizer = SGD(parameters, lr=DEFAULT_LR)
        elif not isinstance(optimizer, Optimizer):
            raise TypeError(
                "Studio(optimizer=...) must be an nn optimizer (SGD, Adam, ...) over "
                f"model.parameters(), or None; got {describe(optimizer)}"
            )
        own = set(parameters)
        strangers = [k for k, p in enumerate(optimizer.params) if p not in own]
        if strangers:
            raise ValueError(
                f"the optimizer updates {len(strangers)} Value(s) that are not this model's "
                f"parameters (first at index {strangers[0]}); build it over model.parameters()"
            )
        self.model = model
        self.optimizer = optimizer
        self._optimizer_start = _optimizer_state(optimizer)
        self._names = [name for name, _ in model.named_parameters()]
        self._parameters = parameters
        self._weights = _weights(model)
        self._shadow = copy.deepcopy(model)  # frames and graphs run here, at a step's numbers
        self._shadow_parameters = self._shadow.parameters()
        self._shadow_layers = _layers(self._shadow)
        self._drawn = _layers(model)

    # ---- the data ----

    @property
    def X(self) -> list[list[float]]:
        """The data's rows now (training and test points), as lists of floats."""
        return self._X.tolist()

    @property
    def y(self) -> list[float]:
        """The targets now (ints for class indices)."""
        return list(self._y)

    @property
    def is_test(self) -> list[bool]:
        """For each row of X: True where the point is held out for testing."""
        return self._test.tolist()

    @property
    def inputs(self) -> tuple[str, ...] | None:
        """The model's input features (names from INPUTS), or None: it reads X's columns."""
        return self._inputs

    @property
    def plane(self) -> list[float] | None:
        """[x1 min, x1 max, x2 min, x2 max]: the input plane the view draws (None unless the
        data has two columns). It grows to show a point added outside it."""
        return None if self._plane is None else list(self._plane)

    @property
    def selected(self) -> int:
        """The index of the sample the views show."""
        return self._selected

    def select(self, i: int) -> None:
        """Show sample `i` in the views (its activations, gradients and scalar graph)."""
        self._selected = checks.sample_index("select", i, len(self._y))
        self._notify("selected")

    def add_point(self, x: Sequence[float], target: float, *, test: bool = False) -> int:
        """Add the row `x` with its `target` (a test point with test=True); return its index.
        Training goes on with it. All or nothing: a point the Studio cannot take leaves the
        data as it was."""
        row = checks.row("add_point(x)", x, self.features)
        t = checks.target("add_point(target)", target, self.kind, self.outputs)
        held = checks.flag("add_point(test)", test)
        X = np.vstack([self._X, row[None, :]])
        plane = self._plane
        if plane is not None and not (
            plane[0] <= row[0] <= plane[1] and plane[2] <= row[1] <= plane[3]
        ):
            plane = _bounds(X)  # the plane grows to show a point added outside it
        self._change_data(X, [*self._y, t], np.append(self._test, held), plane, self._selected)
        return len(self._y) - 1

    def remove_point(self, i: int) -> None:
        """Remove sample `i` (the later ones move down by one). At least one training point
        must stay."""
        i = checks.sample_index("remove_point", i, len(self._y))
        if len(self._y) == 1:
            raise ValueError("remove_point cannot remove the last sample: a step needs data")
        test = np.delete(self._test, i)
        if not self._test[i] and test.all():
            raise ValueError(
                f"remove_point({i}) would remove the last training point: a step needs one"
            )
        y = self._y[:i] + self._y[i + 1 :]
        selected = self._selected
        if selected > i or selected == len(y):
            selected -= 1
        self._change_data(np.delete(self._X, i, axis=0), y, test, self._plane, selected)

    def set_data(self, X: Any, y: Any) -> None:
        """Replace the whole dataset (the same features and kind of targets), split as `test`
        says; training goes on."""
        rows = _rows(X, self.features)
        targets = _targets(y, len(rows), self.kind, self.outputs)
        test = _split(len(rows), self._test_share, self.split_seed)
        self._change_data(rows, targets, test, _bounds(rows), 0)
        self.dataset = self.noise = None

    def use_preset(
        self, name: str, n: int | None = None, *, noise: float | None = None, seed: int = 0
    ) -> None:
        """Train on a fresh draw of one of nn.datasets' sets (moons, circles, xor, spiral,
        linear) from step 0, the weights as they started: `n` points (default: as many as now),
        `noise` (default: the set's own), seeded. Needs a model of one output on -1/+1
        targets taking the points' two numbers (or input features made from them)."""
        from nn.datasets import NAMES, make

        name = checks.name("use_preset(name)", name, NAMES)
        count = len(self._y) if n is None else integer("use_preset(n)", n, low=2, high=10_000)
        level = None if noise is None else checks.fraction("use_preset(noise)", noise, MAX_NOISE)
        seed = integer("use_preset(seed)", seed, low=0, high=None)
        if not presets_allowed(self):
            raise ValueError(
                "use_preset needs a Studio on two numbers per point and one output trained on "
                f"-1/+1 targets; this one has {self.features} column(s), {self.outputs} "
                f"output(s) and {self.loss_name}"
            )
        X, y = make(name, count, seed=seed, noise=level)
        with self._together():
            self.set_data(X, y)
            self.dataset, self.noise = name, level if level is not None else _noise_of(name)
            self.reset()

    @property
    def test(self) -> float:
        """The share of points held out for testing (0 to 0.9). Setting it splits the data
        again (a shuffle seeded with split_seed) and training goes on with the new split."""
        return self._test_share

    @test.setter
    def test(self, share: float) -> None:
        share = checks.fraction("test", share, MAX_TEST)
        test = _split(len(self._y), share, self.split_seed)
        self._check_training_rows(test)
        self._change_data(self._X, list(self._y), test, self._plane, self._selected)
        self._test_share = share

    def _check_training_rows(self, test: np.ndarray) -> None:
        if test.all():
            raise ValueError("the split leaves no training point; hold out fewer")

    def _change_data(
        self,
        X: np.ndarray,
        y: list[Any],
        test: np.ndarray,
        plane: list[float] | None,
        selected: int,
    ) -> None:
        """Train on X, y (without the test rows) from now on, or, should the new data fail (a
        loss of yours that raises on it, a view that cannot take it), stay as before and
        raise."""
        before = (self._X, self._y, self._test, self._plane, self._selected)
        self._X, self._y, self._test, self._plane, self._selected = X, y, test, plane, selected
        self._versions.append(self._version())
        try:
            self._check_loss()
            self._notify("data")
        except BaseException:
            self._X, self._y, self._test, self._plane, self._selected = before
            self._versions.pop()
            raise

    def _version(self) -> tuple[np.ndarray, list[Any], np.ndarray]:
        return self._X.copy(), list(self._y), self._test.copy()

    def _model_rows(self, X: np.ndarray) -> np.ndarray:
        """The model's inputs for rows of data: the rows themselves, or their input features
        (which overflow to ±inf quietly, as the engine's own arithmetic: x1² of 1e200)."""
        if self._inputs is None:
            return X
        with np.errstate(over="ignore", invalid="ignore"):
            return np.stack([INPUTS[name](X[:, 0], X[:, 1]) for name in self._inputs], axis=1)

    # ---- training ----

    def step(self, n: int = 1) -> float:
        """Train `n` full-batch steps; return the last step's loss (computed before its update).

        Each step: the loss over the training rows (plus l2_penalty(weights, l2) when l2 > 0),
        model.zero_grad(), backward, optimizer.step(), as the eager loop, through the traced
        program.
        """
        n = checks.steps("step(n)", n)
        loss = math.nan
        for _ in range(n):
            loss = self._one_step()
        self._notify("steps")
        return loss

    def _one_step(self) -> float:
        train = ~self._test
        X, y = self._X[train], [t for t, held in zip(self._y, self._test) if not held]
        accuracy = self._accuracy(X, y)
        test_loss, test_accuracy = self._test_numbers()
        for p in self._parameters:  # model.zero_grad(), without walking the model each step
            p.grad = 0.0
        if self._traced is None:  # a loss of yours: the eager loop, exact for any loss
            data = self._eager_data_loss(X, y)
            total = data + l2_penalty(self._weights, self._l2) if self._l2 else data
            total.backward()
            data_loss, loss = data.data, total.data
        else:
            columns = self._model_rows(X)
            data_loss = self._traced.backward(columns, self._target_columns(y), reduce="mean")
            loss = data_loss
            if self._l2:
                penalty = l2_penalty(self._weights, self._l2)
                penalty.backward()  # one small graph a step, as the eager loop's `loss + ...`
                loss = data_loss + penalty.data
        self._grads.append(self._gradient_array())
        self.optimizer.step()
        self._params.append(self._parameter_array())
        self._records.append(
            (loss, accuracy, len(y), len(self._versions) - 1, data_loss, test_loss, test_accuracy)
        )
        return loss

    def _test_numbers(self) -> tuple[float | None, float | None]:
        """The data loss and accuracy on the test points, before this step's update."""
        if not self._test.any():
            return None, None
        X = self._X[self._test]
        y = [t for t, held in zip(self._y, self._test) if held]
        if self._traced is None:
            with autograd.no_grad():
                loss = self._eager_data_loss(X, y).data
        else:
            losses = self._traced(self._model_rows(X), self._target_columns(y))
            loss = float(np.mean(losses))
        return loss, self._accuracy(X, y)

    def _target_columns(self, y: list[Any]) -> np.ndarray:
        if self.kind == "cross_entropy":
            return np.eye(self.outputs)[np.asarray(y, dtype=int)]
        return np.asarray(y, dtype=np.float64)

    @property
    def history(self) -> list[dict[str, Any]]:
        """One record per step: {'step', 'loss', 'data_loss', 'penalty', 'accuracy',
        'test_loss', 'test_accuracy', 'points', 'version'}. loss is what the step minimised
        (the data loss plus the L2 term), before its update; accuracy is None where it means nothing
        (regression); the test numbers are None without a split; points counts the training
        rows."""
        return [self.record(k + 1) for k in range(len(self._records))]

    def record(self, k: int) -> dict[str, Any]:
        """Step k's history record (1 to steps; negative counts from the last), with the data
        version it trained on ('version', see points)."""
        if isinstance(k, bool) or not isinstance(k, numbers.Integral):
            raise TypeError(f"record needs a step number (an int), got {describe(k)}")
        n = len(self._records)
        if not (1 <= k <= n or -n <= k <= -1):
            raise IndexError(f"record({shown(int(k))}): steps that ran are 1 to {n}")
        k = int(k) if k > 0 else n + 1 + int(k)
        loss, acc, points, version, data, test_loss, test_acc = self._records[k - 1]
        return {
            "step": k,
            "loss": loss,
            "data_loss": data,
            "penalty": loss - data,
            "accuracy": acc,
            "test_loss": test_loss,
            "test_accuracy": test_acc,
            "points": points,
            "version": version,
        }

    @property
    def steps(self) -> int:
        """The number of steps trained since the start (or the last reset)."""
        return len(self._records)

    @property
    def parameter_names(self) -> list[str]:
        """The model's parameter names, in parameter order (the order of snapshot's values)."""
        return list(self._names)

    def snapshot(self, k: int) -> dict[str, float]:
        """Return {parameter name: value} as it was after step `k` (0: before the first step;
        negative k counts from the last, as a list's index)."""
        k = checks.step_index("snapshot", k, len(self._params))
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
            raise IndexError(
                f"gradients({shown(j)}): no step has run yet, so no step has gradients"
            )
        if not -n <= j <= n:
            raise IndexError(
                f"gradients({shown(j)}): step {shown(j)} is out of range; steps that ran are 1 "
                f"to {n} (or -{n} to -1 from the last)"
            )
        return dict(zip(self._names, self._grads[j - 1 if j > 0 else j].tolist()))

    def reset(self, seed: int | None = None) -> None:
        """Start again at step 0: with the weights the Studio started from (seed=None), or with
        weights drawn afresh with `seed` as the model's constructor draws them (MLP, Layer,
        Neuron). The optimizer's state (momenta, step count) starts again too; its learning
        rate stays as it is now."""
        seed = checks.seed("reset(seed)", seed)
        values = self._start if seed is None else _fresh_weights(self.model, seed)
        for p, v in zip(self._parameters, values.tolist()):
            p.data = v
            p.grad = 0.0
        lr = self.optimizer.lr
        vars(self.optimizer).update(copy.deepcopy(self._optimizer_start))
        self.optimizer.lr = lr
        self._versions = [self._version()]
        self._begin_history()
        self._notify("data")

    def _begin_history(self) -> None:
        self._params = [self._parameter_array()]
        self._grads: list[np.ndarray] = []
        self._records: list[
            tuple[float, float | None, int, int, float, float | None, float | None]
        ] = []

    def _parameter_array(self) -> np.ndarray:
        return np.array([p.data for p in self._parameters])

    def _gradient_array(self) -> np.ndarray:
        return np.array([p.grad for p in self._parameters])

    @property
    def lr(self) -> float:
        """The optimizer's learning rate; set it (a finite number >= 0) for the next steps."""
        return float(self.optimizer.lr)

    @lr.setter
    def lr(self, value: float) -> None:
        self.optimizer.lr = checks.rate("learning rate", value)
        self._notify("settings")

    @property
    def l2(self) -> float:
        """The L2 rate (0 to 10): each step adds l2_penalty(weights, l2) = l2·Σ w² over the
        neurons' weights to the loss. Set it for the next steps."""
        return self._l2

    @l2.setter
    def l2(self, value: float) -> None:
        self._l2 = checks.rate("l2", value, high=MAX_L2)
        self._notify("settings")

    # ---- another network between runs ----

    def rebuild(
        self,
        hidden: Sequence[int] | None = None,
        *,
        activation: str | None = None,
        inputs: Sequence[str] | None = None,
        seed: int = 0,
    ) -> None:
        """Train a new MLP from step 0, as TensorFlow Playground does when its layers,
        neurons, activation or input features change: `hidden` widths (default: as now; 0 to
        6 layers of 1 to 32 neurons), the hidden `activation` (relu, tanh, sigmoid, linear),
        the `inputs` (names from INPUTS, for data of two columns), weights drawn with `seed`.
        The output layer, the init and the optimizer (its kind and settings, with a fresh
        state) stay as they were; `model` is the new MLP (the old one is left untouched)."""
        old = self.model
        if not isinstance(old, MLP):
            raise TypeError(
                f"rebuild makes a new MLP in place of this Studio's MLP; the model is a "
                f"{type(old).__name__}: build the Studio anew with the model you want"
            )
        sizes = [len(layer.neurons) for layer in old.layers]
        widths = (
            sizes[:-1]
            if hidden is None
            else checks.widths("hidden", hidden, MAX_HIDDEN_LAYERS, MAX_WIDTH)
        )
        act = (
            old.activation if activation is None else choice("activation", activation, ACTIVATIONS)
        )
        if inputs is not None and self.features != 2:
            raise ValueError(
                f"rebuild(inputs=...) makes features from two numbers per point; the data has "
                f"{self.features} column(s)"
            )
        names = self._inputs if inputs is None else checks.names("inputs", inputs, list(INPUTS), 7)
        seed = integer("rebuild(seed)", seed, low=0, high=None)
        nin = len(names) if names is not None else self.features
        model = MLP(
            nin, [*widths, self.outputs], act, old.output_activation, seed=seed, init=old.init
        )
        optimizer = _same_optimizer(self.optimizer, self._optimizer_start, model.parameters())
        before = self.__dict__.copy()  # attributes are replaced below, never changed in place
        try:
            self._inputs = names
            self._start_model(model, optimizer)
            self._trace_model()
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(before)
            raise
        self._start = self._parameter_array()
        self._versions = [self._version()]
        self._begin_history()
        self._notify("network")

    def network(self) -> dict[str, Any] | None:
        """The drawn network: {'sizes': neurons per layer, inputs first; 'activations': one per
        layer of neurons; 'inputs': the input names; 'hidden'}. None for a model that is not an
        MLP, Layer or Neuron (the view draws its parameters as bars)."""
        if self._drawn is None:
            return None
        model_inputs = len(self._drawn[0].neurons[0].w)
        names = (
            list(self._inputs)
            if self._inputs is not None
            else [f"x{k + 1}" for k in range(model_inputs)]
        )
        sizes = [model_inputs] + [len(layer.neurons) for layer in self._drawn]
        return {
            "sizes": sizes,
            "activations": [layer.neurons[0].activation for layer in self._drawn],
            "inputs": names,
            "hidden": sizes[1:-1],
            "rebuildable": isinstance(self.model, MLP),
        }

    # ---- predictions and accuracy ----

    def _trace_model(self) -> None:
        """The programs a step and a frame run: the traced loss, one program per output (the
        forward pass on a row), and for a drawn network the probe of every neuron."""
        rows = self._model_rows(self._X[:1])
        self._traced: TracedLoss | None = None
        if self.kind != "custom" or any(self._custom is f for f in _MEAN_LOSSES):
            target = np.eye(self.outputs)[0] if self.kind == "cross_entropy" else self._y[0]
            self._traced = trace_loss(self.model, self._per_sample(), rows[0], target)
        else:
            self._check_loss()
        self._predictors = self._trace_predictors(rows[0])
        self._probe = self._trace_probe(rows[0])

    def _trace_predictors(self, first: np.ndarray) -> list[Program]:
        """One traced program per model output: the model's forward pass on one row."""
        model = self.model
        names = [f"x{k}" for k in range(len(first))]

        def output(j: int) -> Callable[..., Value]:
            def forward(*xs: Value) -> Value:
                out = model(list(xs))
                return out if self.outputs == 1 else out[j]

            forward.__signature__ = _signature(names)  # type: ignore[attr-defined]
            forward.__name__ = "model_output" if self.outputs == 1 else f"model_output_{j}"
            return forward

        return [
            trace(output(j), *first.tolist(), params=self._parameters) for j in range(self.outputs)
        ]

    def _trace_probe(self, first: np.ndarray) -> Program | None:
        """f(x, c) = Σ_j c_j · a_j(x), every neuron j of a drawn network: d f / d c_j = a_j(x),
        so one grad call gives each neuron's activation at every row (its heat map)."""
        layers = self._drawn
        if layers is None:
            return None
        m = len(first)
        count = sum(len(layer.neurons) for layer in layers)

        def probe(*args: Value) -> Value:
            h, multipliers = list(args[:m]), args[m:]
            activations: list[Value] = []
            for layer in layers:
                h = [neuron(h) for neuron in layer.neurons]  # the model's own neurons
                activations.extend(h)
            return autograd.sum([c * a for c, a in zip(multipliers, activations)])

        names = [f"x{k}" for k in range(m)] + [f"c{k}" for k in range(count)]
        probe.__signature__ = _signature(names)  # type: ignore[attr-defined]
        return trace(probe, *first.tolist(), *[1.0] * count, params=self._parameters)

    def predictions(self, X: Any = None) -> np.ndarray:
        """Return the model's outputs for the rows X (default: the data), through the traced
        forward pass: shape (n,) for one output, (n, k) for k outputs."""
        rows = self._X if X is None else _rows(X, self.features)
        return self._outputs_at(self._model_rows(rows))

    def _outputs_at(self, Z: np.ndarray) -> np.ndarray:
        columns = list(Z.T)
        outs = [np.asarray(prog(*columns), dtype=np.float64) for prog in self._predictors]
        outs = [np.broadcast_to(o, (len(Z),)) for o in outs]
        return outs[0] if self.outputs == 1 else np.stack(outs, axis=1)

    def _accuracy(self, X: np.ndarray, y: list[Any]) -> float | None:
        if not self._classifies() or len(y) == 0:
            return None
        out = self._outputs_at(self._model_rows(X))
        if self.outputs == 1:
            low, high = self._labels()
            right = (out > self._threshold()) == (np.asarray(y) > (low + high) / 2)
        else:
            right = np.argmax(out, axis=1) == np.asarray(y)
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

    # ---- the loss ----

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

    def _sample_loss(self, pred: Any, t: Any) -> Value:
        """One sample's loss, as the view shows it (the loss of that sample alone)."""
        if self.kind == "cross_entropy":
            return cross_entropy(pred, int(t))
        return self._per_sample()(pred, t)

    def _eager_data_loss(self, X: np.ndarray, y: list[Any]) -> Value:
        preds = [self.model(row) for row in self._model_rows(X).tolist()]
        if self.kind == "hinge":
            return hinge_loss(preds, y)
        if self.kind == "mse":
            return mse_loss(preds, y)
        if self.kind == "cross_entropy":
            terms = [cross_entropy(p, int(t)) for p, t in zip(preds, y)]
            return autograd.sum(terms) / len(terms)
        assert self._custom is not None
        out = self._custom(preds, list(y))
        if not isinstance(out, Value):
            raise TypeError(
                f"Studio's loss must return one Value, got {describe(out)} from "
                f"{self.loss_name}(predictions, targets)"
            )
        return out

    def eager_loss(self) -> Value:
        """Return the loss over the training rows as an eager graph (the data loss, plus
        l2_penalty(weights, l2) when l2 > 0): what a step's trace must equal."""
        train = ~self._test
        y = [t for t, held in zip(self._y, self._test) if not held]
        data = self._eager_data_loss(self._X[train], y)
        return data + l2_penalty(self._weights, self._l2) if self._l2 else data

    def _check_loss(self) -> None:
        """A loss of yours that fails on the data fails here, at the call that changed it."""
        if getattr(self, "_traced", None) is None and self.kind == "custom":
            with autograd.no_grad():
                self.eager_loss()

    @property
    def traced_as(self) -> str:
        """How a step's loss runs: "per sample, mean" (nn's losses, traced) or "eager" (a loss
        of yours: the eager loop itself)."""
        return "eager" if self._traced is None else "per sample, mean"

    # ---- what the view draws ----

    def points(self, step: int | None = None) -> dict[str, Any]:
        """The points shown with step `step` (default: the newest): {'version', 'X', 'y',
        'test'}; each data edit is a new version. The newest step is shown with the points now;
        an earlier step with those it trained on (step 0: the first points)."""
        version = self._version_at(self._step(step, "points"))
        X, y, test = self._versions[version]
        return {"version": version, "X": X.tolist(), "y": list(y), "test": test.tolist()}

    def _step(self, step: int | None, who: str) -> int:
        return self.steps if step is None else checks.step_index(who, step, len(self._params))

    def _version_at(self, k: int) -> int:
        """The data a step is shown with: the newest step with the data now (edits since its
        update included), an earlier one with the data it trained on (step 0: the first)."""
        if k == self.steps:
            return len(self._versions) - 1
        return self._records[k - 1][3] if k else 0

    def frame(self, step: int | None = None, *, maps: bool = True) -> dict[str, Any]:
        """Return every number the view draws at step `step` (default: now), computed here:

            step, version     the step, and the data version it trained on (see points)
            params, grads     the parameters after the step; the gradient it used (None at 0)
            record            the step's history record (None at 0)
            sample            the selected sample's forward and backward pass, neuron by
                              neuron (see below)
            output            the model's output over the plane: GRID x GRID, row 0 at the
                              top, minus the threshold between the classes (0 for a score or a
                              logit, 1/2 for a probability, the targets' middle for
                              regression); for k outputs, each cell's winning margin
            classes           for k outputs: each cell's arg-max class (GRID x GRID); else None
            maps              (maps=True, a drawn network) each input's and each neuron's value
                              at the centres of a MAP_GRID x MAP_GRID grid over the plane,
                              inputs first, in network order
            boundary          the decision boundary as segments [x, y, x', y'] in the plane's
                              coordinates (marching squares over the output)
            points_output     data that is no plane (not two columns): each point's outputs
                              (points x outputs); else None

        sample: index, x (the row), inputs (the model's inputs for it), target, outputs, loss
        (this sample alone; None, with the reason in error, for a loss of yours that cannot
        take one sample: its gradients are then 0), and per neuron in network order z
        (pre-activation), a (activation), grad_a = d loss / d a, grad_z = d loss / d z;
        grad_params = d loss / d parameter for this sample; grad_inputs = d loss / d input. A
        model that is not drawn as a network has no neurons: its z, a, grad_a, grad_z are
        empty.
        """
        k = self._step(step, "frame")
        version = self._version_at(k)
        X, y, test = self._versions[version]
        out: dict[str, Any] = {
            "step": k,
            "version": version,
            "params": self._params[k],
            "grads": self._grads[k - 1] if k else None,
            "record": self.record(k) if k else None,
            "sample": None,
            "output": None,
            "classes": None,
            "maps": None,
            "boundary": np.zeros((0, 4)),
            "points_output": None,
        }
        with self._at_step(k):
            i = min(self._selected, len(y) - 1)
            out["sample"] = self._sample(X[i], y[i], i)
            if self._plane is not None and self.features == 2:
                self._plane_numbers(out, maps, y)
            else:  # no plane to draw on: each point's output, beside its target
                out["points_output"] = self._outputs_at(self._model_rows(X)).reshape(len(X), -1)
        return out

    @contextlib.contextmanager
    def _at_step(self, k: int) -> Iterator[None]:
        """The live parameters hold step k's numbers inside (the programs read them), and the
        shadow model too; both are back as they were after."""
        now = [p.data for p in self._parameters]
        values = self._params[k].tolist()
        try:
            for p, v in zip(self._parameters, values):
                p.data = v
            for p, v in zip(self._shadow_parameters, values):
                p.data, p.grad = v, 0.0
            yield
        finally:
            for p, v in zip(self._parameters, now):
                p.data = v

    def _grid(self, cells: int) -> np.ndarray:
        """The centres of the plane's cells x cells grid, row by row from the top."""
        assert self._plane is not None
        x0, x1, y0, y1 = self._plane
        cx = x0 + (np.arange(cells) + 0.5) / cells * (x1 - x0)
        cy = y1 - (np.arange(cells) + 0.5) / cells * (y1 - y0)
        return np.column_stack([np.tile(cx, cells), np.repeat(cy, cells)])

    def activations(self, X: Any) -> np.ndarray:
        """Every neuron's activation (network order: the first hidden layer's neurons first,
        the outputs last) at each row of X, now: shape (neurons, rows). Through one traced
        program, f(x, c) = Σ c_j a_j(x), whose gradient by c_j is a_j(x) for every row."""
        if self._probe is None:
            raise TypeError(
                f"activations needs a model drawn as a network (MLP, Layer, Neuron); this one "
                f"is a {type(self.model).__name__}"
            )
        Z = self._model_rows(_rows(X, self.features))
        return self._activations_at(Z)

    def _activations_at(self, Z: np.ndarray) -> np.ndarray:
        assert self._probe is not None and self._drawn is not None
        m = Z.shape[1]
        neurons = sum(len(layer.neurons) for layer in self._drawn)
        ones = [np.ones(len(Z))] * neurons
        _, input_grads, _ = self._probe.grad(*Z.T, *ones)
        return np.stack([np.broadcast_to(g, (len(Z),)) for g in input_grads[m:]])

    def _plane_numbers(self, out: dict[str, Any], maps: bool, y: list[Any]) -> None:
        outputs = self._outputs_at(self._model_rows(self._grid(GRID))).reshape(GRID * GRID, -1)
        if maps and self._probe is not None:  # each neuron at a coarser grid's centres
            Z = self._model_rows(self._grid(MAP_GRID))
            values = np.concatenate([Z.T, self._activations_at(Z)])
            out["maps"] = values.reshape(len(values), MAP_GRID, MAP_GRID)
        if self.outputs == 1:
            level = outputs[:, 0] - self._middle(y)
            out["output"] = level.reshape(GRID, GRID)
            out["boundary"] = _segments([level.reshape(GRID, GRID)], self._plane)
        else:
            best = np.argmax(outputs, axis=1)
            others = np.where(np.eye(self.outputs, dtype=bool)[best], -np.inf, outputs)
            margin = outputs[np.arange(len(outputs)), best] - others.max(axis=1)
            out["output"] = margin.reshape(GRID, GRID)
            out["classes"] = best.reshape(GRID, GRID)
            levels = []
            for k in np.unique(best):
                rest = np.delete(outputs, k, axis=1).max(axis=1)
                levels.append((outputs[:, k] - rest).reshape(GRID, GRID))
            out["boundary"] = _segments(levels, self._plane)

    def _middle(self, y: list[Any]) -> float:
        """The output level the view splits the plane at: the classes' threshold, or for
        regression the middle of the targets' range."""
        if self.kind == "mse" or (self.kind == "custom" and not self._classifies()):
            values = np.asarray(y, dtype=np.float64)
            return float(values.min() / 2 + values.max() / 2)
        return self._threshold()

    def _sample(self, row: np.ndarray, target: Any, index: int) -> dict[str, Any]:
        """One sample's forward and backward pass on the shadow model (at the step's numbers),
        neuron by neuron: the numbers the network and graph panes show."""
        inputs = self._model_rows(row[None, :])[0]
        shadow = self._shadow
        layers = self._shadow_layers
        names = (self.network() or {}).get("inputs") or [f"x{k + 1}" for k in range(len(inputs))]
        leaves = [Value(v, label=names[k]) for k, v in enumerate(inputs.tolist())]
        zs: list[Value] = []
        acts: list[Value] = []
        if layers is not None:
            h: list[Value] = leaves
            for layer in layers:
                outs = [neuron(h) for neuron in layer.neurons]
                for neuron, a in zip(layer.neurons, outs):
                    pre = a.parents[0] if a.op == neuron.activation and a.parents else a
                    zs.append(pre)
                    acts.append(a)
                h = outs
            pred: Any = acts[-1] if self.outputs == 1 else acts[-self.outputs :]
        else:
            pred = shadow(leaves)
        error = None
        try:  # a loss of yours may not take one sample: the forward pass is shown still
            loss = self._sample_loss(pred, target)
            loss.backward()
            value: float | None = loss.data
        except Exception as failure:  # noqa: BLE001 - said in the frame, not raised
            error, value = f"{type(failure).__name__}: {failure}", None
        outputs = [pred] if isinstance(pred, Value) else list(pred)
        return {
            "index": index,
            "x": row.tolist(),
            "inputs": inputs.tolist(),
            "target": target,
            "outputs": [v.data for v in outputs],
            "loss": value,
            "error": error,
            "z": np.array([v.data for v in zs]),
            "a": np.array([v.data for v in acts]),
            "grad_a": np.array([v.grad for v in acts]),
            "grad_z": np.array([v.grad for v in zs]),
            "grad_params": np.array([p.grad for p in self._shadow_parameters]),
            "grad_inputs": np.array([v.grad for v in leaves]),
        }

    # ---- the selected sample's scalar graph ----

    def graph(self, step: int | None = None, *, max_nodes: int = 1500) -> Any:
        """Return an `autograd.viz.Animation`: the selected sample's loss at step `step`
        (default: now) played forward, error, backward and update (w <- w - lr·grad, the
        update this sample's gradient alone would make).

        It runs on a copy of the model, so nothing here touches the live parameters or
        gradients.
        """
        k = self._step(step, "graph")
        X, y, _ = self._versions[self._version_at(k)]
        i = min(self._selected, len(y) - 1)
        with self._at_step(k):
            params = self._shadow_parameters
            pred = self._shadow(self._model_rows(X[i : i + 1])[0].tolist())
            loss = self._sample_loss(pred, y[i])
            return autograd.animate(
                loss,
                forward=True,
                params=params,
                lr=self.optimizer.lr,
                max_nodes=max_nodes,
                title=f"sample {i} at step {k}: forward, error, backward, update",
            )

    def neuron_graph(self, layer: int, index: int, step: int | None = None) -> Any:
        """Return an `autograd.viz.Animation` of one neuron's scalar ops for the selected sample
        at step `step` (default: now): its inputs (the layer below's activations) as leaves,
        its weights and bias, w·x + b and the activation, played forward; then the error (the
        gradient arriving from the layers above, d loss / d a), backward through the neuron,
        and the update of its weights by this sample's gradient, w <- w - lr·grad.

        `layer` counts the layers of neurons from 0 (the first hidden layer; the output layer
        is the last); `index` the neuron in it.
        """
        if self._drawn is None:
            raise TypeError(
                f"neuron_graph needs a model drawn as a network (MLP, Layer, Neuron); this one "
                f"is a {type(self.model).__name__}: use graph() for its whole scalar graph"
            )
        layers = self._drawn
        li = checks.index("neuron_graph(layer)", layer, len(layers), "layer")
        ni = checks.index("neuron_graph(index)", index, len(layers[li].neurons), "neuron")
        k = self._step(step, "neuron_graph")
        X, y, _ = self._versions[self._version_at(k)]
        i = min(self._selected, len(y) - 1)
        with self._at_step(k):
            sample = self._sample(X[i], y[i], i)
        sizes = (self.network() or {})["sizes"]
        before = sum(sizes[1 : li + 1])  # neurons in the layers below
        names = (self.network() or {})["inputs"]
        if li == 0:
            values, labels = sample["inputs"], names
        else:
            values = sample["a"][before - sizes[li] : before].tolist()
            labels = [f"layers.{li - 1}.neurons.{j}" for j in range(len(values))]
        assert self._shadow_layers is not None
        neuron = self._shadow_layers[li].neurons[ni]
        with self._at_step(k):
            leaves = [Value(v, label=labels[j]) for j, v in enumerate(values)]
            out = neuron(leaves)
            out.label = f"layers.{li}.neurons.{ni}"
            upstream = float(sample["grad_a"][before + ni])
            if not math.isfinite(upstream):  # animate's own check would name its `grad`
                raise ValueError(
                    f"neuron_graph: at step {k} the gradient arriving at neuron {ni} of layer "
                    f"{li + 1} (d loss / d a) is {upstream!r}, so there is no backward pass to "
                    "play; the model's numbers are not finite there (did training diverge? "
                    "look at an earlier step)"
                )
            return autograd.animate(
                out,
                forward=True,
                params=neuron.parameters(),
                lr=self.optimizer.lr,
                grad=upstream,
                title=(
                    f"neuron {ni} of layer {li + 1}, sample {i} at step {k}: forward, error "
                    "(d loss / d a from the layers above), backward, update (this sample's "
                    "gradient)"
                ),
            )

    # ---- watching ----

    def watch(self, callback: Callable[[str], None]) -> Callable[[], None]:
        """Call `callback(event)` after every change; return a function that stops it.

        event "steps": steps were trained; "data": the points changed or the run started
        again (add_point, remove_point, set_data, test, use_preset, reset); "selected": the
        selected sample; "settings": lr or l2; "network": a new model (rebuild). The live view
        watches its Studio this way, so a cell that calls studio.step() moves it too.
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

    # ---- the view and the saved page ----

    def view(self) -> Any:
        """Return the live Jupyter widget of this Studio (one per Studio, made again once it is
        closed; needs anywidget)."""
        if self._view is None or self._view.closed:
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
        """Write the recorded run as one self-contained HTML page (.html): the network with its
        heat maps, the data with the model's output, the losses and a timeline over every
        recorded step, drawn from each step's frame (computed here; up to SAVED_FRAMES of them
        spread over a longer run); no kernel, nothing fetched. Written whole or not at all;
        returns the path."""
        if isinstance(path, (bytes, bytearray)) or not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"save(path) needs a file path (str or Path), got {describe(path)}")
        target = Path(path)
        if target.suffix.lower() not in (".html", ".htm"):
            raise ValueError(
                f"save(path) writes an HTML page: name a .html file, got {str(path)!r}"
            )
        check_target(target)
        from nn.studio_protocol import saved_page

        page = saved_page(self, title=f"stepgrad Studio: {self.model!r}")
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
        noise: float | None = None,
        test: float = 0.0,
        l2: float = 0.0,
        activation: str = "relu",
        inputs: Sequence[str] | None = None,
    ) -> Studio:
        """Return a Studio on one of nn.datasets' sets with an MLP(k, [*hidden, 1]) (k inputs:
        2, or as many as `inputs` names; linear output), the hinge loss and SGD(lr): the view's
        presets. `noise` (default: the set's own), `test`, `l2`, `activation` and `inputs` as
        for Studio and rebuild.

        >>> Studio.preset("spiral", hidden=[16, 16], test=0.3, inputs=["x1", "x2", "x1*x2"])
        """
        from nn.datasets import make

        level = None if noise is None else checks.fraction("noise", noise, MAX_NOISE)
        X, y = make(dataset, n, seed=seed, noise=level)
        sizes = checks.widths("hidden", hidden, MAX_HIDDEN_LAYERS, MAX_WIDTH)
        act = choice("activation", activation, ACTIVATIONS)
        names = None if inputs is None else checks.names("inputs", inputs, list(INPUTS), 7)
        model = MLP(len(names) if names else 2, [*sizes, 1], act, seed=seed)
        optimizer = SGD(model.parameters(), lr=checks.rate("lr", lr))
        studio = cls(model, X, y, optimizer=optimizer, inputs=names, test=test, l2=l2)
        studio.dataset = dataset
        studio.noise = level if level is not None else _noise_of(dataset)
        return studio


# ---- checks and helpers ----


def presets_allowed(studio: Studio) -> list[str]:
    """The preset datasets this Studio can switch to: all of nn.datasets' sets for a model of
    one output on two numbers per point and -1/+1 targets; none otherwise."""
    from nn.datasets import NAMES

    if studio.features == 2 and studio.outputs == 1 and studio.kind in ("hinge", "custom"):
        return list(NAMES)
    return []


def _noise_of(name: str) -> float:
    """The noise a preset draws with by default (its function's own default)."""
    from nn import datasets

    return float(inspect.signature(getattr(datasets, name)).parameters["noise"].default)


def _signature(names: list[str]) -> Any:
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


def _check_size(model: Module) -> None:
    """The largest network the view draws: MAX_HIDDEN_LAYERS hidden layers, MAX_WIDTH neurons
    a layer, MAX_MODEL_INPUTS inputs."""
    layers = _layers(model)
    if layers is None:
        return
    inputs = len(layers[0].neurons[0].w)
    widths = [len(layer.neurons) for layer in layers]
    if len(widths) - 1 > MAX_HIDDEN_LAYERS or max(widths) > MAX_WIDTH or inputs > MAX_MODEL_INPUTS:
        raise ValueError(
            f"the Studio draws networks of at most {MAX_HIDDEN_LAYERS} hidden layers of "
            f"{MAX_WIDTH} neurons and {MAX_MODEL_INPUTS} inputs; {model!r} is larger"
        )


def _weights(model: Module) -> list[Value]:
    """The parameters an L2 term penalises: every one but the neurons' biases."""
    biases = set()
    stack: list[Any] = [model]
    seen: set[int] = set()
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, Neuron):
            biases.add(item.b)
        if isinstance(item, Module):
            stack.extend(vars(item).values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    weights = [p for p in model.parameters() if p not in biases]
    return weights or model.parameters()


def _model_features(model: Module) -> int | None:
    layers = _layers(model)
    return None if layers is None else len(layers[0].neurons[0].w)


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
    features = features if features is not None else len(checks.row("X[0]", first, None))
    return np.array([checks.row(f"X[{k}]", r, features) for k, r in enumerate(X)])


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
    return [checks.target(f"{who}[{k}]", t, kind, outputs) for k, t in enumerate(y)]


def _split(n: int, share: float, seed: int) -> np.ndarray:
    """The held-out rows: round(share·n) of them, chosen by a shuffle seeded with `seed`."""
    held = min(n - 1, round(share * n)) if share > 0 else 0
    test = np.zeros(n, dtype=bool)
    test[np.random.default_rng(seed).permutation(n)[:held]] = True
    return test


def _optimizer_state(optimizer: Optimizer) -> dict[str, Any]:
    return copy.deepcopy({k: v for k, v in vars(optimizer).items() if k != "params"})


def _same_optimizer(optimizer: Optimizer, start: dict[str, Any], params: list[Value]) -> Optimizer:
    """An optimizer of the same kind and settings over new parameters, with a fresh state; the
    learning rate as it is now."""
    kind = type(optimizer)
    wanted = list(inspect.signature(kind.__init__).parameters.values())[2:]
    settings = {p.name: start[p.name] for p in wanted if p.name in start}
    settings["lr"] = optimizer.lr
    missing = [
        p.name for p in wanted if p.name not in settings and p.default is inspect.Parameter.empty
    ]
    if missing:
        raise TypeError(
            f"rebuild cannot make a new {kind.__name__}: its setting(s) {', '.join(missing)} are "
            "not attributes of the optimizer"
        )
    return kind(params, **settings)


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


# the four edges of a grid cell, corner to corner: top, right, bottom, left; corners as
# (row, column) offsets from the cell's top-left corner
_EDGES = (((0, 0), (0, 1)), ((0, 1), (1, 1)), ((1, 1), (1, 0)), ((1, 0), (0, 0)))


def _segments(levels: list[np.ndarray], plane: list[float] | None) -> np.ndarray:
    """The zero line of each G x G array (values at the plane's cell centres, row 0 at the
    top), by marching squares: where a cell's edge joins corners of opposite sign (< 0 and
    >= 0), the line crosses it at the linear interpolation; a cell crossed twice holds one
    segment, four times two (edges 0-1 and 2-3). Returns segments [x, y, x', y'] in the
    plane's coordinates."""
    if plane is None or not levels:
        return np.zeros((0, 4))
    x0, x1, y0, y1 = plane
    found = []
    for v in levels:
        G = v.shape[0]
        with np.errstate(invalid="ignore", divide="ignore"):
            points = []
            crossed = []
            for (ra, ca), (rb, cb) in _EDGES:
                a = v[ra : G - 1 + ra, ca : G - 1 + ca]
                b = v[rb : G - 1 + rb, cb : G - 1 + cb]
                cross = (a < 0) != (b < 0)
                t = np.where(cross, a / (a - b), 0.0)
                rows = np.arange(G - 1)[:, None] + ra + t * (rb - ra)
                cols = np.arange(G - 1)[None, :] + ca + t * (cb - ca)
                points.append(np.stack([cols, rows], axis=-1))
                crossed.append(cross)
        points_all = np.stack(points, axis=2).reshape(-1, 4, 2)  # cell, edge, (col, row)
        crossed_all = np.stack(crossed, axis=2).reshape(-1, 4)
        count = crossed_all.sum(axis=1)
        two = count == 2
        picked = points_all[two][crossed_all[two]].reshape(-1, 4)
        four = points_all[count == 4].reshape(-1, 8)
        found += [picked, four[:, :4], four[:, 4:]]
    grid = np.concatenate(found) if found else np.zeros((0, 4))
    cols, rows = grid[:, 0::2], grid[:, 1::2]
    G = levels[0].shape[0]
    xs = x0 + (cols + 0.5) / G * (x1 - x0)
    ys = y1 - (rows + 0.5) / G * (y1 - y0)
    segments = np.stack([xs[:, 0], ys[:, 0], xs[:, 1], ys[:, 1]], axis=1)
    return segments[np.all(np.isfinite(segments), axis=1)]
