"""The Python around cmark, cheaper (issue 10, md7), each way equal to what it replaced: the old
checks are kept here as oracles and given arbitrary text rich in what each one looks for; and
each cheaper way is shown taken (the test fails on the code before)."""
from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from feeds import htmlcost, kramdown, render, sources
from feeds.kramdown import after, before, quotes

# '[' and ':' themselves, and CJK characters whose low byte is '[' (U+4E5B) or ':' (U+4E3A 为): in
# the text, a search for '[' or ':' stops at those too
MARKERS = ["[", "]", "[^", "*[", "] [", "]\t[", ":", ": ", ":\t", "\n:", "\n :\t", "\n\t: ", "{:", "{#", "{", "\n^",
           "^", "$$", "$", "markdown=", "markdown", "=", "\u4e5b", "\u4e3a", "\u5b5b", "中", "é", "\ufdd0", "‘", "’",
           "“", "”", " ", "\t", "\n", "*", "<h1>", "<H2 ", "<h3/", "<h", "<h7>", "<hr>", "</h1>", "</h", "<", "&",
           "&lt;&lt;", "&gt;&gt;", "&lt;", "<pre><code>", "<p>|", "|", "\u3000", "\x85", "\xa0", "\x1c"]
TEXT = st.lists(st.one_of(st.sampled_from(MARKERS), st.text(max_size=6)), max_size=60).map("".join)
NO_SURROGATES = TEXT.map(lambda t: re.sub("[\ud800-\udfff]", "", t))
_RAW_HEADER = re.compile(r"<[hH][1-6][\s/>]")


def old_uses_kramdown(value: str) -> bool:
    return any(t in value for t in kramdown.TRIGGERS) or before._TRIGGER.search(value) is not None


def old_has_raw_headers(value: str) -> bool:
    return "<h" in value and _RAW_HEADER.search(value) is not None


@example("[a](b) " * 40 + "[^1]")  # past the '[' looked at one by one: searched
@example("a: " * 40 + "\nTerm\n: definition\n")
@example("\u4e5b" * 50 + "*[HTML]: x")
@example("x\n  :\tdefinition")
@example("[" + "\u4e3a:" * 40)
@given(NO_SURROGATES)
def test_kramdown_is_noticed_in_the_bytes_as_in_the_text(value: str) -> None:
    found = old_uses_kramdown(value)
    assert kramdown.uses_kramdown(value, value.encode()) == found
    assert kramdown.uses_kramdown(value) == found


@pytest.mark.parametrize("trigger", ["[^1]", "*[HTML]: x", "[a] [b]", "[a]\t[b]", "Term\n: definition",
                                     "Term\n  :\tdefinition"])
def test_each_trigger_is_found_in_the_bytes_among_cjk(trigger: str) -> None:
    for value in (trigger, "\u4e5b\u4e3a中" * 200 + trigger, "[a](https://x.test/b:c) " * 40 + trigger):
        assert kramdown.uses_kramdown(value, value.encode())


def test_the_brackets_and_colons_are_looked_for_in_the_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the bytes at hand, the text is not walked '[' by '[' or ':' by ':' (in CJK text each
    search stops at many characters that are neither)."""
    def refuse(value: str) -> bool:
        raise AssertionError("the text was walked")
    monkeypatch.setattr(before, "_bracket_trigger", refuse)
    monkeypatch.setattr(before, "_definition", refuse)
    body = "<p>经济\u4e5b建设\u4e3a运营</p>\n\n- 推荐：[改革](/news/1.html) <http://x.test/a:b>\n" * 20
    assert not kramdown.uses_kramdown(body, body.encode())
    assert kramdown.uses_kramdown("[^1]\n\n[^1]: x", b"[^1]\n\n[^1]: x")
    with pytest.raises(AssertionError):
        kramdown.uses_kramdown(body)  # without the bytes: the text's way


@example("<http://x.test/> <h2 id=a>x</h2>")
@example("<h1\u3000>x</h1>")
@example("<h1\x85>")
@example("<H6/>")  # an upper-case tag alone was not noticed (the search was for "<h" first)
@example("<H6/> <h")
@given(TEXT)
def test_raw_headers_are_found_as_they_were(value: str) -> None:
    assert kramdown.has_raw_headers(value) == old_has_raw_headers(value)


class Watched(str):
    """A text that notes each string looked for in it with ``in``."""
    sought: list[str]

    def __contains__(self, other: object) -> bool:
        self.sought.append(str(other))
        return super().__contains__(str(other))


def watched(value: str) -> Watched:
    text = Watched(value)
    text.sought = []
    return text


def test_an_autolink_is_not_a_reason_to_search_twice_for_headers() -> None:
    """A body with ``<http://…>`` holds "<h": it was searched for that, then by the pattern."""
    body = watched("原文链接：<http://www.example.com/news/1.html>\n" * 10)
    assert not kramdown.has_raw_headers(body)
    assert "<h" not in body.sought


@given(TEXT, st.booleans(), st.booleans())
def test_html_without_a_closing_header_tag_has_no_header_to_give_an_id(value: str, auto_ids: bool,
                                                                       marked: bool) -> None:
    """``finish`` looks for "</h" before giving ids: where there is none, the header pass would
    have changed nothing."""
    if "</h" not in value:
        assert after._header_ids(value, auto_ids, marked) == value


def test_a_rule_or_a_link_is_not_a_header(monkeypatch: pytest.MonkeyPatch) -> None:
    pattern = after._HEADER

    class Counting:
        calls = 0

        def sub(self, *args: Any) -> str:
            Counting.calls += 1
            return pattern.sub(*args)
    counting = Counting()
    monkeypatch.setattr(after, "_HEADER", counting)
    html = '<p>a</p>\n<hr />\n<p><a href="https://x.test/">https://x.test/</a></p>\n'
    assert kramdown.finish(html, None, True) == html and Counting.calls == 0
    assert kramdown.finish("<h2>A b</h2>\n", None, True) == '<h2 id="a-b">A b</h2>\n' and Counting.calls == 1


def test_quotes_without_an_ampersand_are_not_searched_for_guillemets() -> None:
    html = watched("<p>“经济”建设 ‘运营’</p>\n" * 10)
    quotes.requote(html, False)
    assert "&lt;&lt;" not in html.sought and "&gt;&gt;" not in html.sought
    assert quotes.requote("<p>&lt;&lt; a &gt;&gt;</p>", False) == "<p>«\u00a0a\u00a0»</p>"  # still set


@example("a &lt;&lt; b", False)
@example("&gt;&gt;<code>&lt;&lt;</code>", True)
@given(TEXT, st.booleans())
def test_guillemets_are_set_as_they_were(value: str, hidden: bool) -> None:
    """The '&' looked for first changes nothing: each guillemet holds one."""
    def old_guillemets(text: str) -> str:
        parts = quotes.CODE.split(text)
        return "".join(part if n % 2 else quotes._GUILLEMETS.sub(quotes._guillemet, part)
                       for n, part in enumerate(parts))
    if "&" not in value:
        assert old_guillemets(value) == value


@example("[a](b) *[X]: y\n\nX", True)
@example("Term\n: def\n\n“q” 'a'", True)
@example("<h2>x</h2>\n\n# y\n", True)
@given(NO_SURROGATES, st.booleans())
def test_markdown_from_the_bytes_is_markdown_from_the_text(value: str, auto_ids: bool) -> None:
    assert render.markdown_to_html(value, auto_ids, True, value.encode()) == render.markdown_to_html(value, auto_ids)


def test_a_body_is_read_in_one_call_when_the_file_ends_where_it_stood(tmp_path: Any,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A read that returns less than the file's size and one more byte has met the end: no read
    after it to be told so."""
    path = tmp_path / "post.md"
    path.write_bytes(b"---\ntitle: x\n---\n" + "正文\n".encode() * 5000)
    calls = []
    real = sources.os.pread

    def pread(fd: int, size: int, offset: int) -> bytes:
        calls.append(size)
        return real(fd, size, offset)
    monkeypatch.setattr(sources.os, "pread", pread)
    assert sources._read_tail(str(path), 17) == path.read_bytes()[17:]
    assert len(calls) == 1
    assert sources._read_tail(str(path), 10**9) == b"" and len(calls) == 2


@example("<!-- a --> b <!-- c")
@example("<!-->")
@example("<!--->")
@example("-->x<!--")
@given(st.lists(st.sampled_from(["<!--", "-->", "--", "<!", "!", "<", ">", "-", "a", "中"]), max_size=20).map("".join))
def test_an_unclosed_comment_is_noticed_as_it_was(value: str) -> None:
    unclosed = value.rfind("<!--") > value.rfind("-->")
    assert (htmlcost._quick_bound(value, 512, 10**9) is None) == unclosed


def test_the_text_before_the_last_comment_is_not_searched_for_its_end() -> None:
    """Searched backwards from the end, "-->" was looked for through every character before it."""
    class Sought(str):
        backwards: list[str] = []

        def rfind(self, sub: str, *args: Any) -> int:
            Sought.backwards.append(sub)
            return super().rfind(sub, *args)
    html = Sought("<!-- 来源 -->\n" + "<p>正文</p>\n" * 100)
    assert htmlcost._quick_bound(html, 512, 10**9) is not None
    assert "-->" not in Sought.backwards
