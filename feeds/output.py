"""Putting a build's files into the output folder: confined, all-or-nothing, never touching
files that feeds did not write.

How a build lands:
1. a lock (``.feeds.lock``) keeps two builds off the same folder;
2. new and changed files go to a staging folder inside the output folder (same filesystem);
3. when the whole build succeeded, a COMMIT marker is written (fsync'd) into the staging
   folder, then each file is renamed into place, stale feeds are deleted, the manifest of the
   files feeds owns (``.feeds-manifest.json``) is replaced, and the staging folder removed.
A build killed before step 3 leaves the folder untouched (the next run deletes its staging);
one killed during step 3 is finished by the next run, which finds the COMMIT marker. SIGINT
and SIGTERM wait until step 3 is over, so only SIGKILL or a crash of the machine can leave a
mix of old and new files, and only until the next run.

A file in the output folder that feeds did not write (not in the manifest) is never replaced
or deleted: a build that would overwrite one stops before step 3 and names it.
"""
from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import shutil
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from types import TracebackType

from .errors import WARNING, OutputError, Problem, display_path

LOCK, MANIFEST, STAGING, COMMIT = ".feeds.lock", ".feeds-manifest.json", ".feeds-staging", "COMMIT"


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def confined(root: Path, relative: str) -> Path:
    """The file for ``relative`` inside ``root``; refuses anything that would land outside it.

    The name is checked as text, and its folder resolved (once per folder) so that a symbolic
    link inside the output folder cannot carry a write outside it either.
    """
    parts = relative.split("/")
    if not relative or relative.startswith("/") or "\x00" in relative or "\\" in relative \
            or any(p in ("", ".", "..") for p in parts):
        raise OutputError(f"refusing to write '{relative}': not a relative path inside the output folder")
    if not _folder_inside(str(root), "/".join(parts[:-1])):
        raise OutputError(f"refusing to write '{relative}': it would land outside {display_path(root)}")
    return root / relative


@lru_cache(maxsize=4096)
def _folder_inside(root: str, folder: str) -> bool:
    real_root = Path(root).resolve()
    return (real_root / folder).resolve().is_relative_to(real_root)


class Output:
    """The output folder during one build: ``with Output(path) as out: out.put(...); out.commit()``."""

    def __init__(self, root: Path):
        self.root = root
        self.staging = root / STAGING
        self.manifest: dict[str, list[object]] = {}  # path -> [digest, inputs fingerprint, size, mtime_ns]
        self.produced: dict[str, list[object]] = {}
        self.written: list[str] = []
        self.removed: list[str] = []
        self._lock: int | None = None

    def __enter__(self) -> Output:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            self._lock = os.open(self.root / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise OutputError(f"{display_path(self.root)}: cannot use the output folder: {exc.strerror}; "
                              "check its permissions") from None
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._unlock()
            raise OutputError(f"{display_path(self.root)}: another feeds build is writing to this folder; "
                              "wait for it to finish, then run again") from None
        try:
            self._recover()
        except (OSError, ValueError, KeyError, TypeError) as exc:
            self._unlock()
            raise OutputError(f"{display_path(self.root)}: cannot finish the build that was interrupted "
                              f"while moving files into place ({_why(exc)}); fix that, then run again") from None
        self.manifest = self._read_manifest()
        return self

    def _unlock(self) -> None:
        if self._lock is not None:
            os.close(self._lock)  # releases the flock
            self._lock = None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self.staging.exists() and not (self.staging / COMMIT).exists():
            shutil.rmtree(self.staging, ignore_errors=True)
        self._unlock()

    def _recover(self) -> None:
        """Finish a build that committed but was cut off; drop one that never committed."""
        if (self.staging / COMMIT).exists():
            self._apply(json.loads((self.staging / COMMIT).read_text("utf-8")))
        shutil.rmtree(self.staging, ignore_errors=True)

    def _read_manifest(self) -> dict[str, list[object]]:
        try:
            data = json.loads((self.root / MANIFEST).read_text("utf-8"))
            return {str(k): list(v) for k, v in data.get("files", {}).items() if len(v) == 4}
        except (OSError, ValueError, AttributeError, TypeError):
            return {}

    def _on_disk(self, relative: str) -> bool:
        """The file is still as feeds left it (same size and modification time)."""
        try:
            st = (self.root / relative).stat()
        except OSError:
            return False
        return self.manifest[relative][2:] == [st.st_size, st.st_mtime_ns]

    def same_inputs(self, relative: str, inputs: str) -> bool:
        """The file was made from exactly these inputs last time and is untouched since."""
        entry = self.manifest.get(relative)
        return entry is not None and entry[1] == inputs and self._on_disk(relative)

    def keep(self, relative: str) -> None:
        """The file stays as it is and stays ours."""
        self.produced[relative] = self.manifest[relative]

    def put(self, relative: str, data: bytes, inputs: str) -> bool:
        """Stage the file's bytes; False when the file already holds them (nothing to write)."""
        entry, written = self.stage(relative, data, inputs)
        self.record(relative, entry, written)
        return written

    def stage(self, relative: str, data: bytes, inputs: str) -> tuple[list[object], bool]:
        """Write the bytes to the staging folder unless the file already holds them.

        Safe to call from worker processes: it only writes its own staging file."""
        confined(self.root, relative)
        sha = digest(data)
        old = self.manifest.get(relative)
        if old is not None and old[0] == sha and self._on_disk(relative):
            return [sha, inputs, *old[2:]], False
        target = self.staging / "files" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        return [sha, inputs, len(data), 0], True

    def record(self, relative: str, entry: list[object], written: bool) -> None:
        self.produced[relative] = entry
        if written:
            self.written.append(relative)

    def commit(self) -> None:
        """Move every staged file into place, delete the feeds no longer produced.

        Everything that can fail for want of space or permission happens before the COMMIT
        marker: staging, the new manifest, a probe of every folder a rename or deletion will
        touch. What follows the marker is renames and deletions only.
        """
        self._refuse_foreign()
        stale = sorted(set(self.manifest) - set(self.produced))
        for relative in self.written:  # a rename keeps the mtime: the manifest can be written now
            self.produced[relative][3] = (self.staging / "files" / relative).stat().st_mtime_ns
        plan = {"written": sorted(self.written), "removed": stale}
        with _signals_deferred():
            try:
                self._probe_folders(self.written + stale)
                self.staging.mkdir(exist_ok=True)
                (self.staging / MANIFEST).write_text(json.dumps({"files": self.produced}, ensure_ascii=False,
                                                                sort_keys=True, indent=0), "utf-8")
                marker = self.staging / (COMMIT + ".tmp")
                marker.write_text(json.dumps(plan, ensure_ascii=False), "utf-8")
                os.replace(marker, self.staging / COMMIT)  # from here on, the next run finishes the move
            except OSError as exc:
                raise OutputError(_disk_message(self.root, exc)) from None
            try:
                self._apply(plan)
            except OSError as exc:
                raise OutputError(f"{display_path(self.root)}: cannot finish moving the new feeds into place "
                                  f"({_why(exc)}); some feeds are new, some old until the next run finishes "
                                  "the move; fix that, then run feeds build again") from None
            shutil.rmtree(self.staging, ignore_errors=True)
        self.removed = stale

    def _probe_folders(self, relatives: list[str]) -> None:
        """Create and delete a file in each folder the commit will change: a folder that is
        read-only or out of space fails here, while nothing has moved yet."""
        folders = {str(Path(confined(self.root, r)).parent) for r in relatives} | {str(self.root)}
        for folder in sorted(folders):
            existing = Path(folder)
            while not existing.exists() and existing != self.root:
                existing = existing.parent  # mkdir will happen here
            probe = existing / f".feeds-probe-{os.getpid()}"
            os.close(os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
            os.unlink(probe)

    def _refuse_foreign(self) -> None:
        """Stop before anything moves if a new file would replace one that feeds did not write."""
        foreign = [r for r in self.written if r not in self.manifest and os.path.lexists(self.root / r)]
        if foreign:
            listed = "\n".join(f"  {display_path(self.root / r)}" for r in foreign)
            raise OutputError(f"{display_path(self.root)}: {len(foreign)} file(s) there were not written by "
                              f"feeds and would be replaced:\n{listed}\nnothing was changed; move them away, "
                              "or choose other feed paths with feeds.paths in config.yaml")

    def _apply(self, plan: dict[str, list[str]]) -> None:
        """Carry out a committed plan; run again after an interruption, it finishes the job."""
        for relative in plan["written"]:
            target = confined(self.root, relative)
            staged = self.staging / "files" / relative
            if staged.exists() or not target.exists():  # else: moved before the interruption
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(staged, target)
        for relative in plan["removed"]:
            _remove(confined(self.root, relative), self.root)
        if (self.staging / MANIFEST).exists():
            os.replace(self.staging / MANIFEST, self.root / MANIFEST)


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


def _why(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return "the disk is full" if exc.errno == errno.ENOSPC else exc.strerror or str(exc)
    return f"its record is damaged: {exc}; delete the folder .feeds-staging"


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


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _disk_message(root: Path, exc: OSError) -> str:
    return f"{display_path(root)}: cannot write the feeds ({_why(exc)}); nothing in the folder was changed"


def staging_error(root: Path, exc: OSError) -> OutputError:
    return OutputError(_disk_message(root, exc))


def inspect_output(root: Path) -> list[Problem]:
    """What ``feeds check`` can tell about the folder itself, beyond the feeds' contents: a build
    cut off while moving files (a mix of old and new feeds is being served), and files that feeds
    wrote but that were deleted or changed since."""
    where = display_path(root)
    if _locked(root):
        return [Problem(where, None, "a feeds build is writing to this folder right now; check again when it "
                        "has finished", WARNING)]
    problems = []
    if (root / STAGING / COMMIT).exists():  # the files are half moved: comparing them says nothing more
        return [Problem(where, None, "a build was cut off while moving its files into place: some feeds are "
                        "new, some old; run feeds build to finish it")]
    if (root / STAGING).exists():
        problems.append(Problem(where, None, "a build was cut off before it changed anything; the next feeds "
                                "build clears its leftovers (.feeds-staging)", WARNING))
    for relative, entry in sorted(Output(root)._read_manifest().items()):
        path = root / relative
        try:
            data = path.read_bytes()
        except OSError:
            problems.append(Problem(display_path(path), None, "written by feeds, now missing; run feeds build "
                                    "to write it again"))
            continue
        if digest(data) != entry[0]:
            problems.append(Problem(display_path(path), None, "changed since feeds wrote it; the next feeds "
                                    "build writes it again", WARNING))
    return problems


def _locked(root: Path) -> bool:
    try:
        fd = os.open(root / LOCK, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # releases the shared lock if we got it
