"""Payloads shaped like the Client-Server API's documented responses, for the fake tests."""

from __future__ import annotations

HOMESERVER = "https://matrix.example.org"
CLIENT = f"{HOMESERVER}/_matrix/client/v3"
BRAND = "@chai-house:example.org"
FAN = "@asha:example.org"
ROOM = "!aBcDeF:example.org"
ROOM_PATH = "%21aBcDeF%3Aexample.org"
ALIAS = "#chai-lovers:example.org"
PUBLIC = "93.184.215.14"


def message(event_id: str, sender: str, content: dict, ts: int = 1_795_000_000_000) -> dict:
    return {
        "content": content,
        "event_id": event_id,
        "origin_server_ts": ts,
        "room_id": ROOM,
        "sender": sender,
        "type": "m.room.message",
        "unsigned": {"age": 1234},
    }


def member(user_id: str, name: str) -> dict:
    return {
        "content": {"displayname": name, "membership": "join"},
        "event_id": f"$member-{name}",
        "origin_server_ts": 1_794_000_000_000,
        "room_id": ROOM,
        "sender": user_id,
        "state_key": user_id,
        "type": "m.room.member",
    }


def error(errcode: str, text: str, **extra) -> dict:
    return {"errcode": errcode, "error": text, **extra}
