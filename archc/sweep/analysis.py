"""What a measured sweep says: how well MACs, params and activations each predict the measured step time.

Per backend and per device (a cluster may mix them): Spearman's rank correlation of each cost with the
measured ms/step (ties get their average rank; the Pearson correlation of the ranks), and the least-squares
line ``ms/step ≈ intercept + slope × cost`` with its R². Plain Python (no numpy in the core); the tests
compare with ``scipy.stats.spearmanr`` and ``numpy.polyfit``.
"""

from __future__ import annotations

import math

PREDICTORS = ("macs", "params", "activations")


def ranks(values: list[float]) -> list[float]:
    order = sorted(range(len(values)), key=lambda i: values[i])
    out = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            out[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return out


def pearson(x: list[float], y: list[float]) -> float | None:
    n = len(x)
    if n < 2:
        return None
    mx, my = sum(x) / n, sum(y) / n
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y))
    sxx, syy = sum((a - mx) ** 2 for a in x), sum((b - my) ** 2 for b in y)
    return sxy / math.sqrt(sxx * syy) if sxx > 0 and syy > 0 else None


def spearman(x: list[float], y: list[float]) -> float | None:
    return pearson(ranks(x), ranks(y))


def linear_fit(x: list[float], y: list[float]) -> dict | None:
    """``{"slope", "intercept", "r2"}`` of the least-squares line y ≈ intercept + slope·x."""
    n = len(x)
    if n < 2:
        return None
    mx, my = sum(x) / n, sum(y) / n
    sxx = sum((a - mx) ** 2 for a in x)
    if sxx == 0:
        return None
    slope = sum((a - mx) * (b - my) for a, b in zip(x, y)) / sxx
    intercept = my - slope * mx
    ss_res = sum((b - intercept - slope * a) ** 2 for a, b in zip(x, y))
    ss_tot = sum((b - my) ** 2 for b in y)
    return {"slope": slope, "intercept": intercept, "r2": 1 - ss_res / ss_tot if ss_tot > 0 else None}


def predictors(rows: list[dict], backends: tuple[str, ...]) -> list[dict]:
    """One entry per (backend, device): n, and per cost its Spearman ρ and linear fit against ms/step."""
    out = []
    for backend in backends:
        key = f"{backend}_ms_per_step"
        devices = sorted({r["device_name"] for r in rows if r.get(key) is not None})
        for device in devices:
            mine = [r for r in rows if r.get(key) is not None and r["device_name"] == device]
            ms = [float(r[key]) for r in mine]
            entry = {"backend": backend, "device_name": device, "variants": len(mine)}
            for cost in PREDICTORS:
                x = [float(r[cost]) for r in mine]
                entry[cost] = {"spearman": spearman(x, ms), "fit_ms": linear_fit(x, ms)}
            out.append(entry)
    return out


def _num(v: float | None) -> str:
    return "–" if v is None else f"{v:.2f}"


def text(entries: list[dict]) -> list[str]:
    """Lines for stderr: ρ per cost, and the line of the best-ranked cost."""
    lines = []
    for e in entries:
        rho = ", ".join(f"{c} {_num(e[c]['spearman'])}" for c in PREDICTORS)
        lines.append(f"measured ms/step vs costs ({e['backend']}, {e['device_name']}, {e['variants']} variants): "
                     f"Spearman ρ {rho}")  # fmt: skip
        scored = [c for c in PREDICTORS if e[c]["spearman"] is not None and e[c]["fit_ms"] is not None]
        if scored:
            best = max(scored, key=lambda c: e[c]["spearman"])
            fit = e[best]["fit_ms"]
            lines.append(f"  best predictor {best}: ms/step ≈ {fit['intercept']:.3g} + {fit['slope']:.3g} × {best}"
                         f" (R² {_num(fit['r2'])})")  # fmt: skip
    return lines
