"""Post files -> Post records: front matter split and read with Jekyll's semantics.

A Post holds what grouping and feeds need (metadata, URL, id) but not the body: bodies are
read again only for posts a feed will carry, so memory grows with feed entries, not site size.
"""
from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timezone
from functools import lru_cache
from operator import attrgetter, is_
from pathlib import Path, PurePath
from typing import Any, overload
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import frontmatter
from frontmatter.default_handlers import BaseHandler

from . import jekyll
from .config import Config
from .errors import ERROR, WARNING, ConfigError, Problem, display_path, is_plain_absolute
from .sources import SourceText, read_from, read_from_utf8, read_source
from .text import clean_name, plain_title, scrub, site_url_of, smartify
from .yamlload import NOT_YAML, Timestamp, YamlProblem, first_not_yaml, load_text_yaml

_HANDLER = frontmatter.YAMLHandler()


class _TomlHandler(BaseHandler):
    """Hugo's and Zola's `+++` front matter; python-frontmatter's own TOMLHandler needs the old
    `toml` package, so only its splitting is used and the standard parser (tomllib) reads it."""

    FM_BOUNDARY = re.compile(r"^\+{3,}\s*$", re.MULTILINE)
    START_DELIMITER = END_DELIMITER = "+++"


_TOML = _TomlHandler()
_TOML_AT = re.compile(r"\(at line (\d+), column \d+\)|\(at end of document\)")
NO_FRONT_MATTER = ("no front matter: Jekyll does not publish a post without it; start the file with '---', "
                   "title: and date:, then '---'")
TRUE_WORDS = {"true", "yes", "on", "y"}  # YAML 1.1's booleans, as post authors write them
FALSE_WORDS = {"false", "no", "off", "n"}
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_NOT_IN_IRI = re.compile(r'[\s<>"]')  # controls are gone already (Fields.clean)
_ONLY_OFFSET = re.compile(r"^(?:[+-]\d{1,2}:?\d{2}|Z|UTC|GMT)$", re.IGNORECASE)
_KEY = re.compile(r"([^\n]*?):(?:[ \t]|$)")  # a row's key: up to the first ': ' (or ':' at its end)
_TOML_KEY = re.compile(r"[ \t]*[\"']?([^\"'=\n]*?)[\"']?[ \t]*=")  # a TOML row's key: before the first '='
LIQUID, LIQUID_POSTS = 1, 2  # Post.liquid: the body has {% or {{; it names other posts (post_url, link, site.posts)
LIQUID_TIME = 4  # Post.liquid: the body names the build's time (site.time, or "now"/"today" given to date)
NAMES_TIME = re.compile(r"site\s*(?:\.\s*time|\[\s*[\"']time)|[\"']\s*(?:now|today)\s*[\"']", re.IGNORECASE)
_NAMES_POSTS = re.compile(r"post_url|{%-?\s*link\s|site\.(?:posts|categories|tags)")
NEVER = datetime.max.replace(tzinfo=timezone.utc)  # "now" for reading that excludes no future post


class _Stamp:
    """``Post.stamp``: the post's date as a POSIX timestamp, worked out when first asked and kept in
    the post's own ``__dict__`` (a frozen dataclass takes no setattr; no field: not pickled, not
    compared, not in the cache's rows). The steps after reading each compare or sort every post's
    date (the future posts left out, the shortcut's window, newest first): one aware comparison
    costs as much as a timestamp (~0.8 us, both offsets asked). functools.cached_property would
    take a lock on each first use in Python 3.11, costing as much again."""

    @overload
    def __get__(self, post: None, owner: type) -> _Stamp: ...
    @overload
    def __get__(self, post: Post, owner: type | None = None) -> float: ...

    def __get__(self, post: Post | None, owner: type | None = None) -> float | _Stamp:
        if post is None:  # asked of the class
            return self
        return stamp_now(post)


def stamp_now(post: Post) -> float:
    """Work out ``post.stamp`` now and keep it where ``_Stamp`` finds it from then on (the post's
    ``__dict__``, before this non-data descriptor): the read stage asks it of each post as it
    arrives, while the workers still read, so that the steps after reading find it made, with no
    call of the descriptor (a Python call, 10,000 times in the parent)."""
    stamp: float = post.date.timestamp()
    post.__dict__["stamp"] = stamp
    return stamp


_STAMP, _DATE, _UPDATED = attrgetter("stamp"), attrgetter("date"), attrgetter("updated")


def _orders_by_instant(posts: Sequence[Post]) -> bool:
    """Any two of these dates compare as their instants do. Python compares two dates of one
    tzinfo object by their clock readings: for a fixed offset (a date written with its own, or
    UTC) that is their instants' order; for a zone's (a date without an offset, in the site's
    ``timezone``) only while their offsets agree: in a daylight-saving gap or fold
    (America/New_York, 02:30 on the day clocks skip to 03:00) readings and instants disagree."""
    return len({p.date.utcoffset() for p in posts if type(p.date.tzinfo) is not timezone}) <= 1


def newest_date(posts: Sequence[Post]) -> datetime | None:
    """``max(p.date for p in posts)``, the very object (None for no post), from the posts' stamps
    where they decide: a stamp is the exact instant rounded once, so a stamp greater than every
    other is a date later than every other, which ``max`` would answer where the dates compare
    as their instants do (``_orders_by_instant``; else ``max`` itself). Equal top stamps (the same
    instant, or instants a rounding apart) are left to ``max`` too (the first of the latest)."""
    if len(posts) < 2:
        return posts[0].date if posts else None
    if not _orders_by_instant(posts):
        return max(map(_DATE, posts))
    stamps = list(map(_STAMP, posts))
    top = max(stamps)
    if stamps.count(top) == 1:
        return posts[stamps.index(top)].date
    return max(map(_DATE, posts))


def newest_dates(posts: Sequence[Post]) -> tuple[datetime | None, datetime | None]:
    """(``max(p.updated for p in posts)``, ``newest_date``) of these posts, the very objects (None for
    no post), worked out once for both: a feed's Atom file shows the one, its RSS file the other. A
    post with no date of update of its own has its date as its ``updated``, the same object: when
    every post does, the two maxima are one; else the aware datetimes are compared."""
    date = newest_date(posts)
    if all(map(is_, map(_UPDATED, posts), map(_DATE, posts))):
        return date, date
    return max(map(_UPDATED, posts)), date


def after(post: Post, now: datetime, limit: float) -> bool:
    """``post.date > now`` (``limit``: ``now.timestamp()``), exactly as Python compares them: by
    the clock's reading when both have the same tzinfo, else by the instant. A timestamp is the
    exact instant rounded once (a division by 10**6, which keeps the order), so stamps that differ
    order the instants the same way, and only equal stamps need the dates themselves compared."""
    if post.date.tzinfo is now.tzinfo:  # no offset asked: as cheap as comparing stamps
        return post.date > now
    stamp = post.stamp
    return stamp > limit or (stamp == limit and post.date > now)


@dataclass(frozen=True)
class Post:
    path: str  # as shown to the user
    file: str  # absolute path
    digest: str  # hash of the file's bytes: the cache key
    title: str
    date: datetime  # aware
    updated: datetime  # aware
    categories: tuple[str, ...]
    tags: tuple[str, ...]
    url: str  # absolute, percent-encoded
    id: str
    author: str
    summary: str  # from front matter; "" means: the first paragraph of the body
    markdown: bool
    body_start: int  # byte offset of the body in the file (sources.read_from reads it from there)
    body_line: int  # 1-based line of the body's first line in the file
    lang: str = ""  # the post's own language (front matter lang:), when it has one
    excerpt_only: bool = False  # the feeds carry its summary, not its content
    liquid: int = 0  # LIQUID | LIQUID_POSTS | LIQUID_TIME: what the body's template needs (0: no Liquid at all)
    image: str = ""  # front matter image: (a path, a URL or {path, alt}), absolute; "" for none
    stamp = _Stamp()  # date.timestamp(), once (not a field)

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickled (a read worker's answer, through the pool's pipe) as its fields' values in order,
        not as a dict of field names: the parent unpickles 10,000 of them in a cold build with two
        jobs or more, and that costs a fifth fewer instructions both ways."""
        return _post_of, _post_fields(self)


def _post_of(*values: Any) -> Post:
    post = object.__new__(Post)
    post.__dict__.update(zip(_POST_FIELDS, values))  # as a frozen dataclass's __init__ would set them
    return post


_POST_FIELDS = tuple(Post.__dataclass_fields__)
_post_fields = attrgetter(*_POST_FIELDS)


@dataclass
class FrontMatter:
    data: dict[str, Any]
    body_start: int
    body_line: int
    line_of: dict[str, int]  # key -> 1-based file line, for messages


EMPTY_FRONT_MATTER = FrontMatter({}, 0, 1, {})  # a Jekyll post without front matter: all of it is body


def split_front_matter(text: str, where: str, as_jekyll_post: bool = False) -> tuple[FrontMatter | None, list[Problem]]:
    """The front matter mapping and where the body starts, with file line numbers.

    ``as_jekyll_post``: the file is in a ``_posts`` folder, where Jekyll 4 publishes a file without
    front matter (or whose ``---`` does not start the first line) with its title and date taken
    from the file name and the whole text as its body; so do we, with a warning."""
    problems: list[Problem] = []
    stripped = text.lstrip(" \t\n\ufeff")
    skipped = text.count("\n", 0, len(text) - len(stripped))
    if skipped and stripped.startswith("---") and as_jekyll_post:
        return EMPTY_FRONT_MATTER, [Problem(where, 1, f"{skipped} blank line(s) before the opening '---': Jekyll "
                                         "reads no front matter here and publishes the '---' block as text, with "
                                         "the title and date of the file name; so does feeds; delete the blank "
                                         "line(s)", WARNING)]
    if skipped and stripped.startswith("---"):
        problems.append(Problem(where, 1, f"{skipped} blank line(s) before the opening '---'; read anyway, "
                                "but Jekyll would not publish this post; delete the blank line(s)", WARNING))
    # what handler.detect asks (its boundary matched at the start), asked once: the match is kept
    handler: frontmatter.YAMLHandler | _TomlHandler = _HANDLER
    opening = _HANDLER.FM_BOUNDARY.match(stripped)
    if opening is None:
        handler, opening = _TOML, _TOML.FM_BOUNDARY.match(stripped)
    if opening is None and as_jekyll_post:
        return EMPTY_FRONT_MATTER, [Problem(where, 1, "no front matter: published as Jekyll does, with the title "
                                            "and date of the file name; start the file with '---', title: and "
                                            "date:, then '---' to set them", WARNING)]
    if opening is None:
        return None, problems + [Problem(where, 1, NO_FRONT_MATTER, WARNING)]
    first = skipped + stripped.count("\n", 0, opening.end())  # file line just before the YAML's line 1
    closing = _closing(handler.FM_BOUNDARY, handler.START_DELIMITER, stripped, opening.end())
    if closing is None:
        return None, problems + [Problem(where, skipped + 1, "front matter is never closed; add a line "
                                         f"'{handler.START_DELIMITER}' after the last key")]
    fm = stripped[opening.end():closing.start()]
    fm, removed = _drop_control_characters(fm, first, where, problems)
    repeated: list[tuple[int, str]] = []
    rows: dict[str, int] = {}  # key -> its row in fm, from the fast reader
    try:
        data = load_text_yaml(fm, repeated, rows=rows) if handler is _HANDLER else _load_toml(fm)
    except YamlProblem as exc:
        line = first + exc.line if exc.line else skipped + 1
        return None, problems + [Problem(where, line, f"front matter: {exc.message}")]
    if data is None:
        data = {}
    if not isinstance(data, dict):
        what = "a list" if isinstance(data, list) else "plain text"
        line = first + len(fm) - len(fm.lstrip("\n")) + 1  # its first line (the YAML starts with "\n")
        return None, problems + [Problem(where, line, f"front matter is {what}, not a mapping of keys; "
                                         "write it as key: value lines (title: …, date: …)")]
    for line, key in repeated:
        problems.append(Problem(where, first + line, f"front matter: key '{key}' appears again; the last one "
                                "is used, as Jekyll does; delete the other", WARNING))
    lines = {key: first + row + 1 for key, row in rows.items()} if rows else _key_lines(data, fm, first, handler)
    body_start = len(text) - len(stripped) + closing.end()
    return FrontMatter(data, body_start, text.count("\n", 0, body_start) + 1, lines), problems


def _closing(boundary: re.Pattern[str], delimiter: str, text: str, start: int) -> re.Match[str] | None:
    """The boundary that closes the front matter opened before ``start``: what python-frontmatter's
    ``handler.split`` splits at (the first match of its boundary pattern from ``start``), found
    without splitting off a copy of the body. A match starts a line with the delimiter's first three
    characters; the opening match ends before a line break, so none starts at ``start`` itself."""
    mark = "\n" + delimiter[:3]
    at = text.find(mark, start)
    while at >= 0:
        found = boundary.match(text, at + 1)
        if found is not None:
            return found
        at = text.find(mark, at + 1)
    return None


def _key_lines(data: dict[Any, Any], fm: str, first: int, handler: BaseHandler) -> dict[str, int]:
    """key -> the file line of its row (the last, for a key written twice), for messages."""
    keys = {str(k) for k in data}
    key_of = _KEY if handler is _HANDLER else _TOML_KEY
    lines = {}
    for i, row in enumerate(fm.split("\n")):  # one pass: a site may have posts with 16,000 keys
        found = key_of.match(row)
        if found and found.group(1) in keys:
            lines[found.group(1)] = first + i + 1
    return lines


def _toml() -> Any:
    """The TOML parser, imported with the first TOML front matter (a Hugo or Zola post): a Jekyll
    site has none, and the import took ~2 ms of every command's start, the parent alone."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - the backport of the same parser
        import tomli as tomllib
    return tomllib


def _load_toml(fm: str) -> dict[str, Any]:
    """TOML front matter as the YAML reader gives it: text, lists and mappings (a Zola post's
    [taxonomies] categories and tags lifted to the top, where Jekyll's keys are)."""
    toml = _toml()
    try:
        data = toml.loads(fm)
    except toml.TOMLDecodeError as exc:
        at = _TOML_AT.search(str(exc))
        line = int(at.group(1)) if at and at.group(1) else fm.count("\n") if at else None
        raise YamlProblem(line, f"TOML: {_TOML_AT.sub('', str(exc)).strip()}; fix that line") from None
    taxonomies = data.get("taxonomies")
    if isinstance(taxonomies, dict):
        for key in ("categories", "tags"):
            if key in taxonomies:
                data.setdefault(key, taxonomies[key])
    return {key: _as_text(value) for key, value in data.items()}


def _as_text(value: Any) -> Any:
    """TOML's typed values as the text an author would have written in YAML (dates as RFC 3339)."""
    if isinstance(value, dict):
        return {key: _as_text(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_text(item) for item in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return str(value)


def _drop_control_characters(fm: str, first: int, where: str, problems: list[Problem]) -> tuple[str, int]:
    """Control characters in the front matter: YAML refuses them and XML forbids most; drop them, warn."""
    found = first_not_yaml(fm)
    if not found:
        return fm, 0
    cleaned, removed = NOT_YAML.subn("", fm)
    problems.append(Problem(where, first + fm.count("\n", 0, found.start()) + 1, f"front matter: {removed} "
                            "control character(s) removed (YAML and XML do not allow them); delete them "
                            "from the file", WARNING))
    return cleaned, removed


class _Fields:
    """Reads one post's front matter fields; every complaint names the file and the key's line."""

    def __init__(self, fm: FrontMatter, where: str, jekyll_dates: bool = False,
                 data: dict[str, Any] | None = None):
        self.data, self.fm, self.where = fm.data if data is None else data, fm, where
        self.problems: list[Problem] = []
        self.jekyll = jekyll_dates  # read dates as Jekyll does (a Jekyll site: its URLs depend on it)
        self.read_as_utc = False  # a date without an offset was read as UTC, as Jekyll does
        self.had_offset = False  # the last date read (as written, before any repair) had an offset

    def say(self, key: str, message: str, level: str = ERROR) -> None:
        self.problems.append(Problem(self.where, self.fm.line_of.get(key), f"{key}: {message}", level))

    def clean(self, key: str, text: str) -> str:
        """The text without what XML 1.0 forbids; a warning naming the key when something went."""
        if not text:  # most keys a post does not set
            return text
        text, removed, _, which = scrub(text)
        if removed:
            self.say(key, f"{removed} control character(s) that XML 1.0 forbids or discourages ({which}) "
                     "removed; delete them from the file", WARNING)
        return text

    def text(self, *keys: str) -> tuple[str, str]:
        """The first of ``keys`` that is set, as text; (key, "") when none is."""
        for key in keys:
            value = self.data.get(key)
            if value is None or value == "":
                continue
            if isinstance(value, dict):
                value = value.get("name", "")
            if isinstance(value, list):
                value = value[0] if value and not isinstance(value[0], (list, dict)) else ""
            if not isinstance(value, (list, dict)):
                return key, str(value)
            self.say(key, "expected text, got a nested list; write it as plain text")
        return keys[0], ""

    def own(self, key: str, other: str = "") -> str:
        """``text`` of ``key``, else of ``other``, cleaned; "" with no further call when the front
        matter has neither, as for most keys of most posts (each asked in full cost ~2 % of a read
        task)."""
        return self.own_keyed(key, other)[1]

    def own_keyed(self, key: str, other: str = "") -> tuple[str, str]:
        """``own``, with the key its text came from (``key`` when neither is set), for messages."""
        if key in self.data:
            found, value = self.text(key, other) if other else self.text(key)
        elif other and other in self.data:
            found, value = self.text(other)
        else:
            return key, ""
        return found, self.clean(found, value)

    def names(self, singular: str, plural: str) -> list[str]:
        """Jekyll's pluralized_array_from_hash: the singular key whole, the plural split on spaces."""
        key = singular if self.data.get(singular) is not None else plural
        value = self.data.get(key)
        if value is None:
            return []
        if type(value) is str and len(value) <= _REMEMBERED_NAMES:  # most posts: one line of names, as others wrote it
            clean = _names_of_line(value, key == singular)
            if clean is not None:
                return list(clean)
        if isinstance(value, str):
            items: list[Any] = [value] if key == singular else value.split()
        elif isinstance(value, list):
            items = value
        else:
            self.say(key, "expected a list or a space-separated string of names; write e.g. [a, b]")
            return []
        texts = []
        for item in items:  # a loop, not any(...) over a generator: it runs twice a post
            if type(item) is str:
                texts.append(item)
            elif isinstance(item, (list, dict)):
                self.say(key, "nested lists or mappings are not names; write a flat list such as [a, b]")
                return []
            elif item is not None:
                texts.append(str(item))
        joined = "".join(texts)
        if len(joined) <= _REMEMBERED_NAMES:
            clean = _clean_names(tuple(texts))
            if clean is not None:
                return list(clean)
        self.clean(key, joined)  # one warning for the key, however many names had some
        return [name for name in (clean_name(t) for t in texts) if name]

    def flag(self, key: str) -> bool:
        return str(self.data.get(key, "")).strip().lower() in TRUE_WORDS

    def date(self, key: str, zone: ZoneInfo | timezone) -> tuple[datetime | None, bool]:
        """An aware date from ``key``; (None, False) when absent; (None, True) after a problem."""
        value = self.data.get(key)
        shown = "" if value is None else str(value).strip()
        if not shown:
            if key in self.data and key == "date":
                self.say(key, "is empty; write the date, e.g. 2022-03-04 13:23:21 +0800, or delete the key")
                return None, True
            return None, False
        if not shown[0].isdigit() and _ONLY_OFFSET.match(shown):  # (an offset never starts with a digit)
            self.say(key, f"holds only a time zone offset ('{shown}'), no date; write the date, "
                     "e.g. 2022-03-04 13:23:21 +0800")
            return None, True
        try:  # a text is read as its stripped text (``shown``): not made again
            when, had_offset = jekyll.parse_date(shown if isinstance(value, str) else value)
            self.had_offset = had_offset
        except jekyll.DateError as exc:
            self.had_offset = True  # as _post_date counts a date it cannot read: not naive
            head = jekyll.stray_year(str(value)) if self.jekyll else None
            if head is None:
                self.say(key, str(exc))
                return None, True
            words = str(value).split()
            meant = " ".join((head, *words[len(head.split()) + 1:]))  # without the repeated year
            self.say(key, f"'{str(value).strip()}' repeats its year after the time; read as Jekyll reads it, "
                     f"'{head}' in the site's time zone (the rest is ignored); write it as {meant}", WARNING)
            when, had_offset = jekyll.parse_date(head)
        if had_offset:
            pass
        elif self.jekyll and isinstance(value, Timestamp) and len(value.strip()) > 10:
            # Ruby's YAML reads an unquoted timestamp without an offset as UTC; the site's pages
            # (and their URLs) follow that reading, so the feed must too
            when, self.read_as_utc = when.replace(tzinfo=timezone.utc), True
        else:
            when = when.replace(tzinfo=zone)
        # Jekyll shows every date in the site's zone: the day in the URL is that zone's day
        return (when.astimezone(zone) if self.jekyll else when), False


USED_SITE_ZONE, READ_AS_UTC = 1, 2  # flags: how a date without an offset was read
_REMEMBERED_NAMES = 1024  # names of up to this many characters in all are remembered (_clean_names)


@lru_cache(maxsize=4096)
def _names_of_line(value: str, whole: bool) -> tuple[str, ...] | None:
    """``_clean_names`` of a key's text (``whole``: the singular key's, one name; else split on
    spaces), remembered by the text itself: not split, its names not joined and looked up again."""
    return _clean_names((value,) if whole else tuple(value.split()))


@lru_cache(maxsize=4096)
def _clean_names(texts: tuple[str, ...]) -> tuple[str, ...] | None:
    """The names ``_Fields.names`` gives for these texts, when none has a character to remove (None
    otherwise: it warns, the long way); remembered, as a site's posts share their categories and tags."""
    if scrub("".join(texts))[1]:
        return None
    return tuple(name for name in map(clean_name, texts) if name)


def read_post(path: Path | str, root: Path | str, cfg: Config, zone: ZoneInfo | timezone, now: datetime,
              source: SourceText | None = None, cwd: str | None = None) -> tuple[Post | None, list[Problem], int]:
    """One post file -> (Post or None when it is excluded or broken, problems, date flags:
    USED_SITE_ZONE and/or READ_AS_UTC).

    ``source`` spares reading the file again when the caller has just read it. Paths are worked
    on as strings (pathlib cost more than the YAML on 10,000 posts), as pathlib would read them."""
    # both plain absolute strings (every post file found): each asked once, not by _plain and _parts_under again
    if isinstance(path, str) and isinstance(root, str) and is_plain_absolute(path) and is_plain_absolute(root):
        file, top, plain = path, root, True
    else:
        file, top, plain = _plain(path), _plain(root), False
    where = display_path(file, cwd, plain)  # cwd: the current folder, when the caller knows it
    source = source or read_source(file, cfg.content.max_file_bytes)
    if source.text is None:
        return None, [source.problem] if source.problem else [], 0
    under = _parts_under(file, top, plain)
    inside = under if under is not None else PurePath(file).parts  # not the site's own path
    fm, problems = split_front_matter(source.text, where, as_jekyll_post="_posts" in inside[:-1])
    if fm is None:
        return None, problems, 0
    data = with_defaults(fm.data, "/".join(inside), cfg.defaults) if cfg.defaults else fm.data
    f = _Fields(fm, where, cfg.jekyll_site, data)
    if not cfg.drafts and (f.flag("draft") or "_drafts" in inside):
        return None, problems, 0
    if not cfg.unpublished and str(f.data.get("published", "")).strip().lower() in FALSE_WORDS:
        return None, problems, 0
    folders = under if under is not None else PurePath(file).relative_to(top).parts  # (raises, as it did)
    post, naive = _assemble(f, file, folders, source.digest, cfg, zone, now, source.byte_offset(fm.body_start))
    if post is not None:
        post = _with_liquid(post, source.text, fm.body_start, f.data)
    flags = READ_AS_UTC if f.read_as_utc else (USED_SITE_ZONE if naive else 0)
    return post, problems + f.problems, flags


def _plain(path: Path | str) -> str:
    """The path as pathlib writes it."""
    if isinstance(path, str) and is_plain_absolute(path):
        return path
    return str(PurePath(path))


def _parts_under(file: str, root: str, plain: bool = False) -> tuple[str, ...] | None:
    """``PurePath(file).relative_to(root).parts``, None when ``file`` is not under ``root``
    (``plain``: both are known to be ``is_plain_absolute``)."""
    if plain or (is_plain_absolute(file) and is_plain_absolute(root)):
        if file == root:
            return ()
        if root == "/":
            return tuple(file[1:].split("/"))
        return tuple(file[len(root) + 1:].split("/")) if file.startswith(root + "/") else None
    pure, top = PurePath(file), PurePath(root)
    return pure.relative_to(top).parts if pure.is_relative_to(top) else None


def _name_parts(file: str) -> tuple[str, str, str]:
    """PurePath's name, stem and suffix of a path as pathlib writes it."""
    name = file.rsplit("/", 1)[-1] if file != "." else ""
    dot = name.rfind(".")
    if 0 < dot < len(name) - 1:
        return name, name[:dot], name[dot:]
    return name, name, ""


def _with_liquid(post: Post, text: str, start: int, data: dict[str, Any]) -> Post:
    """Flags what the body's Liquid needs (two substring scans for a body without any), from
    ``start`` (the body's first character: slicing the body would copy it)."""
    if text.find("{", start) < 0 or (text.find("{%", start) < 0 and text.find("{{", start) < 0):
        return post  # most bodies: one scan, ~1 µs for 3 KB
    if str(data.get("render_with_liquid", "")).strip().lower() in FALSE_WORDS:
        return post
    flags = LIQUID | (LIQUID_POSTS if _NAMES_POSTS.search(text, start) else 0) | (
        LIQUID_TIME if NAMES_TIME.search(text, start) else 0)
    return replace(post, liquid=flags)


def page_data(post: Post, cfg: Config) -> dict[str, Any]:
    """``page.*`` for the post's template: its front matter (under the site's defaults), and what
    Jekyll adds: url, date, id, title, categories, tags, slug, path (paths relative to the site)."""
    source = read_source(Path(post.file), 1 << 62)
    fm, _ = split_front_matter(source.text or "", post.path, as_jekyll_post=True)
    root = Path(post.file)
    for folder in cfg.sources:
        if Path(post.file).is_relative_to(folder.resolve()):
            root = folder.resolve()
    relative = Path(post.file).relative_to(root).as_posix() if root != Path(post.file) else post.path
    data = dict(with_defaults(fm.data if fm else {}, relative, cfg.defaults))  # a copy: fm may be shared
    site = cfg.site.url
    data.update(url=post.url.removeprefix(site), id=post.id.removeprefix(site), date=post.date, title=post.title,
                categories=list(post.categories), tags=list(post.tags), path=relative,
                slug=data.get("slug") or jekyll.split_filename(Path(post.file).name)[1])
    return data


def with_defaults(data: dict[str, Any], relative: str, rules: tuple[tuple[str, str, str], ...]) -> dict[str, Any]:
    """Front matter under Jekyll's ``defaults``: the rules whose scope covers the file, the more
    specific (longer path, then a type) over the less, the front matter's own keys over all."""
    matching = [(path, kind, values) for path, kind, values in rules
                if kind in ("", "posts") and (not path or relative == path or relative.startswith(path + "/"))]
    if not matching:
        return data
    merged: dict[str, Any] = {}
    for _, _, values in sorted(matching, key=lambda rule: (len(rule[0]), bool(rule[1]))):
        merged = _deep_merge(merged, json.loads(values))
    return {**merged, **data}


def _deep_merge(under: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(under)
    for key, value in over.items():
        merged[key] = _deep_merge(merged[key], value) if isinstance(value, dict) and isinstance(
            merged.get(key), dict) else value
    return merged


def _post_date(f: _Fields, from_name: str | None, zone: ZoneInfo | timezone) -> tuple[datetime | None, bool]:
    """The post's date: front matter, else the file name's (``from_name``); warns when the two disagree."""
    when, failed = f.date("date", zone)
    if failed:
        return None, False
    naive = when is None or not f.had_offset  # (f.date read it, when it is set: not read again here)
    name_date = None
    if from_name:
        try:
            name_date = jekyll.parse_day(from_name)
        except jekyll.DateError as exc:
            f.problems.append(Problem(f.where, None, f"file name date: {exc}", WARNING if when else ERROR))
    if when is None and name_date is None:
        if not f.problems:
            f.say("date", "missing, and the file name has no YYYY-MM-DD- prefix; add date: to the front matter")
        return None, False
    if when is None:
        return name_date.replace(tzinfo=zone), True  # type: ignore[union-attr]
    if name_date is not None and when.date() != name_date.date():
        f.say("date", f"{when:%Y-%m-%d} differs from the file name's {name_date:%Y-%m-%d}; the front matter "
              "date is used; rename the file or correct the date", WARNING)
    return when, naive


def _url_path(f: _Fields, when: datetime, slug: str, categories: list[str], cfg: Config) -> str | None:
    """The post's URL path (escaped), from `permalink:` or the site's pattern."""
    if "permalink" not in f.data:  # most posts
        return _site_url_path(cfg.permalink, when, slug, categories)
    key, own = f.text("permalink")
    own = own.strip()
    if not own:  # most posts: the site's pattern
        return _site_url_path(cfg.permalink, when, slug, categories)
    if own.startswith("//") or _SCHEME.match(own):  # as written, before cleaning
        f.say(key, f"'{f.clean(key, own)}' points at another host or scheme; a permalink is a path on this "
              "site, such as /news/x.html")
        return None
    return _site_url_path(f.clean(key, own) or cfg.permalink, when, slug, categories)


def _site_url_path(pattern: str, when: datetime, slug: str, categories: list[str]) -> str:
    if ":" in pattern:
        path = jekyll.expand_permalink(pattern, when, slug, categories, ".html")
    else:
        path = jekyll.clean_path(pattern)
    return jekyll.escape_path(path)


def _entry_id(f: _Fields, url_path: str, slug: str, cfg: Config) -> str | None:
    """The post's id: its own id:/guid: (an absolute IRI, or a path on the site), else the URL's."""
    key, own = f.own_keyed("id", "guid")
    own, base = own.strip(), cfg.site.url
    if own and _SCHEME.match(own):
        return own if _valid_id(f, key, own) else None
    if own:
        return base + "/" + jekyll.escape_path(own.lstrip("/"))
    if cfg.feeds.entry_id == "url":
        return base + url_path
    return base + jekyll.jekyll_id(url_path, slug)


def _valid_id(f: _Fields, key: str, own: str) -> bool:
    """Readers compare ids as they are: an id with a space or a quote cannot be written as an IRI."""
    bad = _NOT_IN_IRI.search(own)
    scheme, _, rest = own.partition(":")
    if bad:
        problem = f"holds {'a space' if bad.group().isspace() else repr(bad.group())}"
    elif not rest or not _splits(own) or (scheme.lower() in ("http", "https") and not urlsplit(own).hostname):
        problem = "is not an absolute IRI"
    else:
        return True
    f.say(key, f"'{own}' {problem}; write an absolute IRI without spaces, quotes or <>, such as "
          "tag:example.com,2022:post-1 or https://example.com/post-1; the post is not published")
    return False


def _splits(url: str) -> bool:
    try:
        urlsplit(url)
    except ValueError:  # "x://[": an unclosed IPv6 host, in any scheme
        return False
    return True


def _assemble(f: _Fields, file: str, inside: tuple[str, ...], digest: str, cfg: Config,
              zone: ZoneInfo | timezone, now: datetime, body_at: int) -> tuple[Post | None, bool]:
    """The Post of ``file`` (``inside``: its path's parts within its source folder)."""
    name, stem, suffix = _name_parts(file)
    from_name, name_slug = jekyll.split_filename(name)
    when, used_zone = _post_date(f, from_name, zone)
    data = f.data  # the dates and feed: keys, looked up below
    slug = f.own("slug") or name_slug
    if len(inside) == 2 and inside[0] == "_posts":  # most posts: no folder before _posts, no category from one
        categories = f.names("category", "categories")
    else:
        folders = [clean_name(p) for p in inside[:-1]]
        categories = [c for c in folders[: folders.index("_posts")] if c] if "_posts" in folders else []
        categories += f.names("category", "categories")
    categories = list(dict.fromkeys(categories))
    tags = list(dict.fromkeys(f.names("tag", "tags")))
    if when is None:
        return None, False
    # nothing is later than NEVER (what reading for the cache gives as now), short of year 9999
    # (a date there with an offset west of UTC is later, and so, as ever, left out): no comparison
    if (now is not NEVER or when.year == 9999) and when > now and not cfg.future:
        return None, False
    url_path = _url_path(f, when, slug, categories, cfg)
    if url_path is None:
        return None, False
    title_key, title = f.text("title")
    title = plain_title(f.clean(title_key, title))
    if not title:
        title = jekyll.titleize(name_slug) or stem
        if f.fm is not EMPTY_FRONT_MATTER:  # that file was already told about
            f.say(title_key, f"missing or empty; used '{title}' from the file name; add title: to the front "
                  "matter", WARNING)
    if cfg.jekyll_site:
        title = smartify(title)  # what jekyll-feed writes, and the site's pages show
    updated, _ = f.date("last_modified_at", zone) if "last_modified_at" in data else \
        f.date("updated", zone) if "updated" in data else (None, False)
    feed = data.get("feed")
    own_excerpt_only = isinstance(feed, dict) and str(feed.get("excerpt_only", "")).strip().lower() in TRUE_WORDS
    entry_id = _entry_id(f, url_path, slug, cfg)
    if entry_id is None:
        return None, False
    kept = _capped(f, categories, ("category", "categories"), cfg.content.max_names_per_post)
    # every field, in order, into the instance's __dict__: a frozen dataclass's __init__ sets each
    # through object.__setattr__, twice the cost (tests/test_read_cheaper.py checks the fields)
    post = object.__new__(Post)
    post.__dict__.update(
        path=f.where, file=file, digest=digest, title=title, date=when, updated=max(updated or when, when),
        categories=kept, tags=_capped(f, tags, ("tag", "tags"), cfg.content.max_names_per_post, len(kept)),
        url=cfg.site.url + url_path, id=entry_id, author=_author(f, cfg),
        summary=f.own("description", "excerpt"),
        markdown=suffix.lower() not in (".html", ".htm"),
        body_start=body_at, body_line=f.fm.body_line,
        lang=clean_name(f.own("lang")),
        excerpt_only=cfg.feeds.excerpt_only or own_excerpt_only,
        liquid=0, image=_image(f, cfg),
    )
    return post, used_zone


def _image(f: _Fields, cfg: Config) -> str:
    """jekyll-feed's ``post.image.path | default: post.image``, made absolute."""
    value = f.data.get("image")
    if isinstance(value, dict):
        value = value.get("path")
    if value is None or value == "":
        return ""
    if isinstance(value, (list, dict)):
        f.say("image", "expected a path, a URL or {path: ..., alt: ...}; ignored", WARNING)
        return ""
    url = site_url_of(cfg.site.url, f.clean("image", str(value)))
    if url is None:
        f.say("image", f"'{value}' is not an http(s) URL or a path on the site; ignored", WARNING)
        return ""
    return url


def _author(f: _Fields, cfg: Config) -> str:
    """The post's author by name; a key of the site's _data/authors.yml gives that author's name."""
    name = clean_name(f.own("author", "authors"))
    for key, full, _ in cfg.authors:
        if key == name:
            return clean_name(full)
    return name


def _capped(f: _Fields, names: list[str], keys: tuple[str, str], cap: int, taken: int = 0) -> tuple[str, ...]:
    """A post is in one feed per category and tag, each carrying its whole content: a thousand
    tags made one post cost a minute and 60 MB. Its first ``cap`` names count, categories first
    (``taken`` of them); the permalink still has every category."""
    room = max(cap - taken, 0)
    if len(names) <= room:
        return tuple(names)
    key = keys[0] if f.data.get(keys[0]) is not None else keys[1]
    besides = f" besides {taken} categories" if taken else ""
    kept = f"only the first {room}" if room else "none of them"
    f.say(key, f"{len(names)} names{besides}, more than content.max_names_per_post ({cap}); {kept} get this post "
          "in their feeds; keep the ones readers follow, or raise the limit", WARNING)
    return tuple(names[:room])


def read_body(post: Post) -> str:
    """The post's body again, from disk, and only the body (only posts a feed carries get here:
    memory follows feed entries, not site size)."""
    return read_from(post.file, post.body_start)


def read_body_utf8(post: Post) -> tuple[str, bytes]:
    """``read_body``, and its UTF-8 as read when that is exactly it (``sources.read_from_utf8``)."""
    return read_from_utf8(post.file, post.body_start)


def site_zone(cfg: Config) -> ZoneInfo | timezone:
    return _zone_named(cfg.timezone)


@lru_cache(maxsize=16)
def _zone_named(name: str) -> ZoneInfo | timezone:
    """The site's zone, made once per name (reading asks for it once a post)."""
    return ZoneInfo(name) if name and name.upper() != "UTC" else timezone.utc


_LAST_EPOCH = int(datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone.utc).timestamp())


def build_time() -> datetime:
    """'Now' for excluding future posts; SOURCE_DATE_EPOCH makes it reproducible.

    Raises ConfigError when it is set to anything but whole seconds from 0 to year 9999: the
    reproducible-builds spec asks a tool to fail rather than guess at a malformed value."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not epoch:
        return datetime.now(timezone.utc)
    if not re.fullmatch(r"[0-9]{1,20}", epoch, re.ASCII) or int(epoch) > _LAST_EPOCH:
        shown = epoch if len(epoch) <= 40 else epoch[:40] + "…"
        raise ConfigError([Problem("SOURCE_DATE_EPOCH", None, f"expected whole seconds since 1970 from 0 to "
                                   f"{_LAST_EPOCH} (year 9999), got {shown!r}; unset it or set it to e.g. "
                                   "$(git log -1 --format=%ct)")])
    return datetime.fromtimestamp(int(epoch), timezone.utc)


def finish_reading(cfg: Config, results: list[tuple[Post | None, list[Problem], int]], now: datetime
                   ) -> tuple[list[Post], list[Problem]]:
    """Posts from read results: future posts dropped (unless configured), one warning for dates that
    took UTC. Kept apart from read_post so that its results do not depend on the clock (cacheable)."""
    posts, problems, naive, as_utc = [], [], 0, 0
    limit, future = now.timestamp(), cfg.future
    for post, found, flags in results:
        if found:  # nearly every post says nothing, and its date has an offset (no flag)
            problems += found
        if post is not None and (future or not after(post, now, limit)):
            posts.append(post)
            if flags:
                naive += bool(int(flags) & USED_SITE_ZONE)
                as_utc += bool(int(flags) & READ_AS_UTC)
    if naive and not cfg.timezone:
        problems.append(Problem(cfg.file, None, f"timezone: not set; {naive} post(s) have dates without "
                                "an offset and were read as UTC; set timezone: (e.g. Asia/Shanghai)", WARNING))
    if as_utc and cfg.timezone:
        problems.append(Problem(cfg.file, None, f"{as_utc} post(s) have a date: without an offset, such as "
                                "2021-12-08 12:47:49, which Jekyll reads as UTC, not as "
                                f"{cfg.timezone}; feeds reads them the same way, so that links match the pages "
                                "the site serves; to mean the site's time, write the offset: 2021-12-08 12:47:49 "
                                "+0800", WARNING))
    return posts, problems + _nothing_read(cfg, results, posts)


def _nothing_read(cfg: Config, results: list[tuple[Post | None, list[Problem], int]], posts: list[Post]
                  ) -> list[Problem]:
    """Post files were found but not one had front matter (a site in a format feeds cannot read):
    an error, not empty feeds and exit 0. Errors already fail the build, and drafts or future
    posts alone are no failure, so neither adds this."""
    if posts:  # the usual case: not a walk over every result's problems for nothing
        return []
    said = [p for _, found, _ in results for p in found]
    bare = sum(1 for post, found, _ in results if post is None and any(p.message == NO_FRONT_MATTER for p in found))
    if not bare or any(p.is_error for p in said):
        return []
    return [Problem(cfg.file, None, f"0 posts read from {len(results)} post file(s): {bare} have no front matter "
                    "(warned above); give them '---' YAML or '+++' TOML front matter, or point source: and posts: "
                    "at the posts")]


def check_ids(posts: list[Post]) -> tuple[list[Post], list[Problem]]:
    """Entry ids must be unique in a build, or readers merge two posts into one: the first post
    (by path) with an id is kept, every later one is left out, even with --keep-going."""
    if len({post.id for post in posts}) == len(posts):  # every id once (nearly every build): nothing
        return list(posts), []  # to say, nothing left out, no order by path needed
    first: dict[str, Post] = {}
    by_path = sorted(posts, key=attrgetter("path"))  # once: the ids and then the clashes, in this order
    for post in by_path:
        first.setdefault(post.id, post)
    problems = [Problem(post.path, None, f"entry id {post.id} is also the id of {first[post.id].path}; not "
                        "published; give one of them its own permalink: or id:")
                for post in by_path if first[post.id] is not post]
    return [post for post in posts if first[post.id] is post], problems
