"""The baseline peer: a pure-Python scalar engine and GPT written in microgpt's style.

microgpt (Andrej Karpathy, February 2026; gist karpathy/8627fe009c40f57531cb18360106ce95)
trains its GPT on a `Value` that stores, for each node, its children and the local gradient
toward each, and a recursive topological sort; every weighted sum is a chain of `+` and `*`
nodes (`sum(wi * xi for ...)`), and a loss term is -log(softmax(logits)[target]). This file is
that engine and that model, written here for the benchmark (not copied): the same ops, the same
graph shape, the same Adam (betas 0.85, 0.99, eps 1e-8) with linear learning-rate decay. It is
what stepgrad's eager step is measured against (benchmarks/gpt.py), and `check_against` proves
it computes what stepgrad's nn.GPT computes on the same weights before anything is timed.
"""

from __future__ import annotations

import math
import sys
from typing import Any

# ---- the engine: a node knows its children and its local gradients ----

# The recursion limit while `backward` sorts the graph (a name's graph is a few thousand nodes
# deep; Python's default limit is 1,000). Raised for the walk only and then restored: a limit
# left high lets an unrelated deep recursion (a deeply nested JSON) overflow the C stack.
DEPTH = 100_000


class Value:
    __slots__ = ("data", "grad", "_children", "_local_grads")

    def __init__(self, data: float, children: tuple = (), local_grads: tuple = ()) -> None:
        self.data = data
        self.grad = 0.0
        self._children = children
        self._local_grads = local_grads

    def __add__(self, other: Any) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data + other.data, (self, other), (1.0, 1.0))

    def __mul__(self, other: Any) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data * other.data, (self, other), (other.data, self.data))

    def __pow__(self, k: float) -> Value:
        return Value(self.data**k, (self,), (k * self.data ** (k - 1),))

    def log(self) -> Value:
        return Value(math.log(self.data), (self,), (1.0 / self.data,))

    def exp(self) -> Value:
        e = math.exp(self.data)
        return Value(e, (self,), (e,))

    def relu(self) -> Value:
        return Value(max(0.0, self.data), (self,), (float(self.data > 0),))

    def __neg__(self) -> Value:
        return self * -1.0

    def __radd__(self, other: Any) -> Value:
        return self + other

    def __sub__(self, other: Any) -> Value:
        return self + (-other)

    def __rmul__(self, other: Any) -> Value:
        return self * other

    def __truediv__(self, other: Any) -> Value:
        return self * other**-1

    def backward(self) -> None:
        topo: list[Value] = []
        visited: set[Value] = set()

        def build(v: Value) -> None:  # recursive, as microgpt's
            if v not in visited:
                visited.add(v)
                for child in v._children:
                    build(child)
                topo.append(v)

        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(limit, DEPTH))  # as deep as the graph, for this walk only
        try:
            build(self)
        finally:
            sys.setrecursionlimit(limit)
        self.grad = 1.0
        for v in reversed(topo):
            for child, local in zip(v._children, v._local_grads):
                child.grad += local * v.grad


# ---- the model: microgpt's gpt(), one position at a time with a key/value cache ----

NAMES = ("wq", "wk", "wv", "wo", "fc1", "fc2")


def linear(x: list[Value], w: list[list[Value]]) -> list[Value]:
    return [sum(wi * xi for wi, xi in zip(row, x)) for row in w]


def softmax(logits: list[Value]) -> list[Value]:
    top = max(v.data for v in logits)
    exps = [(v - top).exp() for v in logits]
    total = sum(exps)
    return [e / total for e in exps]


def rmsnorm(x: list[Value]) -> list[Value]:
    ms = sum(xi * xi for xi in x) / len(x)
    scale = (ms + 1e-5) ** -0.5
    return [xi * scale for xi in x]


class MicroGPT:
    """microgpt's state_dict of matrices (lists of rows of Values) and its forward pass."""

    def __init__(self, weights: dict[str, list[list[float]]], n_head: int) -> None:
        self.state = {name: [[Value(w) for w in row] for row in m] for name, m in weights.items()}
        self.n_layer = sum(1 for name in self.state if name.endswith(".wq"))
        self.n_head = n_head
        self.params = [p for m in self.state.values() for row in m for p in row]
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)

    def gpt(self, token: int, pos: int, keys: list[list], values: list[list]) -> list[Value]:
        s = self.state
        x = [t + p for t, p in zip(s["wte"][token], s["wpe"][pos])]
        x = rmsnorm(x)
        head_dim = len(x) // self.n_head
        for li in range(self.n_layer):
            w = {name: s[f"layers.{li}.{name}"] for name in NAMES}
            residual = x
            x = rmsnorm(x)
            q, k, v = linear(x, w["wq"]), linear(x, w["wk"]), linear(x, w["wv"])
            keys[li].append(k)
            values[li].append(v)
            heads: list[Value] = []
            for h in range(self.n_head):
                lo = h * head_dim
                q_h = q[lo : lo + head_dim]
                k_h = [ki[lo : lo + head_dim] for ki in keys[li]]
                v_h = [vi[lo : lo + head_dim] for vi in values[li]]
                logits = [
                    sum(q_h[j] * k_h[t][j] for j in range(head_dim)) / head_dim**0.5
                    for t in range(len(k_h))
                ]
                a = softmax(logits)
                heads += [sum(a[t] * v_h[t][j] for t in range(len(v_h))) for j in range(head_dim)]
            x = [o + r for o, r in zip(linear(heads, w["wo"]), residual)]
            residual = x
            x = [h.relu() for h in linear(rmsnorm(x), w["fc1"])]
            x = [o + r for o, r in zip(linear(x, w["fc2"]), residual)]
        return linear(x, s["lm_head"])

    def loss(self, tokens: list[int]) -> Value:
        n = len(tokens) - 1
        keys: list[list] = [[] for _ in range(self.n_layer)]
        values: list[list] = [[] for _ in range(self.n_layer)]
        losses = []
        for pos in range(n):
            probs = softmax(self.gpt(tokens[pos], pos, keys, values))
            losses.append(-probs[tokens[pos + 1]].log())
        return (1 / n) * sum(losses)

    def step(self, tokens: list[int], step: int, num_steps: int, lr: float = 0.01) -> float:
        """One training step as microgpt's loop: forward, backward, Adam with linear decay."""
        loss = self.loss(tokens)
        loss.backward()
        beta1, beta2, eps = 0.85, 0.99, 1e-8
        lr_t = lr * (1 - step / num_steps)
        m, v = self.m, self.v
        for i, p in enumerate(self.params):
            m[i] = beta1 * m[i] + (1 - beta1) * p.grad
            v[i] = beta2 * v[i] + (1 - beta2) * p.grad**2
            m_hat = m[i] / (1 - beta1 ** (step + 1))
            v_hat = v[i] / (1 - beta2 ** (step + 1))
            p.data -= lr_t * m_hat / (v_hat**0.5 + eps)
            p.grad = 0.0
        return loss.data

    def node_count(self, tokens: list[int]) -> int:
        """Nodes in one step's graph, leaves (the weights and constants) included."""
        seen: set[Value] = set()
        stack = [self.loss(tokens)]
        while stack:
            v = stack.pop()
            if v not in seen:
                seen.add(v)
                stack.extend(v._children)
        return len(seen)


def weights_of(model: Any) -> dict[str, list[list[float]]]:
    """An nn.GPT's matrices as plain numbers, by the short names this engine uses."""
    found = {"wte": model.wte, "wpe": model.wpe, "lm_head": model.lm_head}
    for i, layer in enumerate(model.layers):
        for name in NAMES:
            holder = layer.attn if name.startswith("w") else layer.mlp
            found[f"layers.{i}.{name}"] = getattr(holder, name)
    return {name: [[p.data for p in row] for row in m] for name, m in found.items()}


def _agree(what: str, theirs: float, ours: float, rel: float) -> None:
    """Raise AssertionError (also under python -O) unless the two numbers agree to `rel`."""
    if not math.isclose(theirs, ours, rel_tol=rel, abs_tol=1e-14):
        raise AssertionError(f"{what}: the other engine gives {theirs!r}, stepgrad {ours!r}")


def check_against(model: Any, tokens: list[int], rel: float = 1e-10) -> float:
    """Raise AssertionError unless this engine's loss and every gradient equal nn.GPT's on the
    same weights and tokens to `rel` (relative, or 1e-14 absolute near 0); return the loss."""
    peer = MicroGPT(weights_of(model), model.n_head)
    theirs = peer.loss(tokens)
    theirs.backward()
    model.zero_grad()
    ours = model.loss(tokens)
    ours.backward()
    _agree("the loss", theirs.data, ours.data, rel)
    named = dict(model.named_parameters())
    for name, matrix in peer.state.items():
        prefix = name.replace(".w", ".attn.w").replace(".fc", ".mlp.fc")
        for r, row in enumerate(matrix):
            for c, p in enumerate(row):
                g = named[f"{prefix}.{r}.{c}"].grad
                _agree(f"d loss / d {prefix}.{r}.{c}", p.grad, g, rel)
    model.zero_grad()
    return ours.data
