"""nbconvert's settings for the docs build: docs/hooks/notebooks.py puts this folder on
JUPYTER_CONFIG_PATH, and mkdocs-jupyter's nbconvert reads this file when it runs a notebook.

The kernels that run the site's notebooks talk to the build over sockets that are encrypted
(CurveZMQ, when pyzmq has it: ipykernel's kernelspec says it supports it) or local (IPC, on a
POSIX system), never plain TCP: a kernel on plain TCP warns, once per notebook, that anyone on
the machine could read the traffic.
"""

import os

import zmq

c = get_config()  # noqa: F821 (traitlets defines it when it loads this file)

if zmq.has("curve"):
    c.KernelManager.transport_encryption = "auto"
elif os.name == "posix":
    c.KernelManager.transport = "ipc"
