"""The package as a user installs it from a wheel, not from this folder: every module and asset
is in the wheel, and the wheel alone imports, traces and draws. (The editable install that
`make` makes puts this folder on sys.path, so a package missing from pyproject.toml would go
unnoticed by every other test.)"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("autograd", "nn")
ASSETS = {".js", ".html", ".css", ".txt", ".md", ".typed"}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("setuptools")
    out = tmp_path_factory.mktemp("wheel")
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    assert "is absent from the" not in build.stderr  # setuptools' warning for a missed package
    [made] = out.glob("stepgrad-*.whl")
    return made


def _files_here() -> set[str]:
    found = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*"):
            if "__pycache__" in path.parts or not path.is_file():
                continue
            if path.suffix == ".py" or path.suffix in ASSETS or path.name == "py.typed":
                found.add(path.relative_to(ROOT).as_posix())
    return found


def test_the_wheel_holds_every_module_and_asset_of_the_packages(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        inside = set(archive.namelist())
    missing = sorted(_files_here() - inside)
    assert not missing, f"not in the wheel (add their packages to pyproject.toml): {missing[:10]}"
    assert "autograd/compile/program.py" in inside and "nn/data/names.txt" in inside


def test_the_wheel_alone_imports_traces_and_reads_its_data(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    install = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stderr[-2000:]
    code = (
        "import autograd, nn, nn.datasets\n"
        f"assert autograd.__file__.startswith({str(target)!r}), autograd.__file__\n"
        "prog = autograd.trace(lambda x: (x * x).tanh(), 0.5)\n"
        "print(prog.grad(0.5)[1][0], len(nn.datasets.names()), nn.Studio.__name__)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}  # not this folder: the wheel's files only
    run = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    slope, names, studio = run.stdout.split()
    import math

    assert float(slope) == pytest.approx(2 * 0.5 * (1 - math.tanh(0.25) ** 2), rel=1e-15)
    assert int(names) == 5163 and studio == "Studio"
