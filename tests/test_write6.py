"""The write stage's work, bounded (never timed): what fetching, assembling and staging a feed's
files costs, counted in sqlite's steps or in calls, and the bytes checked against the plain way."""
from __future__ import annotations

from pathlib import Path

import pytest
from conftest import post_text, three_format_site

from feeds import build, load_config
from feeds.cache import Cache, WorkerCache


def _fragment_cache(tmp_path: Path, posts: int) -> Cache:
    """``posts`` posts, each with its body stored once and an Atom and an RSS fragment around it."""
    cache = Cache(tmp_path)
    cache.db.executemany("INSERT INTO rendered VALUES (?, '[null, null]', ?)",
                         [(f"r{i}", b"x" * 3000 + str(i).encode()) for i in range(posts)])
    cache.db.executemany("INSERT INTO fragments VALUES (?, ?, 'e', ?, ?)",
                         [(f"{fmt}{i}", f"r{i}", f"<{fmt}>".encode(), f"</{fmt}>".encode())
                          for i in range(posts) for fmt in ("atom", "rss")])
    cache.db.commit()
    return cache


def _steps(cache: Cache, fkeys: dict[str, str]) -> tuple[int, dict[str, bytes]]:
    """sqlite's virtual machine steps to fetch these fragments (fkey -> rkey), and what was found."""
    store = WorkerCache(cache.file)
    steps = [0]

    def count() -> int:
        steps[0] += 1
        return 0
    store._connection().set_progress_handler(count, 1)
    found, _ = store.fragments(fkeys)
    return steps[0], found


def test_a_posts_fragments_in_every_format_are_fetched_by_one_lookup_of_the_post(tmp_path: Path) -> None:
    """A feed written in Atom and RSS asks for both fragments of each entry: one search of the post
    finds both (a search per fragment cost twice the work of one format)."""
    cache = _fragment_cache(tmp_path, 200)
    one, _ = _steps(cache, {f"atom{i}": f"r{i}" for i in range(200)})
    two, found = _steps(cache, {f"{fmt}{i}": f"r{i}" for i in range(200) for fmt in ("atom", "rss")})
    assert two < 1.5 * one
    body = b"x" * 3000
    assert found["atom7"] == b"<atom>" + body + b"7</atom>" and found["rss7"] == b"<rss>" + body + b"7</rss>"


def test_a_row_that_names_another_post_is_still_read_as_no_bytes(tmp_path: Path) -> None:
    """Fetched by post, a fragment row whose rkey is not its fkey's post is still found (by its
    fkey) and read as no bytes, which no check passes: it is made again and counted as damaged."""
    cache = _fragment_cache(tmp_path, 3)
    cache.db.execute("INSERT INTO fragments VALUES ('forged', 'elsewhere', 'e', X'00', NULL)")
    cache.db.commit()
    _, found = _steps(cache, {"forged": "r1", "atom1": "r1", "rss2": "r2", "absent": "r0"})
    assert found["forged"] == b"" and found["atom1"].startswith(b"<atom>") and found["rss2"].endswith(b"2</rss>")
    assert "absent" not in found


POSTS = {f"2022-03-{d:02d}-post-{d}.md": post_text(
    {"title": f"Post {d}", "date": f"2022-03-{d:02d} 10:00:00 +0800", "categories": ["news", f"c{d % 3}"],
     "tags": ["a", "b"] if d % 2 else ["a"]}, f"Body of *post* {d}.\n")
    for d in range(1, 13)}


def test_each_fragment_key_is_worked_out_once_per_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every post is in four or five feeds here (site, two categories, one or two tags): its keys in
    each format are hashed once by the render stage and once by the write stage, not once per feed."""
    from feeds import fragments

    root = three_format_site(tmp_path, monkeypatch, POSTS)
    fragments.known_key.cache_clear()
    calls: list[str] = []
    real = fragments.fragment_key
    monkeypatch.setattr(fragments, "fragment_key", lambda *key: calls.append(key[1]) or real(*key))
    cold = build(load_config(root / "config.yaml"))
    assert not cold.errors and len(cold.feeds) >= 6
    assert len(calls) <= 2 * len(POSTS) * 3  # posts x formats, in each stage
