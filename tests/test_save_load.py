"""Save files: version 2 carries a SHA-256 checksum of the parameters, version 1 still loads, and
every damaged or hostile file raises ValueError naming the file (and the parameter, where there is
one) and leaves the model exactly as it was."""

from __future__ import annotations

import hashlib
import json
import math
import os
import stat
from pathlib import Path

import numpy as np
import pytest

from nn import MLP

NAME = "layers.0.neurons.0.w.0"


def checksum(parameters: dict[str, float]) -> str:
    """The recipe the save format documents, written out independently of nn/module.py."""
    lines = "".join(f"{json.dumps(k)} {float(parameters[k])!r}\n" for k in sorted(parameters))
    return "sha256:" + hashlib.sha256(lines.encode("utf-8")).hexdigest()


def saved(tmp_path: Path, seed: int = 1) -> tuple[Path, dict]:  # type: ignore[type-arg]
    path = tmp_path / "m.json"
    MLP(2, [3, 1], seed=seed).save(path)
    return path, json.loads(path.read_text())


def test_a_save_file_is_version_2_with_the_documented_checksum(tmp_path: Path) -> None:
    model = MLP(2, [3, 1], seed=1)
    model.save(tmp_path / "m.json")
    document = json.loads((tmp_path / "m.json").read_text())
    assert (document["format"], document["version"]) == ("stepgrad.state_dict", 2)
    assert document["parameters"] == model.state_dict()
    assert document["checksum"] == checksum(model.state_dict())


def test_special_floats_round_trip_bit_for_bit(tmp_path: Path) -> None:
    model = MLP(2, [3, 1], seed=1)
    special = [-0.0, 5e-324, 1.7976931348623157e308, 0.1 + 0.2, -2.5e-310]
    for p, x in zip(model.parameters(), special):
        p.data = x
    model.save(tmp_path / "m.json")
    other = MLP(2, [3, 1], seed=2)
    other.load(tmp_path / "m.json")
    for p, q in zip(model.parameters(), other.parameters()):
        assert math.copysign(1, p.data) == math.copysign(1, q.data) and p.data == q.data


def test_a_version_1_file_without_a_checksum_still_loads(tmp_path: Path) -> None:
    # written by hand, as stepgrad 0.1 wrote them
    names = [name for name, _ in MLP(2, [3, 1], seed=0).named_parameters()]
    numbers = {name: k / 8 - 1 for k, name in enumerate(names)}
    document = {
        "format": "stepgrad.state_dict",
        "version": 1,
        "model": "MLP",
        "parameters": numbers,
    }
    (tmp_path / "old.json").write_text(json.dumps(document, indent=1))
    model = MLP(2, [3, 1], seed=5)
    model.load(tmp_path / "old.json")
    assert model.state_dict() == numbers


def test_loading_a_file_reformatted_or_with_integers_written_as_such_still_passes(
    tmp_path: Path,
) -> None:
    # the checksum covers the numbers, not the text: re-indenting, reordering the keys or writing
    # 1.0 as 1 (what a person editing by hand, or jq -S, does) keeps it valid
    path, document = saved(tmp_path)
    params = document["parameters"]
    params[NAME] = 1.0
    document["checksum"] = checksum(params)
    text = json.dumps(document, sort_keys=True)
    path.write_text(text.replace(f'"{NAME}": 1.0', f'"{NAME}": 1'))
    model = MLP(2, [3, 1], seed=9)
    model.load(path)
    assert model.state_dict()[NAME] == 1.0


def _with_param(document: dict, raw: str) -> bytes:  # type: ignore[type-arg]
    """The document's JSON with the first parameter's number replaced by raw text."""
    text = json.dumps(document)
    number = json.dumps(document["parameters"][NAME])
    return text.replace(f'"{NAME}": {number}', f'"{NAME}": {raw}', 1).encode()


def _resealed(document: dict, x: float) -> dict:  # type: ignore[type-arg]
    """The document with the first parameter set to x and a checksum that fits it."""
    parameters = {**document["parameters"], NAME: x}
    return {**document, "parameters": parameters, "checksum": checksum(parameters)}


def _deep(document: dict) -> bytes:  # type: ignore[type-arg]
    nested = "[" * 100_000 + "]" * 100_000
    return (
        json.dumps(document)
        .replace('"parameters": {', f'"parameters": {{"x": {nested}, ', 1)
        .encode()
    )


def _edited(document: dict) -> bytes:  # type: ignore[type-arg]
    return json.dumps({**document, "parameters": {**document["parameters"], NAME: 0.5}}).encode()


def _replace(old: str, new: str):  # type: ignore[no-untyped-def]
    return lambda document: json.dumps(document).replace(old, new, 1).encode("latin-1")


def _top(**changes: object):  # type: ignore[no-untyped-def]
    return lambda document: json.dumps({**document, **changes}).encode()


DAMAGE = [  # (case, how to damage the saved document, what the message must say)
    ("integer too large", lambda d: _with_param(d, "1" + "0" * 400), f"{NAME}.*too large"),
    ("huge digit string", lambda d: _with_param(d, "7" * 50_000), f"{NAME}.*50,000 digits"),
    ("float too large", lambda d: _with_param(_resealed(d, math.inf), "1e999"), f"{NAME}.*inf"),
    ("deeply nested", _deep, "nested too deeply"),
    ("not utf-8", _replace(NAME, "layers.\xff"), "UTF-8.*byte"),
    (
        "duplicate key",
        _replace('"parameters": {', f'"parameters": {{"{NAME}": 0.25, '),
        f"{NAME}.*twice",
    ),
    ("duplicate top key", _replace("{", '{"version": 2, '), "version.*twice"),
    ("version str", _top(version="2"), "version.*'2'"),
    ("version float", _top(version=2.0), "version.*2.0"),
    ("version bool", _top(version=True), "version.*True"),
    ("version unknown", _top(version=3), "version 3"),
    ("a number changed", _edited, "checksum"),
    ("no checksum", _top(checksum=None), "checksum"),
    ("bad checksum", _top(checksum="md5:00"), "checksum"),
    ("no model description", _replace('"model"', '"modal"'), "model"),
    ("bool value", lambda d: _with_param(d, "true"), f"{NAME}.*bool"),
    ("null value", lambda d: _with_param(d, "null"), f"{NAME}.*NoneType"),
    ("list value", lambda d: _with_param(d, "[1.0]"), f"{NAME}.*list"),
    ("empty", lambda d: b"", "not valid JSON"),
    ("not an object", lambda d: b"[1, 2]", "not a stepgrad save file"),
]


@pytest.mark.parametrize("case,damage,pattern", DAMAGE, ids=[c for c, _, _ in DAMAGE])
def test_every_damaged_file_raises_value_error_naming_file_and_parameter(
    tmp_path: Path, case: str, damage, pattern: str
) -> None:  # type: ignore[no-untyped-def]
    path, document = saved(tmp_path)
    path.write_bytes(damage(document))
    model = MLP(2, [3, 1], seed=2)
    before = model.state_dict()
    with pytest.raises(ValueError, match=pattern) as caught:
        model.load(path)
    assert str(path) in str(caught.value)
    assert model.state_dict() == before


def test_a_fifo_or_folder_is_refused_without_blocking(tmp_path: Path) -> None:
    model = MLP(2, [3, 1], seed=2)
    if os.name == "posix":
        os.mkfifo(tmp_path / "pipe")
        with pytest.raises(ValueError, match="FIFO"):
            model.load(tmp_path / "pipe")
    (tmp_path / "folder").mkdir()
    with pytest.raises(IsADirectoryError):
        model.load(tmp_path / "folder")


def test_a_missing_file_raises_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        MLP(2, [3, 1], seed=2).load(tmp_path / "nothing.json")


def test_load_state_dict_refuses_an_integer_too_large_for_a_float_by_name() -> None:
    model = MLP(2, [3, 1], seed=2)
    state = model.state_dict()
    before = dict(state)
    state[NAME] = 10**400
    with pytest.raises(ValueError, match=f"{NAME}.*too large for a float"):
        model.load_state_dict(state)
    assert model.state_dict() == before


def test_load_state_dict_takes_numpy_numbers() -> None:
    model = MLP(2, [3, 1], seed=2)
    state = {k: np.float32(0.5) if k == NAME else v for k, v in model.state_dict().items()}
    model.load_state_dict(state)
    assert model.state_dict()[NAME] == 0.5


def _bit_flips(path: Path, original: bytes, bits: range | None = None) -> dict[str, list[int]]:
    """Flip each bit of the file in turn (or those in `bits`) and load it into a model whose
    weights differ; list the bits by how each load ends."""
    reference = MLP(2, [2, 1], seed=1).state_dict()
    model = MLP(2, [2, 1], seed=7)
    before = model.state_dict()
    ends: dict[str, list[int]] = {
        "refused": [],
        "same numbers": [],
        "wrong numbers": [],
        "other error": [],
    }
    for k in bits or range(len(original) * 8):
        data = bytearray(original)
        data[k // 8] ^= 1 << (k % 8)
        path.write_bytes(bytes(data))
        try:
            model.load(path)
        except ValueError:
            ends["refused"].append(k)
            assert model.state_dict() == before  # unchanged
            continue
        except Exception:  # noqa: BLE001 - counted and asserted to be zero
            ends["other error"].append(k)
            continue
        loaded = model.state_dict()
        same = all(
            loaded[n] == reference[n] or (math.isnan(loaded[n]) and math.isnan(reference[n]))
            for n in reference
        )
        ends["same numbers" if same else "wrong numbers"].append(k)
        model.load_state_dict(before)
    return ends


def test_no_single_bit_flip_of_a_saved_file_loads_wrong_numbers_silently(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    model = MLP(2, [2, 1], seed=1)
    model.save(path)
    original = path.read_bytes()
    ends = _bit_flips(path, original)
    counts = {end: len(bits) for end, bits in ends.items()}
    assert counts["wrong numbers"] == 0 and counts["other error"] == 0, counts
    # What loads silently changed only the model's description (free text) or the case of an
    # exponent's "e": the numbers are the same.
    description = original.index(json.dumps(repr(model)).encode())
    harmless = set(range(8 * description, 8 * (description + len(repr(model)) + 2)))
    harmless |= {8 * i + 5 for i, byte in enumerate(original) if byte in b"eE"}
    assert set(ends["same numbers"]) <= harmless, counts
    assert counts["refused"] > 0.9 * len(original) * 8, counts


def test_without_the_checksum_bit_flips_would_slip_through(tmp_path: Path) -> None:
    # the same flips in the numbers of a version 1 file: the test above has something to catch
    path = tmp_path / "m.json"
    parameters = MLP(2, [2, 1], seed=1).state_dict()
    document = {
        "format": "stepgrad.state_dict",
        "version": 1,
        "model": "MLP(2, [2, 1])",
        "parameters": parameters,
    }
    original = json.dumps(document, indent=1).encode()
    start = original.index(b'"parameters"')
    ends = _bit_flips(path, original, range(8 * start, 8 * len(original)))
    assert len(ends["wrong numbers"]) > 0 and ends["other error"] == [], ends


def test_the_save_file_keeps_its_permissions_when_saved_again(tmp_path: Path) -> None:
    if os.name != "posix":
        pytest.skip("POSIX modes")
    path = tmp_path / "m.json"
    MLP(2, [3, 1], seed=1).save(path)
    os.chmod(path, 0o600)
    MLP(2, [3, 1], seed=2).save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_load_benchmark_runs_and_loads_every_size_back_exactly(capsys) -> None:  # type: ignore[no-untyped-def]
    from benchmarks.load import main

    main(["--quick"])
    rows = capsys.readouterr().out.strip().splitlines()[2:]
    assert [row.split()[0] for row in rows] == ["501", "2,751"]
