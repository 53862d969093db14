"""Per-theorem results of an evaluation run, and the run directory that holds them.

One JSONL line per theorem, appended and fsync'ed as each finishes, so a run killed at any moment
loses at most the line being written. Reading back tolerates exactly that: a truncated last line
is dropped and the file rewritten cleanly, and a name is never kept twice.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import logging
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, ValidationError

from prover.factory import GeneratorOptions

if TYPE_CHECKING:
    from search.best_first import SearchConfig

log = logging.getLogger(__name__)

CONFIG_FILE, RESULTS_FILE, SUMMARY_JSON, SUMMARY_MD = "config.json", "results.jsonl", "summary.json", "summary.md"
TREES_DIR, SESSIONS_FILE = "trees", "sessions.jsonl"


@dataclass(frozen=True, slots=True)
class Budget:
    """N attempts x S samples per expansion x T expansions, plus wall-clock limits: the run's record
    of the search budget (`SearchConfig`, which validates it) and how many searches to run."""

    attempts: int = 1  # N: independent searches per theorem (only useful when sampling); informal: sketches
    samples: int = 32  # S: candidates asked of the generator per expansion
    expansions: int = 100  # T: expansions per attempt
    wall_time: float = 600.0  # seconds per theorem, all attempts together
    tactic_timeout: float = 5.0  # seconds per tactic

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"--attempts must be at least 1 (got {self.attempts})")
        self.search(self.wall_time)  # the search's own checks, with the same messages

    def search(self, wall_time: float) -> SearchConfig:
        """One search's budget with `wall_time` seconds left (spent time: a search that stops at once)."""
        from search.best_first import SearchConfig

        return SearchConfig(self.expansions, self.samples, max(wall_time, 1e-6), self.tactic_timeout)

    def describe(self) -> str:
        return (
            f"{self.attempts} attempt(s) x {self.samples} samples x {self.expansions} expansions, "
            f"{self.wall_time:g} s per theorem, {self.tactic_timeout:g} s per tactic"
        )


@dataclass(frozen=True, slots=True)
class RunConfig:
    """What decides a run's results; resuming with a different one is refused."""

    dataset: str  # registry name, e.g. "minif2f-coq"
    dataset_commit: str
    backend: str
    split: str  # "valid", "test" or "all"
    names: tuple[str, ...]  # the selected problems, in order
    generator: GeneratorOptions  # the tactic generators and the model spec (never its API key)
    budget: Budget
    policy: str = "cumulative"
    mode: str = "formal"  # "formal": best-first search; "informal": Draft-Sketch-Prove (sketch, fill holes, verify)
    sketches: str | None = None  # informal: folder of human sketch files; None: the model writes them
    informal_data: str | None = None  # informal: folder of <split>/<name>.json when the dataset has no informal text
    # whole-proof: {"num_samples", "batch", "all_samples", "prompt_format", "max_tokens", "proofs"}; None otherwise
    whole_proof: dict[str, Any] | None = None
    extra_imports: str = ""  # Coq: library loads after each header, for the search and the proof module only
    # A digest of the selected problems' headers and statements (`statements_digest`): a resume
    # that reads the data from elsewhere (`--data` may move) must find the same statements.
    statements: str = ""

    def to_json(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        return {**data, "names": list(self.names), "budget": asdict(self.budget), "generator": self.generator.to_json()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunConfig:
        data = dict(data)
        data["names"] = tuple(data["names"])
        data["budget"] = Budget(**data["budget"])
        generator = data["generator"]
        if "engine" in generator:  # written before the model spec was typed: model fields were flat
            generator = _typed_generator(generator)
        data["generator"] = GeneratorOptions.from_json(generator)
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})

    def differences(self, other: RunConfig) -> list[str]:
        """Field names that differ (what a refused resume reports)."""
        mine, theirs = self.to_json(), other.to_json()
        if not (mine["statements"] and theirs.get("statements")):  # a run from before the digest
            mine.pop("statements")
        return [k for k in mine if mine[k] != theirs.get(k)]


def statements_digest(theorems: Iterable[Any]) -> str:
    """A digest of what is proved: each theorem's name, header and statement, in order."""
    text = json.dumps([[t.name, t.header, t.statement] for t in theorems])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _typed_generator(flat: dict[str, Any]) -> dict[str, Any]:
    """An older run's flat generator options (model fields beside the generator's) in today's form."""
    own = ("backend", "portfolio", "tactics_file", "knn_index", "combine")
    renamed = {"beam_search": "beam"}
    spec = {renamed.get(k, k): v for k, v in flat.items() if k not in own and v is not None}
    return {**{k: flat[k] for k in own if k in flat}, "model": spec if flat.get("model") else None}


@dataclass(frozen=True, slots=True)
class TheoremResult:
    """The outcome of one theorem: one JSONL line. `error` is set when no search could run."""

    name: str
    split: str
    category: str
    proved: bool
    proof: tuple[str, ...] = ()  # the verified tactic script, () when not proved
    stop_reason: str = ""  # "proved", "expansions", "wall_time", "exhausted", "error"
    error: str | None = None  # "statement does not elaborate: ...", "worker died: ...", ...
    attempts: int = 0  # budget used: searches run (informal mode: sketches tried)
    expansions: int = 0
    tactic_calls: int = 0
    wall_seconds: float = 0.0
    assistant_seconds: float = 0.0  # waiting on the proof assistant (coqtop)
    verify_seconds: float = 0.0  # independent checks (coqc)
    env_seconds: float = 0.0  # in the env bridge, assistant time included
    generator_seconds: float = 0.0
    search_seconds: float = 0.0  # the search's own bookkeeping
    restarts: int = 0  # proof-assistant restarts during this theorem
    retries: int = 0  # times the theorem was resubmitted after its worker died
    worker: str = ""  # which worker ran it (pid or actor)
    tree: str | None = field(default=None, compare=False, repr=False)  # node-link JSON; not in the line
    # whole-proof mode: every sample (search.whole_proof.SampleRecord as JSON), by index; () otherwise
    samples: tuple[dict[str, Any], ...] = field(default=(), compare=False, repr=False)

    @property
    def outside_assistant_seconds(self) -> float:
        """Wall time not spent in the proof assistant or its verifier."""
        return max(0.0, self.wall_seconds - self.assistant_seconds - self.verify_seconds)

    @property
    def elaborated(self) -> bool:
        return not (self.error or "").startswith("statement does not elaborate")

    @property
    def failed_to_run(self) -> bool:
        """An error, not a result: the search could not run as asked (a broken proof assistant, a
        failing model, a dead worker). A statement that does not elaborate, or a problem without
        its input (no sketch), is that theorem's own outcome instead."""
        return self.stop_reason == "error" and self.elaborated

    def to_line(self) -> str:
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("tree", "samples")}
        data["proof"] = list(self.proof)
        if self.samples:  # only whole-proof lines carry samples: other lines are unchanged
            data["samples"] = list(self.samples)
        return json.dumps(data, ensure_ascii=False)

    def same_outcome(self, other: TheoremResult) -> bool:
        """Equal up to timings and worker identity (what a resumed run must reproduce)."""
        return (self.name, self.proved, self.proof, self.stop_reason, self.error is None) == (
            other.name, other.proved, other.proof, other.stop_reason, other.error is None
        )


class ResultLine(BaseModel):
    """Wire form of a results line (validated on resume)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    name: str
    split: str
    category: str
    proved: bool
    proof: list[str] = []
    stop_reason: str = ""
    error: str | None = None
    attempts: int = 0
    expansions: int = 0
    tactic_calls: int = 0
    wall_seconds: float = 0.0
    assistant_seconds: float = 0.0
    verify_seconds: float = 0.0
    env_seconds: float = 0.0
    generator_seconds: float = 0.0
    search_seconds: float = 0.0
    restarts: int = 0
    retries: int = 0
    worker: str = ""
    samples: list[dict[str, Any]] = []

    def to_domain(self) -> TheoremResult:
        return TheoremResult(**{**self.model_dump(), "proof": tuple(self.proof), "samples": tuple(self.samples)})


def read_results(path: Path, repair: bool = False) -> list[TheoremResult]:
    """Results in file order, one per name (the first kept). A line that does not parse is a
    truncated write: dropped, and with `repair` the file is rewritten without it."""
    path = Path(path)
    if not path.exists():
        return []
    raw = path.read_bytes()
    out: dict[str, TheoremResult] = {}
    dropped = 0
    for line in raw.decode("utf-8", errors="replace").split("\n"):  # not splitlines: U+2028 may be in a proof
        if not line.strip():
            continue
        try:
            result = ResultLine.model_validate_json(line).to_domain()
        except ValidationError:
            dropped += 1
            continue
        if result.name in out:
            dropped += 1
            continue
        out[result.name] = result
    clean_end = raw.endswith(b"\n") or not raw
    if repair and (dropped or not clean_end):
        log.warning("%s: dropped %d unreadable or duplicate line(s); rewriting", path, dropped)
        tmp = path.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            f.writelines(r.to_line() + "\n" for r in out.values())
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    return list(out.values())


class ResultsWriter:
    """Appends one line per result and makes it durable before returning."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._file = open(self.path, "a", encoding="utf-8")

    def write(self, result: TheoremResult) -> None:
        self._file.write(result.to_line() + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> ResultsWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ConfigMismatch(ValueError):
    """`--resume` with options that would change the results."""


class RunDir:
    """A run directory: config.json, results.jsonl, trees/, sessions.jsonl, summary.{md,json}, *.png."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    config_path = property(lambda self: self.path / CONFIG_FILE)
    results_path = property(lambda self: self.path / RESULTS_FILE)
    trees = property(lambda self: self.path / TREES_DIR)

    def create(self, config: RunConfig) -> None:
        """Start a new run; refuses a folder that already holds results."""
        if self.results_path.exists() and self.results_path.stat().st_size > 0:
            raise ValueError(f"{self.path} already holds results: use --resume {self.path}")
        stale = self.path / "samples"  # whole-proof samples of a run killed before its first result
        if stale.is_dir():
            # they were decided for another run (another model, budget or dataset): a new run
            # counts only samples it checked itself
            log.warning("%s: removing %s, left by an earlier run", self.path, stale)
            shutil.rmtree(stale)
        self.trees.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(json.dumps(config.to_json(), indent=1) + "\n")

    def load_config(self) -> RunConfig:
        if not self.config_path.exists():
            raise ValueError(f"{self.path}: not a run directory (no {CONFIG_FILE})")
        return RunConfig.from_json(json.loads(self.config_path.read_text()))

    def resume(self, config: RunConfig) -> list[TheoremResult]:
        """Check `config` against the stored one and return the results already written.

        Raises ConfigMismatch naming the differing fields."""
        stored = self.load_config()
        diff = stored.differences(config)
        if diff:
            raise ConfigMismatch(f"{self.path} was run with other {', '.join(diff)}: use a new run directory")
        self.trees.mkdir(parents=True, exist_ok=True)
        results = read_results(self.results_path, repair=True)
        retry = [r for r in results if r.failed_to_run]
        if retry:  # an error is not a result: those theorems run again
            log.warning("%s: retrying %d theorem(s) that ended in an error", self.path, len(retry))
            kept = [r for r in results if r not in retry]
            tmp = self.results_path.with_suffix(".tmp")
            with open(tmp, "w", encoding="utf-8") as f:
                f.writelines(r.to_line() + "\n" for r in kept)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.results_path)
            results = kept
        return results

    def write_tree(self, result: TheoremResult) -> None:
        if result.tree is not None:
            tmp = self.trees / f".{result.name}.json.tmp"
            tmp.write_text(result.tree)
            os.replace(tmp, self.trees / f"{result.name}.json")

    def tree_path(self, name: str) -> Path:
        return self.trees / f"{name}.json"

    def add_session(self, record: dict[str, Any]) -> None:
        with open(self.path / SESSIONS_FILE, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")

    def sessions(self) -> list[dict[str, Any]]:
        path = self.path / SESSIONS_FILE
        if not path.exists():
            return []
        out = []
        for line in path.read_text().split("\n"):
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                continue
        return out


def results_by_name(results: Iterable[TheoremResult]) -> dict[str, TheoremResult]:
    return {r.name: r for r in results}
