"""Every API error is JSON with a machine-readable code and a message a person can act on."""

from __future__ import annotations

import logging

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from kalrav import disk_full

log = logging.getLogger(__name__)


def _error(
    api: NinjaAPI, request: HttpRequest, status: int, code: str, message: str, **extra
) -> HttpResponse:
    return api.create_response(request, {"code": code, "message": message, **extra}, status=status)


def _field(loc) -> str:
    # ("body", "payload", "banned_words") names the field a caller sent: "banned_words".
    parts = [str(p) for p in loc[1:]]
    if len(parts) > 1 and parts[0] in ("payload", "filters"):
        parts = parts[1:]
    return ".".join(parts) or "body"


def install(api: NinjaAPI) -> None:
    @api.exception_handler(NinjaValidationError)
    def invalid_request(request, exc):
        problems = [
            {"field": _field(err.get("loc", [])), "message": err.get("msg", "")}
            for err in exc.errors
        ]
        first = problems[0] if problems else {"field": "body", "message": "invalid"}
        return _error(
            api,
            request,
            422,
            "invalid_request",
            f"{first['field']}: {first['message']}",
            problems=problems,
        )

    @api.exception_handler(DjangoValidationError)
    def invalid_value(request, exc):
        if hasattr(exc, "error_dict"):
            problems = [{"field": f, "message": " ".join(m)} for f, m in exc.message_dict.items()]
        else:
            problems = [{"field": "", "message": m} for m in exc.messages]
        return _error(api, request, 400, "invalid_value", problems[0]["message"], problems=problems)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request, exc):
        return _error(
            api,
            request,
            401,
            "unauthenticated",
            "Send a valid API token as 'Authorization: Bearer kal_…' or sign in.",
        )

    @api.exception_handler(PermissionDenied)
    def forbidden(request, exc):
        return _error(
            api,
            request,
            403,
            "forbidden",
            str(exc) or "Your role in this workspace does not allow this.",
        )

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return _error(
            api, request, 404, "not_found", "Nothing here, or not in a workspace you belong to."
        )

    @api.exception_handler(ObjectDoesNotExist)
    def missing(request, exc):
        return _error(
            api, request, 404, "not_found", "Nothing here, or not in a workspace you belong to."
        )

    @api.exception_handler(HttpError)
    def http_error(request, exc):
        codes = {
            400: "invalid_request",
            404: "not_found",
            405: "method_not_allowed",
            429: "rate_limited",
        }
        return _error(
            api, request, exc.status_code, codes.get(exc.status_code, "http_error"), str(exc)
        )

    @api.exception_handler(Exception)
    def internal(request, exc):
        if disk_full.is_disk_full(exc):
            log.error("out of disk space on %s %s: %s", request.method, request.path, exc)
            return _error(api, request, disk_full.STATUS, "disk_full", disk_full.message())
        log.exception("API error on %s %s", request.method, request.path)
        return _error(
            api,
            request,
            500,
            "internal_error",
            "Kalrav failed to answer; the error is in the server log.",
        )
