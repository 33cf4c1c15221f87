"""Jekyll's filters, besides Liquid's own: URLs, dates, escaping, slugs, Markdown, JSON, groups."""
from __future__ import annotations

import html
import json
import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, quote_plus, urlsplit

from liquid.exceptions import LiquidError
from liquid.filter import with_context

from ..posts import site_zone
from ..text import smartify

if TYPE_CHECKING:
    from .engine import JekyllEnvironment

_SPACE = re.compile(r"\s+")
_HTML_TAG = re.compile(r"<[^>]*>")
_INTEGER_LIKE = re.compile(r"\A\s*-?[0-9]+\s*\Z")
_FLOAT_LIKE = re.compile(r"\A\s*-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)\s*\Z")
_SLUG_MODES = ("raw", "default", "pretty", "ascii", "latin")
_SLUG_PRETTY = re.compile(r" +")  # the characters a mode replaces, once made spaces
_SLUG_ASCII = re.compile(r"[^A-Za-z0-9]+")
_PRETTY_KEEP = frozenset("._~!$&'()+,;=@_")


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


def _slug_kept(char: str) -> bool:
    """Jekyll's default slug keeps letters, marks and decimal digits (\\p{L}, \\p{M}, \\p{Nd})."""
    category = unicodedata.category(char)
    return category[0] in "LM" or category == "Nd"


def _slugify(value: Any, mode: str = "default", cased: bool = False) -> Any:
    """Jekyll's ``slugify``: modes raw, default, pretty, ascii and latin (accents dropped, other
    scripts become '-'); an unknown mode only lowercases."""
    if value is None:
        return None
    text, mode = str(value), str(mode or "default")
    if mode not in _SLUG_MODES:
        return text if cased else text.lower()
    if mode == "latin":
        text = "".join(c if c.isascii() else "?" for c in unicodedata.normalize("NFKD", text)
                       if not unicodedata.combining(c))
    if mode == "raw":
        text = _SPACE.sub("-", text)
    elif mode == "pretty":
        text = _SLUG_PRETTY.sub("-", "".join(c if _slug_kept(c) or c in _PRETTY_KEEP else " " for c in text))
    elif mode == "ascii":
        text = _SLUG_ASCII.sub("-", text)
    else:
        text = _SLUG_PRETTY.sub("-", "".join(c if _slug_kept(c) else " " for c in text))
    text = re.sub(r"^-|-$", "", text)
    return text if cased else text.lower()


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


def _items(value: Any) -> list[Any]:
    """What Jekyll's array filters walk: a hash's values, an array's items, else nothing."""
    if isinstance(value, dict):
        return list(value.values())
    if isinstance(value, (list, tuple)):
        return list(value)
    return []


def _property(item: Any, name: Any) -> Any:
    """Jekyll's ``item_property``: a key or a dotted path, and a number when it reads as one."""
    found = item
    for key in str(name).split("."):
        found = found.get(key) if isinstance(found, dict) else None
    return _as_number(found)


def _as_number(value: Any) -> Any:
    """Jekyll's ``parse_sort_input``: '12' -> 12, '2.10' -> 2.1, others as they are."""
    text = _ruby_text(value)
    if _INTEGER_LIKE.match(text):
        return int(text)
    if _FLOAT_LIKE.match(text):
        return float(text)
    return value


def _matches(found: Any, target: Any) -> bool:
    """Jekyll's ``where`` comparison: as text; an array property matches if one of its items does."""
    if target is None:
        return found is None
    wanted = _ruby_text(target)
    if isinstance(found, str):
        return found == wanted
    return any(_ruby_text(one) == wanted for one in (found if isinstance(found, list) else [found]))


def _ruby_text(value: Any) -> str:
    """A value as Ruby's ``to_s`` writes it (true, false, nil -> '')."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _where(value: Any, name: Any = None, target: Any = None) -> Any:
    if name is None or isinstance(target, (list, dict)) or not isinstance(value, (list, tuple, dict)):
        return value
    return [item for item in _items(value) if _matches(_property(item, name), target)]


def _push(value: Any, item: Any) -> list[Any]:
    return [*_to_list(value), item]


def _unshift(value: Any, item: Any) -> list[Any]:
    return [item, *_to_list(value)]


def _to_integer(value: Any) -> Any:
    if isinstance(value, bool):
        return 1 if value else 0
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return value


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

    builtin_date = env.filters["date"]
    zone = site_zone(env.cfg)

    def liquid_date(value: Any, fmt: Any = None, *_: Any) -> Any:
        """Liquid's ``date`` as Jekyll runs it: nil stays nil and what is not a date stays as it is
        (not an error); "now" and "today" (any case, no spaces around) are the build's time
        (site.time, reproducible); a time without an offset is in the site's zone, so ``%s`` does
        not depend on the machine's."""
        if value is None or fmt is None or fmt == "":
            return value
        if isinstance(value, str) and value.lower() in ("now", "today") and env.site_info.time:
            value = datetime.fromisoformat(env.site_info.time)
        when = value if isinstance(value, datetime) else _as_date(value)
        if not isinstance(when, datetime):
            try:
                return builtin_date(value, fmt, environment=env)
            except LiquidError:
                return value
        if when.tzinfo is None:
            when = when.replace(tzinfo=zone)
        text = str(fmt)
        if "%s" in text:
            text = text.replace("%s", str(int(when.timestamp())))
        try:
            return when.strftime(text)
        except ValueError:
            return value

    @with_context
    def where_exp(value: Any, variable: Any, expression: Any, *, context: Any) -> Any:
        if not isinstance(value, (list, tuple, dict)):
            return value
        return [item for item in _items(value) if env.test(context, str(variable), str(expression), item)]

    @with_context
    def find_exp(value: Any, variable: Any, expression: Any, *, context: Any) -> Any:
        return next((item for item in _items(value) if env.test(context, str(variable), str(expression), item)),
                    None)

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
        "date": liquid_date, "where": _where, "where_exp": where_exp, "find_exp": find_exp, "to_integer": _to_integer,
        "push": _push, "unshift": _unshift, "pop": lambda v, n=1: _to_list(v)[:-int(n) or None],
        "shift": lambda v, n=1: _to_list(v)[int(n):],
    }
