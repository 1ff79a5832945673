"""Optimizers, learning-rate schedules and gradient clipping, each the same update as PyTorch's.

An optimizer reads `p.grad` and writes `p.data` for each parameter `p`; it keeps its own state
(momentum buffers, moment estimates) as one float64 array per quantity, in parameter order. The
docstrings state the update and name the torch class it matches; the tests compare with torch to
1e-12 over many steps.

A step runs on all parameters at once: it reads every `.grad` and `.data` into two arrays (so a
`.data` changed since the last step is seen), computes the update with NumPy, and writes `.data`
back from one `tolist()`. NumPy's float64 + - * / and sqrt round exactly as Python's floats do,
and each update does the same operations in the same order as a loop over the Values would, so
the numbers are the same bit for bit; inf and nan go through quietly, as they do on floats.
"""

from __future__ import annotations

import decimal
import math
import numbers
from collections.abc import Callable, Iterable, Sequence
from operator import attrgetter
from typing import Any

import numpy as np

from autograd import Value
from autograd._checks import describe, flag, integer, number, values
from autograd.value import settle, written

# Every hyperparameter is a finite real number (NumPy's count; bool does not), >= 0 unless said.


def _parameters(who: str, params: object) -> list[Value]:
    """The parameters as a list of distinct Values, or TypeError / ValueError saying why not."""
    found = values(
        who, params, what="parameters (Values, e.g. model.parameters())", item="parameter"
    )
    first: dict[Value, int] = {}
    for k, p in enumerate(found):
        if p in first:
            raise ValueError(
                f"{who} parameter at index {k} is the same Value as index {first[p]}; each "
                "parameter must come once (it would be updated twice per step)"
            )
        first[p] = k
    return found


def _optimizer(who: str, optimizer: object) -> Optimizer:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(
            f"{who} needs an optimizer (SGD, Adam, AdamW, RMSprop), got {describe(optimizer)}"
        )
    return optimizer


_grad_of = attrgetter("grad")
_data_of = attrgetter("_data")  # the slot behind Value.data (floats only: read, and written
# below from an array's tolist(), so the property's check of what is assigned has nothing to do)


class _Setting:
    """A hyperparameter checked on every assignment (at construction, by hand or by a
    scheduler), so that `opt.lr = "x"` or `opt.momentum = nan` is refused at the line that wrote
    it, before any parameter or buffer moves. The number is kept under its own name in the
    instance's __dict__, where `vars(optimizer)` finds it."""

    def __init__(self, check: Callable[[str, object], Any] = number) -> None:
        self.check = check

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: object, owner: type | None = None) -> Any:
        if obj is None:
            return self
        return obj.__dict__[self.name]

    def __set__(self, obj: object, value: object) -> None:
        obj.__dict__[self.name] = self.check(self.name, value)


def _betas(who: str, betas: object) -> tuple[float, float]:
    """Adam's (beta1, beta2): a pair of finite numbers in [0, 1)."""
    if isinstance(betas, (str, bytes)) or not isinstance(betas, Sequence):
        raise TypeError(f"{who} must be a pair (beta1, beta2), got {describe(betas)}")
    if len(betas) != 2:
        raise ValueError(f"{who} must be a pair (beta1, beta2), got {len(betas)} number(s)")
    return (
        number(f"{who}[0]", betas[0], below_one=True),
        number(f"{who}[1]", betas[1], below_one=True),
    )


class Optimizer:
    """Base class: holds the parameters and the learning rate; `zero_grad()` clears their grads.

    `params` is an iterable of distinct Values (model.parameters()); `lr` a finite number >= 0,
    checked again whenever it is set (by hand or by a scheduler), as every hyperparameter is.
    """

    lr = _Setting()

    def __init__(self, params: Iterable[Value], lr: float) -> None:
        self.params: list[Value] = _parameters(type(self).__name__, params)
        if not self.params:
            raise ValueError(
                f"{type(self).__name__} got an empty parameter list; pass model.parameters()"
            )
        self.lr = lr
        self.steps = 0

    def zero_grad(self) -> None:
        """Set `.grad = 0.0` on every parameter."""
        settle()
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """Update every parameter once from its current `.grad` (the rule of `update`)."""
        settle()  # parameters a compiled training step holds are brought up to date first
        self._write(self.update(self._data(), self._grads()))

    def update(self, data: np.ndarray, grad: np.ndarray) -> np.ndarray:
        """Return the parameters after one step from `data` with gradient `grad` (float64
        arrays in parameter order), advancing the optimizer's state (its step count, its
        buffers): the one rule `step()` applies to the Values and a compiled training step
        (`nn.Training`) to arrays, so both give the same numbers bit for bit."""
        raise NotImplementedError

    def _grads(self) -> np.ndarray:
        """Every parameter's `.grad` now, as one float64 array in parameter order."""
        return np.fromiter(map(_grad_of, self.params), np.float64, len(self.params))

    def _data(self) -> np.ndarray:
        """Every parameter's `.data` now (the user may have set some since the last step)."""
        return np.fromiter(map(_data_of, self.params), np.float64, len(self.params))

    def _write(self, data: np.ndarray) -> None:
        """Set every parameter's `.data` from `data` (float64, parameter order)."""
        for p, x in zip(self.params, data.tolist()):
            p._data = x
        written()  # a compiled training step holding these parameters reads them again


class SGD(Optimizer):
    """SGD, the same update as torch.optim.SGD.

    g ← grad + weight_decay·p
    b ← g on the first step, else momentum·b + (1 - dampening)·g
    step = g + momentum·b if nesterov else b   (g itself when momentum = 0)
    p ← p - lr·step
    """

    momentum = _Setting()
    dampening = _Setting()
    weight_decay = _Setting()

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
        self.momentum = momentum
        self.dampening = dampening
        self.weight_decay = weight_decay
        self.nesterov = flag("nesterov", nesterov)
        if self.nesterov and (self.momentum <= 0 or self.dampening != 0):
            raise ValueError(
                "nesterov=True needs momentum > 0 and dampening = 0, got "
                f"momentum={self.momentum!r}, dampening={self.dampening!r}"
            )
        self.buffers: np.ndarray | None = None  # the momentum buffers b, from the first step

    def update(self, data: np.ndarray, grad: np.ndarray) -> np.ndarray:
        """The parameters after one SGD step (see the class docstring)."""
        self.steps += 1
        g = grad
        with np.errstate(all="ignore"):  # inf - inf is nan, quietly, as on floats
            if self.weight_decay != 0:
                g = g + self.weight_decay * data
            if self.momentum != 0:
                b = self.buffers
                b = g if b is None else b * self.momentum + (1 - self.dampening) * g
                self.buffers = b
                g = g + self.momentum * b if self.nesterov else b
            return data - self.lr * g


class Adam(Optimizer):
    """Adam, the same update as torch.optim.Adam (decoupled=True: torch.optim.AdamW).

    t ← t + 1;  g ← grad + weight_decay·p   (AdamW instead: p ← p·(1 - lr·weight_decay))
    m ← m + (1 - β₁)(g - m);   v ← β₂·v + (1 - β₂)·g²
    p ← p - (lr / (1 - β₁ᵗ)) · m / (√v / √(1 - β₂ᵗ) + eps)
    """

    decoupled = False

    betas = _Setting(_betas)
    eps = _Setting()
    weight_decay = _Setting()

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        self.betas = betas
        self.eps = eps
        self.weight_decay = weight_decay
        self.m = np.zeros(len(self.params))  # the first moments, in parameter order
        self.v = np.zeros(len(self.params))  # the second moments

    def update(self, data: np.ndarray, grad: np.ndarray) -> np.ndarray:
        """The parameters after one Adam step (see the class docstring)."""
        self.steps += 1
        beta1, beta2 = self.betas
        t = self.steps
        step_size = self.lr / (1 - beta1**t)
        correction2_sqrt = (1 - beta2**t) ** 0.5
        g = grad
        with np.errstate(all="ignore"):  # inf and nan go through quietly, as on floats
            if self.weight_decay != 0:
                if self.decoupled:
                    data = data * (1 - self.lr * self.weight_decay)
                else:
                    g = g + self.weight_decay * data
            m = self.m = self.m + (1 - beta1) * (g - self.m)
            v = self.v = self.v * beta2 + (1 - beta2) * g * g
            return data - step_size * (m / (np.sqrt(v) / correction2_sqrt + self.eps))


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

    alpha = _Setting()
    eps = _Setting()
    momentum = _Setting()
    weight_decay = _Setting()

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
        self.alpha = alpha
        self.eps = eps
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.centered = flag("centered", centered)
        n = len(self.params)  # s, a and b in parameter order
        self.square_avg, self.grad_avg, self.buffers = np.zeros(n), np.zeros(n), np.zeros(n)

    def update(self, data: np.ndarray, grad: np.ndarray) -> np.ndarray:
        """The parameters after one RMSprop step (see the class docstring)."""
        self.steps += 1
        a = self.alpha
        g = grad
        with np.errstate(all="ignore"):  # inf and nan go through quietly, as on floats
            if self.weight_decay != 0:
                g = g + self.weight_decay * data
            s = self.square_avg = self.square_avg * a + (1 - a) * g * g
            if self.centered:
                mean = self.grad_avg = self.grad_avg + (1 - a) * (g - self.grad_avg)
                denom = np.sqrt(s - mean * mean) + self.eps
            else:
                denom = np.sqrt(s) + self.eps
            if self.momentum > 0:
                b = self.buffers = self.buffers * self.momentum + g / denom
                return data - self.lr * b
            return data - self.lr * (g / denom)


# ---- learning-rate schedules: call .step() once per optimizer step (after it) ----


class LambdaLR:
    """lr = base_lr · fn(k) after k calls of `step()`, as torch.optim.lr_scheduler.LambdaLR.

    >>> schedule = LambdaLR(opt, lambda k: 1.0 - 0.9 * k / 100)   # micrograd's moons decay
    """

    def __init__(self, optimizer: Optimizer, fn: Callable[[int], float]) -> None:
        self.optimizer = _optimizer("LambdaLR", optimizer)
        if not callable(fn):
            raise TypeError(f"LambdaLR needs a callable fn(step), got {describe(fn)}")
        self.fn, self.base_lr, self.count = fn, optimizer.lr, 0
        optimizer.lr = self.base_lr * self._factor(0)

    def _factor(self, k: int) -> float:
        try:
            factor: Any = self.fn(k)
        except TypeError as error:
            raise TypeError(f"LambdaLR fn({k}) failed: {error}; fn takes the step number") from None
        if isinstance(factor, bool) or not isinstance(factor, (numbers.Real, decimal.Decimal)):
            raise TypeError(
                f"LambdaLR fn({k}) returned {describe(factor)}; it must return a number, "
                "the factor for the base lr"
            )
        value = float(factor)
        if not math.isfinite(value) or value < 0:
            raise ValueError(
                f"LambdaLR fn({k}) returned {value!r}; it must return a finite number >= 0"
            )
        return value

    def step(self) -> None:
        """Advance one step and set the optimizer's lr."""
        self.optimizer.lr = self.base_lr * self._factor(self.count + 1)  # checked, then counted
        self.count += 1


class StepLR:
    """lr = base_lr · gamma^⌊k / step_size⌋, as torch.optim.lr_scheduler.StepLR."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        self.optimizer = _optimizer("StepLR", optimizer)
        self.step_size = integer("StepLR step_size", step_size, high=None)
        self.gamma = number("gamma", gamma)
        self.count = 0

    def step(self) -> None:
        """Advance one step; every step_size steps, multiply the optimizer's lr by gamma."""
        if (self.count + 1) % self.step_size == 0:  # the lr is checked before the step counts
            self.optimizer.lr = self.optimizer.lr * self.gamma
        self.count += 1


class CosineAnnealingLR:
    """lr from base_lr down to eta_min along half a cosine over T_max steps, computed step by
    step as torch.optim.lr_scheduler.CosineAnnealingLR does:

        lrₖ = eta_min + (lrₖ₋₁ - eta_min) · (1 + cos(πk/T)) / (1 + cos(π(k-1)/T))
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:
        self.optimizer = _optimizer("CosineAnnealingLR", optimizer)
        self.T_max = integer("CosineAnnealingLR T_max", T_max, high=None)
        self.eta_min = number("eta_min", eta_min)
        self.base_lr, self.count = optimizer.lr, 0

    def step(self) -> None:
        """Advance one step and set the optimizer's lr."""
        k, T, low, lr = self.count + 1, self.T_max, self.eta_min, self.optimizer.lr
        if (k - 1 - T) % (2 * T) == 0:
            lr = lr + (self.base_lr - low) * (1 - math.cos(math.pi / T)) / 2
        else:
            lr = (1 + math.cos(math.pi * k / T)) / (1 + math.cos(math.pi * (k - 1) / T)) * (
                lr - low
            ) + low
        self.optimizer.lr = lr  # checked before the step counts
        self.count = k


def clip_grad_norm(params: Iterable[Value], max_norm: float) -> float:
    """Scale all grads by min(1, max_norm / (‖g‖ + 1e-6)); return ‖g‖ before clipping.

    ‖g‖ is the 2-norm over every parameter's grad, as torch.nn.utils.clip_grad_norm_. `params`
    is an iterable of Values (one Value alone is fine, as in torch); an empty one gives 0.0.

    >>> clip_grad_norm(model.parameters(), 1.0)
    """
    params = [params] if isinstance(params, Value) else _parameters("clip_grad_norm", params)
    max_norm = number("max_norm", max_norm)
    total = math.sqrt(sum(p.grad * p.grad for p in params))
    coefficient = min(max_norm / (total + 1e-6), 1.0)
    for p in params:
        p.grad = p.grad * coefficient
    return total
