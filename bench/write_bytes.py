"""Write the bytes of a built output folder again: the cost of writing files, nothing else.

Usage::

    python bench/write_bytes.py SRC DST

Reads every file under ``SRC`` and writes the same bytes to the same relative path under
``DST`` (which must not exist) with plain ``open``/``write``, as a build writes its files
(no ``sendfile`` shortcut), then prints ``N files, B bytes`` on stderr. The runner times it
to set issue 10's target for a fresh-clone build: within 2x a no-change rebuild plus the
time to write the same bytes.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def copy_tree(src: Path, dst: Path) -> tuple[int, int]:
    """Copy ``src`` to ``dst`` file by file; return (files, bytes)."""
    files = total = 0
    for folder, _, names in os.walk(src):
        target = dst / os.path.relpath(folder, src)
        target.mkdir(parents=True, exist_ok=True)
        for name in names:
            with open(os.path.join(folder, name), "rb") as f:
                data = f.read()
            with open(target / name, "wb") as f:
                f.write(data)
            files += 1
            total += len(data)
    return files, total


def main(argv: list[str] | None = None) -> int:
    """CLI entry point: ``write_bytes.py SRC DST``."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: write_bytes.py SRC DST", file=sys.stderr)
        return 2
    src, dst = Path(args[0]), Path(args[1])
    if dst.exists():
        print(f"write_bytes: {dst} exists", file=sys.stderr)
        return 2
    files, total = copy_tree(src, dst)
    print(f"write_bytes: {files} files, {total} bytes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
