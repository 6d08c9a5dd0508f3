"""The knobs issue 15 added (stage generators, per-stage groups / group width / bottleneck ratio, SE ratio of
the block input and SE after the 3x3) never crash archc: seeded random specs through check, cost, table, graph,
sweep and both backends; every command exits 0 or 2 (a located diagnostic), never 3."""

from __future__ import annotations

import json
import random

import pytest

from tests.conftest import assert_commands_never_crash, run_cli

N_SPECS = 40
COMMANDS = [["check"], ["cost", "--json", "--no-cache"], ["table"], ["graph", "--format", "mermaid"]]


def _stages(rng: random.Random):
    if rng.random() < 0.5:
        gen = {
            "w0": rng.choice([4, 8, 16, 24]),
            "wa": rng.choice([0, 3, 8.5, 20]),
            "wm": rng.choice([1.5, 2.0, 2.5]),
            "depth": rng.randint(1, 6),
            "group_width": rng.choice([1, 3, 8]),
            "bottleneck_ratio": rng.choice([1.0, 0.5, 0.25, 0.01]),
        }
        if rng.random() < 0.4:
            gen["se_ratio"] = rng.choice([0.25, 0.5])
        return {"regnet": gen}
    rows = []
    for j in range(rng.randint(1, 3)):
        row = {"name": f"s{j}", "width": rng.randint(1, 24), "blocks": rng.randint(1, 2), "stride": rng.randint(1, 2)}
        for key, values in (("groups", [1, 2, 3]), ("group_width", [1, 2, 4]), ("bottleneck_ratio", [0.5, 1.0, 2.0])):
            if rng.random() < 0.3:
                row[key] = rng.choice(values)
        rows.append(row)
    return rows


def random_spec(rng: random.Random) -> dict:
    spec = {
        "archc": 1,
        "name": "fuzz",
        "block": rng.choice(["bottleneck", "bottleneck", "basic"]),
        "stride_at": rng.choice(["1x1", "3x3"]),
        "expansion": rng.choice([1, 2, 4]),
        "input": {"size": rng.randint(8, 40)},
        "stem": [{"op": "conv", "kernel": 3, "width": rng.randint(1, 16), "stride": 2}],
        "stages": _stages(rng),
        "head": {"classes": rng.randint(1, 5)},
    }
    if rng.random() < 0.4:
        se = {"after": rng.choice(["last", "3x3"])}
        if rng.random() < 0.6:
            se |= {"ratio": rng.choice([0.25, 0.5, 1.0]), "width_of": rng.choice(["output", "input", "inner"])}
        spec["se"] = se
    if rng.random() < 0.2:
        spec["unit"] = rng.choice(["full_preactivation", "relu_before_addition"])
    return spec


@pytest.fixture(scope="module")
def specs(tmp_path_factory):
    rng, folder, out = random.Random(1515), tmp_path_factory.mktemp("fuzz15"), []
    for i in range(N_SPECS):
        text = json.dumps(random_spec(rng))
        path = folder / f"fuzz{i}.yaml"
        path.write_text(text, encoding="utf-8")
        out.append((i, str(path), text))
    return out


def test_core_commands_never_crash(specs):
    assert_commands_never_crash(specs, COMMANDS, N_SPECS // 3)


def test_sweep_never_crashes(specs):
    for i, path, text in specs[:10]:
        if run_cli("check", path)[0] != 0:
            continue
        key = "stages.regnet.depth=1..4" if '"regnet"' in text else "stages[0].blocks=1..3"
        code, _, err = run_cli("sweep", path, "--vary", key, "--vary", "input.size=1,16,33")
        assert code == 0 and "Traceback" not in err, f"spec {i}: {err}\n{text}"


@pytest.mark.parametrize("backend", ["keras", "pytorch"])
def test_backends_never_crash(specs, tmp_path, backend):
    for i, path, text in specs:
        if run_cli("check", path)[0] != 0:
            continue
        code, _, err = run_cli("build", path, "--backend", backend, "--out", str(tmp_path / "out"))
        assert code in (0, 2), f"spec {i}: archc build --backend {backend} exited {code}: {err}\n{text}"
