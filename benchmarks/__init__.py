"""archc's benchmarks: archc against the framework counters, compile-time scaling, build time and the speed of
the generated models. Run ``python -m benchmarks`` (``--quick`` for the CI smoke test); it writes
``BENCHMARKS.md`` and a plot, and prints a summary. Every figure is a ratio of two measurements taken in the
same run (medians of several repeats), so the report stays meaningful on a slower or busier machine.
"""
