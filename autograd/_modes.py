"""The engine's two modes: grad recording (off inside `no_grad()`) and anomaly checking (on
inside `detect_anomaly()`), in one context variable, so each thread and each asyncio task has its
own, as torch's grad mode is per thread.

The bottom floor of the package: it imports nothing from autograd, so the value, the pass and
the anomaly hooks can all read the mode without importing each other.
"""

from __future__ import annotations

import contextvars

NO_GRAD = 1  # inside no_grad(): ops make leaves
ANOMALY = 2  # inside detect_anomaly(): ops check their output and note where they were made

_mode: contextvars.ContextVar[int] = contextvars.ContextVar("stepgrad_mode", default=0)
# What each switch found on entry, innermost last: (its bits, their previous state).
_saved_modes: contextvars.ContextVar[tuple[tuple[int, int], ...]] = contextvars.ContextVar(
    "stepgrad_saved_modes", default=()
)
_get_mode = _mode.get  # read by `_record` on every op


class ModeSwitch:
    """Base of `no_grad` and `detect_anomaly`: a context manager that turns mode bits on or off
    for the current thread or task and, on exit, puts back the state of its own bits only.

    The previous states are kept in a context variable, not on the instance, so one instance
    shared by several threads (or entered twice) still restores each thread's own mode; and a
    no_grad closed while a detect_anomaly opened after it is still on leaves anomaly mode on.
    """

    set_bits = 0
    clear_bits = 0

    def __enter__(self) -> ModeSwitch:
        mine = self.set_bits | self.clear_bits
        mode = _mode.get()
        _saved_modes.set((*_saved_modes.get(), (mine, mode & mine)))
        _mode.set((mode | self.set_bits) & ~self.clear_bits)
        return self

    def __exit__(self, *exc: object) -> None:
        mine = self.set_bits | self.clear_bits
        saved = _saved_modes.get()
        for k in range(len(saved) - 1, -1, -1):  # the innermost entry of a switch like this one
            if saved[k][0] == mine:
                _saved_modes.set(saved[:k] + saved[k + 1 :])
                _mode.set((_mode.get() & ~mine) | saved[k][1])
                return


class _recording(ModeSwitch):
    """Record a graph whatever the caller's mode (used by `trace`)."""

    clear_bits = NO_GRAD
