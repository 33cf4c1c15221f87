"""Reading made cheaper (issue 10, r2read): each shortcut gives what the long way gave, on
arbitrary input, and the long way is no longer taken where the shortcut applies."""
from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from conftest import make_post, unit_config
from hypothesis import example, given
from hypothesis import strategies as st

from feeds import errors, jekyll, posts, rows
from feeds.errors import Problem, display_path
from feeds.posts import NEVER, read_post, site_zone

PATH_TEXT = st.one_of(
    st.text(),
    st.lists(st.sampled_from(["", ".", "..", "a", "b c", "é", "x.md", "\udcff"]), max_size=6).map("/".join),
    st.lists(st.sampled_from(["", ".", "..", "a", "_posts", "é"]), max_size=6).map(lambda p: "/" + "/".join(p)),
)


def old_display_path(path: str) -> str:
    text = os.path.abspath(path)
    cwd = os.getcwd()
    if text.startswith(cwd + os.sep):
        text = text[len(cwd) + 1:]
    return text if text.isascii() else errors.printable(text)


@given(PATH_TEXT)
@example("/")
@example("/a/../b")
@example("/a/..")
@example("/a/.")
@example("/a//b")
@example("/a/b/")
def test_display_path_is_what_abspath_gave(path: str) -> None:
    if "\x00" in path:
        return
    assert display_path(path) == old_display_path(path)
    assert display_path(Path(path) if path else path) == old_display_path(path)


def test_display_path_of_a_plain_absolute_path_skips_abspath(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = os.path.abspath
    monkeypatch.setattr(errors.os.path, "abspath", lambda p: calls.append(p) or real(p))
    here = os.getcwd()
    assert display_path(here + "/_posts/2022-01-01-x.md") == "_posts/2022-01-01-x.md"
    assert calls == []
    display_path(here + "/_posts/../x.md")  # '..' left to abspath
    display_path("_posts/x.md")
    assert len(calls) == 2


@given(st.text())
@example("/2022/01/02/a b.html")
@example("/%41/é/~x-y_z.html")
@example("/a\udcff")
def test_escape_path_is_quote(path: str) -> None:
    try:
        expected = quote(path, safe=jekyll._PATH_SAFE)
    except UnicodeEncodeError:
        with pytest.raises(UnicodeEncodeError):
            jekyll.escape_path(path)
        return
    assert jekyll.escape_path(path) == expected


def test_a_safe_path_is_not_quoted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jekyll, "quote", lambda *a, **k: pytest.fail("quoted a path with nothing to escape"))
    assert jekyll.escape_path("/2022/01/02/a-b_c~d.html") == "/2022/01/02/a-b_c~d.html"


@pytest.mark.parametrize("date", ["2022-01-02 10:00:00 +0800", "2022-01-02 10:00:00", "2022-01-02",
                                  "2022-01-02 25:00:00", "2023-01-29 18:30:22 2023 -0800"])
def test_the_front_matter_date_is_read_once(make_site: Any, monkeypatch: pytest.MonkeyPatch, date: str) -> None:
    """It was parsed twice: once to see whether it had an offset, once to read it."""
    config = make_site({"_posts/2021-05-05-x.md": f"---\ntitle: X\ndate: {date}\n---\nbody\n"},
                       {"site": {"url": "https://x.test"}, "timezone": "Asia/Shanghai"})
    seen: list[Any] = []
    real = jekyll.parse_date
    monkeypatch.setattr(posts.jekyll, "parse_date", lambda value: seen.append(value) or real(value))
    from feeds.config import load_config
    cfg = load_config(config)
    file = config.parent / "_posts/2021-05-05-x.md"
    read_post(file, config.parent, cfg, site_zone(cfg), NEVER)
    assert [v for v in seen if str(v).strip() == date] == [date]


CHAR = st.characters(blacklist_categories=["Cs"]) | st.sampled_from(["\udcff", "\x00", "\u2028", '"', "\\"])
TEXT = st.text(CHAR, max_size=20)
WHEN = st.datetimes(datetime(1000, 1, 1), datetime(9999, 1, 1),
                    timezones=st.sampled_from([timezone.utc, timezone(timedelta(hours=8)),
                                               timezone(timedelta(hours=-3, minutes=-30))]))


@given(st.fixed_dictionaries({
    "title": TEXT, "categories": st.lists(TEXT, max_size=3).map(tuple), "tags": st.lists(TEXT, max_size=3).map(tuple),
    "author": TEXT, "summary": TEXT, "markdown": st.booleans(), "body_start": st.integers(0, 1 << 40),
    "body_line": st.integers(1, 1 << 20), "lang": TEXT, "excerpt_only": st.booleans(), "liquid": st.integers(0, 7),
    "image": TEXT, "date": WHEN, "updated": WHEN, "path": TEXT, "file": TEXT, "digest": TEXT, "url": TEXT,
    "id": TEXT}),
    st.lists(st.tuples(TEXT, st.none() | st.integers(1, 10**6), TEXT, st.sampled_from(["error", "warning"])),
             max_size=3),
    st.integers(0, 3))
def test_read_row_is_json_dumps(fields: dict[str, Any], said: list[tuple[Any, ...]], flags: int) -> None:
    post = make_post(**fields)
    problems = [Problem(*p) for p in said]
    old = [getattr(post, name) for name in rows._FIELDS]
    old[rows._FIELDS.index("date")] = post.date.isoformat()
    old[rows._FIELDS.index("updated")] = post.updated.isoformat()
    expected = json.dumps([old, [[p.path, p.line, p.message, p.level] for p in problems], flags], ensure_ascii=False)
    assert rows.read_row((post, problems, flags)) == expected
    assert rows.post_to_json(post) == old


def test_read_row_makes_no_encoder_per_post(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rows.json, "dumps", lambda *a, **k: pytest.fail("json.dumps per row"))
    monkeypatch.setattr(rows.json, "JSONEncoder", lambda *a, **k: pytest.fail("an encoder per row"))
    post = make_post(categories=("a", "é"), file="/x/_posts/post.md")
    assert json.loads(rows.read_row((post, [Problem("x", None, "m")], 1)))[2] == 1



def test_an_offset_is_made_once() -> None:
    assert jekyll._offset("+0800") is jekyll._offset("+0800")
    with pytest.raises(jekyll.DateError):
        jekyll._offset("+1500")
    with pytest.raises(jekyll.DateError):  # a refusal is not remembered as an answer
        jekyll._offset("+1500")


def test_each_key_is_typed_once_per_reader() -> None:
    from feeds import fastyaml
    asked: list[str] = []

    def plain(text: str) -> Any:
        asked.append(text)
        return text

    assert fastyaml.read_simple("title: a\nslug: b\n", plain) == {"title": "a", "slug": "b"}
    assert asked == ["title", "a", "slug", "b"]
    asked.clear()
    assert fastyaml.read_simple("title: c\nslug: d\n", plain) == {"title": "c", "slug": "d"}
    assert asked == ["c", "d"]


def old_plain_value(text: str) -> Any:
    from feeds import yamlload
    for tag, pattern in yamlload._IMPLICIT.get(text[0], []) + yamlload._IMPLICIT.get(None, []):
        if pattern.match(text):
            if tag == yamlload._NULL:
                return None
            if tag == yamlload._TIMESTAMP:
                return yamlload.Timestamp(text)
            raise LookupError(tag)
    return text


@given(st.text(min_size=1) | st.sampled_from(["~", "null", "Null", "2022-01-02", "2022-01-02 10:00:00 +08:00",
                                             "<<", "=", "true", "1.5", ".inf", "0x1f"]))
def test_a_plain_scalar_is_typed_as_before(text: str) -> None:
    from feeds import yamlload
    try:
        expected: Any = ("ok", old_plain_value(text))
    except LookupError as exc:
        expected = ("lookup", str(exc))
    try:
        got: Any = ("ok", yamlload._plain_value(text))
    except LookupError as exc:
        got = ("lookup", str(exc))
    assert got == expected and type(got[1]) is type(expected[1])


def test_a_post_file_is_asked_its_size_once_in_reading(make_site: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """_read_task asked the file system for the size and mtime, then read_source asked again."""
    import dataclasses

    from feeds import reading
    from feeds.config import load_config
    config = make_site({"_posts/2022-01-02-x.md": "---\ntitle: X\n---\nbody\n"}, {"site": {"url": "https://x.test"}})
    cfg = dataclasses.replace(load_config(config), jobs=1)
    file = str(config.parent.resolve() / "_posts/2022-01-02-x.md")
    asked: list[str] = []
    real, real_fstat = os.stat, os.fstat
    monkeypatch.setattr(os, "stat", lambda p, *a, **k: asked.append(str(p)) or real(p, *a, **k))
    monkeypatch.setattr(os, "fstat", lambda fd: asked.append("fstat") or real_fstat(fd))
    monkeypatch.setattr(reading.parallel, "context", lambda kind: reading.ReadContext(cfg, (file,), frozenset()))
    size, mtime, _, result, _, _ = reading._read_task(0)
    assert asked.count(file) + asked.count("fstat") == 1 and result[0] is not None
    assert (size, mtime) == (real(file).st_size, real(file).st_mtime_ns)
    assert read_source_same(file)


def read_source_same(file: str) -> bool:
    from feeds.sources import read_source
    return read_source(file, 1 << 30, os.stat(file).st_size) == read_source(file, 1 << 30) and \
        read_source(file, 3, os.stat(file).st_size) == read_source(file, 3)


@given(st.lists(st.sampled_from(["/", ".", "a", "..", "é", " "]), max_size=12).map("".join) | st.text())
@example("/")
@example("/a/")
@example("/.")
@example("/a/..")
@example("/./a")
def test_clean_path_keeps_a_clean_path_as_it_was(path: str) -> None:
    parts = [p for p in path.split("/") if p not in ("", ".", "..")]
    assert jekyll.clean_path(path) == "/" + "/".join(parts) + ("/" if path.endswith("/") and parts else "")


def test_a_clean_path_is_not_split(monkeypatch: pytest.MonkeyPatch) -> None:
    assert jekyll._is_clean("/2022/01/02/a.html") and not jekyll._is_clean("/a//b")
    assert jekyll.clean_path("/2022/01/02/a.html") == "/2022/01/02/a.html"
    assert not jekyll._is_clean("/a/./b") and not jekyll._is_clean("a/b") and not jekyll._is_clean("/a/..")


@pytest.mark.parametrize("names", ["[a, [b]]", "[a, {b: c}]", "[1, a, 2022-01-02, ~]", "a b  c", "[]"])
def test_names_read_as_before(make_site: Any, names: str) -> None:
    """names() walks its items once (it was any() over a generator, then a list): same names, same problems."""
    import reading_oracle as old

    from feeds.config import load_config
    config = make_site({"_posts/2022-01-02-x.md": f"---\ntitle: X\ncategories: {names}\ntags: {names}\n---\nb\n"},
                       {"site": {"url": "https://x.test"}})
    cfg = load_config(config)
    file = config.parent / "_posts/2022-01-02-x.md"
    new = read_post(file, config.parent, cfg, site_zone(cfg), NEVER)
    assert new == old.read_post(file, config.parent, cfg, site_zone(cfg), NEVER)


def test_the_site_zone_is_made_once_per_name(monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses
    from zoneinfo import ZoneInfo
    made: list[str] = []
    monkeypatch.setattr(posts, "ZoneInfo", lambda name: made.append(name) or ZoneInfo(name))
    posts._zone_named.cache_clear()
    cfg = dataclasses.replace(unit_config(), timezone="Asia/Shanghai")
    assert site_zone(cfg) is site_zone(cfg) is ZoneInfo("Asia/Shanghai")
    assert made == ["Asia/Shanghai"]
    for name in ("", "UTC", "utc"):
        assert site_zone(dataclasses.replace(cfg, timezone=name)) is timezone.utc
    posts._zone_named.cache_clear()


@given(st.lists(st.sampled_from(["A", "a", "B", "é", "É", "x y"]), max_size=5))
def test_the_categories_placeholder_is_as_before(categories: list[str]) -> None:
    when = datetime(2022, 1, 2, tzinfo=timezone.utc)
    expected = "/".join(dict.fromkeys(x.lower() for x in categories))
    assert jekyll._PLACEHOLDERS["categories"](when, "s", categories, ".html") == expected
