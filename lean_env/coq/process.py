"""One `coqtop -emacs` process: send a sentence, read up to the next prompt, interrupt or kill.

coqtop prints its prompt `<prompt>NAME < STATE |PROOFS| DEPTH < </prompt>` on stderr after every
sentence it parses; stderr is merged into stdout so that the text before a prompt is the answer to
the sentence just sent. The state id in the prompt is what `BackTo` rewinds to.

One reply per sentence, by construction: coqtop reads its input as a stream, so a text that Coq
parses as two sentences runs both, whatever we meant. Every untrusted sentence is therefore sent
together with a *fence*: `Check prover_fence_<nonce>.`, a query for a name that cannot exist, whose
answer is a fixed error text that contains a fresh random nonce and leaves the state unchanged. The
sentence's answer must be followed by exactly one prompt and then exactly the fence's answer. An
extra prompt (the text ran a second sentence) or a missing one (Coq still reads the text, so it
swallowed the fence) means Coq and the screen split the text differently: `OutOfStep` is raised
and the process must be replaced. A text cannot forge the fence's answer: the nonce is drawn after
the text was written.
"""

from __future__ import annotations

import math
import re
import secrets
import time
from dataclasses import dataclass
from functools import lru_cache

from lean_env.base import EnvTimeout, ProtocolError, SetupError
from lean_env.process import ChildProcess, ProcessConfig

# |a|b| when proofs nest. The proof's name is a Coq name, so it holds no `<`: with `\S+` a printed run
# of `<prompt>` tags (a string term a tactic computed) was scanned to its end from every tag.
PROMPT = re.compile(rb"<prompt>([^\s<>]+) < (\d+) \|([^<>\n]*)\| (\d+) < </prompt>")
_FENCE_CALIBRATION = "prover_fence_" + "0" * 24  # same length as every real fence name
_FENCE_WAIT = 5.0  # seconds the fence may take once the sentence has answered


class OutOfStep(ProtocolError):
    """Coq parsed a sent text as more or fewer sentences than the screen did: the text ran
    something it was not allowed to, or swallowed what came after it. Replace the process."""


@dataclass(frozen=True, slots=True)
class Reply:
    output: str  # everything printed between the sentence and the next prompt
    state_id: int  # the current state after the sentence (unchanged after an error)
    proof_name: str  # the open proof's name, or "Coq" outside proof mode
    seconds: float  # wall time from write to prompt
    interrupted: bool = False  # answered only after SIGINT ("User interrupt.")


class CoqTop:
    """A coqtop child process speaking the emacs prompt protocol."""

    def __init__(
        self,
        coqtop: str,
        cwd: str,
        memory_limit_mb: int | None,
        max_output_mb: int = 64,
        start_timeout: float = 30.0,
        sandbox: bool = True,
        args: tuple[str, ...] = (),
    ):
        # args: extra command-line options, such as a traced development's `-R DIR NAME`.
        # `-native-compiler no`: Debian's Coq compiles on demand otherwise, so `native_compute`
        # or a `<<:` cast that slipped past the screen would start the OCaml compiler.
        self.child = ChildProcess(
            ProcessConfig(
                argv=(coqtop, "-emacs", "-q", "-quiet", "-native-compiler", "no", *args),
                cwd=cwd,
                memory_limit_mb=memory_limit_mb,
                max_output_mb=max_output_mb,
                sandbox=sandbox,
            )
        )
        _, match = self.child.read_until(PROMPT, start_timeout)
        self.state_id = int(match.group(2))
        self.busy_seconds = 0.0  # total time spent waiting for coqtop's answers
        self.requests = 0
        self._nonce = secrets.token_hex(8)
        self._fences = 0
        self._fence_template = self._calibrate_fence(start_timeout)

    def _calibrate_fence(self, timeout: float) -> str:
        """The fence's answer as this coqtop prints it, with the fence name as a placeholder."""
        self.child.write(f"Check {_FENCE_CALIBRATION}.\n".encode())
        before, match = self.child.read_until(PROMPT, timeout)
        answer = before.decode(errors="replace")
        if int(match.group(2)) != self.state_id or answer.count(_FENCE_CALIBRATION) < 2 or "Error:" not in answer:
            self.kill()
            raise SetupError(f"unsupported coqtop: unexpected answer to an unknown name: {answer[:200]!r}")
        return answer

    def _next_fence(self) -> tuple[str, str]:
        """(fence sentence, its exact expected answer), with a fresh name."""
        self._fences += 1
        name = f"prover_fence_{self._nonce}{self._fences:08d}"
        assert len(name) == len(_FENCE_CALIBRATION)
        return f"Check {name}.\n", self._fence_template.replace(_FENCE_CALIBRATION, name)

    def alive(self) -> bool:
        return self.child.alive()

    def send(self, sentence: str, timeout: float, interrupt_grace: float = 0.5, fenced: bool = False) -> Reply:
        """Send one sentence and wait for its prompt.

        After `timeout` seconds coqtop is sent SIGINT (it answers "User interrupt." and survives);
        if it still has not answered `interrupt_grace` seconds later the process group is killed
        and EnvTimeout is raised. EnvCrashed if the process dies. With `fenced` (for every text
        that came from outside), the fence must answer right after: OutOfStep otherwise, and the
        process is killed.
        """
        if self.child.pending():
            # coqtop says nothing while it waits for input: output now means the last "prompt" we
            # read was printed by a sentence (a forged prompt), so answers are out of step.
            self.kill()
            raise OutOfStep("coqtop printed output with no command in flight: answers are out of step")
        line = " ".join(sentence.split("\n")) + "\n"
        fence, expected = self._next_fence() if fenced else ("", "")
        start = time.monotonic()
        self.child.write((line + fence).encode())
        self.requests += 1
        interrupted = False
        try:
            before, match = self.child.read_until(PROMPT, timeout)
        except EnvTimeout:
            interrupted = True
            self.child.interrupt()
            try:
                before, match = self.child.read_until(PROMPT, interrupt_grace)
            except EnvTimeout:
                self.kill()
                raise EnvTimeout(
                    f"coqtop did not answer within {timeout:.1f} s nor after an interrupt; killed"
                ) from None
        finally:
            self.busy_seconds += time.monotonic() - start
        self.state_id = int(match.group(2))
        if fenced:
            try:
                self._check_fence(expected)
            except OutOfStep:
                if interrupted:  # our SIGINT may have landed on the fence itself
                    raise EnvTimeout(f"coqtop was interrupted after {timeout:.1f} s and replaced") from None
                raise
        return Reply(
            output=before.decode(errors="replace"),
            state_id=self.state_id,
            proof_name=match.group(1).decode(),
            seconds=time.monotonic() - start,
            interrupted=interrupted,
        )

    def _check_fence(self, expected: str) -> None:
        """The next answer must be exactly the fence's, ending in a prompt at the same state."""
        try:
            before, match = self.child.read_until(PROMPT, _FENCE_WAIT)
        except EnvTimeout:
            self.kill()
            raise OutOfStep("Coq is still reading the text after its end: it swallowed the sync fence") from None
        answer = before.decode(errors="replace").split()
        # Compared up to line wrapping, which follows the printing width in force. Coq calls the
        # unknown name a "reference" or, after some failed tactics, a "variable".
        variants = (expected.split(), expected.replace("The reference", "The variable").split())
        if answer not in variants or int(match.group(2)) != self.state_id:
            self.kill()
            raise OutOfStep(f"Coq ran more than one sentence for one text: {' '.join(answer)[:120]!r}")

    def count_sentences(self, text: str, timeout: float = 5.0) -> int:
        """How many sentences Coq parses in `text`: the prompts it prints before the fence answers.

        For testing the screen's lexer against Coq's own. Raises OutOfStep (process killed) when
        the fence never answers, i.e. Coq reads the text as unfinished.
        """
        fence, expected = self._next_fence()
        self.child.write((" ".join(text.split("\n")) + "\n" + fence).encode())
        count = 0
        while True:
            try:
                before, match = self.child.read_until(PROMPT, timeout)
            except EnvTimeout:
                self.kill()
                raise OutOfStep("the text is unfinished for Coq: the fence was swallowed") from None
            self.state_id = int(match.group(2))
            # Coq counts the fence's error location from where it resumed reading, which here
            # depends on the text's trailing blanks: match the fence's own message instead.
            message = expected[expected.index("Error:") :].split()
            tail = before.decode(errors="replace").split()[-len(message) :]
            if tail == message or tail == [w if w != "reference" else "variable" for w in message]:
                return count
            count += 1

    def back_to(self, state_id: int, timeout: float = 30.0) -> Reply:
        return self.send(f"BackTo {state_id}.", timeout)

    def rss_bytes(self) -> int:
        return self.child.rss_bytes()

    def kill_helpers(self) -> None:
        """Kill the programs coqtop started and did not wait for (psatz's csdpcert after Coq's
        own Timeout stopped the tactic); coqtop itself keeps running."""
        self.child.kill_descendants()

    def kill(self) -> None:
        self.child.kill()


def with_timeout(sentence: str, seconds: float) -> str:
    return _with_timeout(sentence, max(1, math.ceil(seconds)))


@lru_cache(maxsize=8192)
def _with_timeout(sentence: str, seconds: int) -> str:
    """Prefix a tactic sentence with Coq's own `Timeout N` (whole seconds, at least 1).

    `Timeout` goes before the whole sentence, goal selectors included, and cannot wrap bullets or
    braces (Coq rejects `Timeout N -` as a syntax error), which are returned unchanged.
    """
    if sentence in ("{", "}") or sentence.endswith("{") or re.fullmatch(r"[-+*]+", sentence):
        return sentence
    if sentence.startswith("Unshelve"):
        return sentence
    return f"Timeout {seconds} {sentence}"
