"""The reading code of main before the reading fast paths (commit 3120a38), verbatim: the oracle
that tests/test_reading_oracle.py compares today's reading with. Only the functions those changes
rewrote are here; every other helper is today's, from feeds (each replaced helper of jekyll.py has
its own oracle test). Do not edit these functions: they are the old behaviour, as it was."""
# ruff: noqa
# mypy: ignore-errors
from __future__ import annotations

import codecs
import hashlib
import unicodedata
from datetime import date, datetime, time, timezone
from functools import lru_cache
from types import SimpleNamespace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from feeds import jekyll
from feeds.config import Config
from feeds.errors import ERROR, WARNING, Problem, display_path
from feeds.jekyll import _DATE, _PRETTY_KEEP, DateError, _in_range, _offset
from feeds.posts import (_HANDLER, _KEY, _ONLY_OFFSET, _TOML, _TOML_KEY, EMPTY_FRONT_MATTER, FALSE_WORDS, NO_FRONT_MATTER,
                         READ_AS_UTC, TRUE_WORDS, USED_SITE_ZONE, FrontMatter, Post, _capped,
                         _SCHEME, _drop_control_characters, _image, _load_toml, _url_path, _with_liquid,
                         _valid_id, with_defaults)
from feeds.sources import SourceText, _lf, _resolved, file_digest
from feeds.text import clean_name, plain_title, scrub, smartify
from feeds.yamlload import Timestamp, YamlProblem
from feeds.yamlload import load_with_pyyaml as load_text_yaml


def parse_date(value: object) -> tuple[datetime, bool]:
    """Read a front matter date the way Jekyll accepts it: (datetime, had_offset).

    Naive results are returned naive; the caller applies the site's timezone.
    """
    if isinstance(value, datetime):
        return _in_range(value, str(value)), value.tzinfo is not None
    if isinstance(value, date):
        return _in_range(datetime.combine(value, time()), str(value)), False
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
    return (_in_range(naive.replace(tzinfo=zone), text), True) if zone else (_in_range(naive, text), False)


@lru_cache(maxsize=65536)
def pretty_slug(text: str) -> str:
    """Jekyll's slugify in "pretty" mode, case kept: every run of characters other than Unicode
    letters, marks (the vowel signs of हिन्दी), decimal digits and ``._~!$&'()+,;=@`` becomes one
    '-', and a '-' at either end goes."""
    out: list[str] = []
    for char in text:
        kind = unicodedata.category(char)
        if char in _PRETTY_KEEP or kind[0] in "LM" or kind == "Nd":
            out.append(char)
        elif not out or out[-1] != "-":
            out.append("-")
    return "".join(out).strip("-")


def read_source(path: Path, max_bytes: int) -> SourceText:
    """The file's text, or a problem naming the size limit or the first byte that is not UTF-8."""
    where = display_path(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            return SourceText(None, "", Problem(where, None, f"file is {size:,} bytes, over the limit of "
                                                f"{max_bytes:,}; raise content.max_file_bytes or split it"))
        data = path.read_bytes()
    except OSError as exc:
        return SourceText(None, "", Problem(where, None, f"cannot read the file: {exc.strerror or exc}"))
    digest = file_digest(data)  # changed on purpose since: sha256, not blake2b (read4)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:  # changed on purpose since: the file's offset after a BOM
        start = exc.start + 3 if data.startswith(codecs.BOM_UTF8) else exc.start
        line = data.count(b"\n", 0, start) + 1
        return SourceText(None, digest, Problem(where, line, f"not UTF-8 (byte 0x{data[start]:02x} at "
                                                f"offset {start}); save the file as UTF-8"))
    bom = data.startswith(codecs.BOM_UTF8)
    if "\r" not in text:
        return SourceText(text, digest, bom=bom)
    return SourceText(_lf(text), digest, bom=bom, raw=text)


def source_root(path: Path, cfg: Config) -> Path:
    """The source folder a post file was found in (its folder categories start there)."""
    return next((s for s in _resolved(cfg.sources) if path.is_relative_to(s)), path.parent)


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
    handler = _HANDLER if _HANDLER.detect(stripped) else _TOML if _TOML.detect(stripped) else None
    if handler is None and as_jekyll_post:
        return EMPTY_FRONT_MATTER, [Problem(where, 1, "no front matter: published as Jekyll does, with the title "
                                            "and date of the file name; start the file with '---', title: and "
                                            "date:, then '---' to set them", WARNING)]
    if handler is None:
        return None, problems + [Problem(where, 1, NO_FRONT_MATTER, WARNING)]
    opening = handler.FM_BOUNDARY.match(stripped)
    assert opening is not None
    first = skipped + stripped.count("\n", 0, opening.end())  # file line just before the YAML's line 1
    try:
        fm, body = handler.split(stripped)
    except ValueError:
        return None, problems + [Problem(where, skipped + 1, "front matter is never closed; add a line "
                                         f"'{handler.START_DELIMITER}' after the last key")]
    fm, removed = _drop_control_characters(fm, first, where, problems)
    repeated: list[tuple[int, str]] = []
    try:
        data = load_text_yaml(fm, repeated) if handler is _HANDLER else _load_toml(fm)
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
    keys = {str(k) for k in data}
    key_of = _KEY if handler is _HANDLER else _TOML_KEY
    lines = {}
    for i, row in enumerate(fm.split("\n")):  # one pass: a site may have posts with 16,000 keys
        found = key_of.match(row)
        if found and found.group(1) in keys:
            lines[found.group(1)] = first + i + 1
    body_start = len(text) - len(body)
    return FrontMatter(data, body_start, text.count("\n", 0, body_start) + 1, lines), problems


class _Fields:
    """Reads one post's front matter fields; every complaint names the file and the key's line."""

    def __init__(self, fm: FrontMatter, where: str, jekyll_dates: bool = False,
                 data: dict[str, Any] | None = None):
        self.data, self.fm, self.where = fm.data if data is None else data, fm, where
        self.problems: list[Problem] = []
        self.jekyll = jekyll_dates  # read dates as Jekyll does (a Jekyll site: its URLs depend on it)
        self.read_as_utc = False  # a date without an offset was read as UTC, as Jekyll does

    def say(self, key: str, message: str, level: str = ERROR) -> None:
        self.problems.append(Problem(self.where, self.fm.line_of.get(key), f"{key}: {message}", level))

    def clean(self, key: str, text: str) -> str:
        """The text without what XML 1.0 forbids; a warning naming the key when something went."""
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

    def names(self, singular: str, plural: str) -> list[str]:
        """Jekyll's pluralized_array_from_hash: the singular key whole, the plural split on spaces."""
        key = singular if self.data.get(singular) is not None else plural
        value = self.data.get(key)
        if value is None:
            return []
        if isinstance(value, str):
            items: list[Any] = [value] if key == singular else value.split()
        elif isinstance(value, list):
            items = value
        else:
            self.say(key, "expected a list or a space-separated string of names; write e.g. [a, b]")
            return []
        if any(isinstance(item, (list, dict)) for item in items):
            self.say(key, "nested lists or mappings are not names; write a flat list such as [a, b]")
            return []
        texts = [str(i) for i in items if i is not None]
        self.clean(key, "".join(texts))  # one warning for the key, however many names had some
        return [name for name in (clean_name(t) for t in texts) if name]

    def flag(self, key: str) -> bool:
        return str(self.data.get(key, "")).strip().lower() in TRUE_WORDS

    def date(self, key: str, zone: ZoneInfo | timezone) -> tuple[datetime | None, bool]:
        """An aware date from ``key``; (None, False) when absent; (None, True) after a problem."""
        value = self.data.get(key)
        if value is None or str(value).strip() == "":
            if key in self.data and key == "date":
                self.say(key, "is empty; write the date, e.g. 2022-03-04 13:23:21 +0800, or delete the key")
                return None, True
            return None, False
        if _ONLY_OFFSET.match(str(value).strip()):
            self.say(key, f"holds only a time zone offset ('{str(value).strip()}'), no date; write the date, "
                     "e.g. 2022-03-04 13:23:21 +0800")
            return None, True
        try:
            when, had_offset = jekyll.parse_date(value)
        except jekyll.DateError as exc:
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


def read_post(path: Path, root: Path, cfg: Config, zone: ZoneInfo | timezone, now: datetime,
              source: SourceText | None = None) -> tuple[Post | None, list[Problem], int]:
    """One post file -> (Post or None when it is excluded or broken, problems, date flags:
    USED_SITE_ZONE and/or READ_AS_UTC).

    ``source`` spares reading the file again when the caller has just read it."""
    where = display_path(path)
    source = source or read_source(path, cfg.content.max_file_bytes)
    if source.text is None:
        return None, [source.problem] if source.problem else [], 0
    inside = path.relative_to(root).parts if path.is_relative_to(root) else path.parts  # not the site's own path
    fm, problems = split_front_matter(source.text, where, as_jekyll_post="_posts" in inside[:-1])
    if fm is None:
        return None, problems, 0
    f = _Fields(fm, where, cfg.jekyll_site, with_defaults(fm.data, "/".join(inside), cfg.defaults))
    if not cfg.drafts and (f.flag("draft") or "_drafts" in inside):
        return None, problems, 0
    if not cfg.unpublished and str(f.data.get("published", "")).strip().lower() in FALSE_WORDS:
        return None, problems, 0
    post, naive = _assemble(f, path, root, source.digest, cfg, zone, now, source.byte_offset(fm.body_start))
    if post is not None:
        post = _with_liquid(post, source.text, fm.body_start, f.data)
    flags = READ_AS_UTC if f.read_as_utc else (USED_SITE_ZONE if naive else 0)
    return post, problems + f.problems, flags



def _entry_id(f: _Fields, url_path: str, slug: str, cfg: Config) -> str | None:
    """The id as reading found it before ``_Fields.own_keyed`` (this oracle's _Fields has none)."""
    key, own = f.text("id", "guid")
    own, base = f.clean(key, own).strip(), cfg.site.url
    if own and _SCHEME.match(own):
        return own if _valid_id(f, key, own) else None
    if own:
        return base + "/" + jekyll.escape_path(own.lstrip("/"))
    return base + url_path if cfg.feeds.entry_id == "url" else base + jekyll.jekyll_id(url_path, slug)


def _author(f: _Fields, cfg: Config) -> str:
    """The author as reading found it before ``_Fields.own`` (this oracle's _Fields has none)."""
    name = clean_name(f.clean(*f.text("author", "authors")))
    for key, full, _ in cfg.authors:
        if key == name:
            return clean_name(full)
    return name

def _post_date(f: _Fields, path: Path, zone: ZoneInfo | timezone) -> tuple[datetime | None, bool]:
    """The post's date: front matter, else the file name's; warns when the two disagree."""
    from_name, _ = jekyll.split_filename(path.name)
    naive = f.data.get("date") is None or not _has_offset(f.data.get("date"))
    when, failed = f.date("date", zone)
    if failed:
        return None, False
    name_date = None
    if from_name:
        try:
            name_date, _ = jekyll.parse_date(from_name)
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


def _has_offset(value: Any) -> bool:
    try:
        return jekyll.parse_date(value)[1]
    except jekyll.DateError:
        return True


def _assemble(f: _Fields, path: Path, root: Path, digest: str, cfg: Config, zone: ZoneInfo | timezone,
              now: datetime, body_at: int) -> tuple[Post | None, bool]:
    when, used_zone = _post_date(f, path, zone)
    _, name_slug = jekyll.split_filename(path.name)
    slug = f.clean(*f.text("slug")) or name_slug
    folders = [clean_name(p) for p in path.relative_to(root).parts[:-1]]
    categories = [c for c in folders[: folders.index("_posts")] if c] if "_posts" in folders else []
    categories = list(dict.fromkeys(categories + f.names("category", "categories")))
    tags = list(dict.fromkeys(f.names("tag", "tags")))
    if when is None:
        return None, False
    if when > now and not cfg.future:
        return None, False
    url_path = _url_path(f, when, slug, categories, cfg)
    if url_path is None:
        return None, False
    title_key, title = f.text("title")
    title = plain_title(f.clean(title_key, title))
    if not title:
        title = jekyll.titleize(name_slug) or path.stem
        if f.fm is not EMPTY_FRONT_MATTER:  # that file was already told about
            f.say(title_key, f"missing or empty; used '{title}' from the file name; add title: to the front "
                  "matter", WARNING)
    if cfg.jekyll_site:
        title = smartify(title)  # what jekyll-feed writes, and the site's pages show
    updated, _ = f.date("last_modified_at", zone) if "last_modified_at" in f.data else f.date("updated", zone)
    feed = f.data.get("feed")
    own_excerpt_only = isinstance(feed, dict) and str(feed.get("excerpt_only", "")).strip().lower() in TRUE_WORDS
    entry_id = _entry_id(f, url_path, slug, cfg)
    if entry_id is None:
        return None, False
    kept = _capped(f, categories, ("category", "categories"), cfg.content.max_names_per_post)
    return Post(
        path=f.where, file=str(path), digest=digest, title=title, date=when, updated=max(updated or when, when),
        categories=kept, tags=_capped(f, tags, ("tag", "tags"), cfg.content.max_names_per_post, len(kept)),
        url=cfg.site.url + url_path, id=entry_id, author=_author(f, cfg),
        summary=f.clean(*f.text("description", "excerpt")),
        markdown=path.suffix.lower() not in (".html", ".htm"),
        body_start=body_at, body_line=f.fm.body_line,
        lang=clean_name(f.clean(*f.text("lang"))), excerpt_only=cfg.feeds.excerpt_only or own_excerpt_only,
        image=_image(f, cfg),
    ), used_zone


# main's parse_date for main's reading code; every other Jekyll rule is today's
jekyll = SimpleNamespace(**{**vars(jekyll), "parse_date": parse_date})  # type: ignore[assignment]
