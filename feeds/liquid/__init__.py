"""A post body's Liquid template -> its Markdown or HTML, as Jekyll renders it (before Markdown).

The only package that imports the Liquid engine: python-liquid 2 (maintained, pure Python, typed,
and extensible with tags and filters of our own, which Jekyll's ``include``, ``post_url``,
``link`` and ``highlight`` and its filters need). The site's inputs (``_includes``, ``_data``,
the config, the list of posts) are read once per build into a ``LiquidSite`` (``site``), whose
hashes go into the render cache key of the posts that use Liquid (``site_key``): an edited
include or data file re-renders the Liquid posts, never the others.

A body without ``{%`` or ``{{`` never reaches the engine (``engine``). An unknown tag or filter
stays as written (one warning per kind and build); a Liquid error leaves the post as written,
with a ``path:line`` warning, and the renderer drops the URLs that still hold Liquid. Jekyll's
tags are in ``tags``, its filters in ``filters``.
"""
from __future__ import annotations

from ..text import code_block
from .engine import JekyllEnvironment, _unclosed_markup, expand, one_per_kind
from .site import LiquidSite, load_site

__all__ = ["JekyllEnvironment", "LiquidSite", "_unclosed_markup", "code_block", "expand", "load_site",
           "one_per_kind"]
