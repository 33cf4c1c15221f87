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
- **Content**: for each matched entry, the visible text of its content (tags dropped, entities decoded,
  whitespace collapsed; ``<script>``/``<style>`` text dropped) on both sides, and difflib's ratio over
  its words: an entry counts as "text equal" at a ratio of at least 0.98 (``--ratio``). Residue is
  template or kramdown syntax left in the visible text (``{%``, ``{{``, a footnote mark ``[^1]``, an
  attribute list ``{: …}``); an entry with residue in ours and none in Jekyll's is counted.
- **All posts**: the site feed of ``--jekyll-all`` (the feed with the most entries) against ours at
  the same path under ``--ours-all``, entry by entry in the same way: every post Jekyll published
  (missing ones counted) and every post only we have (extra).

Prints a summary table and the first ``--show`` mismatches of each kind; exits 0 whatever it finds
(it measures, it does not judge), 2 when a folder is missing. Needs feedparser (a test extra) and the
standard library only.
"""

from __future__ import annotations

import argparse
import difflib
import html
import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

import feedparser

FIELDS = ("id", "link", "date", "offset", "title")
RESIDUE = re.compile(r"\{%|\{\{|\[\^[^\]\s]+\]|\{:[^}]*\}")
RATIO = 0.98


class _Text(HTMLParser):
    """The text a reader shows: character data outside script and style."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.hidden += tag in ("script", "style")

    def handle_endtag(self, tag: str) -> None:
        self.hidden -= tag in ("script", "style") and self.hidden > 0

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def visible_text(markup: str) -> str:
    """``markup`` as a reader shows it, whitespace collapsed to single spaces."""
    parser = _Text()
    parser.feed(markup)
    parser.close()
    return " ".join(" ".join(parser.parts).split())


def text_ratio(theirs: str, mine: str) -> float:
    """How alike two visible texts are: difflib's ratio over their words (1.0 when equal)."""
    if theirs == mine:
        return 1.0
    return difflib.SequenceMatcher(None, theirs.split(), mine.split(), autojunk=False).ratio()


def residue(text: str) -> int:
    """Template or kramdown syntax left in visible text."""
    return len(RESIDUE.findall(text))


@dataclass(frozen=True)
class Entry:
    id: str
    link: str
    date: datetime | None
    title: str
    text: str = ""  # the content's visible text

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
    text_equal: int = 0  # matched entries whose visible text is at least RATIO alike
    residue: dict[str, int] = field(default_factory=lambda: {"Jekyll": 0, "ours": 0})  # entries with any
    residue_ours_only: int = 0
    threshold: float = RATIO


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
                  html.unescape(e.get("title", "")), visible_text(_content(e))) for e in parsed.entries]


def _content(entry: dict) -> str:
    """The entry's full content, else its summary (jekyll-feed writes a summary for excerpt_only)."""
    for content in entry.get("content") or ():
        return str(content.get("value", ""))
    return str(entry.get("summary", ""))


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
        compare_text(relative, t, m, tally, show)


def compare_text(relative: str, theirs: Entry, mine: Entry, tally: Tally, show: int) -> None:
    ratio = text_ratio(theirs.text, mine.text)
    if ratio >= tally.threshold:
        tally.text_equal += 1
    else:
        where = _first_difference(theirs.text, mine.text)
        note(tally, "text", f"/{relative}: {theirs.link}: ratio {ratio:.3f}: {where}", show)
    left, right = residue(theirs.text), residue(mine.text)
    tally.residue["Jekyll"] += left > 0
    tally.residue["ours"] += right > 0
    if right and not left:
        tally.residue_ours_only += 1
        note(tally, "residue", f"/{relative}: {mine.link}: {RESIDUE.findall(mine.text)[:3]}", show)


def _first_difference(theirs: str, mine: str, width: int = 60) -> str:
    """Where two texts first part, a few words of each."""
    a, b = theirs.split(), mine.split()
    at = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    return f"{' '.join(a[at:at + 8])[:width]!r} | ours {' '.join(b[at:at + 8])[:width]!r}"

def note(tally: Tally, kind: str, text: str, show: int) -> None:
    found = tally.mismatches[kind]
    if len(found) < show:
        found.append(text)
    tally.mismatch_counts[kind] += 1


def compare_feeds(jekyll: Path, ours: Path, show: int, threshold: float = RATIO) -> Tally:
    tally = Tally(threshold=threshold)
    for relative in jekyll_feed_files(jekyll):
        if not (ours / relative).is_file():
            tally.missing_feeds.append("/" + relative)
            continue
        compare_feed(relative, read_entries(jekyll / relative, tally, "Jekyll"),
                     read_entries(ours / relative, tally, "ours"), tally, show)
    return tally


def compare_posts(jekyll_all: Path, ours_all: Path, show: int, threshold: float = RATIO) -> tuple[Tally | None, str]:
    """Every post: the site feed of an unlimited Jekyll build (its feed with the most entries) against
    ours at the same path, entry by entry as for the feeds; only-ours entries are the extra ones."""
    feeds = jekyll_feed_files(jekyll_all)
    if not feeds:
        return None, f"no jekyll-feed Atom file under {jekyll_all}"
    counted = {rel: read_entries(jekyll_all / rel) for rel in feeds}
    site = max(sorted(counted, key=len), key=lambda rel: len(counted[rel]))
    if not (ours_all / site).is_file():
        return None, f"site feed /{site}: not in {ours_all}"
    tally = Tally(threshold=threshold)
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
            (f"% content text equal (ratio >= {tally.threshold})",
             percent(tally.text_equal, n - tally.missing_entries)),
            ("entries with residue, Jekyll / ours", f"{tally.residue['Jekyll']} / {tally.residue['ours']}"),
            ("entries with residue in ours only", str(tally.residue_ours_only)),
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
    for kind in ("entry", "extra") + FIELDS + ("text", "residue"):
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
    parser.add_argument("--ratio", type=float, default=RATIO, help=f"text-equal threshold (default {RATIO})")
    args = parser.parse_args(argv)
    jekyll, ours = args.jekyll or args.site / "_site", args.ours or args.site / "public"
    jekyll_all, ours_all = args.jekyll_all or args.site / "_site_all", args.ours_all or args.site / "all"
    for folder in (jekyll, ours):
        if not folder.is_dir():
            print(f"compare_jekyll: {folder}: no such folder", file=sys.stderr)
            return 2
    tally = compare_feeds(jekyll, ours, args.show, args.ratio)
    both = jekyll_all.is_dir() and ours_all.is_dir()
    posts, posts_note = (compare_posts(jekyll_all, ours_all, args.show, args.ratio) if both
                         else (None, f"skipped: {jekyll_all} or {ours_all} is not a folder"))
    print(report(tally, posts, posts_note))
    return 0


if __name__ == "__main__":
    sys.exit(main())
