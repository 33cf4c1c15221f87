"""config.yaml + command-line overrides -> a frozen, validated Config.

Every key, its type, its default and its meaning live in ``schema.SCHEMA``; this module reads
the raw mapping through that table and assembles the typed, frozen records the stages use.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from . import jekyll_config, schema
from .errors import WARNING, ConfigError, Problem, display_path
from .schema import (
    DEFAULT_CACHE,
    DEFAULT_PATHS,
    FORMATS,
    KEYS,
    MAX_JOBS,
    MAX_NAMES_PER_POST,
    PAGES,
    PERMALINK_STYLES,
    SCALAR_SECTIONS,
)
from .yamlload import YamlProblem, load_text_yaml

__all__ = ["DEFAULT_CACHE", "DEFAULT_PATHS", "FORMATS", "MAX_JOBS", "MAX_NAMES_PER_POST", "PERMALINK_STYLES",
           "Author", "Site", "FeedsOptions", "ContentOptions",
           "Config", "load_config", "default_jobs"]


def _default(name: str) -> Any:
    return KEYS[name].default


@dataclass(frozen=True)
class Author:
    name: str = ""
    email: str = ""


@dataclass(frozen=True)
class Site:
    url: str  # absolute http(s), no trailing slash
    title: str = _default("site.title")
    description: str = _default("site.description")
    language: str = _default("site.language")
    author: Author = Author()
    icon: str = _default("site.icon")  # as written: a path on the site or a URL (text.site_url_of)
    logo: str = _default("site.logo")


@dataclass(frozen=True)
class FeedsOptions:
    formats: tuple[str, ...] = _default("feeds.formats")
    limit: int = _default("feeds.limit")
    site: bool = _default("feeds.site")
    categories: bool = _default("feeds.categories")
    tags: bool = _default("feeds.tags")
    entry_id: str = _default("feeds.entry_id")  # "jekyll": what jekyll-feed wrote; "url": the post's URL
    paths: tuple[tuple[str, str], ...] = tuple(DEFAULT_PATHS.items())
    content: str = _default("feeds.content")  # "full" or "excerpt"
    tags_only: tuple[str, ...] = _default("feeds.tags_only")
    tags_except: tuple[str, ...] = _default("feeds.tags_except")
    jekyll_categories: tuple[str, ...] = _default("jekyll_feed.categories")
    jekyll_tags: bool = _default("jekyll_feed.tags")
    jekyll_tags_path: str = _default("jekyll_feed.tags_path")
    stylesheet: str = _default("feeds.stylesheet")
    first_image: bool = _default("feeds.first_image")
    max_bytes: int = _default("feeds.max_bytes")
    hubs: tuple[str, ...] = _default("feeds.websub.hub")  # WebSub: rel="hub" in every feed, `feeds ping`

    @property
    def excerpt_only(self) -> bool:
        """Entries carry the summary, not the content: `feeds.content: excerpt` or `feeds.excerpt_only`."""
        return self.content == "excerpt"

    def path(self, key: str) -> str:
        return dict(self.paths).get(key) or DEFAULT_PATHS[key]  # a key added later has its default


@dataclass(frozen=True)
class ContentOptions:
    sanitize: bool = _default("content.sanitize")
    allow_tags: tuple[str, ...] = _default("content.allow_tags")
    allow_attributes: tuple[str, ...] = _default("content.allow_attributes")
    max_file_bytes: int = _default("content.max_file_bytes")
    excerpt_separator: str = _default("content.excerpt_separator")
    max_names_per_post: int = _default("content.max_names_per_post")
    max_entry_bytes: int = _default("content.max_entry_bytes")  # one entry's HTML; over it: summary and link
    auto_ids: bool = _default("content.markdown.auto_ids")
    typographic: bool = _default("content.markdown.typographic")


@dataclass(frozen=True)
class Config:
    site: Site
    root: Path  # the folder of config.yaml: relative paths start here
    sources: tuple[Path, ...] = ()
    posts: tuple[str, ...] = _default("posts")  # extra glob patterns, relative to each source
    output: Path = Path(_default("output"))
    timezone: str = _default("timezone")  # "" means UTC, with a warning when a post needs it
    permalink: str = _default("permalink")
    feeds: FeedsOptions = FeedsOptions()
    content: ContentOptions = ContentOptions()
    cache: Path | None = None
    drafts: bool = _default("build.drafts")
    future: bool = _default("build.future")
    jobs: int = _default("build.jobs")  # 0: one per core
    unpublished: bool = _default("build.unpublished")
    exclude: tuple[str, ...] = _default("exclude")
    defaults: tuple[tuple[str, str, str], ...] = _default("defaults")  # (path, type, values JSON)
    jekyll_site: bool = False  # a Jekyll _config.yml was read: dates and titles as Jekyll makes them
    authors: tuple[tuple[str, str, str], ...] = ()  # _data/authors.yml: (key, name, email)
    jekyll_raw: str = ""  # the site's _config.yml mapping as JSON (frozen): site.* in Liquid templates
    file: str = "config.yaml"  # the config file, as messages name it
    read: tuple[str, ...] = field(default=(), compare=False)  # every config file read, in order
    warnings: tuple[Problem, ...] = field(default=(), compare=False)


class _Reader:
    """Reads every key of the schema out of the raw mapping, collecting a Problem per bad key."""

    def __init__(self, raw: dict[str, Any], where: str):
        self.raw, self.where = raw, where
        self.problems: list[Problem] = []

    def fail(self, key: str, message: str, level: str = "error") -> None:
        self.problems.append(Problem(self.where, None, f"{key}: {message}", level))

    def value(self, name: str) -> Any:
        """The key's typed value, or its default when it is absent (or wrong: then a problem)."""
        key, node = KEYS[name], _lookup(self.raw, name)
        if node is _MISSING or (node is None and not key.nullable):
            return key.default
        try:
            return key.convert(node)
        except (TypeError, ValueError) as exc:
            self.fail(name, f"expected {key.expect}, got {node!r}{f' ({exc})' if str(exc) else ''}")
            return key.default


_MISSING = object()


def _lookup(raw: dict[str, Any], dotted: str) -> Any:
    """The raw value at a dotted key (_MISSING when absent); a scalar section (`cache: false`)
    stands for its main key."""
    node: Any = raw
    parts = dotted.split(".")
    for depth, part in enumerate(parts):
        if not isinstance(node, dict) or part not in node:
            return _MISSING
        node = node[part]
        section = ".".join(parts[:depth + 1])
        if depth + 1 < len(parts) and section in SCALAR_SECTIONS and not isinstance(node, dict):
            return node if SCALAR_SECTIONS[section] == dotted else _MISSING
    return node


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


def _not_sections(raw: Any, known: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """Keys that hold a section of keys but were given a scalar or a list (``feeds: 5``)."""
    if not isinstance(raw, dict):
        return []
    found = []
    for key, spec in known.items():
        value, dotted = raw.get(key), f"{prefix}{key}"
        if not isinstance(spec, dict) or value is None:
            continue
        if isinstance(value, dict):
            found += _not_sections(value, spec, f"{dotted}.")
        elif dotted not in SCALAR_SECTIONS:
            found.append((dotted, value))
    return found


def _set(raw: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    for part in parents:
        if not isinstance(raw.get(part), dict):
            raw[part] = {}
        raw = raw[part]
    raw[last] = value


def _read_file(path: Path, jekyll: bool = False) -> dict[str, Any]:
    """One config file's mapping. In a Jekyll file a repeated key is no error: as in Ruby's YAML,
    hence in Jekyll, the last one wins."""
    where = display_path(path)
    try:
        content = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError([Problem(where, None, "config file not found; create it or pass --config PATH")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([Problem(where, None, f"cannot read the config file: {exc}")]) from None
    try:
        raw = load_text_yaml(content, [] if jekyll else None)
    except YamlProblem as exc:
        raise ConfigError([Problem(where, exc.line, exc.message)]) from None
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError([Problem(where, 1, "the config must be a mapping of keys (site:, feeds:, ...)")])
    return raw


def _path_clashes(feeds: FeedsOptions) -> list[tuple[str, str]]:
    """Patterns that would make two feeds share a file: no {slug} in a per-name pattern, or a repeat."""
    used = [(k, p) for k, p in feeds.paths if k in PAGES or k.rsplit("_", 1)[1] in feeds.formats]
    found = [(k, "has no {slug}, so every feed of its kind would be the same file; e.g. feed/{slug}.xml")
             for k, p in used if k.startswith(("category_", "tag_")) and "{slug}" not in p]
    first: dict[str, str] = {}
    for key, pattern in used:
        if first.setdefault(pattern, key) != key:
            found.append((key, f"is the same path as feeds.paths.{first[pattern]} ({pattern}); give each its own"))
    return found


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


def _assemble(v: dict[str, Any], root: Path, where: str, warnings: tuple[Problem, ...],
              read: tuple[str, ...] = ()) -> Config:
    """The typed records from the schema's values (``v``: dotted key -> value)."""
    site = Site(v["site.url"], v["site.title"], v["site.description"], v["site.language"],
                Author(v["site.author.name"], v["site.author.email"]), v["site.icon"], v["site.logo"])
    feeds = FeedsOptions(v["feeds.formats"], v["feeds.limit"], v["feeds.site"], v["feeds.categories"],
                         v["feeds.tags"], v["feeds.entry_id"],
                         tuple((name, v[f"feeds.paths.{name}"]) for name in DEFAULT_PATHS),
                         "excerpt" if v["feeds.excerpt_only"] else v["feeds.content"],  # one setting, two names
                         v["feeds.tags_only"], v["feeds.tags_except"],
                         v["jekyll_feed.categories"], v["jekyll_feed.tags"], v["jekyll_feed.tags_path"],
                         v["feeds.stylesheet"], v["feeds.first_image"], v["feeds.max_bytes"],
                         v["feeds.websub.hub"])
    content = ContentOptions(v["content.sanitize"], v["content.allow_tags"], v["content.allow_attributes"],
                             v["content.max_file_bytes"], v["content.excerpt_separator"],
                             v["content.max_names_per_post"], v["content.max_entry_bytes"],
                             v["content.markdown.auto_ids"], v["content.markdown.typographic"])
    return Config(
        site=site, root=root, sources=tuple(root / s for s in v["source"] or (".",)), posts=v["posts"],
        output=root / v["output"], timezone=v["timezone"], permalink=v["permalink"], feeds=feeds,
        content=content, cache=root / v["cache.path"] if v["cache.path"] else None,
        drafts=v["build.drafts"], future=v["build.future"], jobs=v["build.jobs"], file=where, warnings=warnings,
        unpublished=v["build.unpublished"], exclude=v["exclude"], defaults=v["defaults"], read=read)


def is_jekyll_file(path: Path) -> bool:
    """Jekyll's own config files are named _config*.yml (or .yaml, .toml aside)."""
    return path.name.startswith("_config") and path.suffix in (".yml", ".yaml")


def config_files(spec: str | Path | None) -> list[Path]:
    """The files to read: ``--config a.yml,b.yml`` (Jekyll's comma form), or, when none is given,
    ./config.yaml if it exists, else the Jekyll site's own ./_config.yml."""
    if spec is not None:
        return [Path(part.strip()) for part in str(spec).split(",") if part.strip()] or [Path("config.yaml")]
    for name in ("config.yaml", "_config.yml", "_config.yaml"):
        if Path(name).is_file():
            return [Path(name)]
    raise ConfigError([Problem("", None, "no config.yaml or _config.yml in this folder; run feeds in a Jekyll "
                                         "site's folder, or pass --config PATH")])


def _site_config(raw: dict[str, Any], root: Path, overrides: dict[str, Any]) -> list[Path]:
    """A Jekyll site's _config.yml in the (first) source folder, read under our own config."""
    source = overrides.get("source") or raw.get("source") or "."
    first = source[0] if isinstance(source, list) and source else source
    if not isinstance(first, str):
        return []
    folder = root / first
    return [p for p in (folder / "_config.yml", folder / "_config.yaml") if p.is_file()][:1]


def _site_extras(folder: Path, raw: dict[str, Any]) -> tuple[tuple[str, str, str], ...]:
    """What a Jekyll site folder says besides its config: a stylesheet for feeds (jekyll-feed links
    ``/feed.xslt.xml`` when the file exists) and the authors of ``_data/authors.yml``."""
    if (folder / "feed.xslt.xml").is_file():
        feeds = raw.setdefault("feeds", {})
        if isinstance(feeds, dict):
            feeds.setdefault("stylesheet", "/feed.xslt.xml")
    data = folder / "_data" / "authors.yml"
    if not data.is_file():
        return ()
    try:
        people = load_text_yaml(data.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, YamlProblem):
        return ()  # Jekyll would stop on it; the feeds only lose the authors' full names
    if not isinstance(people, dict):
        return ()
    return tuple((str(key), str(value.get("name") or key), str(value.get("email") or ""))
                 for key, value in people.items() if isinstance(value, dict))


def _layers(files: list[Path], overrides: dict[str, Any]
            ) -> tuple[dict[str, Any], list[str], list[Problem], Path, tuple[tuple[str, str, str], ...] | None, str]:
    """Every file's settings merged in order (Jekyll's files translated to our keys first, ours on top)."""
    ours = [f for f in files if not is_jekyll_file(f)]
    theirs = [f for f in files if is_jekyll_file(f)]
    raw: dict[str, Any] = {}
    for file in ours:
        raw = jekyll_config.merge(raw, _read_file(file))
    root = (ours[-1] if ours else theirs[0]).resolve().parent
    if ours and not theirs:
        theirs = _site_config(raw, root, overrides)
    site: dict[str, Any] = {}
    for file in theirs:  # merged first, translated once: url in one file, baseurl in another
        site = jekyll_config.merge(site, _read_file(file, jekyll=True))
    jekyll_raw, problems = jekyll_config.translate(site, display_path(theirs[-1])) if theirs else ({}, [])
    authors = _site_extras(theirs[0].resolve().parent, jekyll_raw) if theirs else None
    read = [display_path(f) for f in theirs + ours]
    site_json = json.dumps(site, sort_keys=True, default=str, ensure_ascii=False) if theirs else ""
    return jekyll_config.merge(jekyll_raw, raw), read, problems, root, authors, site_json


def load_config(path: str | Path | None = None, overrides: dict[str, Any] | None = None) -> Config:
    """Read the config file(s), apply command-line overrides (dotted keys), validate everything.

    ``path``: config.yaml, a Jekyll _config.yml, or several, comma-separated (later ones win);
    None: ./config.yaml, else ./_config.yml. Our own config.yaml is read on top of the site's
    _config.yml (found in its source folder). Raises ConfigError listing every problem; warnings
    ride along in ``Config.warnings``.
    """
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    files = config_files(path)
    raw, read, jekyll_problems, root, authors, site_json = _layers(files, overrides)
    for key, value in overrides.items():
        _set(raw, key, value)
    main = next((f for f in reversed(files) if not is_jekyll_file(f)), files[0])
    where = display_path(main)
    r = _Reader(raw, where)
    r.problems += jekyll_problems
    tree = schema.sections()
    for key in _unknown_keys(raw, tree):
        r.fail(key, "unknown key, ignored; check its spelling against the README", WARNING)
    for key, value in _not_sections(raw, tree):
        r.fail(key, f"expected a section of keys indented under '{key.rsplit('.', 1)[-1]}:', got {value!r}")
    values = {name: r.value(name) for name in KEYS}
    if not values["site.url"] and not any(p.message.startswith("site.url:") for p in r.problems):
        hint = "url: (and baseurl:) in _config.yml" if is_jekyll_file(main) else "it"
        r.fail("site.url", f"missing; set {hint} to the site's address, e.g. https://example.com")
    cfg = _assemble(values, root, where, tuple(p for p in r.problems if not p.is_error), tuple(read))
    if authors is not None:
        cfg = replace(cfg, jekyll_site=True, authors=authors, jekyll_raw=site_json)
    for key, message in _path_clashes(cfg.feeds):
        r.fail(f"feeds.paths.{key}", message)
    errors = [p for p in r.problems if p.is_error] + _check_folders(cfg, where)
    if errors:
        raise ConfigError(errors + list(cfg.warnings))
    return cfg


def default_jobs(cfg: Config) -> int:
    return cfg.jobs or max(1, min(os.cpu_count() or 1, 8))
