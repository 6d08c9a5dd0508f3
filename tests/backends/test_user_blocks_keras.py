"""User-defined blocks (``blocks:``) in the Keras backend's ResNet layout: one function per definition printed
from the recipe's steps. The roadmap (specs/convnext/roadmap/, ResNet-50 → ConvNeXt-T) builds step by step,
ruff-clean, and ``archc verify``'s checks find the IR's figures; each step the PyTorch backend prints gives the
generated PyTorch model's outputs with its weights copied in; the last step *is* keras.applications'
ConvNeXtTiny (its weights, its outputs); and blocks the project has never seen (a MobileNetV3-style bneck with
Hardswish and a GroupNorm, an inverted residual with ReLU6, SiLU and GELU, ``shortcut: identity``) build in
both frameworks with equal outputs."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.backends.keras_util import generated, randomize

np = pytest.importorskip("numpy")
torch = pytest.importorskip("torch")
keras = pytest.importorskip("keras")

ROADMAP = Path(__file__).resolve().parents[2] / "specs" / "convnext" / "roadmap"
STEPS = ["03_depthwise", "04_width", "05_inverted_bottleneck", "06_move_up_dw", "07_kernel7", "08_gelu",
         "09_fewer_activations", "10_fewer_norms", "11_layernorm", "12_downsampling", "13_convnext_tiny"]  # fmt: skip
QUICK = ("03_depthwise", "10_fewer_norms")
SIZE = (64, 64)


def _tiered(steps):
    return [pytest.param(s, marks=[] if s in QUICK else [pytest.mark.slow]) for s in steps]


def _ruff_clean(text: str, folder: Path) -> None:
    path = folder / "generated.py"
    path.write_text(text, encoding="utf-8")
    for args in (["check", "--isolated", "--line-length", "120"], ["format", "--check", "--line-length", "120"]):
        done = subprocess.run([sys.executable, "-m", "ruff", *args, str(path)], capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr


def _pytorch_twin(compiled, folder: Path):
    """The generated PyTorch model (random BN statistics), or None where the PyTorch backend refuses the spec."""
    from archc.codegen import refuse_unprinted
    from archc.diagnostics import Unsupported
    from tests.backends.test_keras_convert import _torch_model

    try:
        refuse_unprinted(compiled, "pytorch")
    except Unsupported:
        return None
    return _torch_model(compiled, folder)


def _equal_to_pytorch(compiled, keras_module, torch_model, sizes) -> None:
    from tests.backends.test_keras_convert import _agree, _converted

    model = _converted(compiled, keras_module, torch_model, (None, None, compiled.spec.input.channels))
    for size in sizes:
        _agree(compiled, model, torch_model, size)


@pytest.mark.parametrize("step", _tiered(STEPS))
def test_roadmap_step_builds_in_keras_and_matches_the_ir(step, tmp_path):
    """One function per user block, named after it; ruff-clean and stable; archc verify's checks (count_params
    with the BN statistics, MACs from the built layers, stage and output shapes) find the IR's figures."""
    from archc.codegen import emit
    from archc.frameworks.verify import check_keras
    from archc.pipeline import compile_spec

    compiled = compile_spec(str(ROADMAP / f"{step}.yaml"), input_size=SIZE)
    text = emit(compiled, "keras")
    assert text == emit(compile_spec(str(ROADMAP / f"{step}.yaml"), input_size=SIZE), "keras")
    _ruff_clean(text, tmp_path)
    kinds = [d.kind for d in compiled.graph.graph["blocks"].definitions]
    assert re.findall(r"^def (\w+)_block\(", text, re.M) == kinds
    checks = check_keras(compiled)
    assert checks and all(c.ok for c in checks), [c for c in checks if not c.ok]


@pytest.mark.parametrize("step", _tiered(STEPS))
def test_roadmap_step_equals_the_generated_pytorch_model(step, tmp_path):
    """The same spec in both backends, PyTorch's weights copied into Keras: equal outputs (an odd size too)."""
    compiled, keras_module = generated(str(ROADMAP / f"{step}.yaml"), input_size=SIZE)
    torch_model = _pytorch_twin(compiled, tmp_path)
    if torch_model is None:
        pytest.skip("the PyTorch backend does not print this step yet (E403); the Keras checks stand")
    _equal_to_pytorch(compiled, keras_module, torch_model, (64, 67))


def test_the_last_step_is_keras_applications_convnext_tiny():
    """Step 13 in the ResNet layout — separate downsampling layers, LayerNorm, Dense pointwise convs, layer scale,
    drop path (identity at rate 0), a head norm — holds keras.applications' ConvNeXtTiny's weights, in its order,
    and computes its outputs."""
    _, module = generated(str(ROADMAP / "13_convnext_tiny.yaml"), input_size=(32, 32))
    ours = module.build_model(input_shape=(32, 32, 3), classifier_activation=None)
    theirs = keras.applications.ConvNeXtTiny(
        weights=None, include_preprocessing=False, input_shape=(32, 32, 3), classifier_activation=None
    )
    assert [tuple(w.shape) for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    assert ours.count_params() == theirs.count_params() == 28_589_128
    randomize(theirs)
    ours.set_weights(theirs.get_weights())
    x = np.random.default_rng(0).uniform(-1, 1, (2, 32, 32, 3)).astype("float32")
    np.testing.assert_allclose(ours(x, training=False), theirs(x, training=False), rtol=1e-4, atol=1e-4)


# Blocks the project has never seen, both with ``shortcut: identity`` (an addition only where the block keeps its
# shape): a MobileNetV3-style bneck (expansion of the block input, Hardswish, a 5x5 depthwise conv with a GroupNorm,
# a zero-initialised last BN) and an inverted residual with a biased expansion, ReLU6, SiLU, a projection written as
# a linear layer (a Dense in Keras) and a GELU after the addition.
NEVER_SEEN = """
archc: 1
name: never_seen
input: {channels: 3, size: [32, 32]}
stem:
  - {op: conv, kernel: 3, width: 16, stride: 2}
blocks:
  bneck:
    params: {t: 4}
    lets: {out: planes, hidden: t * in}
    steps:
      - {kind: conv, role: expand, width: hidden}
      - {kind: norm, role: expand_bn}
      - {kind: act, role: expand_act, fn: hardswish}
      - {kind: conv, role: dw, kernel: 5, depthwise: true, stride: true}
      - {kind: norm, role: dw_gn, norm: {kind: groupnorm, groups: 4}}
      - {kind: act, role: dw_act, fn: hardswish}
      %(attention)s
      - {kind: conv, role: project, width: out}
      - {kind: norm, role: project_bn, zero_init: true}
    shortcut: identity
  mixed:
    lets: {out: planes, hidden: 6 * planes}
    steps:
      - {kind: conv, role: expand, width: hidden, bias: true}
      - {kind: act, role: expand_act, fn: relu6}
      - {kind: conv, role: dw, kernel: 3, depthwise: true, stride: true}
      - {kind: norm, role: dw_bn}
      - {kind: act, role: dw_act, fn: silu}
      - {kind: conv, role: project, width: out, linear: true}
      - {kind: norm, role: project_bn}
      - {kind: add}
      - {kind: act, role: out_act, fn: gelu}
    shortcut: identity
block: bneck
stages:
  - {name: stage1, width: 16, blocks: 2}
  - {name: stage2, width: 24, blocks: 3, stride: 2}
  - {name: stage3, width: 32, blocks: 2, stride: 2, block: mixed}
head: {classes: 10}
"""


def _never_seen(tmp_path: Path, attention: str = ""):
    path = tmp_path / "never_seen.yaml"
    path.write_text(textwrap.dedent(NEVER_SEEN) % {"attention": attention}, encoding="utf-8")
    return generated(str(path))


def test_a_block_never_seen_builds_in_both_frameworks_with_equal_outputs(tmp_path):
    from archc.codegen import emit
    from archc.frameworks.verify import check_keras, check_pytorch

    compiled, keras_module = _never_seen(tmp_path)
    text = emit(compiled, "keras")
    _ruff_clean(text, tmp_path)
    assert "residual = stride == 1 and in_channels == filters" in text  # the addition where the shape is kept
    assert 'layers.Activation("hard_swish"' in text and 'layers.Activation("relu6"' in text
    assert 'layers.Dense(filters, use_bias=False, name=f"{name}_project")' in text  # a linear step
    g = compiled.graph
    adds = {b.id for b in g.graph["blocks"].blocks if any(g.nodes[n]["op"] == "add" for n in b.nodes)}
    assert adds == {"s0.b0", "s0.b1", "s1.b1", "s1.b2", "s2.b1"}
    for checks in (check_keras(compiled), check_pytorch(compiled)):
        assert checks and all(c.ok for c in checks), [c for c in checks if not c.ok]
    torch_model = _pytorch_twin(compiled, tmp_path)
    _equal_to_pytorch(compiled, keras_module, torch_model, (32, 35))


@pytest.mark.parametrize("attention", ["{kind: se, hidden: 'max(8, hidden // 4)'}", "{kind: eca}"])
def test_attention_in_a_user_block_matches_the_ir(attention, tmp_path):
    """SE and ECA steps in a user block: the Keras model's figures are the IR's (and PyTorch's outputs, where the
    PyTorch backend builds the spec)."""
    from archc.frameworks.verify import check_keras

    compiled, keras_module = _never_seen(tmp_path, f"- {attention}")
    checks = check_keras(compiled)
    assert checks and all(c.ok for c in checks), [c for c in checks if not c.ok]
    try:
        torch_model = _pytorch_twin(compiled, tmp_path)
    except NameError as exc:  # the PyTorch file lacks the attention module's class
        pytest.skip(f"the PyTorch backend cannot build it yet: {exc}")
    _equal_to_pytorch(compiled, keras_module, torch_model, (32,))


DROP_PATH = """
archc: 1
name: tiny_modern
input: {channels: 3, size: [32, 32]}
stem:
  - {op: conv, kernel: 4, stride: 4, width: 8, padding: 0, bias: true, activation: false}
defaults: {norm: {kind: layernorm, eps: 1.0e-6}, activation: gelu}
blocks:
  modern:
    lets: {out: planes, hidden: 4 * planes}
    steps:
      - {kind: conv, role: conv_dw, kernel: 7, depthwise: true, bias: true}
      - {kind: norm, role: norm}
      - {kind: conv, role: fc1, width: hidden, bias: true, linear: true}
      - {kind: act, role: act}
      - {kind: conv, role: fc2, width: out, bias: true, linear: true}
      - {kind: layer_scale, role: gamma, init: 1.0e-6}
      - {kind: drop_path}
      - {kind: add}
block: modern
downsample: {norm: true, bias: true}
stages:
  - {name: stage1, width: 8, blocks: 2}
  - {name: stage2, width: 16, blocks: 2, stride: 2}
head: {norm: true, classes: 10}
"""


def test_drop_path_rising_over_the_blocks_is_identity_in_inference(tmp_path):
    """``drop_path_rate``: each block's rate is a parameter of the block function (StochasticDepth where it is
    above 0, keras.applications' ``Activation("linear")`` where it is 0); in inference the model computes what
    the same model without drop path computes, in training it does not."""
    from archc.codegen import emit
    from archc.frameworks.verify import check_keras

    plain_path, rate_path = tmp_path / "plain.yaml", tmp_path / "rate.yaml"
    plain_path.write_text(textwrap.dedent(DROP_PATH), encoding="utf-8")
    rate_path.write_text(textwrap.dedent(DROP_PATH) + "drop_path_rate: 0.5\n", encoding="utf-8")
    (plain, plain_module), (rated, rated_module) = generated(str(plain_path)), generated(str(rate_path))
    text = emit(rated, "keras")
    _ruff_clean(text, tmp_path)
    assert "class StochasticDepth(layers.Layer)" in text and "drop_path_rate=0.5" in text
    assert "class StochasticDepth" not in emit(plain, "keras")
    rates = [layer.drop_path_rate for layer in rated_module.build_model().layers if hasattr(layer, "drop_path_rate")]
    assert rates == pytest.approx([0.5 * k / 3 for k in (1, 2, 3)])  # block 0's rate is 0: the identity
    checks = check_keras(rated)
    assert checks and all(c.ok for c in checks), [c for c in checks if not c.ok]
    a, b = plain_module.build_model(classifier_activation=None), rated_module.build_model(classifier_activation=None)
    randomize(a)
    b.set_weights(a.get_weights())
    x = np.random.default_rng(0).uniform(-1, 1, (4, 32, 32, 3)).astype("float32")
    np.testing.assert_allclose(a(x, training=False), b(x, training=False), rtol=0, atol=1e-6)
    assert not np.allclose(a(x, training=True), b(x, training=True), atol=1e-3)


PREACT = """
archc: 1
name: preact_user
input: {channels: 3, size: [32, 32]}
stem:
  - {op: conv, kernel: 3, width: 16, stride: 2}
shortcut: B
blocks:
  pre:
    lets: {out: 2 * planes}
    steps:
      - {kind: norm, role: preact_bn}
      - {kind: act, role: preact_act}
      - {kind: branch}
      - {kind: conv, role: conv1, kernel: 3, width: planes, groups: 4, stride: true}
      - {kind: norm, role: bn1}
      - {kind: act, role: act1}
      - {kind: conv, role: conv2, kernel: 5, width: out, bias: true}
block: pre
stages:
  - {name: stage1, width: 16, blocks: 2}
  - {name: stage2, width: 24, blocks: 2, stride: 2}
head: {classes: 10}
"""


def test_a_pre_activation_user_block_equals_pytorch(tmp_path):
    """The shortcut leaves after the pre-activation (a projection of the pre-activated input, as ResNetV2), a
    grouped strided 3x3 and a biased 5x5: equal outputs in both frameworks."""
    path = tmp_path / "preact_user.yaml"
    path.write_text(textwrap.dedent(PREACT), encoding="utf-8")
    compiled, keras_module = generated(str(path))
    from archc.codegen import emit

    text = emit(compiled, "keras")
    assert (
        'shortcut = layers.Conv2D(2 * filters, 1, strides=stride, use_bias=False, name=f"{name}_0_conv")(preact)'
        in text
    )
    _equal_to_pytorch(compiled, keras_module, _pytorch_twin(compiled, tmp_path), (32, 35))


# Recipes at the edges of the printer: an SE and a layer scale before any conv (their width is the block input's),
# a GroupNorm then a LayerNorm; a pre-activation with ``shortcut: identity`` where no block keeps its shape.
EDGES = {
    "attention_first": """
        blocks:
          b:
            steps:
              - {kind: se}
              - {kind: layer_scale, init: 0.5}
              - {kind: norm, norm: {kind: groupnorm, groups: 2}}
              - {kind: norm, norm: {kind: layernorm, eps: 1.0e-6}}
              - {kind: act, fn: hardswish}
              - {kind: conv, width: out, stride: true}
            shortcut: B
    """,
    "identity_never_adds": """
        blocks:
          b:
            lets: {out: 2 * planes}
            steps:
              - {kind: norm}
              - {kind: act}
              - {kind: branch}
              - {kind: conv, kernel: 3, width: out, stride: true}
            shortcut: identity
    """,
}


@pytest.mark.parametrize("name", sorted(EDGES))
def test_edge_recipes_print_and_match_the_ir(name, tmp_path):
    from archc.codegen import emit
    from archc.frameworks.verify import check_keras

    head = "archc: 1\nname: edge\ninput: {channels: 3, size: [24, 24]}\nstem: [{op: conv, kernel: 3, width: 8, stride: 2}]\n"
    tail = "block: b\nstages: [{name: s1, width: 8, blocks: 1}, {name: s2, width: 16, blocks: 1, stride: 2}]\n"
    path = tmp_path / "edge.yaml"
    path.write_text(head + textwrap.dedent(EDGES[name]) + tail, encoding="utf-8")
    compiled, _ = generated(str(path))
    _ruff_clean(emit(compiled, "keras"), tmp_path)
    checks = check_keras(compiled)
    assert checks and all(c.ok for c in checks), [c for c in checks if not c.ok]
