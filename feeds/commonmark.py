"""cmark-gfm, called directly: the one module that imports cmarkgfm (``render`` asks it for HTML).

cmarkgfm's ``markdown_to_html_with_extensions`` looks its extensions up on every call and never frees
what the C library hands back: the document's tree and the HTML string, some 27 KB a post, kept
until the process ends (at 100,000 posts, most of a render worker's memory). Here the extensions
are found once, the text may come as the UTF-8 bytes read from the file (no encoding again), and
both are freed with the library's own ``cmark_node_free`` and the C library's ``free`` (cmark's
default allocator is calloc/realloc/free). Where those cannot be found, cmarkgfm's own call is used.
"""
from __future__ import annotations

import ctypes
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import cmarkgfm
from cmarkgfm.cmark import Options

try:
    from cmarkgfm import _cmark
except ImportError:  # pragma: no cover - another build of cmarkgfm
    _cmark = None

UNSAFE, FOOTNOTES, SMART, SOURCEPOS = (Options.CMARK_OPT_UNSAFE, Options.CMARK_OPT_FOOTNOTES, Options.CMARK_OPT_SMART,
                                       Options.CMARK_OPT_SOURCEPOS)


def to_html(text: str | bytes, options: int, extensions: tuple[str, ...]) -> str:
    """``cmarkgfm.markdown_to_html_with_extensions(text, options, extensions)``; ``text`` may be
    its UTF-8 bytes."""
    found = _direct(extensions)
    if found is None:
        return str(cmarkgfm.markdown_to_html_with_extensions(
            text.decode() if isinstance(text, bytes) else text, options=options, extensions=list(extensions)))
    found_extensions, node_free, free = found
    lib, ffi = _cmark.lib, _cmark.ffi
    data = text if isinstance(text, bytes) else text.encode()
    parser = lib.cmark_parser_new(options)
    root = raw = ffi.NULL
    try:
        for extension in found_extensions:
            lib.cmark_parser_attach_syntax_extension(parser, extension)
        lib.cmark_parser_feed(parser, data, len(data))
        root = lib.cmark_parser_finish(parser)
        if lib.cmark_node_get_type(root) == lib.CMARK_NODE_NONE:
            raise ValueError("Error parsing markdown!")
        raw = lib.cmark_render_html(root, options, lib.cmark_parser_get_syntax_extensions(parser))
        return str(ffi.string(raw).decode("utf-8"))
    finally:
        lib.cmark_parser_free(parser)
        if raw != ffi.NULL:
            free(int(ffi.cast("uintptr_t", raw)))
        if root != ffi.NULL:
            node_free(int(ffi.cast("uintptr_t", root)))


@lru_cache(maxsize=8)
def _direct(extensions: tuple[str, ...]) -> tuple[list[Any], Callable[[int], None], Callable[[int], None]] | None:
    """The extensions' handles, ``cmark_node_free`` and ``free``; None when one cannot be had."""
    if _cmark is None:  # pragma: no cover
        return None
    try:
        node_free = ctypes.CDLL(_cmark.__file__).cmark_node_free
        free = ctypes.CDLL(None).free
    except (OSError, AttributeError):  # pragma: no cover - not a shared object, or no such symbol
        return None
    for function in (node_free, free):
        function.argtypes, function.restype = [ctypes.c_void_p], None
    _cmark.lib.cmark_gfm_core_extensions_ensure_registered()
    found = [_cmark.lib.cmark_find_syntax_extension(name.encode()) for name in extensions]
    if any(extension == _cmark.ffi.NULL for extension in found):
        raise ValueError(f"Unknown extension among {extensions}")
    return found, node_free, free
