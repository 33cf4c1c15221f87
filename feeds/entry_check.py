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
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from . import parallel
from .cache import WorkerCache, fragment_digest
from .config import Config
from .fragment_check import fragment_ok
from .fragments import fragment_key
from .group import FeedSpec
from .posts import Post

BATCH = 64  # posts a check task takes: one query for their fragments


@dataclass(frozen=True)
class CheckContext:
    cfg: Config
    posts: tuple[Post, ...]  # a task is a range of indices into these and into keys
    keys: tuple[tuple[tuple[str, str], ...], ...]  # each post's (format, fkey) pairs
    store: WorkerCache


def _check_task(batch: range) -> list[tuple[str, bytes]]:
    """(fkey, SHA-256 of its bytes) of each fragment of the batch's posts that is cached and passes."""
    ctx = parallel.context(CheckContext)
    found, _ = ctx.store.fragments([fkey for i in batch for _, fkey in ctx.keys[i]])
    passed = []
    for i in batch:
        for fmt, fkey in ctx.keys[i]:
            data = found.get(fkey)
            if data is not None and fragment_ok(fmt, data, ctx.posts[i], ctx.cfg):
                passed.append((fkey, fragment_digest(data)))
    return passed


def check_cached_fragments(cfg: Config, specs: Sequence[FeedSpec], rkey: Callable[[Post], str], entry_key: str,
                           store: WorkerCache, jobs: int) -> dict[str, bytes]:
    """fkey -> the SHA-256 of its cached bytes, for each fragment of the ``specs``' entries in their
    formats that the cache holds and that passes ``fragment_ok``; the posts ``store.fresh`` names
    (rendered by this build: their rows are its own) are not looked at."""
    formats: dict[str, dict[str, None]] = {}  # rkey -> the formats its post is written in
    posts: dict[str, Post] = {}
    for spec in specs:
        names = [f.format for f in spec.files]
        for post in spec.entries:
            key = rkey(post)
            if key not in store.fresh:
                posts.setdefault(key, post)
                formats.setdefault(key, {}).update(dict.fromkeys(names))
    if not posts:  # a cold build: every fragment is this build's own
        return {}
    keys = tuple(tuple((fmt, fragment_key(entry_key, key, fmt)) for fmt in formats[key]) for key in posts)
    batches = [range(i, min(i + BATCH, len(keys))) for i in range(0, len(keys), BATCH)]
    jobs = jobs if len(keys) >= parallel.MIN_TASKS_PER_JOB * 2 else 1
    shared = CheckContext(cfg, tuple(posts.values()), keys, store)
    checked: dict[str, bytes] = {}
    for passed in parallel.run(_check_task, batches, jobs, shared, chunksize=1, min_tasks=2):
        checked.update(passed)
    return checked

