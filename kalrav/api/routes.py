from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema, Status

from kalrav.api import tokens
from kalrav.api.auth import ApiRequest, caller, requires
from kalrav.api.models import ApiToken
from kalrav.api.schemas import (
    ERRORS,
    TokenCreatedOut,
    TokenIn,
    TokenOut,
    perm,
    session_only,
)
from kalrav.workspaces.permissions import Perm

router = Router(tags=["account"])


class MeOut(Schema):
    email: str
    first_name: str
    last_name: str
    language: str
    two_factor: bool
    token_workspace: str | None
    token_role: str | None


@router.get("/me", response={200: MeOut, **ERRORS}, openapi_extra=perm("authenticated"))
def me(request: HttpRequest):
    who = caller(request)
    user = who.user
    return {
        "email": user.email,  # type: ignore[attr-defined]
        "first_name": user.first_name,  # type: ignore[attr-defined]
        "last_name": user.last_name,  # type: ignore[attr-defined]
        "language": user.language,  # type: ignore[attr-defined]
        "two_factor": user.has_two_factor,  # type: ignore[attr-defined]
        "token_workspace": who.token.workspace.slug if who.token else None,
        "token_role": who.token.role if who.token else None,
    }


@router.get(
    "/workspaces/{ws}/tokens",
    response={200: list[TokenOut], **ERRORS},
    tags=["tokens"],
)
@requires(Perm.TOKENS_USE)
def list_tokens(request: ApiRequest, ws: str):
    member = request.member
    return ApiToken.objects.filter(workspace=member.workspace, user=member.user).select_related(
        "user"
    )


@router.post(
    "/workspaces/{ws}/tokens",
    response={201: TokenCreatedOut, **ERRORS},
    openapi_extra=session_only(),
    tags=["tokens"],
    summary="Create a token (signed-in session only; expires after `days`, 90 by default)",
)
@requires(Perm.TOKENS_USE)
def create_token(request: ApiRequest, ws: str, payload: TokenIn):
    who = caller(request)
    member = request.member
    tokens.require_signed_in_session(request, token=who.token)
    record, token = tokens.create_token(member, who.actor, **payload.dict())
    return Status(201, {**TokenOut.from_orm(record).model_dump(), "token": token})


@router.post(
    "/workspaces/{ws}/tokens/{token_id}/renew",
    response={200: TokenOut, **ERRORS},
    openapi_extra=session_only(),
    tags=["tokens"],
    summary="Renew one of your tokens for `days` (query, 90 by default) more from now (signed-in session only)",
)
@requires(Perm.TOKENS_USE)
def renew_token(request: ApiRequest, ws: str, token_id: int, days: int = tokens.DEFAULT_DAYS):
    who = caller(request)
    member = request.member
    tokens.require_signed_in_session(request, token=who.token)
    return tokens.renew_token(member, who.actor, token_id, days=days)


@router.delete(
    "/workspaces/{ws}/tokens/{token_id}",
    response={204: None, **ERRORS},
    tags=["tokens"],
)
@requires(Perm.TOKENS_USE)
def revoke_token(request: ApiRequest, ws: str, token_id: int):
    who = caller(request)
    member = request.member
    tokens.revoke_token(member, who.actor, token_id)
    return Status(204, None)
