"""Optimizers, learning-rate schedules and gradient clipping, each the same update as PyTorch's.

An optimizer reads `p.grad` and writes `p.data` for each parameter `p`; it keeps its own state
(momentum buffers, moment estimates) per parameter, in parameter order. The docstrings state the
update and name the torch class it matches; the tests compare with torch to 1e-12 over many steps.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence

from autograd import Value


def _positive(name: str, value: float, *, zero_ok: bool = True, below_one: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise ValueError(f"{name} must be a number, got {value!r}")
    if value < 0 or (value == 0 and not zero_ok) or (below_one and value >= 1):
        span = "in [0, 1)" if below_one else (">= 0" if zero_ok else "> 0")
        raise ValueError(f"{name} must be {span}, got {value!r}")
    return float(value)


class Optimizer:
    """Base class: holds the parameters and the learning rate; `zero_grad()` clears their grads."""

    def __init__(self, params: Iterable[Value], lr: float) -> None:
        self.params: list[Value] = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        for k, p in enumerate(self.params):
            if not isinstance(p, Value):
                raise TypeError(
                    f"{type(self).__name__} parameters must be Values, got "
                    f"{type(p).__name__} at index {k}"
                )
        self.lr = _positive("lr", lr)
        self.steps = 0

    def zero_grad(self) -> None:
        """Set `.grad = 0.0` on every parameter."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    """SGD, the same update as torch.optim.SGD.

    g ← grad + weight_decay·p
    b ← g on the first step, else momentum·b + (1 - dampening)·g
    step = g + momentum·b if nesterov else b   (g itself when momentum = 0)
    p ← p - lr·step
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float,
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
        *,
        dampening: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        self.momentum = _positive("momentum", momentum)
        self.dampening = _positive("dampening", dampening)
        self.weight_decay = _positive("weight_decay", weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(
                "nesterov=True needs momentum > 0 and dampening = 0, got "
                f"momentum={momentum!r}, dampening={dampening!r}"
            )
        self.nesterov = bool(nesterov)
        self.buffers: list[float | None] = [None] * len(self.params)

    def step(self) -> None:
        """Update every parameter once from its current `.grad`."""
        self.steps += 1
        for i, p in enumerate(self.params):
            g = p.grad
            if self.weight_decay != 0:
                g = g + self.weight_decay * p.data
            if self.momentum != 0:
                b = self.buffers[i]
                b = g if b is None else b * self.momentum + (1 - self.dampening) * g
                self.buffers[i] = b
                g = g + self.momentum * b if self.nesterov else b
            p.data = p.data - self.lr * g


class Adam(Optimizer):
    """Adam, the same update as torch.optim.Adam (decoupled=True: torch.optim.AdamW).

    t ← t + 1;  g ← grad + weight_decay·p   (AdamW instead: p ← p·(1 - lr·weight_decay))
    m ← m + (1 - β₁)(g - m);   v ← β₂·v + (1 - β₂)·g²
    p ← p - (lr / (1 - β₁ᵗ)) · m / (√v / √(1 - β₂ᵗ) + eps)
    """

    decoupled = False

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        if not isinstance(betas, Sequence) or len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        self.betas = (
            _positive("betas[0]", betas[0], below_one=True),
            _positive("betas[1]", betas[1], below_one=True),
        )
        self.eps = _positive("eps", eps)
        self.weight_decay = _positive("weight_decay", weight_decay)
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)

    def step(self) -> None:
        """Update every parameter once from its current `.grad`."""
        self.steps += 1
        beta1, beta2 = self.betas
        t = self.steps
        step_size = self.lr / (1 - beta1**t)
        correction2_sqrt = (1 - beta2**t) ** 0.5
        for i, p in enumerate(self.params):
            g = p.grad
            if self.weight_decay != 0:
                if self.decoupled:
                    p.data = p.data * (1 - self.lr * self.weight_decay)
                else:
                    g = g + self.weight_decay * p.data
            m = self.m[i] = self.m[i] + (1 - beta1) * (g - self.m[i])
            v = self.v[i] = self.v[i] * beta2 + (1 - beta2) * g * g
            p.data = p.data - step_size * (m / (math.sqrt(v) / correction2_sqrt + self.eps))


class AdamW(Adam):
    """AdamW, the same update as torch.optim.AdamW: Adam with decoupled weight decay.

    p ← p·(1 - lr·weight_decay), then the Adam step on the plain gradient.
    """

    decoupled = True

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay)


class RMSprop(Optimizer):
    """RMSprop, the same update as torch.optim.RMSprop.

    g ← grad + weight_decay·p;   s ← α·s + (1 - α)·g²
    centered: a ← a + (1 - α)(g - a);  d = √(s - a²) + eps     else d = √s + eps
    momentum > 0: b ← momentum·b + g/d;  p ← p - lr·b          else p ← p - lr·g/d
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        centered: bool = False,
    ) -> None:
        super().__init__(params, lr)
        self.alpha = _positive("alpha", alpha)
        self.eps = _positive("eps", eps)
        self.momentum = _positive("momentum", momentum)
        self.weight_decay = _positive("weight_decay", weight_decay)
        self.centered = bool(centered)
        n = len(self.params)
        self.square_avg, self.grad_avg, self.buffers = [0.0] * n, [0.0] * n, [0.0] * n

    def step(self) -> None:
        """Update every parameter once from its current `.grad`."""
        self.steps += 1
        a = self.alpha
        for i, p in enumerate(self.params):
            g = p.grad
            if self.weight_decay != 0:
                g = g + self.weight_decay * p.data
            s = self.square_avg[i] = self.square_avg[i] * a + (1 - a) * g * g
            if self.centered:
                mean = self.grad_avg[i] = self.grad_avg[i] + (1 - a) * (g - self.grad_avg[i])
                denom = math.sqrt(s - mean * mean) + self.eps
            else:
                denom = math.sqrt(s) + self.eps
            if self.momentum > 0:
                b = self.buffers[i] = self.buffers[i] * self.momentum + g / denom
                p.data = p.data - self.lr * b
            else:
                p.data = p.data - self.lr * (g / denom)


# ---- learning-rate schedules: call .step() once per optimizer step (after it) ----


class LambdaLR:
    """lr = base_lr · fn(k) after k calls of `step()`, as torch.optim.lr_scheduler.LambdaLR.

    >>> schedule = LambdaLR(opt, lambda k: 1.0 - 0.9 * k / 100)   # micrograd's moons decay
    """

    def __init__(self, optimizer: Optimizer, fn: Callable[[int], float]) -> None:
        if not callable(fn):
            raise TypeError(f"LambdaLR needs a callable fn(step), got {type(fn).__name__}")
        self.optimizer, self.fn, self.base_lr, self.count = optimizer, fn, optimizer.lr, 0
        optimizer.lr = self.base_lr * fn(0)

    def step(self) -> None:
        """Advance one step and set the optimizer's lr."""
        self.count += 1
        self.optimizer.lr = self.base_lr * self.fn(self.count)


class StepLR:
    """lr = base_lr · gamma^⌊k / step_size⌋, as torch.optim.lr_scheduler.StepLR."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        if isinstance(step_size, bool) or not isinstance(step_size, int) or step_size < 1:
            raise ValueError(f"StepLR step_size must be a positive int, got {step_size!r}")
        self.optimizer, self.step_size, self.gamma, self.count = optimizer, step_size, gamma, 0
        self.gamma = _positive("gamma", gamma)

    def step(self) -> None:
        """Advance one step; every step_size steps, multiply the optimizer's lr by gamma."""
        self.count += 1
        if self.count % self.step_size == 0:
            self.optimizer.lr = self.optimizer.lr * self.gamma


class CosineAnnealingLR:
    """lr from base_lr down to eta_min along half a cosine over T_max steps, computed step by
    step as torch.optim.lr_scheduler.CosineAnnealingLR does:

        lrₖ = eta_min + (lrₖ₋₁ - eta_min) · (1 + cos(πk/T)) / (1 + cos(π(k-1)/T))
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:
        if isinstance(T_max, bool) or not isinstance(T_max, int) or T_max < 1:
            raise ValueError(f"CosineAnnealingLR T_max must be a positive int, got {T_max!r}")
        self.optimizer, self.T_max, self.eta_min = optimizer, T_max, _positive("eta_min", eta_min)
        self.base_lr, self.count = optimizer.lr, 0

    def step(self) -> None:
        """Advance one step and set the optimizer's lr."""
        self.count += 1
        k, T, low, lr = self.count, self.T_max, self.eta_min, self.optimizer.lr
        if (k - 1 - T) % (2 * T) == 0:
            lr = lr + (self.base_lr - low) * (1 - math.cos(math.pi / T)) / 2
        else:
            lr = (1 + math.cos(math.pi * k / T)) / (1 + math.cos(math.pi * (k - 1) / T)) * (
                lr - low
            ) + low
        self.optimizer.lr = lr


def clip_grad_norm(params: Iterable[Value], max_norm: float) -> float:
    """Scale all grads by min(1, max_norm / (‖g‖ + 1e-6)); return ‖g‖ before clipping.

    ‖g‖ is the 2-norm over every parameter's grad, as torch.nn.utils.clip_grad_norm_.
    """
    params = list(params)
    max_norm = _positive("max_norm", max_norm)
    total = math.sqrt(sum(p.grad * p.grad for p in params))
    coefficient = min(max_norm / (total + 1e-6), 1.0)
    for p in params:
        p.grad = p.grad * coefficient
    return total
