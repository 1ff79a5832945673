"""The Studio's live view: an anywidget whose script (nn/assets/) draws and whose Python side is
a `nn.studio_protocol.Session` on the widget's comm. Imported only when a view is asked for, so
`import nn` needs no widget package.

The script is the ES modules of nn/assets/studio/ (one per pane), linked into one module by
nn.studio_protocol.script(). The messages, their fields and replies are the protocol's
(nn/studio_protocol.py, written out in docs/studio-protocol.md). The play loop is driven by the
script: it keeps a few requests for frames on their way and asks for the next as one comes, so
the kernel handles one short message at a time and stays free for the notebook's cells.
"""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING, Any

import anywidget
import traitlets

from nn.studio_protocol import Session, script

if TYPE_CHECKING:
    from nn.studio import Studio


def _asset(name: str) -> str:
    return resources.files("nn.assets").joinpath(name).read_text(encoding="utf-8")


class StudioWidget(anywidget.AnyWidget):
    """The live view of one `Studio` (made by `Studio.view()`)."""

    _esm = traitlets.Unicode(script()).tag(sync=True)  # nn/assets/studio/*.js, linked
    _css = traitlets.Unicode(_asset("studio.css")).tag(sync=True)

    def __init__(self, studio: Studio) -> None:
        super().__init__()
        self.session = Session(studio, self._transmit)
        self.on_msg(self._receive)

    @property
    def closed(self) -> bool:
        """True once the widget is closed (its comm gone): Studio.view() then makes a new one."""
        return self.comm is None

    def close(self) -> None:
        """Close the widget and stop watching the Studio (nothing more is sent to this view)."""
        self.session.close()
        super().close()

    def _transmit(self, content: dict[str, Any], buffers: list[bytes]) -> None:
        self.send(content, buffers or None)

    def _receive(self, _widget: Any, content: Any, buffers: Any) -> None:
        self.session.handle(content, buffers)
