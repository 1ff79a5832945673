"""Screenshot an animated backward-pass page after pressing Next a few times (for the README).

    $ python tools/screenshot_page.py docs/gallery/backprop.html docs/gallery/backprop_page.png 3
Needs playwright (pip install -e '.[browser]') and Debian's chromium.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright


def main() -> None:
    page_path, png_path = Path(sys.argv[1]), sys.argv[2]
    presses = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 1100, "height": 520})
        page.goto(page_path.resolve().as_uri())
        for _ in range(presses):
            page.click("#next")
        page.screenshot(path=png_path)
        browser.close()
    print(f"wrote {png_path}")


if __name__ == "__main__":
    main()
