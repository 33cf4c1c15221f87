"""Reading asks the disk for a file's size and mtime once in a cold build (its reading task does),
and the build only where the cache remembers the file (to skip re-hashing one unchanged)."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import post_text, write_site

from feeds import build, load_config, reading, sources

POSTS = {f"2022-03-{d:02d}-post-{d}.md": post_text({"title": f"Post {d}", "date": f"2022-03-{d:02d}"}, f"Body {d}.\n")
         for d in range(1, 9)}


class CountingOs:
    """``os`` as the read workers and sources see it, counting stat calls by path, and opens (a reading
    task opens the file and asks the open file: one question a file)."""

    def __init__(self) -> None:
        self.stats: list[str] = []

    def stat(self, path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
        self.stats.append(str(path))
        return os.stat(path, *args, **kwargs)

    def open(self, path: Any, *args: Any, **kwargs: Any) -> int:
        if sys._getframe(1).f_code is not sources._read_tail.__code__:  # the render stage reading a body
            self.stats.append(str(path))
        return os.open(path, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "site"
    write_site(root, dict(POSTS), {"build": {"jobs": 1}})
    monkeypatch.chdir(root)
    return root


def _stats_per_post(root: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    counting = CountingOs()
    monkeypatch.setattr(reading, "os", counting)
    monkeypatch.setattr(sources, "os", counting)
    result = build(load_config(root / "config.yaml"), replay=False)  # the full build's reading, not a replay
    monkeypatch.undo()
    assert not result.errors
    posts = [s for s in counting.stats if "/_posts/" in s]
    assert len(set(posts)) == len(POSTS)
    return len(posts) // len(POSTS)


@pytest.mark.parametrize("cache_kept", [False, True])
def test_a_file_the_cache_never_saw_is_asked_about_once(site: Path, monkeypatch: pytest.MonkeyPatch,
                                                        cache_kept: bool) -> None:
    if cache_kept:  # a cache without these files in it (another site's, or from before they existed)
        build(load_config(site / "config.yaml"))
        for name in POSTS:
            (site / "_posts" / name).rename(site / "_posts" / name.replace("post-", "moved-"))
    assert _stats_per_post(site, monkeypatch) == 1


def test_a_file_the_cache_remembers_is_asked_about_once_and_not_read(site: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    build(load_config(site / "config.yaml"))
    assert _stats_per_post(site, monkeypatch) == 1  # the build's own check; no reading task runs
