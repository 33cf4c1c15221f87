"""Cheaper rendering and text helpers (issue 10), each equal to what it replaced: the old
function is kept here as the oracle and both are given arbitrary text (control characters,
surrogates, noncharacters, entities, markup, runs of spaces)."""
from __future__ import annotations

import html as _html
import re
import unicodedata
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from feeds import htmlcost, kramdown, render, text
from feeds.htmlcost import Cost, _close_run, _quick_bound
from feeds.render import (
    _TEMPLATE_IN_URL,
    MAX_AMPERSAND_WORK,
    MAX_DEPTH,
    MAX_NESTING,
    _size_over,
    _UrlRewriter,
    absolute,
    plain_absolute,
)
from feeds.render import _harmless as harmless

SPECIAL = ["\x00", "\x01", "\x08", "\t", "\n", "\x0b", "\x0c", "\r", "\x1f", "\x7f", "\x80", "\x85", "\x9f", "\xa0",
           "\xab", "\xbf", "\xc0", "é", "\ud800", "\udfff", "\ufffe", "\uffff", "\ufdd0", "\u3000", "\u2028", "中",
           " ", "  ", "<", ">", "&", "&amp;", "&lt;", "&gt;", "&quot;", "&#1;", "&#x80;", "&nbsp;", "<b>", "</b>",
           "<p>", "</p>", "<!--", "-->", "<img src=a>", "<br/>", "<a href='x'>", "</a>", "<div>", "</div>", "a", "Z",
           "{:", "[^", "markdown=", "*[", "{#", "\n^", "] [", "]\t[", "$$", ":", ": ", ":\t", "\n :", "{{", "%7B",
           "%25", "{%", "/", "?", "!"]
TEXT = st.lists(st.one_of(st.sampled_from(SPECIAL), st.text(max_size=8),
                          st.characters(exclude_categories=())), max_size=40).map("".join)
NO_SURROGATES = TEXT.map(lambda t: re.sub("[\ud800-\udfff]", "", t))

# --- the oracles: the functions as they were ---------------------------------------------------

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_SPACE = re.compile(r"\s+")
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_TAG_START = re.compile(r"<(?=[A-Za-z!/?])")
_ASCII_SPACE, _ASCII_SPACES = re.compile(r"[ \t\n\v\f\r]+"), " \t\n\v\f\r"
_LATIN1_SIGNS = re.compile("[\u0080-\u00bf]")


def old_xml_safe(value: str) -> tuple[str, int]:
    if _NOT_XML.search(value) is None:
        return value, 0
    return _NOT_XML.subn("", value)


def old_describe_forbidden(value: str) -> tuple[int, str]:
    found = _NOT_XML.search(value)
    if not found:
        return -1, ""
    codes = sorted({ord(c) for c in _NOT_XML.findall(value)})
    listed = ", ".join(f"U+{c:04X}" for c in codes[:4]) + (", …" if len(codes) > 4 else "")
    return found.start(), listed


def old_scrub(value: str) -> tuple[str, int, int, str]:
    if _NOT_XML.search(value) is None:
        return value, 0, -1, ""
    first, which = old_describe_forbidden(value)
    cleaned, removed = _NOT_XML.subn("", value)
    return cleaned, removed, first, which


def old_no_markup(value: str) -> str:
    return _TAG_START.sub("\uff1c", value)


def old_clean_name(name: str) -> str:
    return old_no_markup(_SPACE.sub(" ", unicodedata.normalize("NFC", old_xml_safe(name)[0])).strip())


def old_plain_title(value: str) -> str:
    return old_no_markup(_ASCII_SPACE.sub(" ", _html.unescape(_TAG.sub("", value))).strip(_ASCII_SPACES))


def old_amps(html: str, start: int, end: int) -> int:
    amps = html.count("&", start, end) - sum(html.count(ref, start, end) for ref in ("&lt;", "&gt;", "&quot;"))
    if _LATIN1_SIGNS.search(html, start, end):
        amps += len(_LATIN1_SIGNS.findall(html, start, end))
    return amps


def old_quick_bound(html: str, max_depth: int, max_nesting: int, max_amp_work: int = -1) -> Cost | None:
    if html.rfind("<!--") > html.rfind("-->"):
        return None
    rest = htmlcost._VOID_TAG.sub("", htmlcost._COMMENT.sub("", html))
    passes, removed = 0, 1
    while removed:
        if passes > max_depth // 4:
            return None
        rest, removed = htmlcost._PAIR.subn("", rest)
        passes += bool(removed)
    depth = passes + 2 * rest.count("<") + 3
    nesting = html.count("<") * depth
    if depth > max_depth or nesting > max_nesting:
        return None
    cost = Cost(depth=depth, nesting=nesting)
    amps = old_amps(html, 0, len(html))
    if amps * len(html) <= max_amp_work:
        _close_run(cost, amps, 0, len(html))
        return cost
    start = 0
    for run in htmlcost._RUN_START.split(html):
        amps = old_amps(run, 0, len(run))
        _close_run(cost, amps, start, start + len(run))
        start += len(run)
    return cost


def old_uses_kramdown(value: str) -> bool:
    return any(t in value for t in kramdown.TRIGGERS) or kramdown.before._TRIGGER.search(value) is not None


def old_url(rewriter: _UrlRewriter, tag: str, value: str) -> str | None:
    if _TEMPLATE_IN_URL.search(value):
        return None
    plain = plain_absolute(value, rewriter.base, rewriter.scheme)
    if plain is not None:
        return plain
    url = absolute(value, rewriter.base, rewriter.scheme)
    return url if url is None or not rewriter.sanitize or harmless(tag, url) else None


# --- the properties ------------------------------------------------------------------------------

@example("a\x01b\x7f")
@example("\ud800x\ufffe")
@example("one printable line 中文")
@example("\t\n\r kept")
@given(TEXT)
def test_the_scrubs_are_what_they_were(value: str) -> None:
    assert text.xml_safe(value) == old_xml_safe(value)
    assert text.scrub(value) == old_scrub(value)
    assert text.describe_forbidden(value) == old_describe_forbidden(value)


@example("  Café  <b>x</b>  ")
@example("e\u0301 \t\n<Tag>")
@example("x" * 300 + " <a")
@given(TEXT)
def test_names_are_what_they_were(value: str) -> None:
    assert text.clean_name(value) == old_clean_name(value)
    assert text.clean_name(value) == old_clean_name(value)  # remembered
    assert text.no_markup(value) == old_no_markup(value)


@example("A  &lt;img onerror=x&gt;  title")
@example("\u00a0Bonjour\u00a0!\u3000")
@example("a\tb\x0bc")
@given(TEXT)
def test_titles_are_what_they_were(value: str) -> None:
    assert text.plain_title(value) == old_plain_title(value)


def test_only_short_names_are_remembered() -> None:
    text._clean_name.cache_clear()
    long_name = "n" * (text._REMEMBERED + 1)
    assert text.clean_name(long_name) == long_name and text._clean_name.cache_info().currsize == 0
    assert text.clean_name("short") == "short" and text._clean_name.cache_info().currsize == 1


@given(TEXT, st.integers(0, 50), st.integers(0, 50))
def test_the_ampersand_count_is_what_it_was(value: str, start: int, end: int) -> None:
    assert htmlcost._amps(value, start, end) == old_amps(value, start, end)
    assert htmlcost._amps(value, 0, len(value)) == old_amps(value, 0, len(value))


@example("<div>" * 40, 64, 10**6, -1)
@example("<p><b>x</b></p>" * 30, 64, 10**6, 100)
@example("<!-- x", 512, 10**6, -1)
@given(st.lists(st.sampled_from(SPECIAL), max_size=120).map("".join), st.integers(0, 600), st.integers(0, 10**5),
       st.integers(-1, 2000))
def test_the_quick_bound_decides_as_it_did(html: str, max_depth: int, max_nesting: int, max_amp_work: int) -> None:
    """Never less than it was (so never refused where it was not), and the same '&' cost: where
    the cheap bound (twice the tags, plus 3) is under the limits, the old one was too."""
    new, old = _quick_bound(html, max_depth, max_nesting, max_amp_work), old_quick_bound(
        html, max_depth, max_nesting, max_amp_work)
    assert (new is None) == (old is None)
    if new is not None and old is not None:
        assert new.depth >= old.depth and new.nesting >= old.nesting
        assert new.depth <= max_depth and new.nesting <= max_nesting
        assert (new.amp_work, new.ampersands, new.run) == (old.amp_work, old.ampersands, old.run)


@example("a\n: b")
@example("https://x/ y")
@given(TEXT)
def test_kramdown_is_noticed_as_it_was(value: str) -> None:
    assert kramdown.uses_kramdown(value) == old_uses_kramdown(value)


@given(TEXT, st.sampled_from(["a", "img", "source"]), st.booleans())
def test_urls_are_rewritten_as_they_were(value: str, tag: str, sanitize: bool) -> None:
    rewriter = _UrlRewriter("https", sanitize)
    rewriter.base = "https://x.test/2022/03/04/post.html"
    assert rewriter.url(tag, value) == old_url(rewriter, tag, value)


@example("é" * 10, 19)
@example("é" * 10, 20)
@example("中" * 10, 29)
@given(NO_SURROGATES, st.integers(0, 200))
def test_the_size_is_counted_where_it_can_be_over(value: str, limit: int) -> None:
    size = len(value.encode("utf-8"))
    assert _size_over(value, limit) == (size if size > limit else 0)


# --- the work saved: each fails on the code before ---------------------------------------------

class Counting:
    """Stands in for a compiled pattern: counts the calls of its methods."""

    def __init__(self, pattern: re.Pattern[str]):
        self.pattern, self.calls = pattern, 0

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.pattern, name)

        def counted(*args: Any) -> Any:
            self.calls += 1
            return method(*args)
        return counted


def _count(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> Counting:
    counter = Counting(getattr(module, name))
    monkeypatch.setattr(module, name, counter)
    return counter


def test_a_typical_body_is_bounded_without_removing_pairs(monkeypatch: pytest.MonkeyPatch) -> None:
    pairs, voids = _count(monkeypatch, htmlcost, "_PAIR"), _count(monkeypatch, htmlcost, "_VOID_TAG")
    body = '<!-- 来源 -->\n<p><span class="x">正文 « x »</span> <img src="a.jpg"></p>\n' * 30
    assert htmlcost.estimate(body, MAX_DEPTH, MAX_NESTING, MAX_AMPERSAND_WORK).amp_work == 60 * len(body)
    assert pairs.calls == voids.calls == 0
    assert htmlcost.estimate("<div>" * 300, MAX_DEPTH, MAX_NESTING).depth <= MAX_DEPTH  # over the cheap bound
    assert pairs.calls > 0


def test_one_printable_line_is_not_searched(monkeypatch: pytest.MonkeyPatch) -> None:
    scans = _count(monkeypatch, text, "_NOT_XML")
    for value in ("A title 中文 «x»", "https://x.test/a?b=1#c", "tag"):
        assert text.xml_safe(value) == (value, 0) and text.scrub(value) == (value, 0, -1, "")
        assert text.describe_forbidden(value) == (-1, "")
    assert scans.calls == 0
    assert text.xml_safe("two\nlines") == ("two\nlines", 0) and scans.calls == 1


def test_a_body_without_definitions_is_not_searched_for_them(monkeypatch: pytest.MonkeyPatch) -> None:
    searches = _count(monkeypatch, kramdown.before, "_TRIGGER")
    assert not kramdown.uses_kramdown("<p>正文</p>\n\n[a](https://x.test/a:b)\n" * 20)
    assert searches.calls == 0
    assert kramdown.uses_kramdown("Term\n: definition\n") and searches.calls == 0  # the ':' looked at
    assert kramdown.uses_kramdown("a: " * 40 + "\nTerm\n: definition\n") and searches.calls == 1  # too many


def test_a_plain_url_is_not_searched_for_liquid(monkeypatch: pytest.MonkeyPatch) -> None:
    searches = _count(monkeypatch, render, "_TEMPLATE_IN_URL")
    rewriter = _UrlRewriter("https")
    rewriter.base = "https://x.test/2022/03/04/post.html"
    assert rewriter.url("a", "../news/") == "https://x.test/2022/03/news/" and searches.calls == 0
    assert rewriter.url("a", "{{ site.url }}/x") is None and searches.calls == 1


def test_html_without_headers_is_not_searched_for_them(monkeypatch: pytest.MonkeyPatch) -> None:
    searches = _count(monkeypatch, kramdown.after, "_HEADER")
    assert kramdown.finish("<p>正文</p>\n", None, True) == "<p>正文</p>\n" and searches.calls == 0
    assert kramdown.finish("<h2>A b</h2>\n", None, True) == '<h2 id="a-b">A b</h2>\n' and searches.calls == 1
