"""`archc cost`'s summary cache: a hit prints what a compile prints, is never stale, and is safe to share."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from archc import cache
from tests.conftest import REPO, run_cli


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("ARCHC_CACHE_DIR", str(folder))
    return folder


def _entries(folder):
    return sorted(p.name for p in folder.glob("*.json")) if folder.exists() else []


@pytest.mark.parametrize(
    "args", [["resnet50"], ["resnet50", "--json"], ["cifar/resnet20", "regnet/regnety_002", "--input-size", "64x96"]]
)
def test_hit_prints_exactly_what_a_compile_prints(cache_dir, args):
    miss = run_cli("cost", *args)
    assert len(_entries(cache_dir)) == len([a for a in args if "/" in a or a.startswith("resnet")])
    hit = run_cli("cost", *args)
    fresh = run_cli("cost", *args, "--no-cache")
    assert miss == hit == fresh and miss[0] == 0


def test_no_cache_neither_reads_nor_writes(cache_dir):
    assert run_cli("cost", "resnet18", "--no-cache")[0] == 0
    assert _entries(cache_dir) == []
    run_cli("cost", "resnet18")
    (entry,) = cache_dir.glob("*.json")
    doc = json.loads(entry.read_text(encoding="utf-8"))
    doc["summary"]["params"] = 1  # an entry rewritten with its checksum would show here …
    doc["sha256"] = cache.checksum(doc["summary"])
    entry.write_text(json.dumps(doc), encoding="utf-8")
    assert "11,689,512" not in run_cli("cost", "resnet18")[1]
    assert "11,689,512" in run_cli("cost", "resnet18", "--no-cache")[1]  # … but --no-cache compiles


def test_an_entry_whose_numbers_do_not_match_its_checksum_is_a_miss(cache_dir):
    run_cli("cost", "resnet18")
    (entry,) = cache_dir.glob("*.json")
    doc = json.loads(entry.read_text(encoding="utf-8"))
    doc["summary"]["params"], doc["summary"]["macs"] = 1, 2  # readable, well-formed, other numbers
    entry.write_text(json.dumps(doc), encoding="utf-8")
    code, out, err = run_cli("cost", "resnet18")
    assert code == 0 and err == ""
    assert "11.69 M params" in out and "1 params" not in out
    assert json.loads(entry.read_text(encoding="utf-8"))["summary"]["params"] == 11689512  # rewritten
    del doc["sha256"]  # an entry without a checksum (an older format) is a miss too
    entry.write_text(json.dumps(doc), encoding="utf-8")
    assert "11.69 M params" in run_cli("cost", "resnet18")[1]


def test_an_unusable_cache_folder_is_one_note(tmp_path, monkeypatch):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("ARCHC_CACHE_DIR", str(blocker))
    monkeypatch.setattr(cache, "_noted", set())
    code, out, err = run_cli("cost", "resnet18", "resnet34")
    assert code == 0 and "resnet34" in out
    assert err.count("note:") == 1 and f"ARCHC_CACHE_DIR={blocker}" in err and "not a folder" in err
    assert run_cli("cost", "resnet18", "--no-cache")[2] == ""  # --no-cache never touches it


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_an_edited_parent_in_the_extends_chain_is_a_miss(cache_dir, tmp_path):
    _write(tmp_path / "base" / "parent.yaml", "archc: 1\nextends: resnet18\nname: parent\n")
    _write(tmp_path / "child.yaml", "archc: 1\nextends: base/parent.yaml\nname: child\n")
    first = run_cli("cost", str(tmp_path / "child.yaml"), "--json")
    assert json.loads(first[1])["params"] == 11_689_512
    _write(tmp_path / "base" / "parent.yaml", "archc: 1\nextends: resnet18\nname: parent\nhead: {classes: 10}\n")
    second = run_cli("cost", str(tmp_path / "child.yaml"), "--json")
    assert second == run_cli("cost", str(tmp_path / "child.yaml"), "--json", "--no-cache")
    assert json.loads(second[1])["params"] == 11_689_512 - 990 * 513


def test_a_broken_entry_is_a_miss_and_settings_are_part_of_the_key(cache_dir):
    run_cli("cost", "resnet18")
    (entry,) = cache_dir.glob("*.json")
    entry.write_text('{"format": "archc-summ', encoding="utf-8")  # a partial write
    assert run_cli("cost", "resnet18") == run_cli("cost", "resnet18", "--no-cache")
    env = {**os.environ, "ARCHC_CACHE_DIR": str(cache_dir), "ARCHC_MAX_PARAMS": "1000"}  # read at start-up
    cmd = [sys.executable, "-m", "archc", "cost", "resnet18"]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    assert (proc.returncode, proc.stdout) == (2, "") and "error[E402]" in proc.stderr


def test_a_hit_imports_neither_pydantic_nor_networkx(cache_dir):
    code = (
        "import sys; from archc.cli import main; main(['cost', 'resnet152']);"
        "print(sorted(m for m in ('pydantic', 'networkx', 'yaml') if m in sys.modules))"
    )
    env = {**os.environ, "ARCHC_CACHE_DIR": str(cache_dir)}
    run = [sys.executable, "-c", code]
    first = subprocess.run(run, cwd=REPO, env=env, capture_output=True, text=True, check=True).stdout
    second = subprocess.run(run, cwd=REPO, env=env, capture_output=True, text=True, check=True).stdout
    assert first.splitlines()[-1] == "['networkx', 'pydantic', 'yaml']"
    assert second.splitlines()[-1] == "[]"
    assert first.splitlines()[:-1] == second.splitlines()[:-1]


def test_concurrent_runs_share_one_folder_safely(cache_dir):
    env = {**os.environ, "ARCHC_CACHE_DIR": str(cache_dir)}
    cmd = [sys.executable, "-m", "archc", "cost", "resnet34", "--json"]
    procs = [subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, text=True) for _ in range(4)]
    outs = [p.communicate(timeout=120)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs) and len(set(outs)) == 1
    assert len(_entries(cache_dir)) == 1 and not list(cache_dir.glob(".*.tmp"))
    assert run_cli("cost", "resnet34", "--json")[1] == outs[0]


def test_light_constants_equal_the_modules_they_mirror():
    from archc.api import PROFILES
    from archc.commands import cost
    from archc.reports.layers import MAX_DEPTH

    assert (cost.PROFILES, cost.MAX_DEPTH) == (PROFILES, MAX_DEPTH)


def test_the_key_reads_every_source_file_of_archc(tmp_path, monkeypatch):
    """The code digest covers every ``*.py`` of the package (a changed compiler is a new cache), and a changed
    byte in any of them changes it."""
    root = REPO / "archc"
    assert cache._sources(str(root)) == sorted(
        p.relative_to(root).as_posix() for p in root.rglob("*.py") if "__pycache__" not in p.parts
    )
    (tmp_path / "sub" / "__pycache__").mkdir(parents=True)
    for name in ("a.py", "sub/b.py", "sub/__pycache__/b.cpython-311.py", "notes.txt"):
        (tmp_path / name).write_text("x = 1\n")
    assert cache._sources(str(tmp_path)) == ["a.py", "sub/b.py"]
    monkeypatch.setattr(cache, "__file__", str(tmp_path / "cache.py"))
    before = cache._code_digest()
    (tmp_path / "sub" / "b.py").write_text("x = 2\n")
    assert cache._code_digest() != before


@pytest.mark.parametrize("name", ["missing.yaml", "folder.yaml"])
def test_a_spec_file_that_cannot_be_read_is_e100_with_the_cache_on(cache_dir, tmp_path, name):
    """The cache's key reads the file first: a missing file or a folder was an internal error (exit 3)."""
    (tmp_path / "folder.yaml").mkdir()
    code, out, err = run_cli("cost", str(tmp_path / name), "resnet18")
    assert (code, out) == (2, "")
    assert f"{name}:1:1: error[E100]: cannot read file" in err and "help: " in err
