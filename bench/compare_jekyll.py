"""Compare ``feeds``' output with what real Jekyll + jekyll-feed wrote for the same site, entry by entry.

Usage::

    python bench/compare_jekyll.py SITE [--jekyll DIR] [--ours DIR]
                                        [--jekyll-all DIR] [--ours-all DIR] [--show N]

``SITE`` is a Jekyll site folder. The defaults are the folders the recipe below makes in it:

``--jekyll SITE/_site``        real Jekyll's build (jekyll-feed in ``plugins``)
``--ours SITE/public``         ``feeds build`` in the same folder (its default limit)
``--jekyll-all SITE/_site_all``  a second Jekyll build whose site feed holds every post
                               (``feed: {posts_limit: 1000000}`` in an extra config file)
``--ours-all SITE/all``        ``feeds build --limit 0 --output all``

Recipe (in the site folder)::

    jekyll build
    printf 'feed:\\n  posts_limit: 1000000\\n' > /tmp/all.yml
    jekyll build --config _config.yml,/tmp/all.yml -d _site_all
    feeds build
    feeds build --limit 0 --output all
    python /path/to/bench/compare_jekyll.py .

What is compared:

- **Feeds**: every Atom file jekyll-feed wrote under ``--jekyll`` (an ``.xml`` file with an Atom root
  and Jekyll's ``<generator>``) must exist at the same path under ``--ours``. For each pair, every
  jekyll-feed entry is matched to ours by id, else by link (an entry neither matches is missing), and
  its id, link, ``published`` instant (and offset) and title (HTML-unescaped) are compared. Entries
  in the same place count too, and files that are not well-formed XML (feedparser reads them anyway).
- **All posts**: the site feed of ``--jekyll-all`` (the feed with the most entries) against ours at
  the same path under ``--ours-all``, entry by entry in the same way: every post Jekyll published
  (missing ones counted) and every post only we have (extra).

Prints a summary table and the first ``--show`` mismatches of each kind; exits 0 whatever it finds
(it measures, it does not judge), 2 when a folder is missing. Needs feedparser (a test extra) and the
standard library only.
"""

from __future__ import annotations

import argparse
import html
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import feedparser

FIELDS = ("id", "link", "date", "offset", "title")


@dataclass(frozen=True)
class Entry:
    id: str
    link: str
    date: datetime | None
    title: str

    def value(self, name: str) -> object:
        if name == "offset":
            return self.date.utcoffset() if self.date else None
        return getattr(self, name)


@dataclass
class Tally:
    feeds: int = 0
    missing_feeds: list[str] = field(default_factory=list)
    entries: int = 0
    equal: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))
    in_order: int = 0
    missing_entries: int = 0
    extra_entries: int = 0
    mismatches: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    mismatch_counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    not_well_formed: dict[str, list[str]] = field(default_factory=lambda: {"Jekyll": [], "ours": []})


def parse_date(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def read_entries(path: Path, tally: Tally | None = None, side: str = "") -> list[Entry]:
    """The entries of one feed; one that is not well-formed XML is noted (feedparser still reads it)."""
    parsed = feedparser.parse(path.read_bytes())
    if parsed.bozo and tally is not None:
        tally.not_well_formed[side].append(f"{path}: {parsed.get('bozo_exception')}")
    return [Entry(e.get("id", ""), e.get("link", ""), parse_date(e.get("published")),
                  html.unescape(e.get("title", ""))) for e in parsed.entries]


def jekyll_feed_files(root: Path) -> list[str]:
    """Every Atom feed jekyll-feed wrote under ``root``, relative and sorted."""
    found = []
    for path in root.rglob("*.xml"):
        head = path.read_bytes()[:2048]
        if b'<feed xmlns="http://www.w3.org/2005/Atom"' in head and b'<generator uri="https://jekyllrb.com/"' in head:
            found.append(path.relative_to(root).as_posix())
    return sorted(found)


def match(theirs: list[Entry], mine: list[Entry]) -> list[tuple[Entry, Entry | None]]:
    """Each of their entries with ours: the same id, else the same link, else none."""
    by_id = {e.id: e for e in mine}
    by_link = {e.link: e for e in mine}
    return [(t, by_id.get(t.id) or by_link.get(t.link)) for t in theirs]


def compare_feed(relative: str, theirs: list[Entry], mine: list[Entry], tally: Tally, show: int) -> None:
    tally.feeds += 1
    pairs = match(theirs, mine)
    matched = {id(m) for _, m in pairs if m is not None}
    tally.extra_entries += sum(1 for m in mine if id(m) not in matched)
    for position, (t, m) in enumerate(pairs):
        tally.entries += 1
        if m is None:
            tally.missing_entries += 1
            note(tally, "entry", f"/{relative}: {t.id} ({t.link}) not in ours", show)
            continue
        if position < len(mine) and mine[position] is m:
            tally.in_order += 1
        for name in FIELDS:
            if t.value(name) == m.value(name):
                tally.equal[name] += 1
            else:
                note(tally, name, f"/{relative}: {t.value(name)!r} | ours {m.value(name)!r}", show)


def note(tally: Tally, kind: str, text: str, show: int) -> None:
    found = tally.mismatches[kind]
    if len(found) < show:
        found.append(text)
    tally.mismatch_counts[kind] += 1


def compare_feeds(jekyll: Path, ours: Path, show: int) -> Tally:
    tally = Tally()
    for relative in jekyll_feed_files(jekyll):
        if not (ours / relative).is_file():
            tally.missing_feeds.append("/" + relative)
            continue
        compare_feed(relative, read_entries(jekyll / relative, tally, "Jekyll"),
                     read_entries(ours / relative, tally, "ours"), tally, show)
    return tally


def compare_posts(jekyll_all: Path, ours_all: Path, show: int) -> tuple[Tally | None, str]:
    """Every post: the site feed of an unlimited Jekyll build (its feed with the most entries) against
    ours at the same path, entry by entry as for the feeds; only-ours entries are the extra ones."""
    feeds = jekyll_feed_files(jekyll_all)
    if not feeds:
        return None, f"no jekyll-feed Atom file under {jekyll_all}"
    counted = {rel: read_entries(jekyll_all / rel) for rel in feeds}
    site = max(sorted(counted, key=len), key=lambda rel: len(counted[rel]))
    if not (ours_all / site).is_file():
        return None, f"site feed /{site}: not in {ours_all}"
    tally = Tally()
    read_entries(jekyll_all / site, tally, "Jekyll")
    mine = read_entries(ours_all / site, tally, "ours")
    compare_feed(site, counted[site], mine, tally, show)
    matched = {id(m) for _, m in match(counted[site], mine) if m is not None}
    for extra in [m for m in mine if id(m) not in matched][:show]:
        note(tally, "extra", f"/{site}: {extra.id} ({extra.link}) only in ours", show)
    return tally, f"site feed /{site}: Jekyll {len(counted[site])} posts, ours {len(mine)}"


def percent(part: int, whole: int) -> str:
    """Rounded down, so that 4722 of 4723 never shows as 100 %."""
    return f"{(10000 * part // whole) / 100:.2f} %" if whole else "-"


def rows(tally: Tally) -> list[tuple[str, str]]:
    n = tally.entries
    return [("feeds compared", str(tally.feeds)), ("entries compared", str(n)),
            ("% ids equal", percent(tally.equal["id"], n)), ("% links equal", percent(tally.equal["link"], n)),
            ("% dates equal (instant)", percent(tally.equal["date"], n)),
            ("% offsets equal", percent(tally.equal["offset"], n)),
            ("% titles equal", percent(tally.equal["title"], n)),
            ("% entries in the same place", percent(tally.in_order, n)),
            ("entries missing / extra", f"{tally.missing_entries} / {tally.extra_entries}"),
            ("feed URLs missing", str(len(tally.missing_feeds))),
            ("files not well-formed, Jekyll / ours",
             f"{len(tally.not_well_formed['Jekyll'])} / {len(tally.not_well_formed['ours'])}")]


def mismatches(tally: Tally, heading: str) -> list[str]:
    out = []
    if tally.missing_feeds:
        out += ["", f"{heading}: feed URLs missing ({len(tally.missing_feeds)}):"]
        out += [f"  {p}" for p in tally.missing_feeds[:20]]
    for side, files in tally.not_well_formed.items():
        if files:
            out += ["", f"{heading}: {side} files not well-formed XML ({len(files)}):"] + [f"  {f}" for f in files[:5]]
    for kind in ("entry", "extra") + FIELDS:
        if tally.mismatches.get(kind):
            out += ["", f"{heading}: {kind} mismatches ({tally.mismatch_counts[kind]}), "
                        f"first {len(tally.mismatches[kind])} (Jekyll | ours):"]
            out += [f"  {line}" for line in tally.mismatches[kind]]
    return out


def report(feeds: Tally, posts: Tally | None, posts_note: str) -> str:
    left = rows(feeds)
    right = dict(rows(posts)) if posts else {}
    width = max(len(k) for k, _ in left)
    out = ["| what | feeds (as built) | all posts (site feed, unlimited) |", "|---|---:|---:|"]
    out += [f"| {k.ljust(width)} | {v} | {right.get(k, '-')} |" for k, v in left]
    out += mismatches(feeds, "feeds")
    if posts:
        out += mismatches(posts, "all posts")
    return "\n".join(out + ["", "all posts: " + posts_note])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("--jekyll", type=Path)
    parser.add_argument("--ours", type=Path)
    parser.add_argument("--jekyll-all", type=Path)
    parser.add_argument("--ours-all", type=Path)
    parser.add_argument("--show", type=int, default=5, help="mismatches listed per kind (default 5)")
    args = parser.parse_args(argv)
    jekyll, ours = args.jekyll or args.site / "_site", args.ours or args.site / "public"
    jekyll_all, ours_all = args.jekyll_all or args.site / "_site_all", args.ours_all or args.site / "all"
    for folder in (jekyll, ours):
        if not folder.is_dir():
            print(f"compare_jekyll: {folder}: no such folder", file=sys.stderr)
            return 2
    tally = compare_feeds(jekyll, ours, args.show)
    posts, posts_note = (compare_posts(jekyll_all, ours_all, args.show) if jekyll_all.is_dir() and ours_all.is_dir()
                         else (None, f"skipped: {jekyll_all} or {ours_all} is not a folder"))
    print(report(tally, posts, posts_note))
    return 0


if __name__ == "__main__":
    sys.exit(main())
