"""Every RegNet built-in against the library it reproduces: timm (``regnet/*``) and torchvision
(``torchvision/regnet_*``), imported through ``tests/libs.py``.

Figures (params, buffers, FlopCounterMode MACs, output shape) and the layout's ``state_dict()`` keys and
shapes, in order, equal the library's model built on the meta device; the width rounding knob equals
torchvision's and timm's rules on random parameters; the layout's initialisation scheme, applied in the
layout's module order, gives the very weights the library's own initialisation gives under one seed.
"""

from __future__ import annotations

import math
import random

import pytest

from archc.pipeline import compile_spec
from archc.reports.summary import summary
from archc.spec.generators import RegNetParams, regnet_stages
from archc.spec.loader import builtin_names
from tests.counterparts import regnet_table_on_cpu
from tests.libs import timm, torchvision_models

torch = pytest.importorskip("torch")

REGNETS = [n for n in builtin_names() if n.startswith("regnet/") or n.startswith("torchvision/regnet")]


def library_model(builtin: str):
    """The library's model of a RegNet built-in (``regnet/x`` → timm's ``x``, ``torchvision/x`` → torchvision's)."""
    family, name = builtin.split("/")
    if family == "regnet":
        return timm().create_model(name, pretrained=False)
    models = torchvision_models()
    with regnet_table_on_cpu(models.regnet):
        return getattr(models, name)()


def test_every_torchvision_regnet_and_timm_tv_variant_is_a_builtin():
    models = torchvision_models()
    assert {f"torchvision/{n}" for n in models.regnet.__all__ if n.startswith("regnet_")} == {
        n for n in REGNETS if n.startswith("torchvision/")
    }
    assert len([n for n in REGNETS if n.startswith("torchvision/")]) == 15
    tv_variants = {f"regnet/{n}" for n in timm().list_models("regnet[xy]_*_tv")}
    assert tv_variants == {n for n in REGNETS if n.endswith("_tv")} and len(tv_variants) == 3


@pytest.mark.parametrize("name", REGNETS)
def test_figures_and_state_dict_equal_the_library(name):
    from torch.utils.flop_counter import FlopCounterMode

    with torch.device("meta"):
        model = library_model(name).eval()
        with FlopCounterMode(display=False) as counter:
            out = model(torch.empty(1, 3, 224, 224))
    compiled = compile_spec(name)
    g, s = compiled.graph, summary(compiled)
    assert s["params"] == sum(p.numel() for p in model.parameters())
    assert s["buffers"] == sum(b.numel() for n, b in model.named_buffers() if not n.endswith("num_batches_tracked"))
    assert 2 * s["macs"] == counter.get_total_flops()
    assert s["output_shape"] == list(out.shape[1:])
    layout = g.graph["model_layout"]
    assert layout.family == "regnet"
    assert layout.profile == ("timm" if name.startswith("regnet/") else "torchvision")
    assert layout.state_dict(g) == [(k, tuple(v.shape)) for k, v in model.state_dict().items()]
    modules = dict(model.named_modules())
    assert all(layout.names[n] in modules for n in layout.order)
    assert set(layout.stages) | set(layout.blocks.values()) <= set(modules)


def _draw(rng: random.Random) -> dict:
    return {
        "w0": 8 * rng.randint(1, 40),
        "wa": round(rng.uniform(0, 160), 2),
        "wm": round(rng.uniform(1.5, 3.0), 2),
        "depth": rng.randint(4, 28),
        "group_width": rng.choice([1, 8, 16, 24, 40, 56, 120, 232]),
    }


def test_make_divisible_rounding_is_torchvisions_rule_on_random_parameters():
    """300 seeded draws: widths, depths and group widths equal torchvision's ``BlockParams`` (``round``, the
    default, equals timm's rule: tests/unit/test_regnet.py); the two roundings differ on some draws."""
    block_params = torchvision_models().regnet.BlockParams
    rng, differ = random.Random(20), 0
    for _ in range(300):
        p = _draw(rng)
        ref = block_params.from_init_params(p["depth"], p["w0"], p["wa"], p["wm"], p["group_width"])
        ours = regnet_stages(RegNetParams(**p, width_rounding="make_divisible"))
        assert [(r["width"], r["blocks"], r["group_width"]) for r in ours] == list(
            zip(ref.widths, ref.depths, ref.group_widths)
        ), p
        differ += ours != regnet_stages(RegNetParams(**p))
    assert differ > 0


def test_make_divisible_rounding_is_timms_tv_rule():
    """timm's ``adjust_widths_groups_comp(…, min_ratio=0.9)`` (its ``*_tv`` models) on the same draws."""
    regnet = timm().models.regnet
    rng = random.Random(21)
    for _ in range(300):
        p = _draw(rng)
        widths = [r["width"] for r in regnet_stages(RegNetParams(**p, width_rounding="make_divisible"))]
        raw = sorted(set(regnet.generate_regnet(p["wa"], p["w0"], p["wm"], p["depth"], p["group_width"])[0]))
        ref, _ = regnet.adjust_widths_groups_comp(raw, [1.0] * len(raw), [p["group_width"]] * len(raw), 0.9)
        assert widths == ref, p


# ---- initialisation: the layout's scheme, applied in its module order, is the library's own init ----


def apply_scheme(model, g) -> None:
    """What a backend prints from ``g.graph["model_layout"].init``, applied to the library's modules."""
    layout = g.graph["model_layout"]
    s = layout.init
    nn = torch.nn
    for node in layout.order:
        m, op, a = model.get_submodule(layout.names[node]), g.nodes[node]["op"], g.nodes[node]["attrs"]
        if op == "conv" and s.conv is not None:
            if s.conv == "kaiming_normal_fan_out":
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            else:
                fan_out = a["kernel"][0] * a["kernel"][1] * a["out_channels"]
                fan_out //= a["groups"] if s.conv == "normal_fan_out_per_group" else 1
                nn.init.normal_(m.weight, mean=0.0, std=math.sqrt(2.0 / fan_out))
            if s.conv_bias_zero and a["bias"]:
                nn.init.zeros_(m.bias)
        elif op in ("batchnorm", "groupnorm") and s.norm:
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif op == "linear" and s.linear_std is not None:
            nn.init.normal_(m.weight, mean=0.0, std=s.linear_std)
            nn.init.zeros_(m.bias)
    for node in s.zeroed:
        nn.init.zeros_(model.get_submodule(layout.names[node]).weight)


def _rng_state_at_first_init(build):
    """Build a library model while noting the random state at its first ``normal_`` / ``kaiming_normal_``
    init call, i.e. right after construction (torchvision initialises inside ``__init__``)."""
    init, seen = torch.nn.init, []
    originals = {k: getattr(init, k) for k in ("normal_", "kaiming_normal_")}

    def spy(fn):
        def wrapper(*args, **kwargs):
            if not seen:
                seen.append(torch.get_rng_state())
            return fn(*args, **kwargs)

        return wrapper

    for k, fn in originals.items():
        setattr(init, k, spy(fn))
    try:
        return build(), seen[0]
    finally:
        for k, fn in originals.items():
            setattr(init, k, fn)


def _equal_state(a, b) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return list(sa) == list(sb) and all(torch.equal(sa[k], sb[k]) for k in sa)


@pytest.mark.parametrize("name", ["torchvision/regnet_y_400mf", "torchvision/regnet_x_400mf", "torchvision/resnet18"])
def test_torchvision_init_is_the_layouts_scheme(name):
    torch.manual_seed(0)
    theirs, state = _rng_state_at_first_init(lambda: _torchvision(name))
    torch.manual_seed(0)
    ours, _ = _rng_state_at_first_init(lambda: _torchvision(name))  # the same construction draws
    torch.set_rng_state(state)
    apply_scheme(ours, compile_spec(name).graph)
    assert _equal_state(ours, theirs)


def _torchvision(name: str):
    if "regnet" in name:
        return library_model(name)
    return getattr(torchvision_models(), name.split("/")[1])()


@pytest.mark.parametrize("name", ["regnet/regnety_002", "regnet/regnetx_002", "timm/seresnet18"])
def test_timm_init_is_the_layouts_scheme(name):
    """timm initialises after construction: both copies re-initialise from one seed, timm's way and ours."""
    from functools import partial

    lib = timm()
    models = []
    for mine in (False, True):
        torch.manual_seed(0)
        model = lib.create_model(name.split("/")[1], pretrained=False)
        torch.manual_seed(1)
        if mine:
            apply_scheme(model, compile_spec(name).graph)
        elif name.startswith("regnet/"):
            lib.models.named_apply(partial(lib.models.regnet._init_weights, zero_init_last=True), model)
        else:
            model.init_weights(zero_init_last=True)
        models.append(model)
    assert _equal_state(*models)


def test_a_spec_a_regnet_has_no_module_for_is_located_at_family(tmp_path):
    from tests.conftest import run_cli

    spec = tmp_path / "eca_regnet.yaml"
    spec.write_text("archc: 1\nextends: regnet/regnetx_002\nname: eca_regnet\neca: {}\n", encoding="utf-8")
    code, out, err = run_cli("check", str(spec))
    assert code == 2 and out == ""
    assert "<built-in regnet/regnetx_002>:11:9: error[E401]: a RegNet block has no 'eca_pool' op" in err
    assert "help: use family: resnet" in err


def test_a_downsampling_layer_in_a_regnet_is_located_not_a_crash(tmp_path):
    """A RegNet has no layer in front of a stage (its blocks' projections downsample): E401 at the key the spec
    writes, the top level's or a stage row's (an internal error before)."""
    from tests.conftest import run_cli

    top = tmp_path / "top.yaml"
    top.write_text("archc: 1\nextends: regnet/regnetx_002\nname: top\ndownsample: {norm: true}\n", encoding="utf-8")
    rows = "\n".join(f"  - {{name: s{i}, width: {8 * i}, blocks: 1, stride: 2, group_width: 8{extra}}}"
                      for i, extra in ((1, ""), (2, ", downsample: {norm: true}")))  # fmt: skip
    row = tmp_path / "row.yaml"
    row.write_text(f"archc: 1\nextends: regnet/regnetx_002\nname: row\nstages:\n{rows}\n", encoding="utf-8")
    for path, where in ((top, "4:13"), (row, "6:77")):
        code, out, err = run_cli("check", str(path))
        assert code == 2 and out == "", err
        assert (
            f"{path.name}:{where}: error[E401]: a RegNet stage has no downsampling layer in front of its blocks" in err
        )
        assert "help: remove 'downsample:'" in err


def test_the_huge_builtins_are_the_ones_over_the_limit():
    from tests.conftest import HUGE_BUILTINS, HUGE_PARAMS

    over = {n for n in builtin_names() if summary(compile_spec(n))["params"] > HUGE_PARAMS}
    assert over == HUGE_BUILTINS


def test_an_unknown_width_rounding_is_located(tmp_path):
    from tests.conftest import run_cli

    spec = tmp_path / "r.yaml"
    body = "archc: 1\nextends: regnet/regnetx_002\nname: r\nstages:\n  regnet: {width_rounding: floor}\n"
    spec.write_text(body, encoding="utf-8")
    code, out, err = run_cli("check", str(spec))
    assert code == 2 and out == ""
    assert "r.yaml:5:28: error[E203]: invalid value 'floor' for 'width_rounding'" in err
    assert "help: expected one of: 'make_divisible', 'round'" in err


@pytest.mark.parametrize("name", [n for n in REGNETS if n.startswith("torchvision/")])
def test_torchvisions_recorded_figures(name):
    """What torchvision records with each of its weights: ``num_params`` and ``_ops`` (GMACs at the crop size)."""
    for weights in torchvision_models().get_model_weights(name.split("/")[1]):
        crop = weights.transforms.keywords["crop_size"]
        s = summary(compile_spec(name, input_size=(crop, crop)))
        assert s["params"] == weights.meta["num_params"], weights
        assert round(s["macs"] / 1e9, 3) == weights.meta["_ops"], weights


OTHER_LAYOUTS = [
    ("torchvision/resnet18", "resnet"), ("torchvision/resnext50_32x4d", "resnet"), ("torchvision/vgg16", "vgg"),
    ("timm/resnet50d", "resnet"), ("timm/seresnext26d_32x4d", "resnet"), ("timm/ecaresnet50d", "resnet"),
    ("timm/resnet50_gn", "resnet"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "family"), OTHER_LAYOUTS)
def test_resnet_and_vgg_layouts_give_the_librarys_state_dict_in_order(name, family):
    """The layout of the other families is the profile's names in lowering's order: the library's order too."""
    library, model_name = name.split("/")
    with torch.device("meta"):
        if library == "timm":
            model = timm().create_model(model_name, pretrained=False)
        else:
            model = getattr(torchvision_models(), model_name)()
    g = compile_spec(name).graph
    layout = g.graph["model_layout"]
    assert (layout.family, layout.profile) == (family, library)
    assert layout.state_dict(g) == [(k, tuple(v.shape)) for k, v in model.state_dict().items()]


def test_a_slot_without_a_norm_is_numbered_as_conv2dnormactivation_numbers_it(tmp_path):
    """torchvision cannot build a norm-free RegNet (it replaces ``norm_layer=None`` by BatchNorm2d), but its
    building block numbers what it holds: ``Conv2dNormActivation(norm_layer=None)`` is ``.0`` conv, ``.1`` ReLU."""
    models = torchvision_models()  # noqa: F841 - imports torchvision for torchvision.ops
    from torchvision.ops.misc import Conv2dNormActivation

    block = Conv2dNormActivation(8, 8, norm_layer=None)
    assert [(n, type(m).__name__) for n, m in block.named_children()] == [("0", "Conv2d"), ("1", "ReLU")]
    spec = tmp_path / "plain.yaml"
    spec.write_text(
        "archc: 1\nextends: torchvision/regnet_x_400mf\nname: plain\ndefaults: {norm: {kind: none}}\n", encoding="utf-8"
    )
    g = compile_spec(str(spec)).graph
    names = g.graph["model_layout"].names
    assert [names[n] for n in ("stem.0.conv", "stem.0.act", "s0.b0.conv2", "s0.b0.act2", "s0.b0.down_conv")] == [
        "stem.0", "stem.1", "trunk_output.block1.block1-0.f.b.0", "trunk_output.block1.block1-0.f.b.1",
        "trunk_output.block1.block1-0.proj.0",
    ]  # fmt: skip


def test_local_names_are_the_block_modules_attributes():
    g = compile_spec("torchvision/regnet_y_400mf").graph
    layout = g.graph["model_layout"]
    assert [layout.local_name(g, n) for n in ("stem.0.bn", "s1.b0.down_bn", "s1.b0.se_reduce", "head.fc")] == [
        "stem.1", "proj.1", "f.se.fc1", "fc"
    ]  # fmt: skip
    g = compile_spec("regnet/regnety_002").graph
    layout = g.graph["model_layout"]
    assert [layout.local_name(g, n) for n in ("s1.b0.act2", "s1.b0.bn3", "s1.b0.out_act")] == [
        "conv2.bn.act", "conv3.bn", "act3"
    ]  # fmt: skip
