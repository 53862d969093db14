"""Run a proof-assistant process inside a bubblewrap sandbox: defence in depth against model text.

The screens keep commands out of what a model sends, and the verifiers never trust the live
process; the sandbox is the layer below both. A sandboxed process sees the whole file system
read-only except its own scratch directories (`TMPDIR` points into the first), has no network
(its own empty network namespace), its own process and IPC namespaces, and dies with its parent. Resource limits
(address space, file size, process count) are set before `exec`, so they hold inside too.

bubblewrap (`bwrap`, Debian package `bubblewrap`) is used when it is installed and works on this
machine (checked once by running `true` inside it); otherwise processes run unsandboxed, and
`sandbox_status()` says why. `PROVER_NO_SANDBOX=1` (the CLI's `--no-sandbox`) turns it off;
`PROVER_SANDBOX_WRITABLE=dir1:dir2` lets every sandboxed process write there too.
"""

from __future__ import annotations

import errno
import os
import re
import resource
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Mapping, Sequence

DISABLE_ENV = "PROVER_NO_SANDBOX"
WRITABLE_ENV = "PROVER_SANDBOX_WRITABLE"  # more directories every sandboxed process may write (":"-separated)


@dataclass(frozen=True, slots=True)
class Limits:
    """rlimits applied to the child before it starts (None: leave as inherited)."""

    memory_mb: int | None = 4096  # RLIMIT_AS: a runaway tactic fails inside the child
    file_size_mb: int | None = 1024  # RLIMIT_FSIZE: no single file larger than this
    processes: int | None = None  # RLIMIT_NPROC (per user: only meaningful for a non-root user)


def limits_preexec(limits: Limits) -> Callable[[], None]:
    """A `preexec_fn` that applies `limits` in the child, after fork and before exec."""

    def apply() -> None:
        if limits.memory_mb:
            cap = limits.memory_mb * 2**20
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        if limits.file_size_mb:
            cap = limits.file_size_mb * 2**20
            resource.setrlimit(resource.RLIMIT_FSIZE, (cap, cap))
        if limits.processes:
            resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))

    return apply


def sandbox_enabled() -> bool:
    """Whether new processes are sandboxed: bwrap works here and nobody turned it off."""
    if os.environ.get(DISABLE_ENV, "").strip() not in ("", "0"):
        return False
    return _bwrap_works() is None


def sandbox_status() -> str:
    """One line for users and reports: on, or why it is off."""
    if os.environ.get(DISABLE_ENV, "").strip() not in ("", "0"):
        return f"off ({DISABLE_ENV} is set)"
    problem = _bwrap_works()
    return "on (bubblewrap)" if problem is None else f"off ({problem})"


@lru_cache(maxsize=1)
def _bwrap_works() -> str | None:
    """None when bubblewrap can run a command here, else the reason it cannot."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return "bwrap not installed: apt-get install bubblewrap"
    try:
        probe = subprocess.run(
            [*_bwrap_prefix(bwrap, (), None), "true"], capture_output=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bwrap failed to start: {exc}"
    if probe.returncode != 0:
        return f"bwrap cannot create namespaces here: {probe.stderr.decode(errors='replace').strip()[:200]}"
    return None


_SECRET = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH|COOKIE|SESSION", re.I)


def secret_variables(environ: Mapping[str, str]) -> list[str]:
    """Names of environment variables that may hold a secret (an API key, a token): a sandboxed
    process, which runs model text, does not inherit them."""
    return [name for name in environ if _SECRET.search(name)]


def _bwrap_prefix(
    bwrap: str,
    writable: Sequence[str],
    cwd: str | None,
    network: bool = False,
    readable: Sequence[str] = (),
    hidden: Sequence[str] = (),
) -> list[str]:
    argv = [
        bwrap,
        # Everything readable, nothing writable (/tmp included: a private tmpfs there would hide
        # a project, a dataset or a test that lives under /tmp)...
        "--ro-bind", "/", "/",
        "--dev", "/dev",
        "--proc", "/proc",
    ]
    for path in readable:  # ...other processes' outputs it must read...
        real = os.path.realpath(path)
        argv += ["--ro-bind", real, real]
    for path in writable:  # ...and the process's own scratch directories, writable...
        real = os.path.realpath(path)
        argv += ["--bind", real, real]
    # ...but not what other processes of ours wrote: an empty tmpfs over each hidden directory,
    # mounted after the binds (one of which may hold it) and with the process's own directories
    # below it bound again.
    for path in hidden:
        real = os.path.realpath(path)
        argv += ["--tmpfs", real]
        for own in (*readable, *writable):
            own_real = os.path.realpath(own)
            if own_real.startswith(real + os.sep):
                argv += ["--ro-bind" if own in readable else "--bind", own_real, own_real]
    if writable:  # temporary files go to the first of them
        argv += ["--setenv", "TMPDIR", os.path.realpath(writable[0])]
    for name in sorted(secret_variables(os.environ)):  # no API key or token for the proof's code to read
        argv += ["--unsetenv", name]
    # No network, own pids/ipc; dies with us; and no capabilities (run as root, a process keeps
    # CAP_SYS_ADMIN otherwise, and could unmount what hides a directory or remount one writable).
    argv += ["--unshare-all", "--die-with-parent", "--cap-drop", "ALL"]
    if network:  # a server that its client reaches over loopback (Isabelle)
        argv.append("--share-net")
    if cwd:
        argv += ["--chdir", os.path.realpath(cwd)]
    argv.append("--")
    return argv


def sandboxed(
    argv: Sequence[str],
    writable: Sequence[str] = (),
    cwd: str | None = None,
    network: bool = False,
    readable: Sequence[str] = (),
    hidden: Sequence[str] = (),
) -> list[str]:
    """`argv` wrapped in bubblewrap when the sandbox is enabled, else unchanged.

    `writable` directories (and `cwd`, when given) are the only places the process may write;
    `readable` ones are bound read-only again (so they stay visible whatever else is mounted);
    `hidden` ones look empty inside (writable or readable directories below them still show).
    The program is resolved on PATH before wrapping, so a missing one is reported as missing.
    """
    if not sandbox_enabled():
        return list(argv)
    program = shutil.which(argv[0])
    if program is None:  # as Popen would say for the program itself, not for bwrap
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), argv[0])
    extra = [d for d in os.environ.get(WRITABLE_ENV, "").split(":") if d and os.path.isdir(d)]
    dirs = list(writable) + extra + ([cwd] if cwd and cwd not in writable else [])
    prefix = _bwrap_prefix(shutil.which("bwrap") or "bwrap", dirs, cwd, network, readable, hidden)
    return [*prefix, program, *argv[1:]]
