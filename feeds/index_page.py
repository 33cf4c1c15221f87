"""FeedSpecs -> the feed index page (``feeds.html``): every feed a person can subscribe to.

Pure: bytes out. One static HTML5 file, no outside requests (inline CSS, a few lines of inline
JS for the filter box; the page works without it), every name escaped (names are input), the
same feeds -> the same bytes. Sized for sites with thousands of categories: one short list
item per feed, links relative to the page.
"""
from __future__ import annotations

import base64
import hashlib
import html
import re

from .config import Config
from .feedspec import FeedSpec
from .formats import BY_NAME

SECTIONS = (("site", "Site", "site"), ("category", "Categories", "categories"), ("tag", "Tags", "tags"))

STYLE = """\
body{font:16px/1.5 system-ui,sans-serif;margin:0 auto;max-width:50rem;padding:0 1rem 2rem;color:#222;background:#fff}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem}
ul{list-style:none;padding:0;margin:0}
li{padding:.4rem 0;border-bottom:1px solid #ddd;overflow-wrap:anywhere}
.n{font-weight:600}.m{color:#555;font-size:.9rem}
li a{display:inline-block;margin-right:.8rem;padding:.1rem 0}
input{font:inherit;width:100%;box-sizing:border-box;padding:.4rem;margin:.5rem 0}
@media (prefers-color-scheme:dark){body{color:#ddd;background:#111}a{color:#8bf}.m{color:#aaa}li{border-color:#333}}
"""
# Filters the list items by name as one types; without JS the box stays hidden and every feed shows.
SCRIPT = """\
(function(){
var box=document.getElementById("filter"),shown=document.getElementById("shown");
var rows=Array.prototype.slice.call(document.querySelectorAll("li[data-f]"));
var names=rows.map(function(r){return r.querySelector(".n").textContent.toLowerCase();});
var parts=Array.prototype.slice.call(document.querySelectorAll("section"));
box.parentNode.hidden=false;
function apply(){
var q=box.value.trim().toLowerCase(),n=0;
rows.forEach(function(r,i){var hit=names[i].indexOf(q)>=0;r.hidden=!hit;if(hit)n++;});
parts.forEach(function(s){s.hidden=!s.querySelector("li[data-f]:not([hidden])");});
shown.textContent=q?n+" of "+rows.length+" feeds":"";
}
box.addEventListener("input",apply);apply();
})();
"""


def _hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


# The page may load nothing from anywhere: only its own style and script (by hash), feeds as links.
POLICY = f"default-src 'none'; style-src {_hash(STYLE)}; script-src {_hash(SCRIPT)}; img-src data:"


# what HTML forbids in text (controls, surrogates, noncharacters): shown as U+FFFD instead
_NOT_HTML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]"
                       "|[\U0001fffe\U0001ffff\U0002fffe\U0002ffff\U0003fffe\U0003ffff\U0004fffe\U0004ffff"
                       "\U0005fffe\U0005ffff\U0006fffe\U0006ffff\U0007fffe\U0007ffff\U0008fffe\U0008ffff"
                       "\U0009fffe\U0009ffff\U000afffe\U000affff\U000bfffe\U000bffff\U000cfffe\U000cffff"
                       "\U000dfffe\U000dffff\U000efffe\U000effff\U000ffffe\U000fffff\U0010fffe\U0010ffff]")


def _e(value: str) -> str:
    """Text or an attribute value, escaped, and without what HTML may not hold."""
    return html.escape(_NOT_HTML.sub("\ufffd", value), quote=True)


def page_title(cfg: Config) -> str:
    return f"{cfg.site.title or cfg.site.url.split('//', 1)[1]}: feeds"


def _href(cfg: Config, url: str, page: str) -> str:
    """The feed's URL relative to the page (short, and right wherever the site is served from)."""
    prefix = cfg.site.url + "/"
    if not url.startswith(prefix):
        return url
    return "../" * page.count("/") + url[len(prefix):]


def _label(fmt: str) -> str:
    """What a format is called (the registry's label); one the registry does not know, its own name."""
    known = BY_NAME.get(fmt)
    return known.label if known else fmt


def _media_type(fmt: str) -> str:
    known = BY_NAME.get(fmt)
    return known.media_type if known else "application/xml"


def _links(cfg: Config, spec: FeedSpec, page: str) -> str:
    seen: set[str] = set()
    out = []
    for file in spec.files:
        if file.format in seen:  # a second file of a format is jekyll-feed's old URL: one link is enough
            continue
        seen.add(file.format)
        label = _label(file.format)
        out.append(f'<a href="{_e(_href(cfg, file.url, page))}">{_e(label)}</a>')
    return "".join(out)


def _row(cfg: Config, spec: FeedSpec, page: str) -> str:
    posts = f"{spec.total:,} post{'s' if spec.total != 1 else ''}"
    newest = ""
    if spec.entries:
        day = spec.entries[0].date.date().isoformat()
        newest = f', newest <time datetime="{day}">{day}</time>'
    return (f'<li data-f><span class="n">{_e(spec.name)}</span> <span class="m">{posts}{newest}</span><br>'
            f"{_links(cfg, spec, page)}</li>\n")


def _autodiscovery(specs: list[FeedSpec]) -> str:
    """`<link rel="alternate">` for the site feed in each format: browsers and readers find it."""
    lines = []
    for spec in specs:
        if spec.kind != "site":
            continue
        seen: set[str] = set()
        for file in spec.files:
            if file.format in seen:
                continue
            seen.add(file.format)
            kind = _media_type(file.format)
            title = f"{spec.title} ({_label(file.format)})"
            lines.append(f'<link rel="alternate" type="{kind}" title="{_e(title)}" href="{_e(file.url)}">\n')
    return "".join(lines)


def index_bytes(cfg: Config, specs: list[FeedSpec]) -> bytes:
    """The whole page, as UTF-8 bytes."""
    page = cfg.feeds.path("index")
    title = page_title(cfg)
    lang = f' lang="{_e(cfg.site.language)}"' if cfg.site.language else ""
    opml = _href(cfg, cfg.site.url + "/" + cfg.feeds.path("opml"), page)
    groups = [(label, anchor, [s for s in specs if s.kind == kind]) for kind, label, anchor in SECTIONS]
    groups = [g for g in groups if g[2]]
    nav = " · ".join(f'<a href="#{anchor}">{label}</a> ({len(members):,})' for label, anchor, members in groups)
    parts = [
        f"<!DOCTYPE html>\n<html{lang}>\n<head>\n<meta charset=\"utf-8\">\n",
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
        f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">\n',
        f"<title>{_e(title)}</title>\n",
        '<link rel="icon" href="data:,">\n',
        _autodiscovery(specs),
        f"<style>{STYLE}</style>\n</head>\n<body>\n",
        f"<h1>{_e(title)}</h1>\n",
        "<p>Copy a feed's link into your feed reader to subscribe. "
        f'Every feed in one file for a reader to import: <a href="{_e(opml)}">OPML</a>.</p>\n',
        f"<p>{nav}</p>\n" if nav else "<p>No feeds yet.</p>\n",
        '<p hidden><label for="filter">Filter by name</label>\n'
        '<input id="filter" type="search" autocomplete="off"> <span id="shown" aria-live="polite"></span></p>\n',
    ]
    for label, anchor, members in groups:
        parts.append(f'<section id="{anchor}">\n<h2>{label}</h2>\n<ul>\n')
        parts += [_row(cfg, spec, page) for spec in members]
        parts.append("</ul>\n</section>\n")
    parts.append(f"<script>{SCRIPT}</script>\n</body>\n</html>\n")
    return "".join(parts).encode()


def index_inputs(key: str, specs: list[FeedSpec]) -> str:
    """What the page shows of each feed: the same list, counts and dates -> the same bytes."""
    h = hashlib.blake2b(key.encode(), digest_size=16)
    for spec in specs:
        newest = spec.entries[0].date.isoformat() if spec.entries else ""
        fields = (spec.kind, spec.name, spec.title, str(spec.total), newest,
                  *(f"{f.format} {f.url}" for f in spec.files), "\n")
        h.update("\0".join(fields).encode("utf-8", "surrogateescape"))
    return h.hexdigest()
