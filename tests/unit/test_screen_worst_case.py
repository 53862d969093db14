"""The worst-case benchmark of model-text readers must itself find what it looks for: a reader
that hangs is reported as timed out (and the sweep goes on), one that raises is reported, and a
quadratic one shows a ratio near 4 between its two sizes while a linear one stays near 2."""

from __future__ import annotations

import time

from benchmarks.perf.screen_worst_case import Reader, Timed, readers, sweep, text_of


def _quadratic(text: str) -> int:
    return sum(text[:i].count("a") for i in range(0, len(text), 4))  # each step rescans the text before it


def _hangs_on_x(text: str) -> None:
    if "x" in text:
        while True:
            time.sleep(0.01)


def _raises(text: str) -> None:
    raise RuntimeError("boom")


def test_a_reader_that_hangs_is_killed_and_the_sweep_goes_on() -> None:
    rows = sweep(Reader("hangs", _hangs_on_x), [("", "x", ""), ("", "a", "")], size=100, timeout=1.0, floor=0.0)
    assert [r.timed_out for r in rows] == [True, False]
    assert rows[1].small is not None and rows[1].small >= 0


def test_a_reader_that_raises_is_reported() -> None:
    rows = sweep(Reader("raises", _raises), [("", "a", "")], size=10, timeout=5.0, floor=0.0)
    assert rows[0].raised and not rows[0].timed_out


def test_quadratic_growth_shows_in_the_ratio_of_the_two_sizes() -> None:
    timed = Timed(Reader("quadratic", _quadratic), timeout=30.0)
    try:  # the fastest of three at each size: the machine is shared
        small = min(timed.time("a" * 30_000) for _ in range(3))
        large = min(timed.time("a" * 60_000) for _ in range(3))
    finally:
        timed.close()
    assert small and large and large / small > 3.0


def test_inputs_have_the_prefix_then_whole_units_then_the_suffix() -> None:
    assert text_of("(*", "ab", 11) == "(*" + "ab" * 4
    assert text_of("(*", "ab", 11, "x") == "(*" + "ab" * 4 + "x"


def test_every_bridge_that_reads_model_text_is_covered() -> None:
    names = {r.name for r in readers()}
    assert {"coq screen", "lean screen", "lean final screen", "isabelle screen", "hol-light screen", "coq sketch", "lean sketch",
            "isabelle sketch", "coq whole proof", "lean whole proof", "coq output", "lean goals", "lean messages",
            "hol-light output", "isabelle try this"} <= names
    for reader in readers():  # each runs on an honest-looking text without raising
        reader.call("intros; lia.")
