"""feeds.jekyll: Jekyll's date forms, file names, permalinks, URL escaping and post ids."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feeds.jekyll import (
    DateError,
    clean_path,
    escape_path,
    expand_permalink,
    jekyll_id,
    parse_date,
    split_filename,
    stray_year,
    titleize,
)

PLUS8 = timezone(timedelta(hours=8))
MINUS4 = timezone(timedelta(hours=-4))
WHEN = datetime(2022, 3, 4, 13, 23, 21, tzinfo=PLUS8)
DATE_STYLE = "/:categories/:year/:month/:day/:title:output_ext"
PRETTY_STYLE = "/:categories/:year/:month/:day/:title/"


@pytest.mark.parametrize("text, expected", [
    ("2022-03-04 13:23:21 +0800", datetime(2022, 3, 4, 13, 23, 21, tzinfo=PLUS8)),
    ("2022-03-04 13:23:21 +08:00", datetime(2022, 3, 4, 13, 23, 21, tzinfo=PLUS8)),
    ("2022-03-04T13:23:21+08:00", datetime(2022, 3, 4, 13, 23, 21, tzinfo=PLUS8)),
    ("2022-03-04 8:05:09 -0400", datetime(2022, 3, 4, 8, 5, 9, tzinfo=MINUS4)),
    ("2022-03-04T05:23:21Z", datetime(2022, 3, 4, 5, 23, 21, tzinfo=timezone.utc)),
    ("2022-03-04 05:23:21 UTC", datetime(2022, 3, 4, 5, 23, 21, tzinfo=timezone.utc)),
    ("2022-03-04 13:23:21.25 +0800", datetime(2022, 3, 4, 13, 23, 21, 250000, tzinfo=PLUS8)),
    ("2022-03-04 13:23 +0800", datetime(2022, 3, 4, 13, 23, tzinfo=PLUS8)),
    ("2022-03-04 13:23:21 +8", datetime(2022, 3, 4, 13, 23, 21, tzinfo=PLUS8)),
    ("2022-3-4 13:23:21 +0530", datetime(2022, 3, 4, 13, 23, 21, tzinfo=timezone(timedelta(hours=5, minutes=30)))),
])
def test_dates_with_an_offset_keep_it(text: str, expected: datetime) -> None:
    when, had_offset = parse_date(text)
    assert had_offset
    assert when == expected
    assert when.utcoffset() == expected.utcoffset()  # equal instants are not enough: the offset stays


@pytest.mark.parametrize("value, expected", [
    ("2022-03-04", datetime(2022, 3, 4)),
    ("2022-03-04 13:23:21", datetime(2022, 3, 4, 13, 23, 21)),
    ("  2022-03-04 9:00  ", datetime(2022, 3, 4, 9, 0)),
    (date(2022, 3, 4), datetime(2022, 3, 4)),
    (datetime(2022, 3, 4, 1, 2, 3), datetime(2022, 3, 4, 1, 2, 3)),
])
def test_dates_without_an_offset_stay_naive(value: object, expected: datetime) -> None:
    when, had_offset = parse_date(value)
    assert (when, had_offset) == (expected, False)
    assert when.tzinfo is None  # the caller applies the site's timezone, never the machine's


def test_an_aware_datetime_is_taken_as_it_is() -> None:
    assert parse_date(WHEN) == (WHEN, True)


@pytest.mark.parametrize("text, says", [
    ("2022-13-40", "not a real date"),
    ("2022-02-30 10:00:00 +0800", "not a real date"),
    ("yesterday", "2022-03-04 13:23:21 +0800"),
    ("+0800", "cannot read"),
    ("2022-03-04 13:23:21 +2500", "out of range"),
])
def test_unreadable_dates_say_what_to_write(text: str, says: str) -> None:
    with pytest.raises(DateError, match=r"(?i)" + says.replace("+", r"\+")):
        parse_date(text)


@pytest.mark.parametrize("name, expected", [
    ("2022-03-04-hello-world.md", ("2022-03-04", "hello-world")),
    ("2022-3-4-short.markdown", ("2022-3-4", "short")),
    ("2022-03-04-report.aspx.markdown", ("2022-03-04", "report.aspx")),
    ("2022-03-04-快递新闻.md", ("2022-03-04", "快递新闻")),
    ("hello.md", (None, "hello")),
    ("-2022-03-04-no-date.md", (None, "-2022-03-04-no-date")),
])
def test_split_filename(name: str, expected: tuple[str | None, str]) -> None:
    assert split_filename(name) == expected


def test_titleize_makes_words_from_a_slug() -> None:
    # Jekyll's Utils.titleize_slug: split at '-', each word capitalised (the rest lower case)
    assert titleize("hello-world_again  twice") == "Hello World_again  twice"
    assert titleize("blank-line-BEFORE-front-matter") == "Blank Line Before Front Matter"


def test_escape_path_encodes_non_ascii_spaces_and_percent_but_keeps_slashes() -> None:
    assert escape_path("/新闻/a b/100%.html") == "/%E6%96%B0%E9%97%BB/a%20b/100%25.html"
    assert escape_path("/a:b@c!$&'()*+,;=-._~/") == "/a:b@c!$&'()*+,;=-._~/"
    assert escape_path("/what?#x") == "/what%3F%23x"


@given(st.text(alphabet=st.characters(exclude_categories=("Cs",))))
def test_escape_path_is_ascii_and_reversible(text: str) -> None:
    escaped = escape_path(text)
    assert escaped.isascii()
    assert " " not in escaped and "?" not in escaped and "#" not in escaped
    assert unquote(escaped) == text


@pytest.mark.parametrize("path, expected", [
    ("/a/../b//./c/", "/a/b/c/"),
    ("../../etc/passwd", "/etc/passwd"),
    ("a/b.html", "/a/b.html"),
    ("///", "/"),
])
def test_clean_path_never_climbs_or_doubles_slashes(path: str, expected: str) -> None:
    assert clean_path(path) == expected


@given(st.lists(st.sampled_from(["a", "..", ".", "", "b c", "新"]), max_size=8))
def test_clean_path_segments_are_never_dots_or_empty(parts: list[str]) -> None:
    cleaned = clean_path("/".join(parts))
    assert cleaned.startswith("/")
    inner = cleaned.strip("/")
    assert all(seg not in ("", ".", "..") for seg in inner.split("/")) or inner == ""


@pytest.mark.parametrize("pattern, categories, expected", [
    (DATE_STYLE, ["news"], "/news/2022/03/04/Hello-World.html"),
    (DATE_STYLE, [], "/2022/03/04/Hello-World.html"),
    (DATE_STYLE, ["TechWeb", "techweb", "Guoji"], "/techweb/guoji/2022/03/04/Hello-World.html"),
    (PRETTY_STYLE, ["news"], "/news/2022/03/04/Hello-World/"),
    ("/:categories/:year/:y_day/:title:output_ext", [], "/2022/063/Hello-World.html"),
    ("/:short_year/:i_month/:i_day/:slug/", [], "/22/3/4/hello-world/"),
    ("/:year/W:week/:short_day/:title:output_ext", [], "/2022/W09/Fri/Hello-World.html"),
    ("/:hour:minute:second/:name", [], "/132321/Hello-World"),
    ("/blog/:title.html", ["a b"], "/blog/Hello-World.html"),
])
def test_expand_permalink(pattern: str, categories: list[str], expected: str) -> None:
    assert expand_permalink(pattern, WHEN, "Hello World", categories, ".html") == expected


def test_expand_permalink_keeps_unicode_unescaped_for_the_caller_to_escape() -> None:
    path = expand_permalink(DATE_STYLE, WHEN, "快递", ["新闻"], ".html")
    assert path == "/新闻/2022/03/04/快递.html"
    assert escape_path(path) == "/%E6%96%B0%E9%97%BB/2022/03/04/%E5%BF%AB%E9%80%92.html"


@pytest.mark.parametrize("url_path, slug, expected", [
    # jekyll-feed's <id> is Jekyll's post.id: File.join(File.dirname(url), slug)
    ("/cat/2022/03/04/slug.html", "slug", "/cat/2022/03/04/slug"),
    ("/cat/2022/03/04/slug/", "slug", "/cat/2022/03/04/slug"),  # Ruby's dirname ignores the last '/'
    ("/special/page.html", "my-post", "/special/my-post"),
    ("/page.html", "my-post", "/my-post"),
    ("/%E6%96%B0%E9%97%BB/a%20b/2022/03/04/x.html", "x", "/%E6%96%B0%E9%97%BB/a%20b/2022/03/04/x"),
    ("/news/2022/03/04/x.html", "快递", "/news/2022/03/04/%E5%BF%AB%E9%80%92"),
])
def test_jekyll_id_is_the_url_folder_and_the_slug(url_path: str, slug: str, expected: str) -> None:
    assert jekyll_id(url_path, slug) == expected


@pytest.mark.parametrize(("text", "head"), [
    ("2023-01-29 18:30:22 2023 -0800", "2023-01-29 18:30:22"),  # what Ruby's Date._parse keeps
    ("2023-01-29 18:30 2023 +0800", "2023-01-29 18:30"),
    ("2023-01-29 18:30:22 2024 -0800", None),  # another year is not a repeat: refused as before
    ("2023-01-29 18:30:22 -0800", None),  # a good date is not this case
    ("2023-01-29 2023 -0800", None),  # no time: Ruby keeps nothing sensible either
])
def test_a_year_repeated_after_the_time_is_read_as_jekyll_reads_it(text: str, head: str | None) -> None:
    assert stray_year(text) == head


@given(st.text())
def test_stray_year_never_raises_and_gives_a_readable_date(text: str) -> None:
    head = stray_year(text)
    if head is not None:
        assert text.strip().startswith(head)
        try:
            parse_date(head)
        except DateError:  # a date that is not real (month 13) is refused as any other
            pass
