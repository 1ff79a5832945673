"""nbconvert's settings for the docs build: docs/hooks/notebooks.py puts this folder on
JUPYTER_CONFIG_PATH, and mkdocs-jupyter's nbconvert reads this file when it runs a notebook.

The kernels that run the site's notebooks talk to the build over sockets that are encrypted
(CurveZMQ, when pyzmq has it: ipykernel's kernelspec says it supports it) or local (IPC, on a
POSIX system), never plain TCP: a kernel on plain TCP warns, once per notebook, that anyone on
the machine could read the traffic.
"""

import os

import zmq
from nbconvert.exporters import Exporter

c = get_config()  # noqa: F821 (traitlets defines it when it loads this file)

if zmq.has("curve"):
    c.KernelManager.transport_encryption = "auto"
elif os.name == "posix":
    c.KernelManager.transport = "ipc"

# A print is two writes (the text, then "\n"), and the kernel sends what it has every 0.2 s:
# on a busy machine a cell's last "\n" can arrive as a stream output of its own, which the
# page shows as an empty box. nbconvert's preprocessor that merges a cell's consecutive stream
# outputs runs before the one that executes the notebook: here it runs after it, and is on.
_order = list(Exporter.class_traits()["default_preprocessors"].default())
_order.remove("nbconvert.preprocessors.CoalesceStreamsPreprocessor")
_order.insert(
    _order.index("nbconvert.preprocessors.ExecutePreprocessor") + 1,
    "nbconvert.preprocessors.CoalesceStreamsPreprocessor",
)
c.Exporter.default_preprocessors = _order
c.CoalesceStreamsPreprocessor.enabled = True
