"""miniF2F loaders: staged tables, upstream layouts, selection, errata, and the pinned download."""

from __future__ import annotations

import collections
import http.server
import io
import tarfile
import threading
from pathlib import Path

import pytest

from benchmarks.datasets import (
    CATEGORIES,
    COQ_SOURCE,
    category,
    coq_from_file,
    download,
    isabelle_from_file,
    load_coq,
    load_dataset,
    load_isabelle,
    load_lean4,
)


def test_category_follows_the_name_prefixes():
    assert category("mathd_algebra_10") == "mathd_algebra"
    assert category("mathd_numbertheory_239") == "mathd_numbertheory"
    assert category("amc12a_2021_p18") == category("amc12_2000_p15") == "amc"
    assert category("aimeII_2001_p3") == category("aime_1983_p9") == "aime"
    assert category("imosl_2007_algebra_p6") == "imo"
    assert category("induction_sum_odd") == "induction"
    assert category("algebra_2rootsintpoly_am10tap11eqasqpam110") == "algebra"
    assert category("numbertheory_4x3m7y3neq2003") == "numbertheory"
    assert category("something_else") == "other"


def test_coq_staged_table(shared_data: Path):
    ds = load_dataset("minif2f-coq", data_root=shared_data)
    assert (ds.backend, ds.commit) == ("coq", COQ_SOURCE.commit)
    splits = collections.Counter(p.split for p in ds.problems)
    assert splits == {"valid": 244, "test": 244}
    assert {p.category for p in ds.problems} <= set(CATEGORIES)
    p = next(p for p in ds.problems if p.name == "aimeII_2001_p3")
    assert p.theorem.header.startswith("Require Import ZArith.")
    assert p.theorem.statement.startswith("Theorem aimeII_2001_p3") and p.theorem.statement.endswith("898%Z.")


def test_coq_upstream_layout_matches_the_staged_table(shared_data: Path):
    """The `.v` parser (used on downloads) gives the same theorems as the staged conversion."""
    staged = {p.name: p for p in load_coq(shared_data / "minif2f/coq").problems}
    for p in staged.values():
        text = (shared_data / "minif2f/coq" / p.split / f"{p.name}.v").read_text()
        thm = coq_from_file(text, p.name)
        assert (thm.header, thm.statement) == (p.theorem.header, p.theorem.statement.rstrip()), p.name


def test_lean_staged_and_upstream_agree_and_errata_options(shared_data: Path):
    root = shared_data / "minif2f/lean4"
    staged = {p.name: p for p in load_lean4(root).problems}
    upstream = load_lean4(root / "src", errata="ignore")
    assert len(staged) == len(upstream.problems) == 488
    for p in upstream.problems:
        assert (p.theorem.header, p.theorem.statement) == (staged[p.name].theorem.header, staged[p.name].theorem.statement)
    assert "f 8 = 19" in staged["mathd_algebra_433"].note  # an erratum still open at the pinned commit
    assert staged["mathd_algebra_10"].note == ""
    assert staged["aimeII_2001_p3"].informal_statement.startswith("Given that")
    excluded = {p.name for p in load_lean4(root, errata="exclude").problems}
    assert "mathd_algebra_433" not in excluded and "aimeII_2001_p3" in excluded
    assert len(excluded) < 488
    with pytest.raises(ValueError, match="errata"):
        load_lean4(root, errata="drop")


def test_isabelle_with_informal_statements(shared_data: Path, tmp_path: Path):
    ds = load_dataset("minif2f-isabelle", data_root=shared_data)
    assert len(ds.problems) == 488
    p = next(p for p in ds.problems if p.name == "aimeII_2001_p3")
    assert p.theorem.statement.startswith("theorem aimeII_2001_p3") and p.informal_proof
    # the upstream layout: isabelle/<split>/*.thy next to informal/<split>/*.json
    for sub, src in (("isabelle/valid", "minif2f/isabelle/valid/aimeII_2001_p3.thy"),
                     ("informal/valid", "minif2f/informal/valid/aimeII_2001_p3.json")):
        (tmp_path / sub).mkdir(parents=True)
        (tmp_path / sub / Path(src).name).write_bytes((shared_data / src).read_bytes())
    raw = load_isabelle(tmp_path)
    (q,) = raw.problems
    assert q.theorem.statement.strip() == p.theorem.statement.strip()
    assert q.informal_statement == p.informal_statement
    assert isabelle_from_file('theory t imports Main begin\ntheorem t: "1 = 1"\n  by simp\nend', "t").statement == 'theorem t: "1 = 1"'


def test_select_by_split_names_and_glob(shared_data: Path):
    ds = load_dataset("minif2f-coq", data_root=shared_data)
    assert len(ds.select("valid")) == 244 and len(ds.select("all")) == 488
    assert [p.name for p in ds.select("test", ["mathd_algebra_296"])] == ["mathd_algebra_296"]
    assert ds.select("valid", ["mathd_algebra_296"]) == []  # a test problem
    assert all(p.name.startswith("imo_") for p in ds.select("all", pattern="imo_*")) and ds.select("all", pattern="imo_*")
    with pytest.raises(ValueError, match="no_such_problem"):
        ds.select("all", ["no_such_problem"])
    with pytest.raises(ValueError, match="did you mean 'minif2f-coq'"):
        load_dataset("minif2f-cq", data_root=shared_data)


def _serve(payload: bytes, hits: list[str]):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            if self.path != f"/{COQ_SOURCE.repo}/tar.gz/{COQ_SOURCE.commit}":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_download_fetches_the_pinned_tarball_once(shared_data: Path, tmp_path: Path):
    """Against a loopback server shaped like codeload.github.com (no network in tests)."""
    names = [("valid", "aimeII_2001_p3"), ("test", "mathd_algebra_296")]
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for split, name in names:
            tar.add(shared_data / "minif2f/coq" / split / f"{name}.v", f"miniF2F-rocq-{COQ_SOURCE.commit}/{split}/{name}.v")
    hits: list[str] = []
    server = _serve(buf.getvalue(), hits)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        ds = load_dataset("minif2f-coq", download_to=tmp_path / "cache", base_url=base)
        assert sorted((p.split, p.name) for p in ds.problems) == sorted(names)
        assert ds.commit == COQ_SOURCE.commit
        staged = {p.name: p.theorem for p in load_coq(shared_data / "minif2f/coq").problems}
        assert all(p.theorem.statement == staged[p.name].statement.rstrip() for p in ds.problems)
        again = download("minif2f-coq", tmp_path / "cache", base)
        assert again == tmp_path / "cache" / f"LLM4Rocq__miniF2F-rocq@{COQ_SOURCE.commit}"
        assert len(hits) == 1  # the second call used the cache
        with pytest.raises(OSError):
            download("minif2f-lean4", tmp_path / "cache", base)  # 404
        assert not [p for p in (tmp_path / "cache").iterdir() if "lean4" in p.name]
    finally:
        server.shutdown()
