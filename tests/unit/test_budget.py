"""One budget type: SearchConfig validates every search's budget, the run's Budget goes through it."""

from __future__ import annotations

import math

import pytest

from benchmarks.results import Budget
from search.best_first import SearchConfig


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"max_expansions": 0}, "--max-expansions must be at least 1"),
        ({"num_samples": -1}, "--num-samples must be at least 1"),
        ({"wall_time": math.nan}, "--wall-time must be a positive number"),
        ({"wall_time": 0.0}, "--wall-time must be a positive number"),
        ({"tactic_timeout": math.inf}, "--tactic-timeout must be a positive, finite number"),
        ({"tactic_timeout": math.nan}, "--tactic-timeout must be a positive, finite number"),
        ({"tactic_timeout": -1.0}, "--tactic-timeout must be a positive, finite number"),
    ],
)
def test_a_bad_budget_is_refused_with_one_line(fields: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message) as info:
        SearchConfig(**fields)
    assert "\n" not in str(info.value)


def test_no_wall_clock_limit_is_allowed() -> None:
    assert SearchConfig(wall_time=math.inf).wall_time == math.inf


def test_the_runs_budget_is_checked_by_the_search_and_gives_its_configs() -> None:
    with pytest.raises(ValueError, match="--tactic-timeout"):
        Budget(tactic_timeout=math.nan)
    with pytest.raises(ValueError, match="--attempts must be at least 1"):
        Budget(attempts=0)
    budget = Budget(attempts=2, samples=8, expansions=20, wall_time=100.0, tactic_timeout=3.0)
    assert budget.search(42.0) == SearchConfig(max_expansions=20, num_samples=8, wall_time=42.0, tactic_timeout=3.0)
    spent = budget.search(-5.0)  # time already spent: a search that stops at once, not an error
    assert 0 < spent.wall_time < 1e-3
