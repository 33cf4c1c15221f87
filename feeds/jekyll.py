"""Jekyll's rules, as pure functions: dates, file names, permalinks, URL escaping, post ids.

Our users' sites are Jekyll sites; their readers already hold ids and URLs that Jekyll and
jekyll-feed made, so these follow Jekyll 4 closely (lib/jekyll/{document,url,utils}.rb).
"""
from __future__ import annotations

import operator
import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Any
from urllib.parse import quote

FILENAME_DATE = re.compile(r"^(\d{2,4}-\d{1,2}-\d{1,2})-(.*?)(\.[^.]+)?\Z", re.S)  # any character in a slug
FILENAME_DAY = re.compile(r"(\d{2,4}-\d{1,2}-\d{1,2})-")  # FILENAME_DATE up to its slug (which matches anything)
_DATE = re.compile(
    r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"
    r"(?:[ T]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<f>\d+))?)?)?"
    r"\s*(?P<z>Z|UTC|GMT|[+-]\d{2}:?\d{2}|[+-]\d{1,2})?$",
    re.IGNORECASE,
)
_PRETTY_KEEP = frozenset("._~!$&'()+,;=@")  # besides letters, marks and decimal digits: Jekyll's "pretty" mode
_ASCII_NOT_KEPT = re.compile(r"[^A-Za-z0-9._~!$&'()+,;=@]+")  # pretty_slug's runs, for ASCII text
_ASCII_SLUG = re.compile(r"[A-Za-z0-9._~!$&'()+,;=@]+(?:-[A-Za-z0-9._~!$&'()+,;=@]+)*")  # pretty_slug's own output
_PATH_SAFE = "/:@!$&'()*+,;=-._~"  # RFC 3986 pchar without percent: Addressable's PATH class
_ALL_SAFE = re.compile(r"[A-Za-z0-9/:@!$&'()*+,;=\-._~]*", re.ASCII)  # what escape_path leaves as it is
FIRST_YEAR = 1000  # RFC 822 and xsd:dateTime years have four digits; year 9999 is Python's last anyway
MAX_OFFSET = timedelta(hours=14)  # xsd:dateTime's range (and the world's: Kiritimati is +14:00)


# Ruby's Date._parse, which Jekyll's Time.parse uses, reads "2023-01-29 18:30:22 2023 -0800" (a
# date with its year repeated after the time: what a Ruby `Time#to_s` pasted after a date gives) as
# the date and time alone: the stray year and everything after it are ignored
_STRAY_YEAR = re.compile(r"^(?P<head>\d{4}-\d{1,2}-\d{1,2}[ T]+\d{1,2}:\d{2}(?::\d{2})?)\s+(?P<year>\d{4})\s+\S+$")


class DateError(ValueError):
    """A date that cannot be read; the message says what was expected."""


def stray_year(text: str) -> str | None:
    """For a date Jekyll reads without its tail (the year repeated after the time, then an offset),
    the part Jekyll reads; else None."""
    match = _STRAY_YEAR.match(text.strip())
    if match and match["head"].startswith(match["year"]):
        return match["head"]
    return None


def _offset(text: str | None) -> tzinfo | None:
    return None if text is None else _offset_of(text)


@lru_cache(maxsize=256)
def _offset_of(text: str) -> tzinfo:
    """An offset's tzinfo, remembered: a site writes the same few offsets on every post."""
    if text.upper() in ("Z", "UTC", "GMT"):
        return timezone.utc
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = (int(digits[:-2] or 0), int(digits[-2:])) if len(digits) > 2 else (int(digits), 0)
    if minutes > 59 or timedelta(hours=hours, minutes=minutes) > MAX_OFFSET:
        raise DateError(f"offset {text} is out of range; correct it: offsets go from -14:00 to +14:00, e.g. +0800")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _in_range(when: datetime, text: str) -> datetime:
    """Dates feeds can carry: a four-digit year, an offset within ±14:00."""
    if when.year < FIRST_YEAR:
        raise DateError(f"'{text}' is before the year {FIRST_YEAR}, which RSS and Atom dates cannot hold; "
                        "correct the year")
    offset = when.utcoffset()
    if offset is not None and abs(offset) > MAX_OFFSET:
        raise DateError(f"the offset of '{text}' is beyond ±14:00, which RSS and Atom dates cannot hold; "
                        "correct it, e.g. +0800")
    return when


def parse_date(value: object) -> tuple[datetime, bool]:
    """Read a front matter date the way Jekyll accepts it: (datetime, had_offset).

    Naive results are returned naive; the caller applies the site's timezone.
    """
    if isinstance(value, datetime):
        return _in_range(value, str(value)), value.tzinfo is not None
    if isinstance(value, date):
        return _in_range(datetime.combine(value, time()), str(value)), False
    text = str(value).strip()
    if len(text) == 19:  # a post's own date and time: seldom another post's, not worth remembering
        plain = _plain_datetime(text)
        if plain is not None:
            return plain, False
    elif 25 <= len(text) <= 26:  # the same with its offset: 2022-03-04 13:23:21 +0800 (or +08:00)
        zoned = _zoned_datetime(text)
        if zoned is not None:
            return zoned, True
    return _remembered_date(text) if len(text) <= MAX_REMEMBERED_DATE else _parse_text(text)


def parse_day(text: str) -> datetime:
    """``parse_date(text)[0]`` of a file name's day (``FILENAME_DAY``'s group: digits and '-', nothing
    to strip, never a date and time, at most 10 characters: shorter than MAX_REMEMBERED_DATE),
    remembered: the same days come back on post after post."""
    return _remembered_date(text)[0]


def _parse_text(text: str) -> tuple[datetime, bool]:
    """parse_date of a text."""
    plain = _plain_datetime(text)
    if plain is not None:
        return plain, False
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
    return (_in_range(naive.replace(tzinfo=zone), text), True) if zone else (_in_range(naive, text), False)


# _plain_datetime's shape (its year from FIRST_YEAR: no leading 0), and _zoned_datetime's (the same, a
# space and +HHMM or +HH:MM): one anchored match costs a third of checking each character in Python
_PLAIN_DATETIME = re.compile(r"[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}:[0-9]{2}")
_ZONED_DATETIME = re.compile(_PLAIN_DATETIME.pattern + r" [+-](?:[0-9]{4}|[0-9]{2}:[0-9]{2})")


def _plain_datetime(text: str) -> datetime | None:
    """The commonest date, ``2022-03-04 13:23:21`` (ASCII digits, no offset, a year from
    FIRST_YEAR), read by ``datetime.fromisoformat`` (C) as ``_DATE`` reads it; None for any
    other text, or one that is no real date: ``_DATE``'s path reads (or refuses) those."""
    if len(text) != 19 or _PLAIN_DATETIME.fullmatch(text) is None:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _zoned_datetime(text: str) -> datetime | None:
    """``2022-03-04 13:23:21 +0800`` or ``… +08:00`` (ASCII digits): what ``_DATE`` makes of it
    (the same DateError for an offset beyond ±14:00); None for any other text, or no real date."""
    if _ZONED_DATETIME.fullmatch(text) is None:
        return None
    try:
        plain = datetime.fromisoformat(text[:19])
    except ValueError:
        return None
    # in range already: _PLAIN_DATETIME's years (both patterns') start at 1000, _offset_of's end at ±14:00
    return plain.replace(tzinfo=_offset_of(text[20:]))


# parse_date of a text, remembered (reading a post asks for its date more than once, and its file
# name's day is shared by other posts); only short texts, the length of any real date, so that
# long ones cannot pile up in it; a DateError is never remembered
MAX_REMEMBERED_DATE = 64
_remembered_date = lru_cache(maxsize=4096)(_parse_text)

def split_filename(name: str) -> tuple[str | None, str]:
    """A post file name -> (its YYYY-MM-DD date or None, its slug without the extension)."""
    match = FILENAME_DAY.match(name)  # FILENAME_DATE's date; its lazy slug group, without the regex
    if match:
        rest = name[match.end():]
        dot = rest.rfind(".")  # FILENAME_DATE's extension: the last '.' and at least one character
        return match.group(1), (rest[:dot] if 0 <= dot < len(rest) - 1 else rest).rstrip(".")
    return None, name.rsplit(".", 1)[0].rstrip(".")


def titleize(slug: str) -> str:
    """The title Jekyll gives a post without one (Utils.titleize_slug): 'hello-world' -> 'Hello World',
    each '-'-separated word capitalised as Ruby does (the rest of the word in lower case)."""
    return " ".join(word[:1].upper() + word[1:].lower() for word in slug.split("-"))


@lru_cache(maxsize=65536)
def pretty_slug(text: str) -> str:
    """Jekyll's slugify in "pretty" mode, case kept: every run of characters other than Unicode
    letters, marks (the vowel signs of हिन्दी), decimal digits and ``._~!$&'()+,;=@`` becomes one
    '-', and a '-' at either end goes."""
    if text.isascii():  # the same rule, for ASCII (whose letters and digits are A-Z, a-z, 0-9)
        if _ASCII_SLUG.fullmatch(text):  # most slugs: words joined by single '-', nothing to replace
            return text
        return _ASCII_NOT_KEPT.sub("-", text).strip("-")
    out: list[str] = []
    for char in text:
        kind = unicodedata.category(char)
        if char in _PRETTY_KEEP or kind[0] in "LM" or kind == "Nd":
            out.append(char)
        elif not out or out[-1] != "-":
            out.append("-")
    return "".join(out).strip("-")


def escape_path(path: str) -> str:
    """Percent-encode a URL path as Jekyll does: non-ASCII, spaces and '%' encoded; '/' kept."""
    if _ALL_SAFE.fullmatch(path):  # most paths: nothing to encode (quote would encode and scan the bytes)
        return path
    return quote(path, safe=_PATH_SAFE)


def clean_path(path: str) -> str:
    """Jekyll's URL sanitising: no '..' or '.' segments, no repeated slashes, leading '/'."""
    if _is_clean(path):  # a pattern's expansion nearly always is: nothing to split and join
        return path
    parts = [p for p in path.split("/") if p not in ("", ".", "..")]
    tail = "/" if path.endswith("/") and parts else ""
    return "/" + "/".join(parts) + tail


def _is_clean(path: str) -> bool:
    """``clean_path(path) == path`` for certain: rooted, no empty, '.' or '..' segment."""
    # no "/." (nearly every path) rules out a '.' or '..' segment at once: two searches fewer
    return path[:1] == "/" and "//" not in path and (
        "/." not in path or ("/./" not in path and "/../" not in path and not path.endswith(("/.", "/.."))))


def _categories_part(categories: tuple[str, ...] | list[str]) -> str:
    """``:categories``: the categories in lower case, each once, joined by '/'."""
    return "/".join(dict.fromkeys([x.lower() for x in categories]))


# ``:categories`` of a few short categories, remembered: a site has a few hundred, and their pairs
# (long ones are not kept: a hostile corpus's megabyte names would pile up here)
_categories_path = lru_cache(maxsize=4096)(_categories_part)


def _short(categories: list[str]) -> bool:
    """At most 16 names, of 4,096 characters in all (as 16 of 256 each): asked of their join, a
    sixth of the cost of ``max(map(len, ...), default=0)`` (its keyword takes max's slow path)."""
    return len(categories) <= 16 and len("".join(categories)) <= 4096


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# the placeholders that are one attribute of the date in a %-format: their _PLACEHOLDERS functions,
# and _template's fields (a pattern's date made in one %-format)
_OF_THE_DATE = {"year": ("year", "%04d"), "month": ("month", "%02d"), "i_month": ("month", "%d"),
                "day": ("day", "%02d"), "i_day": ("day", "%d"), "hour": ("hour", "%02d"),
                "minute": ("minute", "%02d"), "second": ("second", "%02d")}


def _date_field(attribute: str, spec: str) -> Callable[[datetime, str, list[str], str], str]:
    return lambda d, s, c, e: spec % getattr(d, attribute)


# Each placeholder computed only when a pattern uses it; names in English whatever the locale.
_PLACEHOLDERS: dict[str, Callable[[datetime, str, list[str], str], str]] = {
    **{name: _date_field(attribute, spec) for name, (attribute, spec) in _OF_THE_DATE.items()},
    "short_year": lambda d, s, c, e: f"{d.year % 100:02d}",
    "short_month": lambda d, s, c, e: _MONTHS[d.month - 1][:3], "long_month": lambda d, s, c, e: _MONTHS[d.month - 1],
    "y_day": lambda d, s, c, e: f"{d.timetuple().tm_yday:03d}",
    "week": lambda d, s, c, e: f"{d.isocalendar()[1]:02d}",
    "short_day": lambda d, s, c, e: _DAYS[d.weekday()][:3], "long_day": lambda d, s, c, e: _DAYS[d.weekday()],
    "title": lambda d, s, c, e: pretty_slug(s), "name": lambda d, s, c, e: pretty_slug(s),
    "slug": lambda d, s, c, e: pretty_slug(s).lower(),
    "categories": lambda d, s, c, e: _categories_path(tuple(c)) if _short(c) else _categories_part(c),
    "output_ext": lambda d, s, c, e: e,
}
# longest first, so that :i_month is not read as :i + _month, nor :short_year as :short + _year
_PLACEHOLDER = re.compile(":(" + "|".join(sorted(_PLACEHOLDERS, key=len, reverse=True)) + ")")


@lru_cache(maxsize=64)
def _tokens(pattern: str) -> tuple[str, ...]:
    """A pattern split once into literal text (even indexes) and placeholder names (odd)."""
    return tuple(_PLACEHOLDER.split(pattern))


@lru_cache(maxsize=64)
def _template(pattern: str) -> tuple[str, Callable[[datetime], Any] | None, tuple[str, ...]]:
    """A pattern made once into a %-template of two passes: the first formats the date's fields
    (given by the getter, None when it names none) and leaves a %s for each other placeholder
    (named in order, computed a post at a time) for the second; a literal '%' survives both."""
    tokens, attributes, others, fields = _tokens(pattern), [], [], []
    percent = "%%%%" if any(token not in _OF_THE_DATE for token in tokens[1::2]) else "%%"  # two passes, or one
    for i, token in enumerate(tokens):
        if i % 2 == 0:
            fields.append(token.replace("%", percent))
        elif token in _OF_THE_DATE:
            attribute, spec = _OF_THE_DATE[token]
            attributes.append(attribute)
            fields.append(spec)
        else:
            others.append(token)
            fields.append("%%s")
    # attrgetter gives one attribute alone, not in a tuple: %-format takes it so too
    return "".join(fields), operator.attrgetter(*attributes) if attributes else None, tuple(others)


def expand_permalink(pattern: str, when: datetime, slug: str, categories: list[str], ext: str) -> str:
    """Jekyll's permalink placeholders -> a clean, unescaped URL path."""
    template, of_date, others = _template(pattern)
    path = template % (of_date(when) if of_date is not None else ())
    if others:
        path %= tuple([_PLACEHOLDERS[name](when, slug, categories, ext) for name in others])
    return clean_path(path)


def jekyll_id(url_path: str, slug: str) -> str:
    """Jekyll's Document#id: the URL's folder joined with the slug (jekyll-feed's entry id).

    ``url_path`` is already escaped; only the slug is escaped here. Ruby's File.dirname ignores
    a trailing '/', so a pretty URL /a/b/slug/ has the folder /a/b.
    """
    path = url_path.rstrip("/") or "/"  # its folder: posixpath.dirname's, without a '/' at its end
    return path[:path.rfind("/") + 1].rstrip("/") + "/" + escape_path(slug)
