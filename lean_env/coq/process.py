"""One `coqtop -emacs` process: send a sentence, read up to the next prompt, interrupt or kill.

coqtop prints its prompt `<prompt>NAME < STATE |PROOFS| DEPTH < </prompt>` on stderr after every
sentence; stderr is merged into stdout so that the text before a prompt is the answer to the
sentence just sent (E_coq.md §2.1). The state id in the prompt is what `BackTo` rewinds to.
"""

from __future__ import annotations

import math
import re
import signal
import time
from dataclasses import dataclass
from functools import lru_cache

from lean_env.base import EnvTimeout, ProtocolError
from lean_env.process import ChildProcess, ProcessConfig

PROMPT = re.compile(rb"<prompt>(\S+) < (\d+) \|([^|]*)\| (\d+) < </prompt>")


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
        self, coqtop: str, cwd: str, memory_limit_mb: int | None, max_output_mb: int = 64, start_timeout: float = 30.0
    ):
        self.child = ChildProcess(
            ProcessConfig(
                argv=(coqtop, "-emacs", "-q", "-quiet"),
                cwd=cwd,
                memory_limit_mb=memory_limit_mb,
                max_output_mb=max_output_mb,
            )
        )
        _, match = self.child.read_until(PROMPT, start_timeout)
        self.state_id = int(match.group(2))
        self.busy_seconds = 0.0  # total time spent waiting for coqtop's answers
        self.requests = 0

    def alive(self) -> bool:
        return self.child.alive()

    def send(self, sentence: str, timeout: float, interrupt_grace: float = 0.5) -> Reply:
        """Send one sentence and wait for its prompt.

        After `timeout` seconds coqtop is sent SIGINT (it answers "User interrupt." and survives);
        if it still has not answered `interrupt_grace` seconds later the process group is killed
        and EnvTimeout is raised. EnvCrashed if the process dies.
        """
        if self.child.pending():
            # coqtop says nothing while it waits for input: output now means the last "prompt" we
            # read was printed by a sentence (a forged prompt), so answers are out of step.
            raise ProtocolError("coqtop printed output with no command in flight: answers are out of step")
        line = " ".join(sentence.split("\n")) + "\n"
        start = time.monotonic()
        self.child.write(line.encode())
        self.requests += 1
        interrupted = False
        try:
            before, match = self.child.read_until(PROMPT, timeout)
        except EnvTimeout:
            interrupted = True
            self.child.signal_group(signal.SIGINT)
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
        return Reply(
            output=before.decode(errors="replace"),
            state_id=self.state_id,
            proof_name=match.group(1).decode(),
            seconds=time.monotonic() - start,
            interrupted=interrupted,
        )

    def back_to(self, state_id: int, timeout: float = 30.0) -> Reply:
        return self.send(f"BackTo {state_id}.", timeout)

    def rss_bytes(self) -> int:
        return self.child.rss_bytes()

    def kill(self) -> None:
        self.child.kill()


def with_timeout(sentence: str, seconds: float) -> str:
    return _with_timeout(sentence, max(1, math.ceil(seconds)))


@lru_cache(maxsize=8192)
def _with_timeout(sentence: str, seconds: int) -> str:
    """Prefix a tactic sentence with Coq's own `Timeout N` (whole seconds, at least 1).

    `Timeout` goes before the whole sentence, goal selectors included, and cannot wrap bullets or
    braces (E_coq.md pitfall 2), which are returned unchanged.
    """
    if sentence in ("{", "}") or sentence.endswith("{") or re.fullmatch(r"[-+*]+", sentence):
        return sentence
    if sentence.startswith("Unshelve"):
        return sentence
    return f"Timeout {seconds} {sentence}"
