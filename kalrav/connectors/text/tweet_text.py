"""twitter-text-parser (weighted character counts, URL extraction, the TLD tables), imported
without setuptools' `pkg_resources`; network folders import it from here.

The parser reads its emoji table with `pkg_resources.resource_string`, which prints a
deprecation warning on every command and is gone from setuptools 81. While it is imported, a
stand-in that reads the file beside the module serves that one call. Loading it here, when a
network's rules first need it, keeps its 150 ms out of every process's start.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path


def _resource_string(module: str, name: str) -> bytes:
    """A file beside the named module (pkg_resources takes a module or a package name)."""
    return (Path(sys.modules[module].__file__ or "").parent / name).read_bytes()


def _load() -> None:
    if "twitter_text" in sys.modules:
        return
    real = sys.modules.get("pkg_resources")
    stand_in = types.ModuleType("pkg_resources")
    stand_in.resource_string = _resource_string  # type: ignore[attr-defined]
    sys.modules["pkg_resources"] = stand_in
    try:
        import twitter_text  # noqa: F401
    finally:
        if real is None:
            del sys.modules["pkg_resources"]
        else:
            sys.modules["pkg_resources"] = real


_load()

from twitter_text import ParsedResult, extract_urls_with_indices, parse_tweet  # noqa: E402
from twitter_text.config import config  # noqa: E402
from twitter_text.regexp.valid_cctld import valid_cctld  # noqa: E402
from twitter_text.regexp.valid_gtld import valid_gtld  # noqa: E402

__all__ = [
    "ParsedResult",
    "config",
    "extract_urls_with_indices",
    "parse_tweet",
    "valid_cctld",
    "valid_gtld",
]
