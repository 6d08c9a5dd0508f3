"""The sweep's streaming parts: lazy grids and samples, the incremental Pareto front, the costing stream, and
what the measurements say (checked against scipy and numpy)."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archc.sweep.analysis import linear_fit, predictors, spearman
from archc.sweep.select import Front, pareto_front
from archc.sweep.space import Axis, Space, parse_values, sample_indices, too_large


def test_variant_i_is_the_mixed_radix_expansion_in_product_order():
    space = Space((Axis("a", ("a",), (1, 2, 3)), Axis("b", ("b",), ("x", "y")), Axis("c", ("c",), (None, 0.5))))
    assert [space.variant(i) for i in range(space.size)] == list(itertools.product((1, 2, 3), ("x", "y"), (None, 0.5)))


def test_a_sample_of_a_huge_grid_is_drawn_without_listing_it():
    axes = tuple(Axis(f"k{i}", (f"k{i}",), tuple(range(1000))) for i in range(6))  # 10**18 variants
    space = Space(axes)
    picked = sample_indices(space.size, 5, 7)
    assert picked == sorted(picked) and len(set(picked)) == 5 and all(0 <= i < 10**18 for i in picked)
    assert picked == sample_indices(space.size, 5, 7) != sample_indices(space.size, 5, 8)
    assert too_large(space, None, 10**7).startswith("the grid has 1,000,000,000,000,000,000 variants")
    assert too_large(space, 5, 10**7) is None and "more than the limit" in too_large(space, 10**8, 10**7)


def test_null_reads_as_none():
    assert parse_values("null,0.25") == (None, 0.25)
    assert parse_values("~,1..3:1.0") == (None, 1.0, 2.0, 3.0)


points = st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), max_size=40)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(points, st.sampled_from([1, -1]), st.sampled_from([1, -1]))
def test_the_incremental_front_is_the_non_dominated_set(pts, sx, sy):
    rows = [{"x": x, "y": y} for x, y in pts]
    axes = (("x", sx), ("y", sy))
    front = Front(axes)
    for i, row in enumerate(rows):
        front.add(row, i)
    assert front.ids == pareto_front(rows, axes)
    assert len(front.points) <= 7  # memory: one entry per distinct point on the front, never per row


def test_spearman_and_the_linear_fit_agree_with_scipy_and_numpy():
    stats = pytest.importorskip("scipy.stats")
    np = pytest.importorskip("numpy")
    r = random.Random(3)
    for n in (2, 3, 7, 30):
        x = [float(r.choice(range(5))) for _ in range(n)]  # ties
        y = [2.5 * v + r.random() for v in x]
        if len(set(x)) < 2:
            continue
        assert spearman(x, y) == pytest.approx(stats.spearmanr(x, y).statistic, abs=1e-12)
        fit = linear_fit(x, y)
        slope, intercept = np.polyfit(x, y, 1)
        assert (fit["slope"], fit["intercept"]) == pytest.approx((slope, intercept), rel=1e-9, abs=1e-12)
        assert fit["r2"] == pytest.approx(stats.pearsonr(x, y).statistic ** 2, rel=1e-9)


def test_predictors_per_backend_and_device():
    rows = [{"macs": m, "params": 10 - m, "activations": m * m, "device_name": d, "pytorch_ms_per_step": 2.0 * m + 1}
            for m in (1, 2, 3) for d in ("cpu A", "cpu B")]  # fmt: skip
    rows.append({"macs": 9, "params": 1, "activations": 1, "device_name": "cpu A", "pytorch_ms_per_step": None})
    entries = predictors(rows, ("pytorch",))
    assert [(e["device_name"], e["variants"]) for e in entries] == [("cpu A", 3), ("cpu B", 3)]
    a = entries[0]
    assert a["macs"]["spearman"] == pytest.approx(1.0) and a["params"]["spearman"] == pytest.approx(-1.0)
    assert (a["macs"]["fit_ms"]["slope"], a["macs"]["fit_ms"]["intercept"]) == pytest.approx((2.0, 1.0))


def test_costs_stream_in_index_order_without_listing_the_grid():
    from archc.spec.loader import read_spec
    from archc.sweep.run import Base, costs, evaluate

    base = Base(*read_spec("resnet18"))
    axes = [Axis(f"stages[{s}].blocks", ("stages", s, "blocks"), tuple(range(1, 101))) for s in range(4)]
    space = Space(tuple(axes))  # 10**8 variants: listing them would take gigabytes
    stream = costs(base, space, range(space.size), jobs=2)
    first = list(itertools.islice(stream, 450))
    stream.close()  # the pool is shut down
    assert [o.index for o in first] == list(range(450))
    assert first[449] == evaluate(base, space, 449)
    assert len({o.key for o in first}) == 450
