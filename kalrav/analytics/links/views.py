from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.views.decorators.http import require_http_methods

from kalrav.analytics.links import services
from kalrav.analytics.models import TrackedLink


@require_http_methods(["GET", "HEAD"])
def follow(request: HttpRequest, code: str) -> HttpResponse:
    link = TrackedLink.objects.filter(code=code).first()
    if link is None:
        raise Http404
    click = services.record_click(link, request)
    response = HttpResponseRedirect(services.onward(link, click))
    # Every visit must reach Kalrav to be counted; the brand's site needs no Kalrav referrer.
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer-when-downgrade"
    return response
