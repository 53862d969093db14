"""PNG plots of a run and SVG drawings of proof-search trees (matplotlib, Agg; no graphviz).

Trees are drawn with a layered layout: depth is the row, nodes spread evenly along it, the
proof path in red, failed tactics as small grey leaves.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from benchmarks.results import TheoremResult

PLOTS = ("solved_vs_time.png", "solved_vs_expansions.png", "proof_lengths.png", "solved_by_category.png")


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _integer_counts(ax, total: int) -> None:
    """Counts on the y axis: integer ticks, from 0 to the number of problems (a frame even when
    nothing is solved), and the same scale in percent on the right."""
    from matplotlib.ticker import MaxNLocator

    top = max(1, total)
    ax.set_ylim(0, top * 1.05)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    right = ax.secondary_yaxis("right", functions=(lambda n: 100 * n / top, lambda p: p * top / 100))
    right.set_ylabel("% of problems")


def _cumulative(plt, values: Sequence[float], total: int, xlabel: str, title: str, path: Path,
                x_end: float | None = None) -> None:
    fig, ax = plt.subplots(figsize=(6, 4))
    xs = sorted(values)
    end = x_end if x_end is not None and x_end > 0 and x_end != float("inf") else (max(xs) * 1.05 if xs else 1.0)
    end = end if end > 0 else 1.0  # all values 0 (e.g. informal runs count no expansions)
    ax.step([0, *xs, end], [*range(len(xs) + 1), len(xs)], where="post")
    ax.set_xlim(0, end)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(f"problems solved (of {total})")
    ax.set_title(f"{title}: {len(xs)}/{total} ({100 * len(xs) / total if total else 0:.1f}%)")
    _integer_counts(ax, total)
    if not xs:
        ax.text(0.5, 0.5, "no problem solved", transform=ax.transAxes, ha="center", va="center", color="0.4")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_plots(results: Sequence[TheoremResult], out_dir: Path, total: int | None = None,
                wall_time: float | None = None, max_expansions: int | None = None) -> list[Path]:
    """Solved vs per-theorem wall time (axis to the time budget) and vs expansions (to the
    expansion budget), proof-length histogram, and solved per category; counts and percentages."""
    from matplotlib.ticker import MaxNLocator

    plt = _pyplot()
    out_dir = Path(out_dir)
    total = total if total is not None else len(results)
    proved = [r for r in results if r.proved]
    paths = [out_dir / name for name in PLOTS]
    _cumulative(plt, [r.wall_seconds for r in proved], total, "wall time per theorem (s)",
                "Solved within a time budget", paths[0], wall_time)
    _cumulative(plt, [r.expansions for r in proved], total, "expansions", "Solved vs. expansions", paths[1],
                float(max_expansions) if max_expansions else None)
    fig, ax = plt.subplots(figsize=(6, 4))
    lengths = [len(r.proof) for r in proved]
    if lengths:
        ax.hist(lengths, bins=range(1, max(lengths) + 2), align="left", rwidth=0.8)
    else:
        ax.set_xlim(0, 5)
        ax.text(0.5, 0.5, "no proof found", transform=ax.transAxes, ha="center", va="center", color="0.4")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("proof length (tactics)")
    ax.set_ylabel("proofs")
    ax.set_title(f"Proof lengths ({len(lengths)} proofs)")
    fig.tight_layout()
    fig.savefig(paths[2], dpi=100)
    plt.close(fig)
    _by_category(plt, results, paths[3])
    return paths


def _by_category(plt, results: Sequence[TheoremResult], path: Path) -> None:
    """Solved and attempted per category, with the pass rate written on each bar."""
    cats: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in results:
        cats[r.category or "other"][0] += r.proved
        cats[r.category or "other"][1] += 1
    names = sorted(cats)
    fig, ax = plt.subplots(figsize=(max(6, 0.9 * len(names) + 2), 4))
    totals = [cats[c][1] for c in names]
    solved = [cats[c][0] for c in names]
    ax.bar(names, totals, color="0.85", label="selected")
    ax.bar(names, solved, color="steelblue", label="solved")
    for i, (k, n) in enumerate(zip(solved, totals)):
        ax.text(i, n, f"{k}/{n}\n{100 * k / n:.0f}%", ha="center", va="bottom", fontsize=8)
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(0, max(totals, default=1) * 1.3)
    ax.set_ylabel("problems")
    ax.set_title("Solved per category")
    ax.tick_params(axis="x", labelrotation=30)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_passk_plot(passk: dict, path: Path) -> Path:
    """pass@k against k (log-2 axis), overall and per category, from a summary's pass_at_k."""
    plt = _pyplot()
    ks = passk["ks"]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(ks, [100 * passk["overall"][str(k)] for k in ks], marker="o", linewidth=2, label="all", color="black")
    for category, row in passk["categories"].items():
        ax.plot(ks, [100 * row[str(k)] for k in ks], marker=".", linewidth=1, label=category)
    if len(ks) > 1:
        ax.set_xscale("log", base=2)
    ax.set_xlabel("k (samples)")
    ax.set_ylabel("pass@k (%)")
    ax.set_title(f"pass@k over {passk['theorems']} problems")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return Path(path)


def load_tree(path: Path):
    import networkx as nx

    path = Path(path)
    if path.suffix == ".graphml":
        return nx.read_graphml(path)
    return nx.node_link_graph(json.loads(path.read_text()), edges="edges")


def layered_positions(graph) -> dict[str, tuple[float, float]]:
    """Row = shortest distance from the root (merged states would otherwise jump rows)."""
    import networkx as nx

    roots = [n for n in graph if graph.in_degree(n) == 0] or list(graph)[:1]
    depth = nx.multi_source_dijkstra_path_length(graph, roots, weight=lambda *_: 1) if roots else {}
    rows: dict[int, list[str]] = defaultdict(list)
    for node in graph:  # graph order follows creation order, which keeps siblings together
        rows[depth.get(node, 0)].append(node)
    pos = {}
    for d, nodes in rows.items():
        for i, node in enumerate(nodes):
            pos[node] = ((i + 0.5) / len(nodes), -float(d))
    return pos


def draw_tree(tree_path: Path, svg_path: Path, title: str = "", max_label: int = 28) -> Path:
    """Draw a saved search tree as SVG (or .png/.pdf by suffix), the proof path highlighted.

    Every tactic is labelled (failed ones shortened, in grey, with how they failed); in an SVG,
    hovering a state shows its goals and hovering a failed tactic its error message."""
    plt = _pyplot()
    graph = load_tree(tree_path)
    pos = layered_positions(graph)
    depth = max((-y for _, y in pos.values()), default=0)
    width = max((sum(1 for p in pos.values() if p[1] == y) for y in {p[1] for p in pos.values()}), default=1)
    fig, ax = plt.subplots(figsize=(min(40, 2 + 1.4 * width), 1.5 + 1.3 * (depth + 1)))
    on_proof = [(u, v) for u, v, d in graph.edges(data=True) if _true(d.get("on_proof"))]
    hover: dict[str, str] = {}
    for u, v, d in graph.edges(data=True):
        highlighted = (u, v) in on_proof
        (x0, y0), (x1, y1) = pos[u], pos[v]
        ax.plot([x0, x1], [y0, y1], color="crimson" if highlighted else "0.75",
                linewidth=2.5 if highlighted else 0.8, zorder=2 if highlighted else 1)
        label = str(d.get("tactic", ""))
        failed = graph.nodes[v].get("kind") == "fail"
        text = _short(label, max_label // 2 if failed else max_label)
        ax.text((x0 + x1) / 2 if not failed else x1, (y0 + y1) / 2 if not failed else y1 - 0.18, text,
                fontsize=7 if not failed else 5, ha="center", rotation=0 if not failed else 60,
                color="crimson" if highlighted else ("0.55" if failed else "0.3"), zorder=3)
        if failed:
            hover[v] = f"{label}\n{d.get('outcome', 'failed')}: {d.get('message', '')}"
    colors = {"state": "steelblue", "proved": "crimson", "fail": "0.8"}
    for node, data in graph.nodes(data=True):
        kind = data.get("kind", "state")
        on_path = data.get("status") == "proved"
        point = ax.scatter(*pos[node], s=120 if kind != "fail" else 25, zorder=4,
                           color="crimson" if on_path else colors.get(kind, "0.5"),
                           edgecolors="black" if on_path else "none")
        point.set_gid(f"node-{_gid(node)}")
        if kind == "state":
            hover[node] = f"{node}: {data.get('goals', '')}"
    ax.set_title(title or Path(tree_path).stem + (" (proof in red)" if on_proof else " (no proof)")
                 + "; hover a node for its goals")
    ax.axis("off")
    fig.tight_layout()
    svg_path = Path(svg_path)
    fmt = svg_path.suffix[1:] if svg_path.suffix in (".png", ".pdf") else "svg"
    fig.savefig(svg_path, format=fmt)
    plt.close(fig)
    if fmt == "svg":
        _add_hover_titles(svg_path, hover)
    return svg_path


def _gid(node: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in str(node))


def _add_hover_titles(svg_path: Path, texts: dict[str, str]) -> None:
    """Insert an SVG <title> (shown on hover by browsers) into each node's group."""
    from xml.sax.saxutils import escape

    svg = svg_path.read_text()
    for node, text in texts.items():
        marker = f'<g id="node-{_gid(node)}">'
        svg = svg.replace(marker, f"{marker}<title>{escape(text[:2000])}</title>", 1)
    svg_path.write_text(svg)


def _true(value) -> bool:
    return value is True or str(value).lower() == "true"


def _short(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"
