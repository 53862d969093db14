"""Side-by-side comparison of two runs (say step-level search against whole-proof sampling).

Theorems are matched by name. A theorem selected in only one run is listed apart and counts as
not solved in the other, so the two pass rates stay over their own selections.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from benchmarks.results import RunConfig, TheoremResult


def _label(config: RunConfig, path: str) -> str:
    if config.mode == "whole-proof":
        n = (config.whole_proof or {}).get("num_samples")
        return f"{path} (whole-proof, N={n})"
    return f"{path} ({config.mode}, {config.budget.attempts}x{config.budget.samples}x{config.budget.expansions})"


def compare(a: tuple[str, RunConfig, Sequence[TheoremResult]], b: tuple[str, RunConfig, Sequence[TheoremResult]]) -> dict[str, Any]:
    """Which theorems each run solved: both, only A, only B, neither; overall and per category."""
    (path_a, cfg_a, res_a), (path_b, cfg_b, res_b) = a, b
    solved_a = {r.name for r in res_a if r.proved}
    solved_b = {r.name for r in res_b if r.proved}
    category = {r.name: r.category for r in [*res_a, *res_b]}
    common = [n for n in cfg_a.names if n in set(cfg_b.names)]
    groups = {
        "both": [n for n in common if n in solved_a and n in solved_b],
        "only_a": [n for n in common if n in solved_a and n not in solved_b],
        "only_b": [n for n in common if n in solved_b and n not in solved_a],
        "neither": [n for n in common if n not in solved_a and n not in solved_b],
    }
    per_cat: dict[str, dict[str, int]] = defaultdict(lambda: {k: 0 for k in groups})
    for key, names in groups.items():
        for n in names:
            per_cat[category.get(n, "other")][key] += 1
    return {
        "a": _label(cfg_a, path_a), "b": _label(cfg_b, path_b),
        "common": len(common),
        "solved_a": len(solved_a & set(common)), "solved_b": len(solved_b & set(common)),
        "groups": groups,
        "categories": {c: per_cat[c] for c in sorted(per_cat)},
        "only_in_a": [n for n in cfg_a.names if n not in set(cfg_b.names)],
        "only_in_b": [n for n in cfg_b.names if n not in set(cfg_a.names)],
    }


def render_comparison(c: dict[str, Any]) -> str:
    g = c["groups"]
    lines = [
        "# Comparison", "", f"- A: {c['a']}", f"- B: {c['b']}",
        f"- Common problems: {c['common']}; A solved {c['solved_a']}, B solved {c['solved_b']}", "",
        "| category | both | only A | only B | neither |", "|---|---:|---:|---:|---:|",
    ]
    lines += [f"| {cat} | {r['both']} | {r['only_a']} | {r['only_b']} | {r['neither']} |" for cat, r in c["categories"].items()]
    lines.append(f"| **all** | {len(g['both'])} | {len(g['only_a'])} | {len(g['only_b'])} | {len(g['neither'])} |")
    for key, title in (("only_a", "Solved only by A"), ("only_b", "Solved only by B"), ("both", "Solved by both")):
        lines += ["", f"{title} ({len(g[key])}): " + (", ".join(g[key]) or "none")]
    for key, title in (("only_in_a", "Selected only in A"), ("only_in_b", "Selected only in B")):
        if c[key]:
            lines += ["", f"{title} (not compared): " + ", ".join(c[key])]
    return "\n".join(lines) + "\n"
