"""The Studio's message protocol: what the view's script and Python say to each other.

Every message is a JSON object with a "type". MESSAGES is the one table of the script's
messages (their fields, each field's kind and bounds), REPLIES the table of Python's, and
`validate` the one function that checks a message, with the Python API's own rules
(nn._studio_checks: the very functions `Studio.select`, `Studio.remove_point`, ... apply to the
same values, so a message is refused exactly as the method it stands for refuses the value).
`Session.handle` answers a message: one that does not validate gets one short error reply naming
the field and what it accepts, and changes nothing; no exception leaves `handle`, so the view
always hears back. docs/studio-protocol.md is these tables for people (a test keeps them equal).

Python computes every number the view shows (`Studio.frame`); a frame travels as a small JSON
header and binary buffers (float32 numbers, heat maps as one byte a cell), see `encode_frame`.
The session calls only the Studio's public methods.
"""

from __future__ import annotations

import base64
import html
import json
import math
import re
import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

import numpy as np

from autograd._checks import shown
from autograd.viz import palette
from nn import _studio_checks as checks
from nn.module import ACTIVATIONS

if TYPE_CHECKING:
    from nn.studio import Studio

MAX_STEPS_PER_MESSAGE = 100  # a `play` message trains at most this many steps
MAX_ID = 2**53 - 1  # the largest integer a JavaScript number holds exactly
TEXT_LIMIT = 300  # characters of an error's text
SAVED_FRAMES = 400  # a saved page holds at most this many frames, spread over the run
FLOAT32_MAX = float(np.finfo(np.float32).max)
MODULES = ("common", "network", "plane", "chart", "graph", "studio")  # the script, in order


class ProtocolError(Exception):
    """A message the protocol refuses: `field` names the part that was wrong ("" for the
    message as a whole), `error` the kind of mistake (TypeError, ValueError, IndexError)."""

    def __init__(self, field: str, error: str, text: str) -> None:
        super().__init__(text)
        self.field, self.error, self.text = field, error, text


@dataclass(frozen=True)
class Field:
    """One field of a message: its name, whether it may be left out, what it accepts (as the
    docs say it) and the rule that checks it: rule(studio, value) -> the checked value."""

    name: str
    required: bool
    accepts: str
    rule: Callable[[Studio, Any], Any]


def _limits() -> Any:
    from nn import studio

    return studio


def _samples(studio: Studio) -> int:
    return len(studio.y)


def _recorded(studio: Studio) -> int:
    return studio.steps + 1


def _presets() -> tuple[str, ...]:
    from nn.datasets import NAMES

    return NAMES


def _inputs() -> list[str]:
    return list(_limits().INPUTS)


_SAMPLE_INDEX = "a sample index: an int, -n to n-1 for n samples"
_STEP = "a recorded step: an int, 0 to steps (negative counts from the last)"

MESSAGES: dict[str, tuple[Field, ...]] = {
    "hello": (),
    "play": (
        Field(
            "steps",
            False,
            f"an int, 1 to {MAX_STEPS_PER_MESSAGE}: steps to train before the reply (default 1)",
            lambda s, v: checks.steps("step(n)", v, high=MAX_STEPS_PER_MESSAGE),
        ),
    ),
    "step": (),
    "reset": (
        Field(
            "seed",
            False,
            "an int, or null for the starting weights (default null)",
            lambda s, v: checks.seed("reset(seed)", v),
        ),
    ),
    "lr": (
        Field(
            "value",
            True,
            "a finite number >= 0: the learning rate from the next step on",
            lambda s, v: checks.rate("learning rate", v),
        ),
    ),
    "l2": (
        Field(
            "value",
            True,
            "a finite number, 0 to 10: the L2 rate from the next step on",
            lambda s, v: checks.rate("l2", v, high=_limits().MAX_L2),
        ),
    ),
    "show": (
        Field("step", True, _STEP, lambda s, v: checks.step_index("snapshot", v, _recorded(s))),
    ),
    "select": (
        Field(
            "index",
            True,
            _SAMPLE_INDEX,
            lambda s, v: checks.sample_index("select", v, _samples(s)),
        ),
    ),
    "add": (
        Field(
            "x",
            True,
            "the new point: a list of as many finite numbers as the data has columns",
            lambda s, v: checks.row("add_point(x)", v, s.features),
        ),
        Field(
            "target",
            True,
            "its target: one of the Studio's classes, or any finite number for regression",
            lambda s, v: checks.target("add_point(target)", v, s.kind, s.outputs),
        ),
        Field(
            "test",
            False,
            "true to hold the point out for testing (default false)",
            lambda s, v: checks.flag("add_point(test)", v),
        ),
    ),
    "remove": (
        Field(
            "index",
            True,
            f"{_SAMPLE_INDEX} (a training point must stay)",
            lambda s, v: checks.sample_index("remove_point", v, _samples(s)),
        ),
    ),
    "split": (
        Field(
            "test",
            True,
            "a number, 0 to 0.9: the share of points held out for testing",
            lambda s, v: checks.fraction("test", v, _limits().MAX_TEST),
        ),
    ),
    "dataset": (
        Field(
            "name",
            True,
            "a preset's name: moons, circles, xor, spiral or linear",
            lambda s, v: checks.name("use_preset(name)", v, _presets()),
        ),
        Field(
            "noise",
            False,
            "a number, 0 to 1: the points' jitter (default: the set's own)",
            lambda s, v: checks.fraction("use_preset(noise)", v, _limits().MAX_NOISE),
        ),
    ),
    "network": (
        Field(
            "hidden",
            False,
            "a list of 0 to 6 ints, each 1 to 32: the hidden layers' widths (default: as now)",
            lambda s, v: checks.widths(
                "hidden", v, _limits().MAX_HIDDEN_LAYERS, _limits().MAX_WIDTH
            ),
        ),
        Field(
            "activation",
            False,
            "relu, tanh, sigmoid or linear: the hidden layers' activation (default: as now)",
            lambda s, v: checks.name("activation", v, ACTIVATIONS),
        ),
        Field(
            "inputs",
            False,
            "a list of 1 to 7 distinct names from x1, x2, x1^2, x2^2, x1*x2, sin(x1), "
            "sin(x2): the input features (default: as now)",
            lambda s, v: checks.names("inputs", v, _inputs(), 7),
        ),
    ),
    "maps": (
        Field(
            "on",
            True,
            "true or false: whether frames carry the neurons' heat maps",
            lambda s, v: checks.flag("maps", v),
        ),
    ),
    "graph": (
        Field(
            "step",
            False,
            "a recorded step (an int), or null for the newest (default null)",
            lambda s, v: checks.optional_step("graph", v, _recorded(s)),
        ),
    ),
    "neuron": (  # layer and index: Studio.neuron_graph's own rules
        Field(
            "layer",
            True,
            "a layer of neurons: an int, 0 (the first hidden layer) to the output layer",
            lambda s, v: _layer_index(s, v),
        ),
        Field(
            "index",
            True,
            "a neuron of that layer: an int, 0 to its width - 1",
            lambda s, v: v,  # checked with its layer, in validate
        ),
        Field(
            "step",
            False,
            "a recorded step (an int), or null for the newest (default null)",
            lambda s, v: checks.optional_step("neuron_graph", v, _recorded(s)),
        ),
    ),
}

REPLIES: dict[str, str] = {
    "setup": "the network (sizes, activations, inputs), parameter names, features, outputs, "
    "kind, loss, classes, optimizer, presets, limits, palette, grid sizes",
    "settings": "lr, l2, test, noise, dataset, maps: the controls' values now",
    "data": "the points (version, X, y, test), bounds, selected, steps, every record, axis",
    "frame": "one step as Studio.frame computes it: a JSON header (step, latest, version, new "
    "records, axis, the sample's numbers) and binary buffers (parameters, gradients, the "
    "sample's per-neuron numbers as float32; output and heat maps one byte a cell; the boundary "
    "as float32 segments); a frame for `show` also carries that step's points",
    "graph": "an animated page (html) of the selected sample's scalar graph or of one neuron's "
    "ops, with step, sample (and layer, index); or error, a text",
    "error": "request, field, error (TypeError, ValueError, IndexError, ...) and a short text",
}


ANSWERS: dict[str, str] = {  # what each message of the script gets back
    "hello": "setup, settings, data, frame",
    "play": "frame (of the newest step)",
    "step": "frame",
    "reset": "data, frame",
    "lr": "settings",
    "l2": "settings",
    "show": "frame (with that step's points)",
    "select": "frame (of the step shown)",
    "add": "data, frame",
    "remove": "data, frame",
    "split": "data, frame",
    "dataset": "data, frame, settings",
    "network": "setup, settings, data, frame",
    "maps": "settings, frame",
    "graph": "graph",
    "neuron": "graph",
}

BUFFERS: dict[str, tuple[str, str]] = {  # a frame's binary buffers, in the order they come
    "params": ("f4", "the parameters after the step, in parameter order"),
    "grads": ("f4", "the gradient the step used (not at step 0)"),
    "sample_z": ("f4", "the selected sample: each neuron's pre-activation, network order"),
    "sample_a": ("f4", "each neuron's activation"),
    "sample_grad_a": ("f4", "d loss / d activation, this sample's loss"),
    "sample_grad_z": ("f4", "d loss / d pre-activation"),
    "sample_grad_params": ("f4", "d loss / d parameter, this sample's loss"),
    "sample_grad_inputs": ("f4", "d loss / d input"),
    "output": ("u1", "the output over the plane, GRID x GRID cells, row 0 at the top: "
               "127.5 (1 + tanh v), v the output minus the threshold (or the winning margin)"),
    "classes": ("u1", "several outputs: each cell's arg-max class"),
    "maps": ("u1", "each input's and neuron's heat map, MAP_GRID x MAP_GRID, as output"),
    "boundary": ("f4", "the decision boundary: segments x, y, x', y' in the plane's units"),
}  # fmt: skip


def _layer_index(studio: Studio, value: object) -> int:
    network = studio.network()
    if network is None:
        raise TypeError(
            "neuron_graph needs a model drawn as a network (MLP, Layer, Neuron); this one is "
            f"a {type(studio.model).__name__}"
        )
    return checks.index("neuron_graph(layer)", value, len(network["sizes"]) - 1, "layer")


@dataclass(frozen=True)
class Request:
    """A message that validated: its type, its fields (checked values; a field left out is
    not there) and its id (None without one)."""

    type: str
    fields: dict[str, Any]
    id: int | None


def validate(studio: Studio, message: object) -> Request:
    """Return the message as a Request, or raise ProtocolError naming what is wrong.

    A message is a JSON object (a dict) with a "type" from MESSAGES, the fields that type
    takes (each checked by its rule: the rule of the Studio method the message stands for), and
    optionally an "id" (an int, 0 to 2**53 - 1) that every reply to it carries back as
    "reply_to". Anything else (an unknown type or field, a missing field) is refused.
    """
    if not isinstance(message, Mapping):
        raise ProtocolError(
            "",
            "TypeError",
            f"a message must be a JSON object with a type, got {checks.excerpt(message)}",
        )
    kind = message.get("type")
    if not isinstance(kind, str) or kind not in MESSAGES:
        raise ProtocolError(
            "type",
            "TypeError" if not isinstance(kind, str) else "ValueError",
            f"type must be one of {', '.join(MESSAGES)}; got {checks.excerpt(kind)}",
        )
    ident = _message_id(message.get("id")) if "id" in message else None
    fields = MESSAGES[kind]
    known = {f.name for f in fields}
    for key in message:
        if key not in known and key not in ("type", "id"):
            takes = ", ".join(sorted(known)) or "no fields"
            raise ProtocolError(
                _short(str(key), 40),
                "ValueError",
                f"{kind} takes {takes} (and id); got an unknown field {checks.excerpt(key)}",
            )
    values: dict[str, Any] = {}
    for field in fields:
        if field.name not in message:
            if field.required:
                raise ProtocolError(
                    field.name, "TypeError", f"{kind} needs {field.name}: {field.accepts}"
                )
            continue
        try:
            values[field.name] = field.rule(studio, message[field.name])
            if kind == "neuron" and field.name == "index":
                width = (studio.network() or {"sizes": [0, 0]})["sizes"][values["layer"] + 1]
                values["index"] = checks.index(
                    "neuron_graph(index)", values["index"], width, "neuron"
                )
        except (TypeError, ValueError, IndexError) as error:
            raise ProtocolError(field.name, type(error).__name__, str(error)) from None
    return Request(kind, values, ident)


def _message_id(ident: object) -> int:
    if isinstance(ident, bool) or not isinstance(ident, int):
        raise ProtocolError("id", "TypeError", f"id must be an int, got {checks.excerpt(ident)}")
    if not 0 <= ident <= MAX_ID:
        raise ProtocolError("id", "ValueError", f"id must be 0 to 2**53 - 1, got {shown(ident)}")
    return ident


def _short(text: str, limit: int = TEXT_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def error_reply(error: ProtocolError, request: str | None) -> dict[str, Any]:
    """The one reply to a refused message: its field, the kind of error and a short text."""
    return {
        "type": "error",
        "request": request,
        "field": error.field,
        "error": error.error,
        "text": _short(error.text),
    }


# ---- what Python sends: built from the Studio's public methods ----


def finite(x: Any) -> float | None:
    """x as a float, or None for nan and ±inf (JSON has no such numbers)."""
    if x is None:
        return None
    value = float(x)
    return value if math.isfinite(value) else None


def _six(x: Any) -> float | None:
    value = finite(x)
    return None if value is None else float(f"{value:.6g}")


def setup_message(studio: Studio) -> dict[str, Any]:
    """What the view needs once (and again after rebuild): the network and the kind of run."""
    from nn.studio import GRID, MAP_GRID, presets_allowed

    limits = _limits()
    return {
        "type": "setup",
        "network": studio.network(),
        "names": studio.parameter_names,
        "features": studio.features,
        "outputs": studio.outputs,
        "kind": studio.kind,
        "loss": studio.loss_name,
        "classes": studio.classes(),
        "optimizer": type(studio.optimizer).__name__,
        "presets": presets_allowed(studio),
        "inputs": _inputs(),
        "activations": list(ACTIVATIONS),
        "limits": {
            "layers": limits.MAX_HIDDEN_LAYERS,
            "width": limits.MAX_WIDTH,
            "steps": MAX_STEPS_PER_MESSAGE,
            "test": limits.MAX_TEST,
            "noise": limits.MAX_NOISE,
            "l2": limits.MAX_L2,
        },
        "palette": palette.as_dict(),
        "grid": GRID,
        "map_grid": MAP_GRID,
    }


def settings_message(studio: Studio, maps: bool) -> dict[str, Any]:
    """The controls' values now."""
    return {
        "type": "settings",
        "lr": studio.lr,
        "l2": studio.l2,
        "test": studio.test,
        "noise": studio.noise,
        "dataset": studio.dataset,
        "maps": maps,
    }


def record_rows(studio: Studio, since: int = 0) -> list[list[Any]]:
    """The history after step `since`, compactly: [step, loss, data loss, test loss, accuracy,
    test accuracy, data version], numbers to six digits (None where nan or infinite)."""
    rows = []
    for k in range(since + 1, studio.steps + 1):
        record = studio.record(k)
        rows.append(
            [
                record["step"],
                _six(record["loss"]),
                _six(record["data_loss"]),
                _six(record["test_loss"]),
                _six(record["accuracy"]),
                _six(record["test_accuracy"]),
                record["version"],
            ]
        )
    return rows


def highest_loss(rows: list[list[Any]], start: float = 0.0) -> float:
    """The largest training or test data loss in record rows (and `start`)."""
    top = start
    for row in rows:
        for value in (row[2], row[3]):
            if value is not None and value > top:
                top = value
    return top


def loss_axis(top: float) -> float:
    """The top of the loss chart for losses up to `top`: the smallest of 1, 2, 2.5, 5 × 10^k
    at or above it (1 before any step)."""
    if top <= 0:
        return 1.0
    if top >= 1e300:
        return float(f"{top:.3g}")
    power = 10.0 ** math.floor(math.log10(top))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        if step * power >= top * (1 - 1e-12):
            return float(f"{step * power:.12g}")
    return 10 * power


def points_message(studio: Studio, step: int | None = None) -> dict[str, Any]:
    """A step's points: rows to five digits, kept finite."""
    points = studio.points(step)
    return {
        "version": points["version"],
        "X": _rounded(points["X"]),
        "y": points["y"],
        "test": points["test"],
    }


def data_message(studio: Studio) -> dict[str, Any]:
    """The points now, the plane, the selection and every record."""
    return {
        "type": "data",
        **points_message(studio),
        "bounds": studio.plane,
        "selected": studio.selected,
        "steps": studio.steps,
        "records": (rows := record_rows(studio)),
        "axis": loss_axis(highest_loss(rows)),
    }


def _codes(values: np.ndarray) -> bytes:
    """A heat map as one byte a cell: 127.5·(1 + tanh v), so 0 is orange's end, 255 blue's and
    128 a value near 0 (nan as 0)."""
    v = np.tanh(np.nan_to_num(np.asarray(values, dtype=np.float64), posinf=50, neginf=-50))
    return np.round(127.5 * (1 + v)).astype(np.uint8).tobytes()


def _float32(values: Any) -> bytes:
    """float32 little-endian; beyond float32's range (a diverging run) a value is sent as
    ±3.4e38, its largest; nan stays nan."""
    wide = np.clip(np.asarray(values, dtype=np.float64), -FLOAT32_MAX, FLOAT32_MAX)
    return wide.astype("<f4").tobytes()


def encode_frame(studio: Studio, frame: dict[str, Any]) -> tuple[dict[str, Any], list[bytes]]:
    """A frame (Studio.frame) as a JSON header and binary buffers: the header's "buffers"
    lists [name, dtype ("f4" or "u1"), count] for each, in order."""
    buffers: list[tuple[str, str, bytes]] = [("params", "f4", _float32(frame["params"]))]
    if frame["grads"] is not None:
        buffers.append(("grads", "f4", _float32(frame["grads"])))
    sample = frame["sample"]
    head: dict[str, Any] = {}
    if sample is not None:
        for key in ("z", "a", "grad_a", "grad_z", "grad_params", "grad_inputs"):
            buffers.append((f"sample_{key}", "f4", _float32(sample[key])))
        head = {
            "index": sample["index"],
            "x": [finite(v) for v in sample["x"]],
            "inputs": [finite(v) for v in sample["inputs"]],
            "target": sample["target"],
            "outputs": [finite(v) for v in sample["outputs"]],
            "loss": finite(sample["loss"]),
            "error": sample["error"],
        }
    if frame["points_output"] is not None:  # no plane: each point's outputs, a few numbers
        head_points = [[finite(float(f"{v:.6g}")) for v in row] for row in frame["points_output"]]
    if frame["output"] is not None:
        buffers.append(("output", "u1", _codes(frame["output"])))
    if frame["classes"] is not None:
        buffers.append(("classes", "u1", np.asarray(frame["classes"], np.uint8).tobytes()))
    if frame["maps"] is not None:
        buffers.append(("maps", "u1", _codes(frame["maps"])))
    buffers.append(("boundary", "f4", _float32(frame["boundary"])))
    assert all(BUFFERS[name][0] == dtype for name, dtype, _ in buffers)  # the documented ones
    header = {
        "type": "frame",
        "step": frame["step"],
        "latest": studio.steps,
        "version": frame["version"],
        "sample": head,
        "outputs": head_points if frame["points_output"] is not None else None,
        "buffers": [
            [name, dtype, len(data) // (4 if dtype == "f4" else 1)] for name, dtype, data in buffers
        ],
    }
    return header, [data for _, _, data in buffers]


def _rounded(rows: list[list[float]]) -> list[list[float]]:
    """Five digits a number; 1.79769e308 would round up past float64's largest: kept finite."""
    big = float(np.finfo(np.float64).max)
    return [[min(max(float(f"{v:.5g}"), -big), big) for v in row] for row in rows]


# ---- one view's conversation ----


class Session:
    """One view's conversation with a Studio: `handle(message)` answers through `send`.

    send(reply, buffers) puts one reply on the wire (the widget's comm, or a list in a test).
    Every message gets at least one reply; a refused one gets exactly one, an "error", and
    leaves the Studio as it was. The Session watches the Studio (`Studio.watch`), so a change
    made anywhere (a message, or a notebook cell calling studio.step()) reaches the view the
    same way; `close()` stops watching. It keeps what the view shows: the step (None: the
    newest) and whether heat maps are on.
    """

    def __init__(self, studio: Studio, send: Callable[[dict[str, Any], list[bytes]], None]) -> None:
        self.studio = studio
        self._send = send
        self._sent = studio.steps  # the records the view has
        self._replying_to: int | None = None
        self.shown: int | None = None  # the step the view shows; None: the newest
        self.maps = True
        self._top = 0.0  # the highest loss the view's records hold (its chart's scale)
        self.handling_seconds = 0.0  # the kernel's time spent answering the view
        self.last_message_bytes = 0
        self.largest_frame_bytes = 0
        self._unwatch = studio.watch(self.changed)

    def close(self) -> None:
        """Stop watching the Studio (the view is gone)."""
        self._unwatch()

    # ---- Python -> script ----

    def post(self, message: dict[str, Any], buffers: list[bytes] | None = None) -> None:
        """Send one reply (with the id of the message being answered, if it had one)."""
        if self._replying_to is not None:
            message = {**message, "reply_to": self._replying_to}
        text = json.dumps(message, separators=(",", ":"), allow_nan=False)
        size = len(text.encode("utf-8")) + sum(len(b) for b in buffers or [])
        self.last_message_bytes = size
        if message.get("type") == "frame":
            self.largest_frame_bytes = max(self.largest_frame_bytes, size)
        self._send(json.loads(text), list(buffers or []))

    def post_frame(self, step: int | None = None, *, points: bool = False) -> None:
        """Send the frame of `step` (default: the newest) with the records the view lacks."""
        studio = self.studio
        header, buffers = encode_frame(studio, studio.frame(step, maps=self.maps))
        rows = record_rows(studio, min(self._sent, studio.steps))
        self._top = highest_loss(rows, self._top)
        header["records"] = rows
        header["axis"] = loss_axis(self._top)
        self._sent = studio.steps
        if points:
            header["points"] = points_message(studio, header["step"])
        self.post(header, buffers)

    def changed(self, event: str) -> None:
        """The Studio changed (see Studio.watch for the events): tell the view. Never raises."""
        studio = self.studio
        try:
            if event == "steps":
                self.shown = None
                self.post_frame()
            elif event == "selected":
                self.post_frame(self.shown, points=self.shown is not None)
            elif event == "settings":
                self.post(settings_message(studio, self.maps))
            else:  # "data" or "network": the view starts over at the newest step
                if event == "network":
                    self.post(setup_message(studio))
                    self.post(settings_message(studio, self.maps))
                self.shown = None
                data = data_message(studio)
                self._top = highest_loss(data["records"])
                self.post(data)
                self._sent = studio.steps
                self.post_frame()
        except Exception as error:  # noqa: BLE001 - a view that cannot draw must not stop training
            self._post_error(ProtocolError("", type(error).__name__, str(error)), None)

    def _post_error(self, error: ProtocolError, request: str | None) -> None:
        try:
            self.post(error_reply(error, request))
        except Exception:  # noqa: BLE001 - the text itself failed to encode: send it plainer
            self._plain_error()

    def _plain_error(self) -> None:
        self._send({"type": "error", "request": None, "field": "", "error": "Error",
                    "text": "the Studio could not answer this message"}, [])  # fmt: skip

    # ---- script -> Python ----

    def handle(self, message: object, buffers: Any = None) -> None:
        """Answer one message from the view. Never raises: a refused message, or a method that
        fails on it, is answered with one error reply instead."""
        start = time.perf_counter()
        try:
            try:
                request = validate(self.studio, message)
            except ProtocolError as error:
                ident = message.get("id") if isinstance(message, Mapping) else None
                valid = type(ident) is int and 0 <= ident <= MAX_ID
                self._replying_to = ident if valid else None
                kind = message.get("type") if isinstance(message, Mapping) else None
                self._post_error(
                    error, kind if isinstance(kind, str) and kind in MESSAGES else None
                )
                return
            self._replying_to = request.id
            try:
                self._dispatch(request)
            except Exception as error:  # noqa: BLE001 - e.g. a loss of yours that fails: say so
                self._post_error(ProtocolError("", type(error).__name__, str(error)), request.type)
        except Exception:  # noqa: BLE001 - the last guard: the view always hears back
            self._plain_error()
        finally:
            self._replying_to = None
            self.handling_seconds += time.perf_counter() - start

    def _dispatch(self, request: Request) -> None:
        studio, fields, kind = self.studio, request.fields, request.type
        if kind == "hello":
            self.post(setup_message(studio))
            self.post(settings_message(studio, self.maps))
            self.changed("data")
        elif kind == "play" or kind == "step":
            studio.step(fields.get("steps", 1))  # the watch sends the frame
        elif kind == "reset":
            studio.reset(fields.get("seed"))
        elif kind == "lr":
            studio.lr = fields["value"]
        elif kind == "l2":
            studio.l2 = fields["value"]
        elif kind == "show":
            step = fields["step"]
            self.shown = None if step == studio.steps else step
            self.post_frame(step, points=True)
        elif kind == "select":
            studio.select(fields["index"])
        elif kind == "add":
            studio.add_point(fields["x"].tolist(), fields["target"], test=fields.get("test", False))
        elif kind == "remove":
            studio.remove_point(fields["index"])
        elif kind == "split":
            studio.test = fields["test"]
        elif kind == "dataset":
            studio.use_preset(fields["name"], noise=fields.get("noise"))
            self.post(settings_message(studio, self.maps))
        elif kind == "network":
            studio.rebuild(
                fields.get("hidden"),
                activation=fields.get("activation"),
                inputs=fields.get("inputs"),
            )
        elif kind == "maps":
            self.maps = fields["on"]
            self.post(settings_message(studio, self.maps))
            self.post_frame(self.shown, points=self.shown is not None)
        elif kind == "graph":
            self._graph(lambda: studio.graph(fields.get("step")), fields.get("step"), {})
        elif kind == "neuron":
            layer, index, step = fields["layer"], fields["index"], fields.get("step")
            self._graph(
                lambda: studio.neuron_graph(layer, index, step),
                step,
                {"layer": layer, "index": index},
            )

    def _graph(self, make: Callable[[], Any], step: int | None, more: dict[str, Any]) -> None:
        shown = self.studio.steps if step is None else step
        reply = {"type": "graph", "step": shown, "sample": self.studio.selected, **more}
        try:
            page = make()
        except Exception as error:  # noqa: BLE001 - e.g. Graphviz missing: say so in the view
            self.post({**reply, "error": _short(f"{type(error).__name__}: {error}")})
            return
        self.post({**reply, "html": page.html})


# ---- the script, and the saved page ----


def _module(name: str) -> str:
    return resources.files("nn.assets").joinpath(f"studio/{name}.js").read_text("utf-8")


_IMPORT = re.compile(r'^import \{([^}]*)\} from "\./(\w+)\.js";$')
_EXPORT = re.compile(r"^export (?:async )?(?:function\*?|const|let|class) (\w+)")


def script() -> str:
    """The view's ES modules (nn/assets/studio/: common, then one per pane, then studio.js)
    linked into the one module a widget or a page loads: each module's body runs in a scope
    of its own and hands on what it exports; `import {a, b} from "./name.js";` becomes a
    destructuring of that module's exports. The modules import and export only in those two
    forms (anything else is refused here, so a module cannot silently misbehave linked)."""
    parts = []
    for name in MODULES:
        lines, exports = [], []
        for line in _module(name).splitlines():
            found = _IMPORT.match(line)
            if found:
                lines.append(f"const {{{found.group(1)}}} = module_{found.group(2)};")
                continue
            if line.startswith("import ") or re.match(r"^import\s*[{(*]", line):
                raise ValueError(f"studio/{name}.js: an import the linker does not read: {line}")
            export = _EXPORT.match(line)
            if export and name != "studio":
                exports.append(export.group(1))
                line = line[len("export ") :]
            elif line.startswith("export ") and name != "studio":
                raise ValueError(f"studio/{name}.js: an export the linker does not read: {line}")
            lines.append(line)
        body = "\n".join(lines)
        if name == "studio":
            parts.append(body)
        else:
            names = ", ".join(exports)
            parts.append(f"const module_{name} = (() => {{\n{body}\nreturn {{ {names} }};\n}})();")
    return "\n\n".join(parts) + "\n"


def _asset(name: str) -> str:
    return resources.files("nn.assets").joinpath(name).read_text(encoding="utf-8")


def saved_frames(steps: int) -> list[int]:
    """The steps a saved page keeps frames for: every one, or SAVED_FRAMES spread evenly over
    a longer run (the first and the last always)."""
    if steps + 1 <= SAVED_FRAMES:
        return list(range(steps + 1))
    return sorted({round(k * steps / (SAVED_FRAMES - 1)) for k in range(SAVED_FRAMES)})


def saved_run(studio: Studio) -> dict[str, Any]:
    """The recorded run for a saved page: setup, settings, every data version and record, and
    the frames (headers; their buffers packed in one zlib-compressed blob, base64)."""
    blob = bytearray()
    frames = []
    for k in saved_frames(studio.steps):
        header, buffers = encode_frame(studio, studio.frame(k))
        places = []
        for (name, dtype, count), data in zip(header["buffers"], buffers):
            places.append([name, dtype, count, len(blob)])
            blob += data + b"\0" * (-len(data) % 4)  # each buffer starts 4-byte aligned
        header["buffers"] = places
        frames.append(header)
    rows = record_rows(studio)
    first = {0: 0}  # each data version's first step
    for row in rows:
        first.setdefault(row[6], row[0])
    return {
        "setup": setup_message(studio),
        "settings": settings_message(studio, True),
        "points": {v: points_message(studio, k) for v, k in first.items()},
        "records": rows,
        "axis": loss_axis(highest_loss(rows)),
        "bounds": studio.plane,
        "selected": studio.selected,
        "steps": studio.steps,
        "frames": frames,
        "blob": base64.b64encode(zlib.compress(bytes(blob), 9)).decode("ascii"),
    }


def saved_page(studio: Studio, *, title: str = "stepgrad Studio") -> str:
    """Return a self-contained HTML page that replays the recorded run (see Studio.save)."""
    data = json.dumps(saved_run(studio), separators=(",", ":"), allow_nan=False)
    parts = {
        "title": html.escape(title),
        "style": _asset("studio.css"),
        "data": data.replace("<", "\\u003c"),
        "script": script(),
    }
    return re.sub(
        r"\{\{(title|style|data|script)\}\}", lambda m: parts[m[1]], _asset("studio.html")
    )
