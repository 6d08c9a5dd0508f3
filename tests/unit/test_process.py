"""The console script's process settings (archc/process.py) change no result, and their premise holds."""

from __future__ import annotations

import json
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
