"""A finished build ends the process without tearing its memory down (feeds/teardown.py), and
loses nothing by it: what it prints is all there, even into a pipe, with the same exit code; any
other command, or a build that left something running, exits as Python does."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
# the command's first lines, with an exit handler that says whether Python's teardown ran
PROGRAM = """
import atexit, sys
atexit.register(lambda: sys.stderr.write("TEARDOWN RAN\\n"))
{extra}
sys.argv = ["feeds", *sys.argv[1:]]
from feeds.entry import main
main()
"""


def _feeds(cwd: Path, *args: str, extra: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", PROGRAM.format(extra=extra), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def _site(make_site: Callable[..., Path], bad: bool = False) -> Path:
    posts = {f"2022-03-0{i}-post-{i}.md": {"title": f"Post {i}", "categories": ["news"]} for i in range(1, 4)}
    if bad:
        posts["2022-03-05-bad.md"] = "---\ntitle: [unclosed\n---\nBody.\n"
    return make_site(posts).parent


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_finished_build_skips_the_teardown_and_its_output_is_whole(make_site: Callable[..., Path],
                                                                     jobs: str) -> None:
    root = _site(make_site)
    done = _feeds(root, "build", "--json", "-j", jobs)
    assert done.returncode == 0, done.stderr
    assert "TEARDOWN RAN" not in done.stderr
    assert "3 posts read" in done.stderr  # the summary, the last line, reached the pipe
    document = json.loads(done.stdout)  # stdout is a pipe (block-buffered): flushed before the end
    assert document["exit_code"] == 0 and document["posts"] == 3
    assert (root / "public" / "feed.xml").is_file()
    assert not list(root.glob("public/.*staging*")) and not list(root.glob(".public.feeds/*staging*"))


def test_a_build_with_errors_keeps_its_exit_code(make_site: Callable[..., Path]) -> None:
    root = _site(make_site, bad=True)
    done = _feeds(root, "build", "--json")
    assert done.returncode == 1, done.stderr
    assert "TEARDOWN RAN" not in done.stderr
    assert json.loads(done.stdout)["exit_code"] == 1
    assert "nothing was written" in done.stderr


def test_other_commands_exit_as_python_does(make_site: Callable[..., Path]) -> None:
    root = _site(make_site)
    done = _feeds(root, "check")
    assert done.returncode == 0, done.stderr
    assert "TEARDOWN RAN" in done.stderr


def test_a_build_that_left_a_thread_running_exits_as_python_does(make_site: Callable[..., Path]) -> None:
    root = _site(make_site)
    extra = "import threading; threading.Thread(target=threading.Event().wait, daemon=True).start()"  # never ends
    done = _feeds(root, "build", extra=extra)
    assert done.returncode == 0, done.stderr
    assert "TEARDOWN RAN" in done.stderr


def test_a_build_that_left_a_finalizer_exits_as_python_does(make_site: Callable[..., Path]) -> None:
    root = _site(make_site)
    extra = "import tempfile; kept = tempfile.TemporaryDirectory()"  # cleaned up by its finalizer at exit
    done = _feeds(root, "build", extra=extra)
    assert done.returncode == 0, done.stderr
    assert "TEARDOWN RAN" in done.stderr


def test_what_a_build_made_outlives_it_only_where_the_process_ends_after_the_build(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """``outlive`` keeps objects only in the `feeds` process (``reset``) whose command ends once its
    build is over (``ends_after_build``: `feeds build`, not `feeds serve`, not an in-process caller)."""
    from feeds import teardown

    monkeypatch.setattr(teardown, "_kept", [])
    monkeypatch.setattr(teardown, "_command", False)
    monkeypatch.setattr(teardown, "_ends_after_build", False)
    made = object()
    teardown.ends_after_build()  # an in-process caller: CliRunner, a program calling cli.main
    teardown.outlive(made)
    assert teardown._kept == []
    teardown.reset()  # the command's first lines
    teardown.outlive(made)  # a command that goes on after its build (serve)
    assert teardown._kept == []
    teardown.ends_after_build()
    teardown.outlive(made)
    assert teardown._kept == [(made,)]
    teardown.reset()  # a new command: nothing of the last one's is said to end with it
    teardown.outlive(made)
    assert teardown._kept == [(made,)]


# the build's posts, as the process is about to end
COUNTING = """
from feeds import teardown
_leave = teardown.leave
def leave(code):
    from feeds.posts import Post
    kept = [o for objects in teardown._kept for part in objects if isinstance(part, list) for o in part]
    sys.stderr.write(f"KEPT POSTS {sum(isinstance(o, Post) for o in kept)}\\n")
    return _leave(code)
teardown.leave = leave
"""


def test_a_finished_build_leaves_its_posts_to_the_process_end(make_site: Callable[..., Path]) -> None:
    root = _site(make_site)
    done = _feeds(root, "build", "-q", extra=COUNTING)
    assert done.returncode == 0, done.stderr
    assert "KEPT POSTS 3" in done.stderr and "TEARDOWN RAN" not in done.stderr
    assert (root / "public" / "feed.xml").is_file()


def test_an_in_process_build_keeps_nothing(make_site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from feeds import cli, teardown

    monkeypatch.chdir(_site(make_site))
    before = list(teardown._kept)
    result = CliRunner().invoke(cli.main, ["build", "-q"])
    assert result.exit_code == 0, result.output
    assert teardown._kept == before
