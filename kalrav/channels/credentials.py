"""Channel credentials at rest: a JSON object encrypted with the workspace's Fernet keys."""

from __future__ import annotations

import json
from collections.abc import Mapping

from kalrav import crypto


def seal(credentials: Mapping[str, str]) -> str:
    return crypto.encrypt(json.dumps(dict(credentials), sort_keys=True)) if credentials else ""


def unseal(sealed: str) -> dict[str, str]:
    return json.loads(crypto.decrypt(sealed)) if sealed else {}


def merge_renewed(old: Mapping[str, str], renewed: Mapping[str, str]) -> dict[str, str]:
    """New values win; a field the network left out (often the refresh token) is kept."""
    merged = dict(old)
    merged.update({key: value for key, value in renewed.items() if value})
    return merged
