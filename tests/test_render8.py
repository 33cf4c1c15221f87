"""The render stage's Python outside cmark and nh3 made cheaper (issue 10, round 8): each change
equal to what it replaced (feedgen stays the oracle of every entry fragment) and held to the work
it saves, never to a clock."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from conftest import make_post, unit_config
from hypothesis import example, given
from hypothesis import strategies as st
from test_xmlfast import DATES, IMAGES, TEXT

from feeds import render, text, write, xmlfast
from feeds.fragments import post_fragments
from feeds.render import Rendered
from feeds.text import has_forbidden, xml_safe

UTC = timezone.utc


def _oracle(cfg: Any, post: Any, rendered: Rendered) -> tuple[Any, Any]:
    """feedgen's Atom entry and RSS item (or the kind of exception it raises)."""
    found: list[Any] = []
    for maker in (write.feedgen_atom_fragment, write.feedgen_rss_fragment):
        try:
            found.append(maker(cfg, post, rendered))
        except Exception as refused:  # noqa: BLE001 - whatever feedgen raises, write must raise too
            found.append(type(refused))
    return found[0], found[1]


def _made(maker: Callable[..., bytes], *args: Any) -> Any:
    try:
        return maker(*args)
    except Exception as refused:  # noqa: BLE001
        return type(refused)


# --- one post's values escaped once for both its entries (xmlfast.EntryText) --------------------

@st.composite
def entries(draw: st.DrawFn) -> tuple[Any, Rendered, bool]:
    """Arbitrary titles, URLs, ids, dates (updated apart from date or not), names, summaries and
    contents. (Dates are aware, as reading makes them: feedgen refuses a naive one in either format.)"""
    url = draw(st.one_of(st.just("https://x.test/a?b=1&c=\"2\""), TEXT.map(lambda t: "https://x.test/" + t), TEXT))
    when = draw(DATES)
    updated = draw(st.one_of(st.just(when), DATES))
    post = make_post("p", when, title=draw(TEXT), url=url, id=url if draw(st.booleans()) else draw(TEXT),
                     updated=updated, author=draw(TEXT), categories=tuple(draw(st.lists(TEXT, max_size=3))),
                     tags=tuple(draw(st.lists(TEXT, max_size=2))), excerpt_only=draw(st.booleans()),
                     image=draw(IMAGES))
    content = draw(st.one_of(TEXT, st.sampled_from(["", '<p>a <img src="https://img.test/b.png"> &amp; ]]&gt;</p>'])))
    return post, Rendered(content, draw(st.one_of(st.just(""), TEXT))), draw(st.booleans())


@given(entries(), st.sampled_from(["atom first", "rss first", "atom alone", "rss alone"]))
@example((make_post("p", datetime(2020, 1, 2)), Rendered("x", ""), False), "rss first")
def test_both_entries_from_one_escape_are_feedgens_bytes(case: tuple[Any, Rendered, bool], order: str) -> None:
    """Whichever format asks first (or alone), each entry is feedgen's bytes: the values escaped
    for one format are the other's too."""
    post, rendered, first_image = case
    cfg = unit_config(first_image=first_image)
    atom, rss = _oracle(cfg, post, rendered)
    write._last_entry = ()
    if order == "atom first":
        assert (_made(write.atom_fragment, cfg, post, rendered), _made(write.rss_fragment, cfg, post, rendered)) \
            == (atom, rss)
    elif order == "rss first":
        assert (_made(write.rss_fragment, cfg, post, rendered), _made(write.atom_fragment, cfg, post, rendered)) \
            == (rss, atom)
    elif order == "atom alone":
        assert _made(write.atom_fragment, cfg, post, rendered) == atom
    else:
        assert _made(write.rss_fragment, cfg, post, rendered) == rss


def test_a_naive_updated_date_leaves_atom_alone_to_feedgen() -> None:
    """Neighbours of the one value a format uses alone: a naive ``updated`` refuses the Atom entry
    only (its RSS item is made here, as before: RSS carries no updated date); a naive ``date``
    refuses both."""
    aware = datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)
    for post, fast in ((make_post("p", aware, updated=datetime(2020, 1, 2)), (False, True)),
                       (make_post("p", datetime(2020, 1, 2), updated=aware), (False, False)),
                       (make_post("p", aware), (True, True))):
        found = write._entry_text(unit_config(), post, Rendered("<p>x</p>", ""))[0]
        assert found is not None or fast == (False, False)
        if found is not None:
            assert (xmlfast.atom_parts(found) is not None, xmlfast.rss_parts(found, True) is not None) == fast


def test_a_posts_values_are_escaped_once_for_both_its_entries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Making a post's Atom entry and RSS item escapes its values and formats its dates once
    (``entry_text``), not once per format; another post, another content or another config is
    escaped anew (the memo answers for the very same objects only)."""
    calls: list[str] = []
    real = xmlfast.entry_text

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(write, "entry_text", counted)
    cfg, post, rendered = unit_config(), make_post("one"), Rendered("<p>x &amp; y</p>", "s")
    rows = post_fragments(cfg, post, rendered, "r", "e", ("atom", "rss"))
    assert len(rows) == 2 and calls == ["One"]
    assert [b"".join(r[3:]) for r in rows] == list(_oracle(cfg, post, rendered))
    # neighbours: each a new escape, each still feedgen's bytes
    other = Rendered("<p>x &amp; y</p>", "s")  # equal, another object
    for c, p, r in ((cfg, post, other), (cfg, make_post("two"), rendered), (unit_config(first_image=True), post,
                                                                            Rendered('<img src="https://i.test/a.png">',
                                                                                     ""))):
        before = len(calls)
        rows = post_fragments(c, p, r, "r", "e", ("atom", "rss"))
        assert len(calls) == before + 1
        assert [b"".join(row[3:]) for row in rows] == list(_oracle(c, p, r))


# --- the content checked once a post: render_post vouches for its own output ---------------------

BODY_PIECES = ["\x00", "\x08", "\x0b", "\x1f", "\x7f", "\x80", "\x85", "\x9f", "\ufffe", "\uffff", "&#1;", "&#x80;",
               "&#xFFFE;", "&#65535;", "&#0;", "&#128;", "&#x9f;", "&#13;", "\r", "\t", "\n\n", "<p>", "</p>", "&amp;",
               "&", "<", "中", "é", "{{ 'a' }}", "[x](/y)", "`c`", "<script>", "&#x1F;", "&#127;", "&#xD800;"]


@given(st.lists(st.one_of(st.sampled_from(BODY_PIECES), st.text(max_size=3)), max_size=30).map("".join),
       st.booleans())
@example("a &#1; b", True)
@example("\ufffe", False)
def test_what_render_post_vouches_for_holds_no_forbidden_character(body: str, markdown: bool) -> None:
    """``Rendered.checked`` is said only of content with no character XML forbids, from any body
    (controls, C1, noncharacters, references to them, raw or in Markdown): the entries trust it
    and do not look again."""
    post = make_post("p", markdown=markdown)
    for utf8 in (b"", body.encode("utf-8", "surrogatepass") if "\r" not in body else b""):
        try:
            utf8.decode()
        except UnicodeDecodeError:
            continue
        rendered, _ = render.render_post(post, body, unit_config(), None, utf8)
        if rendered.checked:
            assert not has_forbidden(rendered.content)
            assert xmlfast.content_bytes(rendered.content, True) == xmlfast.content_bytes(rendered.content)


def test_a_vouched_content_is_looked_through_once_a_post(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rendering a post and making its entries and cache body searches its bytes for what XML
    forbids once (the body as read), not a second time in the content render_post made itself;
    content from anywhere else (the cache: ``checked`` False) is searched, and refused."""
    searched: list[int] = []
    real = text.utf8_has_forbidden

    def counted(data: bytes, value: str | None = None) -> bool:
        searched.append(len(data))
        return real(data, value)

    monkeypatch.setattr(render, "utf8_has_forbidden", counted)
    monkeypatch.setattr(xmlfast, "utf8_has_forbidden", counted)
    body = "Hello *world* & [a link](/x) 中文\n" * 50
    post = make_post("p")
    rendered, _ = render.render_post(post, body, unit_config(), None, body.encode())
    post_fragments(unit_config(), post, rendered, "r", "e", ("atom", "rss"))
    xmlfast.content_bytes(rendered.content, rendered.checked)
    assert searched == [len(body.encode())]
    assert rendered.checked and rendered == Rendered(rendered.content, rendered.summary)  # (not compared)
    # neighbours: the same text unvouched (read from the cache) is searched; a forbidden one refused
    searched.clear()
    assert xmlfast.content_bytes("<p>a</p>\n") == b"&lt;p&gt;a&lt;/p&gt;\n" and len(searched) == 1
    assert xmlfast.content_bytes("<p>\x01</p>") is None
    cached = Rendered("<p>\x01</p>", "")
    assert _made(write.atom_fragment, unit_config(), post, cached) == _oracle(unit_config(), post, cached)[0]


def test_a_short_entry_is_not_vouched_for() -> None:
    """An entry cut to its summary (too long) carries the post's title and URL, not checked by
    render_post here: it is looked at as any other content."""
    post = make_post("p", title="T")
    cfg = unit_config()
    long_body = "word " * (cfg.content.max_entry_bytes // 2)
    rendered, said = render.render_post(post, long_body, cfg, None, long_body.encode())
    assert said and not rendered.checked


@pytest.mark.parametrize("value", ["", "a", "a\x00b", "x\x85", "\ufffe", "ok & <b>"])
def test_content_bytes_checked_or_not_agree_on_clean_text(value: str) -> None:
    """On text with nothing forbidden the vouched path writes the very bytes of the checked one."""
    if xml_safe(value)[0] == value:
        xmlfast._last = ("", b"")
        assert xmlfast.content_bytes(value, True) == xmlfast.content_bytes("".join(list(value)))
    else:
        assert xmlfast.content_bytes(value) is None


def test_entry_text_dates_are_formatted_once() -> None:
    """Both formats' dates come from one ``entry_text``: Atom's ISO dates and RSS's RFC 822 one."""
    when = datetime(2021, 5, 6, 7, 8, 9, tzinfo=timezone(timedelta(hours=8)))
    found = xmlfast.entry_text("i", "t", "https://x.test/", when, when, "", (), "", "c", "")
    assert found is not None
    assert (found.published, found.updated, found.pub_date) == (when.isoformat(), when.isoformat(),
                                                                "Thu, 06 May 2021 07:08:09 +0800")


@given(st.one_of(DATES, DATES.map(lambda d: d.replace(microsecond=0)),
                 st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                              timezones=st.sampled_from([UTC, timezone(timedelta(hours=-3, minutes=-30)),
                                                         timezone(timedelta(hours=14))]))))
@example(datetime(999, 12, 31, 23, 59, 59, tzinfo=UTC))
@example(datetime(1000, 1, 1, tzinfo=timezone(timedelta(hours=-3, minutes=-30))))
@example(datetime(2020, 1, 2, tzinfo=timezone(timedelta(seconds=-1))))
def test_rfc822_cut_from_the_iso_stamp_is_the_one_formatted(when: datetime) -> None:
    """RSS's date cut out of the ISO stamp Atom writes is the date formatted on its own (and
    strftime's, feedgen's way), for any year, offset (seconds in it too) and microseconds."""
    stamp = xmlfast.iso(when)
    assert xmlfast.rfc822(when, stamp) == xmlfast.rfc822(when)
    if when.year >= 1000:
        assert xmlfast.rfc822(when) == when.strftime("%a, %d %b %Y %H:%M:%S %z")


def test_an_rss_date_is_not_formatted_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    """A post's published date is formatted once (``isoformat``) for Atom's two dates when its
    updated date is the published one (as reading makes it for a post without ``last_modified_at``)."""
    formatted: list[datetime] = []

    class Counted(datetime):
        def isoformat(self, *args: Any, **kwargs: Any) -> str:
            formatted.append(self)
            return super().isoformat(*args, **kwargs)

    when = Counted(2021, 5, 6, 7, 8, 9, tzinfo=UTC)
    found = xmlfast.entry_text("i", "t", "https://x.test/", when, when, "", (), "", "c", "")
    assert found is not None and len(formatted) == 1
    assert found.pub_date == "Thu, 06 May 2021 07:08:09 +0000"
