"""A post's body as the renderer takes it: its UTF-8 bytes as read, its text decoded from them only
when a step asks for the text.

Decoding a body costs more than any check the renderer makes of it (a CJK body of 7 KB: ~13 µs,
some 3 % of its render task), and the common path needs no text: the checks look at the bytes and
the Markdown renderer reads them as they are. Posts with Liquid, control characters, typed quotes,
kramdown's syntax, an HTML body or an excerpt separator ask for the text, and have it.
"""
from __future__ import annotations


class Body:
    """``text``: the body; ``utf8``: exactly its UTF-8 bytes, b"" when they are not at hand (line
    ends made LF: the text is not the file's bytes). Made from bytes alone (``text`` None), the
    text is decoded on first use; bytes that are not UTF-8 are read as "" with no bytes, as
    ``sources.read_from_utf8`` reads them. The read stage decoded every post file whole: only a file
    rewritten since it was read can hold such bytes, and where no step asks for its text they go
    to cmark as they are, which reads them as U+FFFD or hands them back (``render_post`` then
    renders the empty body, as before)."""

    __slots__ = ("_text", "utf8")

    def __init__(self, text: str | None, utf8: bytes = b"") -> None:
        self._text, self.utf8 = text, utf8

    @property
    def text(self) -> str:
        if self._text is None:
            try:
                self._text = self.utf8.decode("utf-8")
            except UnicodeDecodeError:
                self._text, self.utf8 = "", b""
        return self._text

    @property
    def known_text(self) -> str | None:
        """The text when it is at hand already (decoded, or given), else None: nothing is decoded."""
        return self._text
