"""keras.applications ResNet50V2/101V2/152V2 as archc specs: count_params and the recorded layer dump."""

from __future__ import annotations

import json
import math
import re

import pytest

from archc.pipeline import compile_spec
from archc.reports.summary import summary
from tests.conftest import REFERENCE, markdown_rows, number

FIGURES = (REFERENCE / "figures.md").read_text(encoding="utf-8")
KERAS_SECTION = next(p for p in FIGURES.split("\n## ") if p.startswith("keras.applications"))
KERAS = {row[0]: row[1:] for row in markdown_rows(KERAS_SECTION, "model")}


def _summary(name: str) -> dict:
    return summary(compile_spec(name, verify_each=True))


@pytest.mark.parametrize("depth", [50, 101, 152])
def test_keras_resnet_v2_count_params(depth):
    s = _summary(f"keras/resnet{depth}v2")
    assert s["keras_params"] == number(KERAS[f"ResNet{depth}V2"][0])


def test_keras_resnet50v2_layers_match_the_dump():
    """Every named layer of keras.applications.ResNet50V2 exists with its weight count and output shape."""
    g = compile_spec("keras/resnet50v2").graph
    ours = {d["names"]["keras"]: d for _, d in g.nodes(data=True)}
    dump = json.loads((REFERENCE / "keras_resnet50v2_layers.json").read_text(encoding="utf-8"))["layers"]
    generated_names = re.compile(r"^(input_layer|max_pooling2d(_\d+)?)$")  # names Keras makes up
    checked = 0
    for layer in dump:
        name = layer["name"]
        if generated_names.match(name) or layer["class"] == "ZeroPadding2D":
            continue
        d = ours[name]
        assert d["params"] + d["buffers"] == sum(math.prod(w[1]) for w in layer["weights"]), name
        shape = layer["output_shape"][1:]
        assert (list(d["shape"][1:]) + [d["shape"][0]] if len(shape) == 3 else [d["shape"][0]]) == shape, name
        checked += 1
    assert checked == len([n for n in ours if n not in ("input", "flatten") and "subsample" not in n])
    subsamples = [d for d in ours.values() if d["op"] == "subsample"]
    pools = [layer for layer in dump if layer["class"] == "MaxPooling2D" and generated_names.match(layer["name"])]
    assert len(subsamples) == len(pools) == 3
