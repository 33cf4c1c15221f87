"""The kramdown syntax Jekyll posts use, on top of a CommonMark + GFM renderer (see render.py).

Jekyll renders Markdown with kramdown (input "GFM"). CommonMark agrees with it on the common
syntax; what kramdown adds is handled here, in pure Python around the C renderer, so a post that
uses none of it pays one scan for a few marker strings:

- ``prepare`` (before Markdown) finds, outside fenced code: ALD definitions (``{:ref: .x}``) and
  abbreviation definitions (``*[HTML]: …``), which it removes; block IALs (``{: .note}`` on a line
  of their own), which become HTML comment markers; ``markdown="1"`` HTML blocks, whose content it
  sets apart with blank lines so that it is read as Markdown; definition lists (``Term`` / ``: def``),
  which become ``<dl><dt>``/``<dd>`` HTML blocks around Markdown.
  Also: math (``$$…$$``) and the extensions (``{::comment}``, ``{::nomarkdown}``, ``{::options /}``)
  as tokens; the end-of-block marker ``^``; ``[text] [ref]``; tables without a header row as HTML
  around Markdown cells; and, when the common reading went wrong (``needs_raw_blocks``), HTML blocks
  ending at their end tag as kramdown ends them.
- ``finish`` (after Markdown) applies the markers and span IALs (``*x*{: .c}``, ``[a](b){:#id}``) to
  their elements, rewrites GFM footnotes as kramdown writes them (``fn:1``, ``fnref:1``), gives
  headers kramdown's GFM ids (``## Hello, World!`` -> ``hello-world``, ``-1`` for a repeat) or the
  ``{#id}`` written after them, and wraps defined abbreviations in ``<abbr title>``.

Typographic dashes and ellipses come from the renderer's "smart" option (the same characters); its
quotes are then set by kramdown's rules (``requote``), which look at the characters around a quote
where the renderer pairs quotes: ``` `Box`'tır ``` -> ‘, ``：“A`` -> ”, ``'Happy …'라는`` -> ‘…’.
"""
from __future__ import annotations

from .after import finish, has_raw_headers, mark_markdown_headers, may_hold_raw_headers, needs_raw_blocks
from .before import TRIGGERS, Extras, prepare, uses_kramdown
from .quotes import hide_typed_quotes, requote

__all__ = ["TRIGGERS", "Extras", "finish", "has_raw_headers", "hide_typed_quotes", "mark_markdown_headers",
           "may_hold_raw_headers", "needs_raw_blocks", "prepare", "requote", "uses_kramdown"]
