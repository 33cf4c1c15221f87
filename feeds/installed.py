"""What is installed of a distribution, as the tool's key (``stages.tool_key``) tells the libraries
that shape output apart: the bytes of its installed metadata and file list, found by listing the
folders on ``sys.path`` as the packaging specs name them (``{name}-{version}.dist-info``)."""
from __future__ import annotations

import hashlib
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

_KINDS = (".dist-info", ".egg-info")


def _normal(name: str) -> str:
    """A distribution's name as the packaging specs compare them (PEP 503, "-" as "_")."""
    return re.sub(r"[-_.]+", "_", name).lower()


def installed(dists: Sequence[str]) -> dict[str, str]:
    """What is installed of each distribution: the hash of the metadata (its ``Version`` line among
    them) and file list of every ``.dist-info``/``.egg-info`` folder of that name on ``sys.path``,
    in path order, "" when there is none. Found by listing the folders on the path as the packaging
    spec names them (``{name}-{version}.dist-info``): ``importlib.metadata`` took 18 ms of every
    build to import and ask (email's parser among its imports), this takes one listing per folder.
    A distribution found in no folder (a zip on the path) is asked of ``importlib.metadata``."""
    wanted = {_normal(dist): dist for dist in dists}
    hashes = {dist: hashlib.blake2b(digest_size=16) for dist in dists}
    seen: set[str] = set()
    for entry in sys.path:
        try:
            names = sorted(name for name in os.listdir(entry or ".") if name.endswith(_KINDS))
        except OSError:
            continue  # a zip, or a folder that is gone
        for name in names:
            dist = wanted.get(_normal(name.rpartition(".")[0].partition("-")[0]))
            if dist is None:
                continue
            seen.add(dist)
            hashes[dist].update(name.encode("utf-8", "surrogateescape") + b"\0")
            hashes[dist].update(_metadata(Path(entry or ".", name)))
    found = {dist: hashes[dist].hexdigest() if dist in seen else "" for dist in dists}
    for dist in dists:
        if dist not in seen:
            found[dist] = _asked(dist)
    return found


def _metadata(place: Path) -> bytes:
    """The bytes of one installed distribution's metadata and file list (an ``.egg-info`` may be
    one file of metadata); a part that is absent is said as such."""
    if place.is_file():
        try:
            return place.read_bytes() + b"\0"
        except OSError:
            return b"-\0"
    found = []
    for part in ("METADATA", "PKG-INFO", "RECORD", "SOURCES.txt"):
        try:
            found.append(place.joinpath(part).read_bytes() + b"\0")
        except OSError:
            found.append(b"-\0")
    return b"".join(found)


def _asked(dist: str) -> str:
    """The version ``importlib.metadata`` finds where no folder on the path has it (zips)."""
    import importlib.metadata

    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return ""
