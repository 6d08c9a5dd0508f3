"""The ConvNeXt roadmap (specs/convnext/roadmap/) in the PyTorch backend's ResNet skeleton: every step prints a
ruff-clean, stable file whose modules are the IR's names; the last step is timm's own ``convnext_tiny`` — the
same parameter count, and with timm's state dict loaded (renamed from the ResNet skeleton's names, strict)
the same outputs. A non-ReLU activation is a module of its own, named by its role (torchvision keeps one
shared ``relu`` per block). ``archc verify`` on every step: tests/unit/test_convnext_roadmap.py."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from archc.codegen import emit
from archc.pipeline import compile_spec
from tests.backends.torch_models import import_text
from tests.conftest import run_cli
from tests.libs import timm

ROADMAP = Path(__file__).resolve().parents[2] / "specs" / "convnext" / "roadmap"
STEPS = sorted(ROADMAP.glob("*.yaml"))
SMALL = (64, 64)


def _build(step: str, tmp_path: Path):
    c = compile_spec(str(ROADMAP / f"{step}.yaml"), input_size=SMALL)
    text = emit(c, "pytorch")
    return c, text, import_text(text, tmp_path, f"roadmap_{step}").build_model().eval()


@pytest.mark.parametrize("step", STEPS, ids=[p.stem for p in STEPS])
def test_each_step_prints_a_ruff_clean_stable_file(step, tmp_path):
    c = compile_spec(str(step))
    text = emit(c, "pytorch")
    assert text == emit(compile_spec(str(step)), "pytorch")
    path = tmp_path / f"{step.stem}.py"
    path.write_text(text, encoding="utf-8")
    for args in (["check", "--isolated", "--line-length", "120"], ["format", "--check", "--line-length", "120"]):
        done = subprocess.run([sys.executable, "-m", "ruff", *args, str(path)], capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("step", ["08_gelu", "12_downsampling", "13_convnext_tiny"])
def test_every_module_is_named_as_the_ir_names_it(step, tmp_path):
    c, _, model = _build(step, tmp_path)
    modules, params = dict(model.named_modules()), dict(model.named_parameters())
    for _, data in c.graph.nodes(data=True):
        name = data["names"]["torchvision"]
        if data["op"] == "layer_scale":
            assert name in params, name
        elif data["op"] not in ("input", "add", "flatten"):
            assert name in modules, (data["op"], name)


def test_each_activation_that_is_no_relu_is_its_own_module(tmp_path):
    """08_gelu: the block's three GELUs are act1, act2, out_act (and the stem's act); 07 (ReLU) keeps one relu."""
    _, text, model = _build("08_gelu", tmp_path)
    block = model.layer1[0]
    assert [n for n, m in block.named_children() if isinstance(m, torch.nn.GELU)] == ["act1", "act2", "out_act"]
    assert not hasattr(block, "relu") and isinstance(model.act, torch.nn.GELU)
    assert "self.relu" not in text
    _, text, model = _build("07_kernel7", tmp_path)
    assert [n for n, m in model.layer1[0].named_children() if isinstance(m, torch.nn.ReLU)] == ["relu"]


def _timm_name(key: str) -> str:
    """A key of the printed roadmap 13 (ResNet skeleton, torchvision profile) as timm's ConvNeXt names it."""
    for pattern, repl in (
        (r"^conv1\.", "stem.0."),
        (r"^(norm1|bn1)\.", "stem.1."),
        (r"^(norm|fc)\.", r"head.\1."),
        (r"^layer(\d)\.downsample\.norm\.", r"stages.{\1}.downsample.0."),
        (r"^layer(\d)\.downsample\.conv\.", r"stages.{\1}.downsample.1."),
        (r"^layer(\d)\.(\d+)\.(fc\d)\.", r"stages.{\1}.blocks.\2.mlp.\3."),
        (r"^layer(\d)\.(\d+)\.", r"stages.{\1}.blocks.\2."),
    ):
        if re.match(pattern, key):
            name = re.sub(pattern, repl, key)
            return re.sub(r"\{(\d)\}", lambda m: str(int(m.group(1)) - 1), name)
    raise AssertionError(key)


def test_the_last_step_is_timms_convnext_tiny(tmp_path):
    """Same parameter count as timm's convnext_tiny; timm's weights (perturbed, so biases and gamma matter)
    load strictly under the renamed keys, one to one, and give the same outputs."""
    _, text, ours = _build("13_convnext_tiny", tmp_path)
    for cls in ("LayerNorm2d", "ModernBlock", "ResNet"):
        assert f"class {cls}(" in text
    theirs = timm().create_model("convnext_tiny").eval()
    assert sum(p.numel() for p in ours.parameters()) == sum(p.numel() for p in theirs.parameters()) == 28_589_128
    with torch.no_grad():
        for p in theirs.parameters():
            p.add_(torch.randn_like(p) * 0.02)
    ref = theirs.state_dict()
    renamed = {k: _timm_name(k) for k in ours.state_dict()}
    assert sorted(renamed.values()) == sorted(ref)
    ours.load_state_dict({k: ref[name] for k, name in renamed.items()}, strict=True)
    x = torch.randn(2, 3, *SMALL)
    with torch.no_grad():
        torch.testing.assert_close(ours(x), theirs(x))


def test_drop_path_rate_in_the_resnet_skeleton_is_timms(tmp_path):
    """timm's convnext_atto in the ResNet skeleton with ``drop_path_rate``: timm's DropPath modules and rates, and
    with timm's weights the same outputs in train mode under one seed."""
    spec = tmp_path / "atto_dp.yaml"
    spec.write_text("archc: 1\nname: atto_dp\nextends: timm/convnext_atto\nfamily: resnet\ndrop_path_rate: 0.1\n")
    text = emit(compile_spec(str(spec), input_size=SMALL), "pytorch")
    ours = import_text(text, tmp_path, "atto_dp").build_model()
    theirs = timm().create_model("convnext_atto", drop_path_rate=0.1)

    def rates(model):
        return [getattr(m, "drop_prob", 0.0) for n, m in model.named_modules() if n.endswith("drop_path")]

    assert rates(ours) == pytest.approx(rates(theirs)) and len(rates(ours)) == 12 and rates(ours)[-1] > 0
    ref = theirs.state_dict()
    ours.load_state_dict({k: ref[_timm_name(k)] for k in ours.state_dict()}, strict=True)
    x = torch.randn(2, 3, *SMALL)
    outputs = []
    for model in (ours.train(), theirs.train()):
        torch.manual_seed(1)
        outputs.append(model(x))
    torch.testing.assert_close(*outputs)


OTHER_RECIPES = {
    "silu_resnet18": "extends: torchvision/resnet18\ndefaults: {activation: silu}\n",
    "hardswish_resnet18": "extends: torchvision/resnet18\ndefaults: {activation: hardswish}\n",
    "relu6_resnet50_downsampled": "extends: torchvision/resnet50\ndefaults: {activation: relu6}\n"
    "downsample: {norm: true, bias: false}\nhead: {norm: true}\n",
    "preact_gelu_layernorm": "extends: resnet18\nunit: full_preactivation\n"
    "defaults: {activation: gelu, norm: {kind: layernorm}}\n",
    "timm_convnext_in_resnet_skeleton": "extends: timm/convnext_atto\nfamily: resnet\n",
    # a BatchNorm in front of the linear convs runs on N×C×H×W: the permute to channels-last comes after it
    "batchnorm_convnext": "extends: timm/convnext_atto\nfamily: resnet\ndefaults: {norm: {kind: batchnorm}}\n",
    "hardswish_groupnorm_convnext": "extends: timm/convnext_atto\nfamily: resnet\n"
    "defaults: {activation: hardswish, norm: {kind: groupnorm, groups: 8}}\n",
    **{
        f"{name}_{base.split('/')[0]}": f"extends: {base}\ndefaults: {{norm: {{kind: layernorm}}}}\nblock: mine\n"
        f"blocks:\n  mine:\n    steps:\n{''.join(f'      - {{{step}}}' + chr(10) for step in steps)}"
        for base in ("torchvision/resnet18", "timm/resnet18")
        for name, steps in {
            "se_gelu_silu": ["kind: conv, width: 2 * planes, stride: true", "kind: norm", "kind: act, fn: gelu",
                             "kind: se, hidden: planes // 4", "kind: conv, width: out", "kind: norm", "kind: add",
                             "kind: act, role: out_act, fn: silu"],
            "eca_hardswish": ["kind: conv, kernel: 3, stride: true, width: out", "kind: norm",
                              "kind: act, fn: hardswish", "kind: eca", "kind: add"],
            "linear_projected": ["kind: conv, role: conv_dw, kernel: 3, depthwise: true, stride: true",
                                 "kind: conv, role: fc1, width: 2 * planes, linear: true", "kind: act, fn: relu6",
                                 "kind: conv, role: fc2, width: out, linear: true", "kind: layer_scale", "kind: add"],
        }.items()
    },
}  # fmt: skip


@pytest.mark.parametrize("name", OTHER_RECIPES)
def test_other_recipes_print_and_match_the_ir(name, tmp_path):
    """What else a recipe may hold prints too: archc verify's checks find the IR's figures."""
    from archc.frameworks.verify import check_pytorch

    spec = tmp_path / f"{name}.yaml"
    spec.write_text(f"archc: 1\nname: {name}\n{OTHER_RECIPES[name]}", encoding="utf-8")
    checks = check_pytorch(compile_spec(str(spec), input_size=SMALL))
    assert checks and all(c.ok for c in checks), [c for c in checks if not c.ok]


def test_a_linear_conv_that_strides_is_a_spec_error(tmp_path):
    """nn.Linear / Dense see one position at a time: a ``linear`` conv cannot take the stride (E401 at check)."""
    spec = tmp_path / "linear_stride.yaml"
    spec.write_text("archc: 1\nname: linear_stride\nextends: torchvision/resnet18\nblock: mine\nblocks:\n  mine:\n"
                    "    steps:\n      - {kind: conv, width: out, linear: true, stride: true}\n      - {kind: add}\n")  # fmt: skip
    code, _, err = run_cli("check", str(spec))
    assert code == 2 and "linear_stride.yaml:8:" in err and "error[E401]" in err and "cannot stride" in err, err


REFUSED = {
    "stages with and without separate downsampling layers": (
        "extends: torchvision/resnet50\ndownsample: {norm: true}\nstages:\n  - {name: a, width: 64, blocks: 1}\n"
        "  - {name: b, width: 128, blocks: 1, stride: 2, downsample: false}\n", 7),
}  # fmt: skip


@pytest.mark.parametrize("what", REFUSED)
def test_what_it_cannot_print_is_a_located_e403(what, tmp_path):
    body, line = REFUSED[what]
    spec = tmp_path / "refused.yaml"
    spec.write_text(f"archc: 1\nname: refused\n{body}", encoding="utf-8")
    code, _, err = run_cli("build", str(spec), "--backend", "pytorch", "--out", str(tmp_path / "out"))
    assert code == 2 and f"refused.yaml:{line}:" in err and "error[E403]" in err and what in err, err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("spec", ["13_convnext_tiny", "timm_convnext_tiny_in_resnet_skeleton"])
def test_counters_print_archcs_figures_on_the_printed_code(spec, tmp_path):
    """fvcore, ptflops, thop and FlopCounterMode on the printed model equal archc's counter rules: LayerNorm2d,
    nn.LayerNorm on channels-last (timm profile: timm's LayerNorm and GELU classes), layer scale's ``*``
    (timm profile: ``x.mul``), drop path as nn.Identity."""
    from tests.counters.harness import compare, explain

    path = ROADMAP / f"{spec}.yaml"
    if not path.exists():  # the same model named as timm names: its code forms differ
        path = tmp_path / f"{spec}.yaml"
        path.write_text(f"archc: 1\nname: {spec}\nextends: timm/convnext_tiny\nfamily: resnet\n", encoding="utf-8")
    got, want, by_kind = compare(str(path), SMALL)
    assert got == want, explain(spec, SMALL, got, want, by_kind)


@pytest.mark.parametrize("step", ["08_gelu", "13_convnext_tiny"])
def test_printed_steps_script_with_torchscript(step, tmp_path):
    """Each stage cut to its first two children (the downsampling layer or block 0, and a block: every class)."""
    _, _, model = _build(step, tmp_path)
    for i in range(1, 5):
        setattr(model, f"layer{i}", getattr(model, f"layer{i}")[:2])
    x = torch.randn(1, 3, *SMALL)
    with torch.no_grad(), torch.jit.optimized_execution(False):
        torch.testing.assert_close(torch.jit.script(model)(x), model(x))


@pytest.mark.parametrize("name", ["hardswish_resnet18", "relu6_resnet50_downsampled", "se_gelu_silu_torchvision",
                                  "eca_hardswish_timm"])  # fmt: skip
def test_counters_print_archcs_figures_on_other_recipes(name, tmp_path):
    from tests.counters.harness import compare, explain

    spec = tmp_path / f"{name}.yaml"
    spec.write_text(f"archc: 1\nname: {name}\n{OTHER_RECIPES[name]}", encoding="utf-8")
    got, want, by_kind = compare(str(spec), SMALL)
    assert got == want, explain(name, SMALL, got, want, by_kind)
