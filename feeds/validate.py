"""Check feeds already on disk against RSS 2.0, Atom 1.0 (RFC 4287) and OPML 2.0.

``feeds check`` runs this after a build (or in CI) so a broken feed is caught before a
reader silently drops it. Only the standard library is used: expat gives line numbers and
rejects exactly what XML 1.0 rejects, so what passes here parses everywhere.
"""
from __future__ import annotations

import re
import string
import xml.parsers.expat as expat
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit
from xml.etree.ElementTree import Element

from feeds.errors import ERROR, WARNING, Problem, display_path

ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
FEED_SUFFIXES = (".xml", ".rss", ".atom", ".opml")

_FORBIDDEN = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_CHAR_REF = re.compile(r"&#(x[0-9a-fA-F]+|[0-9]+);")
_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"]+\Z")
_MIME = re.compile(r"[\w!#$&^.+-]+/[\w!#$&^.+-]+(\s*;.*)?\Z")
_MARKUP = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(\s[^<>]*)?/?>")
_RFC3339 = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-](\d\d):(\d\d))?\Z")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"
_RFC822 = re.compile(
    rf"(?:({'|'.join(_DAYS)}), )?\d{{1,2}} (?:{_MONTHS}) \d{{4}} \d\d:\d\d(?::\d\d)? "
    r"(?:[+-]\d{4}|GMT|UT|[ECMP][SD]T)\Z"
)
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_PCHAR = frozenset(string.ascii_letters + string.digits + "-._~!$&'()*+,;=:@")  # RFC 3986
_URL_ATTRS = ("href", "src", "poster", "srcset")
_RFC3339_EXAMPLE = "2022-03-04T13:23:21+08:00"
_RFC822_EXAMPLE = "Fri, 04 Mar 2022 13:23:21 +0800"

_Finding = tuple[str, str]  # (level, message)
Site = tuple[Path, str]  # (folder on disk, the URL that folder is served at)


@dataclass
class _Doc:
    """One parsed file: its tree, each element's line (ElementTree forgets them), its problems."""

    path: str
    root: Element | None = None
    lines: dict[int, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def add(self, where: Element | int | None, message: str, level: str = ERROR) -> None:
        line = self.lines.get(id(where)) if isinstance(where, Element) else where
        self.problems.append(Problem(self.path, line, message, level))


class _Builder:
    """Builds an ElementTree from expat events, recording the line of every start tag."""

    def __init__(self, doc: _Doc) -> None:
        self.doc = doc
        self.encoding: str | None = None
        self.stack: list[tuple[Element, list[str]]] = []
        self.parser = expat.ParserCreate(namespace_separator=" ")
        self.parser.buffer_text = True
        self.parser.XmlDeclHandler = self.declaration
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end
        self.parser.CharacterDataHandler = lambda text: self.stack[-1][1].append(text)

    def declaration(self, version: str, encoding: str | None, standalone: int) -> None:
        if version != "1.0":
            self.doc.add(1, f"XML version {version} is declared; feeds must be XML 1.0")
        self.encoding = encoding

    def start(self, name: str, attrs: dict[str, str]) -> None:
        element = Element(_clark(name), {_clark(k): v for k, v in attrs.items()})
        self.doc.lines[id(element)] = self.parser.CurrentLineNumber
        if self.stack:
            self.stack[-1][0].append(element)
        else:
            self.doc.root = element
        self.stack.append((element, []))

    def end(self, name: str) -> None:
        element, text = self.stack.pop()
        element.text = "".join(text)


def _clark(name: str) -> str:
    """expat's "uri local" as ElementTree's "{uri}local"."""
    uri, _, local = name.rpartition(" ")
    return f"{{{uri}}}{local}" if uri else local


def _parse(doc: _Doc, data: bytes) -> bool:
    """Parse ``data`` into ``doc``; on failure explain why as precisely as possible."""
    builder = _Builder(doc)
    try:
        builder.parser.Parse(data, True)
    except expat.ExpatError as error:
        if not _explain_characters(doc, data):
            doc.add(error.lineno, _expat_message(error, data))
        return False
    finally:
        _check_encoding(doc, data, builder.encoding)
    return True


def _check_encoding(doc: _Doc, data: bytes, declared: str | None) -> None:
    """Feeds are UTF-8 by convention and by the spec we promise; say so once."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        declared = "UTF-16"
    if declared and declared.lower().replace("_", "-") not in ("utf-8", "utf8"):
        doc.problems.insert(0, Problem(doc.path, 1, f"the file is encoded as {declared}; "
                                                     "write it as UTF-8"))


def _explain_characters(doc: _Doc, data: bytes) -> bool:
    """Report bytes that are not UTF-8 and characters XML 1.0 forbids, each with its line."""
    before = len(doc.problems)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        doc.add(line, f"byte 0x{data[error.start]:02X} is not UTF-8; save the source as UTF-8")
        text = data.decode("utf-8-sig", "replace")
    line, seen = 1, 0
    for match in _FORBIDDEN.finditer(text):
        line, seen = line + text.count("\n", seen, match.start()), match.start()
        code = f"U+{ord(match.group()):04X}"
        doc.add(line, f"character {code} is not allowed in XML 1.0; remove it from the source")
    return len(doc.problems) > before


def _expat_message(error: expat.ExpatError, data: bytes) -> str:
    """expat's terse message, said as what is wrong and what to do."""
    if error.code == expat.errors.codes[expat.errors.XML_ERROR_BAD_CHAR_REF]:
        line = data.splitlines()[error.lineno - 1].decode("utf-8", "replace")
        ref = _CHAR_REF.match(line, error.offset)  # expat counts columns in characters
        shown = ref.group() if ref else "a character reference"
        return f"{shown} names a character XML 1.0 forbids; remove it from the source"
    if error.code == expat.errors.codes[expat.errors.XML_ERROR_NO_ELEMENTS]:
        return "the file has no root element (is it empty or cut short?); rebuild it"
    return f"not well-formed XML ({expat.ErrorString(error.code)}); rebuild or fix the file"


def url_for(base_url: str, relative: Path) -> str:
    """The URL a file is served at: each path segment percent-encoded as UTF-8."""
    segments = "/".join(quote(part, safe="") for part in relative.parts)
    return base_url.rstrip("/") + "/" + segments


def _same_url(a: str, b: str) -> bool:
    """Equal up to escaping that servers treat alike: ``C++`` vs ``C%2B%2B``, ``%e4`` vs ``%E4``.

    Non-ASCII stays significant: a raw ``中`` in a URL is not what the file is served at.
    """
    return _normalize_url(a) == _normalize_url(b)


def _normalize_url(url: str) -> str:
    """Decode escapes of ASCII characters that are literal in a path; upper-case the rest."""

    def one(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _PCHAR else "%" + match.group(1).upper()

    return _ESCAPE.sub(one, url)


def _split(url: str) -> tuple[str, str]:
    """(scheme, host); a URL urllib cannot split, like ``http://[x``, has neither."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "", ""
    return parts.scheme.lower(), parts.netloc


def _absolute(url: str, web: bool = False) -> bool:
    """An absolute IRI (``web``: an http(s) URL with a host); ``//host/x`` is not absolute."""
    if not _IRI.match(url):
        return False
    scheme, host = _split(url)
    if scheme in ("http", "https"):
        return bool(host)
    return bool(scheme) and not web


def _text(element: Element | None) -> str:
    """Stripped text, "" for a missing element: readers ignore surrounding whitespace."""
    return (element.text or "").strip() if element is not None else ""


def _unique(doc: _Doc, elements: Iterable[Element], what: str) -> None:
    """Readers key posts on ids: a repeated one hides or overwrites a post."""
    seen: dict[str, int | None] = {}
    for element in elements:
        value = _text(element)
        if value in seen:
            doc.add(element, f"{what} {value!r} is also used on line {seen[value]}; "
                             "each post needs its own")
        seen.setdefault(value, doc.lines.get(id(element)))


def _check_self(doc: _Doc, parent: Element, name: str, expected: str | None) -> str | None:
    """The self link is how readers and hubs know where the feed lives; it must be exact."""
    selves = [e for e in parent.findall(ATOM + "link") if e.get("rel") == "self"]
    if not selves:
        hint = f' href="{expected}"' if expected else ""
        doc.add(parent, f'no <{name} rel="self">; add one{hint}')
        return None
    href = selves[0].get("href", "")
    if expected and not _same_url(href, expected):
        hint = " (percent-encode each path segment)" if unquote(href) == unquote(expected) else ""
        doc.add(selves[0], f"self link is {href!r} but the file is served at "
                           f"{expected!r}; use that URL{hint}")
    return href


# --- content -------------------------------------------------------------------------------


def _attribute_findings(tag: str, attrs: Iterable[tuple[str, str | None]]) -> list[_Finding]:
    """(level, message) for relative URLs and scripting in one HTML start tag."""
    found: list[_Finding] = []
    if tag == "script":
        found.append((WARNING, "content has a <script>; readers strip it, remove it"))
    for name, value in attrs:
        name, value = name.lower(), (value or "").strip()
        if name.startswith("on"):
            found.append((WARNING, f"<{tag} {name}=...> event handler in content; readers "
                                   "strip it, remove it"))
        elif name in _URL_ATTRS:
            found += [_url_finding(tag, name, url) for url in _attribute_urls(name, value)
                      if _relative(url) or url.lower().startswith("javascript:")]
    return found


def _attribute_urls(name: str, value: str) -> list[str]:
    """srcset holds "url width, url width"; every other URL attribute holds one URL."""
    if name != "srcset":
        return [value]
    return [candidate.split()[0] for candidate in value.split(",") if candidate.strip()]


def _relative(url: str) -> bool:
    """Readers resolve relative URLs against their own address, so they break.

    ``//host/x`` and ``http:x`` count as relative; ``C:\\x`` is a local path, not a scheme.
    """
    scheme, host = _split(url)
    if scheme in ("http", "https"):
        return not host
    return bool(url) and len(scheme) < 2


def _url_finding(tag: str, name: str, url: str) -> _Finding:
    """javascript: URLs are scripting (readers strip them); anything else here is relative."""
    if url.lower().startswith("javascript:"):
        return WARNING, f"<{tag} {name}=\"javascript:...\"> in content; readers strip it, remove it"
    return ERROR, (f"<{tag} {name}={url!r}> in content is not an absolute URL; readers "
                   "cannot resolve it, so write it as https://...")


class _HtmlScan(HTMLParser):
    """Collects findings from escaped HTML; HTMLParser never gives up, like readers."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        self.found += [(line, lvl, msg) for lvl, msg in _attribute_findings(tag, attrs)]


def _check_html(doc: _Doc, element: Element) -> None:
    """Scan escaped HTML; lines are the element's line plus the line inside the text."""
    scan = _HtmlScan()
    scan.feed(element.text or "")
    scan.close()
    start = doc.lines.get(id(element))
    for line, level, message in scan.found:
        doc.add(None if start is None else start + line - 1, message, level)


def _check_xhtml(doc: _Doc, element: Element) -> None:
    """Inline XHTML content: the same checks, on real elements."""
    for child in element.iter():
        if child is not element:
            tag = child.tag.rpartition("}")[2]
            for level, message in _attribute_findings(tag, list(child.attrib.items())):
                doc.add(child, message, level)


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


def _local_target(url: str, site: Site | None) -> Path | None:
    """The file on disk a URL under the site's base URL maps to (None when outside it)."""
    if site is None or not url.startswith(site[1].rstrip("/") + "/"):
        return None
    rest = urlsplit(url[len(site[1].rstrip("/")) + 1:]).path
    segments = [unquote(s) for s in rest.split("/") if s]
    return site[0].joinpath(*segments) if segments else None


# --- entry points --------------------------------------------------------------------------


def _check_file(path: Path, expected: str | None, site: Site | None) -> list[Problem] | None:
    """Problems of one file, or None when it is well-formed XML but not a feed or OPML."""
    doc = _Doc(display_path(path))
    try:
        data = path.read_bytes()
    except OSError as error:
        return [Problem(doc.path, None, f"cannot read the file ({error.strerror}); "
                                        "check it exists and is readable")]
    well_formed = _parse(doc, data)
    root = doc.root
    kind = root.tag.rpartition("}")[2] if root is not None else None
    if kind not in (None, "feed", "rss", "opml"):
        return None
    if well_formed and root is not None:
        if kind == "feed":
            _check_atom(doc, root, expected)
        elif kind == "rss":
            _check_rss(doc, root, expected)
        else:
            _check_opml(doc, root, site)
    return doc.problems


def check_feed_file(path: Path, expected_url: str | None) -> list[Problem]:
    """Check one RSS, Atom or OPML file; ``expected_url`` is where it will be served.

    Without ``expected_url`` the self link is only required, not compared. OPML links are
    checked against the files next to ``path`` when they sit under its folder's URL.
    """
    site = (path.parent, expected_url.rsplit("/", 1)[0]) if expected_url else None
    problems = _check_file(path, expected_url, site)
    if problems is None:
        return [Problem(display_path(path), None, "not an RSS, Atom or OPML file; check the path")]
    return problems


def check_output(
    output_dir: Path, base_url: str, files: Iterable[Path] | None = None
) -> list[Problem]:
    """Check every feed and OPML file a build wrote, as a reader fetching ``base_url`` sees them.

    ``files`` limits the check (paths absolute, or relative to the current folder or to
    ``output_dir``); other XML such as sitemap.xml is skipped silently.
    """
    if not output_dir.is_dir():
        return [Problem(display_path(output_dir), None, "output folder does not exist; "
                                                        "run the build first")]
    problems: list[Problem] = []
    for path in _candidates(output_dir, files):
        relative = _relative_to(path, output_dir)
        expected = url_for(base_url, relative) if relative is not None else None
        problems += _check_file(path, expected, (output_dir, base_url)) or []
    return problems


def _candidates(output_dir: Path, files: Iterable[Path] | None) -> list[Path]:
    """Feed-like files in the output folder, skipping hidden folders such as .git."""
    if files is not None:
        return [p if p.is_absolute() or p.exists() else output_dir / p for p in files]
    found = (p for p in output_dir.rglob("*") if p.suffix.lower() in FEED_SUFFIXES)
    return sorted(p for p in found if p.is_file() and not any(
        part.startswith(".") for part in p.relative_to(output_dir).parts))


def _relative_to(path: Path, output_dir: Path) -> Path | None:
    """Where ``path`` sits in the output folder; None outside it (then no URL is expected)."""
    try:
        return path.resolve().relative_to(output_dir.resolve())
    except (ValueError, OSError):
        return None
