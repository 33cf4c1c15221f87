"""The output folder: putting a build's files there (``staging``: a lock, a staging folder, an
all-or-nothing commit that touches only files feeds wrote), and what ``feeds check`` can tell
about the folder itself (``check``). Import from here: ``from feeds.output import Output``."""
from __future__ import annotations

from .check import inspect_output
from .staging import Output, confined, digest, staging_error

__all__ = ["Output", "confined", "digest", "inspect_output", "staging_error"]
