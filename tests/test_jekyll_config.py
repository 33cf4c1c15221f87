"""A Jekyll site's own _config.yml as the config: translation, layering, the files read."""
from __future__ import annotations

from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner

from feeds import ConfigError, load_config
from feeds.cli import main
from feeds.pipeline import load
from feeds.schema import PERMALINK_STYLES

JEKYLL = """\
title: Blog of "Tests"
description: Posts for the tests
url: https://x.test/
baseurl: /blog/
lang: zh-CN
timezone: Asia/Shanghai
permalink: pretty
author:
  name: Desk
  email: desk@x.test
theme: minima
plugins: [jekyll-feed]
excerpt_separator: <!--more-->
future: true
exclude: [drafts/, "*.tmp"]
defaults:
  - scope: {path: news, type: posts}
    values: {author: Newsroom}
feed:
  path: atom.xml
  posts_limit: 5
  excerpt_only: true
  categories: [News, dev_log]
  tags:
    except: [secret]
    path: tags/
"""


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_jekyll_site_folder_needs_only_its_config(site: Path) -> None:
    (site / "_config.yml").write_text(JEKYLL, encoding="utf-8")
    cfg = load_config()
    assert cfg.read == ("_config.yml",)
    assert cfg.site.url == "https://x.test/blog"
    assert (cfg.site.title, cfg.site.description, cfg.site.language) == ('Blog of "Tests"', "Posts for the tests",
                                                                         "zh-CN")
    assert (cfg.site.author.name, cfg.site.author.email) == ("Desk", "desk@x.test")
    assert cfg.timezone == "Asia/Shanghai"
    assert cfg.permalink == PERMALINK_STYLES["pretty"]
    assert cfg.content.excerpt_separator == "<!--more-->"
    assert cfg.future is True
    assert cfg.exclude == ("drafts/", "*.tmp")
    assert cfg.defaults == (("news", "posts", '{"author": "Newsroom"}'),)
    assert cfg.feeds.path("site_atom") == "atom.xml"
    assert cfg.feeds.limit == 5 and cfg.feeds.excerpt_only is True
    assert cfg.feeds.jekyll_categories == ("News", "dev_log")
    assert cfg.feeds.jekyll_tags is True and cfg.feeds.jekyll_tags_path == "tags/"
    assert cfg.feeds.tags_except == ("secret",)
    assert cfg.sources == (site.resolve(),) and cfg.output == site.resolve() / "public"
    assert not cfg.warnings, "Jekyll's own keys (theme, plugins) are not unknown keys"


@pytest.mark.parametrize(("url", "base", "expected"), [
    ("https://x.test", "", "https://x.test"), ("https://x.test/", "/", "https://x.test"),
    ("https://x.test", "blog", "https://x.test/blog"), ("https://x.test", "/a/b/", "https://x.test/a/b"),
])
def test_url_and_baseurl_make_the_site_url(site: Path, url: str, base: str, expected: str) -> None:
    (site / "_config.yml").write_text(f"url: {url}\nbaseurl: '{base}'\n", encoding="utf-8")
    assert load_config().site.url == expected


def test_name_stands_in_for_a_missing_title_and_author_may_be_a_string(site: Path) -> None:
    (site / "_config.yml").write_text("url: https://x.test\nname: Site Name\nauthor: Ann\n", encoding="utf-8")
    cfg = load_config()
    assert cfg.site.title == "Site Name" and cfg.site.author.name == "Ann"


@pytest.mark.parametrize(("kramdown", "auto_ids", "typographic"), [
    ("", True, True),
    ("kramdown:\n  auto_ids: false\n", False, True),
    ("kramdown:\n  smart_quotes: apos,apos,quot,quot\n", True, False),
    ("kramdown:\n  smart_quotes: [\"&#39;\", \"&#39;\", \"&quot;\", \"&quot;\"]\n", True, False),
    ("kramdown:\n  smart_quotes: lsaquo,rsaquo,laquo,raquo\n", True, True),
    ("kramdown:\n  gfm_quirks: [paragraph_end, no_auto_typographic]\n", True, False),
    ("kramdown: 3\n", True, True),
])
def test_kramdown_settings_that_change_the_text_are_read(site: Path, kramdown: str, auto_ids: bool,
                                                         typographic: bool) -> None:
    (site / "_config.yml").write_text("url: https://x.test\n" + kramdown, encoding="utf-8")
    cfg = load_config()
    assert (cfg.content.auto_ids, cfg.content.typographic) == (auto_ids, typographic)


def test_our_config_yaml_is_read_on_top_of_the_sites_config(site: Path) -> None:
    (site / "_config.yml").write_text(JEKYLL, encoding="utf-8")
    (site / "config.yaml").write_text("site:\n  title: Ours\nfeeds:\n  limit: 50\n", encoding="utf-8")
    cfg = load_config()
    assert cfg.read == ("_config.yml", "config.yaml")
    assert cfg.site.title == "Ours" and cfg.feeds.limit == 50
    assert cfg.site.url == "https://x.test/blog", "what config.yaml does not say comes from _config.yml"


def test_the_sites_config_is_found_in_the_source_folder(site: Path) -> None:
    (site / "web").mkdir()
    (site / "web" / "_config.yml").write_text("url: https://w.test\nbaseurl: /docs\n", encoding="utf-8")
    (site / "config.yaml").write_text("source: web\n", encoding="utf-8")
    cfg = load_config()
    assert cfg.read == ("web/_config.yml", "config.yaml")
    assert cfg.site.url == "https://w.test/docs"


def test_several_jekyll_files_later_ones_win(site: Path) -> None:
    (site / "_config.yml").write_text(JEKYLL, encoding="utf-8")
    (site / "_config.prod.yml").write_text("url: https://prod.test\nfeed:\n  posts_limit: 7\n", encoding="utf-8")
    cfg = load_config("_config.yml,_config.prod.yml")
    assert cfg.read == ("_config.yml", "_config.prod.yml")
    assert cfg.site.url == "https://prod.test/blog", "baseurl from the first file, url from the second"
    assert cfg.feeds.limit == 7 and cfg.feeds.path("site_atom") == "atom.xml"


def test_a_repeated_key_in_the_sites_config_takes_the_last_as_jekyll_does(site: Path) -> None:
    (site / "_config.yml").write_text("url: https://x.test\ntitle: First\ntitle: Last\n", encoding="utf-8")
    assert load_config().site.title == "Last"


def test_a_bad_value_in_the_sites_config_is_an_error_naming_the_key(site: Path) -> None:
    (site / "_config.yml").write_text("url: https://x.test\ntimezone: Mars/Olympus\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config()
    assert any("timezone: expected an IANA zone name" in str(p) for p in caught.value.problems)


def test_a_jekyll_site_without_url_is_told_where_to_set_it(site: Path) -> None:
    (site / "_config.yml").write_text("title: x\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config()
    assert "_config.yml: site.url: missing; set url: (and baseurl:) in _config.yml" in str(caught.value)


def test_an_unknown_feed_setting_is_a_warning(site: Path) -> None:
    (site / "_config.yml").write_text("url: https://x.test\nfeed:\n  pathh: a.xml\n", encoding="utf-8")
    assert [p.message for p in load_config().warnings] == [
        "feed.pathh: not a jekyll-feed setting feeds knows; ignored"]


def test_tags_off_in_the_feed_block_keeps_jekyll_feed_tag_urls_off(site: Path) -> None:
    (site / "_config.yml").write_text("url: https://x.test\nfeed:\n  tags: false\n", encoding="utf-8")
    assert load_config().feeds.jekyll_tags is False
    (site / "_config.yml").write_text("url: https://x.test\nfeed:\n  tags: true\n", encoding="utf-8")
    assert load_config().feeds.jekyll_tags is True


# What real Jekyll 4.3.1 + jekyll-feed 0.17.0 wrote for one post (_posts/2022-03-04-lamp-care.md,
# categories [Tips]) under a site `permalink: /:categories/:title.html` and each `collections:` below
# (jekyllrb.com's own docs site sets its posts' permalink this way).
COLLECTION_PERMALINKS = [
    ("collections:\n  posts:\n    permalink: /news/:year/:month/:day/:title/\n",
     "https://example.org/news/2022/03/04/lamp-care/", "https://example.org/news/2022/03/04/lamp-care"),
    ("collections:\n  posts:\n    output: true\n",  # no permalink of its own: the site's
     "https://example.org/tips/lamp-care.html", "https://example.org/tips/lamp-care"),
    ("collections:\n  - posts\n",  # a list of names carries no permalink
     "https://example.org/tips/lamp-care.html", "https://example.org/tips/lamp-care"),
    ("collections:\n  posts:\n    permalink: pretty\n",  # a style name is no style here: a literal path
     "https://example.org/pretty", "https://example.org/lamp-care"),
]


@pytest.mark.parametrize(("collections", "link", "entry_id"), COLLECTION_PERMALINKS)
def test_the_posts_collection_permalink_wins_over_the_sites(site: Path, collections: str, link: str,
                                                            entry_id: str) -> None:
    (site / "_config.yml").write_text("url: https://example.org\ntimezone: UTC\n"
                                      "permalink: /:categories/:title.html\n" + collections, encoding="utf-8")
    (site / "_posts").mkdir()
    (site / "_posts" / "2022-03-04-lamp-care.md").write_text(
        "---\ntitle: Lamp care\ndate: 2022-03-04 10:00:00 +0000\ncategories: [Tips]\n---\nBody.\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["build", "--jobs", "1", "--future"])
    assert result.exit_code == 0, result.output
    entry = feedparser.parse((site / "public" / "feed.xml").read_bytes()).entries[0]
    assert (entry.link, entry.id) == (link, entry_id)


@pytest.mark.parametrize(("jekyll", "ours", "limit"), [
    ("", "", 10),  # jekyll-feed's default: a drop-in serves as many entries as the plugin did
    ("feed:\n  posts_limit: 3\n", "", 3),
    ("feed:\n  posts_limit: 3\n", "feeds:\n  limit: 25\n", 25),  # config.yaml on top
    ("", "feeds:\n  limit: 0\n", 0),
])
def test_a_jekyll_site_gets_jekyll_feeds_limit_unless_told_otherwise(site: Path, jekyll: str, ours: str,
                                                                     limit: int) -> None:
    (site / "_config.yml").write_text("url: https://x.test\n" + jekyll, encoding="utf-8")
    if ours:
        (site / "config.yaml").write_text(ours, encoding="utf-8")
    assert load_config().feeds.limit == limit


def test_a_site_without_jekyll_config_keeps_our_default_limit(site: Path) -> None:
    (site / "config.yaml").write_text("site:\n  url: https://x.test\n", encoding="utf-8")
    assert load_config().feeds.limit == 20


@pytest.mark.parametrize(("config", "published"), [
    ("url: https://x.test\ntimezone: Asia/Shanghai\n", "2023-01-29T18:30:22+08:00"),  # as real Jekyll 4.3.1
    ("url: https://x.test\n", "2023-01-29T18:30:22+00:00"),
])
def test_a_jekyll_date_with_its_year_repeated_is_published_with_a_warning(site: Path, config: str,
                                                                        published: str) -> None:
    (site / "_config.yml").write_text(config, encoding="utf-8")
    (site / "_posts").mkdir()
    (site / "_posts" / "2023-01-29-t.md").write_text("---\ntitle: T\ndate: 2023-01-29 18:30:22 2023 -0800\n---\nx\n",
                                                     encoding="utf-8")
    posts, _, problems = load(load_config())
    assert [p.date.isoformat() for p in posts] == [published]
    assert [(p.path, p.line, p.is_error) for p in problems] == [("_posts/2023-01-29-t.md", 3, False)]
    assert "repeats its year" in problems[0].message and problems[0].message.endswith(
        "write it as 2023-01-29 18:30:22 -0800")


def test_a_plain_site_still_refuses_a_date_with_its_year_repeated(site: Path) -> None:
    (site / "config.yaml").write_text("site:\n  url: https://x.test\n", encoding="utf-8")
    (site / "_posts").mkdir()
    (site / "_posts" / "2023-01-29-t.md").write_text("---\ntitle: T\ndate: 2023-01-29 18:30:22 2023 -0800\n---\nx\n",
                                                     encoding="utf-8")
    posts, _, problems = load(load_config())
    assert posts == [] and [p.is_error for p in problems] == [True]
