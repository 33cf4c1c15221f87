"""FeedSpec + rendered entries -> RSS 2.0 / Atom 1.0 bytes (feedgen), and the OPML list.

Pure: bytes out, nothing written here (``output`` puts bytes on disk). feedgen's traps
(FIELD-NOTES) are handled here: every date set and aware, entries appended in our order, the
self link first and the site link last, type="html" content, dc:creator for author names,
no version in <generator> so an upgrade does not change every feed.

feedgen and lxml are imported on first use, by the functions that call them: a build writes every
fragment and frame through ``xmlfast`` and needs them only for a value ``xmlfast`` leaves to them
(and for the whole-feed oracles of the tests), so no build pays their import (13 ms) up front.
"""
from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, NamedTuple
from xml.etree import ElementTree as ET

from .archives import NAMESPACE as HISTORY
from .config import Config
from .feedspec import FeedFile, FeedSpec, FrameInputs
from .formats import BY_NAME
from .images import entry_image, site_images
from .posts import Post
from .render import Rendered
from .text import xml_safe
from .xmlfast import EntryText, Frame, Parts, atom_head, atom_parts, entry_text, rss_head, rss_parts

if TYPE_CHECKING:
    from feedgen.feed import FeedGenerator

GENERATOR = "feeds"
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
ATOM_NS = "http://www.w3.org/2005/Atom"
MEDIA_NS = "http://search.yahoo.com/mrss/"
DC_NS = "http://purl.org/dc/elements/1.1/"
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
ATOM_END, RSS_END = b"</feed>\n", b"  </channel>\n</rss>\n"


def _second(when: datetime) -> datetime:
    return when.replace(microsecond=0) if when.microsecond else when


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
    _point(cfg, fg, spec, file)
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
        from lxml import etree  # type: ignore[import-untyped]

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


class _History:
    """A feed's links to the other documents of its RFC 5005 archive (``file.links``), and
    ``fh:archive`` on an archive page: Atom ``<link>``s, RSS 2.0 ``<atom:link>``s in the channel
    (RFC 5005 appendix B). feedgen's RSS writer has no such links, hence this extension."""

    def __init__(self) -> None:
        self.links: tuple[tuple[str, str], ...] = ()
        self.archive = False

    def extend_ns(self) -> dict[str, str]:
        return {"fh": HISTORY} if self.archive else {}

    def extend_atom(self, feed: Any) -> Any:
        return self._add(feed, "link")  # feedgen writes Atom's namespace as a plain xmlns attribute

    def extend_rss(self, rss: Any) -> Any:
        self._add(rss.find("channel"), f"{{{ATOM_NS}}}link")
        return rss

    def _add(self, parent: Any, link: str) -> Any:
        for rel, href in self.links:
            parent.append(parent.makeelement(link, {"rel": rel, "href": href}))
        if self.archive:
            parent.append(parent.makeelement(f"{{{HISTORY}}}archive", {}))
        return parent


class _NoEntryHistory:
    """feedgen wants an entry half for every extension: entries carry nothing of RFC 5005."""

    def extend_ns(self) -> dict[str, str]:
        return {}

    def extend_atom(self, entry: Any) -> Any:
        return entry

    def extend_rss(self, item: Any) -> Any:
        return item


def _new_generator(cfg: Config, spec: FeedSpec, rendered: Mapping[str, Rendered]) -> FeedGenerator:
    images = {post.id: entry_image(cfg, post, rendered[post.id]) for post in spec.entries}
    # media only when an entry has an image: the namespace alone would change every feed's bytes
    fg = _head_generator(cfg, spec, any(images.values()))
    for post in spec.entries:
        _add_entry(fg, post, rendered[post.id], images[post.id])
    return fg


def _head_generator(cfg: Config, spec: FeedSpec, media: bool) -> FeedGenerator:
    """A FeedGenerator with everything of the feed but its entries."""
    fg = _bare_generator(media)
    _site_fields(cfg, fg)
    _feed_fields(cfg, fg, spec)
    return fg


def _site_fields(cfg: Config, fg: FeedGenerator) -> None:
    site = cfg.site
    icon, _ = site_images(cfg)
    if icon:
        fg.icon(icon)
    fg.author({"name": _safe(site.author.name or site.title or site.url.split("//", 1)[1]),
               **({"email": site.author.email} if site.author.email else {})})
    fg.generator(GENERATOR)
    if site.language:
        fg.language(site.language)


def _feed_fields(cfg: Config, fg: FeedGenerator, spec: FeedSpec) -> None:
    """What differs from feed to feed, each set anew (feedgen's setters replace)."""
    site = cfg.site
    _, logo = site_images(cfg)
    if logo:  # feedgen's image() is both RSS <image> and Atom logo
        fg.image(url=logo, title=_safe(spec.title), link=site.url + "/")
    fg.title(_safe(spec.title))
    fg.description(_safe(site.description or spec.title))


def _bare_generator(media: bool) -> FeedGenerator:
    from feedgen.feed import FeedGenerator

    fg = FeedGenerator()
    fg.load_extension("dc", atom=False, rss=True)
    if media:
        fg.load_extension("media")  # jekyll-feed's media:thumbnail and media:content, in Atom and RSS
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


# --- a feed as head + entry fragments + tail (see ``fragments``) ---------------------------
# ``xmlfast`` writes the fragments and frames as plain strings, feedgen's bytes exactly; feedgen
# writes what xmlfast leaves to it (``feedgen_*``, also the oracle of xmlfast in the tests): an
# entry's fragment is its element, serialised by lxml inside a root that declares the namespaces
# the whole feed declares (so the fragment declares none), and cut out; the head and tail are the
# feed without entries, cut where the entries go. The whole-feed functions above stay as the
# oracle the tests compare the assembled files with.

_SCRATCH: dict[bool, FeedGenerator] = {}


def _entry_element(post: Post, content: Rendered, image: str, atom: bool) -> Any:
    fg = _SCRATCH.get(bool(image))
    if fg is None:
        fg = _SCRATCH[bool(image)] = _bare_generator(bool(image))
    try:
        _add_entry(fg, post, content, image)
        entry = fg.entry()[0]
        return entry.atom_entry() if atom else entry.rss_entry()
    finally:
        for left in list(fg.entry()):  # none stays behind, even when feedgen refused a value
            fg.remove_entry(left)


def atom_fragment(cfg: Config, post: Post, content: Rendered) -> bytes:
    """A post's ``<entry>`` as it stands in every Atom feed that carries it (indented, newline-ended):
    ``xmlfast``'s bytes, feedgen's (``feedgen_atom_fragment``) for what ``xmlfast`` leaves to it."""
    return b"".join(atom_fragment_parts(cfg, post, content))


def atom_fragment_parts(cfg: Config, post: Post, content: Rendered) -> Parts:
    """``atom_fragment`` as (head, body, tail): ``xmlfast``'s parts around the content's bytes, or
    feedgen's bytes whole (head) with no body."""
    found, image = _entry_text(cfg, post, content)
    fast = atom_parts(found) if found is not None else None
    return fast if fast is not None else (_feedgen_atom_fragment(post, content, image), b"", b"")


def rss_fragment(cfg: Config, post: Post, content: Rendered) -> bytes:
    """A post's ``<item>`` as it stands in every RSS feed that carries it."""
    return b"".join(rss_fragment_parts(cfg, post, content))


def rss_fragment_parts(cfg: Config, post: Post, content: Rendered) -> Parts:
    """``rss_fragment`` as (head, body, tail), as ``atom_fragment_parts``."""
    found, image = _entry_text(cfg, post, content)
    fast = rss_parts(found, post.id == post.url) if found is not None else None
    return fast if fast is not None else (_feedgen_rss_fragment(post, content, image), b"", b"")


_last_entry: tuple[object, ...] = ()  # (config, post, content, their EntryText, image): the last asked for


def _entry_text(cfg: Config, post: Post, content: Rendered) -> tuple[EntryText | None, str]:
    """A post's values escaped for its entries (``xmlfast.entry_text``), and its image: made once
    for its Atom entry and its RSS item, which ask in turn. Known by the very objects (all
    frozen, kept alive here, so no other can take their ids); one tuple, read and replaced whole."""
    global _last_entry
    last = _last_entry
    if last and last[0] is cfg and last[1] is post and last[2] is content:
        return last[3], last[4]  # type: ignore[return-value]
    image = entry_image(cfg, post, content)
    found = entry_text(post.id, post.title, post.url, _second(post.date), _second(post.updated), post.author,
                       (*post.categories, *post.tags), content.summary, None if post.excerpt_only else content.content,
                       image, content.checked)
    _last_entry = (cfg, post, content, found, image)
    return found, image


def feedgen_atom_fragment(cfg: Config, post: Post, content: Rendered) -> bytes:
    """``atom_fragment`` as feedgen writes it: the oracle of ``xmlfast`` in the tests."""
    return _feedgen_atom_fragment(post, content, entry_image(cfg, post, content))


def feedgen_rss_fragment(cfg: Config, post: Post, content: Rendered) -> bytes:
    return _feedgen_rss_fragment(post, content, entry_image(cfg, post, content))


def _feedgen_atom_fragment(post: Post, content: Rendered, image: str) -> bytes:
    from lxml import etree

    root = etree.Element("feed", xmlns=ATOM_NS, nsmap={"media": MEDIA_NS} if image else {})
    root.append(_entry_element(post, content, image, atom=True))
    data: bytes = etree.tostring(root, pretty_print=True, encoding="UTF-8", xml_declaration=False)
    return data[data.index(b">\n") + 2:-len(ATOM_END)]


def _feedgen_rss_fragment(post: Post, content: Rendered, image: str) -> bytes:
    from lxml import etree

    nsmap = {"dc": DC_NS, **({"media": MEDIA_NS} if image else {}), "atom": ATOM_NS, "content": CONTENT_NS}
    root = etree.Element("rss", version="2.0", nsmap=nsmap)
    etree.SubElement(root, "channel").append(_entry_element(post, content, image, atom=False))
    data: bytes = etree.tostring(root, pretty_print=True, encoding="UTF-8", xml_declaration=False)
    return data[data.index(b"<channel>\n") + len(b"<channel>\n"):-len(RSS_END)]


_FRAMES: dict[bool, tuple[Config, FeedGenerator]] = {}  # media -> the last config's generator


def _frame_generator(cfg: Config, spec: FeedSpec, media: bool) -> FeedGenerator:
    """The feed without entries, from one generator per config and process: building a
    FeedGenerator and loading its extensions costs more than writing the head. One generator is
    kept with media and one without, each its last config's (a build has one config; a program
    that builds in a loop keeps at most one old one alive, not every one)."""
    found = _FRAMES.get(media)
    if found is None or found[0] is not cfg:
        fg = _bare_generator(media)
        _site_fields(cfg, fg)
        found = _FRAMES[media] = (cfg, fg)
    _feed_fields(cfg, found[1], spec)
    return found[1]


class _SiteFields(NamedTuple):
    """The fields of a frame that the site alone sets: the same in every file."""
    description: str | None  # None: the site has none (a feed's title stands for it)
    author: str
    email: str
    language: str
    icon: str
    logo: str
    site_link: str


_SITE_FIELDS: list[tuple[Config, _SiteFields]] = []  # the last config's, alone


def _site_frame_fields(cfg: Config) -> _SiteFields:
    """``_SiteFields`` once per config and process, not once per file (2 of them per feed); only
    the last config's are kept, as ``_frame_generator`` keeps its generators."""
    found = _SITE_FIELDS[0] if _SITE_FIELDS else None
    if found is None or found[0] is not cfg:
        site = cfg.site
        icon, logo = site_images(cfg)
        fields = _SiteFields(_safe(site.description) if site.description else None,
                             _safe(site.author.name or site.title or site.url.split("//", 1)[1]),
                             site.author.email or "", site.language or "", icon or "", logo or "", site.url + "/")
        found = (cfg, fields)
        _SITE_FIELDS[:] = [found]
    return found[1]


def _frame_fields(cfg: Config, spec: FeedSpec, file: FeedFile, media: bool) -> Frame:
    """What ``_site_fields``, ``_feed_fields`` and ``_point`` give feedgen, for ``xmlfast``."""
    site = _site_frame_fields(cfg)
    title = _safe(spec.title)
    return Frame(title=title, description=title if site.description is None else site.description,
                 author=site.author, email=site.email, language=site.language, icon=site.icon, logo=site.logo,
                 site_link=site.site_link, self_url=file.url, hubs=cfg.feeds.hubs, links=file.links,
                 archive=spec.page > 0, media=media)


def atom_frame(frame: FrameInputs) -> tuple[bytes, bytes, bytes]:
    """(head, separator, tail) of an Atom file carrying ``frame.kept`` (``frame.media``: one of them
    has an image): ``xmlfast``'s head, feedgen's (``feedgen_atom_frame``) when ``xmlfast`` leaves it
    to feedgen."""
    cfg = frame.cfg
    head = atom_head(_frame_fields(cfg, frame.spec, frame.file, frame.media), _second(frame.updated or EPOCH))
    if head is None:
        return feedgen_atom_frame(frame)
    return _with_stylesheet(head, cfg), b"", ATOM_END


def rss_frame(frame: FrameInputs) -> tuple[bytes, bytes, bytes]:
    head = rss_head(_frame_fields(frame.cfg, frame.spec, frame.file, frame.media), _second(frame.date or EPOCH))
    if head is None:
        return feedgen_rss_frame(frame)
    return head, b"", RSS_END


def feedgen_atom_frame(frame: FrameInputs) -> tuple[bytes, bytes, bytes]:
    """``atom_frame`` as feedgen writes it: the oracle of ``xmlfast`` in the tests, with the newest
    date worked out here from the posts kept (``max``), not taken from ``frame.updated``."""
    cfg, spec = frame.cfg, frame.spec
    fg = _frame_generator(cfg, spec, frame.media)
    _point(cfg, fg, spec, frame.file)
    fg.updated(_second(max((p.updated for p in frame.kept), default=EPOCH)))  # the oracle: compared as written
    data = _with_stylesheet(fg.atom_str(pretty=True), cfg)
    return data[:-len(ATOM_END)], b"", ATOM_END


def feedgen_rss_frame(frame: FrameInputs) -> tuple[bytes, bytes, bytes]:
    cfg, spec = frame.cfg, frame.spec
    fg = _frame_generator(cfg, spec, frame.media)
    _point(cfg, fg, spec, frame.file)
    fg.updated(_second(max((p.date for p in frame.kept), default=EPOCH)))
    data: bytes = fg.rss_str(pretty=True)
    return data[:-len(RSS_END)], b"", RSS_END


def _point(cfg: Config, fg: FeedGenerator, spec: FeedSpec, file: FeedFile) -> None:
    """Aim a generator at one file: its id, self link, hubs, site link and archive links."""
    fg.id(file.url)
    fg.link(href=file.url, rel="self", replace=True)
    add_hubs(fg, cfg.feeds.hubs)
    fg.link(href=cfg.site.url + "/", rel="alternate")  # RSS <link> is the last one set
    _set_history(fg, file.links, spec.page > 0)


def _set_history(fg: FeedGenerator, links: tuple[tuple[str, str], ...], archive: bool) -> None:
    """RFC 5005's links and ``fh:archive`` for this file; the extension is registered on first need
    (it adds no byte to a file without links, so a generator reused for other feeds is unharmed)."""
    history: _History | None = getattr(fg, "history", None)
    if history is None:
        if not links and not archive:
            return
        fg.register_extension("history", _History, _NoEntryHistory)
        history = fg.history
    history.links, history.archive = links, archive


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
