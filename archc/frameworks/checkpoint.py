"""Reading a PyTorch weights file the way people save them, without running code from it.

``archc convert --from FILE.pt`` accepts:

- a state dict (``torch.save(model.state_dict(), f)``), read with ``weights_only=True``;
- a checkpoint that wraps one: ``{"state_dict": …}``, ``{"model_state_dict": …}``, ``{"model": …}``,
  ``{"net": …}`` (training scripts, Lightning, timm);
- keys prefixed ``module.`` (``nn.DataParallel`` / DDP) or ``_orig_mod.`` (``torch.compile``);
- a whole pickled model (``torch.save(model, f)``): its tensors are read with an unpickler that builds
  *no* class from the file (each is replaced by an inert stand-in that only keeps its state), so the
  model's code is neither needed nor executed. The state dict is rebuilt from the stand-ins'
  ``_parameters`` / ``_buffers`` / ``_modules``.

:func:`differences` lists what does not fit a model: missing keys, unexpected keys, other shapes.
torch is imported inside the functions.
"""

from __future__ import annotations

import pickle
import types
from collections import OrderedDict

WRAPPER_KEYS = ("state_dict", "model_state_dict", "model", "net")
PREFIXES = ("module.", "_orig_mod.")


class CheckpointError(ValueError):
    """The file holds no state dict archc can find (message says what it holds)."""


class _Inert:
    """Stands in for any class a pickle names: takes any arguments, keeps its state, runs nothing."""

    def __init__(self, *args, **kwargs):
        self.__dict__["_archc_args"] = args

    def __setstate__(self, state):
        self.__dict__["_archc_state"] = state


# What a pickled model may build for real: tensor and storage reconstruction and plain containers.
_REAL = {
    ("collections", "OrderedDict"),
    ("torch._utils", "_rebuild_tensor_v2"),
    ("torch._utils", "_rebuild_parameter"),
    ("torch._utils", "_rebuild_parameter_with_state"),
    ("torch", "Size"),
    ("builtins", "set"),
    ("__builtin__", "set"),
    ("copyreg", "_reconstructor"),
    ("copy_reg", "_reconstructor"),
    ("builtins", "object"),
    ("__builtin__", "object"),
}


class _Unpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) in _REAL or (module == "torch" and name.endswith("Storage")):
            return super().find_class(module, name)
        return type(name, (_Inert,), {"__module__": f"archc-inert:{module}"})


_INERT_PICKLE = types.SimpleNamespace(__name__="pickle", Unpickler=_Unpickler, load=None)
_INERT_PICKLE.load = lambda f, **kw: _Unpickler(f, **kw).load()


def load_state_dict(path: str) -> tuple[dict, str]:
    """(state dict, how it was found) from a PyTorch weights file. Raises CheckpointError."""
    import torch

    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
        how = "state dict"
    except pickle.UnpicklingError:  # not plain tensors: a pickled object (a whole model)
        obj = torch.load(path, map_location="cpu", weights_only=False, pickle_module=_INERT_PICKLE)
        how = "pickled model"
    state, found = _find_state(obj)
    if found:
        how = f"{how}, under {found}"
    state, stripped = strip_prefix(state)
    if stripped:
        how += f", keys prefixed '{stripped}'"
    return state, how


def _find_state(obj, where: str = "") -> tuple[dict, str]:
    if isinstance(obj, _Inert):
        return _module_state(obj), where
    if isinstance(obj, dict) and obj and all(isinstance(k, str) for k in obj):
        if _is_tensor_dict(obj):
            return dict(obj), where
        for key in WRAPPER_KEYS:
            if key in obj:
                return _find_state(obj[key], f"{where}[{key!r}]")
        raise CheckpointError(
            f"a dict with keys {_short_list(sorted(map(str, obj)))} and no state dict under {WRAPPER_KEYS}"
        )
    raise CheckpointError(f"{type(obj).__name__}, not a state dict or a checkpoint holding one")


def _is_tensor_dict(obj: dict) -> bool:
    import torch

    return all(isinstance(v, torch.Tensor) for v in obj.values())


def _module_state(module: _Inert, prefix: str = "") -> dict:
    """``state_dict()`` of a pickled nn.Module read as stand-ins: parameters, persistent buffers, children."""
    state = module.__dict__.get("_archc_state")
    if not isinstance(state, dict) or "_modules" not in state:
        raise CheckpointError("a pickled object that is not a torch.nn.Module")
    out: dict = OrderedDict()
    for name, value in (state.get("_parameters") or {}).items():
        if value is not None:
            out[prefix + name] = value
    skip = state.get("_non_persistent_buffers_set") or set()
    for name, value in (state.get("_buffers") or {}).items():
        if value is not None and name not in skip:
            out[prefix + name] = value
    for name, child in (state.get("_modules") or {}).items():
        if child is not None:
            out.update(_module_state(child, f"{prefix}{name}."))
    return out


def strip_prefix(state: dict) -> tuple[dict, str]:
    """Drop a ``module.`` / ``_orig_mod.`` prefix that every key carries (repeatedly: DDP of a compiled model)."""
    stripped = ""
    while state:
        prefix = next((p for p in PREFIXES if all(k.startswith(p) for k in state)), None)
        if prefix is None:
            break
        state = OrderedDict((k[len(prefix) :], v) for k, v in state.items())
        stripped += prefix
    return state, stripped


def differences(state: dict, expected: dict, limit: int = 8) -> list[str]:
    """Short lines: keys the model needs but the file lacks, keys it does not know, and other shapes."""
    ignore = ("num_batches_tracked",)
    have = {k: tuple(v.shape) for k, v in state.items() if not k.endswith(ignore)}
    want = {k: tuple(v.shape) for k, v in expected.items() if not k.endswith(ignore)}
    lines = []
    groups = (
        ("missing", [f"{k} {_dims(want[k])}" for k in want if k not in have]),
        ("unexpected", [f"{k} {_dims(have[k])}" for k in have if k not in want]),
        (
            "shape",
            [f"{k}: file {_dims(have[k])}, spec {_dims(want[k])}" for k in want if k in have and have[k] != want[k]],
        ),
    )
    for kind, items in groups:
        shown = items[:limit]
        lines += [f"{kind}: {item}" for item in shown]
        if len(items) > len(shown):
            lines.append(f"{kind}: … and {len(items) - len(shown)} more")
    return lines


def summary_line(state: dict, expected: dict) -> str:
    ignore = ("num_batches_tracked",)
    have = {k for k in state if not k.endswith(ignore)}
    want = {k for k in expected if not k.endswith(ignore)}
    shapes = sum(1 for k in want & have if tuple(state[k].shape) != tuple(expected[k].shape))
    return f"{len(want - have)} missing, {len(have - want)} unexpected, {shapes} of another shape"


def _dims(shape: tuple) -> str:
    return "×".join(map(str, shape)) or "scalar"


def _short_list(items: list[str], n: int = 6) -> str:
    shown = ", ".join(repr(i) for i in items[:n])
    return shown + (f", … ({len(items)} keys)" if len(items) > n else "")
