"""Whether an entry's fragment carries media:* (what a feed file's namespaces depend on), told
from its bytes: whole, with a hint of where its post's content lies, or as the parts it is
written in (``handoff``: the render task's own bytes, told once where they are written)."""
from __future__ import annotations

MEDIA = b"<media:"
Span = tuple[int, int]  # where a post's body lies in a fragment: a hint (``has_image``)


def has_image(fragment: bytes, body: Span | None = None) -> bool:
    """The entry carries media:* (Atom and RSS: markup, since an entry's text holds no raw ``<``;
    a JSON Feed item never holds it, and its frame has no namespaces).

    ``body``: where the post's content (escaped: no ``<``) is said to lie in ``fragment``; when
    no ``<`` is there indeed (one memchr), nothing that starts there can match, and only the
    bytes around it are searched (a tenth of the fragment). Whatever the hint, the answer is
    the same as searching the whole."""
    if body is not None:
        start, end = body
        if 0 <= start <= end and fragment.find(b"<", start, end) < 0:  # (a negative index counts from the end)
            return fragment.find(MEDIA, 0, start + len(MEDIA) - 1) >= 0 or fragment.find(MEDIA, end) >= 0
    return MEDIA in fragment


def parts_have_image(head: bytes, body: bytes, tail: bytes) -> bool:
    """``has_image(head + body + tail)``, without joining them: when the body holds no ``<`` (an
    escaped content) and is long enough that a match begun in the head ends inside it, a match can
    only begin in the head (and end in the body's first bytes) or in the tail."""
    reach = len(MEDIA) - 1
    if len(body) >= reach and body.find(b"<") < 0:
        return MEDIA in tail or MEDIA in head + body[:reach]
    return MEDIA in b"".join((head, body, tail))
