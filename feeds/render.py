"""A post body -> a clean HTML fragment with absolute URLs, and a plain-text summary.

Markdown goes through cmarkgfm (CommonMark + GFM tables/strikethrough/autolinks, raw HTML
passed through: our users' bodies are mostly raw HTML with Markdown links between). The result
then makes one pass through nh3 (ammonia), which sanitises and, through its attribute filter,
makes every URL absolute against the post's own URL.
"""
from __future__ import annotations

import html as _html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin, urlsplit

import cmarkgfm
import nh3
from cmarkgfm.cmark import Options

from .config import Config
from .errors import WARNING, Problem
from .htmlcost import estimate
from .posts import Post
from .text import describe_forbidden, plain_text, xml_safe

SUMMARY_CHARS = 300
_EXTENSIONS = ["table", "strikethrough", "autolink"]  # not tagfilter: sanitising is nh3's job
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_URL_ATTRS = {"href", "src", "poster", "cite", "longdesc", "action", "data", "background"}
_FIRST_PARAGRAPH = re.compile(r"<p[\s>].*?</p>", re.S | re.I)
_LIQUID_BLOCK = re.compile(r"{%-?\s*(raw|endraw)\s*-?%}")
_HIGHLIGHT = re.compile(r"-?\s*highlight\s+(\w+)(?:\W[^%]*)?")  # inside {% … %}
_END_HIGHLIGHT = re.compile(r"-?\s*endhighlight\s*-?")
_BACKTICKS = re.compile(r"`{3,}")
_SITE_VAR = re.compile(r"{{\s*site\.(url|baseurl)\s*}}")
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


@dataclass(frozen=True)
class Rendered:
    content: str  # HTML fragment, absolute URLs, XML 1.0 characters only
    summary: str  # plain text


def markdown_to_html(text: str) -> str:
    return cmarkgfm.markdown_to_html_with_extensions(text, options=Options.CMARK_OPT_UNSAFE, extensions=_EXTENSIONS)


def expand_liquid(text: str, site_url: str) -> str:
    """The Liquid our users' posts carry that has an obvious meaning outside Jekyll."""
    text = _expand_highlights(text)
    text = _SITE_VAR.sub(lambda m: site_url if m.group(1) == "url" else "", text)
    return _LIQUID_BLOCK.sub("", text)


def _liquid_tags(text: str) -> Iterator[tuple[int, int, str]]:
    """Each ``{% … %}`` as Liquid reads them, left to right: (start, end, what is inside).
    One scan: a search never starts again before where the last one ended."""
    start = 0
    while (opening := text.find("{%", start)) >= 0 and (closing := text.find("%}", opening + 2)) >= 0:
        yield opening, closing + 2, text[opening + 2:closing]
        start = closing + 2


def _expand_highlights(text: str) -> str:
    """``{% highlight lang %}…{% endhighlight %}`` -> a fenced code block of that language."""
    out, done = [], 0
    tags = _liquid_tags(text)
    for start, end, inside in tags:
        opening = _HIGHLIGHT.fullmatch(inside)
        if opening is None:
            continue
        closing = next(((s, e) for s, e, tag in tags if _END_HIGHLIGHT.fullmatch(tag)), None)
        if closing is None:
            break  # never closed: left as written
        code = text[end + 1 if text.startswith("\n", end) else end:closing[0]]
        before = text[done:start]
        out += [before, "\n" if before.strip(" \t") and not before.endswith("\n") else "",
                _fence(opening.group(1), code)]
        done = closing[1]
    return "".join(out) + text[done:]


def _fence(language: str, code: str) -> str:
    """A fence longer than any run of backticks in ``code``, so nothing inside can close it."""
    fence = "`" * max([3] + [len(run) + 1 for run in _BACKTICKS.findall(code)])
    if code and not code.endswith("\n"):
        code += "\n"  # the closing fence needs a line of its own
    return f"{fence}{language}\n{code}{fence}\n"


def absolute(url: str, base: str, scheme: str) -> str:
    """A URL from the content, made absolute against the post's URL; mailto:, data: etc. kept."""
    url = url.strip()
    if not url or url.startswith(("https://", "http://")):
        return url
    if url.startswith("//"):
        return f"{scheme}:{url}"
    if _SCHEME.match(url):
        return url
    return urljoin(base, url)


def _srcset(value: str, base: str, scheme: str) -> str:
    parts = []
    for candidate in value.split(","):
        bits = candidate.strip().split(None, 1)
        if bits:
            parts.append(" ".join([absolute(bits[0], base, scheme), *bits[1:]]))
    return ", ".join(parts)


class _UrlRewriter:
    """nh3's attribute filter: makes URLs absolute against the post being cleaned (``base``).

    Sanitising, it also drops ``data:`` URLs except images: ``<a href="data:text/html,…">`` is a
    page of the attacker's making, while an inline picture in ``<img>`` cannot run anything.
    """

    def __init__(self, scheme: str, sanitize: bool = True):
        self.scheme, self.base, self.sanitize = scheme, "", sanitize

    def __call__(self, tag: str, attr: str, value: str) -> str | None:
        if attr in _URL_ATTRS:
            url = absolute(value, self.base, self.scheme)
            return None if self.sanitize and not _harmless_data(tag, url) else url
        if attr == "srcset":
            return _srcset(value, self.base, self.scheme)
        return value


def _harmless_data(tag: str, url: str) -> bool:
    """Any URL but data:, or a data: image where an image goes."""
    head = url[:16].lower()
    return not head.startswith("data:") or (head.startswith("data:image/") and tag in ("img", "source"))


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
        options.update(url_schemes=set(nh3.ALLOWED_URL_SCHEMES) | {"data"},
                       clean_content_tags={"script", "style"} - set(extra_tags))
    return {"tags": tags, "attributes": attrs, **options}


def clean_html(fragment: str, base: str, cfg: Config) -> str:
    """Sanitise (unless configured off) and make every URL absolute, in one nh3 pass."""
    cleaner, rewriter = _cleaner(urlsplit(cfg.site.url).scheme, cfg.content.sanitize, cfg.content.allow_tags,
                                 cfg.content.allow_attributes)
    rewriter.base = base
    return cleaner.clean(fragment)


def render_post(post: Post, body: str, cfg: Config) -> tuple[Rendered, list[Problem]]:
    """The entry's content and summary; a warning when characters XML forbids were removed."""
    first, which = describe_forbidden(body)
    body, removed = xml_safe(body)
    problems = []
    if removed:
        line = post.body_line + body.count("\n", 0, first)  # the first one's line in the file
        problems.append(Problem(post.path, line, f"{removed} control character(s) that XML 1.0 forbids or "
                                f"discourages ({which}) removed from the body; delete them from the file", WARNING))
    html = markdown_to_html(expand_liquid(body, cfg.site.url)) if post.markdown else body
    limit = cfg.content.max_entry_bytes
    refused = _too_costly(html, limit)
    if refused:
        problems.append(Problem(post.path, None, f"{refused}; {_SHORTENED}", WARNING))
        return _short_entry(post, xml_safe(plain_text(post.summary))[0]), problems
    # character references such as &#1; become the characters themselves on the way through
    content, late = xml_safe(clean_html(html, post.url, cfg).strip())
    if late:
        problems.append(Problem(post.path, None, f"{late} character reference(s) to control characters (such as "
                                "&#1;) removed from the body; delete them from the file", WARNING))
    summary = xml_safe(plain_text(post.summary) if post.summary else _first_paragraph(content))[0]
    size = len(content.encode("utf-8"))
    if size > limit:
        problems.append(Problem(post.path, None, f"the content is {size:,} bytes, over content.max_entry_bytes "
                                f"({limit:,}); {_SHORTENED}", WARNING))
        return _short_entry(post, summary), problems
    return Rendered(content, summary), problems


_SHORTENED = "the feeds carry its summary and a link to the post instead"


def _too_costly(html: str, limit: int) -> str:
    """Why the sanitiser must not be given ``html`` (it would take minutes, or make an entry
    too long for readers), or "" when it may."""
    if len(html) > 2 * limit:  # cleaning never shrinks HTML this much; it takes a while on this much
        return f"the content is over {2 * limit:,} bytes after rendering, twice content.max_entry_bytes ({limit:,})"
    cost = estimate(html, MAX_DEPTH, MAX_NESTING)
    if cost.depth > MAX_DEPTH:
        return (f"the HTML is nested more than {MAX_DEPTH} levels deep (readers show no more, and cleaning "
                "it would take minutes); flatten the nesting")
    if cost.nesting > MAX_NESTING:
        return ("the HTML nests so many elements so deeply that cleaning it would take minutes; "
                "flatten the nesting")
    if cost.amp_work > MAX_AMPERSAND_WORK:
        return (f"{cost.ampersands:,} '&' in one run of text {cost.run:,} characters long (cleaning that "
                "takes minutes); break it into paragraphs")
    return ""


def _short_entry(post: Post, summary: str) -> Rendered:
    """What a feed carries for a post it cannot carry whole: the summary and a link to the post."""
    text = f"<p>{_html.escape(summary, quote=False)}</p>" if summary else ""
    link = f'<p><a href="{_html.escape(post.url)}">{_html.escape(post.title, quote=False)}</a></p>'
    return Rendered(text + link, summary)


def _first_paragraph(content: str) -> str:
    match = _FIRST_PARAGRAPH.search(content)
    return plain_text(match.group(0) if match else content, SUMMARY_CHARS)
