"""The Studio as a local web app: watch a network learn, in your browser, served by Voilà.

Writes a one-cell notebook that shows `nn.Studio` (and a Voilà template that asks nothing of
the network) to a temporary folder, serves it with Voilà on 127.0.0.1, prints the address and
runs until Ctrl-C, which stops the server and its kernels and removes the folder. Needs the
`app` extra: pip install -e '.[app]' (anywidget and voila).

    $ python -m demos.studio
    $ python -m demos.studio --dataset spiral --hidden 16,16 --port 8866

Each page load gets a kernel of its own. Closing the page shuts it down (Voilà's page sends a
shutdown request as it unloads), and Voilà's culler (jupyter_server's MappingKernelManager
settings) shuts down any kernel that has had no page connected for --cull-after seconds (a tab
that crashed, a laptop that slept): kernels never pile up. A page left open keeps its kernel.

The terminal shows the address and nothing else; Voilà's log stays in the app. The page's
console is quiet too: the app's template drops the two notices every load would print that no
user can act on, webpack's "Unsatisfied version ... of shared singleton module @jupyterlab/..."
(Voilà 0.5 bundles JupyterLab 4.2, the widget extensions are built for newer ones, and the
bundled copy serves them well) and the kernel connection's "Starting WebSocket" debug line.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from nn.datasets import NAMES

DATASET = "moons"
HIDDEN = "16,16"
POINTS = 100
LEARNING_RATE = 0.1
START_TIMEOUT = 60.0  # seconds for Voilà to come up

CULL_AFTER = 120  # seconds a kernel may stay without a page before Voilà shuts it down

# Voilà's lab template links an icon font from a CDN; this one drops the two links (the app
# uses no icons), so the page asks nothing of the network; and it keeps the console free of
# the notices described above (exactly those, matched in full; everything else passes).
TEMPLATE = """{%- extends 'voila/templates/lab/index.html.j2' -%}
{%- block html_head_js -%}
<script>
{
  const quiet = [
    /^Unsatisfied version \\S+ from \\S+ of shared singleton module @jupyterlab\\/[\\w-]+ \\(required \\S+\\)$/,
    /^No satisfying version \\(\\S+\\) of shared module @jupyterlab\\/[\\w-]+ found in shared scope default\\.\\nAvailable versions: [^\\n]*$/,
    /^Starting WebSocket: wss?:\\/\\/127\\.0\\.0\\.1:\\d+\\/api\\/kernels\\/[\\w-]+$/
  ];
  for (const level of ["warn", "debug"]) {
    const original = console[level].bind(console);
    console[level] = (...parts) => {
      const text = parts.length === 1 && typeof parts[0] === "string" ? parts[0] : null;
      if (text === null || !quiet.some((pattern) => pattern.test(text))) original(...parts);
    };
  }
}
</script>
{{ super() }}
{%- endblock html_head_js -%}
{%- block notebook_css -%}
{{ super()
   | replace('<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@^5/css/all.min.css" type="text/css" />', '')
   | replace('<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@^5/css/v4-shims.min.css" type="text/css" />', '') }}
{%- endblock notebook_css -%}
"""  # noqa: E501 (the links must match Voilà's lines exactly)
TEMPLATE_NAME = "stepgrad-studio"
EXTENSIONS = [  # the widgets, their manager, and Voilà's own manager for ipywidgets 8 and 7
    "anywidget",
    "@jupyter-widgets/jupyterlab-manager",
    "@voila-dashboards/widgets-manager8",
    "@voila-dashboards/widgets-manager7",
]


def hidden_sizes(text: str) -> list[int]:
    """Parse --hidden: comma-separated layer widths such as 16,16."""
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--hidden takes layer widths such as 16,16; got {text!r}"
        ) from None
    if not sizes or any(not 1 <= s <= 256 for s in sizes):
        raise argparse.ArgumentTypeError(f"--hidden widths must be 1 to 256, got {text!r}")
    return sizes


def notebook(dataset: str, hidden: list[int], points: int, seed: int, lr: float) -> dict:
    """The app's notebook: a title and one cell that shows the Studio."""
    source = (
        "from nn import Studio\n\n"
        f"studio = Studio.preset({dataset!r}, hidden={hidden!r}, n={points}, seed={seed}, "
        f"lr={lr!r})\nstudio"
    )
    title = (
        "# stepgrad Studio\n\n"
        f"An `MLP(2, {[*hidden, 1]})` learning **{dataset}**. Press *play*; drag the timeline "
        "to go back; click a point to select it, empty space to add one."
    )
    return {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": title},
            {
                "cell_type": "code",
                "metadata": {},
                "source": source,
                "outputs": [],
                "execution_count": None,
            },
        ],
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def write_app(
    folder: Path,
    dataset: str = DATASET,
    hidden: list[int] | None = None,
    points: int = POINTS,
    seed: int = 0,
    lr: float = LEARNING_RATE,
) -> Path:
    """Write the notebook and the template into `folder`; return the notebook's path."""
    hidden = [16, 16] if hidden is None else hidden
    template = folder / "share" / "voila" / "templates" / TEMPLATE_NAME
    template.mkdir(parents=True, exist_ok=True)
    (template / "conf.json").write_text(json.dumps({"base_template": "lab"}), encoding="utf-8")
    (template / "index.html.j2").write_text(TEMPLATE, encoding="utf-8")
    path = folder / "studio.ipynb"
    path.write_text(json.dumps(notebook(dataset, hidden, points, seed, lr)), encoding="utf-8")
    return path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_voila(
    folder: Path, path: Path, port: int, cull_after: int = CULL_AFTER
) -> subprocess.Popen[str]:
    """Start Voilà on 127.0.0.1:port serving `path`, in a session of its own (so a Ctrl-C in the
    terminal reaches this script, which then stops Voilà, not Voilà's own shutdown prompt).
    A kernel with no page connected for `cull_after` seconds is shut down."""
    env = dict(os.environ)
    # the kernel's matrices are small: one BLAS thread each is fastest, and on a busy machine
    # OpenBLAS's spinning threads make a frame 5 to 20 times slower (as python -m benchmarks)
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    env["JUPYTER_PATH"] = os.pathsep.join(
        [str(folder / "share"), *filter(None, [env.get("JUPYTER_PATH")])]
    )
    command = [
        sys.executable,
        "-m",
        "voila",
        str(path),
        "--no-browser",
        f"--port={port}",
        "--Voila.ip=127.0.0.1",
        f"--template={TEMPLATE_NAME}",
        "--theme=light",
        # only the extensions the app needs: another lab extension in the environment (such
        # as jupytext's, which the docs extra brings) can fail to load in Voilà's page
        f"--VoilaConfiguration.extension_allowlist={json.dumps(EXTENSIONS)}",
        # the culler: kernels idle this long with no page connected go (a page open keeps its)
        f"--MappingKernelManager.cull_idle_timeout={cull_after}",
        f"--MappingKernelManager.cull_interval={max(1, min(60, cull_after // 2))}",
        "--MappingKernelManager.cull_connected=False",
        "--MappingKernelManager.cull_busy=False",
    ]
    return subprocess.Popen(
        command,
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def wait_until_serving(process: subprocess.Popen[str], timeout: float = START_TIMEOUT) -> str:
    """Read Voilà's log until it says where it runs; return the address (or raise)."""
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    lines = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            if process.poll() is not None:
                raise RuntimeError("Voilà stopped before serving:\n" + "".join(lines[-20:]))
            continue
        lines.append(line)
        match = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
        if match:
            return match.group(1)
    raise RuntimeError("Voilà did not start in time:\n" + "".join(lines[-20:]))


def stop(process: subprocess.Popen[str]) -> None:
    """Stop Voilà and its kernel: SIGTERM to its session, SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


@contextlib.contextmanager
def opened(
    dataset: str, hidden: list[int], points: int = POINTS, *, width: int = 1300, height: int = 1000
) -> Iterator[Any]:
    """Serve the app in a temporary folder and yield a playwright page showing it, at step 0
    (headless Chromium, for the gallery's picture and the benchmark); stop and clean up after.
    Needs the `app` and `browser` extras and Debian's chromium."""
    from playwright.sync_api import sync_playwright

    folder = Path(tempfile.mkdtemp(prefix="stepgrad-studio-"))
    process = start_voila(folder, write_app(folder, dataset, hidden, points), free_port())
    try:
        address = wait_until_serving(process)
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                args=["--no-sandbox", "--disable-gpu"],
            )
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(address)
            page.wait_for_function(
                "document.querySelector('.sgs')?.dataset.step === '0'", timeout=60_000
            )
            try:
                yield page
            finally:
                browser.close()
    finally:
        stop(process)
        shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    first, _, rest = (__doc__ or "").strip().partition("\n\n")
    p = argparse.ArgumentParser(
        description=first, epilog=rest, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--dataset", choices=NAMES, default=DATASET, help=f"default {DATASET}")
    p.add_argument(
        "--hidden", type=hidden_sizes, default=hidden_sizes(HIDDEN), help=f"default {HIDDEN}"
    )
    p.add_argument("--points", type=int, default=POINTS, help=f"default {POINTS}")
    p.add_argument("--seed", type=int, default=0, help="default 0")
    p.add_argument("--lr", type=float, default=LEARNING_RATE, help=f"default {LEARNING_RATE}")
    p.add_argument("--port", type=int, default=0, help="default: a free port")
    p.add_argument(
        "--cull-after",
        type=int,
        default=CULL_AFTER,
        metavar="SECONDS",
        help=f"shut down a kernel after this long with no page open (default {CULL_AFTER})",
    )
    args = p.parse_args(argv)
    try:
        import anywidget  # noqa: F401
        import voila  # noqa: F401
    except ImportError as error:
        sys.exit(f"the Studio app needs anywidget and voila: pip install -e '.[app]' ({error})")
    # a plain `kill` (SIGTERM) stops the app as Ctrl-C does: through the finally below; and
    # Ctrl-C works even where the shell started us with SIGINT ignored (`... &` in a script)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, signal.default_int_handler)
    folder = Path(tempfile.mkdtemp(prefix="stepgrad-studio-"))
    process = None
    try:
        path = write_app(folder, args.dataset, args.hidden, args.points, args.seed, args.lr)
        if args.cull_after < 1:
            p.error(f"--cull-after must be at least 1 second, got {args.cull_after}")
        process = start_voila(folder, path, args.port or free_port(), args.cull_after)
        address = wait_until_serving(process)
        print(f"stepgrad Studio: {address}  (Ctrl-C stops it)", flush=True)
        assert process.stdout is not None
        for _ in process.stdout:  # keep reading Voilà's log so its pipe never fills
            pass
    except KeyboardInterrupt:
        print("\nstopping", flush=True)
    finally:
        if process is not None:
            stop(process)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
