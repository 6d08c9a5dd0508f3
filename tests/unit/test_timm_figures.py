"""timm's ResNet family: every ``timm/*`` built-in against timm's own figures and names.

1. The hand-written reference (``tests/reference_timm.py``) is first checked against what timm itself
   recorded: every ResNet-family row of ``timm_figures.md`` (params, MACs) and the three state-dict dumps
   (keys, shapes, order).
2. Every ``timm/*`` built-in then equals the reference exactly: params and FlopCounterMode MACs at timm's
   default input size and at an odd size (225: every stride-2 layer and ceil-mode pool sees an odd map),
   and the state-dict keys and shapes that the IR's ``timm`` naming profile gives.
"""

from __future__ import annotations

import json

import pytest

from archc.pipeline import compile_spec
from archc.reports.summary import summary
from archc.spec.loader import builtin_names
from tests.conftest import REFERENCE, markdown_rows, number

torch = pytest.importorskip("torch")
from tests.reference_timm import MODELS, measure, state_dict_shapes  # noqa: E402

_TABLE = (REFERENCE / "timm_figures.md").read_text(encoding="utf-8").split("\n## ")[0]  # not the counters' table
FIGURES = {
    row[0]: (number(row[1]), number(row[2]), number(row[3]))
    for row in markdown_rows(_TABLE, "model")
    if row[0] in MODELS  # the RegNet rows belong to the RegNet specs
}
DUMPS = ("resnet50d", "seresnet50", "resnet26t")
# ConvNeXt is checked against timm's own model instead of a reference copy (tests/unit/test_user_blocks.py)
TIMM = sorted(n.removeprefix("timm/") for n in builtin_names() if n.startswith("timm/") and "convnext" not in n)


def _dump(name: str) -> dict[str, list[int]]:
    return json.loads((REFERENCE / f"timm_{name}_state_dict.json").read_text(encoding="utf-8"))["state_dict"]


def ir_state_dict(compiled, profile: str = "timm") -> dict[str, list[int]]:
    """The ``state_dict()`` keys and shapes a PyTorch model printed with ``profile``'s names has."""
    out: dict[str, list[int]] = {}
    for _, d in compiled.graph.nodes(data=True):
        op, a, name = d["op"], d["attrs"], d["names"][profile]
        if op == "conv":
            kh, kw = a["kernel"]
            out[f"{name}.weight"] = [a["out_channels"], a["in_channels"] // a["groups"], kh, kw]
            out.update({f"{name}.bias": [a["out_channels"]]} if a["bias"] else {})
        elif op in ("batchnorm", "groupnorm"):
            out.update({f"{name}.{k}": [a["channels"]] for k in ("weight", "bias")})
            if op == "batchnorm":
                out.update({f"{name}.{k}": [a["channels"]] for k in ("running_mean", "running_var")})
                out[f"{name}.num_batches_tracked"] = []
        elif op == "channel_conv":
            out[f"{name}.weight"] = [1, 1, a["kernel"]]
        elif op == "linear":
            out[f"{name}.weight"] = [a["out_features"], a["in_features"]]
            out[f"{name}.bias"] = [a["out_features"]]
    return out


def test_the_figures_cover_the_family():
    assert set(FIGURES) == {"ecaresnet50d", "resnet18d", "resnet26t", "resnet50_gn", "resnet50d", "seresnet18",
                            "seresnet50"}  # fmt: skip


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_reference_model_reproduces_timm_figures(name):
    cfg, size = MODELS[name]
    assert size == FIGURES[name][0]
    measured = measure(cfg, size)
    assert (measured["params"], measured["macs"]) == FIGURES[name][1:]


@pytest.mark.parametrize("name", DUMPS)
def test_reference_model_has_timm_state_dict(name):
    assert list(state_dict_shapes(MODELS[name][0]).items()) == list(_dump(name).items())


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_builtin_equals_timm_figures(name):
    s = summary(compile_spec(f"timm/{name}", verify_each=True))
    assert (s["input_shape"][1], s["params"], s["macs"]) == FIGURES[name]


def test_every_builtin_has_a_reference():
    assert TIMM == sorted(MODELS)


@pytest.mark.parametrize("name", TIMM)
def test_builtin_equals_reference_at_default_size(name):
    cfg, size = MODELS[name]
    s = summary(compile_spec(f"timm/{name}", verify_each=True))
    assert s["input_shape"] == [3, size, size]  # timm's default_cfg input_size
    assert {"params": s["params"], "macs": s["macs"]} == measure(cfg, size)


@pytest.mark.parametrize("name", TIMM)
def test_builtin_equals_reference_at_odd_size(name):
    s = summary(compile_spec(f"timm/{name}", input_size=(225, 225)))
    assert {"params": s["params"], "macs": s["macs"]} == measure(MODELS[name][0], 225)


@pytest.mark.parametrize("name", TIMM)
def test_timm_profile_gives_timm_state_dict(name):
    assert list(ir_state_dict(compile_spec(f"timm/{name}")).items()) == list(state_dict_shapes(MODELS[name][0]).items())


@pytest.mark.parametrize("name", [n for n in DUMPS if n in TIMM])
def test_timm_profile_gives_the_recorded_dumps(name):
    assert list(ir_state_dict(compile_spec(f"timm/{name}")).items()) == list(_dump(name).items())


@pytest.mark.parametrize("name", ["resnet18", "resnet50"])
def test_builtin_equals_the_counters_table(name):
    """timm_figures.md's counter table measured timm's resnet18 / resnet50: its conv + fc MACs column."""
    counters = (REFERENCE / "timm_figures.md").read_text(encoding="utf-8").split("\n## ")[1]
    row = next(r for r in markdown_rows(counters, "model") if r[0] == name)
    assert summary(compile_spec(f"timm/{name}"))["macs"] == number(row[1])
