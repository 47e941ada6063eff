"""A full disk is the operator's problem, but the person at the keyboard must know their work
was not saved, and why: not a generic 500.

SQLite says "database or disk is full" (SQLITE_FULL), PostgreSQL answers SQLSTATE 53100, and a
file write fails with ENOSPC (or EDQUOT, a quota). Each write is one transaction, so a refused one
leaves what was saved before as it was; the answer is 507 Insufficient Storage.
"""

from __future__ import annotations

import errno
import logging
import sqlite3

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)

STATUS = 507
NO_SPACE_ERRNOS = {errno.ENOSPC, errno.EDQUOT}
POSTGRES_DISK_FULL = "53100"


def is_disk_full(error: BaseException | None) -> bool:
    seen = 0
    while error is not None and seen < 8:  # the driver's error is the cause of Django's
        if isinstance(error, OSError) and error.errno in NO_SPACE_ERRNOS:
            return True
        if isinstance(error, sqlite3.OperationalError | OperationalError) and (
            "database or disk is full" in str(error)
        ):
            return True
        if getattr(error, "sqlstate", None) == POSTGRES_DISK_FULL:
            return True
        error = error.__cause__ or error.__context__
        seen += 1
    return False


def message() -> str:
    return _("The server is out of disk space; nothing was saved.")


def html_response(request: HttpRequest) -> HttpResponse:
    if request.headers.get("HX-Request"):
        # htmx swaps no error response; app.js shows this fragment as a toast.
        body = render_to_string("includes/disk_full_toast.html", {"message": message()})
    else:
        body = render_to_string("507.html", {"message": message()})
    return HttpResponse(body, status=STATUS)


class DiskFullMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_disk_full(exception):
            return None
        log.error("out of disk space on %s %s: %s", request.method, request.path, exception)
        return html_response(request)
