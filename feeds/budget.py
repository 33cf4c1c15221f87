"""The size budget (``feeds.max_bytes``): a feed file over it drops its oldest entries until it fits.

Readers refuse feeds past their own limits (goread 2 MB, CommaFeed 5 MB, Miniflux 15 MB; the
late FeedBurner 512 KB) and stop updating them without a word to the publisher; a feed that
keeps its newest entries is the better loss. Each file is cut on its own (Atom, RSS and JSON
Feed differ in size), by bisection on how many of the newest entries it keeps. A file is its
frame plus its entries' fragments (``fragments``), so a size is a sum of lengths: nothing is
serialised again, only the frame of each size tried (a handful). The result depends on the
bytes only, so a rerun gives the same file and the same warning.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from .config import Config
from .errors import WARNING, Problem, display_path
from .feedspec import FeedSpec
from .fragments import Framed, Newest, make_fragments
from .render import Rendered


def feed_files(cfg: Config, spec: FeedSpec, fragments: Mapping[str, Sequence[bytes]],
               first_media: Mapping[str, int] | None = None) -> tuple[dict[str, bytes], list[Problem]]:
    """Every file of one feed from its entries' fragments (format -> one per entry, in order), each
    within ``feeds.max_bytes``; one warning for the feed when any file had to drop entries.
    ``first_media``: the index of each format's first fragment with media:*, where the caller knows."""
    data: dict[str, bytes] = {}
    dropped: list[tuple[str, int]] = []
    over: list[Problem] = []
    newest = Newest(spec.entries)
    for file in spec.files:
        framed = Framed(cfg, spec, file, fragments[file.format], newest,
                        first_media.get(file.format) if first_media else None)
        if spec.page:  # an archive page is complete or it is no archive: never cut, but said
            data[file.path] = framed.data(len(spec.entries))
            if cfg.feeds.max_bytes and len(data[file.path]) > cfg.feeds.max_bytes:
                over.append(_over(cfg, spec, file.path, len(data[file.path])))
            continue
        kept = _fit(framed, len(spec.entries), cfg.feeds.max_bytes)
        if kept < len(spec.entries):
            dropped.append((file.path, len(spec.entries) - kept))
        data[file.path] = framed.data(kept)
    return data, over + ([_warning(cfg, spec, dropped)] if dropped else [])


def feed_bytes_within(cfg: Config, spec: FeedSpec, rendered: Mapping[str, Rendered]
                      ) -> tuple[dict[str, bytes], list[Problem]]:
    """``feed_files`` from the entries' rendered content."""
    return feed_files(cfg, spec, make_fragments(cfg, spec, rendered))


def _fit(framed: Framed, count: int, budget: int) -> int:
    """How many of the newest entries fit in ``budget`` bytes (all, without one); 0 when even one is too big."""
    if not budget or framed.size(count) <= budget:
        return count
    low, high = 0, count - 1  # ``high + 1`` entries are known to be too many
    while low < high:
        middle = (low + high + 1) // 2
        if framed.size(middle) <= budget:
            low = middle
        else:
            high = middle - 1
    return low


def _over(cfg: Config, spec: FeedSpec, path: str, size: int) -> Problem:
    return Problem(display_path(cfg.output / path), None,
                   f"{spec.what} is {size} bytes, over feeds.max_bytes ({cfg.feeds.max_bytes} bytes); an archive page "
                   "keeps every post of its page, so it was written whole; lower feeds.archives.size", WARNING)


def _warning(cfg: Config, spec: FeedSpec, dropped: list[tuple[str, int]]) -> Problem:
    what = spec.what
    files = ", ".join(f"{path}: {count} of {len(spec.entries)}" for path, count in dropped)
    return Problem(display_path(cfg.output / dropped[0][0]), None,
                   f"{what} is over feeds.max_bytes ({cfg.feeds.max_bytes} bytes): its oldest entries were left "
                   f"out ({files}); raise feeds.max_bytes (0 for no budget) or lower feeds.limit", WARNING)
