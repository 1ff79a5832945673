"""Records PyTorch float64's numbers for every torch comparison in the tests.

    $ .venv/bin/pip install torch==2.13.0
    $ .venv/bin/python -m tests.oracle.record

Each test module listed in MODULES says which cases it compares with torch in `torch_cases()`:
pairs (fn, args) where `fn(torch, *args)` computes, with torch alone, the numbers the test needs.
This script runs every case on torch and writes `tests/oracle/torch_float64.json`: the torch
version, the date, and one line per case (its key, then its numbers). The file is replaced in one
step, so a failed run leaves the old recording whole. Our engine is never called here: the numbers
are torch's. `tests/test_oracle.py` fails when this list of cases and the file disagree.
"""

from __future__ import annotations

import datetime
import importlib
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.oracle import RECORD_COMMAND, RECORDING, TORCH_VERSION, Case, case_key, encode

MODULES = (
    "tests.test_ops",
    "tests.test_engine",
    "tests.test_random_graphs",
    "tests.test_losses_optim",
    "tests.test_torch_edges",
    "tests.test_vjp",
    "tests.test_custom_op",
    "tests.test_compiled_nn",
)


def all_cases() -> list[Case]:
    """Returns every (fn, args) that the test modules compare with torch, in module order."""
    cases: list[Case] = []
    for name in MODULES:
        cases.extend(importlib.import_module(name).torch_cases())
    return cases


def record(torch: Any, cases: list[Case]) -> dict[str, Any]:
    """Returns {key: encoded numbers} for each case, computed by `torch`."""
    numbers: dict[str, Any] = {}
    for fn, args in cases:
        key = case_key(fn, args)
        if key not in numbers:  # a point listed twice (SPECIAL and SMOOTH share -2.5) is one case
            numbers[key] = encode(fn(torch, *args))
    return numbers


def write(path: Path, header: dict[str, str], numbers: dict[str, Any]) -> None:
    """Writes the recording to `path` atomically: a temporary file beside it, then a rename."""
    lines = ["{"]
    lines += [f"  {json.dumps(k)}: {json.dumps(v)}," for k, v in header.items()]
    lines.append('  "cases": {')
    rows = [f"    {json.dumps(k)}: {json.dumps(v, allow_nan=False)}" for k, v in numbers.items()]
    lines.append(",\n".join(rows))
    lines += ["  }", "}", ""]
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    umask = os.umask(0)
    os.umask(umask)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            os.fchmod(file.fileno(), 0o666 & ~umask)  # as any file in the tree, not mkstemp's 0600
            file.write("\n".join(lines))
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def main() -> None:
    try:
        import torch
    except ImportError:
        sys.exit(f"recording needs torch: pip install torch=={TORCH_VERSION}")
    if torch.__version__.split("+")[0] != TORCH_VERSION:
        sys.exit(
            f"the recording is made with torch {TORCH_VERSION}, found {torch.__version__}: "
            f"pip install torch=={TORCH_VERSION} (or change TORCH_VERSION in tests/oracle)"
        )
    start = time.perf_counter()
    cases = all_cases()
    numbers = record(torch, cases)
    header = {
        "torch": torch.__version__,
        "recorded": datetime.date.today().isoformat(),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "command": RECORD_COMMAND,
    }
    write(RECORDING, header, numbers)
    seconds = time.perf_counter() - start
    size = RECORDING.stat().st_size
    print(f"{len(numbers)} cases from torch {torch.__version__} in {seconds:.1f} s")
    print(f"wrote {RECORDING} ({size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
