"""A post's image and the site's icon and logo, as the output formats need them: absolute URLs.

A post's image is its front matter ``image:`` (read in ``posts``); with ``feeds.first_image``, a
post without one gets the first ``<img>`` of its rendered body (whose URLs ``render`` has already
made absolute). No HTML library here: the rendered fragment is the sanitiser's output, whose
attributes are always quoted.
"""
from __future__ import annotations

import html
import re

from .config import Config
from .posts import Post
from .render import Rendered
from .text import site_url_of

_IMG_SRC = re.compile(r"""<img\b[^>]*?\ssrc\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.I)


def first_image(fragment: str, site_url: str) -> str:
    """The first ``<img src>`` of an HTML fragment that is an absolute http(s) URL, with what a URL
    cannot hold (quotes, spaces) percent-encoded; "" for none."""
    for found in _IMG_SRC.finditer(fragment):
        url = html.unescape(found.group(1) if found.group(1) is not None else found.group(2)).strip()
        if url.lower().startswith(("https://", "http://")):
            return site_url_of(site_url, url) or ""
    return ""


def entry_image(cfg: Config, post: Post, content: Rendered) -> str:
    if post.image or not cfg.feeds.first_image:
        return post.image
    return first_image(content.content, cfg.site.url)


def site_images(cfg: Config) -> tuple[str, str]:
    """(icon, logo), absolute; "" for one the site does not have. A site with an icon alone has it
    as its logo too (Atom logo, RSS <image>, JSON Feed icon): readers show one of them."""
    site = cfg.site
    icon = site_url_of(site.url, site.icon) or ""
    return icon, site_url_of(site.url, site.logo) or icon
