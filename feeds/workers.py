"""What each stage runs on every core: reading, rendering and writing, each as a frozen context
the workers share (inherited by fork), a task run in the workers, and the runner that hands out the
tasks and gathers what they give. ``pipeline`` calls the runners in order; this module knows
nothing of it.
"""
from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from . import entry_check, handoff, parallel
from .budget import feed_files
from .cache import Cache, WorkerCache
from .config import Config, default_jobs
from .errors import Problem
from .formats import load_makers
from .fragments import entry_fragments, post_fragments
from .group import FeedSpec
from .handoff import Entry, Handed, Handoff, Room, hand
from .liquid import LiquidSite
from .output import Output
from .posts import NEVER, Post, read_body, read_body_utf8, read_post, site_zone
from .render import render_post
from .rows import ReadResult, read_row_bytes
from .shortcut import read_line, stat_line
from .sources import read_post_file, source_root_text
from .stages import RenderKeys, fingerprint, output_key, render_key, stage_key
from .xmlfast import content_bytes

Progress = Callable[[str, int, int], None]  # (stage, done, total)
RENDER_BATCH = 32  # posts a render task takes: one cache transaction each
STORE_BATCH = 1024  # read results the parent stores at a time, as they come


# --- what each stage's workers share (inherited by fork): tasks are indices into it ----------

@dataclass(frozen=True)
class ReadContext:
    cfg: Config
    files: tuple[str, ...]  # a read task is an index into these
    hits: frozenset[tuple[str, str]]  # (digest, path) whose reading the cache holds
    cwd: str | None = None  # the current folder (the workers' too): paths are shown from it
    sign: bool = False  # each file's ``shortcut.stat_line`` too, asked before it is read (the record's)


@dataclass(frozen=True)
class RenderContext:
    cfg: Config
    key: str  # stage_key(cfg, "render")
    posts: tuple[Post, ...]  # a render task is a range of indices into these
    store: WorkerCache
    site: LiquidSite | None
    entry_key: str = ""  # stage_key(cfg, "entry"): the fragments made beside the rendered content
    formats: tuple[str, ...] = ()  # the formats of the feeds being written
    room: Room | None = None  # the bytes of fragments the tasks may still hand back (``handoff``)


@dataclass(frozen=True)
class WriteContext:
    cfg: Config
    key: str  # stage_key(cfg, "render")
    specs: tuple[FeedSpec, ...]  # a write task is an index into these
    inputs: Mapping[str, str]  # file path -> fingerprint; a file not here: the task works it out
    out: Output
    store: WorkerCache
    site: LiquidSite | None
    rkeys: RenderKeys | None = None  # filled in the parent before the fork: workers only look up
    feed_key: str = ""  # output_key(cfg): the fingerprints' key
    entry_key: str = ""  # stage_key(cfg, "entry"), worked out once (hashing the config, per task, cost more)


# --- reading: cached by content hash, misses read on every core ---------------------------

def _read_task(index: int) -> tuple[int, int, str, ReadResult | None, bytes, bytes]:
    """(size, mtime_ns, digest, what reading gave: None when the cache holds it, its cache row's
    text in UTF-8: made here, on every core, rather than by the parent alone, and its line in the
    shortcut's record, b"" unless ``sign``: the open file's stat, asked before its bytes are read,
    here rather than by the parent alone before the workers start) of one file."""
    ctx = parallel.context(ReadContext)
    cfg, path = ctx.cfg, ctx.files[index]
    st, source = read_post_file(path, cfg.content.max_file_bytes,
                                lambda digest: (digest, path) in ctx.hits)  # a hit is not decoded
    line = read_line(path, st) if ctx.sign else b""
    size, mtime = (st.st_size, st.st_mtime_ns) if st is not None else (-1, -1)
    if source.digest and (source.digest, path) in ctx.hits:
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
    with each file's ``shortcut.stat_line``, asked before it is read.

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
                             chunksize=64, started=begin), misses), 1):
        if lines is not None:
            lines[path] = line
        digests[path] = digest
        rows.append((path, size, mtime, digest))
        if result is not None:
            fresh[path] = result
            if digest:
                new.append((digest, path, result))
                texts[path] = text
        if len(rows) >= STORE_BATCH:  # stored while the workers read on, not all after them (parent alone)
            if new:
                cache.store_read(key(), new, texts)
            cache.remember_files(rows, None)
            rows, new, texts = [], [], {}
        if progress and done % 500 == 0:
            progress("read", done, len(misses))
    cache.store_read(key(), new, texts)
    cache.remember_files(rows, set(files))
    return [fresh[f] if f in fresh else hits[(digests[f], f)] for f in files]


# --- rendering: cached, on every core -----------------------------------------------------

def _render_task(batch: range) -> tuple[int, list[str], Handed]:
    """Render a batch of posts and make their entry fragments right away, storing both in one
    transaction; the rkeys stored (their rows are this build's own: see ``render_all``), and the
    fragments handed to the write stage (as many as ``room`` has room for: ``handoff``)."""
    ctx = parallel.context(RenderContext)
    rendered, fragments, bodies = [], [], {}
    for i in batch:
        post = ctx.posts[i]
        rkey = render_key(ctx.key, post, ctx.site)
        body, utf8 = read_body_utf8(post)
        content, said = render_post(post, body, ctx.cfg, ctx.site, utf8)
        rendered.append((rkey, content, said))
        fragments += post_fragments(ctx.cfg, post, content, rkey, ctx.entry_key, ctx.formats)
        bodies[rkey] = content_bytes(content.content, content.checked)  # made for the fragments just now: free
    stored = ctx.store.put(rendered, fragments, bodies)
    return len(batch), [rkey for rkey, _, _ in rendered] if stored else [], hand(fragments, ctx.room)


def render_all(cfg: Config, key: str, specs: list[FeedSpec], cache: Cache, site: LiquidSite | None,
               progress: Progress | None, rkeys: RenderKeys | None = None,
               started: Callable[[], object] | None = None) -> Handoff:
    """Render every post that a feed to be written carries, once, into the cache, with its entry
    fragments in every format being written; the rkeys whose rows this build stored (they are its
    own, not input: the write stage checks neither their fragments nor what it makes of them), and
    the fragments handed back (``handoff``: the write workers need not read them from the cache).

    Workers store what they render themselves, a batch per task: the bodies never travel back
    here (the fragments handed over lie in a file of their own: ``handoff``), and memory follows
    the number of feeds' entries being written, not every body.
    ``started``: called once the render workers exist (``parallel.run``)."""
    if cache.new:  # it holds no rendered content: every post, each once, its key made by its worker
        misses = list({id(p): p for s in specs for p in s.entries}.values())
    else:
        rkey = rkeys or RenderKeys(key, site)
        needed = {rkey(p): p for s in specs for p in s.entries}
        found = cache.rendered(list(needed))
        misses = [p for rkey, p in needed.items() if rkey not in found]
    batches = [range(i, min(i + RENDER_BATCH, len(misses))) for i in range(0, len(misses), RENDER_BATCH)]
    jobs = default_jobs(cfg) if len(misses) >= parallel.MIN_TASKS_PER_JOB * 2 else 1
    done, fresh = 0, set()
    made: dict[str, Entry] = {}  # fkey -> where its fragment lies in the room's file
    formats = tuple(dict.fromkeys(f.format for s in specs for f in s.files))
    load_makers(formats)  # once here, not in every worker
    room = Room(handoff.MAX_BYTES) if misses else None  # made before the fork: the workers share it
    shared = RenderContext(cfg, key, tuple(misses), cache.for_workers(), site, stage_key(cfg, "entry"), formats,
                           room)
    for count, stored, handed in parallel.run(_render_task, batches, jobs, shared, chunksize=1, min_tasks=2,
                                              started=started):
        done += count
        fresh.update(stored)
        made.update(handed)
        if progress:
            progress("render", done, len(misses))
    cache.seal()  # a new cache: every worker has finished
    return Handoff(frozenset(fresh), made, room)


def render_problems(cfg: Config, key: str, specs: list[FeedSpec], cache: Cache, site: LiquidSite | None,
                    rkeys: RenderKeys | None = None) -> list[Problem]:
    """What rendering said about every post the feeds carry, rendered now or in an earlier run,
    so that a rerun reports the same warnings (and --strict fails the same way). A post whose
    cached row is damaged is rendered again here (rare), and what that says is stored anew."""
    if not cache.said_anything():  # not a key of every feed's every entry worked out for nothing (a clean site)
        return []
    rkey = rkeys or RenderKeys(key, site)
    posts = {rkey(p): p for s in specs for p in s.entries}
    said, bad = cache.render_problems({rkey: p.path for rkey, p in posts.items()})
    if bad:
        redone = [(rkey, *render_post(posts[rkey], read_body(posts[rkey]), cfg, site)) for rkey in bad]
        cache.store_rendered(redone)
        cache.commit()  # the write workers read the content from the file
        said.update((rkey, problems) for rkey, _, problems in redone)
    return [problem for rkey in posts for problem in said.get(rkey, [])]


# --- writing: feedgen on every core, each worker staging its own files --------------------

def _write_task(index: int) -> tuple[list[tuple[str, list[object], bool]], list[Problem], set[str]]:
    """A feed's files, staged; what rendering said about posts rendered here; the keys of the
    cache rows found damaged or forged (made again, and stored again)."""
    ctx = parallel.context(WriteContext)
    cfg, key, inputs, out, store, site = ctx.cfg, ctx.key, ctx.inputs, ctx.out, ctx.store, ctx.site
    spec = ctx.specs[index]
    rkey = ctx.rkeys or RenderKeys(key, site)  # key: the render stage's
    rkeys = [rkey(p) for p in spec.entries]
    fragments, problems, damaged, bodies = entry_fragments(cfg, spec, rkeys, ctx.entry_key or stage_key(cfg, "entry"),
                                                           store, site)
    data, over = feed_files(cfg, spec, fragments, bodies)
    problems += over
    # a feed cut to its budget is recorded as made from other inputs, so the next build makes it
    # again and says so again (its bytes are the same: nothing is rewritten)
    mark = " over feeds.max_bytes" if over else ""
    staged = [(f.path, *out.stage(f.path, data[f.path], (inputs.get(f.path) or fingerprint(ctx.feed_key, spec, f.path,
                                                                                          site)) + mark))
              for f in spec.files]
    return staged, problems, damaged


def write_all(cfg: Config, key: str, specs: list[FeedSpec], inputs: dict[str, str], out: Output, cache: Cache,
              site: LiquidSite | None, said: list[Problem], progress: Progress | None,
              made: Handoff | None = None, rkeys: RenderKeys | None = None,
              early: entry_check.Early | None = None) -> None:
    """Write the feeds ``specs``, each staged by a worker and recorded in ``out`` here; what the
    write tasks say is added to ``said`` (the build's problems), each problem once. ``made``: what
    the render stage made (``render_all``)."""
    load_makers(dict.fromkeys(f.format for s in specs for f in s.files))  # once here, not in every worker
    rkeys = rkeys or RenderKeys(key, site)
    made = made or Handoff()
    fresh = made.fresh
    # a new cache (reset since the render stage) is theirs too: sealed once they end
    store = cache.for_workers(fresh)  # each distinct cached fragment checked once, on every core
    entry_key = stage_key(cfg, "entry")
    # a new cache holds this build's fragments only (its own: fresh), none another build made to check
    checked = {} if cache.new else entry_check.check_cached_fragments(cfg, specs, rkeys, entry_key, store,
                                                                       default_jobs(cfg), early)
    shared = WriteContext(cfg, key, tuple(specs), inputs, out, cache.for_workers(fresh, checked, made),
                          site, rkeys, output_key(cfg), entry_key)
    damaged: set[str] = set()
    try:
        for done, (staged, problems, bad) in enumerate(parallel.run(_write_task, list(range(len(specs))),
                                                                    default_jobs(cfg), shared, chunksize=8), 1):
            for path, entry, written in staged:
                out.record(path, entry, written)
            said += [p for p in problems if p not in said]
            damaged |= bad
            if progress and done % 100 == 0:
                progress("write", done, len(specs))
    finally:
        made.close()  # what the render stage handed over is read: its memory goes back
    cache.seal()  # a new cache: every write worker has finished
    cache.damaged += len(damaged)
