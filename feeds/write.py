"""FeedSpec + rendered entries -> RSS 2.0 / Atom 1.0 bytes (feedgen), and the OPML list.

Pure: bytes out, nothing written here (``output`` puts bytes on disk). feedgen's traps
(FIELD-NOTES) are handled here: every date set and aware, entries appended in our order, the
self link first and the site link last, type="html" content, dc:creator for author names,
no version in <generator> so an upgrade does not change every feed.
"""
from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any
from xml.etree import ElementTree as ET

from feedgen.feed import FeedGenerator
from lxml import etree  # type: ignore[import-untyped]

from .config import Config
from .formats import BY_NAME
from .group import FeedFile, FeedSpec
from .images import entry_image, site_images
from .posts import Post
from .render import Rendered
from .text import xml_safe

GENERATOR = "feeds"
ATOM_NS = "http://www.w3.org/2005/Atom"
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _second(when: datetime) -> datetime:
    return when.replace(microsecond=0)


def _safe(text: str) -> str:
    return xml_safe(text)[0]


def feed_bytes(cfg: Config, spec: FeedSpec, rendered: Mapping[str, Rendered]) -> dict[str, bytes]:
    """Every file of one feed: {path: bytes}. ``rendered`` maps post ids to their content.

    Each file's format serializes it (the registry in ``formats``); ``memo`` lets the formats of
    one feed share work, such as Atom and RSS their one FeedGenerator."""
    memo: dict[str, Any] = {}
    return {file.path: BY_NAME[file.format].serialize(cfg, spec, rendered, file, memo) for file in spec.files}


def atom_bytes(cfg: Config, spec: FeedSpec, rendered: Mapping[str, Rendered], file: FeedFile,
               memo: dict[str, Any]) -> bytes:
    fg = _generator(cfg, spec, rendered, file, memo)
    fg.updated(_second(memo["newest"]))
    return _with_stylesheet(fg.atom_str(pretty=True), cfg)


def rss_bytes(cfg: Config, spec: FeedSpec, rendered: Mapping[str, Rendered], file: FeedFile,
              memo: dict[str, Any]) -> bytes:
    fg = _generator(cfg, spec, rendered, file, memo)
    # feedgen's lastBuildDate() is another name for updated(): one value, set per format
    fg.updated(_second(memo["newest_date"]))
    data: bytes = fg.rss_str(pretty=True)
    return data


def _generator(cfg: Config, spec: FeedSpec, rendered: Mapping[str, Rendered], file: FeedFile,
               memo: dict[str, Any]) -> FeedGenerator:
    """The feed's one FeedGenerator (built on first use), pointed at ``file``."""
    fg: FeedGenerator | None = memo.get("feedgen")
    if fg is None:
        fg = memo["feedgen"] = _new_generator(cfg, spec, rendered)
        memo["newest"] = max((p.updated for p in spec.entries), default=EPOCH)
        memo["newest_date"] = max((p.date for p in spec.entries), default=EPOCH)
    fg.id(file.url)
    fg.link(href=file.url, rel="self", replace=True)
    add_hubs(fg, cfg.feeds.hubs)
    fg.link(href=cfg.site.url + "/", rel="alternate")  # RSS <link> is the last one set
    return fg


def add_hubs(fg: FeedGenerator, hubs: tuple[str, ...]) -> None:
    """WebSub's ``rel="hub"`` links (``feeds.websub.hub``), after the self link: Atom ``<link>``
    through feedgen; RSS ``<atom:link>`` through an extension, as feedgen's RSS writer keeps only
    the self link (feedgen #122). Call it after each ``link(rel="self", replace=True)``. No hub:
    nothing is added and the bytes are what they were before hubs existed."""
    if not hubs:
        return
    for hub in hubs:
        fg.link(href=hub, rel="hub")
    if not hasattr(fg, "websub"):
        fg.register_extension("websub", _RssHubs, atom=False, rss=True)
    fg.websub.hubs = hubs


class _RssHubs:
    """feedgen extension: RSS's ``<atom:link href=… rel="hub"/>`` right after its self link (the
    ``atom`` namespace is declared on every RSS feed feedgen writes)."""

    hubs: tuple[str, ...] = ()

    def extend_ns(self) -> dict[str, str]:
        return {}

    def extend_rss(self, feed: Any) -> Any:
        channel = feed.find("channel")
        anchor = channel.find(f"{{{ATOM_NS}}}link[@rel='self']")
        for hub in reversed(self.hubs):
            link = etree.Element(f"{{{ATOM_NS}}}link", href=hub, rel="hub")
            if anchor is not None:
                anchor.addnext(link)
            else:
                channel.append(link)
        return feed

    def extend_atom(self, feed: Any) -> Any:
        return feed


def _new_generator(cfg: Config, spec: FeedSpec, rendered: Mapping[str, Rendered]) -> FeedGenerator:
    fg = FeedGenerator()
    fg.load_extension("dc", atom=False, rss=True)
    images = {post.id: entry_image(cfg, post, rendered[post.id]) for post in spec.entries}
    if any(images.values()):  # only then: the namespace alone would change every feed's bytes
        fg.load_extension("media")  # jekyll-feed's media:thumbnail and media:content, in Atom and RSS
    site = cfg.site
    icon, logo = site_images(cfg)
    if icon:
        fg.icon(icon)
    if logo:  # feedgen's image() is both RSS <image> and Atom logo
        fg.image(url=logo, title=_safe(spec.title), link=site.url + "/")
    fg.title(_safe(spec.title))
    fg.description(_safe(site.description or spec.title))
    fg.author({"name": _safe(site.author.name or site.title or site.url.split("//", 1)[1]),
               **({"email": site.author.email} if site.author.email else {})})
    fg.generator(GENERATOR)
    if site.language:
        fg.language(site.language)
    for post in spec.entries:
        _add_entry(fg, post, rendered[post.id], images[post.id])
    return fg


def _with_stylesheet(data: bytes, cfg: Config) -> bytes:
    """jekyll-feed's ``<?xml-stylesheet?>`` right after the declaration, so browsers show the feed."""
    if not cfg.feeds.stylesheet:
        return data
    href = html.escape(cfg.site.url + "/" + cfg.feeds.stylesheet.lstrip("/"))
    head, _, rest = data.partition(b"?>\n")
    return head + b'?>\n<?xml-stylesheet type="text/xml" href="' + href.encode() + b'"?>\n' + rest


def _add_entry(fg: FeedGenerator, post: Post, content: Rendered, image: str) -> None:
    fe = fg.add_entry(order="append")
    fe.id(post.id)
    fe.guid(post.id, permalink=post.id == post.url)
    fe.title(post.title)
    fe.link(href=post.url, rel="alternate")
    fe.published(_second(post.date))
    fe.updated(_second(post.updated))
    if post.author:
        fe.author({"name": post.author})
        fe.dc.dc_creator(post.author)
    for name in (*post.categories, *post.tags):
        fe.category(term=name)
    if content.summary:
        # Plain text, escaped as HTML: RSS readers render <description> as HTML, so a summary
        # that quotes "<script>" as text must not become markup on the way.
        fe.summary(html.escape(content.summary, quote=False), type="html")
    if not post.excerpt_only:  # jekyll-feed's excerpt_only: the summary, no content
        fe.content(content.content, type="html")
    if image:  # group=None: straight in the entry, as jekyll-feed writes them
        fe.media.thumbnail({"url": image}, group=None)
        fe.media.content({"url": image, "medium": "image"}, group=None)


def opml_bytes(cfg: Config, specs: list[FeedSpec]) -> bytes:
    """OPML 2.0: every feed, grouped as site / categories / tags."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = _safe(f"{cfg.site.title or cfg.site.url}: feeds")
    body = ET.SubElement(root, "body")
    for kind, label in (("site", "Site"), ("category", "Categories"), ("tag", "Tags")):
        group = [s for s in specs if s.kind == kind]
        if group:
            folder = ET.SubElement(body, "outline", text=label)
            for spec in group:
                for file in spec.files:
                    ET.SubElement(folder, "outline", type="rss", text=_safe(f"{spec.title} ({file.format})"),
                                  title=_safe(spec.title), xmlUrl=file.url, htmlUrl=cfg.site.url + "/")
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
