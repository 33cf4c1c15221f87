"""A stand-in for the ``feeds`` CLI, to test the runner's plumbing without the package.

Usage::

    FEEDS_CMD="python bench/fake_feeds.py" python bench/run.py --sizes 1000 --repeat 2

It accepts ``build --config FILE [-q] [--jobs N]``, lists ``<config dir>/_posts``,
burns a little CPU and memory in proportion to the post count, writes
``public/fake.txt`` and prints the real CLI's summary line on stderr. When
``public/`` already exists it reports most feeds as unchanged. Set
``FAKE_FEEDS_EXIT=3`` to make it fail (to see the runner fail loudly), or
``FAKE_FEEDS_SILENT=1`` to drop the summary line (the runner records ``?``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    """Pretend to build; print the summary line."""
    t0 = time.perf_counter()
    ap = argparse.ArgumentParser(prog="fake_feeds")
    ap.add_argument("command", choices=["build"])
    ap.add_argument("--config", type=Path, required=True)
    ap.add_argument("-q", "--quiet", action="store_true")
    ap.add_argument("--jobs", type=int, default=1)
    args = ap.parse_args(argv)

    site = args.config.resolve().parent
    posts = sorted(p.name for p in (site / "_posts").iterdir() if p.suffix == ".md")
    ballast = [name * 20 for name in posts]  # ~1-2 KB per post of RSS
    sum(hash(b) for b in ballast)

    public = site / "public"
    total = max(1, len(posts) // 10)
    first = not public.exists()
    public.mkdir(exist_ok=True)
    (public / "fake.txt").write_text(f"{len(posts)}\n", encoding="utf-8")
    written, unchanged = (total, 0) if first else (3, total - 3)

    code = int(os.environ.get("FAKE_FEEDS_EXIT", "0"))
    if code:
        print("fake_feeds: error: asked to fail by FAKE_FEEDS_EXIT", file=sys.stderr)
    if not os.environ.get("FAKE_FEEDS_SILENT"):
        print(
            f"feeds: {len(posts)} posts read, {written} feeds written, {unchanged} unchanged, "
            f"0 removed, 0 warnings, {int(bool(code))} errors "
            f"({time.perf_counter() - t0:.2f} s)",
            file=sys.stderr,
        )
    return code


if __name__ == "__main__":
    sys.exit(main())
