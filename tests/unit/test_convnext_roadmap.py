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
    """Every built-in builds in both backends; roadmap steps cannot (E403), so the folder is read by path only."""
    assert STEPS and not [n for n in builtin_names() if "roadmap" in n]
    code, out, _ = run_cli("list")
    assert code == 0 and "roadmap" not in out
    code, _, err = run_cli("cost", "convnext/roadmap/03_depthwise")
    assert code == 2 and "error[E302]" in err
    code, _, err = run_cli("build", str(ROADMAP / "11_layernorm.yaml"), "--backend", "pytorch", "--out", str(tmp_path))
    assert code == 2 and "error[E403]" in err and "specs/convnext/roadmap/" in err and "<built-in" not in err


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


PRINTED = ["03_depthwise", "04_width", "05_inverted_bottleneck", "06_move_up_dw", "07_kernel7",
           "09_fewer_activations", "10_fewer_norms"]  # fmt: skip


@pytest.mark.parametrize(
    "step",
    [pytest.param(s, marks=[] if s in ("03_depthwise", "06_move_up_dw") else [pytest.mark.slow]) for s in PRINTED],
)
def test_user_block_steps_build_in_pytorch_and_match_the_ir(step):
    """A user block in the ResNet skeleton prints as one class; archc verify's checks (params, buffers, MACs by
    FlopCounterMode, stage and output shapes of a real forward pass) find the IR's figures."""
    from archc.frameworks.verify import check_pytorch

    checks = check_pytorch(compile_spec(str(ROADMAP / f"{step}.yaml"), input_size=(64, 64)))
    assert checks and all(c.ok for c in checks), [c for c in checks if not c.ok]


@pytest.mark.parametrize("step", ["08_gelu", "11_layernorm", "12_downsampling"])
def test_steps_the_resnet_printer_cannot_print_are_refused(step, tmp_path):
    code, _, err = run_cli("build", str(ROADMAP / f"{step}.yaml"), "--backend", "pytorch", "--out", str(tmp_path))
    assert code == 2 and "error[E403]" in err and "Traceback" not in err
