"""A Jekyll site's own ``_config.yml`` -> the keys of our schema.

A site moving from jekyll-feed already says everything once: its URL and base path, title,
author, language, time zone, permalink style, front matter defaults, excluded files, and
jekyll-feed's ``feed:`` block. This module translates those settings into our keys (as a raw
mapping that ``config`` reads through the schema like any other), so nothing is typed twice.
Pure: a mapping in, a mapping and problems out.
"""
from __future__ import annotations

from typing import Any

from .errors import WARNING, Problem
from .schema import PERMALINK_STYLES, boolean

# Jekyll settings with no bearing on feeds: known, so they are not reported as unknown
_IGNORED = {
    "source", "destination", "collections_dir", "plugins_dir", "layouts_dir", "data_dir", "includes_dir",
    "collections", "safe", "keep_files", "encoding", "markdown_ext", "strict_front_matter", "show_dir_listing",
    "lsi", "limit_posts", "incremental", "profile", "port", "host", "baseurl", "livereload", "detach",
    "plugins", "gems", "whitelist", "markdown", "highlighter", "kramdown", "liquid", "sass", "rdiscount",
    "redcarpet", "theme", "paginate", "paginate_path", "exclude", "include", "defaults", "webrick",
    "quiet", "verbose", "disable_disk_cache", "cache_dir", "future", "unpublished", "show_drafts",
}


JEKYLL_FEED_LIMIT = 10  # jekyll-feed's posts_limit when the site sets none


def _url(data: dict[str, Any]) -> str | None:
    url, base = data.get("url"), data.get("baseurl")
    if url is None:
        return None
    text, base_text = str(url).strip().rstrip("/"), str(base or "").strip().strip("/")
    return f"{text}/{base_text}" if base_text else text


def _author(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: value[k] for k in ("name", "email") if value.get(k) is not None}
    return value


def _feed_block(feed: Any, where: str, problems: list[Problem]) -> dict[str, Any]:
    """jekyll-feed's ``feed:`` settings -> our ``feeds.*`` and ``jekyll_feed.*`` keys."""
    if feed is None:
        return {}
    if not isinstance(feed, dict):
        problems.append(Problem(where, None, f"feed: expected jekyll-feed's section of keys, got {feed!r}; "
                                "ignored", WARNING))
        return {}
    out: dict[str, Any] = {}
    if feed.get("path") is not None:
        out.setdefault("feeds", {}).setdefault("paths", {})["site_atom"] = feed["path"]
    if feed.get("posts_limit") is not None:
        out.setdefault("feeds", {})["limit"] = feed["posts_limit"]
    if feed.get("excerpt_only") is not None:
        out.setdefault("feeds", {}).update(_content(feed["excerpt_only"]))
    if feed.get("categories") is not None:
        out.setdefault("jekyll_feed", {})["categories"] = feed["categories"]
    if feed.get("hub") is not None:  # jekyll-feed PR #403's spelling (not in a release as of 0.17.0)
        out.setdefault("feeds", {})["websub"] = {"hub": feed["hub"]}
    for key in ("icon", "logo"):  # jekyll-feed's feed.icon / feed.logo: the site's images
        if feed.get(key) is not None:
            out.setdefault("site", {})[key] = feed[key]
    tags = feed.get("tags")
    if tags is not None and tags is not False and str(tags).lower() not in ("false", "no", "off"):
        section = out.setdefault("jekyll_feed", {})
        section["tags"] = True
        if isinstance(tags, dict):
            if tags.get("path") is not None:
                section["tags_path"] = tags["path"]
            for key in ("only", "except"):
                if tags.get(key) is not None:
                    out.setdefault("feeds", {})[f"tags_{key}"] = tags[key]
    for key in sorted(set(feed) - {"path", "posts_limit", "excerpt_only", "categories", "tags", "collections",
                                   "icon", "logo", "style", "disable_in_development", "hub"}):
        problems.append(Problem(where, None, f"feed.{key}: not a jekyll-feed setting feeds knows; ignored",
                                WARNING))
    return out


def _content(excerpt_only: Any) -> dict[str, Any]:
    """jekyll-feed's ``excerpt_only`` as our ``feeds.content``, so that config.yaml's own ``feeds.content``
    wins over it; a value that is not true or false stays ``excerpt_only``, for the schema to report."""
    try:
        return {"content": "excerpt" if boolean(excerpt_only) else "full"}
    except (TypeError, ValueError):
        return {"excerpt_only": excerpt_only}


_STRAIGHT = {"apos", "quot", "'", '"', "&#39;", "&quot;", "&#34;"}


def _kramdown(kramdown: Any) -> dict[str, Any]:
    """Jekyll's ``kramdown:`` settings that change what readers see: ``auto_ids``, and straight
    quotes (``smart_quotes: apos,apos,quot,quot``) or ``gfm_quirks: [no_auto_typographic]``, which
    turn the typographic punctuation off (ours goes as one: quotes, dashes and ellipses)."""
    if not isinstance(kramdown, dict):
        return {}
    out: dict[str, Any] = {}
    if kramdown.get("auto_ids") is not None:
        out["auto_ids"] = kramdown["auto_ids"]
    quotes = kramdown.get("smart_quotes")
    names = [q.strip() for q in (quotes.split(",") if isinstance(quotes, str) else quotes or [])]
    quirks = kramdown.get("gfm_quirks")
    quirks = quirks.split(",") if isinstance(quirks, str) else quirks or []
    if (names and all(str(n) in _STRAIGHT for n in names)) or "no_auto_typographic" in [str(q).strip() for q in quirks]:
        out["typographic"] = False
    return out


def _posts_permalink(data: dict[str, Any]) -> Any:
    """The posts' permalink: ``collections.posts.permalink`` wins over ``permalink``, as in Jekyll 4
    (Configuration#add_default_collections). Only the site-wide value is a style name; the
    collection's is a pattern even when it reads ``pretty`` (Jekyll serves every post at /pretty).
    A list of collection names carries no permalink."""
    collections = data.get("collections")
    posts = collections.get("posts") if isinstance(collections, dict) else None
    own = posts.get("permalink") if isinstance(posts, dict) else None
    if own is None:
        return data.get("permalink")
    return "/" + str(own) if str(own) in PERMALINK_STYLES else own


def translate(data: dict[str, Any], where: str) -> tuple[dict[str, Any], list[Problem]]:
    """A Jekyll ``_config.yml`` mapping -> (our raw config mapping, problems)."""
    problems: list[Problem] = []
    site: dict[str, Any] = {}
    url = _url(data)
    if url is not None:
        site["url"] = url
    for ours, theirs in (("title", "title"), ("description", "description"), ("language", "lang")):
        if data.get(theirs) is not None:
            site[ours] = data[theirs]
    if "title" not in site and data.get("name") is not None:
        site["title"] = data["name"]
    if data.get("author") is not None:
        site["author"] = _author(data["author"])
    raw: dict[str, Any] = {"site": site} if site else {}
    for ours, theirs in (("timezone", "timezone"), ("exclude", "exclude"), ("defaults", "defaults")):
        if data.get(theirs) is not None:
            raw[ours] = data[theirs]
    if _posts_permalink(data) is not None:
        raw["permalink"] = _posts_permalink(data)
    build = {ours: data[theirs] for ours, theirs in (("future", "future"), ("drafts", "show_drafts"),
                                                     ("unpublished", "unpublished"))
             if data.get(theirs) is not None}
    if build:
        raw["build"] = build
    if data.get("excerpt_separator") is not None:
        raw["content"] = {"excerpt_separator": data["excerpt_separator"]}
    markdown = _kramdown(data.get("kramdown"))
    if markdown:
        raw.setdefault("content", {})["markdown"] = markdown
    feeds = _feed_block(data.get("feed"), where, problems)
    for section, values in feeds.items():
        raw.setdefault(section, {}).update(values)
    # jekyll-feed's own default: a drop-in serves as many entries as the plugin did (config.yaml wins)
    raw.setdefault("feeds", {}).setdefault("limit", JEKYLL_FEED_LIMIT)
    return raw, problems


def merge(under: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``over`` on top of ``under``, section by section (Jekyll's deep merge of config files)."""
    merged = dict(under)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged
