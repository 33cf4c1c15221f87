"""Plain-text helpers shared by every stage: XML 1.0 safety, names, titles."""
from __future__ import annotations

import html
import re
import unicodedata

# Everything XML 1.0 forbids: C0 controls but tab/LF/CR, surrogates, U+FFFE/U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_SPACE = re.compile(r"\s+")


def xml_safe(text: str) -> tuple[str, int]:
    """Drop the characters XML 1.0 forbids; return the text and how many were dropped."""
    return _NOT_XML.subn("", text)


def clean_name(name: str) -> str:
    """A category, tag or author name as one NFC line of text."""
    return _SPACE.sub(" ", unicodedata.normalize("NFC", xml_safe(name)[0])).strip()


def plain_title(text: str) -> str:
    """A title as readers show it: tags stripped, entities decoded once, whitespace collapsed."""
    return _SPACE.sub(" ", html.unescape(_TAG.sub("", text))).strip()


def plain_text(fragment: str, limit: int = 0) -> str:
    """An HTML fragment as one line of plain text (summaries), cut at a word near ``limit``."""
    text = _SPACE.sub(" ", html.unescape(_TAG.sub(" ", fragment))).strip()
    if limit and len(text) > limit:
        cut = text.rfind(" ", 0, limit)
        text = text[: cut if cut > limit // 2 else limit].rstrip() + "…"
    return text
