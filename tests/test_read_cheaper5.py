"""Reading made cheaper once more (issue 10, read5): each shortcut gives exactly what main's code
(23d5344, kept verbatim below where it was replaced) gave, on arbitrary input, and the long way is
no longer taken where the shortcut applies."""
from __future__ import annotations

import os
import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import reading_oracle as old
from hypothesis import example, given
from hypothesis import strategies as st
from test_fastyaml import DOCUMENTS, same_as_pyyaml

from feeds import fastyaml, jekyll, sources, yamlload
from feeds.fastyaml import read_simple

# --- main's code that this replaced, verbatim --------------------------------------------

_MAIN_FILENAME_DATE = re.compile(r"^(\d{2,4}-\d{1,2}-\d{1,2})-(.*?)(\.[^.]+)?\Z", re.S)


def main_split_filename(name: str) -> tuple[str | None, str]:
    match = _MAIN_FILENAME_DATE.match(name)
    if match:
        return match.group(1), match.group(2).rstrip(".")
    return None, name.rsplit(".", 1)[0].rstrip(".")


def main_expand_permalink(pattern: str, when: datetime, slug: str, categories: list[str], ext: str) -> str:
    parts = list(jekyll._tokens(pattern))
    for i in range(1, len(parts), 2):
        parts[i] = jekyll._PLACEHOLDERS[parts[i]](when, slug, categories, ext)
    return jekyll.clean_path("".join(parts))


def outcome(fn: Callable[..., Any], *args: Any) -> Any:
    try:
        return "ok", fn(*args)
    except ValueError as exc:
        return type(exc).__name__, str(exc)


def refusing(name: str) -> Any:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"{name} was used")
    return refuse


# --- the permalink: one %-template a pattern ------------------------------------------------

PIECES = [":year", ":month", ":i_month", ":day", ":i_day", ":hour", ":minute", ":second", ":short_year", ":y_day",
          ":week", ":short_day", ":long_day", ":short_month", ":long_month", ":title", ":name", ":slug",
          ":categories", ":output_ext", "/", "%", "%s", "%d", "%%", "{", "}", "{0}", ":", "a", "中", ".", "..", "-"]


@given(st.lists(st.sampled_from(PIECES), max_size=10).map("".join),
       st.datetimes(min_value=datetime(1000, 1, 1),
                    timezones=st.sampled_from([timezone.utc, timezone(timedelta(hours=8))])),
       st.text(st.sampled_from(list("aZ9 -_.%中é")), max_size=6),
       st.lists(st.sampled_from(["news", "A b", "中文", "%", "x/y", ""]), max_size=3))
@example("/%/:year/%d/{x}/:title%s", datetime(2019, 1, 1, 3, 8, 5), "Hello World", ["新闻"])
@example("/%%/plain/", datetime(2019, 1, 1), "x", [])
def test_expand_permalink_is_mains(pattern: str, when: datetime, slug: str, categories: list[str]) -> None:
    pattern = "/" + pattern
    assert jekyll.expand_permalink(pattern, when, slug, categories, ".html") == \
        main_expand_permalink(pattern, when, slug, categories, ".html")


def test_the_date_of_a_permalink_is_formatted_without_a_function_a_placeholder(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in jekyll._OF_THE_DATE:
        monkeypatch.setitem(jekyll._PLACEHOLDERS, name, refusing(name))
    when = datetime(2022, 3, 4, 13, 23, 21)
    path = jekyll.expand_permalink("/:year/:month/:day/:i_month/:i_day/:hour:minute:second/:title.html", when,
                                   "x y", [], ".html")
    assert path == "/2022/03/04/3/4/132321/x-y.html"


# --- the file name's date and slug, and the slug, without a backtracking pattern -------------

@given(st.one_of(st.text(st.sampled_from(list("0123456789-.a中\n")), max_size=16),
                 st.builds(lambda d, s: d + s, st.sampled_from(["2022-03-04-", "22-3-4-", "2022-03-04", "٢٠٢٢-٣-٤-"]),
                           st.text(st.sampled_from(list(".ab-\n中")), max_size=8))))
@example("2022-03-04-.md")
@example("2022-03-04-a.")
@example("2022-03-04-a.b.c")
@example("2022-03-04-a..")
def test_split_filename_is_mains(name: str) -> None:
    assert jekyll.split_filename(name) == main_split_filename(name)


def test_a_file_name_is_split_without_the_lazy_pattern(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jekyll, "FILENAME_DATE", refusing("FILENAME_DATE"))
    assert jekyll.split_filename("2019-01-01-kanbaoma-xinxin-jian-3r5.md") == ("2019-01-01", "kanbaoma-xinxin-jian-3r5")


@given(st.text(st.sampled_from(list("ab9-_.~!$&'()+,;=@ /#%")), max_size=12))
@example("-a")
@example("a--b")
def test_pretty_slug_of_ascii_is_mains(text: str) -> None:
    assert jekyll.pretty_slug.__wrapped__(text) == old.pretty_slug.__wrapped__(text)


def test_a_slug_that_is_its_own_slug_is_not_rewritten(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jekyll, "_ASCII_NOT_KEPT", refusing("_ASCII_NOT_KEPT"))
    assert jekyll.pretty_slug.__wrapped__("kanbaoma-xinxin-jian-3r5") == "kanbaoma-xinxin-jian-3r5"


# --- a date with its offset, without the pattern ---------------------------------------------

ZONED = st.builds(lambda day, sep, time, gap, sign, offset: day + sep + time + gap + sign + offset,
                  st.sampled_from(["2019-01-01", "2019-02-30", "0999-01-01", "2019-1-01", "２０１９-01-01"]),
                  st.sampled_from([" ", "T", "t", "  "]),
                  st.sampled_from(["13:58:55", "24:00:00", "13:5:55", "1:58:55"]),
                  st.sampled_from([" ", "", "  ", "\t"]), st.sampled_from(["+", "-", "", "x"]),
                  st.sampled_from(["0800", "08:00", "1400", "1401", "1500", "0860", "080:0", "８００", "08000",
                                   "0:800", "٠٨٠٠", "0８00", "08²0"]))


@given(ZONED)
@example("2019-01-01 13:58:55 +0800")
@example("2019-01-01 13:58:55 -14:00")
def test_parse_date_with_an_offset_is_mains(text: str) -> None:
    for _ in range(2):
        assert outcome(jekyll.parse_date, text) == outcome(old.parse_date, text)


def test_a_date_with_its_offset_is_not_matched_by_the_pattern(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jekyll, "_DATE", refusing("_DATE"))
    assert jekyll.parse_date("2019-01-01 13:58:55 +0800") == (
        datetime(2019, 1, 1, 13, 58, 55, tzinfo=timezone(timedelta(hours=8))), True)
    assert jekyll.parse_date("2019-01-01 13:58:55 -05:30")[0].utcoffset() == -timedelta(hours=5, minutes=30)


# --- front matter: key: value rows found by one search; a date with an offset typed at once --

@given(ZONED)
def test_a_timestamp_with_an_offset_is_typed_as_pyyaml_types_it(text: str) -> None:
    same_as_pyyaml(f"\ndate: {text}\n")
    same_as_pyyaml(f"\ntags: [{text}]\n")


def test_a_date_with_an_offset_runs_no_pattern(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yamlload, "_RESOLVERS", type("Refusing", (), {"get": refusing("the patterns")})())
    assert yamlload._plain_value("2019-01-01 13:58:55 +0800") == "2019-01-01 13:58:55 +0800"


ROWS = st.lists(st.builds(lambda k, v: f"{k}: {v}", st.sampled_from(["title", "date", "tags", "a.b", "x-y", "_k"]),
                          st.sampled_from(["post", '"a b"', "'a'", "[a, b]", "2019-01-01 13:58:55 +0800", "null",
                                           '"a"b"', "", " ", "a #b", "[a, 'b,c']", "- a", "中文"])), max_size=6)


@given(st.one_of(DOCUMENTS, ROWS.map(lambda rows: "\n" + "".join(row + "\n" for row in rows))))
@example("\nlayout: post\ntitle: \"t\"\ndate: 2019-01-01 13:58:55 +0800\ntags: [a, b]\n")
@example("\na: b\n\nc: d\n")
@example("\na: b\na: c\n")
def test_rows_found_by_one_search_are_the_rows_read_line_by_line(text: str) -> None:
    fast_rows: dict[str, int] = {}
    slow_rows: dict[str, int] = {}
    fast = fastyaml._only_rows(text, yamlload._plain_value, fast_rows)
    if fast is not fastyaml._NONE:
        assert fast == fastyaml._by_lines(text, yamlload._plain_value, slow_rows)
        assert fast_rows == slow_rows
        assert list(map(type, fast.values())) == list(map(type, fastyaml._by_lines(text, yamlload._plain_value,
                                                                                  None).values()))
    same_as_pyyaml(text)


def test_the_commonest_front_matter_is_not_read_line_by_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fastyaml, "_by_lines", refusing("_by_lines"))
    rows: dict[str, int] = {}
    text = '\nlayout: post\ntitle: "全面 举行"\ndate: 2019-01-01 13:58:55 +0800\ncategories: a b\ntags: [理论, 党建]\n'
    assert read_simple(text, yamlload._plain_value, rows) == {
        "layout": "post", "title": "全面 举行", "date": "2019-01-01 13:58:55 +0800", "categories": "a b",
        "tags": ["理论", "党建"]}
    assert rows == {"layout": 1, "title": 2, "date": 3, "categories": 4, "tags": 5}


# --- a file read to its end in one read ------------------------------------------------------

def test_a_whole_regular_file_is_read_in_one_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "post.md"
    path.write_bytes(b"---\ntitle: x\n---\n" * 100)
    reads: list[int] = []
    real = os.read
    monkeypatch.setattr(sources.os, "read", lambda fd, n: reads.append(n) or real(fd, n))
    assert sources.read_post_file(str(path), 1 << 30)[-1].text == "---\ntitle: x\n---\n" * 100
    assert len(reads) == 1


def test_what_is_not_a_regular_file_is_read_to_its_end(tmp_path: Path) -> None:
    read_end, write_end = os.pipe()
    os.write(write_end, b"abc" * 1000)
    os.close(write_end)
    try:
        assert sources._read_to_end(read_end, 2, regular=False) == b"abc" * 1000  # a short read is no end here
    finally:
        os.close(read_end)


# --- the entry id's folder, and the future, without their library calls --------------------

def main_jekyll_id(url_path: str, slug: str) -> str:
    import posixpath
    folder = posixpath.dirname(url_path.rstrip("/") or "/")
    return folder.rstrip("/") + "/" + jekyll.escape_path(slug)


@given(st.text(st.sampled_from(list("/a.中 ")), max_size=10), st.text(st.sampled_from(list("a/ %中")), max_size=4))
@example("/", "x")
@example("//a//b//", "x")
def test_jekyll_id_is_mains(url_path: str, slug: str) -> None:
    assert jekyll.jekyll_id(url_path, slug) == main_jekyll_id(url_path, slug)


@pytest.mark.parametrize("date, kept", [("2022-03-04 10:00:00 +0800", True), ("9999-12-31 23:00:00 +0500", True),
                                        ("9999-12-31 23:00:00 -0500", False)])
def test_reading_for_the_cache_leaves_out_only_what_is_later_than_never(tmp_path: Path, date: str, kept: bool,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from conftest import unit_config

    from feeds import posts
    path = tmp_path / "_posts" / "2022-03-04-a.md"
    path.parent.mkdir()
    path.write_text(f"---\ntitle: T\ndate: {date}\n---\nBody\n")
    cfg = unit_config(tmp_path)
    zone = posts.site_zone(cfg)
    assert (posts.read_post(str(path), str(tmp_path), cfg, zone, posts.NEVER)[0] is not None) is kept
    assert old.read_post(path, tmp_path, cfg, zone, posts.NEVER)[0:2] == posts.read_post(
        path, tmp_path, cfg, zone, posts.NEVER)[0:2]


def test_the_entry_ids_folder_is_found_without_posixpath(monkeypatch: pytest.MonkeyPatch) -> None:
    import posixpath
    monkeypatch.setattr(posixpath, "dirname", refusing("posixpath.dirname"))
    assert jekyll.jekyll_id("/a/b/2022/03/04/x.html", "x") == "/a/b/2022/03/04/x"


def test_a_date_is_not_matched_against_a_lone_offset(monkeypatch: pytest.MonkeyPatch) -> None:
    from feeds import posts
    monkeypatch.setattr(posts, "_ONLY_OFFSET", refusing("_ONLY_OFFSET"))
    f = posts._Fields(posts.FrontMatter({"date": "2022-03-04 10:00:00 +0800"}, 0, 1, {}), "x.md")
    assert f.date("date", timezone.utc) == (datetime(2022, 3, 4, 10, tzinfo=timezone(timedelta(hours=8))), False)


@pytest.mark.parametrize("value", ["+0800", "Z", "utc", " -05:00 ", "８"])
def test_a_lone_offset_is_still_refused_as_before(value: str) -> None:
    from feeds import posts
    now = posts._Fields(posts.FrontMatter({"date": value}, 0, 1, {"date": 2}), "x.md")
    was = old._Fields(posts.FrontMatter({"date": value}, 0, 1, {"date": 2}), "x.md")
    assert outcome(now.date, "date", timezone.utc) == outcome(was.date, "date", timezone.utc)
    assert now.problems == was.problems


@pytest.mark.parametrize("step", [1, 7, 4096])
def test_a_regular_file_read_short_of_its_size_is_read_on_to_its_end(tmp_path: Path, step: int,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # a read may give fewer bytes than asked before the end (a network or FUSE file system, a
    # signal): only a read of exactly the size the file has is taken as its end
    path = tmp_path / "post.md"
    text = "---\ntitle: x\n---\n" + "body\n" * 3000
    path.write_text(text)
    real = os.read
    monkeypatch.setattr(sources.os, "read", lambda fd, n: real(fd, min(n, step)))
    assert sources.read_post_file(str(path), 1 << 30)[-1].text == text
    fd = os.open(path, os.O_RDONLY)
    try:
        assert sources._read_to_end(fd, os.fstat(fd).st_size, regular=True) == text.encode()
    finally:
        os.close(fd)
