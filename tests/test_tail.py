"""The cold build's tail: the cache's start, the write stage's own cost, the commit, and what the
parent does beside the workers (see pipeline and output.staging)."""
from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest


def test_a_new_cache_turns_syncing_off_before_it_turns_to_wal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                               ) -> None:
    """Switching a new file to WAL is a transaction: under synchronous=FULL it ends with four
    fdatasyncs; with synchronous=OFF set first, none (strace shows it; here, the order)."""
    from feeds.cache import Cache, WorkerCache

    said: list[str] = []
    real = sqlite3.connect

    def traced(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        db = real(*args, **kwargs)
        db.set_trace_callback(lambda statement: said.append(" ".join(statement.split()).upper()))
        return db
    monkeypatch.setattr(sqlite3, "connect", traced)
    for make in (lambda: Cache(tmp_path).close(), lambda: WorkerCache(tmp_path / "cache.sqlite3")._connection()):
        said.clear()
        make()
        pragmas = [s for s in said if s.startswith("PRAGMA SYNCHRONOUS") or s.startswith("PRAGMA JOURNAL_MODE")]
        assert pragmas == ["PRAGMA SYNCHRONOUS=OFF", "PRAGMA JOURNAL_MODE=WAL"], said
