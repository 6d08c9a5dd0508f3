"""Run the real counters on a model: torch's FlopCounterMode, fvcore, ptflops (both backends) and thop.

Each function returns the figure the tool prints (its raw integer), batch 1, the model in eval mode.
Versions are pinned in pyproject's ``test`` extra; :data:`VERSIONS` reads what is installed.
"""

from __future__ import annotations

import contextlib
import io
import logging
import warnings
from importlib.metadata import version

import torch

from tests.libs import torchvision_if_installed

torchvision_if_installed()  # ptflops imports torchvision.ops: through the helper on CPU torch (tests/libs.py)

DISTRIBUTIONS = {"torch": "torch", "fvcore": "fvcore", "ptflops": "ptflops", "thop": "ultralytics-thop"}


def versions() -> dict[str, str]:
    return {name: version(dist) for name, dist in DISTRIBUTIONS.items()}


def torch_flops(model, x) -> int:
    from torch.utils.flop_counter import FlopCounterMode

    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(x)
    return counter.get_total_flops()


def fvcore_flops(model, x) -> int:
    from fvcore.nn import FlopCountAnalysis

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # TracerWarning
        analysis = FlopCountAnalysis(model, (x,))
        analysis.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
        return analysis.total()


def ptflops_macs(model, x, backend: str) -> int:
    from ptflops import get_model_complexity_info

    sink = io.StringIO()
    with contextlib.redirect_stdout(sink):
        macs, _ = get_model_complexity_info(
            model, tuple(x.shape[1:]), as_strings=False, print_per_layer_stat=False, backend=backend, ost=sink
        )
    assert macs is not None, f"ptflops ({backend}) failed:\n{sink.getvalue()}"
    return macs


def thop_macs(model, x) -> int:
    from thop import profile

    total, _ = profile(model, (x,), verbose=False)
    assert float(total).is_integer()
    return int(total)


def run_all(model, x) -> dict[str, int]:
    """Every counter archc models, by archc's names for them (``macs`` is not a tool: it is archc's own)."""
    model.eval()
    logging.disable(logging.WARNING)  # fvcore / thop log through `logging`
    try:
        return {
            "torch": torch_flops(model, x),
            "fvcore": fvcore_flops(model, x),
            "ptflops": ptflops_macs(model, x, "pytorch"),
            "ptflops_aten": ptflops_macs(model, x, "aten"),
            "thop": thop_macs(model, x),
        }
    finally:
        logging.disable(logging.NOTSET)
