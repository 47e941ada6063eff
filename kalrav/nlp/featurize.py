"""Sentiment features of a batch: hashed n-grams (shared and per language), lexicon, negation."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

import numpy as np

from .hashing import HashingSpec, buckets, hash_batch, string_key, with_domains
from .lexicon import Lexicon
from .linear import FeatureBatch
from .textprep import for_features

# Words that flip the polarity of the next few words, for languages where negation comes
# before what it negates. Bengali, Hindi and Gujarati put it after the verb; word bigrams
# already pair it with its neighbour there.
NEGATORS = {
    "en": "not no never nothing nobody none cannot cant dont doesnt didnt isnt wasnt aint wont couldnt shouldnt wouldnt havent",
    "hi-Latn": "nahi nahin nai na mat",
    "es": "no nunca jamás nada nadie ni",
    "pt": "não nao nunca jamais nada ninguém nem",
    "fr": "ne pas jamais rien personne aucun",
    "it": "non mai niente nessuno né",
    "de": "nicht kein keine keinen nie niemals nichts",
    "el": "δεν μην όχι ποτέ τίποτα",
    "ar": "لا لم لن ليس ما مش مو",
}
NEGATED_SPAN = (
    3  # words after a negator that are marked; measured better than 1 or to the clause end
)


@cache
def _negation_pattern(domain: str) -> re.Pattern[str] | None:
    words = NEGATORS.get(domain)
    if not words:
        return None
    alternatives = "|".join(re.escape(w) for w in sorted(words.split(), key=len, reverse=True))
    return re.compile(rf"(?<!\S)(?:{alternatives})((?: [^\s.!?,;:]+){{1,{NEGATED_SPAN}}})")


def mark_negation(text: str, domain: str) -> str:
    pattern = _negation_pattern(domain)
    if pattern is None:
        return text

    def marked(match: re.Match[str]) -> str:
        head = match.group(0)[: match.start(1) - match.start(0)]
        return head + "".join(f" neg_{word}" for word in match.group(1).split())

    return pattern.sub(marked, text)


@cache
def domain_key(domain: str | None) -> int:
    # Cached: a batch holds a dozen languages, and hashing a code costs ~7 µs a text.
    return 0 if not domain or domain == "und" else int(string_key(domain))


def featurize(
    texts: Sequence[str],
    domains: Sequence[str | None],
    spec: HashingSpec,
    lexicon: Lexicon,
    *,
    negation: bool = True,
) -> FeatureBatch:
    cleaned = [for_features(t) for t in texts]
    if negation:
        cleaned = [mark_negation(t, d or "") for t, d in zip(cleaned, domains, strict=True)]
    hashed = hash_batch(cleaned, spec)
    keys = np.array([domain_key(d) for d in domains], dtype=np.uint64)
    docs, hashes = with_domains(hashed, keys)
    # Each text's vector has unit length if its n-grams are distinct, so long and short
    # posts weigh alike; repeated n-grams count more, as in TF weighting.
    per_doc = np.bincount(docs, minlength=hashed.count).astype(np.float32)
    values = 1.0 / np.sqrt(np.maximum(per_doc, 1.0))
    return FeatureBatch(
        docs=docs,
        columns=buckets(hashes, spec.bits),
        values=values[docs],
        dense=lexicon.features(hashed.word_docs, hashed.word_hashes, hashed.count),
        count=hashed.count,
    )
