"""The entry fragments the render stage made, handed to the write stage in memory.

Each stage runs in a pool of its own, forked anew: left to themselves, the write workers of a
cold build read back from the cache's file every fragment the render workers had just stored
there (a query per feed, each row joined to its post's body: a quarter of the write stage).
Instead, each render task also writes what it made into one file in memory (``memfd``: no disk),
opened before the render workers are forked, and sends back only where each fragment lies; the
write workers, forked later, inherit the file, map it, and copy each fragment out of the mapping
(the pages they touch count in their RSS). Through the pool's pipe the bytes would cost the
parent alone a fifth of a second (10,000 posts: 63 MB read, copied and unpickled), where it
shares the cores.

A post's body is written once for all its formats (its Atom and RSS entries carry the same
bytes), with each format's head and tail beside it; where each fragment lies is an ``Entry``.
The file is bounded (``MAX_BYTES``, counted in memory the processes share: the first tasks to
ask get the room); past it, or when it cannot be written, fragments are read from the cache
as before. Bytes this build made itself are not input: they need no check (``fragment_check``).
"""
from __future__ import annotations

import mmap
import multiprocessing
import os
import sys
import tempfile
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from .media import parts_have_image

Made = tuple[str, str, str, bytes, bytes, bytes]  # (fkey, rkey, ekey, head, body, tail): cache.PartsRow
# where a fragment's head, body and tail lie, (offset, length) each, and whether its bytes carry media:*
# (``media.parts_have_image``, told from the very bytes written: the write stage need not search them)
Entry = tuple[int, int, int, int, int, int, bool]
Handed = list[tuple[str, Entry]]  # what a render task sends back: fkey -> where its fragment lies

MAX_BYTES = 128 * 1024 * 1024  # 10,000 posts: 63 MB of fragments (51 of them bodies)
MAX_PARTS = 1024  # buffers one write takes (IOV_MAX)


def _memory_file() -> int:
    """A file held in memory (Linux), else an unnamed temporary file; -1 when neither can be had,
    or when the system cannot write one (no ``os.pwritev``: macOS before 11)."""
    if not hasattr(os, "pwritev"):
        return -1
    try:
        if hasattr(os, "memfd_create"):
            return os.memfd_create("feeds-handoff", os.MFD_CLOEXEC)
        fd, name = tempfile.mkstemp(prefix="feeds-handoff-")
        os.unlink(name)
        return fd
    except OSError:
        return -1


def _counter() -> Any:
    """A count in memory forked processes share, or None where the system has no shared
    semaphores (some containers): the build then goes without the hand-over, as at 0 bytes."""
    try:
        return multiprocessing.Value("q", 0)
    except (OSError, ImportError):
        return None


class Room:
    """The file the render tasks write their fragments into, and how much of it is taken (in
    memory that forked workers share). Made before the render workers are forked, who inherit it,
    as the write workers do."""

    def __init__(self, bound: int):
        self.bound = max(bound, 0)
        self.fd = _memory_file() if self.bound else -1
        self._used: Any = _counter() if self.fd >= 0 else None
        if self._used is None and self.fd >= 0:  # no count the processes can share: no hand-over
            os.close(self.fd)
            self.fd = -1
        # closed when let go of, should the build end before the write stage (an error, Ctrl-C)
        self._closed = weakref.finalize(self, os.close, self.fd) if self.fd >= 0 else None
        self._map: mmap.mmap | None = None
        self._tried = False  # mapped (or failed to be) in this process, or in the one it was forked from

    def take(self, size: int) -> int:
        """The offset of ``size`` bytes of the file, now this caller's; -1 when they do not fit."""
        if self.fd < 0:
            return -1
        with self._used.get_lock():
            at = self._used.value
            if at + size > self.bound:
                return -1
            self._used.value = at + size
        return at

    def mapped(self) -> mmap.mmap | None:
        """The file as written, mapped in this process (a slice of it costs a copy, where a ``pread``
        cost a system call too: 15 µs a fragment); None when it cannot be. Once the render stage is
        over: what is written then is all there will be."""
        if not self._tried:
            self._tried = True
            try:
                size = os.fstat(self.fd).st_size if self.fd >= 0 else 0
                self._map = mmap.mmap(self.fd, size, access=mmap.ACCESS_READ) if size else None
            except (OSError, ValueError):
                self._map = None
        return self._map

    def close(self) -> None:
        if self._map is not None:
            try:
                self._map.close()
            except BufferError:  # a view of it still held: it goes with the view
                pass
            self._map = None
        if self._closed is not None:
            self._closed()
        self.fd = -1


def hand(rows: Sequence[Made], room: Room | None) -> Handed:
    """Write the fragments of ``rows`` (as a render task made them: a post's formats together,
    sharing its body) into the room's file, all in one batch; where each lies. Nothing when they do
    not fit (the write workers read them from the cache), or cannot be written: a task's fragments
    are handed over all, or none."""
    stream = Stream(room, batch_bytes=sys.maxsize)
    for fkey, rkey, _, head, body, tail in rows:
        stream.add(fkey, rkey, head, body, tail)
    return stream.close()


class Stream:
    """Fragments written into ``room`` one at a time, as they come (the background check's, as it
    reads the cache's rows: ``entry_check``; a render task's, ``hand``), in batches of about
    ``batch_bytes`` (one ``take`` and one write a batch). A post's body is written once for every
    fragment that carries it, whatever the order the fragments come in (``rkey`` tells whose it
    is), but only to fragments whose body is byte for byte the one written: the rows may come from
    the cache, which is input (two rendered rows for one post, say), so a body is compared, never
    assumed. ``handed``: where each fragment lies, once ``close`` has written the last batch; a
    fragment the room has no space for is not there (nor any after it)."""

    BATCH_BYTES = 1 << 20

    def __init__(self, room: Room | None, batch_bytes: int = BATCH_BYTES):
        self.room = room
        self.batch_bytes = batch_bytes
        self.handed: Handed = []
        self._full = room is None or room.fd < 0
        self._bodies: dict[str, tuple[int, int]] = {}  # rkey -> (offset, length) of its body, in the file
        self._batch: dict[str, tuple[int, bytes]] = {}  # rkey -> its body's offset in the batch being made, the body
        self._parts: list[bytes] = []
        self._size = 0
        # (fkey, head's offset in the batch and length, body's offset, in the batch?, length, tail's offset, length,
        # whether the fragment carries media:*)
        self._pending: list[tuple[str, int, int, int, bool, int, int, int, bool]] = []

    def add(self, fkey: str, rkey: str, head: bytes, body: bytes, tail: bytes) -> None:
        if self._full:
            return
        at, hn = self._size, len(head)
        media = parts_have_image(head, body, tail)
        t = at + hn  # where the tail goes: after the head, or after the body written here
        if not body:  # one piece, no body to share
            self._parts += (head, tail)
            self._pending.append((fkey, at, hn, t, True, 0, t, len(tail), media))
        else:
            seen = self._batch.get(rkey)
            # the post's other formats, as a render task makes them: the very body object written in
            # this batch, the same bytes without comparing them (else ``_written`` compares)
            written = (seen[0], True) if seen is not None and seen[1] is body else self._written(rkey, body)
            if written is not None:  # head and tail around the body written
                self._parts += (head, tail)
                self._pending.append((fkey, at, hn, written[0], written[1], len(body), t, len(tail), media))
            else:  # its post's first (or another body): in one piece, the body written here
                self._parts += (head, body, tail)
                if seen is None and rkey not in self._bodies:
                    self._batch[rkey] = (t, body)
                self._pending.append((fkey, at, hn, t, True, len(body), t + len(body), len(tail), media))
                t += len(body)
        self._size = t + len(tail)
        if self._size >= self.batch_bytes:
            self._flush()

    def close(self) -> Handed:
        self._flush()
        return self.handed

    def _written(self, rkey: str, body: bytes) -> tuple[int, bool] | None:
        """Where the post's body lies (its offset, and whether in the batch being made) when it is
        ``body``, byte for byte; None when it is not written yet, or is other bytes."""
        if rkey in self._batch:
            b, seen = self._batch[rkey]
            return (b, True) if seen == body else None
        if rkey in self._bodies and self.room is not None:
            b, bn = self._bodies[rkey]
            try:
                same = bn == len(body) and os.pread(self.room.fd, bn, b) == body
            except OSError:
                return None
            return (b, False) if same else None
        return None

    def _flush(self) -> None:
        pending, parts, size, batch = self._pending, self._parts, self._size, self._batch
        self._pending, self._parts, self._size, self._batch = [], [], 0, {}
        if not size or self._full or self.room is None:
            return
        at = self.room.take(size)
        try:
            if at < 0:
                raise OSError("no room")
            _write(self.room.fd, parts, at)
        except OSError:
            self._full = True  # what comes after is not handed over either: the cache has it
            return
        self._bodies.update((rkey, (b + at, len(body))) for rkey, (b, body) in batch.items())
        self.handed += [(fkey, (h + at, hn, b + at if inside else b, bn, t + at, tn, media))
                        for fkey, h, hn, b, inside, bn, t, tn, media in pending]


def _write(fd: int, parts: list[bytes], at: int) -> None:
    for start in range(0, len(parts), MAX_PARTS):
        chunk = parts[start:start + MAX_PARTS]
        want = sum(map(len, chunk))
        if os.pwritev(fd, chunk, at) != want:
            raise OSError("short write")
        at += want


def _body_span(entry: Entry) -> tuple[int, int] | None:
    """Where the body lies in the fragment an entry joins (its head, body and tail, each (offset,
    length)), counted from the fragment's start: after the head; None for a fragment with no body."""
    return (entry[1], entry[1] + entry[3]) if entry[3] else None


@dataclass(frozen=True)
class Handoff:
    """What the render stage gives the write stage: the rkeys whose rows this build stored (its
    own, not input), and where each fragment it handed over lies in ``room``'s file."""
    fresh: frozenset[str] = frozenset()
    entries: Mapping[str, Entry] = field(default_factory=dict)
    room: Room | None = None

    def fragments(self, fkeys: Iterable[str]) -> dict[str, bytes]:
        """The bytes of those of these fragments that were handed over (and can be read)."""
        keys = list(fkeys)
        found, _, left = self.take(keys)
        if len(left) == len(keys):  # none (a build with no hand-over: a warm one)
            return {}
        if left:
            missing = set(left)
            return {fkey: data for i, (fkey, data) in enumerate(zip(keys, found)) if i not in missing}
        return dict(zip(keys, found))

    def take(self, fkeys: Sequence[str]) -> tuple[list[bytes], list[tuple[int, int] | None], list[int]]:
        """``fragments`` and ``span`` of each of ``fkeys``, in their order and in one pass (a write task
        asks this of every entry of its feed): their bytes (b"" for one not handed over), where their
        post's body lies in them (None: not known), and the indices of those not handed over."""
        count = len(fkeys)
        entries = self.entries
        mapped = self.room.mapped() if self.room is not None and entries else None
        if mapped is None:
            return [b""] * count, [None] * count, list(range(count))
        found: list[bytes] = []
        spans: list[tuple[int, int] | None] = []
        left: list[int] = []
        size = len(mapped)
        with memoryview(mapped) as view:
            for i, entry in enumerate(map(entries.get, fkeys)):  # the lookups at C speed
                if entry is None or entry[4] + entry[5] > size or entry[2] + entry[3] > size:
                    found.append(b"")
                    spans.append(None)
                    left.append(i)
                    continue
                h, hn, b, bn, t, tn, _ = entry
                if b == h + hn and t == b + bn:  # a post's first format (or one with no body): in one piece
                    found.append(mapped[h:t + tn])
                else:
                    found.append(b"".join((view[h:h + hn], view[b:b + bn], view[t:t + tn])))
                spans.append(_body_span(entry))
        return found, spans, left

    @cached_property
    def media(self) -> frozenset[str]:
        """The fkeys of the fragments handed over that carry media:* (none, on a site without images):
        a feed's entries are told apart from them at C speed (``fragments._first_media``). Worked out
        in each write worker, as it first asks."""
        return frozenset(fkey for fkey, entry in self.entries.items() if entry[6])

    def span(self, fkey: str) -> tuple[int, int] | None:
        """Where its post's body lies in ``fragment(fkey)`` (a hint: ``media.has_image``)."""
        entry = self.entries.get(fkey)
        return None if entry is None else _body_span(entry)

    def close(self) -> None:
        """Let the file go (the write stage is over)."""
        if self.room is not None:
            self.room.close()
