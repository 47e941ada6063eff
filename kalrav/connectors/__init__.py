"""Channels: accounts on each network, their credentials, limits and state."""

from .tweet_text import load as _load_tweet_text

# Before any network folder imports twitter_text (see tweet_text.py).
_load_tweet_text()
