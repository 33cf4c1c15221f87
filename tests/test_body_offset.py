"""A post's body is read once to parse the post, and from its byte offset when it is rendered
(issue 10): the render reads only the body, never the front matter again, and never hashes the
file again; what it reads is exactly the body that reading the whole file gives."""
from __future__ import annotations

from collections.abc import Callable
from datetime import timezone
from pathlib import Path
from typing import Any

import pytest
from conftest import unit_config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feeds import pipeline, posts, reading, sources
from feeds.config import load_config
from feeds.posts import NEVER, read_body, read_post, split_front_matter
from feeds.sources import read_source

FM = "---\ntitle: Café 中文 ü\ndate: 2022-03-04 10:00:00 +0800\n---\n"


def body_as_whole_file_reads_it(path: Path) -> str:
    """The body as the whole file, read and split again, gives it (what rendering read before)."""
    text = read_source(path, 1 << 30).text
    assert text is not None
    fm, _ = split_front_matter(text, str(path), as_jekyll_post=True)
    assert fm is not None
    return text[fm.body_start:]


def read_then_body(root: Path, name: str, data: bytes) -> tuple[str, str]:
    path = root / "_posts" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    post, problems, _ = read_post(path, root, unit_config(root), timezone.utc, NEVER)
    assert post is not None, problems
    return read_body(post), body_as_whole_file_reads_it(path)


CASES = {
    "lf": FM + "Body é 中\n\nmore\n",
    "crlf": (FM + "Body é 中\n\nmore\n").replace("\n", "\r\n"),
    "lone cr": (FM + "Body é 中\n\nmore\n").replace("\n", "\r"),
    "mixed": "---\r\ntitle: Ünï\rdate: 2022-03-04\n---\r\n\r\rBody\r\n\n\rend\r",
    "cr at the body's start": FM.replace("\n", "\r\n") + "\rBody\r\n",
    "cr before lf across the end of front matter": "---\ntitle: T\ndate: 2022-03-04\n---\r\r\nBody\n",
    "bom": "\ufeff" + FM + "Body\n",
    "bom and crlf": "\ufeff" + FM.replace("\n", "\r\n") + "Body\r\nend",
    "blank lines before ---": "\n\n" + FM + "Body\n",
    "blank lines after ---": FM + "\n\n\nBody\n",
    "spaces after the closing ---": FM.replace("---\n", "---   \n") + "Body\n",
    "no body": FM.rstrip("\n"),
    "empty body": FM,
    "no front matter (a Jekyll post)": "Body only, é 中\r\nsecond line\n",
    "no front matter, bom": "\ufeffBody only\r\n",
    "toml": "+++\ntitle = \"Tömł 中\"\ndate = 2022-03-04\n+++\r\nBody\r\n",
    "a bom inside the body": FM + "Body \ufeff kept\n",
    "control characters in the front matter": "---\ntitle: A\x01B\ndate: 2022-03-04\n---\nBody\n",
}


@pytest.mark.parametrize("text", CASES.values(), ids=CASES.keys())
def test_the_body_read_from_its_offset_is_the_body(tmp_path: Path, text: str) -> None:
    from_offset, whole = read_then_body(tmp_path, "2022-03-04-case.md", text.encode("utf-8"))
    assert from_offset == whole


def test_a_file_gone_or_changed_to_non_utf8_reads_as_an_empty_body(tmp_path: Path) -> None:
    path = tmp_path / "_posts" / "2022-03-04-x.md"
    path.parent.mkdir(parents=True)
    path.write_text(FM + "Body\n", "utf-8")
    post, _, _ = read_post(path, tmp_path, unit_config(tmp_path), timezone.utc, NEVER)
    assert post is not None
    path.write_bytes(path.read_bytes()[:post.body_start] + b"\xff\xfe")
    assert read_body(post) == ""
    path.unlink()
    assert read_body(post) == ""


PIECES = st.lists(st.sampled_from(["a", "é", "中", "😀", "\n", "\r", "\r\n", " ", "---", "+++", "\ufeff", ":"]),
                  max_size=40).map("".join)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(bom=st.booleans(), eol=st.sampled_from(["\n", "\r\n", "\r"]), title=st.text(
    st.characters(blacklist_categories=("Cs", "Cc")), max_size=20), body=PIECES)
def test_any_body_read_from_its_offset_is_the_body(tmp_path: Path, bom: bool, eol: str, title: str,
                                                    body: str) -> None:
    text = f"---{eol}title: {title!r}{eol}date: 2022-03-04{eol}---{eol}{body}"
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")
    path = tmp_path / "_posts" / "2022-03-04-p.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    post, _, _ = read_post(path, tmp_path, unit_config(tmp_path), timezone.utc, NEVER)
    if post is not None:  # a title YAML refuses: nothing to render
        assert read_body(post) == body_as_whole_file_reads_it(path)


def test_a_build_reads_each_post_file_whole_once(make_site: Callable[..., Path],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading hashes and parses each file; rendering reads only bodies, from their offsets."""
    site = {f"2022-01-{1 + n:02d}-p{n}.md": {"title": f"P {n}", "date": f"2022-01-{1 + n:02d}",
                                              "body": f"Body {n}.\r\n"} for n in range(20)}
    cfg = load_config(make_site(site, {"build": {"jobs": 1}, "feeds": {"limit": 0}}))
    whole: list[str] = []
    bodies: list[str] = []

    def counted(real: Callable[..., Any], seen: list[str]) -> Callable[..., Any]:
        return lambda path, *args: seen.append(str(path)) or real(path, *args)

    monkeypatch.setattr(reading, "read_post_file", counted(sources.read_post_file, whole))
    monkeypatch.setattr(posts, "read_source", counted(sources.read_source, whole))
    monkeypatch.setattr(posts, "read_from_utf8", counted(sources.read_from_utf8, bodies))
    assert not pipeline.build(cfg).errors
    assert sorted(whole) == sorted(set(whole)) and len(whole) == 20
    assert len(bodies) == 20
