"""The site as a template sees it: ``_config.yml``, ``_includes``, ``_data`` and the posts list,
read once per build into a ``LiquidSite`` whose hashes key the render cache of Liquid posts."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..config import Config
from ..errors import WARNING, Problem, display_path
from ..posts import LIQUID_POSTS, LIQUID_TIME, NAMES_TIME, Post, build_time, site_zone
from ..yamlload import YamlProblem, load_text_yaml
from .collections import read_collections

_DATA_SUFFIXES = (".yml", ".yaml", ".json", ".csv", ".tsv")
_POSTS_WORDS = re.compile(r"post_url|{%-?\s*link\s|site\.(?:posts|categories|tags)")


@dataclass(frozen=True)
class LiquidSite:
    """What a template can see of the site, read once per build (frozen: it travels to workers)."""

    root: str  # the site folder
    config: str  # JSON: site.* besides data and posts
    includes: tuple[tuple[str, str], ...]  # name under _includes -> text
    data: str  # JSON: site.data
    posts: str  # JSON: site.posts, newest first (url, title, date, id, categories, tags, path)
    inputs: str  # hash of config, includes and data
    posts_key: str  # hash of the posts list
    time: str = ""  # site.time: the build's time (ISO 8601, in the site's zone)
    includes_name_posts: bool = False  # an include names other posts (post_url, link, site.posts)
    includes_name_time: bool = False  # an include names the build's time (site.time, "now")

    def key(self, post: Post) -> str:
        """What the post's rendering depends on besides its own bytes: "" for a Liquid-free post.
        The build's time only for a template that names site.time (Jekyll renders it anew)."""
        if not post.liquid:
            return ""
        uses_posts = post.liquid & LIQUID_POSTS or self.includes_name_posts
        uses_time = post.liquid & LIQUID_TIME or self.includes_name_time
        return self.inputs + (self.posts_key if uses_posts else "") + (self.time if uses_time else "")


def load_site(cfg: Config, posts: Iterable[Post]) -> tuple[LiquidSite, list[Problem]]:
    """The site's Liquid inputs: its config, ``_includes``, ``_data`` and the posts."""
    root = cfg.sources[0] if cfg.sources else cfg.root
    problems: list[Problem] = []
    includes = tuple(sorted(_read_includes(root / "_includes", problems)))
    data = json.dumps(_read_data(root / "_data", problems), sort_keys=True, default=str)
    config = json.dumps(_site_vars(cfg, root), sort_keys=True, default=str)
    listed = json.dumps([_post_vars(p, cfg.site.url) for p in sorted(posts, key=lambda p: (p.date, p.path),
                                                                      reverse=True)], default=str)
    inputs = _hash(config, *(f"{n}\0{t}" for n, t in includes), data)
    return LiquidSite(str(root), config, includes, data, listed, inputs, _hash(listed),
                      build_time().astimezone(site_zone(cfg)).isoformat(),
                      any(_POSTS_WORDS.search(text) for _, text in includes),
                      any(NAMES_TIME.search(text) for _, text in includes)), problems


def _hash(*parts: str) -> str:
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        h.update(part.encode("utf-8", "surrogateescape") + b"\0")
    return h.hexdigest()


def _read_includes(folder: Path, problems: list[Problem]) -> Iterable[tuple[str, str]]:
    if not folder.is_dir():
        return
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            try:
                yield path.relative_to(folder).as_posix(), path.read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError) as exc:
                problems.append(Problem(display_path(path), None, f"cannot read this include ({exc}); "
                                        "posts that include it render without it; fix or delete it", WARNING))


def _read_data(folder: Path, problems: list[Problem]) -> dict[str, Any]:
    """``_data`` as Jekyll reads it: site.data.<file stem>, site.data.<folder>.<stem> for sub-folders."""
    found: dict[str, Any] = {}
    if not folder.is_dir():
        return found
    for path in sorted(folder.iterdir()):
        if path.is_dir():
            found[path.name] = _read_data(path, problems)
        elif path.suffix.lower() in _DATA_SUFFIXES:
            try:
                found[path.stem] = _data_file(path)
            except (OSError, UnicodeDecodeError, ValueError, YamlProblem, csv.Error) as exc:
                message = exc.message if isinstance(exc, YamlProblem) else str(exc)
                problems.append(Problem(display_path(path), getattr(exc, "line", None), f"cannot read this data "
                                        f"file ({message}); site.data.{path.stem} is empty; fix it", WARNING))
    return found


def _data_file(path: Path) -> Any:
    text = path.read_text(encoding="utf-8-sig")
    suffix = path.suffix.lower()
    if suffix == ".json":
        return json.loads(text)
    if suffix in (".csv", ".tsv"):
        return list(csv.DictReader(io.StringIO(text), delimiter="," if suffix == ".csv" else "\t"))
    return load_text_yaml(text, typed=True)  # as Jekyll reads data: false is false, 40 a number


def _site_vars(cfg: Config, root: Path) -> dict[str, Any]:
    """site.*: the raw _config.yml keys, then what feeds made of them (url and baseurl as Jekyll
    splits them: site.url has no path; site.baseurl is the path)."""
    found: dict[str, Any] = json.loads(cfg.jekyll_raw) if cfg.jekyll_raw else {}
    parts = urlsplit(cfg.site.url)
    found.update(url=f"{parts.scheme}://{parts.netloc}", baseurl=parts.path.rstrip("/"), title=cfg.site.title,
                 description=cfg.site.description)
    if cfg.site.language:
        found.setdefault("lang", cfg.site.language)
    found.update(read_collections(cfg, root, found))  # site.topics for collections: {topics: …}
    return found


def _post_vars(post: Post, site_url: str) -> dict[str, Any]:
    relative = post.url[len(site_url):] if post.url.startswith(site_url) else post.url
    entry_id = post.id[len(site_url):] if post.id.startswith(site_url) else post.id
    return {"url": relative, "title": post.title, "date": post.date.isoformat(), "id": entry_id,
            "categories": list(post.categories), "tags": list(post.tags), "path": post.path}

