"""What the steps after reading need of each post, worked out once (``Post.stamp``) or ahead, gives
exactly what working it out anew in each step gave."""
from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from conftest import make_post, unit_config
from hypothesis import example, given
from hypothesis import strategies as st

from feeds import shortcut
from feeds.feedspec import feed_url
from feeds.group import FeedFiles, slugify
from feeds.posts import Post, after, finish_reading

ZONES = st.one_of(st.just(timezone.utc), st.sampled_from([ZoneInfo("Asia/Shanghai"), ZoneInfo("America/New_York"),
                                                          ZoneInfo("Europe/London")]),
                  st.builds(timezone, st.timedeltas(min_value=-timedelta(hours=23, minutes=59),
                                                    max_value=timedelta(hours=23, minutes=59))))
DATES = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=ZONES)
NEAR = st.timedeltas(min_value=-timedelta(seconds=2), max_value=timedelta(seconds=2))  # ties and near-ties
FAR = datetime(9000, 1, 1, tzinfo=timezone.utc)  # a float timestamp there has no room for microseconds
US = timedelta(microseconds=1)
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _post(n: int, when: datetime, categories: tuple[str, ...] = (), tags: tuple[str, ...] = ()) -> Post:
    return make_post(f"p{n}", when, categories=categories, tags=tags, id=f"urn:x:{n % 3}-{n}")


def _in(zone: Any, when: datetime) -> datetime:
    return when.astimezone(zone)


@given(DATES, NEAR, ZONES)
@example(FAR + US, -US, timezone.utc)  # stamps equal, dates not
@example(FAR, US, ZoneInfo("Asia/Shanghai"))
def test_after_is_exactly_date_later_than_now(date: datetime, delta: timedelta, zone: Any) -> None:
    """Stamps that tie (the same instant in two zones, or a microsecond apart far from 1970)
    are settled by the dates themselves."""
    try:
        now = _in(zone, date + delta)
    except OverflowError:
        now = date
    post = make_post("p", date)
    assert after(post, now, now.timestamp()) == (date > now)
    assert post.stamp == date.timestamp() and after(post, date, date.timestamp()) is False


@given(st.lists(st.tuples(DATES, st.booleans()), max_size=12), DATES)
@example([(FAR + 3 * US, False), (FAR + 2 * US, True), (FAR + 5 * US, False), (FAR + 4 * US, True)], FAR + 3 * US)
@example([(FAR - US, False), (FAR - 2 * US, True), (FAR, False)], FAR + 9 * US)
def test_finish_reading_and_the_shortcut_window_are_as_by_comparing_dates(dates: list[tuple[datetime, bool]],
                                                                          now: datetime) -> None:
    posts = [_post(n, when) for n, (when, _) in enumerate(dates)]
    results = [(post, [], 0) for post in posts]
    cfg = unit_config()
    for post, (_, early) in zip(posts, dates):
        if early:  # some posts' stamps worked out as they arrived, the others' when asked
            assert post.stamp == post.date.timestamp()
    shown, _ = finish_reading(cfg, results, now)
    assert shown == [p for p in posts if p.date <= now]
    seen = shortcut.Seen()
    seen.saw(cfg, [None, *posts], now)
    hidden = [p.date - EPOCH for p in posts if p.date > now]  # the window is kept as instants
    assert _instant(seen.earliest_hidden) == (min(hidden) if hidden else None)
    assert _instant(seen.latest_shown) == (max(p.date - EPOCH for p in shown) if shown else None)
    told = shortcut.Seen()  # as the build asks it: told which posts finish_reading kept
    told.saw(cfg, iter([None, *posts]), now, shown=shown)
    assert (told.earliest_hidden, told.latest_shown) == (seen.earliest_hidden, seen.latest_shown)


def _instant(when: datetime | None) -> timedelta | None:
    return None if when is None else when - EPOCH


def test_the_window_is_of_instants_where_the_clocks_change() -> None:
    """Two dates of one zone compare by the clock's reading: 02:30 on the night New York skips it
    (read as 02:30 EST, 07:30Z) reads earlier than 03:10 EDT (07:10Z), which comes first. The
    future post that becomes visible first bounds the window, so that no rebuild is replayed after."""
    york = ZoneInfo("America/New_York")
    skipped, later = datetime(2030, 3, 10, 2, 30, tzinfo=york), datetime(2030, 3, 10, 3, 10, tzinfo=york)
    seen = shortcut.Seen()
    seen.saw(unit_config(), [_post(1, skipped), _post(2, later)], datetime(2030, 1, 1, tzinfo=timezone.utc))
    assert skipped < later and skipped - EPOCH > later - EPOCH  # by the clock; as instants
    assert seen.earliest_hidden is later


@given(st.text(max_size=12), st.sampled_from(["feed/tag/{slug}.xml", "標籤/{slug}.xml", "{slug}/{slug} x.atom",
                                               "a%b/{slug}#.xml"]))
def test_a_feeds_url_is_its_path_quoted(name: str, pattern: str) -> None:
    """The slug is quoted once for every format, the pattern's parts once per build: the URL is
    what quoting the whole path gives (``feed_url``)."""
    cfg = unit_config(paths=(("tag_atom", pattern), ("tag_rss", pattern.replace("{slug}", "r-{slug}"))))
    slug = slugify(name)
    files = FeedFiles(cfg).files("tag", slug)
    assert [f.path for f in files] == [pattern.replace("{slug}", slug),
                                       pattern.replace("{slug}", "r-{slug}").replace("{slug}", slug)]
    assert [f.url for f in files] == [feed_url(cfg, f.path) for f in files]


@given(st.text(st.characters(blacklist_categories=("Cs",))))
@example("新闻/标签 x%y#z?.xml")
def test_a_path_is_quoted_as_urllib_quotes_it(path: str) -> None:
    """quoted_path's table gives what ``urllib.parse.quote`` with the same safe characters gives."""
    from urllib.parse import quote

    from feeds.feedspec import _URL_SAFE, quoted_path

    assert quoted_path(path) == quote(path, safe=_URL_SAFE)


def test_a_stamp_is_no_field_of_the_post(tmp_path: Path) -> None:
    """Kept beside the fields: not compared, not copied by replace, not pickled."""
    import pickle

    post = make_post("a")
    assert post.stamp == post.date.timestamp()
    assert "stamp" not in (f.name for f in dataclasses.fields(Post))
    assert post == make_post("a") and "stamp" not in vars(dataclasses.replace(post))
    assert "stamp" not in vars(pickle.loads(pickle.dumps(post)))
