"""``archc convert SPEC --from FILE --to FILE``: move weights between the generated PyTorch and Keras models.

The direction follows the file names: a PyTorch state dict (``.pt``/``.pth``, loaded with
``weights_only=True`` and ``strict=True``) to a Keras ``.weights.h5`` file, or back. Both models are built
from the spec's generated code in memory; the tensors are matched by the IR's names (:mod:`archc.frameworks.convert`).
"""

from __future__ import annotations

import os
from pathlib import Path

from archc.diagnostics import usage_error
from archc.files import atomic_save

TORCH_SUFFIXES = (".pt", ".pth")
KERAS_SUFFIX = ".weights.h5"


def register(parser) -> None:
    parser.add_argument("spec", metavar="SPEC", help="spec path or built-in name (resnet50, torchvision/resnet50)")
    parser.add_argument(
        "--from", dest="source", required=True, metavar="FILE", help="weights to read (.pt/.pth or .weights.h5)"
    )
    parser.add_argument(
        "--to", dest="target", required=True, metavar="FILE", help="weights to write (.weights.h5 or .pt/.pth)"
    )


def _kind(path: str) -> str | None:
    if path.endswith(KERAS_SUFFIX):
        return "keras"
    return "pytorch" if path.endswith(TORCH_SUFFIXES) else None


def run(args) -> int:
    kinds = (_kind(args.source), _kind(args.target))
    if None in kinds or kinds[0] == kinds[1]:
        raise usage_error(
            "E600",
            f"cannot tell the direction from --from {args.source} --to {args.target}",
            f"convert between a PyTorch state dict (.pt/.pth) and a Keras {KERAS_SUFFIX} file",
        )
    if not Path(args.source).is_file():
        raise usage_error("E601", f"no such file: {args.source}", "check the --from path")
    from archc.frameworks.convert import keras_to_torch, torch_to_keras
    from archc.frameworks.generated import load_generated
    from archc.pipeline import compile_all

    (compiled,) = compile_all([args.spec])
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import torch

    torch_model = load_generated(compiled, "pytorch").build_model().eval()
    keras_model = load_generated(compiled, "keras").build_model()
    if kinds[0] == "pytorch":
        torch_model.load_state_dict(torch.load(args.source, map_location="cpu", weights_only=True), strict=True)
        count = torch_to_keras(compiled, torch_model, keras_model)
        atomic_save(args.target, lambda tmp: keras_model.save_weights(str(tmp)), suffix=KERAS_SUFFIX)
    else:
        keras_model.load_weights(args.source)
        count = keras_to_torch(compiled, keras_model, torch_model)
        atomic_save(args.target, lambda tmp: torch.save(torch_model.state_dict(), tmp), suffix=Path(args.target).suffix)
    print(f"{args.source} -> {args.target}: {count} tensors ({compiled.spec.name})")
    return 0
