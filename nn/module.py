"""Modules: Neuron, Layer and MLP as in micrograd, plus names, state dicts and safe save/load.

A `Module` finds its parameters by walking its attributes in the order they were set: a `Value`
is a parameter, a `Module` or a list of them is walked into. That gives micrograd's order (layer
by layer, neuron by neuron, weights then bias) and dotted names such as `layers.0.neurons.3.w.1`.
Each parameter's `label` is its name, so a drawing of a model's graph says which weight is which.

Nothing here writes a derivative: a neuron is `act(w·x + b)` built from autograd ops.

Save files are JSON, never pickle:

    {"format": "stepgrad.state_dict", "version": 2, "model": "MLP(2, [16, 16, 1], 'relu')",
     "checksum": "sha256:<64 hex digits>", "parameters": {"layers.0.neurons.0.w.0": 0.37, ...}}

The checksum is SHA-256 over one line per parameter, in sorted name order: the name as a JSON
string, a space, `repr(float(value))`, a newline (UTF-8). It covers the numbers, not the text, so
re-indenting or reordering the file keeps it valid, and a flipped bit in a number is caught.
"model" is free text for people (a version 2 file must have it; loading does not read it).
Version 1 files (the first format: no checksum, no "model" needed) still load.
"""

from __future__ import annotations

import decimal
import hashlib
import json
import math
import numbers
import os
import random
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import autograd
from autograd import Value
from autograd._checks import MAX_PARAMETERS, choice, describe, integer, sequence
from autograd._files import read_regular_file, write_atomically
from autograd.value import settle

ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")
INITS = ("uniform", "xavier", "kaiming", "lecun")
SAVE_FORMAT = "stepgrad.state_dict"
SAVE_VERSION = 2
READ_VERSIONS = (1, 2)
_CHECKSUM = re.compile(r"sha256:[0-9a-f]{64}")
_MAX_INT_DIGITS = 400  # 1.8e308 has 309 digits: a longer integer cannot be a float


def make_rng(seed: int | random.Random | None) -> random.Random:
    """Return a `random.Random`: the one given, one seeded with the int, or an unseeded one.

    NumPy integers count as ints. >>> make_rng(0).random()
    """
    if isinstance(seed, random.Random):
        return seed
    if seed is None:
        return random.Random()
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be an int, a random.Random or None, got {describe(seed)}")
    return random.Random(int(seed))


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
        settle()  # parameters a compiled training step holds are brought up to date first
        return self.forward(*args)

    def named_parameters(self, prefix: str = "") -> list[tuple[str, Value]]:
        """Return (dotted name, parameter) pairs, in the order the attributes were set.

        Each parameter comes once: a Value reachable under two names (a tied weight) is listed
        under the first, as torch's named_parameters() does.
        """
        if not isinstance(prefix, str):
            raise TypeError(f"named_parameters(prefix) must be a str, got {describe(prefix)}")
        settle()  # parameters a compiled training step holds are brought up to date first
        seen: set[Value] = set()
        pairs = []
        for name, p in _walk(vars(self), prefix):
            if p not in seen:
                seen.add(p)
                pairs.append((name, p))
        return pairs

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

        Checked first, in one pass over the names: the same names (none missing, none extra), a
        real number for each (NumPy numbers count; bool, None, text and integers too large for a
        float do not), and no nan/inf where the model has a finite value.

        >>> model.load_state_dict(other.state_dict())
        """
        if not isinstance(state, Mapping):
            raise TypeError(
                f"load_state_dict needs a mapping of name to number, got {describe(state)}"
            )
        named = self.named_parameters()
        expected = {name for name, _ in named}
        missing = [name for name, _ in named if name not in state]
        extra = [name for name in state if name not in expected]
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"missing {len(missing)} parameter(s), first {missing[0]!r}")
            if extra:
                parts.append(f"{len(extra)} unexpected, first {extra[0]!r}")
            raise ValueError(
                f"state does not fit {self!r}: "
                + "; ".join(parts)
                + f" (the model has {len(named)} parameters)"
            )
        values = []
        for name, p in named:
            x = _parameter_number(name, state[name])
            if not math.isfinite(x) and math.isfinite(p.data):
                raise ValueError(
                    f"parameter {name!r} is {x!r} in the state, where the model "
                    f"has the finite value {p.data!r}"
                )
            values.append(x)
        for (_, p), x in zip(named, values):
            p.data = x  # (counted as written: a compiled training step reads them again)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the state dict to `path` as JSON (format version 2, with a checksum), atomically.

        The text goes to a temporary file beside `path`, is flushed to disk, and then replaces
        `path` in one step: a crash mid-save leaves the old file whole. A symlink is followed
        and stays a link; the old file's mode (and owner, where allowed) is kept; folders,
        devices, FIFOs, read-only files and missing folders are refused with a clear OSError
        (see autograd._files). No pickle.

        >>> model.save("moons.json")
        """
        target = _path("save", path)
        parameters = self.state_dict()
        document = {
            "format": SAVE_FORMAT,
            "version": SAVE_VERSION,
            "model": repr(self),
            "checksum": parameters_checksum(parameters),
            "parameters": parameters,
        }
        write_atomically(target, json.dumps(document, indent=1).encode("utf-8"))

    def load(self, path: str | os.PathLike[str]) -> None:
        """Read a file written by `save` into this model, or raise ValueError and change nothing.

        Every problem with the contents is a ValueError that names the file (and the parameter,
        where there is one): text that is not UTF-8 or not JSON, JSON nested too deeply, a key
        given twice, a format or version this stepgrad does not read, a number that is not a
        float (true, null, a 5000-digit integer), a checksum that does not match, or names that
        do not fit the model. A missing file is FileNotFoundError; a folder, device or FIFO is
        refused without reading it.

        >>> model.load("moons.json")
        """
        path = _path("load", path)
        try:
            parameters = _read_save_file(read_regular_file(path))
            self.load_state_dict(parameters)
        except _FileError as error:
            raise ValueError(f"cannot load {path}: {error}") from None
        except ValueError as error:
            if isinstance(error, OSError):  # NotRegularFileError: already names the file
                raise
            raise ValueError(f"cannot load {path}: {error}") from None


def parameters_checksum(parameters: Mapping[str, float]) -> str:
    """Return "sha256:<hex>" over the parameters, as a save file records it.

    One line per parameter, names sorted: the name as a JSON string, a space, repr(float(value)),
    a newline; the lines UTF-8 encoded and hashed with SHA-256. It depends on the numbers only,
    not on how the file spells them.
    """
    lines = "".join(
        f"{json.dumps(name)} {float(parameters[name])!r}\n" for name in sorted(parameters)
    )
    return "sha256:" + hashlib.sha256(lines.encode("utf-8")).hexdigest()


# ---- reading save files ----


class _FileError(ValueError):
    """Something wrong with a save file's contents (the caller adds the file's name)."""


class _HugeInteger:
    """What the JSON reader makes of an integer too long to be a float (never converted: Python
    refuses to parse more than 4300 digits, and parsing is quadratic before that)."""

    def __init__(self, text: str) -> None:
        self.digits = len(text.lstrip("-"))

    def __repr__(self) -> str:
        return f"<an integer of {self.digits:,} digits>"


def _parse_int(text: str) -> int | _HugeInteger:
    return _HugeInteger(text) if len(text) > _MAX_INT_DIGITS else int(text)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _FileError(
                    f"the key {key!r} appears twice in one object; a save file gives each "
                    "name once (was it edited by hand?)"
                )
            seen.add(key)
    return result


def _read_save_file(data: bytes) -> dict[str, float]:
    """The parameters of a save file's bytes, checked; or _FileError saying what is wrong."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise _FileError(
            f"not UTF-8 text: byte 0x{data[error.start]:02x} at offset {error.start}; "
            "a save file is UTF-8 JSON (was it damaged, or written by something else?)"
        ) from None
    try:
        document = json.loads(text, object_pairs_hook=_no_duplicates, parse_int=_parse_int)
    except json.JSONDecodeError as error:
        raise _FileError(
            f"not valid JSON ({error}); was it cut short or written by something else?"
        ) from None
    except RecursionError:
        raise _FileError(
            "its JSON is nested too deeply to read; a save file is one flat object of numbers"
        ) from None
    if not isinstance(document, dict) or document.get("format") != SAVE_FORMAT:
        raise _FileError(
            f'not a stepgrad save file: expected a JSON object with "format": "{SAVE_FORMAT}"'
        )
    version = document.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise _FileError(
            f'the "version" must be an integer, got {describe(version)}; '
            f"this stepgrad reads versions {' and '.join(map(str, READ_VERSIONS))}"
        )
    if version not in READ_VERSIONS:
        raise _FileError(
            f"save format version {version}; this stepgrad reads versions "
            f"{' and '.join(map(str, READ_VERSIONS))} (a newer stepgrad wrote it?)"
        )
    raw = document.get("parameters")
    if not isinstance(raw, dict):
        raise _FileError(f'no "parameters" object, got {describe(raw)}')
    parameters = {name: _parameter_number(name, x) for name, x in raw.items()}
    if version >= 2:
        if not isinstance(document.get("model"), str):
            raise _FileError(
                f'no "model" description, which a version {version} file always has '
                "(a damaged key?)"
            )
        recorded = document.get("checksum")
        if not isinstance(recorded, str) or not _CHECKSUM.fullmatch(recorded):
            raise _FileError(
                f'no valid "checksum" (expected "sha256:" and 64 hex digits, got '
                f"{describe(recorded)}); a version {version} file always has one"
            )
        if parameters_checksum(parameters) != recorded:
            raise _FileError(
                "the parameters do not match the file's checksum: the file was changed or "
                "damaged after it was saved"
            )
    return parameters


def _parameter_number(name: str, x: object) -> float:
    """x as a float, or ValueError naming the parameter."""
    if type(x) is float:
        return x
    if isinstance(x, _HugeInteger):
        raise ValueError(
            f"parameter {name!r} is an integer of {x.digits:,} digits, too large for a float"
        )
    if isinstance(x, bool) or not isinstance(x, (numbers.Real, decimal.Decimal)):
        raise ValueError(f"parameter {name!r} must be a number, got {describe(x)}")
    try:
        return float(x)
    except OverflowError:
        raise ValueError(f"parameter {name!r} is {describe(x)}, too large for a float") from None


def _path(who: str, path: object) -> str:
    if isinstance(path, bytes):
        return os.fsdecode(path)
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{who}() needs a file path (str or os.PathLike), got {describe(path)}")
    text = os.fspath(path)
    return os.fsdecode(text) if isinstance(text, bytes) else text


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


def _activate(z: Value, activation: str) -> Value:
    if activation == "relu":
        return z.relu()
    if activation == "tanh":
        return z.tanh()
    if activation == "sigmoid":
        return z.sigmoid()
    return z


def initial_weight(rng: random.Random, init: str, fan_in: int, fan_out: int) -> float:
    """Return one weight drawn from `rng` by the rule `init` names.

    uniform   U(-1, 1)                                  micrograd's default
    xavier    U(-a, a),  a = √(6 / (fan_in + fan_out))  Glorot & Bengio, for tanh/sigmoid
    kaiming   N(0, √(2 / fan_in))                       He et al., for relu
    lecun     N(0, √(1 / fan_in))

    >>> initial_weight(random.Random(0), "xavier", 2, 16)
    """
    if not isinstance(rng, random.Random):
        raise TypeError(f"initial_weight needs a random.Random, got {describe(rng)}")
    init = choice("init", init, INITS)
    fan_in = integer("fan_in", fan_in)
    fan_out = integer("fan_out", fan_out)
    return _draw(rng, init, fan_in, fan_out)


def _draw(rng: random.Random, init: str, fan_in: int, fan_out: int) -> float:
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
    elif isinstance(x, (str, bytes)) or not isinstance(x, Sequence):
        if isinstance(x, numbers.Real):
            x = [x]
        elif getattr(x, "ndim", None) == 1:  # a NumPy row
            x = list(x)
        else:
            raise TypeError(f"{who} needs a list of {nin} numbers or Values, got {describe(x)}")
    if len(x) != nin:
        raise ValueError(f"{who} expected {nin} inputs, got {len(x)}")
    return [v if isinstance(v, Value) else Value(v) for v in x]


def _check_size(who: str, parameters: int) -> None:
    if parameters > MAX_PARAMETERS:
        raise ValueError(
            f"{who} would have {parameters:,} parameters, more than the {MAX_PARAMETERS:,} "
            "stepgrad builds in one module: a scalar engine holds one Python object per weight"
        )


class Neuron(Module):
    """Return act(w·x + b) for an input list x of length nin.

    Weights are drawn by `init` (see `initial_weight`; default U(-1, 1) as micrograd), bias 0;
    `init` and `fan_out` stay as attributes (not parameters), so the weights can be drawn again.
    `w·x` is one `dot` node with 2·nin parents, not a chain of 2·nin nodes. `nin` is an int
    (NumPy's too) from 1 to 1,000,000; `fan_out` (the layer's width, for xavier) likewise.

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
        nin = integer("Neuron(nin)", nin)
        self.activation = choice("activation", activation, ACTIVATIONS)
        self.init = init = choice("init", init, INITS)  # kept: how to draw these weights again
        self.fan_out = fan_out = integer("Neuron(fan_out)", fan_out)
        rng = make_rng(seed)
        self.w = [Value(_draw(rng, init, nin, fan_out)) for _ in range(nin)]
        self.b = Value(0.0)
        self.relabel()

    def forward(self, x: Any) -> Value:
        x = _as_inputs(x, len(self.w), "Neuron")
        return _activate(autograd.dot(self.w, x) + self.b, self.activation)

    def __repr__(self) -> str:
        return f"Neuron({len(self.w)}, {self.activation!r})"


class Layer(Module):
    """Return [neuron(x) for each of nout neurons]; one output comes back as a Value.

    `nin` and `nout` are ints from 1 to 1,000,000, and a layer has at most 10,000,000
    parameters. >>> Layer(2, 3, "tanh", seed=0)([1.0, -2.0])
    """

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str = "relu",
        *,
        seed: int | random.Random | None = None,
        init: str = "uniform",
    ) -> None:
        nin = integer("Layer(nin)", nin)
        nout = integer("Layer(nout)", nout)
        activation = choice("activation", activation, ACTIVATIONS)
        self.init = init = choice("init", init, INITS)  # kept: how to draw these weights again
        _check_size(f"Layer({nin}, {nout})", nout * (nin + 1))
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
    """A multilayer perceptron: hidden layers with `activation`, the last with `output_activation`.

    Each is one of relu, tanh, sigmoid, linear. The last layer is linear by default, as
    micrograd's `MLP(2, [16, 16, 1])` (the moons classifier: 337 parameters);
    `MLP(3, [4, 4, 1], activation="tanh", output_activation="tanh")` is the net of the
    micrograd lecture. One output comes back as a Value, several as a list. `seed` (an int or a
    random.Random) makes the weights repeatable. Sizes are ints from 1 to 1,000,000, and a
    model has at most 10,000,000 parameters.

    >>> MLP(3, [4, 4, 1], "tanh", "tanh", seed=0)([2.0, 3.0, -1.0])
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str = "relu",
        output_activation: str = "linear",
        *,
        seed: int | random.Random | None = None,
        init: str = "uniform",
    ) -> None:
        nin = integer("MLP(nin)", nin)
        if isinstance(nouts, numbers.Integral) and not isinstance(nouts, bool):
            raise TypeError(
                f"MLP(nouts) must be a list of layer sizes, got the int {int(nouts)}; "
                f"for one layer write [{int(nouts)}]"
            )
        sizes = sequence("MLP(nouts)", nouts, "layer sizes, e.g. [16, 16, 1]")
        if not sizes:
            raise ValueError("MLP(nouts) must name at least one layer, got an empty list")
        sizes = [integer(f"MLP(nouts)[{k}]", n) for k, n in enumerate(sizes)]
        self.activation = choice("activation", activation, ACTIVATIONS)
        self.output_activation = choice("output_activation", output_activation, ACTIVATIONS)
        self.init = init = choice("init", init, INITS)  # kept: how to draw these weights again
        widths = [nin, *sizes]
        _check_size(
            f"MLP({nin}, {sizes})", sum((widths[i] + 1) * widths[i + 1] for i in range(len(sizes)))
        )
        rng = make_rng(seed)
        self.layers = [
            Layer(
                widths[i],
                widths[i + 1],
                activation if i < len(sizes) - 1 else output_activation,
                seed=rng,
                init=init,
            )
            for i in range(len(sizes))
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
        text = f"MLP({nin}, {sizes}, {self.activation!r}"
        if self.output_activation != "linear":
            text += f", output_activation={self.output_activation!r}"
        return text + ")"
