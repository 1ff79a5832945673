"""mkdocs hook: the site's notebooks come from notebooks/, and every page stays offline.

- `on_files` adds notebooks/*.ipynb to the site (mkdocs-jupyter runs and renders them), so the
  notebooks live in one place and the site cannot show a stale copy.
- `on_post_page` removes the script tags that nbconvert's template points at a CDN (MathJax,
  Mermaid, RequireJS: the notebooks use none of them), and fails the build if any page still
  loads a script, a stylesheet or a font from the network: the site must work from file://.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"

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
# a CDN address anywhere in the page, a script's string literal included
_CDN = re.compile(r"https?://(?:unpkg\.com|cdnjs\.cloudflare\.com|cdn\.jsdelivr\.net)[^\s\"'<>]*")


def on_post_page(output: str, page: Any, config: Any) -> str:
    output = _MERMAID.sub("", _CDN_SCRIPT.sub("", output))
    output = _MERMAID_MODULE.sub("", _WIDGET_RENDERER.sub("", output))
    remote = _REMOTE.findall(output) + _CDN.findall(output)
    if remote:
        raise PluginError(f"{page.file.src_uri} loads from the network: {remote[:3]}")
    return output
