"""Interleaved timing: order of calls, medians, spreads, and the flags for an unsteady machine
and for modes that did different work (a fake clock makes the timings exact)."""

from __future__ import annotations

import pytest

from benchmarks.perf.interleave import Work, run_interleaved


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_rounds_interleave_modes_and_report_medians_and_spreads():
    clock, calls = FakeClock(), []
    durations = {"a": iter([1.0, 1.0, 1.2]), "b": iter([2.0, 6.0, 2.0])}  # b hit by a load burst once

    def mode(name):
        def call():
            calls.append(name)
            clock.now += next(durations[name])
            return Work(units=12, check=12)
        return call

    result = run_interleaved({"a": mode("a"), "b": mode("b")}, rounds=3, max_spread=0.5, clock=clock)
    assert calls == ["a", "b", "a", "b", "a", "b"]
    assert result.median("a") == pytest.approx(12.0) and result.median("b") == pytest.approx(6.0)
    assert result.ratio("a", "b") == pytest.approx(2.0)  # the burst does not move the median ratio
    assert result.spread("b") == pytest.approx((6 - 2) / 6)
    assert result.wide() == ["b"] and not result.trustworthy
    assert any("b spread" in line for line in result.lines("x/s"))


def test_unequal_work_is_flagged():
    clock = FakeClock()

    def mode(check):
        def call():
            clock.now += 1.0
            return Work(units=10, check=check)
        return call

    result = run_interleaved({"a": mode(100), "b": mode(90)}, rounds=2, clock=clock)
    assert result.unequal_work() == ["round 0: a 100, b 90", "round 1: a 100, b 90"]
    assert not result.trustworthy and result.summary()["unequal_work"]
    steady = run_interleaved({"a": mode(5), "b": mode(5)}, rounds=2, clock=clock)
    assert steady.trustworthy


def test_warmup_rounds_run_first_and_are_not_kept():
    clock, calls = FakeClock(), []

    def mode(name):
        def call():
            calls.append(name)
            clock.now += 1.0
            return Work(1)
        return call

    result = run_interleaved({"a": mode("a"), "b": mode("b")}, rounds=2, clock=clock, warmup=1)
    assert calls == ["a", "b"] * 3 and [(t.mode, t.round) for t in result.timings] == [
        ("a", 0), ("b", 0), ("a", 1), ("b", 1)]


def test_needs_rounds_and_modes():
    with pytest.raises(ValueError):
        run_interleaved({}, rounds=1)
    with pytest.raises(ValueError):
        run_interleaved({"a": lambda: Work(1)}, rounds=0)
