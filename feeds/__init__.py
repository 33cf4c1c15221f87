"""feeds: per-category, per-tag and site-wide RSS 2.0 and Atom 1.0 feeds from a Jekyll posts folder.

The core is a library::

    from feeds import load_config, build
    result = build(load_config("config.yaml"))

Its names are loaded on first use, so that importing the package is cheap: the command takes
charge of Ctrl-C before the slow imports start (feeds/entry.py).
"""
from __future__ import annotations

import importlib

TYPE_CHECKING = False  # typing alone takes longer to import than the command's first lines

__version__ = "0.1.0"

_EXPORTS = {"build": "pipeline", "BuildResult": "pipeline", "load_config": "config", "Config": "config",
            "Problem": "errors", "FeedsError": "errors", "ConfigError": "errors", "OutputError": "errors"}
__all__ = ["build", "BuildResult", "load_config", "Config", "Problem", "FeedsError", "ConfigError",
           "OutputError", "__version__"]

if TYPE_CHECKING:
    from typing import Any

    from .config import Config, load_config
    from .errors import ConfigError, FeedsError, OutputError, Problem
    from .pipeline import BuildResult, build


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'feeds' has no attribute '{name}'")
    value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    globals()[name] = value
    return value
