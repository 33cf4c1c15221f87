"""A post body's Liquid template -> its Markdown or HTML, as Jekyll renders it (before Markdown).

The only package that imports the Liquid engine: python-liquid 2 (maintained, pure Python, typed,
and extensible with tags and filters of our own, which Jekyll's ``include``, ``post_url``,
``link`` and ``highlight`` and its filters need). The site's inputs (``_includes``, ``_data``,
the config, the list of posts) are read once per build into a ``LiquidSite`` (``site``), whose
hashes go into the render cache key of the posts that use Liquid (``LiquidSite.key``): an edited
include or data file re-renders the Liquid posts, never the others.

A body without ``{%`` or ``{{`` never reaches the engine (``engine``), and a build without such a
body never even imports it (it takes longer to import than a thousand posts take to render). An
unknown tag or filter stays as written (one warning per kind and build: ``unknown``); a Liquid
error leaves the post as written, with a ``path:line`` warning, and the renderer drops the URLs
that still hold Liquid. Jekyll's tags are in ``tags``, its filters in ``filters``.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..config import Config
from ..errors import Problem
from ..posts import Post
from ..text import code_block
from .site import LiquidSite, load_site
from .unknown import one_per_kind

__all__ = ["LiquidSite", "code_block", "expand", "load_site", "one_per_kind"]


def expand(post: Post, body: str, cfg: Config, site: LiquidSite | None, markdownify: Callable[[str], str]
           ) -> tuple[str, list[Problem]]:
    """The body after Liquid, as Jekyll hands it to Markdown; problems say what was left as written."""
    if "{" not in body or ("{%" not in body and "{{" not in body):  # the common case: a scan, nothing more
        return body, []
    from . import engine  # the engine only for a body that holds Liquid

    return engine.expand(post, body, cfg, site, markdownify)


def __getattr__(name: str) -> Any:
    """``JekyllEnvironment`` and ``_unclosed_markup`` from the engine, imported when asked for."""
    if name in ("JekyllEnvironment", "_unclosed_markup"):
        from . import engine

        return getattr(engine, name)
    raise AttributeError(name)
