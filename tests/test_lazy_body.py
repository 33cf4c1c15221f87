"""The render task reads a body's bytes and decodes them only where a step asks for the text
(``feeds.body``, issue 10, render12): each check that now looks at the bytes is equal to the one on
the text, a post renders the same from its bytes as from its text (arbitrary bodies), and a plain
body is rendered without its text being decoded at all (the test fails on the code before)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import HEAVY_EXAMPLES, make_post, unit_config
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from feeds import kramdown, render, sources, text
from feeds.body import Body
from feeds.commonmark import FOOTNOTES, SMART, SOURCEPOS, UNSAFE, to_html
from feeds.posts import Post, read_body_utf8, read_lazy_body
from feeds.render import render_post

MARKERS = ["<h1>", "<H2 ", "<h3/", "<h4\u3000", "<h5\xa0", "<h6\x85", "<h1\u2028", "<h2\u200b", "<h7>", "<h", "<",
           "{:", "{#", "[^1]", "*[", "] [", "\n^", "$$", "markdown=", "\nTerm\n: x", "‘", "’", "“", "”", "—", "…",
           "&#1;", "&#", "&", "\x01", "\x7f", "\x85", "\ufffe", "\uffff", "\uffbf", "，", "中文", "[a](/b)", "\r\n",
           "\n\n", "<p>", "`code`"]
TEXT = st.lists(st.one_of(st.sampled_from(MARKERS), st.text(max_size=6)), max_size=50).map(
    lambda parts: re.sub("[\ud800-\udfff]", "", "".join(parts)))


def _post_file(tmp_path: Path, body: bytes, markdown: bool = True) -> Post:
    head = b"---\ntitle: T\n---\n"
    path = tmp_path / ("p.md" if markdown else "p.html")
    path.write_bytes(head + body)
    return make_post(file=path, body_start=len(head), body_line=4, markdown=markdown)


def test_raw_headers_are_found_in_the_bytes_as_in_the_text_for_every_character() -> None:
    """``\\s`` of a text pattern is every character ``str.isspace`` is true of: the bytes' pattern
    spells out each one's UTF-8."""
    for point in range(0x110000):
        if 0xD800 <= point < 0xE000:
            continue
        value = f"<h1{chr(point)}"
        assert kramdown.has_raw_headers_utf8(value.encode()) == kramdown.has_raw_headers(value), hex(point)


@example("<H2 x>" + "中" * 40 + "<h3>")
@example("‘a’ “b”")
@example("a\n\n— b …")
@given(TEXT)
def test_each_check_of_the_bytes_is_the_check_of_the_text(value: str) -> None:
    data = value.encode()
    assert kramdown.has_raw_headers_utf8(data) == kramdown.has_raw_headers(value)
    assert kramdown.uses_kramdown_utf8(data) == kramdown.uses_kramdown(value)
    assert text.utf8_has_forbidden(data) == text.has_forbidden(value) == text.utf8_has_forbidden(data, value)
    if not kramdown.may_hold_typed_quotes(data):  # nothing to hide: the text need not be asked for
        assert kramdown.hide_typed_quotes(value) == (value, False)


@settings(max_examples=HEAVY_EXAMPLES, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(TEXT, st.booleans())
@example("<p>“中文”</p>\n\n<p>x&#x80;</p>", True)
@example("# T\n\n<h2 id=x>raw</h2>\n\n{: .c}\n\na\x01b", True)
def test_a_post_renders_the_same_from_its_bytes_as_from_its_text(tmp_path: Path, value: str,
                                                                   markdown: bool) -> None:
    cfg = unit_config()
    post = _post_file(tmp_path, value.encode(), markdown)
    read, utf8 = read_body_utf8(post)
    assert render_post(post, read_lazy_body(post), cfg) == render_post(post, read, cfg) == render_post(
        post, read, cfg, None, utf8)


def test_a_plain_body_is_rendered_without_its_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No typed quotes, no kramdown, nothing XML forbids: cmark gets the bytes, every check looks at
    them, and the text is never decoded."""
    post = _post_file(tmp_path, "<p>中文，text</p>\n\n[link](/x) and *more* — …\n\n<h2>raw</h2>\n".encode())
    body = read_lazy_body(post)
    rendered, problems = render_post(post, body, unit_config())
    assert body.known_text is None and body.utf8
    assert rendered.content.startswith("<p>中文，text</p>") and not problems
    monkeypatch.setattr(Body, "text", property(lambda self: pytest.fail("the body was decoded")))
    render_post(post, read_lazy_body(post), unit_config())


@pytest.mark.parametrize("data", [b"a\r\nb\n", b"a\rb", "中文\n".encode(), b"\xff\xfe not UTF-8", b"", b"plain\n"])
def test_a_body_is_read_as_read_from_utf8_reads_it(tmp_path: Path, data: bytes) -> None:
    post = _post_file(tmp_path, data)
    body = sources.read_body_at(str(post.file), post.body_start)
    assert (body.text, body.utf8) == sources.read_from_utf8(str(post.file), post.body_start)
    assert sources.read_body_at(str(tmp_path / "gone.md"), 0).text == ""


def test_bytes_that_are_not_utf8_are_read_as_an_empty_body() -> None:
    body = Body(None, b"a\xffb")
    assert (body.text, body.utf8) == ("", b"")


BYTES = st.lists(st.one_of(st.sampled_from([b"\xff", b"\xfe", b"\xc0\xaf", b"\xed\xa0\x80", b"\xe4\xb8", b"`\x80`",
                                            b"[x](/a\xff)", b"<a href='\xfe'>", b"# h\xff\n", b"\n\n", b"    c\x80\n",
                                            b"<h2>", b"\xe2\x80\x9c", b"{:", b"&#1;", b"\x01", "中".encode()]),
                           st.binary(max_size=4)), max_size=12).map(b"".join)


@settings(max_examples=HEAVY_EXAMPLES, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(BYTES)
@example(b"`\x80`")
def test_bytes_that_are_no_longer_utf8_are_rendered_without_a_traceback(tmp_path: Path, data: bytes) -> None:
    """A file rewritten since it was read into bytes that are not UTF-8: rendered as cmark reads them,
    or, where cmark hands them back undecodable, as the empty body ``read_from_utf8`` reads."""
    post = _post_file(tmp_path, data)
    rendered, _ = render_post(post, read_lazy_body(post), unit_config())
    try:
        to_html(data, UNSAFE | FOOTNOTES | SMART, ("table", "strikethrough"))
    except UnicodeDecodeError:
        assert rendered == render_post(post, "", unit_config())[0]


HEADER_MARKERS = ["# h\n", "## 中文 *x*\n", "<h2>x</h2>", "<H3 id=a>y</H3>", "<h4 ", "`<h1>`", "</h", "</html>", "<h",
                  ' data-sourcepos="1:1-1:1"', '<p data-sourcepos="9:9-9:9">p</p>', "\n\n", "\n", "    <h1>c\n",
                  "| a |\n|---|\n| b |\n", "x\n===\n", "- a\n", "> q\n", "[^1]\n\n[^1]: n\n", "<div>\n\n# in\n</div>"]
HEADERS = st.lists(st.one_of(st.sampled_from(HEADER_MARKERS), st.text(max_size=4)), max_size=25).map(
    lambda parts: re.sub("[\ud800-\udfff]", "", "".join(parts)))


def old_render_plain(value: str, auto_ids: bool) -> str:
    """``_render`` of a body without kramdown's syntax before render12: the body's raw headers first."""
    options = UNSAFE | FOOTNOTES | SMART
    raw = auto_ids and kramdown.has_raw_headers(value)
    html = to_html(value, options | (SOURCEPOS if raw else 0), ("table", "strikethrough"))
    return kramdown.finish(kramdown.mark_markdown_headers(html) if raw else html, None, auto_ids, raw)


@example('<p data-sourcepos="1:1-1:1">a</p>\n\n<h2>b</h2>', True)
@example("`<h1>`", True)
@given(HEADERS, st.booleans())
def test_headers_get_the_ids_they_got_when_the_body_was_searched_first(value: str, auto_ids: bool) -> None:
    expected = old_render_plain(value, auto_ids)
    assert render._render_plain(Body(value), auto_ids, True) == expected
    assert render._render_plain(Body(None, value.encode()), auto_ids, True) == expected


def test_a_body_without_headers_is_not_searched_for_raw_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render, "has_raw_headers", lambda value: pytest.fail("searched"))
    monkeypatch.setattr(render, "has_raw_headers_utf8", lambda value: pytest.fail("searched"))
    value = "中文 `<h1>` <h2 class=x>\n\n*a*"  # raw header tags, no header element
    assert render.markdown_to_html(value) == render.markdown_to_html(value, utf8=value.encode()) == old_render_plain(
        value, True)
