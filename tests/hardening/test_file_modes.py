"""Files archc writes get the permissions the umask asks for (issue 13, item 4: every file used to be 0600,
mkstemp's mode, and a 0644 file it rewrote became 0600). A replaced file keeps its mode."""

from __future__ import annotations

import os
import stat

import pytest

from tests.conftest import run_cli


@pytest.fixture
def umask():
    old = os.umask(0o022)
    yield lambda mask: os.umask(mask)
    os.umask(old)


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("mask, expected", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_new_generated_files_follow_the_umask(tmp_path, umask, mask, expected):
    umask(mask)
    code, _, err = run_cli("build", "cifar/resnet20", "--out", str(tmp_path))
    assert code == 0, err
    files = sorted(tmp_path.rglob("*.py"))
    assert len(files) == 2 and all(mode(p) == expected for p in files), [oct(mode(p)) for p in files]


def test_a_rewritten_file_keeps_its_mode(tmp_path, umask):
    target = tmp_path / "pytorch" / "cifar" / "resnet20.py"
    target.parent.mkdir(parents=True)
    target.write_text("old\n")
    target.chmod(0o644)
    umask(0o077)
    assert run_cli("build", "cifar/resnet20", "--backend", "pytorch", "--out", str(tmp_path))[0] == 0
    assert target.read_text() != "old\n" and mode(target) == 0o644


def test_a_chart_follows_the_umask(tmp_path, umask):
    pytest.importorskip("matplotlib")
    umask(0o022)
    chart = tmp_path / "c.svg"
    code, _, err = run_cli("compare", "cifar/resnet20", "cifar/resnet32", "--plot", str(chart))
    assert code == 0, err
    assert mode(chart) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["c.svg"]  # no temporary file left behind


def test_atomic_save_leaves_no_temporary_file_when_the_writer_fails(tmp_path, umask):
    from archc.files import atomic_save

    def broken(tmp):
        tmp.write_bytes(b"half")
        raise RuntimeError("writer failed")

    with pytest.raises(RuntimeError):
        atomic_save(tmp_path / "x.bin", broken)
    assert list(tmp_path.iterdir()) == []
