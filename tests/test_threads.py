"""Threads and asyncio tasks: grad mode and anomaly mode per thread, walks over shared nodes.

Each test makes the interleaving that broke the engine happen on purpose (with events, or with
a tiny switch interval), and checks each thread's results against a single-threaded oracle.
"""

from __future__ import annotations

import asyncio
import gc
import math
import sys
import threading
from collections.abc import Callable, Iterator

import pytest

from autograd import Value, detect_anomaly, grad, is_grad_enabled, no_grad
from nn import MLP


@pytest.fixture
def tiny_switch_interval() -> Iterator[None]:
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def run_threads(*targets: Callable[[], None]) -> None:
    errors: list[BaseException] = []

    def guarded(target: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                target()
            except BaseException as error:  # reported in the main thread
                errors.append(error)

        return run

    threads = [threading.Thread(target=guarded(t)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if errors:
        raise errors[0]


def test_no_grad_in_one_thread_does_not_stop_another_from_recording() -> None:
    inside, built = threading.Event(), threading.Event()
    seen: dict[str, object] = {}

    def evaluator() -> None:
        with no_grad():
            inside.set()
            built.wait(10)
            seen["evaluator"] = (Value(1.0) * 2).op

    def trainer() -> None:
        inside.wait(10)
        seen["trainer"] = (Value(1.0) * 2).op
        seen["trainer enabled"] = is_grad_enabled()
        built.set()

    run_threads(evaluator, trainer)
    assert seen == {"evaluator": "", "trainer": "*", "trainer enabled": True}


def test_interleaved_enters_and_exits_in_two_threads_leave_every_thread_as_it_was() -> None:
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    after: dict[str, bool] = {}

    def first() -> None:
        with no_grad():
            a_in.set()
            b_in.wait(10)
        after["first"] = is_grad_enabled()
        a_out.set()

    def second() -> None:
        a_in.wait(10)
        with no_grad():
            b_in.set()
            a_out.wait(10)  # the other thread leaves first
        after["second"] = is_grad_enabled()

    run_threads(first, second)
    assert after == {"first": True, "second": True} and is_grad_enabled()


def test_one_no_grad_object_shared_by_threads_restores_each_threads_mode() -> None:
    shared = no_grad()
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    after: dict[str, bool] = {}

    def first() -> None:
        with shared:
            a_in.set()
            b_in.wait(10)
        after["first"] = is_grad_enabled()
        a_out.set()

    def second() -> None:
        a_in.wait(10)
        with shared:
            b_in.set()
            a_out.wait(10)
            after["second inside"] = is_grad_enabled()
        after["second"] = is_grad_enabled()

    run_threads(first, second)
    assert after == {"first": True, "second inside": False, "second": True}


def test_anomaly_mode_in_one_thread_does_not_raise_in_another() -> None:
    inside, done = threading.Event(), threading.Event()
    seen: dict[str, object] = {}

    def checker() -> None:
        with detect_anomaly():
            inside.set()
            done.wait(10)
            try:
                Value(0.0).log()
            except FloatingPointError:
                seen["checker raised"] = True

    def other() -> None:
        inside.wait(10)
        seen["other"] = Value(0.0).log().data  # -inf, quietly, as outside anomaly mode
        done.set()

    run_threads(checker, other)
    assert seen == {"other": -math.inf, "checker raised": True}


def test_grad_mode_is_per_asyncio_task() -> None:
    async def evaluate(inside: asyncio.Event, built: asyncio.Event) -> str:
        with no_grad():
            inside.set()
            await built.wait()
            return (Value(1.0) + 1).op

    async def train(inside: asyncio.Event, built: asyncio.Event) -> str:
        await inside.wait()
        op = (Value(1.0) + 1).op
        built.set()
        return op

    async def main() -> list[str]:
        inside, built = asyncio.Event(), asyncio.Event()
        return list(await asyncio.gather(evaluate(inside, built), train(inside, built)))

    assert asyncio.run(main()) == ["", "+"]


def test_threads_sharing_a_models_parameters_backprop_correctly(tiny_switch_interval) -> None:  # type: ignore[no-untyped-def]
    model = MLP(3, [8, 8, 1], seed=4)
    params = model.parameters()
    points = [[0.1 * k, -0.2 * k, 0.05 * k * k] for k in range(1, 7)]

    def gradients(x: list[float]) -> list[float]:
        return grad((model(x) - 1.0) ** 2, params)

    expected = [gradients(x) for x in points]  # one thread: the oracle
    failures: list[str] = []

    def worker(k: int) -> Callable[[], None]:
        def run() -> None:
            for _ in range(20):
                got = gradients(points[k])
                if got != expected[k]:
                    failures.append(f"thread {k} got other gradients")

        return run

    run_threads(*[worker(k) for k in range(len(points))])
    assert failures == []


def test_backward_in_threads_with_shared_leaves_fills_each_threads_own_nodes(
    tiny_switch_interval,
) -> None:  # type: ignore[no-untyped-def]
    shared = [Value(0.1 * k) for k in range(30)]

    def make(offset: float) -> tuple[Value, list[Value]]:
        mine = [Value(offset + k) for k in range(30)]
        out = sum(((a * b).tanh() for a, b in zip(shared, mine)), Value(0.0))
        return out, mine

    def run(offset: float) -> Callable[[], None]:
        def body() -> None:
            for _ in range(60):
                out, mine = make(offset)
                out.backward()  # writes .grad on shared leaves too: those we do not check
                for a, b in zip(shared, mine):
                    expected = a.data * (1.0 - math.tanh(a.data * b.data) ** 2)
                    assert math.isclose(b.grad, expected, rel_tol=1e-12), (b.grad, expected)

        return body

    run_threads(*[run(float(k)) for k in range(4)])


def test_a_graph_made_in_anomaly_mode_is_freed_when_dropped() -> None:
    def live_values() -> int:
        gc.collect()
        return sum(1 for o in gc.get_objects() if type(o) is Value)

    with detect_anomaly():
        before = live_values()
        for _ in range(3):
            x = Value(0.5)
            y = x
            for _ in range(2000):
                y = (y * 1.0001).tanh()
            y.backward()
            del x, y
        still_inside = live_values()  # today's bug kept every node alive until the mode ended
    assert still_inside - before < 10


def test_closing_no_grad_before_an_anomaly_mode_opened_inside_it_keeps_each_mode_right() -> None:
    # found by review: generators closed out of order mixed up the two modes
    def holding(switch):  # type: ignore[no-untyped-def]
        with switch:
            yield

    from autograd import value

    a, b = holding(no_grad()), holding(detect_anomaly())
    next(a)
    next(b)
    a.close()  # no_grad ends first; detect_anomaly is still open
    assert is_grad_enabled() and value._get_mode() & value.ANOMALY
    b.close()
    assert is_grad_enabled() and not value._get_mode() & value.ANOMALY
