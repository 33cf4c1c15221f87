"""cmark-gfm, called directly: the one module that imports cmarkgfm (``render`` asks it for HTML).

cmarkgfm's ``markdown_to_html_with_extensions`` looks its extensions up on every call and never frees
what the C library hands back: the document's tree and the HTML string, some 27 KB a post, kept
until the process ends (at 100,000 posts, most of a render worker's memory). Here the extensions
are found once, the text may come as the UTF-8 bytes read from the file (no encoding again), and
both are freed with the library's own ``cmark_node_free`` and its default allocator's ``free`` (the
one ``cmark_parser_new`` and ``cmark_render_html`` allocate with). Where those cannot be found,
both are left, as cmarkgfm's own call leaves them.
"""
from __future__ import annotations

import ctypes
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from cmarkgfm import _cmark
from cmarkgfm.cmark import Options

UNSAFE, FOOTNOTES, SMART, SOURCEPOS = (Options.CMARK_OPT_UNSAFE, Options.CMARK_OPT_FOOTNOTES, Options.CMARK_OPT_SMART,
                                       Options.CMARK_OPT_SOURCEPOS)
_Frees = tuple[Callable[[Any], None], Callable[[Any], None]]  # cmark_node_free, and the allocator's free


def to_html(text: str | bytes, options: int, extensions: tuple[str, ...]) -> str:
    """``cmarkgfm.markdown_to_html_with_extensions(text, options, extensions)``; ``text`` may be
    its UTF-8 bytes."""
    found_extensions, frees = _direct(extensions)
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
        return _decoded(ffi.string(raw))
    finally:
        lib.cmark_parser_free(parser)
        if frees is not None:  # else both are left, as cmarkgfm's own call leaves them
            node_free, free = frees
            if raw != ffi.NULL:
                free(raw)
            if root != ffi.NULL:
                node_free(root)


def _decoded(html: bytes) -> str:
    """The HTML cmark wrote, as text. cmark writes U+FFFE and U+FFFF (from ``&#xFFFE;``,
    ``&#65535;``) as the single bytes 0xFE and 0xFF, which are never UTF-8: read as those
    characters (what XML forbids is removed later, with a warning), not a UnicodeDecodeError.
    And it cuts a character in two where a footnote label spans lines (github/cmark-gfm#282: the
    label of ``[^ab`` and ``cd]`` on the next line is dropped, ``[^乛`` keeps its first byte): what is
    left of it is read as U+FFFD, as a browser reads it, not a traceback out of the build."""
    try:
        return html.decode("utf-8")
    except UnicodeDecodeError:
        return html.replace(b"\xfe", "\ufffe".encode()).replace(b"\xff", "\uffff".encode()).decode(
            "utf-8", "replace")


@lru_cache(maxsize=8)
def _direct(extensions: tuple[str, ...]) -> tuple[list[Any], _Frees | None]:
    """The extensions' handles, and ``cmark_node_free`` and ``free`` (None when one cannot be had)."""
    _cmark.lib.cmark_gfm_core_extensions_ensure_registered()
    found = [_cmark.lib.cmark_find_syntax_extension(name.encode()) for name in extensions]
    if any(extension == _cmark.ffi.NULL for extension in found):
        raise ValueError(f"Unknown extension among {extensions}")
    return found, _frees()


def _frees() -> _Frees | None:
    """``cmark_node_free``, and the ``free`` of the allocator the parser and the renderer used (the
    library's default, which holds the C library's own ``free``: no other C library's is taken).
    ctypes finds them (cmarkgfm's cffi module declares neither); they are called as cffi function
    pointers, which take cmark's pointers as they come (ctypes' call, and the integer each pointer
    had to become for it, cost 4,000 instructions a post more)."""
    ffi = _cmark.ffi
    try:
        library = ctypes.CDLL(_cmark.__file__)
        node_free, allocator = library.cmark_node_free, library.cmark_get_default_mem_allocator
        allocator.argtypes, allocator.restype = [], ctypes.c_void_p
        return (ffi.cast("void (*)(cmark_node *)", ctypes.cast(node_free, ctypes.c_void_p).value),
                ffi.cast("cmark_mem *", allocator()).free)
    # not a shared object, no such symbol, or a cmarkgfm whose declarations lack cmark_node or cmark_mem
    except (OSError, AttributeError, TypeError, ffi.error):  # pragma: no cover
        return None
