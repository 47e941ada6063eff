"""twitter-text-parser (X's and Mastodon's counting rules, URL and TLD tables), imported
without setuptools' `pkg_resources`.

The parser reads its emoji table with `pkg_resources.resource_string`, which prints a
deprecation warning on every command and is gone from setuptools 81. While it is imported, a
stand-in that reads the file beside the module serves that one call.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path


def _resource_string(module: str, name: str) -> bytes:
    """A file beside the named module (pkg_resources takes a module or a package name)."""
    return (Path(sys.modules[module].__file__ or "").parent / name).read_bytes()


def load() -> None:
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
