"""Check each cached entry fragment a build publishes once, on every core, before the write stage.

A post is in about two feeds on average, and the write workers each assemble whichever feeds
they are handed: left to them, a fragment is checked (``fragment_check``, the larger part of a
fresh clone's work) by every worker that meets it. Here the distinct fragments are split into
batches of posts (a post's formats together: they share the content's check) and checked once,
in the otherwise idle time between rendering (everything cached) and writing. What passed goes
to the write workers as the SHA-256 of the bytes checked: a worker uses a row it reads only when
its bytes have that digest; anything else (a row that failed, or changed since) is checked there
as before, and made again when it fails, so the damage report and the repair stay the write
stage's.

On a fresh clone (a cache, no records of the output folder: every feed will be written) with
more than one job, most of the checking starts with the build, in background processes, one per
job, each on its share of the posts (``start``): what a fragment says of its post
(``fragment_fields``) needs no post, so the cached fragments are checked while the parent reads
and groups the posts; the check stage then compares what each says with its post
(``expected_fields``) and checks only what the background did not vouch for. The background also
writes the bytes it checked into a file in memory (``handoff``: as the render stage hands over
what it makes), made before it is forked: a fragment vouched for goes to the write workers from
there, not read from the cache again and hashed to be known as the bytes checked (a third of a
fresh clone's write stage). Those bytes are then the last check before publishing: a row that is
not its key's own (another post's rkey, or a key the cache gives twice) is vouched for in none.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import handoff, parallel
from .cache import Cache, WorkerCache, fragment_digest, joined, joined_rows
from .config import Config, default_jobs
from .feedspec import FeedSpec
from .fragment_check import Fields, expected_fields, fragment_fields, fragment_format, fragment_ok
from .fragments import fragment_key
from .handoff import Entry, Handed, Room, Stream
from .posts import Post

BATCH = 64  # posts a check task takes: one query for their fragments


@dataclass(frozen=True)
class CheckContext:
    cfg: Config
    posts: tuple[Post, ...]  # a task is a range of indices into these and into keys
    keys: tuple[tuple[tuple[str, str], ...], ...]  # each post's (format, fkey) pairs
    rkeys: tuple[str, ...]  # each post's rkey
    store: WorkerCache


def _check_task(batch: range) -> list[tuple[str, bytes]]:
    """(fkey, SHA-256 of its bytes) of each fragment of the batch's posts that is cached and passes."""
    ctx = parallel.context(CheckContext)
    found, _ = ctx.store.fragments({fkey: ctx.rkeys[i] for i in batch for _, fkey in ctx.keys[i]})
    passed = []
    for i in batch:
        for fmt, fkey in ctx.keys[i]:
            data = found.get(fkey)
            if data is not None and fragment_ok(fmt, data, ctx.posts[i], ctx.cfg):
                passed.append((fkey, fragment_digest(data)))
    return passed


Said = Mapping[str, tuple[str, bytes, Fields]]  # fkey -> (its format, its digest, what it says of its post)


@dataclass(frozen=True)
class Early:
    """What the background check found: what each fragment that passed says of its post (``said``),
    and where its bytes lie in ``room``'s file (``handed``), for those the room had space for."""
    said: Said
    handed: Mapping[str, Entry]
    room: Room | None = None


@dataclass(frozen=True)
class CheckJob:
    """One background check process's share: the fragment rows of ``entry_key`` whose post (rkey, a
    hex digest) falls in ``part`` of ``parts`` by its last digit, a post's formats together."""
    cfg: Config
    file: Path
    entry_key: str
    room: Room
    part: int = 0
    parts: int = 1


class Started:
    """The background check, running (``start``): a process per job, each checking its share of the
    rows, and the file they write what passed into."""

    def __init__(self, jobs: list[CheckJob]):
        self.room = jobs[0].room
        self._processes = [parallel.Background(_check_all, job) for job in jobs]

    def result(self) -> Early | None:
        """What they found (waiting for them); None when one failed or was stopped."""
        said: dict[str, tuple[str, bytes, Fields]] = {}
        handed: dict[str, Entry] = {}
        for process in self._processes:
            answer = process.result()
            if answer is None:
                self.stop()
                return None
            said.update(answer[0])
            handed.update(answer[1])
        return Early(said, handed, self.room)

    def stop(self) -> None:
        for process in self._processes:
            process.stop()


def start(cfg: Config, cache: Cache, entry_key: str) -> Started:
    """The background check of every cached fragment of this entry key, started now, in as many
    processes as jobs (after reading, the parent groups the posts alone, then waits for the check),
    at most one per hex digit a post's rkey can end in (how the rows are shared out). The caller
    tells when it pays (``pipeline``: a fresh clone with more than one job)."""
    parts = max(1, min(default_jobs(cfg), 16))
    room = Room(handoff.MAX_BYTES)
    return Started([CheckJob(cfg, cache.file, entry_key, room, part, parts) for part in range(parts)])


def _check_all(job: CheckJob) -> tuple[dict[str, tuple[str, bytes, Fields]], Handed]:
    """(format, SHA-256, ``fragment_fields``) of each fragment row of the job's share that passes
    and is the fragment its key names (its post's rkey, its format), and where each lies in the
    room's file (``handoff.Stream``). A key that comes twice (its row joined to two rendered rows
    of one post: a cache whose unique indexes are gone) is vouched for in neither: the check stage
    and the write stage look at it as at any other row. A row whose rkey ends in no hex digit
    falls in part 0."""
    found = {}
    seen: set[Any] = set()  # the keys as sqlite gives them (any type: the cache is input)
    twice: set[Any] = set()
    stream = Stream(job.room)
    db = sqlite3.connect(job.file, timeout=60)
    share = "f.ekey = ? AND instr('0123456789abcdef', substr(f.rkey, -1)) % ? = ?"
    try:
        for fkey, rkey, head, tail, body in db.execute(joined_rows(share), (job.entry_key, job.parts, job.part)):
            if fkey in seen:
                twice.add(fkey)
                continue
            seen.add(fkey)
            data = joined(head, tail, body if type(body) is bytes else None)
            if type(fkey) is str and type(rkey) is str and data is not None:
                fmt = fragment_format(data)
                said = fragment_fields(fmt, data, job.cfg)
                # a row naming another post's rkey than its key's (forged) would join that post's body
                if said is not None and fkey == fragment_key(job.entry_key, rkey, fmt):
                    found[fkey] = (fmt, fragment_digest(data), said)
                    stream.add(fkey, rkey, *((head, body, tail) if tail is not None else (data, b"", b"")))
    except sqlite3.Error:
        pass  # what was not checked here is checked in the check stage
    finally:
        db.close()
    for fkey in twice:
        found.pop(fkey, None)
    return found, [(fkey, entry) for fkey, entry in stream.close() if fkey not in twice]


def check_cached_fragments(cfg: Config, specs: Sequence[FeedSpec], rkey: Callable[[Post], str], entry_key: str,
                           store: WorkerCache, jobs: int, early: Early | None = None) -> dict[str, bytes]:
    """fkey -> the SHA-256 of its cached bytes, for each fragment of the ``specs``' entries in their
    formats that the cache holds and that passes ``fragment_ok``; the posts ``store.fresh`` names
    (rendered by this build: their rows are its own) are not looked at. ``early``: what the
    background check found (``start``); a fragment it vouches for, in the format wanted here,
    passes when what it says of its post is what the post says."""
    formats: dict[str, dict[str, None]] = {}  # rkey -> the formats its post is written in
    posts: dict[str, Post] = {}
    for spec in specs:
        names = [f.format for f in spec.files]
        for post in spec.entries:
            key = rkey(post)
            if key not in store.fresh:
                posts.setdefault(key, post)
                formats.setdefault(key, {}).update(dict.fromkeys(names))
    checked: dict[str, bytes] = {}
    if early is not None and early.said:
        for key, post in list(posts.items()):
            for fmt in formats[key]:
                fkey = fragment_key(entry_key, key, fmt)
                vouched = early.said.get(fkey)
                if vouched is None or vouched[0] != fmt or vouched[2] != expected_fields(fmt, post):
                    break
                checked[fkey] = vouched[1]
            else:
                del posts[key]  # every format vouched for
    if not posts:  # a cold build (every fragment is this build's own), or all checked early
        return checked
    keys = tuple(tuple((fmt, fragment_key(entry_key, key, fmt)) for fmt in formats[key]) for key in posts)
    batches = [range(i, min(i + BATCH, len(keys))) for i in range(0, len(keys), BATCH)]
    jobs = jobs if len(keys) >= parallel.MIN_TASKS_PER_JOB * 2 else 1
    shared = CheckContext(cfg, tuple(posts.values()), keys, tuple(posts), store)
    for passed in parallel.run(_check_task, batches, jobs, shared, chunksize=1, min_tasks=2):
        checked.update(passed)
    return checked

