"""feeds: per-category, per-tag and site-wide RSS 2.0 and Atom 1.0 feeds from a Jekyll posts folder.

The core is a library::

    from feeds import load_config, build
    result = build(load_config("config.yaml"))
"""
__version__ = "0.1.0"

from .build import BuildResult, build  # noqa: E402
from .config import Config, load_config  # noqa: E402
from .errors import BuildError, ConfigError, FeedsError, OutputError, Problem  # noqa: E402

__all__ = ["build", "BuildResult", "load_config", "Config", "Problem", "FeedsError", "ConfigError",
           "BuildError", "OutputError", "__version__"]
