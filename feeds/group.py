"""Posts -> FeedSpecs (``feedspec``): one per format-independent feed (site, each category, each tag),
each followed by its archive pages (``archives``)."""
from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache
from operator import attrgetter

from .archives import with_archives
from .config import Config
from .errors import WARNING, Problem
from .feedspec import FeedFile, FeedSpec, feed_url, quoted_path
from .posts import Post
from .schema import PAGES

_KEEP = ("L", "N", "M")  # Unicode letters, digits and the marks that letters are built with
_ASCII_DASHES = {c: "-" for c in range(128) if not chr(c).isalnum()}  # in ASCII, all but letters and digits
# Windows device names, whatever follows a dot (a slug has none); superscript 1-3 count as digits there
_RESERVED = {"con", "prn", "aux", "nul", *(f"{d}{i}" for d in ("com", "lpt") for i in "0123456789¹²³")}
CLASH_EXAMPLES = 2  # posts named per spelling in a slug-clash warning
_MAX_SLUG_BYTES = 180  # file names stay far below the 255-byte limit with an extension added


@lru_cache(maxsize=65536)
def slugify(name: str) -> str:
    """Unicode letters and digits kept (NFC, lowercase), every other run becomes one '-'.

    Never empty, never '.', '..', a leading dot or a '/'; Windows device names get a '-'.
    """
    if name.isascii():  # nearly every name: NFC leaves it as it is, and only letters and digits are kept
        text = name.lower()
        marked = text.translate(_ASCII_DASHES)
    else:
        text = unicodedata.normalize("NFC", name).lower()
        marked = "".join([c if unicodedata.category(c)[0] in _KEEP else "-" for c in text])
    slug = "-".join(part for part in marked.split("-") if part)
    if not slug:
        return "x" + hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=4).hexdigest()
    if len(slug.encode()) > _MAX_SLUG_BYTES:
        digest = hashlib.blake2b(slug.encode(), digest_size=4).hexdigest()
        slug = slug.encode()[:_MAX_SLUG_BYTES].decode("utf-8", "ignore").rstrip("-") + "-" + digest
    return slug + "-" if slug in _RESERVED else slug


_JEKYLL_FEED_TAG = re.compile(r"[A-Za-z0-9_]+")  # the only tag names jekyll-feed made feeds for


def jekyll_feed_names(cfg: Config, posts: list[Post]) -> dict[str, dict[str, str]]:
    """{kind: {name: path}} for every feed jekyll-feed served: the categories its config listed,
    at `feed/<name as written>.xml`, and the tags it accepted, at `<tags path><name>.xml`. These
    names keep their spelling (case, underscores) as their slug, so the URLs keep working."""
    categories = {name: f"feed/{name}.xml" for name in cfg.feeds.jekyll_categories if _safe_as_slug(name)}
    tags: dict[str, str] = {}
    if cfg.feeds.jekyll_tags:
        prefix = cfg.feeds.jekyll_tags_path.rstrip("/") + "/"
        names = {t for post in posts for t in post.tags}
        tags = {n: f"{prefix}{n}.xml" for n in sorted(names)
                if _JEKYLL_FEED_TAG.fullmatch(n) and _safe_as_slug(n) and _tag_wanted(cfg, n)}
    return {"category": categories, "tag": tags}


def _safe_as_slug(name: str) -> bool:
    """A name that can be a file name as it is (jekyll-feed wrote `feed/<name>.xml` unchecked)."""
    return bool(name) and name == slugify_keep_case(name)


def slugify_keep_case(name: str) -> str:
    """The name itself when it is a safe file name: no '/', '\\', control or space characters, no
    leading dot, not a Windows device name, not too long; else our slug."""
    text = unicodedata.normalize("NFC", name)
    if (any(c in "/\\" or unicodedata.category(c)[0] in "CZ" for c in text) or text.startswith(".")
            or text.lower() in _RESERVED or len(text.encode()) > _MAX_SLUG_BYTES):
        return slugify(name)
    return text


def _tag_wanted(cfg: Config, name: str) -> bool:
    return (not cfg.feeds.tags_only or name in cfg.feeds.tags_only) and name not in cfg.feeds.tags_except


def newest_first(posts: list[Post]) -> list[Post]:
    """Newest first, ties by id: sorted by id, then (stably) by the instant. One timestamp per
    post (``Post.stamp``), not an offset-aware comparison per pair: 100,000 posts sort in a tenth
    of the time."""
    return sorted(sorted(posts, key=attrgetter("id")), key=attrgetter("stamp"), reverse=True)


class FeedFiles:
    """The files of each feed (paths and URLs), with each path pattern quoted once per build and a
    feed's slug once for all its formats: quoting every whole path (urllib's quote, in Python) was a
    fifth of grouping 10,000 posts' ~1,300 names, by the parent alone."""

    def __init__(self, cfg: Config):
        self.cfg = cfg
        self._patterns: dict[str, list[tuple[str, str, list[str]]]] = {}

    def files(self, kind: str, slug: str, jekyll_path: str = "") -> tuple[FeedFile, ...]:
        """One file per format, plus jekyll-feed's own path when it differs from ours (asked once
        per feed: grouping goes by slug)."""
        # quote works byte by byte: a path's quoted form is its pattern's quoted parts joined by
        # the slug quoted once (for every format), not each whole path quoted anew (feed_url)
        quoted = quoted_path(slug)
        site = self.cfg.site.url + "/"
        files = [FeedFile(fmt, pattern.replace("{slug}", slug), site + quoted.join(parts))
                 for fmt, pattern, parts in self._formats(kind)]
        if jekyll_path and jekyll_path not in (f.path for f in files):
            files.append(FeedFile("atom", jekyll_path, feed_url(self.cfg, jekyll_path)))  # jekyll-feed's URL works on
        return tuple(files)

    def _formats(self, kind: str) -> list[tuple[str, str, list[str]]]:
        """(format, path pattern, its parts around "{slug}", quoted) of each format's file."""
        found = self._patterns.get(kind)
        if found is None:
            patterns = [(fmt, self.cfg.feeds.path(f"{kind}_{fmt}")) for fmt in self.cfg.feeds.formats]
            found = self._patterns[kind] = [(fmt, pattern, [quoted_path(part) for part in
                                                            pattern.split("{slug}")]) for fmt, pattern in patterns]
        return found


def group_posts(cfg: Config, posts: list[Post]) -> tuple[list[FeedSpec], list[Problem]]:
    """The feeds a build writes, in a stable order: site, categories, tags (each by slug)."""
    ordered = newest_first(posts)
    files = FeedFiles(cfg).files
    limit = cfg.feeds.limit or len(ordered)
    specs: list[FeedSpec] = []
    members: list[list[Post]] = []  # every post of each spec's group, newest first: archives page them all
    problems: list[Problem] = []
    if cfg.feeds.site:
        title = cfg.site.title or cfg.site.url.split("//", 1)[1]
        specs.append(FeedSpec("site", title, "", title, tuple(ordered[:limit]), len(ordered), files("site", "")))
        members.append(ordered)
    served = jekyll_feed_names(cfg, ordered)
    for kind, enabled in (("category", cfg.feeds.categories), ("tag", cfg.feeds.tags)):
        if enabled:
            groups, found = _by_slug(ordered, kind, served[kind])
            problems += found
            for slug, (name, group) in sorted(groups.items()):
                if kind == "tag" and not _tag_wanted(cfg, name):
                    continue
                jekyll_path = served[kind].get(name, "") if slug == name else ""
                title = f"{cfg.site.title}: {name}" if cfg.site.title else name
                if jekyll_path and kind == "category":  # jekyll-feed's title: "Site | Capitalized"
                    title = f"{cfg.site.title or cfg.site.url.split('//', 1)[1]} | {name[:1].upper()}{name[1:].lower()}"
                specs.append(FeedSpec(kind, name, slug, title, tuple(group[:limit]), len(group),
                                      files(kind, slug, jekyll_path)))
                members.append(group)
    if cfg.feeds.archive_size:
        specs, found = with_archives(cfg, specs, members)
        problems += found
    kept, clashes = _one_feed_per_file(cfg, specs)
    return kept, problems + _bookkeeping_names(cfg) + clashes


def _bookkeeping_names(cfg: Config) -> list[Problem]:
    """A feed path naming feeds' own records (``.feeds-manifest.json`` in earlier versions) would be
    taken for them, and deleted or overwritten: such a path is refused when the file is written."""
    return [Problem(cfg.file, None, f"feeds.paths.{key}: {pattern} uses a name starting with .feeds, which feeds "
                    "keeps for its own records; choose another path, such as feed.xml")
            for key, pattern in cfg.feeds.paths
            if (key in PAGES or key.rsplit("_", 1)[1] in cfg.feeds.formats)
            and any(part.startswith(".feeds") for part in pattern.split("/"))]


def _one_feed_per_file(cfg: Config, specs: list[FeedSpec]) -> tuple[list[FeedSpec], list[Problem]]:
    """Two feeds (or a feed and the OPML) whose paths come out the same would overwrite each
    other, e.g. `site_atom: feed/news.xml` and a category "news": an error naming both, and the
    first comer keeps the path (so that even --keep-going never writes one file twice)."""
    owner: dict[str, str] = {cfg.feeds.path("opml"): "the OPML list", cfg.feeds.path("index"): "the feed index page"}
    kept, problems = [], []
    for spec in specs:
        what = spec.what
        taken = [(f.path, owner[f.path]) for f in spec.files if f.path in owner]
        for path, other in taken:
            problems.append(Problem(cfg.file, None, f"{what} and {other} would both be written to "
                                    f"{path}; change feeds.paths so that they differ"))
        if not taken:
            owner.update((f.path, what) for f in spec.files)
            kept.append(spec)
    return kept, problems


def _slug_beside(name: str, exact: dict[str, str]) -> str:
    """Our slug for a name, kept apart from the names jekyll-feed served under their own spelling."""
    slug = slugify(name)
    if slug in exact:
        return f"{slug}-{hashlib.blake2b(name.encode('utf-8', 'surrogatepass'), digest_size=4).hexdigest()}"
    return slug


def _by_slug(ordered: list[Post], kind: str, exact: dict[str, str]
             ) -> tuple[dict[str, tuple[str, list[Post]]], list[Problem]]:
    """Posts by the slug of each name; a name in ``exact`` (jekyll-feed served it) is its own slug,
    never folded with other spellings, and has a feed even without posts (jekyll-feed wrote one).

    The posts are gathered by name first (a name is on many posts: its slug is made once), then
    the names by slug; a slug has one spelling nearly always, and then its posts are the name's."""
    field = attrgetter("categories" if kind == "category" else "tags")
    by_name: dict[str, list[Post]] = {}  # every use of a name, in order (a post naming it twice: twice)
    twice: set[str] = set()  # the names some post uses twice (reading leaves none: a Post made otherwise)
    for post in ordered:
        for name in field(post):
            found = by_name.get(name)
            if found is None:
                by_name[name] = [post]
            else:
                if found[-1] is post:  # a post's uses of a name come one after the other
                    twice.add(name)
                found.append(post)
    names: dict[str, list[str]] = {name: [name] for name in exact}  # slug -> its spellings, first seen first
    for name in by_name:
        slug = name if name in exact else _slug_beside(name, exact)
        if name not in names.get(slug, ()):
            names.setdefault(slug, []).append(name)
    position = {id(post): i for i, post in enumerate(ordered)} if any(len(n) > 1 for n in names.values()) else {}
    groups, problems = {}, []
    for slug, spellings in names.items():
        if len(spellings) == 1:  # one spelling (nearly every slug): its name, its posts, nothing to say
            groups[slug] = (spellings[0], _once(spellings, by_name, position, twice))
            continue
        counts = {n: len(by_name.get(n, ())) for n in spellings}
        name = min(counts, key=lambda n: (-counts[n], n))
        groups[slug] = (name, _once(spellings, by_name, position, twice))
        if len(counts) > 1:
            listed = ", ".join(f"'{n}' ({_posts_named([p.path for p in by_name[n][:CLASH_EXAMPLES]], counts[n])})"
                               for n in sorted(counts))
            problems.append(Problem("", None, f"{kind} names {listed} share the slug '{slug}' and one feed; "
                                    "spell them the same way to silence this", WARNING))
    return groups, problems


def _once(spellings: list[str], by_name: dict[str, list[Post]], position: dict[int, int], twice: set[str]
          ) -> list[Post]:
    """The posts that use any of the spellings, each once, newest first (``position``: in that order;
    ``twice``: the names a post uses more than once, the only ones whose lists hold a post twice)."""
    if len(spellings) == 1:
        posts = by_name.get(spellings[0], [])
        return list({id(p): p for p in posts}.values()) if spellings[0] in twice else posts
    union = {id(p): p for n in spellings for p in by_name.get(n, ())}
    return sorted(union.values(), key=lambda p: position[id(p)])


def _posts_named(first: list[str], total: int) -> str:
    """`a.md, b.md and 3 more`: where a spelling is used, without listing a thousand files."""
    more = total - len(first)
    return ", ".join(first) + (f" and {more} more" if more else "")
