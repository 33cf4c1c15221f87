"""config.yaml + command-line overrides -> a frozen, validated Config.

Every key, its type, its default and its meaning live in ``schema.SCHEMA``; this module reads
the raw mapping through that table and assembles the typed, frozen records the stages use.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import schema
from .errors import WARNING, ConfigError, Problem, display_path
from .schema import DEFAULT_PATHS, FORMATS, KEYS, PERMALINK_STYLES, SCALAR_SECTIONS
from .yamlload import YamlProblem, load_text_yaml

__all__ = ["DEFAULT_PATHS", "FORMATS", "PERMALINK_STYLES", "Author", "Site", "FeedsOptions", "ContentOptions",
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


@dataclass(frozen=True)
class FeedsOptions:
    formats: tuple[str, ...] = _default("feeds.formats")
    limit: int = _default("feeds.limit")
    site: bool = _default("feeds.site")
    categories: bool = _default("feeds.categories")
    tags: bool = _default("feeds.tags")
    entry_id: str = _default("feeds.entry_id")  # "jekyll": what jekyll-feed wrote; "url": the post's URL
    paths: tuple[tuple[str, str], ...] = tuple(DEFAULT_PATHS.items())

    def path(self, key: str) -> str:
        return dict(self.paths)[key]


@dataclass(frozen=True)
class ContentOptions:
    sanitize: bool = _default("content.sanitize")
    allow_tags: tuple[str, ...] = _default("content.allow_tags")
    allow_attributes: tuple[str, ...] = _default("content.allow_attributes")
    max_file_bytes: int = _default("content.max_file_bytes")


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
    file: str = "config.yaml"  # the config file, as messages name it
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
        if depth + 1 < len(parts) and section in SCALAR_SECTIONS and not isinstance(node, (dict, list)):
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
        elif dotted not in SCALAR_SECTIONS or isinstance(value, list):
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
        content = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError([Problem(where, None, "config file not found; create it or pass --config PATH")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([Problem(where, None, f"cannot read the config file: {exc}")]) from None
    try:
        raw = load_text_yaml(content)
    except YamlProblem as exc:
        raise ConfigError([Problem(where, exc.line, exc.message)]) from None
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError([Problem(where, 1, "the config must be a mapping of keys (site:, feeds:, ...)")])
    return raw


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


def _assemble(v: dict[str, Any], root: Path, where: str, warnings: tuple[Problem, ...]) -> Config:
    """The typed records from the schema's values (``v``: dotted key -> value)."""
    site = Site(v["site.url"], v["site.title"], v["site.description"], v["site.language"],
                Author(v["site.author.name"], v["site.author.email"]))
    feeds = FeedsOptions(v["feeds.formats"], v["feeds.limit"], v["feeds.site"], v["feeds.categories"],
                         v["feeds.tags"], v["feeds.entry_id"],
                         tuple((name, v[f"feeds.paths.{name}"]) for name in DEFAULT_PATHS))
    content = ContentOptions(v["content.sanitize"], v["content.allow_tags"], v["content.allow_attributes"],
                             v["content.max_file_bytes"])
    return Config(
        site=site, root=root, sources=tuple(root / s for s in v["source"] or (".",)), posts=v["posts"],
        output=root / v["output"], timezone=v["timezone"], permalink=v["permalink"], feeds=feeds,
        content=content, cache=root / v["cache.path"] if v["cache.path"] else None,
        drafts=v["build.drafts"], future=v["build.future"], jobs=v["build.jobs"], file=where, warnings=warnings)


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
    tree = schema.sections()
    for key in _unknown_keys(raw, tree):
        r.fail(key, "unknown key, ignored; check its spelling against the README", WARNING)
    for key, value in _not_sections(raw, tree):
        r.fail(key, f"expected a section of keys indented under '{key.rsplit('.', 1)[-1]}:', got {value!r}")
    values = {name: r.value(name) for name in KEYS}
    if not values["site.url"] and not any(p.message.startswith("site.url:") for p in r.problems):
        r.fail("site.url", "missing; set it to the site's address, e.g. https://example.com")
    cfg = _assemble(values, path.resolve().parent, where, tuple(p for p in r.problems if not p.is_error))
    for key, message in _path_clashes(cfg.feeds):
        r.fail(f"feeds.paths.{key}", message)
    errors = [p for p in r.problems if p.is_error] + _check_folders(cfg, where)
    if errors:
        raise ConfigError(errors + list(cfg.warnings))
    return cfg


def default_jobs(cfg: Config) -> int:
    return cfg.jobs or max(1, min(os.cpu_count() or 1, 8))
