"""The run summary: pass rates per split and category, budget, versions, time split; JSON + Markdown.

Every selected problem counts in the denominator, including statements that do not elaborate
and theorems whose worker failed: a pass rate is proved / selected, never proved / attempted.
The outside-the-assistant share is sum(wall - assistant - verify) / sum(wall) over theorems:
the part of each theorem's wall time not spent waiting on coqtop or coqc. It splits into the
bridge (env time not waiting on the assistant), the generator, the search's own bookkeeping and
the harness (worker setup, tree serialization: wall minus everything the search accounts for).
"""

from __future__ import annotations

import json
import logging
import platform
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.datasets import CATEGORIES
from benchmarks.results import SUMMARY_JSON, SUMMARY_MD, RunConfig, RunDir, TheoremResult

log = logging.getLogger(__name__)
SCALING_FILE = "scaling.json"


def collect_versions(backend: str) -> dict[str, str]:
    """Versions to state in a summary (the proof assistant's from its own `--version`)."""
    from importlib import metadata

    out = {"python": platform.python_version()}
    for package in ("prover", "ray"):
        try:
            out[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            out[package] = "not installed"
    from lean_env.registry import ASSISTANTS, assistant

    if backend in ASSISTANTS:
        version = assistant(backend).version()
        if version:
            out[backend] = version
    return out


def _rate(results: Sequence[TheoremResult], expected: int) -> dict[str, Any]:
    proved = sum(r.proved for r in results)
    return {"proved": proved, "total": expected, "done": len(results),
            "pass_rate": round(proved / expected, 4) if expected else 0.0}


def summarize(config: RunConfig, results: Sequence[TheoremResult], versions: dict[str, str], sessions: Sequence[dict]) -> dict[str, Any]:
    """The summary as a JSON-able dict (Markdown is rendered from it)."""
    by_name = {r.name: r for r in results}
    split_of = {r.name: r.split for r in results}
    splits: dict[str, list[TheoremResult]] = defaultdict(list)
    cats: dict[str, list[TheoremResult]] = defaultdict(list)
    for r in results:
        splits[r.split].append(r)
        cats[r.category].append(r)
    wall = sum(r.wall_seconds for r in results)
    outside = sum(r.outside_assistant_seconds for r in results)
    run_wall = sum(s.get("wall_seconds", 0.0) for s in sessions)
    last = sessions[-1] if sessions else {}
    workers = max(1, int(last.get("workers") or 1))
    summary = {
        "dataset": {"name": config.dataset, "commit": config.dataset_commit, "split": config.split, "backend": config.backend},
        "mode": {"name": config.mode, "sketches": config.sketches, "informal_data": config.informal_data},
        "budget": {**_budget(config), "text": config.budget.describe()},
        "generator": config.generator.to_json(),
        "extra_imports": config.extra_imports,
        "policy": config.policy,
        "versions": versions,
        "complete": len(by_name) == len(config.names) and all(n in by_name for n in config.names),
        "overall": _rate(results, len(config.names)),
        "splits": {s: _rate(splits[s], sum(1 for n in config.names if split_of.get(n, s) == s)) for s in sorted(splits)},
        "categories": {c: _rate(cats[c], len(cats[c])) for c in [*CATEGORIES, "other"] if c in cats},
        "not_elaborated": sorted(r.name for r in results if not r.elaborated),
        "error_count": sum(1 for r in results if r.failed_to_run),
        "stop_reasons": _stop_reasons(results),
        "solved": {r.name: list(r.proof) for r in results if r.proved},
        "errors": {r.name: r.error for r in results if r.failed_to_run},
        "missing_input": {r.name: r.error for r in results if r.error and r.elaborated and not r.failed_to_run},
        "retried": {r.name: r.retries for r in results if r.retries},
        "time": {
            "run_wall_seconds": round(run_wall, 2),
            "last_session_wall_seconds": round(float(last.get("wall_seconds", 0.0)), 2),
            "last_session_workers": workers,
            "sessions": len(sessions),
            "theorem_wall_seconds": round(wall, 2),
            "assistant_seconds": round(sum(r.assistant_seconds for r in results), 2),
            "verify_seconds": round(sum(r.verify_seconds for r in results), 2),
            "bridge_seconds": round(sum(max(0.0, r.env_seconds - r.assistant_seconds) for r in results), 2),
            "generator_seconds": round(sum(r.generator_seconds for r in results), 2),
            "search_seconds": round(sum(r.search_seconds for r in results), 2),
            "harness_seconds": round(sum(max(0.0, r.wall_seconds - r.env_seconds - r.generator_seconds - r.verify_seconds
                                             - r.search_seconds) for r in results), 2),
            "outside_assistant_seconds": round(outside, 2),
            "outside_assistant_share": round(outside / wall, 4) if wall else 0.0,
            "outside_assistant_definition": "sum over theorems of (wall - assistant - verify) / sum of wall",
        },
        "budget_used": {
            "attempts": sum(r.attempts for r in results),
            "expansions": sum(r.expansions for r in results),
            "tactic_calls": sum(r.tactic_calls for r in results),
        },
    }
    if config.mode == "whole-proof":
        summary["pass_at_k"] = whole_proof_summary(config, results)
    return summary


def _stop_reasons(results: Sequence[TheoremResult]) -> dict[str, int]:
    """How each theorem ended: proved, out of expansions or time, search exhausted, error, ..."""
    counts: dict[str, int] = defaultdict(int)
    for r in results:
        counts["statement does not elaborate" if not r.elaborated else (r.stop_reason or "unknown")] += 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def whole_proof_summary(config: RunConfig, results: Sequence[TheoremResult]) -> dict[str, Any]:
    """pass@k (every k up to N) overall and per category from the per-sample records, plus how
    the samples ended. Every selected problem is in the denominator (no samples: counts 0)."""
    from benchmarks.passk import Outcomes, default_ks, table
    from benchmarks.whole_proof import settings

    wp = settings(config.whole_proof)
    outcomes, statuses = [], defaultdict(int)
    for r in results:
        samples = sorted(r.samples, key=lambda x: x["index"])
        for x in samples:
            statuses[x["status"]] += 1
        outcomes.append(Outcomes(r.name, r.category, tuple(x["status"] == "verified" for x in samples),
                                 early_stopped=not wp["all_samples"]))
    categories = defaultdict(int)
    for r in results:
        categories[r.category] += 1
    ks = list(range(1, wp["num_samples"] + 1))
    full = table(outcomes, ks, total=len(config.names), categories=categories)
    shown = default_ks(wp["num_samples"])
    return {
        **full,
        "shown_ks": shown,
        "num_samples": wp["num_samples"],
        "all_samples": wp["all_samples"],
        "estimator": ("unbiased 1 - C(n-c,k)/C(n,k) (Chen et al. 2021) on all n samples" if wp["all_samples"] else
                      "early stop: 1 if one of the first k samples verified (unbiased for samples in order)"),
        "samples": sum(statuses.values()),
        "statuses": dict(sorted(statuses.items())),
    }


def _passk_markdown(p: dict[str, Any]) -> list[str]:
    ks = [str(k) for k in p["shown_ks"]]
    lines = ["", "## pass@k", "", f"Estimator: {p['estimator']}; {p['samples']} samples decided, N = {p['num_samples']}.",
             "", "| | " + " | ".join(f"pass@{k}" for k in ks) + " |", "|---|" + "---:|" * len(ks)]
    lines.append("| **all** | " + " | ".join(f"{100 * p['overall'][k]:.1f}%" for k in ks) + " |")
    lines += [f"| {c} | " + " | ".join(f"{100 * row[k]:.1f}%" for k in ks) + " |" for c, row in p["categories"].items()]
    lines += ["", "Samples by outcome: " + ", ".join(f"{s} {n}" for s, n in p["statuses"].items()), ""]
    return lines


def _budget(config: RunConfig) -> dict[str, Any]:
    b = config.budget
    return {"attempts": b.attempts, "samples": b.samples, "expansions": b.expansions,
            "wall_time": b.wall_time, "tactic_timeout": b.tactic_timeout}


def render_markdown(summary: dict[str, Any], scaling: dict[str, Any] | None = None) -> str:
    d, t, o = summary["dataset"], summary["time"], summary["overall"]
    lines = [
        f"# Evaluation: {d['name']} ({d['split']}, {d['backend']})",
        "",
        f"**Pass rate: {o['proved']}/{o['total']} = {100 * o['pass_rate']:.1f}%**"
        + _error_headline(summary.get("error_count", 0))
        + ("" if summary["complete"] else f" (run incomplete: {o['done']} done)"),
        "",
        f"- Dataset commit: `{d['commit']}`",
        _mode_text(summary.get("mode") or {}),
        f"- Budget (limits): {summary['budget']['text']}",
        _used_text(summary),
        f"- Generator: {_generator_text(summary['generator'])}; policy {summary['policy']}",
        f"- Extra imports (proof only, never the statement): {summary.get('extra_imports') or 'none'}",
        "- Versions: " + ", ".join(f"{k} {v}" for k, v in summary["versions"].items()),
        (f"- Wall time: {t['run_wall_seconds']:.1f} s over {t['sessions']} session(s); "
         f"last session {t['last_session_wall_seconds']:.1f} s on {t['last_session_workers']} worker(s)"),
        (f"- Outside the proof assistant: {100 * t['outside_assistant_share']:.2f}% of theorem wall time "
         f"({t['outside_assistant_definition']})"),
        "",
        "| split | proved | total | pass rate |",
        "|---|---:|---:|---:|",
    ]
    lines += [f"| {s} | {r['proved']} | {r['total']} | {100 * r['pass_rate']:.1f}% |" for s, r in summary["splits"].items()]
    lines += ["", "| category | proved | total | pass rate |", "|---|---:|---:|---:|"]
    lines += [f"| {c} | {r['proved']} | {r['total']} | {100 * r['pass_rate']:.1f}% |" for c, r in summary["categories"].items()]
    lines += [
        "",
        "| time (s, summed over theorems) | |",
        "|---|---:|",
        *(f"| {k.replace('_seconds', '')} | {t[k]:.2f} |" for k in (
            "theorem_wall_seconds", "assistant_seconds", "verify_seconds", "bridge_seconds",
            "generator_seconds", "search_seconds", "harness_seconds", "outside_assistant_seconds")),
        "",
    ]
    if summary.get("stop_reasons"):
        lines += ["| how theorems ended | theorems |", "|---|---:|"]
        lines += [f"| {reason} | {n} |" for reason, n in summary["stop_reasons"].items()]
    if summary.get("pass_at_k"):
        lines += _passk_markdown(summary["pass_at_k"])
    if summary["not_elaborated"]:
        lines += ["", f"Statements that do not elaborate ({len(summary['not_elaborated'])}, counted as not proved): "
                  + ", ".join(summary["not_elaborated"])]
    if summary["errors"]:
        lines += ["", "Errors (not results: `prover eval --resume RUN` runs these theorems again):"]
        lines += [f"- {n}: {e}" for n, e in summary["errors"].items()]
    if summary.get("missing_input"):
        lines += ["", "Problems without their input (counted as not proved):"]
        lines += [f"- {n}: {e}" for n, e in summary["missing_input"].items()]
    if summary.get("solved"):
        lines += ["", f"## Solved ({len(summary['solved'])})", ""]
        for name, proof in summary["solved"].items():
            lines.append(f"- `{name}`: `{' '.join(' '.join(step.split()) for step in proof)}`")
    if summary["retried"]:
        lines += ["", "Retried after a worker died: " + ", ".join(f"{n} ({k})" for n, k in summary["retried"].items())]
    if scaling:
        lines += ["", "## Scaling", "", "| workers | wall (s) | summed theorem time (s) | pool utilization |",
                  "|---:|---:|---:|---:|"]
        work, util = scaling.get("theorem_wall_seconds", {}), scaling.get("utilization", {})
        for w, wall in sorted(scaling["wall_seconds"].items(), key=lambda x: int(x[0])):
            lines.append(f"| {w} | {wall:.1f} | {work.get(w, float('nan')):.1f} | {100 * util.get(w, float('nan')):.1f}% |")
        lines += ["", f"Efficiency T1 / (2 T2) = {100 * scaling['efficiency']:.1f}% ({scaling.get('note', '')})"]
    extra = ", `pass_at_k.png`" if summary.get("pass_at_k") else ""
    lines += ["", f"Plots: `solved_vs_time.png`, `solved_vs_expansions.png`, `proof_lengths.png`, "
              f"`solved_by_category.png`{extra}.", ""]
    return "\n".join(lines)


def _error_headline(errors: int) -> str:
    return f" — **{errors} error(s)**: not results, counted as not proved; `--resume` retries them" if errors else ", 0 errors"


def _used_text(summary: dict[str, Any]) -> str:
    """What the search actually spent: a portfolio of 20 tactics never uses 32 samples."""
    used = summary["budget_used"]
    per = used["tactic_calls"] / used["expansions"] if used["expansions"] else 0.0
    return (f"- Budget used: {used['attempts']} search(es), {used['expansions']} expansions, {used['tactic_calls']} "
            f"tactic calls ({per:.1f} candidates tried per expansion on average)")


def _mode_text(mode: dict[str, Any]) -> str:
    """One line saying how each theorem was attacked (old summaries have no mode: formal)."""
    if mode.get("name") == "whole-proof":
        return ("- Mode: whole-proof sampling: attempts are samples (N), samples are the round size, "
                "the tactic timeout is the per-proof check limit; every sample verified from scratch to count")
    if mode.get("name") != "informal":
        return "- Mode: formal (best-first search)"
    source = f"human sketches from `{mode['sketches']}`" if mode.get("sketches") else "sketches written by the model"
    return (f"- Mode: informal (Draft-Sketch-Prove): {source}; attempts are sketches, "
            "samples and expansions are per hole; the generator fills the holes")


def _generator_text(options: dict[str, Any]) -> str:
    parts = []
    if options.get("tactics_file"):
        parts.append(f"tactics {options['tactics_file']}")
    elif options.get("portfolio"):
        parts.append("portfolio")
    automation = bool(parts)
    if options.get("knn_index"):
        parts.append(f"knn {options['knn_index']}")
    model = options.get("model")
    if model:
        spec = model if isinstance(model, dict) else {"model": model, "engine": options.get("engine")}
        parts.append(f"model {spec['model']} ({spec.get('engine')})")
    text = " + ".join(parts) or "none"
    if automation and len(parts) > 1:  # how the automation met the learned proposers
        text += f" ({options.get('combine') or 'chain'})"
    return text


def write_report(run_dir: RunDir, results: Sequence[TheoremResult], versions: dict[str, str]) -> dict[str, Any]:
    """Write summary.json, summary.md and the plots; returns the summary."""
    config = run_dir.load_config()
    stored = run_dir.path / SUMMARY_JSON
    if not versions and stored.exists():  # `prover report` keeps the versions the run stated
        versions = json.loads(stored.read_text()).get("versions", {})
    summary = summarize(config, results, versions, run_dir.sessions())
    scaling_path = run_dir.path / SCALING_FILE
    scaling = json.loads(scaling_path.read_text()) if scaling_path.exists() else None
    if scaling:
        summary["scaling"] = scaling
    (run_dir.path / SUMMARY_JSON).write_text(json.dumps(summary, indent=1) + "\n")
    (run_dir.path / SUMMARY_MD).write_text(render_markdown(summary, scaling))
    try:
        from benchmarks.plots import write_plots

        write_plots(results, run_dir.path, total=len(config.names), wall_time=config.budget.wall_time,
                    max_expansions=config.budget.expansions if config.mode == "formal" else None)
        if summary.get("pass_at_k"):
            from benchmarks.plots import write_passk_plot

            write_passk_plot(summary["pass_at_k"], run_dir.path / "pass_at_k.png")
    except ImportError as exc:  # matplotlib is an optional extra
        log.warning("no plots: %s", exc)
    return summary


def load_summary(path: Path) -> dict[str, Any]:
    return json.loads((Path(path) / SUMMARY_JSON).read_text())
