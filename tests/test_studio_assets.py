"""The Studio's script and palette: the view's ES modules (nn/assets/studio/) link into one
module in two strict import and export forms, each is valid JavaScript (checked by Node where it
is installed), none holds a colour of its own (the palette comes from Python), and every picture
the project makes takes its class and sign colours from autograd.viz.palette."""

from __future__ import annotations

import re
import shutil
import subprocess
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from autograd.viz import palette
from nn import Studio
from nn.studio_protocol import MODULES, script, setup_message

ROOT = Path(__file__).resolve().parent.parent
ASSETS = resources.files("nn.assets")


def module(name: str) -> str:
    return ASSETS.joinpath(f"studio/{name}.js").read_text(encoding="utf-8")


def test_every_module_is_linked_and_each_imports_only_what_another_exports() -> None:
    found = sorted(p.name[:-3] for p in (ROOT / "nn" / "assets" / "studio").glob("*.js"))
    assert found == sorted(MODULES)
    exports = {
        name: set(re.findall(r"^export (?:function|const|let|class) (\w+)", module(name), re.M))
        for name in MODULES
    }
    for name in MODULES:
        for names, source in re.findall(
            r'^import \{([^}]*)\} from "\./(\w+)\.js";$', module(name), re.M
        ):
            wanted = {n.strip() for n in names.split(",")}
            assert wanted <= exports[source], (name, source, wanted - exports[source])
            assert MODULES.index(source) < MODULES.index(name)  # linked before it is read
    linked = script()
    assert "import " not in re.sub(r"//.*", "", linked).replace("import {", "")
    assert linked.count("export default { render };") == 1


def test_the_linker_refuses_an_import_or_export_it_does_not_read(monkeypatch: Any) -> None:
    import nn.studio_protocol as protocol

    for line, what in [
        ('import * as common from "./common.js";', "import"),
        ('import { el } from "https://example.com/x.js";', "import"),
        ("export { fmt };", "export"),
    ]:
        sources = {name: module(name) for name in MODULES}
        sources["chart"] = line + "\n" + sources["chart"]
        monkeypatch.setattr(protocol, "_module", lambda name, s=sources: s[name])
        with pytest.raises(ValueError, match=f"an {what} the linker does not read"):
            script()


@pytest.mark.skipif(shutil.which("node") is None, reason="Node is not installed")
def test_each_module_and_the_linked_script_are_valid_javascript(tmp_path: Path) -> None:
    for name in MODULES:
        (tmp_path / f"{name}.mjs").write_text(module(name))
    (tmp_path / "linked.mjs").write_text(script())
    for path in tmp_path.iterdir():
        run = subprocess.run(["node", "--check", str(path)], capture_output=True, text=True)
        assert run.returncode == 0, (path.name, run.stderr)


def test_the_scripts_hold_no_colour_of_their_own_and_python_sends_the_palette() -> None:
    for name in MODULES:
        text = module(name)
        colours = set(re.findall(r"#[0-9a-fA-F]{6}\b", text))
        channels = {c: [int(c[i : i + 2], 16) for i in (1, 3, 5)] for c in colours}
        greys = {c for c, rgb in channels.items() if max(rgb) - min(rgb) <= 40}  # ink, paper
        ink = {"#2563eb", "#16a34a"}  # the chart's cursor and accuracy lines (not a class)
        assert colours - greys - ink == set(), (name, colours - greys - ink)
    setup = setup_message(Studio.preset("xor", hidden=[2], n=10))
    assert setup["palette"] == palette.as_dict()
    assert setup["palette"]["negative"] == palette.CLASSES[0] == palette.class_color(-1)
    assert setup["palette"]["positive"] == palette.CLASSES[1] == palette.class_color(1)
    assert (
        palette.class_color(0) == palette.NEGATIVE
        and palette.class_color(2, 3) == palette.CLASSES[2]
    )


def test_the_page_drawings_and_demos_read_the_one_palette() -> None:
    from autograd.viz.dot import COLORS

    assert {r: COLORS[r] for r in palette.ROLES} == palette.ROLES
    assert COLORS["highlight"] == palette.HIGHLIGHT
    page = re.sub(r"/\*.*?\*/", "", (ROOT / "autograd/viz/assets/page.css").read_text(), flags=re.S)
    for phase in palette.PHASES:  # the phases' colours come from the data, not the sheet
        assert re.search(rf"--sg-{phase}\s*:", page) is None
    demos = {p.name: p.read_text() for p in (ROOT / "demos").glob("*.py")}
    for name in ("moons.py", "spiral.py", "xor.py", "recurrent_backprop.py"):
        text = demos[name]
        assert "coolwarm" not in text and "RdBu" not in text, name
        assert "palette" in text or "diverging(plt)" in text, name


def test_the_widget_and_the_protocol_call_only_the_studios_public_methods_and_back() -> None:
    import ast

    def private_uses(path: Path, owner: str) -> list[str]:
        found = []
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
                base = node.value
                name = base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", "")
                if name == owner and not node.attr.startswith("__"):
                    found.append(f"{path.name}:{node.lineno} {owner}.{node.attr}")
        return found

    nn = ROOT / "nn"
    assert private_uses(nn / "studio_protocol.py", "studio") == []
    assert private_uses(nn / "_studio_widget.py", "studio") == []
    assert private_uses(nn / "_studio_widget.py", "session") == []
    # the Studio's side: only IPython's display hook, which Jupyter itself calls by that name
    uses = [use.split(" ")[1] for use in private_uses(nn / "studio.py", "view")]
    assert uses == ["view._repr_mimebundle_"]
