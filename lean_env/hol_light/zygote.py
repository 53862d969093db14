"""The zygote: HOL Light loaded once, then forked into a fresh, fully loaded child per use.

Loading HOL Light and the libraries miniF2F needs costs minutes of CPU and nothing here can
checkpoint a process, but `Unix.fork` inside the loaded toplevel gives an isolated copy in tens of
milliseconds. The zygote runs under the sandbox through the project's process helper and only
ever evaluates the driver's own commands (`driver.ml`); untrusted text goes to children only.

A child talks over three FIFOs in its own scratch folder: `in` (phrases, one per line), `out`
(its toplevel's output, stderr included) and `verdict` (written only by the driver's verifier).
Answers in `out` are framed by a nonce chosen here and handed to the child by the zygote, which
text sent to the child cannot know. One zygote per configuration serves every environment of a
process (`shared_zygote`): tests and evaluations pay for one load.
"""

from __future__ import annotations

import atexit
import os
import re
import secrets
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import psutil

from lean_env.base import EnvCrashed, EnvError, EnvTimeout, SetupError
from lean_env.process import ChildProcess, ProcessConfig
from lean_env.hol_light.screen import ocaml_string

HOL_DIR = "/usr/share/hol-light"
NUMS = "/usr/lib/ocaml/nums.cma"
# What miniF2F's statements need beyond the core (Multivariate takes most of an hour: left out).
MINIF2F_LIBRARIES = (
    "Library/floor.ml",
    "Library/analysis.ml",
    "Library/transc.ml",
    "Complex/complexnumbers.ml",
    "Complex/complex_transc.ml",
)
INSTALL_HINT = "install HOL Light: apt-get install -y hol-light libnum-ocaml-dev (or `prover setup hol-light`)"
DRIVER = Path(__file__).with_name("driver.ml")
_READY = b"PROVER" + b"-ZYGOTE-READY"
_LOAD_ERROR = re.compile(rb"Error in included file[^\n]*")
_FORKED = re.compile(rb"<<<ZYGOTE FORKED (\d+)>>>")
_AXIOMS = re.compile(rb"<<<ZYGOTE AXIOMS ([0-9a-f ]*)>>>")


@dataclass(frozen=True, slots=True)
class ZygoteConfig:
    hol_dir: str = HOL_DIR
    libraries: tuple[str, ...] = MINIF2F_LIBRARIES
    load_timeout: float = 1800.0  # the whole load, wall clock (minutes of CPU on a shared machine)
    memory_limit_mb: int | None = 4096  # RLIMIT_AS of the zygote, inherited by every child
    sandbox: bool = True


def check_installed(hol_dir: str = HOL_DIR) -> None:
    """SetupError (one line) unless HOL Light and the nums library it needs are installed."""
    if not (Path(hol_dir) / "hol.ml").is_file() or not (Path(hol_dir) / "ocaml").is_file():
        raise SetupError(f"HOL Light not found in {hol_dir}: {INSTALL_HINT}")
    if not Path(NUMS).is_file():
        raise SetupError(f"{NUMS} missing (HOL Light cannot load without it): {INSTALL_HINT}")


def unhex(text: str | bytes) -> str:
    return bytes.fromhex(text.decode() if isinstance(text, bytes) else text).decode(errors="replace")


class Child:
    """One forked HOL Light toplevel, driven over its FIFOs through the shared process helper
    (`ChildProcess.attach`: it is the zygote's child, not ours)."""

    def __init__(self, folder: Path, nonce: str, out_fd: int, in_fd: int, verdict_fd: int) -> None:
        self.folder = folder
        self.nonce = nonce
        self._fds = (out_fd, in_fd)  # handed to the helper once the child's pid is known
        self._verdict = verdict_fd
        self.process: ChildProcess | None = None
        self._sync = 0
        self.requests = 0

    @property
    def pid(self) -> int | None:
        """The host's pid, for kills from outside (None before `attach` and after `kill`)."""
        return self.process.pid if self.process is not None else None

    def attach(self, pid: int) -> None:
        """Start talking to the forked child `pid` over the FIFOs opened before the fork."""
        out_fd, in_fd = self._fds
        self.process = ChildProcess.attach(out_fd, in_fd, pid)

    def frame(self, body: str) -> re.Pattern[bytes]:
        return re.compile(re.escape(f"<<<{self.nonce} ".encode()) + body.encode() + re.escape(f">>>{self.nonce}".encode()), re.S)

    def expect(self, pattern: re.Pattern[bytes], timeout: float) -> tuple[bytes, re.Match[bytes]]:
        """Output up to `pattern`, and its match. EnvTimeout past `timeout` (the child is left
        running), EnvCrashed when the child is gone."""
        if self.process is None:
            raise EnvCrashed("the HOL Light child is gone")
        return self.process.read_until(pattern, timeout)

    def write_line(self, line: str) -> None:
        if "\n" in line:
            raise ValueError("one phrase per line")
        if self.process is None:
            raise EnvCrashed("the HOL Light child is gone")
        self.process.write((line + "\n").encode(), timeout=30.0)

    def request(self, phrases: list[str], timeout: float) -> bytes:
        """Send phrases, one per line, then a sync; return everything printed before the sync."""
        self._sync += 1
        for phrase in phrases:
            self.write_line(phrase)
        self.write_line(f"prover_sync {self._sync};;")
        self.requests += 1
        before, _ = self.expect(self.frame(f"SYNC {self._sync}"), timeout)
        return before

    def read_verdict(self, timeout: float) -> str | None:
        """The verdict line the driver wrote, or None when none came (EOF or timeout)."""
        import select

        data = b""
        deadline = timeout
        while b"\n" not in data:
            ready, _, _ = select.select([self._verdict], [], [], deadline)
            if not ready:
                return None
            chunk = os.read(self._verdict, 4096)
            if not chunk:
                break
            data += chunk
            deadline = 0.5
        return data.decode(errors="replace").strip() or None

    def alive(self) -> bool:
        return self.process is not None and self.process.alive()

    def kill(self) -> None:
        """SIGKILL the child (the zygote reaps it), close the FIFOs and remove them. Idempotent."""
        if self.process is not None:
            self.process.kill()
            self.process = None
            self._fds = (-1, -1)
        for fd in (*self._fds, self._verdict):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._fds, self._verdict = (-1, -1), -1
        shutil.rmtree(self.folder, ignore_errors=True)


class Zygote:
    """The loaded HOL Light toplevel that forks children. Thread-safe `fork`."""

    def __init__(self, config: ZygoteConfig | None = None) -> None:
        self.config = config or ZygoteConfig()
        check_installed(self.config.hol_dir)
        self.scratch = Path(tempfile.mkdtemp(prefix="prover-hol-"))
        self._lock = threading.Lock()
        self._forks = 0
        hol = self.config.hol_dir
        self.process = ChildProcess(
            ProcessConfig(
                argv=(f"{hol}/ocaml", "-init", f"{hol}/hol.ml"),
                cwd=str(self.scratch),
                env=(("TERM", "dumb"),),
                memory_limit_mb=self.config.memory_limit_mb,
                writable=(str(self.scratch),),
                sandbox=self.config.sandbox,
            )
        )
        try:
            self._load()
        except BaseException:
            self.kill()
            raise
        self.pid = self._inner_pid()

    def _load(self) -> None:
        # One phrase per line: the toplevel drops the rest of a line after a phrase.
        for lib in self.config.libraries:
            self.process.write(f"loadt {ocaml_string(lib)};;\n".encode())
        self.process.write(f"loadt {ocaml_string(str(DRIVER))};;\n".encode())
        self.process.write(b'prover_emit ("PROVER" ^ "-ZYGOTE-READY\\n");;\n')
        try:
            before, _ = self.process.read_until(re.compile(re.escape(_READY)), self.config.load_timeout)
        except EnvTimeout:
            raise SetupError(f"HOL Light did not load within {self.config.load_timeout:.0f} s") from None
        except EnvCrashed as exc:
            raise SetupError(f"HOL Light stopped while loading: {str(exc)[-300:]}") from None
        failed = _LOAD_ERROR.search(before)
        if failed or b"Unbound value prover_emit" in before:
            what = failed.group().decode(errors="replace") if failed else "the driver did not load"
            raise SetupError(f"HOL Light failed to load: {what} ({INSTALL_HINT})")
        self.process.write(b"prover_axiom_texts ();;\n")
        _, match = self.process.read_until(_AXIOMS, 60.0)
        self.axioms = tuple(unhex(h) for h in match.group(1).decode().split())

    def _inner_pid(self) -> int:
        """The host pid of the toplevel itself (under the sandbox, a descendant of bubblewrap)."""
        try:
            inner = [p for p in psutil.Process(self.process.pid).children(recursive=True) if p.name() != "bwrap"]
        except psutil.Error:
            inner = []
        return inner[0].pid if inner else self.process.pid

    def alive(self) -> bool:
        return self.process.alive()

    def fork(self, timeout: float = 30.0) -> Child:
        """A fresh child, ready for phrases. EnvError when the zygote is gone."""
        with self._lock:
            if not self.alive():
                raise EnvCrashed("the HOL Light zygote is gone")
            self._forks += 1
            folder = self.scratch / f"child-{self._forks}"
            folder.mkdir()
            for name in ("in", "out", "verdict"):
                os.mkfifo(folder / name, 0o600)
            # Opened before the fork so that the child's opens never block: `out` and `verdict`
            # for reading without a writer yet, `in` read-write (never blocks; writes stay
            # non-blocking so a dead child cannot hang us on a full pipe).
            out_fd = os.open(folder / "out", os.O_RDONLY | os.O_NONBLOCK)
            verdict_fd = os.open(folder / "verdict", os.O_RDONLY | os.O_NONBLOCK)
            in_fd = os.open(folder / "in", os.O_RDWR | os.O_NONBLOCK)
            nonce = secrets.token_hex(12)
            child = Child(folder, nonce, out_fd, in_fd, verdict_fd)
            try:
                self.process.write(f"prover_fork {ocaml_string(str(folder))} {ocaml_string(nonce)};;\n".encode())
                _, match = self.process.read_until(_FORKED, timeout)
                child.attach(self._host_pid(int(match.group(1))))
                child.expect(child.frame("READY"), timeout)
            except BaseException:
                child.kill()
                raise
            return child

    def _host_pid(self, ns_pid: int) -> int:
        """The host pid of the zygote's child whose pid inside the sandbox is `ns_pid`."""
        try:
            children = psutil.Process(self.pid).children()
        except psutil.Error as exc:
            raise EnvCrashed(f"the HOL Light zygote is gone: {exc}") from exc
        for proc in children:
            try:
                with open(f"/proc/{proc.pid}/status") as status:
                    for line in status:
                        if line.startswith("NSpid:") and int(line.split()[-1]) == ns_pid:
                            return proc.pid
            except (OSError, ValueError):
                continue
        raise EnvError(f"forked child {ns_pid} not found among the zygote's children")

    def kill(self) -> None:
        self.process.kill()
        shutil.rmtree(self.scratch, ignore_errors=True)


_SHARED: dict[ZygoteConfig, Zygote] = {}
_SHARED_LOCK = threading.Lock()


def shared_zygote(config: ZygoteConfig | None = None) -> Zygote:
    """The process-wide zygote for `config`, loaded on first use and replaced if it died."""
    config = config or ZygoteConfig()
    with _SHARED_LOCK:
        zygote = _SHARED.get(config)
        if zygote is None or not zygote.alive():
            if zygote is not None:
                zygote.kill()
            zygote = _SHARED[config] = Zygote(config)
        return zygote


@atexit.register
def _kill_shared() -> None:
    for zygote in _SHARED.values():
        zygote.kill()
    _SHARED.clear()
