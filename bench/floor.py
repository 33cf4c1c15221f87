"""The floor: read every post and parse its front matter, nothing else.

Usage::

    python bench/floor.py SITE/_posts

Any build has to do at least this much, so its time is the lower bound the runner
reports next to the real scenarios. It runs as its own process so that its peak RSS is
measured apart from the runner's. Prints ``floor: N posts read (S s)`` on stderr.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import frontmatter
import yaml
from frontmatter.default_handlers import YAMLHandler

try:
    LOADER: Any = yaml.CSafeLoader
except AttributeError:  # PyYAML built without libyaml
    sys.exit("floor: PyYAML has no CSafeLoader (libyaml missing); the floor would be wrong")


class CSafeYAMLHandler(YAMLHandler):  # type: ignore[misc]
    """python-frontmatter's YAML handler, pinned to libyaml's safe loader."""

    def load(self, fm: str, **kwargs: object) -> Any:
        """Parse the front matter block with ``yaml.CSafeLoader``."""
        return yaml.load(fm, Loader=LOADER)


def parse_all(posts_dir: Path) -> int:
    """Read and parse every ``*.md`` in ``posts_dir``; return how many were parsed."""
    handler = CSafeYAMLHandler()
    count = 0
    for path in sorted(posts_dir.glob("*.md")):
        post = frontmatter.loads(path.read_text(encoding="utf-8"), handler=handler)
        count += bool(post.metadata)
    return count


def main(argv: list[str] | None = None) -> int:
    """CLI entry point: ``floor.py POSTS_DIR``."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: floor.py POSTS_DIR", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    n = parse_all(Path(args[0]))
    print(f"floor: {n} posts read ({time.perf_counter() - t0:.2f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
