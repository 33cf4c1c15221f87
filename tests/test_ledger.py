"""The id ledger: a post whose URL-made id moves is warned about, or keeps its old id."""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from conftest import Built, read_site
from hypothesis import given
from hypothesis import strategies as st

from feeds.ledger import Row, _row, ledger_file, read_ledger

POST = {"title": "Moving", "date": "2022-03-04 13:23:21 +0800", "categories": ["news"], "tags": ["t"],
        "body": "Body.\n"}
OTHER = {"title": "Staying", "date": "2022-03-01 10:00:00 +0800", "categories": ["news"], "body": "Other.\n"}
OLD_ID = "https://x.test/news/2022/03/04/moving"
NEW_ID = "https://x.test/sport/2022/03/04/moving"
NAME = "2022-03-04-moving.md"


def _site(make_site: Callable[..., Path], post: dict[str, Any] | None = None, name: str = NAME,
          config: dict[str, Any] | None = None) -> Path:
    return make_site({name: post or POST, "2022-03-01-staying.md": OTHER}, config)


def _moved(problems: list[Any]) -> list[Any]:
    return [p for p in problems if "entry id changed" in p.message]


def _ids(built: Built) -> dict[str, set[str]]:
    return {path: {e.id for e in parsed.entries} for path, parsed in built.feeds.items() if hasattr(parsed, "entries")}


def test_moving_a_post_to_another_category_warns_once_with_the_fix(make_site: Callable[..., Path],
                                                                   build_site: Callable[..., Built]) -> None:
    cfg_path = _site(make_site)
    build_site(cfg_path)
    _site(make_site, {**POST, "categories": ["sport"]})
    built = build_site(cfg_path)
    (warning,) = _moved(built.result.problems)
    assert warning.path.endswith(f"_posts/{NAME}") and warning.level == "warning"
    assert f"from {OLD_ID} to {NEW_ID}" in warning.message
    assert f"add 'id: {OLD_ID}' to its front matter" in warning.message and "feeds.keep_ids: true" in warning.message
    assert _moved(build_site(cfg_path).result.problems) == []  # said once: the build published the new id
    # the fix it names: the old id comes back, and that is no new move
    _site(make_site, {**POST, "categories": ["sport"], "id": OLD_ID})
    fixed = build_site(cfg_path)
    assert _moved(fixed.result.problems) == [] and OLD_ID in _ids(fixed)["feed.xml"]


def test_feeds_check_warns_before_the_build(make_site: Callable[..., Path],
                                            build_site: Callable[..., Built]) -> None:
    cfg_path = _site(make_site)
    build_site(cfg_path)
    _site(make_site, {**POST, "date": "2022-03-05 13:23:21 +0800"})  # the date moves the URL too
    _, problems = read_site(cfg_path)
    assert len(_moved(problems)) == 1


def test_keep_ids_keeps_the_old_id_in_every_feed(make_site: Callable[..., Path],
                                                 build_site: Callable[..., Built]) -> None:
    config = {"feeds": {"keep_ids": True, "formats": ["atom", "rss", "json"]}}
    cfg_path = _site(make_site, config=config)
    first = build_site(cfg_path)
    assert OLD_ID in _ids(first)["feed.xml"]
    _site(make_site, {**POST, "categories": ["sport"]}, config=config)
    built = build_site(cfg_path)
    assert _moved(built.result.problems) == []
    ids = _ids(built)
    for path in ("feed.xml", "feed.rss", "feed/sport.xml", "feed/sport.rss", "feed/by_tag/t.xml"):
        assert OLD_ID in ids[path] and NEW_ID not in ids[path], path
    assert OLD_ID in {item["id"] for item in built.feeds["feed.json"]["items"]}
    assert {e.link for e in built.feed("feed/sport.xml").entries} == {NEW_ID + ".html"}  # the URL moves, not the id
    assert OLD_ID not in ids.get("feed/news.xml", set())


def test_a_renamed_file_is_the_same_post(make_site: Callable[..., Path],
                                         build_site: Callable[..., Built]) -> None:
    cfg_path = _site(make_site)
    build_site(cfg_path)
    (cfg_path.parent / "_posts" / NAME).rename(cfg_path.parent / "_posts" / "2022-03-04-moved.md")
    built = build_site(cfg_path)
    (warning,) = _moved(built.result.problems)
    assert warning.path.endswith("2022-03-04-moved.md") and f"renamed from _posts/{NAME}" in warning.message
    rows, _ = read_ledger(ledger_file(_config(cfg_path)))  # type: ignore[arg-type]
    assert f"_posts/{NAME}" not in rows and rows["_posts/2022-03-04-moved.md"].ids[-1].endswith("/moved")
    # under keep_ids, the renamed file keeps the id it was published with
    (cfg_path.parent / "_posts" / "2022-03-04-moved.md").rename(cfg_path.parent / "_posts" / "2022-03-04-third.md")
    kept = build_site(cfg_path, feeds__keep_ids=True)
    assert _moved(kept.result.problems) == [] and "https://x.test/news/2022/03/04/moved" in _ids(kept)["feed.xml"]


def test_an_id_of_the_posts_own_is_never_warned_about_or_replaced(make_site: Callable[..., Path],
                                                                   build_site: Callable[..., Built]) -> None:
    cfg_path = _site(make_site, {**POST, "id": "tag:x.test,2022:one"})
    build_site(cfg_path)
    _site(make_site, {**POST, "id": "tag:x.test,2022:two"})
    built = build_site(cfg_path, feeds__keep_ids=True)
    assert _moved(built.result.problems) == [] and "tag:x.test,2022:two" in _ids(built)["feed.xml"]


def test_a_failed_build_records_nothing(make_site: Callable[..., Path], build_site: Callable[..., Built]) -> None:
    cfg_path = _site(make_site)
    build_site(cfg_path)
    _site(make_site, {**POST, "categories": ["sport"]})
    make_site({"2022-03-02-broken.md": "---\ntitle: [unclosed\n---\n"})
    failed = build_site(cfg_path, errors_ok=True)
    assert failed.result.errors and len(_moved(failed.result.problems)) == 1
    (cfg_path.parent / "_posts" / "2022-03-02-broken.md").unlink()
    assert len(_moved(build_site(cfg_path).result.problems)) == 1  # nothing was published: said again


def test_keep_ids_without_a_cache_says_so(make_site: Callable[..., Path]) -> None:
    _, problems = read_site(_site(make_site, config={"feeds": {"keep_ids": True}, "cache": False}))
    assert any(p.message.startswith("feeds.keep_ids: the ids published are remembered in the cache") for p in problems)


def _config(cfg_path: Path) -> Any:
    from feeds import load_config

    return load_config(cfg_path)


def test_a_damaged_or_forged_ledger_is_input(make_site: Callable[..., Path], build_site: Callable[..., Built]) -> None:
    cfg_path = _site(make_site)
    build_site(cfg_path)
    file = ledger_file(_config(cfg_path))
    assert file is not None
    data = json.loads(file.read_bytes())
    good = data["posts"][f"_posts/{NAME}"]
    data["posts"].update({"_posts/x.md": [good[0], ["not an id"]], "_posts/y.md": [good[0], ['https://a.test/"x']],
                          "_posts/z.md": ["nothex", [OLD_ID]], "/etc/passwd": good, "_posts/w.md": [good[0], []],
                          "_posts/v.md": [good[0], [OLD_ID + "\x08"]], "_posts/u.md": {"digest": good[0]}})
    file.write_text(json.dumps(data))
    _site(make_site, {**POST, "categories": ["sport"]})
    built = build_site(cfg_path)
    damaged = [p for p in built.result.warnings if "id ledger row(s) were damaged or forged" in p.message]
    assert len(damaged) == 1 and damaged[0].message.startswith("7 ")
    assert len(_moved(built.result.problems)) == 1  # the good row still tells
    file.write_bytes(b"\xff{not json")
    unread = build_site(cfg_path)
    assert any("cannot read the id ledger (not JSON)" in p.message for p in unread.result.warnings)
    assert read_ledger(file)[0]  # written anew
    file.write_text(json.dumps({"version": 99, "posts": {}}))
    assert any("is not an id ledger of this version" in p.message for p in build_site(cfg_path).result.warnings)


_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
                     lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
                     max_leaves=12)


@given(st.one_of(st.text(), _JSON), _JSON)
def test_any_row_is_refused_or_safe(key: Any, value: Any) -> None:
    row = _row(key, value)
    assert row is None or (isinstance(row, Row) and all(":" in i and " " not in i and "<" not in i for i in row.ids))


@given(st.text(min_size=1), st.lists(st.text(min_size=1), min_size=1, max_size=3))
def test_any_text_id_is_refused_or_an_iri(key: str, ids: list[str]) -> None:
    row = _row(key, ["0" * 32, ids])
    if row is not None:
        assert all(not any(c.isspace() or c in '<>"' for c in i) and i[0].isascii() for i in row.ids)


# --- cost on big sites: read once a build, written only when something changed ---------------

def test_a_build_parses_the_ledger_once_and_rewrites_it_only_when_it_changed(
        make_site: Callable[..., Path], build_site: Callable[..., Built], monkeypatch: Any) -> None:
    from feeds import ledger

    cfg_path = _site(make_site)
    build_site(cfg_path)
    file = ledger_file(_config(cfg_path))
    assert file is not None and read_ledger(file)[0]
    parsed, written = [], []
    real_read, real_write = ledger._read_ledger, ledger._put
    monkeypatch.setattr(ledger, "_read_ledger", lambda f: parsed.append(f) or real_read(f))
    monkeypatch.setattr(ledger, "_put", lambda f, text: written.append(f) or real_write(f, text))
    before = file.read_bytes()
    build_site(cfg_path)  # nothing changed
    assert len(parsed) <= 1 and written == [] and file.read_bytes() == before
    parsed.clear()
    _site(make_site, {**POST, "categories": ["sport"]})  # the id moves: a new row
    build_site(cfg_path)
    assert len(parsed) <= 1 and written == [file]
    assert NEW_ID in read_ledger(file)[0][f"_posts/{NAME}"].ids


def test_an_edited_ledger_is_read_again(make_site: Callable[..., Path], build_site: Callable[..., Built]) -> None:
    cfg_path = _site(make_site)
    build_site(cfg_path)
    file = ledger_file(_config(cfg_path))
    assert file is not None
    rows, _ = read_ledger(file)
    data = json.loads(file.read_bytes())
    data["posts"][f"_posts/{NAME}"][1] = ["https://x.test/elsewhere"]
    file.write_text(json.dumps(data) + " " * 7)  # another size: another file, whatever its mtime
    again, _ = read_ledger(file)
    assert again[f"_posts/{NAME}"].ids == ("https://x.test/elsewhere",) != rows[f"_posts/{NAME}"].ids


@given(st.one_of(st.text(), st.text(st.sampled_from('ab:+.-1 <>"\t\u00a0\u3000/é'), max_size=12)))
def test_the_iri_check_is_the_pattern(text: str) -> None:
    from feeds.ledger import _IRI, _iri

    assert _iri(text) is (_IRI.match(text) is not None)
