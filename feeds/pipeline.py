"""The pipeline in one readable function: config -> posts -> group -> render -> write -> disk.

Around the pure stages, ``build`` adds what big sites need: a persistent cache (``cache``),
all cores (``parallel``), and skipping every feed whose inputs did not change.
"""
from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from . import aside, entry_check, parallel, shortcut
from .budget import feed_files
from .cache import Cache, WorkerCache
from .config import Config, default_jobs
from .errors import WARNING, Problem, display_path
from .formats import load_makers
from .fragments import entry_fragments, post_fragments
from .group import FeedSpec, group_posts
from .ledger import record_ids, watch_ids, write_ledger
from .liquid import LiquidSite, load_site, one_per_kind
from .output import Output, staging_error
from .posts import NEVER, Post, build_time, check_ids, finish_reading, read_body, read_post, site_zone
from .render import render_post
from .rows import ReadResult, read_row_bytes
from .sources import find_post_files, read_post_file, source_root_text
from .stages import stage_key
from .websub import record_topics
from .xmlfast import content_bytes

Progress = Callable[[str, int, int], None]  # (stage, done, total)
RENDER_BATCH = 32  # posts a render task takes: one cache transaction each


@dataclass
class BuildResult:
    posts: int = 0
    feeds: list[FeedSpec] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    wrote: bool = False  # False: the output folder was left as it was
    seconds: float = 0.0
    planned: int = -1  # feeds planned, when ``feeds`` is not there to count (a replayed build: shortcut)
    replayed: bool = False  # nothing changed: the last build's report, said again (``feeds`` is empty)
    settled: int = -1  # problems a rebuild with no change would say again: this many, from the first

    @property
    def feed_count(self) -> int:
        return self.planned if self.planned >= 0 else len(self.feeds)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]


def output_key(cfg: Config) -> str:
    """Everything in the config and the tool that changes output bytes, as one hash (the feed
    files' key; reading, rendering and entries have keys of their own: ``stages``)."""
    return stage_key(cfg, "feed")


def fingerprint(key: str, spec: FeedSpec, path: str, site: LiquidSite | None = None) -> str:
    """A feed file's inputs: when they are the same as last time, so are its bytes (a Liquid
    post's inputs include the site's includes and data: see render_key)."""
    links = [f.links for f in spec.files]  # an archive's links to its other pages (archives)
    h = hashlib.blake2b(f"{key}\n{path}\n{spec.kind}\n{spec.title}\n{spec.page}\n{links}\n".encode(), digest_size=16)
    for post in spec.entries:
        extra = site.key(post) if site is not None else ""
        h.update(f"{post.path}\0{post.digest}\0{extra}\n".encode())
    return h.hexdigest()


def _put_lists(cfg: Config, specs: list[FeedSpec], files: list[tuple[str, str, str]], out: Output,
               made: aside.Staged | None = None) -> None:
    """The files that list the feeds (OPML, the index page: ``aside.list_files``), rewritten only
    when the list changed; ``made``: those staged beside the build (``aside``)."""
    staged = {path: (entry, written) for path, entry, written in made or []}
    for path, listed, name in files:
        if path in staged:
            out.record(path, *staged[path])
        elif out.same_inputs(path, listed):
            out.keep(path)
        else:
            out.put(path, aside.maker(name)(cfg, specs), listed)


def render_key(key: str, post: Post, site: LiquidSite | None = None) -> str:
    """A post's rendered content is known by the render stage's key, its bytes, and, when its body holds
    Liquid, the hash of the site inputs its template can see (includes, data, config; the posts
    list only if it names posts): an edited include re-renders the Liquid posts, no other."""
    extra = site.key(post) if site is not None else ""
    return hashlib.blake2b(f"{key}\0{post.path}\0{post.digest}\0{extra}".encode(), digest_size=16).hexdigest()


class RenderKeys:
    """``render_key`` of each post, computed once per build (a post is in several feeds, and the
    render, problems and write stages each ask); kept beside the post, so no other can take its id."""

    def __init__(self, key: str, site: LiquidSite | None):
        self.key, self.site = key, site
        self._known: dict[int, tuple[Post, str]] = {}

    def __call__(self, post: Post) -> str:
        found = self._known.get(id(post))
        if found is None or found[0] is not post:
            found = self._known[id(post)] = (post, render_key(self.key, post, self.site))
        return found[1]


def build(cfg: Config, keep_going: bool = False, progress: Progress | None = None,
          now: datetime | None = None, replay: bool = True) -> BuildResult:
    """Build every feed; on errors write nothing unless ``keep_going``. Never prints.

    When nothing it depends on changed since the last build, it only says again what that
    build said (``shortcut``), unless ``replay`` is False."""
    started = time.perf_counter()
    now = now or build_time()
    files, found = find_post_files(cfg)
    quick = shortcut.replay(cfg, files, found, now) if replay else None
    if quick is not None:
        return BuildResult(posts=quick.posts, planned=quick.feeds, unchanged=quick.unchanged, replayed=True,
                           problems=list(quick.problems), wrote=True, seconds=time.perf_counter() - started)
    signed, seen = shortcut.files_hash(files, found) if cfg.cache is not None else "", shortcut.Seen()
    cache = Cache(cfg.cache, name=Path(cfg.file).stem or "cache")  # one file per config file
    early = entry_check.start(cfg, cache, stage_key(cfg, "entry"))  # a fresh clone's fragments, checked meanwhile
    try:
        posts, specs, problems = load(cfg, now, cache=cache, progress=progress, listing=(files, found), seen=seen)
        site, said = load_site(cfg, posts) if any(p.liquid for p in posts) else (None, [])
        result = BuildResult(posts=len(posts), feeds=specs, problems=problems + said)
        rkeys = RenderKeys(stage_key(cfg, "render"), site)
        if not result.errors or keep_going:
            beside = _publish(cfg, specs, cache, result, progress, site, rkeys, early, posts)
            # the ids readers can now have (ledger), their text made beside the build (aside)
            write_ledger(beside.ledger) if beside is not None else record_ids(cfg, posts)
        if cache.posts_changed or site is not None:  # edits leave rendered content nobody needs
            cache.keep_rendered({rkeys(p) for p in posts})
        cache.keep_fragments(stage_key(cfg, "entry"))
        again = _again(cfg, result, seen, posts, site, cache)
        result.problems = one_per_kind(result.problems) + _damage_report(cache)
    finally:
        if early is not None:
            early.stop()
        cache.close()
    shortcut.remember(cfg, signed, seen, again, site, said)
    result.seconds = time.perf_counter() - started
    return result


def _again(cfg: Config, result: BuildResult, seen: shortcut.Seen, posts: list[Post], site: LiquidSite | None,
           cache: Cache) -> shortcut.Replay | None:
    """What a rebuild with no change would report, when that is certain: after a build that
    committed with no errors, said nothing that is said once (the output's records, the cache's
    damage, the write stage's), and has no post rendering the build's time."""
    if not result.wrote or result.errors or cache.damaged or result.settled != len(result.problems) \
            or cache.file != shortcut.cache_file(cfg) or shortcut.uses_time(posts, site):
        return None
    once = {id(p) for p in seen.once}  # the ledger's: the ids are recorded now, not said again
    return shortcut.Replay(result.posts, len(result.feeds), result.unchanged + len(result.written),
                           one_per_kind([p for p in result.problems if id(p) not in once]))


def _damage_report(cache: Cache) -> list[Problem]:
    """One warning for every row of the cache this build found damaged or forged (and ignored)."""
    if not cache.damaged:
        return []
    return [Problem(display_path(cache.file), None, f"{cache.damaged} cache row(s) were damaged or forged and "
                    f"were ignored; nothing to do, or delete {display_path(cache.file.parent)}", WARNING)]


def load(cfg: Config, now: datetime | None = None, cache: Cache | None = None, progress: Progress | None = None,
         listing: tuple[list[str], list[Problem]] | None = None, seen: shortcut.Seen | None = None
         ) -> tuple[list[Post], list[FeedSpec], list[Problem]]:
    """Read and group without writing: what `feeds check` and `feeds list` need too.
    ``listing``: what find_post_files gave, if it was asked already; ``seen``: notes for the
    shortcut's record."""
    files, found_files = listing or find_post_files(cfg)
    problems = list(found_files)
    own = cache is None
    cache = cache or Cache(None)
    try:
        results = _read_all(cfg, files, cache, progress)
    finally:
        if own:
            cache.close()
    now = now or build_time()
    posts, found = finish_reading(cfg, results, now)
    posts, moved = watch_ids(cfg, posts)  # ids that moved since they were published (ledger)
    if seen is not None:
        seen.saw(cfg, (post for post, _, _ in results), now)
        seen.once = moved
    posts, clashes = check_ids(posts)
    problems += found + moved + clashes
    specs, found = group_posts(cfg, posts)
    return posts, specs, list(cfg.warnings) + problems + found


def _publish(cfg: Config, specs: list[FeedSpec], cache: Cache, result: BuildResult,
             progress: Progress | None, site: LiquidSite | None = None, rkeys: RenderKeys | None = None,
             early: parallel.Background[entry_check.Early] | None = None, posts: list[Post] | None = None
             ) -> aside.Answer | None:
    """Render what changed feeds carry, write them, and commit the output folder in one step; what
    was made beside it (``aside``: the lists, and the ledger's text for ``posts``), if it was."""
    key, rendering = output_key(cfg), stage_key(cfg, "render")
    rkeys = rkeys or RenderKeys(rendering, site)
    listed = [s for s in specs if not s.page]  # archive pages are not listed
    try:
        with Output(cfg.output, cfg.file) as out:
            todo, inputs = [], {}  # inputs: file path -> fingerprint, computed once per file
            # no record of this folder (a cold build, a fresh clone): every feed is made, and each
            # write task works out its files' inputs itself, on every core, not the parent alone here
            for spec in specs if out.manifest else ():
                prints = {f.path: fingerprint(key, spec, f.path, site) for f in spec.files}
                if all(out.same_inputs(path, p) for path, p in prints.items()):
                    for path in prints:
                        out.keep(path)
                else:
                    todo.append(spec)
                    inputs.update(prints)
            if not out.manifest:
                todo = list(specs)
            lists = aside.list_files(cfg, key, listed)
            started: list[parallel.Background[aside.Answer | None] | None] = []  # once the render workers exist

            def beside_them() -> None:
                started.append(aside.start(cfg, posts, listed, out, lists) if posts is not None else None)
            try:
                # a cache that earlier runs left intact remembers what rendering said about the posts
                # of unchanged feeds; without one, render those too, so every run warns the same
                fresh = _render_all(cfg, rendering, todo if cache.trusted else specs, cache, site, progress, rkeys,
                                    beside_them)
                beside = started[0] if started else None
                result.problems += _render_problems(cfg, rendering, specs, cache, site, rkeys)
                result.settled = len(result.problems)  # what follows is said once (see _again)
                _write_all(cfg, rendering, todo, inputs, out, cache, site, result, progress, fresh, rkeys,
                           early.result() if early is not None else None)
                answer = beside.result() if beside is not None else None
            finally:
                for process in started:
                    if process is not None:
                        process.stop()
            _put_lists(cfg, listed, lists, out, answer.staged if answer is not None else None)
            out.commit()
            if cfg.feeds.hubs:  # what `feeds ping` tells the hubs
                result.problems += record_topics(out.book, out.owner, cfg.feeds.hubs, specs, out.produced)
    except OSError as exc:
        raise staging_error(cfg.output, exc) from None
    result.written, result.removed, result.wrote = out.written, out.removed, True
    result.problems += out.problems
    result.unchanged = len(out.produced) - len(out.written)
    return answer


# --- what each stage's workers share (inherited by fork): tasks are indices into it ---------

@dataclass(frozen=True)
class ReadContext:
    cfg: Config
    files: tuple[str, ...]  # a read task is an index into these
    hits: frozenset[tuple[str, str]]  # (digest, path) whose reading the cache holds
    cwd: str | None = None  # the current folder (the workers' too): paths are shown from it


@dataclass(frozen=True)
class RenderContext:
    cfg: Config
    key: str  # stage_key(cfg, "render")
    posts: tuple[Post, ...]  # a render task is a range of indices into these
    store: WorkerCache
    site: LiquidSite | None
    entry_key: str = ""  # stage_key(cfg, "entry"): the fragments made beside the rendered content
    formats: tuple[str, ...] = ()  # the formats of the feeds being written


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


# --- reading: cached by content hash, misses read on every core ---------------------------

def _read_task(index: int) -> tuple[int, int, str, ReadResult | None, bytes]:
    """(size, mtime_ns, digest, what reading gave: None when the cache holds it, its cache row's
    text in UTF-8: made here, on every core, rather than by the parent alone) of one file."""
    ctx = parallel.context(ReadContext)
    cfg, path = ctx.cfg, ctx.files[index]
    size, mtime, source = read_post_file(path, cfg.content.max_file_bytes,
                                         lambda digest: (digest, path) in ctx.hits)  # a hit is not decoded
    if source.digest and (source.digest, path) in ctx.hits:
        return size, mtime, source.digest, None, b""
    result = read_post(path, source_root_text(path, cfg), cfg, site_zone(cfg), NEVER, source, ctx.cwd)
    return size, mtime, source.digest, result, read_row_bytes(result) if result[0] is not None and source.digest \
        else b""


def _read_all(cfg: Config, files: list[str], cache: Cache, progress: Progress | None) -> list[ReadResult]:
    """What reading each file gives, from the cache when its bytes were seen before.

    A file whose size and mtime are as last seen here is not even opened; any other file is
    hashed, and parsed only when no cached result has that hash."""
    key = stage_key(cfg, "read")
    known, hits = cache.known_digests(), cache.read_results(key, cfg.site.url)
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
        else:
            misses.append(path)
    fresh: dict[str, ReadResult] = {}
    rows, new, texts = [], [], {}  # texts: path -> its row, in UTF-8 (read_row_bytes)
    shared = ReadContext(cfg, tuple(misses), frozenset(hits), os.getcwd())
    for done, (path, (size, mtime, digest, result, text)) in enumerate(
            zip(misses, parallel.run(_read_task, list(range(len(misses))), default_jobs(cfg), shared,
                                     chunksize=64)), 1):
        digests[path] = digest
        rows.append((path, size, mtime, digest))
        if result is not None:
            fresh[path] = result
            if digest:
                new.append((digest, path, result))
                texts[path] = text
        if progress and done % 500 == 0:
            progress("read", done, len(misses))
    cache.store_read(key, new, texts)
    cache.remember_files(rows, set(files))
    return [fresh[f] if f in fresh else hits[(digests[f], f)] for f in files]


# --- rendering: cached, on every core -----------------------------------------------------

def _render_task(batch: range) -> tuple[int, list[str]]:
    """Render a batch of posts and make their entry fragments right away, storing both in one
    transaction; the rkeys stored (their rows are this build's own: see ``_render_all``)."""
    ctx = parallel.context(RenderContext)
    rendered, fragments, bodies = [], [], {}
    for i in batch:
        post = ctx.posts[i]
        rkey = render_key(ctx.key, post, ctx.site)
        content, said = render_post(post, read_body(post), ctx.cfg, ctx.site)
        rendered.append((rkey, content, said))
        fragments += post_fragments(ctx.cfg, post, content, rkey, ctx.entry_key, ctx.formats)
        bodies[rkey] = content_bytes(content.content)  # made for the fragments just now: free
    stored = ctx.store.put(rendered, fragments, bodies)
    return len(batch), [rkey for rkey, _, _ in rendered] if stored else []


def _render_all(cfg: Config, key: str, specs: list[FeedSpec], cache: Cache, site: LiquidSite | None,
                progress: Progress | None, rkeys: RenderKeys | None = None,
                started: Callable[[], object] | None = None) -> frozenset[str]:
    """Render every post that a feed to be written carries, once, into the cache, with its entry
    fragments in every format being written; the rkeys whose rows this build stored (they are its
    own, not input: the write stage checks neither their fragments nor what it makes of them).

    Workers store what they render themselves, a batch per task: the bodies never travel back
    here, and memory follows the number of feeds' entries being written, not every body.
    ``started``: called once the render workers exist (``parallel.run``)."""
    rkey = rkeys or RenderKeys(key, site)
    needed = {rkey(p): p for s in specs for p in s.entries}
    found = cache.rendered(list(needed))
    misses = [p for rkey, p in needed.items() if rkey not in found]
    batches = [range(i, min(i + RENDER_BATCH, len(misses))) for i in range(0, len(misses), RENDER_BATCH)]
    cache.commit()  # the workers write to the same file
    jobs = default_jobs(cfg) if len(misses) >= parallel.MIN_TASKS_PER_JOB * 2 else 1
    done, fresh = 0, set()
    formats = tuple(dict.fromkeys(f.format for s in specs for f in s.files))
    load_makers(formats)  # once here, not in every worker
    shared = RenderContext(cfg, key, tuple(misses), WorkerCache(cache.file), site, stage_key(cfg, "entry"), formats)
    for count, stored in parallel.run(_render_task, batches, jobs, shared, chunksize=1, min_tasks=2,
                                      started=started):
        done += count
        fresh.update(stored)
        if progress:
            progress("render", done, len(misses))
    return frozenset(fresh)


def _render_problems(cfg: Config, key: str, specs: list[FeedSpec], cache: Cache, site: LiquidSite | None,
                     rkeys: RenderKeys | None = None) -> list[Problem]:
    """What rendering said about every post the feeds carry, rendered now or in an earlier run,
    so that a rerun reports the same warnings (and --strict fails the same way). A post whose
    cached row is damaged is rendered again here (rare), and what that says is stored anew."""
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
    fragments, problems, damaged = entry_fragments(cfg, spec, rkeys, stage_key(cfg, "entry"), store, site)
    data, over = feed_files(cfg, spec, fragments)
    problems += over
    # a feed cut to its budget is recorded as made from other inputs, so the next build makes it
    # again and says so again (its bytes are the same: nothing is rewritten)
    mark = " over feeds.max_bytes" if over else ""
    staged = [(f.path, *out.stage(f.path, data[f.path], (inputs.get(f.path) or fingerprint(ctx.feed_key, spec, f.path,
                                                                                          site)) + mark))
              for f in spec.files]
    return staged, problems, damaged


def _write_all(cfg: Config, key: str, specs: list[FeedSpec], inputs: dict[str, str], out: Output, cache: Cache,
               site: LiquidSite | None, result: BuildResult, progress: Progress | None,
               fresh: frozenset[str] = frozenset(), rkeys: RenderKeys | None = None,
               early: entry_check.Early | None = None) -> None:
    load_makers(dict.fromkeys(f.format for s in specs for f in s.files))  # once here, not in every worker
    rkeys = rkeys or RenderKeys(key, site)
    store = WorkerCache(cache.file, fresh)  # each distinct cached fragment checked once, on every core
    checked = entry_check.check_cached_fragments(cfg, specs, rkeys, stage_key(cfg, "entry"), store,
                                                 default_jobs(cfg), early)
    shared = WriteContext(cfg, key, tuple(specs), inputs, out, WorkerCache(cache.file, fresh, checked), site, rkeys,
                          output_key(cfg))
    damaged: set[str] = set()
    for done, (staged, problems, bad) in enumerate(parallel.run(_write_task, list(range(len(specs))),
                                                                default_jobs(cfg), shared, chunksize=8), 1):
        for path, entry, written in staged:
            out.record(path, entry, written)
        result.problems += [p for p in problems if p not in result.problems]
        damaged |= bad
        if progress and done % 100 == 0:
            progress("write", done, len(specs))
    cache.damaged += len(damaged)
