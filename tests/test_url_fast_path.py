"""The URL rewrite's fast path (issue 10): the URLs nearly every post holds (http(s) URLs with a
plain host, plain relative paths) are made absolute without urllib, and always exactly as
``absolute`` makes them; every other URL takes ``absolute``'s own way."""
from __future__ import annotations

from typing import Any

import pytest
from conftest import unit_config
from hypothesis import example, given
from hypothesis import strategies as st

from feeds import render
from feeds.render import _harmless, absolute, clean_html, plain_absolute

BASES = ["https://x.test/2022/03/04/post.html", "https://x.test/blog/a/b/", "https://x.test/", "http://x.test/p",
         "https://x.test/a%20b/c.html", "https://x.test/a;b/c", "https://x.test/p?q=1", "https://x.test:8080/p",
         "https://user@x.test/p", "https://[::1]/p", "https://x.test", "https://x.test/中文/"]
PIECES = ["a", "b", ".", "..", "/", "//", "?", "#", ";", ":", "%7B", "%25", "{", "\\", " ", "\t", "\n", "é", "http:",
          "https:", "HTTP:", "//h.com", "//h.com:99999", "h.com", "-", "~", "@", "[", "]", "0", "x.png", "\x01",
          "mailto:", "data:image/png,", "javascript:", "ftp:", "'", '"', "<", ">", "=", "&amp;", "*", "+", ","]
PLAIN = ["a", ".", "..", "/", "//", "x.png", "%41", "-", "~", "@", "[", "]", "'", '"', "<", "=", "&", "*", "!", "$",
         "http:", "https:", "h.com", "?", "#"]  # what the fast path takes, mostly


@example(url="../news/", base=BASES[0], scheme="https")
@example(url="//www.example.com/", base=BASES[0], scheme="https")
@example(url="http://www.example.com/news/1.html", base=BASES[0], scheme="https")
@example(url="..", base="https://x.test/a/b.html", scheme="https")
@example(url="../../../x", base="https://x.test/a/b.html", scheme="http")
@example(url="a//b/./c/..", base="https://x.test//a/b.html", scheme="https")
@example(url="/a//b/../c", base=BASES[1], scheme="https")
@given(url=st.one_of(*(st.lists(st.sampled_from(p), max_size=8).map("".join) for p in (PIECES, PLAIN))),
       base=st.sampled_from([*BASES, "https://x.test//a/b.html", "https://x.test/a/./b/../c"]),
       scheme=st.sampled_from(["http", "https"]))
def test_the_fast_path_gives_what_absolute_gives(url: str, base: str, scheme: str) -> None:
    fast = plain_absolute(url, base, scheme)
    if fast is not None:
        assert fast == absolute(url, base, scheme)
        assert _harmless("a", fast)


@pytest.mark.parametrize("url", ["../news/", "/news/1.html", "img/1.png", "https://img.example.com/a.jpg",
                                 "http://www.example.com/news/1.html", "//www.example.com/", "./x", "..", "a/../b"])
def test_plain_urls_take_the_fast_path(url: str) -> None:
    assert plain_absolute(url, BASES[0], "https") is not None


@pytest.mark.parametrize("url", ["", " a", "a b", "a\\b", "https://h.com:8080/", "https://u@h.com/", "https://[::1]/",
                                 "a?q", "a#f", "a;p", "mailto:x@y", "data:image/png,x", "HTTPS://h.com/", "http:/x",
                                 "https:x", "///x", "https://h.com/é", "é", "\ta"])
def test_other_urls_take_absolutes_own_way(url: str) -> None:
    assert plain_absolute(url, BASES[0], "https") is None


def test_a_typical_body_is_cleaned_without_urllib(monkeypatch: pytest.MonkeyPatch) -> None:
    """The benchmark corpus's links and images (bench/corpus.py): no urljoin, no urlsplit per URL."""
    calls: list[Any] = []
    for name in ("urljoin", "urlsplit"):
        real = getattr(render, name)
        monkeypatch.setattr(render, name, lambda *a, real=real: calls.append(a) or real(*a))
    body = ('<p><span class="x">正文</span></p><center><img src="https://img.example.com/a/1.jpg" alt="图"></center>'
            '<ul><li><a href="../news/1/">一</a></li><li><a href="/news/2.html">二</a></li></ul>'
            '<p><a href="http://www.example.com/news/3.html">http://www.example.com/news/3.html</a> '
            '<a href="../news/">返回</a> <a href="//www.example.com/">首页</a></p>')
    cfg = unit_config()
    base = "https://x.test/2022/03/04/post.html"
    cleaned = clean_html(body, base, cfg)
    assert [a for a in calls if a != (cfg.site.url,)] == []  # the site's scheme, once a post: no URL of the body
    assert 'href="https://x.test/2022/03/news/1/"' in cleaned and 'href="https://www.example.com/"' in cleaned


@example(url="https://x.test/a?b=[1]#c", tag="a")
@example(url="http://a..b/%zz", tag="img")
@given(url=st.one_of(st.lists(st.sampled_from(PIECES + PLAIN), max_size=8).map("".join),
                     st.lists(st.sampled_from(PLAIN), max_size=6).map(lambda p: "https://x.test/" + "".join(p)),
                     st.text(max_size=20).map(lambda t: "http://h.test" + t)),
       tag=st.sampled_from(["a", "img", "source", "blockquote"]))
def test_the_fragment_checks_fast_path_admits_only_what_every_check_admits(url: str, tag: str) -> None:
    """The background check of a fresh clone's cached fragments tells a plain http(s) URL without
    urllib: every one it admits, the whole check admits too (``_other_url_ok``)."""
    from feeds.fragment_check import _PLAIN_HTTP, _other_url_ok

    if _PLAIN_HTTP.fullmatch(url):
        assert _other_url_ok(tag, url)


@example(path="../../../../x/", base="https://x.test/a/b.html")
@example(path="../", base="https://x.test/a/./b/../c/d.html")
@example(path="a/", base="https://x.test//a//b/")
@given(path=st.tuples(st.integers(0, 5), st.lists(st.sampled_from(["a", "b.png", "", ".", "..", ".x", "~"]),
                                                  max_size=4)).map(lambda t: "../" * t[0] + "/".join(t[1])),
       base=st.lists(st.sampled_from(["a", "", ".", "..", "b.html"]), max_size=5)
       .map(lambda segments: "https://x.test/" + "/".join(segments)))
def test_relative_paths_climbing_a_folder_are_joined_as_urljoin_joins_them(path: str, base: str) -> None:
    """The folder is resolved once a base (``_base_parts``), and a path of ``../`` then plain
    segments is joined without walking it: the answer is urljoin's, whatever the dots and empty
    segments in either."""
    plain = plain_absolute(path, base, "https")
    assert plain is None or plain == absolute(path, base, "https")
    if path and not path.startswith("/") and ".." not in base and "//" not in base[8:]:
        assert plain is not None
