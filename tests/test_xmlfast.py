"""``xmlfast`` writes entry fragments and feed frames without feedgen or lxml; feedgen stays the
oracle: for arbitrary posts, contents and configs, ``write``'s fragments and frames (xmlfast's
bytes, feedgen's where xmlfast leaves a value to it) are feedgen's bytes, byte for byte, and
xmlfast does write every clean input itself (it is not feedgen all the time)."""
from __future__ import annotations

import ast
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from conftest import make_post, unit_config
from hypothesis import given
from hypothesis import strategies as st

from feeds import write, xmlfast
from feeds.config import Author
from feeds.feedspec import FeedFile, FeedSpec, FrameInputs
from feeds.posts import newest_dates
from feeds.render import Rendered
from feeds.text import xml_safe

# what needs escaping, in text or attributes, and what lxml refuses (controls reach this stage
# only when a caller forgot xml_safe: the result must still be feedgen's, here an exception)
_SPECIAL = st.sampled_from(["&", "<", ">", '"', "'", "]]>", "\r", "\n", "\t", "\r\n", "&amp;", "\x00", "\x0b",
                            "\x85", "\x7f", "\ufffe", "\uffff", "\ufffd", "\xa0", "«", "\U0001fffe", "é", "新", " ",
                            "<![CDATA[", "&#13;"])
RAW = st.lists(st.one_of(_SPECIAL, st.characters(blacklist_categories=("Cs",))), max_size=12).map("".join)
CLEAN = RAW.map(lambda t: xml_safe(t)[0])
TEXT = st.one_of(CLEAN, RAW)
ZONES = st.builds(lambda s: timezone(timedelta(seconds=s)), st.integers(-86399, 86399))
DATES = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=ZONES)
IMAGES = st.one_of(st.just(""), st.just("https://img.test/a.png"), TEXT)


def _same(fast: Any, oracle: Any, *args: Any) -> None:
    """``fast(*args)`` is ``oracle(*args)``: the same bytes, or the same kind of exception."""
    try:
        expected: Any = oracle(*args)
    except Exception as refused:  # noqa: BLE001 - whatever feedgen raises, write must raise too
        expected = type(refused)
    try:
        got: Any = fast(*args)
    except Exception as refused:  # noqa: BLE001
        got = type(refused)
    assert got == expected


@st.composite
def posts(draw: st.DrawFn) -> tuple[Any, Rendered, bool]:
    url = "https://x.test/" + draw(TEXT)
    when = draw(DATES)
    post = make_post(
        "p", draw(DATES), title=draw(TEXT), url=url, id=url if draw(st.booleans()) else draw(TEXT),
        updated=when, author=draw(TEXT), categories=tuple(draw(st.lists(TEXT, max_size=3))),
        tags=tuple(draw(st.lists(TEXT, max_size=3))), excerpt_only=draw(st.booleans()), image=draw(IMAGES))
    body = draw(st.one_of(TEXT, st.sampled_from(["", '<p>a <img src="https://img.test/b.png"> &amp; ]]&gt;</p>'])))
    return post, Rendered(body, draw(st.one_of(st.just(""), TEXT))), draw(st.booleans())


@given(posts())
def test_entry_fragments_are_feedgens_bytes(case: tuple[Any, Rendered, bool]) -> None:
    post, rendered, first_image = case
    cfg = unit_config(first_image=first_image)
    _same(write.atom_fragment, write.feedgen_atom_fragment, cfg, post, rendered)
    _same(write.rss_fragment, write.feedgen_rss_fragment, cfg, post, rendered)
    values = (post.id, post.title, post.url, post.author, *post.categories, *post.tags, post.image,
              rendered.content, rendered.summary)
    if all(xml_safe(v)[0] == v for v in values) and post.id and post.title:  # then xmlfast wrote it
        assert _fast_entries(cfg, post, rendered) == (write.atom_fragment(cfg, post, rendered),
                                                      write.rss_fragment(cfg, post, rendered))


def _fast_entries(cfg: Any, post: Any, rendered: Rendered) -> tuple[bytes | None, bytes | None]:
    from feeds.images import entry_image

    image, names = entry_image(cfg, post, rendered), (*post.categories, *post.tags)
    content = None if post.excerpt_only else rendered.content
    second = write._second
    return (_joined(xmlfast.atom_entry_parts(post.id, post.title, post.url, second(post.date), second(post.updated),
                                             post.author, names, rendered.summary, content, image)),
            _joined(xmlfast.rss_item_parts(post.id, post.id == post.url, post.title, post.url, second(post.date),
                                           post.author, names, rendered.summary, content, image)))


def _joined(parts: xmlfast.Parts | None) -> bytes | None:
    """A fragment made as (head, body, tail), whole (None: left to feedgen)."""
    return None if parts is None else b"".join(parts)


def test_entry_fragments_known_shapes() -> None:
    """The neighbours of each branch: empty content, no summary, excerpt only with and without a
    summary, names that are empty or need escaping, an id equal to the URL, a UTC and an odd offset."""
    odd = timezone(timedelta(hours=-3, minutes=-30, seconds=-15))
    for content in ("", "<p>x</p>"):
        for summary in ("", "a & <b>"):
            for excerpt in (False, True):
                for when in (datetime(2020, 1, 2, 3, 4, 5, 678, tzinfo=timezone.utc), datetime(999, 5, 6, tzinfo=odd)):
                    post = make_post("p", when, excerpt_only=excerpt, categories=("", 'a"b'), tags=("<&>",),
                                     author="A & B", image="https://i.test/?a=1&b=\"2\"")
                    for p in (post, make_post("q", when, id=post.url)):
                        cfg = unit_config()
                        rendered = Rendered(content, summary)
                        assert write.atom_fragment(cfg, p, rendered) == write.feedgen_atom_fragment(cfg, p, rendered)
                        assert write.rss_fragment(cfg, p, rendered) == write.feedgen_rss_fragment(cfg, p, rendered)
                        assert None not in _fast_entries(cfg, p, rendered)


@given(st.lists(st.sampled_from(["a & b", "<p>\r</p>", "x\x85", "\xa0«»", "\ufffd", "z\x0b", "\ud800"]),
                max_size=6))
def test_a_contents_escape_is_reused_only_for_that_very_string(contents: list[str]) -> None:
    """Atom and RSS ask in turn for one content's escape: the memo answers only for the same
    string object, and a refused content leaves the memo as it was."""
    for content in contents:
        for value in (content, "".join(list(content))):  # equal, and (but for 1-char strings) another object
            try:
                got = xmlfast._content(value)
            except xmlfast.Refused:
                got = None
            try:
                expected = xmlfast.text(value).encode()
            except (xmlfast.Refused, UnicodeEncodeError):
                expected = None
            assert got == expected


def test_a_naive_date_is_left_to_feedgen() -> None:
    post = make_post("p", datetime(2020, 1, 2))
    assert _fast_entries(unit_config(), post, Rendered("x", "")) == (None, None)
    _same(write.atom_fragment, write.feedgen_atom_fragment, unit_config(), post, Rendered("x", ""))


# --- frames --------------------------------------------------------------------------------

@st.composite
def frames(draw: st.DrawFn) -> tuple[Any, FeedSpec, FeedFile, FeedFile, list[Any], bool]:
    site = {"url": "https://x.test" + draw(st.sampled_from(["", "/blog", "/a&b"])), "title": draw(TEXT),
            "description": draw(TEXT), "language": draw(st.one_of(st.sampled_from(["", "en", "zh-CN"]), TEXT)),
            "author": Author(draw(TEXT), draw(st.sampled_from(["", "a@x.test", 'q"&<@x.test']))),
            "icon": draw(st.sampled_from(["", "/icon.png", "https://i.test/a&b.png"])),
            "logo": draw(st.sampled_from(["", "/logo.png", "https://i.test/l?a=1&b=2"]))}
    cfg = unit_config(site_fields=site, hubs=tuple(draw(st.lists(TEXT, max_size=2))),
                      stylesheet=draw(st.sampled_from(["", "/feed.xslt.xml", "/a&b\".xsl"])))
    links = tuple(draw(st.lists(st.tuples(st.sampled_from(["prev-archive", "next-archive", "current"]), TEXT),
                                max_size=3)))
    atom = FeedFile("atom", "feed.xml", "https://x.test/" + draw(TEXT), links)
    rss = FeedFile("rss", "feed.rss", "https://x.test/" + draw(TEXT), links)
    kept = [make_post(f"p{i}", draw(DATES), updated=draw(DATES)) for i in range(draw(st.integers(0, 3)))]
    spec = FeedSpec("site", "site", "site", draw(TEXT), tuple(kept), len(kept), (atom, rss),
                    page=draw(st.sampled_from([0, 0, 1, 2])))
    return cfg, spec, atom, rss, kept, draw(st.booleans())


@given(frames())
def test_frames_are_feedgens_bytes(case: tuple[Any, FeedSpec, FeedFile, FeedFile, list[Any], bool]) -> None:
    cfg, spec, atom, rss, kept, media = case
    updated, date = newest_dates(kept)  # as fragments.Newest gives them: the oracle takes max of kept
    _same(write.atom_frame, write.feedgen_atom_frame, FrameInputs(cfg, spec, atom, tuple(kept), media, updated, date))
    _same(write.rss_frame, write.feedgen_rss_frame, FrameInputs(cfg, spec, rss, tuple(kept), media, updated, date))
    fields = write._frame_fields(cfg, spec, atom, media)
    values = (spec.title, cfg.site.title, cfg.site.description, cfg.site.author.name, cfg.site.language,
              atom.url, rss.url, *cfg.feeds.hubs, *(v for link in atom.links for v in link))
    if all(xml_safe(v)[0] == v for v in values) and fields.title and fields.author:  # then xmlfast wrote it
        assert xmlfast.atom_head(fields, datetime(2020, 1, 1, tzinfo=timezone.utc)) is not None
        assert xmlfast.rss_head(fields, datetime(2020, 1, 1, tzinfo=timezone.utc)) is not None


def test_xmlfast_imports_neither_feedgen_nor_lxml() -> None:
    tree = ast.parse((Path(xmlfast.__file__)).read_text(encoding="utf-8"))
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    names |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not {n for n in names if n.split(".")[0] in ("feedgen", "lxml")}


def test_a_build_asks_feedgen_for_no_entry_and_no_frame(site_with: Callable[..., Path], build_site: Callable[..., Any],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The work bound of issue 10: every entry and frame of a real site (CJK, control characters,
    ``]]>`` in a body, excerpts, authors, odd slugs, archives, hubs, a stylesheet) is written by
    xmlfast; feedgen's entry and frame paths are not called once. The site's files are still
    the ones feedgen writes whole (``write.feed_bytes``): test_fragments and the golden files."""
    asked: list[str] = []
    for name in ("_feedgen_atom_fragment", "_feedgen_rss_fragment", "feedgen_atom_frame", "feedgen_rss_frame"):
        real = getattr(write, name)
        monkeypatch.setattr(write, name, lambda *a, _name=name, _real=real: asked.append(_name) or _real(*a))
    fixtures = sorted(p.name for p in (Path(__file__).parent / "fixtures" / "posts").iterdir() if p.is_file())
    built = build_site(site_with(*fixtures, config={"feeds": {
        "stylesheet": "/feed.xslt.xml", "websub": {"hub": "https://hub.test/"}, "archives": {"size": 2},
        "formats": ["atom", "rss", "json"]}}), errors_ok=True, build__jobs=1)
    assert len([p for p in built.feeds if not p.endswith(".json")]) > 10
    assert asked == []


# --- a post's content stored once: its bytes as the entries carry them, and back ----------------

@given(st.text().map(lambda t: xml_safe(t)[0]))
def test_content_bytes_read_back_are_the_content(content: str) -> None:
    """The bytes each entry carries (the cache stores them once, the fragments around them) give
    the content back."""
    data = xmlfast.content_bytes(content)
    assert data is not None
    for make in (write.atom_fragment, write.rss_fragment):
        assert data in make(unit_config(), make_post("p"), Rendered(content, ""))
    assert xmlfast.content_from_bytes(data) == content


@given(st.lists(st.sampled_from([b"&amp;", b"&lt;", b"&gt;", b"&#13;", b"&", b"&#10;", b"<", b">", b"\r", b"\x00",
                                 b"\xff", b"\xc2\x85", b"\xef\xbf\xbe", b"a", " 中".encode(), b"&amp;lt;"]),
                max_size=12).map(b"".join))
def test_only_bytes_content_bytes_writes_are_read_as_content(data: bytes) -> None:
    """What the cache reads back as a content is exactly what ``content_bytes`` writes: any other
    bytes (a raw "<", ">" or CR, an "&" of another reference, a character XML forbids, not UTF-8)
    are no content at all."""
    content = xmlfast.content_from_bytes(data)
    if content is not None:
        assert xmlfast.content_bytes(content) == data
    else:
        assert all(xmlfast.content_bytes(text) != data for text in _decodings(data))


def _decodings(data: bytes) -> list[str]:
    """The contents whose escape ``data`` could be, if any: its text unescaped every way there is."""
    try:
        text = data.decode()
    except UnicodeDecodeError:
        return []
    return [text, text.replace("&lt;", "<").replace("&gt;", ">").replace("&#13;", "\r").replace("&amp;", "&")]
