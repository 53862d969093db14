"""The search tree: a networkx DiGraph of proof states, with identical states merged.

State nodes are keyed by `state_key`, so two tactic paths reaching the same goals, up to the names
of their hypotheses, share one node (the graph is a DAG). Every tactic tried is an edge; failures and proofs end in leaf nodes of
their own ("fail:N", "proved:N") so the whole search can be drawn and audited afterwards.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import networkx as nx

from lean_env.base import ProofState

ROOT = "root"
MAX_GOALS_CHARS = 2000  # a state's goals as saved (the live tree keeps them whole)
MAX_MESSAGE_CHARS = 300  # a failed tactic's error message as saved
MAX_TACTIC_CHARS = 500  # a (model-written) tactic as saved
MAX_ALTERNATIVES = 3  # other paths kept per node, to a state merged up to names (see `revive`)


def state_key(state: ProofState) -> str:
    """`state.key` up to a consistent renaming of hypotheses: `intros x y H.` and `intros a b E.`
    reach one state, and the search expands it once. The first node keeps its names, and the
    tactics below it use them, so a proof through it is the path to it, as found."""
    try:
        goals = list(state.goals)
    except Exception:  # goals that do not parse: merge identical texts only
        return state.key
    names: dict[str, str] = {}
    for goal in goals:
        for hyp in goal.hypotheses:
            for name in hyp.names:
                names.setdefault(name, f"\x02{len(names)}")
    if not names:
        return state.key
    pattern = re.compile(r"(?<![\w'.])(" + "|".join(map(re.escape, sorted(names, key=len, reverse=True))) + r")(?![\w'])")

    def rename(text: str) -> str:
        return pattern.sub(lambda m: names[m.group(1)], text)

    parts = [state.note]
    for goal in goals:
        parts.extend(f"{','.join(names[n] for n in h.names)}:{rename(h.type)}:{rename(h.value or '')}" for h in goal.hypotheses)
        parts.append("|-" + rename(goal.conclusion))
    return hashlib.sha1("\x00".join(parts).encode()).hexdigest()


def _cap(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class ProofTree:
    def __init__(self, root: ProofState) -> None:
        self.graph = nx.DiGraph()
        self._leaves = 0
        self._key_to_node: dict[str, str] = {state_key(root): ROOT}
        self.graph.add_node(
            ROOT, kind="state", state=root, depth=0, cumulative=0.0, priority=0.0, expanded=False, status="open"
        )

    def node_for(self, state: ProofState) -> str | None:
        """The node already holding the same state (up to hypothesis names), if any."""
        return self._key_to_node.get(state_key(state))

    def state(self, node: str) -> ProofState:
        state: ProofState = self.graph.nodes[node]["state"]
        return state

    def add_state(self, parent: str, state: ProofState, tactic: str, score: float, cumulative: float, priority: float) -> tuple[str, bool]:
        """Add the edge parent -tactic-> state; returns (node, is_new). The same state (up to
        hypothesis names) merges."""
        key = state_key(state)
        existing = self._key_to_node.get(key)
        if existing is not None:
            if not self.graph.has_edge(parent, existing) and existing != parent:
                self.graph.add_edge(parent, existing, tactic=tactic, score=score, outcome="merged", message="")
            data = self.graph.nodes[existing]
            if state.key != data["state"].key and len(data.setdefault("alternatives", [])) < MAX_ALTERNATIVES:
                data["alternatives"].append(state)  # the same state under other names, by another path
            return existing, False
        node = f"s{self.graph.number_of_nodes()}"
        self._key_to_node[key] = node
        self.graph.add_node(
            node,
            kind="state",
            state=state,
            depth=self.graph.nodes[parent]["depth"] + 1,
            cumulative=cumulative,
            priority=priority,
            expanded=False,
            status="open",
        )
        self.graph.add_edge(parent, node, tactic=tactic, score=score, outcome="advanced", message="")
        return node, True

    def revive(self, node: str) -> bool:
        """Give a node whose path the environment cannot replay its next alternative: the same
        state reached by another path, under other names. True when there was one; the node is
        then open again, to be expanded from the new path. (A graph keeps one edge per parent:
        the proof found this way is the result's `proof`; an edge drawn may name the first path's
        tactic.)"""
        data = self.graph.nodes[node]
        alternatives = data.get("alternatives") or []
        if not alternatives:
            return False
        data["state"] = alternatives.pop(0)
        data["expanded"] = False
        return True

    def add_leaf(self, parent: str, tactic: str, score: float, outcome: str, message: str) -> str:
        """A tactic that failed or closed the proof: a leaf of its own."""
        self._leaves += 1
        prefix = "proved" if outcome == "proved" else "fail"
        node = f"{prefix}:{self._leaves}"
        self.graph.add_node(node, kind=prefix, depth=self.graph.nodes[parent]["depth"] + 1, status=prefix)
        self.graph.add_edge(parent, node, tactic=tactic, score=score, outcome=outcome, message=message[:MAX_MESSAGE_CHARS])
        return node

    def mark_proof(self, leaf: str, path: tuple[str, ...]) -> None:
        """Mark the nodes and edges along the found proof (for highlighting and audits). A node
        reached by a merged path keeps one edge per parent, so a step is also recognised by the
        path of the state the node now holds (see `revive`)."""
        node = ROOT
        for i, tactic in enumerate(path[:-1]):
            nxt = next((v for _, v, d in self.graph.out_edges(node, data=True)
                        if d["tactic"] == tactic and d["outcome"] in ("advanced", "merged")), None)
            if nxt is None:
                nxt = next((v for v in self.graph.successors(node) if self.graph.nodes[v]["kind"] == "state"
                            and self.graph.nodes[v]["state"].path == path[: i + 1]), None)
            if nxt is None:
                break
            self.graph.edges[node, nxt]["on_proof"] = True
            self.graph.nodes[node]["status"] = "proved"
            node = nxt
        (parent,) = self.graph.predecessors(leaf)
        self.graph.nodes[parent]["status"] = "proved"
        self.graph.edges[parent, leaf]["on_proof"] = True

    def to_serializable(self) -> nx.DiGraph:
        """A copy whose attributes are plain strings and numbers (for GraphML and JSON).

        Kept small: each state's goals are stored once, on its node (a tactic path is the edges
        from the root, not repeated per node), and long texts are capped."""
        out = nx.DiGraph()
        for node, data in self.graph.nodes(data=True):
            attrs: dict[str, Any] = {k: v for k, v in data.items() if k not in ("state", "alternatives")}
            if "state" in data:
                state: ProofState = data["state"]
                attrs["goals"] = _cap(state.pretty, MAX_GOALS_CHARS)
            out.add_node(node, **attrs)
        for u, v, data in self.graph.edges(data=True):
            out.add_edge(u, v, **{**data, "tactic": _cap(str(data.get("tactic", "")), MAX_TACTIC_CHARS),
                                  "message": _cap(str(data.get("message", "")), MAX_MESSAGE_CHARS),
                                  "on_proof": bool(data.get("on_proof", False))})
        return out

    def write(self, path: str | Path) -> None:
        """Save as GraphML (`.graphml`) or node-link JSON (any other suffix)."""
        path = Path(path)
        graph = self.to_serializable()
        if path.suffix == ".graphml":
            nx.write_graphml(graph, path)
        else:
            path.write_text(json.dumps(nx.node_link_data(graph, edges="edges"), separators=(",", ":")))
