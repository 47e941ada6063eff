import numpy as np

from kalrav.nlp.hashing import HashingSpec, hash_batch, word_hashes
from kalrav.nlp.textprep import for_features


def test_hash_values_are_pinned():
    """Shipped weights are indexed by these hashes: a change here needs HASH_VERSION bumped."""
    assert int(word_hashes(["kalrav"])[0]) == 0xDF373624D540CF3E


def test_a_text_hashes_the_same_alone_and_in_a_batch():
    spec = HashingSpec(bits=19)
    alone = hash_batch(["मुझे यह पसंद है"], spec)
    batch = hash_batch(["first text", "मुझे यह पसंद है", ""], spec)
    mine = batch.hashes[batch.docs == 1]
    assert sorted(alone.hashes.tolist()) == sorted(mine.tolist())


def test_indic_vowel_signs_stay_inside_words():
    assert for_features("मुझे यह पसंद है!").split() == ["मुझे", "यह", "पसंद", "है", "!"]


def test_empty_batch_members():
    hashed = hash_batch(["", "a"], HashingSpec())
    assert hashed.count == 2
    assert np.all(hashed.docs[hashed.docs == 0] == 0)
