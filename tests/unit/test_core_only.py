"""Every core command works with only the declared core dependencies (issue 13, "a fresh core-only install").

Each command runs in a fresh interpreter whose imports are restricted to the standard library, archc and
the distributions that archc's ``[project.dependencies]`` pull in (their requirement closure, read from
the installed metadata): torch, TensorFlow, Keras, matplotlib, Rich, numpy … are all unimportable, as in
an empty venv after ``pip install archc``. Commands that need an extra must say so (exit 2, E602).
A real one was also done by hand: ``python -m venv`` (no system site-packages) + ``pip install -e .``.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from importlib import metadata

import pytest

from tests.conftest import REPO

GUARD = """
import importlib.abc, importlib.machinery, importlib.util, json, sys
allowed = set(json.loads(sys.argv[1]))
def hidden(name):
    top = name.partition(".")[0]
    if top in allowed or top in sys.stdlib_module_names:
        return False
    found = importlib.machinery.PathFinder.find_spec(top)
    where = (found.origin or "") + " ".join(found.submodule_search_locations or []) if found else ""
    return "-packages" in where  # an installed distribution (not the standard library, not the repository)
class CoreOnly(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == name.partition(".")[0] and hidden(name):
            raise ModuleNotFoundError(f"No module named {name!r} (a core-only install)", name=name)
real_find_spec = importlib.util.find_spec
importlib.util.find_spec = lambda name, package=None: None if hidden(name) else real_find_spec(name, package)
sys.meta_path.insert(0, CoreOnly())
sys.argv = ["archc", *sys.argv[2:]]
from archc.cli import main
sys.exit(main())
"""


def _closure() -> set[str]:
    """Top-level modules of the core dependencies and everything they require (no extras)."""
    deps = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    todo = [re.split(r"[<>=!~\[ ;]", d, maxsplit=1)[0] for d in deps]
    dists: set[str] = set()
    while todo:
        name = todo.pop().lower().replace("_", "-")
        if name in dists:
            continue
        dists.add(name)
        for req in metadata.requires(name) or []:
            if "extra ==" not in req:
                todo.append(re.split(r"[<>=!~\[ ;(]", req, maxsplit=1)[0])
    modules = {"archc"}
    for module, owners in metadata.packages_distributions().items():
        if any(o.lower().replace("_", "-") in dists for o in owners):
            modules.add(module)
    return modules


ALLOWED = json.dumps(sorted(_closure()))


def core(*args: str, cwd=REPO) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", GUARD, ALLOWED, *args], cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )


def test_the_guard_really_hides_the_frameworks():
    assert not {"torch", "tensorflow", "keras", "matplotlib", "rich", "numpy"} & set(json.loads(ALLOWED))
    assert {"pydantic", "yaml", "jinja2", "networkx"} <= set(json.loads(ALLOWED))


@pytest.mark.parametrize(
    "args",
    [
        ("check", "resnet50", "cifar/resnet20"),
        ("cost", "resnet50", "--input-size", "160"),
        ("cost", "--json", "--per-layer", "--profile", "keras", "cifar/resnet20"),
        ("cost", "resnet18", "--depth", "2"),
        ("compare", "resnet18", "resnet50", "torchvision/resnet50"),
        ("compare", "resnet18", "resnet50", "--csv"),
        ("table", "cifar/resnet20", "resnet18", "--format", "latex"),
        ("graph", "resnet18", "--collapse", "--format", "mermaid"),
        ("graph", "resnet18", "--format", "json"),
        ("schema",),
        ("list", "cifar/*"),
        ("build", "--check"),
    ],
    ids=lambda a: "-".join(a[:2]),
)
def test_core_command(args):
    proc = core(*args)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout and "internal error" not in proc.stderr


def test_build_writes_both_backends(tmp_path):
    proc = core("build", "resnet18", "cifar/resnet20", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.py")) == [
        "keras/cifar/resnet20.py", "keras/resnet18.py", "pytorch/cifar/resnet20.py", "pytorch/resnet18.py",
    ]  # fmt: skip


def test_verify_skips_with_a_note():
    proc = core("verify", "cifar/resnet20")
    assert proc.returncode == 0 and "skipped (torch is not installed)" in proc.stdout
    assert "nothing verified: no framework installed" in proc.stderr


@pytest.mark.parametrize(
    "args, needs",
    [
        (("compare", "resnet18", "--plot", "{tmp}/x.png"), "--plot needs matplotlib"),
        (
            ("convert", "resnet18", "--from", "{tmp}/a.pt", "--to", "{tmp}/b.weights.h5"),
            "convert needs PyTorch and Keras",
        ),
    ],
    ids=["plot", "convert"],
)
def test_extras_are_asked_for(tmp_path, args, needs):
    (tmp_path / "a.pt").write_bytes(b"")
    proc = core(*(a.format(tmp=tmp_path) for a in args))
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith(f"error[E602]: {needs}") and "\n  help: pip install 'archc[" in proc.stderr
