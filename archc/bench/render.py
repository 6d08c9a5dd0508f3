"""Tables of ``archc bench`` rows: plain text (aligned columns) and markdown, with a caption that says how
every figure was measured. JSON output is the rows themselves (:func:`archc.bench.runner.make_row`)."""

from __future__ import annotations

from archc.reports import text as render

HEADER = ["spec", "framework", "setup", "batch", "params", "MACs/img", "img/s", "ms/step", "min–max ms", "spread",
          "MAC/s", "peak mem", "+steps", "CPU use"]  # fmt: skip


def setup(row: dict) -> str:
    """``inference fp32`` / ``train bf16 compile channels_last`` / ``inference fp32 XLA``."""
    parts = [row["mode"], row["amp"] or "fp32"]
    parts += [flag for key, flag in (("compile", "compile"), ("channels_last", "NHWC"), ("jit_compile", "XLA"))
              if row[key]]  # fmt: skip
    return " ".join(parts)


def mib(n: int | None) -> str:
    return "–" if n is None else f"{n / 2**20:,.0f} MiB"


def cells(row: dict) -> list[str]:
    ms = row["step_ms"]
    return [
        row["label"],
        row["backend"] + (f"/{row['keras_backend']}" if row.get("keras_backend") else ""),
        setup(row),
        str(row["batch"]),
        render.scaled(row["params"], "").rstrip(),
        render.scaled(row["macs"], "").rstrip(),
        f"{row['images_per_s']['median']:,.1f}",
        f"{ms['median']:,.1f}",
        f"{ms['min']:,.1f}–{ms['max']:,.1f}",
        f"{row['spread_pct']:.0f} %",
        render.scaled(row["achieved_macs_per_s"], "").rstrip(),
        mib(row["peak_memory_bytes"]),
        mib(row["memory"]["steps_delta_bytes"]),
        f"{row['cpu_utilisation']:.1f}×",
    ]


def caption(rows: list[dict]) -> list[str]:
    first = rows[0]
    device = first["device_name"] or "CPU"
    threads = ", ".join(sorted({f"{r['backend']} {r['threads']} thread{'s' * (r['threads'] != 1)}" for r in rows}))
    load = [v for r in rows for v in r["load_1min"]]
    train = any(r["mode"] == "train" for r in rows)
    lines = [
        f"device {first['device']} ({device}; {threads}); {first['warmup']} warm-up step(s), then "
        f"{first['repeats']} repeats of {first['steps']} timed steps; 1-min load average {min(load):.1f}–{max(load):.1f}",
        "img/s: batch ÷ median step time; ms/step: median and min–max over the repeats; spread = (max − min) ÷ median",
        "MAC/s: MACs per image × img/s" + (" × 3 for training (backward ≈ 2 × forward)" if train else ""),
    ]
    if first["peak_memory_kind"] == "device max allocated":
        lines.append(
            "peak mem: the framework's peak allocated device memory over warm-up and timed steps; +steps: that "
            "peak minus what was allocated before warm-up (the model and batch)"
        )
    else:
        lines.append(
            "peak mem: peak RSS of the measuring process (one fresh process per row: framework, model, batch, "
            "steps) from warm-up to the end; +steps: that peak minus the RSS before warm-up (activations, "
            "gradients, workspace); CPU use: process CPU time ÷ wall time (threads busy)"
        )
    return lines


def to_plain(rows: list[dict]) -> str:
    body = render.table(HEADER, [cells(r) for r in rows], right=set(range(3, len(HEADER))))
    return body + "\n\n" + "\n".join(caption(rows))


def to_markdown(rows: list[dict]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|---|---|---|" + "---:|" * (len(HEADER) - 3)]
    lines += ["| " + " | ".join(cells(r)) + " |" for r in rows]
    return "\n".join(lines) + "\n\n" + "\n".join(f"- {line}" for line in caption(rows))


# `archc bench --format csv`: one line per row, the nested figures flattened (``step_ms`` → its median, with
# ``step_ms_min`` / ``step_ms_max``); every key is also a key of the JSON rows.
CSV_COLUMNS = ["label", "name", "spec", "backend", "framework", "device", "mode", "batch", "amp", "channels_last",
               "compile", "jit_compile", "threads", "params", "buffers", "keras_params", "macs", "images_per_s",
               "step_ms", "step_ms_min", "step_ms_max", "spread_pct", "achieved_macs_per_s", "peak_memory_bytes",
               "peak_memory_kind", "cpu_utilisation", "first_step_s"]  # fmt: skip


def flat(row: dict) -> dict:
    """A bench row with its median figures as plain columns (for CSV)."""
    out = dict(row)
    out["images_per_s"] = row["images_per_s"]["median"]
    out["step_ms"], out["step_ms_min"], out["step_ms_max"] = (row["step_ms"][k] for k in ("median", "min", "max"))
    return out
