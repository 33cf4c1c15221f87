"""The pipeline in one readable function: config -> posts -> group -> render -> write -> disk.

Around the pure stages, ``build`` adds what big sites need: a persistent cache (``cache``),
all cores (``parallel``; what each stage runs there: ``reading``, ``workers``), and skipping every
feed whose inputs did not change (``stages``: the keys).

The render and write stages' modules (``workers``, ``entry_check``: the renderer, the writers,
their libraries) are imported once the read workers read (``_beside_reading``), not up front: the
parent forks the readers sooner, and `feeds check`, `feeds list` and a replayed build never load them.
So are grouping's (``group``, ``feedspec``, ``archives``) and the Liquid site's (``liquid``), which
reading does not need (~5 ms of the parent's CPU alone before the read workers fork): `feeds check`
and `feeds list` import them when they group (``group_posts``).
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from . import parallel, reading, shortcut, teardown
from .bookkeeping import folder_of, manifest_file, owner_of
from .cache import Cache
from .config import Config, default_jobs
from .errors import WARNING, Problem, display_path
from .ledger import record_ids, watch_ids, write_ledger  # shortcut imports it anyway
from .parallel import Progress
from .posts import Post, build_time, check_ids, finish_reading
from .sources import find_post_files
from .stages import RenderKeys, fingerprint, output_key, stage_key

if TYPE_CHECKING:
    from . import aside, entry_check
    from .feedspec import FeedSpec
    from .liquid import LiquidSite
    from .output import Output


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


def _put_lists(cfg: Config, specs: list[FeedSpec], files: list[tuple[str, str, str]], out: Output,
               made: aside.Staged | None = None) -> None:
    """The files that list the feeds (OPML, the index page: ``aside.list_files``), rewritten only
    when the list changed; ``made``: those staged beside the build (``aside``)."""
    from . import aside

    staged = {path: (entry, written) for path, entry, written in made or []}
    for path, listed, name in files:
        if path in staged:
            out.record(path, *staged[path])
        elif out.same_inputs(path, listed):
            out.keep(path)
        else:
            out.put(path, aside.maker(name)(cfg, specs), listed)


def build(cfg: Config, keep_going: bool = False, progress: Progress | None = None,
          now: datetime | None = None, replay: bool = True) -> BuildResult:
    """Build every feed; on errors write nothing unless ``keep_going``. Never prints.

    When nothing it depends on changed since the last build, it only says again what that
    build said (``shortcut``), unless ``replay`` is False.

    What only the stages after reading need (the output folder, the lists, WebSub's record) is
    imported once the read workers read (``_beside_reading``), as the renderer is."""
    started = time.perf_counter()
    now = now or build_time()
    files, found = find_post_files(cfg)
    quick = shortcut.replay(cfg, files, found, now) if replay else None
    if quick is not None:
        return BuildResult(posts=quick.posts, planned=quick.feeds, unchanged=quick.unchanged, replayed=True,
                           problems=list(quick.problems), wrote=True, seconds=time.perf_counter() - started)
    seen = shortcut.Seen()
    cache = Cache(cfg.cache, name=Path(cfg.file).stem or "cache")  # one file per config file
    # a fresh clone's fragments, checked meanwhile (a new cache has none: no key asked before reading)
    early = None if cache.new else _check_early(cfg, cache)
    try:
        posts, specs, problems = load(cfg, now, cache=cache, progress=progress, listing=(files, found), seen=seen,
                                      beside=lambda: _beside_reading(cfg))
        site, said = load_site(cfg, posts) if any(p.liquid for p in posts) else (None, [])
        result = BuildResult(posts=len(posts), feeds=specs, problems=problems + said)
        rkeys = RenderKeys(stage_key(cfg, "render"), site)
        if not result.errors or keep_going:
            beside = _publish(cfg, specs, cache, result, progress, site, rkeys, early, posts)
            # the ids readers can now have (ledger), their text made beside the build (aside)
            write_ledger(beside.ledger) if beside is not None else record_ids(cfg, posts)
        if (cache.posts_changed or site is not None) and not cache.new:  # edits leave rendered content nobody needs
            cache.keep_rendered({rkeys(p) for p in posts})
        cache.keep_fragments(stage_key(cfg, "entry"))
        again = _again(cfg, result, seen, posts, site, cache)
        result.problems = one_per_kind(result.problems) + _damage_report(cache)
    finally:
        if early is not None:
            early.stop()
        cache.close()
        parallel.reap()  # the workers that ended meanwhile (their exit was not waited for alone)
    # the files as the read workers saw them, each just before reading it (not all by the parent first)
    signed = shortcut.files_hash(files, found, seen.lines) if cfg.cache is not None else ""
    shortcut.remember(cfg, signed, seen, again, site, said)
    teardown.outlive(posts, files, seen, rkeys)  # not freed one by one on the way out (the process may end now)
    result.seconds = time.perf_counter() - started
    return result


def group_posts(cfg: Config, posts: list[Post]) -> tuple[list[FeedSpec], list[Problem]]:
    """``group.group_posts``, imported when first asked (a build imports it beside its read workers)."""
    from .group import group_posts as grouped

    return grouped(cfg, posts)


def load_site(cfg: Config, posts: list[Post]) -> tuple[LiquidSite, list[Problem]]:
    """``liquid.load_site``, imported when first asked (a build imports it beside its read workers)."""
    from .liquid import load_site as loaded

    return loaded(cfg, posts)


def one_per_kind(problems: list[Problem]) -> list[Problem]:
    """``liquid.one_per_kind``, imported when first asked (a build imports it beside its read workers)."""
    from .liquid import one_per_kind as once

    return once(problems)


def _check_early(cfg: Config, cache: Cache) -> entry_check.Started | None:
    """The cached fragments checked beside the reading (``entry_check``), on a fresh clone (a cache
    earlier runs left intact, no records of the output: every feed will be written) with more than
    one job; None where it would not pay (one job, or records of the output: feeds that did not
    change are not even looked at). Told before ``entry_check`` is imported: it brings the renderer,
    which a rebuild's read workers, forked next, need not inherit."""
    if default_jobs(cfg) < 2 or not cache.trusted or cache.new \
            or manifest_file(folder_of(cfg.output), owner_of(cfg.file)).exists():
        return None
    from . import entry_check

    return entry_check.start(cfg, cache, stage_key(cfg, "entry"))


def _beside_reading(cfg: Config) -> None:
    """The parent's work while the read workers read: import what the later stages run, which the
    render and write workers, forked after, inherit (``aside.prepare``: the writers). Imported up
    front, the renderer and the stages' runners took 20-30 ms of a cold build's start, one core busy."""
    from . import aside, entry_check, group, liquid, output, websub, workers  # noqa: F401 - for the stages after reading

    aside.prepare(cfg)


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
         listing: tuple[list[str], list[Problem]] | None = None, seen: shortcut.Seen | None = None,
         beside: Callable[[], object] | None = None) -> tuple[list[Post], list[FeedSpec], list[Problem]]:
    """Read and group without writing: what `feeds check` and `feeds list` need too.
    ``listing``: what find_post_files gave, if it was asked already; ``seen``: notes for the
    shortcut's record; ``beside``: the parent's work while the read workers read."""
    files, found_files = listing or find_post_files(cfg)
    problems = list(found_files)
    own = cache is None
    cache = cache or Cache(None)
    try:
        results = reading.read_all(cfg, files, cache, progress, beside,
                                   seen.lines if seen is not None and cfg.cache is not None else None)
    finally:
        if own:  # not a build's reading (no build's end to reap at): its workers are waited for here
            cache.close()
            parallel.reap()
    now = now or build_time()
    posts, found = finish_reading(cfg, results, now)
    if seen is not None:  # the posts finish_reading kept are those not after now
        seen.saw(cfg, (post for post, _, _ in results), now, shown=posts)
    posts, moved = watch_ids(cfg, posts)  # ids that moved since they were published (ledger)
    if seen is not None:
        seen.once = moved
    posts, clashes = check_ids(posts)
    problems += found + moved + clashes
    specs, found = group_posts(cfg, posts)
    teardown.outlive(results)  # what reading gave, each post's tuple: not freed by the parent alone now
    return posts, specs, list(cfg.warnings) + problems + found


def _to_make(key: str, specs: list[FeedSpec], out: Output, site: LiquidSite | None
             ) -> tuple[list[FeedSpec], dict[str, str]]:
    """The feeds to make, and the inputs (fingerprint) of their files; the others' files are kept.
    With no record of the output folder (a fresh clone), or none of its files there (a cold build
    after ``rm -rf public``: records of 5,000 files, none on disk), every feed is made, and each
    write task works out its files' inputs itself, on every core, not the parent alone here."""
    if out.holds_nothing() or not out.manifest:  # the records are not read for an empty folder
        return list(specs), {}
    todo, inputs = [], {}
    for spec in specs:
        prints = {f.path: fingerprint(key, spec, f.path, site) for f in spec.files}
        if all(out.same_inputs(path, p) for path, p in prints.items()):
            for path in prints:
                out.keep(path)
        else:
            todo.append(spec)
            inputs.update(prints)
    return todo, inputs


def _known_render_keys(rkeys: RenderKeys, specs: list[FeedSpec]) -> None:
    """Every entry's render key, made beside the render workers (a cold build's render stage asks
    none first): the stages after them look the keys up, and the write workers inherit them."""
    for spec in specs:
        for post in spec.entries:
            rkeys(post)


def _publish(cfg: Config, specs: list[FeedSpec], cache: Cache, result: BuildResult,
             progress: Progress | None, site: LiquidSite | None = None, rkeys: RenderKeys | None = None,
             early: entry_check.Started | None = None, posts: list[Post] | None = None
             ) -> aside.Answer | None:
    """Render what changed feeds carry, write them, and commit the output folder in one step; what
    was made beside it (``aside``: the lists, and the ledger's text for ``posts``), if it was."""
    # imported beside the read workers already (_beside_reading), or by `feeds` callers now
    from . import aside, workers
    from .output import Output, staging_error
    from .websub import record_topics

    key, rendering = output_key(cfg), stage_key(cfg, "render")
    rkeys = rkeys or RenderKeys(rendering, site)
    listed = [s for s in specs if not s.page]  # archive pages are not listed
    try:
        with Output(cfg.output, cfg.file) as out:
            todo, inputs = _to_make(key, specs, out, site)
            started: list[parallel.Background[aside.Answer | None] | None] = []  # once the render workers exist
            made: list[list[tuple[str, str, str]]] = []

            def beside_them() -> None:  # the parent's work that waits for no worker, once they work
                out.read_records()  # here, not by the parent alone at the commit
                made.append(aside.list_files(cfg, key, listed))
                started.append(aside.start(cfg, posts, listed, out, made[0]) if posts is not None else None)
                _known_render_keys(rkeys, specs)
            try:
                # a cache that earlier runs left intact remembers what rendering said about the posts
                # of unchanged feeds; without one, render those too, so every run warns the same
                handed = workers.render_all(cfg, rendering, todo if cache.trusted else specs, cache, site, progress,
                                             rkeys, beside_them, early.room if early is not None else None)
                beside = started[0] if started else None
                lists = made[0] if made else aside.list_files(cfg, key, listed)
                result.problems += workers.render_problems(cfg, rendering, specs, cache, site, rkeys)
                result.settled = len(result.problems)  # what follows is said once (see _again)
                workers.write_all(cfg, rendering, todo, inputs, out, cache, site, result.problems, progress, handed,
                                  rkeys, early.result() if early is not None else None)
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
    teardown.outlive(out, handed)  # its records of every file; where each entry's fragment lay
    result.written, result.removed, result.wrote = out.written, out.removed, True
    result.problems += out.problems
    result.unchanged = len(out.produced) - len(out.written)
    return answer
