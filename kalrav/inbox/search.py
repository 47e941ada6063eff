"""Finding conversations by what was written in them and by who wrote them, with the database's
own indexes: FTS5 on SQLite, GIN (full text and trigrams) on PostgreSQL.

A conversation matches when one of its messages holds every word of the query (whole words, any
script), or when its author's handle or name contains the query (any case, from a trigram
index; a query of one or two characters, too short for trigrams, reads every row). Which rows
match never depends on how they are found; how they are found depends on how many messages hold
the words, because at a million messages each way is fast only for some words (RESULTS.md):

- FEW: the matching conversations are read from the index, then sorted: cheap while they are few.
- LIST: the list is walked in its own order, each row checked against the matches read once; a
  page is found early, but reading every match costs about 4 µs each on SQLite.
- EACH: the list is walked in order and each conversation's messages are checked one by one;
  nothing is read in full, so it wins for very common words, whose matches are met within a few
  hundred rows, and loses badly for the others (an FTS5 lookup per row costs 40-250 µs).

The choice needs the number of matching messages: SQLite counts them (stopping at the last
threshold: 2 ms for 30,000), PostgreSQL's planner estimates them from its statistics.
"""

from __future__ import annotations

import json
import math
from enum import Enum

import regex
from django.db import connection
from django.db.models import BooleanField, F, Func, Q, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.db.models.lookups import In

MAX_TERMS = 8
# Trigram indexes cannot look up fewer than three characters.
SHORTEST_INDEXED_NAME = 3
# Thresholds = factor * sqrt(messages), where the costs of the two ways on either side are equal,
# fitted at 1,000,000 messages (bench/RESULTS.md): FEW up to the first, LIST up to the second,
# EACH beyond. PostgreSQL picks between FEW and LIST itself, so it has no LIST band.
FEW_FACTOR = {"sqlite": 2.0, "postgresql": 10.0}
EACH_FACTOR = {"sqlite": 26.0, "postgresql": 10.0}
FEWEST = 100
# People found by handle or name that PostgreSQL reads ahead and lists (see _people_listed).
PEOPLE_LISTED = 1000


class Way(Enum):
    FEW = "few"
    LIST = "list"
    EACH = "each"


def _terms(query: str) -> list[str]:
    # Letters with their combining marks: Python's \w alone splits অর্ডার at its vowel signs.
    return regex.findall(r"[\w\p{M}]+", query)[:MAX_TERMS]


TEXT_IDS = {
    "sqlite": "SELECT conversation_id FROM inbox_message WHERE id IN "
    "(SELECT rowid FROM inbox_message_fts WHERE inbox_message_fts MATCH %s)",
    # MATERIALIZED: read the matches first. Flattened into the list's query, the planner
    # prefers walking the list and testing each row's messages (EACH), 250 ms for a word in
    # 0.6% of a million messages instead of 60 ms.
    "postgresql": "WITH found AS MATERIALIZED (SELECT conversation_id FROM inbox_message "
    "WHERE to_tsvector('simple', text) @@ plainto_tsquery('simple', %s)) "
    "SELECT conversation_id FROM found",
}
# The same test for one conversation of the list being walked, written around the conversation's
# id and the words (see _each). On PostgreSQL, OFFSET 0 keeps it a test per row: without it the
# planner turns it into a hash of every match, which is what EACH avoids.
TEXT_IN_CONVERSATION = {
    "sqlite": (
        "EXISTS (SELECT 1 FROM inbox_message m JOIN inbox_message_fts f ON f.rowid = m.id "
        "WHERE m.conversation_id = %(expressions)s)",
        " AND inbox_message_fts MATCH ",
    ),
    "postgresql": (
        "EXISTS (SELECT 1 FROM inbox_message m WHERE m.conversation_id = %(expressions)s) "
        "OFFSET 0)",
        " AND to_tsvector('simple', m.text) @@ plainto_tsquery('simple', ",
    ),
}
# SQLite: how many messages hold the words, counting no further than the threshold.
COUNT_TEXT = (
    "SELECT count(*) FROM (SELECT 1 FROM inbox_message_fts "
    "WHERE inbox_message_fts MATCH %s LIMIT %s)"
)
# PostgreSQL: the planner's estimate, from the statistics autovacuum keeps.
ESTIMATE_TEXT = (
    "EXPLAIN (FORMAT JSON) SELECT 1 FROM inbox_message "
    "WHERE to_tsvector('simple', text) @@ plainto_tsquery('simple', %s)"
)
ESTIMATE_ALL = "SELECT reltuples::bigint FROM pg_class WHERE oid = 'inbox_message'::regclass"
PEOPLE_IDS = {
    "sqlite": "SELECT rowid FROM inbox_people_fts WHERE inbox_people_fts MATCH %s",
    "postgresql": "SELECT id FROM inbox_conversation "
    "WHERE author_handle ILIKE %s OR author_name ILIKE %s",
}


def _words(terms: list[str]) -> str:
    if connection.vendor == "sqlite":
        # Each term quoted: FTS5 operators typed by a person are read as plain words.
        return " AND ".join('"' + term.replace('"', "") + '"' for term in terms)
    return " ".join(terms)


def _people(query: str) -> tuple[str, tuple[str, ...]] | None:
    """SQL for the conversations whose author's handle or name contains `query`, answered by a
    trigram index; None when the query is too short for one."""
    if len(query) < SHORTEST_INDEXED_NAME:
        return None
    if connection.vendor == "sqlite":
        # One quoted phrase: with the trigram tokenizer it matches any substring, any case.
        return PEOPLE_IDS["sqlite"], ('"' + query.replace('"', '""') + '"',)
    pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return PEOPLE_IDS["postgresql"], (pattern, pattern)


def choose(words: str) -> Way:
    """The cheapest way to find conversations holding `words` (see the module's docstring)."""
    vendor = connection.vendor
    with connection.cursor() as cursor:
        if vendor == "sqlite":
            cursor.execute("SELECT max(id) FROM inbox_message")
        else:
            cursor.execute(ESTIMATE_ALL)
        size = math.sqrt(max(cursor.fetchone()[0] or 0, 1))
        few = max(FEWEST, FEW_FACTOR[vendor] * size)
        each = max(few, EACH_FACTOR[vendor] * size)
        if vendor == "sqlite":
            cursor.execute(COUNT_TEXT, (words, int(each) + 1))
            found = cursor.fetchone()[0]
        else:
            cursor.execute(ESTIMATE_TEXT, (words,))
            plan = cursor.fetchone()[0]
            found = (plan if isinstance(plan, list) else json.loads(plan))[0]["Plan"]["Plan Rows"]
    if found <= few:
        return Way.FEW
    return Way.LIST if found <= each else Way.EACH


def search(conversations: QuerySet, query: str, way: Way | None = None) -> QuerySet:
    """The conversations matching `query`; `way` forces how they are found (tests)."""
    query = query.strip()
    people = _people(query)
    by_person = Q(pk__in=RawSQL(*people)) if people else _people_by_scan(query)  # noqa: S611 - constant SQL, the words are parameters
    terms = _terms(query)
    if not terms:
        return conversations.filter(by_person)
    words = _words(terms)
    way = way or choose(words)
    if way is Way.EACH:
        return conversations.filter(Q(_each(words)) | by_person)
    # One list of ids: with FEW the planner starts from it; LIST hides the id from the planner
    # (id + 0), so that on SQLite it walks the list along its index, checking each row's id.
    ids: str = TEXT_IDS[connection.vendor]
    params: tuple[object, ...] = (words,)
    listed = _people_listed(people) if people and connection.vendor == "postgresql" else None
    if listed:
        ids, params = f"{ids} UNION ALL SELECT unnest(%s::bigint[])", (words, listed)
    elif people and listed is None:
        ids, params = f"{ids} UNION ALL {people[0]}", (words, *people[1])
    matches = RawSQL(ids, params)  # noqa: S611 - constant SQL, the words are parameters
    found = Q(pk__in=matches) if way is Way.FEW else Q(In(F("pk") + 0, matches))
    return conversations.filter(found if people else found | by_person)


def _people_listed(people: tuple[str, tuple[str, ...]]) -> list[int] | None:
    """The ids of the people found, read ahead; None when there are too many to list.

    PostgreSQL only: with the trigram scan inside the search, the planner's estimate crosses into
    a parallel plan whose workers take longer to start (10-20 ms) than the whole search."""
    sql, params = people
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} LIMIT %s", (*params, PEOPLE_LISTED + 1))
        ids = [row[0] for row in cursor.fetchall()]
    return ids if len(ids) <= PEOPLE_LISTED else None


def _each(words: str) -> Func:
    # A Func, not raw SQL, so that the conversation's id is named as the query names its table.
    template, joiner = TEXT_IN_CONVERSATION[connection.vendor]
    return Func(
        F("pk"), Value(words), template=template, arg_joiner=joiner, output_field=BooleanField()
    )


def _people_by_scan(query: str) -> Q:
    # Too short for a trigram index: every conversation of the list is read.
    return Q(author_handle__icontains=query) | Q(author_name__icontains=query)
