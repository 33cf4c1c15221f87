"""Check feeds already on disk against RSS 2.0, Atom 1.0 (RFC 4287), JSON Feed 1.1 and OPML 2.0.

``feeds check`` runs this after a build (or in CI) so a broken feed is caught before a
reader silently drops it. Only the standard library is used: expat gives line numbers and
rejects exactly what XML 1.0 rejects, so what passes here parses everywhere.
"""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from feeds.errors import Problem, display_path
from feeds.formats import by_root

from ._doc import FEED_SUFFIXES, Site, _Doc, _parse, url_for
from ._jsonfeed import parse_json_feed

# --- entry points --------------------------------------------------------------------------


def _check_file(path: Path, expected: str | None, site: Site | None) -> list[Problem] | None:
    """Problems of one file, or None when it is well-formed XML but not a feed or OPML."""
    doc = _Doc(display_path(path))
    try:
        data = path.read_bytes()
    except OSError as error:
        return [Problem(doc.path, None, f"cannot read the file ({error.strerror}); "
                                        "check it exists and is readable")]
    kind: str | None
    tree: Any
    if path.suffix.lower() == ".json":  # JSON files that are not JSON Feeds are none of ours
        tree, is_feed = parse_json_feed(doc, data)
        if not is_feed:
            return None
        well_formed, kind = tree is not None, "json"
    else:
        well_formed = _parse(doc, data)
        tree = doc.root
        kind = tree.tag.rpartition("}")[2] if tree is not None else None
    fmt = by_root(kind) if kind else None
    if kind is not None and fmt is None:
        return None
    if well_formed and tree is not None and fmt is not None:
        fmt.check(doc, tree, expected, site)  # the registry knows each format's checker
    return doc.problems


def check_feed_file(path: Path, expected_url: str | None) -> list[Problem]:
    """Check one RSS, Atom, JSON Feed or OPML file; ``expected_url`` is where it will be served.

    Without ``expected_url`` the self link is only required, not compared. OPML links are
    checked against the files next to ``path`` when they sit under its folder's URL.
    """
    site = (path.parent, expected_url.rsplit("/", 1)[0]) if expected_url else None
    problems = _check_file(path, expected_url, site)
    if problems is None:
        return [Problem(display_path(path), None, "not an RSS, Atom, JSON Feed or OPML file; check the path")]
    return problems


def check_output(
    output_dir: Path, base_url: str, files: Iterable[Path] | None = None
) -> list[Problem]:
    """Check every feed and OPML file a build wrote, as a reader fetching ``base_url`` sees them.

    ``files`` limits the check (paths absolute, or relative to the current folder or to
    ``output_dir``); other XML such as sitemap.xml is skipped silently.
    """
    if not output_dir.is_dir():
        return [Problem(display_path(output_dir), None, "output folder does not exist; "
                                                        "run the build first")]
    problems: list[Problem] = []
    for path in _candidates(output_dir, files):
        relative = _relative_to(path, output_dir)
        expected = url_for(base_url, relative) if relative is not None else None
        problems += _check_file(path, expected, (output_dir, base_url)) or []
    return problems


def _candidates(output_dir: Path, files: Iterable[Path] | None) -> list[Path]:
    """Feed-like files in the output folder, skipping hidden folders such as .git."""
    if files is not None:
        return [p if p.is_absolute() or p.exists() else output_dir / p for p in files]
    found = (p for p in output_dir.rglob("*") if p.suffix.lower() in FEED_SUFFIXES)
    return sorted(p for p in found if p.is_file() and not any(
        part.startswith(".") for part in p.relative_to(output_dir).parts))


def _relative_to(path: Path, output_dir: Path) -> Path | None:
    """Where ``path`` sits in the output folder; None outside it (then no URL is expected)."""
    try:
        return path.resolve().relative_to(output_dir.resolve())
    except (ValueError, OSError):
        return None
