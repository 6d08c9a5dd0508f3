"""What a framework's ``prepare(job, module)`` hands the measuring child (framework-free)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


class Unavailable(Exception):
    """The device the job asks for does not exist here (the parent turns it into exit 2)."""


@dataclass
class Prepared:
    step: Callable[[], Any]  # one training or inference step on the prepared batch
    sync: Callable[[], None]  # waits for queued device work (nothing on the CPU)
    context: Any  # entered around the whole measurement (torch.inference_mode, or a null context)
    reset_device_peak: Callable[[], None]
    device_peak: Callable[[], int | None]  # peak device memory in bytes since the reset; None on the CPU
    device_current: Callable[[], int | None]  # device memory allocated now; None on the CPU
    info: dict  # framework, threads, device_name, output_shape
