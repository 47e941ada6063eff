"""Who is calling the API: a personal token (Authorization: Bearer kal_...) or a signed-in session."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, cast

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from ninja.operation import Operation
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import contribute_operation_callback

from kalrav.accounts.models import User
from kalrav.api import tokens
from kalrav.api.models import ApiToken
from kalrav.api.schemas import perm as perm_extension
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import Member
from kalrav.workspaces.permissions import Perm


@dataclass
class Caller:
    user: User
    token: ApiToken | None = None
    token_member: Member | None = None

    @property
    def actor(self) -> Actor:
        label = f"{self.user.email} (token {self.token.prefix}…)" if self.token else ""  # type: ignore[attr-defined]
        return Actor(user=self.user, via="api", label=label)

    def member(self, slug: str, perm: Perm) -> Member:
        """The caller's membership in a workspace; 404 for outsiders, 403 without the permission."""
        if self.token_member is not None:
            member = self.token_member if self.token_member.workspace.slug == slug else None
        else:
            member = (
                Member.objects.select_related("workspace", "user")
                .filter(workspace__slug=slug, user=self.user)
                .first()
            )
        if member is None:
            raise Http404
        if not member.can(perm):
            raise PermissionDenied
        return member


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Caller | None:
        found = tokens.authenticate(token)
        if found is None:
            return None
        record, member = found
        return Caller(user=record.user, token=record, token_member=member)


class SessionAuth(APIKeyCookie):
    """The browser's session, with CSRF checked on writes (ninja does that for cookie auth)."""

    param_name = "sessionid"

    def authenticate(self, request: HttpRequest, key: str | None) -> Caller | None:
        if request.user.is_authenticated:
            return Caller(user=request.user)  # type: ignore[arg-type]
        return None


def caller(request: HttpRequest) -> Caller:
    return request.auth  # type: ignore[attr-defined,return-value]


class ApiRequest(HttpRequest):
    """The request an operation under `@requires` receives. Only a type: ninja has set `auth` and
    `requires` has set `member` on Django's own request before the body runs."""

    auth: Caller
    member: Member


def requires(perm: Perm) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Place under the route decorator of a `/{ws}/...` operation: it names `perm` in the schema
    (`x-kalrav-permission`, read by the matrix tests) and checks it before the body runs, setting
    `request.member` (404 for outsiders, 403 without the permission), so the body never restates
    it. The view itself is not wrapped: ninja reads its signature and annotations as written."""

    def contribute(operation: Operation) -> None:
        assert "ws" in operation.signature.path_params_names, operation.path
        operation.openapi_extra = {**(operation.openapi_extra or {}), **perm_extension(perm)}
        body = operation.view_func

        @wraps(body)
        def checked(request: HttpRequest, **values: Any) -> Any:
            typed = cast(ApiRequest, request)
            typed.member = typed.auth.member(values["ws"], perm)
            return body(typed, **values)

        operation.view_func = checked

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        contribute_operation_callback(view, contribute)
        return view

    return decorate
