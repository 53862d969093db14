"""Whole-proof mode of `prover eval`: the per-sample log that makes a run resumable mid-theorem,
the sample sources, and the per-theorem driver the proof worker calls.

Each theorem's samples are appended, one JSON line each and fsync'ed, to `samples/<name>.jsonl`
in the run directory as soon as each is decided (one file per theorem: a theorem is worked on by
one worker at a time, so lines of different workers never interleave). A worker starting a
theorem reads that file first, so after a kill -9 no decided sample is lost or checked again;
only the sample being checked at the moment of the kill is drawn anew.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from search.whole_proof import SampleRecord

log = logging.getLogger(__name__)

SAMPLES_DIR = "samples"
DEFAULTS = {"num_samples": 32, "batch": 8, "all_samples": False, "prompt_format": None, "max_tokens": 2048,
            "proofs": None}


def _file_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.'-]", "_", name) + ".jsonl"


class SampleLog:
    """Durable per-theorem sample records under one folder."""

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)

    def path(self, name: str) -> Path:
        return self.folder / _file_name(name)

    def read(self, name: str) -> list[SampleRecord]:
        """The decided samples of `name`, by index; a torn last line (a kill during the write) and
        repeated indices are dropped."""
        path = self.path(name)
        if not path.exists():
            return []
        out: dict[int, SampleRecord] = {}
        for line in path.read_text(encoding="utf-8", errors="replace").split("\n"):
            try:
                record = SampleRecord.from_json(json.loads(line))
            except (json.JSONDecodeError, TypeError, KeyError):
                continue
            if record.theorem == name and record.index not in out:
                out[record.index] = record
        return [out[i] for i in sorted(out)]

    def append(self, record: SampleRecord) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.path(record.theorem)
        # A torn last line from a killed writer would glue onto this one: start on a fresh line.
        prefix = ""
        if path.exists() and path.stat().st_size:
            with open(path, "rb") as f:
                f.seek(-1, os.SEEK_END)
                prefix = "" if f.read(1) == b"\n" else "\n"
        with open(path, "a", encoding="utf-8") as f:
            f.write(prefix + json.dumps(record.to_json(), ensure_ascii=False) + "\n")
            f.flush()
            os.fsync(f.fileno())


def read_recorded(folder: Path | str, name: str) -> list[str]:
    """Recorded model outputs for `name`: `<folder>/<name>.jsonl`, one JSON string (or an object
    with an "output" field) per line, in sample order. Missing file: no outputs."""
    path = Path(folder) / _file_name(name)
    if not path.exists():
        return []
    outputs = []
    for line in path.read_text(encoding="utf-8").split("\n"):
        if not line.strip():
            continue
        item = json.loads(line)
        outputs.append(item["output"] if isinstance(item, dict) else str(item))
    return outputs


def settings(whole_proof: dict[str, Any] | None) -> dict[str, Any]:
    return {**DEFAULTS, **(whole_proof or {})}


def records_json(records: Sequence[SampleRecord]) -> tuple[dict[str, Any], ...]:
    return tuple(r.to_json() for r in records)
