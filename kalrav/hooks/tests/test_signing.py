from __future__ import annotations

from kalrav.hooks import signing

BODY = b'{"type":"ping","data":{}}'


def test_a_receiver_accepts_the_signature_made_with_its_secret():
    secret = signing.new_secret()
    header = signing.header(secret, BODY, timestamp=1_795_420_800)
    assert header.startswith("t=1795420800,v1=")
    assert signing.verify(secret, BODY, header, now=1_795_420_800 + 10)


def test_a_wrong_secret_a_changed_body_or_an_old_timestamp_fail():
    secret = signing.new_secret()
    header = signing.header(secret, BODY, timestamp=1_795_420_800)
    assert not signing.verify(signing.new_secret(), BODY, header, now=1_795_420_800)
    assert not signing.verify(secret, BODY + b" ", header, now=1_795_420_800)
    assert not signing.verify(secret, BODY, header, now=1_795_420_800 + 301)
    assert not signing.verify(secret, BODY, "v1=abc", now=1_795_420_800)


def test_the_documented_scheme_matches_a_plain_hmac():
    import hashlib
    import hmac

    expected = hmac.new(b"whsec_x", b"1795420800." + BODY, hashlib.sha256).hexdigest()
    assert signing.header("whsec_x", BODY, timestamp=1_795_420_800) == f"t=1795420800,v1={expected}"
