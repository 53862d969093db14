"""Search policies: how a child node's priority is computed (higher is expanded first)."""

from __future__ import annotations

from typing import Protocol

from lean_env.registry import Registry


class SearchPolicy(Protocol):
    name: str

    def priority(self, parent_score: float, tactic_score: float, depth: int) -> float:
        """Priority of a child reached from a parent with cumulative score `parent_score` by a
        tactic scored `tactic_score`; `depth` is the child's depth (root = 0)."""
        ...


class CumulativeScore:
    """Sum of tactic scores along the path (ReProver, Llemma): a log-probability of the path."""

    name = "cumulative"

    def priority(self, parent_score: float, tactic_score: float, depth: int) -> float:
        return parent_score + tactic_score


class DepthNormalized:
    """Cumulative score divided by depth**alpha (BFS-Prover's length normalisation), so deep
    paths are not starved by their many negative terms."""

    name = "depth_normalized"

    def __init__(self, alpha: float = 0.5) -> None:
        self.alpha = alpha

    def priority(self, parent_score: float, tactic_score: float, depth: int) -> float:
        # parent_score is the parent's cumulative (unnormalised) score; see SearchNode.cumulative
        scale: float = max(depth, 1) ** self.alpha  # int ** float is typed Any (it may be complex)
        return (parent_score + tactic_score) / scale


class BreadthFirst:
    """Shallower nodes first, ties by insertion order: a baseline for tactic lists without scores."""

    name = "breadth_first"

    def priority(self, parent_score: float, tactic_score: float, depth: int) -> float:
        return -float(depth)


POLICIES: Registry[type] = Registry(
    "search policy",
    {
        "cumulative": "search.policy:CumulativeScore",
        "depth_normalized": "search.policy:DepthNormalized",
        "breadth_first": "search.policy:BreadthFirst",
    },
)
