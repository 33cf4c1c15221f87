"""The read stage's per-post work, cut once more (issue 10, read10): each step a common post no
longer takes is checked here by counting or refusing it, and each shortcut is held to the long way
on arbitrary input. That the Posts, problems and rows stay what they were is held by
tests/test_reading_oracle.py (read_post against main's code), tests/test_fastyaml.py (the front
matter reader against PyYAML) and tests/test_read_cheaper*.py (dates against main's code)."""
from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from conftest import unit_config
from hypothesis import example, given
from hypothesis import strategies as st
from test_fastyaml import same_as_pyyaml
from test_read_cheaper5 import outcome, refusing  # the helpers of the earlier rounds' read tests

from feeds import fastyaml, jekyll, parallel, posts, reading, signature, yamlload
from feeds.posts import NEVER, read_post

COMMON = ('---\nlayout: post\ntitle: "扎实新闻 降低学生"\ndate: 2019-01-01 02:30:34\n'
          "categories: zhongguo huojiquandi\ntags: [成都理论, 南京苏州报道]\n---\n\nBody {x}.\n")


def _write_post(tmp_path: Path, text: str = COMMON) -> Path:
    path = tmp_path / "_posts" / "2019-01-01-x.md"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# --- the keys a post does not set are not asked for one by one --------------------------------

def test_a_common_post_asks_fields_text_for_its_title_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write_post(tmp_path)
    cfg = unit_config(tmp_path)
    expected = read_post(str(path), str(tmp_path), cfg, posts.timezone.utc, NEVER)
    asked: list[tuple[str, ...]] = []
    real = posts._Fields.text
    monkeypatch.setattr(posts._Fields, "text", lambda self, *keys: asked.append(keys) or real(self, *keys))
    assert read_post(str(path), str(tmp_path), cfg, posts.timezone.utc, NEVER) == expected
    assert asked == [("title",)]


@pytest.mark.parametrize("row", ["slug: s", "permalink: /p/:title/", "id: tag:x.org,2022:1", "guid: /g",
                                 "updated: 2019-02-01", "description: d", "excerpt: e", "lang: zh", "author: a",
                                 "authors: [b]", "slug:", "lang: ''"])
def test_a_key_the_post_sets_is_still_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, row: str) -> None:
    """Each key looked for with 'in' is read as before when the post sets it (the oracle compares
    every field with main's reading; here: the key is asked for at all)."""
    path = _write_post(tmp_path, COMMON.replace("layout: post", row))
    asked: list[str] = []
    real = posts._Fields.text
    monkeypatch.setattr(posts._Fields, "text", lambda self, *keys: asked.extend(keys) or real(self, *keys))
    post, problems, _ = read_post(str(path), str(tmp_path), unit_config(tmp_path), posts.timezone.utc, NEVER)
    assert post is not None and not [p for p in problems if p.is_error]
    key = row.split(":")[0]
    assert key in asked or (key == "updated" and post.updated > post.date)


# --- fastyaml: a known key and a remembered value take no call --------------------------------

def test_a_remembered_value_and_a_known_key_are_not_read_again(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "\nlayout: post\ncategories: zhongguo\n"
    first = fastyaml.read_simple(text, yamlload._plain_value)
    monkeypatch.setattr(fastyaml, "_value", refusing("_value"))
    monkeypatch.setattr(fastyaml, "_plain_key", refusing("_plain_key"))
    assert fastyaml.read_simple(text, yamlload._plain_value) == first == {"layout": "post", "categories": "zhongguo"}


@given(st.lists(st.sampled_from(["a", "b", "[a, b]", "[a]", "'a'", '"b"', "[]", "null", "~", "2019-01-01 02:30:34",
                                 "x: y", "#c", "'[a]'"]), min_size=1, max_size=4))
def test_values_read_twice_are_read_as_the_first_time(values: list[str]) -> None:
    """The second reading (keys known, values remembered) is what PyYAML reads, as the first is."""
    text = "\n" + "".join(f"k{i}: {value}\n" for i, value in enumerate(values))
    for _ in range(2):
        same_as_pyyaml(text)


def test_a_long_key_is_never_known(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only keys the length check passed are kept: a known key skips that check."""
    key = "k" * (fastyaml.MAX_KEY + 1)
    assert fastyaml._plain_key(key, yamlload._plain_value)
    assert key not in fastyaml._keys_of(yamlload._plain_value)


# --- front matter: what YAML refuses told by isprintable, once ---------------------------------

def test_every_printable_character_is_one_yaml_takes_and_fastyaml_is_sure_of() -> None:
    """``fastyaml.all_printable`` vouches for the text only when no search could find anything: every
    character NOT_YAML or _UNSURE names (the backslash aside, looked for apart) is not printable."""
    for code in range(0x110000):
        char = chr(code)
        if char.isprintable():
            assert yamlload.NOT_YAML.match(char) is None, hex(code)
            assert char == "\\" or fastyaml._UNSURE.match(char) is None, hex(code)


def test_printable_front_matter_is_not_searched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write_post(tmp_path)
    cfg = unit_config(tmp_path)
    expected = read_post(str(path), str(tmp_path), cfg, posts.timezone.utc, NEVER)
    for module, name in ((posts, "NOT_YAML"), (yamlload, "NOT_YAML"), (fastyaml, "_UNSURE")):
        monkeypatch.setattr(module, name, type("Refusing", (), {"search": refusing(name)})())
    assert read_post(str(path), str(tmp_path), cfg, posts.timezone.utc, NEVER) == expected


@pytest.mark.parametrize("row", ["title: a\\b", "title: \"a\tb\"", "title: a\x85b", "title: a\u2028b", "title: a\x07b",
                                 "title: a\ufeffb", "title: 'a\u3000b'"])
def test_front_matter_that_is_not_printable_is_searched_as_before(row: str) -> None:
    text = f"---\n{row}\n---\nbody\n"
    import reading_oracle as old
    assert posts.split_front_matter(text, "x.md") == old.split_front_matter(text, "x.md")


# --- a cold build's read task: no hits to look for ---------------------------------------------

def test_a_read_task_of_a_new_cache_asks_for_no_hit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write_post(tmp_path)
    cfg = unit_config(tmp_path)
    known: list[Any] = []
    real = reading.read_post_file
    monkeypatch.setattr(reading, "read_post_file", lambda p, m, k=None: known.append(k) or real(p, m, k))
    monkeypatch.setattr(parallel, "_context", reading.ReadContext(cfg, (str(path),), frozenset(), os.getcwd()))
    size, _, digest, result, text, _ = reading._read_task(0)
    assert known == [None] and result is not None and result[0] is not None and text and size == path.stat().st_size
    monkeypatch.setattr(parallel, "_context", reading.ReadContext(cfg, (str(path),), frozenset({(digest, str(path))})))
    assert reading._read_task(0)[3] is None and callable(known[1])  # a hit: not decoded, not read


# --- the shortcut's line of a file as its read asked ------------------------------------------

@given(st.integers(0, 1 << 20), st.integers(0, 1 << 62), st.integers(-(1 << 62), 1 << 62), st.integers(0, 1 << 62),
       st.integers(-(1 << 62), 1 << 62), st.text(max_size=8))
def test_read_line_is_the_line_of_the_stats_fields(mode: int, size: int, mtime: int, inode: int, ctime: int,
                                                   name: str) -> None:
    st_: Any = SimpleNamespace(st_mode=mode, st_size=size, st_mtime_ns=mtime, st_ino=inode, st_ctime_ns=ctime)
    fields = (mode, size, mtime, inode, ctime)
    path = "/s/_posts/" + name
    line = signature._line
    assert signature.read_line(path, st_) == line(path, fields) == line(path, signature.stat_fields(st_))
    assert signature.read_line(path, None) == signature._line(path, None)


# --- dates: a file name's day, and the commonest shapes by one match ---------------------------

@given(st.from_regex(jekyll.FILENAME_DAY.pattern.rstrip("-"), fullmatch=True))
@example("2019-01-02")
@example("2019-02-30")
@example("٢٠١٩-٠١-٠٢")
def test_parse_day_is_parse_date_of_a_file_names_day(day: str) -> None:
    try:
        expected: Any = jekyll.parse_date(day)[0]
    except jekyll.DateError as exc:
        expected = str(exc)
    try:
        got: Any = jekyll.parse_day(day)
    except jekyll.DateError as exc:
        got = str(exc)
    assert got == expected


def _old_common_timestamp(text: str) -> bool:
    return (len(text) == 19 and text[4] == "-" and text[7] == "-" and text[10] in " Tt" and text[13] == ":"
            and text[16] == ":" and text.isascii()
            and (text[:4] + text[5:7] + text[8:10] + text[11:13] + text[14:16] + text[17:]).isdigit())


def _old_offset_after_time(text: str) -> bool:
    return (len(text) == 25 and text[19] == " " and text[20] in "+-" and text[21:].isdigit()
            and _old_common_timestamp(text[:19]))


SHAPES = st.builds(lambda head, tail: head + tail,
                   st.sampled_from(["2019-01-02 03:04:05", "2019-01-02T03:04:05", "2019-01-02t03:04:05",
                                    "0019-01-02 03:04:05", "2019-1-02 03:04:05", "２019-01-02 03:04:05",
                                    "2019-01-02 03:04:0５", "2019/01/02 03:04:05", "2019-01-02  3:04:05"]),
                   st.sampled_from(["", " +0800", " -0800", " +08:00", " +08²0", " +٠٨٠٠", " 0800", "+0800", " +080",
                                    " +08000", "\n", " +0800\n"]))


@given(SHAPES | st.text(st.sampled_from(list("0123456789-: Tt+²٠\n")), max_size=27))
def test_the_commonest_shapes_are_told_as_before(text: str) -> None:
    assert yamlload._common_timestamp(text) == _old_common_timestamp(text)
    assert yamlload._offset_after_time(text) == _old_offset_after_time(text)
    assert (jekyll._PLAIN_DATETIME.fullmatch(text) is not None) == (
        _old_common_timestamp(text) and text[10] != "t" and text[0] != "0")
    import reading_oracle as old
    assert outcome(jekyll.parse_date, text) == outcome(old.parse_date, text)
