"""Jekyll's rules, as pure functions: dates, file names, permalinks, URL escaping, post ids.

Our users' sites are Jekyll sites; their readers already hold ids and URLs that Jekyll and
jekyll-feed made, so these follow Jekyll 4 closely (lib/jekyll/{document,url,utils}.rb).
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from pathlib import PurePosixPath
from urllib.parse import quote

FILENAME_DATE = re.compile(r"^(\d{2,4}-\d{1,2}-\d{1,2})-(.*?)(\.[^.]+)?$")
_DATE = re.compile(
    r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"
    r"(?:[ T]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<f>\d+))?)?)?"
    r"\s*(?P<z>Z|UTC|GMT|[+-]\d{2}:?\d{2}|[+-]\d{1,2})?$",
    re.IGNORECASE,
)
_PRETTY_SLUG = re.compile(r"[^\w.~!$&'()+,;=@]+")  # Jekyll's "pretty" slugify mode
_PATH_SAFE = "/:@!$&'()*+,;=-._~"  # RFC 3986 pchar without percent: Addressable's PATH class


class DateError(ValueError):
    """A date that cannot be read; the message says what was expected."""


def _offset(text: str | None) -> tzinfo | None:
    if text is None:
        return None
    if text.upper() in ("Z", "UTC", "GMT"):
        return timezone.utc
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = (int(digits[:-2] or 0), int(digits[-2:])) if len(digits) > 2 else (int(digits), 0)
    if hours > 23 or minutes > 59:
        raise DateError(f"offset {text} is out of range")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def parse_date(value: object) -> tuple[datetime, bool]:
    """Read a front matter date the way Jekyll accepts it: (datetime, had_offset).

    Naive results are returned naive; the caller applies the site's timezone.
    """
    if isinstance(value, datetime):
        return value, value.tzinfo is not None
    if isinstance(value, date):
        return datetime.combine(value, time()), False
    text = str(value).strip()
    match = _DATE.match(text)
    if not match:
        raise DateError(f"cannot read '{text}' as a date; write it as 2022-03-04 13:23:21 +0800")
    g = match.groupdict()
    fraction = int(((g["f"] or "0") + "00000")[:6])
    try:
        naive = datetime(int(g["y"]), int(g["m"]), int(g["d"]), int(g["H"] or 0), int(g["M"] or 0),
                         int(g["S"] or 0), fraction)
    except ValueError as exc:
        raise DateError(f"'{text}' is not a real date ({exc}); correct it, as in 2022-03-04") from None
    zone = _offset(g["z"])
    return (naive.replace(tzinfo=zone), True) if zone else (naive, False)


def split_filename(name: str) -> tuple[str | None, str]:
    """A post file name -> (its YYYY-MM-DD date or None, its slug without the extension)."""
    match = FILENAME_DATE.match(name)
    if match:
        return match.group(1), match.group(2).rstrip(".")
    return None, name.rsplit(".", 1)[0].rstrip(".")


def titleize(slug: str) -> str:
    """The title Jekyll gives a post without one: 'hello-world' -> 'Hello World'."""
    return " ".join(word[:1].upper() + word[1:] for word in re.split(r"[-_\s]+", slug) if word)


def pretty_slug(text: str) -> str:
    return _PRETTY_SLUG.sub("-", text).strip("-")


def escape_path(path: str) -> str:
    """Percent-encode a URL path as Jekyll does: non-ASCII, spaces and '%' encoded; '/' kept."""
    return quote(path, safe=_PATH_SAFE)


def clean_path(path: str) -> str:
    """Jekyll's URL sanitising: no '..' or '.' segments, no repeated slashes, leading '/'."""
    parts = [p for p in path.split("/") if p not in ("", ".", "..")]
    tail = "/" if path.endswith("/") and parts else ""
    return "/" + "/".join(parts) + tail


def expand_permalink(pattern: str, when: datetime, slug: str, categories: list[str], ext: str) -> str:
    """Jekyll's permalink placeholders -> a clean, unescaped URL path."""
    values = {
        "year": f"{when.year:04d}", "short_year": f"{when.year % 100:02d}",
        "month": f"{when.month:02d}", "i_month": str(when.month),
        "short_month": when.strftime("%b"), "long_month": when.strftime("%B"),
        "day": f"{when.day:02d}", "i_day": str(when.day), "y_day": f"{when.timetuple().tm_yday:03d}",
        "hour": f"{when.hour:02d}", "minute": f"{when.minute:02d}", "second": f"{when.second:02d}",
        "week": f"{when.isocalendar()[1]:02d}", "short_day": when.strftime("%a"),
        "long_day": when.strftime("%A"),
        "title": pretty_slug(slug), "slug": pretty_slug(slug).lower(), "name": pretty_slug(slug),
        "categories": "/".join(dict.fromkeys(c.lower() for c in categories)),
        "output_ext": ext,
    }
    names = sorted(values, key=len, reverse=True)  # :i_month before :month, :short_year before :year
    expanded = re.sub(":(" + "|".join(names) + ")", lambda m: values[m.group(1)], pattern)
    return clean_path(expanded)


def jekyll_id(url_path: str, slug: str) -> str:
    """Jekyll's Document#id: the URL's folder joined with the slug (jekyll-feed's entry id).

    ``url_path`` is already escaped; only the slug is escaped here. Ruby's File.dirname ignores
    a trailing '/', so a pretty URL /a/b/slug/ has the folder /a/b, as pathlib's parent does.
    """
    folder = str(PurePosixPath(url_path).parent)
    return folder.rstrip("/") + "/" + escape_path(slug)
