"""PyTorch float64's numbers for the tests: recorded in the repo, and live where torch is installed.

A test that compares with torch names a *case*: a function `fn(torch, *args)` that computes, with
torch alone, the numbers the test needs (outputs, gradients, higher derivatives), as nested lists
of floats. `torch_float64(fn, *args)` gives the test those numbers from `torch_float64.json`, which
`python -m tests.oracle.record` wrote by running every case on torch 2.13.0, so the comparison runs
on a machine without torch; where torch is installed it also runs the case live and gives those
numbers too, so the test checks our engine against both and a stale recording cannot pass unseen.

    for source, (out, grad) in torch_float64(unary_in_torch, "tanh", 0.5):
        assert same(ours, out), source   # source: "recorded torch 2.13.0+cpu" or "live torch ..."

A case's key is its function's module and name with the arguments' reprs, e.g.
`test_ops.unary_in_torch('tanh', 0.5)`. Floats that JSON cannot hold exactly are stored as strings:
"nan", "inf", "-inf" and "-0.0"; every other float is written by `repr`, which round-trips.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from tests.oracles import torch_or_none

RECORDING = Path(__file__).with_name("torch_float64.json")
TORCH_VERSION = "2.13.0"  # the version the recording comes from; CI installs the same
RECORD_COMMAND = "python -m tests.oracle.record"

Case = tuple[Callable[..., Any], tuple[Any, ...]]  # (fn, args): fn(torch, *args) -> numbers
_SPECIAL = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf, "-0.0": -0.0}


def case_key(fn: Callable[..., Any], args: Iterable[Any]) -> str:
    """Returns the case's stable name: `module.function(repr of each argument)`."""
    module = fn.__module__.rsplit(".", 1)[-1]
    return f"{module}.{fn.__name__}({', '.join(repr(a) for a in args)})"


def encode(numbers: Any) -> Any:
    """Returns `numbers` (nested lists of floats and None) in a form JSON holds exactly.

    nan, inf, -inf and -0.0 become the strings "nan", "inf", "-inf", "-0.0"; other floats stay
    floats (json writes them with repr, which round-trips); None stays None. Anything else (an int,
    a tensor, a Value) is a TypeError, so only torch's own floats get into the recording.
    """
    if isinstance(numbers, (list, tuple)):
        return [encode(n) for n in numbers]
    if numbers is None:
        return None
    if type(numbers) is not float:
        raise TypeError(
            f"a recorded number must be a Python float (torch's .item() or .tolist()), "
            f"got {type(numbers).__name__}: {numbers!r}"
        )
    if math.isnan(numbers):
        return "nan"
    if math.isinf(numbers):
        return "inf" if numbers > 0 else "-inf"
    if numbers == 0.0 and math.copysign(1.0, numbers) < 0:
        return "-0.0"
    return numbers


def decode(stored: Any) -> Any:
    """Returns the nested lists of floats that `encode` stored."""
    if isinstance(stored, list):
        return [decode(s) for s in stored]
    if isinstance(stored, str):
        return _SPECIAL[stored]
    return stored


@functools.lru_cache(maxsize=1)
def load(path: Path = RECORDING) -> dict[str, Any]:
    """Returns the recording: {"torch": version, "recorded": date, ..., "cases": {key: stored}}."""
    with open(path, encoding="utf-8") as file:
        return json.load(file)  # type: ignore[no-any-return]


def recorded(fn: Callable[..., Any], *args: Any) -> Any:
    """Returns the recorded numbers of the case `fn(torch, *args)`, decoded."""
    key = case_key(fn, args)
    cases = load()["cases"]
    if key not in cases:
        raise LookupError(
            f"no recorded torch numbers for {key}: list the case in its module's torch_cases() "
            f"and run `{RECORD_COMMAND}` with torch=={TORCH_VERSION}"
        )
    return decode(cases[key])


def torch_float64(fn: Callable[..., Any], *args: Any) -> list[tuple[str, Any]]:
    """Returns [(source, numbers)]: the recorded numbers, then live torch's where it is installed.

    Each source is a string naming where the numbers come from ("recorded torch 2.13.0+cpu",
    "live torch 2.13.0+cpu"), for the test's failure message.
    """
    sources = [(f"recorded torch {load()['torch']}", recorded(fn, *args))]
    torch = torch_or_none()
    if torch is not None:
        sources.append((f"live torch {torch.__version__}", decode(encode(fn(torch, *args)))))
    return sources


def identical(a: Any, b: Any, rel: float = 1e-13) -> bool:
    """True when two nested lists hold the same floats: nan as nan, signed zeros and infinities
    exactly, finite numbers to `rel` (a few ulps, so another CPU's vector kernels still agree)."""
    if isinstance(a, list) or isinstance(b, list):
        return (
            isinstance(a, list)
            and isinstance(b, list)
            and len(a) == len(b)
            and all(identical(x, y, rel) for x, y in zip(a, b))
        )
    if a is None or b is None:
        return a is b
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if a == 0.0 or b == 0.0 or math.isinf(a) or math.isinf(b):
        return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
    return math.fabs(a - b) <= rel * max(math.fabs(a), math.fabs(b))
