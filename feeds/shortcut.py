"""A build that would change nothing, known without doing it.

After a build that wrote the output folder with no errors, a record (``<cache.path>/<config
name>.shortcut.json``) keeps the signature of everything that build's output and messages came
from, and what a rebuild with no change would say: its counts and warnings. The next build lists
and stats the post files (it would anyway), checks the signature, and when every part of it
matches, says the recorded warnings again and stops: nothing read, grouped, rendered or written.
Any difference, and the build is the full one, unchanged.

The signature covers:
- the config: every field but ``build.jobs`` (worker count changes no byte), the warnings it gave,
  every stage key (the tool's source and libraries, the working folder messages are relative to);
- the post files found: each one's path, size, modification and change times and inode, and what finding
  them said;
- the id ledger, which file the cache is, every entry of the output folder's
  bookkeeping folder (manifests, the WebSub record, a staging folder left by a crash) as
  ``lstat`` sees them, the bytes of this config's manifest, and each file it lists still being
  the size and modification time feeds left it (what ``Output`` trusts for an untouched feed);
- a Liquid site's includes, data and collections, as the render cache keys them (LiquidSite);
- time: the window in which "now" leaves the same posts visible (the newest post shown, the
  oldest future post left out); a post whose Liquid uses site.time gets no record at all.

The record is input: it may be damaged or forged, so every field is checked (exact keys and
types, hashes as hashes, problems as a build makes them); one that fails means a full build,
silently (it holds no work, only a claim the disk is checked against: the full build says all a
build says). It lives beside the cache, not in the output's bookkeeping, so that a build that
changes nothing still touches nothing there, and deleting the cache folder forgets it too.
"""
from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import json
import os
import re
import stat
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .bookkeeping import (
    LEGACY_LOCK,
    LEGACY_MANIFEST,
    LEGACY_STAGING,
    LOCK,
    folder_of,
    manifest_file,
    manifest_from,
    owner_of,
    read_regular,
)
from .config import Config
from .errors import ERROR, WARNING, Problem
from .ledger import ledger_file
from .posts import LIQUID_TIME, Post, after
from .rows import Damaged, problem_text, problems_from_rows
from .signature import stat_line, stat_of
from .stages import stage_key, tool_key

if TYPE_CHECKING:  # Liquid is imported once the read workers read (pipeline); a replay may never need it
    from .liquid import LiquidSite

VERSION = 1
_KEYS = frozenset(("version", "config", "files", "state", "site", "window", "posts", "feeds", "unchanged",
                   "problems"))
_HASH = re.compile(r"[0-9a-f]{32}\Z")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclasses.dataclass(frozen=True)
class Replay:
    """What a build that changes nothing reports: its counts and its warnings."""

    posts: int
    feeds: int
    unchanged: int
    problems: list[Problem]


@dataclasses.dataclass
class Seen:
    """What the full build learns on the way, for the record (filled in by ``pipeline``)."""

    earliest_hidden: datetime | None = None  # the oldest future post left out
    latest_shown: datetime | None = None  # the newest post shown
    once: list[Problem] = dataclasses.field(default_factory=list)  # said once: the ledger's warnings
    lines: dict[str, bytes] = dataclasses.field(default_factory=dict)  # path -> stat_line, as reading saw it

    def saw(self, cfg: Config, posts: Iterable[Post | None], now: datetime, shown: list[Post] | None = None) -> None:
        """The oldest post left out as future, and the newest shown (by ``Post.stamp``: see ``posts.after``).
        ``shown``: those of ``posts`` not after ``now``, when that is known (``finish_reading``'s):
        the others are the future ones, with no date compared again (10,000 posts: ~20 M instructions)."""
        if cfg.future:
            return
        read = [post for post in posts if post is not None]
        if shown is None:
            limit = now.timestamp()
            hidden: list[Post] = []
            shown = []
            for post in read:
                (hidden if after(post, now, limit) else shown).append(post)
        elif len(shown) == len(read):  # nothing future: nearly every build
            hidden = []
        else:
            kept = {id(post) for post in shown}
            hidden = [post for post in read if id(post) not in kept]
        self.earliest_hidden = _extreme(min, hidden, self.earliest_hidden)
        self.latest_shown = _extreme(max, shown, self.latest_shown)


def _extreme(pick: Callable[..., Any], posts: list[Post], known: datetime | None) -> datetime | None:
    """The earliest (``min``) or latest (``max``) instant of the posts' dates and ``known``: it has
    the extreme stamp (rounding keeps the order), and only the dates with that stamp are compared,
    as instants (two dates of one zone compare by the clock's reading: an hour that repeats or is
    skipped when the clocks change would have taken a later instant for the earliest)."""
    if not posts:
        return known
    best = pick(post.stamp for post in posts)
    candidates = [post.date for post in posts if post.stamp == best] + ([known] if known is not None else [])
    return pick(candidates, key=lambda when: when - _EPOCH)


def record_file(cfg: Config) -> Path | None:
    """Beside the cache and the ledger of the same config; None without a cache."""
    return cfg.cache / f"{Path(cfg.file).stem or 'cache'}.shortcut.json" if cfg.cache is not None else None


def _hash(*parts: object) -> str:
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        h.update(repr(part).encode("utf-8", "surrogateescape") + b"\0")
    return h.hexdigest()


def config_hash(cfg: Config) -> str:
    """Everything about the config and the tool a build's output and messages depend on."""
    keys = [stage_key(cfg, stage) for stage in ("read", "render", "entry", "feed")]
    return _hash(VERSION, tool_key(), os.getcwd(), keys, dataclasses.replace(cfg, jobs=0), cfg.read, cfg.warnings)


def files_hash(files: list[str], found: list[Problem], lines: Mapping[str, bytes] | None = None) -> str:
    """The post files found, each as ``stat`` sees it now, and what finding them said. ``lines``:
    the ``stat_line`` of each file as reading saw it (the read workers, each just before reading
    it: the signature is then of what was read, or older). A file reading did not sign is never
    stat'ed here, after the build (that would sign it as it is now, maybe newer than what was
    read: a stale replay): its line matches no stat, so the next build is a full one."""
    h = hashlib.blake2b(repr(found).encode("utf-8", "surrogateescape"), digest_size=16)
    if lines is None:
        h.update(b"".join([stat_line(path) for path in files]))
    else:
        h.update(b"".join([lines.get(path) or f"{path}\0unsigned\n".encode("utf-8", "surrogateescape")
                           for path in files]))
    return h.hexdigest()


def cache_file(cfg: Config) -> Path | None:
    return cfg.cache / f"{Path(cfg.file).stem or 'cache'}.sqlite3" if cfg.cache is not None else None


def state_hash(cfg: Config, verify: bool = True) -> str | None:
    """The ledger, the cache file, the output's bookkeeping and the feeds it lists, as the last
    build left them; None when the output folder is not as its manifest says (a feed deleted or
    edited, an earlier version's records in it), or a manifest that cannot be read whole.

    ``verify`` False: the output as this build has just committed it (``remember``), its manifest
    counted but not checked entry by entry, nor each file it lists stat'ed (2,700 of each, the
    parent alone at the end of a cold 10k build): the replay that compares the hash checks both,
    and an output not as the record says then gives a full build, as no record does."""
    book = folder_of(cfg.output)
    if any(os.path.lexists(cfg.output / name) for name in (LEGACY_MANIFEST, LEGACY_LOCK, LEGACY_STAGING)):
        return None
    folder, root_folder = stat_of(book, follow=False), stat_of(cfg.output, follow=False)
    if folder is None or not stat.S_ISDIR(folder[0]) or root_folder is None:  # a link where the records go
        return None
    file = manifest_file(book, owner_of(cfg.file))
    try:
        names = sorted(os.listdir(book))
        data = read_regular(file)
    except (OSError, ValueError):
        return None
    listed = _listed(cfg, file, data) if verify else _count_listed(data)  # read once: its bytes are signed too
    if listed is None:
        return None
    cache = cache_file(cfg)
    return _hash(folder, root_folder[0], root_folder[3], listed, hashlib.blake2b(data, digest_size=16).digest(),
                 [(name, stat_of(book / name, follow=False)) for name in names],
                 stat_of(ledger_file(cfg) or ""),
                 _identity(cache))


def _listed(cfg: Config, file: Path, data: bytes) -> int | None:
    """How many files the manifest ``data`` lists, when it is whole and each is as it says."""
    problems: list[Problem] = []
    manifest = manifest_from(data, file, problems)
    if manifest is None or problems:
        return None
    root = str(cfg.output)
    for relative, entry in manifest.items():
        st = stat_of(os.path.join(root, relative), follow=False)
        if st is None or st[1:3] != tuple(entry[2:]) or not stat.S_ISREG(st[0]):
            return None
    return len(manifest)


def _count_listed(data: bytes) -> int | None:
    """How many files the manifest ``data`` lists, taken as it is (``_listed``'s count when it is whole)."""
    try:
        files = json.loads(data).get("files")
    except (ValueError, AttributeError, RecursionError):
        return None
    return len(files) if isinstance(files, dict) else None


def _identity(file: Path | None) -> tuple[int, int] | None:
    """Which file the cache is, not its bytes: sqlite changes those whenever a connection closes
    (a checkpoint), and what is in it changes no output (its rows are checked when used)."""
    st = stat_of(file, follow=False) if file is not None else None
    return None if st is None else (st[0], st[3])


def site_hash(cfg: Config, site: LiquidSite | None, said: list[Problem]) -> str:
    """A Liquid site's inputs (includes, data, collections, its config) and what reading them said."""
    return "" if site is None else _hash(site.inputs, said)


def _micro(when: datetime | None) -> int | None:
    """A moment as whole microseconds since 1970 (exact, unlike a float timestamp)."""
    return None if when is None else (when - _EPOCH) // timedelta(microseconds=1)


# --- reading the record back: input, checked strictly ----------------------------------------

def _count(value: Any) -> int:
    if type(value) is not int or value < 0:
        raise Damaged("not a count")
    return value


def _moment(value: Any) -> int | None:
    if value is not None and type(value) is not int:
        raise Damaged("not a moment")
    return value


def _problems(rows: Any) -> list[Problem]:
    """The warnings to say again (a build with errors is never recorded), checked as the cache's."""
    return problems_from_rows(rows, lambda path, level: level == WARNING and problem_text(path))


def _signature(value: Any, empty: bool = False) -> str:
    if type(value) is not str or not (_HASH.match(value) or (empty and value == "")):
        raise Damaged("not a hash")
    return value


def read_record(file: Path) -> dict[str, Any] | None:
    """The record, every field checked; None when there is none or it is not one feeds wrote."""
    try:
        data = json.loads(read_regular(file))
        if type(data) is not dict or set(data) != _KEYS or data["version"] != VERSION \
                or type(data["version"]) is not int:
            raise Damaged("not a record")
        window = data["window"]
        if type(window) is not list or len(window) != 2:
            raise Damaged("not a window")
        return {"config": _signature(data["config"]), "files": _signature(data["files"]),
                "state": _signature(data["state"]), "site": _signature(data["site"], empty=True),
                "window": (_moment(window[0]), _moment(window[1])), "posts": _count(data["posts"]),
                "feeds": _count(data["feeds"]), "unchanged": _count(data["unchanged"]),
                "problems": _problems(data["problems"])}
    except (OSError, ValueError, RecursionError):  # json's errors and Damaged are ValueErrors
        return None


def _locked(cfg: Config) -> int | None:
    """The output folder's lock, held (no build is writing there), or None."""
    try:
        fd = os.open(folder_of(cfg.output) / LOCK, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)  # a FIFO: no wait
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def replay(cfg: Config, files: list[str], found: list[Problem], now: datetime) -> Replay | None:
    """What this build would report, when it would change nothing; None when that is not certain."""
    file = record_file(cfg)
    record = read_record(file) if file is not None else None
    if record is None or record["config"] != config_hash(cfg):
        return None
    shown, hidden = record["window"]
    moment = _micro(now)
    if (shown is not None and moment is not None and moment < shown) or \
            (hidden is not None and moment is not None and moment >= hidden):
        return None
    fd = _locked(cfg)
    if fd is None:
        return None
    try:
        if record["state"] != state_hash(cfg) or record["files"] != files_hash(files, found):
            return None
        if record["site"]:
            from .liquid import load_site

            site, said = load_site(cfg, [])
            if record["site"] != site_hash(cfg, site, said):
                return None
    finally:
        os.close(fd)
    return Replay(record["posts"], record["feeds"], record["unchanged"], record["problems"])


def remember(cfg: Config, files_signature: str, seen: Seen, replayed: Replay | None,
             site: LiquidSite | None, said: list[Problem]) -> None:
    """Write the record after a build (``replayed``: what a rebuild would say), or drop the one
    there when this build cannot be replayed."""
    file = record_file(cfg)
    if file is None:
        return
    try:
        state = state_hash(cfg, verify=False) if replayed is not None else None
        if state is None or replayed is None or any(p.level == ERROR for p in replayed.problems):
            file.unlink(missing_ok=True)
            return
        record = {"version": VERSION, "config": config_hash(cfg), "files": files_signature, "state": state,
                  "site": site_hash(cfg, site, said), "window": [_micro(seen.latest_shown),
                                                                 _micro(seen.earliest_hidden)],
                  "posts": replayed.posts, "feeds": replayed.feeds, "unchanged": replayed.unchanged,
                  "problems": [[p.path, p.line, p.message, p.level] for p in replayed.problems]}
        temporary = file.with_name(file.name + ".tmp")
        temporary.unlink(missing_ok=True)  # made anew, never opened where it stands (a FIFO, a link)
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o666)
        with os.fdopen(fd, "wb") as f:
            f.write(json.dumps(record, ensure_ascii=False).encode("utf-8"))
        os.replace(temporary, file)
    except (OSError, ValueError):
        pass  # no record: the next build is a full one


def uses_time(posts: Iterable[Post], site: LiquidSite | None) -> bool:
    """A post whose rendering names the build's time: every build renders it anew."""
    return site is not None and any(p.liquid and (p.liquid & LIQUID_TIME or site.includes_name_time) for p in posts)
