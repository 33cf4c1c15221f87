"""Time the read stage of a cold build alone: ``reading.read_all`` with an empty cache.

Usage::

    python bench/read_stage.py SITE [JOBS]

Run it from outside the work tree with the Python whose ``feeds`` is to be measured (so that
two installs can be compared in the same minutes). Prints one line: the stage's wall time,
the parent's CPU seconds and the workers' (user+sys), and the posts read.
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    """``read_stage.py SITE [JOBS]``: one cold read of SITE's posts, timed."""
    if not argv:
        print("usage: read_stage.py SITE [JOBS]", file=sys.stderr)
        return 2
    site, jobs = Path(argv[0]).resolve(), argv[1] if len(argv) > 1 else "2"
    os.chdir(site)
    from feeds.cache import Cache
    from feeds.config import load_config
    from feeds.sources import find_post_files
    try:
        from feeds.reading import read_all
    except ImportError:  # an install from before the read stage had a module of its own
        from feeds.workers import read_all  # type: ignore[attr-defined,no-redef]

    cfg = load_config("config.yaml", {"build.jobs": int(jobs)})
    files, _ = find_post_files(cfg)
    with tempfile.TemporaryDirectory(dir=site) as scratch:
        cache = Cache(Path(scratch))
        before = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        results = read_all(cfg, files, cache, None)
        cache.commit()
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        cache.close()
    cpu = [a.ru_utime + a.ru_stime - b.ru_utime - b.ru_stime for a, b in zip(after, before)]
    read = sum(1 for post, _, _ in results if post is not None)
    print(f"read stage: {wall:.2f} s wall, parent {cpu[0]:.2f} cpu-s, workers {cpu[1]:.2f} cpu-s, "
          f"total {cpu[0] + cpu[1]:.2f} cpu-s; {read} posts")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
