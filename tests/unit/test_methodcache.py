"""The dataclass method cache (archc/methodcache.py): the same classes, compiled once, kept like bytecode."""

from __future__ import annotations

import dataclasses
import inspect
import json
import os
import subprocess
import sys
from importlib.util import MAGIC_NUMBER, cache_from_source

import pytest

from archc import methodcache
from tests.conftest import REPO


def _define():
    @dataclasses.dataclass(frozen=True)
    class Step:
        """A class like the block model's."""

        role: str
        kernel: int = 3
        width: dataclasses.InitVar[int | None] = None

        def __post_init__(self, width):
            pass

    return Step


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """The cache installed over a file of its own, and taken off again."""
    file = tmp_path / "methods.marshal"
    monkeypatch.setattr(methodcache, "path", lambda: str(file))
    monkeypatch.setattr(methodcache, "_codes", {})
    monkeypatch.setattr(methodcache, "_used", set())
    monkeypatch.setattr(methodcache, "_state", {"new": False, "path": None, "read": False})
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    methodcache.install()
    yield file
    methodcache.uninstall()


def _same_class(a, b) -> None:
    for name in ("__init__", "__repr__", "__eq__", "__hash__", "__setattr__", "__delattr__"):
        fa, fb = getattr(a, name), getattr(b, name)
        assert fa.__code__.co_code == fb.__code__.co_code, name
        assert fa.__annotations__ == fb.__annotations__, name  # real objects, not this module's strings
    assert str(inspect.signature(a)) == str(inspect.signature(b))
    assert [f.name for f in dataclasses.fields(a)] == [f.name for f in dataclasses.fields(b)]


def test_a_class_defined_through_the_cache_is_the_class_dataclasses_makes(cache):
    cached = _define()
    methodcache.uninstall()
    plain = _define()
    _same_class(cached, plain)
    # compiled with dataclasses' flags: the field's type, not the name "_type_role" (this module's future)
    assert cached.__init__.__annotations__["role"] == dataclasses.fields(cached)[0].type
    step = cached("conv1")
    assert step == cached("conv1", 3) and hash(step) == hash(cached("conv1")) and repr(step) == repr(plain("conv1"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        step.role = "conv2"


def test_a_text_is_compiled_once_and_read_back_from_the_file(cache, monkeypatch):
    _define()
    assert methodcache._state["new"] and methodcache._codes
    methodcache.save()
    assert cache.read_bytes().startswith(MAGIC_NUMBER)
    compiled = []
    real_compile = compile
    monkeypatch.setattr(
        methodcache, "compile", lambda *a, **k: compiled.append(a) or real_compile(*a, **k), raising=False
    )
    loaded = methodcache._load(str(cache))
    loaded["def unused(): pass"] = b"never decoded"
    monkeypatch.setattr(methodcache, "_codes", loaded)
    monkeypatch.setattr(methodcache, "_state", {"new": False, "path": str(cache), "read": True})
    again = _define()
    assert compiled == [] and not methodcache._state["new"]  # every method's code came from the file
    assert loaded["def unused(): pass"] == b"never decoded"  # a run decodes only the code it uses
    assert again("x") == again("x")
    before = cache.stat().st_mtime_ns
    methodcache.save()  # nothing new: the file is not rewritten
    assert cache.stat().st_mtime_ns == before


@pytest.mark.parametrize("content", [b"", b"not marshal", MAGIC_NUMBER + b"\x00garbage", b"\x00\x00\r\n" + b"{}"])
def test_a_damaged_or_foreign_file_is_an_empty_cache(tmp_path, content):
    file = tmp_path / "methods.marshal"
    file.write_bytes(content)
    assert methodcache._load(str(file)) == {}
    assert methodcache._load(str(tmp_path / "missing")) == {}


def test_an_entry_that_does_not_decode_is_compiled_again(cache):
    _define()
    for text in methodcache._codes:
        methodcache._codes[text] = b"\xff damaged"
    methodcache._state["new"] = False
    again = _define()
    assert methodcache._state["new"] and again("x").kernel == 3


def test_nothing_is_written_where_bytecode_is_not(cache, monkeypatch):
    _define()
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    methodcache.save()
    assert not cache.exists()


def test_the_file_lives_with_archc_bytecode_and_is_named_for_the_interpreter():
    file = methodcache.path()
    assert sys.implementation.cache_tag in os.path.basename(file)
    assert os.path.dirname(file) == os.path.dirname(cache_from_source(methodcache.__file__))


ENTRY = """
import json, sys
sys.argv = ["archc", *sys.argv[1:]]
from archc import cli, methodcache
try:
    cli.entry()
except SystemExit as exc:
    state = {"code": exc.code, "cached": len(methodcache._codes), "new": methodcache._state["new"]}
    print(json.dumps({**state, "used": len(methodcache._used)}), file=sys.stderr)
"""


def test_the_console_entry_fills_the_cache_once_and_prints_the_same(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(tmp_path / "pycache")  # the file goes under it, as bytecode does
    runs = []
    for _ in range(2):
        run = subprocess.run(
            [sys.executable, "-c", ENTRY, "cost", "resnet18", "--no-cache", "--json"],
            cwd=REPO, env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        runs.append((run.stdout, json.loads(run.stderr.strip().splitlines()[-1])))
    files = list((tmp_path / "pycache").rglob("dataclass-methods.*.marshal"))
    assert len(files) == 1
    (out1, first), (out2, second) = runs
    assert first["code"] == second["code"] == 0 and out1 == out2 and json.loads(out1)["params"] == 11_689_512
    assert first["cached"] > 100  # archc's block model and reader, pydantic's and networkx's classes
    assert second["cached"] == first["cached"]
    assert not second["new"]  # the second run compiled nothing


def test_a_cached_summary_decodes_only_what_it_defines(tmp_path):
    """A summary-cache hit imports no compiler: of the file, it decodes only the few classes it defines."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(ARCHC_CACHE_DIR=str(tmp_path / "summaries"), PYTHONPYCACHEPREFIX=str(tmp_path / "pycache"))
    states = []
    for _ in range(2):
        run = subprocess.run(
            [sys.executable, "-c", ENTRY, "cost", "resnet18"], cwd=REPO, env=env, capture_output=True, text=True
        )
        states.append(json.loads(run.stderr.strip().splitlines()[-1]))
    assert [s["code"] for s in states] == [0, 0]
    assert states[0]["used"] > 100 and 0 < states[1]["used"] < 20 and not states[1]["new"]
