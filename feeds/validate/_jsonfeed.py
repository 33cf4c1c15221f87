"""The rules of JSON Feed 1.1 (https://jsonfeed.org/version/1.1), field by field.

JSON has no line numbers once parsed, so each message names the field by its path instead
(``items[3].date_published``); a file that is not JSON at all gets the parser's line.
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from ._doc import _RFC3339, _RFC3339_EXAMPLE, Site, _absolute, _Doc, _same_url

VERSIONS = ("https://jsonfeed.org/version/1", "https://jsonfeed.org/version/1.1")
_URLS = ("home_page_url", "feed_url", "icon", "favicon", "next_url")
_ITEM_URLS = ("url", "external_url", "image", "banner_image")
_ITEM_TEXTS = ("title", "content_html", "content_text", "summary", "language")


def parse_json_feed(doc: _Doc, data: bytes) -> tuple[Any, bool]:
    """(the parsed object or None, whether the file is, or means to be, a JSON Feed)."""
    try:
        tree = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as error:
        doc.add(None, f"not UTF-8 (byte {error.start}); JSON Feeds must be UTF-8")
        return None, True
    except json.JSONDecodeError as error:
        doc.add(error.lineno, f"not JSON: {error.msg} (column {error.colno}); fix the syntax")
        return None, True
    is_feed = isinstance(tree, dict) and str(tree.get("version", "")).startswith("https://jsonfeed.org/version/")
    return tree, is_feed


def check_json_feed(doc: _Doc, feed: dict[str, Any], expected: str | None, site: Site | None) -> None:
    if feed.get("version") not in VERSIONS:
        doc.add(None, f"version is {feed.get('version')!r}; write \"{VERSIONS[-1]}\"")
    if not isinstance(feed.get("title"), str) or not feed["title"].strip():
        doc.add(None, "no title; JSON Feed requires a non-empty string")
    _urls(doc, feed, _URLS, "")
    if "feed_url" not in feed:
        doc.add(None, f'no feed_url; add one{f" ({expected})" if expected else ""}, readers follow it')
    elif expected and isinstance(feed["feed_url"], str) and not _same_url(feed["feed_url"], expected):
        doc.add(None, f"feed_url is {feed['feed_url']!r} but the file is served at {expected!r}; use that URL")
    for key in ("description", "language", "user_comment"):
        _string(doc, feed, key, "")
    _authors(doc, feed, "")
    _hubs(doc, feed.get("hubs", []))
    items = feed.get("items")
    if not isinstance(items, list):
        doc.add(None, "items is missing or not a list; JSON Feed requires a list (it may be empty)")
        return
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        where = f"items[{index}]"
        if not isinstance(item, dict):
            doc.add(None, f"{where} is not an object")
            continue
        _item(doc, item, where)
        key = str(item.get("id"))
        if key in seen:
            doc.add(None, f"{where}.id {key!r} is also the id of items[{seen[key]}]; each post needs its own")
        seen.setdefault(key, index)


def _item(doc: _Doc, item: dict[str, Any], where: str) -> None:
    if not isinstance(item.get("id"), str) or not item["id"]:
        doc.add(None, f"{where} has no id (a non-empty string); readers key posts on it")
    if "content_html" not in item and "content_text" not in item:
        doc.add(None, f"{where} has neither content_html nor content_text; JSON Feed requires one")
    for key in _ITEM_TEXTS:
        _string(doc, item, key, where + ".")
    _urls(doc, item, _ITEM_URLS, where + ".")
    for key in ("date_published", "date_modified"):
        if key in item:
            _date(doc, item[key], f"{where}.{key}")
    tags = item.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        doc.add(None, f"{where}.tags must be a list of strings")
    _authors(doc, item, where + ".")


def _string(doc: _Doc, obj: dict[str, Any], key: str, prefix: str) -> None:
    if key in obj and not isinstance(obj[key], str):
        doc.add(None, f"{prefix}{key} is a {type(obj[key]).__name__}; JSON Feed requires a string")


def _urls(doc: _Doc, obj: dict[str, Any], keys: tuple[str, ...], prefix: str) -> None:
    for key in keys:
        if key in obj and (not isinstance(obj[key], str) or not _absolute(obj[key], web=True)):
            doc.add(None, f"{prefix}{key} {obj[key]!r} is not an absolute http(s) URL; readers cannot follow it")


def _date(doc: _Doc, value: Any, where: str) -> None:
    match = _RFC3339.match(value) if isinstance(value, str) else None
    if match is None or match.group(3) is None:
        doc.add(None, f"{where} {value!r} is not an RFC 3339 date with an offset; write e.g. {_RFC3339_EXAMPLE}")
        return
    try:
        datetime.fromisoformat(match.group(1))
    except ValueError:
        doc.add(None, f"{where} {value!r} is not a real date; write e.g. {_RFC3339_EXAMPLE}")


def _hubs(doc: _Doc, hubs: Any) -> None:
    """WebSub hubs: each needs a type and a url readers can subscribe at."""
    if not isinstance(hubs, list) or not all(isinstance(h, dict) and isinstance(h.get("type"), str)
                                             and "url" in h for h in hubs):
        doc.add(None, 'hubs must be a list of objects such as {"type": "WebSub", "url": "https://..."}')
        return
    for index, hub in enumerate(hubs):
        _urls(doc, hub, ("url",), f"hubs[{index}].")


def _authors(doc: _Doc, obj: dict[str, Any], prefix: str) -> None:
    if "author" in obj and "authors" not in obj:
        doc.add(None, f"{prefix}author is JSON Feed 1.0; 1.1 readers want authors: [{{name: ...}}]", "warning")
    authors = obj.get("authors", [])
    if not isinstance(authors, list) or not all(isinstance(a, dict) for a in authors):
        doc.add(None, f"{prefix}authors must be a list of objects such as {{\"name\": \"...\"}}")
        return
    for index, author in enumerate(authors):
        if not any(isinstance(author.get(k), str) and author[k] for k in ("name", "url", "avatar")):
            doc.add(None, f"{prefix}authors[{index}] has no name, url or avatar; give it at least one")
        _urls(doc, author, ("url", "avatar"), f"{prefix}authors[{index}].")
