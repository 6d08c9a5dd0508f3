"""The ConvNeXt paper's Figure 2 as specs (specs/convnext/roadmap/, a walk-through read by path, not built-ins):
each step extends the one before and changes one thing; each step's cost rounds to the GFLOPs the paper prints
(its figures are fvcore's, which counts norms too: archc's MACs or its fvcore figure, one decimal); the last
step is timm's convnext_tiny."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from archc.counters.count import count
from archc.pipeline import compile_spec
from archc.reports.summary import summary
from archc.spec.paths import builtin_names
from tests.conftest import run_cli

ROADMAP = Path(__file__).resolve().parents[2] / "specs" / "convnext" / "roadmap"
STEPS = sorted(ROADMAP.glob("*.yaml"))


def test_the_roadmap_is_a_walkthrough_not_built_ins(tmp_path):
    """The folder is read by path only (its PyTorch builds: tests/backends/test_roadmap_pytorch.py)."""
    assert STEPS and not [n for n in builtin_names() if "roadmap" in n]
    code, out, _ = run_cli("list")
    assert code == 0 and "roadmap" not in out
    code, _, err = run_cli("cost", "convnext/roadmap/03_depthwise")
    assert code == 2 and "error[E302]" in err


def test_each_step_extends_the_one_before():
    assert len(STEPS) == 14
    for before, step in zip(STEPS, STEPS[1:], strict=False):
        assert yaml.safe_load(step.read_text(encoding="utf-8"))["extends"] == before.name


@pytest.mark.parametrize("step", STEPS, ids=[p.stem for p in STEPS])
def test_each_step_rounds_to_the_papers_figure(step):
    c = compile_spec(str(step), verify_each=True)
    paper = float(c.spec.metadata.paper_flops.rstrip("G"))
    macs = summary(c)["macs"]
    fvcore = count(c.graph, ["fvcore"]).totals["fvcore"]
    assert paper in (round(macs / 1e9, 1), round(fvcore / 1e9, 1)), (macs, fvcore)


def test_the_last_step_is_timms_convnext_tiny():
    last = summary(compile_spec(str(STEPS[-1])))
    tiny = summary(compile_spec("timm/convnext_tiny"))
    assert (last["params"], last["macs"]) == (tiny["params"], tiny["macs"]) == (28_589_128, 4_455_531_264)


def test_compare_prints_the_roadmap():
    code, out, err = run_cli("compare", *map(str, STEPS))
    assert code == 0, err
    names = [line.split()[0] for line in out.splitlines() if line.strip().startswith("roadmap_")]
    assert names == [f"roadmap_{p.stem}" for p in STEPS]


PRINTED = [p.stem for p in STEPS]  # every step: 00-02 built-in blocks, 03-13 a user block
QUICK = ("03_depthwise", "06_move_up_dw", "12_downsampling", "13_convnext_tiny")


@pytest.mark.parametrize("step", [pytest.param(s, marks=[] if s in QUICK else [pytest.mark.slow]) for s in PRINTED])
def test_user_block_steps_build_in_pytorch_and_match_the_ir(step):
    """A user block in the ResNet skeleton prints as one class; archc verify's checks (params, buffers, MACs by
    FlopCounterMode, stage and output shapes of a real forward pass) find the IR's figures."""
    from archc.frameworks.verify import check_pytorch

    checks = check_pytorch(compile_spec(str(ROADMAP / f"{step}.yaml"), input_size=(64, 64)))
    assert checks and all(c.ok for c in checks), [c for c in checks if not c.ok]


def test_what_the_resnet_printer_cannot_print_is_refused(tmp_path):
    """A drop_path step's own rate (the same in every block, which no library writes) in the ResNet skeleton: a
    located E403, no file."""
    spec = tmp_path / "dp.yaml"
    steps = "".join(f"      - {s}\n" for s in ("{kind: conv, role: conv_dw, kernel: 7, depthwise: true}",
                                                 "{kind: norm, role: norm}", "{kind: drop_path, rate: 0.1}",
                                                 "{kind: add}"))  # fmt: skip
    spec.write_text(f"archc: 1\nextends: timm/convnext_atto\nname: dp\nfamily: resnet\nblocks:\n  convnext:\n"
                    f"    steps:\n{steps}")  # fmt: skip
    code, _, err = run_cli("build", str(spec), "--backend", "pytorch", "--out", str(tmp_path / "out"))
    assert code == 2 and "error[E403]" in err and "dp.yaml:7:" in err and "its own rate" in err, err
    assert not (tmp_path / "out").exists()
