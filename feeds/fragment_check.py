"""Is a cached entry fragment one that this build could have written? A cheap structural check.

Fragments come back from the cache, which is input (a restored CI cache may have been
poisoned), and go to readers as they are. Signing them would prove nothing (a key kept beside
the cache is the attacker's too), and rendering again is what the cache is there to save. So a
fragment is checked against what feeds writes, which is a narrow language:

* XML (Atom ``<entry>``, RSS ``<item>``): one regular expression over the whole fragment admits
  exactly the lines our writer produces (the elements and attributes it writes, text without
  ``<``, only the entity references lxml writes), so the fragment is well-formed, one entry,
  and cannot close or open anything around it; its id and link must be the post's (a row
  already checked field by field), and it must be XML 1.0 text (valid UTF-8, no forbidden
  character).
* JSON Feed item: a JSON object with the keys we write, the post's id and URL.
* The HTML content (and the summary, HTML too in Atom and RSS) against the sanitiser's
  allowlist: every ``<`` opens a tag of the allowed names with allowed attributes, quoted as
  the sanitiser writes them, and every URL attribute is absolute with an allowed scheme
  (``data:`` only for images), as ``render`` makes them. With ``content.sanitize: false`` the
  content is the site's own choice and only the structure is checked.

Cost: one regular expression over the fragment in C, plus Python work per HTML tag that has
attributes; about a tenth of cleaning the HTML again (which a cached body used to cost on every
rebuild). A check stricter than the writer costs work, never a wrong feed: a fragment that fails
is made again from the post, and counted as damaged only when the new bytes differ.
"""
from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from .config import Config
from .posts import Post
from .render import _OTHER_URL_ATTRS, _URL_ATTRS, _allowlist, _harmless
from .text import describe_forbidden, srcset_candidates, utf8_has_forbidden

_IMAGE = rb'https?://[^"<\x00-\x20]+'  # as posts.py and images.py make them
# one element per line, as lxml indents them: text without "<", attributes quoted without "<"
_LINE = re.compile(rb'( *)<([a-zA-Z]+(?::[a-zA-Z]+)?)((?: [a-zA-Z]+="[^"<]*")*)(?:/>|>([^<]*)</\2>)\n')
_AUTHOR = re.compile(rb"    <author>\n      <name(?:>([^<]*)</name>|/>)\n    </author>\n")
_ATTRS = re.compile(rb' ([a-zA-Z]+)="([^"<]*)"')
_BAD_AMPERSAND = re.compile(rb"&(?!(?:amp|lt|gt|quot|#9|#10|#13);)")
_MEDIA = {b"media:content": {b"url", b"medium"}, b"media:thumbnail": {b"url"}}
# element -> its attributes, for each format: the writer's whole vocabulary
_ATOM = {b"id": set(), b"title": set(), b"updated": set(), b"published": set(), b"content": {b"type"},
         b"summary": {b"type"}, b"link": {b"href"}, b"category": {b"term"}, **_MEDIA}
_RSS = {b"title": set(), b"link": set(), b"description": set(), b"content:encoded": set(), b"category": set(),
        b"pubDate": set(), b"dc:creator": set(), b"guid": {b"isPermaLink"}, **_MEDIA}
_FIXED = {b"type": (b"html",), b"medium": (b"image",), b"isPermaLink": (b"true", b"false")}
_HTML_PARTS = (b"content", b"summary", b"content:encoded", b"description")
_DAYS, _MONTHS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
                                                                    "Aug", "Sep", "Oct", "Nov", "Dec")
_JSON_KEYS = frozenset(("id", "url", "title", "content_html", "content_text", "summary", "image", "date_published",
                        "date_modified", "authors", "tags"))
# the sanitiser's output (html5ever's serialiser): <name attr="value" ...> and </name>, names in
# lower case, values always quoted; no comments
_ATTRS_PART = r'((?:[ \t\n]+[^\s"\'<>/=A-Z]+(?:="[^"]*")?)+)'
_NOT_TAG = re.compile(r'<(?!/?[a-z][a-z0-9]*(?:[ \t\n]+[^\s"\'<>/=A-Z]+(?:="[^"]*")?)*[ \t\n]*/?>)')
_NAMES = re.compile(r"</?([a-z][a-z0-9]*)")
_WITH_ATTRS = re.compile(r"<([a-z][a-z0-9]*)" + _ATTRS_PART + r"[ \t\n]*/?>")
_ATTR = re.compile(r'([^\s"\'<>/=]+)(?:="([^"]*)")?')
_PLAIN_URL = re.compile(r"[^\x00-\x20\x7f]+")


def fragment_ok(fmt: str, data: bytes, post: Post, cfg: Config) -> bool:
    """The fragment is one our writer could have made for ``post`` (see the module's doc)."""
    said = fragment_fields(fmt, data, cfg)
    return said is not None and said == expected_fields(fmt, post)


Fields = tuple[object, ...]  # what a fragment says of its post: its id, link and dates


def fragment_format(data: bytes) -> str:
    """The format a stored fragment looks like it was made in, by how our writer starts it (the
    cache keys fragments by format but does not store it): "atom", "rss", or else "json". Only a
    guess for ``fragment_fields``, which refuses a fragment of any other shape."""
    return "atom" if data.startswith(b"  <entry>") else "rss" if data.startswith(b"    <item>") else "json"


def fragment_fields(fmt: str, data: bytes, cfg: Config) -> Fields | None:
    """What the fragment says of its post (its id, link and dates, compared with ``expected_fields``)
    when it is one our writer could have made for a post that says so; else None. Everything but
    that comparison, which is all the cost (the content's HTML), needs no post: a fragment can be
    checked before the posts are read (``entry_check``)."""
    try:
        if fmt == "json":
            return _json_fields(data, cfg)
        if fmt in ("atom", "rss"):
            return _xml_fields(fmt == "atom", data, cfg)
    except (ValueError, TypeError, RecursionError):  # UnicodeDecodeError, JSONDecodeError are ValueErrors
        pass
    return None


def expected_fields(fmt: str, post: Post) -> Fields:
    """``fragment_fields`` of every fragment our writer makes for ``post`` in ``fmt``."""
    if fmt == "json":
        return post.id, post.url, _iso(post.date).decode(), _iso(post.updated).decode()
    return tuple((value,) for value in _expected(fmt == "atom", post))


def _xml_fields(atom: bool, data: bytes, cfg: Config) -> Fields | None:
    fast = _fast_xml_fields(atom, data, cfg)
    if fast is False:  # not the writer's usual shape
        return _loop_xml_fields(atom, data, cfg)
    return fast if isinstance(fast, tuple) else None


def _expected(atom: bool, post: Post) -> tuple[bytes, ...]:
    """What the entry must say of the post: (id, link, and its dates) as our writer writes them."""
    if atom:
        return _escaped(post.id), _escaped(post.url), _iso(post.updated), _iso(post.date)
    when = post.date  # feedgen's formatRFC2822, in the C locale (strftime drops the microseconds)
    date = when.strftime(f"{_DAYS[when.weekday()]}, %d {_MONTHS[when.month - 1]} %Y %H:%M:%S %z")
    return _escaped(post.id), _escaped(post.url), date.encode()


def _loop_xml_fields(atom: bool, data: bytes, cfg: Config) -> Fields | None:
    """The check line by line, in any order of elements and attributes (for fragments the fast
    path does not know: feedgen's, when the fast serializer declined a value): the texts of the
    elements ``_expected`` gives, each as the tuple of every such element's text."""
    found = _elements(data, atom)
    if found is None or _BAD_AMPERSAND.search(data) or not xml_text(data):
        return None
    # the summary is text escaped as HTML (no tag), but an RSS description without one is the content
    if not all(_html_part_ok(text, cfg) for name in _HTML_PARTS for text in found.get(name, ())):
        return None
    names = (b"id", b"link", b"updated", b"published") if atom else (b"guid", b"link", b"pubDate")
    return tuple(tuple(found.get(name, ())) for name in names)


# --- the fast path: one regular expression for the order in which our writer writes an entry ---

_T, _A, _URL = rb"[^<]*", rb'[^"<]*', rb"(" + _IMAGE + rb")"
_FAST_ATOM = re.compile(
    rb"  <entry>\n    <id>(" + _T + rb")</id>\n    <title>" + _T + rb"</title>\n"
    rb"    <updated>(" + _T + rb")</updated>\n(?:    <author>\n      <name>" + _T + rb"</name>\n    </author>\n)?"
    rb'(?:    <content type="html"(?:/>|>(' + _T + rb")</content>)\n)?"
    rb'    <link href="(' + _A + rb')"/>\n(?:    <summary type="html">(' + _T + rb")</summary>\n)?"
    rb'(?:    <category term="' + _A + rb'"/>\n)*    <published>(' + _T + rb")</published>\n"
    rb'(?:    <media:content url="' + _URL + rb'" medium="image"/>\n    <media:thumbnail url="' + _URL
    + rb'"/>\n)?  </entry>\n')
_FAST_RSS = re.compile(
    rb"    <item>\n      <title>" + _T + rb"</title>\n      <link>(" + _T + rb")</link>\n"
    rb"(?:      <description>(" + _T + rb")</description>\n)?"
    rb"(?:      <content:encoded>(" + _T + rb")</content:encoded>\n)?"
    rb'      <guid isPermaLink="(?:true|false)">(' + _T + rb")</guid>\n(?:      <category>" + _T
    + rb"</category>\n)*      <pubDate>(" + _T + rb")</pubDate>\n(?:      <dc:creator>" + _T
    + rb"</dc:creator>\n)?"
    rb'(?:      <media:content url="' + _URL + rb'" medium="image"/>\n      <media:thumbnail url="' + _URL
    + rb'"/>\n)?    </item>\n')
# the element whose text is the post's content (long): searched for, not matched, in that order
_BODY_TAGS = {True: (b'<content type="html">',), False: (b"<content:encoded>", b"<description>")}


def _fast_xml_fields(atom: bool, data: bytes, cfg: Config) -> Fields | None | bool:
    """``_xml_fields`` for a fragment in the exact shape our writer gives it; False for any other
    shape (the line-by-line check then answers: a fragment of another shape is rare, and may be
    forged).

    The content's text, most of the bytes, is cut out and checked on its own, once for a post's
    Atom and RSS entries (they carry the same bytes): its end is the next "<" (a C search), and
    the rest, the tags and the short texts, is one regular expression. Cutting at ASCII bytes
    keeps every verdict: UTF-8 is valid, and a forbidden character or a bad "&" is found, in
    the whole exactly when in one of the two parts (none of them can span a "<" or ">")."""
    start = -1
    for tag in _BODY_TAGS[atom]:
        start = data.find(tag)
        if start >= 0:
            start += len(tag)
            break
    end = data.find(b"<", start) if start >= 0 else -1
    if start >= 0 > end:
        return False
    rest = data[:start] + data[end:] if start >= 0 else data
    shape = (_FAST_ATOM if atom else _FAST_RSS).fullmatch(rest)
    if shape is None:
        return False
    groups = shape.groups()
    fields: tuple[bytes, ...]
    if atom:
        fields, parts = (groups[0], groups[3], groups[1], groups[5]), (groups[2], groups[4])
    else:
        fields, parts = (groups[3], groups[0], groups[4]), (groups[1], groups[2])
    if _BAD_AMPERSAND.search(rest) or not xml_text(rest):
        return None
    if start >= 0 and not _body_ok(data[start:end], cfg):
        return None
    if not all(_html_part_ok(text, cfg) for text in parts if text):
        return None
    return tuple((value,) for value in fields)


def _body_ok(text: bytes, cfg: Config) -> bool:
    """An element's text as XML text (``xml_text``, no bad "&") holding HTML ``html_ok`` admits;
    the second format's is the first one's answer. Decoded once (UnicodeDecodeError: raised)."""
    def answer() -> bool:
        value = text.decode()
        return _chars_ok(text) and not _BAD_AMPERSAND.search(text) and escaped_html_ok(value, cfg)
    return _memo(("body", text, cfg), answer)


def xml_text(data: bytes) -> bool:
    """Valid UTF-8 holding nothing ``describe_forbidden`` would name (surrogates cannot be valid
    UTF-8): checked on the bytes, where deleting every allowed byte is a C loop, and the
    multi-byte cases are looked for only where their lead bytes occur (a tenth of decoding the
    text and searching it with a character class)."""
    try:
        data.decode()
    except UnicodeDecodeError:
        return False
    return _chars_ok(data)


def _chars_ok(data: bytes) -> bool:
    """``xml_text`` of bytes known to be valid UTF-8."""
    return not utf8_has_forbidden(data)


def _elements(data: bytes, atom: bool) -> dict[bytes, list[bytes]] | None:
    """The entry's elements (name -> the text of each, or an Atom link's href) when the fragment is
    one entry as our writer writes it: each element of its vocabulary on a line of its own, with
    its attributes and their fixed values; else None."""
    root, indent, allowed = (b"entry", b"    ", _ATOM) if atom else (b"item", b"      ", _RSS)
    start, end = indent[2:] + b"<" + root + b">\n", indent[2:] + b"</" + root + b">\n"
    if not data.startswith(start) or not data.endswith(end):
        return None
    pos, stop = len(start), len(data) - len(end)
    found: dict[bytes, list[bytes]] = {}
    while pos < stop:
        author = _AUTHOR.match(data, pos) if atom else None
        if author is not None:
            pos = author.end()
            continue
        line = _LINE.match(data, pos)
        if line is None or line.group(1) != indent or line.group(2) not in allowed:
            return None
        name, text = line.group(2), line.group(4) or b""
        pairs = _ATTRS.findall(line.group(3)) if line.group(3) else []
        attrs = dict(pairs)
        if len(attrs) != len(pairs) or set(attrs) != allowed[name] \
                or any(attrs[a] not in _FIXED[a] for a in attrs if a in _FIXED):
            return None
        if name in _MEDIA and not re.fullmatch(_IMAGE, attrs[b"url"]):
            return None
        found.setdefault(name, []).append(attrs[b"href"] if name == b"link" and atom else text)
        pos = line.end()
    return found if pos == stop else None


def _iso(when: datetime) -> bytes:
    return when.isoformat(timespec="seconds").encode()


def _json_fields(data: bytes, cfg: Config) -> Fields | None:
    item = json.loads(data)
    if type(item) is not dict or not set(item) <= _JSON_KEYS:
        return None
    image, authors, tags = item.get("image", "https://x"), item.get("authors", []), item.get("tags", [])
    if type(image) is not str or not re.fullmatch(_IMAGE.decode(), image) or type(authors) is not list \
            or type(tags) is not list or not all(type(t) is str for t in tags) \
            or not all(type(a) is dict and list(a) == ["name"] and type(a["name"]) is str for a in authors):
        return None
    if not all(type(item.get(k, "")) is str for k in ("title", "summary", "content_text", "content_html")):
        return None
    texts = [v for v in item.values() if type(v) is str]
    if describe_forbidden("".join(texts))[0] >= 0:
        return None
    content = item.get("content_html", "")  # the summary is text in JSON Feed, never HTML
    if type(content) is not str or not html_ok(content, cfg):
        return None
    return item.get("id"), item.get("url"), item.get("date_published"), item.get("date_modified")


def _escaped(text: str) -> bytes:
    return html.escape(text, quote=False).encode()


def _unescape(text: bytes) -> str:
    """XML text as lxml escapes it, back to the text (only the references _BAD_AMPERSAND lets through)."""
    return _unescape_text(text.decode())


def _unescape_text(value: str) -> str:
    if "&" not in value:
        return value
    value = value.replace("&lt;", "<").replace("&gt;", ">")
    if "&q" in value:  # lxml never writes these in text; the check lets them through
        value = value.replace("&quot;", '"')
    if "&#" in value:
        value = value.replace("&#13;", "\r").replace("&#10;", "\n").replace("&#9;", "\t")
    return value.replace("&amp;", "&")


def html_ok(markup: str, cfg: Config) -> bool:
    """HTML the sanitiser could have written under this config: allowed tags and attributes only,
    URLs absolute with an allowed scheme. Sanitising off: anything the site wrote."""
    if not cfg.content.sanitize or "<" not in markup:
        return True
    return _html_ok(markup, cfg)


def escaped_html_ok(value: str, cfg: Config) -> bool:
    """``html_ok`` of XML text as lxml escapes it (``value``: "&" only in the references
    ``_BAD_AMPERSAND`` lets through), most often without unescaping it: see ``_tags_passed``."""
    if "<" in value:  # no XML text (those given here are cut at the next "<"): the whole is checked
        return html_ok(_unescape_text(value), cfg)
    if not cfg.content.sanitize or "&lt;" not in value:  # unescaping makes a "<" of "&lt;" only
        return True
    return _tags_passed(value, cfg) or html_ok(_unescape_text(value), cfg)


_ESCAPED_TAG = re.compile(r"&lt;[^&<>]*&gt;")
_PASSED: dict[tuple[tuple[str, ...], tuple[str, ...]], set[str]] = {}  # policy -> tags that passed alone
_PASSED_MAX = 1 << 16  # tags remembered per policy and process (short strings: a few MB at most)


def _tags_passed(value: str, cfg: Config) -> bool:
    """True when the HTML that ``value`` escapes is one that ``_html_ok`` admits, because each of its
    tags passes alone; False says nothing (the caller checks the whole).

    Unescaped, a "&lt;" is the only source of a "<" (``_unescape_text`` turns "&lt;" into "<"
    before "&amp;" into "&": "&amp;lt;" stays "&lt;"), and a tag escaped as "&lt;...&gt;" with no
    "&", "<" or ">" between is the tag "<...>" itself. When every "&lt;" starts such a tag, the
    HTML is text without "<" and tags without "<" or ">" inside; each check of ``_html_ok`` looks
    at one tag from its "<" and ends inside it (a quoted value has no ">" here), so it gives the
    same answer in the markup as for the tag alone. A site's tags repeat (``<p>``, ``</p>``,
    ``<span class="x">``): each is checked once per process and remembered, where checking the
    markup as a whole looks at every tag of every post, and at its unescaped copy."""
    tags = _ESCAPED_TAG.findall(value)
    if value.count("&lt;") != len(tags):
        return False
    policy = (cfg.content.allow_tags, cfg.content.allow_attributes)
    passed = _PASSED.get(policy)
    if passed is None or len(passed) > _PASSED_MAX:
        passed = _PASSED[policy] = set()
    for tag in tags:
        if tag not in passed:
            if not _tag_ok("<" + tag[4:-4] + ">", cfg):
                return False
            passed.add(tag)
    return True


def _html_ok(markup: str, cfg: Config) -> bool:
    """``html_ok`` of markup holding a "<", checked as a whole."""
    if _NOT_TAG.search(markup):  # a "<" that opens no tag as the sanitiser writes them
        return False
    allowed, attributes = _policy(cfg.content.allow_tags, cfg.content.allow_attributes)
    if not set(_NAMES.findall(markup)) <= allowed:
        return False
    # every "<" opens a well-formed tag, so these are the tags with attributes, each whole
    return all(_attrs_ok(tag, _ATTR.findall(attrs), attributes) for tag, attrs in _WITH_ATTRS.findall(markup))


def _attrs_ok(tag: str, attrs: list[tuple[str, str]], attributes: dict[str, frozenset[str]]) -> bool:
    """Each (attribute, value) of a ``tag`` is allowed on it, and each URL is one ``_url_ok`` admits."""
    everywhere = attributes.get("*", frozenset())
    for attr, value in attrs:
        if attr not in everywhere and attr not in attributes.get(tag, ()):
            return False
        if (attr in _URL_ATTRS or attr in _OTHER_URL_ATTRS) and not _url_ok(tag, value):
            return False
        if attr in ("srcset", "imagesrcset") and not all(_url_ok(tag, u) for u, _ in
                                                         srcset_candidates(html.unescape(value))):
            return False
    return True


# one tag as the sanitiser writes most of them: ``<name attr="value" ...>`` or ``</name>``
_SIMPLE_TAG = re.compile(r'<([a-z][a-z0-9]*)((?: [a-z][a-z0-9-]*="[^"<>]*")*)>|</([a-z][a-z0-9]*)>')
_SIMPLE_ATTR = re.compile(r' ([a-z][a-z0-9-]*)="([^"<>]*)"')


def _tag_ok(tag: str, cfg: Config) -> bool:
    """``_html_ok`` of one tag ("<...>", nothing else): for a tag of the simple shape, its name
    and attributes as ``_html_ok`` finds them (the shape is a part of what ``_NOT_TAG`` admits,
    and its names and (attribute, value) pairs are what ``_NAMES``, ``_WITH_ATTRS`` and ``_ATTR``
    find in it), checked alike, without searching the tag three times."""
    shape = _SIMPLE_TAG.fullmatch(tag)
    if shape is None:
        return _html_ok(tag, cfg)
    allowed, attributes = _policy(cfg.content.allow_tags, cfg.content.allow_attributes)
    name, attrs = shape.group(1) or shape.group(3), shape.group(2)
    return name in allowed and (not attrs or _attrs_ok(name, _SIMPLE_ATTR.findall(attrs), attributes))


# an http(s) URL with a plain host and printable ASCII after it: what nearly every link is, and what
# ``_url_ok``'s checks all admit (a host urllib splits, a scheme allowed, nothing a browser strips);
# told without them (urlsplit was a sixth of the background check). tests/test_url_fast_path holds it.
_PLAIN_HTTP = re.compile(r"https?://[A-Za-z0-9.-]+(?:[/?#][!-~]*)?")


def _url_ok(tag: str, value: str) -> bool:
    """"" (this page), or an absolute URL with an allowed scheme and nothing a browser would strip."""
    url = html.unescape(value) if "&" in value else value
    if _PLAIN_HTTP.fullmatch(url):
        return True
    return _other_url_ok(tag, url)


def _other_url_ok(tag: str, url: str) -> bool:
    """``_url_ok`` of an unescaped URL, each check made."""
    if not url:
        return True
    scheme = url.split(":", 1)[0].lower()
    if scheme in ("http", "https") and not _has_host(url[len(scheme) + 1:]):
        return False  # 'https:!//x', 'http:/x': readers cannot resolve them (feeds check says so too)
    if scheme in ("http", "https"):
        try:  # 'https://[x.test/': a host urllib cannot split (feeds check: not an absolute URL)
            urlsplit(url)
        except ValueError:
            return False
    return _harmless(tag, url) and ":" in url.split("/", 1)[0] and _PLAIN_URL.fullmatch(url) is not None


def _has_host(rest: str) -> bool:
    """After 'http:': '//' and a host."""
    return rest.startswith("//") and rest[2:3] not in ("", "/", "?", "#")


@lru_cache(maxsize=8)
def _policy(extra_tags: tuple[str, ...], extra_attrs: tuple[str, ...]
            ) -> tuple[frozenset[str], dict[str, frozenset[str]]]:
    options: dict[str, Any] = _allowlist(True, extra_tags, extra_attrs)
    return frozenset(options["tags"]), {tag: frozenset(names) for tag, names in options["attributes"].items()}


_SEEN: list[tuple[tuple[str, bytes, Config], bool]] = []  # the last answers: a post's formats carry the same HTML


def _memo(key: tuple[str, bytes, Config], answer: Callable[[], bool]) -> bool:
    """The answer for ``key`` if it is among the last few, else ``answer()`` remembered (a
    failure to decode raises, and is never remembered). The config is kept, not its id, so no
    other config can take its place."""
    for seen, said in _SEEN:
        if seen[0] == key[0] and seen[2] is key[2] and seen[1] == key[1]:
            return said
    said = answer()
    _SEEN.insert(0, (key, said))
    del _SEEN[4:]
    return said


def _html_part_ok(text: bytes, cfg: Config) -> bool:
    """``html_ok`` of an element's escaped text; Atom and RSS escape a post's content alike, so the
    second format's is the first one's answer (comparing bytes costs nothing beside checking)."""
    return _memo(("html", text, cfg), lambda: escaped_html_ok(text.decode(), cfg))
