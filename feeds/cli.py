"""The command line: parse options, call the core, print problems and a summary, exit.

Exit codes: 0 success (warnings printed), 1 problems in the posts (errors, or warnings under
--strict) or an output folder that cannot be written, 2 usage or configuration errors, 130
interrupted (feeds/interrupts.py).
"""
from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from . import interrupts
from .build import BuildResult, build, load
from .config import MAX_JOBS, Config, load_config
from .errors import ConfigError, FeedsError, OutputError, Problem, display_path

CONFIG_HELP = "config file (default: ./config.yaml)"


def _config(config: str | None, **overrides: Any) -> Config:
    try:
        cfg = load_config(config or "config.yaml", overrides)
    except ConfigError as exc:
        _report(exc.problems)
        sys.exit(2)
    return cfg


def _report(problems: list[Problem], quiet: bool = False) -> None:
    for problem in problems:
        if problem.is_error or not quiet:
            click.echo(str(problem), err=True)


def _progress(enabled: bool) -> Callable[[str, int, int], None] | None:
    """Progress on a terminal only, so CI logs stay clean."""
    if not enabled or not sys.stderr.isatty():
        return None

    def show(stage: str, done: int, total: int) -> None:
        click.echo(f"\r{stage}: {done}/{total}   ", err=True, nl=done >= total)
    return show


def _summary(result: BuildResult, verb: str) -> str:
    return (f"feeds: {result.posts} posts read, {len(result.written)} feeds {verb}, {result.unchanged} unchanged, "
            f"{len(result.removed)} removed, {len(result.warnings)} warnings, {len(result.errors)} errors "
            f"({result.seconds:.2f} s)")


def _overrides(source: tuple[str, ...], output: str | None, base_url: str | None, timezone: str | None,
               limit: int | None, drafts: bool | None, future: bool | None, jobs: int | None) -> dict[str, Any]:
    return {"source": [str(Path(s).resolve()) for s in source] or None,
            "output": str(Path(output).resolve()) if output else None, "site.url": base_url,
            "timezone": timezone, "feeds.limit": limit, "build.drafts": drafts, "build.future": future,
            "build.jobs": jobs}


def _options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The options that shape what a build reads and writes (build, check and list share them)."""
    for option in reversed([
        click.option("--config", "config", type=click.Path(dir_okay=False), help=CONFIG_HELP),
        click.option("--source", multiple=True, type=click.Path(file_okay=False), help="site folder (repeatable)"),
        click.option("--output", type=click.Path(file_okay=False), help="output folder (config: output)"),
        click.option("--base-url", help="the site's absolute URL (config: site.url)"),
        click.option("--timezone", help="IANA zone for dates without an offset (config: timezone)"),
        click.option("--limit", type=click.IntRange(min=0), help="entries per feed, 0 for all (config: feeds.limit)"),
        click.option("--drafts/--no-drafts", default=None, help="include _drafts/ and draft: true posts"),
        click.option("--future/--no-future", default=None, help="include posts dated after now"),
        click.option("--jobs", "-j", type=click.IntRange(0, MAX_JOBS), help="worker processes, 0 for one per core"),
    ]):
        func = option(func)
    return func


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="feeds")
def main() -> None:
    """Publish per-category, per-tag and site-wide RSS 2.0 and Atom 1.0 feeds from a Jekyll site."""


@main.command("build")
@_options
@click.option("--keep-going", is_flag=True, help="on errors, still write feeds from the posts that could be read")
@click.option("--strict", is_flag=True, help="treat warnings as errors (exit 1)")
@click.option("-q", "--quiet", is_flag=True, help="print errors and the summary only")
@click.option("-v", "--verbose", is_flag=True, help="also list every file written or removed")
def build_command(config: str | None, keep_going: bool, strict: bool, quiet: bool, verbose: bool,
                  **options: Any) -> None:
    """Write every feed into the output folder.

    Example: feeds build --config config.yaml --output public
    """
    cfg = _config(config, **_overrides(**options))
    try:
        with interrupts.cleanup(display_path(cfg.output)):  # Ctrl-C, SIGTERM: clean up, say so, exit 130
            result = build(cfg, keep_going=keep_going, progress=_progress(not quiet))
    except OutputError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:  # off the main thread, where no handler of ours runs
        interrupts.exit_interrupted()
    _report(result.problems, quiet)
    if verbose:
        for path in result.written:
            click.echo(f"wrote {path}", err=True)
    for path in result.removed:
        click.echo(f"removed {path} (no posts produce it any more)", err=True)
    if result.errors and not result.wrote:
        click.echo("Error: nothing was written; fix the errors above, or pass --keep-going", err=True)
    click.echo(_summary(result, "written"), err=True)
    sys.exit(1 if result.errors or (strict and result.warnings) else 0)


@main.command("check")
@_options
@click.option("--strict", is_flag=True, help="treat warnings as errors (exit 1)")
def check_command(config: str | None, strict: bool, **options: Any) -> None:
    """Read the config and every post, then the feeds in the output folder; report every problem, write nothing.

    Example: feeds check --config config.yaml
    """
    from .output import inspect_output
    from .validate import check_output

    cfg = _config(config, **_overrides(**options))
    posts, specs, problems = load(cfg)
    if cfg.output.is_dir():
        problems += inspect_output(cfg.output) + check_output(cfg.output, cfg.site.url)
    _report(problems)
    errors = [p for p in problems if p.is_error]
    click.echo(f"feeds: {len(posts)} posts read, {len(specs)} feeds planned, {len(problems) - len(errors)} "
               f"warnings, {len(errors)} errors", err=True)
    sys.exit(1 if errors or (strict and problems) else 0)


@main.command("list")
@_options
@click.option("--json", "as_json", is_flag=True, help="print JSON instead of a table")
def list_command(config: str | None, as_json: bool, **options: Any) -> None:
    """List the feeds a build would write: kind, name, slug, entries, files and URLs.

    Example: feeds list --json | jq '.[] | select(.kind == "tag") | .files[0].url'
    """
    cfg = _config(config, **_overrides(**options))
    _, specs, problems = load(cfg)
    _report([p for p in problems if p.is_error])
    rows: list[dict[str, Any]] = [
        {"kind": s.kind, "name": s.name, "slug": s.slug, "entries": len(s.entries), "posts": s.total,
         "files": [{"format": f.format, "path": f.path, "url": f.url} for f in s.files]} for s in specs]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        paths = "  ".join(f["path"] for f in row["files"])
        click.echo(f"{row['kind']:<8} {row['entries']:>4}  {row['name']}  {paths}")
    if any(p.is_error for p in problems):
        sys.exit(1)


@main.command("serve")
@_options
@click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="port")
def serve_command(config: str | None, host: str, port: int, **options: Any) -> None:
    """Build, then serve the output folder for a local look (Ctrl-C stops).

    Example: feeds serve --port 8080, then open http://127.0.0.1:8080/feed.xml
    """
    from .serve import serve

    cfg = _config(config, **_overrides(**options))
    try:
        with interrupts.cleanup(display_path(cfg.output)):
            result = build(cfg, progress=_progress(True))
        _report(result.problems)
        click.echo(_summary(result, "written"), err=True)
        if result.errors:
            sys.exit(1)
        serve(cfg.output, host, port, ready=lambda url: click.echo(f"serving {cfg.output} at {url}", err=True))
    except FeedsError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("Interrupted", err=True)
        sys.exit(130)
