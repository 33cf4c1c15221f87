"""Jekyll's filters, besides Liquid's own: URLs, dates, escaping, slugs, Markdown, JSON, groups."""
from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, quote_plus, urlsplit

from ..text import smartify

if TYPE_CHECKING:
    from .engine import JekyllEnvironment

_SPACE = re.compile(r"\s+")
_HTML_TAG = re.compile(r"<[^>]*>")


def _as_date(value: Any) -> datetime | date | None:
    if isinstance(value, (datetime, date)):
        return value
    try:
        return datetime.fromisoformat(str(value).strip())
    except ValueError:
        return None


def _date_filter(fmt: str) -> Callable[..., Any]:
    def apply(value: Any, *_: Any) -> Any:
        when = _as_date(value)
        return value if when is None else when.strftime(fmt)
    return apply


def _xmlschema(value: Any) -> Any:
    when = _as_date(value)
    return when.isoformat() if when is not None else value


def _slugify(value: Any, mode: str = "default") -> str:
    text = str(value)
    if mode == "raw":
        text = _SPACE.sub("-", text)
    elif mode == "pretty":
        text = re.sub(r"[^\w._~!$&'()+,;=@]+", "-", text)
    else:
        text = re.sub(r"[^\w]+", "-", text)
    return text.strip("-").lower()


def _to_list(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [[k, v] for k, v in value.items()]
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _sentence(value: Any, connector: str = "and") -> str:
    items = [str(i) for i in _to_list(value)]
    if len(items) <= 2:
        return f" {connector} ".join(items)
    return ", ".join(items[:-1]) + f", {connector} {items[-1]}"


def _group_by(value: Any, key: str) -> list[dict[str, Any]]:
    groups: dict[str, list[Any]] = {}
    for item in _to_list(value):
        name = item.get(key) if isinstance(item, dict) else None
        groups.setdefault("" if name is None else str(name), []).append(item)
    return [{"name": name, "items": items, "size": len(items)} for name, items in groups.items()]


def jekyll_filters(url: str, baseurl: str, env: JekyllEnvironment) -> dict[str, Callable[..., Any]]:
    def relative_url(value: Any) -> str:
        text = str(value if value is not None else "")
        if urlsplit(text).scheme or text.startswith("//"):
            return text
        return (baseurl + "/" + text.lstrip("/")) if (baseurl or text) else "/"

    def absolute_url(value: Any) -> str:
        text = str(value if value is not None else "")
        if urlsplit(text).scheme or text.startswith("//"):
            return text
        return url + relative_url(text)

    return {
        "relative_url": relative_url, "absolute_url": absolute_url,
        "date_to_xmlschema": _xmlschema, "date_to_rfc822": _date_filter("%a, %d %b %Y %H:%M:%S %z"),
        "date_to_string": _date_filter("%d %b %Y"), "date_to_long_string": _date_filter("%d %B %Y"),
        "xml_escape": lambda v: html.escape(str(v if v is not None else ""), quote=True).replace("&#x27;", "&#39;"),
        "cgi_escape": lambda v: quote_plus(str(v)), "uri_escape": lambda v: quote(str(v), safe="!#$&'()*+,/:;=?@[]~"),
        "slugify": _slugify, "markdownify": lambda v: env.markdownify(str(v if v is not None else "")),
        "jsonify": lambda v: json.dumps(v, ensure_ascii=False, default=str),
        "group_by": _group_by, "number_of_words": lambda v: len(str(v).split()),
        "array_to_sentence_string": _sentence, "normalize_whitespace": lambda v: _SPACE.sub(" ", str(v)).strip(),
        "smartify": lambda v: smartify(str(v if v is not None else "")),
        "strip_html": lambda v: _HTML_TAG.sub("", str(v if v is not None else "")),
        "inspect": lambda v: json.dumps(v, default=str),
    }
