"""feeds.write: FeedSpec + rendered entries -> RSS 2.0 / Atom 1.0 bytes and the OPML list.

Also the end-to-end promises about bytes: same input, same bytes, whatever the clock says.
"""
from __future__ import annotations

import dataclasses
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

import feedparser
import pytest
from conftest import CST, SITE_URL, Built, machine_zone, make_post, unit_config

from feeds import __version__
from feeds.config import Author, Config
from feeds.feedspec import FeedSpec
from feeds.group import group_posts
from feeds.render import Rendered
from feeds.write import feed_bytes, opml_bytes

A = "{http://www.w3.org/2005/Atom}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
DC_CREATOR = "{http://purl.org/dc/elements/1.1/}creator"
MINUS4 = timezone(timedelta(hours=-4))

NEW = make_post("newest", datetime(2022, 3, 4, 13, 23, 21, 987654, tzinfo=CST), categories=("新闻",),
                tags=("open source",), author="王小明")
EDITED = make_post("edited", datetime(2022, 3, 3, 8, 5, 9, tzinfo=MINUS4),
                   updated=datetime(2022, 3, 10, 9, 15, tzinfo=CST), id="urn:uuid:1234")
SAME = make_post("url-is-id", datetime(2022, 3, 2, 10, 0, tzinfo=CST))
SAME = dataclasses.replace(SAME, id=SAME.url)
ENTRIES = (NEW, EDITED, SAME)
RENDERED = {
    NEW.id: Rendered('<p>Full <a href="https://x.test/a.html">content</a> with ]]&gt; inside</p>', "Summary one"),
    EDITED.id: Rendered("<p>Second</p>", "Summary two"),
    SAME.id: Rendered("<p>Third</p>", ""),
}


def spec_for(cfg: Config, entries: tuple = ENTRIES) -> FeedSpec:  # type: ignore[type-arg]
    specs, _ = group_posts(cfg, list(entries))
    return specs[0]


def by_format(cfg: Config, spec: FeedSpec, rendered: dict[str, Rendered]) -> dict[str, bytes]:
    """A feed's bytes by format (feed_bytes gives them by path)."""
    data = feed_bytes(cfg, spec, rendered)
    return {f.format: data[f.path] for f in spec.files}


@pytest.fixture
def feeds() -> dict[str, bytes]:
    cfg = unit_config(site_fields={"language": "zh-CN", "author": Author("The Desk", "desk@x.test")})
    return by_format(cfg, spec_for(cfg), RENDERED)


def test_both_formats_parse_cleanly(feeds: dict[str, bytes]) -> None:
    assert sorted(feeds) == ["atom", "rss"]
    for fmt, data in feeds.items():
        parsed = feedparser.parse(data)
        assert parsed.bozo == 0, parsed.get("bozo_exception")
        assert parsed.version == {"atom": "atom10", "rss": "rss20"}[fmt]
        assert [e.title for e in parsed.entries] == ["Newest", "Edited", "Url Is Id"]


def test_atom_feed_level(feeds: dict[str, bytes]) -> None:
    root = ET.fromstring(feeds["atom"])
    assert root.tag == f"{A}feed"
    assert root.findtext(f"{A}id") == f"{SITE_URL}/feed.xml"
    assert root.findtext(f"{A}title") == "Test News"
    links = {link.get("rel"): link.get("href") for link in root.findall(f"{A}link")}
    assert links == {"self": f"{SITE_URL}/feed.xml", "alternate": f"{SITE_URL}/"}
    # updated is the newest entry's updated (EDITED's, in its own offset), never the build time
    assert root.findtext(f"{A}updated") == "2022-03-10T09:15:00+08:00"
    assert root.findtext(f"{A}author/{A}name") == "The Desk"
    assert root.findtext(f"{A}generator") == "feeds"


def test_atom_entries(feeds: dict[str, bytes]) -> None:
    entries = ET.fromstring(feeds["atom"]).findall(f"{A}entry")
    first, second, third = entries
    assert first.findtext(f"{A}id") == NEW.id
    assert first.find(f"{A}link").get("href") == NEW.url  # type: ignore[union-attr]
    assert first.findtext(f"{A}published") == "2022-03-04T13:23:21+08:00"  # offset kept, no microseconds
    assert first.findtext(f"{A}updated") == "2022-03-04T13:23:21+08:00"
    assert first.findtext(f"{A}author/{A}name") == "王小明"
    assert [c.get("term") for c in first.findall(f"{A}category")] == ["新闻", "open source"]
    assert first.findtext(f"{A}summary") == "Summary one"
    content = first.find(f"{A}content")
    assert content is not None and content.get("type") == "html"
    assert content.text == RENDERED[NEW.id].content
    assert second.findtext(f"{A}published") == "2022-03-03T08:05:09-04:00"
    assert second.findtext(f"{A}updated") == "2022-03-10T09:15:00+08:00"
    assert second.findtext(f"{A}id") == "urn:uuid:1234"
    assert third.find(f"{A}summary") is None


def test_rss_channel(feeds: dict[str, bytes]) -> None:
    channel = ET.fromstring(feeds["rss"]).find("channel")
    assert channel is not None
    assert channel.findtext("title") == "Test News"
    assert channel.findtext("link") == f"{SITE_URL}/"  # the site page, not the feed
    assert channel.findtext("description") == "Posts for the tests"
    assert channel.findtext("language") == "zh-CN"
    self_links = [(link.get("rel"), link.get("href")) for link in channel.findall(f"{A}link")]
    assert self_links == [("self", f"{SITE_URL}/feed.rss")]
    # the newest entry's date, in its own offset, never the build time
    assert channel.findtext("lastBuildDate") == "Fri, 04 Mar 2022 13:23:21 +0800"
    assert channel.findtext("generator") == "feeds"


def test_rss_items(feeds: dict[str, bytes]) -> None:
    items = ET.fromstring(feeds["rss"]).findall("channel/item")
    first, second, third = items
    assert first.findtext("link") == NEW.url
    assert first.findtext("pubDate") == "Fri, 04 Mar 2022 13:23:21 +0800"
    assert first.findtext("description") == "Summary one"
    assert first.findtext(CONTENT) == RENDERED[NEW.id].content
    assert first.findtext(DC_CREATOR) == "王小明"
    assert [c.text for c in first.findall("category")] == ["新闻", "open source"]
    assert second.findtext("pubDate") == "Thu, 03 Mar 2022 08:05:09 -0400"
    guids = [(i.findtext("guid"), i.find("guid").get("isPermaLink")) for i in items]  # type: ignore[union-attr]
    assert guids == [(NEW.id, "false"), ("urn:uuid:1234", "false"), (SAME.url, "true")]


def test_no_library_version_in_the_output(feeds: dict[str, bytes]) -> None:
    for data in feeds.values():
        assert b"feedgen" not in data and b"python-feedgen" not in data
        assert __version__.encode() not in data


def test_same_input_same_bytes() -> None:
    cfg = unit_config()
    assert by_format(cfg, spec_for(cfg), RENDERED) == by_format(cfg, spec_for(cfg), RENDERED)


def test_each_feed_file_gets_its_own_self_link_and_id() -> None:
    cfg = unit_config()
    specs, _ = group_posts(cfg, list(ENTRIES))
    tag = next(s for s in specs if s.kind == "tag")
    data = by_format(cfg, tag, RENDERED)
    atom = ET.fromstring(data["atom"])
    assert atom.findtext(f"{A}id") == f"{SITE_URL}/feed/by_tag/open-source.xml"
    assert atom.find(f"{A}link[@rel='self']").get("href") == atom.findtext(f"{A}id")  # type: ignore[union-attr]
    rss_self = ET.fromstring(data["rss"]).find(f"channel/{A}link[@rel='self']")
    assert rss_self is not None and rss_self.get("href") == f"{SITE_URL}/feed/by_tag/open-source.rss"
    assert atom.findtext(f"{A}title") == "Test News: open source"


def test_entry_author_absent_when_the_post_has_none(feeds: dict[str, bytes]) -> None:
    second = ET.fromstring(feeds["rss"]).findall("channel/item")[1]
    assert second.find(DC_CREATOR) is None and second.find("author") is None


def test_hostile_text_round_trips() -> None:
    post = make_post("hostile", title="a ]]> b <c> & \"d\"")
    rendered = {post.id: Rendered("<p>x ]]&gt; <![CDATA[ y ]]&gt;</p>", "s ]]> t")}
    cfg = unit_config(site_fields={"title": "T & <T>"})
    for fmt, data in by_format(cfg, spec_for(cfg, (post,)), rendered).items():
        parsed = feedparser.parse(data)
        assert parsed.bozo == 0, (fmt, parsed.get("bozo_exception"))
        assert parsed.feed.title == "T & <T>"
        assert parsed.entries[0].title == "a ]]> b <c> & \"d\""


def test_opml_lists_every_feed_file_grouped() -> None:
    cfg = unit_config()
    specs, _ = group_posts(cfg, [make_post("a", categories=("快递",), tags=("t1", "t2"))])
    root = ET.fromstring(opml_bytes(cfg, specs))
    assert root.tag == "opml" and root.get("version") == "2.0"
    assert root.findtext("head/title") == "Test News: feeds"
    groups = root.findall("body/outline")
    assert [g.get("text") for g in groups] == ["Site", "Categories", "Tags"]
    urls = [o.get("xmlUrl") for g in groups for o in g.findall("outline")]
    assert urls == [f.url for s in specs for f in s.files]
    assert f"{SITE_URL}/feed/%E5%BF%AB%E9%80%92.xml" in urls
    for outline in root.iter("outline"):
        if outline.get("xmlUrl"):
            assert outline.get("type") == "rss" and outline.get("htmlUrl") == f"{SITE_URL}/"
            assert outline.get("text")


# --- the promises about bytes, end to end ------------------------------------------------------

def test_same_input_gives_same_bytes_whatever_the_clock(site_with: Callable[..., Path], tmp_path: Path,
                                                        build_site: Callable[..., Built],
                                                        epoch: Callable[[int], None]) -> None:
    cfg = site_with("2022-03-04-offset-without-colon.md", "2022-03-04-last-modified-at.md",
                    "2022-03-04-chinese-tag.md", "2022-03-04-naive-date.md")
    epoch(1700000000)
    first = build_site(cfg, output=str(tmp_path / "one")).bytes()
    epoch(1800000000)
    with machine_zone("Pacific/Kiritimati"):
        second = build_site(cfg, output=str(tmp_path / "two")).bytes()
    assert first == second
    assert b"2023" not in first["feed.xml"] and b"2027" not in second["feed.xml"]


def test_updated_and_last_build_date_come_from_the_entries(site_with: Callable[..., Path],
                                                           build_site: Callable[..., Built]) -> None:
    built = build_site(site_with("2022-03-04-offset-without-colon.md", "2022-03-04-last-modified-at.md"))
    atom, rss = built.feed("feed.xml"), built.feed("feed.rss")
    assert atom.feed.updated == "2022-03-10T09:15:00+08:00"
    assert rss.feed.updated == "Fri, 04 Mar 2022 17:00:00 +0800"  # lastBuildDate: the newest entry's date
    dates = built.feed("feed/dates.xml")
    assert dates.feed.updated == "2022-03-04T13:23:21+08:00"


def test_every_feed_has_absolute_links_and_full_content(site_with: Callable[..., Path],
                                                        build_site: Callable[..., Built]) -> None:
    built = build_site(site_with("2022-03-04-relative-links.md", "2022-03-04-chinese-tag.md",
                                 "2022-03-04-excerpt.md", "2022-03-04-cdata-end-in-body.md",
                                 "2022-03-04-control-chars-in-body.md", "2022-03-04-title-html-entities.md"))
    assert set(built.feeds) >= {"feed.xml", "feed.rss", "feed/links.xml", "feed/by_tag/快递新闻.rss"}
    checked = 0
    for path, data in built.bytes().items():  # the raw bytes: feedparser's sanitiser drops tel: and srcset
        if path.endswith((".xml", ".rss")):
            root = ET.fromstring(data)
            contents = [e.text or "" for e in root.iter() if e.tag in (f"{A}content", CONTENT)]
            links = [e.get("href") for e in root.iter(f"{A}link")] + [e.text for e in root.iter("link")]
            assert contents and all(link and link.startswith(SITE_URL + "/") for link in links), path
            for url in (u for html in contents for u in _urls(html)):
                assert url.startswith(("https://", "http://", "mailto:", "tel:", "data:")), (path, url)
                checked += 1
    assert checked >= 4 * 14  # relative-links: 14 URLs, in the site and its category feed, 2 formats each
    excerpt = next(e for e in built.feed("feed.xml").entries if e.title == "Excerpt in front matter")
    assert excerpt.summary == "The summary, as written by the author."
    assert "The second paragraph is still part of the full content." in excerpt.content[0].value
    cdata = next(e for e in built.feed("feed.rss").entries if e.title.startswith("CDATA"))
    assert cdata.title == "CDATA end ]]> in the title" and "]]&gt; in prose" in cdata.content[0].value
    titles = [e.title for e in built.feed("feed.rss").entries]
    assert "EPA\u2019s plan & more, \"quoted\", &amp; once" in titles


def test_non_ascii_feed_urls_are_encoded_but_files_keep_utf8_names(site_with: Callable[..., Path],
                                                                    build_site: Callable[..., Built]) -> None:
    built = build_site(site_with("2022-03-04-chinese-tag.md"))
    assert (built.output / "feed" / "by_tag" / "快递新闻.xml").is_file()
    atom = built.feed("feed/by_tag/快递新闻.xml")
    self_link = next(link.href for link in atom.feed.links if link.rel == "self")
    assert self_link == f"{SITE_URL}/feed/by_tag/%E5%BF%AB%E9%80%92%E6%96%B0%E9%97%BB.xml"
    assert built.opml is not None
    assert self_link in [o.get("xmlUrl") for o in built.opml.iter("outline")]


def test_opml_lists_every_file_written(site_with: Callable[..., Path], build_site: Callable[..., Built]) -> None:
    built = build_site(site_with("2022-03-04-chinese-tag.md", "2022-03-04-spaced-tag.md",
                                 "news/_posts/2022-03-04-folder-category.md"))
    assert built.opml is not None
    listed = sorted(o.get("xmlUrl", "") for o in built.opml.iter("outline") if o.get("xmlUrl"))
    on_disk = sorted(f"{SITE_URL}/{quote(p)}" for p in built.feeds)
    assert listed == on_disk
    assert len(listed) == 2 * (1 + 3 + 4)  # site, 3 categories, 4 tags; atom + rss each


def _urls(html: str) -> list[str]:
    found: list[str] = []
    for name, value in re.findall(r'\b(href|src|poster|srcset)="([^"]*)"', html):
        found += [c.strip().split(" ")[0] for c in value.split(",")] if name == "srcset" else [value]
    return found


def test_entry_id_url_mode_makes_the_guid_a_permalink(site_with: Callable[..., Path],
                                                      build_site: Callable[..., Built]) -> None:
    default = build_site(site_with("2022-03-04-offset-without-colon.md"))
    guid = ET.fromstring(default.bytes()["feed.rss"]).find("channel/item/guid")
    assert guid is not None and guid.get("isPermaLink") == "false"
    assert guid.text == f"{SITE_URL}/dates/2022/03/04/offset-without-colon"

    url_mode = build_site(site_with("2022-03-04-offset-without-colon.md", config={"feeds": {"entry_id": "url"}}))
    guid = ET.fromstring(url_mode.bytes()["feed.rss"]).find("channel/item/guid")
    assert guid is not None and guid.get("isPermaLink") == "true"
    assert guid.text == f"{SITE_URL}/dates/2022/03/04/offset-without-colon.html"
    entry = url_mode.feed("feed.xml").entries[0]
    assert entry.id == entry.link == guid.text


def test_control_characters_in_front_matter_never_reach_a_feed(make_site: Callable[..., Path],
                                                               build_site: Callable[..., Built]) -> None:
    text = "---\ntitle: \"Bell\x07 and\x0c feed\"\ndate: 2022-03-04 10:00 +0800\ntags: [\"a\x08b\"]\n---\nok\n"
    built = build_site(make_site({"2022-03-04-ctl.md": text.encode()}))
    entry = built.feed("feed.xml").entries[0]
    assert entry.title == "Bell and feed"
    assert "feed/by_tag/ab.xml" in built.feeds
    warnings = [str(w) for w in built.result.warnings]
    assert warnings and all("2022-03-04-ctl.md" in w for w in warnings)
    assert not any(c in data for data in built.bytes().values() for c in (b"\x07", b"\x08", b"\x0c"))
