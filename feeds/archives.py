"""RFC 5005 archived feeds (section 4): every post of a feed, in pages that do not change.

A feed with archives is the feed readers subscribe to plus archive pages of
``feeds.archives.size`` posts each, numbered from the OLDEST post: page 1 holds the oldest
``size`` posts, page 2 the next, and so on. A new post never moves a post into another page, so a
full page keeps its entries (and its bytes) whatever is published later; the newest posts, fewer
than a page, are no archive: the subscription feed carries them all (and at least
``feeds.limit``; every post while there are fewer than a page). Links, per format (an Atom page
links to Atom pages, an RSS page to RSS pages):

- the subscription feed: ``prev-archive`` to the newest archive page;
- each archive page: ``fh:archive``, ``current`` (the subscription feed), ``prev-archive`` to the
  page before it (none on page 1) and ``next-archive`` to the page after it (none on the newest).

So a reader following ``prev-archive`` from the subscription feed meets every post of the feed in
exactly one archive page (and the newest ones in the subscription feed too, where the RFC's
reader keeps the newest copy). The newest archive page gains its ``next-archive`` link once,
when the page after it fills; an older page changes only when a post on it is edited, deleted,
or a post is dated into it (every later page then shifts by one: RFC 5005 lets archives change
so, and readers keep the copies they have). JSON Feed has no archive documents: a JSON feed is
written as always, without pages.

Pages are ordinary FeedSpecs (``page`` > 0) written by the same writer as every feed; their
files lie beside the feed's own: ``feed.xml`` -> ``feed/archive/1.xml``, ``feed/news.rss`` ->
``feed/news/archive/1.rss``. They are not listed in the OPML or the index page (they are not
feeds to subscribe to: the feed names them).
"""
from __future__ import annotations

from dataclasses import replace

from .config import Config
from .errors import Problem
from .feedspec import FeedFile, FeedSpec, feed_url
from .posts import Post

NAMESPACE = "http://purl.org/syndication/history/1.0"  # RFC 5005's fh: prefix
FORMATS = ("atom", "rss")  # Atom, and RSS 2.0 by atom:link (RFC 5005 appendix B); JSON Feed has no archives


def archive_path(path: str, page: int) -> str:
    """``feed/news.xml`` -> ``feed/news/archive/3.xml``: the feed's name as a folder, its extension kept."""
    folder, slash, name = path.rpartition("/")
    stem, dot, extension = name.rpartition(".")
    if not stem:  # no extension (or a name such as ".xml")
        stem, dot, extension = name, "", ""
    return f"{folder}{slash}{stem}/archive/{page}{dot}{extension}"


def page_count(cfg: Config, total: int) -> int:
    """How many full archive pages ``total`` posts make."""
    return total // cfg.feeds.archive_size if cfg.feeds.archive_size else 0


def with_archives(cfg: Config, specs: list[FeedSpec], members: list[list[Post]]
                  ) -> tuple[list[FeedSpec], list[Problem]]:
    """Each spec followed by its archive pages (when its kind is in ``feeds.archives.feeds``);
    ``members`` holds every post of each spec's group, newest first."""
    result: list[FeedSpec] = []
    for spec, posts in zip(specs, members):
        result += _paged(cfg, spec, posts, page_count(cfg, len(posts))) if spec.kind in cfg.feeds.archive_kinds \
            else [spec]
    return _no_folder_on_a_file(cfg, result)


def _paged(cfg: Config, spec: FeedSpec, posts: list[Post], pages: int) -> list[FeedSpec]:
    size = cfg.feeds.archive_size
    oldest_first = posts[::-1]
    primary: dict[str, FeedFile] = {}  # the first file of each format (jekyll-feed's own path comes after)
    for file in spec.files:
        if file.format in FORMATS:
            primary.setdefault(file.format, file)
    newest = {fmt: feed_url(cfg, archive_path(f.path, pages)) for fmt, f in primary.items()}
    # the subscription feed carries every post no archive page holds, and at least feeds.limit posts
    rest = len(posts) - pages * size
    if not pages:  # fewer posts than a page: no archive yet, and the feed holds them all
        return [replace(spec, entries=tuple(posts))]
    subscription = replace(spec, entries=tuple(posts[:max(len(spec.entries), rest)]),
                           files=tuple(replace(f, links=(("prev-archive", newest[f.format]),))
                                       if f.format in primary else f for f in spec.files))
    archived = [
        replace(spec, entries=tuple(oldest_first[(n - 1) * size:n * size][::-1]), total=size, page=n,
                files=tuple(_page_file(cfg, f, n, pages) for f in primary.values()))
        for n in range(1, pages + 1)]
    return [subscription, *archived]


def _page_file(cfg: Config, current: FeedFile, page: int, pages: int) -> FeedFile:
    def at(n: int) -> str:
        return feed_url(cfg, archive_path(current.path, n))

    links = [("current", current.url)]
    if page > 1:
        links.append(("prev-archive", at(page - 1)))
    if page < pages:
        links.append(("next-archive", at(page + 1)))
    path = archive_path(current.path, page)
    return FeedFile(current.format, path, at(page), tuple(links))


def _no_folder_on_a_file(cfg: Config, specs: list[FeedSpec]) -> tuple[list[FeedSpec], list[Problem]]:
    """An archive page inside a folder that is another feed's file (``feeds.paths`` without
    extensions: ``feed`` and ``feed/archive/1``) cannot be written: the pages are left out, with an error."""
    files = {f.path for s in specs for f in s.files}
    kept, problems = [], []
    for spec in specs:
        clash = next((folder for f in spec.files for folder in _folders(f.path) if folder in files), "")
        if spec.page and clash:
            problems.append(Problem(cfg.file, None, f"{spec.what} would be written inside {clash}, which is a feed's "
                                    "file; give the feeds' paths in feeds.paths an extension, such as feed.xml"))
        else:
            kept.append(spec)
    return kept, problems


def _folders(path: str) -> list[str]:
    parts = path.split("/")[:-1]
    return ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
