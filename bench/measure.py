"""Run one command and write its wall time, CPU time and peak RSS as JSON.

Usage::

    python -I -S bench/measure.py RESULT.json CMD [ARG...]

Why a separate process: on Linux a child's ``ru_maxrss`` starts at its parent's peak
RSS (``exec`` folds the old address space's high-water mark into the process's
``maxrss``, and a forked child's old address space is its parent's). Measured straight
from the runner, every child would look at least as big as the runner ever was. This
shim is a fresh, small Python (~10 MB), so the command's figure is its own unless it
stays below that. The command inherits stdin/stdout/stderr; the exit status is passed
through. CPU is user+sys of the command and of the children it waited for; peak RSS is
the largest single process among them (not a sum).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time


def main(argv: list[str]) -> int:
    """Run ``argv[1:]``; write the measurements to ``argv[0]``; return its exit status."""
    if len(argv) < 2:
        print("usage: measure.py RESULT.json CMD [ARG...]", file=sys.stderr)
        return 2
    result_path, cmd = argv[0], argv[1:]
    t0 = time.perf_counter()
    try:
        proc = subprocess.Popen(cmd)
    except OSError as e:
        print(f"measure: cannot run {cmd[0]}: {e}", file=sys.stderr)
        return 127
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = code = os.waitstatus_to_exitcode(status)  # Popen must not wait again
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    with open(result_path, "w", encoding="utf-8") as f:
        json.dump(
            {
                "wall_s": wall,
                "cpu_s": usage.ru_utime + usage.ru_stime,
                "peak_rss_bytes": usage.ru_maxrss * scale,
                "exit": code,
            },
            f,
        )
    return code if code >= 0 else 128 - code  # killed by signal N -> 128+N, like a shell


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
