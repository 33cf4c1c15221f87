"""What rendering gives a post: the type alone, apart from the renderer.

Reading and the cache name it (a cached rendering is decoded into one) but render nothing: kept
here, they do not import the renderer (nh3, cmark-gfm, kramdown, Liquid), which the command
imports only once the read workers are reading (``pipeline``).
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Rendered:
    content: str  # HTML fragment, absolute URLs, XML 1.0 characters only
    summary: str  # plain text
    # ``content`` is render_post's own, shown to hold no character XML forbids (the body scrubbed,
    # and no reference that could make one, or the content scrubbed): the entries need not look
    # again (``xmlfast.content_bytes``). Content read from the cache is input: False, looked at.
    checked: bool = field(default=False, compare=False, repr=False)
