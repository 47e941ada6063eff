"""Listening: hearing a brand anywhere, in its customers' languages (issue 19)."""
