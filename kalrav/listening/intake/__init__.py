"""Mentions coming in: `take(workspace, source, items)` stores what is new and matches it."""

from .keys import text_key, url_key
from .take import Collected, take

__all__ = ["Collected", "take", "text_key", "url_key"]
