"""Plain-text helpers shared by every stage: XML 1.0 safety, names, titles."""
from __future__ import annotations

import html
import re
import unicodedata

# Everything XML 1.0 forbids: C0 controls but tab/LF/CR, surrogates, U+FFFE/U+FFFF; and DEL and
# the C1 controls, which it discourages: they are mojibake in practice, and readers garble them
# (feedparser turns U+0080 into '€'), so they could not reach a reader unchanged anyway.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_SPACE = re.compile(r"\s+")
_ASCII_SPACE, _ASCII_SPACES = re.compile(r"[ \t\n\v\f\r]+"), " \t\n\v\f\r"  # Ruby's \s and strip


def xml_safe(text: str) -> tuple[str, int]:
    """Drop the characters XML 1.0 forbids (and C1 controls); return the text and how many were dropped."""
    return _NOT_XML.subn("", text)


def describe_forbidden(text: str) -> tuple[int, str]:
    """Where the first character XML 1.0 forbids is (index, -1 if none) and which ones there are,
    as a user can search for them: 'U+0008, U+000B'."""
    found = _NOT_XML.search(text)
    if not found:
        return -1, ""
    codes = sorted({ord(c) for c in _NOT_XML.findall(text)})
    listed = ", ".join(f"U+{c:04X}" for c in codes[:4]) + (", …" if len(codes) > 4 else "")
    return found.start(), listed


def clean_name(name: str) -> str:
    """A category, tag or author name as one NFC line of text."""
    return _SPACE.sub(" ", unicodedata.normalize("NFC", xml_safe(name)[0])).strip()


def plain_title(text: str) -> str:
    """A title as readers show it: tags stripped, entities decoded once, whitespace collapsed.

    Only ASCII whitespace, as jekyll-feed's ``normalize_whitespace`` (Ruby's ``\\s``): a no-break
    space before '!' in French, a thin or ideographic space, is the author's and stays."""
    return _ASCII_SPACE.sub(" ", html.unescape(_TAG.sub("", text))).strip(_ASCII_SPACES)


def plain_text(fragment: str, limit: int = 0) -> str:
    """An HTML fragment as one line of plain text (summaries), cut at a word near ``limit``."""
    text = _SPACE.sub(" ", html.unescape(_TAG.sub(" ", fragment))).strip()
    if limit and len(text) > limit:
        cut = text.rfind(" ", 0, limit)
        text = text[: cut if cut > limit // 2 else limit].rstrip() + "…"
    return text


# --- smartify: typographic quotes and dashes, as Jekyll's smartify filter (kramdown) makes them --

_SYMBOLS = (("---", "\u2014"), ("--", "\u2013"), ("...", "\u2026"), ("<<", "\u00ab"), (">>", "\u00bb"))
_PUNCT = set("!\"#$%'()*+,-./:;<=>?@[\\]^_`{|}~")
_NOT_CLOSING_AFTER = set(" \\\t\r\n[{(-")
_OPEN = {"'": "\u2018", '"': "\u201c"}
_CLOSE = {"'": "\u2019", '"': "\u201d"}


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def _closes(text: str, i: int) -> bool:
    """Whether the quote at ``text[i]`` closes (or is an apostrophe): kramdown's smart-quote rules,
    tried in their order."""
    prev, after = text[i - 1] if i else "", text[i + 1:i + 4]
    nxt = after[:1]
    if nxt in ("_", "*") and len(after) > 1 and not after[1:2].isspace():
        return False  # "*emphasis*"
    if nxt in _PUNCT and not after.startswith("..") and not _is_word(nxt):
        return True  # 'quoted', or "quoted".
    if text[i] == "'" and after[:2].isdigit() and after[2:3] == "s":
        return True  # the '80s
    if prev.isspace() and _is_word(nxt):
        return False
    if prev and prev not in _NOT_CLOSING_AFTER:
        return True
    return nxt == "" or nxt.isspace() or (nxt == "s" and not _is_word(after[1:2]))


def smartify(text: str) -> str:
    """``"Hello," she said -- it's`` -> ``“Hello,” she said – it’s`` (Jekyll's ``smartify``)."""
    if not any(c in text for c in "'\"-.<>"):
        return text
    for plain, fancy in _SYMBOLS:
        text = text.replace(plain, fancy)
    chars = list(text)
    for i, char in enumerate(chars):
        if char in _OPEN:
            if char == '"' and text[i + 1:i + 2] == "'" and _is_word(text[i + 2:i + 3]):
                chars[i] = _OPEN[char]  # "'nested' quotes
            elif char == "'" and text[i + 1:i + 2] == '"' and _is_word(text[i + 2:i + 3]):
                chars[i] = _OPEN[char]
            else:
                chars[i] = _CLOSE[char] if _closes(text, i) else _OPEN[char]
    return "".join(chars)
