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

The index is a folder: the CSR matrix (states x features) and the idf weights as `.npy` arrays,
the features and, per state, its tactic, hypotheses and source as text files with one line each,
and `index.json` (format version and shape).
"""

from __future__ import annotations

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

_TOKEN = re.compile(r"[A-Za-z_][\w'.]*[\w']|[A-Za-z_]|\d+|[^\s\w]+")
_BINDERS = {"forall", "exists", "fun", "exists2"}
_NAME = re.compile(r"(?<![\w'.])([A-Za-z_][\w']*)(?![\w'])")
LOCAL = "$x"
META = "index.json"


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


def _type_signature(goal: Goal) -> list[tuple[str, set[str]]]:
    """(name, abstracted symbols of its type) for each hypothesis name, in context order."""
    local = set(hyp_names(goal))
    out = []
    for hyp in goal.hypotheses:
        sig = {t if not t.startswith(LOCAL) else LOCAL for t in _abstract(_tokens(hyp.type), local)} - {"(", ")"}
        out.extend((name, sig) for name in hyp.names)
    return out


def _ranked(name: str, i: int, sig: set[str], target: Sequence[tuple[str, set[str]]], taken: set[str]) -> list[str]:
    """Target hypotheses for source hypothesis `name` (position i, type symbols `sig`), best
    first: Jaccard similarity of type symbols, then the same name, then the nearest position;
    those sharing no symbol are left out."""
    keyed = []
    for j, (cand, csig) in enumerate(target):
        union = sig | csig
        jac = len(sig & csig) / len(union) if union else 1.0
        if cand not in taken and jac > 0.0:
            keyed.append(((jac, cand == name, -abs(i - j)), cand))
    return [cand for _, cand in sorted(keyed, key=lambda kc: kc[0], reverse=True)]


def renamings(
    tactic: str, source: Sequence[tuple[str, Sequence[str]]], target: Sequence[tuple[str, set[str]]], limit: int = 1
) -> list[str]:
    """`tactic` with the hypotheses of the source state it mentions renamed onto the target
    state's: the best one-to-one mapping first (see `rename_hypotheses`), then, for a tactic that
    mentions one hypothesis, the same tactic on the next most similar ones, up to `limit` texts
    (a retrieved `rewrite H` is worth trying with each equation here, not only the likeliest)."""
    mentioned = {m.group(1) for m in _NAME.finditer(tactic)}
    used = [(i, name, set(sig)) for i, (name, sig) in enumerate(source) if name in mentioned]
    if not used:
        return [tactic]
    if len(used) == 1:
        i, name, sig = used[0]
        choices = _ranked(name, i, sig, target, set())[:limit]
        return [_NAME.sub(lambda m, c=c: c if m.group(1) == name else m.group(1), tactic) for c in choices]
    mapping: dict[str, str] = {}
    for i, name, sig in used:
        best = _ranked(name, i, sig, target, set(mapping.values()))
        if not best:
            return []
        mapping[name] = best[0]
    return [_NAME.sub(lambda m: mapping.get(m.group(1), m.group(1)), tactic)]


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

    def __init__(self, features: dict[str, int], idf: Any, matrix: Any, rows: list[dict[str, Any]]) -> None:
        self.features = features
        self.idf = idf
        self.matrix = matrix  # scipy.sparse.csr_matrix, rows L2-normalised
        self.rows = rows  # per state: {"tactic", "hyps": [[name, [type symbols]]], "theorem", "file"}
        # (a list when built, a _LazyRows when loaded)

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
            counts.append(state_features(goal))
            rows.append({
                "tactic": tactic,
                "hyps": [[n, sorted(s)] for n, s in _type_signature(goal)],
                "theorem": rec.get("theorem", ""),
                "file": rec.get("file", ""),
            })
        df: Counter[str] = Counter()
        for c in counts:
            df.update(c.keys())
        features = {f: i for i, f in enumerate(sorted(df))}
        n = max(1, len(counts))
        idf = np.array([math.log((1 + n) / (1 + df[f])) + 1.0 for f in sorted(df)], dtype=np.float32)
        indptr, indices, data = [0], [], []
        for c in counts:
            for f, v in c.items():
                indices.append(features[f])
                data.append((1.0 + math.log(v)) * idf[features[f]])
            indptr.append(len(indices))
        matrix = sparse.csr_matrix(
            (np.array(data, dtype=np.float32), np.array(indices, dtype=np.int32), np.array(indptr, dtype=np.int64)),
            shape=(len(counts), len(features)),
        )
        norms = np.sqrt(matrix.multiply(matrix).sum(axis=1)).A1
        norms[norms == 0] = 1.0
        matrix = sparse.diags(1.0 / norms).dot(matrix).tocsr().astype(np.float32)
        return cls(features, idf, matrix, rows)

    def save(self, folder: Path) -> None:
        """Plain `.npy` arrays and one text file per per-state field, a line per entry (features,
        tactics and JSON-encoded hypotheses never contain a newline): loading is a few file reads,
        with no decompression and no JSON parse of the whole index."""
        import numpy as np

        folder.mkdir(parents=True, exist_ok=True)
        for name, array in (("data", self.matrix.data), ("indices", self.matrix.indices),
                            ("indptr", self.matrix.indptr), ("idf", self.idf)):
            np.save(folder / f"{name}.npy", array)
        columns = {
            "features": list(self.features),
            "tactics": [r["tactic"] for r in self.rows],
            "hyps": [json.dumps(r["hyps"], ensure_ascii=False) for r in self.rows],
            "sources": [f"{r['file']}:{r['theorem']}" for r in self.rows],
        }
        for name, lines in columns.items():
            assert not any("\n" in line for line in lines), name
            (folder / f"{name}.txt").write_text("\n".join(lines), encoding="utf-8")
        (folder / META).write_text(json.dumps({"version": 3, "shape": list(self.matrix.shape)}))

    @classmethod
    def load(cls, folder: Path) -> "KnnIndex":
        """Raises ValueError (one line) when `folder` is not an index."""
        import numpy as np
        from scipy import sparse

        try:
            meta = json.loads((folder / META).read_text())
        except (OSError, ValueError):
            raise ValueError(f"{folder}: not a knn index (build one with `prover index`)") from None
        if meta.get("version") != 3:
            raise ValueError(f"{folder}: index version {meta.get('version')} is not supported: rebuild it")

        def lines(name: str) -> list[str]:
            text = (folder / f"{name}.txt").read_text(encoding="utf-8")
            return text.split("\n") if text else []

        arrays = {name: np.load(folder / f"{name}.npy") for name in ("data", "indices", "indptr", "idf")}
        matrix = sparse.csr_matrix((arrays["data"], arrays["indices"], arrays["indptr"]), shape=tuple(meta["shape"]),
                                   copy=False)
        names = lines("features")
        rows = _LazyRows(lines("tactics"), lines("hyps"), lines("sources"))
        return cls(dict(zip(names, range(len(names)))), arrays["idf"], matrix, rows)

    # -- querying ----------------------------------------------------------------------------

    def vector(self, goal: Goal) -> Any:
        import numpy as np

        idx, vals = [], []
        for f, v in state_features(goal).items():
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
        target = _type_signature(goal)
        out: dict[str, float] = {}
        for nb in self.nearest(goal, neighbours):
            row = self.rows[nb.row]
            for tactic in renamings(nb.tactic, [(n, s) for n, s in row["hyps"]], target, variants):
                out.setdefault(tactic, nb.similarity)
            if len(out) >= k:
                break
        return list(out.items())[:k]


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
CLOSERS: dict[str, tuple[str, ...]] = {
    "R": ("lra", "field", "nra"),
    "Z": ("lia", "nia"),
    "nat": ("lia", "nia"),
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


class KnnGenerator:
    """`TacticGenerator` over a `KnnIndex`: the focused goal's nearest traced tactics, and the best
    of them composed with a closer for the goal's kind of numbers (`compose` of them; 0: none); a
    tactic naming one hypothesis is tried with the `variants` most similar hypotheses here.

    Scores are log-similarities, so they fall between a portfolio's log-priors and 0. A composed
    candidate comes right after the tactic it extends; scores never rise along the list."""

    name = "knn"

    def __init__(self, index: KnnIndex | str | Path, backend: str = "coq", neighbours: int = 64,
                 compose: int = 6, variants: int = 3) -> None:
        self.index = index if isinstance(index, KnnIndex) else KnnIndex.load(Path(index))
        self.backend = backend
        self.neighbours = neighbours
        self.compose = compose  # the closers and the `t; c.` form are Coq's, as the traces are
        self.variants = variants

    def generate(self, theorem: Theorem, state: ProofState, k: int) -> list[Candidate]:
        if not state.goals:
            return []
        from lean_env.registry import screen

        goal = state.goals[0]
        closers = CLOSERS[number_kind(goal)] if self.compose else ()
        out: list[Candidate] = []
        seen: set[str] = set()
        composed = 0
        for tactic, sim in self.index.propose(goal, k, max(self.neighbours, 4 * k), self.variants):
            score = math.log(max(sim, 1e-6))
            texts = [tactic]
            if composed < self.compose:
                extended = [c for c in (compose(tactic, closer) for closer in closers) if c is not None]
                composed += bool(extended)
                texts += extended
            for text in texts:
                if text not in seen and screen(self.backend, text) is None:
                    seen.add(text)
                    score = min(score, out[-1].score - 0.01) if out else score  # the list is the try order
                    out.append(Candidate(text, score, self.name))
        return out[:k]


def read_records(path: Path) -> Iterable[dict[str, Any]]:
    """Step records from a trace folder (its steps.jsonl) or a JSONL file."""
    file = path / "steps.jsonl" if path.is_dir() else path
    if not file.is_file():
        raise ValueError(f"{path}: no trace here (expected steps.jsonl from `prover trace`)")
    with open(file, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


__all__ = ["KnnIndex", "KnnGenerator", "state_features", "rename_hypotheses", "read_records", "compose", "number_kind"]
