"""What a feed is: a FeedSpec says everything (title, entries in order, where its files go) so that
``write`` can loop over them once, whatever their kind; ``group`` makes them from the posts,
``archives`` pages them."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .config import Config
from .posts import Post


@dataclass(frozen=True)
class FeedFile:
    format: str  # "atom" or "rss"
    path: str  # relative to the output folder, "/"-separated, UTF-8
    url: str  # absolute, percent-encoded
    links: tuple[tuple[str, str], ...] = ()  # (rel, href) besides self and alternate: RFC 5005's (archives)


@dataclass(frozen=True)
class FeedSpec:
    kind: str  # "site", "category" or "tag"
    name: str  # as the posts spell it (the most common spelling when several fold together)
    slug: str
    title: str
    entries: tuple[Post, ...]  # newest first, at most `limit`
    total: int  # posts in the group, before the limit
    files: tuple[FeedFile, ...]  # one per format, plus jekyll-feed's own path when it differs from ours
    page: int = 0  # an RFC 5005 archive page, 1 for the oldest posts (``archives``); 0: a feed to subscribe to

    @property
    def what(self) -> str:
        """The feed, as messages name it."""
        name = "the site feed" if self.kind == "site" else f"the {self.kind} '{self.name}'"
        return f"archive page {self.page} of {name}" if self.page else name


@dataclass(frozen=True)
class FrameInputs:
    """What one file's frame (its head, separator and tail around its entries' fragments) depends
    on, as every format's frame maker takes it (``Format.make_frame``): the feed, the file, the
    newest of its entries that it carries (``kept``), whether one of them carries media:*, and
    their newest ``updated`` and ``date``, worked out once for all the files of the feed
    (``fragments.Newest``; None when it carries no entry)."""
    cfg: Config
    spec: FeedSpec
    file: FeedFile
    kept: tuple[Post, ...]
    media: bool
    updated: datetime | None
    date: datetime | None


_URL_SAFE = "/-._~!$&'()*+,;=:@"
_AS_IS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789" + _URL_SAFE)  # quote leaves these


# each byte as quote(..., safe=_URL_SAFE) writes it: itself, or %XX
_QUOTED_BYTE = tuple(chr(b) if chr(b) in _AS_IS else f"%{b:02X}" for b in range(256))


def quoted_path(path: str) -> str:
    """A feed's path (or part of one) as its URL spells it (``quote(path, safe=_URL_SAFE)``);
    nearly always a slug of ASCII letters and digits, which quoting would leave as it is: then
    not quoted. Any other is quoted byte by byte from a table, with no Python loop per byte
    (urllib's quote has one: a tenth of grouping's time for the ~860 slugs of the 10k corpus that
    are not ASCII, the parent alone)."""
    if _AS_IS.issuperset(path):
        return path
    return "".join(map(_QUOTED_BYTE.__getitem__, path.encode("utf-8")))


def feed_url(cfg: Config, path: str) -> str:
    return cfg.site.url + "/" + quoted_path(path)
