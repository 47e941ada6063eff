from __future__ import annotations

from datetime import datetime

from ninja import Schema


class Problem(Schema):
    field: str
    message: str


class ErrorOut(Schema):
    code: str
    message: str
    problems: list[Problem] | None = None


ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


def perm(name: str) -> dict:
    """OpenAPI extension naming the permission an operation needs (the matrix tests read it)."""
    return {"x-kalrav-permission": name}


def session_only() -> dict:
    """OpenAPI extension for operations a token may not call: a person signs in for them."""
    return {"x-kalrav-session-only": True}


class TokenIn(Schema):
    name: str
    role: str
    days: int = 90


class TokenOut(Schema):
    id: int
    name: str
    role: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None
    state: str


class TokenCreatedOut(TokenOut):
    token: str
