"""Where a measured sweep's variants are measured: this process (``local``) or Ray tasks (``ray``).

Both take ``submit(tag, jobs)`` and hand back ``(tag, results or exception)`` from ``wait(block)`` as
measurements finish; the driver writes each to the log at once. ``local`` measures one variant at a time
(measurements must not compete for the cores), retrying a child killed by a signal up to ``retries`` times.

``ray``: each variant is one Ray task asking for ``--cpus-per-task`` / ``--gpus-per-task``; the jobs (with
the generated source) travel with the task. Ray retries a task whose worker died and one that raised
:class:`~archc.sweep.measure.ChildKilled` (``max_retries``, ``retry_exceptions``); a task that still fails is
the variant's error. Without ``--ray-address`` a local Ray instance sized to this machine is started and
shut down at the end (its processes share the driver's fate if it is killed); ``auto`` or an address joins a
cluster, shipping archc's own code to the workers (``runtime_env`` ``py_modules``): the workers need the
framework (and archc's dependencies) installed.
"""

from __future__ import annotations

import importlib.util
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from archc.sweep.measure import ChildKilled, measure_jobs

RAY_INSTALL = "pip install 'archc[ray]' (Ray 2.9 or later)"


@dataclass(frozen=True)
class RayOptions:
    address: str | None = None  # None: start a local instance
    cpus_per_task: float | None = None  # None: every core of this machine (local), or of the smallest node
    gpus_per_task: float | None = None  # None: 1 with --device cuda, else 0


def ray_installed() -> bool:
    return importlib.util.find_spec("ray") is not None


def _keeping_sigterm(start) -> None:
    """Run ``start()`` (``ray.init``), then give SIGTERM back to Python's handler: Ray installs its own, which
    aborts the driver before the sweep can shut Ray down and close its log."""
    import signal
    import threading

    handler = signal.getsignal(signal.SIGTERM)
    start()
    if threading.current_thread() is threading.main_thread() and handler is not None:
        signal.signal(signal.SIGTERM, handler)


class LocalExecutor:
    slots = 1

    def __init__(self, device: str, retries: int):
        self.device, self.retries = device, retries
        self.queue: deque = deque()

    def describe(self) -> str:
        return "local (one measurement at a time)"

    def submit(self, tag, jobs: list[dict]) -> None:
        self.queue.append((tag, jobs))

    def pending(self) -> int:
        return len(self.queue)

    def wait(self, block: bool) -> list[tuple]:
        if not self.queue or not block:
            return []
        tag, jobs = self.queue.popleft()
        for attempt in range(self.retries + 1):
            try:
                return [(tag, measure_jobs(jobs, self.device))]
            except ChildKilled as exc:
                if attempt == self.retries:
                    return [(tag, exc)]
            except Exception as exc:  # noqa: BLE001 - the variant's error, recorded in its row
                return [(tag, exc)]
        return []

    def close(self) -> None:
        self.queue.clear()


class RayExecutor:
    def __init__(self, device: str, retries: int, options: RayOptions):
        import ray

        self.ray, self.device = ray, device
        self.started = options.address is None
        self.watcher, self.running = None, {}
        init = {"include_dashboard": False, "logging_level": "ERROR", "log_to_driver": False}
        try:
            self._init(options, init)
            cpus = options.cpus_per_task or self._smallest_node_cpus()
            gpus = options.gpus_per_task if options.gpus_per_task is not None else (1 if device == "cuda" else 0)
            self._check_fits(cpus, gpus)
        except Exception:
            self.close()
            raise
        self.resources = {"num_cpus": cpus, "num_gpus": gpus}
        self.task = ray.remote(measure_jobs).options(
            max_retries=retries, retry_exceptions=[ChildKilled], name="archc-sweep-measure", **self.resources
        )
        total = ray.cluster_resources()
        fits = total.get("CPU", 1) // cpus if cpus else 1
        if gpus:
            fits = min(fits, total.get("GPU", 0) // gpus)
        self.slots = max(1, int(fits))

    def _init(self, options: RayOptions, init: dict) -> None:
        from archc.diagnostics import usage_error

        if self.started:
            from archc.sweep import reaper
            from archc.sweep.run import default_jobs

            self.watcher = reaper.start()
            _keeping_sigterm(lambda: self.ray.init(num_cpus=default_jobs(), **init))
            return
        archc = str(Path(__file__).resolve().parents[1])
        try:
            _keeping_sigterm(
                lambda: self.ray.init(address=options.address, runtime_env={"py_modules": [archc]}, **init)
            )
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise usage_error("E600", f"--ray-address {options.address}: cannot join a Ray cluster there ("
                              f"{' '.join(str(exc).split())[:200]})", "start one (`ray start --head`) and give its "
                              "address, or leave out --ray-address to start a local Ray instance") from None  # fmt: skip

    def _check_fits(self, cpus: float, gpus: float) -> None:
        """Refuse a task no node can run (Ray would wait for it for ever)."""
        from archc.diagnostics import usage_error

        nodes = [n["Resources"] for n in self.ray.nodes() if n.get("Alive")]
        for name, want, key in (("--cpus-per-task", cpus, "CPU"), ("--gpus-per-task", gpus, "GPU")):
            most = max((n.get(key, 0) for n in nodes), default=0)
            if want > most:
                raise usage_error("E600", f"{name} {want:g}: no node of the Ray cluster has {want:g} {key}s (the "
                                  f"largest has {most:g})", f"ask for at most {most:g}, or add nodes that have "
                                  f"more")  # fmt: skip

    def _smallest_node_cpus(self) -> float:
        nodes = [n["Resources"].get("CPU", 0) for n in self.ray.nodes() if n.get("Alive")]
        return min([c for c in nodes if c] or [1])

    def describe(self) -> str:
        where = "a local Ray instance" if self.started else "a Ray cluster"
        return f"ray ({where}; {self.resources['num_cpus']:g} CPU, {self.resources['num_gpus']:g} GPU per task)"

    def submit(self, tag, jobs: list[dict]) -> None:
        self.running[self.task.remote(jobs, self.device)] = tag

    def pending(self) -> int:
        return len(self.running)

    def wait(self, block: bool) -> list[tuple]:
        if not self.running:
            return []
        refs = list(self.running)
        done, _ = self.ray.wait(refs, num_returns=1 if block else len(refs), timeout=None if block else 0)
        out = []
        for ref in done:
            tag = self.running.pop(ref)
            try:
                out.append((tag, self.ray.get(ref)))
            except Exception as exc:  # noqa: BLE001 - RayTaskError, WorkerCrashedError: the variant's error
                out.append((tag, getattr(exc, "cause", None) or exc))
        return out

    def close(self) -> None:
        for ref in getattr(self, "running", {}):
            self.ray.cancel(ref, force=True)
        self.running.clear()
        if self.ray.is_initialized():
            self.ray.shutdown()
        if self.watcher is not None:
            from archc.sweep import reaper

            reaper.stop(self.watcher)
