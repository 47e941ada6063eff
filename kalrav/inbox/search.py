"""Finding conversations by what was written in them, with the database's own full-text index."""

from __future__ import annotations

import regex
from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

MAX_TERMS = 8


def _terms(query: str) -> list[str]:
    # Letters with their combining marks: Python's \w alone splits অর্ডার at its vowel signs.
    return regex.findall(r"[\w\p{M}]+", query)[:MAX_TERMS]


SQLITE_MATCH = (
    "SELECT conversation_id FROM inbox_message WHERE id IN "
    "(SELECT rowid FROM inbox_message_fts WHERE inbox_message_fts MATCH %s)"
)
POSTGRES_MATCH = (
    "SELECT conversation_id FROM inbox_message "
    "WHERE to_tsvector('simple', text) @@ plainto_tsquery('simple', %s)"
)


def matching_conversation_ids(query: str) -> RawSQL | None:
    """A subquery of the conversations holding a message with every word of `query` (whole
    words), straight from the full-text index: no join and no DISTINCT over the result."""
    terms = _terms(query)
    if not terms:
        return None
    if connection.vendor == "sqlite":
        # Each term quoted: FTS5 operators typed by a person are read as plain words.
        expression = " AND ".join('"' + term.replace('"', "") + '"' for term in terms)
        return RawSQL(SQLITE_MATCH, (expression,))  # noqa: S611 - constant SQL, the words are parameters
    return RawSQL(POSTGRES_MATCH, (" ".join(terms),))  # noqa: S611 - constant SQL, the words are parameters


def search(conversations: QuerySet, query: str) -> QuerySet:
    query = query.strip()
    ids = matching_conversation_ids(query)
    by_person = Q(author_handle__icontains=query) | Q(author_name__icontains=query)
    if ids is None:
        return conversations.filter(by_person)
    return conversations.filter(Q(pk__in=ids) | by_person)
