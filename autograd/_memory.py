"""Keep freed large blocks inside the process, so a lifted program's arrays cost no page faults.

A lifted program on a batch of 10,000 samples makes a dozen arrays of 1.3 MB per call and frees
them at its end. glibc's malloc serves blocks that large with fresh pages from the kernel (mmap,
or a heap top it trimmed at the last free), so every call page-faults its ~13 MB back in: ~3,300
faults, more than half the call's time. `keep_freed_blocks()` asks malloc once (mallopt) to serve
blocks of up to 32 MB from its heap and to give memory back to the kernel only when more than
256 MB of it is free at the heap's top: the next call reuses the same memory. Like the
MALLOC_MMAP_THRESHOLD_ / MALLOC_TRIM_THRESHOLD_ environment variables, it holds for the whole
process (PyTorch, in the same process, gains too).

A traced Program calls it the first time a lifted program runs on a batch. It does nothing on a
C library without mallopt (macOS, musl, Windows), or when STEPGRAD_KEEP_MEMORY=0 is set.
"""

from __future__ import annotations

import ctypes
import os

_M_TRIM_THRESHOLD = -1  # glibc's malloc.h
_M_MMAP_THRESHOLD = -3
_kept: bool | None = None  # the answer, once asked


def keep_freed_blocks() -> bool:
    """Return whether malloc now keeps freed blocks of up to 32 MB (asked once per process)."""
    global _kept
    if _kept is None:
        _kept = os.environ.get("STEPGRAD_KEEP_MEMORY", "1") != "0" and _ask()
    return _kept


def _ask() -> bool:
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError, TypeError):  # no C library to open (Windows), no mallopt
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, 32 * 2**20) and mallopt(_M_TRIM_THRESHOLD, 256 * 2**20))
