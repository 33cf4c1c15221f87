"""Atom and RSS entries and feed frames as plain strings: the bytes feedgen + lxml write, faster.

feedgen builds an lxml tree per entry and lxml serialises it; for the few shapes ``write`` asks of
them that is most of a cold build's serialising time. This module writes the same bytes directly:
feedgen's element order, lxml's escaping (text: ``& < >`` and CR; attributes: also ``"``, tab and
newlines) and its pretty-print indentation (two spaces a level; an element with text is written
on one line). It imports neither library: ``write`` calls it first and uses feedgen whenever it
answers ``None``, for any value outside what is proven identical here (an empty title or id, a
naive date, a character lxml refuses or that this module does not vouch for). The tests keep
feedgen as the oracle: every fragment and frame made here is compared with feedgen's, byte for
byte, on arbitrary text (tests/test_xmlfast.py).
"""
from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import lru_cache
from itertools import chain

from .text import has_forbidden, utf8_has_forbidden

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_FEED_ROOT = '<feed xmlns="http://www.w3.org/2005/Atom"'
MEDIA_NS = "http://search.yahoo.com/mrss/"
HISTORY_NS = "http://purl.org/syndication/history/1.0"


class Refused(Exception):
    """A value this module does not write: the caller uses feedgen instead."""


def text(value: str) -> str:
    """``value`` as lxml writes an element's text. A character lxml refuses (controls, surrogates,
    U+FFFE/F), or a C1 control, is left to feedgen: such a value takes its path, never a guess."""
    if not value.isprintable() and has_forbidden(value):  # printable: none of them (all are Cc, Cs or Cn)
        raise Refused
    if "&" in value:
        value = value.replace("&", "&amp;")
    if "<" in value:
        value = value.replace("<", "&lt;")
    if ">" in value:
        value = value.replace(">", "&gt;")
    if "\r" in value:
        value = value.replace("\r", "&#13;")
    return value


_last: tuple[str, bytes] = ("", b"")  # the last content escaped, and its escape
# the bytes ``_content`` escapes, asked for as ints: ``b"&" in data`` first tries its operand as a
# number, and the TypeError it formats and drops costs four times the search (1.3k instructions)
_AMP, _LT, _GT, _CR = b"&<>\r"


def _content(value: str, checked: bool = False) -> bytes:
    """``text`` of a post's content, UTF-8: its Atom entry and its RSS item ask in turn for the
    same string (the same object, kept alive here), and the second gets it for free. One tuple,
    read and replaced whole, so threads cannot pair a content with another's escape.

    In bytes, since a content is long: the ASCII characters ``text`` refuses or escapes are single
    bytes in UTF-8 (a byte below 0x80 is always a whole character), found and replaced at C speed.
    The others it refuses are surrogates (no UTF-8: ``encode`` raises), C1 controls (``\xc2``
    first) and U+FFFE/U+FFFF (``\xef\xbf`` first): when one of those bytes is there, the
    character check is ``text``'s own.

    ``checked``: the caller has shown that ``value`` holds none of the characters ``text`` refuses
    (``Rendered.checked``: ``render_post``'s own output), and they are not looked for again."""
    global _last
    last = _last
    if last[0] is value:
        return last[1]
    try:
        data = value.encode()
    except UnicodeEncodeError:
        raise Refused from None
    if not checked and utf8_has_forbidden(data, value):
        raise Refused
    if _AMP in data:
        data = data.replace(b"&", b"&amp;")
    if _LT in data:
        data = data.replace(b"<", b"&lt;")
    if _GT in data:
        data = data.replace(b">", b"&gt;")
    if _CR in data:
        data = data.replace(b"\r", b"&#13;")
    _last = (value, data)
    return data


def content_bytes(value: str, checked: bool = False) -> bytes | None:
    """A post's content as its Atom entry and RSS item carry it (``_content``; the same object
    asked again is free), or None where those are feedgen's to write: the cache stores these
    bytes once and each fragment as the bytes around them."""
    try:
        return _content(value, checked)
    except Refused:
        return None


_NOT_WRITTEN = re.compile(rb"[<>\r]|&(?!(?:amp|lt|gt|#13);)")


def content_from_bytes(data: bytes) -> str | None:
    """The content whose ``content_bytes`` are ``data``, or None when no content has these bytes:
    not UTF-8, a character ``text`` refuses, a raw ``<``, ``>`` or CR, or an ``&`` that starts none
    of the four references ``_content`` writes. Escaping the answer gives ``data`` back."""
    try:
        value = data.decode()
    except UnicodeDecodeError:
        return None
    if utf8_has_forbidden(data) or _NOT_WRITTEN.search(data):
        return None
    if "&" in value:
        value = value.replace("&lt;", "<").replace("&gt;", ">").replace("&#13;", "\r").replace("&amp;", "&")
    return value


Parts = tuple[bytes, bytes, bytes]  # a fragment as (head, body, tail): the post's content bytes (or b"") between


def attr(value: str) -> str:
    """``value`` as lxml writes an attribute's value (in double quotes)."""
    return _attr_of_text(text(value))


def _attr_of_text(value: str) -> str:
    """An attribute's value from the value's ``text``: what an attribute escapes besides."""
    if '"' in value:
        value = value.replace('"', "&quot;")
    if "\n" in value:
        value = value.replace("\n", "&#10;")
    if "\t" in value:
        value = value.replace("\t", "&#9;")
    return value


def _element(pad: str, name: str, value: str) -> str:
    """One element with text on a line; lxml writes ``<x></x>`` for empty text that was set."""
    return f"{pad}<{name}>{text(value)}</{name}>\n"


_last_iso: tuple[object, str] = (None, "")  # the last date formatted, and its text


def iso(when: datetime) -> str:
    """feedgen's Atom date: ``isoformat()`` of an aware datetime. The last date asked is kept (the
    object itself, alive here, so no other can take its id; one tuple, read and replaced whole): a
    feed's Atom head and RSS head ask in turn for the date of its newest post, mostly one object."""
    global _last_iso
    last = _last_iso
    if last[0] is when:
        return last[1]
    if when.utcoffset() is None:
        raise Refused
    stamp = when.isoformat()
    _last_iso = (when, stamp)
    return stamp


def rfc822(when: datetime, stamp: str = "") -> str:
    """feedgen's ``formatRFC2822``: ``%a, %d %b %Y %H:%M:%S %z`` in the C locale; written out for a
    four-digit year and an offset in whole minutes (strftime costs four times as much).

    ``stamp``: ``iso(when)``, when the caller has it: for those (``YYYY-MM-DDTHH:MM:SS+HH:MM``, 25
    characters: no microseconds, no seconds in the offset, a year from 1000) its digits are the
    ones written, cut out of it rather than formatted again."""
    if len(stamp) == 25 and stamp[0] != "0" and type(when) is datetime:
        return (f"{_DAYS[when.weekday()]}, {stamp[8:10]} {_MONTHS[int(stamp[5:7]) - 1]} {stamp[:4]} "
                f"{stamp[11:19]} {stamp[19:22]}{stamp[23:]}")
    offset = when.utcoffset()
    if offset is None:
        raise Refused
    seconds = offset.days * 86400 + offset.seconds
    if when.year < 1000 or seconds % 60 or offset.microseconds:
        return when.strftime(f"{_DAYS[when.weekday()]}, %d {_MONTHS[when.month - 1]} %Y %H:%M:%S %z")
    hours, minutes = divmod(abs(seconds) // 60, 60)
    sign = "-" if seconds < 0 else "+"
    return (f"{_DAYS[when.weekday()]}, {when.day:02d} {_MONTHS[when.month - 1]} {when.year} "
            f"{when.hour:02d}:{when.minute:02d}:{when.second:02d} {sign}{hours:02d}{minutes:02d}")


def _media(pad: bytes, url: bytes) -> bytes:
    """An entry's image as feedgen's media extension writes it (``url``: an attribute's value
    already, UTF-8); b"" for none."""
    return b'%s<media:content url="%s" medium="image"/>\n%s<media:thumbnail url="%s"/>\n' % (pad, url, pad, url) \
        if url else b""


def _need(*values: str) -> None:
    """feedgen refuses or leaves out an element for an empty value of these: not written here."""
    for value in values:
        if type(value) is not str or not value:
            raise Refused


# a category's element, made once per name (a site's names come back on every post); the bound
# keeps memory in check whatever the names
@lru_cache(maxsize=8192)
def _atom_category(name: str) -> bytes:
    return f'    <category term="{attr(name)}"/>\n'.encode()


@lru_cache(maxsize=8192)
def _rss_category(name: str) -> bytes:
    return _element("      ", "category", name).encode()


# --- entries ----------------------------------------------------------------------------------

class EntryText:
    """One post's values as its Atom entry and its RSS item both write them, each escaped (and each
    date formatted) once: ``entry_text`` makes it, ``atom_parts`` and ``rss_parts`` put the pieces
    in their places. What one format alone uses is kept apart: ``updated`` (Atom's only) is None
    when that format must be feedgen's.

    The values are kept in UTF-8, each encoded once, and the fragments are put together as bytes:
    made as text, a fragment whose title or summary is not Latin-1 (a Chinese site's, every one)
    was a string of two or four bytes a character, markup and all, and each format's went through
    the UTF-8 encoder whole (12 M of the 196 M instructions that made the 1k bench corpus's
    fragments). The dates (ASCII) stay text."""

    __slots__ = ("id", "title", "link", "href", "updated", "published", "pub_date", "author", "summary", "names",
                 "content", "body", "image")

    def __init__(self, entry_id: bytes, title: bytes, link: bytes, href: bytes, updated: str | None, published: str,
                 pub_date: str, author: bytes, summary: bytes, names: tuple[str, ...], content: str | None,
                 body: bytes, image: bytes) -> None:
        self.id, self.title, self.link, self.href, self.updated = entry_id, title, link, href, updated
        self.published, self.pub_date, self.author, self.summary = published, pub_date, author, summary
        self.names, self.content, self.body, self.image = names, content, body, image


def entry_text(entry_id: str, title: str, url: str, published: datetime, updated: datetime, author: str,
               names: Iterable[str], summary: str, content: str | None, image: str,
               checked: bool = False) -> EntryText | None:
    """A post's values escaped for both formats; None when feedgen must write both (a value that
    either format refuses alike). ``checked``: the content is known to hold no character ``text``
    refuses (``_content``)."""
    try:
        _need(entry_id, title, url)
        link, stamp = text(url), iso(published)
        try:
            when: str | None = stamp if updated is published else iso(updated)
        except (Refused, TypeError, AttributeError):  # Atom's alone: RSS carries no updated date
            when = None
        return EntryText(text(entry_id).encode(), text(title).encode(), link.encode(), _attr_of_text(link).encode(),
                         when, stamp, rfc822(published, stamp), text(author).encode() if author else b"",
                         text(html.escape(summary, quote=False)).encode() if summary else b"", tuple(names),
                         content, _content(content, checked) if content else b"",
                         _attr_of_text(text(image)).encode() if image else b"")
    # a value ``text`` lets through has no surrogate (UTF-8 has none), but should one come, the
    # entry is feedgen's to write, as for any value refused here
    except (Refused, TypeError, AttributeError, UnicodeEncodeError):
        return None


_ATOM_HEAD = b"  <entry>\n    <id>%s</id>\n    <title>%s</title>\n    <updated>%s</updated>\n"
_ATOM_AUTHOR = b"    <author>\n      <name>%s</name>\n    </author>\n"
_ATOM_LINK = b'    <link href="%s"/>\n'
_ATOM_SUMMARY = b'    <summary type="html">%s</summary>\n'
_ATOM_END = b"    <published>%s</published>\n%s  </entry>\n"  # the date, the image's elements


def atom_parts(e: EntryText) -> Parts | None:
    """The ``<entry>`` fragment ``write.atom_fragment`` cuts from feedgen's output (two spaces in,
    newline-ended), as (head, body, tail) around the content's bytes (``content_bytes``; b"": none);
    None when feedgen must write it."""
    if e.updated is None:
        return None
    try:
        names = b"".join(map(_atom_category, e.names))
    except (Refused, TypeError, AttributeError, UnicodeEncodeError):
        return None
    head = _ATOM_HEAD % (e.id, e.title, e.updated.encode())
    if e.author:
        head += _ATOM_AUTHOR % e.author
    rest = b"".join((_ATOM_LINK % e.href, _ATOM_SUMMARY % e.summary if e.summary else b"", names,
                     _ATOM_END % (e.published.encode(), _media(b"    ", e.image))))
    if e.content:
        return head + b'    <content type="html">', e.body, b"</content>\n" + rest
    if e.content is not None:
        head += b'    <content type="html"/>\n'
    return head + rest, b"", b""


_RSS_HEAD = b"    <item>\n      <title>%s</title>\n      <link>%s</link>\n"
_RSS_SUMMARY = b"      <description>%s</description>\n"
_RSS_GUID = b'      <guid isPermaLink="false">%s</guid>\n'
_RSS_PERMALINK = b'      <guid isPermaLink="true">%s</guid>\n'
_RSS_DATE = b"      <pubDate>%s</pubDate>\n"
_RSS_AUTHOR = b"      <dc:creator>%s</dc:creator>\n"
# feedgen: the summary is the description, the content content:encoded; without a summary the
# content is the description (an empty one written as <x></x>): (opening, closing) by summary or not
_RSS_CONTENT = ((b"      <description>", b"</description>\n"), (b"      <content:encoded>", b"</content:encoded>\n"))


def rss_parts(e: EntryText, permalink: bool) -> Parts | None:
    """The ``<item>`` fragment ``write.rss_fragment`` cuts from feedgen's output (four spaces in), as
    (head, body, tail) around the content's bytes (b"": none); None when feedgen must write it."""
    try:
        names = b"".join(map(_rss_category, e.names))
    except (Refused, TypeError, AttributeError, UnicodeEncodeError):
        return None
    head = _RSS_HEAD % (e.title, e.link)
    if e.summary:
        head += _RSS_SUMMARY % e.summary
    rest = b"".join(((_RSS_PERMALINK if permalink else _RSS_GUID) % e.id, names, _RSS_DATE % e.pub_date.encode(),
                     _RSS_AUTHOR % e.author if e.author else b"", _media(b"      ", e.image), b"    </item>\n"))
    if e.content is not None:
        opening, closing = _RSS_CONTENT[bool(e.summary)]
        return head + opening, e.body, closing + rest
    return head + rest, b"", b""


def atom_entry_parts(entry_id: str, title: str, url: str, published: datetime, updated: datetime, author: str,
                     names: Iterable[str], summary: str, content: str | None, image: str) -> Parts | None:
    """``atom_parts`` of these values (``content`` None: no content, excerpt only)."""
    found = entry_text(entry_id, title, url, published, updated, author, names, summary, content, image)
    return None if found is None else atom_parts(found)


def rss_item_parts(entry_id: str, permalink: bool, title: str, url: str, published: datetime, author: str,
                   names: Iterable[str], summary: str, content: str | None, image: str) -> Parts | None:
    """``rss_parts`` of these values (an RSS item has no updated date: ``published`` stands in)."""
    found = entry_text(entry_id, title, url, published, published, author, names, summary, content, image)
    return None if found is None else rss_parts(found, permalink)


# --- frames: a feed file without its entries ---------------------------------------------------

class Frame:
    """What a feed file's head is made of, as ``write`` gives it to feedgen (after ``_safe``)."""

    def __init__(self, *, title: str, description: str, author: str, email: str, language: str, icon: str,
                 logo: str, site_link: str, self_url: str, hubs: Sequence[str],
                 links: Sequence[tuple[str, str]], archive: bool, media: bool) -> None:
        self.title, self.description, self.author, self.email = title, description, author, email
        self.language, self.icon, self.logo, self.site_link = language, icon, logo, site_link
        self.self_url, self.hubs, self.links, self.archive, self.media = self_url, hubs, links, archive, media


_STR = frozenset((str,))


def _check_frame(f: Frame) -> None:
    _need(f.title, f.description, f.author, f.site_link, f.self_url)
    # every other value text (the types told at C speed: no generator per file)
    if not _STR.issuperset(map(type, (f.email, f.language, f.icon, f.logo, *f.hubs))) \
            or (f.links and not _STR.issuperset(map(type, chain.from_iterable(f.links)))):
        raise Refused


def atom_head(f: Frame, updated: datetime) -> bytes | None:
    """An Atom file up to its entries, as ``write.atom_frame`` cuts it from feedgen's (before the
    stylesheet is put in)."""
    try:
        _check_frame(f)
        root = _FEED_ROOT
        if f.media:
            root = f'<feed xmlns:media="{MEDIA_NS}"' + root[5:]
        if f.archive:
            root = root.replace(' xmlns="', f' xmlns:fh="{HISTORY_NS}" xmlns="', 1)
        if f.language:
            root += f' xml:lang="{attr(f.language)}"'
        parts = [f"<?xml version='1.0' encoding='UTF-8'?>\n{root}>\n  <id>{text(f.self_url)}</id>\n"
                 f"  <title>{text(f.title)}</title>\n  <updated>{iso(updated)}</updated>\n"
                 f"  <author>\n    <name>{text(f.author)}</name>\n"]
        if f.email:
            parts.append(f"    <email>{text(f.email)}</email>\n")
        parts.append(f'  </author>\n  <link href="{attr(f.self_url)}" rel="self"/>\n')
        parts.extend(f'  <link href="{attr(hub)}" rel="hub"/>\n' for hub in f.hubs)
        parts.append(f'  <link href="{attr(f.site_link)}" rel="alternate"/>\n  <generator>feeds</generator>\n')
        if f.icon:
            parts.append(f"  <icon>{text(f.icon)}</icon>\n")
        if f.logo:
            parts.append(f"  <logo>{text(f.logo)}</logo>\n")
        parts.append(f"  <subtitle>{text(f.description)}</subtitle>\n")
        parts.extend(f'  <link rel="{attr(rel)}" href="{attr(href)}"/>\n' for rel, href in f.links)
        if f.archive:
            parts.append("  <fh:archive/>\n")
        return "".join(parts).encode()
    except (Refused, TypeError, AttributeError):
        return None


def rss_head(f: Frame, last_build: datetime) -> bytes | None:
    """An RSS file up to its items, as ``write.rss_frame`` cuts it from feedgen's."""
    try:
        _check_frame(f)
        spaces = ' xmlns:dc="http://purl.org/dc/elements/1.1/"'
        if f.media:
            spaces += f' xmlns:media="{MEDIA_NS}"'
        if f.archive:
            spaces += f' xmlns:fh="{HISTORY_NS}"'
        parts = [f"<?xml version='1.0' encoding='UTF-8'?>\n<rss{spaces} xmlns:atom=\"http://www.w3.org/2005/Atom\" "
                 'xmlns:content="http://purl.org/rss/1.0/modules/content/" version="2.0">\n  <channel>\n'
                 f"    <title>{text(f.title)}</title>\n    <link>{text(f.site_link)}</link>\n"
                 f"    <description>{text(f.description)}</description>\n"
                 f'    <atom:link href="{attr(f.self_url)}" rel="self"/>\n']
        parts.extend(f'    <atom:link href="{attr(hub)}" rel="hub"/>\n' for hub in f.hubs)
        parts.append("    <docs>http://www.rssboard.org/rss-specification</docs>\n    <generator>feeds</generator>\n")
        if f.logo:
            parts.append(f"    <image>\n      <url>{text(f.logo)}</url>\n      <title>{text(f.title)}</title>\n"
                         f"      <link>{text(f.site_link)}</link>\n    </image>\n")
        if f.language:
            parts.append(f"    <language>{text(f.language)}</language>\n")
        parts.append(f"    <lastBuildDate>{rfc822(last_build, iso(last_build))}</lastBuildDate>\n")
        parts.extend(f'    <atom:link rel="{attr(rel)}" href="{attr(href)}"/>\n' for rel, href in f.links)
        if f.archive:
            parts.append("    <fh:archive/>\n")
        return "".join(parts).encode()
    except (Refused, TypeError, AttributeError):
        return None
