"""The read stage's per-post work, cut once more (issue 10, read12): each shortcut held to the long
way it replaces, on arbitrary input. That Posts and rows stay what they were is held by
tests/test_reading_oracle.py and tests/test_read8.py (a row is the JSON encoder's text)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import example, given
from hypothesis import strategies as st

from feeds import jekyll, rows

_ZONES = st.sampled_from([ZoneInfo("Asia/Shanghai"), ZoneInfo("America/St_Johns"), ZoneInfo("Africa/Monrovia"),
                          timezone.utc]) | st.builds(timezone, st.timedeltas(min_value=timedelta(hours=-23),
                                                                              max_value=timedelta(hours=23)))


@given(st.datetimes(timezones=st.none() | _ZONES), st.integers(0, 2))
@example(datetime(1890, 1, 1, tzinfo=ZoneInfo("Asia/Shanghai")), 2)  # LMT: an offset with seconds
@example(datetime(999, 12, 31, 23, 59, 59, tzinfo=timezone.utc), 2)  # a year isoformat pads to four digits
@example(datetime(2019, 1, 1, 2, 30, 34, 1, tzinfo=timezone.utc), 2)
def test_a_rows_date_text_is_isoformat(when: datetime, times: int) -> None:
    """iso_text writes what isoformat writes: the first time an offset is seen, and once it is remembered."""
    for _ in range(times + 1):
        assert rows.iso_text(when) == when.isoformat()
    assert len(rows._OFFSET_TEXT) <= rows.MAX_OFFSETS


def test_offsets_remembered_are_bounded() -> None:
    for minutes in range(2 * rows.MAX_OFFSETS):
        when = datetime(2020, 1, 1, tzinfo=timezone(timedelta(minutes=minutes)))
        assert rows.iso_text(when) == rows.iso_text(when) == when.isoformat()
    assert len(rows._OFFSET_TEXT) <= rows.MAX_OFFSETS


@given(st.lists(st.text(max_size=300), max_size=20))
def test_the_categories_placeholder_is_the_same_remembered_or_not(categories: list[str]) -> None:
    """_short decides only whether :categories is remembered, never what it is; long names are not kept."""
    when = datetime(2022, 1, 2)
    expected = "/".join(dict.fromkeys(x.lower() for x in categories))
    assert jekyll._PLACEHOLDERS["categories"](when, "s", categories, ".html") == expected
    assert jekyll._short(categories) == (len(categories) <= 16 and sum(map(len, categories)) <= 4096)



def test_a_line_of_names_is_split_and_cleaned_once() -> None:
    """The same line of names on post after post: split and cleaned once, each post given a list of
    its own; a line with something to remove still warns, on every post that has it."""
    from feeds.posts import EMPTY_FRONT_MATTER, _Fields, _names_of_line
    _names_of_line.cache_clear()
    lists = [_Fields(EMPTY_FRONT_MATTER, "x.md", data={"categories": "News  tech News"}).names("category", "categories")
             for _ in range(3)]
    assert lists == [["News", "tech", "News"]] * 3 and lists[0] is not lists[1]
    assert _names_of_line.cache_info().misses == 1 and _names_of_line.cache_info().hits == 2
    assert _Fields(EMPTY_FRONT_MATTER, "x.md", data={"category": "a b"}).names("category", "categories") == ["a b"]
    for _ in range(2):
        fields = _Fields(EMPTY_FRONT_MATTER, "x.md", data={"tags": "a\x08 b"})
        assert fields.names("tag", "tags") == ["a", "b"] and len(fields.problems) == 1


@given(st.lists(st.sampled_from(["a", "..", ".", "", "é", "x y", "b.md"]), min_size=1, max_size=5),
       st.sampled_from(["/site", "/", "/site/a"]))
def test_a_path_said_plain_is_said_as_before(parts: list[str], cwd: str) -> None:
    """display_path told that a path is plain (reading checked it once) says what it says unasked."""
    from feeds.errors import display_path, is_plain_absolute
    path = "/" + "/".join(parts)
    if is_plain_absolute(path):
        assert display_path(path, cwd, plain=True) == display_path(path, cwd)


@given(st.lists(st.sampled_from(["a", "..", ".", "", ".x", "x.", "é"]), max_size=5), st.booleans())
def test_a_clean_path_is_told_as_before(parts: list[str], rooted: bool) -> None:
    path = ("/" if rooted else "") + "/".join(parts)
    before = (path[:1] == "/" and "//" not in path and "/./" not in path and "/../" not in path
              and not path.endswith(("/.", "/..")))
    assert jekyll._is_clean(path) == before
