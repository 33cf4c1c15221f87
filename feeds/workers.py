"""What the render and write stages run on every core (reading: ``reading``), each as a frozen
context the workers share (inherited by fork), a task run in the workers, and the runner that
hands out the tasks and gathers what they give. ``pipeline`` calls the runners in order; this
module knows nothing of it.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from . import entry_check, handoff, parallel
from .budget import feed_files
from .cache import Cache, WorkerCache
from .config import Config, default_jobs
from .errors import Problem
from .feedspec import FeedSpec
from .formats import load_makers
from .fragments import entry_fragments, post_fragments
from .handoff import Entry, Handed, Handoff, Room, hand
from .liquid import LiquidSite
from .output import Output
from .parallel import Progress
from .posts import Post, read_body, read_body_utf8
from .render import render_post
from .stages import RenderKeys, fingerprints, output_key, render_key, stage_key
from .xmlfast import content_bytes

RENDER_BATCH = 32  # posts a render task takes: one cache transaction each


# --- what each stage's workers share (inherited by fork): tasks are indices into it ----------

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
               started: Callable[[], object] | None = None, room: Room | None = None) -> Handoff:
    """Render every post that a feed to be written carries, once, into the cache, with its entry
    fragments in every format being written; the rkeys whose rows this build stored (they are its
    own, not input: the write stage checks neither their fragments nor what it makes of them), and
    the fragments handed back (``handoff``: the write workers need not read them from the cache).

    Workers store what they render themselves, a batch per task: the bodies never travel back
    here (the fragments handed over lie in a file of their own: ``handoff``), and memory follows
    the number of feeds' entries being written, not every body.
    ``started``: called once the render workers exist (``parallel.run``); ``room``: the file to
    hand the fragments over in, when the build has one already (``entry_check.start``'s)."""
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
    if room is None and misses:
        room = Room(handoff.MAX_BYTES)  # made before the fork: the workers share it
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
    entry_key = ctx.entry_key or stage_key(cfg, "entry")
    fragments, problems, damaged, first_media = entry_fragments(cfg, spec, rkeys, entry_key, store, site)
    data, over = feed_files(cfg, spec, fragments, first_media)
    problems += over
    # a feed cut to its budget is recorded as made from other inputs, so the next build makes it
    # again and says so again (its bytes are the same: nothing is rewritten)
    mark = " over feeds.max_bytes" if over else ""
    known = {f.path: inputs[f.path] for f in spec.files if inputs.get(f.path)}
    if len(known) < len(spec.files):  # a cold build's every file: worked out here, on every core (pipeline._to_make)
        paths = [f.path for f in spec.files if f.path not in known]
        known.update(zip(paths, fingerprints(ctx.feed_key, spec, paths, site)))
    staged = [(f.path, *out.stage(f.path, data[f.path], known[f.path] + mark)) for f in spec.files]
    return staged, problems, damaged


def _with_checked(made: Handoff, checked: Mapping[str, bytes], early: entry_check.Early | None) -> Handoff:
    """``made``, with the fragments the background check wrote into the same file (``entry_check``)
    whose bytes passed (their digest is the one ``checked`` holds): the write workers take them
    from there as they take the render stage's, with no read of the cache and no digest."""
    if early is None or not early.handed or early.room is not made.room:
        return made
    handed = {fkey: entry for fkey, entry in early.handed.items()
              if fkey in checked and checked[fkey] == early.said[fkey][1]}
    return Handoff(made.fresh, {**handed, **made.entries}, made.room) if handed else made


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
    made = _with_checked(made, checked, early)
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
