"""A feed file as its head, the joined fragments of its entries, and its tail.

A post's entry is the same bytes in every feed that carries it, so each format writes it once
per post (``Format.fragment``, feedgen's bytes) and a feed file is assembled around those
bytes (``Format.frame``): serialising costs one entry per post, not one per post and feed. The
size budget (``feeds.max_bytes``) is then a sum of lengths, never a re-serialisation.
"""
from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime

from .cache import PartsRow, WorkerCache
from .config import Config
from .errors import Problem
from .feedspec import FeedFile, FeedSpec, FrameInputs
from .formats import BY_NAME
from .fragment_check import fragment_ok
from .liquid import LiquidSite
from .media import Span, has_image
from .posts import Post, newest_dates, read_body
from .render import Rendered, render_post

Fragments = Mapping[str, Sequence[bytes]]  # format -> the fragments of a feed's entries, in its order


class Framed:
    """One feed file: its fragments, and its frame for any number of the newest of them."""

    def __init__(self, cfg: Config, spec: FeedSpec, file: FeedFile, fragments: Sequence[bytes],
                 newest: Newest | None = None, first_media: int | None = None):
        self.cfg, self.spec, self.file, self.fragments = cfg, spec, file, fragments
        self.format = BY_NAME[file.format]
        self.newest = newest or Newest(spec.entries)  # shared by the files of a feed: the same entries
        self._frames: dict[tuple[object, ...], tuple[bytes, bytes, bytes]] = {}
        self._sized: dict[int, tuple[bytes, bytes, bytes]] = {}  # n -> its frame: _fit asks for a size, then its data
        # the index of the first fragment with media:* (len: none), where the caller knows (``entry_fragments``)
        self._first_media = first_media

    def frame(self, n: int) -> tuple[bytes, bytes, bytes]:
        found = self._sized.get(n)
        if found is not None:
            return found
        if self._first_media is None:  # each fragment searched once, however many sizes are tried
            self._first_media = next((i for i, f in enumerate(self.fragments) if has_image(f)), len(self.fragments))
        media = self._first_media < n
        # what the frame depends on: the newest dates, namespaces, and whether there are entries
        updated, date = self.newest(n)
        mark = (updated, date, media, n > 0)
        found = self._frames.get(mark)
        if found is None:
            found = self._frames[mark] = self.format.make_frame(
                FrameInputs(self.cfg, self.spec, self.file, self.spec.entries[:n], media, updated, date))
        self._sized[n] = found
        return found

    def size(self, n: int) -> int:
        head, separator, tail = self.frame(n)
        return len(head) + sum(map(len, self.fragments[:n])) + len(separator) * max(n - 1, 0) + len(tail)

    def data(self, n: int) -> bytes:
        head, separator, tail = self.frame(n)
        if separator:
            return head + separator.join(self.fragments[:n]) + tail
        return b"".join([head, *self.fragments[:n], tail])  # one copy of the file, not two


class Newest:
    """The newest ``updated`` and ``date`` of the first n of a feed's entries, each n worked out once
    for all the files of the feed, and given to their frames (``FrameInputs``)."""

    def __init__(self, entries: Sequence[Post]):
        self.entries = entries
        self._known: dict[int, tuple[datetime | None, datetime | None]] = {}

    def __call__(self, n: int) -> tuple[datetime | None, datetime | None]:
        found = self._known.get(n)
        if found is None:
            found = self._known[n] = newest_dates(self.entries[:n])
        return found


def make_fragments(cfg: Config, spec: FeedSpec, rendered: Mapping[str, Rendered]) -> dict[str, list[bytes]]:
    """The fragments of a feed's entries in each of its formats, made from their rendered content."""
    return {fmt: [BY_NAME[fmt].make_fragment(cfg, post, rendered[post.id]) for post in spec.entries]
            for fmt in dict.fromkeys(f.format for f in spec.files)}


def post_fragments(cfg: Config, post: Post, rendered: Rendered, rkey: str, entry_key: str, formats: Sequence[str]
                   ) -> list[PartsRow]:
    """A post's fragment in each format, as cache rows (fkey, rkey, ekey, head, body, tail): made
    where the post is rendered, so that the write stage only reads them (``entry_fragments``); the
    fragment is ``head + body + tail``, ``body`` its content's bytes where the format says (b"" else:
    ``WorkerCache.put`` stores the body once and the fragment as the bytes around it)."""
    return [(fragment_key(entry_key, rkey, fmt), rkey, entry_key, *BY_NAME[fmt].make_parts(cfg, post, rendered))
            for fmt in formats]


def fragment_key(entry_key: str, rkey: str, fmt: str) -> str:
    """A fragment is known by its post's rendered content (``rkey``), the config that shapes entries
    (``entry_key``) and its format: the BLAKE2b-128 of ``entry_key\0rkey\0fmt``, in hex, as a copy
    of the hash of ``entry_key\0`` (one per build) given the rest: building a hash object with its
    keyword arguments cost more than hashing the 70 bytes (2.5 -> 1.6 us a key)."""
    h = _entry_hash(entry_key).copy()
    h.update(f"{rkey}\0{fmt}".encode())
    return h.hexdigest()


@functools.lru_cache(maxsize=4)
def _entry_hash(entry_key: str) -> hashlib.blake2b:
    """The hash of ``entry_key\0``, to be copied (never updated itself)."""
    return hashlib.blake2b(f"{entry_key}\0".encode(), digest_size=16)


@functools.lru_cache(maxsize=1 << 15)  # 32,768 keys: 4 MB
def known_key(entry_key: str, rkey: str, fmt: str) -> str:
    """``fragment_key``, worked out once per process: a post is in several feeds (1.5 on average,
    the newest in many), and each write task asks for its entries' keys in every format."""
    return fragment_key(entry_key, rkey, fmt)


def entry_fragments(cfg: Config, spec: FeedSpec, rkeys: Sequence[str], entry_key: str, store: WorkerCache,
                    site: LiquidSite | None
                    ) -> tuple[dict[str, list[bytes]], list[Problem], set[str], dict[str, int]]:
    """The fragments of a feed's entries, format by format; what rendering said about the posts
    rendered here; the keys of the cache rows found damaged or forged; the index of each format's
    first fragment that carries media:* (``_first_media``).

    A cached fragment is used when this build made it (its post's rkey is in ``store.fresh``: the
    render stage stored it with the rendered content), or when it passes ``fragment_ok``; else it
    is made from the post's cached rendered content, and when that is missing or makes no fragment that passes, from the
    post rendered again (stored again). A row is damaged when what replaces it differs."""
    formats = list(dict.fromkeys(f.format for f in spec.files))
    result: dict[str, list[bytes]] = {}
    bodies: dict[str, list[Span | None]] = {}
    fkeys_of: dict[str, list[str]] = {}  # format -> the fkeys of its fragments
    lost: dict[str, set[int]] = {}  # format -> the indices of its fragments not handed over
    for fmt in formats:
        fkeys = fkeys_of[fmt] = [known_key(entry_key, rkey, fmt) for rkey in rkeys]
        # a cold build's every fragment: handed over by the render stage, its own (no check, no memo)
        result[fmt], bodies[fmt], left = store.handed(fkeys)
        if left:
            lost[fmt] = set(left)
    if not lost:
        return result, [], set(), _first_media(store, fkeys_of, result, bodies, lost)
    # the others, looked for in the memo and the cache, post by post (the order problems are said in)
    keys = {(i, fmt): fkeys_of[fmt][i] for i in range(len(rkeys)) for fmt, left in lost.items() if i in left}
    cached, known = store.fragments({fkey: rkeys[i] for (i, _), fkey in keys.items()})
    redo: dict[int, list[str]] = {}
    for (i, fmt), fkey in keys.items():
        data = cached.get(fkey)
        own = rkeys[i] in store.fresh
        if data is not None and (fkey in known or own or fragment_ok(fmt, data, spec.entries[i], cfg)):
            result[fmt][i] = data
            bodies[fmt][i] = store.span(fkey)
            store.remember(fkey, data, own)
        else:
            redo.setdefault(i, []).append(fmt)
    problems: list[Problem] = []
    damaged: set[str] = set()
    if redo:
        problems, damaged = _make(cfg, spec, rkeys, (entry_key, keys), redo, cached, result, store, site)
    return result, problems, damaged, _first_media(store, fkeys_of, result, bodies, lost)


def _first_media(store: WorkerCache, fkeys: Mapping[str, list[str]], fragments: Mapping[str, list[bytes]],
                 bodies: Mapping[str, list[Span | None]], lost: Mapping[str, set[int]]
                 ) -> dict[str, int]:
    """The index of each format's first fragment that carries media:*, its count when none does:
    what a file's namespaces depend on (``Framed``). A fragment handed over says so itself (its
    ``handoff.Entry``, told from the bytes as they were written: ``Handoff.media``), so a feed whose
    every fragment was handed over and none carries media:* is told by one set operation; the others
    (from the cache, or made here) are searched (``has_image``, hinted where the cache says where
    its post's body lies), each time."""
    media = store.made.media
    found: dict[str, int] = {}
    for fmt, keys in fkeys.items():
        others = lost.get(fmt, ())
        found[fmt] = len(keys)
        if not others and media.isdisjoint(keys):  # a cold build of a site without images: every feed
            continue
        for i, (fkey, data, span) in enumerate(zip(keys, fragments[fmt], bodies[fmt])):
            if has_image(data, span) if i in others else fkey in media:
                found[fmt] = i
                break
    return found


def _make(cfg: Config, spec: FeedSpec, rkeys: Sequence[str], entry: tuple[str, dict[tuple[int, str], str]],
          redo: dict[int, list[str]], cached: dict[str, bytes], result: dict[str, list[bytes]], store: WorkerCache,
          site: LiquidSite | None) -> tuple[list[Problem], set[str]]:
    entry_key, keys = entry
    content, damaged = store.get([rkeys[i] for i in redo])
    problems: list[Problem] = []
    rows, redone = [], []
    for i, fmts in redo.items():
        post, rkey = spec.entries[i], rkeys[i]
        rendered = content.get(rkey)
        made = {fmt: BY_NAME[fmt].make_fragment(cfg, post, rendered) for fmt in fmts} if rendered else {}
        # cached content (unless this build rendered it) makes a fragment that passes the check,
        # or the post is rendered again
        if rendered is None or (rkey not in store.fresh
                                and not all(fragment_ok(fmt, data, post, cfg) for fmt, data in made.items())):
            fresh, said = render_post(post, read_body(post), cfg, site)
            problems += said
            if rendered is not None and rendered != fresh:
                damaged.add(rkey)
            if rkey in damaged:
                redone.append((rkey, fresh, said))
            made = {fmt: BY_NAME[fmt].make_fragment(cfg, post, fresh) for fmt in fmts}
        for fmt, data in made.items():
            fkey = keys[(i, fmt)]
            if fkey in cached and cached[fkey] != data:
                damaged.add(fkey)
            result[fmt][i] = data
            store.remember(fkey, data, rkey in store.fresh)
            rows.append((fkey, rkey, entry_key, data))
    if redone:
        store.put(redone)
    store.put_fragments(rows)
    return problems, damaged
