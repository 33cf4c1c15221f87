"""feeds.content: full | excerpt, and jekyll-feed's excerpt_only: one setting under two names."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import feedparser
import pytest

from feeds import ConfigError, build, load_config

POSTS: dict[str, Any] = {"2022-03-04-a.md": {"title": "A", "categories": ["news"],
                                             "body": "The summary.\n\nThe rest of the post.\n"}}


def entries(cfg_path: Path, **overrides: Any) -> list[Any]:
    result = build(load_config(cfg_path, overrides))
    assert not result.errors, result.errors
    out = cfg_path.parent / "public"
    return [feedparser.parse((out / name).read_bytes()).entries[0] for name in ("feed.xml", "feed.rss")]


def test_full_is_the_default_and_carries_the_content(make_site: Callable[..., Path]) -> None:
    for entry in entries(make_site(POSTS)):
        assert "The rest of the post." in entry.content[0].value
        assert entry.summary == "The summary."


@pytest.mark.parametrize("overrides", [{"feeds.content": "excerpt"}, {"feeds.content": "Excerpt "},
                                       {"feeds.excerpt_only": True}, {"feeds.excerpt_only": "yes"}])
def test_excerpt_carries_the_summary_only(make_site: Callable[..., Path], overrides: dict[str, Any]) -> None:
    for entry in entries(make_site(POSTS), **overrides):
        assert "content" not in entry
        assert entry.summary == "The summary."


def test_the_two_names_are_one_setting(make_site: Callable[..., Path]) -> None:
    cfg_path = make_site(POSTS)
    by_content = load_config(cfg_path, {"feeds.content": "excerpt"})
    by_flag = load_config(cfg_path, {"feeds.excerpt_only": True})
    assert by_content == by_flag and by_content.feeds.content == "excerpt" and by_flag.feeds.excerpt_only
    assert load_config(cfg_path, {"feeds.content": "full", "feeds.excerpt_only": True}).feeds.excerpt_only


@pytest.mark.parametrize("word", ["summary", "none", "true", "", "[full]"])
def test_another_word_is_an_error_naming_the_choices(make_site: Callable[..., Path], word: str) -> None:
    cfg_path = make_site(POSTS, {"feeds": {"content": word if word != "[full]" else ["full"]}})
    with pytest.raises(ConfigError, match="feeds.content: expected full or excerpt"):
        load_config(cfg_path)


JEKYLL = "url: https://x.test\ntimezone: Asia/Shanghai\nfeed:\n  excerpt_only: {}\n"


@pytest.mark.parametrize(("flag", "ours", "expected"), [
    ("true", None, "excerpt"), ("false", None, "full"), ("yes", None, "excerpt"),
    ("true", "full", "full"),  # config.yaml on top of _config.yml: its own word wins
    ("false", "excerpt", "excerpt"),
])
def test_jekyll_feed_excerpt_only_is_feeds_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   flag: str, ours: str | None, expected: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "_config.yml").write_text(JEKYLL.format(flag), encoding="utf-8")
    if ours:
        (tmp_path / "config.yaml").write_text(f"feeds:\n  content: {ours}\n", encoding="utf-8")
    assert load_config().feeds.content == expected


def test_a_jekyll_excerpt_only_that_is_no_yes_or_no_is_reported(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "_config.yml").write_text(JEKYLL.format("sometimes"), encoding="utf-8")
    with pytest.raises(ConfigError, match="feeds.excerpt_only: expected true or false, got 'sometimes'"):
        load_config()
