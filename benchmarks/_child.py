"""``python -m benchmarks._child CMD...``: run CMD, then print its wall time, CPU time (user + system) and
peak RSS as JSON on stderr.

This process has exactly one child, so ``RUSAGE_CHILDREN``'s ``ru_maxrss`` is the command's own peak RSS.
The command's stdout passes through; its stderr is kept and echoed before the JSON line.
"""

import json
import resource
import subprocess
import sys
import time


def main() -> int:
    cmd = sys.argv[1:]
    start = time.perf_counter()
    proc = subprocess.run(cmd, stderr=subprocess.PIPE, text=True, check=False)
    wall = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    sys.stderr.write(proc.stderr)
    sys.stderr.write(
        "\n"
        + json.dumps({"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "maxrss_kib": usage.ru_maxrss})
        + "\n"
    )
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
