"""Round 13 of the write stage's own work: a frame is made from what ``Framed`` knows (one
``FrameInputs``, the newest dates worked out once for the feed), a fragment's key hashed from a
copy of its config's part, a staged file named as text. Each is the answer of what it replaces."""
from __future__ import annotations

import hashlib
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

from conftest import make_post, unit_config
from hypothesis import given
from hypothesis import strategies as st
from test_write import spec_for
from test_write12 import _posts, moments, zoned

from feeds import write
from feeds.feedspec import FrameInputs
from feeds.fragments import fragment_key
from feeds.output import Output
from feeds.posts import newest_dates


@given(st.lists(st.tuples(moments | zoned, st.none() | moments | zoned), max_size=8))
def test_a_feeds_newest_dates_are_maxs_objects_worked_out_at_once(dates: list[tuple[datetime, datetime | None]]
                                                                   ) -> None:
    posts = _posts(dates)
    updated, date = newest_dates(posts)
    assert updated is max((p.updated for p in posts), default=None)
    assert date is max((p.date for p in posts), default=None)


def test_a_frame_shows_the_dates_it_is_given() -> None:
    """Atom's updated and RSS's lastBuildDate come from ``FrameInputs`` (``Newest``'s, once for the
    feed's files), not from the posts kept worked out again."""
    cfg = unit_config(formats=("atom", "rss"))
    posts = tuple(make_post(f"p{i}", datetime(2022, 3, 4, tzinfo=timezone.utc) - timedelta(days=i)) for i in range(3))
    spec = spec_for(cfg, posts)
    atom, rss = spec.files
    given_updated = datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    given_date = datetime(2031, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    head = write.atom_frame(FrameInputs(cfg, spec, atom, posts, False, given_updated, given_date))[0]
    assert b"<updated>2030-01-02T03:04:05+00:00</updated>" in head
    head = write.rss_frame(FrameInputs(cfg, spec, rss, posts, False, given_updated, given_date))[0]
    assert b"<lastBuildDate>Thu, 02 Jan 2031 03:04:05 +0000</lastBuildDate>" in head


@given(st.text(max_size=40), st.text(max_size=40), st.sampled_from(["atom", "rss", "json", "é"]))
def test_a_fragment_key_is_the_blake2b_of_its_three_parts(entry_key: str, rkey: str, fmt: str) -> None:
    try:
        expected = hashlib.blake2b(f"{entry_key}\0{rkey}\0{fmt}".encode(), digest_size=16).hexdigest()
    except UnicodeEncodeError:  # a lone surrogate: refused alike
        return
    assert fragment_key(entry_key, rkey, fmt) == expected
    assert fragment_key(entry_key, rkey, fmt) == expected  # the config's hash copied, never changed


def test_a_staged_file_lands_where_os_path_join_puts_it(tmp_path: Path) -> None:
    with Output(tmp_path / "public") as out:
        for relative in ("feed.xml", "feed/by_tag/ü b.rss", "a/b/c/d.json"):
            entry, written = out.stage(relative, b"<x/>", "inputs")
            staged = os.path.join(out.staging, "files", relative)
            assert written and Path(staged).read_bytes() == b"<x/>" and entry[3] == os.stat(staged).st_mtime_ns


def test_the_frames_memos_keep_the_last_config_alone() -> None:
    """A program that builds in a loop (a watcher, the tests) keeps no config of an earlier build
    alive through the frames' memos, and each config's frame shows its own site."""
    configs = [unit_config(site_fields={"description": f"Site {i}"}) for i in range(5)]
    for cfg in [*configs, configs[0], configs[3]]:
        spec = spec_for(cfg, (make_post("a"),))
        fields = write._frame_fields(cfg, spec, spec.files[0], False)
        assert fields.description == cfg.site.description
        assert write._frame_generator(cfg, spec, False).description() == cfg.site.description
    assert len(write._SITE_FIELDS) == 1 and write._SITE_FIELDS[0][0] is configs[3]
    assert all(kept is configs[3] for kept, _ in write._FRAMES.values())
