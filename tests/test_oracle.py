"""The recorded PyTorch numbers: they hold every case the tests use, survive JSON exactly, and are
what torch computes today (checked where torch is installed)."""

from __future__ import annotations

import importlib.util
import json
import math
import struct

import pytest

from tests.oracle import (
    RECORD_COMMAND,
    TORCH_VERSION,
    case_key,
    decode,
    encode,
    identical,
    load,
    recorded,
)
from tests.oracle.record import all_cases, write


def _bits(x: float) -> bytes:
    return struct.pack("<d", x)


@pytest.mark.parametrize(
    "x",
    [
        math.nan,
        math.inf,
        -math.inf,
        -0.0,
        0.0,
        5e-324,  # the smallest subnormal
        -2.2250738585072014e-308,  # the smallest normal
        1.7976931348623157e308,
        0.1,
        -1 / 3,
        math.pi,
        2.0611536879193953e-09,
        math.nextafter(20.0, 0.0),
    ],
)
def test_every_float_survives_the_json_round_trip_bit_for_bit(x: float) -> None:
    text = json.dumps(encode([x, [x, None]]), allow_nan=False)
    back = decode(json.loads(text))
    assert back[1][1] is None
    assert math.isnan(back[0]) if math.isnan(x) else _bits(back[0]) == _bits(x)
    assert math.isnan(back[1][0]) if math.isnan(x) else _bits(back[1][0]) == _bits(x)


def test_the_writer_keeps_every_float_and_key_exactly(tmp_path) -> None:  # type: ignore[no-untyped-def]
    numbers = {
        "k('nan', -0.0)": encode([math.nan, -0.0, 0.0, math.inf, -math.inf, 5e-324, 0.1]),
        "k2": encode([[1.0, None], []]),
    }
    path = tmp_path / "r.json"
    write(path, {"torch": "x"}, numbers)
    stored = json.loads(path.read_text())
    assert stored["torch"] == "x" and list(stored["cases"]) == list(numbers)
    back = decode(stored["cases"]["k('nan', -0.0)"])
    assert identical(back, [math.nan, -0.0, 0.0, math.inf, -math.inf, 5e-324, 0.1], rel=0.0)
    assert decode(stored["cases"]["k2"]) == [[1.0, None], []]
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]  # no temporary file left behind


@pytest.mark.parametrize("bad", [1, True, "1.0", object()])
def test_only_python_floats_can_be_recorded(bad: object) -> None:
    with pytest.raises(TypeError, match=type(bad).__name__):
        encode([1.0, bad])


def test_the_recording_holds_exactly_the_cases_the_tests_compare() -> None:
    expected = {case_key(fn, args) for fn, args in all_cases()}
    stored = set(load()["cases"])
    missing, extra = sorted(expected - stored), sorted(stored - expected)
    assert not missing and not extra, (
        f"tests/oracle/torch_float64.json is out of date: {len(missing)} cases not recorded "
        f"{missing[:3]}, {len(extra)} recorded but no longer used {extra[:3]}; "
        f"run `{RECORD_COMMAND}` with torch=={TORCH_VERSION}"
    )


def test_the_recording_names_the_torch_version_and_the_day_it_was_made() -> None:
    recording = load()
    assert recording["torch"].split("+")[0] == TORCH_VERSION
    assert len(recording["recorded"]) == 10 and recording["recorded"][4] == "-"
    assert recording["command"] == RECORD_COMMAND


def test_a_case_that_was_never_recorded_says_how_to_record_it() -> None:
    def never_recorded(torch):  # type: ignore[no-untyped-def]
        raise AssertionError("not called")

    with pytest.raises(LookupError, match="torch_cases.*tests.oracle.record"):
        recorded(never_recorded, 1.0)


@pytest.mark.skipif(
    importlib.util.find_spec("torch") is None,
    reason="torch is not installed: the recording cannot be recomputed here (CI does it)",
)
def test_the_recorded_numbers_are_what_torch_computes_today() -> None:
    import torch

    stale = []
    for fn, args in all_cases():
        key = case_key(fn, args)
        live = decode(encode(fn(torch, *args)))
        if not identical(recorded(fn, *args), live):
            stale.append(key)
    assert not stale, (
        f"{len(stale)} recorded cases differ from torch {torch.__version__} "
        f"(first: {stale[:3]}); run `{RECORD_COMMAND}` with torch=={TORCH_VERSION}"
    )
