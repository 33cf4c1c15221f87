"""Every config key in one place: its type (a converter), its default, what it means.

The rest is derived from this table: ``config.load_config`` reads each key through it, the
unknown-key check knows the keys from it, and the README's table of keys is generated from it
(``python -m feeds.schema`` prints it; a test keeps the README equal to that output).
"""
from __future__ import annotations

import json
import re
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from .formats import BY_NAME, DEFAULT_FORMATS, FEED_FORMATS, default_paths, format_of_key
from .text import site_url_of

FORMATS = DEFAULT_FORMATS
DEFAULT_PATHS = {**default_paths(), "index": "feeds.html"}
PAGES = ("opml", "index")  # paths of files that list the feeds, not feeds themselves
PERMALINK_STYLES = {
    "date": "/:categories/:year/:month/:day/:title:output_ext",
    "pretty": "/:categories/:year/:month/:day/:title/",
    "ordinal": "/:categories/:year/:y_day/:title:output_ext",
    "weekdate": "/:categories/:year/W:week/:short_day/:title:output_ext",
    "none": "/:categories/:title:output_ext",
}
CONTENT_MODES = ("full", "excerpt")
TRUE, FALSE = {"true", "yes", "on", "1"}, {"false", "no", "off", "0"}
DEFAULT_CACHE = ".feeds-cache"
MAX_BYTES = 1024 * 1024  # a feed's size budget: under goread's 2 MB, far under CommaFeed's 5 and Miniflux's 15
MAX_JOBS = 64  # more worker processes is a typo (each is a copy of the build), never a speed-up
MAX_TEXT_BYTES = 10_000_000  # libxml2 (and so most readers) refuse a longer text in a feed
MAX_NAMES_PER_POST = 100  # a post is in one feed per category and tag: this bounds what one post costs
_NOT_IN_URL = re.compile(r'[\s\x00-\x1f\x7f-\x9f<>"{}|\\^`]')  # what a URL must percent-encode
_HOST_NAME = re.compile(r"[\w-]+(\.[\w-]+)*\.?\Z")  # labels of letters, digits, '-' (and '_'), any script
_LANGUAGE = re.compile(r"[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*\Z")  # BCP 47's shape: en, zh-CN, zh-Hant-TW, x-klingon
_ATOM, _LABEL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+", r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?"
_EMAIL = re.compile(rf"{_ATOM}(\.{_ATOM})*@{_LABEL}(\.{_LABEL})*\Z")  # RFC 822's addr-spec, dot-atoms only


# --- converters: raw YAML value -> typed value; TypeError/ValueError say what is wrong ------

def text(value: Any) -> str:
    if isinstance(value, (dict, list)):
        raise TypeError("")
    return str(value).strip()


def boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    word = text(value).lower()
    if word in TRUE | FALSE:
        return word in TRUE
    raise ValueError("")


def whole(low: int, high: int | None = None, why: str = "",
          negative: str = "it cannot be negative") -> Callable[[Any], int]:
    """A converter to a whole number from ``low`` to ``high`` (None: no upper bound).

    A number below 0 is told ``negative`` (when that is empty, it is out of range like any
    other); one outside the range is told ``why``."""
    def convert(value: Any) -> int:
        number = int(text(value))
        if number < 0 and negative:
            raise ValueError(negative)
        if number < low or (high is not None and number > high):
            raise ValueError(why)
        return number
    return convert


count = whole(0)
jobs = whole(0, MAX_JOBS)
entry_bytes = whole(1, MAX_TEXT_BYTES, f"between 1 and {MAX_TEXT_BYTES}: readers refuse a longer text")
positive = whole(1, negative="")


def language(value: Any) -> str:
    tag = text(value)
    if tag and not _LANGUAGE.match(tag):
        hint = f"; write {tag.replace('_', '-')}" if _LANGUAGE.match(tag.replace("_", "-")) else ""
        raise ValueError(f"a language tag such as en, zh-CN or x-klingon{hint}")
    return tag


def email(value: Any) -> str:
    address = text(value)
    if address and not _EMAIL.match(address):
        raise ValueError("an address such as desk@example.com, nothing else (the name goes in site.author.name)")
    return address


def text_list(value: Any) -> tuple[str, ...]:
    items = value.split() if isinstance(value, str) else value
    if not isinstance(items, list) or any(isinstance(v, (dict, list)) for v in items):
        raise TypeError("")
    return tuple(str(v).strip() for v in items if v is not None and str(v).strip())


def text_raw(value: Any) -> str:
    """Text as written, spaces and newlines included (a separator such as "<!--more-->")."""
    if isinstance(value, (dict, list)):
        raise TypeError("")
    return str(value)


def text_list_whole(value: Any) -> tuple[str, ...]:
    """A list of texts; a single text is one item, never split at its spaces."""
    return text_list([value] if isinstance(value, str) else value)


def front_matter_defaults(value: Any) -> tuple[tuple[str, str, str], ...]:
    """Jekyll's ``defaults:`` -> ((path, type, values as JSON), ...), in order (later ones win).

    JSON keeps the values hashable and comparable inside the frozen Config."""
    if not isinstance(value, list):
        raise TypeError("")
    rules = []
    for rule in value:
        if not isinstance(rule, dict) or not isinstance(rule.get("values"), dict):
            raise ValueError("each item needs a values: mapping")
        scope = rule.get("scope") or {}
        if not isinstance(scope, dict):
            raise ValueError("scope: must hold path: and/or type:")
        path = str(scope.get("path") or "").strip().strip("/")
        kind = str(scope.get("type") or "").strip()
        rules.append((path, kind, json.dumps(rule["values"], ensure_ascii=False, sort_keys=True)))
    return tuple(rules)


def path_list(value: Any) -> tuple[str, ...]:
    """One path, or a list of them; unlike names, a single path is never split at its spaces."""
    return text_list([value] if isinstance(value, str) else value)


def globs(value: Any) -> tuple[str, ...]:
    patterns = path_list(value)
    for pattern in patterns:
        parts = pattern.replace("\\", "/").split("/")
        if pattern.startswith("/") or ".." in parts or any("**" in p and p != "**" for p in parts):
            raise ValueError(f"'{pattern}' is not a relative pattern inside the source folder")
    return patterns


def site_url(value: Any) -> str:
    url = text(value)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("an absolute http(s) URL such as https://example.com")
    if parts.query or parts.fragment:
        raise ValueError("no query or fragment")
    bad = _NOT_IN_URL.search(url)
    if bad:
        raise ValueError(f"{bad.group()!r} cannot stand in a URL; percent-encode it (a space is %20)")
    if parts.username is not None or not (_HOST_NAME.match(parts.hostname or "") or parts.netloc.startswith("[")):
        raise ValueError(f"'{parts.netloc}' is not a host name such as example.com")
    try:
        parts.port  # noqa: B018 - reading it is the check
    except ValueError:
        raise ValueError(f"the port in '{parts.netloc}' is not a number from 0 to 65535") from None
    return url.rstrip("/")


def hub_urls(value: Any) -> tuple[str, ...]:
    """One WebSub hub URL or a list of them: absolute http(s), kept as written (a hub may need its
    trailing slash). A query is allowed (some hubs take a token in it), a fragment is not."""
    urls = path_list(value)
    for url in urls:
        parts = urlsplit(url)
        try:
            site_url(urlunsplit(parts._replace(query="")))  # scheme, host, port, characters
        except ValueError as exc:
            raise ValueError(f"'{url}': {exc}") from None
        if _NOT_IN_URL.search(parts.query):
            raise ValueError(f"'{url}': percent-encode the query")
    return tuple(dict.fromkeys(urls))


def zone_name(value: Any) -> str:
    name = text(value)
    if name and name.upper() != "UTC":
        try:
            zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a zone folder, "America"
            raise ValueError("") from None
    return name


def formats(value: Any) -> tuple[str, ...]:
    names = tuple(n.lower() for n in text_list(value))
    if not names or any(n not in FEED_FORMATS for n in names):
        raise ValueError(f"a list of {', '.join(FEED_FORMATS)}")
    return tuple(dict.fromkeys(names))


def image(value: Any) -> str:
    url = text(value)
    if site_url_of("https://x.test", url) is None:
        raise ValueError("a path on the site (/assets/logo.png) or an http(s) URL")
    return url


def content_mode(value: Any) -> str:
    word = text(value).lower()
    if word not in CONTENT_MODES:
        raise ValueError("")
    return word


def permalink(value: Any) -> str:
    pattern = text(value)
    if pattern in PERMALINK_STYLES:
        return PERMALINK_STYLES[pattern]
    if not pattern:
        raise ValueError("")
    return pattern if pattern.startswith("/") else "/" + pattern  # Jekyll's URLs always start with /


def path_pattern(value: Any) -> str:
    pattern = text(value).lstrip("/")
    if not pattern or ".." in pattern.split("/") or "\\" in pattern:
        raise ValueError("a path inside the output folder, such as feed/{slug}.xml")
    return pattern


def entry_id(value: Any) -> str:
    word = text(value).lower()
    if word not in ("jekyll", "url"):
        raise ValueError("jekyll or url")
    return word


def cache_path(value: Any) -> str:
    """A folder; false/no/off/null/empty for none; true/yes/on for the default folder."""
    if value is None or value is False or value is True:
        return DEFAULT_CACHE if value is True else ""
    if not isinstance(value, str) or any(ord(c) < 0x20 or c == "\x7f" for c in value):
        raise ValueError("")
    word = value.strip()
    if word.lower() in FALSE | {""}:
        return ""
    if word.lower() in TRUE:
        return DEFAULT_CACHE
    return word


# --- the schema ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Key:
    """One config key: dotted name, converter, default, the words for a wrong value, the doc."""

    name: str
    convert: Callable[[Any], Any]
    default: Any
    expect: str
    doc: str
    shown: str = ""  # the default as the README shows it, when repr() would not do
    nullable: bool = False  # an explicit null is a value (given to convert), not "use the default"

    def default_text(self) -> str:
        if self.shown:
            return self.shown
        if isinstance(self.default, bool):
            return f"`{str(self.default).lower()}`"
        if isinstance(self.default, tuple):
            return f"`[{', '.join(self.default)}]`"
        return f"`{self.default}`"


_BOOL = "true or false"


def _path_doc(key: str) -> str:
    if key == "opml":
        return "the OPML list of every feed"
    if key == "index":
        return "the feed index page: every feed with its subscribe links, for people (see below)"
    kind, label = key.rsplit("_", 1)[0], BY_NAME[format_of_key(key)].label
    label = label if label.endswith("Feed") else f"{label} feed"
    if kind == "site":
        return f"where the site's {label} goes"
    return f"a {kind}'s {label}; `{{slug}}` is required"

SCHEMA: tuple[Key, ...] = (
    Key("site.url", site_url, "", "an absolute http(s) URL",
        "the site's absolute `http(s)` URL, with its base path if any (`https://example.github.io/blog`); "
        "every link and id starts with it. No spaces, quotes, `<>` or user name: percent-encode them (`%20`)",
        shown="**required**"),
    Key("site.title", text, "", "text", "feed titles: the site feed's, and `<title>: <name>` for the others",
        shown="the host name"),
    Key("site.description", text, "", "text", "Atom `subtitle`, RSS channel `description`", shown="the title"),
    Key("site.language", language, "", "a language tag",
        "Atom `xml:lang`, RSS `language`: a language tag (`en`, `zh-CN`, `zh-Hant-TW`, `x-klingon`)", shown="none"),
    Key("site.author.name", text, "", "text",
        "the feeds' author (a plain string `author: Name` works too)", shown="the title"),
    Key("site.author.email", email, "", "an e-mail address",
        "the feeds' author's e-mail: an address alone, `desk@example.com`", shown="none"),
    Key("site.icon", image, "", "a path on the site or an http(s) URL",
        "a small square image (a path on the site or a URL): Atom `icon`, JSON Feed `favicon`; the logo too when "
        "there is none (jekyll-feed's `feed.icon`)", shown="none"),
    Key("site.logo", image, "", "a path on the site or an http(s) URL",
        "a larger image: Atom `logo`, RSS `<image>`, JSON Feed `icon` (jekyll-feed's `feed.logo`)",
        shown="the icon"),
    Key("source", path_list, (".",), "a folder or a list of folders",
        "the site's folder (or a list of folders): posts are the files in every `_posts/` folder beneath it, "
        "as Jekyll finds them", shown="`.`"),
    Key("posts", globs, (), "a list of glob patterns inside the source folder, e.g. content/**/*.md",
        "more glob patterns for post files, relative to `source` and inside it, e.g. `content/posts/**/*.md` (a "
        "pattern that matches no post file is a warning naming it)"),
    Key("output", text, "public", "a folder",
        "where the feeds go; it may not be the source folder or contain it"),
    Key("timezone", zone_name, "", "an IANA zone name such as Asia/Shanghai",
        "IANA name (`Asia/Shanghai`) for dates without an offset; when absent, UTC with one warning naming how "
        "many posts it affected. Never the build machine's zone", shown="none (UTC)"),
    Key("permalink", permalink, PERMALINK_STYLES["date"],
        f"one of {', '.join(PERMALINK_STYLES)} or a pattern starting with /",
        "Jekyll's permalink: a style (`date`, `pretty`, `ordinal`, `weekdate`, `none`) or a pattern such as "
        "`/:categories/:year/:month/:day/:title:output_ext`", shown="`date`"),
    Key("feeds.formats", formats, FORMATS, f"a list of {', '.join(FEED_FORMATS)}",
        f"which formats to write, of {', '.join(f'`{n}`' for n in FEED_FORMATS)} (`json` is JSON Feed 1.1)"),
    Key("feeds.limit", count, 20, "a whole number >= 0",
        "entries per feed; `0` for all (10 in a Jekyll site that sets no `feed.posts_limit`, as jekyll-feed)"),
    Key("feeds.site", boolean, True, _BOOL, "write the site-wide feed"),
    Key("feeds.categories", boolean, True, _BOOL, "write a feed per category"),
    Key("feeds.tags", boolean, True, _BOOL, "write a feed per tag"),
    Key("feeds.content", content_mode, "full", "full or excerpt",
        "`full`: entries carry the whole post (and its summary); `excerpt`: the summary only, no content. A "
        "post's own `feed: {excerpt_only: true}` makes that post an excerpt"),
    Key("feeds.excerpt_only", boolean, False, _BOOL,
        "`true` is `feeds.content: excerpt` (jekyll-feed's name; `feed.excerpt_only` in `_config.yml` becomes "
        "`feeds.content`, which config.yaml can override)"),
    Key("feeds.tags_only", text_list, (), "a list of tag names",
        "when set, only these tags get feeds (jekyll-feed's `feed.tags.only`)", shown="all tags"),
    Key("feeds.tags_except", text_list, (), "a list of tag names",
        "tags that get no feed (jekyll-feed's `feed.tags.except`)"),
    Key("feeds.stylesheet", text, "", "a URL path such as /feed.xslt.xml",
        "an XSLT stylesheet browsers use to show the Atom feeds (`<?xml-stylesheet?>`); in a Jekyll site "
        "with a `feed.xslt.xml`, that file, as jekyll-feed does", shown="none"),
    Key("feeds.first_image", boolean, False, _BOOL,
        "a post without `image:` gets the first `<img>` of its body as its image (`media:thumbnail`, "
        "`media:content`, JSON Feed `image`); `false` keeps to what the post says, as jekyll-feed does"),
    Key("feeds.max_bytes", count, MAX_BYTES, "a number of bytes (0: no budget)",
        "a feed file larger than this drops its oldest entries until it fits, with one warning naming it; "
        "`0` for no budget. 1 MiB is half of what the strictest common readers fetch (goread 2 MB)",
        shown="`1048576` (1 MiB)"),
    Key("feeds.entry_id", entry_id, "jekyll", "text",
        "`jekyll`: jekyll-feed's ids (see above); `url`: the post's URL"),
    Key("feeds.websub.hub", hub_urls, (), "an absolute http(s) URL or a list of them",
        "WebSub hub(s), one URL or a list (`https://pubsubhubbub.appspot.com/`): every feed names them (Atom "
        "and RSS `rel=\"hub\"` links, JSON Feed `hubs`) and `feeds ping` tells them which feeds changed (see "
        "[Push: WebSub](#push-websub)); from `feed.hub` in `_config.yml`", shown="none"),
    *(Key(f"feeds.paths.{name}", path_pattern, path, "a relative path", _path_doc(name))
      for name, path in DEFAULT_PATHS.items()),
    Key("jekyll_feed.categories", text_list, (), "a list of category names",
        "categories whose jekyll-feed URL `feed/<name>.xml` (the name as written) keeps working; filled from "
        "`feed.categories` in `_config.yml`"),
    Key("jekyll_feed.tags", boolean, False, _BOOL,
        "tags whose names jekyll-feed accepted (`[A-Za-z0-9_]`) keep their jekyll-feed URL "
        "`<tags_path><name>.xml`; on when `_config.yml` has `feed.tags`"),
    Key("jekyll_feed.tags_path", path_pattern, "feed/by_tag/", "a folder path such as feed/by_tag/",
        "jekyll-feed's `feed.tags.path`"),
    Key("content.excerpt_separator", text_raw, "", "text",
        "the summary is the body up to this text (Jekyll's `excerpt_separator`)", shown="none: the first paragraph"),
    Key("content.sanitize", boolean, True, _BOOL,
        "clean the HTML that goes into feeds (see below); `false` passes scripts, styles, iframes and event "
        "handlers through"),
    Key("content.allow_tags", text_list, (), "a list", "more HTML tags to keep while sanitising, e.g. `[iframe]`"),
    Key("content.allow_attributes", text_list, (), "a list",
        "more attributes to keep on every tag, e.g. `[style]`"),
    Key("content.markdown.auto_ids", boolean, True, _BOOL,
        "Markdown headers get kramdown's ids (`## Hello, World!` -> `id=\"hello-world\"`); from `kramdown.auto_ids` "
        "in `_config.yml`"),
    Key("content.markdown.typographic", boolean, True, _BOOL,
        "Markdown text gets kramdown's typographic quotes, dashes and ellipses (`\"a\" -- b...` -> `“a” – b…`), "
        "never in code; `false` when `_config.yml` sets `kramdown.smart_quotes` to straight quotes or "
        "`kramdown.gfm_quirks` to `no_auto_typographic`"),
    Key("content.max_file_bytes", count, 4 * 1024 * 1024, "a number of bytes",
        "a post file larger than this is an error", shown="`4194304` (4 MiB)"),
    Key("content.max_entry_bytes", entry_bytes, 1024 * 1024, "a number of bytes",
        "the most HTML one entry may carry; a post over it is a warning and its entries carry its summary and a "
        f"link instead (readers refuse long texts: at most {MAX_TEXT_BYTES:,})", shown="`1048576` (1 MiB)"),
    Key("content.max_names_per_post", positive, MAX_NAMES_PER_POST, "a whole number >= 1",
        "the most category and tag feeds one post gets into (categories first, then tags, in the order written); "
        "more names is a warning. Each is a feed carrying the whole post: 1,000 tags cost one post a minute and "
        "60 MB"),
    Key("cache.path", cache_path, DEFAULT_CACHE, f"a folder, true (for {DEFAULT_CACHE}) or false (for none)",
        "the build cache folder; `true` for the default folder, `false`, `no`, `off` or `null` for none (`cache: "
        "false` and `cache: true` say the same); anything else but a folder name is an error", nullable=True),
    Key("build.drafts", boolean, False, _BOOL, "include `_drafts/` and `draft: true` posts"),
    Key("build.future", boolean, False, _BOOL,
        "include posts dated after now (`SOURCE_DATE_EPOCH` sets \"now\": whole seconds since 1970, up to "
        "253402300799; any other value is an error, exit 2)"),
    Key("build.unpublished", boolean, False, _BOOL, "include `published: false` posts (Jekyll's `unpublished`)"),
    Key("exclude", text_list_whole, (), "a list of paths or patterns",
        "files and folders to leave out, relative to the source folder, as Jekyll's `exclude` (`drafts/`, `*.tmp`)"),
    Key("defaults", front_matter_defaults, (), "Jekyll's list of {scope: {path, type}, values}",
        "front matter defaults with Jekyll's scope rules: `[{scope: {path: news, type: posts}, values: "
        "{author: Desk}}]`; a post's own front matter wins"),
    Key("build.jobs", jobs, 0, f"a whole number from 0 to {MAX_JOBS} (0: one per core)",
        f"worker processes, at most {MAX_JOBS}; `0` is one per core (at most 8)"),
)
KEYS: dict[str, Key] = {key.name: key for key in SCHEMA}
SCALAR_SECTIONS = {"cache": "cache.path", "site.author": "site.author.name",  # `cache: false`, `author: Name`
                   "feeds.websub": "feeds.websub.hub"}  # `websub: https://hub.example/`


def sections() -> dict[str, Any]:
    """The keys as a tree of sections ({"site": {"url": Key, ...}, ...}), for the unknown-key check."""
    tree: dict[str, Any] = {}
    for key in SCHEMA:
        *parents, last = key.name.split(".")
        node = tree
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = key
    return tree


def markdown_table() -> str:
    """The README's table of keys."""
    rows = ["| key | default | meaning |", "|---|---|---|"]
    rows += [f"| `{key.name}` | {key.default_text()} | {key.doc} |" for key in SCHEMA]
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(markdown_table(), end="")
