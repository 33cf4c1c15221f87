"""A cache key per stage: what shapes a Post, its HTML, its entry fragments, and the feed files.

Each config key says in the schema which stage it shapes first (``Key.stage``); a stage's key
hashes the config values of its own keys and of every earlier stage, plus the tool's code, so a
change reaches exactly the stages after it: ``feeds.limit`` or ``site.title`` re-read and
re-render nothing, ``feeds.first_image`` re-makes the fragments only, ``content.sanitize``
re-renders without re-reading, ``timezone`` re-reads. The few Config fields that are not
config keys (what a Jekyll site folder says) are staged here, in ``DERIVED``; a test checks
that every field of the Config is staged by one or the other.

From these keys come the keys of one post's rendered content (``render_key``, ``RenderKeys``) and
of one feed file's inputs (``fingerprint``), which the pipeline and the stages' workers share.
"""
from __future__ import annotations

import functools
import hashlib
import os
import sys
import zoneinfo
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import Config
from .installed import installed
from .schema import SCHEMA, STAGES

if TYPE_CHECKING:
    from .feedspec import FeedSpec
    from .liquid import LiquidSite
    from .posts import Post

# Config fields that no schema key sets: the stage they shape, or "none"
DERIVED = {
    "jekyll_site": "read",  # dates and titles as Jekyll makes them
    "authors": "read",  # _data/authors.yml: post authors' names
    "jekyll_raw": "feed",  # the site's _config.yml, seen by Liquid templates only: render_key adds it for
                           # the posts with Liquid (LiquidSite.key), so no other post is rendered again
    "root": "none", "file": "none", "read": "none", "warnings": "none",  # where things are, what was said
}


def fields(stage: str) -> tuple[str, ...]:
    """The Config fields (dotted paths) that shape ``stage``'s output, earlier stages' included."""
    upto = STAGES[:STAGES.index(stage) + 1]
    found = [key.field or key.name for key in SCHEMA if key.stage in upto]
    found += [name for name, where in DERIVED.items() if where in upto]
    return tuple(dict.fromkeys(found))


def value(cfg: Config, path: str) -> Any:
    found: Any = cfg
    for part in path.split("."):
        found = getattr(found, part)
    if path == "sources":  # where the site is on this machine is no input; where it is inside the root is
        return tuple(os.path.relpath(s, cfg.root) for s in found)
    return found


# the libraries that shape output: their installed metadata is part of the tool's key
LIBRARIES = ("feedgen", "lxml", "nh3", "cmarkgfm", "PyYAML", "python-frontmatter", "python-liquid")


@functools.lru_cache(maxsize=1)
def tool_key() -> str:
    """The code that makes the bytes: this package's source and the libraries that shape output.
    A change to any of them (even without a version bump) invalidates the cache and every feed."""
    from . import __version__

    h = hashlib.blake2b(f"{__version__}\n{sys.version}".encode(), digest_size=16)  # json, html, dates: Python's
    for source in sorted(Path(__file__).parent.rglob("*.py")):
        h.update(source.name.encode() + source.read_bytes())
    found = installed(LIBRARIES)
    for dist in LIBRARIES:
        h.update(f"{dist}={found[dist]}".encode("utf-8", "surrogateescape"))
    return h.hexdigest()


def stage_key(cfg: Config, stage: str) -> str:
    """The hash of everything that shapes ``stage``'s output: the tool, the working folder (cached
    messages name files relative to it) and the config values of the stage and those before it."""
    return _stage_key(cfg, stage, os.getcwd())


@functools.lru_cache(maxsize=32)
def _stage_key(cfg: Config, stage: str, cwd: str) -> str:
    values = "\n".join(f"{path}={value(cfg, path)!r}" for path in fields(stage))
    # a working folder not in UTF-8 comes as surrogates
    text = f"{tool_key()}\n{zone_rules(cfg.timezone)}\n{stage}\n{cwd}\n{values}"
    return hashlib.blake2b(text.encode("utf-8", "surrogateescape"), digest_size=16).hexdigest()


@functools.lru_cache(maxsize=8)
def zone_rules(name: str) -> str:
    """The hash of the rules this machine has for the time zone ``name`` (its TZif file, found where
    zoneinfo looks: TZPATH, then the tzdata package), "" when there is no such file (UTC): an
    update of the rules can move a post's date, and with it the day in its URL."""
    if not name or os.path.isabs(name) or ".." in name.split("/"):
        return ""
    for place in [Path(folder, name) for folder in zoneinfo.TZPATH]:
        found = _file_hash(place)
        if found is not None:
            return found
    # the tzdata package only when no TZPATH folder has the zone, as zoneinfo: asking where it lies
    # imports importlib's resource readers (zipfile among them), ~5 ms of every build
    from importlib import resources

    try:
        place = Path(str(resources.files("tzdata.zoneinfo").joinpath(name)))
    except (ImportError, ValueError, TypeError):
        return ""  # no tzdata package: the system's files alone
    return _file_hash(place) or ""


def _file_hash(place: Path) -> str | None:
    try:
        return hashlib.blake2b(place.read_bytes(), digest_size=16).hexdigest()
    except OSError:
        return None


def output_key(cfg: Config) -> str:
    """Everything in the config and the tool that changes output bytes, as one hash (the feed
    files' key; reading, rendering and entries have keys of their own: ``stage_key``)."""
    return stage_key(cfg, "feed")


def fingerprint(key: str, spec: FeedSpec, path: str, site: LiquidSite | None = None) -> str:
    """A feed file's inputs: when they are the same as last time, so are its bytes (a Liquid
    post's inputs include the site's includes and data: see render_key)."""
    return fingerprints(key, spec, [path], site)[0]


def fingerprints(key: str, spec: FeedSpec, paths: Sequence[str], site: LiquidSite | None = None) -> list[str]:
    """``fingerprint`` of each of these files of ``spec``: the lines of its entries, which all its
    files hash alike, are made once for them all."""
    links = [f.links for f in spec.files]  # an archive's links to its other pages (archives)
    if site is None:  # one update of the same bytes (a line a post): hashed alike, for less Python
        entries = "".join([f"{post.path}\0{post.digest}\0\n" for post in spec.entries]).encode()
    else:
        entries = "".join([f"{post.path}\0{post.digest}\0{site.key(post)}\n" for post in spec.entries]).encode()
    found = []
    for path in paths:
        h = hashlib.blake2b(f"{key}\n{path}\n{spec.kind}\n{spec.title}\n{spec.page}\n{links}\n".encode(),
                            digest_size=16)
        h.update(entries)
        found.append(h.hexdigest())
    return found


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
