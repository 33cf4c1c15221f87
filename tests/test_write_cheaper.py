"""The write stage of a cold build, and the cache rows the render stage stores for it, at less
cost: bounds on the work done (never on time), with the bytes checked against the plain way."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import post_text, three_format_site, tree_bytes
from hypothesis import example, given
from hypothesis import strategies as st

from feeds import build, load_config

POSTS = {f"2022-03-{d:02d}-post-{d}.md": post_text(
    {"title": f"Post {d}", "date": f"2022-03-{d:02d} 10:00:00 +0800", "categories": ["news"],
     "tags": ["a", "b"] if d % 2 else ["a"], **({"image": f"/img/{d}.png"} if d in (2, 4) else {})},
    f"Body of *post* {d}.\n\n![pic](https://img.test/{d}.png)\n")
    for d in range(1, 13)}


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return three_format_site(tmp_path, monkeypatch, POSTS)


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


# --- a cache file cut short while it is being read --------------------------------------------

_CUT_WHILE_READ = """
import os, sys
from feeds import cache as c
store = c.WorkerCache(c.Path(sys.argv[1]))
real, cut = c.joined, []
def joined(head, tail, body):  # the file cut short by another program between two rows of a query
    if not cut:
        cut.append(os.truncate(store.file, 2 * c.PAGE_SIZE))
    return real(head, tail, body)
c.joined = joined
found, known = store.fragments({f"f{i}": "r" for i in range(100)})
print(len(found))
"""


def test_a_cache_file_cut_short_under_a_read_is_a_miss_not_a_crash(tmp_path: Path) -> None:
    # read through a memory map, pages beyond the file's new end fault (SIGBUS: the worker, or
    # with -j1 the build, dies); read with read(), sqlite says the file is damaged: a miss
    import subprocess
    import sys

    from feeds.cache import Cache
    cache = Cache(tmp_path)
    cache.db.executemany("INSERT INTO fragments VALUES (?, 'r', 'e', ?, NULL)",
                         [(f"f{i}", bytes([i]) * 20000) for i in range(100)])
    cache.db.commit()
    cache.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    cache.close()
    done = subprocess.run([sys.executable, "-c", _CUT_WHILE_READ, str(cache.file)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) < 100  # what was read before the cut


# --- what each write task works out once --------------------------------------------------------

def test_the_entry_key_is_worked_out_once_per_write_stage(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """stage_key hashes the config: once for the stage, not once per feed."""
    from feeds import workers

    asked: list[str] = []
    real = workers.stage_key
    monkeypatch.setattr(workers, "stage_key", lambda cfg, stage: asked.append(stage) or real(cfg, stage))
    result = build(load_config(site / "config.yaml"))
    assert not result.errors and len(result.feeds) > 3
    assert asked.count("entry") <= 2  # the render stage's and the write stage's, whatever the number of feeds


def test_a_fingerprint_hashes_its_entries_in_one_update(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same bytes as a line a post (the records of earlier builds stay valid), in one update."""
    import hashlib

    from conftest import make_post, unit_config
    from test_write import spec_for

    from feeds import stages

    cfg = unit_config(formats=("atom",))
    spec = spec_for(cfg, tuple(make_post(f"p{i}") for i in range(7)))
    path = spec.files[0].path
    expected = hashlib.blake2b(f"k\n{path}\n{spec.kind}\n{spec.title}\n{spec.page}\n{[f.links for f in spec.files]}\n"
                               .encode(), digest_size=16)
    for post in spec.entries:
        expected.update(f"{post.path}\0{post.digest}\0\n".encode())
    updates: list[bytes] = []
    real = hashlib.blake2b

    class Counted:
        def __init__(self, data: bytes, digest_size: int) -> None:
            self.h = real(data, digest_size=digest_size)

        def update(self, data: bytes) -> None:
            updates.append(data)
            self.h.update(data)

        def hexdigest(self) -> str:
            return self.h.hexdigest()
    monkeypatch.setattr(stages.hashlib, "blake2b", Counted)
    assert stages.fingerprint("k", spec, path) == expected.hexdigest()
    assert len(updates) == 1


def test_the_newest_dates_of_a_feed_are_worked_out_once_for_all_its_files(monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import datetime, timedelta

    from conftest import CST, make_post, unit_config
    from test_write import spec_for

    from feeds import fragments
    from feeds.budget import feed_bytes_within
    from feeds.render import Rendered

    posts = tuple(make_post(f"p{i}", datetime(2022, 3, 1, tzinfo=CST) + timedelta(hours=i)) for i in range(5))
    rendered = {p.id: Rendered(f"<p>{p.title}</p>", "") for p in posts}
    cfg = unit_config(formats=("atom", "rss", "json"), limit=0)
    spec = spec_for(cfg, posts)
    plain = feed_bytes_within(cfg, spec, rendered)
    calls: list[int] = []
    real = fragments.newest_dates
    monkeypatch.setattr(fragments, "newest_dates", lambda kept: calls.append(len(kept)) or real(kept))
    assert feed_bytes_within(cfg, spec, rendered) == plain
    assert calls == [len(posts)]  # once, for three files


def test_a_feed_file_is_joined_in_one_copy() -> None:
    """Head, entries and tail go into the file's bytes at once: no copy of all the entries first."""
    import tracemalloc

    from conftest import make_post, unit_config
    from test_write import spec_for

    from feeds.fragments import Framed

    cfg = unit_config(formats=("atom",))
    spec = spec_for(cfg, tuple(make_post(f"p{i}") for i in range(8)))
    pieces = [bytes([65 + i]) * 1_000_000 for i in range(len(spec.entries))]
    framed = Framed(cfg, spec, spec.files[0], pieces)
    framed.frame(len(pieces))
    tracemalloc.start()
    try:
        data = framed.data(len(pieces))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    head, _, tail = framed.frame(len(pieces))
    assert data == head + b"".join(pieces) + tail
    assert peak < 1.5 * len(data)


# --- a staged file: written with the system's calls ----------------------------------------------

def test_a_staged_file_is_written_without_a_file_object(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins
    import os

    from feeds.output import staging

    def refused(*_: object, **__: object) -> None:
        raise AssertionError("open() called")
    made = tmp_path / "plain"
    with open(made, "wb"):
        pass
    monkeypatch.setattr(builtins, "open", refused)
    target = tmp_path / "feed.xml"
    mtime = staging.write_file(str(target), b"<feed/>\n" * 1000)
    monkeypatch.undo()
    assert target.read_bytes() == b"<feed/>\n" * 1000 and mtime == os.stat(target).st_mtime_ns
    assert os.stat(target).st_mode == os.stat(made).st_mode  # the mode open() gives


def test_a_short_write_is_finished(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A write the system cut short (a signal) goes on from where it stopped; a full disk says so."""
    import errno
    import os

    from feeds.output import staging

    real = os.write
    monkeypatch.setattr(staging.os, "write", lambda fd, data: real(fd, bytes(data[:7])))
    staging.write_file(str(tmp_path / "a"), b"0123456789" * 10)
    assert (tmp_path / "a").read_bytes() == b"0123456789" * 10

    def full(fd: int, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(staging.os, "write", full)
    with pytest.raises(OSError):
        staging.write_file(str(tmp_path / "b"), b"x")


# --- media:* found without searching the posts' content ----------------------------------------

def test_a_cold_build_searches_its_fragments_for_media_around_their_content(
        site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every Atom and RSS fragment read back from the cache comes with where its content lies, so
    only the bytes around it are searched for media:*; the feeds are those of a plain search.
    (Nothing handed over: a handed fragment is never searched, ``test_write12``.)"""
    from feeds import fragments, handoff

    plain = run(site)
    shutil.rmtree(site / "public")
    shutil.rmtree(site / ".public.feeds")
    shutil.rmtree(site / ".feeds-cache")
    hints: list[object] = []
    real = fragments.has_image

    def noted(data: bytes, body: tuple[int, int] | None = None) -> bool:
        if data.lstrip(b" ").startswith(b"<"):  # Atom and RSS (a JSON Feed item is an object)
            hints.append(body)
        return real(data, body)
    monkeypatch.setattr(fragments, "has_image", noted)
    monkeypatch.setattr(handoff, "MAX_BYTES", 0)
    assert run(site) == plain
    assert hints and None not in hints  # the JSON Feed items are stored whole: their content is escaped otherwise
    assert any(b"<media:" in data for data in plain.values())  # some posts have an image, some not
    assert any(b"xmlns:media" not in data for name, data in plain.items() if name.endswith(".xml"))


@given(st.binary(max_size=40), st.binary(max_size=40), st.binary(max_size=40), st.integers(-5, 130),
       st.integers(-5, 130))
@example(b"", b"", b"", -1, 1)  # a negative start: find() counts it from the end
@example(b"", b"", b"", 3, 1)
def test_the_body_span_is_a_hint_only(head: bytes, body: bytes, tail: bytes, start: int, end: int) -> None:
    """Whatever span is given, right or wrong, the answer is that of searching the whole."""
    from feeds.media import MEDIA, has_image

    for fragment in (head + body + tail, head + MEDIA[:3] + body + MEDIA[3:] + tail, head + MEDIA + tail,
                     MEDIA[:4] + body.replace(b"<", b"") + MEDIA[4:]):
        expected = MEDIA in fragment
        assert has_image(fragment, (len(head), len(head) + len(body))) == expected
        assert has_image(fragment, (start, end)) == expected
        assert has_image(fragment, (4, 4 + len(body))) == expected
        assert has_image(fragment) == expected
