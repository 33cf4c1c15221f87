"""A post body -> a clean HTML fragment with absolute URLs, and a plain-text summary.

Markdown goes through cmark-gfm (``commonmark``, the one module importing cmarkgfm; CommonMark + GFM
tables/strikethrough, raw HTML passed through: our users' bodies are mostly raw HTML with Markdown
links between). The result
then makes one pass through nh3 (ammonia), which sanitises and, through its attribute filter,
makes every URL absolute against the post's own URL.
"""
from __future__ import annotations

import html as _html
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin, urlsplit

import nh3

from . import liquid
from .commonmark import FOOTNOTES, SMART, SOURCEPOS, UNSAFE, to_html
from .config import Config
from .errors import WARNING, Problem
from .htmlcost import estimate, quickly_within
from .kramdown import (
    finish,
    has_raw_headers,
    hide_typed_quotes,
    mark_markdown_headers,
    may_hold_raw_headers,
    needs_raw_blocks,
    prepare,
    requote,
    uses_kramdown,
)
from .liquid import LiquidSite
from .posts import Post
from .rendered import Rendered  # the type apart (rendered.py): reading names it without this module
from .text import plain_text, scrub, srcset_candidates, utf8_has_forbidden, xml_safe

SUMMARY_CHARS = 300
# not tagfilter (sanitising is nh3's job); not autolink: kramdown makes no link of a bare URL (and the
# extension would take a following backslash or entity into it: https://x/a\_b, https://x&gt;)
_EXTENSIONS = ("table", "strikethrough")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_URL_ATTRS = {"href", "src", "poster", "cite", "longdesc", "action", "data", "background"}
# URLs too, reachable only through content.allow_attributes: checked the same way
_OTHER_URL_ATTRS = {"formaction", "icon", "manifest", "codebase", "lowsrc", "dynsrc", "xlink:href", "profile"}
_URL_KIND = {**dict.fromkeys(_URL_ATTRS | _OTHER_URL_ATTRS, False), "srcset": True, "imagesrcset": True}  # True: a list
SAFE_SCHEMES = frozenset(nh3.ALLOWED_URL_SCHEMES) | {"data"}  # data: only for images, see _harmless
_WEB = ("http", "https")
_EDGES = "".join(map(chr, range(0x21)))  # C0 controls and space: browsers strip them around a URL
_TAB_NEWLINE = re.compile("[\t\n\r]")  # and these anywhere inside it
_PATH_END = re.compile("[?#]")
_HOST = re.compile(r"[^\s\x00-\x20\x7f#%/:<>?@\[\\\]^|\"`{}]+\Z")  # WHATWG's forbidden host code points, and quotes
_DESCRIPTORS = re.compile(r"(?:[0-9.eE+-]+[wxh](?: |\Z))*\Z")  # 100w, 1.5x, 2h
_IPV6 = re.compile(r"[0-9A-Fa-f:.]+\Z")
# the first paragraph: "<p" and a space or ">", then up to the first "</p>" after it (each found by a
# search of its own: the lazy "<p[\s>].*?</p>" it replaces tried "</p>" after each character, and
# every later "<p" again when there was none)
_PARAGRAPH_START = re.compile(r"<p[\s>]", re.I)
_PARAGRAPH_END = re.compile("</p>", re.I)
_TEMPLATE_IN_URL = re.compile(r"{[{%]|%7B(?:%7B|%25)", re.I)  # Liquid that did not run: no reader can follow it
SAFE_EXTRA_TAGS = {"video", "audio", "source", "track", "picture", "figure", "figcaption", "tfoot"}
SAFE_EXTRA_ATTRS = {
    "img": {"srcset", "sizes", "loading", "title"}, "source": {"src", "srcset", "type", "media", "sizes"},
    "video": {"src", "poster", "controls", "width", "height", "loop", "muted", "preload"},
    "audio": {"src", "controls", "loop", "preload"}, "track": {"src", "kind", "srclang", "label"},
    "a": {"title", "name", "id"}, "*": {"id", "class", "title", "lang", "dir"},
}
OPEN_TAGS = {"script", "style", "iframe", "object", "embed", "form", "input", "button", "select", "option",
             "textarea", "label", "noscript", "template", "svg", "math", "canvas", "link", "meta"}
OPEN_ATTRS = {"style", "width", "height", "align", "border", "bgcolor", "color", "face", "size", "target",
              "rel", "name", "type", "value", "frameborder", "allowfullscreen", "allow", "async", "defer",
              "crossorigin", "integrity", "media", "charset", "content", "http-equiv", "role", "hidden",
              "onclick", "onload", "onerror", "onmouseover", "onsubmit", "onchange", "srcdoc", "sandbox"}
# What the sanitiser (html5ever) is given at most; past these it takes seconds to hours (htmlcost).
MAX_DEPTH = 512  # nesting; browsers stop nesting there too (Blink: deeper elements become siblings)
MAX_NESTING = 20_000_000  # the sum of the depth of every element: the cost of its scope checks
MAX_AMPERSAND_WORK = 10_000_000_000  # '&' in a string times the string's length


def markdown_to_html(text: str, auto_ids: bool = True, smart: bool = True, utf8: bytes = b"") -> str:
    """Markdown as Jekyll's kramdown renders it (see the kramdown package): cmark-gfm for the CommonMark + GFM
    common ground, typographic quotes and dashes (``smart``) and footnotes; kramdown's own syntax
    around it, paid for only by the posts that carry one of its markers. ``utf8``: ``text``'s
    UTF-8 when the caller has it (the file's bytes), given to the renderer if the text goes unchanged."""
    hidden = False
    if smart:
        text, hidden = hide_typed_quotes(text, utf8)
    kramdown = uses_kramdown(text, utf8)  # the bytes as read: hiding the quotes changed no ASCII
    html = _render(text, auto_ids, smart, kramdown, False, b"" if hidden or kramdown else utf8)
    if needs_raw_blocks(html):
        html = _render(text, auto_ids, smart, True, True)  # HTML blocks as kramdown ends them
    return requote(html, hidden) if smart else html


def _render(text: str, auto_ids: bool, smart: bool, kramdown: bool, raw_blocks: bool, utf8: bytes = b"") -> str:
    if not kramdown:
        return _render_plain(text, auto_ids, smart, utf8)
    text, extras = prepare(text, raw_blocks)
    options = UNSAFE | FOOTNOTES | (SMART if smart else 0)
    raw_headers = auto_ids and has_raw_headers(text)
    if raw_headers:
        options |= SOURCEPOS  # tells the Markdown headers (which get ids) from raw HTML ones
    html = to_html(text, options, _EXTENSIONS)
    return finish(mark_markdown_headers(html) if raw_headers else html, extras, auto_ids, raw_headers)


def _render_plain(text: str, auto_ids: bool, smart: bool, utf8: bytes = b"") -> str:
    """``_render`` of a body without kramdown's syntax (no extras), rendered once. The body is
    searched for raw header tags (which get no ids: the Markdown headers are told from them by
    their source positions) only when it may hold one (``may_hold_raw_headers``: a few searches,
    where the regex reads every character, 2 % of rendering a post). Without one, the HTML is
    what ``finish`` makes of it when it holds no header's end tag (nor a ``data-sourcepos`` the
    body wrote, which ``finish`` would take out): nearly every post."""
    options = UNSAFE | FOOTNOTES | (SMART if smart else 0)
    if auto_ids and may_hold_raw_headers(text, utf8) and has_raw_headers(text):
        html = mark_markdown_headers(to_html(utf8 or text, options | SOURCEPOS, _EXTENSIONS))
        return finish(html, None, auto_ids, True)
    html = to_html(utf8 or text, options, _EXTENSIONS)
    if not auto_ids or "</h" not in html and "data-sourcepos" not in html:
        return html
    return finish(html, None, auto_ids, False)


def _markdown(text: str, cfg: Config, utf8: bytes = b"") -> str:
    return markdown_to_html(text, cfg.content.auto_ids, cfg.content.typographic, utf8)


def absolute(url: str, base: str, scheme: str) -> str | None:
    """A URL from the content as a browser on the post's page reads it, made absolute against the
    post's URL (``base``); mailto:, data: etc. kept; None when it cannot be a valid URL at all.

    Browsers drop spaces and controls around a URL and tabs and newlines inside it, and read
    ``\\`` as ``/`` in web URLs; ``https:x`` on an https page is relative (``urljoin``), while
    ``http:/x`` or ``http:x`` on an https page is ``http://x``."""
    url = _TAB_NEWLINE.sub("", url.strip(_EDGES))
    if not url:
        return url
    found = _SCHEME.match(url)
    name = found.group(0)[:-1].lower() if found else ""
    if len(name) == 1:
        return None  # C:\x is a path on someone's disk, not a URL
    if name and name not in _WEB:
        return url if _splits(url) else None
    url = _web_slashes(url)
    rest = url[len(name) + 1:]
    if name and (name != urlsplit(base).scheme or rest.startswith("//")):
        url = f"{name}://{rest.lstrip('/')}"
    elif not name and url.startswith("//"):
        url = f"{scheme}:{url}"
    else:
        url = urljoin(base, url)
    return url if _web_url(url) else None


# The URLs nearly every post holds, which ``absolute`` would return as they are (an http(s) URL with
# a plain host and only printable ASCII after it) or as ``urljoin`` makes them (a plain relative
# path), told and joined without urllib: a post has five of them, and urllib took 45 µs each.
# Anything else (spaces, backslashes, ports, user names, IPv6, queries on relative URLs, other
# schemes, non-ASCII) takes ``absolute``'s own way. tests/test_url_fast_path.py holds the two equal.
_PLAIN_WEB = re.compile(r"(?:https?:)?//[A-Za-z0-9.-]+(?:[/?#][!-\[\]-~]*)?\Z")
_PLAIN_PATH = re.compile(r"[!-\"$-9<-=@-\[\]-~]+\Z")  # no space, controls, \\ ? # ; : or non-ASCII
_PLAIN_BASE = re.compile(r"(https?://[A-Za-z0-9.-]+)(/[!-\"$-9<-=@-\[\]-~]*)\Z")


def plain_absolute(url: str, base: str, scheme: str) -> str | None:
    """``absolute(url, base, scheme)`` for a plain URL, faster; None when ``url`` is not plain."""
    if _PLAIN_WEB.match(url):
        return url if url[0] != "/" else f"{scheme}:{url}"
    return _plain_path(url, base)


def _plain_path(url: str, base: str) -> str | None:
    """``plain_absolute`` of a URL that is no plain http(s) URL (the caller has matched it already)."""
    return _plain_path_in(url, _base_parts(base))


def _plain_path_in(url: str, parts: _Base | None) -> str | None:
    """``_plain_path`` against a base's ``_base_parts``."""
    if parts is None or url[:2] == "//" or not _PLAIN_PATH.match(url):
        return None
    # a path from the root without a "." or ".." segment (each would follow a "/") is joined as it is
    return parts[0] + (url if url[:1] == "/" and "/." not in url else _join_path(parts, url))


_Base = tuple[str, str]  # a base URL's origin, and its folder: its segments, each followed by a "/"


@lru_cache(maxsize=64)
def _base_parts(base: str) -> _Base | None:
    """A plain base URL's origin, and the segments of its folder (as urljoin splits them), resolved
    already: urljoin drops the folder's empty segments and resolves its dot segments before any of
    the path's (it walks the folder first), the same for every URL of the post. They are joined,
    each followed by a "/" ("" for none): a base with neither (nearly every post's URL) is its own
    folder up to its last "/"."""
    found = _PLAIN_BASE.match(base)
    if not found:
        return None
    path = found.group(2)
    if "/." not in path and "//" not in path:
        return found.group(1), path[:path.rfind("/") + 1]
    folder = path.split("/")
    folder = folder[:-1] if folder[-1] != "" else folder
    folder[1:] = filter(None, folder[1:])
    resolved = _resolved(folder)
    return found.group(1), "/".join(resolved) + "/" if resolved else ""


def _join_path(base: _Base, path: str) -> str:
    """urljoin's merge of a relative path (no query, fragment or params) with the base's folder
    (``_base_parts``: resolved)."""
    if path[:1] == "/":
        segments = path.split("/")
    else:
        # the commonest relative path, "../news/" or "img/a.png": ups, then no dot or empty segment
        # but a last empty one; it keeps as much of the folder as the ups leave, then itself: each
        # up cuts the folder's last segment (none is empty, and none holds a "/")
        rest, ups = path, 0
        while rest[:3] == "../":
            rest, ups = rest[3:], ups + 1
        if rest[:1] not in (".", "/") and "/." not in rest and "//" not in rest:
            head = base[1]
            for _ in range(ups):
                head = head[:head.rfind("/", 0, -1) + 1]
            joined = head + rest
            return joined if joined[:1] == "/" else "/" + joined
        segments = [*base[1].split("/")[:-1], *path.split("/")]
        segments[1:-1] = filter(None, segments[1:-1])
    resolved = _resolved(segments)
    if segments[-1] in (".", ".."):
        resolved.append("")
    joined = "/".join(resolved) or "/"
    return joined if joined[:1] == "/" else "/" + joined


def _resolved(segments: list[str]) -> list[str]:
    """Path segments with each "." dropped and each ".." taking the one before it, as urljoin does."""
    resolved: list[str] = []
    for segment in segments:
        if segment == "..":
            if resolved:
                resolved.pop()
        elif segment != ".":
            resolved.append(segment)
    return resolved


def _web_slashes(url: str) -> str:
    """``\\`` read as ``/`` before the query, as browsers do in http(s) URLs."""
    end = _PATH_END.search(url)
    cut = end.start() if end else len(url)
    return url[:cut].replace("\\", "/") + url[cut:]


def _splits(url: str) -> bool:
    try:
        urlsplit(url).port  # noqa: B018 - reading it is the check: a bad port raises
    except ValueError:
        return False
    return True


def _web_url(url: str) -> bool:
    """An http(s) URL with a host a browser accepts (no spaces, controls or other forbidden characters)."""
    if not _splits(url):
        return False
    parts = urlsplit(url)
    host = parts.hostname or ""
    return parts.scheme in _WEB and bool(_HOST.match(host) or ("[" in parts.netloc and _IPV6.match(host)))


def _srcset(tag: str, value: str, keep: Callable[[str, str], str | None]) -> str | None:
    """Each candidate's URL through ``keep``; a candidate whose URL is dropped goes with it, and so
    does one whose descriptors are not widths or densities (browsers ignore it)."""
    parts = []
    for url, descriptors in srcset_candidates(value):
        kept = keep(tag, url)
        if kept and _DESCRIPTORS.match(descriptors):
            parts.append(" ".join([kept, descriptors]).strip())
    return ", ".join(parts) or None


class _UrlRewriter:
    """nh3's attribute filter: makes URLs absolute against the post being cleaned (``base``).

    Sanitising, it checks the scheme of every URL attribute it sees (nh3 checks only some, such
    as href and src, and not srcset or cite) against the schemes nh3 allows, and drops ``data:``
    URLs except images: ``<a href="data:text/html,…">`` is a page of the attacker's making,
    while an inline picture in ``<img>`` cannot run anything. A URL that cannot be made a valid
    absolute one (``http:/``, ``https://a b/``) is dropped too: readers could not follow it.
    """

    def __init__(self, scheme: str, sanitize: bool = True):
        self.scheme, self.sanitize = scheme, sanitize
        self.base = ""

    @property
    def base(self) -> str:
        return self._base

    @base.setter
    def base(self, base: str) -> None:
        # the post's origin and folder found once for all its relative URLs (an lru_cache lookup each,
        # and a call, were a tenth of a relative URL's cost)
        self._base, self._parts = base, _base_parts(base)

    def __call__(self, tag: str, attr: str, value: str) -> str | None:
        kind = _URL_KIND.get(attr)  # one lookup for the attributes that are no URL (class, alt: half of them)
        if kind is None:
            return value
        if kind:
            return _srcset(tag, value, self.url)
        if "{" in value or "%" in value:
            return self.url(tag, value)  # Liquid left in it, or escapes: the whole way
        # self.url's commonest cases, without its calls: an http(s) URL with a plain host (plain_absolute);
        # a value that does not start as one ("//" or "http") cannot match: a relative path asks no regex
        # (a regex call costs ~2,000 instructions before it reads a character; startswith a tuple, 1,000)
        first = value[:1]
        if (first == "h" or first == "/" and value[1:2] == "/") and _PLAIN_WEB.match(value):
            return value if first == "h" else f"{self.scheme}:{value}"
        plain = _plain_path_in(value, self._parts)  # matched once above, not again in plain_absolute
        return plain if plain is not None else self._absolute(tag, value)

    def url(self, tag: str, value: str) -> str | None:
        if ("{" in value or "%" in value) and _TEMPLATE_IN_URL.search(value):
            return None  # a Liquid error left the post as written: the link is text, not a broken URL
        plain = plain_absolute(value, self._base, self.scheme)
        return plain if plain is not None else self._absolute(tag, value)  # plain: an http(s) URL, harmless

    def _absolute(self, tag: str, value: str) -> str | None:
        url = absolute(value, self._base, self.scheme)
        return url if url is None or not self.sanitize or _harmless(tag, url) else None


def _harmless(tag: str, url: str) -> bool:
    """A scheme nh3 allows, data: only for an image where an image goes; "" (this page) too."""
    found = _SCHEME.match(url)
    name = found.group(0)[:-1].lower() if found else ""
    if name == "data":
        return url[:11].lower() == "data:image/" and tag in ("img", "source")
    return not url or name in SAFE_SCHEMES


@lru_cache(maxsize=8)
def _cleaner(scheme: str, sanitize: bool, extra_tags: tuple[str, ...], extra_attrs: tuple[str, ...]
             ) -> tuple[nh3.Cleaner, _UrlRewriter]:
    """One nh3 Cleaner per configuration: building the allowlists per post costs more than cleaning."""
    rewriter = _UrlRewriter(scheme, sanitize)
    return nh3.Cleaner(attribute_filter=rewriter, **_allowlist(sanitize, extra_tags, extra_attrs)), rewriter


def _allowlist(sanitize: bool, extra_tags: tuple[str, ...], extra_attrs: tuple[str, ...]) -> dict[str, Any]:
    """nh3 options: a safe list by default; with sanitize off, practically everything."""
    tags = set(nh3.ALLOWED_TAGS) | SAFE_EXTRA_TAGS | set(extra_tags)
    attrs: dict[str, set[str]] = {t: set(a) for t, a in nh3.ALLOWED_ATTRIBUTES.items()}
    for tag, names in SAFE_EXTRA_ATTRS.items():
        attrs.setdefault(tag, set()).update(names)
    attrs["*"].update(extra_attrs)
    options: dict[str, Any] = {"link_rel": None, "strip_comments": True}
    if not sanitize:
        tags |= OPEN_TAGS
        attrs["*"].update(OPEN_ATTRS | _URL_ATTRS | {"srcset"})
        options.update(clean_content_tags=set(), strip_comments=False,
                       url_schemes=set(nh3.ALLOWED_URL_SCHEMES) | {"javascript", "vbscript", "data", "ftp"})
    else:
        # a tag the config allows is kept with its content (ammonia refuses a tag in both lists)
        options.update(url_schemes=set(SAFE_SCHEMES),
                       clean_content_tags={"script", "style"} - set(extra_tags))
    return {"tags": tags, "attributes": attrs, **options}


def clean_html(fragment: str, base: str, cfg: Config) -> str:
    """Sanitise (unless configured off) and make every URL absolute, in one nh3 pass."""
    if _LAST_CLEANER[0] is not cfg:  # the same config for every post of a build: its cleaner found once
        _LAST_CLEANER[:] = (cfg, *_cleaner(urlsplit(cfg.site.url).scheme, cfg.content.sanitize,
                                           cfg.content.allow_tags, cfg.content.allow_attributes))
    cleaner, rewriter = _LAST_CLEANER[1], _LAST_CLEANER[2]
    rewriter.base = base
    return cleaner.clean(fragment)


_LAST_CLEANER: list[Any] = [None, None, None]  # (config, its cleaner, its rewriter)


def render_post(post: Post, body: str, cfg: Config, site: LiquidSite | None = None, utf8: bytes = b""
                ) -> tuple[Rendered, list[Problem]]:
    """The entry's content and summary; a warning when characters XML forbids were removed.

    ``site``: the site's Liquid inputs (read once per build); None reads them for this post.
    ``utf8``: ``body`` in UTF-8 when the caller has it (``read_body_utf8``), else b""."""
    problems = []
    if not utf8 or utf8_has_forbidden(utf8, body):  # bytes are searched at C speed; the text, by a regex
        body, removed, first, which = scrub(body)
        utf8 = b"" if removed else utf8
        if removed:
            line = post.body_line + body.count("\n", 0, first)  # the first one's line in the file
            problems.append(Problem(post.path, line, f"{removed} control character(s) that XML 1.0 forbids or "
                                    f"discourages ({which}) removed from the body; delete them from the file",
                                    WARNING))
    if post.liquid:
        body, said = liquid.expand(post, body, cfg, site, lambda text: _markdown(text, cfg))
        problems += said
        utf8 = b""
    html = _markdown(body, cfg, utf8) if post.markdown else body
    limit = cfg.content.max_entry_bytes
    refused = _too_costly(html, limit)
    if refused:
        problems.append(Problem(post.path, None, f"{refused}; {_SHORTENED}", WARNING))
        return _short_entry(post, xml_safe(plain_text(post.summary))[0]), problems
    # character references such as &#1; become the characters themselves on the way through; without
    # one (in the body, or in HTML that Liquid may have made), no character XML forbids can come out
    content, late = clean_html(html, post.url, cfg).strip(), 0
    if post.liquid or _has_reference(html) or _has_reference(body):
        content, late = xml_safe(content)
    if late:
        problems.append(Problem(post.path, None, f"{late} character reference(s) to control characters (such as "
                                "&#1;) removed from the body; delete them from the file", WARNING))
    summary = _summary(post, body, content, cfg)
    size = _size_over(content, limit)
    if size:
        problems.append(Problem(post.path, None, f"the content is {size:,} bytes, over content.max_entry_bytes "
                                f"({limit:,}); {_SHORTENED}", WARNING))
        return _short_entry(post, summary), problems
    return Rendered(content, summary, True), problems


def _has_reference(text: str) -> bool:
    """'&#' in ``text``; '&' looked for first (a search for one character is four times quicker)."""
    return "&" in text and "&#" in text


def _size_over(text: str, limit: int) -> int:
    """The UTF-8 size of ``text`` when it is over ``limit`` bytes, else 0; not counted when it
    cannot be over (at most 4 bytes a character; ASCII, one)."""
    if len(text) > limit or 4 * len(text) > limit and not text.isascii():
        size = len(text.encode("utf-8"))
        return size if size > limit else 0
    return 0


_SHORTENED = "the feeds carry its summary and a link to the post instead"


def _too_costly(html: str, limit: int) -> str:
    """Why the sanitiser must not be given ``html`` (it would take minutes, or make an entry
    too long for readers), or "" when it may."""
    if len(html) > 2 * limit:  # cleaning never shrinks HTML this much; it takes a while on this much
        return f"the content is over {2 * limit:,} bytes after rendering, twice content.max_entry_bytes ({limit:,})"
    # each '&' costs at most the text's length, and there are fewer than that: no need to count them
    count_amps = len(html) ** 2 > MAX_AMPERSAND_WORK
    if not count_amps and quickly_within(html, MAX_DEPTH, MAX_NESTING):
        return ""  # estimate's answer for nearly every post, without its Cost
    cost = estimate(html, MAX_DEPTH, MAX_NESTING, MAX_AMPERSAND_WORK, count_amps=count_amps)
    if cost.depth > MAX_DEPTH:
        return (f"the HTML is nested more than {MAX_DEPTH} levels deep (readers show no more, and cleaning "
                "it would take minutes); flatten the nesting")
    if cost.nesting > MAX_NESTING:
        return ("the HTML nests so many elements so deeply that cleaning it would take minutes; "
                "flatten the nesting")
    if cost.amp_work > MAX_AMPERSAND_WORK:
        return (f"{cost.ampersands:,} '&' or signs such as « or no-break spaces in one run of text {cost.run:,} "
                "characters long (cleaning that takes minutes); break it into paragraphs")
    return ""


def _short_entry(post: Post, summary: str) -> Rendered:
    """What a feed carries for a post it cannot carry whole: the summary and a link to the post."""
    text = f"<p>{_html.escape(summary, quote=False)}</p>" if summary else ""
    link = f'<p><a href="{_html.escape(post.url)}">{_html.escape(post.title, quote=False)}</a></p>'
    return Rendered(text + link, summary)


def _summary(post: Post, body: str, content: str, cfg: Config) -> str:
    """The entry's summary, without what XML forbids: the post's own, else its excerpt (Jekyll's:
    the body up to ``excerpt_separator`` where one is set, else the first paragraph)."""
    if post.summary or cfg.content.excerpt_separator:
        return xml_safe(plain_text(post.summary) if post.summary else _excerpt(post, body, cfg))[0]
    paragraph = first_paragraph(content) or content
    summary = plain_text(paragraph, SUMMARY_CHARS)
    # content holds nothing XML forbids (render_post made sure); plain_text adds spaces, an ellipsis
    # and what html.unescape makes of references, of which only a numeric one (&#12;) can be such a
    # character (no named one is, and unescape gives "" or U+FFFD for most): without "&#" the
    # search would find nothing (a summary's xml_safe cost ~5,000 instructions)
    return summary if "&#" not in paragraph else xml_safe(summary)[0]


def _excerpt(post: Post, body: str, cfg: Config) -> str:
    """Jekyll's excerpt where ``excerpt_separator`` is set: the body up to it (all of it when the
    post has none), as plain text."""
    head = body.split(cfg.content.excerpt_separator, 1)[0]
    html = _markdown(head, cfg) if post.markdown else head
    return plain_text(clean_html(html, post.url, cfg))


def first_paragraph(html: str) -> str:
    """The first ``<p>`` element of ``html`` with its end tag, as "<p[\\s>].*?</p>" (re.S, re.I)
    finds it; "" for none (no later start can have an end tag when the first has none)."""
    if html[:3] == "<p>":  # most content starts with its first paragraph: the earliest match, no search
        begin, after = 0, 3
    else:
        start = _PARAGRAPH_START.search(html)
        if start is None:
            return ""
        begin, after = start.span()
    end = _PARAGRAPH_END.search(html, after)
    return html[begin:end.end()] if end else ""
