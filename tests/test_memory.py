"""A lifted program's large arrays, freed at each call's end, are reused at the next call: the
kernel's count of page faults (an oracle outside the code under test) says so."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

SCRIPT = """
import resource
import numpy as np
from nn import MLP, trace_loss
model = MLP(2, [16, 16, 1], seed=0)
step = trace_loss(model, lambda s, t: (1 - t * s).relu(), [0.5, -0.2], 1.0)
rng = np.random.default_rng(0)
X, y = rng.standard_normal((10_000, 2)), np.sign(rng.standard_normal(10_000))
step.backward(X, y)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(10):
    step.backward(X, y)
print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 10)
"""


def faults_per_call(keep: str) -> float:
    env = {**os.environ, "STEPGRAD_KEEP_MEMORY": keep}
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, cwd=root, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return float(done.stdout)


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or os.confstr("CS_GNU_LIBC_VERSION") is None,
    reason="glibc's malloc",
)
def test_a_lifted_batch_reuses_its_memory_instead_of_faulting_pages_in_at_every_call() -> None:
    # 10,000 samples x 16 neurons: ~13 MB of arrays a call, ~3,300 pages of 4 kB
    assert faults_per_call("0") > 1000  # malloc's defaults: mmap or a trimmed heap, each call
    assert faults_per_call("1") < 100  # kept: the next call's arrays land on the same pages
