"""Child process: a generated PyTorch model in eval mode, eager vs ``torch.compile``, NCHW vs channels_last.

``python -m benchmarks._torch_infer GENERATED.py BATCH REPEATS COMPILE(0|1) [SIZE]`` prints one JSON line: per
configuration the forward times (``torch.inference_mode``), the first-call (compile) time and the largest
difference of the logits from eager NCHW.
"""

import copy
import json
import sys
import time

import torch

from benchmarks.generated import load_module


def forward_times(model, x, repeats: int) -> tuple[float, list[float], torch.Tensor]:
    with torch.inference_mode():
        start = time.perf_counter()
        out = model(x)
        first = time.perf_counter() - start
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            model(x)
            times.append(time.perf_counter() - start)
    return first, times, out


def main() -> None:
    path, batch, repeats, with_compile = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
    size = int(sys.argv[5]) if len(sys.argv) > 5 else 224
    torch.manual_seed(0)
    base = load_module(path).build_model().eval()
    x = torch.randn(batch, 3, size, size)
    results, reference = {}, None
    for compiled in (False, True) if with_compile else (False,):
        for channels_last in (False, True):
            model, inp = copy.deepcopy(base), x
            if channels_last:
                model = model.to(memory_format=torch.channels_last)
                inp = x.contiguous(memory_format=torch.channels_last)
            if compiled:
                model = torch.compile(model)
            first, times, out = forward_times(model, inp, repeats)
            reference = out if reference is None else reference
            key = ("compiled" if compiled else "eager") + (" channels_last" if channels_last else " NCHW")
            diff = float((out.float() - reference.float()).abs().max())
            results[key] = {"first": first, "times": times, "max_abs_diff": diff}
    print(json.dumps({"threads": torch.get_num_threads(), "size": size, "results": results}))


if __name__ == "__main__":
    main()
