"""Writes the notebooks in this folder from the cells below, without outputs.

    $ python notebooks/make_notebooks.py           # rewrite every notebook here
    $ python notebooks/make_notebooks.py --check   # exit 1 if a notebook differs from this script

Edit the cells here, not in Jupyter, then run the script: every cell's source stays reviewable
as text, the notebooks are committed without outputs, and tests/test_notebooks.py executes them
(it finds the cells it checks by their tags). Needs nbformat (the `notebook` extra).
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent

Cell = tuple[str, str, tuple[str, ...]]  # (kind, source, tags)


def md(source: str) -> Cell:
    return ("markdown", source.strip("\n"), ())


def code(source: str, *tags: str) -> Cell:
    return ("code", source.strip("\n"), tags)


# ---- micrograd_lecture.ipynb ----

LECTURE = [
    md("""
# The micrograd lecture, the stepgrad way

This notebook follows the path of Andrej Karpathy's lecture
[*The spelled-out intro to neural networks and backpropagation:
building micrograd*](https://www.youtube.com/watch?v=VMj-3S1tku0),
with stepgrad's `Value` in place of the one the lecture writes line by line. Watch the lecture
for the story; run this beside it to try each step, look at each graph and check each gradient.

Run it top to bottom (*Run All*). It needs stepgrad with the `notebook` extra
(`make test` installs it, or `pip install -e '.[notebook]'`) and Graphviz's `dot` for the
drawings. PyTorch is optional: without it, its cell shows the numbers PyTorch 2.13 gave when
they were recorded for the tests.
"""),
    md("""
## The lecture's names in stepgrad

| in the lecture | in stepgrad | what differs |
| --- | --- | --- |
| `Value(data, _children=(), _op='', label='')` | `Value(data, label="")` | ops record their parents themselves: you never pass children |
| `v._prev` (a set) | `v.parents` (a tuple) | in order, and `a * a` has parents `(a, a)` |
| `v._op` | `v.op` | `""` for a leaf |
| `draw_dot(root)` | `to_dot(root)` | also `draw(root, "g.svg")` for a file and `animate(root)` for a page that plays the passes (see `stepper.ipynb`) |
| `build_topo(v)`, the list `topo` | `topological_order(v)` | a loop, no recursion: a million-node chain works |
| `o._backward()`, called by hand | `o.local_grads(o.grad)` | returns each parent's contribution and leaves `.grad` alone: you add it |
| calling `_backward()` node by node | `backward_steps(o)` | a generator: one step per node, printable |
| `o.backward()` | `o.backward()` | the same; it adds, so `a + a` gives `a.grad == 2` |
| `Neuron`, `Layer`, `MLP` | `nn.Neuron`, `nn.Layer`, `nn.MLP` | `MLP(3, [4, 4, 1], activation="tanh", output_activation="tanh")` is the lecture's net; `seed=` repeats a run |
| `n.parameters()` | `model.parameters()` | the same order: layer by layer, neuron by neuron, weights then bias |
| `p.data += -0.01 * p.grad` | the same | or `nn.SGD(model.parameters(), lr=0.01).step()` |
| `p.grad = 0.0` for every parameter (the forgotten zero_grad) | `model.zero_grad()` | |
"""),  # noqa: E501 (a markdown table's rows are one line each)
    md("""
## 1. A derivative, numerically

Before any autodiff: a derivative is a slope. Nudge the input by a small `h`, see how much the
output moves, divide by `h`. For `f(x) = 3x² - 4x + 5` the exact slope is `6x - 4`.
"""),
    code(
        """
import math

import numpy as np


def f(x):
    return 3 * x**2 - 4 * x + 5


print(f(3.0))
""",
        "f",
    ),
    code("""
try:
    import matplotlib.pyplot as plt
except ImportError:
    print("matplotlib is not installed: no plot (pip install matplotlib)")
else:
    xs = np.arange(-5, 5, 0.25)
    plt.figure(figsize=(4.5, 2.8))
    plt.plot(xs, f(xs))
    plt.xlabel("x")
    plt.ylabel("f(x)")
    plt.show()
"""),
    code(
        """
h = 0.0001
for x in (3.0, -3.0, 2 / 3):
    slope = (f(x + h) - f(x)) / h
    print(f"x = {x:.4f}   slope = {slope:.4f}   exact 6x - 4 = {6 * x - 4:.4f}")
""",
        "slopes",
    ),
    md("""
With three inputs, nudge one at a time. In `d = a*b + c`, the slope with respect to `a` is `b`,
with respect to `b` it is `a`, and with respect to `c` it is 1:
"""),
    code(
        """
a, b, c = 2.0, -3.0, 10.0
d = a * b + c
print(f"d = {d}")
for name in ("a", "b", "c"):
    bumped = {"a": a, "b": b, "c": c}
    bumped[name] += h
    d2 = bumped["a"] * bumped["b"] + bumped["c"]
    print(f"dd/d{name} = {(d2 - d) / h:.4f}")
""",
        "slopes-abc",
    ),
    md("""
## 2. Expressions that remember how they were made

A stepgrad `Value` holds one number. Each operation on Values returns a new `Value` that
records its `op` and its `parents` (the lecture's `_op` and `_prev`), so the whole expression
becomes a graph. Labels are optional: an unlabelled node is called `#k`, its place in the graph.
"""),
    code(
        """
from autograd import Value, to_dot

a = Value(2.0, "a")
b = Value(-3.0, "b")
c = Value(10.0, "c")
e = a * b
e.label = "e"
d = e + c
d.label = "d"
f = Value(-2.0, "f")
L = d * f
L.label = "L"
print(L)
print("L.op =", repr(L.op), "  L.parents =", [p.label for p in L.parents])
""",
        "expression",
    ),
    md("""
`to_dot` returns a Graphviz drawing, which Jupyter shows inline: each value is a record (name,
data, grad), each op a small circle, and data flows left to right. All gradients are still 0.
"""),
    code("to_dot(L)", "draw"),
    md("""
### Inside stepgrad: what `a * b` does

The lecture writes `__mul__` into its `Value`: it makes `out = Value(self.data * other.data,
(self, other), '*')` and a closure `_backward` that does `self.grad += other.data * out.grad`
(and the same for `other`). Here is stepgrad's own code for each part, read from the engine
itself with `inspect`. The operator hands the work to the op function in `autograd/ops.py`:
"""),
    code(
        """
import inspect
import textwrap

from autograd import ops


def show(obj):
    \"\"\"Print the engine's code for obj, and the comment above it, as its file has them.\"\"\"
    target = obj if inspect.isroutine(obj) or inspect.isclass(obj) else type(obj)
    code = (inspect.getcomments(target) or "") + inspect.getsource(target)
    print(textwrap.dedent(code))


show(Value.__mul__)
show(Value.__add__)
""",
        "engine-operators",
    ),
    md("""
The op function computes the number and records the node: its data, its parents in order, and
its *rule*. This is the code that runs for `a * b` (every op is made by the same `define`, your
own ops too):
"""),
    code("show(ops.mul)", "engine-op"),
    md("""
The rule is the lecture's `_backward`, with the formula above it. Compare it with the lecture's
closure:
"""),
    code(
        """
show(ops.mul_backward)
show(ops.add_backward)
""",
        "engine-rules",
    ),
    md("""
What stepgrad does differently, and why:

- **The rule returns the contributions, `(g·y, g·x)`, instead of adding them into `.grad`.**
  The caller decides what to do with them: `backward()` adds them up, `backward_steps` shows
  them one node at a time, and `grad()` returns them without touching any `.grad`.
- **One named function per op, not a new closure per node.** Every `*` node points at the same
  `mul_backward`: a debugger's stack says `mul_backward` rather than `<lambda>`, and no node
  refers to itself, so a graph is freed by reference counting as soon as you drop it.
- **The same rule runs on floats, on `Value`s and on NumPy arrays.** Written with operators, it
  computes plain numbers in `backward()`, builds a graph under `grad(create_graph=True)` (which
  is where second derivatives come from), and runs on whole batches in a traced program.
- **`parents` is a tuple, in order.** The lecture's `_prev` is a set, so `a * a` would have one
  parent; here it has two, and the rule's contributions line up with them.
"""),
    md("""
## 3. Backpropagation by hand

Start at the output: `dL/dL = 1`. Then walk backwards. Every op knows only its own local
derivative, and the chain rule says: the gradient arriving at an op's output, times the op's
local derivative, is what flows to each input. For `*` the local derivative with respect to one
input is the other input; `+` passes the gradient through unchanged.

Where the lecture calls `node._backward()`, stepgrad's `node.local_grads(g)` gives the same
contributions, one per parent, for an arriving gradient `g`. It writes nothing; here each node
has one consumer, so we simply assign.
"""),
    code(
        """
L.grad = 1.0
d.grad, f.grad = L.local_grads(L.grad)  # L = d * f: (f, d) times 1
e.grad, c.grad = d.local_grads(d.grad)  # d = e + c: passes -2 to both
a.grad, b.grad = e.local_grads(e.grad)  # e = a * b: (b, a) times -2
for v in (L, d, f, e, c, a, b):
    print(f"{v.label}.grad = {v.grad:g}")
""",
        "manual-L",
    ),
    md("""
`local_grads` is how a node hands its rule the numbers: the arriving gradient `g`, its own
output `z` and its parents' data, in order. It is the lecture's `_backward()` minus the
`+=`: it returns what `_backward` would add.
"""),
    code("show(Value.local_grads)", "engine-local-grads"),
    code("to_dot(L)", "draw"),
    md("""
Check against the numbers, as the lecture does: nudge each leaf by `h` and watch `L` move.
`gradcheck` does exactly this (with central differences) for every input at once, and returns
`True` or raises an error naming the input whose gradient is wrong.
"""),
    code(
        """
from autograd import gradcheck


def L_of(a, b, c, f):
    return (a * b + c) * f


point = {"a": 2.0, "b": -3.0, "c": 10.0, "f": -2.0}
for name in point:
    bumped = {**point, name: point[name] + h}
    print(f"dL/d{name} ≈ {(L_of(**bumped) - L_of(**point)) / h:.4f}")
print("gradcheck:", gradcheck(L_of, list(point.values())))
""",
        "numeric-L",
    ),
    md("""
The same walk, done by the engine: `backward_steps` runs the backward pass one node at a time
and yields a step per node (the gradient arriving and what it sends to each parent), and
`backward()` runs it all at once. Both *add* to `.grad`, so clear the hand-made gradients first
with `zero_grad`.
"""),
    code(
        """
from autograd import backward_steps, zero_grad

zero_grad(L)
for step in backward_steps(L):
    print(step)
""",
        "steps-L",
    ),
    code(
        """
zero_grad(L)
L.backward()
print({v.label: v.grad for v in (a, b, c, d, e, f, L)})
""",
        "backward-L",
    ),
    md("""
A gradient says which way to move an input to make the output grow. Move every leaf a little
along its gradient and run the forward pass again: `L` goes up from -8.
"""),
    code(
        """
for leaf in (a, b, c, f):
    leaf.data += 0.01 * leaf.grad
L = (a * b + c) * f
print(f"L = {L.data:.6f}")
""",
        "nudge",
    ),
    md("""
## 4. A neuron

Two inputs `x1, x2`, two weights `w1, w2` and a bias `b`: `n = x1*w1 + x2*w2 + b`, and the
output squashed by tanh, `o = tanh(n)`. The bias is the lecture's, chosen so that
`n = 0.8814` and `o = 1/√2 = 0.7071`, which makes the numbers easy to follow by hand.

This graph is drawn top to bottom (`rankdir="TB"`): left to right it would be too wide for the
page.
"""),
    code(
        """
x1 = Value(2.0, "x1")
x2 = Value(0.0, "x2")
w1 = Value(-3.0, "w1")
w2 = Value(1.0, "w2")
b = Value(6.8813735870195432, "b")
x1w1 = x1 * w1
x1w1.label = "x1*w1"
x2w2 = x2 * w2
x2w2.label = "x2*w2"
x1w1x2w2 = x1w1 + x2w2
x1w1x2w2.label = "x1*w1 + x2*w2"
n = x1w1x2w2 + b
n.label = "n"
o = n.tanh()
o.label = "o"
to_dot(o, rankdir="TB")
""",
        "draw",
    ),
    md("""
By hand again, now node by node as the lecture calls `_backward()`. `backward_one` is the
lecture's `_backward`: it sends the node's gradient on to its parents, times the local
derivative, and *adds* it there (a value used twice collects from both uses). The local
derivative of tanh is `1 - o²`, so `n` receives `1 - 0.5 = 0.5`.
"""),
    code(
        """
def backward_one(node):
    for parent, contribution in zip(node.parents, node.local_grads(node.grad)):
        parent.grad += contribution


o.grad = 1.0
for node in (o, n, x1w1x2w2, x2w2, x1w1):  # outputs first
    backward_one(node)
print(f"o = {o.data:.4f}")
for v in (n, b, x1w1, x2w2, x1, w1, x2, w2):
    print(f"{v.label}.grad = {v.grad:g}")
""",
        "manual-neuron",
    ),
    code('to_dot(o, rankdir="TB")', "draw"),
    md("""
Calling nodes in the right order by hand does not scale. The order is a *topological* one:
every node after everything it depends on; the backward pass walks it in reverse.
`topological_order` computes it (with a loop, not the lecture's recursion), `backward()` uses it,
and `gradcheck` confirms the result numerically:
"""),
    code(
        """
from autograd import topological_order

print([v.label for v in topological_order(o)])
zero_grad(o)
o.backward()
print({v.label: round(v.grad, 6) for v in (x1, w1, x2, w2, b)})


def neuron_of(x1, w1, x2, w2, b):
    return (x1 * w1 + x2 * w2 + b).tanh()


print("gradcheck:", gradcheck(neuron_of, [2.0, -3.0, 0.0, 1.0, 6.8813735870195432]))
""",
        "backward-neuron",
    ),
    md("""
### Inside stepgrad: the topological sort and the backward pass

The lecture's `build_topo` is a recursive depth-first search that appends a node after its
children. stepgrad's walk is a loop instead: it gathers every node reachable from the output in
a list that grows while it is read, then sorts it by creation number. Every node is made after
its parents, so creation order is already a topological order:
"""),
    code(
        """
import importlib

engine = importlib.import_module("autograd.backward")  # the module, not the function
show(topological_order)
show(engine._order)
""",
        "engine-walk",
    ),
    md("""
Why: Python stops a recursion about 1,000 calls deep, so the lecture's `build_topo` fails on a
chain of a few thousand nodes (an unrolled RNN, a long sum); a loop has no such limit, and a
chain of a million nodes works. The walk keeps what it has seen in a set of its own and writes
nothing on the nodes, so threads whose graphs share a model's parameters can walk at once.

The lecture's `backward()` sets `self.grad = 1` and calls every node's `_backward()` in reverse
topological order, each adding into its parents' `.grad`. stepgrad's pass is one generator,
`_pass`, used by `backward()`, `backward_steps` and `grad()` alike:
"""),
    code(
        """
show(engine._pass)
show(engine.backward)
""",
        "engine-pass",
    ),
    md("""
What it does differently, and why:

- **This pass's gradients live in a dict of their own, `fresh`, never in `.grad`.** The
  lecture's `_backward` reads `out.grad`, which already holds whatever an earlier `backward()`
  left there, so a second call without zeroing counts old gradients again. Here each node's
  gradient for this pass is complete when the node's turn comes; `backward()` then adds it to
  `.grad` once. Two calls add exactly twice.
- **A rule receives numbers, or nodes.** On the plain path the rule gets floats (`node._data`)
  and builds nothing, which is fast; with `as_values` (`grad(create_graph=True)`) it gets
  `Value`s and records a graph of the backward pass itself.
- **A generator, so the same loop can stop after every node**: `backward_steps` yields its
  steps, and a debugger stopped in `mul_backward` shows `_pass` one frame up.
"""),
    md("""
The lecture's bug: when a value is used twice, its gradient must be the *sum* of what both uses
send back. `b = a + a` has `db/da = 2`. A `_backward` that *sets* `.grad` instead of adding to
it gets 1. stepgrad adds, and its graph keeps both edges (`parents` is `(a, a)`):
"""),
    code(
        """
a = Value(3.0, "a")
b = a + a
b.label = "b"
b.backward()
print("b.parents:", [p.label for p in b.parents], "  a.grad =", a.grad)
to_dot(b)
""",
        "twice",
    ),
    md("""
## 5. tanh, written yourself

The lecture adds `tanh` to its `Value` class by hand: the forward formula and the local
derivative `1 - tanh²`. In stepgrad that is `custom_op(name, forward, rule)`: `forward` computes
the number, `rule(g, z, x)` returns the contribution for the input (`g` arrives from above, `z`
is the op's output). The result is an op like the built-in ones: it draws, steps and checks.
"""),
    code("""
from autograd import custom_op


# z = tanh x        dz/dx = 1 - z²
def tanh_rule(g, z, x):
    return (g * (1 - z * z),)


my_tanh = custom_op("my_tanh", math.tanh, tanh_rule)
print(my_tanh(Value(0.5, "x")))
print("gradcheck:", gradcheck(my_tanh, [0.5]))
"""),
    md("""
The lecture then builds tanh out of smaller ops instead, `tanh n = (e²ⁿ - 1) / (e²ⁿ + 1)`, to
show that the level of an op is our choice: as long as each op knows its local derivative, the
chain rule gives the same gradients. Three neurons, three tanhs, the same numbers:
"""),
    code(
        """
def tanh_from_exp(n):
    e = (2 * n).exp()
    return (e - 1) / (e + 1)


def lecture_neuron(activation):
    x1, x2 = Value(2.0, "x1"), Value(0.0, "x2")
    w1, w2 = Value(-3.0, "w1"), Value(1.0, "w2")
    b = Value(6.8813735870195432, "b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = activation(n)
    o.label = "o"
    o.backward()
    return o, [x1, w1, x2, w2, b]


versions = {
    "built-in tanh": lecture_neuron(Value.tanh),
    "my_tanh": lecture_neuron(my_tanh),
    "tanh from exp": lecture_neuron(tanh_from_exp),
}
print(f"{'':14}{'o':>10}" + "".join(f"{v.label + '.grad':>10}" for v in versions["my_tanh"][1]))
for name, (o, leaves) in versions.items():
    print(f"{name:14}{o.data:10.6f}" + "".join(f"{v.grad:10.6f}" for v in leaves))
""",
        "tanh-compare",
    ),
    md("""
The version from `exp` has more nodes, and each one's gradient is on show:
"""),
    code('to_dot(versions["tanh from exp"][0], rankdir="TB")', "draw"),
    md("""
## 6. The same numbers from PyTorch

PyTorch does the same on tensors. Its numbers, in float64, match ours. Where PyTorch is
installed this cell runs it; elsewhere it reads the numbers PyTorch gave for this very neuron
when they were recorded for the tests (`python -m tests.oracle.record` writes
`tests/oracle/torch_float64.json`):
"""),
    code(
        """
import json
from pathlib import Path

import autograd

start = {"x1": 2.0, "w1": -3.0, "x2": 0.0, "w2": 1.0, "b": 6.8813735870195432}
try:
    import torch
except ImportError:
    recording = Path(autograd.__file__).parents[1] / "tests" / "oracle" / "torch_float64.json"
    recorded = json.loads(recording.read_text(encoding="utf-8"))
    args = ", ".join(repr(v) for v in start.values())
    t_o, t_grads = recorded["cases"][f"test_engine.lecture_neuron_in_torch({args})"]
    print(f"PyTorch {recorded['torch']}, as recorded on {recorded['recorded']}:")
else:
    t = {k: torch.tensor(v, dtype=torch.double, requires_grad=True) for k, v in start.items()}
    out = torch.tanh(t["x1"] * t["w1"] + t["x2"] * t["w2"] + t["b"])
    out.backward()
    t_o, t_grads = out.item(), [t[k].grad.item() for k in start]
    print(f"PyTorch {torch.__version__}, live:")
o, leaves = versions["built-in tanh"]
print(f"o         torch {t_o: .6f}   stepgrad {o.data: .6f}")
for v, t_grad in zip(leaves, t_grads):
    print(f"{v.label + '.grad':9} torch {t_grad: .6f}   stepgrad {v.grad: .6f}")
""",
        "torch",
    ),
    md("""
## 7. A multilayer perceptron

`nn` builds networks out of Values the way the lecture does: a `Neuron` computes
`act(w·x + b)`, a `Layer` is a list of neurons, an `MLP` a list of layers. The lecture's net has
3 inputs, two hidden layers of 4 and one output, tanh throughout. Hidden activations default to
relu and the last layer to linear, as in micrograd's later demos, so name them here. `seed=`
fixes the random weights so every run prints the same numbers.

Each parameter is labelled by its place (`layers.0.neurons.0.w.0`), and a neuron's weighted sum
is one `dot` node.
"""),
    code(
        """
from nn import MLP

model = MLP(3, [4, 4, 1], activation="tanh", output_activation="tanh", seed=0)
print(model, "with", len(model.parameters()), "parameters")
x = [2.0, 3.0, -1.0]
print(model(x))
""",
        "mlp",
    ),
    md("""
The graph of one prediction has 71 nodes. `group=True` puts a box around each layer and each
neuron, and the layers stand side by side, left to right, each a column: its inputs, its
weights, then its neurons. At full size it is wider than the notebook, so it sits in a box that
scrolls sideways (`draw(model(x), "mlp.svg", group=True)` writes the same drawing to a file).
"""),
    code(
        """
from IPython.display import HTML

print(f"{len(topological_order(model(x)))} nodes")
svg = to_dot(model(x), group=True).pipe(format="svg", encoding="utf-8")
svg = svg[svg.index("<svg") :].replace("<svg", '<svg style="max-width: none"', 1)  # full size
HTML(f'<div style="overflow: auto; max-height: 40em">{svg}</div>')
""",
        "draw-mlp",
    ),
    md("""
Four samples and their targets, and the loss the lecture uses: the sum of squared errors. It is
0 only when every prediction equals its target.
"""),
    code(
        """
xs = [
    [2.0, 3.0, -1.0],
    [3.0, -1.0, 0.5],
    [0.5, 1.0, 1.0],
    [1.0, 1.0, -1.0],
]
ys = [1.0, -1.0, -1.0, 1.0]  # the targets
ypred = [model(x) for x in xs]
loss = sum((yout - ygt) ** 2 for ygt, yout in zip(ys, ypred))
print(f"loss = {loss.data:.4f}", "  predictions:", [round(y.data, 4) for y in ypred])
""",
        "loss",
    ),
    md("""
`loss.backward()` fills the gradient of every parameter. The lecture's famous bug comes next:
gradients *add up*, so a second backward pass without zeroing doubles them, and a training loop
that never zeroes keeps adding old gradients to new ones. `model.zero_grad()` resets them.
"""),
    code(
        """
loss.backward()
w = model.layers[0].neurons[0].w[0]
first = w.grad
print(f"{w.label}: data {w.data:.4f}, grad {first:.6f}")
loss.backward()  # again, without zeroing
print(f"after a second backward: grad {w.grad:.6f} (= 2 × {first:.6f})")
model.zero_grad()
print(f"after model.zero_grad(): grad {w.grad}")
""",
        "zero-grad",
    ),
    md("""
## 8. Training: forward, zero_grad, backward, update

Gradient descent repeats four steps: predict (forward), clear the old gradients, backpropagate
the loss, and move every parameter a little *against* its gradient, since we want the loss to
go down. With a step of 0.05 the loss falls at every step; try 0.5, and the first step
overshoots so far that the tanh units saturate and the loss stalls near 8.
"""),
    code(
        """
for k in range(30):
    ypred = [model(x) for x in xs]  # forward
    loss = sum((yout - ygt) ** 2 for ygt, yout in zip(ys, ypred))
    model.zero_grad()  # the line the lecture first forgot
    loss.backward()  # backward
    for p in model.parameters():  # update
        p.data += -0.05 * p.grad
    if k % 5 == 0 or k == 29:
        print(f"step {k:2d}   loss {loss.data:.4f}")
""",
        "train",
    ),
    code(
        """
ypred = [model(x) for x in xs]
for x, ygt, yout in zip(xs, ys, ypred):
    print(f"{str(x):18} target {ygt:+.0f}   prediction {yout.data:+.4f}")
loss = sum((yout - ygt) ** 2 for ygt, yout in zip(ys, ypred))
print(f"loss = {loss.data:.4f}")
""",
        "predictions",
    ),
    md("""
`nn.SGD` is the same update, `p ← p - lr·grad`, with PyTorch's options (momentum, weight decay)
when you want them. Trained from the same seed, it ends with exactly the same weights:
"""),
    code(
        """
from nn import SGD

twin = MLP(3, [4, 4, 1], activation="tanh", output_activation="tanh", seed=0)
optimizer = SGD(twin.parameters(), lr=0.05)
for _ in range(30):
    loss = sum((yout - ygt) ** 2 for ygt, yout in zip(ys, [twin(x) for x in xs]))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
gap = max(abs(p.data - q.data) for p, q in zip(model.parameters(), twin.parameters()))
print(f"largest difference between the two models' weights: {gap}")
""",
        "sgd",
    ),
    md("""
## Where next

- `stepper.ipynb` plays a neuron's and a small MLP's training step frame by frame: forward,
  error, backward, update.
- `python -m demos.moons` trains micrograd's two-moons classifier; `docs/gallery.md` lists the
  other demos.
"""),
]


# ---- stepper.ipynb ----

STEPPER = [
    md("""
# Stepping through a training step

A training step is four phases, and each is easiest to follow one node at a time:

| phase | what its frames show |
| --- | --- |
| **forward** | the inputs' and parameters' numbers, then each op computing its value, in order |
| **error** | the output (here the loss) and the gradient that starts the backward pass, `dloss/dloss = 1` |
| **backward** | each node in turn: the gradient arriving, the chain rule for each input, what it sends on (the edges it sends along turn red) |
| **update** | each parameter: `w ← w - lr · grad`, its old and new value |

`animate(loss, forward=True, params=..., lr=...)` builds a page that plays them. Without a path
it returns an `Animation`, which a notebook shows inline in a frame of its own (its script
cannot touch the notebook, and several pages in one notebook play independently);
`.save("page.html")` writes the same page to a file that opens in any browser. `animate` only
shows: it changes no `.data` and no `.grad`.

**Using a page.** *Next ▶* and *◀ Prev*, or the slider, move through the frames. Click the
graph, then **←/→** move one frame and **Home/End** jump to the first or last. **+** and **-**
zoom, **0** fits the whole graph, **Shift+arrows** pan, and so does dragging; **Ctrl+wheel**
zooms (the plain wheel scrolls the notebook). The panel above the graph names the phase and
spells out the arithmetic of the frame; the current node is yellow, and the legend under the
graph names the other colours.

Needs stepgrad with the `notebook` extra and Graphviz's `dot`.
"""),  # noqa: E501 (a markdown table's rows are one line each)
    md("""
## One neuron

A tanh neuron with inputs `x1, x2`, and the squared error against a target `y = 1`. The loss is
the root: its graph holds the neuron's parameters `w.0`, `w.1` and `b` (green), the inputs and
the target (blue). The nodes in between have no labels, so they go by their number, `#k`.
"""),
    code(
        """
from autograd import Value, animate, backward_steps
from nn import MLP, Neuron, mse_loss

neuron = Neuron(2, "tanh", seed=0)
print({p.label: p.data for p in neuron.parameters()})
x = [Value(1.0, "x1"), Value(-2.0, "x2")]
y = Value(1.0, "y")
o = neuron(x)
o.label = "o"
loss = (o - y) ** 2
loss.label = "loss"
print(loss)
""",
        "neuron",
    ),
    code(
        "animate(loss, forward=True, params=neuron.parameters(), lr=0.1)",
        "animate-neuron",
    ),
    md("""
The backward frames as text: `backward_steps` runs the same pass one node at a time (and,
unlike the page, it does fill `.grad`). Each line is one node: its value, the gradient that
arrived, and what it sends to each input.
"""),
    code(
        """
for step in backward_steps(loss):
    print(step)
""",
        "neuron-steps",
    ),
    md("""
## A small MLP

`MLP(2, [3, 1])`: three relu neurons, then one linear output, and the mean squared error over
two samples. Both samples go through the same parameters, so each parameter's gradient is the
sum of two contributions, one from each sample; in the backward phase a parameter's frame comes
after both have arrived. The page opens zoomed in to a readable size and follows the current
node; press **0** (or *fit*) to see the whole graph.
"""),
    code(
        """
model = MLP(2, [3, 1], seed=0)
xs, ys = [[1.0, -1.0], [0.5, 2.0]], [1.0, -1.0]
mlp_loss = mse_loss([model(x) for x in xs], ys)
mlp_loss.label = "loss"
page = animate(mlp_loss, forward=True, params=model.parameters(), lr=0.1)
page
""",
        "animate-mlp",
    ),
    md("""
The same page as a file of its own, which opens from disk in any browser, no network needed:
"""),
    code(
        """
saved = page.save("mlp_step.html")
print(f"wrote {saved} ({saved.stat().st_size:,} bytes, {page.frames} frames)")
""",
        "save",
    ),
]

# ---- studio.ipynb ----

STUDIO = [
    md("""
# Watching a network learn: the Studio

`nn.Studio` holds a model, a dataset and an optimizer, trains them one full-batch step at a
time and records every step, so that any past step can be shown again. In Jupyter it shows as
a live view: the network (each neuron's heat map, weights coloured by sign and sized by
magnitude), the data with the model's output over the plane and its decision boundary, the
training and test losses, TensorFlow Playground's controls, a timeline to scrub back, and the
selected sample neuron by neuron, a click from each neuron's scalar ops played forward, error,
backward and update.

The live view needs the `studio` extra (`pip install -e '.[studio]'`: anywidget); the rest
runs with stepgrad alone. `python -m demos.studio` serves the same view as a local web app.
"""),
    code(
        """
from nn import MLP, SGD, Studio, hinge_loss
from nn.datasets import make

X, y = make("moons", 100, seed=0)
model = MLP(2, [16, 16, 1], seed=0)
studio = Studio(model, X, y, optimizer=SGD(model.parameters(), lr=0.1))
print(studio)
""",
        "make",
    ),
    md("""
## Training, step by step

`step(n)` trains `n` steps and returns the last loss; `history` keeps one record per step. A
step runs through a traced program (`nn.trace_loss`), about a millisecond for this model.
"""),
    code(
        """
studio.step(100)
for record in studio.history[::25] + studio.history[-1:]:
    step, loss, accuracy = record["step"], record["loss"], record["accuracy"]
    print(f"step {step:3d}  loss {loss:.6f}  accuracy {accuracy:.0%}")
""",
        "train",
    ),
    md("""
The numbers are the eager loop's: build every sample's graph, `zero_grad`, `backward`, `step`.
The same 100 steps on a twin of the model, the slow way:
"""),
    code(
        """
twin = MLP(2, [16, 16, 1], seed=0)
optimizer = SGD(twin.parameters(), lr=0.1)
for _ in range(100):
    loss = hinge_loss([twin(x) for x in X], y)
    twin.zero_grad()
    loss.backward()
    optimizer.step()
after = studio.snapshot(100)
gap = max(abs(after[name] - p.data) for name, p in twin.named_parameters())
print(f"eager loop: last loss {loss.data:.6f}; largest parameter difference {gap:.1e}")
""",
        "eager",
    ),
    md("""
## The live view

Press *play* and watch the boundary bend; drag the timeline back to any step; click a point to
select it (its activations light up the network), click empty space to add a point of the
chosen class, and open the selected sample's scalar graph. (A page rendered without a
kernel, such as the documentation site, cannot run the live widget: the saved run at the end
of this notebook plays the same view from its recorded steps.)
"""),
    code("studio", "view"),
    md("""
## Editing the data

Training goes on with the new data; every step records how many points it saw.
"""),
    code(
        """
i = studio.add_point([0.0, 1.2], -1.0)
studio.select(i)
studio.remove_point(0)
studio.step(20)
last = studio.history[-1]
print(f"sample {studio.selected} selected")
print(f"step {last['step']} on {last['points']} points, loss {last['loss']:.6f}")
""",
        "edit",
    ),
    md("""
## The run as a page

`save` writes the recorded run as one HTML page: the timeline scrubs through every step, the
network with its heat maps, the boundary and the selected sample's neurons are drawn from each
step's frame (every number computed by Python when saving), and it opens from disk with no
kernel.
"""),
    code(
        """
path = studio.save("studio_run.html")
print(f"wrote {path} ({path.stat().st_size:,} bytes, {studio.steps} steps)")
""",
        "save",
    ),
    md("""
The saved page, shown here in a sandboxed frame: it needs no kernel, so it plays wherever this
notebook is read (press play, or drag the timeline).
"""),
    code(
        """
from html import escape

from IPython.display import HTML

HTML(
    f'<div><iframe sandbox="allow-scripts" srcdoc="{escape(path.read_text())}" '
    'style="width: 100%; height: 1250px; border: 1px solid #ddd"></iframe></div>'
)
""",
        "saved-inline",
    ),
]


# ---- gpt.ipynb ----

GPT_NOTEBOOK = [
    md("""
# A GPT on Values, piece by piece

In February 2026 Andrej Karpathy published
[microgpt](https://gist.github.com/karpathy/8627fe009c40f57531cb18360106ce95): one file of
pure Python whose micrograd-style `Value` trains a character-level GPT on a list of names and
then makes up new ones. stepgrad's `nn.GPT` is that model, number for number (its init, its
tokenizer, its loss, its sampling), built from stepgrad's `Value`s. This notebook builds it
piece by piece with the pieces `nn` exports, checks that the pieces give the model's own
numbers, draws one head's scalar graph, and trains it, looking at the attention before and
after.

Run it top to bottom (*Run All*); it takes about half a minute. It needs matplotlib for the
heat maps and Graphviz's `dot` for the drawing.
"""),
    md("""
## 1. The names and the tokenizer

The documents are 5,163 first names from the 1990 US Census, vendored in `nn`
(`nn.datasets.names()`, read offline). microgpt shuffles them with `random.seed(42)` and keeps
drawing from the same stream for the weights; `random.Random(42)` does the same here. The
tokenizer is microgpt's: the sorted distinct letters are ids 0 to 25, and one more id, BOS,
starts and ends every name.
"""),
    code(
        """
import random

from nn import CharTokenizer
from nn.datasets import names

docs = names()
rng = random.Random(42)  # microgpt: random.seed(42)
rng.shuffle(docs)
tokenizer = CharTokenizer(docs)
print(f"{len(docs):,} names, the first five after the shuffle: {', '.join(docs[:5])}")
print(f"ids 0-25 are {''.join(tokenizer.chars)!r}; BOS is {tokenizer.bos}")
print("encode('emma') =", tokenizer.encode("emma"))
""",
        "data",
    ),
    md("""
## 2. The model's parameters

Every matrix is a list of rows of `Value`s (row = output feature, `y = W x`), drawn from a
Gaussian with std 0.08 in microgpt's order. `named_parameters()` names each scalar
`NAME.row.col`:
"""),
    code(
        """
from nn import GPT

model = GPT(tokenizer.vocab_size, seed=rng)  # n_embd 16, 4 heads, 1 layer, block_size 16
print(model, f"has {len(model.parameters()):,} parameters")
shapes = {}
for name in model.state_dict():  # every parameter's name, in order
    matrix, row, col = name.rsplit(".", 2)
    shapes[matrix] = (int(row) + 1, int(col) + 1)
for matrix, (rows, cols) in shapes.items():
    print(f"  {matrix:18} {rows:3} x {cols}")
""",
        "model",
    ),
    md("""
## 3. One position at a time, from the pieces

The model reads one token at a time. At position t it adds the token's row of `wte` and the
position's row of `wpe`, normalises (`rmsnorm`: x / √(mean(x²) + 1e-5)), and then in each
layer:

1. **attention**: from the normalised vector it makes a query `q`, a key `k` and a value `v`
   (`linear`, one `dot` node per output); the key and value join those of the earlier
   positions. Each of the 4 heads takes its 4 channels of them: its scores q·kₛ/√4 against
   every position s ≤ t (`attention_scores`), their `softmax`, and the weighted sum of the
   values (`attention` does all three). The heads' outputs are concatenated, mapped by `wo`
   and added to the input (a residual).
2. **MLP**: normalise, `fc1` to 64 channels, ReLU, `fc2` back to 16, add to the input.

Last, `lm_head` maps the vector to 27 logits, one per next token. Here is that, written out
with `nn`'s pieces for the inputs of "emma" (BOS e m m a), next to what `model(tokens)` gives:
"""),
    code(
        """
from nn import attention, linear, rmsnorm

tokens = tokenizer.encode("emma")[:-1]  # the inputs; the targets are tokens shifted by one
layer = model.layers[0]
d = model.n_embd // model.n_head  # each head's channels
keys, values, logits = [], [], []
for t, token in enumerate(tokens):
    x = rmsnorm([a + b for a, b in zip(model.wte[token], model.wpe[t])])
    h = rmsnorm(x)  # attention
    q = linear(h, layer.attn.wq)
    keys.append(linear(h, layer.attn.wk))
    values.append(linear(h, layer.attn.wv))
    heads = []
    for head in range(model.n_head):
        part = slice(head * d, (head + 1) * d)
        heads += attention(q[part], [k[part] for k in keys], [v[part] for v in values])
    x = [a + r for a, r in zip(linear(heads, layer.attn.wo), x)]
    h = [u.relu() for u in linear(rmsnorm(x), layer.mlp.fc1)]  # MLP
    x = [a + r for a, r in zip(linear(h, layer.mlp.fc2), x)]
    logits.append(linear(x, model.lm_head))

theirs = model(tokens)
gap = max(abs(a.data - b.data) for mine, its in zip(logits, theirs) for a, b in zip(mine, its))
print(f"{len(logits)} positions x {len(logits[0])} logits")
print(f"largest difference from model(tokens): {gap}")
""",
        "pieces",
    ),
    md("""
The same numbers, exactly: the same ops in the same order. The loss of one name is the mean,
over its positions, of the cross-entropy of the next token: `model.loss(tokens)`. Before
training every next letter is about as likely as any other, so it is near ln 27 = 3.30:
"""),
    code(
        """
import math

from autograd import topological_order
from nn import cross_entropy

name = tokenizer.encode("emma")
by_hand = sum(cross_entropy(logits[t], name[t + 1]) for t in range(len(logits))) / len(logits)
loss = model.loss(name)
print(f"loss {loss.data:.6f} (by hand {by_hand.data:.6f}); ln 27 = {math.log(27):.6f}")
print(f"the graph of this loss has {len(topological_order(loss)):,} nodes")
""",
        "loss",
    ),
    md("""
## 4. One head's scalar graph

The model labels each head's nodes as parameters are named, `layers.0.head.h.t.t.…`: `qk.s`
(the dot product q·kₛ), `score.s` (divided by √4) and `weight.s` (after the softmax). So a
drawing with `group=True` boxes each layer, head and position. Here is one attention weight of
head 0 at position 2 (the "m" of "emma" attending to BOS), drawn with the 22 nodes nearest it:
the three dot products q·kₛ, the scores, the softmax's shift (its max), differences,
exponentials and sum, and the weight. The rest of the graph (the 400-odd nodes that make q
and the keys) is one dashed box.
"""),
    code(
        """
from IPython.display import HTML

from autograd import to_dot

run = model.run(tokens)
weight = run.weights[0][0][2][0]  # layer 0, head 0, position 2, attending to position 0
drawing = to_dot(weight, group=True, summary=True, max_nodes=22, show_grad=False)
svg = drawing.pipe(format="svg", encoding="utf-8")
svg = svg[svg.index("<svg") :].replace("<svg", '<svg style="max-width: none"', 1)  # full size
HTML(f'<div style="overflow: auto; max-height: 40em">{svg}</div>')
""",
        "head-graph",
    ),
    md("""
## 5. What the heads look at, before training

`model.run(tokens)` keeps every head's scores and weights; `run.attention(layer, head)` is one
head's table of weights, row t for position t, zero where the future would be. Before
training the heads spread their attention almost evenly over what they can see:
"""),
    code(
        """
try:
    import matplotlib.pyplot as plt
except ImportError:
    plt = None
    print("matplotlib is not installed: no heat maps (pip install matplotlib)")


def show_attention(model, text, when):
    tokens = tokenizer.encode(text)[:-1]
    run = model.run(tokens)
    shown = ["BOS" if t == tokenizer.bos else tokenizer.chars[t] for t in tokens]
    fig, axes = plt.subplots(1, model.n_head, figsize=(2.6 * model.n_head, 2.8))
    for head, ax in enumerate(axes):
        ax.imshow(run.attention(0, head), vmin=0.0, vmax=1.0, cmap="viridis")
        ax.set_xticks(range(len(shown)), shown, fontsize=7)
        ax.set_yticks(range(len(shown)), shown, fontsize=7)
        ax.set(title=f"head {head}", xlabel="attends to")
    axes[0].set_ylabel("at position")
    fig.suptitle(f"attention on {text!r} {when}", fontsize=10)
    plt.show()


if plt is not None:
    show_attention(model, "isabella", "before training")
""",
        "maps-before",
    ),
    md("""
## 6. Training, microgpt's way

One name per step: its loss, `backward()`, and Adam with microgpt's settings (lr 0.01, betas
0.85 and 0.99, eps 1e-8), the learning rate decaying linearly to 0 (`LambdaLR`). microgpt
runs 1,000 steps (`python -m demos.gpt` does); 500 keep this notebook quick, and already
bring the loss well below ln 27:
"""),
    code(
        """
import time

from nn import Adam, LambdaLR

STEPS = 500
opt = Adam(model.parameters(), lr=0.01, betas=(0.85, 0.99), eps=1e-8)
schedule = LambdaLR(opt, lambda k: 1 - k / STEPS)  # microgpt: lr * (1 - step / num_steps)
losses = []
start = time.perf_counter()
for k in range(STEPS):
    loss = model.loss(tokenizer.encode(docs[k % len(docs)])[: model.block_size + 1])
    loss.backward()
    opt.step()
    opt.zero_grad()
    schedule.step()
    losses.append(loss.data)
    if (k + 1) % 100 == 0:
        mean = sum(losses[-100:]) / 100
        print(f"step {k + 1:3d}   mean loss of the last 100 steps {mean:.4f}")
print(f"{(time.perf_counter() - start) / STEPS * 1e3:.1f} ms per step")
""",
        "train",
    ),
    code(
        """
if plt is not None:
    recent = [losses[max(0, k - 49) : k + 1] for k in range(STEPS)]
    window = [sum(r) / len(r) for r in recent]
    plt.figure(figsize=(7, 3))
    plt.plot(losses, color="#9ca3af", linewidth=0.6, label="each step")
    plt.plot(window, color="#1d4ed8", label="mean of the last 50")
    plt.axhline(math.log(27), color="#b91c1c", linestyle=":", label="ln 27")
    plt.xlabel("step (one name each)")
    plt.ylabel("loss (nats)")
    plt.legend()
    plt.show()
""",
        "loss-curve",
    ),
    md("""
## 7. After training

The weights are no longer spread evenly: some positions now single out one earlier letter
(the bright cells away from the first column), and each head has its own pattern. The first
column stays bright in the first rows: at the start BOS is all there is to look at.
"""),
    code(
        """
if plt is not None:
    show_attention(model, "isabella", f"after {STEPS} steps")
""",
        "maps-after",
    ),
    md("""
And the model makes up names: each is drawn one letter at a time, at temperature 0.5 as
microgpt samples, until BOS comes back. `rng` is the same stream that shuffled the names and
drew the weights, as in microgpt.
"""),
    code(
        """
for k in range(20):
    drawn = model.sample(tokenizer.bos, temperature=0.5, seed=rng)
    print(f"sample {k + 1:2d}: {tokenizer.decode(drawn)}")
""",
        "samples",
    ),
    md("""
## Where next

- `python -m demos.gpt` runs microgpt's 1,000 steps with a progress bar and saves a figure.
- `python -m benchmarks.gpt` times one step against a microgpt-style pure-Python engine and
  PyTorch.
- The docs page *A GPT, stepped through* steps backward through one head's softmax and dot
  products, printing the rule at each step.
"""),
]


NOTEBOOKS = {
    "micrograd_lecture.ipynb": LECTURE,
    "stepper.ipynb": STEPPER,
    "studio.ipynb": STUDIO,
    "gpt.ipynb": GPT_NOTEBOOK,
}


def build(cells: list[Cell], prefix: str) -> nbformat.NotebookNode:
    """Return the notebook of `cells`, with stable cell ids (`prefix-01`, ...) and no outputs."""
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {
            "name": "python3",
            "display_name": "Python 3 (ipykernel)",
            "language": "python",
        },
        "language_info": {"name": "python"},
    }
    for k, (kind, source, tags) in enumerate(cells, 1):
        make = nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell
        cell = make(source, id=f"{prefix}-{k:02d}")
        if tags:
            cell.metadata["tags"] = list(tags)
        nb.cells.append(cell)
    nbformat.validate(nb)
    return nb


def main(argv: list[str]) -> int:
    check = argv == ["--check"]
    if argv and not check:
        print(__doc__)
        return 2
    stale = []
    for name, cells in NOTEBOOKS.items():
        text = nbformat.writes(build(cells, Path(name).stem.split("_")[0])) + "\n"
        path = HERE / name
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    if stale:
        print(f"out of date: {', '.join(stale)}; run python notebooks/make_notebooks.py")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
