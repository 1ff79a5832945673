"""The benchmark workloads, one function per (workload, engine), all timed by the runner.

Engines: `stepgrad` (this project), `micrograd` (0.1.0 from PyPI), `torch-ops` (PyTorch used op
by op on 0-d float64 tensors, the same graph as the scalar engines) and `torch-batched`
(PyTorch on whole float64 tensors: the same maths, not the same graph). Each workload function
returns a callable that does the timed work once, so setup stays out of the timing.
"""

from __future__ import annotations

import math
import random
import sys
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

ALPHA = 1e-4
LR = 0.5


class Unavailable(Exception):
    """The engine cannot run this workload here (not installed, or it fails: the text says)."""


def engine_module(name: str) -> Any:
    if name == "stepgrad":
        import autograd

        return autograd
    if name == "micrograd":
        try:
            import micrograd.engine
            import micrograd.nn  # noqa: F401
        except ImportError:
            raise Unavailable("micrograd not installed (pip install -e '.[bench]')") from None
        sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000_000))  # its topo sort recurses
        return micrograd
    try:
        import torch
    except ImportError:
        raise Unavailable("torch not installed") from None
    # one thread, as stepgrad and micrograd run: on a shared 2-core machine torch's second
    # thread, waiting on a busy core, made a 0.5 ms step take 25-60 ms in some runs
    torch.set_num_threads(1)
    return torch


# ---- moons_step: micrograd's demo step, the same data and starting weights everywhere ----


def moons_data(seed: int = 0) -> tuple[list[list[float]], list[float]]:
    from demos.moons import make_moons

    X, y = make_moons(100, 0.1, seed)
    return X.tolist(), y.tolist()


def start_weights(seed: int = 0) -> list[list[list[float]]]:
    """[layer][neuron] -> weights then bias, from stepgrad's MLP(2, [16, 16, 1], seed)."""
    from nn import MLP

    model = MLP(2, [16, 16, 1], seed=seed)
    return [[[w.data for w in n.w] + [n.b.data] for n in layer.neurons] for layer in model.layers]


def moons_step(engine: str, check: dict[str, Any] | None = None) -> Callable[[], float]:
    """Return a function doing one step: forward on 100 points, hinge + L2, zero_grad, backward,
    SGD. With `check`, the first step's loss and gradients are stored there for comparison."""
    X, y = moons_data()
    weights = start_weights()
    if engine == "stepgrad":
        from nn import MLP, hinge_loss, l2_penalty

        model = _with_weights(MLP(2, [16, 16, 1]), weights)
        params = model.parameters()

        def step() -> float:
            scores = [model(x) for x in X]
            loss = hinge_loss(scores, y) + l2_penalty(params, ALPHA)
            return _backward_and_update(model, params, loss, check)

        return step
    if engine in ("stepgrad-lifted", "stepgrad-compiled"):
        import autograd
        from nn import MLP, l2_penalty, trace_loss

        model = _with_weights(MLP(2, [16, 16, 1]), weights)
        params = model.parameters()
        # the per-sample hinge loss traced once, and the L2 term (parameters only) as a program
        # with no inputs: both replayed each step; lifted (layers as matrix products) or not
        lift = engine == "stepgrad-lifted"
        traced = trace_loss(model, lambda score, t: (1 - t * score).relu(), X[0], y[0], lift=lift)
        penalty = autograd.trace(lambda: l2_penalty(params, ALPHA), params=params)
        X_array, y_array = np.array(X), np.array(y)

        def compiled_step() -> float:
            for p in params:
                p.grad = 0.0
            loss = traced.backward(X_array, y_array) + penalty.backward()
            _record(check, loss, (p.grad for p in params))
            for p in params:
                p.data -= LR * p.grad
            return loss

        return compiled_step
    if engine == "micrograd":
        mg = engine_module("micrograd")
        model = _with_weights(mg.nn.MLP(2, [16, 16, 1]), weights)
        params = model.parameters()
        inputs = [[mg.engine.Value(a) for a in x] for x in X]

        def step() -> float:
            scores = list(map(model, inputs))
            losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
            data_loss = sum(losses) * (1.0 / len(losses))
            loss = data_loss + ALPHA * sum(p * p for p in params)
            return _backward_and_update(model, params, loss, check)

        return step
    torch = engine_module("torch")
    if engine == "torch-ops":
        tparams = [
            [[torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in nw] for nw in lw]
            for lw in weights
        ]
        flat = [p for lw in tparams for nw in lw for p in nw]
        tX = [[torch.tensor(a, dtype=torch.float64) for a in x] for x in X]

        def step() -> float:
            losses = []
            for x, yi in zip(tX, y):
                h = x
                for depth, layer in enumerate(tparams):
                    out = []
                    for nw in layer:
                        act = nw[-1]
                        for w, xi in zip(nw[:-1], h):
                            act = act + w * xi
                        out.append(act.relu() if depth < len(tparams) - 1 else act)
                    h = out
                losses.append((1 - yi * h[0]).relu())
            loss = sum(losses) / len(losses) + ALPHA * sum(p * p for p in flat)
            for p in flat:
                p.grad = None
            loss.backward()
            _record(check, loss.item(), (p.grad.item() for p in flat))
            with torch.no_grad():
                for p in flat:
                    p -= LR * p.grad
            return loss.item()

        return step
    # torch-batched
    mats = _torch_mlp(torch, weights)
    tX, ty = torch.tensor(X, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)

    def step() -> float:
        hinge = (1 - ty * _torch_scores(mats, tX)).relu().mean()
        loss = hinge + ALPHA * sum((m * m).sum() for m in mats)
        for m in mats:
            m.grad = None
        loss.backward()
        if check is not None and "loss" not in check:
            grads = []
            for W, b in zip(mats[::2], mats[1::2]):  # back to (neuron: weights, bias) order
                for j in range(W.shape[1]):
                    grads += W.grad[:, j].tolist() + [b.grad[j].item()]
            _record(check, loss.item(), grads)
        with torch.no_grad():
            for m in mats:
                m -= LR * m.grad
        return loss.item()

    return step


def _torch_mlp(torch: Any, weights: list[list[list[float]]]) -> list[Any]:
    """[W₁, b₁, W₂, b₂, ...] as float64 tensors that require grad, from stepgrad's weights."""
    mats = []
    for lw in weights:
        W = torch.tensor([nw[:-1] for nw in lw], dtype=torch.float64).T.clone()
        b = torch.tensor([nw[-1] for nw in lw], dtype=torch.float64)
        mats += [W.requires_grad_(), b.requires_grad_()]
    return mats


def _torch_scores(mats: list[Any], X: Any) -> Any:
    """The MLP's output for every row of X: relu hidden layers, a linear last layer."""
    h = X
    for k in range(0, len(mats), 2):
        h = h @ mats[k] + mats[k + 1]
        if k < len(mats) - 2:
            h = h.relu()
    return h[:, 0]


def _with_weights(model: Any, weights: list[list[list[float]]]) -> Any:
    """Set a stepgrad or micrograd MLP (both: layers -> neurons -> w, b) to the given weights."""
    for layer, layer_weights in zip(model.layers, weights):
        for neuron, values in zip(layer.neurons, layer_weights):
            for w, v in zip(neuron.w, values):
                w.data = v
            neuron.b.data = values[-1]
    return model


def _backward_and_update(
    model: Any, params: list[Any], loss: Any, check: dict[str, Any] | None
) -> float:
    """The shared end of a scalar engine's moons step: zero_grad, backward, the first step's
    numbers kept for the agreement check, and plain SGD, p ← p - LR·grad (the same for both)."""
    model.zero_grad()
    loss.backward()
    _record(check, loss.data, (p.grad for p in params))
    for p in params:
        p.data -= LR * p.grad
    return float(loss.data)


def _record(check: dict[str, Any] | None, loss: float, grads: Iterable[float]) -> None:
    """Keep the first step's loss and gradients for the agreement check (a generator: nothing
    is read when there is no check, so timed steps pay nothing for it)."""
    if check is not None and "loss" not in check:
        check["loss"], check["grads"] = loss, list(grads)


# ---- chain, wide, per-op ----


def chain(engine: str, n: int) -> Callable[[], float]:
    """y = y * 1.0001 + 0.0, n times, then backward (4 nodes a link in the scalar engines)."""
    if engine == "torch-batched":
        raise Unavailable("a chain is sequential: nothing to batch")
    V = _scalar(engine)

    def run() -> float:
        x = V(1.0)
        y = x
        for _ in range(n):
            y = y * 1.0001 + 0.0
        y.backward()
        return _grad(x)

    return run


def wide(engine: str, n: int, nary: bool = False) -> Callable[[], float]:
    """The sum of n products aᵢ·bᵢ, then backward. With `nary`, stepgrad's one-node dot."""
    rng = random.Random(1)
    a_data = [rng.uniform(-1, 1) for _ in range(n)]
    b_data = [rng.uniform(-1, 1) for _ in range(n)]
    if engine == "torch-batched":
        torch = engine_module("torch")

        def batched() -> float:
            a = torch.tensor(a_data, dtype=torch.float64, requires_grad=True)
            b = torch.tensor(b_data, dtype=torch.float64)
            (a * b).sum().backward()
            return a.grad[0].item()

        return batched
    V = _scalar(engine)

    def run() -> float:
        a = [V(v) for v in a_data]
        b = [V(v) for v in b_data]
        if nary:
            import autograd

            total = autograd.dot(a, b)
        else:
            total = sum((ai * bi for ai, bi in zip(a, b)), V(0.0))
        total.backward()
        return _grad(a[0])

    return run


PER_OP: dict[str, Callable[[Any, Any], Any]] = {
    "add": lambda x, c: x + c,
    "mul": lambda x, c: x * c,
    "tanh": lambda x, c: x.tanh(),
    "exp": lambda x, c: x.exp(),
    "pow": lambda x, c: x**2,
    "relu": lambda x, c: x.relu(),
}


def per_op(engine: str, op: str, n: int) -> Callable[[], float]:
    """n independent applications of one op to fresh leaves, joined by one sum, then backward.

    The same joining sum for every op and engine; the row `sum only` is that sum by itself, so
    an op's own cost is its row minus that one."""
    if engine == "torch-batched":
        raise Unavailable("per-op cost is about scalar nodes")
    V = _scalar(engine)
    rng = random.Random(2)
    data = [rng.uniform(-1, 1) for _ in range(n)]
    apply = PER_OP.get(op, lambda x, c: x)
    try:
        apply(V(0.5), V(0.5))
    except AttributeError:
        raise Unavailable(f"{engine} has no {op}") from None

    def run() -> float:
        c = V(0.5)
        leaves = [V(v) for v in data]
        total = sum((apply(x, c) for x in leaves), V(0.0))
        total.backward()
        return _grad(leaves[0])

    return run


def _scalar(engine: str) -> Any:
    if engine == "stepgrad":
        return engine_module("stepgrad").Value
    if engine == "micrograd":
        return engine_module("micrograd").engine.Value
    torch = engine_module("torch")
    return lambda v: torch.tensor(v, dtype=torch.float64, requires_grad=True)


def _grad(x: Any) -> float:
    g = x.grad
    return float(g.item() if hasattr(g, "item") else g)


def count_nodes(engine: str, n: int) -> int:
    """Nodes in the chain of n links, counted on the graph itself (scalar engines)."""
    V = _scalar(engine)
    x = V(1.0)
    y = x
    for _ in range(n):
        y = y * 1.0001 + 0.0
    seen, stack = {id(y)}, [y]
    while stack:
        node = stack.pop()
        for p in getattr(node, "parents", None) or getattr(node, "_prev", ()):
            if id(p) not in seen:
                seen.add(id(p))
                stack.append(p)
    return len(seen)


def agree(a: dict[str, Any], b: dict[str, Any], rel: float = 1e-9) -> str | None:
    """Return None when two first steps agree (loss and every gradient), else what differs."""
    if not math.isclose(a["loss"], b["loss"], rel_tol=rel, abs_tol=1e-12):
        return f"loss {a['loss']!r} vs {b['loss']!r}"
    if len(a["grads"]) != len(b["grads"]):
        return f"{len(a['grads'])} vs {len(b['grads'])} gradients"
    for k, (g, h) in enumerate(zip(a["grads"], b["grads"])):
        if not math.isclose(g, h, rel_tol=rel, abs_tol=1e-12):
            return f"gradient {k}: {g!r} vs {h!r}"
    return None


# ---- compiled replay: one sample on floats, and batches of growing size ----


def _moons_model_and_loss() -> tuple[Any, Any, list[list[float]], list[float]]:
    from nn import MLP

    X, y = moons_data()
    model = _with_weights(MLP(2, [16, 16, 1]), start_weights())

    def hinge(x0: Any, x1: Any, t: Any) -> Any:
        return (1 - t * model([x0, x1])).relu()

    return model, hinge, X, y


def replay_single(engine: str, count: int) -> Callable[[], float]:
    """`count` single-sample forward + backward passes of the moons per-sample loss (one point,
    MLP(2, [16, 16, 1]), ~100 nodes) on floats: `eager` builds the graph and backprops it,
    `eager-backward` only backprops graphs built beforehand, `compiled` replays the trace."""
    import autograd

    model, hinge, X, y = _moons_model_and_loss()
    params = model.parameters()
    points = [(X[k % len(X)][0], X[k % len(X)][1], y[k % len(y)]) for k in range(count)]
    if engine == "compiled":
        prog = autograd.trace(hinge, *points[0], params=params)

        def compiled() -> float:
            total = 0.0
            for point in points:
                total += prog.grad(*point)[2][0]
            return total

        return compiled
    if engine == "eager-backward":
        graphs = [hinge(*map(autograd.Value, point)) for point in points]

        def backward_only() -> float:
            for loss in graphs:
                loss.backward()
            return params[0].grad

        return backward_only

    def eager() -> float:
        for point in points:
            hinge(*map(autograd.Value, point)).backward()
        return params[0].grad

    return eager


def batch_step(engine: str, n: int) -> Callable[[], float]:
    """Forward and backward of the mean moons hinge loss over n points: stepgrad's lifted or
    scalar compiled Program on NumPy columns, eager graphs (stepgrad, micrograd) of every
    point, or PyTorch on whole tensors (the same maths)."""
    from demos.moons import make_moons

    X, y = make_moons(n, 0.1, 1)
    if engine in ("lifted", "compiled"):
        from nn import MLP, trace_loss

        model = _with_weights(MLP(2, [16, 16, 1]), start_weights())
        traced = trace_loss(
            model, lambda score, t: (1 - t * score).relu(), X[0], y[0], lift=engine == "lifted"
        )
        return lambda: traced.backward(X, y)
    if engine in ("eager", "micrograd"):
        if engine == "eager":
            import autograd as V
            from nn import MLP

            model = _with_weights(MLP(2, [16, 16, 1]), start_weights())
        else:
            V = engine_module("micrograd").engine
            model = _with_weights(
                engine_module("micrograd").nn.MLP(2, [16, 16, 1]), start_weights()
            )
        points = [[V.Value(float(a)) for a in x] for x in X]

        def eager() -> float:
            losses = [(1 + -float(t) * model(x)).relu() for x, t in zip(points, y)]
            loss = sum(losses) * (1.0 / len(losses))
            loss.backward()
            return float(loss.data)

        return eager
    torch = engine_module("torch")
    mats = _torch_mlp(torch, start_weights())
    tX, ty = torch.tensor(X, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)

    def batched() -> float:
        loss = (1 - ty * _torch_scores(mats, tX)).relu().mean()
        for m in mats:
            m.grad = None
        loss.backward()
        return float(loss.item())

    return batched


# ---- the digits training step: batch 128, MLP(64, [32, 10]), cross-entropy, Adam ----

DIGITS_BATCH = 128


def digits_step(engine: str, check: dict[str, Any] | None = None) -> Callable[[], float]:
    """Return one training step of the digits demo: a mini-batch of 128 images (always the
    same, so every engine does the same maths), MLP(64, [32, 10]) with relu, the mean softmax
    cross-entropy against the digits, backward, and one Adam step (lr 0.01). `lifted` and
    `compiled` replay stepgrad's traced per-image loss (nn.trace_loss, lifted or not), `eager`
    builds the 128 graphs, `torch-batched` runs float64 tensors and torch.optim.Adam."""
    from demos.digits import CLASSES, load
    from nn import MLP

    data = load(0)
    X, labels = data.X_train[:DIGITS_BATCH], data.y_train[:DIGITS_BATCH]
    one_hot = np.eye(CLASSES)[labels]
    model = MLP(64, [32, CLASSES], seed=0, init="kaiming")
    params = model.parameters()
    if engine in ("lifted", "compiled", "eager", "training"):
        from autograd import Value
        from autograd import sum as total
        from nn import Adam, cross_entropy, trace_loss

        opt = Adam(params, lr=0.01)
        if engine == "eager":
            rows = [[Value(float(v)) for v in x] for x in X]
            targets = [[float(t) for t in row] for row in one_hot]

            def eager() -> float:
                losses = [cross_entropy(model(x), t) for x, t in zip(rows, targets)]
                loss = total(losses) / len(losses)
                opt.zero_grad()
                loss.backward()
                _record(check, loss.data, (p.grad for p in params))
                opt.step()
                return float(loss.data)

            return eager
        traced = trace_loss(
            model,
            lambda logits, t: cross_entropy(logits, t),
            X[0],
            one_hot[0],
            lift=engine != "compiled",
        )
        if engine == "training":  # the whole step compiled: no Value touched
            training = traced.training(opt)

            def whole() -> float:
                loss = training(X, one_hot)
                if check is not None:
                    training.sync()
                    _record(check, loss, (p.grad for p in params))
                return loss

            return whole

        def replayed() -> float:
            opt.zero_grad()
            loss = traced.backward(X, one_hot)
            _record(check, loss, (p.grad for p in params))
            opt.step()
            return loss

        return replayed
    torch = engine_module("torch")
    layers = []
    for layer in model.layers:  # the same starting weights as stepgrad's model
        W = torch.tensor([[w.data for w in n.w] for n in layer.neurons], dtype=torch.float64)
        b = torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64)
        layers += [W.requires_grad_(), b.requires_grad_()]
    opt_t = torch.optim.Adam(layers, lr=0.01)
    tX = torch.tensor(X, dtype=torch.float64)
    tY = torch.tensor(labels, dtype=torch.long)

    def batched() -> float:
        h = torch.relu(tX @ layers[0].T + layers[1])
        logits = h @ layers[2].T + layers[3]
        loss = torch.nn.functional.cross_entropy(logits, tY)
        opt_t.zero_grad(set_to_none=True)
        loss.backward()
        if check is not None and "loss" not in check:
            grads = []
            for W, b in zip(layers[::2], layers[1::2]):  # (neuron: weights, bias) order
                for i in range(W.shape[0]):
                    grads += W.grad[i].tolist() + [b.grad[i].item()]
            _record(check, loss.item(), grads)
        opt_t.step()
        return float(loss.item())

    return batched


def lifted_parts(repeats: int = 200) -> dict[str, float]:
    """Where the lifted moons step's time goes (seconds per step, medians): the parameters'
    numbers gathered into one array (`p`), the program itself (matrices gathered by index
    inside it, forward and backward), the gradients written back into 337 `.grad`s, the L2
    program, and SGD over the 337 Values in Python."""
    import statistics
    import time

    import autograd
    from nn import MLP, l2_penalty, trace_loss

    X, y = moons_data()
    model = _with_weights(MLP(2, [16, 16, 1]), start_weights())
    params = model.parameters()
    traced = trace_loss(model, lambda score, t: (1 - t * score).relu(), X[0], y[0])
    penalty = autograd.trace(lambda: l2_penalty(params, ALPHA), params=params)
    prog = traced.program
    X_array, y_array = np.array(X), np.array(y)
    columns = prog._columns(traced._columns(X_array, y_array), len(X))
    run = prog._runner("backward")
    seed = np.full(len(X), 1.0 / len(X))
    p = prog._param_data(len(X))
    grads = prog._flat_grads(run(*columns, *p, grad_out=seed)[2])  # g_p, one array

    def gather() -> None:
        prog._param_data(len(X))

    def program() -> None:
        run(*columns, *p, grad_out=seed)

    def scatter() -> None:
        for param, g in zip(params, grads.tolist()):
            param.grad += g

    def l2() -> None:
        penalty.backward()

    def sgd() -> None:
        for param in params:
            param.data -= LR * param.grad

    def whole() -> None:
        for param in params:
            param.grad = 0.0
        traced.backward(X_array, y_array) + penalty.backward()
        sgd()

    parts = {}
    for name, fn in [
        ("gather p", gather),
        ("program", program),
        ("scatter .grad", scatter),
        ("L2 program", l2),
        ("SGD", sgd),
        ("whole step", whole),
    ]:
        fn()
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        parts[name] = statistics.median(times)
    return parts
