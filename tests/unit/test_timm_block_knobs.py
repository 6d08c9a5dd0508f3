"""timm's block knobs (issue 23): anti-aliasing (``aa``), ``reduce_first`` and ``projection_kernel`` in the IR, and
the located errors where they would be ignored. The built-ins that use them are compared with timm's own models in
tests/backends/test_references.py and tests/counters/test_library_models.py."""

from __future__ import annotations

import pytest

from archc.pipeline import compile_spec
from archc.spec.loader import load_spec
from tests.conftest import run_cli


def _ops(name: str, block: str) -> dict[str, tuple[str, dict]]:
    g = compile_spec(name).graph
    return {d["role"]: (d["op"], d["attrs"]) for n, d in g.nodes(data=True) if d["block"] == block}


@pytest.mark.parametrize(("name", "op"), [("timm/resnetblur18", "blurpool"), ("timm/resnetaa34d", "avgpool")])
def test_the_anti_aliasing_layer_takes_the_stride_of_a_strided_block(name, op):
    strided, plain = _ops(name, "s1.b0"), _ops(name, "s1.b1")
    assert strided["conv1"][1]["stride"] == (1, 1)  # timm: the strided conv keeps stride 1 …
    assert strided["aa"][0] == op and strided["aa"][1]["stride"] == (2, 2)  # … and aa, after act1, takes it
    assert "aa" not in plain and "aa" not in _ops(name, "s0.b0")  # nn.Identity where the block does not stride


def test_the_blur_pool_counts_as_a_depthwise_conv_and_its_filter_as_a_buffer():
    g = compile_spec("timm/resnetblur18").graph
    (node,) = [n for n, d in g.nodes(data=True) if d["block"] == "s1.b0" and d["role"] == "aa"]
    d = g.nodes[node]
    assert d["shape"] == (128, 28, 28) and d["attrs"]["padding"] == (1, 1, 1, 1)
    assert (d["macs"], d["params"], d["buffers"]) == (128 * 28 * 28 * 9, 0, 128 * 9)


def test_senet154_reduces_its_first_conv_and_projects_with_a_strided_3x3():
    ops = _ops("timm/senet154", "s1.b0")
    assert ops["conv1"][1]["out_channels"] == 256 and ops["conv2"][1]["out_channels"] == 512
    assert ops["down_conv"][1]["kernel"] == (3, 3) and ops["down_conv"][1]["padding"] == (1, 1, 1, 1)
    assert _ops("timm/senet154", "s0.b0")["down_conv"][1]["kernel"] == (1, 1)  # layer1 does not stride: 1x1


@pytest.mark.parametrize(
    ("extends", "key", "value", "problem"),
    [
        ("regnet/regnetx_002", "aa", "blur", "family: regnet"),
        ("torchvision/vgg11", "aa", "avg", "block: single"),
        ("timm/resnet50d", "projection_kernel", 3, "projection_stride: avgpool"),
        ("timm/convnext_atto", "reduce_first", 2, "family: convnext"),
    ],
)
def test_a_knob_that_would_be_ignored_is_a_located_error(tmp_path, extends, key, value, problem):
    path = tmp_path / "s.yaml"
    path.write_text(f"archc: 1\nextends: {extends}\nname: s\n{key}: {value}\n", encoding="utf-8")
    code, out, err = run_cli("check", str(path))
    assert code == 2 and out == ""
    assert f"s.yaml:4:{len(key) + 3}: error[E401]: '{key}' applies to the basic and bottleneck blocks" in err
    assert problem in err and "help: remove" in err


def test_a_conv_replacing_the_stem_pool_is_timms_maxpool_sequential():
    g = compile_spec("timm/resnetrs50").graph
    names = [d["names"]["timm"] for _, d in g.nodes(data=True) if d["scope"][0] == "stem"]
    assert names[-5:] == ["bn1", "act1", "maxpool.0", "maxpool.1", "maxpool.2"]
    assert names[:3] == ["conv1.0", "conv1.1", "conv1.2"]
    tv = [d["names"]["torchvision"] for _, d in g.nodes(data=True) if d["scope"][0] == "stem"]
    assert tv[-3:] == ["conv4", "bn4", "relu"]  # torchvision's profile has no such Sequential: plain names


def test_the_knobs_are_in_the_spec_language():
    spec = load_spec("timm/seresnextaa101d_32x8d").spec
    assert (spec.aa, spec.reduce_first, spec.projection_kernel) == ("avg", 1, 1)
