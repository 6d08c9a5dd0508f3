"""``archc bench``: measured speed and memory of the generated models, beside their exact costs.

The parent process (this package's :mod:`~archc.bench.options`, :mod:`~archc.bench.runner`,
:mod:`~archc.bench.render`) never imports a framework: it compiles the specs, emits the backend source and
hands one job per (spec, backend) to a fresh child process (:mod:`~archc.bench.worker`), which executes the
source in memory, builds the model and times it (:mod:`~archc.bench.steps_torch`,
:mod:`~archc.bench.steps_keras`, the shared loop in :mod:`~archc.bench.timing`). A fresh process per
measurement keeps the peak-memory figure that model's alone and keeps the two frameworks (their thread pools,
allocators and compile caches) out of each other's way. :mod:`~archc.bench.measured` adds the measured
columns to ``archc compare --measure``; ``benchmarks/gpu_bench.py`` reuses the same child for its GPU table.
"""
