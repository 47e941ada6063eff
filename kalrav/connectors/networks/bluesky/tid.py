"""Record keys derived from idempotency keys, so that publishing the same variant twice names the
same record and the PDS refuses the second copy.

app.bsky.feed.post records must be keyed by a TID (atproto.com/specs/tid): 13 characters of
base32-sortable ("234567abcdefghijklmnopqrstuvwxyz") holding a 64-bit number whose top bit is 0,
then 53 bits of microseconds since 1970 and 10 bits of "clock id". The spec says a TID's time must
not be trusted, so any value is valid; we still keep the derived time plausible (in the past, near
the protocol's birth) rather than centuries ahead, so that tools that sort or prune by rkey time
treat our posts like anyone's.

Derivation: SHA-256 of the key; 46 bits of it become microseconds after 2022-01-01 (a window of
about 2.2 years), 10 more bits the clock id. 56 bits of hash: two different variants of one account
share an rkey with probability about n²/2⁵⁷ (under 10⁻⁵ for a million posts).
"""

from __future__ import annotations

import hashlib

import regex

ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
TID_PATTERN = regex.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")
EPOCH_2022_US = 1_640_995_200_000_000
TIME_BITS = 46
CLOCK_BITS = 10


def encode_tid(timestamp_us: int, clock_id: int) -> str:
    if not 0 <= timestamp_us < 2**53 or not 0 <= clock_id < 2**CLOCK_BITS:
        raise ValueError("TID parts out of range")
    number = (timestamp_us << CLOCK_BITS) | clock_id
    chars = []
    for _position in range(13):
        chars.append(ALPHABET[number & 31])
        number >>= 5
    return "".join(reversed(chars))


def decode_tid(tid: str) -> tuple[int, int]:
    """(microseconds since 1970, clock id)."""
    if not is_tid(tid):
        raise ValueError(f"not a TID: {tid!r}")
    number = 0
    for char in tid:
        number = (number << 5) | ALPHABET.index(char)
    return number >> CLOCK_BITS, number & (2**CLOCK_BITS - 1)


def is_tid(value: str) -> bool:
    return bool(TID_PATTERN.match(value))


def tid_for_key(idempotency_key: str) -> str:
    if not idempotency_key:
        raise ValueError("an idempotency key is required")
    digest = int.from_bytes(hashlib.sha256(idempotency_key.encode("utf-8")).digest()[:8], "big")
    offset = digest >> (64 - TIME_BITS)
    clock_id = (digest >> (64 - TIME_BITS - CLOCK_BITS)) & (2**CLOCK_BITS - 1)
    return encode_tid(EPOCH_2022_US + offset, clock_id)
