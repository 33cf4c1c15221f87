"""The size budget (``feeds.max_bytes``): a feed file over it drops its oldest entries until it fits.

Readers refuse feeds past their own limits (goread 2 MB, CommaFeed 5 MB, Miniflux 15 MB; the
late FeedBurner 512 KB) and stop updating them without a word to the publisher; a feed that
keeps its newest entries is the better loss. Each file is cut on its own (Atom, RSS and JSON
Feed differ in size), by bisection on how many of the newest entries it keeps: a handful of
serializations, never one per entry. The result depends on the bytes only, so a rerun gives
the same file and the same warning.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from .config import Config
from .errors import WARNING, Problem, display_path
from .formats import BY_NAME
from .group import FeedFile, FeedSpec
from .render import Rendered
from .write import feed_bytes


def feed_bytes_within(cfg: Config, spec: FeedSpec, rendered: Mapping[str, Rendered]
                      ) -> tuple[dict[str, bytes], list[Problem]]:
    """Every file of one feed, each within ``feeds.max_bytes``; one warning for the feed when any
    file had to drop entries."""
    data = feed_bytes(cfg, spec, rendered)
    budget = cfg.feeds.max_bytes
    if not budget:
        return data, []
    dropped: list[tuple[str, int]] = []
    if spec.page:  # an archive page is complete or it is no archive: never cut, but said
        return data, [_over(cfg, spec, file.path, len(data[file.path])) for file in spec.files
                      if len(data[file.path]) > budget]
    for file in spec.files:
        if len(data[file.path]) > budget:
            kept, data[file.path] = _fit(cfg, spec, rendered, file, budget)
            dropped.append((file.path, len(spec.entries) - kept))
    return data, [_warning(cfg, spec, dropped)] if dropped else []


def _serialize(cfg: Config, spec: FeedSpec, rendered: Mapping[str, Rendered], file: FeedFile, n: int) -> bytes:
    fewer = dataclasses.replace(spec, entries=spec.entries[:n])
    memo: dict[str, Any] = {}
    return BY_NAME[file.format].serialize(cfg, fewer, rendered, file, memo)


def _fit(cfg: Config, spec: FeedSpec, rendered: Mapping[str, Rendered], file: FeedFile,
         budget: int) -> tuple[int, bytes]:
    """(how many of the newest entries fit, the file with them); 0 entries when even one is too big."""
    low, high = 0, len(spec.entries) - 1  # ``high + 1`` entries are known to be too many
    best = _serialize(cfg, spec, rendered, file, 0)
    while low < high:
        middle = (low + high + 1) // 2
        data = _serialize(cfg, spec, rendered, file, middle)
        if len(data) <= budget:
            low, best = middle, data
        else:
            high = middle - 1
    return low, best  # best is the file with ``low`` entries


def _over(cfg: Config, spec: FeedSpec, path: str, size: int) -> Problem:
    return Problem(display_path(cfg.output / path), None,
                   f"{spec.what} is {size} bytes, over feeds.max_bytes ({cfg.feeds.max_bytes} bytes); an archive page "
                   "keeps every post of its page, so it was written whole; lower feeds.archives.size", WARNING)


def _warning(cfg: Config, spec: FeedSpec, dropped: list[tuple[str, int]]) -> Problem:
    what = spec.what
    files = ", ".join(f"{path}: {count} of {len(spec.entries)}" for path, count in dropped)
    return Problem(display_path(cfg.output / dropped[0][0]), None,
                   f"{what} is over feeds.max_bytes ({cfg.feeds.max_bytes} bytes): its oldest entries were left "
                   f"out ({files}){_unarchived(spec)}; raise feeds.max_bytes (0 for no budget) or lower feeds.limit",
                   WARNING)


def _unarchived(spec: FeedSpec) -> str:
    """A feed with archives carries the posts no archive page holds: cut, they are nowhere."""
    return " and no archive page holds the newest of them (lower feeds.archives.size)" if spec.files[0].links else ""
