"""feeds.max_bytes: a feed file over the budget drops its oldest entries until it fits, and the
build says so once per feed (naming it, how many entries went, and the key to raise)."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import feedparser
import pytest
from conftest import CST, SITE_URL, Built, make_post, unit_config
from test_write import spec_for

from feeds.budget import feed_bytes_within
from feeds.formats import BY_NAME
from feeds.render import Rendered
from feeds.schema import KEYS
from feeds.validate import check_output
from feeds.write import feed_bytes

ALL = ("atom", "rss", "json")
POSTS = tuple(make_post(f"p{i:02d}", datetime(2022, 3, 1, tzinfo=CST) + timedelta(hours=i)) for i in range(30))
RENDERED = {p.id: Rendered(f"<p>{p.title} " + "word " * 400 + "</p>", "A summary.") for p in POSTS}


def _count(fmt: str, data: bytes) -> int:
    if fmt == "json":
        return len(json.loads(data)["items"])
    root = ET.fromstring(data)
    return len([e for e in root.iter() if e.tag in ("{http://www.w3.org/2005/Atom}entry", "item")])


def test_the_default_budget_is_one_mebibyte() -> None:
    assert KEYS["feeds.max_bytes"].default == 1024 * 1024


@pytest.mark.parametrize("budget_bytes", [20_000, 45_000, 2_000])
def test_an_oversized_feed_keeps_as_many_newest_entries_as_fit(budget_bytes: int) -> None:
    cfg = unit_config(formats=ALL, limit=0, max_bytes=budget_bytes)
    spec = spec_for(cfg, POSTS)
    full = feed_bytes(cfg, spec, RENDERED)
    data, problems = feed_bytes_within(cfg, spec, RENDERED)
    assert len(problems) == 1 and problems[0].level == "warning"  # once per feed, whatever the formats
    message = problems[0].message
    assert "the site feed" in message and "feeds.max_bytes" in message and f"({budget_bytes} bytes)" in message
    for file in spec.files:
        assert len(full[file.path]) > budget_bytes >= len(data[file.path]), file.path
        kept = _count(file.format, data[file.path])
        assert f"{file.path}: {len(POSTS) - kept} of {len(POSTS)}" in message
        if kept < len(POSTS):  # the most that fit: one more entry would not
            more = feed_bytes(cfg, spec_for(cfg, tuple(spec.entries[:kept + 1])), RENDERED)[file.path]
            assert len(more) > budget_bytes
        newest = [p.url for p in spec.entries[:kept]]
        text = data[file.path].decode()
        assert all(url in text for url in newest) and spec.entries[-1].url not in text  # the oldest went
    assert feed_bytes_within(cfg, spec, RENDERED) == (data, problems)  # same input, same bytes


def test_no_budget_and_a_feed_under_it_are_left_whole() -> None:
    for max_bytes in (0, 10_000_000):
        cfg = unit_config(formats=ALL, limit=0, max_bytes=max_bytes)
        spec = spec_for(cfg, POSTS)
        assert feed_bytes_within(cfg, spec, RENDERED) == (feed_bytes(cfg, spec, RENDERED), [])


def test_a_budget_below_one_entry_leaves_a_valid_empty_feed(tmp_path: Path) -> None:
    cfg = unit_config(formats=ALL, limit=0, max_bytes=1)
    spec = spec_for(cfg, POSTS)
    data, problems = feed_bytes_within(cfg, spec, RENDERED)
    assert [_count(f.format, data[f.path]) for f in spec.files] == [0, 0, 0] and len(problems) == 1
    for path, content in data.items():
        (tmp_path / path).write_bytes(content)
    assert check_output(tmp_path, SITE_URL) == []


def test_fitting_serialises_each_entry_once_and_a_frame_per_size_tried(monkeypatch: pytest.MonkeyPatch) -> None:
    """A size is a sum of fragment lengths: no entry is serialised again while fitting, and only a
    bisection's worth of frames (head and tail) is made."""
    entries, frames = [], []
    fmt = BY_NAME["rss"]
    monkeypatch.setattr(fmt.__class__, "make_fragment", lambda self, *a: entries.append(a) or _real_fragment(*a))
    monkeypatch.setattr(fmt.__class__, "make_frame", lambda self, *a: frames.append(a) or _real_frame(*a))
    cfg = unit_config(formats=("rss",), limit=0, max_bytes=3_000)
    feed_bytes_within(cfg, spec_for(cfg, POSTS), RENDERED)
    assert len(entries) == len(POSTS)
    assert 1 <= len(frames) <= 2 + len(POSTS).bit_length()


def _real_fragment(*args: Any) -> bytes:
    from feeds.write import rss_fragment
    return rss_fragment(*args)


def _real_frame(*args: Any) -> tuple[bytes, bytes, bytes]:
    from feeds.write import rss_frame
    return rss_frame(*args)


def test_a_build_over_budget_warns_once_per_feed_and_checks_clean(make_site: Callable[..., Path],
                                                                  build_site: Callable[..., Built]) -> None:
    posts = {f"2022-03-{d:02d}-p{d}.md": {"title": f"P{d}", "date": f"2022-03-{d:02d} 10:00:00 +0800",
                                          "categories": ["big"], "tags": ["small"] if d == 1 else [],
                                          "body": "word " * 2000 + "\n"} for d in range(1, 21)}
    cfg = make_site(posts)
    built = build_site(cfg, feeds__formats=list(ALL), feeds__max_bytes=60_000)
    warned = sorted(p.message.split(" is over")[0] for p in built.result.problems if "feeds.max_bytes" in p.message)
    assert warned == ["the category 'big'", "the site feed"]  # the tag feed (one post) fits
    assert all(len(data) <= 60_000 for path, data in built.bytes().items() if not path.endswith(".opml"))
    assert check_output(built.output, SITE_URL) == []
    for path in ("feed.xml", "feed.rss"):
        parsed = feedparser.parse(built.bytes()[path])
        assert parsed.bozo == 0 and 0 < len(parsed.entries) < 20 and parsed.entries[0].title == "P20"
    first = built.bytes()
    rerun = build_site(cfg, feeds__formats=list(ALL), feeds__max_bytes=60_000)  # nothing changed
    assert rerun.bytes() == first and rerun.result.written == []
    assert sorted(p.message for p in rerun.result.problems) == sorted(p.message for p in built.result.problems)
    again = build_site(cfg, feeds__formats=list(ALL), feeds__max_bytes=60_000, output=str(cfg.parent / "again"))
    assert again.bytes() == first
