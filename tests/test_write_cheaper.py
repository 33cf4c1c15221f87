"""The write stage of a cold build, and the cache rows the render stage stores for it, at less
cost: bounds on the work done (never on time), with the bytes checked against the plain way."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import post_text, tree_bytes, write_site

from feeds import build, load_config

POSTS = {f"2022-03-{d:02d}-post-{d}.md": post_text(
    {"title": f"Post {d}", "date": f"2022-03-{d:02d} 10:00:00 +0800", "categories": ["news"],
     "tags": ["a", "b"] if d % 2 else ["a"]},
    f"Body of *post* {d}.\n\n" + ("![pic](https://img.test/{d}.png)\n" if d % 3 == 0 else "plain\n"))
    for d in range(1, 13)}


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "site"
    write_site(root, dict(POSTS), {"feeds": {"formats": ["atom", "rss", "json"]}, "build": {"jobs": 1}})
    monkeypatch.chdir(root)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    return root


def run(root: Path) -> dict[str, bytes]:
    result = build(load_config(root / "config.yaml"))
    assert not result.errors and not result.warnings, result.problems
    return tree_bytes(root / "public")


def fresh_clone(root: Path) -> None:
    shutil.rmtree(root / "public")
    shutil.rmtree(root / ".public.feeds")


# --- the memo of fragments: no digest of this build's own ----------------------------------

@pytest.fixture
def digests(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Every fragment_digest the cache takes; the write workers' memo of fragments kept tiny, so
    that it lets go of nearly every fragment it is given."""
    from feeds import cache
    from feeds.cache import WorkerCache

    seen: list[bytes] = []
    real = cache.fragment_digest
    monkeypatch.setattr(cache, "fragment_digest", lambda data: seen.append(data) or real(data))
    monkeypatch.setattr(WorkerCache, "MEMO_BYTES", 1)
    return seen


def test_a_cold_build_hashes_none_of_its_own_fragments(site: Path, digests: list[bytes]) -> None:
    """The memo keeps the digest of a fragment it lets go so that the same bytes read again need no
    check; a fragment of content this build rendered is never checked: nothing to hash."""
    run(site)
    assert digests == []


def test_fragments_from_an_earlier_build_are_still_known_by_their_digest(site: Path, digests: list[bytes]) -> None:
    """A fresh clone's fragments are input: each let go is hashed, and the bytes are the cold build's."""
    cold = run(site)
    fresh_clone(site)
    digests.clear()
    assert run(site) == cold
    assert digests


def test_own_fragments_let_go_are_forgotten_whole(tmp_path: Path) -> None:
    """A fragment made from this build's content leaves the memo without a trace; another one's
    digest stays, so the same bytes read again are known."""
    from feeds.cache import Cache, WorkerCache

    cache = Cache(tmp_path)
    store = WorkerCache(cache.file)
    store.MEMO_BYTES = 0
    store.put_fragments([("own", "r", "e", b"mine"), ("other", "r", "e", b"theirs")])
    store.remember("own", b"mine", own=True)
    store.remember("other", b"theirs")
    assert store.fragments({"own": "r", "other": "r"}) == ({"own": b"mine", "other": b"theirs"}, {"other"})
    cache.close()


# --- the cache read through a memory map -----------------------------------------------------

def test_the_workers_read_the_cache_through_a_memory_map(tmp_path: Path) -> None:
    from feeds.cache import Cache, WorkerCache

    cache = Cache(tmp_path)
    store = WorkerCache(cache.file)
    assert store._connection().execute("PRAGMA mmap_size").fetchone()[0] > 0
    cache.close()
