"""Listening's pages: monitors (with the query preview), mentions, and sources."""
