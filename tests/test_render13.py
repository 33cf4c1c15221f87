"""render_post's own work, cheaper (issue 10, render13), each way equal to what it replaced: the old
ways are kept here as oracles, given arbitrary text rich in what each looks for; and each cheaper
way is shown taken (the test fails on the code before)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import make_post, unit_config
from hypothesis import example, given
from hypothesis import strategies as st

from feeds import htmlcost, kramdown, render
from feeds.commonmark import FOOTNOTES, SMART, SOURCEPOS, UNSAFE, to_html
from feeds.posts import read_body_utf8

HEADER_MARKERS = ["# h\n", "## 中文 *x*\n", "<h2>x</h2>", "<H3 id=a>y</H3>", "<h4 ", "`<h1>`", "</h", "</html>", "<h",
                  ' data-sourcepos="1:1-1:1"', '<p data-sourcepos="9:9-9:9">p</p>', "data-sourcepos", "\n\n", "\n",
                  "    <h1>c\n", "| a |\n|---|\n| b |\n", "x\n===\n", "- a\n", "> q\n", "[^1]\n\n[^1]: n\n",
                  "<div>\n\n# in\n</div>", "<!-- <h1>x</h1> -->"]
HEADERS = st.lists(st.one_of(st.sampled_from(HEADER_MARKERS), st.text(max_size=4)), max_size=25).map(
    lambda parts: re.sub("[\ud800-\udfff]", "", "".join(parts)))


def old_render_plain(value: str, auto_ids: bool, smart: bool) -> str:
    """``_render`` of a body without kramdown's syntax before render13: the body searched for raw headers first."""
    options = UNSAFE | FOOTNOTES | (SMART if smart else 0)
    raw = auto_ids and kramdown.has_raw_headers(value)
    html = to_html(value, options | (SOURCEPOS if raw else 0), ("table", "strikethrough"))
    return kramdown.finish(kramdown.mark_markdown_headers(html) if raw else html, None, auto_ids, raw)


@example('<p data-sourcepos="1:1-1:1">a</p>\n\n<h2>b</h2>', True, True)
@example('<p data-sourcepos="1:1-1:1">a</p>\n\n<h2>b', True, True)
@example("`<h1>`", True, True)
@example("# a\n\n<h2>b</h2>\n\n# a\n", True, False)
@given(HEADERS, st.booleans(), st.booleans())
def test_headers_get_the_ids_they_got_when_the_body_was_searched_first(value: str, auto_ids: bool,
                                                                       smart: bool) -> None:
    expected = old_render_plain(value, auto_ids, smart)
    assert render._render_plain(value, auto_ids, smart) == expected
    assert render._render_plain(value, auto_ids, smart, value.encode()) == expected


def test_a_body_without_header_tags_is_not_searched_for_raw_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    value = "中文 <http://x.test/h1> `<hr>` <H> <h\n\n# *a*"  # "<h" and "<H", never before a digit
    expected = old_render_plain(value, True, True)
    monkeypatch.setattr(render, "has_raw_headers", lambda value: pytest.fail("searched"))
    assert render.markdown_to_html(value) == render.markdown_to_html(value, utf8=value.encode()) == expected


@pytest.mark.parametrize("value", ["# a\n\n<h2>b</h2>\n", "## 中文\n\n<H3 id=x>y</H3> <h1>\n", "<h2>b</h2>\n"])
def test_a_body_with_raw_headers_is_rendered_once(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    """Searched for raw headers first, then rendered once with the source positions that tell the
    Markdown headers from them (not rendered plain first, then again)."""
    calls: list[int] = []
    real = render.to_html
    monkeypatch.setattr(render, "to_html", lambda *args: calls.append(1) or real(*args))
    assert render.markdown_to_html(value) == old_render_plain(value, True, True)
    assert calls == [1]


@given(st.text(st.sampled_from("<hH12367 >/\n中")), st.booleans())
def test_a_body_may_hold_raw_headers_wherever_the_regex_finds_one(value: str, utf8: bool) -> None:
    if kramdown.has_raw_headers(value):
        assert kramdown.may_hold_raw_headers(value, value.encode() if utf8 else b"")


# --- the nesting bound: its cheap answer without the Cost ----------------------------------------------

def old_too_costly(html: str, limit: int) -> str:
    """``_too_costly`` as it was: every post's HTML through ``estimate`` and its ``Cost``."""
    real = htmlcost.quickly_within
    try:
        htmlcost.quickly_within = lambda *args: False  # type: ignore[assignment]
        render.quickly_within = htmlcost.quickly_within  # type: ignore[attr-defined]
        return render._too_costly(html, limit)
    finally:
        htmlcost.quickly_within = real
        render.quickly_within = real  # type: ignore[attr-defined]


@example("<p>a</p>" * 300, 1_000_000)  # past the cheap bound: the pairs removed
@example("<!-- <p>x</p>", 1_000_000)  # a comment never closed
@given(st.lists(st.sampled_from(["&", "&amp;", "«", "<p>", "</p>", "<b>", "<div>" * 40, "<!--", "-->", "x", "中", "!"]),
                max_size=80).map("".join), st.sampled_from([10, 1_000, 1_000_000]))
def test_the_cost_check_answers_as_estimate_does(html: str, limit: int) -> None:
    assert render._too_costly(html, limit) == old_too_costly(html, limit)


def test_most_html_is_let_through_without_a_cost(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render, "estimate", lambda *a, **k: pytest.fail("estimated"))
    assert render._too_costly("<p>中文 <a href='x'>y</a></p>\n<!-- c -->\n" * 50, 1_000_000) == ""


# --- the URL filter: a post's origin and folder found once -----------------------------------------------

@given(st.lists(st.sampled_from(["/", "//", ".", "..", "../", "a", "h", "http:", "https://x.test", "{", "%7B", "%",
                                 " ", "\\", "?", "#", "img.png", "中"]), max_size=10).map("".join),
       st.sampled_from(["https://x.test/2022/03/04/post.html", "https://x.test/", "https://x.test/a/./b/../c",
                        "http://x.test/p", "https://x.test/a b/"]),
       st.sampled_from(["a", "img", "span"]), st.sampled_from(["href", "src", "class", "cite"]))
def test_the_filter_answers_as_the_long_way(value: str, base: str, tag: str, attr: str) -> None:
    rewriter = render._UrlRewriter(base.split(":")[0])
    rewriter.base = base
    expected = value if attr == "class" else rewriter.url(tag, value)
    assert rewriter(tag, attr, value) == expected


def test_a_posts_folder_is_found_once_for_its_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    render._base_parts.cache_clear()
    rewriter = render._UrlRewriter("https")
    found: list[str] = []
    real = render._base_parts
    monkeypatch.setattr(render, "_base_parts", lambda base: found.append(base) or real(base))
    rewriter.base = "https://x.test/2022/03/04/post.html"
    for value in ("../news/", "/news/1.html", "img/a.png", "//x.test/"):
        assert rewriter("a", "href", value) == render.absolute(value, rewriter.base, "https")
    assert found == ["https://x.test/2022/03/04/post.html"]


# --- what cmark writes that is not UTF-8 ------------------------------------------------------------------

@pytest.mark.parametrize("body", ["[^乛\nࠀ]", "a [^中文\nb] c", "[^é\n]"])
def test_a_footnote_label_cmark_cuts_in_a_character_is_no_traceback(tmp_path: Path, body: str) -> None:
    """cmark-gfm drops the label of a footnote reference that spans lines (github/cmark-gfm#282),
    and writes the first byte of a label's first character when it is not ASCII (``[^\\xe4]``): a
    UnicodeDecodeError out of every build holding one (hypothesis found it in test_markdown_fast).
    What is left of the character is U+FFFD, and the post is published. (kramdown reads such a
    label as text: keeping it is left to a later change, see issue 10's note.)"""
    html = render.markdown_to_html(body)
    assert html == render.markdown_to_html(body, utf8=body.encode())
    head = "---\ntitle: T\n---\n"
    path = tmp_path / "p.md"
    path.write_text(head + body + "\n", encoding="utf-8")
    post = make_post(file=path, body_start=len(head), body_line=4)
    text, utf8 = read_body_utf8(post)
    rendered, _ = render.render_post(post, text, unit_config(), None, utf8)
    assert rendered.content.startswith("<p>") and rendered.content.endswith("</p>")


def test_a_cmarkgfm_without_the_declarations_leaves_cmarks_results(monkeypatch: pytest.MonkeyPatch) -> None:
    """A cmarkgfm whose cffi declarations lack cmark_node or cmark_mem: nothing freed, as cmarkgfm's
    own call frees nothing, and no error out of every render."""
    from types import SimpleNamespace

    from feeds import commonmark

    class Undeclared(Exception):
        pass

    def cast(kind: str, value: object) -> object:
        raise Undeclared(f"unknown type {kind!r}")

    real = commonmark._cmark
    monkeypatch.setattr(commonmark, "_cmark", SimpleNamespace(__file__=real.__file__, lib=real.lib,
                                                              ffi=SimpleNamespace(cast=cast, error=Undeclared)))
    assert commonmark._frees() is None
