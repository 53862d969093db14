"""Whole-proof sampling: sample N proofs per theorem, check each on a warm process, verify the passes.

The first-stage check runs a sample's whole script on the long-lived proof assistant the env
already holds (Coq: the screened sentences on the warm coqtop, from the theorem's root state, so
each sample starts from a rewound state). Only a sample that closes every goal there goes to the
independent verifier (`env.verify`: a fresh process, the original statement, an axiom audit);
only a verified sample counts. Every sample becomes a `SampleRecord`, handed to `on_sample` as
soon as it is decided so a caller can make it durable before the next one starts; `done` records
(from an interrupted run) are never redone.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

from lean_env.base import (
    Advanced,
    FailureKind,
    ProofEnv,
    ProofState,
    Proved,
    TacticFailure,
    Theorem,
)
from prover.whole_proof import ExtractionError, ProofSampler, WholeProofFormat

log = logging.getLogger(__name__)

# Sample statuses. Only VERIFIED counts as a proof.
VERIFIED = "verified"  # passed the warm check and the independent verifier
UNVERIFIED = "unverified"  # closed the goals on the warm process, refused by the verifier
INCOMPLETE = "incomplete"  # ran without error but goals remain
FAILED = "failed"  # the proof assistant reported an error
TIMEOUT = "timeout"  # the check ran past the per-proof limit
REJECTED = "rejected"  # refused before sending (forbidden sentence, vernacular, admit, sorry...)
GAVE_UP = "gave_up"  # goals closed by giving up
NO_PROOF = "no_proof"  # nothing to check could be extracted from the model output
STATUSES = (VERIFIED, UNVERIFIED, INCOMPLETE, FAILED, TIMEOUT, REJECTED, GAVE_UP, NO_PROOF)

_KIND = {
    FailureKind.ERROR: FAILED, FailureKind.TIMEOUT: TIMEOUT, FailureKind.REJECTED: REJECTED,
    FailureKind.NO_PROGRESS: INCOMPLETE, FailureKind.GAVE_UP: GAVE_UP, FailureKind.CRASHED: FAILED,
}


@dataclass(frozen=True, slots=True)
class SampleRecord:
    """One sampled proof and what became of it (one JSON line)."""

    theorem: str
    index: int  # 0-based sample index: samples are drawn and decided in this order
    output: str  # the raw model output
    proof: str  # the extracted proof script ("" when none)
    status: str  # one of STATUSES
    error: str = ""  # why it failed ("" when verified)
    seconds: float = 0.0  # check + verification wall time for this sample
    check_seconds: float = 0.0  # warm first-stage check
    verify_seconds: float = 0.0  # independent verifier
    generate_seconds: float = 0.0  # this sample's share of its generation round

    @property
    def verified(self) -> bool:
        return self.status == VERIFIED

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "SampleRecord":
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


@dataclass(frozen=True, slots=True)
class SamplingConfig:
    num_samples: int = 32  # N: samples per theorem
    batch: int = 8  # samples drawn per round (a theorem stops after the round that verifies one)
    all_samples: bool = False  # draw and check all N even after a verified one (full pass@k curve)
    proof_timeout: float = 30.0  # wall-clock seconds for the warm check of one whole proof
    wall_time: float = 600.0  # seconds per theorem, generation and checks included

    def __post_init__(self) -> None:
        if self.num_samples < 1 or self.batch < 1:
            raise ValueError("num_samples and batch must be at least 1")


@dataclass(frozen=True, slots=True)
class SamplingResult:
    theorem: Theorem
    records: tuple[SampleRecord, ...]  # all of them, earlier sessions' included, by index
    stop_reason: str  # "proved", "samples" (N drawn), "exhausted" (the source ran dry), "wall_time"
    generate_seconds: float = 0.0  # this session's generation time
    check_seconds: float = 0.0
    verify_seconds: float = 0.0

    @property
    def proved(self) -> bool:
        return any(r.verified for r in self.records)

    @property
    def proof(self) -> str:
        return next((r.proof for r in self.records if r.verified), "")


def check_sample(
    env: ProofEnv, theorem: Theorem, root: ProofState, proof: str, timeout: float
) -> tuple[str, str, float, float, str]:
    """Check one extracted proof: (status, error, check seconds, verify seconds, the proof as
    checked: `proof`, or the text the env kept, where Lean's answer replaced an `exact?`).

    Coq: the whole script is one text for `env.run_tactic` on the root: the env splits it into
    sentences and screens every one (a vernacular or `admit` anywhere refuses the whole sample),
    runs them on its warm coqtop and rewinds on the next call. An env with `check_proof` (Lean)
    checks the proof as one tactic block on the theorem's root state instead (never as a command). A script that closes all
    goals is then checked from scratch by `env.verify`."""
    reason = env.screen(proof)
    if reason is not None:
        return REJECTED, reason, 0.0, 0.0, proof
    start = time.monotonic()
    check = getattr(env, "check_proof", None)  # Lean: one tactic block on the warm process
    result = check(theorem, proof, timeout) if callable(check) else env.run_tactic(root, proof, timeout)
    checked = time.monotonic() - start
    if isinstance(result, TacticFailure):
        return _KIND[result.kind], result.message, checked, 0.0, proof
    if isinstance(result, Advanced):
        return INCOMPLETE, f"{len(result.state.goals)} goal(s) left", checked, 0.0, proof
    assert isinstance(result, Proved)
    verdict = env.verify(theorem, result.proof)
    kept = result.proof[0] if len(result.proof) == 1 else proof  # what was verified, to record
    if verdict.ok:
        return VERIFIED, "", checked, verdict.seconds, kept
    return UNVERIFIED, verdict.message, checked, verdict.seconds, kept


def sample_and_check(
    env: ProofEnv,
    sampler: ProofSampler,
    fmt: WholeProofFormat,
    theorem: Theorem,
    config: SamplingConfig,
    *,
    done: Sequence[SampleRecord] = (),
    on_sample: Callable[[SampleRecord], None] | None = None,
) -> SamplingResult:
    """Sample and check proofs of `theorem` in rounds of `config.batch` until one verifies (unless
    `all_samples`), N are decided, the sampler runs dry, or the wall time is spent.

    `done`: records of an earlier, interrupted session; their indices are skipped, and a verified
    one among them ends the theorem at once (unless `all_samples`). Raises BadTheorem when the
    statement does not elaborate, EnvError when the assistant is broken beyond repair."""
    start = time.monotonic()
    records = {r.index: r for r in done if r.theorem == theorem.name}
    totals = {"generate": 0.0, "check": 0.0, "verify": 0.0}

    def finish(reason: str) -> SamplingResult:
        ordered = tuple(records[i] for i in sorted(records))
        return SamplingResult(theorem, ordered, reason, totals["generate"], totals["check"], totals["verify"])

    def solved() -> bool:
        return not config.all_samples and any(r.verified for r in records.values())

    if solved():
        return finish("proved")
    root: ProofState | None = None
    reopen = False
    index = 0
    while index < config.num_samples:
        if solved():
            return finish("proved")
        if time.monotonic() - start >= config.wall_time:
            return finish("wall_time")
        todo = [i for i in range(index, min(index + config.batch, config.num_samples)) if i not in records]
        index = min(index + config.batch, config.num_samples)
        if not todo:
            continue
        t0 = time.monotonic()
        # A round asks for the samples still missing in it: a resumed round draws fewer.
        outputs = sampler.sample(theorem, todo[0], len(todo))
        share = (time.monotonic() - t0) / max(1, len(outputs))
        totals["generate"] += time.monotonic() - t0
        if not outputs:
            return finish("exhausted")
        for i, output in zip(todo, outputs):
            if root is None or reopen:
                # Re-entering the theorem after a sample that closed every goal: coqtop prints a goal
                # display only when it differs from the last one it printed, so after a BackTo a
                # second proof ending in "No more goals" would print nothing and read as "changed
                # nothing". Entering the statement again prints the root goals and resets that.
                root = env.open(theorem)  # BadTheorem propagates: the statement is at fault
            record = _decide(env, theorem, root, fmt, i, output, config.proof_timeout)
            reopen = record.status in (VERIFIED, UNVERIFIED)
            record = SampleRecord(**{**record.to_json(), "generate_seconds": share})
            totals["check"] += record.check_seconds
            totals["verify"] += record.verify_seconds
            records[i] = record
            if on_sample is not None:
                on_sample(record)
            if solved():
                return finish("proved")
            if time.monotonic() - start >= config.wall_time:
                return finish("wall_time")
        if len(outputs) < len(todo):
            return finish("exhausted")
    return finish("proved" if any(r.verified for r in records.values()) else "samples")


def _decide(env: ProofEnv, theorem: Theorem, root: ProofState, fmt: WholeProofFormat, index: int,
            output: str, timeout: float) -> SampleRecord:
    t0 = time.monotonic()
    try:
        proof = fmt.extract(output, theorem)
    except ExtractionError as exc:
        return SampleRecord(theorem.name, index, output, "", NO_PROOF, str(exc))
    status, error, check, verify, proof = check_sample(env, theorem, root, proof, timeout)
    log.debug("%s sample %d: %s %s", theorem.name, index, status, error[:80])
    return SampleRecord(theorem.name, index, output, proof, status, error, time.monotonic() - t0, check, verify)

