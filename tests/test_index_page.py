"""The feed index page (feeds.html): valid HTML5, every feed's links, names as text, no outside requests."""
from __future__ import annotations

import base64
import hashlib
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import html5lib
import pytest
from conftest import CST, SITE_URL, make_post, unit_config
from hypothesis import given
from hypothesis import strategies as st

import feeds.index_page as index_page
from feeds import build, load_config
from feeds.config import Config
from feeds.errors import ConfigError
from feeds.feedspec import FeedSpec
from feeds.group import group_posts
from feeds.index_page import index_bytes

NS = "{http://www.w3.org/1999/xhtml}"
HOSTILE = ("<script>alert(1)</script>", '"onmouseover=alert(1) x="', "'><img src=x onerror=alert(2)>",
           "&amp; &lt;b&gt;", "</li></ul><h1>x", "<!-- not a comment", "javascript:alert(3)")
T1 = datetime(2024, 6, 1, 12, 0, tzinfo=CST)


def parse(page: bytes) -> ET.Element:
    """The page as a strict HTML5 parser reads it: any parse error fails the test."""
    return html5lib.HTMLParser(strict=True, namespaceHTMLElements=True).parse(page)


def specs_for(cfg: Config, names: tuple[str, ...] = ("News", "Sport"),
              tags: tuple[str, ...] = ("t",)) -> list[FeedSpec]:
    posts = [make_post("a", categories=names, tags=tags), make_post("b", T1, categories=names[:1])]
    specs, _ = group_posts(cfg, posts)
    return specs


def rows(tree: ET.Element) -> list[ET.Element]:
    return [li for li in tree.iter(f"{NS}li") if "data-f" in li.attrib]


def row_name(li: ET.Element) -> str:
    return next(s for s in li.iter(f"{NS}span") if s.get("class") == "n").text or ""


def test_every_feed_is_listed_with_its_links_count_and_newest_date() -> None:
    cfg = unit_config()
    specs = specs_for(cfg)
    tree = parse(index_bytes(cfg, specs))
    listed = rows(tree)
    assert [row_name(li) for li in listed] == [s.name for s in specs] == ["Test News", "News", "Sport", "t"]
    for li, spec in zip(listed, specs):
        assert [a.get("href") for a in li.iter(f"{NS}a")] == [f.path for f in spec.files]
        assert [a.text for a in li.iter(f"{NS}a")] == ["Atom", "RSS"]
    text = "".join(listed[1].itertext())
    assert "2 posts" in text and "newest 2024-06-01" in text
    assert "1 post," in "".join(listed[2].itertext())
    sections = [s.get("id") for s in tree.iter(f"{NS}section")]
    assert sections == ["site", "categories", "tags"]


def test_head_has_lang_viewport_and_autodiscovery_of_the_site_feeds_only() -> None:
    cfg = unit_config(site_fields={"language": "zh-CN"})
    tree = parse(index_bytes(cfg, specs_for(cfg)))
    assert tree.get("lang") == "zh-CN"
    head = tree.find(f"{NS}head")
    assert head is not None
    metas = {m.get("name"): m.get("content") for m in head.iter(f"{NS}meta")}
    assert metas["viewport"] == "width=device-width, initial-scale=1"
    found = [(link.get("type"), link.get("href")) for link in head.iter(f"{NS}link") if link.get("rel") == "alternate"]
    assert found == [("application/atom+xml", f"{SITE_URL}/feed.xml"), ("application/rss+xml", f"{SITE_URL}/feed.rss")]
    assert parse(index_bytes(unit_config(), [])).get("lang") is None  # no language: no claim


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_stay_text(name: str) -> None:
    cfg = unit_config(site_fields={"title": name, "language": "en"})
    tree = parse(index_bytes(cfg, specs_for(cfg, names=(name, "Sport"), tags=(name,))))
    assert len(list(tree.iter(f"{NS}script"))) == 1  # ours, nothing else
    assert not list(tree.iter(f"{NS}img")) and not list(tree.iter(f"{NS}h1"))[1:]
    assert not [k for e in tree.iter() for k in e.attrib if k.lower().startswith("on")]
    assert name in [row_name(li) for li in rows(tree)]
    assert (tree.findtext(f"{NS}head/{NS}title") or "") == f"{name}: feeds"


@given(st.text(min_size=1, max_size=40))
def test_any_name_gives_a_valid_page_with_one_script(name: str) -> None:
    cfg = unit_config()
    spec = FeedSpec("category", name, "x", name, (make_post("a"),), 1, ())
    tree = parse(index_bytes(cfg, [spec]))
    assert len(list(tree.iter(f"{NS}script"))) == 1
    assert [len(rows(tree))] == [1]


def test_no_outside_requests_and_the_policy_allows_only_its_own_style_and_script() -> None:
    cfg = unit_config()
    page = index_bytes(cfg, specs_for(cfg))
    tree = parse(page)
    assert not [e for e in tree.iter() if "src" in e.attrib]  # no images, scripts or frames loaded
    assert not [e for e in tree.iter(f"{NS}link") if e.get("rel") not in ("alternate", "icon")]
    assert b"url(" not in page and b"@import" not in page and b"@font-face" not in page
    policy = next(m.get("content") for m in tree.iter(f"{NS}meta") if m.get("http-equiv"))
    assert policy is not None and "default-src 'none'" in policy
    for tag in ("style", "script"):
        source = next(tree.iter(f"{NS}{tag}")).text or ""
        digest = base64.b64encode(hashlib.sha256(source.encode()).digest()).decode()
        assert f"{tag}-src 'sha256-{digest}'" in policy


def test_without_javascript_every_feed_shows_and_the_filter_box_is_hidden() -> None:
    cfg = unit_config()
    tree = parse(index_bytes(cfg, specs_for(cfg)))
    assert not [e for e in tree.iter() if "hidden" in e.attrib and e.find(f".//{NS}input") is None]
    box = next(p for p in tree.iter(f"{NS}p") if p.find(f"{NS}input") is not None)
    assert "hidden" in box.attrib


def test_links_are_relative_to_where_the_page_is() -> None:
    cfg = unit_config(paths=(("index", "about/feeds/index.html"),))
    tree = parse(index_bytes(cfg, specs_for(cfg)))
    hrefs = [a.get("href") for a in tree.iter(f"{NS}a")]
    assert "../../feed/news.xml" in hrefs and "../../feeds.opml" in hrefs


def test_same_feeds_same_bytes_and_a_small_page_for_many_categories() -> None:
    cfg = unit_config()
    names = tuple(f"Category number {i}" for i in range(2000))
    posts = [make_post(f"p{i}", categories=names[i * 20:(i + 1) * 20]) for i in range(100)]
    specs, _ = group_posts(cfg, posts)
    page = index_bytes(cfg, specs)
    assert page == index_bytes(cfg, list(specs))
    assert len(rows(parse(page))) == 2001
    assert len(page) < 250 * 2001  # one short line per feed: ~200 bytes, links relative


# --- built with the feeds ----------------------------------------------------------------------

def test_the_page_is_rewritten_only_when_the_list_of_feeds_changes(make_site: Callable[..., Path],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    posts: dict[str, Any] = {"2022-03-04-a.md": {"title": "A", "categories": ["news"], "body": "One.\n"}}
    cfg_path = make_site(posts)
    assert "feeds.html" in build(load_config(cfg_path)).written
    (cfg_path.parent / "_posts/2022-03-04-a.md").write_text("---\ntitle: A\ncategories: [news]\n---\nTwo.\n")
    with monkeypatch.context() as m:  # the same list of feeds: the page is not even made again
        m.setattr(index_page, "index_bytes", lambda *_: pytest.fail("the page was made again"))
        again = build(load_config(cfg_path))
    assert "feed.xml" in again.written and "feeds.html" not in again.written and not again.errors
    (cfg_path.parent / "_posts/2022-03-05-b.md").write_text("---\ntitle: B\ncategories: [sport]\n---\nNew.\n")
    third = build(load_config(cfg_path))
    assert "feeds.html" in third.written
    page = (cfg_path.parent / "public/feeds.html").read_text()
    assert re.search(r'<span class="n">sport</span>', page) and 'href="feed/sport.xml"' in page


def test_the_index_path_is_a_key_and_may_not_be_another_files_path(make_site: Callable[..., Path]) -> None:
    cfg_path = make_site({"2022-03-04-a.md": {"title": "A", "categories": ["news"]}},
                         {"feeds": {"paths": {"index": "list/index.html"}}})
    assert "list/index.html" in build(load_config(cfg_path)).written
    with pytest.raises(ConfigError, match="feeds.paths.index: is the same path as feeds.paths.opml"):
        load_config(cfg_path, {"feeds.paths.index": "feeds.opml"})
    clash = load_config(cfg_path, {"feeds.paths.index": "feed/news.xml"})
    result = build(clash)
    assert any("the feed index page would both be written to feed/news.xml" in p.message for p in result.errors)


@pytest.mark.parametrize("formats", [("atom", "rss", "json"), ("json",), ("rss",)])
def test_labels_and_media_types_come_from_the_format_registry(monkeypatch: pytest.MonkeyPatch,
                                                              formats: tuple[str, ...]) -> None:
    """The page keeps no list of its own: a format's label and media type are the registry's."""
    import dataclasses

    from feeds import formats as registry
    cfg = unit_config(formats=formats)
    plain = parse(index_bytes(cfg, specs_for(cfg)))
    assert [a.text for a in rows(plain)[0].iter(f"{NS}a")] == [registry.BY_NAME[f].label for f in formats]
    renamed = {name: dataclasses.replace(f, label=f"L-{name}", media_type=f"application/x-{name}")
               for name, f in registry.BY_NAME.items()}
    monkeypatch.setattr(registry, "BY_NAME", renamed)
    monkeypatch.setattr(index_page, "BY_NAME", renamed, raising=False)
    tree = parse(index_bytes(cfg, specs_for(cfg)))
    assert [a.text for a in rows(tree)[0].iter(f"{NS}a")] == [f"L-{f}" for f in formats]
    head = tree.find(f"{NS}head")
    assert head is not None
    alternates = [(link.get("type"), link.get("title")) for link in head.iter(f"{NS}link")
                  if link.get("rel") == "alternate"]
    assert alternates == [(f"application/x-{f}", f"Test News (L-{f})") for f in formats]
