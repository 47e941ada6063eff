"""Record keys derived from idempotency keys, and what the firehose stream keeps."""

from __future__ import annotations

import hashlib
from types import SimpleNamespace

import libipld
from atproto_core.cid import CID
from hypothesis import given
from hypothesis import strategies as st

from kalrav.connectors.base import ItemKind
from kalrav.connectors.networks.bluesky.mapping import incoming_from_record
from kalrav.connectors.networks.bluesky.stream import items_from_commit, websocket_base
from kalrav.connectors.networks.bluesky.tid import (
    EPOCH_2022_US,
    decode_tid,
    encode_tid,
    is_tid,
    tid_for_key,
)

US = "did:plc:brand234567abcdefghijklm"
FAN = "did:plc:fan234567abcdefghijklmno"
OURS = f"at://{US}/app.bsky.feed.post/3ours"


def test_known_tid_round_trip():
    # The example in atproto.com/specs/tid.
    timestamp, clock = decode_tid("3jzfcijpj2z2a")
    assert encode_tid(timestamp, clock) == "3jzfcijpj2z2a"


@given(st.text(min_size=1))
def test_every_key_gives_a_valid_tid_in_the_past(key):
    tid = tid_for_key(key)
    assert is_tid(tid) and tid == tid_for_key(key)
    timestamp, _clock = decode_tid(tid)
    assert EPOCH_2022_US <= timestamp < EPOCH_2022_US + 2**46


def test_different_variants_get_different_keys():
    keys = {tid_for_key(f"variant-{n}") for n in range(2000)}
    assert len(keys) == 2000


def _post(text: str, **extra) -> dict:
    return {
        "$type": "app.bsky.feed.post",
        "text": text,
        "createdAt": "2026-11-23T10:00:00.000Z",
        **extra,
    }


def test_a_reply_to_our_post_is_a_reply():
    ref = {"uri": OURS, "cid": "bafy"}
    item = incoming_from_record(
        f"at://{FAN}/app.bsky.feed.post/3r",
        _post("hi", reply={"root": ref, "parent": ref}),
        US,
        FAN,
    )
    assert item is not None and item.kind == ItemKind.REPLY and item.parent_id == OURS


def test_a_mention_and_a_quote_are_mentions_and_others_are_ignored():
    mention = _post(
        "@brand hi",
        facets=[
            {
                "index": {"byteStart": 0, "byteEnd": 6},
                "features": [{"$type": "app.bsky.richtext.facet#mention", "did": US}],
            }
        ],
    )
    quote = _post(
        "look", embed={"$type": "app.bsky.embed.record", "record": {"uri": OURS, "cid": "bafy"}}
    )
    uri = f"at://{FAN}/app.bsky.feed.post/3x"
    assert incoming_from_record(uri, mention, US, FAN).kind == ItemKind.MENTION
    assert incoming_from_record(uri, quote, US, FAN).kind == ItemKind.MENTION
    assert incoming_from_record(uri, _post("unrelated"), US, FAN) is None
    assert incoming_from_record(f"at://{US}/app.bsky.feed.post/3y", mention, US, US) is None


def _car(record: dict) -> tuple[bytes, CID]:
    """A CAR v1 file holding one dag-cbor block, as a #commit message's `blocks` carries it."""
    data = libipld.encode_dag_cbor(record)
    cid_bytes = b"\x01\x71\x12\x20" + hashlib.sha256(data).digest()  # CIDv1, dag-cbor, sha-256
    header = libipld.encode_dag_cbor({"version": 1, "roots": [libipld.decode_cid(cid_bytes)]})

    def varint(n: int) -> bytes:
        out = b""
        while True:
            byte, n = n & 0x7F, n >> 7
            out += bytes([byte | (0x80 if n else 0)])
            if not n:
                return out

    block = cid_bytes + data
    return varint(len(header)) + header + varint(len(block)) + block, CID.decode(cid_bytes)


def test_items_from_a_firehose_commit():
    ref = {"uri": OURS, "cid": "bafyreic6titxhhyaaux62lwdkhqbz52trwg2i2wiuwgbbcehnkn4rdywpa"}
    car, cid = _car(_post("কখন খুলবেন?", reply={"root": ref, "parent": ref}))
    commit = SimpleNamespace(
        repo=FAN,
        too_big=False,
        blocks=car,
        ops=[SimpleNamespace(action="create", path="app.bsky.feed.post/3r2", cid=cid)],
    )
    (item,) = items_from_commit(commit, US)
    assert item.remote_id == f"at://{FAN}/app.bsky.feed.post/3r2"
    assert item.text == "কখন খুলবেন?" and item.author.remote_id == FAN
    assert list(items_from_commit(SimpleNamespace(**{**vars(commit), "repo": US}), US)) == []


def test_websocket_address_from_a_service_address():
    assert websocket_base("https://bsky.network") == "wss://bsky.network/xrpc"
    assert websocket_base("http://localhost:2583/") == "ws://localhost:2583/xrpc"
