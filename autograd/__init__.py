"""stepgrad's engine: scalar reverse-mode autodiff you can see and step through.

    from autograd import Value
    x, y = Value(2.0, "x"), Value(-3.0, "y")
    z = (x * y).tanh()
    z.backward()            # x.grad = dz/dx, y.grad = dz/dy

Also here: `no_grad`, `zero_grad`, `topological_order`, `grad` (several outputs with weights:
a vector-Jacobian product; `create_graph=True` for higher derivatives), `backward` (several
roots), `gradcheck`, `detect_anomaly`, `backward_steps`, `custom_op` (your own op with its
rule), `trace` (a graph as straight-line code, replayed on floats or NumPy batches), and the
n-ary ops `autograd.sum` and `autograd.dot` (one node with many parents). Drawing lives in
`autograd.viz`; its main names `to_dot`, `draw` and `animate` are here too.
"""

from autograd import ops
from autograd._version import __version__
from autograd.anomaly import detect_anomaly
from autograd.backward import (
    Step,
    backward,
    backward_steps,
    grad,
    is_grad_enabled,
    no_grad,
    topological_order,
    zero_grad,
)
from autograd.check import GradcheckError, gradcheck
from autograd.compile import Program, TraceMismatchError, trace
from autograd.custom import custom_op
from autograd.ops import dot
from autograd.ops import sum as sum  # `autograd.sum`; left out of __all__ to spare builtins.sum
from autograd.value import HookHandle, Value
from autograd.viz import animate, draw, to_dot

__all__ = [
    "GradcheckError",
    "HookHandle",
    "Program",
    "Step",
    "Value",
    "__version__",
    "animate",
    "backward",
    "backward_steps",
    "custom_op",
    "detect_anomaly",
    "dot",
    "draw",
    "grad",
    "gradcheck",
    "is_grad_enabled",
    "no_grad",
    "ops",
    "to_dot",
    "topological_order",
    "trace",
    "TraceMismatchError",
    "zero_grad",
]
