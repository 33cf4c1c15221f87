"""The pipeline in one readable function: config -> posts -> group -> render -> write -> disk."""
from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Callable

from . import __version__
from .config import Config
from .errors import OutputError, Problem
from .group import FeedSpec, group_posts
from .output import Output, staging_error
from .posts import Post, build_time, check_ids, find_post_files, read_body, read_posts
from .render import Rendered, render_post
from .write import feed_bytes, opml_bytes

Progress = Callable[[str, int, int], None]  # (stage, done, total)


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

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]


def output_key(cfg: Config) -> str:
    """Everything in the config and the tool that changes output bytes, as one hash."""
    relevant = replace(cfg, warnings=(), jobs=0, cache=None, root=Path("."), output=Path("."),
                       sources=tuple(Path(os.path.relpath(s, cfg.root)) for s in cfg.sources))
    return hashlib.blake2b(f"{__version__}\n{relevant!r}".encode(), digest_size=16).hexdigest()


def fingerprint(key: str, spec: FeedSpec, path: str) -> str:
    """A feed file's inputs: when they are the same as last time, so are its bytes."""
    h = hashlib.blake2b(f"{key}\n{path}\n{spec.kind}\n{spec.title}\n".encode(), digest_size=16)
    for post in spec.entries:
        h.update(f"{post.path}\0{post.digest}\0{post.date.isoformat()}\n".encode())
    return h.hexdigest()


def load(cfg: Config, now: datetime | None = None) -> tuple[list[Post], list[FeedSpec], list[Problem]]:
    """Read and group without writing: what `feeds check` and `feeds list` need."""
    files, problems = find_post_files(cfg)
    posts, found = read_posts(cfg, files, now or build_time())
    problems += found + check_ids(posts)
    specs, found = group_posts(cfg, posts)
    return posts, specs, list(cfg.warnings) + problems + found


def build(cfg: Config, keep_going: bool = False, progress: Progress | None = None) -> BuildResult:
    """Build every feed; on errors write nothing unless ``keep_going``. Never prints."""
    started = time.perf_counter()
    posts, specs, problems = load(cfg)
    result = BuildResult(posts=len(posts), feeds=specs, problems=problems)
    if result.errors and not keep_going:
        result.seconds = time.perf_counter() - started
        return result
    try:
        with Output(cfg.output) as out:
            _write_all(cfg, specs, out, result, progress)
            out.commit()
    except OSError as exc:
        raise staging_error(cfg.output, exc) from None
    result.written, result.removed, result.wrote = out.written, out.removed, True
    result.unchanged = len(out.produced) - len(out.written)
    result.seconds = time.perf_counter() - started
    return result


def _write_all(cfg: Config, specs: list[FeedSpec], out: Output, result: BuildResult,
               progress: Progress | None) -> None:
    key = output_key(cfg)
    todo = [s for s in specs if not all(out.same_inputs(f.path, fingerprint(key, s, f.path)) for f in s.files)]
    for spec in specs:
        if spec not in todo:
            for file in spec.files:
                out.keep(file.path)
    rendered = _render(cfg, todo, result, progress)
    for done, spec in enumerate(todo, 1):
        data = feed_bytes(cfg, spec, rendered)
        for file in spec.files:
            out.put(file.path, data[file.format], fingerprint(key, spec, file.path))
        if progress:
            progress("write", done, len(todo))
    out.put(cfg.feeds.path("opml"), opml_bytes(cfg, specs), key)


def _render(cfg: Config, specs: list[FeedSpec], result: BuildResult, progress: Progress | None
            ) -> dict[str, Rendered]:
    """Render each post that a feed to be written carries, once."""
    needed = {p.id: p for s in specs for p in s.entries}
    rendered = {}
    for done, post in enumerate(needed.values(), 1):
        rendered[post.id], found = render_post(post, read_body(post), cfg)
        result.problems += found
        if progress and done % 200 == 0:
            progress("render", done, len(needed))
    return rendered
