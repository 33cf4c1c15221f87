"""Safe YAML for front matter and config.yaml: the only module that imports PyYAML.

Why not plain ``yaml.safe_load``:
- YAML 1.1 turns ``no`` into False, ``1.10`` into 1.1 and ``2022-03-04`` into a date. Post
  authors mean text, so only ``null`` is resolved implicitly; every other scalar stays the
  text that was written and the stage that reads it decides what it means.
- Duplicate keys are silently merged by PyYAML; here they are an error with a line.
- Aliases can expand a small document into millions of items; a size limit refuses that.
- ``!!python/…`` tags never construct objects (SafeConstructor refuses them); the other
  explicit scalar tags (``!!int``, ``!!timestamp``, ``!!binary``…) give text too, so a value is
  always text, a list, a mapping or None, and never refers to itself.
- Messages say what is wrong in the user's words (a tab, an unclosed quote), at the line where
  the user must look, not PyYAML's parser state, and never ``"<unicode string>"``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from .fastyaml import all_printable, read_simple

try:  # libyaml's scanner and parser, several times faster; same results
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

MAX_NODES = 100_000  # expanded nodes a front matter may hold (aliases counted every time)


@dataclass
class YamlProblem(Exception):
    """A YAML fault with a 1-based line number inside the YAML text."""

    line: int | None
    message: str


_KEPT_RESOLVERS = {"tag:yaml.org,2002:null", "tag:yaml.org,2002:merge", "tag:yaml.org,2002:timestamp"}


class Timestamp(str):
    """An unquoted scalar that YAML reads as a timestamp (``2021-12-08 12:47:49``): still its text,
    but marked, because Jekyll (Ruby's YAML) reads such a value without an offset as UTC, while a
    quoted date, or one YAML does not take for a timestamp (``2021-12-08 12:47``), is parsed in
    the site's time zone. Who reads dates decides what the mark means."""

    __slots__ = ()


class _TextLoader(_BaseLoader):
    """SafeLoader that resolves only null (and merge keys) implicitly; a duplicate key is refused,
    or, when ``duplicates`` is a list, noted there (line, key) and the last value wins (Ruby's YAML,
    hence Jekyll, takes the last)."""

    duplicates: list[tuple[int, str]] | None = None

    yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag in _KEPT_RESOLVERS]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, yaml.MappingNode):
            self.flatten_mapping(node)
            seen: set[Any] = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                if isinstance(key, (list, dict)):
                    raise YamlProblem(key_node.start_mark.line + 1, "a key must be plain text; "
                                      "write key: value")
                if key in seen and self.duplicates is not None:
                    self.duplicates.append((key_node.start_mark.line + 1, str(key)))
                elif key in seen:
                    raise YamlProblem(
                        key_node.start_mark.line + 1,
                        f"duplicate key '{key}'; keep only one",
                    )
                seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def construct_timestamp_text(self, node: Any) -> str:
        """Implicit (unquoted) timestamps keep their text with a mark; ``!!timestamp x``: plain text."""
        value = str(self.construct_scalar(node))
        return Timestamp(value) if node.tag == "tag:yaml.org,2002:timestamp" and not node.style else value

    def construct_as_text(self, node: Any) -> str:
        """``!!int 5``, ``!!timestamp …``: the text as written, like every untagged scalar."""
        return str(self.construct_scalar(node))

    def refuse_tag(self, node: Any) -> None:
        tag = str(node.tag).replace("tag:yaml.org,2002:", "!!")
        raise YamlProblem(node.start_mark.line + 1, f"the YAML tag {tag} is not allowed here (tags "
                          "can create objects); remove the tag and write the value as plain text")


for _tag in ("bool", "int", "float", "binary"):
    _TextLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", _TextLoader.construct_as_text)
_TextLoader.add_constructor("tag:yaml.org,2002:timestamp", _TextLoader.construct_timestamp_text)
for _tag in ("set", "omap", "pairs"):
    _TextLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", _TextLoader.refuse_tag)
_TextLoader.add_constructor(None, _TextLoader.refuse_tag)  # every unknown tag, !!python/... included


_TYPED = {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}


class _TypedLoader(_TextLoader):
    """_TextLoader that also reads unquoted booleans, integers and floats as YAML 1.1 does (as
    Ruby's YAML, hence Jekyll, reads a site's ``_data``: ``false`` is false there, not text)."""

    yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag in _KEPT_RESOLVERS | _TYPED]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        """Keys stay text (``off:`` is the key 'off'), so that a mapping's keys are all of one kind."""
        if isinstance(node, yaml.MappingNode):
            for key_node, _ in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.tag in _TYPED:
                    key_node.tag = "tag:yaml.org,2002:str"
        return super().construct_mapping(node, deep=deep)

    def construct_typed(self, node: Any) -> Any:
        """A boolean or number as its value (a quoted one stays text)."""
        if node.style or not isinstance(node, yaml.ScalarNode):
            return self.construct_as_text(node)
        try:
            return self.yaml_constructors.get(node.tag + "#safe", _TextLoader.construct_as_text)(self, node)
        except (ValueError, yaml.constructor.ConstructorError):
            return self.construct_as_text(node)


for _tag in _TYPED:
    _TypedLoader.add_constructor(_tag, _TypedLoader.construct_typed)
    _TypedLoader.add_constructor(_tag + "#safe", yaml.SafeLoader.yaml_constructors[_tag])

# Characters YAML itself refuses in a stream (PyYAML's Reader.NON_PRINTABLE).
NOT_YAML = re.compile("[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010ffff]")


def first_not_yaml(text: str) -> re.Match[str] | None:
    """The first character of ``text`` that YAML refuses (``NOT_YAML``), if any: a text of printable
    characters and line feeds (nearly every front matter) is told so without the class search."""
    return None if all_printable(text) else NOT_YAML.search(text)


# PyYAML's problem -> (what is wrong; what to do), in the words of someone writing a post.
_EXPLAINED = (
    ("end of stream", "a quoted value is never closed; add the closing quote, or remove the opening one"),
    ("did not find expected key", "this line does not read as 'key: value' (often a \" inside a \"…\" "
     "value); quote such a value with ' instead, doubling any ' inside, e.g. title: 'He said \"hi\"'"),
    ("mapping values are not allowed", "a ': ' inside a value, or a key indented too far; quote the "
     "value, or align the key with the others"),
    ("found undefined alias", "a value starts with '*' (a YAML alias); quote the value"),
    ("unknown escape character", "an unknown \\ escape inside \"…\"; write \\\\ for a backslash, or "
     "quote the value with ' instead"),
    ("expected ',' or ']'", "a '[' list is never closed; add the ']', or quote the value"),
    ("expected ',' or '}'", "a '{' mapping is never closed; add the '}', or quote the value"),
    ("maximum nesting depth", "lists or mappings nest too deeply; flatten them"),
    ("expected '-' indicator", "list items ('- …') and keys are mixed at one level; check the indentation"),
)


def _explain(exc: yaml.MarkedYAMLError, text: str) -> tuple[int | None, str]:
    """(1-based line, message) for a PyYAML error, pointing where the user has to look."""
    problem = exc.problem or ""
    at_start = "end of stream" in problem or "expected ','" in problem  # where the quote/bracket opened
    mark = (exc.context_mark if at_start else None) or exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark is not None else None
    if "cannot start any token" in problem and mark is not None:
        row = text.split("\n")[mark.line] if mark.line < text.count("\n") + 1 else ""
        char = row[mark.column] if mark.column < len(row) else ""
        if char == "\t":
            return line, "a tab character; YAML indents with spaces only; replace the tab with spaces"
        return line, f"a value cannot start with '{char}'; quote the value"
    for needle, message in _EXPLAINED:
        if needle in problem:
            return line, message
    what = " ".join(part for part in (exc.context, problem) if part)
    return line, f"YAML: {what}; check the quoting and indentation of this line"


def _expanded_size(node: Any, memo: dict[int, int], open_: set[int]) -> int:
    """Nodes the document holds once every alias is expanded (memoised per node).

    A node that contains itself (``a: &x [*x]``) is refused: it would be an endless value.
    """
    known = memo.get(id(node))
    if known is not None:
        return known
    if id(node) in open_:
        raise YamlProblem(node.start_mark.line + 1, "an alias refers to the value that contains it; "
                          "write the value out without '&' and '*'")
    open_.add(id(node))
    size = 1
    if isinstance(node, yaml.SequenceNode):
        size += sum(_expanded_size(child, memo, open_) for child in node.value)
    elif isinstance(node, yaml.MappingNode):
        size += sum(_expanded_size(k, memo, open_) + _expanded_size(v, memo, open_) for k, v in node.value)
    open_.discard(id(node))
    memo[id(node)] = size
    return size


def load_text_yaml(text: str, duplicates: list[tuple[int, str]] | None = None, typed: bool = False,
                   rows: dict[str, int] | None = None) -> Any:
    """Parse one YAML document whose scalars stay text (null aside; ``typed``: booleans and
    numbers too, as Jekyll reads data files).

    Raises YamlProblem with the line (1-based, within ``text``) of the fault. With a
    ``duplicates`` list, a repeated key is no fault: the last value wins and (line, key) is noted.
    ``rows``: filled with key -> its 0-based line in ``text`` when the fast reader read it (it
    knows them; left empty otherwise).
    """
    bad = first_not_yaml(text)
    if bad:  # PyYAML would say "<unicode string>, position N"; say where and what instead
        raise _bad_character(text, bad.start())
    simple = None if typed else read_simple(text, _plain_value, rows)  # most front matter: no parser needed
    return simple if simple is not None else load_with_pyyaml(text, duplicates, typed)


def load_with_pyyaml(text: str, duplicates: list[tuple[int, str]] | None = None, typed: bool = False) -> Any:
    """``load_text_yaml`` through PyYAML alone (the reader of every shape; the oracle of the fast one)."""
    bad = NOT_YAML.search(text)
    if bad:
        raise _bad_character(text, bad.start())
    loader = (_TypedLoader if typed else _TextLoader)(text)
    loader.duplicates = duplicates
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if "*" in text and _expanded_size(node, {}, set()) > MAX_NODES:  # no "*", no alias
            raise YamlProblem(
                node.start_mark.line + 1,
                f"the YAML expands to more than {MAX_NODES:,} items (aliases); "
                "write the values out or remove the aliases",
            )
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        raise YamlProblem(*_explain(exc, text)) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(None, f"YAML: {exc}") from None
    except RecursionError:
        raise YamlProblem(None, "YAML nests too deeply; flatten the nested lists") from None
    finally:
        loader.dispose()


_IMPLICIT = _TextLoader.yaml_implicit_resolvers
_NULL, _TIMESTAMP = "tag:yaml.org,2002:null", "tag:yaml.org,2002:timestamp"
# the resolvers tried for a scalar by its first character, joined once (not a list per scalar)
_ANY_START = tuple(_IMPLICIT.get(None, []))
_RESOLVERS = {first: tuple(found) + _ANY_START for first, found in _IMPLICIT.items() if first is not None}


def _plain_value(text: str) -> Any:
    """A one-line plain scalar as _TextLoader reads it (PyYAML's resolve(), for the fast reader):
    None for null, a marked Timestamp, else the text; LookupError for any other tag (a merge key)."""
    if _common_timestamp(text):  # a post's date, nearly always: no need to try the patterns
        return Timestamp(text)
    if _offset_after_time(text):  # the same with an offset YAML's pattern does not take: text
        return text
    for tag, pattern in _RESOLVERS.get(text[0], _ANY_START):
        if pattern.match(text):
            if tag == _NULL:
                return None
            if tag == _TIMESTAMP:
                return Timestamp(text)
            raise LookupError(tag)
    return text


# _common_timestamp's shape, and _offset_after_time's up to its four digits: one anchored match
# costs a third of checking each character and joining the digits to ask isdigit()
_COMMON_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[ Tt][0-9]{2}:[0-9]{2}:[0-9]{2}")
_TIMESTAMP_SIGN = re.compile(_COMMON_TIMESTAMP.pattern + " [+-]")


def _common_timestamp(text: str) -> bool:
    """``2022-03-04 13:23:21`` in ASCII digits: a text YAML's timestamp pattern matches (its
    ``YYYY-M-D`` + spaces or T + ``H:MM:SS`` form), told by one anchored match, not by YAML's pattern."""
    return len(text) == 19 and _COMMON_TIMESTAMP.fullmatch(text) is not None


def _offset_after_time(text: str) -> bool:
    """``2022-03-04 13:23:21 +0800``: a ``_common_timestamp``, a space and a sign, then four digits
    (``isdigit``: other scripts' digits and superscripts too), which YAML's timestamp pattern does
    not take (its offset is ``[-+]H[H][:MM]``, in ASCII), and no other pattern kept here starts
    with a digit: plain text, told by one anchored match, not by YAML's patterns."""
    return len(text) == 25 and text[21:].isdigit() and _TIMESTAMP_SIGN.fullmatch(text, 0, 21) is not None


def _bad_character(text: str, index: int) -> YamlProblem:
    return YamlProblem(text.count("\n", 0, index) + 1, f"a control character (U+{ord(text[index]):04X}) "
                      "that YAML does not allow; delete it")
