"""One spec, two frameworks, same numbers: archc.frameworks.convert copies PyTorch weights into Keras (and back).

Outside reference: a real forward pass of the generated PyTorch model. At 225×225 every stride-2 layer sees
an odd size, where Keras "same" padding would differ from PyTorch's symmetric padding.
"""

from __future__ import annotations

import textwrap

import pytest

from tests.backends.keras_util import generated

np = pytest.importorskip("numpy")
torch = pytest.importorskip("torch")
keras = pytest.importorskip("keras")

pytestmark = pytest.mark.slow


def _torch_model(compiled, folder):
    from archc.backends.pytorch.emitter import emit

    from tests.backends.torch_models import import_text

    module = import_text(emit(compiled), folder, compiled.spec.name)
    model = module.build_model().eval()
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():  # random BN statistics and affine parameters, so that a swap would show
        for name, tensor in [*model.named_parameters(), *model.named_buffers()]:
            if name.endswith(("running_var", "bn.weight")) or (tensor.dim() == 1 and name.endswith("weight")):
                tensor.uniform_(0.5, 1.5, generator=generator)
            elif tensor.dim() == 1 and tensor.is_floating_point():
                tensor.uniform_(-0.2, 0.2, generator=generator)
    return model


def _agree(compiled, model, torch_model, size: int, atol: float = 1e-4) -> None:
    channels = compiled.spec.input.channels
    batch = np.random.default_rng(size).uniform(-1, 1, (2, size, size, channels)).astype("float32")
    got = np.asarray(model(batch, training=False))
    with torch.no_grad():
        expected = torch_model(torch.from_numpy(batch.transpose(0, 3, 1, 2).copy())).numpy()
    scale = max(1.0, float(np.abs(expected).max()))  # torchvision's init (fan_out) gives logits in the hundreds
    assert np.abs(expected).max() > 1e-3
    np.testing.assert_allclose(got, expected, rtol=0, atol=atol * scale)


def _converted(compiled, keras_module, torch_model, input_shape):
    from archc.frameworks.convert import torch_to_keras

    model = keras_module.build_model(input_shape=input_shape, classifier_activation=None)
    learnt = [w for w in model.weights if w.trainable or "moving" in w.path]  # a blur pool's fixed kernel: not copied
    assert torch_to_keras(compiled, torch_model, model) == len(learnt)
    return model


@pytest.mark.parametrize("ref", ["resnet18", "torchvision/resnet18", "resnet50", "torchvision/resnet50"])
def test_torch_weights_give_the_same_outputs_in_keras(ref, tmp_path):
    from archc.frameworks.convert import keras_to_torch

    compiled, keras_module = generated(ref)
    torch_model = _torch_model(compiled, tmp_path)
    model = _converted(compiled, keras_module, torch_model, (None, None, 3))  # one model, any input size
    _agree(compiled, model, torch_model, 224)
    _agree(compiled, model, torch_model, 225)
    back = _torch_model(compiled, tmp_path)
    keras_to_torch(compiled, model, back)
    for key, value in torch_model.state_dict().items():
        assert torch.equal(back.state_dict()[key], value), key


# Small specs that exercise every other printer: option-A shortcuts, pre-activation, BN after the addition,
# ResNet-D average-pool projections, groups, dilation, squeeze-and-excitation, zero-init, stage pools and a
# VGG-style top (flatten of a 2×2 map, hidden layers, dropout).
SMALL = {
    "option_a_preact": """
        block: basic
        shortcut: A
        unit: full_preactivation
        stem: [{op: conv, kernel: 3, width: 8, norm: false, activation: false}]
        stages: [{name: conv2, width: 8, blocks: 2}, {name: conv3, width: 16, blocks: 2, stride: 2}]
        head: {classes: 10}
    """,
    "resnet_d_groups": """
        block: bottleneck
        stride_at: 3x3
        projection_stride: avgpool
        unit: bn_after_addition
        groups: 4
        base_width: 16
        zero_init_last_bn: true
        stem: [{op: conv, kernel: 3, width: 16, stride: 2}, {op: avgpool, kernel: 3, stride: 2}]
        stages: [{name: conv2, width: 8, blocks: 1}, {name: conv3, width: 16, blocks: 2, stride: 2}]
        head: {pool: max, classes: 10}
    """,
    "dilated": """
        block: bottleneck
        output_stride: 4
        stem: [{op: conv, kernel: 5, width: 8, stride: 2}]
        stages: [{name: conv2, width: 4, blocks: 1, stride: 2}, {name: conv3, width: 8, blocks: 2, stride: 2}]
        head: {classes: 10}
    """,
    "squeeze_excite": """
        block: basic
        se: {reduction: 4}
        stem: [{op: conv, kernel: 3, width: 8}]
        stages: [{name: conv2, width: 8, blocks: 1}, {name: conv3, width: 16, blocks: 1, stride: 2}]
        head: {classes: 10}
    """,
    "vgg_like": """
        block: single
        shortcut: none
        defaults: {norm: {kind: none}, conv_bias: true}
        stages: [{name: block1, width: 8, blocks: 2, pool: max}, {name: block2, width: 16, blocks: 1, pool: max}]
        head: {pool: none, hidden: [32, 32], dropout: 0.5, classes: 10}
    """,
}


@pytest.mark.parametrize("name", sorted(SMALL))
def test_small_specs_agree_with_pytorch(name, tmp_path):
    from archc.reports.summary import summary

    path = tmp_path / f"{name}.yaml"
    header = f"archc: 1\nname: {name}\ninput: {{channels: 3, size: 9}}\n"
    if name == "vgg_like":
        header = header.replace("size: 9", "size: 8")
    path.write_text(header + textwrap.dedent(SMALL[name]), encoding="utf-8")
    compiled, keras_module = generated(str(path))
    model = keras_module.build_model()
    assert model.count_params() == summary(compiled)["keras_params"]
    assert tuple(model.output.shape[1:]) == compiled.graph.nodes[compiled.graph.graph["output"]]["shape"]
    from archc.backends.pytorch.emitter import EmitError

    try:
        torch_model = _torch_model(compiled, tmp_path)
    except (KeyError, EmitError) as exc:  # not printable by the PyTorch backend yet: the Keras checks stand
        pytest.skip(f"PyTorch side: {exc}")
    size, flat = compiled.spec.input.size[0], name == "vgg_like"  # a flatten fixes the size of the first fc
    converted = _converted(compiled, keras_module, torch_model, (size, size, 3) if flat else (None, None, 3))
    _agree(compiled, converted, torch_model, size, atol=1e-5)
    if not flat:
        _agree(compiled, converted, torch_model, size + 4, atol=1e-5)


FEATURES = """
archc: 1
name: feat
input: {channels: 3, size: 21}
stem: [{op: conv, kernel: 3, width: 8, stride: 2}]
block: basic
stages: [{name: conv2, width: 8, blocks: 2}, {name: conv3, width: 16, blocks: 3, stride: 2}]
head: {features_only: true}
"""


def test_features_only_returns_every_stage_output_as_pytorch(tmp_path):
    from archc.frameworks.convert import torch_to_keras

    path = tmp_path / "feat.yaml"
    path.write_text(FEATURES, encoding="utf-8")
    compiled, keras_module = generated(str(path))
    g = compiled.graph
    model = keras_module.build_model()
    expected_shapes = [g.nodes[info.output]["shape"] for info in g.graph["stages"]]
    assert [tuple(t.shape[1:]) for t in model.outputs] == [(h, w, c) for c, h, w in expected_shapes]
    torch_model = _torch_model(compiled, tmp_path)
    torch_to_keras(compiled, torch_model, model)
    batch = np.random.default_rng(0).uniform(-1, 1, (2, 21, 21, 3)).astype("float32")
    got = model(batch, training=False)
    with torch.no_grad():
        expected = torch_model(torch.from_numpy(batch.transpose(0, 3, 1, 2).copy()))
    assert len(got) == len(expected) == 2
    for k, t in zip(got, expected):
        np.testing.assert_allclose(np.asarray(k), t.numpy().transpose(0, 2, 3, 1), rtol=0, atol=1e-5)
