"""The Content-Security-Policy every response carries.

Scripts run only from Kalrav's own static files or with this response's nonce (`csp_nonce` in
templates), never from inline markup or event-handler attributes, so text that slips into a page
cannot run. htmx is told not to evaluate anything (`allowEval: false` in base.html): the pages use
no `hx-on`, `js:` values or trigger filters, which would need eval. Styles may be inline (`style`
attributes are used throughout, and a stylesheet cannot run code). Images and video may come from
the networks (avatars, previews), over https or http. HSTS is Django's, switched on in settings
when KALRAV_BASE_URL is https.
"""

from __future__ import annotations

import secrets

from django.http import HttpRequest, HttpResponse

NONCE_BYTES = 18


def policy(nonce: str) -> str:
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob: https: http:",
            "media-src 'self' blob: https: http:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ]
    )


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        nonce = secrets.token_urlsafe(NONCE_BYTES)
        request.csp_nonce = nonce  # type: ignore[attr-defined]
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", policy(nonce))
        return response


def nonce(request: HttpRequest) -> dict:
    """Context processor: `{{ csp_nonce }}` for the rare script that must be inline."""
    return {"csp_nonce": getattr(request, "csp_nonce", "")}
