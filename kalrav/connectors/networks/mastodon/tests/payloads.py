"""Responses shaped like Mastodon's documented entities (docs.joinmastodon.org/entities/:
Account, Status, MediaAttachment, Notification, Conversation, Instance, Application, Token,
Error), trimmed to the fields a client reads but keeping their real names and types."""

from __future__ import annotations

from typing import Any

INSTANCE = "https://social.example"
OWN_ID = "109000000000000001"
FAN_ID = "109000000000000002"


def account(
    account_id: str = OWN_ID, username: str = "acmetea", acct: str | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "id": account_id,
        "username": username,
        "acct": acct or username,
        "display_name": username.title(),
        "locked": False,
        "bot": False,
        "discoverable": True,
        "group": False,
        "created_at": "2022-11-02T00:00:00.000Z",
        "note": "<p>Tea for everyone</p>",
        "url": f"{INSTANCE}/@{username}",
        "uri": f"{INSTANCE}/users/{username}",
        "avatar": f"{INSTANCE}/system/accounts/avatars/{account_id}/original/a.png",
        "avatar_static": f"{INSTANCE}/system/accounts/avatars/{account_id}/original/a.png",
        "header": f"{INSTANCE}/headers/original/missing.png",
        "header_static": f"{INSTANCE}/headers/original/missing.png",
        "followers_count": 1204,
        "following_count": 87,
        "statuses_count": 311,
        "last_status_at": "2026-11-20",
        "emojis": [],
        "fields": [],
        **extra,
    }


def status(
    status_id: str,
    content: str = "<p>Hello</p>",
    *,
    by: dict[str, Any] | None = None,
    visibility: str = "public",
    in_reply_to_id: str | None = None,
    in_reply_to_account_id: str | None = None,
    spoiler_text: str = "",
    **extra: Any,
) -> dict[str, Any]:
    author = by or account()
    return {
        "id": status_id,
        "uri": f"{INSTANCE}/users/{author['username']}/statuses/{status_id}",
        "url": f"{INSTANCE}/@{author['username']}/{status_id}",
        "created_at": "2026-11-23T09:30:00.000Z",
        "account": author,
        "content": content,
        "visibility": visibility,
        "sensitive": bool(spoiler_text),
        "spoiler_text": spoiler_text,
        "media_attachments": [],
        "application": {"name": "Kalrav", "website": None},
        "mentions": [],
        "tags": [],
        "emojis": [],
        "reblogs_count": 0,
        "favourites_count": 0,
        "replies_count": 0,
        "in_reply_to_id": in_reply_to_id,
        "in_reply_to_account_id": in_reply_to_account_id,
        "reblog": None,
        "poll": None,
        "card": None,
        "language": "en",
        "text": None,
        "edited_at": None,
        **extra,
    }


def media(media_id: str, *, description: str | None = None, processed: bool = True) -> dict:
    url = f"{INSTANCE}/system/media_attachments/files/{media_id}/original/a.png"
    return {
        "id": media_id,
        "type": "image",
        "url": url if processed else None,
        "preview_url": url,
        "remote_url": None,
        "text_url": None,
        "meta": {"original": {"width": 4, "height": 4, "size": "4x4", "aspect": 1.0}},
        "description": description,
        "blurhash": "UFBWY:8_0Jxv4mx]t8t64.%M-:IUWGWAt6M}",
    }


def notification(
    notification_id: str, kind: str = "mention", status_: dict | None = None
) -> dict[str, Any]:
    return {
        "id": notification_id,
        "type": kind,
        "group_key": f"ungrouped-{notification_id}",
        "created_at": "2026-11-23T09:31:00.000Z",
        "account": (status_ or {}).get("account") or account(FAN_ID, "fan"),
        "status": status_,
    }


def conversation(conversation_id: str, last_status: dict | None) -> dict[str, Any]:
    return {
        "id": conversation_id,
        "unread": True,
        "accounts": [account(FAN_ID, "fan")],
        "last_status": last_status,
    }


def instance_v2(max_characters: int = 500, **configuration: Any) -> dict[str, Any]:
    return {
        "domain": "social.example",
        "title": "Social Example",
        "version": "4.3.2",
        "source_url": "https://github.com/mastodon/mastodon",
        "description": "An example server",
        "usage": {"users": {"active_month": 120}},
        "thumbnail": {"url": f"{INSTANCE}/thumb.png"},
        "languages": ["en"],
        "configuration": {
            "urls": {"streaming": "wss://streaming.social.example"},
            "accounts": {"max_featured_tags": 10},
            "statuses": {
                "max_characters": max_characters,
                "max_media_attachments": 4,
                "characters_reserved_per_url": 23,
            },
            "media_attachments": {
                "supported_mime_types": ["image/jpeg", "image/png", "image/gif", "video/mp4"],
                "image_size_limit": 16777216,
                "image_matrix_limit": 33177600,
                "video_size_limit": 103809024,
                "video_frame_rate_limit": 120,
                "video_matrix_limit": 8294400,
                "description_limit": 1500,
            },
            "polls": {
                "max_options": 4,
                "max_characters_per_option": 50,
                "min_expiration": 300,
                "max_expiration": 2629746,
            },
            "translation": {"enabled": False},
            **configuration,
        },
        "registrations": {"enabled": False, "approval_required": False, "message": None},
        "contact": {"email": "admin@social.example", "account": None},
        "rules": [],
    }


def instance_v1(max_toot_chars: int | None = None) -> dict[str, Any]:
    """Mastodon 3.x: limits under "configuration" too; some forks add max_toot_chars."""
    found: dict[str, Any] = {
        "uri": "old.example",
        "title": "Old Example",
        "version": "3.5.3",
        "urls": {"streaming_api": "wss://old.example"},
        "configuration": {"statuses": {"max_characters": 500}},
    }
    if max_toot_chars:
        found["max_toot_chars"] = max_toot_chars
    return found


def application() -> dict[str, Any]:
    return {
        "id": "563419",
        "name": "Kalrav",
        "website": None,
        "scopes": ["read", "write"],
        "redirect_uri": "https://kalrav.example/channels/mastodon/callback",
        "redirect_uris": ["https://kalrav.example/channels/mastodon/callback"],
        "client_id": "TWhM-tNSuncnqN7DBJmoyeLnk6K3iJJ71KKXxgL1hPM",
        "client_secret": "ZEaFUFmF0umgBX1qKJDjaU99Q31lDkOU8NutzTOoliw",
    }


def token() -> dict[str, Any]:
    return {
        "access_token": "ZA-Yj3aBD8U8Cm7lKUp-lm9O9BmDgdhHzDeqsY8tlL0",
        "token_type": "Bearer",
        "scope": "read write",
        "created_at": 1573979017,
    }
