"""``--where`` filters and ``--pareto`` fronts over sweep rows (exact: integers and fractions, never eval).

``--where 'macs<4e9, depth>=50'``: comma- (or ``and``-) separated comparisons ``COLUMN OP NUMBER`` with
OP one of ``< <= > >= == !=``; numbers are read exactly (``4e9`` is the integer 4,000,000,000).
``--pareto X,Y``: the rows no other row beats on both columns; each axis is minimised, ``max:COLUMN``
maximises it (``--pareto macs,max:depth``: the deepest network for its MACs).
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from fractions import Fraction

OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq, "!=": operator.ne}
_COND = re.compile(r"\s*([A-Za-z_][\w.\[\]]*)\s*(<=|>=|==|!=|<|>)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*")


class SelectError(ValueError):
    """A malformed ``--where`` or ``--pareto`` (E600)."""


@dataclass(frozen=True)
class Condition:
    column: str
    op: str
    value: Fraction

    def __call__(self, row: dict) -> bool:
        v = row.get(self.column)
        return isinstance(v, (int, float)) and not isinstance(v, bool) and OPS[self.op](Fraction(v), self.value)


def parse_where(text: str, columns: list[str]) -> list[Condition]:
    out = []
    for part in re.split(r",|\band\b", text):
        m = _COND.fullmatch(part)
        if not m:
            raise SelectError(f"'{part.strip()}' is not COLUMN OP NUMBER (e.g. macs<4e9; OP: < <= > >= == !=)")
        _known(m.group(1), columns)
        out.append(Condition(m.group(1), m.group(2), Fraction(m.group(3))))
    return out


def _known(column: str, columns: list[str]) -> None:
    if column not in columns:
        from archc.diagnostics import did_you_mean

        raise SelectError(f"no column '{column}' ({did_you_mean(column, columns)})")


def parse_pareto(text: str, columns: list[str]) -> tuple[tuple[str, int], tuple[str, int]]:
    """``((column, sign), (column, sign))``: sign 1 minimises, -1 maximises."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 2 or not all(parts):
        raise SelectError(f"--pareto '{text}' needs two columns X,Y (e.g. params,macs or macs,max:depth)")
    axes = []
    for part in parts:
        name = part.removeprefix("max:")
        _known(name, columns)
        axes.append((name, -1 if part.startswith("max:") else 1))
    return axes[0], axes[1]


def pareto_front(rows: list[dict], axes) -> set[int]:
    """Indices of the non-dominated rows (no other row at least as good on both axes and better on one)."""
    (x, sx), (y, sy) = axes
    points = sorted((sx * r[x], sy * r[y], i) for i, r in enumerate(rows))
    front, best = set(), None
    n = 0
    while n < len(points):
        m = n
        while m < len(points) and points[m][0] == points[n][0]:
            m += 1
        low = points[n][1]  # the group's best y (sorted), x equal within the group
        if best is None or low < best:
            front.update(i for _, yy, i in points[n:m] if yy == low)
            best = low
        n = m
    return front


class Front:
    """The Pareto front of rows added one at a time, in memory proportional to the front (not the rows).

    Same rule as :func:`pareto_front`: a point is dominated by another at least as good on both axes and
    different; equal points share their fate. ``ids`` are the variants on the front after every ``add``.
    """

    def __init__(self, axes):
        self.axes = axes
        self.xs: list = []  # the front's distinct points, x ascending (and then y strictly descending)
        self.points: list = []  # (x, y, [ids]) in the same order

    def add(self, row: dict, ident) -> None:
        from bisect import bisect_right

        (cx, sx), (cy, sy) = self.axes
        x, y = sx * row[cx], sy * row[cy]
        at = start = bisect_right(self.xs, x)
        if at:
            px, py, ids = self.points[at - 1]
            if (px, py) == (x, y):
                ids.append(ident)
                return
            if py <= y:
                return  # dominated
            start = at - 1 if px == x else at  # same x, worse y: dominated by the new point
        end = at
        while end < len(self.points) and self.points[end][1] >= y:
            end += 1  # dominated by the new point
        self.xs[start:end] = [x]
        self.points[start:end] = [(x, y, [ident])]

    @property
    def ids(self) -> set:
        return {i for _, _, ids in self.points for i in ids}


def split_where(conditions: list[Condition], measured: list[str]) -> tuple[list[Condition], list[Condition]]:
    """(conditions on costs and axes — decided before measuring, conditions on measured columns)."""
    late = set(measured)
    return [c for c in conditions if c.column not in late], [c for c in conditions if c.column in late]
