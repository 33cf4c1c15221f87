"""FeedSpec + rendered entries -> JSON Feed 1.1 bytes (https://jsonfeed.org/version/1.1).

Same input, same bytes: keys in a fixed order (the spec's), no ASCII escaping, fixed separators
and indent, one newline at the end. Dates are RFC 3339 with the post's own offset, to the second.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from .config import Config
from .feedspec import FeedFile, FeedSpec, FrameInputs
from .images import entry_image, site_images
from .posts import Post
from .render import Rendered

VERSION = "https://jsonfeed.org/version/1.1"


def _date(when: datetime) -> str:
    return when.replace(microsecond=0).isoformat()


def json_bytes(cfg: Config, spec: FeedSpec, rendered: Mapping[str, Rendered], file: FeedFile,
               memo: dict[str, Any]) -> bytes:
    feed = _feed(cfg, spec, file)
    feed["items"] = [_item(post, rendered[post.id], entry_image(cfg, post, rendered[post.id]))
                     for post in spec.entries]
    return _dump(feed).encode("utf-8", "replace") + b"\n"  # a lone surrogate (YAML "\\ud800") becomes "?"


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=1, separators=(",", ": "))


def json_fragment(cfg: Config, post: Post, content: Rendered) -> bytes:
    """A post's item as it stands in every JSON Feed that carries it: indented two levels, as
    ``json_bytes`` writes it inside ``"items"``, without the comma between items."""
    text = _dump(_item(post, content, entry_image(cfg, post, content)))
    return ("  " + text.replace("\n", "\n  ")).encode("utf-8", "replace")  # JSON text holds no raw newline


def json_frame(frame: FrameInputs) -> tuple[bytes, bytes, bytes]:
    """(head, separator, tail) of a JSON Feed carrying ``frame.kept`` (no date, no namespace: the
    rest of ``frame`` shapes no byte of it)."""
    feed = _feed(frame.cfg, frame.spec, frame.file)
    feed["items"] = []
    head = _dump(feed).encode("utf-8", "replace")[:-len(b"]\n}")]  # ends with '"items": ['
    if not frame.kept:
        return head, b"", b"]\n}\n"
    return head + b"\n", b",\n", b"\n ]\n}\n"


def _feed(cfg: Config, spec: FeedSpec, file: FeedFile) -> dict[str, Any]:
    site = cfg.site
    feed: dict[str, Any] = {"version": VERSION, "title": spec.title, "home_page_url": site.url + "/",
                            "feed_url": file.url}
    if site.description:
        feed["description"] = site.description
    feed.update(_site_images(cfg))
    feed["authors"] = [{"name": site.author.name or site.title or site.url.split("//", 1)[1]}]
    if site.language:
        feed["language"] = site.language
    if cfg.feeds.hubs:  # WebSub, where the spec puts it: after language, before items
        feed["hubs"] = [{"type": "WebSub", "url": hub} for hub in cfg.feeds.hubs]
    return feed


def _site_images(cfg: Config) -> dict[str, str]:
    """JSON Feed's icon is the large one (512x512): the logo; favicon the small one: the icon."""
    icon, logo = site_images(cfg)
    return {**({"icon": logo} if logo else {}), **({"favicon": icon} if icon else {})}


def _item(post: Post, content: Rendered, image: str) -> dict[str, Any]:
    item: dict[str, Any] = {"id": post.id, "url": post.url, "title": post.title}
    if post.excerpt_only:  # jekyll-feed's excerpt_only: the summary, no content
        item["content_text"] = content.summary
    else:
        item["content_html"] = content.content
    if content.summary:
        item["summary"] = content.summary
    if image:
        item["image"] = image
    item["date_published"] = _date(post.date)
    item["date_modified"] = _date(post.updated)
    if post.author:
        item["authors"] = [{"name": post.author}]
    names = list(dict.fromkeys((*post.categories, *post.tags)))
    if names:
        item["tags"] = names
    return item
