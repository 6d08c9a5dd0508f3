"""What to measure (:class:`Settings`), its command-line options, and the requests archc refuses.

Everything here is plain Python: the refusals (``--device cuda`` without a GPU driver, ``--amp fp16`` on a
CPU, ``--compile`` with Keras, …) are decided before any framework is imported. Defaults depend on the
device: a CPU gets a small batch and few steps (a ResNet-50 step takes a second there), a GPU the batch and
step counts of timm's ``benchmark.py`` ballpark.
"""

from __future__ import annotations

import argparse
import glob
import importlib.util
import os
from dataclasses import asdict, dataclass

from archc.frameworks.keras_backends import keras_setting

FRAMEWORK_MODULES = {"pytorch": "torch", "keras": "keras"}
EXTRAS = {"pytorch": "pip install 'archc[torch]' (CPU: pip install torch first)", "keras": "pip install 'archc[keras]'"}
# Per device: batch, warm-up steps, timed steps per repeat, repeats.
KERAS_BACKEND_HELP = "Keras: Keras 3's backend, tensorflow, jax or torch (default: Keras' own setting)"
DEFAULTS = {"cpu": (8, 2, 5, 3), "cuda": (64, 10, 20, 5)}
# The one default of `archc bench`, `archc compare --measure` and `archc.measure()`: `--backend all` adds Keras.
DEFAULT_BACKEND = "pytorch"


@dataclass(frozen=True)
class Settings:
    backends: tuple[str, ...]
    device: str = "cpu"
    batch: int = 8
    warmup: int = 2
    steps: int = 5
    repeats: int = 3
    train: bool = False
    amp: str | None = None  # "bf16" | "fp16"
    channels_last: bool = False
    compile: bool = False  # torch.compile (PyTorch rows)
    jit_compile: bool = False  # XLA (Keras rows)
    threads: int | None = None  # intra-op CPU threads; None: the framework's default (all cores)
    keras_backend: str | None = None  # Keras 3's backend (tensorflow | jax | torch); None: Keras' own setting

    def for_backend(self, backend: str) -> dict:
        """The job options one child needs (the flags that do not apply to that framework are off)."""
        job = asdict(self)
        del job["backends"]
        job["backend"] = backend
        if backend == "keras":
            job["compile"] = job["channels_last"] = False
        else:
            job["jit_compile"] = False
            job["keras_backend"] = None
        return job


class Refusal(Exception):
    """A request that cannot be measured: exit 2 with ``error[CODE]:`` and ``help:`` lines, nothing measured
    (E600 invalid option, E602 a framework not installed — :func:`archc.diagnostics.usage_error`'s codes)."""

    def __init__(self, message: str, help: str, code: str = "E600"):
        super().__init__(message)
        self.message, self.help, self.code = message, help, code

    def usage_error(self):
        from archc.diagnostics import usage_error

        return usage_error(self.code, self.message, self.help)


# The counts a measurement takes, with their least value; the most is MAX_COUNT (one rule for the CLI and the API).
COUNTS = {"batch": 1, "warmup": 0, "steps": 1, "repeats": 1, "threads": 1}
MAX_COUNT = 1_000_000
SWITCHES = ("train", "channels_last", "compile", "jit_compile")
AMP = (None, "bf16", "fp16")


def options_from_api(options: dict) -> dict:
    """``archc.measure(**options)`` checked as the command line checks them: a ValueError that names the
    choices for an unknown option, a count out of range or an unknown ``amp``."""
    known = (*COUNTS, *SWITCHES, "amp")
    for name, value in options.items():
        if name not in known:
            raise ValueError(f"unknown option {name!r}; choose from: {', '.join(known)}")
        if name in COUNTS and not (value is None and name == "threads"):
            low = COUNTS[name]
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= MAX_COUNT:
                raise ValueError(f"{name}={value!r}: a whole number from {low} to {MAX_COUNT}")
        if name in SWITCHES and not isinstance(value, bool):
            raise ValueError(f"{name}={value!r}: True or False")
        if name == "amp" and value not in AMP:
            raise ValueError(f"amp={value!r}: choose one of: {', '.join(map(repr, AMP))}")
    return options


def positive(text: str) -> int:
    return _count(text, 1)


def non_negative(text: str) -> int:
    return _count(text, 0)


def _count(text: str, low: int) -> int:
    try:
        value = int(text)
    except ValueError:
        value = low - 1
    if not low <= value <= MAX_COUNT:
        raise argparse.ArgumentTypeError(f"invalid count {text!r}: a whole number from {low} to {MAX_COUNT}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The measuring options, shared by ``archc bench`` and ``archc compare --measure``."""
    group = parser.add_argument_group("measuring")
    add = group.add_argument
    add("--backend", choices=["pytorch", "keras", "all"], default=None, help=f"framework(s); default {DEFAULT_BACKEND}")
    add("--device", choices=["cpu", "cuda"], default=None, help="default cpu; cuda needs a GPU and a CUDA build")
    add("--batch", type=positive, metavar="N", help="images per step (default 8 on cpu, 64 on cuda)")
    add("--train", action="store_true", help="time forward + backward + SGD step (default: inference)")
    add("--amp", choices=["bf16", "fp16"], help="mixed precision (autocast / Keras mixed policy); fp16 needs cuda")
    add("--channels-last", action="store_true", help="PyTorch: NHWC memory format for model and input")
    add("--compile", action="store_true", help="PyTorch: torch.compile (inductor); the first warm-up step compiles")
    add("--jit-compile", action="store_true", help="Keras: model.compile(jit_compile=True) (XLA)")
    add("--keras-backend", choices=["tensorflow", "jax", "torch"], default=None, help=KERAS_BACKEND_HELP)
    add("--threads", type=positive, metavar="N", help="intra-op CPU threads (default: the framework's, all cores)")
    add("--warmup", type=non_negative, metavar="N", help="untimed steps first (default 2 on cpu, 10 on cuda)")
    add("--steps", type=positive, metavar="N", help="timed steps per repeat (default 5 on cpu, 20 on cuda)")
    add("--repeats", type=positive, metavar="N", help="timed repeats; median and spread (default 3 / 5)")


MEASURE_FLAGS = ("backend", "device", "batch", "train", "amp", "channels_last", "compile", "jit_compile",
                 "keras_backend", "threads", "warmup", "steps", "repeats")  # fmt: skip


def given_flags(args) -> list[str]:
    """The measuring options given on the command line (``archc compare`` refuses them without --measure)."""
    return ["--" + f.replace("_", "-") for f in MEASURE_FLAGS if getattr(args, f, None) not in (None, False)]


def settings_from_args(args) -> Settings:
    """Settings from parsed arguments, or :class:`Refusal` for a request that cannot be measured."""
    device = args.device or "cpu"
    backend = args.backend or DEFAULT_BACKEND
    backends = ("pytorch", "keras") if backend == "all" else (backend,)
    batch, warmup, steps, repeats = DEFAULTS[device]
    settings = Settings(
        backends=backends,
        device=device,
        batch=args.batch or batch,
        warmup=warmup if args.warmup is None else args.warmup,
        steps=args.steps or steps,
        repeats=args.repeats or repeats,
        train=args.train,
        amp=args.amp,
        channels_last=args.channels_last,
        compile=args.compile,
        jit_compile=args.jit_compile,
        threads=args.threads,
        keras_backend=getattr(args, "keras_backend", None),
    )
    check(settings)
    return settings


def check(s: Settings) -> None:
    """Raise :class:`Refusal` for the first impossible request (no framework imported)."""
    only_keras, only_torch = s.backends == ("keras",), s.backends == ("pytorch",)
    rules = [
        (only_keras and s.compile, "--compile is torch.compile, and --backend keras has no PyTorch model",
         "for Keras use --jit-compile (XLA); with --backend all, --compile applies to the PyTorch rows"),
        (only_keras and s.channels_last, "--channels-last: the Keras models are channels-last (NHWC) already",
         "drop --channels-last, or use --backend pytorch"),
        (only_torch and s.jit_compile, "--jit-compile is Keras's XLA switch, and --backend pytorch has no Keras model",
         "for PyTorch use --compile (torch.compile)"),
        (s.amp == "fp16" and s.device == "cpu", "--amp fp16 on the CPU: float16 autocast is for GPUs",
         "use --amp bf16 on a CPU, or --device cuda"),
        (only_torch and s.keras_backend, f"--keras-backend {s.keras_backend}: --backend pytorch has no Keras model",
         "drop --keras-backend, or use --backend keras / all"),
        ("keras" in s.backends and s.device == "cuda" and (s.keras_backend or keras_setting()) != "tensorflow",
         f"--device cuda with Keras on {s.keras_backend or keras_setting()}: bench measures Keras on a GPU with "
         "TensorFlow only", "use --keras-backend tensorflow on a GPU, or measure jax / torch on the CPU"),
        ((s.compile or s.jit_compile) and s.warmup == 0, "--warmup 0 with a compiler: the first step would time compilation",
         "give at least --warmup 1 (the first step compiles; its time is reported apart as first_step_s)"),
    ]  # fmt: skip
    for broken, message, help in rules:
        if broken:
            raise Refusal(message, help)
    for backend in s.backends:
        if importlib.util.find_spec(FRAMEWORK_MODULES[backend]) is None:
            raise Refusal(
                f"--backend {backend}: {FRAMEWORK_MODULES[backend]} is not installed", EXTRAS[backend], "E602"
            )
    keras_on = s.keras_backend or keras_setting()
    if "keras" in s.backends and importlib.util.find_spec(keras_on) is None:
        raise Refusal(f"Keras on {keras_on}: {keras_on} is not installed", f"pip install {keras_on}", "E602")
    if s.device == "cuda" and not cuda_driver_present():
        raise Refusal(
            "--device cuda: no CUDA device on this machine (no NVIDIA driver, or CUDA_VISIBLE_DEVICES hides it)",
            "measure on the CPU (--device cpu, the default) or run on a machine with an NVIDIA GPU and CUDA builds "
            "of torch / tensorflow",
        )


def cuda_driver_present() -> bool:
    """An NVIDIA driver with at least one visible GPU, judged without importing a framework (the child checks
    again with ``torch.cuda.is_available()`` / TensorFlow's GPU list)."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None and visible.strip() in ("", "-1"):
        return False
    gpus = "/proc/driver/nvidia/gpus"
    return (os.path.isdir(gpus) and bool(os.listdir(gpus))) or bool(glob.glob("/dev/nvidia[0-9]*"))
