"""Post files -> Post records: front matter split and read with Jekyll's semantics.

A Post holds what grouping and feeds need (metadata, URL, id) but not the body: bodies are
read again only for posts a feed will carry, so memory grows with feed entries, not site size.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import frontmatter

from . import jekyll
from .config import Config
from .errors import ERROR, WARNING, Problem, display_path
from .sources import SourceText, read_source
from .text import clean_name, describe_forbidden, plain_title, xml_safe
from .yamlload import NOT_YAML, YamlProblem, load_text_yaml

_HANDLER = frontmatter.YAMLHandler()
TRUE_WORDS = {"true", "yes", "on", "y"}  # YAML 1.1's booleans, as post authors write them
FALSE_WORDS = {"false", "no", "off", "n"}
_ONLY_OFFSET = re.compile(r"^(?:[+-]\d{1,2}:?\d{2}|Z|UTC|GMT)$", re.IGNORECASE)
_KEY = re.compile(r"([^\n]*?):(?:[ \t]|$)")  # a row's key: up to the first ': ' (or ':' at its end)
NEVER = datetime.max.replace(tzinfo=timezone.utc)  # "now" for reading that excludes no future post


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
    body_start: int  # character offset of the body in the normalised text
    body_line: int  # 1-based line of the body's first line in the file


@dataclass
class FrontMatter:
    data: dict[str, Any]
    body_start: int
    body_line: int
    line_of: dict[str, int]  # key -> 1-based file line, for messages


def split_front_matter(text: str, where: str) -> tuple[FrontMatter | None, list[Problem]]:
    """The front matter mapping and where the body starts, with file line numbers."""
    problems: list[Problem] = []
    stripped = text.lstrip(" \t\n\ufeff")
    skipped = text.count("\n", 0, len(text) - len(stripped))
    if skipped and stripped.startswith("---"):
        problems.append(Problem(where, 1, f"{skipped} blank line(s) before the opening '---'; read anyway, "
                                "but Jekyll would not publish this post; delete the blank line(s)", WARNING))
    if not _HANDLER.detect(stripped):
        return None, problems + [Problem(where, 1, "no front matter: Jekyll does not publish a post without "
                                         "it; start the file with '---', title: and date:, then '---'", WARNING)]
    opening = _HANDLER.FM_BOUNDARY.match(stripped)
    assert opening is not None
    first = skipped + stripped.count("\n", 0, opening.end())  # file line just before the YAML's line 1
    try:
        fm, body = _HANDLER.split(stripped)
    except ValueError:
        return None, problems + [Problem(where, skipped + 1, "front matter is never closed; add a line "
                                         "'---' after the last key")]
    fm, removed = _drop_control_characters(fm, first, where, problems)
    try:
        data = load_text_yaml(fm)
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
    keys = {str(k) for k in data}
    lines = {}
    for i, row in enumerate(fm.split("\n")):  # one pass: a site may have posts with 16,000 keys
        key = _KEY.match(row)
        if key and key.group(1) in keys:
            lines[key.group(1)] = first + i + 1
    body_start = len(text) - len(body)
    return FrontMatter(data, body_start, text.count("\n", 0, body_start) + 1, lines), problems


def _drop_control_characters(fm: str, first: int, where: str, problems: list[Problem]) -> tuple[str, int]:
    """Control characters in the front matter: YAML refuses them and XML forbids most; drop them, warn."""
    found = NOT_YAML.search(fm)
    if not found:
        return fm, 0
    cleaned, removed = NOT_YAML.subn("", fm)
    problems.append(Problem(where, first + fm.count("\n", 0, found.start()) + 1, f"front matter: {removed} "
                            "control character(s) removed (YAML and XML do not allow them); delete them "
                            "from the file", WARNING))
    return cleaned, removed


class _Fields:
    """Reads one post's front matter fields; every complaint names the file and the key's line."""

    def __init__(self, fm: FrontMatter, where: str):
        self.data, self.fm, self.where, self.problems = fm.data, fm, where, []  # type: ignore[var-annotated]

    def say(self, key: str, message: str, level: str = ERROR) -> None:
        self.problems.append(Problem(self.where, self.fm.line_of.get(key), f"{key}: {message}", level))

    def clean(self, key: str, text: str) -> str:
        """The text without what XML 1.0 forbids; a warning naming the key when something went."""
        _, which = describe_forbidden(text)
        text, removed = xml_safe(text)
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
            self.say(key, str(exc))
            return None, True
        return (when if had_offset else when.replace(tzinfo=zone)), False


def read_post(path: Path, root: Path, cfg: Config, zone: ZoneInfo | timezone, now: datetime,
              source: SourceText | None = None) -> tuple[Post | None, list[Problem], bool]:
    """One post file -> (Post or None when it is excluded or broken, problems, used_default_zone).

    ``source`` spares reading the file again when the caller has just read it."""
    where = display_path(path)
    source = source or read_source(path, cfg.content.max_file_bytes)
    if source.text is None:
        return None, [source.problem] if source.problem else [], False
    fm, problems = split_front_matter(source.text, where)
    if fm is None:
        return None, problems, False
    f = _Fields(fm, where)
    inside = path.relative_to(root).parts if path.is_relative_to(root) else path.parts  # not the site's own path
    if not cfg.drafts and (f.flag("draft") or "_drafts" in inside):
        return None, problems, False
    if str(fm.data.get("published", "")).strip().lower() in FALSE_WORDS:
        return None, problems, False
    post, naive = _assemble(f, path, root, source.digest, cfg, zone, now)
    return post, problems + f.problems, naive


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


def _url_path(f: _Fields, when: datetime, slug: str, categories: list[str], cfg: Config) -> str | None:
    """The post's URL path (escaped), from `permalink:` or the site's pattern."""
    key, own = f.text("permalink")
    own = own.strip()
    if own.startswith("//") or re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", own):  # as written, before cleaning
        f.say(key, f"'{f.clean(key, own)}' points at another host or scheme; a permalink is a path on this "
              "site, such as /news/x.html")
        return None
    own = f.clean(key, own)
    pattern = own or cfg.permalink
    if ":" in pattern:
        path = jekyll.expand_permalink(pattern, when, slug, categories, ".html")
    else:
        path = jekyll.clean_path(pattern)
    return jekyll.escape_path(path)


def _entry_id(f: _Fields, url_path: str, slug: str, cfg: Config) -> str:
    key, own = f.text("id", "guid")
    base = cfg.site.url
    own = f.clean(key, own).strip()
    if own:
        return own if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", own) else base + "/" + jekyll.escape_path(own.lstrip("/"))
    if cfg.feeds.entry_id == "url":
        return base + url_path
    return base + jekyll.jekyll_id(url_path, slug)


def _assemble(f: _Fields, path: Path, root: Path, digest: str, cfg: Config, zone: ZoneInfo | timezone,
              now: datetime) -> tuple[Post | None, bool]:
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
        title = jekyll.titleize(slug) or path.stem
        f.say(title_key, f"missing or empty; used '{title}' from the file name; add title: to the front matter",
              WARNING)
    updated, _ = f.date("last_modified_at", zone) if "last_modified_at" in f.data else f.date("updated", zone)
    return Post(
        path=f.where, file=str(path), digest=digest, title=title, date=when, updated=max(updated or when, when),
        categories=tuple(categories), tags=tuple(tags), url=cfg.site.url + url_path,
        id=_entry_id(f, url_path, slug, cfg), author=clean_name(f.clean(*f.text("author", "authors"))),
        summary=f.clean(*f.text("excerpt", "description")),
        markdown=path.suffix.lower() not in (".html", ".htm"),
        body_start=f.fm.body_start, body_line=f.fm.body_line,
    ), used_zone


def read_body(post: Post) -> str:
    """The post's body again, from disk (only posts a feed carries get here)."""
    text = read_source(Path(post.file), 1 << 62).text or ""
    return text[post.body_start:]


def site_zone(cfg: Config) -> ZoneInfo | timezone:
    return ZoneInfo(cfg.timezone) if cfg.timezone and cfg.timezone.upper() != "UTC" else timezone.utc


def build_time() -> datetime:
    """'Now' for excluding future posts; SOURCE_DATE_EPOCH makes it reproducible."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    return datetime.fromtimestamp(int(epoch), timezone.utc) if epoch.isdigit() else datetime.now(timezone.utc)


def finish_reading(cfg: Config, results: list[tuple[Post | None, list[Problem], bool]], now: datetime
                   ) -> tuple[list[Post], list[Problem]]:
    """Posts from read results: future posts dropped (unless configured), one warning for dates that
    took UTC. Kept apart from read_post so that its results do not depend on the clock (cacheable)."""
    posts, problems, naive = [], [], 0
    for post, found, used_zone in results:
        problems += found
        if post is not None and (cfg.future or post.date <= now):
            posts.append(post)
            naive += used_zone
    if naive and not cfg.timezone:
        problems.append(Problem(cfg.file, None, f"timezone: not set; {naive} post(s) have dates without "
                                "an offset and were read as UTC; set timezone: (e.g. Asia/Shanghai)", WARNING))
    return posts, problems


def check_ids(posts: list[Post]) -> list[Problem]:
    """Entry ids must be unique in a build, or readers merge two posts into one."""
    first: dict[str, Post] = {}
    problems = []
    for post in posts:
        other = first.setdefault(post.id, post)
        if other is not post:
            problems.append(Problem(post.path, None, f"entry id {post.id} is also the id of {other.path}; give "
                                    "one of them its own permalink: or id:"))
    return problems
