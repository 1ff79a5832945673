"""The Studio's live view: an anywidget whose script (assets/studio.js) draws and whose Python
side (this file) answers. Imported only when a view is asked for, so `import nn` needs no
widget package.

Messages, all small JSON (parameters travel as base64 float32, see nn.studio._pack):
    script -> Python   hello | play {steps} | step | reset | lr {value} | show {step}
                       select {index} | add {x, target} | remove {index} | graph {step}
                       dataset {name}
    Python -> script   setup | data | frame | past | graph {html} | error {text}

The play loop is driven by the script: it asks for the next frame once it has drawn the last,
so the kernel handles one short message at a time and stays free for the notebook's cells.
"""

from __future__ import annotations

import json
import time
from importlib import resources
from typing import TYPE_CHECKING, Any

import anywidget
import traitlets

if TYPE_CHECKING:
    from nn.studio import Studio

MAX_STEPS_PER_FRAME = 100


def _asset(name: str) -> str:
    return resources.files("nn.assets").joinpath(name).read_text(encoding="utf-8")


class StudioWidget(anywidget.AnyWidget):
    """The live view of one `Studio` (made by `Studio.view()`)."""

    _esm = traitlets.Unicode(_asset("studio.js")).tag(sync=True)
    _css = traitlets.Unicode(_asset("studio.css")).tag(sync=True)

    def __init__(self, studio: Studio) -> None:
        super().__init__()
        self._studio = studio
        self._sent = studio.steps  # records the script has
        self.on_msg(self._handle)
        self.last_message_bytes = 0
        self.largest_frame_bytes = 0
        self.handling_seconds = 0.0  # the kernel's time spent answering the script

    # ---- Python -> script ----

    def _post(self, message: dict[str, Any]) -> None:
        text = json.dumps(message, separators=(",", ":"), allow_nan=False, default=str)
        self.last_message_bytes = len(text.encode("utf-8"))
        if message.get("type") == "frame":
            self.largest_frame_bytes = max(self.largest_frame_bytes, self.last_message_bytes)
        self.send(json.loads(text))

    def _push_frame(self) -> None:
        studio = self._studio
        since = min(self._sent, studio.steps)
        self._post(studio._frame_message(since))
        self._sent = studio.steps

    def _push_data(self) -> None:
        self._post(self._studio._data_message())
        self._sent = self._studio.steps

    # ---- script -> Python ----

    def _handle(self, _widget: Any, content: dict[str, Any], _buffers: Any) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        start = time.perf_counter()
        try:
            self._dispatch(kind, content)
        except (TypeError, ValueError, IndexError, KeyError) as error:
            self._post({"type": "error", "text": f"{type(error).__name__}: {error}"})
        finally:
            self.handling_seconds += time.perf_counter() - start

    def _dispatch(self, kind: Any, content: dict[str, Any]) -> None:
        studio = self._studio
        if kind == "hello":
            self._post(studio._setup_message())
            self._push_data()
        elif kind == "play" or kind == "step":
            steps = int(content.get("steps", 1)) if kind == "play" else 1
            steps = max(1, min(MAX_STEPS_PER_FRAME, steps))
            studio.step(steps)  # pushes the frame
        elif kind == "reset":
            studio.reset(content.get("seed"))
        elif kind == "lr":
            from autograd._checks import number

            studio.optimizer.lr = number("learning rate", content.get("value"))
            self._post({"type": "lr", "value": studio.optimizer.lr})
        elif kind == "show":
            self._post(studio._past_message(int(content["step"])))
        elif kind == "select":
            studio.select(int(content["index"]))
        elif kind == "add":
            studio.add_point(content["x"], content["target"])
        elif kind == "remove":
            studio.remove_point(int(content["index"]))
        elif kind == "graph":
            step = content.get("step")
            try:
                page = studio.graph(None if step is None else int(step))
            except Exception as error:  # noqa: BLE001 - e.g. Graphviz missing: say so in the view
                self._post({"type": "graph", "error": f"{type(error).__name__}: {error}"})
                return
            self._post(
                {"type": "graph", "html": page.html, "step": step, "sample": studio.selected}
            )
        elif kind == "dataset":
            from nn.datasets import make

            X, y = make(str(content["name"]), len(studio.y) or 100, seed=0)
            studio.set_data(X, y)
            studio.dataset = str(content["name"])
            studio.reset()
        else:
            raise ValueError(f"the Studio's view sent an unknown message: {content!r}")
