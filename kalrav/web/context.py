from django.http import HttpRequest

from kalrav.web.sections import SECTIONS


def navigation(request: HttpRequest) -> dict:
    return {"sections": SECTIONS}
