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
