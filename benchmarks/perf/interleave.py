"""Timing several modes fairly on a shared machine: interleaved rounds, medians, spreads.

Timing each mode once, one after another, lets a transient load (another process taking a core
for a few seconds) land on one mode only, and the ratio between modes then means nothing. Here
every round runs every mode once (a, b, c, a, b, c, ...), so a load burst lasting longer than
one call hits several modes and rounds; each mode's figure is the median over rounds, its spread
(max - min) / median says how much the machine moved under it, and a run whose spread exceeds
a bound is flagged as not to be trusted. Each mode also reports how much work it did (tokens,
proofs), so that modes doing different amounts of work are caught rather than compared.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Work:
    """What one timed call of a mode did."""

    units: int  # the rate's numerator: tokens, proofs checked, ...
    check: int | None = None  # a count every mode must reproduce each round (e.g. tokens); None: none


@dataclass(frozen=True, slots=True)
class Timing:
    mode: str
    round: int
    seconds: float
    work: Work

    @property
    def rate(self) -> float:
        return self.work.units / self.seconds if self.seconds > 0 else float("inf")


@dataclass
class Interleaved:
    timings: list[Timing] = field(default_factory=list)
    max_spread: float = 0.25

    def modes(self) -> list[str]:
        return list(dict.fromkeys(t.mode for t in self.timings))

    def rates(self, mode: str) -> list[float]:
        return [t.rate for t in self.timings if t.mode == mode]

    def median(self, mode: str) -> float:
        return statistics.median(self.rates(mode))

    def spread(self, mode: str) -> float:
        rates = self.rates(mode)
        med = statistics.median(rates)
        return (max(rates) - min(rates)) / med if med else float("inf")

    def ratio(self, a: str, b: str) -> float:
        """Median of a over median of b."""
        return self.median(a) / self.median(b)

    def unequal_work(self) -> list[str]:
        """Rounds in which the modes' `check` counts differ (one line each); [] when all agree."""
        problems = []
        for r in sorted({t.round for t in self.timings}):
            checks = {t.mode: t.work.check for t in self.timings if t.round == r and t.work.check is not None}
            if len(set(checks.values())) > 1:
                problems.append(f"round {r}: " + ", ".join(f"{m} {c}" for m, c in checks.items()))
        return problems

    def wide(self) -> list[str]:
        """Modes whose spread exceeds `max_spread`."""
        return [m for m in self.modes() if self.spread(m) > self.max_spread]

    @property
    def trustworthy(self) -> bool:
        return not self.wide() and not self.unequal_work()

    def summary(self) -> dict:
        return {
            "modes": {m: {"median_rate": self.median(m), "min_rate": min(self.rates(m)), "max_rate": max(self.rates(m)),
                          "spread": self.spread(m), "rounds": len(self.rates(m))} for m in self.modes()},
            "max_spread": self.max_spread,
            "wide_spread": self.wide(),
            "unequal_work": self.unequal_work(),
            "trustworthy": self.trustworthy,
            "timings": [{"mode": t.mode, "round": t.round, "seconds": t.seconds, "units": t.work.units,
                         "check": t.work.check} for t in self.timings],
        }

    def lines(self, unit: str) -> list[str]:
        out = [f"{m:>14}: median {self.median(m):10.2f} {unit}  (min {min(self.rates(m)):.2f}, max "
               f"{max(self.rates(m)):.2f}, spread {100 * self.spread(m):.0f}%, {len(self.rates(m))} rounds)"
               for m in self.modes()]
        for m in self.wide():
            out.append(f"WARNING: {m} spread {100 * self.spread(m):.0f}% > {100 * self.max_spread:.0f}%: "
                       "the machine was not steady; do not trust these ratios")
        for problem in self.unequal_work():
            out.append(f"WARNING: modes did different work ({problem})")
        return out


def run_interleaved(modes: Mapping[str, Callable[[], Work]], rounds: int, max_spread: float = 0.25,
                    clock: Callable[[], float] = time.perf_counter, warmup: int = 0) -> Interleaved:
    """Run every mode once per round, in the given order (a, b, c, a, b, c, ...); all timings.

    `warmup` rounds run first and are not kept (first calls pay for caches and new shapes)."""
    if rounds < 1 or not modes or warmup < 0:
        raise ValueError("need at least one round and one mode")
    for _ in range(warmup):
        for name in modes:
            modes[name]()
    result = Interleaved(max_spread=max_spread)
    for r in range(rounds):
        for name in modes:
            start = clock()
            work = modes[name]()
            result.timings.append(Timing(name, r, clock() - start, work))
    return result


def finish(result: dict, out: str | None) -> int:
    """Print the equal-work and trust verdicts of a throughput script's result, write it as JSON."""
    if result.get("rounds_with_other_token_counts"):
        print(f"WARNING: {result['rounds_with_other_token_counts']} timed call(s) generated other than "
              f"{result['expected_tokens_per_round']} tokens")
    print("figures " + ("trustworthy" if result["trustworthy"] else "NOT trustworthy (see warnings)"))
    if out:
        with open(out, "w") as fh:
            json.dump(result, fh, indent=1)
    return 0
