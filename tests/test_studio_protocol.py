"""The Studio's message protocol: every message the view can send goes through one validator
with the Python API's own rules, is answered (always, with one short error when refused) and,
when refused, changes nothing. Driven through the widget's comm entry point, as a browser's
message arrives, and through a headless Session."""

from __future__ import annotations

import copy
import json
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nn import MLP, Studio
from nn.studio_protocol import MESSAGES, Session, validate

Reply = dict[str, Any]


def state(studio: Studio) -> tuple[Any, ...]:
    """Everything a message could change, to compare before and after."""
    return (
        studio.X,
        studio.y,
        studio.is_test,
        studio.selected,
        studio.steps,
        studio.lr,
        studio.l2,
        studio.test,
        studio.dataset,
        studio.noise,
        studio.inputs,
        repr(studio.model),
        copy.deepcopy(studio.model.state_dict()),
    )


class Wire:
    """A Session whose replies land in a list."""

    def __init__(self, studio: Studio) -> None:
        self.sent: list[Reply] = []
        self.session = Session(studio, lambda reply, buffers: self.sent.append(reply))

    def ask(self, message: Any) -> list[Reply]:
        self.sent.clear()
        self.session.handle(message)
        return list(self.sent)


@pytest.fixture
def studio() -> Studio:
    studio = Studio.preset("moons", hidden=[4], n=20)
    studio.step(3)
    return studio


def widget_ask(view: Any, message: Any) -> list[Reply]:
    """Deliver `message` as the browser's comm does (ipywidgets' own entry point), and return
    what the widget sent back."""
    sent: list[Reply] = []
    view.send = lambda content, buffers=None: sent.append(content)
    view._handle_custom_msg(message, [])
    return sent


# ---- issue 22, item 2: the holes, through the widget's comm ----


@pytest.mark.parametrize(
    "message",
    [
        {"type": "select", "index": math.inf},
        {"type": "show", "step": math.inf},
        {"type": "play", "steps": math.inf},
        {"type": "remove", "index": math.inf},
        {"type": "select", "index": -math.inf},
        {"type": "show", "step": math.nan},
    ],
)
def test_an_infinite_number_gets_one_error_reply_through_the_widget_and_changes_nothing(
    studio: Studio, message: Reply
) -> None:
    pytest.importorskip("anywidget")
    view = studio.view()
    before = state(studio)
    (reply,) = widget_ask(view, message)
    assert reply["type"] == "error" and reply["error"] == "TypeError"
    assert reply["field"] == next(k for k in message if k != "type")
    assert state(studio) == before


@pytest.mark.parametrize("index", [True, False, 1.9, 1.0, "1", None, [1], {"i": 1}])
def test_an_index_that_is_not_an_int_is_refused_as_remove_point_refuses_it(
    studio: Studio, index: Any
) -> None:
    pytest.importorskip("anywidget")
    view = studio.view()
    before = state(studio)
    with pytest.raises(TypeError) as refused:
        studio.remove_point(index)
    (reply,) = widget_ask(view, {"type": "remove", "index": index})
    assert reply == {
        "type": "error",
        "request": "remove",
        "field": "index",
        "error": "TypeError",
        "text": str(refused.value),
    }
    assert state(studio) == before and len(studio.y) == 20


def test_an_unknown_ten_megabyte_message_gets_a_short_error_that_does_not_echo_it(
    studio: Studio,
) -> None:
    pytest.importorskip("anywidget")
    view = studio.view()
    huge = "x" * 10_000_000
    for message in ({"type": huge}, {"type": "lr", "value": huge}, {"type": "hello", huge: 1}):
        (reply,) = widget_ask(view, message)
        assert reply["type"] == "error"
        assert len(json.dumps(reply)) < 500, len(json.dumps(reply))
    (reply,) = widget_ask(view, [huge])
    assert reply["type"] == "error" and len(json.dumps(reply)) < 500


# ---- the one validator: the API's own rules, field by field ----

# (message type, field, bad value, the Studio call that must refuse it the same way)
REFUSED = [
    ("select", "index", 20, lambda s: s.select(20)),
    ("select", "index", -21, lambda s: s.select(-21)),
    ("select", "index", 2.0, lambda s: s.select(2.0)),
    ("remove", "index", 99, lambda s: s.remove_point(99)),
    ("show", "step", 4, lambda s: s.snapshot(4)),
    ("show", "step", "3", lambda s: s.snapshot("3")),
    ("show", "step", True, lambda s: s.snapshot(True)),
    ("reset", "seed", 1.5, lambda s: s.reset(1.5)),
    ("reset", "seed", True, lambda s: s.reset(True)),
    ("lr", "value", -0.1, lambda s: setattr(s, "lr", -0.1)),
    ("lr", "value", math.inf, lambda s: setattr(s, "lr", math.inf)),
    ("lr", "value", "0.1", lambda s: setattr(s, "lr", "0.1")),
    ("lr", "value", None, lambda s: setattr(s, "lr", None)),
    ("add", "x", [0.1], lambda s: s.add_point([0.1], 1.0)),
    ("add", "x", [0.1, math.inf], lambda s: s.add_point([0.1, math.inf], 1.0)),
    ("add", "x", "ab", lambda s: s.add_point("ab", 1.0)),
    ("add", "target", 0.5, lambda s: s.add_point([0.1, 0.2], 0.5)),
    ("add", "target", True, lambda s: s.add_point([0.1, 0.2], True)),
    ("play", "steps", 0, lambda s: s.step(0)),
    ("play", "steps", 1.5, lambda s: s.step(1.5)),
    ("dataset", "name", "blobs", lambda s: s.use_preset("blobs")),
    ("dataset", "name", 3, lambda s: s.use_preset(3)),
]


@pytest.mark.parametrize(("kind", "field", "value", "call"), REFUSED)
def test_each_field_is_refused_with_the_error_the_studio_method_raises(
    studio: Studio, kind: str, field: str, value: Any, call: Any
) -> None:
    with pytest.raises((TypeError, ValueError, IndexError)) as refused:
        call(studio)
    wire = Wire(studio)
    before = state(studio)
    message = {"type": kind, field: value}
    if kind == "add":
        message = {"type": "add", "x": [0.1, 0.2], "target": 1.0, field: value}
    (reply,) = wire.ask(message)
    assert reply["type"] == "error" and reply["field"] == field and reply["request"] == kind
    assert reply["error"] == type(refused.value).__name__
    assert reply["text"] == str(refused.value)
    assert state(studio) == before


def test_a_message_may_carry_an_id_that_every_reply_returns(studio: Studio) -> None:
    wire = Wire(studio)
    replies = wire.ask({"type": "hello", "id": 7})
    assert [r["type"] for r in replies] == ["setup", "settings", "data", "frame"]
    assert all(r["reply_to"] == 7 for r in replies)
    (error,) = wire.ask({"type": "select", "index": "x", "id": 8})
    assert error["type"] == "error" and error["reply_to"] == 8
    (error,) = wire.ask({"type": "select", "index": 1, "id": -1})
    assert error["field"] == "id" and "reply_to" not in error
    (error,) = wire.ask({"type": "select", "index": 1, "id": 2**53})
    assert error["field"] == "id"


@pytest.mark.parametrize(
    ("message", "field", "words"),
    [
        ({"type": "select"}, "index", "select needs index"),
        ({"type": "select", "index": 1, "extra": 2}, "extra", "unknown field"),
        ({}, "type", "type must be one of"),
        ({"type": 3}, "type", "type must be one of"),
        ("hello", "", "a message must be a JSON object"),
        (None, "", "a message must be a JSON object"),
    ],
)
def test_a_malformed_message_names_what_is_wrong(
    studio: Studio, message: Any, field: str, words: str
) -> None:
    (reply,) = Wire(studio).ask(message)
    assert reply["type"] == "error" and reply["field"] == field and words in reply["text"]


def test_a_method_that_fails_after_validation_still_answers_with_one_error(
    studio: Studio,
) -> None:
    lonely = Studio(MLP(2, [3, 1], seed=0), [[0.0, 1.0]], [1.0])
    wire = Wire(lonely)
    (reply,) = wire.ask({"type": "remove", "index": 0})  # the last sample: ValueError
    assert reply["type"] == "error" and "last sample" in reply["text"]
    assert len(lonely.y) == 1


def test_valid_messages_answer_as_the_table_says(studio: Studio) -> None:
    wire = Wire(studio)
    (frame,) = wire.ask({"type": "play", "steps": 2})
    assert frame["type"] == "frame" and studio.steps == 5
    (frame,) = wire.ask({"type": "step"})
    assert frame["type"] == "frame" and studio.steps == 6
    (past,) = wire.ask({"type": "show", "step": 2})
    assert past["type"] == "frame" and past["step"] == 2 and "points" in past
    (frame,) = wire.ask({"type": "select", "index": -1})  # shown at the step on view: 2
    assert frame["type"] == "frame" and frame["step"] == 2 and frame["sample"]["index"] == 19
    assert studio.selected == 19
    (reply,) = wire.ask({"type": "lr", "value": 0.05})
    assert reply["type"] == "settings" and reply["lr"] == 0.05 and studio.lr == 0.05
    data, frame = wire.ask({"type": "add", "x": [0.25, -0.5], "target": -1})
    assert len(studio.y) == 21 and studio.X[-1] == [0.25, -0.5] and studio.y[-1] == -1.0
    assert (data["type"], frame["type"], frame["step"]) == ("data", "frame", 6)
    wire.ask({"type": "remove", "index": 20})
    assert len(studio.y) == 20
    data, frame = wire.ask({"type": "reset", "seed": None})
    assert studio.steps == 0 and data["steps"] == 0
    replies = wire.ask({"type": "dataset", "name": "xor"})
    assert [r["type"] for r in replies] == ["data", "frame", "settings"]
    assert studio.dataset == "xor" and replies[2]["dataset"] == "xor"


# ---- whatever comes, one reply and no exception ----

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(sorted(MESSAGES)), values=st.dictionaries(st.sampled_from(
    ["index", "step", "steps", "seed", "value", "x", "target", "name", "id", "other", "test",
     "noise", "hidden", "activation", "inputs", "on", "layer"]), JSON, max_size=3))  # fmt: skip
def test_any_message_gets_at_least_one_reply_and_a_refused_one_changes_nothing(
    kind: str, values: dict[str, Any]
) -> None:
    studio = Studio.preset("xor", hidden=[3], n=12)
    studio.step(2)
    wire = Wire(studio)
    message = {"type": kind, **values}
    before = state(studio)
    try:
        validate(studio, message)
        refused = False
    except Exception:  # noqa: BLE001 - the validator's only way to refuse
        refused = True
    replies = wire.ask(message)
    assert replies, message
    if refused:
        assert [r["type"] for r in replies] == ["error"] and state(studio) == before
        assert len(json.dumps(replies[0])) < 600
    assert all(np.isfinite(p.data) for p in studio.model.parameters())


# ---- the protocol as written down ----

EXAMPLES: dict[str, dict[str, Any]] = {  # one valid message of each type
    "hello": {},
    "play": {"steps": 2},
    "step": {},
    "reset": {"seed": 3},
    "lr": {"value": 0.05},
    "l2": {"value": 0.001},
    "show": {"step": 1},
    "select": {"index": 4},
    "add": {"x": [0.1, 0.2], "target": -1, "test": True},
    "remove": {"index": 0},
    "split": {"test": 0.3},
    "dataset": {"name": "circles", "noise": 0.2},
    "network": {"hidden": [3, 2], "activation": "tanh", "inputs": ["x1", "x2", "x1*x2"]},
    "maps": {"on": False},
    "graph": {"step": 1},
    "neuron": {"layer": 0, "index": 1, "step": None},
}


@pytest.mark.parametrize("kind", sorted(MESSAGES))
def test_each_message_is_answered_with_the_replies_the_docs_name(kind: str) -> None:
    from nn.studio_protocol import ANSWERS

    if kind in ("graph", "neuron"):
        pytest.importorskip("graphviz")
    studio = Studio.preset("moons", hidden=[4], n=20)
    studio.step(3)
    replies = Wire(studio).ask({"type": kind, **EXAMPLES[kind]})
    want = [part.split(" (")[0] for part in ANSWERS[kind].split(", ")]
    assert [r["type"] for r in replies] == want, replies[-1]
    if kind in ("graph", "neuron"):
        assert "html" in replies[0], replies[0].get("error")


def test_the_docs_page_holds_the_protocols_tables_as_the_code_has_them() -> None:
    from tools.studio_protocol_doc import PAGE, render

    text = PAGE.read_text(encoding="utf-8")
    assert render(text) == text, "run python -m tools.studio_protocol_doc"
    assert sorted(EXAMPLES) == sorted(MESSAGES)
    mkdocs = (PAGE.parent.parent / "mkdocs.yml").read_text()
    assert "studio-protocol.md" in mkdocs


def test_a_closed_view_stops_watching_its_studio_and_a_new_one_can_be_asked_for() -> None:
    pytest.importorskip("anywidget")
    studio = Studio.preset("xor", hidden=[2], n=10)
    view = studio.view()
    assert studio.watched and studio.view() is view
    view.close()
    assert not studio.watched  # the session let go of the Studio
    studio.step()  # nothing to tell: no error
    again = studio.view()
    assert again is not view and studio.watched


@pytest.mark.parametrize(
    ("top", "axis"),
    [(0.0, 1.0), (0.93, 1.0), (1.0, 1.0), (1.2, 2.0), (2.1, 2.5), (3.0, 5.0), (6.0, 10.0),
     (0.012, 0.02), (0.0024, 0.0025), (7e-12, 1e-11), (2e5, 2e5)],
)  # fmt: skip
def test_the_loss_axis_is_the_round_number_at_or_above_the_largest_loss(
    top: float, axis: float
) -> None:
    from nn.studio_protocol import highest_loss, loss_axis

    assert loss_axis(top) == pytest.approx(axis, rel=1e-12)
    studio = Studio.preset("moons", hidden=[3], n=20)
    assert Wire(studio).ask({"type": "hello"})[2]["axis"] == 1.0  # no step yet: 0 to 1
    studio.step(4)
    rows = [[1, 9.0, 0.5, 0.7, None, None, 0], [2, None, 0.4, None, None, None, 0]]
    assert highest_loss(rows) == 0.7  # data and test losses, not the L2 total
