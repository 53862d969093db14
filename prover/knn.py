"""A retrieval tactic policy in the style of Tactician: k nearest traced states, their tactics.

A proof state becomes a sparse feature vector: the symbols of the focused goal's conclusion,
its term-shape n-grams (consecutive symbols, and parent>child pairs read from the parentheses),
and the symbols of its hypotheses, with local names (hypotheses, bound variables) abstracted so
that `n + 0 = n` and `k + 0 = k` look the same. Vectors are TF-IDF weighted and normalised; a
query is one sparse matrix-vector product against every traced state. The tactics of the nearest
states are proposed, ranked by similarity, after renaming the hypotheses they mention onto the
current state's hypotheses (matched by the features of their types), so a retrieved `rewrite H1`
names a hypothesis that exists here; a tactic that mentions a hypothesis with no counterpart here
is dropped.

A second table indexes hypotheses rather than states: for every traced tactic that names a
hypothesis, the features of that hypothesis's type (and of its skeleton, its form with the
constants blanked). Each fact of the current state is looked up there, and what the traces did
with hypotheses like it is proposed with its name (`KnnIndex.by_hypothesis`).

The index is a folder: the CSR matrices (states x features, named hypotheses x features) and the
idf weights as `.npy` arrays, the features and, per state, its tactic, hypotheses and source, and
per named hypothesis its state's row and its name, as text files with one line each, and
`index.json` (format version and shapes).
"""

from __future__ import annotations

import heapq
import itertools
import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lean_env.base import Goal, ProofState, Theorem
from prover.base import Candidate
from prover.portfolio import MOD_DIV_LIA

_TOKEN = re.compile(r"[A-Za-z_][\w'.]*[\w']|[A-Za-z_]|\d+|[^\s\w]+")
_BINDERS = {"forall", "exists", "fun", "exists2"}
_NAME = re.compile(r"(?<![\w'.])([A-Za-z_][\w']*)(?![\w'])")
LOCAL = "$x"
META = "index.json"
VERSION = 5  # 4: the hypothesis table (hyp_*.npy, hyp_rows.txt); 5: with skeleton features


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def _abstract(tokens: list[str], local: set[str], names: dict[str, str] | None = None) -> list[str]:
    """Replace local names (given, plus names bound by forall/exists/fun) by placeholders numbered
    in order of first appearance (`names` carries the numbering across the terms of one state),
    so `a + 1 = b + 1` and `a + 1 = a + 1` differ but renaming every local changes nothing."""
    names = {} if names is None else names
    bound: set[str] = set()
    out: list[str] = []
    binding = in_type = False
    for tok in tokens:
        if tok in _BINDERS:
            binding, in_type = True, False
        elif binding:
            if tok in (",", "=>"):
                binding = False
            elif tok == ":":
                in_type = True
            elif tok == "(":  # forall (x : T) (y : U), ...
                in_type = False
            elif not in_type and (tok[0].isalpha() or tok[0] == "_"):
                bound.add(tok)
        if tok in local or tok in bound:
            tok = names.setdefault(tok, f"{LOCAL}{len(names)}")
        out.append(tok)
    return out


def term_features(text: str, local: set[str], prefix: str = "", names: dict[str, str] | None = None) -> Counter[str]:
    """Symbols, 2- and 3-grams, and parent>child pairs of one printed term."""
    toks = _abstract(_tokens(text), local, names)
    feats: Counter[str] = Counter()
    flat = [t for t in toks if t not in ("(", ")")]
    for i, t in enumerate(flat):
        feats[prefix + t] += 1
        if i + 1 < len(flat):
            feats[f"{prefix}{t} {flat[i + 1]}"] += 1
        if i + 2 < len(flat):
            feats[f"{prefix}{t} {flat[i + 1]} {flat[i + 2]}"] += 1
    heads: list[str] = ["^"]
    expect_head = True
    for t in toks:
        if t == "(":
            heads.append("?")
            expect_head = True
            continue
        if t == ")":
            if len(heads) > 1:
                heads.pop()
            continue
        if expect_head and heads[-1] == "?":
            heads[-1] = t
            expect_head = False
        feats[f"{prefix}{heads[-1]}>{t}"] += 1
    return feats


def hyp_names(goal: Goal) -> list[str]:
    return [n for h in goal.hypotheses for n in h.names]


def state_features(goal: Goal) -> Counter[str]:
    """Features of a focused goal: its conclusion (weight 1) and hypotheses (prefixed `h:`)."""
    local = set(hyp_names(goal))
    names: dict[str, str] = {}
    feats = term_features(goal.conclusion, local, "", names)
    for hyp in goal.hypotheses:
        feats.update(term_features(hyp.type, local, "h:", names))
    feats["#hyps=" + str(min(len(local), 8))] += 1
    return feats


_BINDER_HEADS = ("forall", "exists", "exists2", "fun", "~")
_CONNECTIVES = ("<->", "->", "\\/", "/\\", "<>", "<=", ">=", "=", "<", ">")


def shape(text: str) -> str:
    """The outermost form of a type, as a marker (`^forall`, `^=`, `^/\\`, `^app`): its leading
    binder or negation, else its loosest connective outside parentheses."""
    head = _tokens(text)[:1]
    if head and head[0] in _BINDER_HEADS:
        return "^" + head[0]
    flat, previous = re.sub(r"%\w+", "", text).strip(), None
    while flat.startswith("(") and flat.endswith(")") and _balanced(flat[1:-1]):
        flat = flat[1:-1].strip()
    while flat != previous:
        previous, flat = flat, re.sub(r"\([^()]*\)", "_", flat)
    for conn in _CONNECTIVES:
        if conn in flat:
            return "^" + conn
    return "^app"


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


def _signature(text: str, local: set[str]) -> set[str]:
    """The abstracted symbols of a hypothesis's type, and its shape marker."""
    sig = {t if not t.startswith(LOCAL) else LOCAL for t in _abstract(_tokens(text), local)} - {"(", ")"}
    return sig | {shape(text)}


def _type_signature(goal: Goal) -> list[tuple[str, set[str]]]:
    """(name, signature of its type) for each hypothesis name, in context order."""
    local = set(hyp_names(goal))
    out = []
    for hyp in goal.hypotheses:
        sig = _signature(hyp.type, local)
        out.extend((name, sig) for name in hyp.names)
    return out


# What a declaration of data (`n : nat`, `f : R -> R`, `l : list Z`) is made of: type names
# (capitalised), arrows and products. A hypothesis whose type has anything else (`=`, `<`, `~`,
# `prime`, `forall`) is a fact, and a fact is renamed only onto a fact: `rewrite H` never becomes
# `rewrite f` for a function `f`.
_TYPE_WORDS = frozenset({"->", "*", "nat", "bool", "positive", "unit", "list", "option", "prod", LOCAL})


def is_data(sig: set[str] | Sequence[str]) -> bool:
    """Whether a type's symbols (as `_type_signature` gives them) declare data rather than a fact."""
    return all(t in _TYPE_WORDS or t[:1] == "^" or (t[:1].isupper() and t not in ("False", "True")) for t in sig)


def _ranked(name: str, i: int, sig: set[str], target: Sequence[tuple[str, set[str]]], taken: set[str]) -> list[str]:
    """Target hypotheses for source hypothesis `name` (position i, type symbols `sig`), best
    first: Jaccard similarity of type symbols, then the same name, then the nearest position;
    those sharing no symbol, of the other kind (data for a fact) or of another outermost form
    (`shape`: an equation for a conjunction) are left out."""
    keyed = []
    kind = is_data(sig)
    form = {t for t in sig if t[:1] == "^"}
    for j, (cand, csig) in enumerate(target):
        union = sig | csig
        jac = len(sig & csig) / len(union) if union else 1.0
        same_form = not form or form == {t for t in csig if t[:1] == "^"}
        if cand not in taken and jac > 0.0 and is_data(csig) == kind and same_form:
            keyed.append(((jac, cand == name, -abs(i - j)), cand))
    return [cand for _, cand in sorted(keyed, key=lambda kc: kc[0], reverse=True)]


def renamings(
    tactic: str, source: Sequence[tuple[str, Sequence[str]]], target: Sequence[tuple[str, set[str]]], limit: int = 1,
    fixed: dict[str, str] | None = None,
) -> list[str]:
    """`tactic` with the hypotheses of the source state it mentions renamed onto the target
    state's, up to `limit` texts, best first. The first is the best one-to-one mapping (see
    `rename_hypotheses`); the others give one, then two, of the mentioned hypotheses their
    next most similar counterparts (a retrieved `rewrite H in H0` is worth trying on each
    equation and each hypothesis here, not only the likeliest pair). `fixed` maps some source
    names in advance (the hypothesis a retrieval by hypothesis was made for)."""
    fixed = fixed or {}
    mentioned = {m.group(1) for m in _NAME.finditer(tactic)}
    used = [(i, name, set(sig)) for i, (name, sig) in enumerate(source) if name in mentioned]
    if not used:
        return [tactic]
    taken = set(fixed.values())
    choices = [[fixed[name]] if name in fixed else _ranked(name, i, sig, target, taken)[:limit] for i, name, sig in used]
    if not all(choices):
        return []
    # Mappings in order of the summed ranks of their choices; one-to-one only.
    out: list[str] = []
    for ranks in itertools.islice(_by_rank_sum([len(c) for c in choices]), 64 * limit):
        picked = [c[r] for c, r in zip(choices, ranks)]
        if len(set(picked)) < len(picked):
            continue
        mapping = {name: new for (_, name, _), new in zip(used, picked)}
        text = _NAME.sub(lambda m: mapping.get(m.group(1), m.group(1)), tactic)
        if text not in out:
            out.append(text)
        if len(out) >= limit:
            break
    return out


def _by_rank_sum(sizes: Sequence[int]) -> Iterable[tuple[int, ...]]:
    """Every rank tuple (one rank below each size), in order of (sum, tuple), generated lazily: a
    tactic naming n hypotheses has limit**n mappings, and only the first few are wanted. Each tuple
    of sum s + 1 follows one of sum s, so a heap of the successors of those popped keeps the order."""
    first = (0,) * len(sizes)
    heap, seen = [(0, first)], {first}
    while heap:
        total, ranks = heapq.heappop(heap)
        yield ranks
        for i, size in enumerate(sizes):
            if ranks[i] + 1 < size:
                after = ranks[:i] + (ranks[i] + 1,) + ranks[i + 1:]
                if after not in seen:
                    seen.add(after)
                    heapq.heappush(heap, (total + 1, after))


def rename_hypotheses(
    tactic: str, source: Sequence[tuple[str, Sequence[str]]], target: Sequence[tuple[str, set[str]]]
) -> str | None:
    """`tactic` with each hypothesis of the source state it mentions renamed to the most similar
    hypothesis of the target state (Jaccard similarity of type symbols, one-to-one, ties to the
    same name then the same position); None when one has no counterpart."""
    found = renamings(tactic, source, target)
    return found[0] if found else None


@dataclass(frozen=True, slots=True)
class Neighbour:
    row: int
    similarity: float
    tactic: str


class KnnIndex:
    """Traced states as TF-IDF vectors; nearest states by cosine similarity."""

    def __init__(self, features: dict[str, int], idf: Any, matrix: Any, rows: Any,
                 hyp_matrix: Any, hyp_rows: Sequence[tuple[int, str]]) -> None:
        self.features = features
        self.idf = idf
        self.matrix = matrix  # scipy.sparse.csr_matrix, rows L2-normalised
        self.rows = rows  # per state: {"tactic", "hyps": [[name, [type symbols]]], "theorem", "file"}
        # (a list when built, a _LazyRows when loaded)
        # Per hypothesis that a traced tactic names: the features of its type (same vocabulary),
        # and (the state's row, the hypothesis's name there).
        self.hyp_matrix = hyp_matrix
        self.hyp_rows = hyp_rows
        self._last_target: tuple[Goal | None, list[tuple[str, set[str]]]] = (None, [])

    def _target(self, goal: Goal) -> list[tuple[str, set[str]]]:
        """`_type_signature(goal)`, kept for the goal last asked about: `propose` and
        `by_hypothesis` are asked about the same goal in each generator call."""
        last = self._last_target  # one read: another thread may replace it meanwhile
        if last[0] is goal:
            return last[1]
        signature = _type_signature(goal)
        self._last_target = (goal, signature)
        return signature

    # -- building ----------------------------------------------------------------------------

    @classmethod
    def build(cls, records: Iterable[dict[str, Any]], screen=None) -> "KnnIndex":
        """From trace step records: one row per distinct (focused goal, tactic)."""
        import numpy as np
        from scipy import sparse

        from lean_env.coq.sentences import screen_tactic

        screen = screen or screen_tactic
        seen: set[tuple[str, str]] = set()
        counts: list[Counter[str]] = []
        rows: list[dict[str, Any]] = []
        hyp_counts: list[Counter[str]] = []
        hyp_rows: list[tuple[int, str]] = []  # (row, the hypothesis of that row's state its tactic names)
        for rec in records:
            goals = rec["state_before"]["goals"]
            tactic = rec["tactic"].strip()
            if not goals or screen(tactic) is not None:
                continue
            goal = goal_from_record(goals[0])
            key = (str(goal), tactic)
            if key in seen:
                continue
            seen.add(key)
            for name, features in _named_facts(goal, tactic):
                hyp_rows.append((len(rows), name))
                hyp_counts.append(features)
            counts.append(state_features(goal))
            rows.append({
                "tactic": tactic,
                "hyps": [[n, sorted(s)] for n, s in _type_signature(goal)],
                "theorem": rec.get("theorem", ""),
                "file": rec.get("file", ""),
            })
        df: Counter[str] = Counter()
        for c in (*counts, *hyp_counts):  # one vocabulary: a hypothesis's skeleton features are its own
            df.update(c.keys())
        features = {f: i for i, f in enumerate(sorted(df))}
        n = max(1, len(counts) + len(hyp_counts))
        idf = np.array([math.log((1 + n) / (1 + df[f])) + 1.0 for f in sorted(df)], dtype=np.float32)

        def matrix_of(vectors: list[Counter[str]]) -> Any:
            """Rows TF-IDF weighted over the states' vocabulary and L2-normalised."""
            indptr, indices, data = [0], [], []
            for c in vectors:
                for f, v in c.items():
                    if f in features:
                        indices.append(features[f])
                        data.append((1.0 + math.log(v)) * idf[features[f]])
                indptr.append(len(indices))
            matrix = sparse.csr_matrix(
                (np.array(data, dtype=np.float32), np.array(indices, dtype=np.int32), np.array(indptr, dtype=np.int64)),
                shape=(len(vectors), len(features)),
            )
            norms = np.sqrt(matrix.multiply(matrix).sum(axis=1)).A1
            norms[norms == 0] = 1.0
            return sparse.diags(1.0 / norms).dot(matrix).tocsr().astype(np.float32)

        return cls(features, idf, matrix_of(counts), rows, matrix_of(hyp_counts), hyp_rows)

    def save(self, folder: Path) -> None:
        """Plain `.npy` arrays and one text file per per-state field, a line per entry (features,
        tactics and JSON-encoded hypotheses never contain a newline): loading is a few file reads,
        with no decompression and no JSON parse of the whole index."""
        import numpy as np

        folder.mkdir(parents=True, exist_ok=True)
        for name, array in (("data", self.matrix.data), ("indices", self.matrix.indices),
                            ("indptr", self.matrix.indptr), ("idf", self.idf), ("hyp_data", self.hyp_matrix.data),
                            ("hyp_indices", self.hyp_matrix.indices), ("hyp_indptr", self.hyp_matrix.indptr)):
            np.save(folder / f"{name}.npy", array)
        columns = {
            "features": list(self.features),
            "tactics": [r["tactic"] for r in self.rows],
            "hyps": [json.dumps(r["hyps"], ensure_ascii=False) for r in self.rows],
            "sources": [f"{r['file']}:{r['theorem']}" for r in self.rows],
            "hyp_rows": [f"{row} {name}" for row, name in self.hyp_rows],
        }
        for name, lines in columns.items():
            assert not any("\n" in line for line in lines), name
            (folder / f"{name}.txt").write_text("\n".join(lines), encoding="utf-8")
        (folder / META).write_text(json.dumps({"version": VERSION, "shape": list(self.matrix.shape),
                                               "hyp_shape": list(self.hyp_matrix.shape)}))

    @classmethod
    def load(cls, folder: Path) -> "KnnIndex":
        """Raises ValueError (one line) when `folder` is not an index."""
        import numpy as np
        from scipy import sparse

        try:
            meta = json.loads((folder / META).read_text())
        except (OSError, ValueError):
            raise ValueError(f"{folder}: not a knn index (build one with `prover index`)") from None
        if meta.get("version") != VERSION:
            raise ValueError(f"{folder}: index version {meta.get('version')} is not supported: rebuild it")

        def lines(name: str) -> list[str]:
            text = (folder / f"{name}.txt").read_text(encoding="utf-8")
            return text.split("\n") if text else []

        def matrix(prefix: str, shape: list[int]) -> Any:
            parts = [np.load(folder / f"{prefix}{name}.npy") for name in ("data", "indices", "indptr")]
            return sparse.csr_matrix(tuple(parts), shape=tuple(shape), copy=False)

        names = lines("features")
        rows = _LazyRows(lines("tactics"), lines("hyps"), lines("sources"))
        hyp_rows = [(int(row), name) for row, _, name in (line.partition(" ") for line in lines("hyp_rows"))]
        return cls(dict(zip(names, range(len(names)))), np.load(folder / "idf.npy"), matrix("", meta["shape"]), rows,
                   matrix("hyp_", meta["hyp_shape"]), hyp_rows)

    # -- querying ----------------------------------------------------------------------------

    def vector(self, goal: Goal) -> Any:
        return self._vector(state_features(goal))

    def _vector(self, counts: Counter[str]) -> Any:
        import numpy as np

        idx, vals = [], []
        for f, v in counts.items():
            i = self.features.get(f)
            if i is not None:
                idx.append(i)
                vals.append((1.0 + math.log(v)) * float(self.idf[i]))
        vec = np.zeros(len(self.features), dtype=np.float32)
        if idx:
            vec[idx] = vals
            vec /= np.linalg.norm(vec) or 1.0
        return vec

    def nearest(self, goal: Goal, k: int) -> list[Neighbour]:
        import numpy as np

        if self.matrix.shape[0] == 0:
            return []
        scores = self.matrix.dot(self.vector(goal))
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        tactics = [self.rows[int(i)]["tactic"] for i in top] if not isinstance(self.rows, _LazyRows) else [
            self.rows.tactics[int(i)] for i in top]
        return [Neighbour(int(i), float(scores[i]), t) for i, t in zip(top, tactics) if scores[i] > 0]

    def propose(self, goal: Goal, k: int, neighbours: int = 64, variants: int = 1) -> list[tuple[str, float]]:
        """Up to k (tactic, similarity) for `goal`: the nearest states' tactics, hypotheses renamed,
        best similarity first, each text once; `variants`: how many hypotheses here a tactic that
        names one hypothesis is tried with."""
        target = self._target(goal)
        out: dict[str, float] = {}
        for nb in self.nearest(goal, neighbours):
            row = self.rows[nb.row]
            for tactic in renamings(nb.tactic, [(n, s) for n, s in row["hyps"]], target, variants):
                out.setdefault(tactic, nb.similarity)
            if len(out) >= k:
                break
        return list(out.items())[:k]

    def by_hypothesis(self, goal: Goal, k: int, neighbours: int = 32) -> list[tuple[str, float]]:
        """Up to k (tactic, similarity): for each fact among the goal's hypotheses, the traced
        tactics that named a hypothesis of the most similar type, with that name mapped onto this
        fact (and any other hypothesis they name renamed as `propose` does). Per fact, tactics are
        ranked by summed similarity (one used on many hypotheses like this one first); the facts
        take turns, so each gets its best tactics near the top. This finds
        what is done *with* a hypothesis like `f : forall x, g x = a * x + b`, however unlike the
        rest of the traced state was."""
        import numpy as np

        if not self.hyp_rows:
            return []
        target = self._target(goal)
        local = set(hyp_names(goal))
        per_fact: list[list[tuple[str, float]]] = []
        for name, features in _facts(goal, local):
            scores = self.hyp_matrix.dot(self._vector(features))
            top = np.argsort(-scores, kind="stable")[:neighbours]
            votes: Counter[str] = Counter()  # a tactic used on many hypotheses like this one first
            for i in top:
                if scores[i] <= 0:
                    break
                row_index, source_name = self.hyp_rows[int(i)]
                row = self.rows[row_index]
                source = [(n, sig) for n, sig in row["hyps"]]
                for tactic in renamings(row["tactic"], source, target, 1, fixed={source_name: name}):
                    votes[tactic] += float(scores[i])
            per_fact.append([(tactic, min(1.0, vote)) for tactic, vote in votes.most_common(k)])
        return _alternate(*per_fact)[:k]


def _facts(goal: Goal, local: set[str]) -> list[tuple[str, Counter[str]]]:
    """(name, features of its type) for each hypothesis of `goal` that states a fact (not data,
    not a local definition); features as `state_features` gives hypotheses (prefix `h:`), local
    names numbered from the type's own first."""
    out = []
    for hyp in goal.hypotheses:
        if hyp.value is None and not is_data(_signature(hyp.type, local)):
            features = term_features(hyp.type, local, "h:") + skeleton_features(hyp.type, local)
            out.extend((name, features) for name in hyp.names)
    return out


_KEEP = frozenset({"forall", "exists", "fun", ",", ":", "=", "<>", "<", "<=", ">", ">=", "->", "<->", "/\\", "\\/", "~",
                   "(", ")"})


def skeleton_features(text: str, local: set[str]) -> Counter[str]:
    """The form of a type with its constants blanked (`forall x : R, f x = 3 * x + 1` reads
    `forall $x0 : _ , $x1 $x0 = _ _ $x0 _ _`): its opening, and its 3-grams. Two definitions of a
    function (`f x = ...`) look alike here whatever their right-hand sides, which is what matters
    for what a proof does with them."""
    toks = [t if t.startswith(LOCAL) or t in _KEEP else "_" for t in _abstract(_tokens(text), local)]
    feats: Counter[str] = Counter({"s:" + " ".join(toks[:8]): 1})
    for i in range(len(toks) - 2):
        feats["s:" + " ".join(toks[i:i + 3])] += 1
    return feats


def _named_facts(goal: Goal, tactic: str) -> list[tuple[str, Counter[str]]]:
    """The facts of `goal` that `tactic` names, with their features (see `_facts`)."""
    mentioned = {m.group(1) for m in _NAME.finditer(tactic)}
    return [(name, f) for name, f in _facts(goal, set(hyp_names(goal))) if name in mentioned]


class _LazyRows:
    """Per-state fields of a loaded index; a row's hypotheses are decoded when first asked for."""

    def __init__(self, tactics: list[str], hyps: list[str], sources: list[str]) -> None:
        self.tactics, self.hyps, self.sources = tactics, hyps, sources

    def __len__(self) -> int:
        return len(self.tactics)

    def __getitem__(self, i: int) -> dict[str, Any]:
        file, _, theorem = self.sources[i].rpartition(":")
        return {"tactic": self.tactics[i], "hyps": json.loads(self.hyps[i]), "file": file, "theorem": theorem}

    def __iter__(self):
        return (self[i] for i in range(len(self)))


def goal_from_record(goal: dict[str, Any]) -> Goal:
    from lean_env.base import Hypothesis

    hyps = tuple(Hypothesis(tuple(h["names"]), h["type"], h.get("value")) for h in goal["hypotheses"])
    return Goal(hyps, goal["conclusion"])


# Closers appended to retrieved tactics (`t; lia.`), by the kind of numbers the goal is about:
# a retrieved step that splits or rewrites the goal is worth most when whatever it leaves is
# closed at once, on every goal it made (which one search step cannot do for several goals).
# On nat and Z, `mod` and `/` by numerals are rewritten into linear facts before the slow `nia`.
CLOSERS: dict[str, tuple[str, ...]] = {
    "R": ("lra", "nra", "field"),  # field last: it may succeed leaving side conditions
    "Z": ("lia", f"({MOD_DIV_LIA})", "nia"),
    "nat": ("lia", f"({MOD_DIV_LIA})", "nia"),
    "": ("lia", "lra", "nia", "auto with arith"),
}
_NUMBER_TYPES = {"R": "R", "Z": "Z", "nat": "nat", "N": "Z", "positive": "Z", "Q": "R"}
_NUMBER_SCOPES = {"%R": "R", "%Z": "Z", "%nat": "nat", "%N": "Z", "%Q": "R"}
# Steps that reshape the goal without needing a library lemma to fit it: worth a closer after them.
_STRUCTURAL = frozenset({"intro", "intros", "destruct", "induction", "case", "elim", "split", "rewrite", "unfold",
                         "simpl", "subst", "replace", "repeat", "generalize", "inversion", "cbn", "red", "revert",
                         "assert", "pose", "cut", "clear", "symmetry", "exists", "left", "right", "constructor"})
_CLOSER_HEADS = ("lia", "lra", "nia", "nra", "field", "ring", "auto", "easy", "trivial", "reflexivity", "assumption",
                 "tauto", "intuition", "congruence", "discriminate", "contradiction", "exact", "now")


def closer_for(kind: str) -> str:
    """One closer text for a kind of numbers: its closers tried in turn on each goal (`first`), so
    a composed step costs one candidate, not one per closer."""
    closers = CLOSERS[kind]
    return closers[0] if len(closers) == 1 else f"first [{' | '.join(closers)}]"


def number_kind(goal: Goal) -> str:
    """"R", "Z", "nat", or "" (unknown): the numbers the goal is about, from its variables' types
    and scope marks, reals first (a goal mixing INR n with reals is a real goal)."""
    seen = {_NUMBER_TYPES[h.type.strip()] for h in goal.hypotheses if h.type.strip() in _NUMBER_TYPES}
    seen |= {kind for mark, kind in _NUMBER_SCOPES.items() if mark in goal.conclusion}
    seen |= {_NUMBER_TYPES[t] for t in re.findall(r":\s*(R|Z|nat|N|positive|Q)\b", goal.conclusion)}
    text = " ".join([goal.conclusion, *(h.type for h in goal.hypotheses)])
    if re.search(r"\b(INR|IZR|sqrt|Rabs|PI|Rpower)\b", text) or "R -> R" in text:
        seen.add("R")
    for kind in ("R", "Z", "nat"):
        if kind in seen:
            return kind
    return ""


def compose(tactic: str, closer: str) -> str | None:
    """`tactic` followed by `closer` on every goal it leaves, as one sentence, or None when that
    adds nothing (it already ends with a closer), is unlikely to (it does not start with a
    structural step such as a case split or a rewrite) or cannot be written safely (a goal
    selector, a text that is not one sentence)."""
    from lean_env.coq.sentences import split_tactic

    sentences, reason = split_tactic(tactic)
    if reason is not None or len(sentences) != 1:
        return None
    body = sentences[0].strip()[:-1].rstrip()
    if not body or re.match(r"^(\d+|all)\s*:", body) or body.split(";")[-1].split()[0] in _CLOSER_HEADS:
        return None
    if body.split()[0] not in _STRUCTURAL:
        return None  # `apply lemma; lra` from another development rarely fits; a case split or rewrite may
    if re.search(r"\b(by|match|with|using|in)\b|\|\||\b(try|repeat|do)\b", body):
        body = f"({body})"  # `rewrite H by t; lia` would hand `t; lia` to `by`
    return f"{body}; {closer}."


def rewrite_variants(tactic: str, hypotheses: Iterable[str] | None = None) -> list[str]:
    """Other forms of a retrieved `rewrite`: everywhere (`rewrite !E in *.`) and, for one equation,
    the other direction; [] for any other tactic. Where a traced rewrite acted (the goal, one
    hypothesis) and which way it turned its equation are as local to its proof as a hypothesis's
    name: a problem's definition `f x = ...` is unfolded left to right, in the givens as well as
    in the goal, where a library proof may have folded it back. With `hypotheses`, only a rewrite
    with one of them has variants (a library lemma's direction is part of what it means), and each
    of them in a chain (`rewrite h1, h0.`) is also tried alone, everywhere."""
    from lean_env.coq.sentences import split_tactic

    sentences, reason = split_tactic(tactic)
    if reason is not None or len(sentences) != 1:
        return []
    body = sentences[0].strip()[:-1].rstrip()
    if not re.match(r"^rewrite\s", body) or re.search(r"[;|\[\]]|\b(by|at|using)\b", body):
        return []
    terms = re.sub(r"\s+in\s+.*$", "", body)[len("rewrite"):].strip()
    if hypotheses is not None:
        named = {m.group(1) for m in _NAME.finditer(terms)}
        if not named & set(hypotheses):
            return []
    if terms.startswith("->"):
        terms = terms[2:].strip()
    forms = [terms]
    if "," not in terms:  # one equation: both directions
        forms.append(terms[2:].strip() if terms.startswith("<-") else f"<- {terms}")
    # Everywhere, as often as it applies (`!`: `f 6 - f 2` needs the definition twice).
    texts = [text for t in forms for text in (f"rewrite {_repeated(t)} in *.", f"rewrite {t}.")]
    if "," in terms and hypotheses is not None:  # a chain: also each hypothesis of it on its own
        mine = set(hypotheses)
        texts += [f"rewrite {_repeated(t.strip())} in *." for t in terms.split(",")
                  if {m.group(1) for m in _NAME.finditer(t)} & mine]
    return [t for t in dict.fromkeys(texts) if t != tactic.strip()]


def _repeated(terms: str) -> str:
    """`!` on each forward equation of a rewrite (`<- H, E` -> `<- H, !E`), unless it has a
    multiplicity. Backwards, once: a right-hand side that is a bare variable (`f x = x`) matches
    every term, and `!` would rewrite until the tactic timeout."""
    out = []
    for term in terms.split(","):
        term = term.strip()
        backwards = term.startswith("<-")
        rest = term[2:].strip() if backwards else term.lstrip("->").strip() if term.startswith("->") else term
        if not backwards and not re.match(r"^[!?\d]", rest):
            rest = "!" + rest
        out.append(f"<- {rest}" if backwards else rest)
    return ", ".join(out)


def _alternate(*lists: Sequence[tuple[str, float]]) -> list[tuple[str, float]]:
    """Round robin over ranked lists, each text once."""
    out: dict[str, float] = {}
    for group in itertools.zip_longest(*lists):
        for item in group:
            if item is not None:
                out.setdefault(item[0], item[1])
    return list(out.items())


class KnnGenerator:
    """`TacticGenerator` over a `KnnIndex`. Candidates, in try order:
    - the tactics of the focused goal's nearest traced states, alternating with the tactics
      traced on hypotheses most like this goal's facts (`KnnIndex.by_hypothesis`; `by_hypothesis=False`
      turns that off); a tactic naming one hypothesis is tried with the `variants` most similar ones;
    - after a rewrite, its other forms (`rewrite_variants`: everywhere, the other direction);
    - after each of the first `compose` structural steps, the step followed by the closers for the
      goal's kind of numbers (`compose`, `closer_for`; 0: none).

    Scores are log-similarities, so they fall between a portfolio's log-priors and 0. A derived
    candidate comes right after the tactic it extends; scores never rise along the list."""

    name = "knn"

    def __init__(self, index: KnnIndex | str | Path, backend: str = "coq", neighbours: int = 64,
                 compose: int = 12, variants: int = 3, by_hypothesis: bool = True) -> None:
        self.index = index if isinstance(index, KnnIndex) else KnnIndex.load(Path(index))
        self.backend = backend
        self.neighbours = neighbours
        self.compose = compose  # the closers and the `t; c.` form are Coq's, as the traces are
        self.variants = variants
        self.by_hypothesis = by_hypothesis

    def generate(self, theorem: Theorem, state: ProofState, k: int) -> list[Candidate]:
        if not state.goals:
            return []
        from lean_env.registry import screen

        goal = state.goals[0]
        closer = closer_for(number_kind(goal))
        names = hyp_names(goal)
        out: list[Candidate] = []
        seen: set[str] = set()
        composed = 0
        retrieved = self.index.propose(goal, k, max(self.neighbours, 4 * k), self.variants)
        if self.by_hypothesis:
            retrieved = _alternate(retrieved, self.index.by_hypothesis(goal, k))
        for tactic, sim in retrieved:
            score = math.log(max(sim, 1e-6))
            for base in (tactic, *rewrite_variants(tactic, names)):
                texts = [base]
                if composed < self.compose:
                    extended = compose(base, closer)
                    if extended is not None:
                        composed += 1
                        texts.append(extended)
                for text in texts:
                    if text not in seen and screen(self.backend, text) is None:
                        seen.add(text)
                        score = min(score, out[-1].score - 0.01) if out else score  # the list is the try order
                        out.append(Candidate(text, score, self.name))
            if len(out) >= k:
                break
        return out[:k]


def _steps_file(path: Path) -> Path:
    """A trace folder's steps.jsonl, or the JSONL file given; ValueError when there is none."""
    file = path / "steps.jsonl" if path.is_dir() else path
    if not file.is_file():
        raise ValueError(f"{path}: no trace here (expected steps.jsonl from `prover trace`)")
    return file


def read_records(path: Path) -> Iterable[dict[str, Any]]:
    """Step records from a trace folder (its steps.jsonl) or a JSONL file."""
    with open(_steps_file(path), encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def read_all_records(paths: Sequence[Path]) -> Iterable[dict[str, Any]]:
    """The step records of several traces, one after the other. Every path is checked before any
    record is read, so a typo in the last one fails before minutes of indexing."""
    for path in paths:
        _steps_file(path)
    return itertools.chain.from_iterable(read_records(path) for path in paths)


__all__ = ["KnnIndex", "KnnGenerator", "state_features", "rename_hypotheses", "read_records", "read_all_records", "compose", "number_kind",
           "rewrite_variants", "closer_for"]
