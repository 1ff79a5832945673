"""The Studio's message protocol: what the view's script and Python say to each other.

Every message is a JSON object with a "type"; MESSAGES below is the one table of the script's
messages (their fields, each field's kind and bounds), and `validate` the one function that
checks a message against it, with the Python API's own rules (nn._studio_checks: the rules that
`Studio.select`, `Studio.remove_point`, ... apply to the same values). `Session.handle` answers a
message: a message that does not validate gets one short error reply naming the field and what
it accepts, and changes nothing; no exception leaves `handle`, so the view always hears back.
docs/studio-protocol.md is this table for people (a test keeps the two the same).
"""

from __future__ import annotations

import json
import math
import numbers
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nn import _studio_checks as checks

if TYPE_CHECKING:
    from nn.studio import Studio

MAX_STEPS_PER_MESSAGE = 100  # a `play` message trains at most this many steps
MAX_ID = 2**53 - 1  # the largest integer a JavaScript number holds exactly
TEXT_LIMIT = 300  # characters of an error's text


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


def _samples(studio: Studio) -> int:
    return len(studio.y)


def _recorded(studio: Studio) -> int:
    return studio.steps + 1


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
    "show": (
        Field(
            "step",
            True,
            "a recorded step: an int, 0 to steps (negative counts from the last)",
            lambda s, v: checks.step_index("snapshot", v, _recorded(s)),
        ),
    ),
    "select": (
        Field(
            "index",
            True,
            "a sample index: an int, -n to n-1 for n samples",
            lambda s, v: checks.sample_index("select", v, _samples(s)),
        ),
    ),
    "add": (
        Field(
            "x",
            True,
            "the new point: a list of as many finite numbers as the data has features",
            lambda s, v: checks.row("add_point(x)", v, s.features),
        ),
        Field(
            "target",
            True,
            "its target: one of the Studio's classes, or any finite number for regression",
            lambda s, v: checks.target("add_point(target)", v, s.kind, s.outputs),
        ),
    ),
    "remove": (
        Field(
            "index",
            True,
            "a sample index: an int, -n to n-1 for n samples (one sample must stay)",
            lambda s, v: checks.sample_index("remove_point", v, _samples(s)),
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
    "dataset": (
        Field(
            "name",
            True,
            "a preset's name: moons, circles, xor, spiral or linear",
            lambda s, v: checks.name("use_preset(name)", v, _presets()),
        ),
    ),
}


def _presets() -> tuple[str, ...]:
    from nn.datasets import NAMES

    return NAMES


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
        except (TypeError, ValueError, IndexError) as error:
            raise ProtocolError(field.name, type(error).__name__, str(error)) from None
    return Request(kind, values, ident)


def _message_id(ident: object) -> int:
    if isinstance(ident, bool) or not isinstance(ident, numbers.Integral):
        raise ProtocolError("id", "TypeError", f"id must be an int, got {checks.excerpt(ident)}")
    value = int(ident)
    if not 0 <= value <= MAX_ID:
        raise ProtocolError("id", "ValueError", f"id must be 0 to 2**53 - 1, got {value}")
    return value


def _short(text: str, limit: int = TEXT_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def error_reply(error: ProtocolError, request: str | None, ident: int | None) -> dict[str, Any]:
    """The one reply to a refused message: its field, the kind of error and a short text."""
    reply: dict[str, Any] = {
        "type": "error",
        "request": request,
        "field": error.field,
        "error": error.error,
        "text": _short(error.text),
    }
    if ident is not None:
        reply["reply_to"] = ident
    return reply


class Session:
    """One view's conversation with a Studio: `handle(message)` answers through `send`.

    send(reply, buffers) puts one reply on the wire (the widget's comm, or a list in a test).
    Every message gets at least one reply; a refused one gets exactly one, an "error", and
    leaves the Studio as it was. The Session watches the Studio (`Studio.watch`), so a change
    made anywhere (a message, or a notebook cell calling studio.step()) reaches the view the
    same way; `close()` stops watching.
    """

    def __init__(self, studio: Studio, send: Callable[[dict[str, Any], list[bytes]], None]) -> None:
        self.studio = studio
        self._send = send
        self._sent = studio.steps  # the records the view has
        self._replying_to: int | None = None
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

    def changed(self, event: str) -> None:
        """The Studio changed (event "steps": it trained; "data": its points, selection or
        run changed): tell the view. Never raises."""
        try:
            if event == "steps":
                studio = self.studio
                self.post(studio._frame_message(min(self._sent, studio.steps)))
            else:
                self.post(self.studio._data_message())
            self._sent = self.studio.steps
        except Exception as error:  # noqa: BLE001 - a view that cannot draw must not stop training
            self._post_error(ProtocolError("", type(error).__name__, str(error)), None)

    def _post_error(self, error: ProtocolError, request: str | None) -> None:
        reply = error_reply(error, request, None)
        try:
            self.post(reply)
        except Exception:  # noqa: BLE001 - the text itself failed to encode: send it plainer
            plain = {"type": "error", "request": None, "field": "", "error": "Error",
                     "text": "the Studio could not answer this message"}  # fmt: skip
            self._send(plain, [])

    # ---- script -> Python ----

    def handle(self, message: object, buffers: Any = None) -> None:
        """Answer one message from the view. Never raises: a refused message, or a method that
        fails on it, is answered with one error reply instead."""
        start = time.perf_counter()
        request_type = message.get("type") if isinstance(message, Mapping) else None
        try:
            try:
                request = validate(self.studio, message)
            except ProtocolError as error:
                ident = message.get("id") if isinstance(message, Mapping) else None
                valid = type(ident) is int and 0 <= ident <= MAX_ID
                self._replying_to = ident if valid else None
                kind = request_type if isinstance(request_type, str) else None
                self._post_error(error, kind if kind in MESSAGES else None)
                return
            self._replying_to = request.id
            try:
                self._dispatch(request)
            except Exception as error:  # noqa: BLE001 - e.g. a loss of yours that fails: say so
                self._post_error(ProtocolError("", type(error).__name__, str(error)), request.type)
        except Exception:  # noqa: BLE001 - the last guard: the view always hears back
            self._send({"type": "error", "request": None, "field": "", "error": "Error",
                        "text": "the Studio could not answer this message"}, [])  # fmt: skip
        finally:
            self._replying_to = None
            self.handling_seconds += time.perf_counter() - start

    def _dispatch(self, request: Request) -> None:
        studio, fields, kind = self.studio, request.fields, request.type
        if kind == "hello":
            self.post(studio._setup_message())
            self.changed("data")
        elif kind == "play" or kind == "step":
            studio.step(fields.get("steps", 1))  # the watch sends the frame
        elif kind == "reset":
            studio.reset(fields.get("seed"))
        elif kind == "lr":
            studio.lr = fields["value"]
            self.post({"type": "lr", "value": studio.lr})
        elif kind == "show":
            self.post(studio._past_message(fields["step"]))
        elif kind == "select":
            studio.select(fields["index"])
        elif kind == "add":
            studio.add_point(fields["x"].tolist(), fields["target"])
        elif kind == "remove":
            studio.remove_point(fields["index"])
        elif kind == "graph":
            step = fields.get("step")
            try:
                page = studio.graph(step)
            except Exception as error:  # noqa: BLE001 - e.g. Graphviz missing: say so in the view
                self.post({"type": "graph", "error": f"{type(error).__name__}: {error}"})
                return
            self.post({"type": "graph", "html": page.html, "step": step, "sample": studio.selected})
        elif kind == "dataset":
            studio.use_preset(fields["name"])


def finite(x: float) -> float | None:
    """x, or None for nan and ±inf (JSON has no such numbers)."""
    return x if math.isfinite(x) else None
