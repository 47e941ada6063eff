"""`{{ address|safe_url }}`: an address from a network, or "" when it is not http(s)."""

from __future__ import annotations

from django import template

from kalrav.safe_urls import web_url

register = template.Library()


@register.filter
def safe_url(value: object) -> str:
    return web_url(value)
