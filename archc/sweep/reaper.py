"""Ray processes a sweep started are gone when it ends or is killed (Linux).

``ray.init()`` without an address starts a local instance (GCS, raylet, its agents, workers) under the
driver. ``ray.shutdown()`` stops them when the sweep ends; but if the driver is killed (SIGKILL), some of them
(the dashboard and runtime-env agents) outlive it. :func:`start` launches a small watcher process before
Ray starts: once a second it records every descendant of the driver (pid and start time), and when the
driver is gone it kills those still alive. :func:`stop` ends the watcher after a normal shutdown.
"""

from __future__ import annotations

import os
import subprocess
import sys

WATCH = r"""
import os, select, signal, sys, time
driver = int(sys.argv[1])
def start_time(pid):
    try:
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[19]
    except OSError:
        return None
def children():
    out = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                ppid = int(open(f"/proc/{name}/stat").read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            out.setdefault(ppid, []).append(int(name))
    return out
def descendants():
    tree, todo, out = children(), [driver], {}
    while todo:
        for pid in tree.get(todo.pop(), []):
            out[pid] = start_time(pid)
            todo.append(pid)
    return out
before, seen = descendants(), {}
while start_time(driver) is not None:
    seen |= {p: t for p, t in descendants().items() if p != os.getpid() and before.get(p) != t}
    if select.select([sys.stdin], [], [], 1.0)[0]:
        break  # the driver closed the pipe (stop), or died
for pid, started in seen.items():
    if started is not None and start_time(pid) == started:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
"""


def start() -> subprocess.Popen | None:
    """The watcher of this process's descendants (None where there is no /proc)."""
    if not os.path.isdir("/proc/self"):
        return None
    return subprocess.Popen(
        [sys.executable, "-c", WATCH, str(os.getpid())],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # not in the driver's process group: a Ctrl-C there does not stop it first
    )


def stop(watcher: subprocess.Popen | None) -> None:
    """After ``ray.shutdown()``: the watcher kills what is left of Ray's processes, then exits."""
    if watcher is not None:
        watcher.stdin.close()
        try:
            watcher.wait(timeout=15)
        except subprocess.TimeoutExpired:
            watcher.kill()
