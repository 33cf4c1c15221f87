"""``json.dumps`` as a function made once: the same text, without building an encoder per call.

``json.dumps`` with any argument (``ensure_ascii=False``, ``separators=``, ``sort_keys=``) makes a
new JSONEncoder, and with it a new C encoder, for every value: for the many small values of a
ledger or a manifest (20,000 for 10,000 posts) that is four fifths of the cost. Values here are
plain data (no cycles: the cycle check is off).
"""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any


def dumps_function(ensure_ascii: bool = True, separators: tuple[str, str] = (", ", ": "),
                   sort_keys: bool = False) -> Callable[[Any], str]:
    """A function giving ``json.dumps(value, ensure_ascii=..., separators=..., sort_keys=...)``."""
    plain = json.JSONEncoder(ensure_ascii=ensure_ascii, separators=separators, sort_keys=sort_keys)
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # pragma: no cover - CPython has it
        return plain.encode
    string = json.encoder.encode_basestring_ascii if ensure_ascii else json.encoder.encode_basestring
    encode = make(None, plain.default, string, None, separators[1], separators[0], sort_keys, False, True)
    return lambda value: "".join(encode(value, 0))
