"""Reading keeps nothing of a post's text once the post is read, whatever its front matter holds:
the memos that spare work on names and dates that recur (issue 10) remember short texts only, so
that long ones (a hostile or broken corpus: a tag of a megabyte, a date padded with spaces) cannot
pile up in them, post after post, up to the memos' sizes times the file size limit."""
from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from conftest import unit_config

from feeds.posts import NEVER, read_post, site_zone

POSTS, LONG = 12, 200_000  # 12 posts, each with its own 200 KB texts: 2.4 MB a memo that keeps them


def _retained(tmp_path: Path, front_matter: Callable[[int], str]) -> int:
    """Bytes still allocated after reading POSTS posts, the i-th with ``front_matter(i)``."""
    posts = tmp_path / "_posts"
    posts.mkdir()
    cfg = unit_config(tmp_path)
    files = []
    for i in range(POSTS):
        file = posts / f"2020-01-0{1 + i % 9}-p{i}.md"
        file.write_text(f"---\ntitle: t\n{front_matter(i)}\n---\nbody\n")
        files.append(str(file))
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for file in files:
            post, _, _ = read_post(file, str(tmp_path), cfg, site_zone(cfg), NEVER)
            assert post is not None
            del post
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


def test_long_tag_and_category_names_are_not_remembered(tmp_path: Path) -> None:
    assert _retained(tmp_path, lambda i: f"tags: [a{i:02}{'x' * LONG}]\ncategories: b{i:02}{'y' * LONG}") < LONG


def test_long_date_texts_are_not_remembered(tmp_path: Path) -> None:
    # a date the date rule reads (any run of spaces between day and time), unique to each post
    assert _retained(tmp_path, lambda i: f"date: 2020-01-01{' ' * (LONG + i)}10:00") < LONG
