"""The rules of Atom 1.0 (RFC 4287), RSS 2.0 and OPML 2.0, element by element."""
from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from email.utils import parsedate_to_datetime
from xml.etree.ElementTree import Element

from feeds.errors import WARNING, display_path

from ._content import _check_html, _check_xhtml
from ._doc import (
    _DAYS,
    _MARKUP,
    _MIME,
    _RFC822,
    _RFC822_EXAMPLE,
    _RFC3339,
    _RFC3339_EXAMPLE,
    ATOM,
    CONTENT,
    Site,
    _absolute,
    _check_self,
    _Doc,
    _local_target,
    _same_url,
    _text,
    _unique,
)
from ._history import check_history

# --- Atom ----------------------------------------------------------------------------------


def _check_atom(doc: _Doc, feed: Element, expected: str | None) -> None:
    """RFC 4287 as readers rely on it: identity, dates, links, content."""
    if feed.tag != ATOM + "feed":
        doc.add(feed, f'<feed> is not in the Atom namespace; add xmlns="{ATOM[1:-1]}"')
        return
    _exactly_one(doc, feed, ("id", "title", "updated"), "feed")
    _check_self(doc, feed, "link", expected)
    entries = feed.findall(ATOM + "entry")
    anonymous = [e for e in entries if e.find(ATOM + "author") is None]
    if feed.find(ATOM + "author") is None and anonymous:
        doc.add(feed, "no feed <author> and some entries have none; add a feed-level author")
    for entry in entries:
        _check_entry(doc, entry)
    ids = [*feed.findall(ATOM + "id"), *(i for e in entries for i in e.findall(ATOM + "id"))]
    _unique(doc, ids, "id")  # not source/id: entries copied from one feed share it
    for element in feed.iter():
        _check_atom_element(doc, element)


def _exactly_one(doc: _Doc, parent: Element, names: Iterable[str], what: str) -> None:
    """RFC 4287 requires exactly one of these; readers pick one arbitrarily otherwise."""
    for name in names:
        count = len(parent.findall(ATOM + name))
        if count != 1:
            fix = "add one" if count == 0 else "keep only one"
            doc.add(parent, f"{what} has {count} <{name}> elements, Atom requires exactly one; "
                            f"{fix}")


def _check_entry(doc: _Doc, entry: Element) -> None:
    """An entry readers can show: identity, title, date, and something to read or open."""
    _exactly_one(doc, entry, ("id", "title", "updated"), "entry")
    links = entry.findall(ATOM + "link")
    if entry.find(ATOM + "content") is None and all(e.get("rel", "alternate") != "alternate"
                                                    for e in links):
        doc.add(entry, 'entry has neither <content> nor <link rel="alternate">; add one')


def _check_atom_element(doc: _Doc, element: Element) -> None:
    """Per-element rules that do not depend on where the element sits."""
    if not element.tag.startswith(ATOM):
        return  # extensions and inline XHTML
    local, text = element.tag.removeprefix(ATOM), _text(element)
    if local == "id" and not _absolute(text):
        doc.add(element, f"<id> {text!r} is not an absolute IRI; use a full URL or tag: URI")
    elif local == "link" and not _absolute(element.get("href", "")):
        doc.add(element, f"<link href={element.get('href', '')!r}> is not absolute; "
                         "write the full https:// URL")
    elif local in ("updated", "published"):
        _check_rfc3339(doc, element, local, text)
    elif local in ("title", "subtitle", "summary", "rights", "content"):
        _check_atom_text(doc, element, local)


def _check_atom_text(doc: _Doc, element: Element, local: str) -> None:
    """Text constructs: a known type, and html/xhtml bodies checked as content."""
    kind = element.get("type", "text")
    if kind == "html" and local in ("content", "summary"):
        _check_html(doc, element)
    elif kind == "xhtml" and local in ("content", "summary"):
        _check_xhtml(doc, element)
    elif kind == "text" and local in ("content", "summary") \
            and _MARKUP.search(element.text or ""):
        doc.add(element, f"<{local}> holds HTML but has no type=\"html\"; readers will show "
                         "the tags as text, so mark it type=\"html\"", WARNING)
    elif kind not in ("text", "html", "xhtml") and not (local == "content" and _MIME.match(kind)):
        doc.add(element, f'<{local} type="{kind}"> is not an Atom type; use type="html" '
                         '(or "text"/"xhtml")')


def _check_rfc3339(doc: _Doc, element: Element, name: str, text: str) -> None:
    """Atom dates need an explicit offset, or readers guess the time zone."""
    match = _RFC3339.match(text)
    if match and not match.group(3):
        doc.add(element, f"<{name}> {text!r} has no UTC offset; add Z or ±hh:mm, "
                         f"like {_RFC3339_EXAMPLE}")
    elif not match or not _real_rfc3339(match):
        doc.add(element, f"<{name}> {text!r} is not an RFC 3339 date; write it like "
                         f"{_RFC3339_EXAMPLE}")


def _real_rfc3339(match: re.Match[str]) -> bool:
    """The regex checks the shape; this rejects month 13, 25 o'clock and +24:00."""
    try:
        datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        return False
    return int(match.group(4) or 0) < 24 and int(match.group(5) or 0) < 60


# --- RSS -----------------------------------------------------------------------------------


def _check_rss(doc: _Doc, rss: Element, expected: str | None) -> None:
    """RSS 2.0 plus the RSS Advisory Board's best practices readers depend on."""
    if rss.get("version") != "2.0":
        doc.add(rss, f'<rss version="{rss.get("version", "")}">: this is not RSS 2.0; '
                     'write version="2.0"')
    channels = rss.findall("channel")
    if len(channels) != 1:
        doc.add(rss, f"<rss> has {len(channels)} <channel> elements; it needs exactly one")
        return
    channel = channels[0]
    for name in ("title", "link", "description"):
        if channel.find(name) is None:
            doc.add(channel, f"channel has no <{name}>; add one, RSS 2.0 requires it")
    self_href = _check_self(doc, channel, "atom:link", expected)
    _check_channel_link(doc, channel.find("link"), {u for u in (expected, self_href) if u})
    items = channel.findall("item")
    for item in items:
        _check_item(doc, item)
    _unique(doc, (g for i in items for g in i.findall("guid")), "guid")
    for element in channel.iter():
        if element.tag in ("pubDate", "lastBuildDate"):
            _check_rfc822(doc, element)


def _check_channel_link(doc: _Doc, link: Element | None, feed_urls: set[str]) -> None:
    """The channel link is the website: readers open it when the site name is clicked."""
    if link is None:
        return
    if not _absolute(_text(link), web=True):
        doc.add(link, f"channel <link> {_text(link)!r} is not an absolute http(s) URL; "
                      "write the site's full URL")
    elif any(_same_url(_text(link), url) for url in feed_urls):
        doc.add(link, "channel <link> is the feed's own URL; point it at the HTML page "
                      "the feed is about")


def _check_item(doc: _Doc, item: Element) -> None:
    """An item needs something to show, a working link and a guid readers can key on."""
    if item.find("title") is None and item.find("description") is None:
        doc.add(item, "item has neither <title> nor <description>; add one")
    link = item.find("link")
    if link is not None and not _absolute(_text(link), web=True):
        doc.add(link, f"item <link> {_text(link)!r} is not an absolute http(s) URL; "
                      "write the post's full URL")
    for guid in item.findall("guid"):
        _check_guid(doc, guid)
    for body in (*item.findall("description"), *item.findall(CONTENT + "encoded")):
        _check_html(doc, body)


def _check_guid(doc: _Doc, guid: Element) -> None:
    """isPermaLink defaults to true, so a bare id in <guid> claims to be a URL."""
    flag = guid.get("isPermaLink", "true")
    how = "" if "isPermaLink" in guid.attrib else " by default"
    if flag not in ("true", "false"):
        doc.add(guid, f'isPermaLink="{flag}" must be "true" or "false"')
    elif flag == "true" and not _absolute(_text(guid), web=True):
        doc.add(guid, f"<guid> {_text(guid)!r} is a permalink (isPermaLink is true{how}) but "
                      'not an absolute http(s) URL; use the full URL or isPermaLink="false"')


def _check_rfc822(doc: _Doc, element: Element) -> None:
    """RSS dates must be RFC 822 exactly; many readers drop items whose date fails."""
    text = _text(element)
    match = _RFC822.match(text)
    try:
        when = parsedate_to_datetime(text) if match else None
    except (TypeError, ValueError):
        when = None
    if when is None:
        doc.add(element, f"<{element.tag}> {text!r} is not an RFC 822 date; write it like "
                         f"{_RFC822_EXAMPLE!r}")
    elif match and match.group(1) and match.group(1) != _DAYS[when.weekday()]:
        doc.add(element, f"<{element.tag}> {text!r} says {match.group(1)} but that day is a "
                         f"{_DAYS[when.weekday()]}; fix the weekday")


# --- OPML ----------------------------------------------------------------------------------


def _check_opml(doc: _Doc, opml: Element, site: Site | None) -> None:
    """OPML 2.0 subscription lists, and that every feed they list was actually written."""
    if opml.get("version") != "2.0":
        doc.add(opml, f'<opml version="{opml.get("version", "")}">; write version="2.0"')
    if not _text(opml.find("head/title")):
        doc.add(opml, "no <head><title>; add one, readers show it as the list's name")
    if opml.find("body") is None:
        doc.add(opml, "no <body>; add one holding the <outline> elements")
    for outline in opml.iter("outline"):
        if "xmlUrl" in outline.attrib:
            _check_outline(doc, outline, site)


def _check_outline(doc: _Doc, outline: Element, site: Site | None) -> None:
    """A subscription outline: type and text are required, and the URL must resolve."""
    url = outline.get("xmlUrl", "")
    if not outline.get("type"):
        doc.add(outline, f'outline for {url!r} has no type; add type="rss"')
    if not outline.get("text"):
        doc.add(outline, f"outline for {url!r} has no text; add the feed's title as text")
    if not _absolute(url, web=True):
        doc.add(outline, f"xmlUrl {url!r} is not an absolute http(s) URL; write the full URL")
        return
    target = _local_target(url, site)
    if target is not None and not target.is_file():
        doc.add(outline, f"xmlUrl {url!r} points at {display_path(target)}, which is not in "
                         "the output folder; rebuild, or remove the outline")


# --- the registry's entry points: one signature for every format --------------------------

def check_atom(doc: _Doc, root: Element, expected: str | None, site: Site | None) -> None:
    _check_atom(doc, root, expected)
    if root.tag == ATOM + "feed":
        check_history(doc, root, site)


def check_rss(doc: _Doc, root: Element, expected: str | None, site: Site | None) -> None:
    _check_rss(doc, root, expected)
    channels = root.findall("channel")
    if len(channels) == 1:
        check_history(doc, channels[0], site)


def check_opml(doc: _Doc, root: Element, expected: str | None, site: Site | None) -> None:
    _check_opml(doc, root, site)
