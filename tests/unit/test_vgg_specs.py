"""VGG built-ins: torchvision figures, torchvision state-dict names, keras.applications layer names."""

from __future__ import annotations

import pytest

from archc.pipeline import compile_spec
from archc.reports.summary import summary
from tests.conftest import REFERENCE, markdown_rows, number

FIGURES = (REFERENCE / "figures.md").read_text(encoding="utf-8")
SECTIONS = {part.split("\n", 1)[0]: part for part in FIGURES.split("\n## ")}
TORCHVISION = {
    r[0]: r[1:] for r in markdown_rows(next(v for k, v in SECTIONS.items() if k.startswith("torchvision")), "model")
}
KERAS = {r[0]: r[1:] for r in markdown_rows(next(v for k, v in SECTIONS.items() if k.startswith("keras")), "model")}
# The VGG paper's configurations A, D, E (numbers: 3x3 conv widths, M: 2x2 max pool).
CONFIGS = {
    11: [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    16: [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    19: [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"],
}


@pytest.mark.parametrize("depth", [11, 16, 19])
def test_torchvision_vgg_figures(depth):
    s = summary(compile_spec(f"torchvision/vgg{depth}", verify_each=True))
    assert (s["params"], s["macs"]) == tuple(number(c) for c in TORCHVISION[f"vgg{depth}"][:2])
    assert s["depth"] == depth


@pytest.mark.parametrize("depth", [11, 16, 19])
def test_torchvision_vgg_state_dict_names(depth):
    """features.{i} counts every conv, ReLU and pool of the configuration; classifier.{0,3,6} are the fcs."""
    expected, i, cin = {}, 0, 3
    for item in CONFIGS[depth]:
        if item != "M":
            expected[f"features.{i}.weight"], expected[f"features.{i}.bias"] = [item, cin, 3, 3], [item]
            cin, i = item, i + 1
        i += 1
    for k, (fin, fout) in zip((0, 3, 6), ((512 * 7 * 7, 4096), (4096, 4096), (4096, 1000))):
        expected[f"classifier.{k}.weight"], expected[f"classifier.{k}.bias"] = [fout, fin], [fout]
    ours = {}
    for _, d in compile_spec(f"torchvision/vgg{depth}").graph.nodes(data=True):
        a, n = d["attrs"], d["names"]["torchvision"]
        if d["op"] == "conv":
            ours[f"{n}.weight"], ours[f"{n}.bias"] = (
                [a["out_channels"], a["in_channels"], *a["kernel"]],
                [a["out_channels"]],
            )
        elif d["op"] == "linear":
            ours[f"{n}.weight"], ours[f"{n}.bias"] = [a["out_features"], a["in_features"]], [a["out_features"]]
    assert ours == expected


@pytest.mark.parametrize("depth", [16, 19])
def test_keras_vgg_count_params(depth):
    s = summary(compile_spec(f"keras/vgg{depth}", verify_each=True))
    assert s["keras_params"] == number(KERAS[f"VGG{depth}"][0])


def test_keras_vgg16_layer_names_and_weights_equal_keras_applications():
    keras = pytest.importorskip("keras")
    theirs = keras.applications.VGG16(weights=None)
    expected = [(layer.name, [tuple(w.shape) for w in layer.weights]) for layer in theirs.layers[1:]]
    ours = []
    for _, d in compile_spec("keras/vgg16").graph.nodes(data=True):
        a = d["attrs"]
        if d["op"] in ("input", "relu"):
            assert d["op"] == "input" or a.get("fuse")  # ReLUs are printed as the activation of the layer before
            continue
        if d["op"] == "conv":
            weights = [(*a["kernel"], a["in_channels"], a["out_channels"]), (a["out_channels"],)]
        elif d["op"] == "linear":
            weights = [(a["in_features"], a["out_features"]), (a["out_features"],)]
        else:
            weights = []
        ours.append((d["names"]["keras"], weights))
    assert ours == expected
