"""Writes nn/data/names.txt, the first names that `nn.datasets.names()` loads, from their source.

The source is the 1990 US Census first-name lists, `dist.female.first` and `dist.male.first`,
as the PyPI package `names` 0.3.0 (Trey Hunner, MIT licence for its code) ships them; its
README says "Data in the following files are public domain (derived from 1990 Census data)".
This script fetches that package's source archive with pip (the ordinary client), checks the
archive's SHA-256, and writes every distinct name once, lowercase, in alphabetical order, one
a line: 5,163 names of 2 to 11 letters a-z.

    $ python tools/make_names.py            # rewrite nn/data/names.txt
    $ python tools/make_names.py --check    # exit 1 if the file differs from what it would write
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "nn" / "data" / "names.txt"
PACKAGE = "names==0.3.0"
ARCHIVE = "names-0.3.0.tar.gz"
SHA256 = "726e46254f2ed03f1ffb5d941dae3bc67c35123941c29becd02d48d0caa2a671"
LISTS = ("names-0.3.0/names/dist.female.first", "names-0.3.0/names/dist.male.first")


def fetch(folder: Path) -> Path:
    """Download the source archive into `folder` with pip; return its path, checked."""
    subprocess.run(
        [sys.executable, "-m", "pip", "download", PACKAGE, "--no-deps", "--no-binary", ":all:",
         "--no-build-isolation", "-q", "-d", str(folder)],
        check=True,
    )  # fmt: skip
    archive = folder / ARCHIVE
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    if digest != SHA256:
        raise SystemExit(f"{ARCHIVE} has SHA-256 {digest}, expected {SHA256}: not the same file")
    return archive


def names_text(archive: Path) -> str:
    """The file's text: each list's first column (the name), lowercase, distinct, sorted."""
    found: set[str] = set()
    with tarfile.open(archive) as tar:
        for member in LISTS:
            data = tar.extractfile(member)
            if data is None:
                raise SystemExit(f"{ARCHIVE} has no file {member}")
            for line in data.read().decode("ascii").splitlines():
                if line.strip():
                    found.add(line.split()[0].lower())
    bad = sorted(n for n in found if not (n.isascii() and n.isalpha() and n.islower()))
    if bad:
        raise SystemExit(f"names that are not lowercase letters a-z: {bad[:5]}")
    return "".join(f"{name}\n" for name in sorted(found))


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory() as folder:
        text = names_text(fetch(Path(folder)))
    if argv == ["--check"]:
        same = TARGET.exists() and TARGET.read_text(encoding="ascii") == text
        print("up to date" if same else f"{TARGET} differs: run python tools/make_names.py")
        return 0 if same else 1
    TARGET.write_text(text, encoding="ascii")
    print(f"wrote {TARGET}: {text.count(chr(10)):,} names")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
