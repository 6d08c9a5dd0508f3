"""``archc convert SPEC --from FILE --to FILE``: move weights between the generated PyTorch and Keras models.

The direction follows the file names: PyTorch weights (``.pt``/``.pth``/``.bin``: a state dict, a checkpoint dict
holding one, ``module.``-prefixed keys or a whole pickled model, read without running code from the file,
see :mod:`archc.frameworks.checkpoint`; loaded with ``strict=True``) to a Keras ``.weights.h5`` file, or back. Both models are built
from the spec's generated code in memory; the tensors are matched by the IR's names (:mod:`archc.frameworks.convert`).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from archc.diagnostics import Diagnostic, SpecError, usage_error
from archc.files import atomic_save
from archc.frameworks.keras_backends import add_argument as add_keras_backend

TORCH_SUFFIXES = (".pt", ".pth", ".bin")  # .bin: the Hugging Face hub's pytorch_model.bin (timm's weights)
KERAS_SUFFIX = ".weights.h5"


def register(parser) -> None:
    parser.add_argument("spec", metavar="SPEC", help="spec path or built-in name (resnet50, torchvision/resnet50)")
    parser.add_argument(
        "--from", dest="source", required=True, metavar="FILE", help="weights to read (.pt/.pth/.bin or .weights.h5)"
    )
    parser.add_argument(
        "--to", dest="target", required=True, metavar="FILE", help="weights to write (.weights.h5 or .pt/.pth/.bin)"
    )
    add_keras_backend(parser)


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
            f"convert between a PyTorch state dict (.pt/.pth/.bin) and a Keras {KERAS_SUFFIX} file",
        )
    if not Path(args.source).is_file():
        raise usage_error("E601", f"no such file: {args.source}", "check the --from path")
    needed = ("torch", "keras", *([args.keras_backend] if args.keras_backend else []))
    missing = [m for m in dict.fromkeys(needed) if importlib.util.find_spec(m) is None]
    if missing:
        raise usage_error(
            "E602",
            f"convert needs PyTorch and Keras{f' on {args.keras_backend}' if args.keras_backend else ''}; "
            f"not installed: {', '.join(missing)}",
            "pip install 'archc[torch,keras]' (install CPU torch first: pip install torch)"
            + (f"; pip install {args.keras_backend}" if args.keras_backend else ""),
        )
    from archc.pipeline import compile_all

    (compiled,) = compile_all([args.spec])  # a spec error is reported here, before any framework starts
    if args.keras_backend:  # Keras on that backend, in a process of its own (the same command, checked again there)
        from archc.frameworks.keras_backends import rerun_command

        return rerun_command(["convert", args.spec, "--from", args.source, "--to", args.target], args.keras_backend)
    from archc.frameworks.convert import keras_to_torch, torch_to_keras
    from archc.frameworks.generated import load_generated
    from archc.frameworks.quiet import import_keras

    import_keras()
    import torch

    torch_model = load_generated(compiled, "pytorch").build_model().eval()
    if kinds[0] == "pytorch":  # read and check the file before building the Keras model
        torch_model.load_state_dict(_torch_weights(args.source, torch_model, compiled.spec.name), strict=True)
        keras_model = load_generated(compiled, "keras").build_model()
        count = torch_to_keras(compiled, torch_model, keras_model)
        atomic_save(args.target, lambda tmp: keras_model.save_weights(str(tmp)), suffix=KERAS_SUFFIX)
    else:
        keras_model = load_generated(compiled, "keras").build_model()
        _keras_weights(args.source, keras_model, compiled.spec.name)
        count = keras_to_torch(compiled, keras_model, torch_model)
        atomic_save(args.target, lambda tmp: torch.save(torch_model.state_dict(), tmp), suffix=Path(args.target).suffix)
    print(f"{args.source} -> {args.target}: {count} tensors ({compiled.spec.name})")
    return 0


def _torch_weights(source: str, model, spec_name: str) -> dict:
    """The file's state dict, unwrapped (checkpoint dicts, ``module.``, whole pickled models), or a short
    list of the keys / shapes that do not fit the spec's model."""
    from archc.frameworks.checkpoint import CheckpointError, differences, load_state_dict, summary_line

    try:
        state, how = load_state_dict(source)
    except CheckpointError as exc:
        raise usage_error("E603", f"{source} holds {exc}", _SAVE_HELP) from None
    except Exception as exc:  # noqa: BLE001 - torch raises many kinds for a file that is not a checkpoint
        reason = " ".join(str(exc).split())[:200]
        raise usage_error("E604", f"cannot read {source} as PyTorch weights: {reason}", _SAVE_HELP) from None
    expected = model.state_dict()
    lines = differences(state, expected)
    if lines:
        message = f"the weights in {source} ({how}) do not fit {spec_name}: {summary_line(state, expected)}"
        raise SpecError([Diagnostic("", 0, 0, "E603", message, _OTHER_SPEC_HELP, tuple(lines))])
    return state


def _keras_weights(source: str, model, spec_name: str) -> None:
    try:
        model.load_weights(source)
    except Exception as exc:  # noqa: BLE001 - Keras reports a mismatch as ValueError, a bad file as OSError etc.
        reason = " ".join(str(exc).split())[:300]
        raise usage_error("E603", f"cannot load {source} into {spec_name}: {reason}", _OTHER_SPEC_HELP) from None


_SAVE_HELP = "save the weights with torch.save(model.state_dict(), path) (a checkpoint dict holding one works too)"
_OTHER_SPEC_HELP = "are these the weights of another spec? convert with the spec they were trained with"
