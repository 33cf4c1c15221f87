"""The fast front matter reader (feeds/fastyaml.py) against the full YAML reader it stands in for:
on any text, load_text_yaml (which tries the fast reader first) gives exactly what PyYAML's path
gives, value types (a marked Timestamp, None) and problems included."""
from __future__ import annotations

from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from feeds import yamlload
from feeds.fastyaml import read_simple
from feeds.yamlload import YamlProblem, load_text_yaml, load_with_pyyaml


def typed(value: Any) -> Any:
    """The value with every type spelt out (a Timestamp is not a str here, a tuple not a list)."""
    if isinstance(value, dict):
        return ("dict", tuple((typed(k), typed(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("list", tuple(typed(v) for v in value))
    return (type(value).__name__, value)


def outcome(load: Any, text: str) -> Any:
    repeated: list[tuple[int, str]] = []
    try:
        return "ok", typed(load(text, repeated)), repeated
    except YamlProblem as exc:
        return "problem", exc.line, exc.message


def same_as_pyyaml(text: str) -> None:
    assert outcome(load_text_yaml, text) == outcome(load_with_pyyaml, text)
    strict = []  # no duplicates list: a repeated key is an error
    for load in (load_text_yaml, load_with_pyyaml):
        try:
            strict.append(("ok", typed(load(text))))
        except YamlProblem as exc:
            strict.append(("problem", exc.line, exc.message))
    assert strict[0] == strict[1]


RISKY = list("ab Z1-:#'\"[]{},?*&!|>%@`<=~\\\t.\u00a0\u2028\x85\ufeff中\r")
KEYS = st.one_of(st.sampled_from(["title", "date", "tags", "null", "Null", "NULL", "~", "a.b", "x-y", "_k",
                                  "title ", " title", "2020-01-01", "<<", "y", "on", "k" * 1030, "é", "a b",
                                  "-a", "?a", ""]),
                 st.text(st.sampled_from(RISKY), max_size=6))
VALUES = st.one_of(
    st.sampled_from(["", "null", "~", "Null", "nULL", "2019-01-01", "2019-01-01 02:30:34", "2019-1-1",
                     "2001-12-14t21:59:43.10-05:00", "2019-01-01 02:30", "<<", "'a''b'", '"a\\"b"', '"a\\tb"',
                     "[a, b]", "[]", "[ ]", "[a, [b]]", "[a,]", "[a,,b]", "[a b, c]", "[a:b]", "[a, 'b,c']",
                     "['a', \"b\"]", "[null, ~, 2019-01-01]", "-1", "-", "- a", ":a", "?a", "a: b", "a:", "a #c",
                     "a#c", "|", ">", "|-", "&x a", "*x", "!!str a", "!x a", "{a: b}", "'x'", '"x"', "''", '""',
                     "'", '"', "a 'b' \"c\"", "yes", "1.10", "0x1F", "=", "%x", "@x", "`x", "a\tb", "…",
                     "中文 标题", "a  b", "a ", "[a, b] ", "[a, b] # c", '"a #b"', "'a: b'", "a, b [c] {d}"]),
    st.text(st.sampled_from(RISKY), max_size=10),
)
LINES = st.one_of(
    st.builds(lambda k, sep, v: k + sep + v, KEYS, st.sampled_from([": ", ":", ":  ", ": \t", " : ", ":\t"]), VALUES),
    st.builds(lambda ind, v: ind + "-" + v, st.sampled_from(["", " ", "  ", "    "]),
              st.builds(lambda sp, v: sp + v, st.sampled_from([" ", "  ", ""]), VALUES)),
    st.sampled_from(["", "  ", "# a comment", "  # indented", "---", "...", "%YAML 1.1", "  key: v", "  v",
                     "a: &x v", "b: *x", "- - a"]),
)
DOCUMENTS = st.builds(lambda lead, rows, tail: lead + "\n".join(rows) + tail, st.sampled_from(["\n", "", " \n"]),
                      st.lists(LINES, max_size=8), st.sampled_from(["\n", "", "\n\n", "  "]))

# Near the common shape, so that most examples do take the fast reader: a character or two away from
# what it must leave to YAML
MILD = st.sampled_from(list("abc xyz09中é") * 6 + list("-.:#'\"[],?*&!|>%@`<~\u00a0"))
NEAR_VALUES = st.one_of(
    st.sampled_from(["null", "~", "2019-01-01", "2019-01-01 02:30:34", "''", '""', "[]", "<<", "a", "y"]),
    st.text(MILD, min_size=1, max_size=12),
    st.builds(lambda q, v: q + v + q, st.sampled_from(["'", '"']), st.text(MILD, max_size=8)),
    st.builds(lambda items: "[" + ", ".join(items) + "]", st.lists(st.text(MILD, min_size=1, max_size=6), max_size=4)),
)


def _row(key: str, value: str | tuple[str, list[str]]) -> str:
    if isinstance(value, str):
        return f"{key}: {value}"
    indent, items = value
    return f"{key}:" + "".join(f"\n{indent}- {item}" for item in items)


NEAR_DOCUMENTS = st.builds(
    lambda rows: "\n" + "\n".join(_row(*row) for row in rows) + "\n",
    st.lists(st.tuples(st.from_regex(r"[a-z_][a-z0-9_.-]{0,8}", fullmatch=True),
                       st.one_of(NEAR_VALUES, st.tuples(st.sampled_from(["", "  "]),
                                                        st.lists(NEAR_VALUES, max_size=3)))),
             min_size=1, max_size=6, unique_by=lambda row: row[0]))


@given(NEAR_DOCUMENTS)
def test_common_shapes_read_as_pyyaml_reads_them(text: str) -> None:
    same_as_pyyaml(text)


@given(DOCUMENTS)
@example("\ntitle: x\ntitle: y\n")
@example("\ntags:\n- a\n  - b\n")
@example("\ntags:\n  - a\n  - b\nc: d\n")
@example("\na: <<\n")
@example("\ntags: [a, null, 2019-01-01]\n")
@example("\n" + "k" * 1030 + ": v\n")
def test_front_matter_reads_as_pyyaml_reads_it(text: str) -> None:
    same_as_pyyaml(text)


@given(st.text(max_size=80))
def test_any_text_reads_as_pyyaml_reads_it(text: str) -> None:
    same_as_pyyaml(text)


def test_the_common_shape_needs_no_yaml_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shape of the bench corpus (and most posts) never reaches PyYAML."""
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("PyYAML was used")

    monkeypatch.setattr(yamlload, "load_with_pyyaml", refuse)
    text = ('\nlayout: post\ntitle: "扎实新闻现场新征程 降低学生"\ndate: 2019-01-01 02:30:34\n'
            "categories: zhongguoyouzhengkuaidibao huojiquandi\ntags: [成都理论互联网动态, 南京苏州报道]\n"
            "author: 'Jane Doe'\ndescription:\nlist:\n  - one\n  - 2\n# a comment\n")
    data = load_text_yaml(text)
    assert data == {"layout": "post", "title": "扎实新闻现场新征程 降低学生", "date": "2019-01-01 02:30:34",
                    "categories": "zhongguoyouzhengkuaidibao huojiquandi",
                    "tags": ["成都理论互联网动态", "南京苏州报道"],
                    "author": "Jane Doe", "description": None, "list": ["one", "2"]}
    assert type(data["date"]) is yamlload.Timestamp


@pytest.mark.parametrize("text", ["\ntitle: x\ntitle: y\n", "\ntitle: a #b\n", "\nt: |\n  x\n", "\na: 'it''s'\n",
                                  "\na: x\n  y\n", "\na:\n  b: c\n", "\n", "\n# only\n", "\na: \\x\n"])
def test_what_the_fast_reader_leaves_to_yaml(text: str) -> None:
    assert read_simple(text, yamlload._plain_value) is None
    same_as_pyyaml(text)


# --- scalars remembered (fastyaml._SEEN): a site's names come back post after post ----------------

@pytest.mark.parametrize("first, then", [
    ("\nk: a{b\n", "\nk: [a{b]\n"),  # a plain text out of a flow list, an error in one
    ("\nk: a}\n", "\nk: [a}]\n"),
    ("\nk: a]b\n", "\nk: [a]b]\n"),
    ("\nk: a:b\n", "\nk: [a:b]\n"),
    ("\nk: 'a,b'\n", "\nk: ['a,b']\n"),
    ("\nk: [x]\n", "\nk: x\n"),
])
def test_a_scalar_remembered_out_of_a_flow_list_is_read_again_in_one(first: str, then: str) -> None:
    """What a text is depends on where it stands: remembered apart in and out of a flow list."""
    for text in (first, then, first, then):
        same_as_pyyaml(text)


def test_remembered_scalars_are_what_reading_them_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    """A second post with the same names reads them from memory: the same values, of the same types,
    and a memory that fills up is emptied, not grown."""
    from feeds import fastyaml

    monkeypatch.setattr(fastyaml, "_SEEN", {})
    monkeypatch.setattr(fastyaml, "MAX_SEEN", 3)
    text = ("\ntitle: \"一 二\"\ncategories: a b\ntags: [成都, 'x y', null, ~, b]\nk: ~\nd: 2019-01-01\n"
            "e: 2019-01-01 02:30:34\n")
    first = typed(read_simple(text, yamlload._plain_value))
    assert fastyaml._SEEN  # something was remembered
    for _ in range(3):
        assert typed(read_simple(text, yamlload._plain_value)) == first == typed(load_with_pyyaml(text))
    assert all(len(seen) <= 3 for pair in fastyaml._SEEN.values() for seen in pair)


def test_a_scalar_is_remembered_and_not_read_again(monkeypatch: pytest.MonkeyPatch) -> None:
    from feeds import fastyaml

    monkeypatch.setattr(fastyaml, "_SEEN", {})
    asked: list[str] = []

    def plain(text: str) -> Any:
        asked.append(text)
        return yamlload._plain_value(text)
    text = "\ncategories: a b\ntags: [x, y]\ndate: 2019-01-01 02:30:34\n"
    assert read_simple(text, plain) == read_simple(text, plain)
    values = [text for text in asked if text not in ("categories", "tags", "date")]  # keys: _plain_key's
    assert sorted(values) == ["2019-01-01 02:30:34"] * 2 + ["a b", "x", "y"]  # a date is not remembered
