"""``site.<collection>`` for a template: the documents of the site's own collections (``_topics/``
for ``collections: {topics: …}``), each its front matter plus the url Jekyll gives it.

Templates list them to write links (``{% for t in site.topics %}[{{ t.title }}]: {{ t.url }}``);
the documents themselves are not published by feeds."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ..config import Config
from ..errors import Problem
from ..jekyll import clean_path, escape_path, pretty_slug
from ..posts import split_front_matter, with_defaults

_DOCUMENT_SUFFIXES = (".md", ".markdown", ".html", ".htm", ".textile")
_PLACEHOLDER = re.compile(r":(collection|output_ext|path|name|title|slug|categories)")
MAX_DOCUMENTS = 20_000  # per collection: a template sees this many at most


def read_collections(cfg: Config, root: Path, config: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Every collection the site's config names (posts aside), as Jekyll lists its documents."""
    named = config.get("collections")
    if isinstance(named, list):
        named = {str(name): {} for name in named}
    if not isinstance(named, dict):
        return {}
    found: dict[str, list[dict[str, Any]]] = {}
    for name, meta in named.items():
        if name == "posts" or not isinstance(name, str) or "/" in name or name.startswith("."):
            continue
        found[name] = _documents(cfg, root, name, meta if isinstance(meta, dict) else {}, config)
    return found


def _default_permalink(config: dict[str, Any]) -> str:
    """Jekyll's Collection#url_template without a permalink of its own: /:collection/:path with the
    suffix the site's permalink style implies (Utils.add_permalink_suffix)."""
    style = str(config.get("permalink") or "date")
    if style == "pretty" or (style not in ("date", "ordinal", "none") and style.endswith("/")):
        return "/:collection/:path/"
    if style in ("date", "ordinal", "none") or style.endswith(":output_ext"):
        return "/:collection/:path:output_ext"
    return "/:collection/:path"


def _documents(cfg: Config, root: Path, name: str, meta: dict[str, Any], config: dict[str, Any]
               ) -> list[dict[str, Any]]:
    folder = root / f"_{name}"
    if not folder.is_dir():
        return []
    docs: list[dict[str, Any]] = []
    for path in sorted(folder.rglob("*")):
        if len(docs) >= MAX_DOCUMENTS:
            break
        if not path.is_file() or path.suffix.lower() not in _DOCUMENT_SUFFIXES:
            continue
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            continue
        problems: list[Problem] = []
        front, problems = split_front_matter(text, str(path))
        if front is None:
            continue
        relative = path.relative_to(root).as_posix()
        data = dict(with_defaults(dict(front.data), relative, cfg.defaults))
        within = path.relative_to(folder).with_suffix("").as_posix()
        pattern = str(data.get("permalink") or meta.get("permalink") or _default_permalink(config))
        data.update(url=_url(pattern, name, within, path.stem, data), relative_path=relative,
                    path=relative, collection=name)
        data.setdefault("slug", path.stem)
        data.setdefault("title", path.stem)
        data["id"] = data["url"].rstrip("/") or "/"
        docs.append(json.loads(json.dumps(data, default=str)))
    return docs


def _url(pattern: str, collection: str, within: str, stem: str, data: dict[str, Any]) -> str:
    """Jekyll's Document#url for a collection document's placeholders."""
    slug_text = str(data.get("slug") or stem)
    values = {"collection": collection, "path": within, "name": pretty_slug(stem).lower(),
              "title": pretty_slug(slug_text), "slug": pretty_slug(slug_text).lower(), "output_ext": ".html",
              "categories": ""}
    url = _PLACEHOLDER.sub(lambda m: values[m.group(1)], pattern)
    if url.endswith(".html") and pattern.endswith(":output_ext") and url.endswith("/index.html"):
        url = url[:-len("index.html")]
    return escape_path(clean_path(url))
