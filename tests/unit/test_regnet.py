"""RegNet generators and built-ins: timm's recorded figures, timm's own RegNet rule and model, diagnostics.

Every built-in's params and MACs against timm's model: tests/backends/test_references.py."""

from __future__ import annotations

import pytest

from archc.pipeline import compile_spec
from archc.reports.summary import summary
from archc.spec.generators import RegNetParams, regnet_stages
from archc.spec.loader import builtin_names, load_spec
from tests.conftest import REFERENCE, markdown_rows, number, run_cli

TIMM = {r[0]: (int(r[1]), number(r[2]), number(r[3])) for r in markdown_rows(
    (REFERENCE / "timm_figures.md").read_text(encoding="utf-8"), "model") if r[0].startswith("regnet")}  # fmt: skip
# timm's regnet* with timm's rounding; the *_tv variants (torchvision's rounding) and torchvision's own RegNets
# are compared with the libraries themselves in test_regnet_libraries.py.
REGNETS = [n for n in builtin_names() if n.startswith("regnet/") and not n.endswith("_tv")]


def test_every_published_configuration_is_a_builtin():
    sizes = ["002", "004", "006", "008", "016", "032", "040", "064", "080", "120", "160"]
    assert REGNETS == [f"regnet/regnet{k}_{s}" for k in "xy" for s in sizes]
    assert len(TIMM) == 8


@pytest.mark.parametrize("name", sorted(TIMM))
def test_timm_figures_exactly(name):
    size, params, macs = TIMM[name]
    s = summary(compile_spec(f"regnet/{name}", verify_each=True))
    assert s["input_shape"] == [3, size, size]
    assert (s["params"], s["macs"]) == (params, macs)


def _timm_regnet():
    from tests.libs import timm

    return timm().models.regnet


def timm_stage_table(cfg) -> list[tuple[int, int, int]]:
    """``[(width, blocks, group width), …]`` as timm's RegNet computes them (float32 torch arithmetic)."""
    stages, _ = _timm_regnet().RegNet._get_stage_args(None, cfg)
    return [(s["out_chs"], s["depth"], s["group_size"]) for s in stages]


@pytest.mark.parametrize("name", REGNETS)
def test_generated_table_equals_timms_float32_rule(name):
    cfg = _timm_regnet().model_cfgs[name.split("/")[1]]  # timm's RegNetCfg of regnetx_002 …
    spec = load_spec(name).spec
    assert [(s.width, s.blocks, s.group_width) for s in spec.stages] == timm_stage_table(cfg)
    assert [s.name for s in spec.stages] == ["s1", "s2", "s3", "s4"]
    assert all(s.stride == 2 and s.bottleneck_ratio == 1.0 for s in spec.stages)


def _random_params(rng) -> dict:
    return {
        "w0": 8 * rng.randint(1, 32),
        "wa": round(rng.uniform(0, 120), rng.choice([0, 2])),
        "wm": round(rng.uniform(1.2, 3.2), 2),
        "depth": rng.randint(1, 24),
        "group_width": rng.choice([1, 8, 16, 24, 48]),
        "bottleneck_ratio": rng.choice([1.0, 0.5, 0.25]),
    }


def _cfg(p: dict, se: float | None = None):
    return _timm_regnet().RegNetCfg(
        w0=p["w0"], wa=p["wa"], wm=p["wm"], depth=p["depth"], group_size=p["group_width"],
        bottle_ratio=p["bottleneck_ratio"], se_ratio=se or 0.0,
    )  # fmt: skip


def test_the_rule_is_timms_float32_rule_on_random_parameters():
    """300 seeded draws over the design space, and the halfway case where float32 and float64 differ."""
    import random

    rng = random.Random(15)
    draws = [_random_params(rng) for _ in range(300)] + [
        {"w0": 120, "wa": 61.52, "wm": 2.1, "depth": 18, "group_width": 2, "bottleneck_ratio": 0.25}
    ]
    for p in draws:
        ours = [(r["width"], r["blocks"], r["group_width"]) for r in regnet_stages(RegNetParams(**p))]
        assert ours == timm_stage_table(_cfg(p)), p
    assert ours[1][0] == 248  # 120 × 2.1 = 251.99998 in float32 (timm); float64 (pycls) would give 256


@pytest.mark.parametrize("seed", range(12))
def test_random_regnets_equal_timms_regnet(tmp_path, seed):
    """timm's own RegNet of the same RegNetCfg: params and FlopCounterMode MACs (meta device). timm's RegNet
    has exactly four stages: draws with other stage counts are drawn again (the rule test covers them)."""
    torch = pytest.importorskip("torch")
    import random

    from torch.utils.flop_counter import FlopCounterMode

    rng = random.Random(seed)
    p, se = _random_params(rng), rng.choice([None, 0.25])
    while len(timm_stage_table(_cfg(p))) != 4:
        p = _random_params(rng)
    gen = {**p, **({"se_ratio": se} if se else {})}
    body = "archc: 1\nextends: regnet/regnetx_002\nname: r\ninput: {size: 96}\nstages:\n  regnet: {"
    path = tmp_path / "r.yaml"
    path.write_text(body + ", ".join(f"{k}: {v}" for k, v in gen.items()) + "}\n", encoding="utf-8")
    s = summary(compile_spec(str(path), verify_each=True))
    with torch.device("meta"):
        model = _timm_regnet().RegNet(_cfg(p, se)).eval()
        x = torch.empty(1, 3, 96, 96)
    with FlopCounterMode(display=False) as counter:
        model(x)
    assert s["params"] == sum(t.numel() for t in model.parameters()), gen
    assert 2 * s["macs"] == counter.get_total_flops(), gen


def test_se_width_is_a_quarter_of_the_block_input():
    g = compile_spec("regnet/regnety_002").graph
    # s3's first block: input 56 channels (s2's output) → SE hidden round(0.25 × 56) = 14 on 152 channels.
    assert g.nodes["s2.b0.se_reduce"]["attrs"]["out_channels"] == 14
    assert g.nodes["s2.b0.se_reduce"]["attrs"]["in_channels"] == 152
    assert g.nodes["s2.b1.se_reduce"]["attrs"]["out_channels"] == 38  # round(0.25 × 152)
    # SE sits after the grouped 3x3 and its BN + ReLU, before the last 1x1 (timm's RegNet Bottleneck).
    assert list(g.predecessors("s1.b0.se_pool")) == ["s1.b0.act2"]
    assert list(g.predecessors("s1.b0.conv3")) == ["s1.b0.se_scale"]


def test_rule_by_hand_regnetx_002():
    p = RegNetParams(w0=24, wa=36.44, wm=2.49, depth=13, group_width=8)
    assert [(r["width"], r["blocks"], r["group_width"]) for r in regnet_stages(p)] == [
        (24, 1, 8), (56, 1, 8), (152, 4, 8), (368, 7, 8)
    ]  # fmt: skip


def test_bottleneck_ratio_and_group_width_compatibility():
    # b = 0.25: bottleneck int(w/4), group width min(g, bottleneck), rounded to multiples of it (pycls).
    p = RegNetParams(w0=48, wa=30.0, wm=2.5, depth=6, group_width=16, bottleneck_ratio=0.25)
    rows = regnet_stages(p)
    for r in rows:
        inner = int(round(r["width"] * 0.25))
        assert inner % r["group_width"] == 0


def _write(tmp_path, body: str, name="net.yaml"):
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


def test_extends_overrides_one_generator_parameter(tmp_path):
    path = _write(tmp_path, "archc: 1\nextends: regnet/regnetx_002\nname: deeper\nstages:\n  regnet: {depth: 20}\n")
    spec = load_spec(str(path)).spec
    assert sum(s.blocks for s in spec.stages) == 20
    assert spec.stages[0].group_width == 8


BAD = [
    ("regnet: {w0: 20, wa: 36.44, wm: 2.49, depth: 13, group_width: 8}", "6:16", "E401", "not a multiple of quant 8"),
    ("regnet: {w0: 24, wa: 36.44, wm: 1.0, depth: 13, group_width: 8}", "6:35", "E204", "'wm' must be greater than 1"),
    ("regnet: {w0: 24, wa: 36.44, wmm: 2.4, depth: 13, group_width: 8}", "6:31", "E200", "unknown key 'wmm'"),
    ("regnt: {w0: 24}", "6:3", "E200", "unknown key 'regnt'"),
    ("regnet: {w0: 24, wa: 1.0, wm: 2.0, depth: 3, group_width: 8, bottleneck_ratio: 0.01}", "6:82", "E401",
     "leaves 0 channels"),
    ("regnet: {w0: 24, wa: 36.44, wm: 2.49, group_width: 8}", "6:11", "E201", "missing key 'depth'"),
]  # fmt: skip


@pytest.mark.parametrize(("gen", "where", "code", "message"), BAD)
def test_bad_generator_parameters_are_located(tmp_path, gen, where, code, message):
    head = "archc: 1\nname: bad\nblock: bottleneck\nexpansion: 1\nstages:\n  "
    path = _write(tmp_path, head + gen + "\n")
    rc, out, err = run_cli("cost", str(path), cwd=tmp_path)
    assert (rc, out) == (2, "")
    line = next(x for x in err.splitlines() if x.startswith(f"net.yaml:{where}: error[{code}]: "))
    assert message in line
    assert "help: " in err and "Traceback" not in err


def test_stage_groups_on_a_basic_block_are_refused(tmp_path):
    body = "archc: 1\nextends: resnet18\nname: g\nstages:\n  - {name: a, width: 64, blocks: 2, group_width: 8}\n"
    rc, _, err = run_cli("check", str(_write(tmp_path, body)), cwd=tmp_path)
    assert rc == 2 and "net.yaml:5:50: error[E401]: 'group_width' needs a bottleneck block" in err


def test_group_width_must_divide_the_inner_width(tmp_path):
    body = "archc: 1\nextends: torchvision/resnet50\nname: g\nstages:\n  - {name: a, width: 64, blocks: 2, group_width: 24}\n"
    rc, _, err = run_cli("check", str(_write(tmp_path, body)), cwd=tmp_path)
    assert rc == 2 and "error[E401]: group_width 24 does not divide the inner width 64" in err


def test_se_ratio_conflicts_with_an_explicit_se(tmp_path):
    body = "archc: 1\nextends: regnet/regnety_002\nname: g\nse: {reduction: 4}\n"
    rc, _, err = run_cli("check", str(_write(tmp_path, body)), cwd=tmp_path)
    assert rc == 2 and "error[E203]: the generator's se_ratio sets 'se'" in err
