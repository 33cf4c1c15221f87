"""config.yaml + command-line overrides -> a frozen, validated Config. Every default lives here."""
from __future__ import annotations

import os
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .errors import WARNING, ConfigError, Problem, display_path
from .yamlload import YamlProblem, load_text_yaml

FORMATS = ("atom", "rss")
DEFAULT_PATHS = {
    "site_atom": "feed.xml",
    "site_rss": "feed.rss",
    "category_atom": "feed/{slug}.xml",
    "category_rss": "feed/{slug}.rss",
    "tag_atom": "feed/by_tag/{slug}.xml",
    "tag_rss": "feed/by_tag/{slug}.rss",
    "opml": "feeds.opml",
}
PERMALINK_STYLES = {
    "date": "/:categories/:year/:month/:day/:title:output_ext",
    "pretty": "/:categories/:year/:month/:day/:title/",
    "ordinal": "/:categories/:year/:y_day/:title:output_ext",
    "weekdate": "/:categories/:year/W:week/:short_day/:title:output_ext",
    "none": "/:categories/:title:output_ext",
}
TRUE, FALSE = {"true", "yes", "on", "1"}, {"false", "no", "off", "0"}


@dataclass(frozen=True)
class Author:
    name: str = ""
    email: str = ""


@dataclass(frozen=True)
class Site:
    url: str  # absolute http(s), no trailing slash
    title: str = ""
    description: str = ""
    language: str = ""
    author: Author = Author()


@dataclass(frozen=True)
class FeedsOptions:
    formats: tuple[str, ...] = FORMATS
    limit: int = 20
    site: bool = True
    categories: bool = True
    tags: bool = True
    entry_id: str = "jekyll"  # "jekyll": what jekyll-feed wrote; "url": the post's URL
    paths: tuple[tuple[str, str], ...] = tuple(DEFAULT_PATHS.items())

    def path(self, key: str) -> str:
        return dict(self.paths)[key]


@dataclass(frozen=True)
class ContentOptions:
    sanitize: bool = True
    allow_tags: tuple[str, ...] = ()
    allow_attributes: tuple[str, ...] = ()
    max_file_bytes: int = 4 * 1024 * 1024
    max_entry_bytes: int = 1024 * 1024  # one entry's HTML in a feed; over it: summary and link


@dataclass(frozen=True)
class Config:
    site: Site
    root: Path  # the folder of config.yaml: relative paths start here
    sources: tuple[Path, ...] = ()
    posts: tuple[str, ...] = ()  # extra glob patterns, relative to each source
    output: Path = Path("public")
    timezone: str = ""  # "" means UTC, with a warning when a post needs it
    permalink: str = PERMALINK_STYLES["date"]
    feeds: FeedsOptions = FeedsOptions()
    content: ContentOptions = ContentOptions()
    cache: Path | None = None
    drafts: bool = False
    future: bool = False
    jobs: int = 0  # 0: one per core
    file: str = "config.yaml"  # the config file, as messages name it
    warnings: tuple[Problem, ...] = field(default=(), compare=False)


class _Reader:
    """Reads typed values out of the raw mapping, collecting a Problem per bad key."""

    def __init__(self, raw: dict[str, Any], where: str):
        self.raw, self.where, self.problems = raw, where, []  # type: ignore[var-annotated]

    def fail(self, key: str, message: str, level: str = "error") -> None:
        self.problems.append(Problem(self.where, None, f"{key}: {message}", level))

    def get(self, key: str, default: Any, convert: Callable[[Any], Any], expect: str) -> Any:
        node: Any = self.raw
        for part in key.split("."):
            if not isinstance(node, dict) or node.get(part) is None:
                return default
            node = node[part]
        try:
            return convert(node)
        except (TypeError, ValueError) as exc:
            self.fail(key, f"expected {expect}, got {node!r}{f' ({exc})' if str(exc) else ''}")
            return default


def _text(value: Any) -> str:
    if isinstance(value, (dict, list)):
        raise TypeError("")
    return str(value).strip()


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if text in TRUE | FALSE:
        return text in TRUE
    raise ValueError("")


def _count(value: Any) -> int:
    number = int(_text(value))
    if number < 0:
        raise ValueError("it cannot be negative")
    return number


def _text_list(value: Any) -> tuple[str, ...]:
    items = value.split() if isinstance(value, str) else value
    if not isinstance(items, list) or any(isinstance(v, (dict, list)) for v in items):
        raise TypeError("")
    return tuple(str(v).strip() for v in items if v is not None and str(v).strip())


def _globs(value: Any) -> tuple[str, ...]:
    patterns = _path_list(value)
    for pattern in patterns:
        parts = pattern.replace("\\", "/").split("/")
        if pattern.startswith("/") or ".." in parts or any("**" in p and p != "**" for p in parts):
            raise ValueError(f"'{pattern}' is not a relative pattern inside the source folder")
    return patterns


def _path_list(value: Any) -> tuple[str, ...]:
    """One path, or a list of them; unlike names, a single path is never split at its spaces."""
    return _text_list([value] if isinstance(value, str) else value)


KNOWN_KEYS: dict[str, Any] = {
    "site": {"title": 0, "url": 0, "description": 0, "language": 0, "author": {"name": 0, "email": 0}},
    "source": 0, "posts": 0, "output": 0, "timezone": 0, "permalink": 0,
    "feeds": {"formats": 0, "limit": 0, "site": 0, "categories": 0, "tags": 0, "entry_id": 0,
              "paths": dict.fromkeys(DEFAULT_PATHS, 0)},
    "content": {"sanitize": 0, "allow_tags": 0, "allow_attributes": 0, "max_file_bytes": 0, "max_entry_bytes": 0},
    "cache": {"path": 0},
    "build": {"drafts": 0, "future": 0, "jobs": 0},
}


def _unknown_keys(raw: Any, known: dict[str, Any], prefix: str = "") -> list[str]:
    if not isinstance(raw, dict):
        return []
    found = []
    for key, value in raw.items():
        if key not in known:
            found.append(f"{prefix}{key}")
        elif isinstance(known[key], dict):
            found += _unknown_keys(value, known[key], f"{prefix}{key}.")
    return found


SCALAR_SECTIONS = {"cache"}  # the cache section's own reader decides what a scalar means


def _not_sections(raw: Any, known: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """Keys that hold a section of keys but were given a scalar or a list (``feeds: 5``)."""
    if not isinstance(raw, dict):
        return []
    found = []
    for key, spec in known.items():
        value, dotted = raw.get(key), f"{prefix}{key}"
        if not isinstance(spec, dict) or value is None or dotted in SCALAR_SECTIONS:
            continue
        if isinstance(value, dict):
            found += _not_sections(value, spec, f"{dotted}.")
        elif not (dotted == "site.author" and isinstance(value, str)):  # author: Name is allowed
            found.append((dotted, value))
    return found


def _set(raw: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    for part in parents:
        if not isinstance(raw.get(part), dict):
            raw[part] = {}
        raw = raw[part]
    raw[last] = value


def _read_file(path: Path) -> dict[str, Any]:
    where = display_path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError([Problem(where, None, "config file not found; create it or pass --config PATH")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([Problem(where, None, f"cannot read the config file: {exc}")]) from None
    try:
        raw = load_text_yaml(text)
    except YamlProblem as exc:
        raise ConfigError([Problem(where, exc.line, exc.message)]) from None
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError([Problem(where, 1, "the config must be a mapping of keys (site:, feeds:, ...)")])
    return raw


MAX_TEXT_BYTES = 10_000_000  # libxml2 (and so most readers) refuse a longer text in a feed


def _entry_bytes(value: Any) -> int:
    number = _count(value)
    if not 1 <= number <= MAX_TEXT_BYTES:
        raise ValueError(f"between 1 and {MAX_TEXT_BYTES}: readers refuse a longer text")
    return number


def _site_url(value: Any) -> str:
    url = _text(value)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("an absolute http(s) URL such as https://example.com")
    if parts.query or parts.fragment:
        raise ValueError("no query or fragment")
    return url.rstrip("/")


def _timezone(value: Any) -> str:
    name = _text(value)
    if name and name.upper() != "UTC":
        try:
            zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a zone folder, "America"
            raise ValueError("") from None
    return name


def _formats(value: Any) -> tuple[str, ...]:
    names = tuple(n.lower() for n in _text_list(value))
    if not names or any(n not in FORMATS for n in names):
        raise ValueError(f"a list of {', '.join(FORMATS)}")
    return tuple(dict.fromkeys(names))


def _permalink(value: Any) -> str:
    text = _text(value)
    if text in PERMALINK_STYLES:
        return PERMALINK_STYLES[text]
    if not text.startswith("/"):
        raise ValueError("")
    return text


def _path_pattern(value: Any) -> str:
    text = _text(value).lstrip("/")
    if not text or ".." in text.split("/") or "\\" in text:
        raise ValueError("a path inside the output folder, such as feed/{slug}.xml")
    return text


def _path_clashes(feeds: FeedsOptions) -> list[tuple[str, str]]:
    """Patterns that would make two feeds share a file: no {slug} in a per-name pattern, or a repeat."""
    used = [(k, p) for k, p in feeds.paths if k == "opml" or k.rsplit("_", 1)[1] in feeds.formats]
    found = [(k, "has no {slug}, so every feed of its kind would be the same file; e.g. feed/{slug}.xml")
             for k, p in used if k.startswith(("category_", "tag_")) and "{slug}" not in p]
    first: dict[str, str] = {}
    for key, pattern in used:
        if first.setdefault(pattern, key) != key:
            found.append((key, f"is the same path as feeds.paths.{first[pattern]} ({pattern}); give each its own"))
    return found


def _entry_id(value: Any) -> str:
    text = _text(value).lower()
    if text not in ("jekyll", "url"):
        raise ValueError("jekyll or url")
    return text


def _check_folders(cfg: Config, where: str) -> list[Problem]:
    out = cfg.output.resolve()
    problems = []
    for source in cfg.sources:
        src = source.resolve()
        if out == src or src.is_relative_to(out):
            problems.append(Problem(where, None, f"output: {display_path(out)} is or contains the source "
                                    f"folder {display_path(src)}; choose a folder of its own, such as public"))
        elif not src.is_dir():
            problems.append(Problem(where, None, f"source: {display_path(src)} is not a folder"))
    return problems


def load_config(path: str | Path = "config.yaml", overrides: dict[str, Any] | None = None) -> Config:
    """Read config.yaml, apply command-line overrides (dotted keys), validate everything.

    Raises ConfigError listing every problem; warnings ride along in ``Config.warnings``.
    """
    path = Path(path)
    raw = _read_file(path)
    for key, value in (overrides or {}).items():
        if value is not None:
            _set(raw, key, value)
    where = display_path(path)
    r = _Reader(raw, where)
    for key in _unknown_keys(raw, KNOWN_KEYS):
        r.fail(key, "unknown key, ignored; check its spelling against the README", WARNING)
    for key, value in _not_sections(raw, KNOWN_KEYS):
        r.fail(key, f"expected a section of keys indented under '{key.rsplit('.', 1)[-1]}:', got {value!r}")
    root = path.resolve().parent
    url = r.get("site.url", "", _site_url, "an absolute http(s) URL")
    if "site.url" not in {p.message.split(":")[0] for p in r.problems} and not url:
        r.fail("site.url", "missing; set it to the site's address, e.g. https://example.com")
    author = Author(r.get("site.author.name", "", _text, "text"), r.get("site.author.email", "", _text, "text"))
    if isinstance(raw.get("site", {}), dict) and isinstance(raw.get("site", {}).get("author"), str):
        author = Author(raw["site"]["author"].strip())
    site = Site(url, r.get("site.title", "", _text, "text"), r.get("site.description", "", _text, "text"),
                r.get("site.language", "", _text, "text"), author)
    paths = tuple((k, r.get(f"feeds.paths.{k}", v, _path_pattern, "a relative path")) for k, v in DEFAULT_PATHS.items())
    feeds = FeedsOptions(
        r.get("feeds.formats", FORMATS, _formats, "a list"), r.get("feeds.limit", 20, _count, "a whole number >= 0"),
        r.get("feeds.site", True, _bool, "true or false"), r.get("feeds.categories", True, _bool, "true or false"),
        r.get("feeds.tags", True, _bool, "true or false"), r.get("feeds.entry_id", "jekyll", _entry_id, "text"), paths)
    for key, message in _path_clashes(feeds):
        r.fail(f"feeds.paths.{key}", message)
    content = ContentOptions(
        r.get("content.sanitize", True, _bool, "true or false"), r.get("content.allow_tags", (), _text_list, "a list"),
        r.get("content.allow_attributes", (), _text_list, "a list"),
        r.get("content.max_file_bytes", 4 * 1024 * 1024, _count, "a number of bytes"),
        r.get("content.max_entry_bytes", 1024 * 1024, _entry_bytes, "a number of bytes"))
    section = raw.get("cache", {})
    cache = section.get("path", ".feeds-cache") if isinstance(section, dict) else section  # `cache: false` too
    sources = r.get("source", (".",), _path_list, "a folder or a list of folders")
    cfg = Config(
        site=site, root=root, sources=tuple(root / s for s in sources or (".",)),
        posts=r.get("posts", (), _globs, "a list of glob patterns inside the source folder, e.g. content/**/*.md"),
        output=root / r.get("output", "public", _text, "a folder"),
        timezone=r.get("timezone", "", _timezone, "an IANA zone name such as Asia/Shanghai"),
        permalink=r.get("permalink", PERMALINK_STYLES["date"], _permalink,
                        f"one of {', '.join(PERMALINK_STYLES)} or a pattern starting with /"),
        feeds=feeds, content=content,
        cache=None if cache in (None, "", False, "false", "off") else root / str(cache),
        drafts=r.get("build.drafts", False, _bool, "true or false"),
        future=r.get("build.future", False, _bool, "true or false"),
        jobs=r.get("build.jobs", 0, _count, "a whole number >= 0"),
        file=where, warnings=tuple(p for p in r.problems if not p.is_error),
    )
    errors = [p for p in r.problems if p.is_error] + _check_folders(cfg, where)
    if errors:
        raise ConfigError(errors + list(cfg.warnings))
    return cfg


def default_jobs(cfg: Config) -> int:
    return cfg.jobs or max(1, min(os.cpu_count() or 1, 8))
