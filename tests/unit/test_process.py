"""The console script's process settings (archc/process.py) change no result, and their premise holds."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from archc import process
from tests.conftest import REPO, run_cli

ENTRY = """
import gc, json, os, sys
sys.argv = ["archc", *sys.argv[1:]]
from archc import cli
try:
    cli.entry()
except SystemExit as exc:
    code = exc.code
state = {"code": code, "thresholds": list(gc.get_threshold()), "enabled": gc.isenabled(),
         "frozen": gc.get_freeze_count(), "plugins": os.environ.get("PYDANTIC_DISABLE_PLUGINS")}
print(json.dumps(state), file=sys.stderr)
"""


def test_the_console_entry_prints_what_main_prints_and_tunes_the_collector():
    args = ["cost", "resnet50", "--no-cache", "--json"]
    run = subprocess.run([sys.executable, "-c", ENTRY, *args], cwd=REPO, capture_output=True, text=True, check=False)
    state = json.loads(run.stderr.strip().splitlines()[-1])
    assert state["code"] == 0 and run.stdout == run_cli(*args)[1]
    assert state["thresholds"] == list(process.GC_THRESHOLDS) and state["enabled"]
    assert state["frozen"] > 10_000  # what was alive at the end went to the permanent generation
    assert state["plugins"] == "__all__"


CYCLES = """
import gc
from archc.pipeline import compile_spec
compile_spec("resnet101")  # first: what stays (modules, the schema's validator, caches)
gc.collect()
gc.disable()
for spec in ("resnet101", "timm/seresnext50_32x4d", "regnet/regnety_016", "timm/convnext_tiny"):
    compile_spec(spec, input_size=(160, 160))
print(gc.collect())
"""


def test_a_compile_leaves_no_cyclic_garbage():
    """The premise of the thresholds: every object of a compile is freed by reference counting, so the
    collector, run rarely, misses nothing (it still runs, for code that does leave cycles behind)."""
    run = subprocess.run([sys.executable, "-c", CYCLES], cwd=REPO, capture_output=True, text=True, check=True)
    assert int(run.stdout.strip()) == 0


BACKENDS = """
import json, sys
sys.argv = ["archc", *sys.argv[1:]]


class Seen:  # a finder before archc's: it must still be asked for networkx
    names = []

    @classmethod
    def find_spec(cls, name, path=None, target=None):
        cls.names.append(name)


sys.meta_path.insert(0, Seen)
from archc import cli
try:
    cli.entry()
except SystemExit:
    pass
import importlib.metadata, networkx
restored = importlib.metadata.entry_points.__module__ == "importlib.metadata"
restored = restored and not any("NoNetworkx" in repr(f) for f in sys.meta_path)
state = {"backends": sorted(networkx.utils.backends.backends), "restored": restored, "asked": "networkx" in Seen.names}
print(json.dumps(state), file=sys.stderr)
"""


def _with_a_networkx_backend(tmp_path, **env) -> dict:
    """Run the console entry (``archc cost --json``) where a distribution declares a networkx backend."""
    info = tmp_path / "nx_fake-1.0.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: nx-fake\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[networkx.backends]\nfake = nx_fake:Backend\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETWORKX_")} | env
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), env.get("PYTHONPATH", "")])
    args = ["cost", "resnet18", "--no-cache", "--json"]
    run = subprocess.run(
        [sys.executable, "-c", BACKENDS, *args], cwd=REPO, env=env, capture_output=True, text=True, check=True
    )
    assert run.stdout == run_cli(*args)[1]
    return json.loads(run.stderr.strip().splitlines()[-1])


def test_the_console_entry_hides_networkx_backends_unless_networkx_is_configured(tmp_path):
    """archc's graphs are walked by networkx itself: the console script skips networkx's discovery of backends
    (the entry points of every installed distribution), puts importlib.metadata and sys.meta_path back as they
    were, and skips no other finder (one before it in sys.meta_path is still asked for networkx); with a
    NETWORKX_* setting (which may name a backend) the discovery runs, as networkx does it."""
    assert _with_a_networkx_backend(tmp_path) == {"backends": [], "restored": True, "asked": True}
    configured = _with_a_networkx_backend(tmp_path, NETWORKX_FALLBACK_TO_NX="1")
    assert configured == {"backends": ["fake"], "restored": True, "asked": True}
