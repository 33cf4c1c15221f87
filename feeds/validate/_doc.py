"""The XML side of feed checking: parsing with line numbers, characters, URLs."""
from __future__ import annotations

import re
import string
import xml.parsers.expat as expat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit
from xml.etree.ElementTree import Element

from lxml import etree  # type: ignore[import-untyped]

from feeds.errors import ERROR, Problem
from feeds.formats import SUFFIXES

ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
FEED_SUFFIXES = SUFFIXES  # every format's extension (and .atom)

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
    return _within_reader_limits(doc, data)


def _within_reader_limits(doc: _Doc, data: bytes) -> bool:
    """Well-formed is not enough: libxml2, inside most readers, refuses a text over 10 MB or
    nesting over 256 levels unless told otherwise (huge_tree); expat has no such limits."""
    parser = etree.XMLParser(huge_tree=False, resolve_entities=False, no_network=True, load_dtd=False)
    try:
        etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        reason = str(error.msg or error).split(", line ")[0]
        doc.add(error.lineno or None, f"readers refuse this file: {reason}; rebuild it (a post's content "
                                      "over content.max_entry_bytes is shortened)")
        return False
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


def _local_target(url: str, site: Site | None) -> Path | None:
    """The file on disk a URL under the site's base URL maps to (None when outside it)."""
    if site is None or not url.startswith(site[1].rstrip("/") + "/"):
        return None
    rest = urlsplit(url[len(site[1].rstrip("/")) + 1:]).path
    segments = [unquote(s) for s in rest.split("/") if s]
    return site[0].joinpath(*segments) if segments else None
