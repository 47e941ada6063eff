"""Matching a batch of posts against every monitor at once, in C (`_scan`), exactly as `match`.

`_scan` reads each text once: it folds it with per-code-point tables derived here from
`words.fold` and `words.WORD` themselves (so folding has one definition), cuts its words, and
looks each word, word prefix, hashtag, language, author and host up in one table of the keys
the queries name. A key is then a set of posts (a bit each), and every query is evaluated once
for the whole batch with AND, OR and NOT on those sets; phrases, NEAR and url: are checked per
post, in C too, only for the posts the rest of their query leaves. A text whose folding
depends on context (normalization would reorder or compose its marks: rare, see `tables`) is
given back and matched the per-post way, as is everything when `_scan` is not built.
Mentions, the only key read here, are looked up in Python: few posts hold an "@".
"""

from __future__ import annotations

import importlib
import threading
import unicodedata
from array import array
from collections.abc import Callable, Hashable, Iterable, Sequence
from functools import cache
from typing import Any

import regex

from .anchors import anchors
from .evaluate import Post
from .tree import And, Field, Hashtag, Mention, Near, Node, Not, Or, Phrase, Term, Wildcard
from .words import WORD, fold, mentions

try:
    # The compiled module imports nothing of Kalrav's. Named as a string: written as an import
    # statement it reads as an import of this package (whose __init__ imports the matcher,
    # which imports this module) to anything that follows imports without building the C.
    _scan: Any = importlib.import_module("kalrav.listening.query._scan")
except ImportError:  # built without a C compiler: Matcher.match_batch matches post by post
    _scan = None

# Flags, fold_info bits and operations, as scan.h numbers them.
F_WORD, F_SPACE, F_MAYBE0, F_MAYBE_MARK, F_FIRST = 1, 2, 4, 8, 16
I_CLASS_SHIFT, I_MAYBE0, I_MAYBE_MARK, I_FIRST = 17, 1 << 25, 1 << 26, 1 << 27
I_COMPLEX, I_MULTI, MAX_FOLD = 1 << 28, 1 << 29, 4
K_WORD, K_TAG, K_PREFIX, K_LANG, K_AUTHOR, K_SITE = range(6)
OP_KEY, OP_WILD, OP_URL, OP_NOT, OP_AND, OP_OR, OP_POSITIONAL = range(7)
P_TERM, P_WILD, P_PHRASE, P_OR, P_NEAR = range(7, 12)
# Evaluation order inside AND, cheapest and most selective first; order never changes results.
# A language holds for a large part of the stream; NOT for most of it; url:, phrases and NEAR
# are checked post by post.
_COST_KEY = 1
_COST_WILDCARD = 2
_COST_LANGUAGE = 50
_COST_NOT = 100
_COST_URL = 150
_COST_POSITIONAL = 200

_tables_lock = threading.Lock()


@cache
def _compositions() -> tuple[dict[int, set[int]], list[int]]:
    """For each character that composes with a character before it, those it composes with;
    and every character with a canonical decomposition."""
    seconds: dict[int, set[int]] = {}
    decomposable = []
    for point in range(0x110000):
        decomposition = unicodedata.decomposition(chr(point))
        if not decomposition or decomposition.startswith("<"):
            continue
        decomposable.append(point)
        parts = decomposition.split()
        if len(parts) != 2:
            continue
        first, second = int(parts[0], 16), int(parts[1], 16)
        if unicodedata.normalize("NFC", chr(first) + chr(second)) == chr(point):
            seconds.setdefault(second, set()).add(first)
    return seconds, decomposable


def tables(limit: int) -> tuple[bytes, bytes, bytes, bytes]:
    """`_scan`'s view of `words.fold` and `words.WORD`, one entry per code point below `limit`.

    A text folds to the concatenation of its characters' folds when that concatenation is
    already in NFC: then NFC(NFD(text) without accents) is that concatenation. `_scan` checks
    it as the NFC quick check does (no mark after one of a higher class), except that a
    character that may compose with what precedes it (a "maybe", like the Bengali vowel sign
    U+09BE or the nukta) sends the text back only after a character it, or its
    decomposition's, could compose with: the flags set here.
    """
    surrogates = range(0xD800, 0xE000)
    every = "".join(" " if point in surrogates else chr(point) for point in range(limit))
    flag = bytearray(limit)
    for found in WORD.finditer(every):
        for point in range(found.start(), found.end()):
            flag[point] |= F_WORD
    for found in regex.finditer(r"\s+", every):
        for point in range(found.start(), found.end()):
            flag[point] |= F_SPACE
    combining = bytes(unicodedata.combining(char) for char in every)
    # Folded characters a text must not hold to be folded in C.
    unsafe: set[int] = set()
    firsts: set[int] = set()
    seconds, decomposable = _compositions()
    for second, composing in seconds.items():
        if second >= limit:
            unsafe.add(second)
            continue
        flag[second] |= F_MAYBE_MARK if combining[second] else F_MAYBE0
        firsts |= composing
    for point in [*firsts, *decomposable]:
        if point < limit and any(
            ord(char) in firsts for char in unicodedata.normalize("NFD", chr(point))
        ):
            flag[point] |= F_FIRST
    # Hangul jamo compose by algorithm, not by table.
    unsafe.update(range(0x1161, 0x1176), range(0x11A8, 0x11C3))
    # Characters the link pattern's IGNORECASE would take for its ASCII letters.
    for letter in "https:/w.":
        unsafe.update(
            found.start()
            for found in regex.finditer(rf"(?i){regex.escape(letter)}", every)
            if every[found.start()] != letter
        )
    own = {F_MAYBE0: I_MAYBE0, F_MAYBE_MARK: I_MAYBE_MARK, F_FIRST: I_FIRST}
    fold_info = array("I", bytes(4 * limit))
    folds = array("I")
    for point in range(limit):
        if point in surrogates:
            fold_info[point] = I_COMPLEX
            continue
        folded = [ord(char) for char in fold(chr(point))]
        if any(char >= limit or char in unsafe for char in folded) or len(folded) > MAX_FOLD:
            fold_info[point] = I_COMPLEX
        elif len(folded) == 1:
            char = folded[0]
            info = char | combining[char] << I_CLASS_SHIFT
            for bit, info_bit in own.items():
                if flag[char] & bit:
                    info |= info_bit
            fold_info[point] = info
        else:
            fold_info[point] = I_MULTI | len(folds) << 4 | len(folded)
            folds.extend(folded)
    # scan_text.c folds ASCII text to the low bits alone: one ASCII code point each.
    assert all(fold_info[point] & ~I_FIRST < 128 for point in range(128))
    return fold_info.tobytes(), bytes(flag), combining, folds.tobytes()


_tables_set = False


def _ensure_tables() -> None:
    global _tables_set
    with _tables_lock:
        if not _tables_set:
            _scan.set_tables(*tables(_scan.LIMIT))
            _tables_set = True


def prepare() -> None:
    """Build the per-code-point tables now (about 0.3 s, once per process) rather than in the
    first batch a stream hands over; nothing when `_scan` is not built."""
    if _scan is not None:
        _ensure_tables()


def _literal_start(pattern: str) -> str:
    for index, char in enumerate(pattern):
        if char in "*?":
            return pattern[: min(index, _scan.MAX_PREFIX)]
    return pattern[: _scan.MAX_PREFIX]


class _Compiler:
    """Query trees into `_scan` programs: each node is [operation, argument, children, size]
    followed by its children."""

    def __init__(self) -> None:
        self.keys: dict[tuple[str, str], int] = {}
        self.wildcards: dict[str, int] = {}
        self.urls: dict[str, int] = {}
        self.program = array("i")

    def key(self, kind: str, value: str) -> int:
        return self.keys.setdefault((kind, value), len(self.keys))

    def node(self, tree: Node) -> tuple[int, list[int]]:
        """The cost of evaluating `tree` and its program."""
        if isinstance(tree, Term):
            return _COST_KEY, [OP_KEY, self.key("word", tree.word), 0, 4]
        if isinstance(tree, Wildcard):
            wildcard = self.wildcards.setdefault(tree.pattern, len(self.wildcards))
            return _COST_WILDCARD, [OP_WILD, wildcard, 0, 4]
        if isinstance(tree, Hashtag):
            return _COST_KEY, [OP_KEY, self.key("tag", tree.name), 0, 4]
        if isinstance(tree, Mention):
            return _COST_KEY, [OP_KEY, self.key("at", tree.handle), 0, 4]
        if isinstance(tree, Field):
            if tree.name == "url":
                return _COST_URL, [OP_URL, self.urls.setdefault(tree.value, len(self.urls)), 0, 4]
            cost = _COST_LANGUAGE if tree.name == "lang" else _COST_KEY
            return cost, [OP_KEY, self.key(tree.name, tree.value), 0, 4]
        if isinstance(tree, Phrase | Near):
            bound, positions = self.bound(tree), self.positional(tree)
            body = [*bound, *positions]
            return _COST_POSITIONAL, [OP_POSITIONAL, 0, 2, 4 + len(body), *body]
        if isinstance(tree, Not):
            cost, inner = self.node(tree.operand)
            return cost + _COST_NOT, [OP_NOT, 0, 1, 4 + len(inner), *inner]
        parts = [self.node(operand) for operand in tree.operands]
        if isinstance(tree, And):
            parts.sort(key=lambda part: part[0])
            operation, cost = OP_AND, parts[0][0]
        else:
            operation, cost = OP_OR, sum(part[0] for part in parts)
        body = [number for _, program in parts for number in program]
        return cost, [operation, 0, len(parts), 4 + len(body), *body]

    def bound(self, tree: Node) -> list[int]:
        """What every post where a positional node occurs shows: its words' keys."""
        if isinstance(tree, Term | Wildcard):
            return self.node(tree)[1]
        if isinstance(tree, Phrase):
            body = [n for word in tree.words for n in self.node(Term(word))[1]]
            return [OP_AND, 0, len(tree.words), 4 + len(body), *body]
        if isinstance(tree, Near):
            body = [*self.bound(tree.left), *self.bound(tree.right)]
            return [OP_AND, 0, 2, 4 + len(body), *body]
        if isinstance(tree, Or):
            body = [n for operand in tree.operands for n in self.bound(operand)]
            return [OP_OR, 0, len(tree.operands), 4 + len(body), *body]
        raise TypeError(f"{type(tree).__name__} has no place in the text")

    def positional(self, tree: Node) -> list[int]:
        """evaluate.compile_spans's nodes, for scan_eval.c's spans()."""
        if isinstance(tree, Term):
            return [P_TERM, self.key("word", tree.word), 0, 4]
        if isinstance(tree, Wildcard):
            return [P_WILD, self.node(tree)[1][1], 0, 4]
        if isinstance(tree, Phrase):
            body = [n for word in tree.words for n in (P_TERM, self.key("word", word), 0, 4)]
            return [P_PHRASE, 0, len(tree.words), 4 + len(body), *body]
        if isinstance(tree, Or):
            body = [n for operand in tree.operands for n in self.positional(operand)]
            return [P_OR, 0, len(tree.operands), 4 + len(body), *body]
        if isinstance(tree, Near):
            body = [*self.positional(tree.left), *self.positional(tree.right)]
            return [P_NEAR, tree.distance * 2 + tree.ordered, 2, 4 + len(body), *body]
        raise TypeError(f"{type(tree).__name__} has no place in the text")

    def guarded(self, tree: Node, keys: frozenset[tuple[str, str]]) -> list[int]:
        """The tree, for the posts that show one of its anchors `keys` only, as
        `Matcher.candidates` has it (see `_filtered_out` for when that changes a result)."""
        guard = []
        for kind, value in sorted(keys):
            if kind == "prefix":
                guard += self.node(Wildcard(value + "*"))[1]
            elif kind == "author" and not value:
                # an empty author is no key a post shows (Matcher._keys); one that is never set
                guard += [OP_KEY, self.key("never", ""), 0, 4]
            else:
                guard += [OP_KEY, self.key(kind, value), 0, 4]
        body = [OP_OR, 0, len(keys), 4 + len(guard), *guard, *self.node(tree)[1]]
        return [OP_AND, 0, 2, 4 + len(body), *body]


class BatchMatcher:
    """The monitors compiled for `_scan`; `match` gives what `Matcher.match` gives per post."""

    def __init__(self, ids: list[Hashable], trees: Iterable[Node], fallback: Callable) -> None:
        _ensure_tables()
        compiler = _Compiler()
        starts = []
        for tree in trees:
            starts.append(len(compiler.program))
            keys = anchors(tree) if _filtered_out(tree) else None
            compiler.program.extend(
                compiler.guarded(tree, keys) if keys is not None else compiler.node(tree)[1]
            )
        self.fallback: Callable[[Post], list[Hashable]] = fallback
        entries: list[tuple[int, str, int]] = []
        self.handles: dict[str, int] = {}
        self.tags: dict[str, int] = {}
        # "never" (the guard's empty author) gets a number but no entry: no post holds it.
        for (kind, value), number in compiler.keys.items():
            if kind == "word":
                entries.append((K_WORD, value, number))
            elif kind == "tag":
                entries.append((K_TAG, value, number))
                self.tags[value] = number
            elif kind == "lang":
                entries.append((K_LANG, value, number))
            elif kind == "author":
                entries.append((K_AUTHOR, value, number))
            elif kind == "site":
                entries.append((K_SITE, value, number))
            elif kind == "at":
                self.handles[value] = number
        by_prefix: dict[str, list[int]] = {}
        unanchored = []
        for pattern, number in compiler.wildcards.items():
            prefix = _literal_start(pattern)
            if prefix:
                by_prefix.setdefault(prefix, []).append(number)
            else:
                unanchored.append(number)
        offset = 0
        for prefix, numbers in by_prefix.items():
            entries.append((K_PREFIX, prefix, offset))
            offset += 1 + len(numbers)
        self.engine = _scan.Engine(
            entries,
            len(compiler.keys),
            list(compiler.wildcards),
            list(by_prefix.values()),
            unanchored,
            list(compiler.urls),
            bool(self.tags),
            starts,
            compiler.program.tobytes(),
            list(ids),
        )
        self.lock = threading.Lock()

    def match(
        self,
        texts: Sequence[str],
        langs: Sequence[str],
        authors: Sequence[str],
        urls: Sequence[str],
        hashtags: Sequence[Sequence[str]] | None,
    ) -> list[list[Hashable]]:
        found: list[list[Hashable]] = []
        size = _scan.MAX_POSTS
        for start in range(0, len(texts), size):
            end = start + size
            found += self._chunk(
                list(texts[start:end]),
                langs[start:end],
                authors[start:end],
                urls[start:end],
                hashtags[start:end] if hashtags is not None else None,
            )
        return found

    def _chunk(
        self,
        texts: list[str],
        langs: Sequence[str],
        authors: Sequence[str],
        urls: Sequence[str],
        hashtags: Sequence[Sequence[str]] | None,
    ) -> list[list[Hashable]]:
        pairs = array("i")
        if self.handles:
            for index, text in enumerate(texts):
                if "@" in text:
                    for handle in set(mentions(text)):
                        number = self.handles.get(handle)
                        if number is not None:
                            pairs.extend((number, index))
        if hashtags is not None and self.tags:
            for index, given in enumerate(hashtags):
                for tag in given:
                    number = self.tags.get(fold(tag.lstrip("#")))
                    if number is not None:
                        pairs.extend((number, index))
        with self.lock:
            results, complex_posts = self.engine.run(
                texts, list(langs), list(authors), list(urls), pairs.tobytes()
            )
        for index in complex_posts:
            results[index] = self.fallback(
                Post(
                    texts[index],
                    langs[index],
                    authors[index],
                    urls[index],
                    hashtags[index] if hashtags is not None else (),
                )
            )
        return results


def _filtered_out(tree: Node) -> bool:
    """Whether `Matcher.candidates` may leave out a post the tree holds for: only a tree with an
    empty author: (a post without author has one, but shows no author key) or a url: value
    without a host (its anchor, host "", is no post's) can be. The parser writes neither."""
    if isinstance(tree, Field):
        if tree.name == "author":
            return not tree.value
        return tree.name == "url" and not tree.value.split("/", 1)[0].split(":", 1)[0]
    if isinstance(tree, Not):
        return _filtered_out(tree.operand)
    if isinstance(tree, And | Or):
        return any(_filtered_out(operand) for operand in tree.operands)
    return False


def available() -> bool:
    """Whether `_scan` is built (the listening health page may say which path runs)."""
    return _scan is not None
