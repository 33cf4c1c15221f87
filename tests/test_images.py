"""Images and icons: a post's ``image:`` (path, URL or jekyll-feed's {path, alt}) as jekyll-feed
writes it (media:thumbnail + media:content) in Atom and RSS and as JSON Feed's ``image``; the
site's icon and logo as Atom icon/logo, RSS <image> and JSON Feed icon/favicon; and
``feeds.first_image``. Every feed written here passes ``feeds check`` and feedparser."""
from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import SITE_URL, Built
from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.images import first_image
from feeds.jekyll_config import translate
from feeds.text import site_url_of
from feeds.validate import check_output
from feeds.validate._doc import _absolute

A = "{http://www.w3.org/2005/Atom}"
MEDIA = "{http://search.yahoo.com/mrss/}"
JSON_TOO = ["atom", "rss", "json"]


@pytest.mark.parametrize(("value", "url"), [
    ("/assets/a.png", f"{SITE_URL}/assets/a.png"),
    ("assets/a.png", f"{SITE_URL}/assets/a.png"),
    ("https://cdn.test/a.png", "https://cdn.test/a.png"),
    ("HTTP://cdn.test/a.png", "http://cdn.test/a.png"),
    ("//cdn.test/a.png", "https://cdn.test/a.png"),
    ("/assets/my photo 图.png", f"{SITE_URL}/assets/my%20photo%20%E5%9B%BE.png"),
    ("/a.png?x=1&y=2#top", f"{SITE_URL}/a.png?x=1&y=2#top"),
    ("", ""),
    ("javascript:alert(1)", None),
    ("data:image/png;base64,AAAA", None),
    ("ftp://cdn.test/a.png", None),
    ("https:///a.png", None),
])
def test_image_urls_are_made_absolute_as_jekyll_feed_does(value: str, url: str | None) -> None:
    assert site_url_of(SITE_URL, value) == url


def _entry_images(data: bytes, entry: str) -> list[tuple[str, dict[str, str]]]:
    root = ET.fromstring(data)
    item = next(e for e in root.iter() if e.tag in (f"{A}entry", "item") and
                any((t.text or "") == entry for t in e if t.tag in (f"{A}title", "title")))
    return [(e.tag.removeprefix(MEDIA), dict(e.attrib)) for e in item if e.tag.startswith(MEDIA)]


POSTS: dict[str, Any] = {
    "2022-03-01-path.md": {"title": "Path", "date": "2022-03-01", "image": "/assets/a.png"},
    "2022-03-02-url.md": {"title": "Url", "date": "2022-03-02", "image": "https://cdn.test/b.jpg"},
    "2022-03-03-mapping.md": {"title": "Mapping", "date": "2022-03-03",
                              "image": {"path": "assets/c d.png", "alt": "A picture"}},
    "2022-03-04-none.md": {"title": "None", "date": "2022-03-04", "body": "![x](/in/body.png)\n"},
    "2022-03-05-bad.md": {"title": "Bad", "date": "2022-03-05", "image": "javascript:alert(1)"},
    "2022-03-06-list.md": {"title": "List", "date": "2022-03-06", "image": ["a.png"]},
}


def _build(make_site: Callable[..., Path], build_site: Callable[..., Built], **overrides: Any) -> Built:
    built = build_site(make_site(POSTS), feeds__formats=JSON_TOO, **overrides)
    assert check_output(built.output, SITE_URL) == []
    return built


def test_front_matter_image_becomes_media_elements_and_json_image(make_site: Callable[..., Path],
                                                                   build_site: Callable[..., Built]) -> None:
    built = _build(make_site, build_site)
    files = built.bytes()
    expected = {"Path": f"{SITE_URL}/assets/a.png", "Url": "https://cdn.test/b.jpg",
                "Mapping": f"{SITE_URL}/assets/c%20d.png"}
    for name in ("feed.xml", "feed.rss"):
        for title, url in expected.items():
            assert _entry_images(files[name], title) == [("content", {"url": url, "medium": "image"}),
                                                         ("thumbnail", {"url": url})], (name, title)
        for title in ("None", "Bad", "List"):
            assert _entry_images(files[name], title) == [], (name, title)
    atom = built.feed("feed.xml")
    path_entry = next(e for e in atom.entries if e.title == "Path")
    assert path_entry.media_thumbnail == [{"url": f"{SITE_URL}/assets/a.png"}]
    items = {i["title"]: i for i in json.loads(files["feed.json"])["items"]}
    assert {t: items[t].get("image") for t in items} == {**expected, "None": None, "Bad": None, "List": None}
    warnings = sorted(str(p) for p in built.result.problems if "image:" in p.message)
    assert len(warnings) == 2 and "javascript:alert(1)" in warnings[0] and "expected a path" in warnings[1]


def test_first_image_is_off_by_default_and_takes_the_first_img_when_on(make_site: Callable[..., Path],
                                                                        build_site: Callable[..., Built]) -> None:
    built = _build(make_site, build_site, feeds__first_image=True)
    files = built.bytes()
    url = f"{SITE_URL}/in/body.png"
    assert _entry_images(files["feed.rss"], "None") == [("content", {"url": url, "medium": "image"}),
                                                        ("thumbnail", {"url": url})]
    items = {i["title"]: i for i in json.loads(files["feed.json"])["items"]}
    assert items["None"]["image"] == url and items["Path"]["image"] == f"{SITE_URL}/assets/a.png"


def test_site_icon_and_logo(make_site: Callable[..., Path], build_site: Callable[..., Built]) -> None:
    built = _build(make_site, build_site, site__icon="/favicon.png", site__logo="https://cdn.test/logo.png")
    files = built.bytes()
    atom = ET.fromstring(files["feed.xml"])
    assert atom.findtext(f"{A}icon") == f"{SITE_URL}/favicon.png"
    assert atom.findtext(f"{A}logo") == "https://cdn.test/logo.png"
    image = ET.fromstring(files["feed.rss"]).find("channel/image")
    assert image is not None and image.findtext("url") == "https://cdn.test/logo.png"
    assert image.findtext("link") == SITE_URL + "/" and image.findtext("title") == built.feed("feed.rss").feed.title
    feed = json.loads(files["feed.json"])
    assert feed["icon"] == "https://cdn.test/logo.png" and feed["favicon"] == f"{SITE_URL}/favicon.png"
    assert built.feed("feed.xml").feed.icon == f"{SITE_URL}/favicon.png"


def test_an_icon_alone_is_the_logo_too(make_site: Callable[..., Path], build_site: Callable[..., Built]) -> None:
    files = _build(make_site, build_site, site__icon="favicon.png").bytes()
    assert ET.fromstring(files["feed.xml"]).findtext(f"{A}logo") == f"{SITE_URL}/favicon.png"
    assert ET.fromstring(files["feed.rss"]).findtext("channel/image/url") == f"{SITE_URL}/favicon.png"
    assert json.loads(files["feed.json"])["icon"] == f"{SITE_URL}/favicon.png"


def test_a_site_image_that_is_not_a_web_url_is_a_config_error(make_site: Callable[..., Path]) -> None:
    from feeds import load_config
    from feeds.errors import ConfigError

    with pytest.raises(ConfigError) as caught:
        load_config(make_site({}, {"site": {"url": SITE_URL, "logo": "javascript:alert(1)"}}))
    assert "site.logo" in str(caught.value.problems[0])


def test_jekyll_feed_icon_and_logo_are_the_site_images() -> None:
    raw, problems = translate({"url": SITE_URL, "feed": {"icon": "/i.png", "logo": "/l.png"}}, "_config.yml")
    assert raw["site"]["icon"] == "/i.png" and raw["site"]["logo"] == "/l.png" and problems == []


@settings(deadline=None)
@given(st.text())
def test_any_image_text_gives_nothing_or_an_absolute_web_url(value: str) -> None:
    url = site_url_of(SITE_URL, value)
    assert url is None or url == "" or (_absolute(url, web=True) and not re.search(r'[\s"<>]', url)), url


@settings(deadline=None)
@given(st.text(), st.sampled_from(['"', "'"]))
def test_any_img_src_gives_nothing_or_an_absolute_web_url(src: str, quote_char: str) -> None:
    attribute = html.escape(src, quote=True) if quote_char == '"' else src.replace("'", "&#x27;")
    url = first_image(f"<p>x</p><img alt=\"a\" src={quote_char}https://cdn.test/{attribute}{quote_char}>", SITE_URL)
    assert url.startswith("https://cdn.test/") and _absolute(url, web=True) and not re.search(r'[\s"<>]', url), url
