"""The leanprover-community/repl wire format: request validation, compact framing, typed responses.

The REPL exits on any input it cannot parse (repl #16), so every request is built from a model
here and checked before it is sent. Field names follow `REPL/JSON.lean`; the REPL omits empty
lists (`Json.nonemptyList`), hence the defaults. Pydantic stays at this edge: `classify` turns a
response into a plain `StepOutcome` for the rest of the bridge.
"""

from __future__ import annotations

import enum
import json
import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt, ValidationError

from lean_env.base import ProtocolError

# Lean reads one request as the lines up to a blank line; json.dumps escapes every control
# character, so a request is always one line. Surrogates cannot be encoded in UTF-8 at all.
MAX_REQUEST_CHARS = 1_000_000


class Wire(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)


# ----------------------------------------------------------------------------- requests


class Request(Wire):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class CommandRequest(Request):
    """Run Lean commands; without `env` a new session (imports allowed)."""

    cmd: str
    env: NonNegativeInt | None = None
    all_tactics: bool | None = Field(default=None, alias="allTactics")
    root_goals: bool | None = Field(default=None, alias="rootGoals")
    infotree: Literal["full", "tactics", "original", "substantive"] | None = None


class FileRequest(Request):
    path: str = Field(min_length=1)
    env: NonNegativeInt | None = None
    all_tactics: bool | None = Field(default=None, alias="allTactics")
    infotree: Literal["full", "tactics", "original", "substantive"] | None = None


class ProofStepRequest(Request):
    """One tactic (any text the `tactic` parser category accepts, newlines included)."""

    proof_state: NonNegativeInt = Field(alias="proofState")
    tactic: str = Field(min_length=1)


class PickleEnvRequest(Request):
    env: NonNegativeInt
    pickle_to: str = Field(alias="pickleTo", min_length=1)


class UnpickleEnvRequest(Request):
    unpickle_env_from: str = Field(alias="unpickleEnvFrom", min_length=1)


class PickleProofStateRequest(Request):
    proof_state: NonNegativeInt = Field(alias="proofState")
    pickle_to: str = Field(alias="pickleTo", min_length=1)


class UnpickleProofStateRequest(Request):
    unpickle_proof_state_from: str = Field(alias="unpickleProofStateFrom", min_length=1)
    env: NonNegativeInt | None = None


AnyRequest = (
    CommandRequest
    | FileRequest
    | ProofStepRequest
    | PickleEnvRequest
    | UnpickleEnvRequest
    | PickleProofStateRequest
    | UnpickleProofStateRequest
)
# The order in which `parse` in REPL/Main.lean tries the shapes; the first match wins there too.
_REQUEST_SHAPES: tuple[type[Request], ...] = (
    ProofStepRequest,
    PickleEnvRequest,
    UnpickleEnvRequest,
    PickleProofStateRequest,
    UnpickleProofStateRequest,
    CommandRequest,
    FileRequest,
)


class InvalidRequest(ValueError):
    """A request the REPL could not parse: sending it would kill the process."""


def request_from_json(obj: dict[str, Any]) -> AnyRequest:
    """Validate a raw request (e.g. from a transcript) into its model, as the REPL would."""
    for shape in _REQUEST_SHAPES:
        try:
            return shape.model_validate(obj)
        except ValidationError:
            continue
    raise InvalidRequest(f"matches no REPL request shape: {sorted(obj)}")


def encode(request: AnyRequest) -> bytes:
    """One compact JSON line plus the blank line that ends it (raises InvalidRequest)."""
    text = json.dumps(
        request.model_dump(by_alias=True, exclude_none=True), ensure_ascii=False, separators=(",", ":")
    )
    if len(text) > MAX_REQUEST_CHARS:
        raise InvalidRequest(f"request of {len(text)} characters exceeds {MAX_REQUEST_CHARS}")
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError as e:  # lone surrogates
        raise InvalidRequest(f"text is not valid Unicode: {e.reason}") from None
    return data + b"\n\n"


def unsendable(request: AnyRequest) -> str | None:
    """Why the REPL could not read `request` (it would exit), or None: built text (a proof as one
    command) can be too long even when each of its parts went through alone."""
    try:
        encode(request)
    except InvalidRequest as e:
        return f"cannot be sent to the REPL: {e}"
    return None


# ----------------------------------------------------------------------------- responses


class Severity(str, enum.Enum):
    TRACE = "trace"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class Pos(Wire):
    line: int
    column: int


class Message(Wire):
    severity: Severity
    pos: Pos
    end_pos: Pos | None = Field(default=None, alias="endPos")
    data: str


class Sorry(Wire):
    goal: str
    proof_state: int | None = Field(default=None, alias="proofState")
    pos: Pos | None = None  # omitted for sorries created inside a ProofStep
    end_pos: Pos | None = Field(default=None, alias="endPos")


class TacticInfo(Wire):
    tactic: str
    goals: str
    proof_state: int | None = Field(default=None, alias="proofState")
    pos: Pos
    end_pos: Pos = Field(alias="endPos")
    used_constants: list[str] = Field(default_factory=list, alias="usedConstants")


class CommandResponse(Wire):
    env: int
    messages: list[Message] = Field(default_factory=list)
    sorries: list[Sorry] = Field(default_factory=list)
    tactics: list[TacticInfo] = Field(default_factory=list)
    infotree: list[Any] | None = None

    def errors(self) -> list[Message]:
        return [m for m in self.messages if m.severity is Severity.ERROR]


class ProofStepResponse(Wire):
    proof_state: int = Field(alias="proofState")
    goals: list[str]
    messages: list[Message] = Field(default_factory=list)
    sorries: list[Sorry] = Field(default_factory=list)
    traces: list[str] = Field(default_factory=list)
    proof_status: str | None = Field(default=None, alias="proofStatus")  # None: REPL before #63

    def errors(self) -> list[Message]:
        return [m for m in self.messages if m.severity is Severity.ERROR]


class ReplError(Wire):
    """`{"message": ...}`: unknown env/proof state, or a Lean exception ("Lean error:\\n...")."""

    message: str


Response = CommandResponse | ProofStepResponse | ReplError


def decode(text: str) -> Response:
    """Parse one pretty-printed response; ProtocolError if it is not one the REPL can print."""
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as e:
        raise ProtocolError(f"REPL printed non-JSON output: {_preview(text)} ({e.msg})") from None
    if not isinstance(obj, dict):
        raise ProtocolError(f"REPL printed a JSON {type(obj).__name__}, not an object")
    if "message" in obj and "env" not in obj and "proofState" not in obj:
        shape: type[Wire] = ReplError
    elif "proofState" in obj and "goals" in obj:
        shape = ProofStepResponse
    elif "env" in obj:
        shape = CommandResponse
    else:
        raise ProtocolError(f"REPL response of unknown shape, keys {sorted(obj)}")
    try:
        return shape.model_validate(obj)  # type: ignore[return-value]
    except ValidationError as e:
        raise ProtocolError(f"malformed {shape.__name__}: {e.errors()[0]['msg']}") from None


def _preview(text: str, limit: int = 120) -> str:
    text = text.strip().replace("\n", "\\n")
    return repr(text if len(text) <= limit else text[:limit] + "...")


# ----------------------------------------------------------------------------- classification

COMPLETED = "Completed"
OPEN_GOALS = "Incomplete: open goals remain"
CONTAINS_SORRY = "Incomplete: contains sorry"
# Answers that say the bridge's id map is out of step with the process (not the tactic's fault).
_DESYNC = re.compile(r"^Unknown (?:proof state|environment)\.?$", re.I)
_HEARTBEATS = re.compile(r"maximum number of heartbeats")
_TRY_THIS = re.compile(r"^Try this:\s*(.*)$", re.S)
_NEXT_OFFER = re.compile(r"\n[^\S\n]*(?:\[apply\]|•)\s*")


def is_desync(response: Response) -> bool:
    """`Unknown proof state.` / `Unknown environment.`: the ids we hold are not the process's."""
    return isinstance(response, ReplError) and bool(_DESYNC.match(response.message.strip()))


class Outcome(str, enum.Enum):
    OPEN = "open"  # the tactic ran; goals remain
    PROVED = "proved"  # no goals, no errors, no sorries, proofStatus Completed
    ERROR = "error"  # the REPL or Lean rejected the tactic
    GAVE_UP = "gave_up"  # the state holds a sorry: it can never verify


@dataclass(frozen=True, slots=True)
class StepOutcome:
    outcome: Outcome
    goals: tuple[str, ...] = ()
    proof_state: int | None = None  # the REPL id of the new state (OPEN and PROVED)
    message: str = ""
    suggestions: tuple[str, ...] = ()  # "Try this:" texts of exact? and friends, in order
    tactic: str | None = None  # the text to keep in the path when not the one sent

    @property
    def out_of_heartbeats(self) -> bool:
        return self.outcome is Outcome.ERROR and bool(_HEARTBEATS.search(self.message))


def suggestions(messages: list[Message]) -> tuple[str, ...]:
    """The tactic each "Try this:" info message proposes (`[apply] ` marks of new Leans dropped)."""
    found = []
    for m in messages:
        hit = _TRY_THIS.match(m.data.strip())
        if m.severity is not Severity.ERROR and hit:
            text = hit.group(1).strip()
            text = re.sub(r"^\[apply\]\s*", "", text)
            # Several offers: the first. Blanks but line breaks (`[^\S\n]*`, not `\s*`) after the
            # line break: a `\s*` that spans lines is tried again from every line break,
            # quadratic in a message of blank lines (which any tactic prints: `iterate 1000 trace
            # "Try this: ⏎⏎…"` stalled the search's own process for a quarter of an hour).
            first = _NEXT_OFFER.split(text, maxsplit=1)[0]
            found.append(first.strip())
    return tuple(found)


def classify(response: Response, require_status: bool = False) -> StepOutcome:
    """Judge a ProofStep answer the way repl's `proofStatus` and our soundness rules require.

    `goals == []` alone proves nothing: an elaboration error becomes a sorry in tactic mode
    (test `invalid_tactic`: goals [] plus an error and "Incomplete: contains sorry"). With
    `require_status` (the process has reported a `proofStatus` before), an answer without one
    cannot close the proof either.
    """
    if isinstance(response, ReplError):
        return StepOutcome(Outcome.ERROR, message=response.message)
    if isinstance(response, CommandResponse):
        raise ProtocolError("a tactic was answered with a command response")
    errors = response.errors()
    if errors:
        return StepOutcome(Outcome.ERROR, message="\n".join(m.data for m in errors))
    if response.sorries:
        return StepOutcome(Outcome.GAVE_UP, message="the tactic left a sorry")
    goals = tuple(response.goals)
    status = response.proof_status
    offered = suggestions(response.messages)
    if goals:  # any status with goals left is an open state ("Incomplete: open goals remain")
        return StepOutcome(Outcome.OPEN, goals, response.proof_state, suggestions=offered)
    if status == COMPLETED or (status is None and not require_status):
        return StepOutcome(Outcome.PROVED, (), response.proof_state, suggestions=offered)
    if status is None:
        return StepOutcome(Outcome.ERROR, message="no goals left but the answer has no proofStatus")
    if status.startswith(CONTAINS_SORRY):
        return StepOutcome(Outcome.GAVE_UP, message=status)
    return StepOutcome(Outcome.ERROR, message=f"no goals left but the proof is rejected: {status}")
