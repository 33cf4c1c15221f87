"""The read stage's per-post work, cut (issue 10, read8): each step a common post no longer takes is
checked here by counting it; that the Posts, problems and rows stay what they were is held by
tests/test_reading_oracle.py (read_post against main's code on arbitrary front matter),
tests/test_fastyaml.py (the front matter reader against PyYAML) and the tests named below."""
from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from conftest import unit_config
from hypothesis import given
from hypothesis import strategies as st

from feeds import posts, rows, sources
from feeds.errors import ERROR, WARNING, Problem
from feeds.posts import Post, split_front_matter

COMMON = ('---\nlayout: post\ntitle: "扎实新闻 降低学生"\ndate: 2019-01-01 02:30:34\n'
          "categories: zhongguo huojiquandi\ntags: [成都理论, 南京苏州报道]\n---\n\nBody {x}.\n")


@pytest.mark.parametrize("text", [COMMON, COMMON.replace("---", "+++").replace(": ", " = ", 0),
                                  "+++\ntitle = \"T\"\n+++\nbody\n", "no front matter\n", "\n\n---\ntitle: x\n---\n",
                                  "---\ntitle: x\n", "----\ntitle: x\n----\n", "--- \ntitle: x\n---\n"])
@pytest.mark.parametrize("as_jekyll_post", [True, False])
def test_the_opening_boundary_is_matched_once_not_detected_first(monkeypatch: pytest.MonkeyPatch, text: str,
                                                                as_jekyll_post: bool) -> None:
    """The handler is the one whose boundary opens the text: its match is kept, not asked again
    after python-frontmatter's ``detect`` asked the same; what is split is what it was."""
    was = split_front_matter(text, "p.md", as_jekyll_post)

    def refuse(text: str) -> bool:
        raise AssertionError("detect() asked")
    monkeypatch.setattr(posts._HANDLER, "detect", refuse)
    monkeypatch.setattr(posts._TOML, "detect", refuse)
    assert split_front_matter(text, "p.md", as_jekyll_post) == was


# --- a read row's text, in one format (rows.read_row) -------------------------------------------

_TEXT = st.text(max_size=12) | st.sampled_from(["", "a\"b\\c", "合作 消费者", "\x00\x1f\x7f", "\ud800", "</script>"])
_WHEN = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                     timezones=st.builds(timezone, st.timedeltas(min_value=timedelta(hours=-23),
                                                                 max_value=timedelta(hours=23))))


@st.composite
def _posts(draw: st.DrawFn) -> Post:
    when = draw(_WHEN)
    names = st.lists(_TEXT, max_size=3).map(tuple)
    return Post(path=draw(_TEXT), file=draw(_TEXT), digest=draw(_TEXT), title=draw(_TEXT), date=when,
                updated=draw(st.sampled_from([when, when.replace()]) | _WHEN), categories=draw(names),
                tags=draw(names), url=draw(_TEXT), id=draw(_TEXT), author=draw(_TEXT), summary=draw(_TEXT),
                markdown=draw(st.booleans()), body_start=draw(st.integers(0, 1 << 40)),
                body_line=draw(st.integers(1, 1 << 40)), lang=draw(_TEXT), excerpt_only=draw(st.booleans()),
                liquid=draw(st.sampled_from([0, 1, 3, 5, 7])), image=draw(_TEXT))


_LEVELS = st.sampled_from([ERROR, WARNING])
_PROBLEMS = st.lists(st.builds(Problem, _TEXT, st.none() | st.integers(0, 99), _TEXT, _LEVELS), max_size=2)


@given(_posts(), _PROBLEMS, st.integers(0, 3))
def test_a_read_row_is_the_json_encoders_text(post: Post, problems: list[Problem], flags: int) -> None:
    """json.dumps(..., ensure_ascii=False) of [post_to_json(post), said_rows(problems), flags]."""
    row = rows.read_row((post, problems, flags))
    assert row == json.dumps([rows.post_to_json(post), rows.said_rows(problems), flags], ensure_ascii=False)
    assert row == rows.row_text([rows.post_to_json(post), rows.said_rows(problems), flags])
    if not any("\ud800" in p.path + p.message for p in problems) and "\ud800" not in row:
        assert rows.read_row_bytes((post, problems, flags)) == row.encode()


def test_a_row_without_problems_is_not_walked_by_the_encoder(monkeypatch: pytest.MonkeyPatch) -> None:
    post = _example_post()
    expected = rows.read_row((post, [], 1))

    def refuse(value: Any) -> str:
        raise AssertionError("the generic encoder walked the row")
    monkeypatch.setattr(rows, "row_text", refuse)
    assert rows.read_row((post, [], 1)) == expected
    with pytest.raises(AssertionError):  # a post with problems: the encoder's (rare)
        rows.read_row((post, [Problem("p.md", 1, "m", WARNING)], 0))


def _example_post() -> Post:
    when = datetime(2019, 1, 1, 2, 30, 34, tzinfo=timezone(timedelta(hours=8)))
    return Post(path="_posts/a.md", file="/s/_posts/a.md", digest="0" * 32, title="扎实 新闻", date=when,
                updated=when, categories=("a", "b"), tags=("成都",), url="https://x.example/a", id="https://x.example/a",
                author="", summary="", markdown=True, body_start=120, body_line=8)


# --- a post's source folder: its config's sources not hashed again for each post -------------------

def test_the_source_folders_are_resolved_once_for_a_builds_posts(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a" / "_posts").mkdir(parents=True)
    (tmp_path / "b").mkdir()
    cfg = dataclasses.replace(unit_config(tmp_path), sources=(tmp_path / "a", tmp_path / "b"))
    paths = [str(tmp_path / "a" / "_posts" / "x.md"), str(tmp_path / "b" / "y.md"), str(tmp_path / "c" / "z.md")]
    was = [sources.source_root_text(path, cfg) for path in paths]
    assert was == [str(tmp_path / "a"), str(tmp_path / "b"), str(tmp_path / "c")]
    asked: list[object] = []
    real = sources._resolved_text
    monkeypatch.setattr(sources, "_resolved_text", lambda found: asked.append(found) or real(found))
    monkeypatch.setattr(sources, "_LAST_ROOTS", [None, ()])
    assert [sources.source_root_text(path, cfg) for path in paths * 3] == was * 3
    assert len(asked) == 1
    other = dataclasses.replace(cfg, sources=(tmp_path / "b",))  # another config's: asked again
    assert sources.source_root_text(paths[1], other) == str(tmp_path / "b")
    assert sources.source_root_text(paths[0], other) == str(tmp_path / "a" / "_posts")
    assert len(asked) == 2
