"""The Bluesky reference network starts here and accepts accounts: the ground the Bluesky
connector's live tests stand on."""

from __future__ import annotations

import httpx


def test_accounts_and_posts_on_the_local_network(bluesky_network):
    atproto = bluesky_network
    account = atproto.create_account("kalrav")
    assert account["did"].startswith("did:plc:")
    record = httpx.post(
        f"{atproto.pds_url}/xrpc/com.atproto.repo.createRecord",
        headers={"Authorization": f"Bearer {account['access_jwt']}"},
        json={
            "repo": account["did"],
            "collection": "app.bsky.feed.post",
            "record": {
                "$type": "app.bsky.feed.post",
                "text": "নমস্কার from Kalrav",
                "createdAt": "2026-11-23T10:00:00Z",
            },
        },
        timeout=30,
    )
    assert record.status_code == 200, record.text
    assert record.json()["uri"].startswith(f"at://{account['did']}/app.bsky.feed.post/")
