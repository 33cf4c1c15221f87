"""A post body -> a clean HTML fragment with absolute URLs, and a plain-text summary.

Markdown goes through cmarkgfm (CommonMark + GFM tables/strikethrough/autolinks, raw HTML
passed through: our users' bodies are mostly raw HTML with Markdown links between). The result
then makes one pass through nh3 (ammonia), which sanitises and, through its attribute filter,
makes every URL absolute against the post's own URL.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin, urlsplit

import cmarkgfm
import nh3
from cmarkgfm.cmark import Options

from .config import Config
from .errors import WARNING, Problem
from .posts import Post
from .text import describe_forbidden, plain_text, xml_safe

SUMMARY_CHARS = 300
_EXTENSIONS = ["table", "strikethrough", "autolink"]  # not tagfilter: sanitising is nh3's job
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_URL_ATTRS = {"href", "src", "poster", "cite", "longdesc", "action", "data", "background"}
_FIRST_PARAGRAPH = re.compile(r"<p[\s>].*?</p>", re.S | re.I)
_LIQUID_BLOCK = re.compile(r"{%-?\s*(raw|endraw)\s*-?%}")
_HIGHLIGHT = re.compile(r"{%-?\s*highlight\s+(\w+)[^%]*%}\n?(.*?){%-?\s*endhighlight\s*-?%}", re.S)
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


@dataclass(frozen=True)
class Rendered:
    content: str  # HTML fragment, absolute URLs, XML 1.0 characters only
    summary: str  # plain text


def markdown_to_html(text: str) -> str:
    return cmarkgfm.markdown_to_html_with_extensions(text, options=Options.CMARK_OPT_UNSAFE, extensions=_EXTENSIONS)


def expand_liquid(text: str, site_url: str) -> str:
    """The Liquid our users' posts carry that has an obvious meaning outside Jekyll."""
    text = _HIGHLIGHT.sub(lambda m: f"```{m.group(1)}\n{m.group(2)}```\n", text)
    text = _SITE_VAR.sub(lambda m: site_url if m.group(1) == "url" else "", text)
    return _LIQUID_BLOCK.sub("", text)


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
    # character references such as &#1; become the characters themselves on the way through
    content, late = xml_safe(clean_html(html, post.url, cfg).strip())
    if late:
        problems.append(Problem(post.path, None, f"{late} character reference(s) to control characters (such as "
                                "&#1;) removed from the body; delete them from the file", WARNING))
    summary = plain_text(post.summary) if post.summary else _excerpt(post, body, content, cfg)
    return Rendered(content, xml_safe(summary)[0]), problems


def _excerpt(post: Post, body: str, content: str, cfg: Config) -> str:
    """Jekyll's excerpt: the body up to ``excerpt_separator`` (all of it when the post has none),
    as plain text; without a separator set, the first paragraph."""
    separator = cfg.content.excerpt_separator
    if not separator:
        return _first_paragraph(content)
    head = body.split(separator, 1)[0]
    html = markdown_to_html(expand_liquid(head, cfg.site.url)) if post.markdown else head
    return plain_text(clean_html(html, post.url, cfg))


def _first_paragraph(content: str) -> str:
    match = _FIRST_PARAGRAPH.search(content)
    return plain_text(match.group(0) if match else content, SUMMARY_CHARS)
