"""miniF2F for Coq, Lean 4 and Isabelle: problems as `Theorem`s with split, category and provenance.

A loader reads either a staged copy (the JSONL tables of ../shared/data/minif2f/<backend>) or the
upstream repository's own layout, which is what `download` leaves in its cache: the upstream files
at a pinned commit, fetched as GitHub's codeload tarball. Problems are never filtered for
elaboration here; a statement that does not elaborate is the evaluation's business to report.
"""

from __future__ import annotations

import io
import json
import logging
import re
import shutil
import tarfile
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path

from lean_env.base import Theorem
from lean_env.coq.files import theorem_from_text

log = logging.getLogger(__name__)

SPLITS = ("valid", "test")
CATEGORIES = (
    "amc", "aime", "imo", "mathd_algebra", "mathd_numbertheory", "induction", "algebra", "numbertheory",
)
DEFAULT_CACHE = Path.home() / ".cache" / "prover" / "datasets"
CODELOAD = "https://codeload.github.com"


@dataclass(frozen=True, slots=True)
class Source:
    """Where a dataset comes from upstream, pinned."""

    repo: str  # GitHub owner/name
    commit: str  # the pinned commit every loader states in its results


@dataclass(frozen=True, slots=True)
class Problem:
    """One benchmark problem: the theorem to prove plus what a report needs about it."""

    theorem: Theorem
    split: str  # "valid" or "test"
    category: str  # one of CATEGORIES, or "other"
    informal_statement: str = ""
    informal_proof: str = ""
    note: str = ""  # a known erratum, when the dataset flags one

    @property
    def name(self) -> str:
        return self.theorem.name


@dataclass(frozen=True, slots=True)
class Dataset:
    name: str  # registry name, e.g. "minif2f-coq"
    backend: str  # "coq", "lean", "isabelle"
    commit: str  # upstream commit of the statements
    problems: tuple[Problem, ...] = field(repr=False)

    def select(self, split: str | None = None, names: Sequence[str] = (), pattern: str | None = None) -> list[Problem]:
        """Problems of `split` ("all"/None: both), restricted to `names` and a glob `pattern`.

        Raises ValueError naming any requested name that is not in the dataset."""
        known = {p.name for p in self.problems}
        missing = [n for n in names if n not in known]
        if missing:
            raise ValueError(f"not in {self.name}: {', '.join(missing[:5])}")
        wanted = set(names)
        return [
            p
            for p in self.problems
            if (split in (None, "all") or p.split == split)
            and (not wanted or p.name in wanted)
            and (pattern is None or fnmatchcase(p.name, pattern))
        ]


def category(name: str) -> str:
    """The miniF2F category of a problem, from its name (mathd_* before the generic prefixes)."""
    for prefix, cat in (
        ("mathd_algebra", "mathd_algebra"),
        ("mathd_numbertheory", "mathd_numbertheory"),
        ("amc", "amc"),
        ("aime", "aime"),
        ("imo", "imo"),
        ("induction", "induction"),
        ("algebra", "algebra"),
        ("numbertheory", "numbertheory"),
    ):
        if name.startswith(prefix):
            return cat
    return "other"


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").split("\n") if line.strip()]


# -- Coq (LLM4Rocq/miniF2F-rocq) ---------------------------------------------------------------

COQ_SOURCE = Source("LLM4Rocq/miniF2F-rocq", "b60affae5d9b81eb097424e3143c40165ccbe97b")
def coq_from_file(text: str, name: str) -> Theorem:
    """Split a miniF2F-rocq `.v` file into header and statement (the declaration sentence)."""
    return theorem_from_text(text, name)


def load_coq(root: Path) -> Dataset:
    """`root`: the staged folder (minif2f_coq.jsonl) or an upstream checkout ({valid,test}/*.v)."""
    table = root / "minif2f_coq.jsonl"
    problems = []
    if table.exists():
        commit = COQ_SOURCE.commit
        for r in _jsonl(table):
            commit = r.get("source", {}).get("commit", commit)
            thm = Theorem(r["name"], r["header"], r["formal_statement"], backend="coq")
            problems.append(Problem(thm, r["split"], category(r["name"])))
    else:
        commit = _commit_of(root, COQ_SOURCE)
        for split in SPLITS:
            for path in sorted((root / split).glob("*.v")):
                thm = coq_from_file(path.read_text(encoding="utf-8"), path.stem)
                problems.append(Problem(thm, split, category(path.stem)))
    return Dataset("minif2f-coq", "coq", commit, tuple(problems))


# -- Lean 4 (yangky11/miniF2F-lean4) -----------------------------------------------------------

LEAN_SOURCE = Source("yangky11/miniF2F-lean4", "5746b7d6c47855ce1294bed87329618ff7f1bc31")
INFORMAL_SOURCE = Source("facebookresearch/miniF2F", "e4f113090ad82d64f8ce064d2f55b613a9b6bded")
_LEAN_DECL = re.compile(r"^theorem\s+(\S+)", re.MULTILINE)
_LEAN_BY = re.compile(r":=\s*by\b")
ERRATA_MODES = ("flag", "exclude", "ignore")


def lean_from_file(text: str, name: str) -> Theorem:
    """Header and `theorem … := by\\n` of one yangky11 file."""
    m = next((m for m in _LEAN_DECL.finditer(text) if m.group(1) == name), None)
    if m is None:
        raise ValueError(f"{name}: no theorem {name} in the file")
    by = _LEAN_BY.search(text, m.end())
    if by is None:
        raise ValueError(f"{name}: the statement does not end with ':= by'")
    return Theorem(name, text[: m.start()], text[m.start() : by.end()] + "\n", backend="lean")


def load_lean4(root: Path, errata: str = "flag") -> Dataset:
    """`errata`: "flag" notes known statement errors (errata.jsonl) on the problem, "exclude"
    leaves out those still wrong at the pinned commit, "ignore" does neither."""
    if errata not in ERRATA_MODES:
        raise ValueError(f"errata must be one of {', '.join(ERRATA_MODES)}, not {errata!r}")
    table = root / "minif2f.jsonl"
    records: list[tuple[Theorem, str, str, str]] = []
    if table.exists():
        commit = LEAN_SOURCE.commit
        for r in _jsonl(table):
            commit = r.get("source", {}).get("commit", commit)
            thm = Theorem(r["name"], r["header"], r["formal_statement"], backend="lean")
            records.append((thm, r["split"], r.get("informal_statement", ""), r.get("informal_proof", "")))
    else:
        commit = _commit_of(root, LEAN_SOURCE)
        src = root / "MiniF2F" if (root / "MiniF2F").exists() else root / "src" / "MiniF2F"
        for split, folder in (("valid", "Valid"), ("test", "Test")):
            for path in sorted((src / folder).glob("*.lean")):
                records.append((lean_from_file(path.read_text(encoding="utf-8"), path.stem), split, "", ""))
    notes = {}
    errata_file = root / "errata.jsonl"
    if errata != "ignore" and errata_file.exists():
        for e in _jsonl(errata_file):
            notes[e["name"]] = (e["status"].get("yangky11_head", ""), f"{e['kind']}: {e['issue']}")
    problems = []
    for thm, split, informal, proof in records:
        status, note = notes.get(thm.name, ("", ""))
        if errata == "exclude" and status in ("error", "changed"):
            continue
        problems.append(Problem(thm, split, category(thm.name), informal, proof, note))
    return Dataset("minif2f-lean4", "lean", commit, tuple(problems))


# -- Isabelle + informal (facebookresearch/miniF2F) --------------------------------------------

ISABELLE_SOURCE = INFORMAL_SOURCE


def isabelle_from_file(text: str, name: str) -> Theorem:
    """Header (theory … begin) and the main theorem up to its proof, from one `.thy`."""
    from lean_env.isabelle.files import theorem_from_text

    return theorem_from_text(text, name)


def load_isabelle(root: Path) -> Dataset:
    """`root`: the staged folder (minif2f_isabelle.jsonl) or a facebookresearch/miniF2F checkout."""
    table = root / "minif2f_isabelle.jsonl"
    problems = []
    if table.exists():
        commit = ISABELLE_SOURCE.commit
        for r in _jsonl(table):
            commit = r.get("source", {}).get("commit", commit)
            imports = " ".join(r.get("isabelle_imports") or ["Complex_Main"])
            header = f"theory {r['name']} imports\n  {imports}\nbegin\n"
            thm = Theorem(r["name"], header, r["isabelle_statement"].strip(), backend="isabelle")
            problems.append(Problem(thm, r["split"], category(r["name"]), r["informal_statement"], r["informal_proof"]))
    else:
        commit = _commit_of(root, ISABELLE_SOURCE)
        for split in SPLITS:
            for path in sorted((root / "isabelle" / split).glob("*.thy")):
                informal = root / "informal" / split / f"{path.stem}.json"
                data = json.loads(informal.read_text(encoding="utf-8")) if informal.exists() else {}
                thm = isabelle_from_file(path.read_text(encoding="utf-8"), path.stem)
                problems.append(
                    Problem(thm, split, category(path.stem), data.get("informal_statement", ""), data.get("informal_proof", ""))
                )
    return Dataset("minif2f-isabelle", "isabelle", commit, tuple(problems))


# -- HOL Light (openai/miniF2F, hollight/) -----------------------------------------------------

HOLLIGHT_SOURCE = Source("openai/miniF2F", "4e433ff5cadff23f9911a2bb5bbab2d351ce5554")


def hollight_from_file(text: str, name: str) -> Theorem:
    """The term of one `let <name-with-dashes> = `<term>`;;` file, named as Coq and Lean name it."""
    from lean_env.hol_light.statements import theorem_from_text as hol_theorem

    return hol_theorem(text, name)


def load_hollight(root: Path) -> Dataset:
    """`root`: the staged folder ({valid,test}/*.ml) or an openai/miniF2F checkout (hollight/...).

    Informal statements and proofs come from miniF2F's informal data where it has the problem:
    `informal/` next to the staged folder, or inside a facebookresearch/miniF2F-like checkout."""
    folder = root / "hollight" if (root / "hollight").is_dir() else root
    informal_roots = [root.parent / "informal", root / "informal"]
    problems = []
    for split in SPLITS:
        for path in sorted((folder / split).glob("*.ml")):
            thm = hollight_from_file(path.read_text(encoding="utf-8"), path.stem)
            data: dict = {}
            for informal_root in informal_roots:
                informal = informal_root / split / f"{thm.name}.json"
                if informal.exists():
                    data = json.loads(informal.read_text(encoding="utf-8"))
                    break
            problems.append(
                Problem(thm, split, category(thm.name), data.get("informal_statement", ""), data.get("informal_proof", ""))
            )
    return Dataset("minif2f-hollight", "hol-light", _commit_of(root, HOLLIGHT_SOURCE), tuple(problems))


# -- registry, local paths and downloads -------------------------------------------------------

LEANDOJO_SOURCE = Source("leanprover-community/mathlib4", "")  # no pinned download


def _leandojo(root: Path, dojo: bool) -> Dataset:
    from benchmarks.leandojo import load_leandojo

    return load_leandojo(root, dojo=dojo)


@dataclass(frozen=True, slots=True)
class DatasetSpec:
    backend: str
    source: Source
    staged: str  # folder under a shared data root, e.g. "minif2f/coq"
    loader: Callable[..., Dataset]


DATASETS: dict[str, DatasetSpec] = {
    "minif2f-coq": DatasetSpec("coq", COQ_SOURCE, "minif2f/coq", load_coq),
    "minif2f-lean4": DatasetSpec("lean", LEAN_SOURCE, "minif2f/lean4", load_lean4),
    "minif2f-isabelle": DatasetSpec("isabelle", ISABELLE_SOURCE, "minif2f/isabelle", load_isabelle),
    "minif2f-hollight": DatasetSpec("hol-light", HOLLIGHT_SOURCE, "minif2f/hollight", load_hollight),
    # LeanDojo Benchmark 4 (benchmarks/leandojo.py): local only, the commit comes from the data.
    "leandojo": DatasetSpec("lean", LEANDOJO_SOURCE, "leandojo", lambda root: _leandojo(root, False)),
    "leandojo-traced": DatasetSpec("leandojo", LEANDOJO_SOURCE, "leandojo", lambda root: _leandojo(root, True)),
}


def backend_of(name: str) -> str | None:
    """The backend dataset `name` is written for (None for an unknown name)."""
    spec = DATASETS.get(name)
    return spec.backend if spec else None


def _commit_of(root: Path, source: Source) -> str:
    """The commit recorded by `download` next to the files, else the pinned one."""
    marker = root / ".commit"
    return marker.read_text().strip() if marker.exists() else source.commit


def download(name: str, cache_dir: Path = DEFAULT_CACHE, base_url: str = CODELOAD, timeout: float = 120.0) -> Path:
    """Fetch dataset `name`'s upstream repository at its pinned commit into `cache_dir`.

    Returns the folder holding the repository's files (reused when already there). `base_url`
    serves `<base>/<owner>/<repo>/tar.gz/<commit>` like GitHub's codeload. Raises OSError on
    network or archive errors; a partial download never remains in the cache.
    """
    spec = _spec(name)
    if not spec.source.commit:
        raise ValueError(f"{name} cannot be downloaded: give its local folder with --data")
    target = Path(cache_dir) / f"{spec.source.repo.replace('/', '__')}@{spec.source.commit}"
    if (target / ".commit").exists():
        return target
    url = f"{base_url.rstrip('/')}/{spec.source.repo}/tar.gz/{spec.source.commit}"
    log.info("downloading %s", url)
    with urllib.request.urlopen(url, timeout=timeout) as response:
        payload = response.read()
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        with tarfile.open(fileobj=io.BytesIO(payload), mode="r:gz") as tar:
            tar.extractall(partial, filter="data")
        tops = [p for p in partial.iterdir()]
        inner = tops[0] if len(tops) == 1 and tops[0].is_dir() else partial  # codeload: <repo>-<commit>/
        (inner / ".commit").write_text(spec.source.commit + "\n")
        shutil.rmtree(target, ignore_errors=True)
        inner.rename(target)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return target


def _spec(name: str) -> DatasetSpec:
    if name not in DATASETS:
        from difflib import get_close_matches

        close = get_close_matches(name, DATASETS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(DATASETS)})"
        raise ValueError(f"unknown dataset {name!r}{hint}")
    return DATASETS[name]


def load_dataset(
    name: str,
    path: Path | None = None,
    *,
    data_root: Path | None = None,
    download_to: Path | None = None,
    base_url: str = CODELOAD,
    **options,
) -> Dataset:
    """Load dataset `name` from `path`, else from `data_root/<staged folder>`, else download it
    into `download_to`. Raises ValueError (one line) for an unknown name or a missing path."""
    spec = _spec(name)
    if path is None and data_root is not None:
        path = Path(data_root) / spec.staged
    if path is None:
        if download_to is None:
            raise ValueError(f"{name}: give a local path (--data) or allow a download (--download)")
        path = download(name, download_to, base_url)
    path = Path(path)
    if not path.is_dir():
        raise ValueError(f"{path}: no such dataset folder")
    return spec.loader(path, **options)


def names_in(problems: Iterable[Problem]) -> list[str]:
    return [p.name for p in problems]
