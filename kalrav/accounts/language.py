"""The interface language: chosen per person, remembered in a cookie that LocaleMiddleware reads.

Once someone has chosen a language, it wins over what the browser asks for. So that a person who
signs in on a browser set to another of Kalrav's languages is not stuck in the saved one without
knowing why, sign-in offers the switch once (a banner with both choices); keeping the saved
language is remembered for that browser language, so the offer does not come back.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import trans_real
from django.views.decorators.http import require_POST

LANGUAGE_CODES = {code for code, _ in settings.LANGUAGES}
OFFER_KEY = "kalrav_language_offer"
KEPT_COOKIE = "kalrav_language_kept"


def browser_language(request: HttpRequest) -> str | None:
    """The first of Kalrav's languages the browser's Accept-Language asks for, if any."""
    header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
    for code, _quality in trans_real.parse_accept_lang_header(header):
        if code == "*":
            break
        base = code.split("-")[0].lower()
        if base in LANGUAGE_CODES:
            return base
    return None


def offer_browser_language(request: HttpRequest, saved: str) -> None:
    """At sign-in: offer the browser's language when it differs from the saved one."""
    wanted = browser_language(request)
    if (
        wanted
        and saved in LANGUAGE_CODES
        and wanted != saved
        and request.COOKIES.get(KEPT_COOKIE) != wanted
    ):
        request.session[OFFER_KEY] = wanted
    else:
        request.session.pop(OFFER_KEY, None)


def activate_for_response(response: HttpResponse, language: str) -> HttpResponse:
    if language in LANGUAGE_CODES:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
    return response


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    language = request.POST.get("language", "")
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = "/"
    response = HttpResponseRedirect(target)
    offered = request.session.pop(OFFER_KEY, None) if hasattr(request, "session") else None
    if language not in LANGUAGE_CODES:
        return response
    if offered and offered != language:
        # The offer was declined: keep the saved language for this browser language from now on.
        response.set_cookie(
            KEPT_COOKIE,
            offered,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
    if request.user.is_authenticated:
        request.user.language = language  # type: ignore[union-attr]
        request.user.save(update_fields=["language"])  # type: ignore[union-attr]
    translation.activate(language)
    return activate_for_response(response, language)
