"""The render task's cheaper checks (issue 10, round 11): each new way of asking gives exactly the
answer of the way it replaces, held to it over arbitrary text (Chinese, controls, the markers
themselves, noncharacters)."""
from __future__ import annotations

import re

from hypothesis import example, given
from hypothesis import strategies as st

from feeds import render
from feeds.kramdown import hide_typed_quotes, needs_raw_blocks, uses_kramdown
from feeds.kramdown.after import _HTML_AS_CODE
from feeds.kramdown.before import _bracket_trigger, _bracket_trigger_utf8, _definition, _definition_utf8
from feeds.text import _TAG, _without_tags, has_forbidden, plain_text, utf8_has_forbidden

# the markers the checks look for, and characters around them: CJK (whose code units hold the same
# low bytes as '[' or '|'), curly quotes and their lead byte's neighbours, controls, noncharacters
PIECES = ["[", "]", "^", "*", " ", "\t", "\n", ":", "{", "{:", "{#", "$", "$$", "markdown=", "k", "|", "<p>", "</p>",
          "<p>|", "<pre><code>", "&lt;", "&", "<", ">", "<span>", "</span>", "<P>", "a", "学", "孩", "工", "，",
          "年", "‘", "’", "“", "”", "—", "…", "\x01", "\x7f", "\x85", "\ufffe", "\uffff", "\ufdd0", "é", "😀"]
texts = st.lists(st.sampled_from(PIECES) | st.text(max_size=3), max_size=40).map("".join)
_OLD_FIRST_PARAGRAPH = re.compile(r"<p[\s>].*?</p>", re.S | re.I)


@example(text="[^1]")
@example(text="a] [b")
@example(text="*[HTML]: x")
@example(text="\n : def")
@example(text="{: .c}")
@example(text="x <div markdown=1>")
@given(text=texts)
def test_uses_kramdown_reads_the_bytes_as_the_text(text: str) -> None:
    data = text.encode("utf-8", "surrogatepass")
    assert uses_kramdown(text, data) == uses_kramdown(text)
    assert _bracket_trigger_utf8(data) == _bracket_trigger(text)
    assert _definition_utf8(data) == _definition(text)


@given(text=texts)
def test_bracket_and_definition_after_many_markers(text: str) -> None:
    """Past the occurrences looked at one by one, the searches answer."""
    for padded in ("[x]" * 40 + text, "a:b" * 40 + text):
        data = padded.encode("utf-8", "surrogatepass")
        assert _bracket_trigger_utf8(data) == _bracket_trigger(padded)
        assert _definition_utf8(data) == _definition(padded)


@example(rendered="<p>|a|</p>")
@example(rendered="|<p>|")
@example(rendered="<pre><code>&lt;tr&gt;")
@given(rendered=texts)
def test_needs_raw_blocks_as_before(rendered: str) -> None:
    before = ("<pre><code>" in rendered and _HTML_AS_CODE.search(rendered) is not None) or "<p>|" in rendered
    assert needs_raw_blocks(rendered) == before
    assert needs_raw_blocks("|" * 20 + rendered) == (before or "<p>|" in "|" * 20 + rendered)


@given(text=texts)
def test_typed_quotes_hidden_as_before(text: str) -> None:
    assert hide_typed_quotes(text, text.encode("utf-8", "surrogatepass")) == hide_typed_quotes(text)


@example(fragment="<p></p>")
@example(fragment="<p>a</p>")
@example(fragment="<p>a<br></p>")
@example(fragment="<p>a > b</p>")
@given(fragment=texts)
def test_tags_taken_out_as_the_regex_takes_them(fragment: str) -> None:
    for text in (fragment, f"<p>{fragment}</p>"):
        assert _without_tags(text) == _TAG.sub(" ", text)
        assert plain_text(text, 300) == plain_text_before(text, 300)


def plain_text_before(fragment: str, limit: int) -> str:
    import html
    text = " ".join(html.unescape(_TAG.sub(" ", fragment)).split())
    if limit and len(text) > limit:
        cut = text.rfind(" ", 0, limit)
        text = text[: cut if cut > limit // 2 else limit].rstrip() + "…"
    return text


@example(html="<p>a</p><p>b</p>")
@example(html="<p>a</P>")
@example(html="<p>")
@example(html="<p><p>x</p>")
@given(html=texts)
def test_first_paragraph_as_the_regex_finds_it(html: str) -> None:
    for text in (html, "<p>" + html):
        found = _OLD_FIRST_PARAGRAPH.search(text)
        assert render.first_paragraph(text) == (found.group(0) if found else "")


@given(text=texts)
def test_forbidden_as_before(text: str) -> None:
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # a surrogate: never in text decoded from a file
        return
    assert utf8_has_forbidden(data, text) == has_forbidden(text)


@given(value=st.lists(st.sampled_from(["h", "t", "p", "s", ":", "/", "//", "a.b", ".", "-", "x", "?", "#", " ", "\\",
                                      "H", "é"]), max_size=12).map("".join))
def test_only_values_starting_as_a_web_url_can_be_plain_web(value: str) -> None:
    """The rewriter asks _PLAIN_WEB only of values starting with "h" or "//"."""
    if render._PLAIN_WEB.match(value):
        assert value[:1] == "h" or value[:2] == "//"
