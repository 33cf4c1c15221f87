"""The id ledger: every entry id published, per post file, so that an id that moves is noticed.

Readers know a post by its entry id. An id made from the post's URL (``feeds.entry_id``) moves
when the post's category, date or slug changes, and readers then show the post twice. The ledger
(``<cache.path>/<config name>.ids.json``) remembers, for each post file (its path relative to the
config's folder), the hash of its bytes and the ids published for it. Each build compares:

- a post whose URL-made id is not one it was published with gets a warning naming the file, the
  old id and the setting that pins it (``id: <old id>`` in its front matter);
- under ``feeds.keep_ids`` it keeps publishing the id it was last published with instead;
- a file renamed without an edit (a new path, the same bytes as a file that is gone) is the same
  post: its ledger row follows it (a renamed and edited file is a new post);
- an id of the post's own (``id:``/``guid:`` that is not its URL's) is the author's choice: never
  warned about, never replaced.

The ledger is recorded after a build that wrote the output (an id first seen is then published),
and, unlike the rest of the cache, survives an upgrade of feeds: it is history, not work that can
be redone. It is read back as untrusted input: every row is checked (types, a relative path, a
hash, ids that are absolute IRIs XML can carry); one that fails is ignored and counted in one
warning.
"""
from __future__ import annotations

import json
import os
import posixpath
import re
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .config import Config
from .errors import WARNING, Problem, display_path, is_plain_absolute
from .jsontext import dumps_function
from .posts import Post
from .text import describe_forbidden

VERSION = 1
MAX_IDS = 20  # ids remembered per post: the newest
SHOWN = 20  # posts named one by one in a build's warnings; the rest are counted
MAX_ID_LENGTH = 4096
_IRI = re.compile(r'[A-Za-z][A-Za-z0-9+.-]*:[^\s<>"]+\Z')
_DIGEST = re.compile(r"[0-9a-f]{32}\Z")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


@dataclass(frozen=True)
class Row:
    digest: str  # the hash of the file's bytes when it was last published
    ids: tuple[str, ...]  # every id published for it, oldest first


def ledger_file(cfg: Config) -> Path | None:
    """Beside the cache of the same config (``cache.path``); None without a cache."""
    return cfg.cache / f"{Path(cfg.file).stem or 'cache'}.ids.json" if cfg.cache is not None else None


def watch_ids(cfg: Config, posts: list[Post]) -> tuple[list[Post], list[Problem]]:
    """The posts, each with the id it keeps (``feeds.keep_ids``), and a warning for every post
    whose URL-made id moved since it was published."""
    file = ledger_file(cfg)
    if file is None:
        return posts, [Problem(cfg.file, None, "feeds.keep_ids: the ids published are remembered in the cache, and "
                               "cache.path is off; set cache.path (ids are not kept meanwhile)", WARNING)
                       ] if cfg.feeds.keep_ids else []
    rows, problems = read_ledger(file)
    if not rows:
        return posts, problems
    previous = _previous(rows, posts, _keys(cfg, posts))
    kept, moved = [], []
    for post in posts:
        row, renamed = previous.get(post.path, (None, ""))
        if row is None or post.id in row.ids or not _made_from_url(cfg, post):
            kept.append(post)
        elif cfg.feeds.keep_ids:
            kept.append(replace(post, id=row.ids[-1]))
        else:
            kept.append(post)
            moved.append((post, row.ids[-1], renamed))
    return kept, problems + _warnings(cfg, moved)


def record_ids(cfg: Config, posts: list[Post]) -> None:
    """Remember the ids these posts were published with (after a build that wrote them)."""
    write_ledger(ledger_update(cfg, posts))


def write_ledger(update: tuple[Path, bytes] | None) -> None:
    """Put ``ledger_update``'s answer in place (None: nothing changed)."""
    if update is not None:
        _put(*update)


def ledger_update(cfg: Config, posts: list[Post]) -> tuple[Path, bytes] | None:
    """The ledger file and its text once it remembers these posts' ids; None when it would not
    change (or there is no cache). Writes nothing: it may be made beside the build (``aside``)."""
    file = ledger_file(cfg)
    if file is None:
        return None
    read, said = read_ledger(file)  # what it said was said when the build read it
    rows = dict(read)
    keys = _keys(cfg, posts)
    previous = _previous(rows, posts, keys)
    for post in posts:
        row, renamed = previous.get(post.path, (None, ""))
        ids = row.ids if row is not None else ()
        if renamed:
            rows.pop(renamed, None)
        if row is None or row.digest != post.digest or row.ids[-1] != post.id or renamed:
            rows[keys[post.path]] = Row(post.digest, (*(i for i in ids if i != post.id), post.id)[-MAX_IDS:])
    if rows != read or said:  # a file read whole and unchanged is not written again
        return file, _text(rows)
    return None


def _keys(cfg: Config, posts: list[Post]) -> dict[str, str]:
    """post.path -> the post file as the ledger names it: relative to the config's folder,
    '/'-separated, so that a checkout elsewhere (a CI runner's) finds the same rows."""
    root = str(cfg.root)
    prefix = root if root.endswith(os.sep) else root + os.sep
    return {post.path: _key(root, prefix, post.file) for post in posts}


def _key(root: str, prefix: str, file: str) -> str:
    # the files found under the config's folder are absolute and normal: the key is the rest of
    # the name (os.path.relpath and pathlib cost 100 us a post; 10,000 posts, twice a build)
    if is_plain_absolute(file) and "/.." not in file and file.startswith(prefix):
        return file[len(prefix):]
    return posixpath.normpath(Path(os.path.relpath(file, root)).as_posix())


def _previous(rows: dict[str, Row], posts: list[Post], keys: dict[str, str]) -> dict[str, tuple[Row, str]]:
    """post.path -> (its ledger row, the old key when the file was renamed, else "")."""
    present = set(keys.values())
    gone: dict[str, list[str]] = {}
    for key, row in rows.items():
        if key not in present:
            gone.setdefault(row.digest, []).append(key)
    found: dict[str, tuple[Row, str]] = {}
    for post in posts:
        key = keys[post.path]
        if key in rows:
            found[post.path] = (rows[key], "")
        elif len(gone.get(post.digest, ())) == 1:  # one file with these bytes is gone: renamed
            old = gone.pop(post.digest)[0]
            found[post.path] = (rows[old], old)
    return found


def _made_from_url(cfg: Config, post: Post) -> bool:
    """The id is the one feeds makes from the post's URL (``feeds.entry_id``), not one the post
    gives itself: the URL itself, or jekyll-feed's (the URL's folder and the slug)."""
    if post.id == post.url:
        return True
    folder = posixpath.dirname(post.url.rstrip("/"))
    rest = post.id.removeprefix(folder + "/")
    return cfg.feeds.entry_id == "jekyll" and rest != post.id and bool(rest) and "/" not in rest


def _warnings(cfg: Config, moved: list[tuple[Post, str, str]]) -> list[Problem]:
    said = []
    for post, old, renamed in moved[:SHOWN]:
        was = f" (renamed from {renamed})" if renamed else ""
        said.append(Problem(post.path, None, f"entry id changed from {old} to {post.id}{was}: its URL moved (category, "
                            "date or slug), so readers will show the post twice; add 'id: " + old + "' to its front "
                            "matter to keep the old id, or set feeds.keep_ids: true", WARNING))
    if len(moved) > SHOWN:
        said.append(Problem(cfg.file, None, f"and {len(moved) - SHOWN} more post(s) whose entry ids changed; did "
                            "site.url, permalink or feeds.entry_id change? Set feeds.keep_ids: true to keep every "
                            "published id", WARNING))
    return said


# --- the file: JSON, read back as untrusted input ------------------------------------------

_LAST: list[tuple[tuple[str, int, int, int], dict[str, Row], list[Problem]]] = []  # the last file read, by identity


def read_ledger(file: Path) -> tuple[dict[str, Row], list[Problem]]:
    """The rows that pass every check, and one warning when some did not (or the file is not one).

    A build reads the ledger twice (``watch_ids``, then ``record_ids``): the second time, a file
    with the same inode, size and modification time is the same bytes, and gets the same answer
    (a copy) without being parsed and checked again (100,000 rows: seconds)."""
    try:
        st = os.stat(file)
    except OSError:
        st = None
    seen = (str(file), st.st_ino, st.st_size, st.st_mtime_ns) if st is not None else None
    if seen is not None and _LAST and _LAST[0][0] == seen:
        return dict(_LAST[0][1]), list(_LAST[0][2])
    rows, problems = _read_ledger(file)
    _LAST[:] = [(seen, dict(rows), list(problems))] if seen is not None else []
    return rows, problems


def _read_ledger(file: Path) -> tuple[dict[str, Row], list[Problem]]:
    try:
        data = json.loads(file.read_bytes())
    except (FileNotFoundError, NotADirectoryError):  # none yet, or no cache folder (the cache goes without too)
        return {}, []
    except (OSError, ValueError, RecursionError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not JSON"
        return {}, [_damaged(file, f"cannot read the id ledger ({reason}); ids are not compared in this build "
                             "and the ledger is written anew")]
    if type(data) is not dict or data.get("version") != VERSION or type(data.get("posts")) is not dict:
        return {}, [_damaged(file, "is not an id ledger of this version; ids are not compared in this build and "
                             "the ledger is written anew")]
    rows, bad = {}, 0
    for key, value in data["posts"].items():
        row = _row(key, value)
        if row is None:
            bad += 1
        else:
            rows[key] = row
    return rows, [_damaged(file, f"{bad} id ledger row(s) were damaged or forged and were ignored; nothing to do "
                           "(those posts' ids are not compared), or delete the file")] if bad else []


def _row(key: Any, value: Any) -> Row | None:
    if (type(key) is not str or not key or len(key) > MAX_ID_LENGTH or key.startswith("/")
            or not _xml_text(key) or "\0" in key):
        return None
    if type(value) is not list or len(value) != 2:
        return None
    digest, ids = value
    if type(digest) is not str or not _DIGEST.match(digest) or type(ids) is not list or not 1 <= len(ids) <= MAX_IDS:
        return None
    if not all(type(i) is str and len(i) <= MAX_ID_LENGTH and _iri(i) and _xml_text(i) for i in ids):
        return None
    return Row(digest, tuple(ids))


def _iri(text: str) -> bool:
    """``_IRI``'s answer; for printable ASCII (nearly every id) from a scheme match and four
    substring tests: ASCII's whitespace but the space is unprintable (a third of the regex's cost)."""
    if not (text.isascii() and text.isprintable()):
        return _IRI.match(text) is not None
    scheme = _SCHEME.match(text)
    return (scheme is not None and scheme.end() < len(text)
            and " " not in text and "<" not in text and ">" not in text and '"' not in text)


def _xml_text(text: str) -> bool:
    """Nothing XML forbids in it: ``isprintable`` answers for nearly every path and id at once
    (it is false for every character ``describe_forbidden`` names), the search for the rest."""
    return text.isprintable() or describe_forbidden(text)[0] < 0


def _damaged(file: Path, message: str) -> Problem:
    return Problem(display_path(file), None, message, WARNING)


_KEY_TEXT, _ROW_TEXT = dumps_function(), dumps_function(separators=(",", ":"))  # json.dumps, made once


def _write(file: Path, rows: dict[str, Row]) -> None:
    _put(file, _text(rows))


def _text(rows: dict[str, Row]) -> bytes:
    # one post a line, each dumped by the C encoder (indent= would take the pure-Python one);
    # ASCII: any path, any id
    lines = ",\n".join(f"{_KEY_TEXT(key)}:{_ROW_TEXT([row.digest, row.ids])}" for key, row in sorted(rows.items()))
    return f'{{"version":{VERSION},"posts":{{\n{lines}\n}}}}\n'.encode()


def _put(file: Path, text: bytes) -> None:
    """Atomically, and only when something changed; a cache folder that cannot be written (the
    cache then works in a scratch folder, silently) leaves the ledger as it was."""
    try:
        if file.is_file() and file.read_bytes() == text:
            return
        file.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=file.parent, prefix=f".{file.name}.")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(text)
            os.replace(temp, file)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    except OSError:
        pass  # as with the rest of the cache, an unwritable folder costs the memory, never the build
