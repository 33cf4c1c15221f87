"""The render stage hands the fragments it made to the write stage (``handoff``): a cold build's
write workers read none back from the cache, the bytes written are the same as when they do,
and past the bound (or when the file in memory fails) the cache answers as before."""
from __future__ import annotations

import mmap
import multiprocessing
import os
import pickle
import random
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import tree_bytes, write_site
from hypothesis import example, given
from hypothesis import strategies as st

from feeds import build, handoff, load_config, workers
from feeds.handoff import Handoff, Room, Stream, hand

FORMATS = ["atom", "rss", "json"]


def _site(root: Path, jobs: int, posts: int = 200) -> Path:
    """Enough posts and feeds (a tag each for most) for every stage to use a pool of ``jobs``."""
    many: dict[str, Any] = {}
    for n in range(posts):
        day = f"2022-01-{1 + n % 28:02d}"
        many[f"{day}-p{n}.md"] = {"title": f"P{n}", "date": f"{day} 10:00:00 +0800", "tags": [f"t{n % 150}"],
                                  "categories": [f"c{n % 3}"],
                                  "body": f"Body {n} *with* <b>markup</b> & more.\n\n" * (1 + n % 7)}
    return write_site(root, many, {"build": {"jobs": jobs}, "feeds": {"formats": FORMATS}})


def _cold(cfg_path: Path) -> dict[str, bytes]:
    root = cfg_path.parent
    for name in ("public", ".feeds-cache"):
        shutil.rmtree(root / name, ignore_errors=True)
    result = build(load_config(cfg_path), replay=False)
    assert not result.errors and result.written
    return tree_bytes(root / "public")


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_cold_build_writes_every_feed_without_reading_a_fragment_back(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, asked: Callable[[], list[str]], jobs: int) -> None:
    cfg_path = _site(tmp_path / "site", jobs)
    monkeypatch.chdir(cfg_path.parent)
    handed = _cold(cfg_path)
    assert asked() == []
    monkeypatch.setattr(handoff, "MAX_BYTES", 0)  # nothing handed over: every fragment read back, as before
    read_back = _cold(cfg_path)
    assert len(asked()) >= 200  # each post's fragments by its rkey (once per process: the memo)
    assert handed == read_back and len(handed) > 2 * 150


@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize("bound", [1, 20_000, 200_000])
def test_past_the_bound_the_rest_is_read_from_the_cache_with_the_same_bytes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, asked: Callable[[], list[str]], jobs: int, bound: int
        ) -> None:
    cfg_path = _site(tmp_path / "site", jobs)
    monkeypatch.chdir(cfg_path.parent)
    whole = _cold(cfg_path)
    assert asked() == []
    monkeypatch.setattr(handoff, "MAX_BYTES", bound)
    used: list[int] = []
    real = Room.take

    def take(self: Room, size: int) -> int:
        at = real(self, size)
        used.append(size if at >= 0 else 0)
        return at
    monkeypatch.setattr(Room, "take", take)
    assert _cold(cfg_path) == whole
    assert asked()  # some were read back
    if jobs == 1:  # (the workers' counts stay in the workers)
        assert sum(used) <= bound and (bound < 1000 or sum(used) > bound // 2)


def test_a_file_that_cannot_be_written_or_read_leaves_it_to_the_cache(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, asked: Callable[[], list[str]]) -> None:
    cfg_path = _site(tmp_path / "site", 1)
    monkeypatch.chdir(cfg_path.parent)
    whole = _cold(cfg_path)

    def refuse(*args: Any, **kwargs: Any) -> int:
        raise OSError(28, "No space left on device")
    with monkeypatch.context() as m:
        m.setattr(os, "pwritev", refuse)
        assert _cold(cfg_path) == whole
    assert asked()
    count = len(asked())
    with monkeypatch.context() as m:  # written, then not to be mapped: read back from the cache
        m.setattr(mmap, "mmap", refuse)
        assert _cold(cfg_path) == whole
    assert len(asked()) > count
    with monkeypatch.context() as m:  # no file in memory to be had at all
        m.setattr(handoff, "_memory_file", lambda: -1)
        assert _cold(cfg_path) == whole
    with monkeypatch.context() as m:  # no semaphore to share a count with (some containers): none handed
        m.setattr(multiprocessing, "Value", refuse)
        count = len(asked())
        assert _cold(cfg_path) == whole
        assert len(asked()) > count


def test_a_build_that_renders_one_post_hands_its_fragments_over(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, asked: Callable[[], list[str]]) -> None:
    """Edit one post: it is rendered again, and its new fragments are not read back; the feeds
    are those a cold build of the edited site writes."""
    cfg_path = _site(tmp_path / "site", 1)
    root = cfg_path.parent
    monkeypatch.chdir(root)
    _cold(cfg_path)
    post = root / "_posts" / "2022-01-08-p7.md"
    post.write_text(post.read_text().replace("Body 7", "Edited 7"))
    cfg = load_config(cfg_path)
    made: list[Handoff] = []
    real = workers.render_all

    def render_all(*args: Any, **kwargs: Any) -> Handoff:
        made.append(real(*args, **kwargs))
        return made[-1]
    monkeypatch.setattr(workers, "render_all", render_all)
    result = build(cfg, replay=False)
    assert not result.errors and result.written
    assert len(made[0].fresh) == 1 and len(made[0].entries) == len(FORMATS)
    assert not set(made[0].fresh) & set(asked())
    assert asked()  # the other posts' fragments are the cache's (and checked)
    assert tree_bytes(root / "public") == _cold(cfg_path)


def test_the_fragments_never_travel_through_the_pool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A render task's answer holds where its fragments lie, not their bytes: the parent, which
    reads every answer alone, does not pay for the bodies (a bound on the answers' size)."""
    cfg_path = _site(tmp_path / "site", 1)
    monkeypatch.chdir(cfg_path.parent)
    sizes: list[tuple[int, int]] = []
    real = workers._render_task

    def task(batch: range) -> Any:
        answer = real(batch)
        sizes.append((len(batch), len(pickle.dumps(answer))))
        return answer
    monkeypatch.setattr(workers, "_render_task", task)
    _cold(cfg_path)
    posts = sum(n for n, _ in sizes)
    assert posts == 200 and sum(size for _, size in sizes) < 400 * posts


# --- the file itself ---------------------------------------------------------------------------

_parts = st.binary(max_size=300)


@st.composite
def _rows(draw: st.DrawFn) -> list[tuple[str, str, str, bytes, bytes, bytes]]:
    """A render task's fragment rows: each post's formats together, those with a body sharing it."""
    rows = []
    for p in range(draw(st.integers(0, 6))):
        body = draw(_parts)
        for f in range(draw(st.integers(1, 3))):
            split = draw(st.booleans())
            rows.append((f"f{p}.{f}", f"r{p}", "e", draw(_parts), body if split else b"",
                         draw(_parts) if split else b""))
    return rows


@given(tasks=st.lists(_rows(), max_size=4), bound=st.integers(0, 4000))
@example(tasks=[[("f0.0", "r0", "e", b"", b"", b"")]], bound=1)  # all empty: said handed, an empty file read nothing
def test_every_fragment_handed_over_reads_back_as_made_within_the_bound(
        tasks: list[list[tuple[str, str, str, bytes, bytes, bytes]]], bound: int) -> None:
    room = Room(bound)
    entries: dict[str, Any] = {}
    tasks = [[(f"{i}:{fkey}", r, e, h, b, t) for fkey, r, e, h, b, t in rows] for i, rows in enumerate(tasks)]
    for rows in tasks:
        handed = hand(rows, room)
        assert len(handed) in (0, len(rows))  # a task's fragments all, or none
        entries.update(handed)
    made = Handoff(frozenset(), entries, room)
    got = made.fragments(row[0] for rows in tasks for row in rows)
    for fkey, _, _, head, body, tail in (row for rows in tasks for row in rows):
        data = got.get(fkey)
        if fkey not in entries:
            assert data is None
            continue
        assert data == head + body + tail
        span = made.span(fkey)
        assert (span is None) == (not body)
        assert span is None or data[span[0]:span[1]] == body
    assert os.fstat(room.fd).st_size <= bound if room.fd >= 0 else bound == 0
    made.close()
    assert made.fragments(entries) == {}


@given(posts=st.lists(_rows(), max_size=3), order=st.randoms(use_true_random=False), bound=st.integers(0, 6000),
       batch=st.integers(1, 900))
# the body in one batch, its other format in the next
@example(posts=[[("f0.0", "r0", "e", b"h", b"body", b"t"), ("f0.1", "r0", "e", b"H", b"body", b"T")]],
         order=random.Random(0), bound=1 << 20, batch=1)
def test_fragments_streamed_one_at_a_time_read_back_as_given_within_the_bound(
        posts: list[list[tuple[str, str, str, bytes, bytes, bytes]]], order: Any, bound: int, batch: int) -> None:
    """The background check's fragments come one at a time, a post's formats in any order and in
    any batch: each handed over reads back as it came, a body written once per post, and what the
    room had no space for (from the first batch that did not fit on) is not handed over."""
    rows = [(f"{i}:{fkey}", f"{i}:{rkey}", head, body, tail)
            for i, task in enumerate(posts) for fkey, rkey, _, head, body, tail in task]
    order.shuffle(rows)
    room = Room(bound)
    stream = Stream(room, batch)
    for row in rows:
        stream.add(*row)
    handed = dict(stream.close())
    assert list(handed) == [fkey for fkey, *_ in rows][:len(handed)]  # the first ones, in order
    made = Handoff(frozenset(), handed, room)
    got = made.fragments(handed)
    for fkey, _, head, body, tail in rows:
        if fkey in handed:
            assert got[fkey] == head + body + tail
            span = made.span(fkey)
            assert span is None if not body else got[fkey][span[0]:span[1]] == body
    if room.fd >= 0:
        written = os.fstat(room.fd).st_size
        assert written <= bound
        bodies = {rkey: body for fkey, rkey, _, body, _ in rows if fkey in handed and body}
        pieces = sum(len(head) + len(tail) for fkey, _, head, _, tail in rows if fkey in handed)
        assert written >= pieces + sum(map(len, bodies.values()))
        if len(handed) == len(rows):  # each body once: nothing else in the file
            assert written == pieces + sum(map(len, bodies.values()))
    made.close()


@pytest.mark.parametrize("batch", [1, 1 << 20])  # the first body written already, or in the batch being made
def test_a_post_that_comes_with_two_bodies_is_given_each_fragment_its_own(batch: int) -> None:
    """The rows streamed come from the cache, which is input: a post (rkey) may come with another
    body than the one written for it. Its fragment is then written whole, never joined to the body
    of another row."""
    room = Room(1 << 20)
    stream = Stream(room, batch)
    rows = [("a", "r", b"<a>", b"genuine", b"</a>"), ("r", "r", b"<r>", b"forged!", b"</r>"),
            ("j", "r", b"<j>", b"genuine", b"</j>")]
    for row in rows:
        stream.add(*row)
    made = Handoff(frozenset(), dict(stream.close()), room)
    assert made.fragments(["a", "r", "j"]) == {fkey: head + body + tail for fkey, _, head, body, tail in rows}
    assert os.fstat(room.fd).st_size == len(b"<a>genuine</a><r>forged!</r><j></j>")
    made.close()


def test_a_body_shared_by_a_posts_formats_is_written_once() -> None:
    room = Room(1 << 20)
    body = b"b" * 1000
    handed = hand([("a", "r", "e", b"<a>", body, b"</a>"), ("r", "r", "e", b"<r>", body, b"</r>"),
                   ("j", "r", "e", b"{json}", b"", b"")], room)
    assert [k for k, _ in handed] == ["a", "r", "j"]
    assert os.fstat(room.fd).st_size == 1000 + len(b"<a></a><r></r>{json}")
    room.close()


@pytest.mark.parametrize("same_object", [True, False])
def test_a_posts_other_format_shares_its_body_by_the_bytes_not_the_object(same_object: bool) -> None:
    """A render task's formats of a post carry the very body object (found without comparing); the
    same bytes in another object are compared and shared too, other bytes are written whole."""
    room = Room(1 << 20)
    body = b"b" * 1000
    other = body if same_object else bytearray(body).decode().encode()  # equal bytes, another object
    assert (other is body) == same_object
    rows = [("a", "r", "e", b"<a>", body, b"</a>"), ("r", "r", "e", b"<r>", other, b"</r>"),
            ("x", "r", "e", b"<x>", b"c" * 1000, b"</x>")]
    made = Handoff(frozenset(), dict(hand(rows, room)), room)
    assert made.fragments(["a", "r", "x"]) == {fkey: head + b + tail for fkey, _, _, head, b, tail in rows}
    assert os.fstat(room.fd).st_size == 2000 + len(b"<a></a><r></r><x></x>")
    made.close()


def test_the_room_is_shared_by_forked_processes() -> None:
    """Two processes taking room at once never get the same bytes, nor more than the bound."""
    room = Room(10_000)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover (the child)
        got = [room.take(7) for _ in range(1000)]
        os.write(write, pickle.dumps(got))
        os._exit(0)
    mine = [room.take(7) for _ in range(1000)]
    os.close(write)
    with os.fdopen(read, "rb") as f:
        theirs = pickle.loads(f.read())
    os.waitpid(pid, 0)
    taken = [at for at in mine + theirs if at >= 0]
    assert len(taken) == 10_000 // 7 and sorted(taken) == list(range(0, 7 * len(taken), 7))
    room.close()


def test_a_system_without_memfd_nor_pwritev_leaves_it_to_the_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """macOS before 11 has fork but neither memfd_create nor os.pwritev: the fragments are then read
    from the cache, as on any system whose file cannot be written (a render task did not fail)."""
    monkeypatch.delattr(os, "memfd_create", raising=False)
    monkeypatch.delattr(os, "pwritev", raising=False)
    room = Room(1 << 20)
    assert hand([("a", "r", "e", b"<a>", b"body", b"</a>")], room) == []
    room.close()


@given(st.binary(max_size=40), st.binary(max_size=40), st.binary(max_size=40), st.integers(0, 7), st.integers(0, 2))
@example(b"<med", b"ia:x", b"", 0, 0)  # a match begun in the head, ended in the body
@example(b"x<", b"media:" + b"y" * 10, b"", 0, 0)
@example(b"", b"abc", b"<media:", 0, 0)
def test_parts_say_whether_they_carry_media_as_a_search_of_their_bytes_would(
        head: bytes, body: bytes, tail: bytes, cut: int, where: int) -> None:
    """``parts_have_image`` answers as ``has_image`` of the joined bytes, whatever the parts, with
    media:* wholly in one of them or split across two."""
    from feeds.media import MEDIA, has_image, parts_have_image

    assert parts_have_image(head, body, tail) == has_image(head + body + tail)
    parts = [head, body, tail]
    parts[where] += MEDIA[:cut]
    parts[where + 1 if where < 2 else where] = MEDIA[cut:] + parts[where + 1 if where < 2 else where]
    assert parts_have_image(*parts) == has_image(b"".join(parts)) == (MEDIA in b"".join(parts))


def test_a_handed_fragment_says_whether_it_carries_media() -> None:
    """Each fragment's entry tells whether its bytes carry media:*, its post's body shared or not;
    ``Handoff.media`` is the fkeys of those that do."""
    room = Room(1 << 20)
    body = b"escaped &lt;p&gt; content " * 4
    rows = [("a1", "r1", "e", b"<entry>", body, b"</entry>\n"),
            ("a2", "r1", "e", b"<item>", body, b'<media:content url="x"/></item>\n'),
            ("b1", "r2", "e", b"<entry>", body + b"<media:x/>", b"</entry>\n"),
            ("c1", "r3", "e", b'{"id": "<media:"}', b"", b"")]
    entries = dict(hand(rows, room))
    assert {fkey: entry[6] for fkey, entry in entries.items()} == {"a1": False, "a2": True, "b1": True, "c1": True}
    made = Handoff(frozenset(), entries, room)
    assert made.media == {"a2", "b1", "c1"}
    got = made.fragments(entries)
    assert {k for k, data in got.items() if b"<media:" in data} == made.media
    room.close()
