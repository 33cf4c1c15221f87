"""The read stage, on every core: what each post file gives (a ``ReadResult``), from the cache
when its bytes were read before, else read by the workers.

Apart from the render and write stages (``workers``) because the command forks the read workers
as early as it can: this module, and what it imports, is all the parent needs by then. The
renderer, the writers and the output (a fifth of the command's imports, 20-30 ms of a cold build's
start with one core busy) are imported by the parent once the read workers read (``pipeline``).
"""
from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass

from . import heap, parallel
from .cache import Cache
from .config import Config, default_jobs
from .parallel import Progress
from .posts import NEVER, read_post, site_zone, stamp_now
from .rows import ReadResult, read_row_bytes
from .signature import read_line, stat_line
from .sources import read_post_file, source_root_text
from .stages import stage_key

STORE_BATCH = 1024  # read results the parent stores at a time, as they come
# files a read worker takes at a time, at most: their answers (~1.3 KB a file: the Post and its row's text)
# stay under malloc's 128 KiB threshold; bigger ones were fresh pages on both ends of the pipe, each time
READ_CHUNK = 64


@dataclass(frozen=True)
class ReadContext:
    cfg: Config
    files: tuple[str, ...]  # a read task is an index into these
    hits: frozenset[tuple[str, str]]  # (digest, path) whose reading the cache holds
    cwd: str | None = None  # the current folder (the workers' too): paths are shown from it
    sign: bool = False  # each file's ``signature.stat_line`` too, asked before it is read (the record's)


def _read_task(index: int) -> tuple[int, int, str, ReadResult | None, bytes, bytes]:
    """(size, mtime_ns, digest, what reading gave: None when the cache holds it, its cache row's
    text in UTF-8: made here, on every core, rather than by the parent alone, and its line in the
    shortcut's record, b"" unless ``sign``: the open file's stat, asked before its bytes are read,
    here rather than by the parent alone before the workers start) of one file."""
    ctx = parallel.context(ReadContext)
    cfg, path = ctx.cfg, ctx.files[index]
    # a hit is not decoded; a new cache (every cold build) holds none to look for
    known = (lambda digest: (digest, path) in ctx.hits) if ctx.hits else None
    st, source = read_post_file(path, cfg.content.max_file_bytes, known)
    line = read_line(path, st) if ctx.sign else b""
    size, mtime = (st.st_size, st.st_mtime_ns) if st is not None else (-1, -1)
    if ctx.hits and source.digest and (source.digest, path) in ctx.hits:  # (a cold build's: none to look up)
        return size, mtime, source.digest, None, b"", line
    result = read_post(path, source_root_text(path, cfg), cfg, site_zone(cfg), NEVER, source, ctx.cwd)
    return size, mtime, source.digest, result, read_row_bytes(result) if result[0] is not None and source.digest \
        else b"", line


def read_all(cfg: Config, files: list[str], cache: Cache, progress: Progress | None,
             started: Callable[[], object] | None = None, lines: dict[str, bytes] | None = None
             ) -> list[ReadResult]:
    """What reading each file gives, from the cache when its bytes were seen before.

    A file whose size and mtime are as last seen here is not even opened; any other file is
    hashed, and parsed only when no cached result has that hash. ``started``: called once the
    read workers exist (``parallel.run``), for the parent's work beside them. ``lines``: filled
    with each file's ``signature.stat_line``, asked before it is read.

    A new cache (a cold build) holds nothing to look up: the stage's key (the tool's hash) is then
    worked out once the workers read, not by the parent alone before they start."""
    key = functools.cache(lambda: stage_key(cfg, "read"))  # worked out once, when first needed
    known, hits = ({}, {}) if cache.new else (cache.known_digests(), cache.read_results(key(), cfg.site.url))
    digests: dict[str, str] = {}
    misses = []
    for path in files:
        seen = known.get(path)
        if not seen:  # never seen here (every file of a cold build): its reading task asks the disk
            misses.append(path)
            continue
        try:
            st = os.stat(path)
        except OSError:
            misses.append(path)
            continue
        if seen[:2] == (st.st_size, st.st_mtime_ns) and (seen[2], path) in hits:
            digests[path] = seen[2]
            if lines is not None:
                lines[path] = stat_line(path, st)
        else:
            misses.append(path)

    def begin() -> None:  # once the workers exist
        if started is not None:
            started()
        key()
    fresh: dict[str, ReadResult] = {}
    rows, new, texts = [], [], {}  # texts: path -> its row, in UTF-8 (read_row_bytes)
    shared = ReadContext(cfg, tuple(misses), frozenset(hits), os.getcwd(), lines is not None)
    # the pool's answers first: zip then asks them for one more, which ends the pool in order (a
    # generator zip never finishes is closed instead, and its workers killed, left unreaped for a while)
    for done, ((size, mtime, digest, result, text, line), path) in enumerate(
            zip(parallel.run(_read_task, list(range(len(misses))), default_jobs(cfg), shared,
                             chunksize=READ_CHUNK, started=begin, widest=READ_CHUNK), misses), 1):
        if lines is not None:
            lines[path] = line
        digests[path] = digest
        rows.append((path, size, mtime, digest))
        if result is not None:
            fresh[path] = result
            if result[0] is not None:  # every step after reading asks it: not the parent alone later
                stamp_now(result[0])
            if digest:
                new.append((digest, path, result))
                texts[path] = text
        if len(rows) >= STORE_BATCH:  # stored while the workers read on, not all after them (parent alone)
            if new:
                cache.store_read(key(), new, texts)
            cache.remember_files(rows, None)
            rows, new, texts = [], [], {}
            heap.keep_made()  # the posts so far live to the build's end: never walked by the collector
        if progress and done % 500 == 0:
            progress("read", done, len(misses))
    cache.store_read(key(), new, texts)
    cache.remember_files(rows, set(files))
    return [fresh[f] if f in fresh else hits[(digests[f], f)] for f in files]
