"""The render stage made cheaper (issue 10, "faster than Hugo, cold"), each change equal to what it
replaced: the old function (or the library's own call) is the oracle, given arbitrary text."""
from __future__ import annotations

import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import cmarkgfm
import pytest
from conftest import HEAVY_EXAMPLES, make_post, unit_config
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from feeds import commonmark, htmlcost, render, text, xmlfast
from feeds.config import Config
from feeds.kramdown import before as kramdown_before
from feeds.posts import Post, read_body, read_body_utf8
from feeds.render import render_post

MARKDOWN = ["# ", "## h", "\n", "\n\n", "    ", "- ", "1. ", "> ", "```", "~~", "~", "|", "| a | b |\n|---|---|\n",
            "*", "_", "[a](/b)", "[^1]", "[^1]: n\n", "<div>", "</div>", "<p>", "<!--", "-->", "&amp;", "&#1;",
            "\x00", "\r\n", "\ufeff", "中文", "“", "'", '"', "--", "...", "<http://x.y/z>", "https://a.b/c", "\\",
            "[x]: /u\n", "![i](/j.png)", "<h2>", "</h2>", "\t", "é"]
BODIES = st.lists(st.one_of(st.sampled_from(MARKDOWN), st.text(max_size=6)), max_size=30).map("".join)
OPTIONS = st.sampled_from([commonmark.UNSAFE | commonmark.FOOTNOTES,
                           commonmark.UNSAFE | commonmark.FOOTNOTES | commonmark.SMART,
                           commonmark.UNSAFE | commonmark.FOOTNOTES | commonmark.SMART | commonmark.SOURCEPOS, 0])
EXTENSIONS = st.sampled_from([("table", "strikethrough"), (), ("table",), ("autolink", "strikethrough")])


@given(BODIES, OPTIONS, EXTENSIONS)
@example("| a | b |\n|---|---|\n| ~~c~~ | d |\n", commonmark.UNSAFE, ("table", "strikethrough"))
def test_cmark_called_directly_renders_as_cmarkgfm_does(body: str, options: int, extensions: tuple[str, ...]) -> None:
    expected = cmarkgfm.markdown_to_html_with_extensions(body, options=options, extensions=list(extensions))
    assert commonmark.to_html(body, options, extensions) == expected
    assert commonmark.to_html(body.encode(), options, extensions) == expected  # the bytes read from the file


LEAK = """
import resource, sys
from feeds import commonmark
body = ("Some *text* with [a link](/x) and more words, " * 40 + "\\n\\n") * 50  # ~100 KB
commonmark.to_html(body, 0, ("table", "strikethrough"))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
for _ in range(300):
    commonmark.to_html(body, 0, ("table", "strikethrough"))
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
"""


def test_rendering_markdown_keeps_no_memory() -> None:
    """cmarkgfm's own call leaves the tree and the HTML behind (about 1.5 MB for each of these
    100 KB bodies, 450 MB in all); rendered here, each is freed, and memory stays where it was."""
    grown_kb = int(subprocess.run([sys.executable, "-c", LEAK], capture_output=True, text=True, check=True,
                                  timeout=300).stdout)
    assert grown_kb < 50_000


# --- a body read as bytes: checked for what XML forbids at C speed, given to cmark as read ---------

BODY_TEXT = st.lists(st.one_of(st.sampled_from([*MARKDOWN, "\x01", "\x7f", "\x85", "\ufffe", "\uffff", "&#1;",
                                                "&#x80;", "&#65;", "<a href='/x'>", "</a>", "[^", ": ", "\n: d",
                                                "{: .c}", "‘", "”", "\r", "\r\n"]),
                               st.text(max_size=6)), max_size=30).map("".join)


def _post_file(tmp_path: Path, body: str, markdown: bool = True) -> Post:
    head = "---\ntitle: T\n---\n"
    path = tmp_path / ("p.md" if markdown else "p.html")
    path.write_bytes((head + body).encode("utf-8", "surrogatepass"))
    return make_post(file=path, body_start=len(head.encode()), body_line=4, markdown=markdown)


def old_render_content(post: Post, body: str, cfg: Config) -> tuple[str, int]:
    """What render_post made of a body before (main at 23d5344): scrub, Markdown, clean, xml_safe."""
    body = text.scrub(body)[0]
    html = render.markdown_to_html(body, cfg.content.auto_ids, cfg.content.typographic) if post.markdown else body
    return text.xml_safe(render.clean_html(html, post.url, cfg).strip())


@settings(max_examples=HEAVY_EXAMPLES, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(BODY_TEXT.map(lambda t: re.sub("[\ud800-\udfff]", "", t)), st.booleans())
@example("a\x01b &#1; [x](/y)\r\n", True)
@example("<p>“中文”</p>\n\n<p>x&#x80;</p>", False)
def test_a_body_read_as_bytes_renders_as_read_as_text(tmp_path: Path, body: str, markdown: bool) -> None:
    cfg = unit_config()
    post = _post_file(tmp_path, body, markdown)
    read, utf8 = read_body_utf8(post)
    assert read == read_body(post)
    assert utf8 in (b"", read.encode())
    assert utf8 == read.encode() or "\r" in body
    assert render_post(post, read, cfg, None, utf8) == render_post(post, read, cfg)
    content, late = old_render_content(post, read, cfg)
    assert render_post(post, read, cfg, None, utf8)[0].content == content


def test_a_clean_body_is_neither_scrubbed_nor_encoded_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    """The regex scans of the body (``scrub``), of the clean HTML and of its summary (``xml_safe``)
    are not run when the file's bytes hold nothing XML forbids and no character reference; cmark
    gets the bytes."""
    post = _post_file(tmp_path, "<p>“中文” text</p>\n\n[link](/x) and *more*\n")
    body, utf8 = read_body_utf8(post)
    given_to_cmark: list[object] = []
    real_to_html = render.to_html
    monkeypatch.setattr(render, "to_html", lambda data, *a: given_to_cmark.append(data) or real_to_html(data, *a))
    scanned: list[str] = []
    monkeypatch.setattr(render, "scrub", lambda *a: pytest.fail("scrub called"))
    monkeypatch.setattr(render, "xml_safe", lambda value: scanned.append(value) or text.xml_safe(value))
    assert render_post(post, body, unit_config(), None, utf8)[0].content.startswith("<p>“中文” text</p>")
    assert scanned == []  # nor the summary: the clean content's, with no "&#" (test_render13b: the same text)
    post = _post_file(tmp_path, "[link](/x) and *more*\n")
    render_post(post, *read_body_utf8(post)[:1], unit_config(), None, read_body_utf8(post)[1])
    assert isinstance(given_to_cmark[-1], bytes)


# --- the nesting bound: '&' not counted where they cannot matter -------------------------------------

def old_too_costly(html: str, limit: int) -> str:
    real = htmlcost.estimate
    try:
        htmlcost.estimate = lambda h, d, n, a, count_amps=True: real(h, d, n, a)  # type: ignore[assignment]
        render.estimate = htmlcost.estimate  # type: ignore[attr-defined]
        return render._too_costly(html, limit)
    finally:
        htmlcost.estimate = real
        render.estimate = real  # type: ignore[attr-defined]


@given(st.lists(st.sampled_from(["&", "&amp;", "«", "\xa0", "<p>", "</p>", "<b>", "<!--", "-->", "x", "中"]),
                max_size=60).map("".join), st.sampled_from([10, 1_000, 1_000_000]))
def test_the_cost_check_is_what_it_was(html: str, limit: int) -> None:
    assert render._too_costly(html, limit) == old_too_costly(html, limit)


def test_a_short_html_has_its_ampersands_not_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each '&' costs at most the length of the text and there are fewer '&' than characters: below
    100,000 characters the '&' cannot pass MAX_AMPERSAND_WORK, and are not counted; above, they are."""
    counted: list[int] = []
    real = htmlcost._amps
    monkeypatch.setattr(htmlcost, "_amps", lambda html, s, e: counted.append(e - s) or real(html, s, e))
    assert render._too_costly("<p>a &amp; b « c</p>" * 100, 10**6) == ""
    assert counted == []
    many = "<p>" + "&" * 150_000 + "</p>"
    assert "'&'" in render._too_costly(many, 10**6)
    assert counted


# --- kramdown's markers: '[' and ':' looked at where they are ----------------------------------------

def test_a_colon_and_a_space_are_no_search_for_a_definition(monkeypatch: pytest.MonkeyPatch) -> None:
    searched: list[str] = []

    class Counting:
        def search(self, text: str) -> object:
            searched.append(text)
            return real.search(text)
    real = kramdown_before._TRIGGER
    monkeypatch.setattr(kramdown_before, "_TRIGGER", Counting())
    assert not kramdown_before.uses_kramdown("Note: a line\nwith https://x.y/ and [a](b) links: here\n")
    assert kramdown_before.uses_kramdown("Term\n: its definition\n")
    assert kramdown_before.uses_kramdown("many: " * 40 + "\n  : a definition\n")  # past _LOOKED_AT: searched
    assert len(searched) == 1


@given(st.lists(st.sampled_from(["[", "]", " ", "\t", "^", "*", ":", "\n", "x", "中", ": ", "] [", "\n :\t"]),
                max_size=80).map("".join))
def test_kramdown_markers_are_found_as_before(value: str) -> None:
    old = any(t in value for t in kramdown_before.TRIGGERS) or kramdown_before._TRIGGER.search(value) is not None
    assert kramdown_before.uses_kramdown(value) == old


# --- the entry fragments ----------------------------------------------------------------------------

class CountingDate(datetime):
    formatted = 0

    def strftime(self, fmt: str) -> str:
        CountingDate.formatted += 1
        return super().strftime(fmt)


OFFSETS = st.one_of(st.integers(-1439, 1439).map(lambda m: timedelta(minutes=m)),
                    st.integers(-86399, 86399).map(lambda s: timedelta(seconds=s)),
                    st.integers(-86_399_999_999, 86_399_999_999).map(lambda us: timedelta(microseconds=us)))


@given(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)), OFFSETS)
@example(datetime(999, 1, 2, 3, 4, 5), timedelta(hours=8))
@example(datetime(2024, 2, 29, 23, 59, 59), timedelta(hours=-5, minutes=-30))
@example(datetime(2024, 2, 29), timedelta(seconds=-30))
def test_rfc822_dates_are_strftimes(when: datetime, offset: timedelta) -> None:
    aware = when.replace(tzinfo=timezone(offset))
    expected = aware.strftime(f"{xmlfast._DAYS[aware.weekday()]}, %d {xmlfast._MONTHS[aware.month - 1]} %Y "
                              "%H:%M:%S %z")
    assert xmlfast.rfc822(aware) == expected


def test_an_rfc822_date_is_written_without_strftime() -> None:
    CountingDate.formatted = 0
    zone = timezone(timedelta(hours=8))
    assert xmlfast.rfc822(CountingDate(2022, 3, 4, 13, 23, 21, tzinfo=zone)) == "Fri, 04 Mar 2022 13:23:21 +0800"
    assert CountingDate.formatted == 0
    xmlfast.rfc822(CountingDate(999, 3, 4, tzinfo=zone))  # a three-digit year: strftime's own way
    assert CountingDate.formatted == 1


@given(BODY_TEXT.map(lambda t: re.sub("[\ud800-\udfff]", "", t)))
@example("，。\ufffe")
@example("\uffff")
@example("x\x85")
def test_bytes_checked_beside_their_text_are_checked_alike(value: str) -> None:
    assert text.utf8_has_forbidden(value.encode(), value) == text.has_forbidden(value)
    assert text.utf8_has_forbidden(value.encode()) == text.has_forbidden(value)


def test_printable_values_and_known_names_are_not_searched(monkeypatch: pytest.MonkeyPatch) -> None:
    """A category's element is made once for all the posts that carry it; a printable title or name
    is not searched for characters XML forbids (none is printable)."""
    searched: list[str] = []
    monkeypatch.setattr(xmlfast, "has_forbidden", lambda value: searched.append(value) or text.has_forbidden(value))
    xmlfast._atom_category.cache_clear()
    xmlfast._rss_category.cache_clear()
    made: list[str] = []
    real_attr = xmlfast.attr
    monkeypatch.setattr(xmlfast, "attr", lambda value: made.append(value) or real_attr(value))
    zone = timezone(timedelta(hours=8))
    for n in range(3):
        entry = xmlfast.atom_entry_parts(f"https://x.test/{n}", "A title 中文", f"https://x.test/{n}.html",
                                         datetime(2022, 3, 4, tzinfo=zone), datetime(2022, 3, 4, tzinfo=zone),
                                         "Ann", ("news", "中文 tag"), "", "<p>x</p>", "")
        assert entry is not None and b'<category term="news"/>' in b"".join(entry)
    assert made.count("news") == made.count("中文 tag") == 1
    assert searched == []
    assert xmlfast.atom_entry_parts("i", "bad \x01 title", "u", datetime(2022, 3, 4, tzinfo=zone),
                                    datetime(2022, 3, 4, tzinfo=zone), "", (), "", "", "") is None
    assert searched == ["bad \x01 title"]


# --- the URL filter and the cleaner -----------------------------------------------------------------

def test_a_path_from_the_root_is_joined_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    joined: list[str] = []
    real = render._join_path
    monkeypatch.setattr(render, "_join_path", lambda folder, path: joined.append(path) or real(folder, path))
    base = "https://x.test/2022/03/04/post.html"
    for path in ("/news/93783.html", "/", "/a//b", "/.well-known/x", "/a/./b", "/a/../b", "/a/..", "../news/"):
        assert render.plain_absolute(path, base, "https") == render.absolute(path, base, "https")
    assert joined == ["/.well-known/x", "/a/./b", "/a/../b", "/a/..", "../news/"]


@given(st.lists(st.sampled_from(["/", ".", "..", "a", "-", "~", "%20", "b.html"]), min_size=1, max_size=12)
       .map("".join))
def test_paths_from_the_root_are_joined_as_urljoin_joins_them(path: str) -> None:
    """A plain path gets urljoin's answer; after ``//`` comes a host, which may be left to the long
    way (None: ``//~`` is no host name this shortcut knows)."""
    base = "https://x.test/2022/03/04/post.html"
    plain = render.plain_absolute(path, base, "https")
    assert plain == render.absolute(path, base, "https") or plain is None and path.startswith("//")


def test_the_cleaner_is_found_once_for_a_build(monkeypatch: pytest.MonkeyPatch) -> None:
    found: list[tuple[object, ...]] = []
    real = render._cleaner
    monkeypatch.setattr(render, "_cleaner", lambda *a: found.append(a) or real(*a))
    cfg = unit_config()
    for n in range(5):
        assert render.clean_html(f'<a href="/{n}">x</a>', "https://x.test/p.html", cfg) == \
            f'<a href="https://x.test/{n}">x</a>'
    assert len(found) == 1


def test_a_body_is_read_without_a_file_object(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """os.open and pread: no buffered file, no seek, no terminal check (half the system calls); the
    same bytes as open/seek/read, to the end of a file longer than one read, and none past it."""
    long = "中文 text\n" * 20_000  # 240 KB
    post = _post_file(tmp_path, long)
    monkeypatch.setattr("builtins.open", lambda *a, **k: pytest.fail("open() called"))
    assert read_body_utf8(post) == (long, long.encode())
    assert read_body_utf8(make_post(file=str(tmp_path / "gone.md"), body_start=3)) == ("", b"")
    beyond = make_post(file=post.file, body_start=len(long.encode()) + 100)
    assert read_body_utf8(beyond) == ("", b"")
