"""The common shape of front matter, read without a YAML parser: ``key: value`` rows at the left
margin, whose values are a plain, '…' or "…" scalar on one line, a ``[a, b]`` list of such
scalars, or ``- item`` rows under an empty ``key:``.

That is what nearly every post holds, and reading it line by line costs a tenth of PyYAML
(whose Python constructor alone is most of a cold build's reading). Anything else, and anything
this reader is not sure YAML reads the same way (a tab, a comment after a value, a '\\' escape, a
key written twice, an anchor, a value on two lines…), gives None: the caller then uses the full
YAML reader, which also says what is wrong with bad input. tests/test_fastyaml.py checks, on
arbitrary text, that whatever this returns is exactly what the full reader returns.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

# Characters whose YAML meaning this reader does not model: tab, line breaks other than LF
# (YAML 1.1 has NEL, LS and PS too), a byte order mark, and the '\' of escapes.
_UNSURE = re.compile("[\t\r\x85\u2028\u2029\ufeff\\\\]")
_ROW = re.compile(r"([A-Za-z_][A-Za-z0-9_.-]*):(?: +(.*))?\Z")  # key: value, at the left margin
_ITEM = re.compile(r"( *)- +(.*)\Z")  # - item, of a list under an empty key:
_NO_PLAIN_START = frozenset("-?:,[]{}#&*!|>'\"%@`<= ")  # YAML indicators, and what to leave to YAML
_NOT_IN_FLOW_ITEM = frozenset(",[]{}:#?'\"")
MAX_KEY = 1000  # libyaml refuses a key longer than 1,024 characters: leave long ones to it

Plain = Callable[[str], Any]  # a plain scalar's text -> its value (the caller's YAML typing)
_NONE = object()  # "not sure": the full reader must decide


def all_printable(text: str) -> bool:
    """Nothing in ``text`` but printable characters and line feeds, told at ``str.isprintable``'s
    speed (a search for a character class costs ~50 instructions a character, and front matter is
    searched three times): then it holds none of what YAML refuses (``yamlload.NOT_YAML``: controls,
    surrogates, U+FFFE and U+FFFF, none of them printable), nor any of ``_UNSURE`` but '\\'.
    posts, yamlload and read_simple ask it of one front matter in turn: the last answer is kept for
    a text of common length (a longer one is not kept: reading keeps nothing long of a post)."""
    return _all_printable_remembered(text) if len(text) <= MAX_PRINTABLE_KEPT else _all_printable(text)


def _all_printable(text: str) -> bool:
    return text.replace("\n", "").isprintable()


MAX_PRINTABLE_KEPT = 4096
_all_printable_remembered = lru_cache(maxsize=1)(_all_printable)


def read_simple(text: str, plain: Plain, rows: dict[str, int] | None = None) -> dict[str, Any] | None:
    """The mapping ``text`` holds when it has the common shape, else None (read it with YAML).

    ``plain`` gives a plain scalar's value (text, a marked timestamp, None), or raises
    LookupError for a plain scalar it leaves to YAML. ``rows``, when the mapping is returned:
    filled with each key's 0-based line in ``text`` (untouched when None is returned)."""
    if ("\\" in text or not all_printable(text)) and _UNSURE.search(text):
        return None
    seen = _seen_of(plain)
    found = _only_rows(text, plain, rows, seen)
    return _by_lines(text, plain, rows, seen) if found is _NONE else found


def _only_rows(text: str, plain: Plain, rows: dict[str, int] | None, seen: Seen | None = None) -> Any:
    """``_by_lines`` of the commonest front matter, cheaper: a line break, then ``key: value`` rows
    alone, each ended by a line break (the rows found by one search, each value read where it is).
    ``_NONE`` for any other text, and wherever this is not sure: ``_by_lines`` then reads it."""
    found = _ROWS.findall(text)
    if len(found) != text.count("\n") - 1 or text[:1] != "\n" or text[-1:] != "\n" or not found:
        return _NONE  # a line that is no such row (a list item, a blank line, a comment...)
    data: dict[str, Any] = {}
    seen = seen or _seen_of(plain)
    known, alone = _keys_of(plain), seen[0]
    try:
        for key, value in found:
            value = value.rstrip(" ")
            if not value or key in data or (key not in known and (len(key) > MAX_KEY or not _plain_key(key, plain))):
                return _NONE
            # a value read before out of a flow list (``layout: post``, a category) is taken as it is:
            # ``_value`` would ask the same memory after two calls (no flow list is ever in it)
            remembered = alone.get(value, _NONE)
            data[key] = _value(value, plain, seen) if remembered is _NONE else remembered
    except LookupError:
        return _NONE
    if rows is not None:
        rows.update(zip(data, range(1, len(found) + 1)))  # every key once: in the order of its row
    return data


_ROWS = re.compile(r"\n([A-Za-z_][A-Za-z0-9_.-]*): +([^\n]*)(?=\n)")  # _ROW's rows with a value, in a text


def _by_lines(text: str, plain: Plain, rows: dict[str, int] | None, seen: Seen | None = None
              ) -> dict[str, Any] | None:
    """read_simple, line by line."""
    seen = seen or _seen_of(plain)
    data: dict[str, Any] = {}
    at: dict[str, int] = {}
    items: list[Any] | None = None  # the list being read under an empty key:
    indent = ""  # its items' indentation
    try:
        for number, line in enumerate(text.split("\n")):
            if not line.strip(" ") or line[0] == "#":
                continue
            row = _ROW.match(line)
            if row is not None:
                key, value = row.group(1), (row.group(2) or "").rstrip(" ")
                if key in data or len(key) > MAX_KEY or not _plain_key(key, plain):
                    return None
                at[key] = number
                if value:
                    data[key], items = _value(value, plain, seen), None
                else:
                    data[key], items, indent = None, [], ""
                continue
            item = _ITEM.match(line)
            if item is None or items is None or (items and item.group(1) != indent):
                return None
            if not items:
                data[next(reversed(data))], indent = items, item.group(1)
            items.append(_value(item.group(2).rstrip(" "), plain, seen))
    except LookupError:
        return None
    if data and rows is not None:
        rows.update(at)
    return data or None


_KEYS_READ: dict[Plain, set[str]] = {}  # keys that ``plain`` gave as themselves: the same few in every post
MAX_KEYS_KEPT = 4096


def _keys_of(plain: Plain) -> set[str]:
    """The keys ``plain`` gave as themselves (``_plain_key``), each at most MAX_KEY long."""
    known = _KEYS_READ.get(plain)
    return _KEYS_READ.setdefault(plain, set()) if known is None else known


def _plain_key(key: str, plain: Plain) -> bool:
    """``plain(key) == key`` (a key YAML reads as that text), asked once per key and reader."""
    known = _keys_of(plain)
    if key in known:
        return True
    if plain(key) != key:
        return False
    if len(known) < MAX_KEYS_KEPT and len(key) <= MAX_KEY:  # (_only_rows asks a known key nothing more)
        known.add(key)
    return True


def _value(text: str, plain: Plain, seen: Seen) -> Any:
    """A one-line value: a scalar or a flow list of scalars; LookupError when not sure."""
    if text[0] == "[" and text[-1] == "]":
        inner = text[1:-1].strip(" ")
        return [_scalar(part.strip(" "), plain, True, seen[1]) for part in inner.split(",")] if inner else []
    return _scalar(text, plain, False, seen[0])


def _scalar(text: str, plain: Plain, flow: bool, seen: dict[str, Any]) -> Any:
    """``_read_scalar``, remembered in ``seen`` (``_SEEN``) for a short text that does not start
    with a digit (not a date: each post has its own), as a site's categories and tags come back
    on post after post. The values are immutable (text, a marked Timestamp, None): shared."""
    value = seen.get(text, _NONE)
    if value is not _NONE:
        return value
    value = _read_scalar(text, plain, flow)  # a LookupError is never remembered
    if len(text) <= MAX_SEEN_TEXT and not text[0].isdigit():
        if len(seen) >= MAX_SEEN:
            seen.clear()
        seen[text] = value
    return value


def _read_scalar(text: str, plain: Plain, flow: bool) -> Any:
    if not text:
        raise LookupError(text)
    if len(text) > 1 and text[0] == text[-1] and text[0] in "'\"" and text[0] not in text[1:-1]:
        if flow and "," in text:
            raise LookupError(text)
        return text[1:-1]
    if text[0] in _NO_PLAIN_START or text[-1] == ":" or ": " in text or " #" in text:
        raise LookupError(text)
    if flow and not _NOT_IN_FLOW_ITEM.isdisjoint(text):
        raise LookupError(text)
    return plain(text)


# Scalars read before, per reader (``plain``): (out of a flow list, in one), each text -> its
# value; emptied when full (a site's own names come back within a few posts)
Seen = tuple[dict[str, Any], dict[str, Any]]
_SEEN: dict[Plain, Seen] = {}
MAX_SEEN, MAX_SEEN_TEXT = 4096, 64


def _seen_of(plain: Plain) -> Seen:
    seen = _SEEN.get(plain)
    return _SEEN.setdefault(plain, ({}, {})) if seen is None else seen
