"""Matching a post against many monitors at once: a prefilter, then exact evaluation.

Every query is reduced to anchors: keys at least one of which a post must show for the query
to be able to match (a word, a wildcard's literal start, a hashtag, a mention, a language, an
author, a site). All monitors' anchors go into one table, key -> monitors, so a post costs one
lookup per distinct word it holds, however many monitors there are; only the monitors it hits
are evaluated exactly. A query with no anchor (`a OR NOT b`) is evaluated for every post.

Why a table and not an Aho-Corasick automaton (`pyahocorasick`): queries match whole words,
and a post is already cut into words by the same Unicode-aware tokenizer the queries use, so a
hash lookup per word finds the same candidates without the substring matches an automaton would
then have to check against word boundaries, which Python's notion of a boundary gets wrong in
Indic scripts. Wildcards are anchored on their literal start, looked up by word prefix for
each prefix length in use.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Mapping, Sequence

from .anchors import Key, anchors
from .batch import BatchMatcher, available
from .evaluate import Post, Predicate, Seen, compile_query
from .tree import Node


class Matcher:
    """Monitors' compiled queries; `match` gives the ids of those a post matches."""

    def __init__(self, queries: Mapping[Hashable, Node]) -> None:
        self.ids = list(queries)
        self.trees = list(queries.values())
        self._batch: BatchMatcher | None = None
        self._batch_lock = threading.Lock()
        self.predicates: list[Predicate] = [compile_query(tree) for tree in queries.values()]
        self.by_word: dict[str, list[int]] = {}
        self.by_prefix: dict[int, dict[str, list[int]]] = {}
        self.by_key: dict[Key, list[int]] = {}
        self.always: list[int] = []
        for index, tree in enumerate(queries.values()):
            keys = anchors(tree)
            if keys is None:
                self.always.append(index)
                continue
            for kind, value in keys:
                if kind == "word":
                    self.by_word.setdefault(value, []).append(index)
                elif kind == "prefix":
                    table = self.by_prefix.setdefault(len(value), {})
                    table.setdefault(value, []).append(index)
                else:
                    self.by_key.setdefault((kind, value), []).append(index)
        self.word_keys = frozenset(self.by_word)
        self.key_kinds = frozenset(kind for kind, _ in self.by_key)

    def candidates(self, seen: Seen) -> set[int]:
        """Monitors the post might match: those it shows an anchor of."""
        found = set(self.always)
        by_word = self.by_word
        # Set intersection runs in C over the smaller side, the post's words.
        for word in seen.word_set & self.word_keys:
            found.update(by_word[word])
        for length, table in self.by_prefix.items():
            for prefix in {word[:length] for word in seen.word_set} & table.keys():
                found.update(table[prefix])
        if self.by_key:
            by_key = self.by_key
            for key in self._keys(seen):
                hit = by_key.get(key)
                if hit:
                    found.update(hit)
        return found

    def _keys(self, seen: Seen) -> list[Key]:
        kinds = self.key_kinds
        keys: list[Key] = []
        if "tag" in kinds:
            keys += [("tag", tag) for tag in seen.tags]
        if "at" in kinds:
            keys += [("at", handle) for handle in seen.mentions]
        if "lang" in kinds:
            keys += [("lang", lang) for lang in seen.languages]
        if "site" in kinds:
            keys += [("site", host) for host in seen.hosts]
        if "author" in kinds and seen.author:
            keys.append(("author", seen.author))
        return keys

    def match_seen(self, seen: Seen) -> list[Hashable]:
        predicates, ids = self.predicates, self.ids
        return [ids[index] for index in sorted(self.candidates(seen)) if predicates[index](seen)]

    def match(self, post: Post) -> list[Hashable]:
        """The ids of the monitors whose query the post matches, in the order given."""
        return self.match_seen(Seen(post))

    def match_batch(
        self,
        texts: Sequence[str],
        langs: Sequence[str],
        authors: Sequence[str],
        urls: Sequence[str],
        hashtags: Sequence[Sequence[str]] | None = None,
    ) -> list[list[Hashable]]:
        """For each post (given as columns, no per-post objects), the ids `match` would give,
        in the same order: `[match(Post(t, l, a, u, h)) for ...]`. With the compiled `_scan`
        (see batch.py) a post costs some twenty times less; without it, it is that list."""
        for column in (langs, authors, urls, *(() if hashtags is None else (hashtags,))):
            if len(column) != len(texts):
                raise ValueError("every column needs one value per post")
        if not available():
            given = hashtags if hashtags is not None else [()] * len(texts)
            return [
                self.match(Post(text, lang, author, url, tags))
                for text, lang, author, url, tags in zip(
                    texts, langs, authors, urls, given, strict=True
                )
            ]
        return self.batch_matcher().match(texts, langs, authors, urls, hashtags)

    def batch_matcher(self) -> BatchMatcher:
        """The monitors compiled for batches, on first use (per-post callers never pay it)."""
        with self._batch_lock:
            if self._batch is None:
                self._batch = BatchMatcher(self.ids, self.trees, self.match)
            return self._batch
