"""Putting a build's files into the output folder: confined, all-or-nothing, never touching
files that feeds did not write, and leaving nothing of its own there but the feeds.

How a build lands (the records it keeps are in ``bookkeeping``: next to the output folder):
1. a lock keeps two builds off the same folder;
2. new and changed files go to a staging folder on the output folder's filesystem;
3. when the whole build succeeded, a COMMIT marker is written into the staging folder, then
   each file is renamed into place, stale feeds are deleted, the config's manifest (the files
   it owns) is replaced, and the staging folder removed.
A build killed before step 3 leaves the folder untouched (the next run deletes its staging);
one killed during step 3 is finished by the next run, which finds the COMMIT marker. SIGINT
and SIGTERM wait until step 3 is over, so only SIGKILL or a crash of the machine can leave a
mix of old and new files, and only until the next run. A build that changes nothing touches
nothing: no file, no record, no folder.

A file is feeds' to replace or delete only when the config's manifest lists it; one that
another config file sharing the folder wrote is that config's; and a stale feed is deleted
only when its bytes are still exactly those feeds wrote. Anything else stops the build before
step 3 (a new feed would replace it) or is left in place with a warning (a stale one).
"""
from __future__ import annotations

import array
import errno
import fcntl
import hashlib
import os
import shutil
import signal
import stat
import sys
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from types import TracebackType

from ..bookkeeping import (
    COMMIT,
    LEGACY_LOCK,
    LEGACY_MANIFEST,
    LEGACY_STAGING,
    LOCK,
    STAGED_MANIFEST,
    STAGING,
    Entry,
    Manifest,
    folder_of,
    json_text,
    manifest_file,
    other_owners,
    owner_of,
    plain_relative,
    read_manifest,
    read_plan,
    replace_text,
    shown,
    write_json,
)
from ..errors import WARNING, OutputError, Problem, display_path


def digest(data: bytes) -> str:
    """What a manifest records of a file feeds wrote: the SHA-256 of its bytes, in hex (64 digits).
    SHA-256 rather than BLAKE2b: the processors' SHA instructions make it twice as fast, and a
    build digests every byte it writes (170 MB for 10,000 posts)."""
    return hashlib.sha256(data).hexdigest()


def digest_like(data: bytes, recorded: str) -> str:
    """The digest of ``data`` of the kind ``recorded`` is: a manifest written before feeds took
    SHA-256 records BLAKE2b-128 (32 digits), and an entry keeps it until its file changes, so that
    a build over an earlier version's output still knows its own files (and deletes its stale
    feeds), and the WebSub record sees no change where there was none. Anything else: ``digest``."""
    if len(recorded) == 32:
        return hashlib.blake2b(data, digest_size=16).hexdigest()
    return digest(data)


def confined(root: Path, relative: str) -> Path:
    """The file for ``relative`` inside ``root``; refuses anything that would land outside it,
    or on one of the names feeds keeps for its own records (``.feeds…``).

    The name is checked as text, and its folder resolved (once per folder) so that a symbolic
    link inside the output folder cannot carry a write outside it either.
    """
    _confine(str(root), relative)
    return root / relative


def _confine(root: str, relative: str) -> None:
    """``confined``'s checks, on names as text (the write workers check every file: no Path)."""
    if not plain_relative(relative):
        raise OutputError(f"refusing to write '{shown(relative)}': not a relative path inside the output folder, "
                          "or a name starting with .feeds (kept for feeds' own records)")
    if not _folder_inside(root, relative.rpartition("/")[0]):
        raise OutputError(f"refusing to write '{shown(relative)}': it would land outside {display_path(Path(root))}")


@lru_cache(maxsize=4096)
def _folder_inside(root: str, folder: str) -> bool:
    real_root = Path(root).resolve()
    return (real_root / folder).resolve().is_relative_to(real_root)


_FS_IOC_GETFLAGS, _FS_IOC_SETFLAGS, _FS_TOPDIR_FL = 0x80086601, 0x40086602, 0x00020000  # linux/fs.h


def spread_subfolders(folder: Path) -> bool:
    """Ask the filesystem to place each new staging folder (a subfolder of ``folder``) where inodes
    are free, not next to the files the previous build's output left (ext4's "top of a directory
    hierarchy" flag, ``chattr +T``). Why: ext4 without a journal will not reuse an inode freed in
    the last 30 seconds, and checks every free inode of the folder's group for that, one by one;
    after ``rm -rf public`` (2,700 feeds), each new staged file cost 1 ms of kernel time walking
    past them (2.8 s of a cold build). A hint only: False where it is not supported (the ioctl
    numbers are Linux's: elsewhere nothing is asked)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        return False
    try:
        flags = array.array("i", [0])
        fcntl.ioctl(fd, _FS_IOC_GETFLAGS, flags, True)
        if not flags[0] & _FS_TOPDIR_FL:
            flags[0] |= _FS_TOPDIR_FL
            fcntl.ioctl(fd, _FS_IOC_SETFLAGS, flags, True)
        return True
    except OSError:  # not ext2/3/4 (ENOTTY, EOPNOTSUPP), or not ours to change (EPERM)
        return False
    finally:
        os.close(fd)


def _inside(root: Path, relative: str) -> bool:
    try:
        confined(root, relative)
        return True
    except (OutputError, OSError, RuntimeError):  # RuntimeError: a symbolic link loop (Python < 3.13)
        return False


_LOCKED: weakref.WeakSet[Output] = weakref.WeakSet()  # the Outputs whose lock files this process has open


def _let_go_in_child() -> None:
    """A forked process (a worker, a background check) closes its copies of the lock files: a flock
    belongs to the open file, which a fork shares, so a worker still being torn down after its
    stopped build exited would hold the folder, and the next run would be refused."""
    for out in list(_LOCKED):
        for fd in out._locks:
            try:
                os.close(fd)
            except OSError:
                pass
        out._locks = []  # nothing the child does can reach these numbers again
    _LOCKED.clear()


os.register_at_fork(after_in_child=_let_go_in_child)


class Output:
    """The output folder during one build: ``with Output(path, cfg.file) as out: out.put(...); out.commit()``."""

    def __init__(self, root: Path, config_file: str = ""):
        self.root = root
        self.owner = owner_of(config_file)
        self.book = folder_of(root)
        self.staging = self.book / STAGING
        self._manifest: Manifest | None = None  # read on first use (``manifest``)
        self.others: dict[str, str] = {}  # path -> the config that owns it
        self.produced: Manifest = {}
        self.written: list[str] = []
        self.removed: list[str] = []
        self.problems: list[Problem] = []  # what was ignored in the records, and stale files left in place
        self.unread: list[Problem] = []  # why this config's record of its files could not be read
        self._locks: list[int] = []
        self._staged_folders: set[str] = set()  # staging folders made so far
        self.new_root = False  # the output folder did not exist before this build (see _move_whole)
        self.found_empty = False  # holds_nothing answered yes: no file of the records is there (see stage)

    def __enter__(self) -> Output:
        self._lock()
        try:
            self.staging = self._staging_place()
            self._recover()
            self._migrate()
        except OutputError:
            self._unlock()
            raise
        except OSError as exc:
            self._unlock()
            raise OutputError(f"{display_path(self.root)}: cannot finish the build that was interrupted while "
                              f"moving files into place ({_why(exc)}); fix that, then run again") from None
        self.others = other_owners(self.book, self.owner)
        return self

    @property
    def manifest(self) -> Manifest:
        """path -> [digest, inputs fingerprint, size, mtime_ns]: this config's record of the files
        feeds wrote, read (under the lock) when first asked, not on entering: a build that makes
        every feed (an empty output folder) reads it beside its render workers (``read_records``),
        not the parent alone before them (5,300 files: 6-8 ms)."""
        if self._manifest is None:
            said = len(self.problems)
            self._manifest = read_manifest(manifest_file(self.book, self.owner), self.problems) or {}
            self.unread = self.problems[said:]  # why the record of the files feeds wrote was not read
        return self._manifest

    def read_records(self) -> None:
        """Read the record of the files feeds wrote now, if it was not yet. A build that makes every
        feed into an empty folder (``found_empty``) has not asked for it: read here, beside the
        render workers, it is not read at the commit by the parent alone (its stale files and the
        records kept come from it). A build that compared its feeds with the records has read them."""
        _ = self.manifest

    def _lock(self) -> None:
        where = display_path(self.root)
        try:
            self.new_root = not os.path.lexists(self.root)
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"{where}: cannot use the output folder: {exc.strerror}; check its permissions") from None
        if os.path.islink(self.book) or (os.path.lexists(self.book) and not self.book.is_dir()):
            raise OutputError(f"{display_path(self.book)}: is a symbolic link or a file, where feeds keeps its "
                              f"records of {where}; remove it, then run again")
        try:
            self.book.mkdir(exist_ok=True)
            spread_subfolders(self.book)
            self._locks.append(os.open(self.book / LOCK, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644))
            legacy = self.root / LEGACY_LOCK
            if os.path.isfile(legacy) and not os.path.islink(legacy):  # an earlier version may be running
                self._locks.append(os.open(legacy, os.O_RDWR | os.O_NOFOLLOW))
        except OSError as exc:
            self._unlock()
            raise OutputError(f"{display_path(self.book)}: cannot use the folder where feeds keeps its records "
                              f"of {where}: {exc.strerror}; make {display_path(self.book.parent)} writable") from None
        _LOCKED.add(self)
        try:
            for fd in self._locks:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._unlock()
            raise OutputError(f"{where}: another feeds build is writing to this folder; "
                              "wait for it to finish, then run again") from None

    def _unlock(self) -> None:
        for fd in self._locks:
            os.close(fd)  # releases the flock
        self._locks = []
        _LOCKED.discard(self)

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self.staging.is_dir() and not os.path.islink(self.staging) and not (self.staging / COMMIT).exists():
            shutil.rmtree(self.staging, ignore_errors=True)
        self._unlock()

    def _staging_place(self) -> Path:
        """Next to the records when they are on the output folder's filesystem (a rename is atomic
        only within one); else (the output folder is a mount point of its own) inside the output
        folder, as .feeds-staging, for the length of the build only."""
        if os.stat(self.book).st_dev == os.stat(self.root).st_dev:
            return self.book / STAGING
        return self.root / LEGACY_STAGING

    def _recover(self) -> None:
        """Finish a build that committed but was cut off; drop one that never committed. The
        staging folder inside the output folder is where earlier versions staged."""
        for staging in (self.book / STAGING, self.root / LEGACY_STAGING):
            if not os.path.lexists(staging):
                continue
            if os.path.islink(staging) or not staging.is_dir():
                if staging == self.staging:
                    raise OutputError(f"{display_path(staging)}: is a symbolic link or a file, where this build "
                                      "would stage its files; remove it, then run again")
                self.problems.append(Problem(display_path(staging), None, "a symbolic link or a file where feeds "
                                             "stages its files; not followed, left in place", WARNING))
                continue
            if os.path.lexists(staging / COMMIT):
                try:
                    self._finish(staging)
                except ValueError as exc:
                    raise OutputError(f"{display_path(self.root)}: cannot finish the build that was interrupted "
                                      f"while moving files into place: its record {display_path(staging / COMMIT)} "
                                      f"is damaged ({exc}); delete the folder {display_path(staging)} and run feeds "
                                      "build again") from None
                os.unlink(staging / COMMIT)
            shutil.rmtree(staging, ignore_errors=True)

    def _finish(self, staging: Path) -> None:
        """Carry out the plan in a COMMIT marker left by a build that was cut off."""
        plan = read_plan(staging / COMMIT)
        owner = plan.get("owner")
        if isinstance(owner, str):
            target, staged, others = (manifest_file(self.book, owner), staging / STAGED_MANIFEST,
                                      other_owners(self.book, owner))
        else:  # an earlier version's: its records are in the output folder; _migrate takes them over
            target, staged, others = self.root / LEGACY_MANIFEST, staging / LEGACY_MANIFEST, other_owners(self.book, "")
        old = read_manifest(target, self.problems) or {}
        # no staged manifest: it was already put in place before the interruption
        new = read_manifest(staged, self.problems) if os.path.lexists(staged) else dict(old)
        if new is None:
            raise ValueError(f"{display_path(staged)} cannot be read")
        files, _ = self._apply(staging, plan, old, new, others)
        write_json(target, {"files": files})

    def _migrate(self) -> None:
        """Adopt the records an earlier version kept inside the output folder (once), then remove them."""
        legacy = self.root / LEGACY_MANIFEST
        if os.path.isfile(legacy) and not os.path.islink(legacy):
            adopted = read_manifest(legacy, self.problems)
            if adopted is not None:
                own = manifest_file(self.book, self.owner)
                mine = read_manifest(own, self.problems) or {}
                others = other_owners(self.book, self.owner)
                mine.update((k, v) for k, v in adopted.items() if k not in others)
                write_json(own, {"files": mine})
                legacy.unlink()
        lock = self.root / LEGACY_LOCK
        if os.path.isfile(lock) and not os.path.islink(lock):
            lock.unlink()  # held by this build (see _lock)

    def _on_disk(self, relative: str) -> bool:
        """The file is still as feeds left it (same size and modification time)."""
        try:
            st = (self.root / relative).stat()
        except OSError:
            return False
        return self.manifest[relative][2:] == [st.st_size, st.st_mtime_ns]

    def holds_nothing(self) -> bool:
        """The output folder is empty (a cold build's, made just now or emptied): no file the
        records list is there to keep, whatever inputs they recorded. A yes is remembered: ``stage``
        then writes every file without comparing it with its record (a cold build after ``rm -rf
        public``: 2,700 files whose bytes match their records looked for, none there)."""
        self.found_empty = _empty(str(self.root))
        return self.found_empty

    def same_inputs(self, relative: str, inputs: str) -> bool:
        """The file was made from exactly these inputs last time and is untouched since."""
        entry = None if self.found_empty else self.manifest.get(relative)
        return entry is not None and entry[1] == inputs and self._on_disk(relative)

    def keep(self, relative: str) -> None:
        """The file stays as it is and stays ours."""
        self.produced[relative] = self.manifest[relative]

    def put(self, relative: str, data: bytes, inputs: str) -> bool:
        """Stage the file's bytes; False when the file already holds them (nothing to write)."""
        entry, written = self.stage(relative, data, inputs)
        self.record(relative, entry, written)
        return written

    def stage(self, relative: str, data: bytes, inputs: str) -> tuple[Entry, bool]:
        """Write the bytes to the staging folder unless the file already holds them.

        Safe to call from worker processes: it only writes its own staging file. The entry holds
        the staged file's modification time, which the rename into place keeps. Names as text:
        a Path or two per file cost more than writing a small feed."""
        _confine(str(self.root), relative)
        # a file put there since holds_nothing looked is written over: the same bytes, as a file the
        # records do not match would be
        old = None if self.found_empty else self.manifest.get(relative)
        recorded = str(old[0]) if old is not None else ""
        sha = digest_like(data, recorded)  # of the recorded kind, to compare; SHA-256 for a new file
        if old is not None and sha == recorded and self._on_disk(relative):
            return [sha, inputs, *old[2:]], False
        if len(sha) != 64:  # a file written now is recorded with SHA-256
            sha = digest(data)
        # as os.path.join and os.path.dirname would say, for a name plain_relative passed (no empty
        # part, no trailing "/"), without their Python per file
        target = f"{self.staging}/files/{relative}"
        folder = target.rpartition("/")[0]
        if folder not in self._staged_folders:  # once per folder (and process)
            os.makedirs(folder, exist_ok=True)
            self._staged_folders.add(folder)
        return [sha, inputs, len(data), write_file(target, data)], True

    def record(self, relative: str, entry: Entry, written: bool) -> None:
        self.produced[relative] = entry
        if written:
            self.written.append(relative)

    def commit(self) -> None:
        """Move every staged file into place, delete the feeds no longer produced.

        Everything that can fail for want of space or permission happens before the COMMIT
        marker: staging, the new manifest, a probe of every folder a rename or deletion will
        touch. What follows the marker is renames and deletions only. Nothing to move or delete:
        nothing is touched, and the manifest is replaced only when its contents changed.
        """
        self._refuse_foreign()
        stale = sorted(r for r in set(self.manifest) - set(self.produced) if r not in self.others)
        files = str(self.staging / "files")
        for relative in self.written:  # a rename keeps the mtime: the manifest can be written now
            if not self.produced[relative][3]:  # staged before stage() noted it (it does: a fallback)
                self.produced[relative][3] = os.stat(os.path.join(files, relative)).st_mtime_ns
        with _signals_deferred():
            if not self.written and not stale:
                if self.produced != self.manifest:
                    self._write_manifest(self.produced)
                return
            plan: dict[str, object] = {"owner": self.owner, "written": sorted(self.written), "removed": stale}
            produced = json_text({"files": self.produced})  # written twice: made once
            try:
                self.staging.mkdir(exist_ok=True)
                self._probe_folders(self.written, stale)
                replace_text(self.staging / STAGED_MANIFEST, produced)
                write_json(self.staging / COMMIT, plan)  # from here on, the next run finishes the move
            except OSError as exc:
                raise OutputError(_disk_message(self.root, exc)) from None
            try:
                self._move_whole(files)
                kept, self.removed = self._apply(self.staging, plan, self.manifest, self.produced, self.others)
                replace_text(manifest_file(self.book, self.owner),
                             produced if kept == self.produced else json_text({"files": kept}))
                os.unlink(self.staging / COMMIT)
            except OSError as exc:
                raise OutputError(f"{display_path(self.root)}: cannot finish moving the new feeds into place "
                                  f"({_why(exc)}); some feeds are new, some old until the next run finishes "
                                  "the move; fix that, then run feeds build again") from None
            shutil.rmtree(self.staging, ignore_errors=True)

    def _move_whole(self, files: str) -> None:
        """Into an output folder that this build made (it is empty), the staged folder goes in one
        rename instead of one per file (2,700 feeds: 5,400 renames and 2,700 folders made, a
        tenth of a second). ``_apply`` then finds each file moved, as after an interruption.
        Only a folder this build made: an empty one that was there may have a mode or owner of
        its own, which the rename would replace. Anything in the way (a file put there meanwhile,
        another filesystem, a system that does not rename onto a folder): the files go one by one."""
        if not self.new_root or self.staging.parent == self.root or os.path.islink(self.root):
            return
        try:
            os.rename(files, self.root)
        except OSError:
            pass

    def _write_manifest(self, files: Manifest) -> None:
        try:
            write_json(manifest_file(self.book, self.owner), {"files": files})
        except OSError as exc:
            raise OutputError(_disk_message(self.root, exc)) from None

    def _probe_folders(self, moving: list[str], removing: list[str]) -> None:
        """Create and delete a file in each folder the commit will change: a folder that is
        read-only or out of space fails here, while nothing has moved yet; so does one on
        another filesystem than the staging folder (a rename cannot cross filesystems)."""
        device = os.stat(self.staging).st_dev
        root = str(self.root)
        targets: dict[str, bool] = {}  # each folder, inside the output folder ("": itself) -> it receives a file
        for relative in moving:  # names as text, a folder's path made once: a cold build moves thousands
            _confine(root, relative)
            targets[relative.rpartition("/")[0]] = True
        for relative in removing:
            _confine(root, relative)
            targets.setdefault(relative.rpartition("/")[0], False)
        probes: dict[Path, bool] = {}  # each folder that exists, probed once (a new site's: the output folder)
        for folder, receives in targets.items():
            existing = Path(root, folder)
            while not existing.exists() and existing != self.root:
                existing = existing.parent  # mkdir will happen here
            probes[existing] = probes.get(existing, False) or receives
        for existing, receives in sorted(probes.items()):
            if receives and os.stat(existing).st_dev != device:
                raise OutputError(f"{display_path(existing)}: on another filesystem than the staging folder "
                                  f"{display_path(self.staging)}, so feeds cannot move its files there in one "
                                  "step; nothing was changed; keep the output folder on one filesystem")
            probe = existing / f".feeds-probe-{os.getpid()}"
            os.close(os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
            os.unlink(probe)

    def _refuse_foreign(self) -> None:
        """Stop before anything moves if a new file would replace one that this config did not write."""
        where = display_path(self.root)
        theirs = [r for r in self.written if r in self.others]
        if theirs:
            owners = ", ".join(sorted({self.others[r] for r in theirs}))
            raise OutputError(f"{where}: {len(theirs)} file(s) there belong to the feeds of another config file "
                              f"writing to this folder ({owners}) and would be replaced:\n{_listed(self.root, theirs)}"
                              "\nnothing was changed; give each config file its own feeds.paths (e.g. "
                              "zh/feed.xml), or its own output folder")
        root = str(self.root)
        if _empty(root):  # a new output folder (a cold build's): no file there to ask about one by one
            return
        foreign = [r for r in self.written if r not in self.manifest and os.path.lexists(os.path.join(root, r))]
        if foreign:
            why = "".join(f"\n(feeds has no record of writing them: {p.path}: {p.message})" for p in self.unread)
            raise OutputError(f"{where}: {len(foreign)} file(s) there were not written by feeds and would be "
                              f"replaced:\n{_listed(self.root, foreign)}\nnothing was changed; move them away, "
                              f"or choose other feed paths with feeds.paths in config.yaml{why}")

    def _apply(self, staging: Path, plan: dict[str, object], old: Manifest, new: Manifest,
               others: dict[str, str]) -> tuple[Manifest, list[str]]:
        """Carry out a committed plan; run again after an interruption, it finishes the job.

        The plan and both manifests may come from disk: a file is moved into place only from
        the staging folder, onto a file that ``old`` lists or none, and a file is deleted only
        when ``old`` lists it and its bytes are still the ones listed. Returns the manifest to
        keep (``new`` less what was refused) and what was deleted."""
        marker = display_path(staging / COMMIT)
        accepted: set[str] = set()
        made: set[str] = set()  # folders known to exist: one mkdir per folder, not per file
        # names as text, not Paths: thousands of files, a few Path objects each cost 0.3 ms a file
        files, root = str(staging / "files"), str(self.root)
        whole = not os.path.lexists(files)  # moved in one rename (_move_whole): no staged file is left to ask about
        for relative in _texts(plan.get("written")):
            if not plain_relative(relative) or relative not in new or relative in others \
                    or not _folder_within(files, relative) or not _folder_within(root, relative):
                self.problems.append(_ignored(marker, relative))
                continue
            kind = None if whole else _kind(os.path.join(files, relative))
            if kind is None:
                accepted.add(relative)  # moved before the interruption, or with the whole folder
                continue
            source, target = os.path.join(files, relative), os.path.join(root, relative)
            if not stat.S_ISREG(kind) or (relative not in old and os.path.lexists(target)):
                self.problems.append(_ignored(marker, relative))  # a link, a folder, or a file not ours
            else:
                folder = os.path.dirname(target)
                if folder not in made:
                    os.makedirs(folder, exist_ok=True)
                    made.add(folder)
                os.replace(source, target)
                accepted.add(relative)
        removed = []
        for relative in _texts(plan.get("removed")):
            if not plain_relative(relative) or relative not in old or relative in new or relative in others:
                self.problems.append(_ignored(marker, relative))
            elif self._remove_if_unchanged(relative, old[relative]):
                removed.append(relative)
        kept = {r: e for r, e in new.items() if (r in accepted or r in old) and r not in others}
        return kept, removed

    def _remove_if_unchanged(self, relative: str, entry: Entry) -> bool:
        """Delete a stale feed, if it is still the very file feeds wrote; else say why not."""
        path = self.root / relative
        try:
            st = os.lstat(path)
            same = stat.S_ISREG(st.st_mode) and _inside(self.root, relative) \
                and digest_like(path.read_bytes(), str(entry[0])) == entry[0]
        except OSError:
            return False  # already gone
        if not same:
            self.problems.append(Problem(display_path(path), None, "no feed is written here any more, but this is "
                                         "not the file feeds wrote (changed since, or not a file); left in place: "
                                         "delete it if it is no longer wanted", WARNING))
            return False
        _remove(path, self.root)
        return True


def write_file(path: str, data: bytes) -> int:
    """Write a new file; its modification time. With the system's calls, not ``open``: the bytes
    are whole already, and a buffered file object per feed cost a tenth of writing it."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o666)
    try:
        done = os.write(fd, data)  # a regular file takes all at once, unless a signal or a full disk
        if done < len(data):  # cuts it short: the rest, as often as it takes
            view = memoryview(data)[done:]
            while view:
                view = view[os.write(fd, view):]
        return os.fstat(fd).st_mtime_ns
    finally:
        os.close(fd)


def _folder_within(root: str, relative: str) -> bool:
    """``_inside`` for a name ``plain_relative`` already passed: its folder resolves inside ``root``."""
    try:
        return _folder_inside(root, relative.rpartition("/")[0])
    except (OSError, RuntimeError):  # RuntimeError: a symbolic link loop (Python < 3.13)
        return False


def _empty(folder: str) -> bool:
    try:
        with os.scandir(folder) as listing:
            return next(listing, None) is None
    except OSError:
        return False


def _kind(path: str | Path) -> int | None:
    """The file type bits of ``path`` itself (a link is a link), or None when there is nothing."""
    try:
        return os.lstat(path).st_mode
    except (OSError, ValueError):  # as os.path.lexists: nothing there that can be moved
        return None


def _texts(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _ignored(marker: str, relative: str) -> Problem:
    return Problem(marker, None, f"names '{shown(relative)}', which this build's records do not show as written "
                   "by feeds (or which lies outside the output folder); ignored, the file was left as it is",
                   WARNING)


def _listed(root: Path, relatives: list[str]) -> str:
    return "\n".join(f"  {display_path(root / r)}" for r in relatives)


@contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM until the block is done, then deliver them.

    Ctrl-C or a CI runner's SIGTERM in the middle of the renames would leave old and new feeds
    side by side on a live site until the next run; waiting the few milliseconds the renames
    take avoids that. Signal handlers can only be changed from the main thread; elsewhere the
    COMMIT marker alone protects the folder.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    kinds = (signal.SIGINT, signal.SIGTERM)
    previous = {kind: signal.signal(kind, lambda number, frame: caught.append(number)) for kind in kinds}
    try:
        yield
    finally:
        for kind, handler in previous.items():
            signal.signal(kind, handler if handler is not None else signal.SIG_DFL)
        if caught:
            signal.raise_signal(caught[0])


def _why(exc: OSError) -> str:
    return "the disk is full" if exc.errno == errno.ENOSPC else exc.strerror or str(exc)


def _remove(path: Path, root: Path) -> None:
    """Delete a stale feed, and the folders it leaves empty (never the output folder itself)."""
    path.unlink(missing_ok=True)
    folder = path.parent
    while folder != root.resolve() and folder.is_relative_to(root.resolve()):
        try:
            folder.rmdir()
        except OSError:
            break
        folder = folder.parent


def _disk_message(root: Path, exc: OSError) -> str:
    return f"{display_path(root)}: cannot write the feeds ({_why(exc)}); nothing in the folder was changed"


def staging_error(root: Path, exc: OSError) -> OutputError:
    return OutputError(_disk_message(root, exc))
