"""``feeds`` without the feed index page, for the benchmark's ``index-off`` scenario.

Usage::

    python bench/feeds_no_index.py build --config FILE [-q] [--jobs N]

No config key turns the index page off, so this runs the real CLI with
``feeds.index_page.index_bytes`` replaced by a function that returns no bytes: the build
writes an empty page and skips generating it. The runner checks that the page it finds is
empty, so a change in how the pipeline calls the page cannot go unnoticed.
"""

from __future__ import annotations

from typing import Any

from feeds import index_page


def _no_page(*_: Any) -> bytes:
    return b""


def main() -> None:
    setattr(index_page, "index_bytes", _no_page)  # noqa: B010 (looked up at call time by the pipeline)
    from feeds.entry import main as feeds_main

    feeds_main()


if __name__ == "__main__":
    main()
