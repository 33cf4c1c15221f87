"""What ``feeds check`` can tell about the output folder itself, beyond the feeds' contents."""
from __future__ import annotations

import fcntl
import os
from pathlib import Path

from ..bookkeeping import (
    COMMIT,
    LEGACY_LOCK,
    LEGACY_MANIFEST,
    LEGACY_STAGING,
    LOCK,
    STAGING,
    folder_of,
    manifest_file,
    owner_of,
    read_manifest,
)
from ..errors import WARNING, Problem, display_path
from .staging import digest_like


def inspect_output(root: Path, config_file: str = "") -> list[Problem]:
    """What ``feeds check`` can tell about the folder itself, beyond the feeds' contents: a build
    cut off while moving files (a mix of old and new feeds is being served), records of an
    earlier version that a static host would publish, and files that this config's builds wrote
    but that were deleted or changed since."""
    where, book = display_path(root), folder_of(root)
    if _locked(book / LOCK) or _locked(root / LEGACY_LOCK):
        return [Problem(where, None, "a feeds build is writing to this folder right now; check again when it "
                        "has finished", WARNING)]
    stagings = [s for s in (book / STAGING, root / LEGACY_STAGING) if s.is_dir() and not os.path.islink(s)]
    if any(os.path.lexists(s / COMMIT) for s in stagings):  # half moved: comparing the files says nothing more
        return [Problem(where, None, "a build was cut off while moving its files into place: some feeds are "
                        "new, some old; run feeds build to finish it")]
    problems = [Problem(where, None, "a build was cut off before it changed anything; the next feeds build clears "
                        f"its leftovers ({display_path(s)})", WARNING) for s in stagings]
    legacy = [n for n in (LEGACY_MANIFEST, LEGACY_LOCK) if os.path.lexists(root / n)]
    if legacy:
        problems.append(Problem(where, None, f"holds records of an earlier feeds version ({', '.join(legacy)}), "
                                "which a static host would publish; the next feeds build moves them to "
                                f"{display_path(book)}", WARNING))
    own = manifest_file(book, owner_of(config_file))
    if not os.path.lexists(own) and LEGACY_MANIFEST in legacy:
        own = root / LEGACY_MANIFEST
    for relative, entry in sorted((read_manifest(own, problems) or {}).items()):
        path = root / relative
        try:
            data = path.read_bytes()
        except OSError:
            problems.append(Problem(display_path(path), None, "written by feeds, now missing; run feeds build "
                                    "to write it again"))
            continue
        if digest_like(data, str(entry[0])) != entry[0]:
            problems.append(Problem(display_path(path), None, "changed since feeds wrote it; the next feeds "
                                    "build writes it again", WARNING))
    return problems


def _locked(lock: Path) -> bool:
    try:
        fd = os.open(lock, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # releases the shared lock if we got it
