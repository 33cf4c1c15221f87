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
