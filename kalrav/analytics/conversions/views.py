"""The two doors for conversions: the brand's server (signed) and the script on its pages."""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from kalrav.analytics.conversions import services
from kalrav.analytics.models import ConversionSource
from kalrav.hooks import signing
from kalrav.workspaces.models import Workspace

MAX_BODY = 16 * 1024


def _payload(request: HttpRequest) -> object:
    if len(request.body) > MAX_BODY:
        raise ValidationError(_("The report is too large."))
    try:
        return json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise ValidationError(_("Send a JSON object.")) from None


def _refused(error: ValidationError) -> JsonResponse:
    found = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
    return JsonResponse({"errors": found}, status=400)


@csrf_exempt
@require_http_methods(["POST"])
def server_report(request: HttpRequest, workspace_slug: str) -> HttpResponse:
    workspace = get_object_or_404(Workspace, slug=workspace_slug)
    header = request.headers.get(signing.HEADER, "")
    if not services.signed_by_workspace(workspace, request.body, header):
        return JsonResponse(
            {"errors": {"signature": [_("The signature is missing, wrong or too old.")]}},
            status=401,
        )
    try:
        report = services.parse(_payload(request), with_value=True)
        conversion = services.record(workspace, report, ConversionSource.SERVER)
    except ValidationError as error:
        return _refused(error)
    except services.Repeated:
        return JsonResponse(
            {"errors": {"event_id": [_("This event was reported before; it counts once.")]}},
            status=409,
        )
    return JsonResponse(
        {"id": conversion.pk, "attributed": conversion.click_id is not None}, status=201
    )


@csrf_exempt
@require_http_methods(["POST", "OPTIONS"])
def page_report(request: HttpRequest, workspace_slug: str) -> HttpResponse:
    """From the brand's pages, by `navigator.sendBeacon` (text/plain: no preflight needed)."""
    if request.method == "OPTIONS":
        response = HttpResponse(status=204)
    else:
        workspace = get_object_or_404(Workspace, slug=workspace_slug)
        try:
            report = services.parse(_payload(request), with_value=False)
            services.record(workspace, report, ConversionSource.BROWSER)
            response = HttpResponse(status=204)
        except ValidationError as error:
            response = _refused(error)
        except services.Repeated:
            response = HttpResponse(status=204)  # a page reloaded: already counted
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Allow-Headers"] = "Content-Type"
    return response
