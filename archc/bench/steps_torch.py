"""PyTorch steps for ``archc bench`` (imported only in the measuring child).

- inference: ``model.eval()``, the whole measurement inside ``torch.inference_mode()``, one forward per step;
- ``--train``: ``model.train()``, per step ``zero_grad(set_to_none=True)``, forward, cross-entropy on random
  labels, backward, ``SGD(lr=1e-4, momentum=0.9).step()`` (timm's train benchmark does the same work); a
  model without a classifier (``features_only``, feature maps) trains on the mean square of every output it
  returns, a stand-in loss that back-propagates through the whole network;
- ``--amp``: ``torch.autocast`` around forward and loss; fp16 training scales the loss (``GradScaler``);
- ``--channels-last``: model and input in ``torch.channels_last``; ``--compile``: ``torch.compile(model)``;
- peak memory: CUDA ``max_memory_allocated`` after ``reset_peak_memory_stats`` (weights, activations,
  gradients, optimizer state — allocated tensors, not the allocator's cache); on the CPU the process's RSS.
"""

from __future__ import annotations

import contextlib

import torch

from archc.bench.prepared import Prepared, Unavailable

DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


def device_of(job: dict) -> torch.device:
    if job["device"] == "cuda" and not torch.cuda.is_available():
        raise Unavailable(f"torch {torch.__version__} sees no CUDA device (a CPU-only build, or no GPU visible)")
    return torch.device(job["device"])


def prepare(job: dict, module) -> Prepared:
    torch.manual_seed(0)
    if job["threads"]:
        torch.set_num_threads(job["threads"])
    device = device_of(job)
    model = module.build_model().to(device)
    c, h, w = job["input_shape"]
    x = torch.randn(job["batch"], c, h, w, device=device)
    if job["channels_last"]:
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    runnable = torch.compile(model) if job["compile"] else model
    autocast = (lambda: torch.autocast(device.type, dtype=DTYPES[job["amp"]])) if job["amp"] else contextlib.nullcontext
    cuda = device.type == "cuda"
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    if job["train"]:
        step, out_shape = _train_step(job, model, runnable, x, autocast, device)
        context = contextlib.nullcontext()
    else:
        model.eval()

        def step():
            with autocast():
                return runnable(x)

        with torch.inference_mode():
            out_shape = list(last(model(x[:1])).shape[1:])
        context = torch.inference_mode()
    info = {
        "framework": f"torch {torch.__version__}",
        "threads": torch.get_num_threads(),
        "device_name": torch.cuda.get_device_name(device) if cuda else None,
        "output_shape": out_shape,
    }
    return Prepared(
        step,
        sync,
        context,
        (lambda: torch.cuda.reset_peak_memory_stats(device)) if cuda else (lambda: None),
        (lambda: torch.cuda.max_memory_allocated(device)) if cuda else (lambda: None),
        (lambda: torch.cuda.memory_allocated(device)) if cuda else (lambda: None),
        info,
    )


def outputs(out) -> list[torch.Tensor]:
    """The tensors a model returns: one, or a list / tuple / dict of them (``features_only``)."""
    if isinstance(out, torch.Tensor):
        return [out]
    return list(out.values()) if isinstance(out, dict) else list(out)


def last(out) -> torch.Tensor:
    return outputs(out)[-1]


def _train_step(job: dict, model, runnable, x, autocast, device):
    with torch.no_grad():
        sample = model.eval()(x[:1])
    model.train()
    out_shape = list(last(sample).shape[1:])
    classifier = isinstance(sample, torch.Tensor) and sample.dim() == 2
    target = torch.randint(0, sample.shape[-1], (x.shape[0],), device=device) if classifier else None
    cross_entropy = torch.nn.CrossEntropyLoss()

    def loss_fn(out):
        if classifier:
            return cross_entropy(out, target)
        return sum(t.float().pow(2).mean() for t in outputs(out))

    optimizer = torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9)
    scaler = torch.amp.GradScaler(device.type) if job["amp"] == "fp16" else None

    def step():
        optimizer.zero_grad(set_to_none=True)
        with autocast():
            loss = loss_fn(runnable(x))
        if scaler is None:
            loss.backward()
            optimizer.step()
        else:
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
        return loss

    return step, out_shape
