"""Reading settings from the environment.

Every helper refuses a bad value with an error that names the variable, so a
typo in a deployment stops the process at start-up instead of surfacing later
as a strange behaviour.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class ImproperlyConfiguredVariable(Exception):
    """A setting's environment variable holds a value Kalrav cannot use."""

    def __init__(self, name: str, value: str, expected: str):
        self.name = name
        super().__init__(f"{name}={value!r} is not valid: expected {expected}.")


# The methods below are named after the types they return, which shadows the builtins inside
# the class body; these aliases keep the annotations pointing at the builtins.
_str = str
_int = int
_bool = bool
_list = list

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class Env:
    """Typed access to an environment mapping (os.environ unless tests pass one)."""

    def __init__(self, environ: Mapping[_str, _str] | None = None):
        self.environ = os.environ if environ is None else environ

    def raw(self, name: _str) -> _str | None:
        value = self.environ.get(name)
        return None if value is None else value.strip()

    def str(self, name: _str, default: _str) -> _str:
        value = self.raw(name)
        return default if value is None or value == "" else value

    def bool(self, name: _str, default: _bool) -> _bool:
        value = self.raw(name)
        if value is None:
            return default
        lowered = value.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ImproperlyConfiguredVariable(name, value, "one of 1/0, true/false, yes/no, on/off")

    def int(
        self, name: _str, default: _int, *, minimum: _int | None = None, maximum: _int | None = None
    ) -> _int:
        value = self.raw(name)
        if value is None or value == "":
            return default
        try:
            number = int(value)
        except ValueError:
            raise ImproperlyConfiguredVariable(name, value, "a whole number") from None
        if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
            bounds = (
                f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
            )
            raise ImproperlyConfiguredVariable(name, value, f"a whole number {bounds}")
        return number

    def list(self, name: _str, default: _list[_str]) -> _list[_str]:
        value = self.raw(name)
        if value is None or value == "":
            return list(default)
        items = [item.strip() for item in value.split(",")]
        if any(not item for item in items):
            raise ImproperlyConfiguredVariable(
                name, value, "a comma-separated list with no empty items"
            )
        return items

    def url(self, name: _str, default: _str | None, *, schemes: tuple[_str, ...]) -> _str | None:
        value = self.raw(name)
        if value is None or value == "":
            return default
        parts = urlsplit(value)
        if parts.scheme not in schemes:
            raise ImproperlyConfiguredVariable(
                name, value, f"a URL starting with {' or '.join(s + '://' for s in schemes)}"
            )
        if parts.scheme not in ("sqlite",) and not parts.netloc:
            raise ImproperlyConfiguredVariable(name, value, "a URL with a host")
        return value

    def path(self, name: _str, default: Path) -> Path:
        value = self.raw(name)
        if value is None or value == "":
            return default
        path = Path(value).expanduser()
        if not path.is_absolute():
            raise ImproperlyConfiguredVariable(name, value, "an absolute path")
        if path.exists() and not path.is_dir():
            raise ImproperlyConfiguredVariable(
                name, value, "a directory (a file of that name exists)"
            )
        return path

    def timezone(self, name: _str, default: _str) -> _str:
        value = self.str(name, default)
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ImproperlyConfiguredVariable(
                name, value, "an IANA time zone such as Asia/Kolkata"
            ) from None
        return value

    def choice(self, name: _str, default: _str, choices: tuple[_str, ...]) -> _str:
        value = self.str(name, default)
        if value not in choices:
            raise ImproperlyConfiguredVariable(name, value, "one of " + ", ".join(choices))
        return value

    def networks(self, name: _str, default: _list[IPNetwork]) -> _list[IPNetwork]:
        """Comma-separated addresses or networks (10.0.0.0/8); a bare address is a network of one."""
        value = self.raw(name)
        if value is None or value == "":
            return list(default)
        found: _list[IPNetwork] = []
        for item in value.split(","):
            try:
                found.append(ipaddress.ip_network(item.strip(), strict=False))
            except ValueError:
                raise ImproperlyConfiguredVariable(
                    name,
                    value,
                    "comma-separated IP addresses or networks such as 127.0.0.1,10.0.0.0/8",
                ) from None
        return found
