"""``archc convert SPEC --from FILE --to FILE``: move weights between the generated PyTorch and Keras models.

The direction follows the file names: a PyTorch state dict (``.pt``/``.pth``, loaded with
``weights_only=True`` and ``strict=True``) to a Keras ``.weights.h5`` file, or back. Both models are built
from the spec's generated code in memory; the tensors are matched by the IR's names (:mod:`archc.convert`).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from archc.diagnostics import EXIT_INVALID

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
        print(
            f"error: convert between a PyTorch state dict (.pt/.pth) and a Keras {KERAS_SUFFIX} file; "
            f"got --from {args.source} --to {args.target}",
            file=sys.stderr,
        )
        return EXIT_INVALID
    if not Path(args.source).is_file():
        print(f"error: no such file: {args.source}", file=sys.stderr)
        return EXIT_INVALID
    from archc.commands.common import compile_all
    from archc.convert import keras_to_torch, torch_to_keras
    from archc.crosscheck import load_generated

    (compiled,) = compile_all([args.spec])
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import torch

    torch_model = load_generated(compiled, "pytorch").build_model().eval()
    keras_model = load_generated(compiled, "keras").build_model()
    if kinds[0] == "pytorch":
        torch_model.load_state_dict(torch.load(args.source, map_location="cpu", weights_only=True), strict=True)
        count = torch_to_keras(compiled, torch_model, keras_model)
        _atomic(args.target, keras_model.save_weights)
    else:
        keras_model.load_weights(args.source)
        count = keras_to_torch(compiled, keras_model, torch_model)
        _atomic(args.target, lambda path: torch.save(torch_model.state_dict(), path))
    print(f"{args.source} -> {args.target}: {count} tensors ({compiled.spec.name})")
    return 0


def _atomic(target: str, save) -> None:
    """Save to a temporary file beside the target, then rename: no partial output on failure."""
    folder = Path(target).resolve().parent
    folder.mkdir(parents=True, exist_ok=True)
    suffix = KERAS_SUFFIX if target.endswith(KERAS_SUFFIX) else Path(target).suffix
    fd, tmp = tempfile.mkstemp(prefix=".archc-convert-", suffix=suffix, dir=folder)
    os.close(fd)
    try:
        save(tmp)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
