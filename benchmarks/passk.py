"""pass@k from per-sample records: the unbiased estimator of Chen et al. (2021, "Evaluating Large
Language Models Trained on Code"), per theorem, averaged per category.

For a theorem with n samples of which c verified, pass@k = 1 - C(n-c, k) / C(n, k). The binomials
overflow for n in the thousands, so it is computed as the product 1 - prod_{i=n-c+1..n} (1 - k/i),
which equals the ratio exactly and stays in [0, 1].

A run that stops a theorem at its first verified sample (early stop) does not have n >= k samples
for every theorem. Samples are i.i.d. and decided in index order, so "one of the first k samples
verified" is itself an unbiased estimate of pass@k: it is used whenever the n >= k estimator is
not available (an unsolved theorem with fewer than k samples, stopped by its wall time, counts 0).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass


def pass_at_k(n: int, c: int, k: int) -> float:
    """Chen et al.'s unbiased estimator for n samples, c correct, budget k (1 <= k <= n)."""
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"need 0 <= c <= n and 1 <= k <= n, got n={n} c={c} k={k}")
    if n - c < k:
        return 1.0
    return 1.0 - math.prod(1.0 - k / i for i in range(n - c + 1, n + 1))


@dataclass(frozen=True, slots=True)
class Outcomes:
    """One theorem's decided samples: their indices and which verified."""

    name: str
    category: str
    verified: tuple[bool, ...]  # by sample index 0..n-1 (indices are contiguous)
    early_stopped: bool = False  # sampling stopped at a verified sample before N

    @property
    def n(self) -> int:
        return len(self.verified)

    @property
    def c(self) -> int:
        return sum(self.verified)

    def estimate(self, k: int) -> float:
        if not self.early_stopped and self.n >= k:
            return pass_at_k(self.n, self.c, k)
        return 1.0 if any(self.verified[:k]) else 0.0


def default_ks(n_max: int) -> list[int]:
    """1, 2, 4, ... up to N, and N itself."""
    ks, k = [], 1
    while k < n_max:
        ks.append(k)
        k *= 2
    return ks + [n_max] if n_max >= 1 else []


def table(outcomes: Sequence[Outcomes], ks: Iterable[int], total: int | None = None,
          categories: Mapping[str, int] | None = None) -> dict:
    """pass@k for each k, overall and per category, as fractions.

    `total` / `categories`: denominators (every selected problem counts: one without samples, e.g.
    a statement that does not elaborate, counts 0). Default: the theorems given."""
    ks = list(ks)
    total = len(outcomes) if total is None else total
    by_cat: dict[str, list[Outcomes]] = defaultdict(list)
    for o in outcomes:
        by_cat[o.category].append(o)
    cat_totals = dict(categories) if categories is not None else {c: len(v) for c, v in by_cat.items()}

    def mean(group: Sequence[Outcomes], denominator: int) -> dict[str, float]:
        return {str(k): (math.fsum(o.estimate(k) for o in group) / denominator if denominator else 0.0) for k in ks}

    return {
        "ks": ks,
        "overall": mean(outcomes, total),
        "categories": {c: mean(by_cat.get(c, []), cat_totals[c]) for c in sorted(cat_totals)},
        "theorems": total,
    }
