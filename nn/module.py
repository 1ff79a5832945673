"""Modules: Neuron, Layer and MLP as in micrograd, plus names, state dicts and safe save/load.

A `Module` finds its parameters by walking its attributes in the order they were set: a `Value`
is a parameter, a `Module` or a list of them is walked into. That gives micrograd's order (layer
by layer, neuron by neuron, weights then bias) and dotted names such as `layers.0.neurons.3.w.1`.
Each parameter's `label` is its name, so a drawing of a model's graph says which weight is which.

Nothing here writes a derivative: a neuron is `act(w·x + b)` built from autograd ops.
"""

from __future__ import annotations

import json
import math
import os
import random
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import autograd
from autograd import Value
from autograd._files import write_atomically

ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")
INITS = ("uniform", "xavier", "kaiming", "lecun")
SAVE_FORMAT = "stepgrad.state_dict"
SAVE_VERSION = 1


def make_rng(seed: int | random.Random | None) -> random.Random:
    """Return a `random.Random`: the one given, one seeded with the int, or an unseeded one."""
    if isinstance(seed, random.Random):
        return seed
    if seed is None or (isinstance(seed, int) and not isinstance(seed, bool)):
        return random.Random(seed)
    raise TypeError(f"seed must be an int or a random.Random, got {type(seed).__name__}: {seed!r}")


class Module:
    """Base class: parameters found by walking attributes; `__call__` runs `forward`.

    parameters()        the trainable Values, in a stable order
    named_parameters()  (dotted name, Value) pairs in the same order
    zero_grad()         p.grad = 0 for every parameter
    state_dict()        {name: float};  load_state_dict(d) checks everything before it writes
    save(path) / load(path)   the state dict as JSON, written atomically
    """

    def forward(self, *args: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any) -> Any:
        return self.forward(*args)

    def named_parameters(self, prefix: str = "") -> list[tuple[str, Value]]:
        """Return (dotted name, parameter) pairs, in the order the attributes were set."""
        return list(_walk(vars(self), prefix))

    def parameters(self) -> list[Value]:
        """Return the parameters: layer by layer, neuron by neuron, weights then bias."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        """Set `.grad = 0.0` on every parameter."""
        for p in self.parameters():
            p.grad = 0.0

    def relabel(self) -> None:
        """Set each parameter's `label` to its dotted name (done by every constructor)."""
        for name, p in self.named_parameters():
            p.label = name

    # ---- state ----

    def state_dict(self) -> dict[str, float]:
        """Return {dotted name: data} for every parameter, in parameter order."""
        return {name: p.data for name, p in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, object]) -> None:
        """Set every parameter from `state`, or raise ValueError and change nothing.

        Checked first: the same names (none missing, none extra), a real number for each, and no
        nan/inf where the model has a finite value.
        """
        if not isinstance(state, Mapping):
            raise TypeError(
                f"load_state_dict needs a mapping of name to number, got {type(state).__name__}"
            )
        named = self.named_parameters()
        expected = [name for name, _ in named]
        missing = [n for n in expected if n not in state]
        extra = [n for n in state if n not in set(expected)]
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"missing {len(missing)} parameter(s), first {missing[0]!r}")
            if extra:
                parts.append(f"{len(extra)} unexpected, first {extra[0]!r}")
            raise ValueError(
                f"state does not fit {self!r}: "
                + "; ".join(parts)
                + f" (the model has {len(expected)} parameters)"
            )
        values = []
        for name, p in named:
            x = state[name]
            if isinstance(x, bool) or not isinstance(x, (int, float)):
                raise ValueError(
                    f"parameter {name!r} must be a number, got {type(x).__name__}: {x!r}"
                )
            x = float(x)
            if not math.isfinite(x) and math.isfinite(p.data):
                raise ValueError(
                    f"parameter {name!r} is {x!r} in the state, where the model "
                    f"has the finite value {p.data!r}"
                )
            values.append(x)
        for (_, p), x in zip(named, values):
            p.data = x

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the state dict to `path` as JSON, atomically.

        The text goes to a temporary file beside `path`, is flushed to disk, and then replaces
        `path` in one step: a crash mid-save leaves the old file whole. No pickle.
        """
        path = os.fspath(path)
        document = {
            "format": SAVE_FORMAT,
            "version": SAVE_VERSION,
            "model": repr(self),
            "parameters": self.state_dict(),
        }
        write_atomically(path, json.dumps(document, indent=1).encode("utf-8"))

    def load(self, path: str | os.PathLike[str]) -> None:
        """Read a file written by `save` into this model, or raise ValueError and change nothing."""
        path = os.fspath(path)
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        try:
            document = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(
                f"{path} is not a stepgrad save file: not valid JSON ({error}); "
                "was it cut short or written by something else?"
            ) from None
        if not isinstance(document, dict) or document.get("format") != SAVE_FORMAT:
            raise ValueError(
                f"{path} is not a stepgrad save file: expected a JSON object with "
                f'"format": "{SAVE_FORMAT}"'
            )
        if document.get("version") != SAVE_VERSION:
            raise ValueError(
                f"{path} has save format version {document.get('version')!r}; "
                f"this stepgrad reads version {SAVE_VERSION}"
            )
        parameters = document.get("parameters")
        if not isinstance(parameters, dict):
            raise ValueError(f'{path} has no "parameters" object')
        self.load_state_dict(parameters)


def _walk(attributes: Mapping[str, Any], prefix: str) -> Iterator[tuple[str, Value]]:
    for key, item in attributes.items():
        if key.startswith("_"):
            continue
        yield from _walk_item(item, f"{prefix}{key}")


def _walk_item(item: Any, name: str) -> Iterator[tuple[str, Value]]:
    if isinstance(item, Value):
        yield name, item
    elif isinstance(item, Module):
        yield from _walk(vars(item), name + ".")
    elif isinstance(item, (list, tuple)):
        for index, element in enumerate(item):
            if isinstance(element, (Value, Module, list, tuple)):
                yield from _walk_item(element, f"{name}.{index}")


def _check_choice(what: str, value: str, choices: Sequence[str]) -> str:
    if value not in choices:
        raise ValueError(f"{what} must be one of {', '.join(choices)}; got {value!r}")
    return value


def _activate(z: Value, activation: str) -> Value:
    if activation == "relu":
        return z.relu()
    if activation == "tanh":
        return z.tanh()
    if activation == "sigmoid":
        return z.sigmoid()
    return z


def initial_weight(rng: random.Random, init: str, fan_in: int, fan_out: int) -> float:
    """Draw one weight.

    uniform   U(-1, 1)                                  micrograd's default
    xavier    U(-a, a),  a = √(6 / (fan_in + fan_out))  Glorot & Bengio, for tanh/sigmoid
    kaiming   N(0, √(2 / fan_in))                       He et al., for relu
    lecun     N(0, √(1 / fan_in))
    """
    if init == "uniform":
        return rng.uniform(-1.0, 1.0)
    if init == "xavier":
        bound = math.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-bound, bound)
    if init == "kaiming":
        return rng.gauss(0.0, math.sqrt(2.0 / fan_in))
    return rng.gauss(0.0, math.sqrt(1.0 / fan_in))


def _as_inputs(x: Any, nin: int, who: str) -> list[Value]:
    if isinstance(x, (Value, int, float)):  # one input may come bare
        x = [x]
    if not isinstance(x, Sequence) or isinstance(x, str):
        raise TypeError(f"{who} needs a list of {nin} numbers or Values, got {type(x).__name__}")
    if len(x) != nin:
        raise ValueError(f"{who} expected {nin} inputs, got {len(x)}")
    return [v if isinstance(v, Value) else Value(v) for v in x]


class Neuron(Module):
    """Return act(w·x + b) for an input list x of length nin.

    Weights are drawn by `init` (see `initial_weight`; default U(-1, 1) as micrograd), bias 0.
    `w·x` is one `dot` node with 2·nin parents, not a chain of 2·nin nodes.

    >>> Neuron(2, "tanh", seed=0)([1.0, -2.0])
    """

    def __init__(
        self,
        nin: int,
        activation: str = "relu",
        *,
        seed: int | random.Random | None = None,
        init: str = "uniform",
        fan_out: int = 1,
    ) -> None:
        if isinstance(nin, bool) or not isinstance(nin, int) or nin < 1:
            raise ValueError(f"Neuron(nin) must be a positive int, got {nin!r}")
        self.activation = _check_choice("activation", activation, ACTIVATIONS)
        _check_choice("init", init, INITS)
        rng = make_rng(seed)
        self.w = [Value(initial_weight(rng, init, nin, fan_out)) for _ in range(nin)]
        self.b = Value(0.0)
        self.relabel()

    def forward(self, x: Any) -> Value:
        x = _as_inputs(x, len(self.w), "Neuron")
        return _activate(autograd.dot(self.w, x) + self.b, self.activation)

    def __repr__(self) -> str:
        return f"Neuron({len(self.w)}, {self.activation!r})"


class Layer(Module):
    """Return [neuron(x) for each of nout neurons]; one output comes back as a Value."""

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str = "relu",
        *,
        seed: int | random.Random | None = None,
        init: str = "uniform",
    ) -> None:
        if isinstance(nout, bool) or not isinstance(nout, int) or nout < 1:
            raise ValueError(f"Layer(nout) must be a positive int, got {nout!r}")
        rng = make_rng(seed)
        self.neurons = [
            Neuron(nin, activation, seed=rng, init=init, fan_out=nout) for _ in range(nout)
        ]
        self.relabel()

    def forward(self, x: Any) -> Value | list[Value]:
        x = _as_inputs(x, len(self.neurons[0].w), "Layer")  # numbers become leaves once
        out = [neuron(x) for neuron in self.neurons]
        return out[0] if len(out) == 1 else out

    def __repr__(self) -> str:
        n = self.neurons[0]
        return f"Layer({len(n.w)}, {len(self.neurons)}, {n.activation!r})"


class MLP(Module):
    """A multilayer perceptron: hidden layers with `activation`, a linear last layer.

    `MLP(2, [16, 16, 1])` is micrograd's moons classifier: 337 parameters. One output comes back
    as a Value, several as a list. `seed` (an int or a random.Random) makes the weights repeatable.
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str = "relu",
        *,
        seed: int | random.Random | None = None,
        init: str = "uniform",
    ) -> None:
        if isinstance(nouts, int) or not nouts:
            raise ValueError(f"MLP(nouts) must be a non-empty list of layer sizes, got {nouts!r}")
        _check_choice("activation", activation, ACTIVATIONS)
        rng = make_rng(seed)
        sizes = [nin, *nouts]
        self.layers = [
            Layer(
                sizes[i],
                sizes[i + 1],
                activation if i < len(nouts) - 1 else "linear",
                seed=rng,
                init=init,
            )
            for i in range(len(nouts))
        ]
        self.relabel()

    def forward(self, x: Any) -> Value | list[Value]:
        out: Any = x
        for layer in self.layers:
            out = layer(out)
        return out

    def __repr__(self) -> str:
        sizes = [len(layer.neurons) for layer in self.layers]
        nin = len(self.layers[0].neurons[0].w)
        act = self.layers[0].neurons[0].activation if len(self.layers) > 1 else "relu"
        return f"MLP({nin}, {sizes}, {act!r})"
