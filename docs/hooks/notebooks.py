"""mkdocs hook: the site's notebooks come from notebooks/, and every page stays offline.

- `on_config` puts docs/hooks/jupyter/ on JUPYTER_CONFIG_PATH, so the nbconvert that runs the
  notebooks reads its settings there: their kernels talk over encrypted or local sockets, and
  none warns that it runs over plain TCP (the file says how).
- `on_files` adds notebooks/*.ipynb to the site (mkdocs-jupyter runs and renders them), so the
  notebooks live in one place and the site cannot show a stale copy.
- `on_post_page` removes the script tags that nbconvert's template points at a CDN (MathJax,
  Mermaid, RequireJS, the widget renderer: the notebooks need none of them), and fails the
  build if any page still loads a script, a stylesheet or a font from the network: the site
  must work from file://. Without the renderer a widget's view would be an empty output cell
  (a live widget needs a running kernel, which a page of the site does not have), so each
  view becomes a note that says so, and the widgets' saved state, which only the renderer
  reads, goes too.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
JUPYTER_CONFIG = Path(__file__).resolve().parent / "jupyter"  # jupyter_nbconvert_config.py


def on_config(config: Any) -> Any:
    paths = [str(JUPYTER_CONFIG), *filter(None, [os.environ.get("JUPYTER_CONFIG_PATH")])]
    os.environ["JUPYTER_CONFIG_PATH"] = os.pathsep.join(paths)
    return config


# <script src="https://..."> </script>, as nbconvert's mathjax and mermaid macros write them
_CDN_SCRIPT = re.compile(r"<script[^>]*\ssrc=\"https?://[^\"]*\"[^>]*>\s*</script>", re.I)
_MERMAID = re.compile(r"<script type=\"module\">\s*import mermaid from[^<]*</script>", re.I)
_REMOTE = re.compile(
    r"<(?:script|link|img|iframe)\b[^>]*\s(?:src|href)=\"(?:https?:)?//[^\"]+", re.I
)


@event_priority(100)  # before mkdocs-jupyter's on_files, which takes the notebooks from here
def on_files(files: Files, config: Any) -> Files:
    pages = {Path(f.src_uri).with_suffix("").as_posix() for f in files if f.src_uri.endswith(".md")}
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        if path.stem in pages:  # both would be written to <stem>.html: one would silently win
            raise PluginError(
                f"notebooks/{path.name} and docs/{path.stem}.md would both become "
                f"{path.stem}.html; rename one of them"
            )
        files.append(
            File(
                path.name,
                src_dir=str(NOTEBOOKS),
                dest_dir=config["site_dir"],
                use_directory_urls=config["use_directory_urls"],
            )
        )
    return files


# nbconvert's script that fetches the widget renderer from unpkg, and its mermaid module that
# imports mermaid from cdnjs when a page has a diagram (the notebooks have neither need here)
_WIDGET_RENDERER = re.compile(
    r"<script>\s*\(function\(\) \{\s*function addWidgetsRenderer\(\).*?</script>", re.S
)
_MERMAID_MODULE = re.compile(
    r"<script type=\"module\">(?:(?!</script>).)*?jp-Mermaid(?:(?!</script>).)*?</script>", re.S
)
# a widget's view as nbconvert writes it (a script the renderer would have drawn it from), and
# the widgets' state that only the renderer reads
_WIDGET_VIEW = re.compile(
    r"(<div class=\"jupyter-widgets jp-OutputArea-output[^\"]*\")[^>]*>\s*"
    r"<script type=\"text/javascript\">(?:(?!</script>).)*</script>\s*"
    r"<script type=\"application/vnd\.jupyter\.widget-view\+json\">(?:(?!</script>).)*</script>"
    r"\s*</div>",
    re.S,
)
_WIDGET_STATE = re.compile(
    r"<script type=\"application/vnd\.jupyter\.widget-state\+json\">(?:(?!</script>).)*</script>",
    re.S,
)
WIDGET_NOTE = (
    "<p><em>A live widget shows here when this notebook runs in Jupyter: it needs a running "
    "kernel, which this page does not have.</em></p>"
)
# a CDN address anywhere in the page, a script's string literal included
_CDN = re.compile(r"https?://(?:unpkg\.com|cdnjs\.cloudflare\.com|cdn\.jsdelivr\.net)[^\s\"'<>]*")


def on_post_page(output: str, page: Any, config: Any) -> str:
    output = _MERMAID.sub("", _CDN_SCRIPT.sub("", output))
    output = _MERMAID_MODULE.sub("", _WIDGET_RENDERER.sub("", output))
    output = _WIDGET_VIEW.sub(rf"\1>{WIDGET_NOTE}</div>", _WIDGET_STATE.sub("", output))
    remote = _REMOTE.findall(output) + _CDN.findall(output)
    if remote:
        raise PluginError(f"{page.file.src_uri} loads from the network: {remote[:3]}")
    return output
