"""Names, paths and the output folder: what feeds reads from disk is input, checked like a post.

- post files, folders and the site folder whose names are not UTF-8, and symbolic link loops;
- the output folder holds only feeds and the user's own files: feeds' records (manifest, lock,
  staging) live next to it in ``.public.feeds/``, and an earlier version's records are adopted;
- a record (manifest, COMMIT marker) never makes feeds replace or delete a file it did not write;
- two config files can share one output folder, each owning only its own feeds;
- a build that changes nothing touches nothing.
"""
from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import invoke as run
from conftest import tmpfs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feeds.bookkeeping import (
    COMMIT,
    LEGACY_LOCK,
    LEGACY_MANIFEST,
    LEGACY_STAGING,
    STAGING,
    folder_of,
    manifest_file,
    plain_relative,
    read_manifest,
    read_plan,
)
from feeds.group import slugify
from feeds.output import Output, digest

CONFIG = """site:
  url: https://trust.example.com
  title: Trust
timezone: Asia/Shanghai
output: public
"""
POST = "---\ntitle: {title}\ndate: 2022-03-0{day} 10:00:00 +0800\ncategories: {category}\n---\n<p>{title}</p>\n"
CNAME = b"news.example.com\n"


def write_post(site: Path, name: str, title: str, day: int = 1, category: str = "city") -> None:
    path = site / "_posts" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(POST.format(title=title, day=day, category=category), encoding="utf-8")


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Two posts (categories city and sport) and config.yaml; the current folder."""
    root = tmp_path / "site"
    (root / "_posts").mkdir(parents=True)
    (root / "config.yaml").write_text(CONFIG, encoding="utf-8")
    write_post(root, "2022-03-01-a.md", "A", 1, "city")
    write_post(root, "2022-03-02-b.md", "B", 2, "sport")
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def built(site: Path) -> Path:
    assert run("build").exit_code == 0
    return site


def public(site: Path) -> Path:
    return site / "public"


def files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def stamps(*folders: Path) -> dict[str, tuple[int, int]]:
    """(mtime_ns, inode) of every file and folder, the folders themselves included."""
    found = {}
    for folder in folders:
        for path in [folder, *folder.rglob("*")]:
            st = path.lstat()
            found[str(path)] = (st.st_mtime_ns, st.st_ino)
    return found


def own_manifest(site: Path, owner: str = "config") -> dict[str, list[object]]:
    data = json.loads(manifest_file(folder_of(public(site)), owner).read_text("utf-8"))
    return data["files"]


def bytes_name(text: str) -> str:
    """A file name holding bytes that are not UTF-8, as Python sees it (surrogates)."""
    return os.fsdecode(text.encode("latin-1"))


# --- names that are not UTF-8 ----------------------------------------------------------------

@pytest.mark.parametrize("command", ["build", "check", "list"])
@pytest.mark.parametrize("where", ["file", "folder", "draft"])
def test_a_post_name_that_is_not_utf8_is_an_error_naming_it_escaped(site: Path, command: str, where: str) -> None:
    name = {"file": "_posts/2022-03-05-bad\xff.md", "folder": "_posts/caf\xe9/2022-03-05-x.md",
            "draft": "_drafts/2022-03-05-bad\xfe.md"}[where]
    path = site / bytes_name(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(POST.format(title="Bad", day=5, category="city"), encoding="utf-8")
    result = run(command, "--drafts")
    shown = name.encode("latin-1").decode("utf-8", "backslashreplace")  # _posts/2022-03-05-bad\xff.md
    assert f"{shown}: the file name (or its folder's) is not valid UTF-8" in result.stderr
    assert result.exit_code == 1  # a post missing from every feed is an error, as a body that is not UTF-8 is
    if command == "build":
        assert not public(site).exists()
        assert run("build", "--drafts", "--keep-going").exit_code == 1
        assert (public(site) / "feed" / "sport.xml").is_file()  # the good posts are published


def test_a_posts_glob_match_that_is_not_utf8_is_reported(site: Path) -> None:
    (site / "config.yaml").write_text(CONFIG + "posts: ['notes/*.md']\n", encoding="utf-8")
    (site / "notes").mkdir()
    (site / "notes" / bytes_name("2022-03-05-n\xff.md")).write_text(POST.format(title="N", day=5, category="c"))
    result = run("build")
    assert "notes/2022-03-05-n\\xff.md: the file name (or its folder's) is not valid UTF-8" in result.stderr
    assert result.exit_code == 1


@pytest.mark.parametrize("cwd", ["inside", "outside"])
def test_a_site_folder_path_that_is_not_utf8_is_one_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 cwd: str) -> None:
    root = tmp_path / bytes_name("site\xfd")
    (root / "_posts").mkdir(parents=True)
    (root / "config.yaml").write_text(CONFIG, encoding="utf-8")
    write_post(root, "2022-03-01-a.md", "A")
    monkeypatch.chdir(root if cwd == "inside" else tmp_path)
    for command in ("build", "check", "list"):
        result = run(command, "--config", str(root / "config.yaml"))
        assert result.exit_code == 1
        assert "site\\xfd: the site folder's path is not valid UTF-8" in result.stderr
    assert run("build", "--config", str(root / "config.yaml"), "--keep-going").exit_code == 1  # no traceback


def test_an_output_folder_path_that_is_not_utf8_is_shown_escaped(site: Path) -> None:
    out = site / bytes_name("out\xfc")
    (out / "feed").mkdir(parents=True)
    (out / "feed" / "city.xml").write_text("the site's own")
    result = run("build", "--output", str(out))
    assert result.exit_code == 1
    assert "out\\xfc/feed/city.xml" in result.stderr and "not written by feeds" in result.stderr
    (out / "feed" / "city.xml").unlink()
    assert run("build", "--output", str(out)).exit_code == 0
    assert run("check", "--output", str(out)).exit_code == 0


def test_a_name_that_is_not_utf8_is_printed_with_its_bytes_escaped(tmp_path: Path) -> None:
    """As the issue asks (`bad\\xff.md`), not as Python's surrogates (`bad\\udcff.md`)."""
    from feeds.errors import Problem, display_path

    shown = display_path(tmp_path / bytes_name("2022-03-05-bad\xff.md"))
    assert shown.endswith("/2022-03-05-bad\\xff.md")
    str(Problem(shown, None, "x")).encode("utf-8")
    assert display_path(tmp_path / "中文.md").endswith("/中文.md")  # UTF-8 names stay as they are


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(min_size=1, max_size=12).filter(lambda b: b"/" not in b and b"\x00" not in b))
def test_any_post_file_name_is_read_or_reported(tmp_path: Path, name: bytes) -> None:
    """Whatever bytes a file name holds: no traceback, and every message is printable UTF-8."""
    from feeds import load_config
    from feeds.pipeline import load

    root = Path(os.fsdecode(os.fsencode(tmp_path) + b"/" + digest(name).encode()))
    (root / "_posts").mkdir(parents=True, exist_ok=True)
    (root / "config.yaml").write_text(CONFIG, encoding="utf-8")
    post = root / "_posts" / os.fsdecode(b"2022-03-05-" + name + b".md")
    post.write_text(POST.format(title="T", day=5, category="c"), encoding="utf-8")
    posts, _, problems = load(load_config(str(root / "config.yaml")))
    for problem in problems:
        str(problem).encode("utf-8")
    try:
        name.decode("utf-8")
        assert len(posts) == 1
    except UnicodeDecodeError:
        assert posts == [] and any("not valid UTF-8" in p.message and p.is_error for p in problems)


# --- symbolic link loops -------------------------------------------------------------------

def test_symbolic_link_loops_in_posts_are_warned_and_skipped(site: Path) -> None:
    posts = site / "_posts"
    (posts / "loop").symlink_to("loop")
    (posts / "2022-03-03-a.md").symlink_to("2022-03-03-b.md")
    (posts / "2022-03-03-b.md").symlink_to("2022-03-03-a.md")
    (posts / "2022-03-04-gone.md").symlink_to("nowhere.md")  # dangling: skipped silently, as before
    for command in ("build", "check", "list"):
        result = run(command)
        assert result.exit_code == 0, result.stderr
    result = run("build")
    for name in ("loop", "2022-03-03-a.md", "2022-03-03-b.md"):
        assert f"_posts/{name}: warning: symbolic link that leads back to itself (a loop), skipped" in result.stderr
    assert "2 posts read" in result.stderr


def test_symbolic_link_loop_matched_by_a_posts_glob_is_warned(site: Path) -> None:
    (site / "config.yaml").write_text(CONFIG + "posts: ['notes/*.md']\n", encoding="utf-8")
    (site / "notes").mkdir()
    (site / "notes" / "2022-03-06-x.md").symlink_to("2022-03-06-x.md")
    result = run("build")
    assert result.exit_code == 0
    assert "notes/2022-03-06-x.md: warning: symbolic link that leads back to itself (a loop)" in result.stderr


# --- where the records live ----------------------------------------------------------------

def test_the_output_folder_holds_only_feeds_and_the_records_live_next_to_it(built: Path) -> None:
    assert sorted(files(public(built))) == ["feed.rss", "feed.xml", "feed/city.rss", "feed/city.xml",
                                           "feed/sport.rss", "feed/sport.xml", "feeds.html", "feeds.opml"]
    book = built / ".public.feeds"
    assert sorted(p.name for p in book.iterdir()) == ["config.manifest.json", "lock"]
    assert set(own_manifest(built)) == set(files(public(built)))
    assert run("check").exit_code == 0


def test_a_rebuild_that_changes_nothing_touches_nothing(built: Path) -> None:
    before = stamps(public(built), folder_of(public(built)))
    result = run("build")
    assert result.exit_code == 0 and "0 feeds written" in result.stderr
    assert stamps(public(built), folder_of(public(built))) == before


def test_a_rebuild_after_a_change_rewrites_only_that_and_the_manifest(built: Path) -> None:
    write_post(built, "2022-03-03-c.md", "C", 3, "sport")
    before = stamps(public(built))
    assert run("build").exit_code == 0
    after = stamps(public(built))
    changed = {Path(p).relative_to(public(built)).as_posix() for p in after if after[p] != before.get(p)}
    assert changed == {"feed.xml", "feed.rss", "feed/sport.xml", "feed/sport.rss", "feeds.html",  # its counts
                       "feed", "."}  # + their folders


def test_a_symbolic_link_where_feeds_stages_is_never_followed(built: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    write_post(built, "2022-03-03-c.md", "C", 3, "city")
    (public(built) / LEGACY_STAGING).symlink_to(elsewhere, target_is_directory=True)  # where 0.x staged
    result = run("build")
    assert result.exit_code == 0
    assert "public/.feeds-staging: warning: a symbolic link or a file where feeds stages its files; not followed" \
        in result.stderr
    (folder_of(public(built)) / STAGING).symlink_to(elsewhere, target_is_directory=True)
    write_post(built, "2022-03-04-d.md", "D", 4, "city")
    result = run("build")
    assert result.exit_code == 1
    assert ".public.feeds/staging: is a symbolic link or a file, where this build would stage its files" \
        in result.stderr
    assert list(elsewhere.iterdir()) == []


def test_a_symbolic_link_as_the_records_folder_is_refused(built: Path, tmp_path: Path) -> None:
    book = folder_of(public(built))
    shutil.move(book, tmp_path / "moved")
    book.symlink_to(tmp_path / "moved", target_is_directory=True)
    result = run("build")
    assert result.exit_code == 1
    assert ".public.feeds: is a symbolic link or a file, where feeds keeps its records of public" in result.stderr


@pytest.fixture
def own_mount(tmp_path: Path) -> Iterator[Path]:
    """An output folder that is a filesystem of its own (root only: a tmpfs), unmounted after."""
    with tmpfs(tmp_path / "mounted", "4m") as folder:
        yield folder


def test_an_output_folder_on_its_own_filesystem_stages_inside_it_for_the_build_only(site: Path,
                                                                                    own_mount: Path) -> None:
    assert os.stat(own_mount).st_dev != os.stat(folder_of(own_mount).parent).st_dev
    assert run("build", "--output", str(own_mount)).exit_code == 0
    write_post(site, "2022-03-03-c.md", "C", 3, "news")
    assert run("build", "--output", str(own_mount)).exit_code == 0
    assert "feed/news.xml" in files(own_mount)
    assert not any(p.name.startswith(".feeds") for p in own_mount.iterdir())
    assert (folder_of(own_mount) / "config.manifest.json").is_file()


# --- records are input ---------------------------------------------------------------------

def stage_plan(staging: Path, plan: dict[str, object], staged: dict[str, bytes], manifest: dict[str, object],
               manifest_name: str) -> None:
    for relative, data in staged.items():
        (staging / "files" / relative).parent.mkdir(parents=True, exist_ok=True)
        (staging / "files" / relative).write_bytes(data)
    (staging / manifest_name).write_text(json.dumps({"files": manifest}))
    (staging / COMMIT).write_text(json.dumps(plan))


@pytest.mark.parametrize("layout", ["current", "earlier version"])
def test_a_stray_commit_marker_never_deletes_or_replaces_a_file_feeds_did_not_write(built: Path,
                                                                                   layout: str) -> None:
    out = public(built)
    (out / "CNAME").write_bytes(CNAME)
    (out / "index.html").write_bytes(b"<h1>mine</h1>")
    mine = own_manifest(built)
    if layout == "current":
        staging, plan, name = folder_of(out) / STAGING, {"owner": "config"}, "manifest.json"
    else:
        to_earlier_layout(built)
        staging, plan, name = out / LEGACY_STAGING, {}, LEGACY_MANIFEST
    staging.mkdir()
    plan.update({"written": ["index.html", "../x", 7, "feed/city.xml"], "removed": ["CNAME", "/etc/hostname", None]})
    stage_plan(staging, plan, {"index.html": b"replaced", "feed/city.xml": b"<feed/>"},
               {**mine, "index.html": [digest(b"replaced"), "", 8, 0]}, name)
    with Output(out, "config.yaml") as output:
        pass
    assert (out / "CNAME").read_bytes() == CNAME and (out / "index.html").read_bytes() == b"<h1>mine</h1>"
    assert not staging.exists()
    warned = " ".join(p.message for p in output.problems)
    assert "names 'CNAME', which this build's records do not show as written by feeds" in warned
    assert "names 'index.html'" in warned and "names '../x'" in warned
    assert (out / "feed" / "city.xml").read_bytes() == b"<feed/>"  # a file feeds did write: finished
    result = run("build")
    assert result.exit_code == 0 and (out / "CNAME").read_bytes() == CNAME
    assert b"<feed/>" != (out / "feed" / "city.xml").read_bytes()  # and the next build wrote it again


def test_a_damaged_commit_marker_is_a_clear_error(built: Path) -> None:
    staging = folder_of(public(built)) / STAGING
    staging.mkdir()
    (staging / COMMIT).write_text("{not json")
    result = run("build")
    assert result.exit_code == 1
    assert "cannot finish the build that was interrupted while moving files into place: its record" \
        in result.stderr


@pytest.mark.parametrize("how", ["wrong digest", "right digest, file changed", "symbolic link"])
def test_a_manifest_entry_never_makes_feeds_delete_a_file_it_did_not_write(built: Path, how: str) -> None:
    out = public(built)
    manifest = own_manifest(built)
    if how == "symbolic link":
        (out / "CNAME").symlink_to(out / "feed.xml")
        manifest["CNAME"] = list(manifest["feed.xml"])
    else:
        (out / "CNAME").write_bytes(CNAME)
        manifest["CNAME"] = [digest(b"x" if how == "wrong digest" else CNAME), "", 2, 0]
        if how != "wrong digest":
            (out / "CNAME").write_bytes(CNAME + b"www\n")
    manifest_file(folder_of(out), "config").write_text(json.dumps({"files": manifest}))
    result = run("build")
    assert result.exit_code == 0
    assert "public/CNAME: warning: no feed is written here any more, but this is not the file feeds wrote" \
        in result.stderr
    assert os.path.lexists(out / "CNAME")
    assert "CNAME" not in own_manifest(built)  # and it is not ours any more: said once
    assert "public/CNAME" not in run("build").stderr


def test_a_stale_feed_is_still_deleted_when_it_is_the_file_feeds_wrote(built: Path) -> None:
    (built / "_posts" / "2022-03-02-b.md").unlink()
    result = run("build")
    assert "removed feed/sport.xml (no posts produce it any more)" in result.stderr
    assert not (public(built) / "feed" / "sport.xml").exists()


@pytest.mark.parametrize("entry", [
    ["../outside.txt", None], ["/etc/hostname", None], ["feed/../../x", None], [".feeds.lock", None],
    ["feed.xml", ["short"]], ["feed.xml", [1, "", 2, 3]], ["feed.xml", ["0" * 32, "", -1, 0]],
    ["feed.xml", ["0" * 32, "", True, 0]], ["feed.xml", "text"]])
def test_damaged_manifest_entries_are_dropped_with_a_warning(tmp_path: Path, entry: list[object]) -> None:
    key, value = entry
    good = ["0" * 32, "inputs", 10, 123]
    file = tmp_path / "m.json"
    file.write_text(json.dumps({"files": {"ok.xml": good, key: value if value is not None else good}}))
    problems: list = []
    assert read_manifest(file, problems) == {"ok.xml": good}
    assert len(problems) == 1 and not problems[0].is_error and "ignored" in problems[0].message


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=20), inner,
                                                                                 max_size=4), max_leaves=20))
def test_any_json_in_the_records_is_read_safely(tmp_path: Path, data: object) -> None:
    file = tmp_path / "record.json"
    for wrapped in (data, {"files": data}):
        file.write_text(json.dumps(wrapped))
        found = read_manifest(file, [])
        assert found is None or all(plain_relative(k) and len(v) == 4 for k, v in found.items())
        try:
            plan = read_plan(file)
        except ValueError:
            continue
        assert isinstance(plan["written"], list) and isinstance(plan["removed"], list)


@pytest.mark.parametrize("pattern", [".feeds-manifest.json", ".feeds.lock", ".feeds-staging/feed.xml",
                                     "feed/.feeds-probe.xml"])
def test_a_feed_path_on_feeds_own_record_names_is_refused(site: Path, pattern: str) -> None:
    (site / "config.yaml").write_text(CONFIG + f"feeds:\n  paths:\n    site_atom: {pattern}\n", encoding="utf-8")
    for command in ("build", "check", "list"):
        result = run(command)
        assert result.exit_code == 1
        assert f"feeds.paths.site_atom: {pattern} uses a name starting with .feeds" in result.stderr
    result = run("build", "--keep-going")
    assert result.exit_code == 1 and f"refusing to write '{pattern}'" in result.stderr


# --- two config files, one output folder ---------------------------------------------------

def test_two_config_files_share_an_output_folder(site: Path) -> None:
    (site / "en.yaml").write_text(CONFIG, encoding="utf-8")
    (site / "zh.yaml").write_text(CONFIG + "feeds:\n  paths:\n" + "".join(
        f"    {key}: zh/{path}\n" for key, path in (("site_atom", "feed.xml"), ("site_rss", "feed.rss"),
                                                    ("category_atom", "feed/{slug}.xml"),
                                                    ("category_rss", "feed/{slug}.rss"), ("opml", "feeds.opml"),
                                                    ("index", "feeds.html"))),
        encoding="utf-8")
    for config in ("en.yaml", "zh.yaml", "en.yaml", "zh.yaml"):
        result = run("build", "--config", config)
        assert result.exit_code == 0, result.stderr
        assert "removed" not in result.stderr.replace("0 removed", "")
    names = set(files(public(site)))
    assert {"feed.xml", "feed/city.xml", "zh/feed.xml", "zh/feed/city.xml"} <= names
    assert set(own_manifest(site, "en")) | set(own_manifest(site, "zh")) == names
    assert not set(own_manifest(site, "en")) & set(own_manifest(site, "zh"))
    (site / "_posts" / "2022-03-02-b.md").unlink()  # each config removes only its own stale feeds
    result = run("build", "--config", "zh.yaml")
    assert "removed zh/feed/sport.xml" in result.stderr and (public(site) / "feed" / "sport.xml").exists()
    assert run("check", "--config", "en.yaml").exit_code == 0


def test_a_second_config_writing_the_same_paths_is_refused(site: Path) -> None:
    (site / "en.yaml").write_text(CONFIG, encoding="utf-8")
    (site / "zh.yaml").write_text(CONFIG.replace("title: Trust", "title: 信任"), encoding="utf-8")
    assert run("build", "--config", "en.yaml").exit_code == 0
    before = files(public(site))
    result = run("build", "--config", "zh.yaml")
    assert result.exit_code == 1
    assert "file(s) there belong to the feeds of another config file writing to this folder (en)" in result.stderr
    assert "give each config file its own feeds.paths" in result.stderr
    assert files(public(site)) == before


# --- an output folder from an earlier version ----------------------------------------------

def to_earlier_layout(site: Path) -> None:
    """What versions up to 0.x left: the records inside the output folder."""
    out, book = public(site), folder_of(public(site))
    (out / LEGACY_MANIFEST).write_bytes((book / "config.manifest.json").read_bytes())
    (out / LEGACY_LOCK).touch()
    shutil.rmtree(book)


def test_an_earlier_versions_records_are_adopted_once_then_removed(built: Path) -> None:
    to_earlier_layout(built)
    result = run("check")
    assert "public: warning: holds records of an earlier feeds version (.feeds-manifest.json, .feeds.lock)" \
        in result.stderr
    feeds_before = {k for k in files(public(built)) if not k.startswith(".feeds")}
    (built / "_posts" / "2022-03-02-b.md").unlink()
    result = run("build")
    assert result.exit_code == 0, result.stderr
    assert "removed feed/sport.xml" in result.stderr  # the adopted manifest says whose it is
    assert "0 feeds written" not in result.stderr
    assert not any(p.name.startswith(".feeds") for p in public(built).iterdir())
    assert set(own_manifest(built)) == feeds_before - {"feed/sport.xml", "feed/sport.rss"}
    assert run("check").exit_code == 0


def test_an_earlier_versions_unchanged_feeds_are_not_rewritten(built: Path) -> None:
    to_earlier_layout(built)
    before = {k: v for k, v in stamps(public(built)).items() if ".feeds" not in k and k != str(public(built))}
    result = run("build")
    assert "0 feeds written" in result.stderr
    assert {k: v for k, v in stamps(public(built)).items() if k in before} == before


def test_an_earlier_versions_interrupted_commit_is_finished(built: Path) -> None:
    to_earlier_layout(built)
    out = public(built)
    old = json.loads((out / LEGACY_MANIFEST).read_text())["files"]
    new = {k: v for k, v in old.items() if not k.startswith("feed/sport")}
    new["feed/city.xml"] = [digest(b"<feed>new</feed>"), "x", 16, 0]
    new["feed/news.xml"] = [digest(b"<feed>news</feed>"), "x", 17, 0]
    (out / LEGACY_STAGING).mkdir()
    stage_plan(out / LEGACY_STAGING, {"written": ["feed/city.xml", "feed/news.xml"],
                                      "removed": ["feed/sport.xml", "feed/sport.rss"]},
               {"feed/city.xml": b"<feed>new</feed>", "feed/news.xml": b"<feed>news</feed>"}, new, LEGACY_MANIFEST)
    with Output(out, "config.yaml") as output:
        pass
    assert output.problems == []
    assert (out / "feed" / "city.xml").read_bytes() == b"<feed>new</feed>"
    assert (out / "feed" / "news.xml").read_bytes() == b"<feed>news</feed>"
    assert not (out / "feed" / "sport.xml").exists()
    assert not any(p.name.startswith(".feeds") for p in out.iterdir())
    assert set(own_manifest(built)) == set(new)


# --- Windows device names ------------------------------------------------------------------

@pytest.mark.parametrize(("name", "slug"), [
    ("COM¹", "com¹-"), ("lpt²", "lpt²-"), ("COM³", "com³-"), ("Lpt³", "lpt³-"), ("com0", "com0-"),
    ("CON", "con-"), ("nul", "nul-"), ("aux-", "aux-"),
    # neighbours: a dot becomes '-', so "con.txt" is no device name; nor is one followed by more
    ("con.txt", "con-txt"), ("COM¹.txt", "com¹-txt"), ("com⁴", "com⁴"), ("com10", "com10"), ("lpt²x", "lpt²x")])
def test_windows_device_names_get_a_dash(name: str, slug: str) -> None:
    assert slugify(name) == slug
