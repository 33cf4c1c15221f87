"""The parent's work that needs only what reading gave, done beside the render and write stages.

The files that list the feeds (OPML, the index page) and the id ledger's new text depend on
the posts and the feeds, not on anything rendered or written: left to the end of the build, the
parent made them alone while every worker was gone (0.2-0.3 s of a cold build of 10,000
posts). ``start`` forks one process that makes them while the workers render; the parent picks
the answer up where it used to do the work (``lists``, ``ledger_text``), so that what is put,
kept, recorded and said is the same, in the same order. Only with more than one job (one job
means one process), and never relied on: a process that failed or was stopped gives no answer,
and the parent then does the work itself, as before. The ledger is still written only after a
build that wrote the output, by the parent.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import parallel
from .bookkeeping import Entry
from .config import Config, default_jobs
from .feedspec import FeedSpec
from .ledger import ledger_update
from .output import Output
from .posts import Post

Staged = list[tuple[str, Entry, bool]]  # (path, manifest entry, written) of each list file made
Maker = Callable[[Config, list[FeedSpec]], bytes]


@dataclass(frozen=True)
class Job:
    cfg: Config
    posts: list[Post]
    listed: list[FeedSpec]  # the feeds the lists name
    out: Output
    make: list[tuple[str, str, str]]  # (path, inputs, which maker) of each list file to make


@dataclass(frozen=True)
class Answer:
    staged: Staged  # the list files made, in ``Job.make``'s order
    ledger: tuple[Path, bytes] | None  # the ledger's new text, where it changes


def list_files(cfg: Config, key: str, specs: list[FeedSpec]) -> list[tuple[str, str, str]]:
    """(path, inputs, maker name) of each file that lists the feeds, in the order they are put;
    ``key``: the output's (``stages.output_key``)."""
    from .index_page import index_inputs

    return [(cfg.feeds.path("opml"), _opml_inputs(key, specs), "opml"),
            (cfg.feeds.path("index"), index_inputs(key, specs), "index")]


def _opml_inputs(key: str, specs: list[FeedSpec]) -> str:
    """The OPML lists every feed's kind, title and files: the same list, the same bytes."""
    h = hashlib.blake2b(key.encode(), digest_size=16)
    for spec in specs:
        h.update("\0".join((spec.kind, spec.title, *(f.url for f in spec.files), "\n")).encode())
    return h.hexdigest()


def prepare(cfg: Config) -> None:
    """Import what the render and write stages run (feedgen, lxml, dateutil: 0.1-0.3 s of a cold
    build's parent alone between reading and rendering, where the render stage loaded them) while
    the read workers work: the render workers, forked after, inherit it (``load_makers``)."""
    from . import index_page  # noqa: F401 - the lists' maker, loaded beside the readers too
    from .formats import load_makers

    load_makers(cfg.feeds.formats)


def maker(name: str) -> Maker:
    if name == "opml":
        from .write import opml_bytes
        return opml_bytes
    from .index_page import index_bytes
    return index_bytes


def start(cfg: Config, posts: list[Post], listed: list[FeedSpec], out: Output, files: list[tuple[str, str, str]]
          ) -> parallel.Background[Answer | None] | None:
    """The lists (``files``: ``list_files``) and the ledger's text, being made in one process
    beside the caller; None with one job."""
    if default_jobs(cfg) < 2:
        return None
    make = [(path, inputs, name) for path, inputs, name in files if not out.same_inputs(path, inputs)]
    return parallel.Background(_work, Job(cfg, posts, listed, out, make))


def _work(job: Job) -> Answer | None:
    """In the forked process: any failure (a full disk, say) is the parent's to meet and report."""
    try:
        staged = [(path, *job.out.stage(path, maker(name)(job.cfg, job.listed), inputs))
                  for path, inputs, name in job.make]
        return Answer(staged, ledger_update(job.cfg, job.posts))
    except Exception:  # noqa: BLE001 - the parent does it again, and says what is wrong
        return None
