"""The Python API's ``sweep(...)`` as the command line it stands for: one parser and one set of checks for both."""

from __future__ import annotations

from archc.sweep.columns import cell

SWEEP_OPTIONS = ("batch", "train", "amp", "channels_last", "compile", "jit_compile", "threads", "warmup", "steps",
                 "repeats")  # fmt: skip


def sweep_argv(base, vary, given: dict, options: dict) -> list[str]:
    """The ``archc sweep`` command line that :func:`archc.api.sweep`'s arguments stand for (parsed by the CLI's
    own parser, so that the API and the command line accept and refuse the same things)."""
    axes = vary.items() if isinstance(vary, dict) else [str(v).partition("=")[::2] for v in vary]
    argv = ["sweep", str(base)]
    for key, values in axes:
        text = (
            ",".join("null" if v is None else cell(v) for v in values) if isinstance(values, list | tuple) else values
        )
        argv += ["--vary", f"{key}={text}"]
    flags = {"sample", "seed", "where", "pareto", "out", "plot", "jobs", "backend", "device", "ray_address",
             "cpus_per_task", "gpus_per_task", "retries"}  # fmt: skip
    for name in sorted(flags):
        if given[name] is not None:
            argv += [f"--{name.replace('_', '-')}", str(given[name])]
    if given["executor"] != "local":
        argv += ["--executor", given["executor"]]
    argv += (
        ["--format", "json"] + (["--resume"] if given["resume"] else []) + (["--measure"] if given["measure"] else [])
    )
    for name, value in sorted(options.items()):
        if isinstance(value, bool):
            argv += [f"--{name.replace('_', '-')}"] if value else []
        elif value is not None:
            argv += [f"--{name.replace('_', '-')}", str(value)]
    return argv
