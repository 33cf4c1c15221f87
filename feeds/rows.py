"""What a cache row holds, and reading one back as strictly as a post: a row is input (a cache
restored on a CI runner may be anyone's), so each field is checked for the type and the values a
post could give it (``post_from_json``, ``problems_from_rows``, ``rendered_from_json``), and one that
fails raises ``Damaged`` (a miss for the cache, counted in its one warning). Rows are JSON text,
never pickles."""
from __future__ import annotations

import json
import operator
import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from .errors import ERROR, WARNING, Problem
from .posts import Post
from .rendered import Rendered
from .text import describe_forbidden
from .xmlfast import content_from_bytes

ReadResult = tuple[Post | None, list[Problem], int]  # int: posts.USED_SITE_ZONE | READ_AS_UTC


_FIELDS = tuple(Post.__dataclass_fields__)
_LEVELS = frozenset((ERROR, WARNING))
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


class Damaged(ValueError):
    """A cache row that reading or rendering a post could not have written: damaged or forged."""


def post_to_json(post: Post) -> list[Any]:
    """A Post as a JSON array (positional: arrays decode faster than objects, and 100,000 of
    them are decoded on every rebuild of a big site)."""
    data = list(_fields_of(post))
    data[_DATE] = post.date.isoformat()
    data[_UPDATED] = data[_DATE] if post.updated is post.date else post.updated.isoformat()
    return data


def _text(value: Any, empty: bool = True) -> str:
    """Text a post could hold: a string, without what XML 1.0 forbids (the feed writer refuses it)."""
    if type(value) is not str or (not empty and not value) or describe_forbidden(value)[0] >= 0:
        raise Damaged("not text")
    return value


def _date(value: Any) -> datetime:
    """An ISO date that parses, with an offset, and stays a date when said in UTC."""
    if type(value) is not str:
        raise Damaged("a date that is not text")
    when = datetime.fromisoformat(value)
    if when.tzinfo is None:
        raise Damaged("a date without an offset")
    if when.year in (1, 9999):
        when.astimezone(timezone.utc)  # OverflowError at the ends of the calendar
    return when


def _count(value: Any, least: int) -> int:
    if type(value) is not int or value < least:  # type(): True is an int to isinstance
        raise Damaged("not a count")
    return value


def _flag(value: Any) -> bool:
    if type(value) is not bool:
        raise Damaged("not true/false")
    return value


def post_from_json(data: Any, file: str, where: str, digest: str, site_url: str) -> Post:
    """A cached Post, checked field by field as strictly as reading a post checks it: the row is
    about ``file`` (the file being looked up; a path in the cache is never followed), has its
    ``digest``, and holds nothing a post could not produce. Anything else raises Damaged.
    (Hot: 100,000 rows come through here on every rebuild of a big site; hence one pass.)"""
    if type(data) is not list or len(data) != len(_FIELDS):
        raise Damaged("a post row of another shape")
    (path, file_, digest_, title, date, updated, categories, tags, url, entry_id, author, summary, markdown,
     body_start, body_line, lang, excerpt_only, liquid, image) = data
    if path != where or file_ != file or digest_ != digest:
        raise Damaged("a row about another file")
    if type(categories) is not list or type(tags) is not list:
        raise Damaged("names are not a list")
    for name in (*categories, *tags):
        if type(name) is not str or not name or name != name.strip():
            raise Damaged("an empty name, or spaces around one")
    # join() refuses anything but strings (TypeError); one search then covers every text field
    if describe_forbidden("".join((title, url, entry_id, author, summary, lang, image, *categories, *tags)))[0] >= 0:
        raise Damaged("not text")
    if not title or not url.startswith(site_url + "/") or len(url.split()) != 1 or not _SCHEME.match(entry_id):
        raise Damaged("no title, or a URL or id this site cannot have")
    if image and (not image.startswith(("https://", "http://")) or len(image.split()) != 1):
        raise Damaged("an image that is not an absolute URL")
    data[_DATE] = when = _date(date)
    if updated != date:  # usually the same text: parsed and compared only when not
        data[_UPDATED] = _date(updated)
        if data[_UPDATED] < when:
            raise Damaged("updated before the date")
    else:
        data[_UPDATED] = when
    data[_CATS], data[_TAGS] = tuple(categories), tuple(tags)
    _flag(markdown), _count(body_start, 0), _count(body_line, 1), _flag(excerpt_only)
    if type(liquid) is not int or liquid not in (0, 1, 3, 5, 7):  # LIQUID, with LIQUID_POSTS, LIQUID_TIME
        raise Damaged("Liquid flags a post cannot have")
    # a frozen dataclass's __init__ sets each field through object.__setattr__; filling __dict__
    # directly is twice as fast
    post = object.__new__(Post)
    post.__dict__.update(zip(_FIELDS, data))
    return post


# post_from_json checks every field of a Post, in this order: a new field must be checked there too
assert _FIELDS == ("path", "file", "digest", "title", "date", "updated", "categories", "tags", "url", "id",
                   "author", "summary", "markdown", "body_start", "body_line", "lang", "excerpt_only", "liquid",
                   "image")
_DATE, _UPDATED, _CATS, _TAGS = (_FIELDS.index(name) for name in ("date", "updated", "categories", "tags"))
_fields_of = operator.attrgetter(*_FIELDS)  # a Post's fields, in order, in one call


def _an_include(path: Any) -> bool:
    """A Liquid include a post's problem may be about (an error in the include names the include's
    file and line): a file in an ``_includes`` folder, named without ``..``."""
    if type(path) is not str:
        return False
    parts = path.replace("\\", "/").split("/")
    return "_includes" in parts[:-1] and ".." not in parts and "" not in parts[1:]


def problems_from_rows(rows: Any, accept: Callable[[str, str], bool]) -> list[Problem]:
    """Problems stored as ``[path, line, message, level]`` rows, each typed and XML-safe, and
    about a path at a level ``accept(path, level)`` allows where they were stored; else Damaged
    (a ValueError). The cache's rows and the shortcut's record both hold them."""
    if type(rows) is not list:
        raise Damaged("problems are not a list")
    problems = []
    for row in rows:
        if type(row) is not list or len(row) != 4:
            raise Damaged("a problem of another shape")
        path, line, message, level = row
        if not accept(path, level):
            raise Damaged("a problem about another file, or at no level")
        if line is not None:
            _count(line, 0)
        problems.append(Problem(path, line, _text(message, empty=False), level))
    return problems


def problem_text(value: Any) -> bool:
    """Text as ``_text`` takes it: a string XML can carry (``_text`` spells it out: it is hot)."""
    return type(value) is str and describe_forbidden(value)[0] < 0


def problems_from(rows: Any, where: str) -> list[Problem]:
    """Cached problems: each about ``where`` (or an include it uses), at a level there is."""
    return problems_from_rows(rows, lambda path, level: (path == where or _an_include(path)) and level in _LEVELS)


def rendered_from_json(data: Any, body: Any = None) -> Rendered:
    """Cached rendered content: two XML-safe strings, or Damaged. The content is the row's
    ``body`` (``xmlfast.content_bytes``, which it must be: see ``content_from_bytes``) when its
    JSON says null there, else the JSON's text (and there is no body). Whether the HTML is what
    rendering makes is for ``fragment_check`` to say, in the fragment made from it."""
    if type(data) is not list or len(data) != 2:
        raise Damaged("a rendered row of another shape")
    if data[0] is None and type(body) is bytes:
        content = content_from_bytes(body)
        if content is None:
            raise Damaged("a body rendering does not write")
        return Rendered(content, _text(data[1]))
    if body is not None:
        raise Damaged("content twice")
    return Rendered(_text(data[0]), _text(data[1]))


def read_row(result: ReadResult) -> str:
    """What reading a post gave, as its row's text (a post is required): ``json.dumps(...,
    ensure_ascii=False)``'s text, by an encoder made once (dumps makes one per call: a third
    of a row's cost, on every post of a cold build)."""
    post, problems, naive = result
    assert post is not None
    if type(naive) is not int or problems:  # a problem's row: rare, the encoder's
        return row_text([post_to_json(post), said_rows(problems), naive])
    return f"[{_post_text(post)}, [], {naive}]"


_quote = json.encoder.encode_basestring  # the JSON string the row encoder writes (ensure_ascii=False)
_TRUE_FALSE = ("false", "true")


def _post_text(post: Post) -> str:
    """``row_text(post_to_json(post))`` in one format, each text quoted as the encoder quotes it:
    the encoder's generic walk of 19 fields cost more than the fields (tests/test_read8.py holds
    the two equal on arbitrary posts)."""
    q = _quote
    date = iso_text(post.date)  # digits and "-:T+." alone, which the encoder writes as they are: not quoted by it
    updated = date if post.updated is post.date else iso_text(post.updated)
    return (f"[{q(post.path)}, {q(post.file)}, {q(post.digest)}, {q(post.title)}, \"{date}\", \"{updated}\", "
            f"[{', '.join(map(q, post.categories))}], [{', '.join(map(q, post.tags))}], {q(post.url)}, "
            f"{q(post.id)}, {q(post.author)}, {q(post.summary)}, {_TRUE_FALSE[post.markdown]}, "
            f"{post.body_start:d}, {post.body_line:d}, {q(post.lang)}, {_TRUE_FALSE[post.excerpt_only]}, "
            f"{post.liquid:d}, {q(post.image)}]")


_TWO_DIGITS = tuple(f"{n:02d}" for n in range(100))
_OFFSET_TEXT: dict[timedelta | None, str] = {}  # a date's utcoffset -> the end of its isoformat (+08:00)
MAX_OFFSETS = 64  # offsets remembered: a site's posts have a few


def iso_text(when: datetime) -> str:
    """``when.isoformat()``, written from the date's fields and its offset's text (remembered): the
    C isoformat goes through PyUnicode_FromFormat and sprintf, twice (~10,000 instructions: a fifth
    of a read row's); this costs two thirds of that. A date with microseconds, a year before 1000 (no
    four digits to write as they are) or an offset not seen yet is isoformat's own."""
    offset = when.utcoffset()
    tail = _OFFSET_TEXT.get(offset)
    if tail is None or when.microsecond or when.year < 1000:
        text = when.isoformat()
        if offset is not None and not when.microsecond and when.year >= 1000 and len(_OFFSET_TEXT) < MAX_OFFSETS:
            _OFFSET_TEXT[offset] = text[19:]  # after YYYY-MM-DDTHH:MM:SS: +HH:MM, or +HH:MM:SS[.ffffff]
        return text
    two = _TWO_DIGITS
    return f"{when.year}-{two[when.month]}-{two[when.day]}T{two[when.hour]}:{two[when.minute]}:{two[when.second]}{tail}"


def read_row_bytes(result: ReadResult) -> bytes:
    """``read_row`` in UTF-8: what a read worker sends back (the parent stores the bytes as they
    are, where a str was decoded from the pipe and encoded again for sqlite)."""
    return read_row(result).encode()


def _row_encoder() -> Callable[[Any], str]:
    """``json.dumps(value, ensure_ascii=False)`` as one reusable function: the C encoder when
    this Python has one (no check for cycles: a row has none), else JSONEncoder.encode."""
    plain = json.JSONEncoder(ensure_ascii=False)
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # pragma: no cover - CPython has it
        return plain.encode
    encode = make(None, plain.default, json.encoder.encode_basestring, None, ": ", ", ", False, False, True)
    return lambda value: "".join(encode(value, 0))


row_text = _row_encoder()


def read_result(data: Any, path: str, digest: str, site_url: str, cwd: str) -> ReadResult:
    if type(data) is not list or len(data) != 3 or type(path) is not str:
        raise Damaged("a read row of another shape")
    post, problems, naive = data
    # display_path(path) for the absolute, normalised paths of post files, without a getcwd() per row
    where = path[len(cwd):] if path.startswith(cwd) else path
    flags = _count(naive, 0)  # posts.USED_SITE_ZONE | posts.READ_AS_UTC
    if flags > 3:
        raise Damaged("date flags there are not")
    return post_from_json(post, path, where, digest, site_url), problems_from(problems, where), flags


def said_rows(problems: list[Problem]) -> list[list[Any]]:
    return [[p.path, p.line, p.message, p.level] for p in problems]
