"""The feed index page in a real browser (Debian's chromium, headless): it loads without a console
error or an outside request, the filter box narrows the list as one types, and without JavaScript
every feed shows. Skipped, saying why, only when chromium is not installed."""
from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import make_post, unit_config
from headless import Browser, chromium

from feeds.group import group_posts
from feeds.index_page import index_bytes

EXECUTABLE = chromium()
pytestmark = pytest.mark.skipif(EXECUTABLE is None, reason="chromium is not installed (apt-get install -y chromium); "
                                                           "the browser test of the feed index page needs it")
VISIBLE = "document.querySelectorAll('li[data-f]:not([hidden])').length"
HOSTILE = "<script>alert(1)</script>"
LONG = "Averyveryverylongcategorynamewithoutanyspacethatcouldwidenthepageonaphonescreen" * 2


@pytest.fixture
def page(tmp_path: Path) -> Path:
    """A page of 1 site feed, 2,000 categories (among them hostile and very long names) and 3 tags."""
    cfg = unit_config(site_fields={"language": "en"})
    names = (HOSTILE, '"onmouseover=alert(2) x="', LONG, *(f"Sport {i}" for i in range(1000)),
             *(f"News {i}" for i in range(997)))
    posts = [make_post(f"p{i}", categories=names[i * 20:(i + 1) * 20], tags=("a", "b", "c")) for i in range(100)]
    specs, _ = group_posts(cfg, posts)
    assert len(specs) == 1 + 2000 + 3
    path = tmp_path / "feeds.html"
    path.write_bytes(index_bytes(cfg, specs))
    return path


@pytest.fixture
def browser() -> Iterator[Browser]:
    assert EXECUTABLE is not None
    chrome = Browser(EXECUTABLE)
    try:
        yield chrome
    finally:
        chrome.close()


def test_the_filter_narrows_the_list_and_nothing_goes_wrong(page: Path, browser: Browser) -> None:
    browser.open_page()
    browser.load(page.as_uri())
    assert browser.evaluate(VISIBLE) == 2004
    assert browser.evaluate("document.getElementById('filter').offsetParent !== null")  # shown with JS
    browser.evaluate("document.getElementById('filter').focus()")
    browser.type("sport 99")
    assert browser.wait_for(VISIBLE, 11) == 11  # Sport 99, Sport 990 ... Sport 999
    assert browser.evaluate("document.getElementById('tags').hidden") is True  # no tag matches: no heading
    assert "11 of 2004" in browser.evaluate("document.getElementById('shown').textContent")
    browser.evaluate("var b = document.getElementById('filter'); b.select()")
    browser.type("<script>")
    assert browser.wait_for(VISIBLE, 1) == 1
    assert browser.evaluate("document.querySelector('li[data-f]:not([hidden]) .n').textContent") == HOSTILE
    browser.evaluate("var b = document.getElementById('filter'); b.value = ''; "
                     "b.dispatchEvent(new Event('input'))")
    assert browser.wait_for(VISIBLE, 2004) == 2004
    assert browser.evaluate("window.alerted === undefined && document.scripts.length") == 1
    assert browser.errors() == []
    outside = [u for u in browser.requests() if u != page.as_uri() and not u.startswith("data:")]
    assert outside == []  # nothing fetched from anywhere


def test_without_javascript_every_feed_shows_and_fits_a_phone(page: Path, browser: Browser) -> None:
    browser.open_page(javascript=False, width=375)
    browser.load(page.as_uri())
    assert browser.evaluate(VISIBLE) == 2004
    assert browser.evaluate("document.getElementById('filter').offsetParent") is None  # a box that does nothing: hidden
    assert browser.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scrolling
    assert browser.errors() == []


@pytest.mark.parametrize("policy", [True, False])
def test_the_browser_check_sees_a_script_error(tmp_path: Path, browser: Browser, policy: bool) -> None:
    """The check above is not blind: a script the policy refuses, or one that fails, is caught."""
    cfg = unit_config()
    specs, _ = group_posts(cfg, [make_post("a", categories=("x",))])
    data = index_bytes(cfg, specs).replace(b'getElementById("filter")', b'getElementById("filter").no.such')
    if not policy:
        data = re.sub(rb'<meta http-equiv="Content-Security-Policy"[^>]*>', b"", data)
    broken = tmp_path / "broken.html"
    broken.write_bytes(data)
    browser.open_page()
    browser.load(broken.as_uri())
    said = browser.errors()
    assert said and ("Content Security Policy" in said[0]) == policy, said
