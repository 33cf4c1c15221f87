"""The render stage made cheaper again (issue 10, round 6), each change equal to what it replaced
and held to the work it saves, never to a clock."""
from __future__ import annotations

import sqlite3
import tracemalloc
from pathlib import Path

import pytest
from conftest import make_post, unit_config
from hypothesis import example, given
from hypothesis import strategies as st

from feeds import cache, htmlcost, render, text, xmlfast
from feeds.formats import BY_NAME
from feeds.fragments import post_fragments
from feeds.render import Rendered

FORBIDDEN_PIECES = ["\x00", "\x08", "\t", "\n", "\x0b", "\r", "\x1f", " ", "\x7f", "\x80", "\x85", "\x9f", "\xa0",
                    "\ufffe", "\uffff", "\ufffd", "，", "中", "é", "<", "&"]


@given(st.lists(st.one_of(st.sampled_from(FORBIDDEN_PIECES), st.text(max_size=4)), max_size=40)
       .map(lambda parts: "".join(parts).encode("utf-8", "ignore").decode()))
@example("x" * 5000 + "\x1f")
@example("中" * 100 + "\x7f")
def test_the_utf8_check_finds_what_the_text_search_finds(value: str) -> None:
    data = value.encode()
    assert text.utf8_has_forbidden(data, value) == text.has_forbidden(value)
    assert text.utf8_has_forbidden(data) == text.has_forbidden(value)


def test_the_utf8_check_copies_nothing() -> None:
    """A body's bytes are looked through in place (memchr per forbidden byte), not copied: deleting
    the allowed bytes with ``translate`` made a copy of each body and took twice as long."""
    data = ("中文，正文。" * 100_000 + "\n").encode()  # 1.8 MB, nothing forbidden
    tracemalloc.start()
    try:
        assert not text.utf8_has_forbidden(data, data.decode())
        tracemalloc.reset_peak()
        assert not text.utf8_has_forbidden(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024


# --- entry fragments made as (head, body, tail): stored split where they were made ----------------

TITLES = ["T", "&", "<p>", "a\rb", "中文", "\x85", "  "]
CONTENTS = ["", "<p>x</p>", "<p>&amp; &lt;</p>", "a\rb", "中文<b>粗</b>", "\x85", "<p>T</p>"]


@given(title=st.sampled_from(TITLES), content=st.sampled_from(CONTENTS), summary=st.sampled_from(["", "s", "<"]),
       excerpt_only=st.booleans(), fmt=st.sampled_from(["atom", "rss", "json"]))
@example(title="&lt;p&gt;T&lt;/p&gt;", content="<p>T</p>", summary="", excerpt_only=False, fmt="atom")
def test_a_fragments_parts_are_its_bytes_around_its_content(title: str, content: str, summary: str,
                                                            excerpt_only: bool, fmt: str) -> None:
    """(head, body, tail) joined is the fragment (feedgen's bytes where xmlfast refuses a value);
    the body is what the cache stores for the post's content, or b"" (none to leave out)."""
    cfg = unit_config()
    post = make_post(title=title, excerpt_only=excerpt_only)
    rendered = Rendered(content, summary)
    head, body, tail = BY_NAME[fmt].make_parts(cfg, post, rendered)
    assert head + body + tail == BY_NAME[fmt].make_fragment(cfg, post, rendered)
    assert body in (b"", xmlfast.content_bytes(content))


def test_the_render_stage_stores_fragments_split_without_searching(monkeypatch: pytest.MonkeyPatch,
                                                                   tmp_path: Path) -> None:
    """The render stage's fragment rows are cut where they were made: the content's bytes are never
    looked for in the joined fragment (``_where``), and no fragment is joined to be cut again."""
    monkeypatch.setattr(cache, "_where", lambda *a: pytest.fail("a fragment made here was searched"))
    cfg = unit_config()
    store = cache.WorkerCache(cache.Cache(tmp_path).file)
    made = []
    for n, content in enumerate(["<p>one</p>", "<p>中文 &amp; two</p>", ""]):
        post, rendered = make_post(f"p{n}"), Rendered(content, "s")
        rows = post_fragments(cfg, post, rendered, f"r{n}", "e", ("atom", "rss"))
        made += [(fkey, BY_NAME[fmt].make_fragment(cfg, post, rendered)) for fmt, (fkey, *_) in zip(("atom", "rss"),
                                                                                                  rows)]
        assert store.put([(f"r{n}", rendered, [])], rows, {f"r{n}": xmlfast.content_bytes(content)})
    found, _ = cache.WorkerCache(store.file).fragments({fkey: f"r{fkey_n}" for fkey_n, fkey in
                                                        ((n // 2, fkey) for n, (fkey, _) in enumerate(made))})
    assert found == dict(made)
    db = sqlite3.connect(store.file)
    split = db.execute("SELECT count(*) FROM fragments WHERE tail IS NOT NULL").fetchone()[0]
    assert split == 4  # the two posts with content, in both formats; the empty one whole


# --- the URL attribute filter: its common cases without calls ----------------------------------

URL_PIECES = ["http:", "https:", "//", "/", "h.com", "a", "..", ".", "?", "#", "{", "{{", "%", "%7B", "%25", "\\", " ",
              "é", ":", "@", "[", "]", "mailto:", "data:image/png,", "javascript:", "x.png", "-", "~", "1x", ","]
ATTRS = ["href", "src", "class", "alt", "srcset", "imagesrcset", "poster", "cite", "xlink:href", "formaction", "title"]


def _reference_filter(rewriter: render._UrlRewriter, tag: str, attr: str, value: str) -> str | None:
    """The filter as it was: every URL attribute through ``url``, srcset candidate by candidate."""
    if attr in render._URL_ATTRS or attr in render._OTHER_URL_ATTRS:
        return rewriter.url(tag, value)
    if attr in ("srcset", "imagesrcset"):
        return render._srcset(tag, value, rewriter.url)
    return value


@given(value=st.lists(st.sampled_from(URL_PIECES), max_size=8).map("".join), attr=st.sampled_from(ATTRS),
       tag=st.sampled_from(["a", "img", "source", "div"]), sanitize=st.booleans(),
       base=st.sampled_from(["https://x.test/2022/03/04/post.html", "http://x.test/a/", "https://x.test/中/"]))
@example(value="http://h.com/{{x}}", attr="href", tag="a", sanitize=True, base="https://x.test/p.html")
@example(value="//h.com/%7B%7Bx", attr="src", tag="img", sanitize=True, base="https://x.test/p.html")
def test_the_filter_gives_what_it_gave(value: str, attr: str, tag: str, sanitize: bool, base: str) -> None:
    rewriter = render._UrlRewriter(base.split(":")[0], sanitize)
    rewriter.base = base
    assert rewriter(tag, attr, value) == _reference_filter(rewriter, tag, attr, value)


def test_plain_web_urls_and_other_attributes_take_no_call(monkeypatch: pytest.MonkeyPatch) -> None:
    """Half the attributes a post holds are no URL (class, alt), and most URLs are http(s) URLs with
    a plain host: the filter answers both without calling further (a Python call costs more than
    the answer)."""
    rewriter = render._UrlRewriter("https")
    rewriter.base = "https://x.test/2019/01/01/p.html"
    monkeypatch.setattr(rewriter, "url", lambda *a: pytest.fail("url() called"))
    monkeypatch.setattr(render, "plain_absolute", lambda *a: pytest.fail("plain_absolute() called"))
    assert rewriter("span", "class", "text") == "text"
    assert rewriter("img", "alt", "") == ""
    assert rewriter("a", "href", "http://www.example.com/news/4042.html") == "http://www.example.com/news/4042.html"
    assert rewriter("a", "href", "//www.example.com/") == "https://www.example.com/"
    assert rewriter("img", "src", "https://img.example.com/2023/4b.jpg") == "https://img.example.com/2023/4b.jpg"


def test_html_without_a_bang_is_not_searched_for_comments() -> None:
    """The cost bound looks for an unclosed comment only where a '!' is (one memchr): two searches
    for "<!--" and "-->" in every post's HTML took longer than the rest of the bound."""
    searched: list[str] = []

    class Watched(str):
        def rfind(self, *args: object) -> int:  # type: ignore[override]
            searched.append(str(args[0]))
            return super().rfind(*args)  # type: ignore[arg-type]

    assert htmlcost.estimate(Watched("<p>中文 <a href='x'>y</a></p>\n" * 50), 512, 20_000_000).depth > 0
    assert searched == []
    htmlcost.estimate(Watched("<p>a</p><!-- b -->"), 512, 20_000_000)
    assert searched  # a '!': the comment's ends are looked for as before
