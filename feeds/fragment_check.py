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
from datetime import datetime
from functools import lru_cache
from typing import Any

from .config import Config
from .posts import Post
from .render import _OTHER_URL_ATTRS, _URL_ATTRS, _allowlist, _harmless
from .text import describe_forbidden, srcset_candidates

_TEXT = rb"[^<]*"
_VALUE = rb'[^"<]*'
_IMAGE = rb'https?://[^"<\x00-\x20]+'  # as posts.py and images.py make them
_ATOM = re.compile(
    rb"  <entry>\n(?:"
    rb"    <(id|title|updated|published)(?:>" + _TEXT + rb"</\1>|/>)\n"
    rb"|    <author>\n      <name(?:>" + _TEXT + rb"</name>|/>)\n    </author>\n"
    rb'|    <(content|summary) type="html"(?:>' + _TEXT + rb"</\2>|/>)\n"
    rb'|    <link href="' + _VALUE + rb'"/>\n'
    rb'|    <category term="' + _VALUE + rb'"/>\n'
    rb'|    <media:content url="' + _IMAGE + rb'" medium="image"/>\n'
    rb'|    <media:thumbnail url="' + _IMAGE + rb'"/>\n'
    rb")*  </entry>\n\Z")
_RSS = re.compile(
    rb"    <item>\n(?:"
    rb"      <(title|link|description|content:encoded|category|pubDate|dc:creator)(?:>" + _TEXT + rb"</\1>|/>)\n"
    rb'|      <guid isPermaLink="(?:true|false)">' + _TEXT + rb"</guid>\n"
    rb'|      <media:content url="' + _IMAGE + rb'" medium="image"/>\n'
    rb'|      <media:thumbnail url="' + _IMAGE + rb'"/>\n'
    rb")*    </item>\n\Z")
_BAD_AMPERSAND = re.compile(rb"&(?!(?:amp|lt|gt|quot|#9|#10|#13);)")
# (?m)^: at the start of a line (text holds no "<", so only ours), without taking the newline
# before it: adjacent lines each count (a second id, a summary after the content)
_ATOM_ID, _ATOM_LINK = re.compile(rb"(?m)^    <id>([^<]*)</id>\n"), re.compile(rb'(?m)^    <link href="([^"<]*)"/>\n')
_RSS_ID = re.compile(rb'(?m)^      <guid isPermaLink="[a-z]+">([^<]*)</guid>\n')
_RSS_LINK = re.compile(rb"(?m)^      <link>([^<]*)</link>\n")
_ATOM_HTML = re.compile(rb'(?m)^    <(content|summary) type="html">([^<]*)</\1>\n')
_ATOM_DATES = re.compile(rb"(?m)^    <(updated|published)>([^<]*)</\1>\n")
_RSS_DATE = re.compile(rb"(?m)^      <pubDate>([^<]*)</pubDate>\n")
_DAYS, _MONTHS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
                                                                    "Aug", "Sep", "Oct", "Nov", "Dec")
_RSS_HTML = re.compile(rb"(?m)^      <(content:encoded|description)>([^<]*)</\1>\n")
_JSON_KEYS = frozenset(("id", "url", "title", "content_html", "content_text", "summary", "image", "date_published",
                        "date_modified", "authors", "tags"))
# the sanitiser's output: <name attr="value" ...> and </name>; no comments, no unquoted values
_TAG = re.compile(r'<(/?)([A-Za-z][A-Za-z0-9]*)((?:[ \t\n]+[^\s"\'<>/=]+(?:="[^"]*")?)*)[ \t\n]*/?>')
_PLAIN_URL = re.compile(r"[^\x00-\x20\x7f]+")
_ATTR = re.compile(r'([^\s"\'<>/=]+)(?:="([^"]*)")?')


def fragment_ok(fmt: str, data: bytes, post: Post, cfg: Config) -> bool:
    """The fragment is one our writer could have made for ``post`` (see the module's doc)."""
    try:
        if fmt == "json":
            return _json_ok(data, post, cfg)
        if fmt in ("atom", "rss"):
            return _xml_ok(fmt == "atom", data, post, cfg)
    except (ValueError, TypeError, RecursionError):  # UnicodeDecodeError, JSONDecodeError are ValueErrors
        pass
    return False


def _xml_ok(atom: bool, data: bytes, post: Post, cfg: Config) -> bool:
    shape, ids, links, parts = (_ATOM, _ATOM_ID, _ATOM_LINK, _ATOM_HTML) if atom else (_RSS, _RSS_ID, _RSS_LINK,
                                                                                        _RSS_HTML)
    if shape.match(data) is None or _BAD_AMPERSAND.search(data) or describe_forbidden(data.decode())[0] >= 0:
        return False
    found_id, found_link = ids.findall(data), links.findall(data)
    if found_id != [_escaped(post.id)] or found_link != [_escaped(post.url)] or not _dates_ok(atom, data, post):
        return False
    # the summary is text escaped as HTML (no tag), but an RSS description without one is the content
    return all(html_ok(_unescape(text), cfg) for _, text in parts.findall(data))


def _dates_ok(atom: bool, data: bytes, post: Post) -> bool:
    """The entry's dates are the post's, written as feedgen writes them."""
    if atom:
        return _ATOM_DATES.findall(data) == [(b"updated", _iso(post.updated)), (b"published", _iso(post.date))]
    when = post.date.replace(microsecond=0)  # feedgen's formatRFC2822, in the C locale
    text = f"{_DAYS[when.weekday()]}, {when:%d} {_MONTHS[when.month - 1]} {when:%Y %H:%M:%S %z}"
    return _RSS_DATE.findall(data) == [text.encode()]


def _iso(when: datetime) -> bytes:
    return when.replace(microsecond=0).isoformat().encode()


def _json_ok(data: bytes, post: Post, cfg: Config) -> bool:
    item = json.loads(data)
    if type(item) is not dict or not set(item) <= _JSON_KEYS or item.get("id") != post.id \
            or item.get("url") != post.url or item.get("date_published") != _iso(post.date).decode() \
            or item.get("date_modified") != _iso(post.updated).decode():
        return False
    image, authors, tags = item.get("image", "https://x"), item.get("authors", []), item.get("tags", [])
    if type(image) is not str or not re.fullmatch(_IMAGE.decode(), image) or type(authors) is not list \
            or type(tags) is not list or not all(type(t) is str for t in tags) \
            or not all(type(a) is dict and list(a) == ["name"] and type(a["name"]) is str for a in authors):
        return False
    if not all(type(item.get(k, "")) is str for k in ("title", "summary", "content_text", "content_html")):
        return False
    texts = [v for v in item.values() if type(v) is str]
    if describe_forbidden("".join(texts))[0] >= 0:
        return False
    content = item.get("content_html", "")  # the summary is text in JSON Feed, never HTML
    return type(content) is str and html_ok(content, cfg)


def _escaped(text: str) -> bytes:
    return html.escape(text, quote=False).encode()


def _unescape(text: bytes) -> str:
    """XML text as lxml escapes it, back to the text (only the references _BAD_AMPERSAND lets through)."""
    value = text.decode()
    if "&" not in value:
        return value
    return (value.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&#13;", "\r")
            .replace("&#10;", "\n").replace("&#9;", "\t").replace("&amp;", "&"))


def html_ok(markup: str, cfg: Config) -> bool:
    """HTML the sanitiser could have written under this config: allowed tags and attributes only,
    URLs absolute with an allowed scheme. Sanitising off: anything the site wrote."""
    if not cfg.content.sanitize or "<" not in markup:
        return True
    tags = _TAG.findall(markup)
    if len(tags) != markup.count("<"):  # a "<" that opens no tag the sanitiser writes
        return False
    allowed, attributes = _policy(cfg.content.allow_tags, cfg.content.allow_attributes)
    if not {name.lower() for _, name, _ in tags} <= allowed:
        return False
    everywhere = attributes.get("*", frozenset())
    for _, name, attrs in tags:
        if attrs:
            tag = name.lower()
            for attr, value in _ATTR.findall(attrs):
                attr = attr.lower()
                if attr not in everywhere and attr not in attributes.get(tag, ()):
                    return False
                if (attr in _URL_ATTRS or attr in _OTHER_URL_ATTRS) and not _url_ok(tag, value):
                    return False
                if attr in ("srcset", "imagesrcset") and not all(_url_ok(tag, u) for u, _ in
                                                                 srcset_candidates(html.unescape(value))):
                    return False
    return True


def _url_ok(tag: str, value: str) -> bool:
    """"" (this page), or an absolute URL with an allowed scheme and nothing a browser would strip."""
    url = html.unescape(value)
    return not url or (_harmless(tag, url) and ":" in url.split("/", 1)[0] and _PLAIN_URL.fullmatch(url) is not None)


@lru_cache(maxsize=8)
def _policy(extra_tags: tuple[str, ...], extra_attrs: tuple[str, ...]
            ) -> tuple[frozenset[str], dict[str, frozenset[str]]]:
    options: dict[str, Any] = _allowlist(True, extra_tags, extra_attrs)
    return frozenset(options["tags"]), {tag: frozenset(names) for tag, names in options["attributes"].items()}
