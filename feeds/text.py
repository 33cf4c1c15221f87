"""Plain-text helpers shared by every stage: XML 1.0 safety, names, titles, code fences."""
from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache
from urllib.parse import quote

# Everything XML 1.0 forbids: C0 controls but tab/LF/CR, surrogates, U+FFFE/U+FFFF; and DEL and
# the C1 controls, which it discourages: they are mojibake in practice, and readers garble them
# (feedparser turns U+0080 into '€'), so they could not reach a reader unchanged anyway.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_TAG_START = re.compile(r"<(?=[A-Za-z!/?])")  # where HTML would open a tag, comment or declaration
_CANDIDATE = re.compile(r"[\s,]*([^\s,]\S*)")
_BACKTICKS = re.compile(r"`+")
_ASCII_SPACE, _ASCII_SPACES = re.compile(r"[ \t\n\v\f\r]+"), " \t\n\v\f\r"  # Ruby's \s and strip


def _one_printable_line(text: str) -> bool:
    """Nothing XML forbids, found at twice a search's speed: ``isprintable`` is false for each such
    character (controls, surrogates, noncharacters). Most names, titles and URLs are one printable
    line; a text with a line break (a body) would be read twice, so it is left to the search."""
    return "\n" not in text and text.isprintable()


def has_forbidden(text: str) -> bool:
    """A character ``_NOT_XML`` names is in ``text``."""
    return _NOT_XML.search(text) is not None


# _NOT_XML in UTF-8 bytes: its ASCII part is single bytes (C0 controls but tab/LF/CR, and DEL), its
# C1 controls and U+FFFE/U+FFFF take two and three bytes, and surrogates are never valid UTF-8
_NOT_XML_ASCII = bytes((*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F))
_NOT_XML_MULTIBYTE = re.compile(rb"\xc2[\x80-\x9f]|\xef\xbf[\xbe\xbf]")
_C1_UTF8 = re.compile(rb"\xc2[\x80-\x9f]")
_C2 = 0xC2  # the lead byte of every C1 control in UTF-8


def utf8_has_forbidden(data: bytes, text: str | None = None) -> bool:
    """``has_forbidden`` of valid UTF-8 bytes, without decoding them: each forbidden ASCII byte is
    looked for by memchr (30 scans at C speed, no copy), and the multi-byte cases are searched
    only where their lead bytes occur.
    ``text``: the text ``data`` encodes, when the caller has it: U+FFFE and U+FFFF are then looked
    for there, one character each (two-byte searches in bytes are slow, and Chinese text is full
    of the ``\xef`` that starts full-width punctuation)."""
    for byte in _NOT_XML_ASCII:  # one memchr each: no copy of ``data`` (a translate made one, at twice the time)
        if byte in data:
            return True
    if text is not None:  # 0xC2 as an int: a bytes needle first fails as one, at twice a search's cost
        return _C2 in data and _C1_UTF8.search(data) is not None or "\ufffe" in text or "\uffff" in text
    return (_C2 in data or b"\xef\xbf" in data) and _NOT_XML_MULTIBYTE.search(data) is not None


def xml_safe(text: str) -> tuple[str, int]:
    """Drop the characters XML 1.0 forbids (and C1 controls); return the text and how many were dropped.
    One scan when there are none (nearly always): a search is a quarter cheaper than a subn."""
    if _one_printable_line(text) or _NOT_XML.search(text) is None:
        return text, 0
    return _NOT_XML.subn("", text)


def scrub(text: str) -> tuple[str, int, int, str]:
    """``xml_safe`` and ``describe_forbidden`` at once, in one scan when there is nothing to drop:
    the text, how many characters were dropped, where the first was (-1: none), which they were."""
    if _one_printable_line(text) or _NOT_XML.search(text) is None:
        return text, 0, -1, ""
    first, which = describe_forbidden(text)
    cleaned, removed = _NOT_XML.subn("", text)
    return cleaned, removed, first, which


def describe_forbidden(text: str) -> tuple[int, str]:
    """Where the first character XML 1.0 forbids is (index, -1 if none) and which ones there are,
    as a user can search for them: 'U+0008, U+000B'."""
    found = None if _one_printable_line(text) else _NOT_XML.search(text)
    if not found:
        return -1, ""
    codes = sorted({ord(c) for c in _NOT_XML.findall(text)})
    listed = ", ".join(f"U+{c:04X}" for c in codes[:4]) + (", …" if len(codes) > 4 else "")
    return found.start(), listed


def clean_name(name: str) -> str:
    """A category, tag or author name as one NFC line of text that no reader takes for markup."""
    return _clean_name(name) if len(name) <= _REMEMBERED else _cleaned_name(name)


_REMEMBERED = 256  # names up to this long are remembered: a site's few hundred come back on every post


@lru_cache(maxsize=4096)
def _clean_name(name: str) -> str:
    return _cleaned_name(name)


def _cleaned_name(name: str) -> str:
    return no_markup(" ".join(unicodedata.normalize("NFC", xml_safe(name)[0]).split()))  # as plain_text's


def plain_title(text: str) -> str:
    """A title as readers show it: tags stripped, entities decoded once, whitespace collapsed (only
    ASCII whitespace, as jekyll-feed's ``normalize_whitespace``, Ruby's ``\\s``: a no-break space
    before '!' in French, a thin or ideographic space, is the author's and stays); then what
    decoding made look like a tag (``&lt;img onerror=…&gt;``) is kept from being one."""
    if "<" in text:
        text = _TAG.sub("", text)
    text = html.unescape(text)
    if not text.isprintable() or "  " in text:  # printable: no tab or line break, and ' ' the only space
        text = _ASCII_SPACE.sub(" ", text)
    return no_markup(text.strip(_ASCII_SPACES))


def no_markup(text: str) -> str:
    """Text that stays text in readers that show titles and names as HTML (many do, for RSS): a
    '<' that could open a tag (before a letter, '/', '!' or '?') becomes the full-width '＜'."""
    return _TAG_START.sub("\uff1c", text) if "<" in text else text


def plain_text(fragment: str, limit: int = 0) -> str:
    """An HTML fragment as one line of plain text (summaries), cut at a word near ``limit``."""
    # split() and strip() take the characters a str pattern's \s takes (each asks Py_UNICODE_ISSPACE):
    # the words joined by one space are what replacing each run of them and stripping gave, at a tenth
    # of the cost (the regex tries every character of a summary's text)
    text = " ".join(html.unescape(_without_tags(fragment)).split())
    if limit and len(text) > limit:
        cut = text.rfind(" ", 0, limit)
        text = text[: cut if cut > limit // 2 else limit].rstrip() + "…"
    return text


def _without_tags(fragment: str) -> str:
    """``_TAG.sub(" ", fragment)``; a lone paragraph with no other tag (most summaries: the first
    paragraph) is told by a search for "<" instead, at a tenth of the regex's cost."""
    if fragment[:3] == "<p>" and fragment[-4:] == "</p>" and "<" not in (inner := fragment[3:-4]):
        return f" {inner} "
    return _TAG.sub(" ", fragment)


def srcset_candidates(value: str) -> list[tuple[str, str]]:
    """A srcset as browsers split it (HTML's parsing of srcset): (URL, descriptors) pairs.

    A URL runs to the next space, so the commas of ``data:`` URLs and of CDN paths such as
    ``/w_100,h_50/a.jpg`` stay inside it; a comma after the descriptors ends a candidate."""
    found, pos = [], 0
    while match := _CANDIDATE.match(value, pos):
        url, pos = match.group(1), match.end()
        if url.endswith(","):
            found.append((url.rstrip(","), ""))
            continue
        end = value.find(",", pos)
        end = len(value) if end < 0 else end
        found.append((url, " ".join(value[pos:end].split())))
        pos = end + 1
    return found


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


_IMAGE_SAFE = "/-._~!$&'()*+,;=:@%?#[]"  # what stays as written in an image URL; the rest is percent-encoded


def site_url_of(site_url: str, value: str) -> str | None:
    """An image's URL as jekyll-feed makes it: a URL with "://" as written, anything else a path on
    the site (``absolute_url``); ``//host/x`` takes the site's scheme. Characters a URL cannot hold
    (spaces, non-ASCII) are percent-encoded. None for a URL that is not http(s)."""
    text = value.strip()
    if not text:
        return ""
    if text.startswith("//"):
        text = site_url.split(":", 1)[0] + ":" + text
    if "://" in text:
        scheme, _, rest = text.partition("://")
        if scheme.lower() not in ("http", "https") or not rest or rest[0] in "/?#":
            return None
        return f"{scheme.lower()}://{quote(rest, safe=_IMAGE_SAFE)}"
    if ":" in text.split("/", 1)[0]:  # javascript:x, data:..., mailto:x
        return None
    return site_url + "/" + quote(text.lstrip("/"), safe=_IMAGE_SAFE)


def code_block(code: str, lang: str = "") -> str:
    """A fenced Markdown code block that no line of ``code`` can close: the fence outruns every
    backtick run inside (at least three), on lines of its own with a blank line before."""
    longest = max((len(run) for run in _BACKTICKS.findall(code)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"\n{fence}{lang}\n{code}\n{fence}\n"
